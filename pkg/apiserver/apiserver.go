package apiserver

import (
	"context"
	"fmt"
	"time"

	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	schedulingv1alpha1 "kurator.dev/kurator/pkg/apis/scheduling/v1alpha1"
	telemetryv1alpha1 "kurator.dev/kurator/pkg/apis/telemetry/v1alpha1"
	kuratorclientset "kurator.dev/kurator/pkg/generated/clientset/versioned"
	kuratorinformers "kurator.dev/kurator/pkg/generated/informers/externalversions"
	"kurator.dev/kurator/pkg/registry"
	batchjob "kurator.dev/kurator/pkg/registry/batch/batchjob"
	batchrest "kurator.dev/kurator/pkg/registry/batch/rest"
	fleetrest "kurator.dev/kurator/pkg/registry/fleet/rest"
	"kurator.dev/kurator/pkg/registry/scheduling/placementreview"
	schedulingrest "kurator.dev/kurator/pkg/registry/scheduling/rest"
	"kurator.dev/kurator/pkg/registry/telemetry/clustertelemetry"
	telemetryrest "kurator.dev/kurator/pkg/registry/telemetry/rest"
)

// ComponentName is the name of the server in logs, metrics and the OpenAPI document.
const ComponentName = "kurator-apiserver"

// DefaultAPIResourceConfigSource is the set of API versions and resources served unless
// --runtime-config says otherwise.
func DefaultAPIResourceConfigSource() *serverstorage.ResourceConfig {
	cfg := serverstorage.NewResourceConfig()
	cfg.EnableVersions(
		fleetv1alpha1.SchemeGroupVersion,
		telemetryv1alpha1.SchemeGroupVersion,
		schedulingv1alpha1.SchemeGroupVersion,
		batchv1alpha1.SchemeGroupVersion,
	)
	return cfg
}

// ExtraConfig is the configuration of kurator-apiserver beyond the generic apiserver's.
type ExtraConfig struct {
	// Karmada holds the caches of the Karmada apiserver's objects the computed parts of the
	// API are computed from.
	Karmada KarmadaCache
	// Telemetry configures the telemetry sources behind ClusterTelemetry.
	Telemetry clustertelemetry.SourceOptions
	// Evaluator evaluates PlacementReviews with kurator-scheduler's plugin code; nil
	// answers valid reviews with 503 Service Unavailable. If it has a Start(ctx) error
	// method, it is started after the server starts.
	Evaluator placementreview.Evaluator
	// MultiplePodTemplatesScheduling mirrors Karmada's feature gate of that name when
	// PlacementReview builds the binding of a resource template.
	MultiplePodTemplatesScheduling bool
	// BatchDefaultRuntime is the runtime BatchJob assumes for jobs without
	// spec.runningEstimate; 0 means batchjob.DefaultRuntime.
	BatchDefaultRuntime time.Duration
}

// Config is the configuration of kurator-apiserver.
type Config struct {
	GenericConfig *genericapiserver.RecommendedConfig
	ExtraConfig   ExtraConfig
}

type completedConfig struct {
	GenericConfig genericapiserver.CompletedConfig
	ExtraConfig   *ExtraConfig
}

// CompletedConfig is a Config on which Complete has run; New builds a server from it.
type CompletedConfig struct {
	// Embed a private pointer that cannot be instantiated outside of this package.
	*completedConfig
}

// Complete fills in the fields not set that can be derived from others.
func (c *Config) Complete() CompletedConfig {
	if c.GenericConfig.MergedResourceConfig == nil {
		c.GenericConfig.MergedResourceConfig = DefaultAPIResourceConfigSource()
	}
	return CompletedConfig{&completedConfig{
		GenericConfig: c.GenericConfig.Complete(),
		ExtraConfig:   &c.ExtraConfig,
	}}
}

// Server is a running kurator-apiserver.
type Server struct {
	GenericAPIServer *genericapiserver.GenericAPIServer
}

