package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	karmadaclientset "github.com/karmada-io/karmada/pkg/generated/clientset/versioned"
	karmadainformers "github.com/karmada-io/karmada/pkg/generated/informers/externalversions"

	"kurator.dev/kurator/pkg/scheduler/framework"
	"kurator.dev/kurator/pkg/scheduler/workload"
	"kurator.dev/kurator/pkg/telemetry"
)

// Runtime is the live Handle of kurator-scheduler, and of any server that evaluates
// placements the same way: the telemetry source refreshing in the background, resource
// template metadata and Karmada clusters from informers.
type Runtime struct {
	source    *telemetry.Source
	templates framework.TemplateGetter
	clusters  framework.ClusterGetter
}

var _ framework.Handle = &Runtime{}

// RuntimeOptions configures StartRuntime.
type RuntimeOptions struct {
	// KarmadaConfig reaches the Karmada apiserver, for templates and clusters; nil for none.
	KarmadaConfig *rest.Config
	// Registerer receives the telemetry and template metrics; nil for none.
	Registerer prometheus.Registerer
	// Querier replaces the HTTP client of the telemetry source (tests).
	Querier telemetry.Querier
}

// StartRuntime starts the telemetry refresh and the informers; they stop with ctx.
func StartRuntime(ctx context.Context, p *Profile, o RuntimeOptions) (*Runtime, error) {
	var topts []telemetry.Option
	if o.Registerer != nil {
		topts = append(topts, telemetry.WithRegisterer(o.Registerer))
	}
	if o.Querier != nil {
		topts = append(topts, telemetry.WithQuerier(o.Querier))
	}
	src, err := telemetry.NewSource(p.Telemetry, topts...)
	if err != nil {
		return nil, err
	}
	r := &Runtime{source: src}
	if o.KarmadaConfig != nil {
		cfg := rest.CopyConfig(o.KarmadaConfig)
		cfg.UserAgent = "kurator-scheduler"
		mc, err := workload.NewMetadataCache(ctx, cfg)
		if err != nil {
			return nil, err
		}
		r.templates = mc
		if o.Registerer != nil {
			if err := o.Registerer.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "kurator_scheduler_template_direct_gets_total",
				Help: "Resource templates read with an API call because their metadata informer had not synced or lacked them.",
			}, func() float64 { return float64(mc.DirectGets()) })); err != nil {
				klog.ErrorS(err, "Could not register the template metrics")
			}
		}
		kc, err := karmadaclientset.NewForConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("building the Karmada client: %w", err)
		}
		factory := karmadainformers.NewSharedInformerFactory(kc, 0)
		r.clusters = factory.Cluster().V1alpha1().Clusters().Lister()
		factory.Start(ctx.Done())
	}
	if p.usesTelemetry() {
		go src.Run(ctx)
	} else {
		klog.InfoS("No kurator plugin is enabled: not querying telemetry")
	}
	return r, nil
}

// Source is the telemetry source.
func (r *Runtime) Source() *telemetry.Source { return r.source }

// Telemetry implements framework.Handle.
func (r *Runtime) Telemetry() *telemetry.Snapshot { return r.source.Snapshot() }

// Names implements framework.Handle.
func (r *Runtime) Names() *telemetry.Names { return r.source.Names() }

// Templates implements framework.Handle.
func (r *Runtime) Templates() framework.TemplateGetter { return r.templates }

// Clusters implements framework.Handle.
func (r *Runtime) Clusters() framework.ClusterGetter { return r.clusters }

// Now implements framework.Handle.
func (r *Runtime) Now() time.Time { return time.Now() }
