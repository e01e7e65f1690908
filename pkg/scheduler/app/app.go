// Package app is the kurator-scheduler command: Karmada's scheduler command
// (github.com/karmada-io/karmada/cmd/scheduler/app) with kurator's plugins and a
// KubeSchedulerConfiguration profile given by --config. Every other flag is Karmada's.
package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	karmadaapp "github.com/karmada-io/karmada/cmd/scheduler/app"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/runtime"

	"kurator.dev/kurator/pkg/scheduler"
)

// NewCommand returns the kurator-scheduler command.
func NewCommand(ctx context.Context) *cobra.Command {
	o := &options{}
	cmd := karmadaapp.NewSchedulerCommand(ctx, o.register)
	cmd.Use = "kurator-scheduler"
	cmd.Short = "Karmada's scheduler with kurator's telemetry- and mesh-aware plugins"
	cmd.Long = `kurator-scheduler is Karmada's scheduler built with kurator's plugins — ClusterUtilization,
NetworkLatency and MeshTopology, fed by Thanos Query and the Istio mesh — and configured by a
KubeSchedulerConfiguration profile (--config): which plugins run at filter and score, Karmada's
in-tree plugins included, their weights and their arguments. Every other flag is Karmada's
scheduler's: kubeconfig, leader election, feature gates, estimators, --scheduler-name.`

	kfs := pflag.NewFlagSet("kurator", pflag.ContinueOnError)
	kfs.StringVar(&o.config, "config", "", "Path to a KubeSchedulerConfiguration profile (kubescheduler.config.k8s.io/v1). Without it every plugin runs at every extension point it has, weight 1, default arguments. Replaces --plugins, which kurator-scheduler sets from the profile.")
	kfs.StringVar(&o.telemetryURL, "telemetry-url", "", "Overrides the url of the profile's Telemetry arguments: the Thanos Query (or Prometheus) the plugins read, e.g. http://thanos-query.monitoring.svc:9090.")
	cmd.Flags().AddFlagSet(kfs)

	karmadaPre := cmd.PersistentPreRunE
	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if karmadaPre != nil {
			if err := karmadaPre(c, args); err != nil {
				return err
			}
		}
		if c != cmd {
			return nil // the version subcommand
		}
		return o.complete(ctx, c.Flags())
	}

	usage, help := cmd.UsageFunc(), cmd.HelpFunc()
	cmd.SetUsageFunc(func(c *cobra.Command) error {
		if err := usage(c); err != nil {
			return err
		}
		_, err := fmt.Fprintf(c.OutOrStderr(), "\nKurator flags:\n\n%s", kfs.FlagUsages())
		return err
	})
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		help(c, args)
		fmt.Fprintf(c.OutOrStdout(), "\nKurator flags:\n\n%s", kfs.FlagUsages())
	})
	return cmd
}

type options struct {
	config       string
	telemetryURL string
	profile      *scheduler.Profile
	runtime      *scheduler.Runtime
}

// complete loads the profile, turns it into Karmada flags and starts the plugins' runtime.
func (o *options) complete(ctx context.Context, fs *pflag.FlagSet) error {
	catalog := scheduler.DefaultCatalog()
	if o.config == "" {
		o.profile = scheduler.DefaultProfile(catalog)
	} else {
		p, err := scheduler.LoadProfile(o.config, catalog)
		if err != nil {
			return err
		}
		o.profile = p
	}
	if o.telemetryURL != "" {
		o.profile.Telemetry.URL = o.telemetryURL
		if errs := o.profile.Telemetry.Validate(field.NewPath("telemetry")); len(errs) > 0 {
			return fmt.Errorf("--telemetry-url: %w", errs.ToAggregate())
		}
	}
	if fs.Changed("plugins") {
		return fmt.Errorf("--plugins cannot be used with kurator-scheduler: enable, disable and weigh plugins in the --config profile")
	}
	for name, value := range o.profile.Flags {
		if fs.Changed(name) {
			klog.InfoS("The command line overrides the profile", "flag", name)
			continue
		}
		if err := fs.Set(name, value); err != nil {
			return fmt.Errorf("profile %s: setting --%s=%s: %w", o.config, name, value, err)
		}
	}
	if n := o.profile.SchedulerName; n != "" {
		if fs.Changed("scheduler-name") {
			if v, _ := fs.GetString("scheduler-name"); v != n {
				return fmt.Errorf("--scheduler-name=%s conflicts with profiles[0].schedulerName %q in %s", v, n, o.config)
			}
		} else if err := fs.Set("scheduler-name", n); err != nil {
			return err
		}
	}
	kubeconfig, _ := fs.GetString("kubeconfig")
	master, _ := fs.GetString("master")
	restConfig, err := clientcmd.BuildConfigFromFlags(master, kubeconfig)
	if err != nil {
		return fmt.Errorf("building the Karmada client configuration: %w", err)
	}
	rt, err := scheduler.StartRuntime(ctx, o.profile, scheduler.RuntimeOptions{KarmadaConfig: restConfig, Registerer: ctrlmetrics.Registry})
	if err != nil {
		return err
	}
	o.runtime = rt
	_, enabled, err := o.profile.Registry(rt)
	if err != nil {
		return err
	}
	if err := fs.Set("plugins", strings.Join(enabled, ",")); err != nil {
		return err
	}
	name, _ := fs.GetString("scheduler-name")
	klog.InfoS("Loaded the scheduler profile", "config", o.config, "schedulerName", name, "plugins", o.profile.String(),
		"telemetry", o.profile.Telemetry.URL)
	return nil
}

// register adds kurator's plugins (and the wrappers of weighted in-tree plugins) to
// Karmada's registry. Karmada calls it after complete.
func (o *options) register(r runtime.Registry) error {
	if o.profile == nil {
		return fmt.Errorf("the scheduler profile is not loaded")
	}
	reg, _, err := o.profile.Registry(o.runtime)
	if err != nil {
		return err
	}
	return r.Merge(reg)
}