// New returns a server with every enabled API group installed.
func (c CompletedConfig) New() (*Server, error) {
	if c.ExtraConfig.Karmada == nil {
		return nil, fmt.Errorf("kurator-apiserver needs the caches of a Karmada apiserver to compute fleet status, cluster telemetry and batch jobs")
	}
	genericServer, err := c.GenericConfig.New(ComponentName, genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, fmt.Errorf("creating the generic apiserver: %w", err)
	}
	s := &Server{GenericAPIServer: genericServer}

	// kurator's own objects (fleets, fleet queues) are read back through the loopback
	// client: the computed kinds need them from a cache, with change notifications.
	loopback, err := kuratorclientset.NewForConfig(genericServer.LoopbackClientConfig)
	if err != nil {
		return nil, fmt.Errorf("creating the loopback client: %w", err)
	}
	kurator := kuratorinformers.NewSharedInformerFactory(loopback, 0)
	enabled := c.GenericConfig.MergedResourceConfig.ResourceEnabled

	karmada := c.ExtraConfig.Karmada
	providers := []registry.RESTStorageProvider{
		fleetrest.StorageProvider{Clusters: karmada.Clusters()},
	}
	var manager *clustertelemetry.SourceManager
	if enabled(telemetryv1alpha1.SchemeGroupVersion.WithResource("clustertelemetries")) {
		fleets := kurator.Fleet().V1alpha1().Fleets()
		manager = clustertelemetry.NewSourceManager(c.ExtraConfig.Telemetry, fleets.Lister(), fleets.Informer().HasSynced)
		if _, err := fleets.Informer().AddEventHandler(manager.EventHandler()); err != nil {
			return nil, fmt.Errorf("watching fleets for telemetry sources: %w", err)
		}
		providers = append(providers, telemetryrest.StorageProvider{Sources: &clustertelemetry.Sources{
			Clusters:     karmada.Clusters(),
			Fleets:       fleets.Lister(),
			FleetsSynced: fleets.Informer().HasSynced,
			Telemetry:    manager,
		}})
	}
	if enabled(schedulingv1alpha1.SchemeGroupVersion.WithResource("placementreviews")) {
		bindings, bindingsSynced := karmada.ResourceBindings()
		providers = append(providers, schedulingrest.StorageProvider{PlacementReviews: placementreview.Options{
			Bindings:       bindings,
			BindingsSynced: bindingsSynced,
			Builder: &placementreview.BindingBuilder{
				Interpreter:                    placementreview.NewDefaultInterpreter(),
				MultiplePodTemplatesScheduling: c.ExtraConfig.MultiplePodTemplatesScheduling,
			},
			Evaluator: c.ExtraConfig.Evaluator,
		}})
	}
	if enabled(batchv1alpha1.SchemeGroupVersion.WithResource("fleetqueues")) || enabled(batchv1alpha1.SchemeGroupVersion.WithResource("batchjobs")) {
		providers = append(providers, batchrest.StorageProvider{Sources: batchSources(karmada, kurator, c.ExtraConfig.BatchDefaultRuntime)})
	}

	for _, p := range providers {
		groupInfo, enabled, err := p.NewRESTStorage(c.GenericConfig.MergedResourceConfig, c.GenericConfig.RESTOptionsGetter)
		if err != nil {
			return nil, fmt.Errorf("creating the storage of API group %s: %w", p.GroupName(), err)
		}
		if !enabled {
			klog.InfoS("API group is disabled", "group", p.GroupName())
			continue
		}
		if err := genericServer.InstallAPIGroup(&groupInfo); err != nil {
			return nil, fmt.Errorf("installing API group %s: %w", p.GroupName(), err)
		}
	}

	hooks := map[string]genericapiserver.PostStartHookFunc{
		"start-karmada-informers": func(ctx genericapiserver.PostStartHookContext) error {
			karmada.Start(ctx.Done())
			return nil
		},
		"start-kurator-informers": func(ctx genericapiserver.PostStartHookContext) error {
			kurator.Start(ctx.Done())
			return nil
		},
	}
	if starter, ok := c.ExtraConfig.Evaluator.(interface{ Start(context.Context) error }); ok {
		hooks["start-scheduler-profiles"] = func(ctx genericapiserver.PostStartHookContext) error {
			// Not waited for: reviews answer 503 until the profiles run.
			go func() {
				if err := starter.Start(ctx); err != nil {
					klog.ErrorS(err, "Starting the scheduler profiles of placement reviews failed; reviews will answer 503")
				}
			}()
			return nil
		}
	}
	if manager != nil {
		hooks["start-telemetry-sources"] = func(ctx genericapiserver.PostStartHookContext) error {
			go manager.Run(ctx)
			return nil
		}
	}
	for name, hook := range hooks {
		if err := genericServer.AddPostStartHook(name, hook); err != nil {
			return nil, fmt.Errorf("adding the post-start hook %s: %w", name, err)
		}
	}
	return s, nil
}

// batchSources returns the caches of batch job views: Volcano Jobs, ResourceBindings and
// PriorityClasses of the Karmada apiserver, fleets and fleet queues of kurator-apiserver.
func batchSources(karmada KarmadaCache, kurator kuratorinformers.SharedInformerFactory, defaultRuntime time.Duration) *batchjob.Sources {
	jobs, jobsSynced := karmada.VolcanoJobs()
	bindings, bindingsSynced := karmada.ResourceBindings()
	classes, classesSynced := karmada.PriorityClasses()
	fleets := kurator.Fleet().V1alpha1().Fleets()
	queues := kurator.Batch().V1alpha1().FleetQueues()
	return &batchjob.Sources{
		Jobs:            jobs,
		Bindings:        bindings,
		PriorityClasses: classes,
		Fleets:          fleets.Lister(),
		Queues:          queues.Lister(),
		Caches: []batchjob.Cache{
			{What: "Volcano Jobs of the Karmada apiserver", HasSynced: jobsSynced},
			{What: "ResourceBindings of the Karmada apiserver", HasSynced: bindingsSynced},
			{What: "PriorityClasses of the Karmada apiserver", HasSynced: classesSynced},
			{What: "fleets", HasSynced: cache.InformerSynced(fleets.Informer().HasSynced)},
			{What: "fleet queues", HasSynced: cache.InformerSynced(queues.Informer().HasSynced)},
		},
		DefaultRuntime: defaultRuntime,
	}
}
