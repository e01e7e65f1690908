package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/util/compatibility"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/klog/v2"
	netutils "k8s.io/utils/net"

	"kurator.dev/kurator/pkg/apiserver"
	"kurator.dev/kurator/pkg/apiserver/scheme"
	"kurator.dev/kurator/pkg/registry/batch/batchjob"
	"kurator.dev/kurator/pkg/registry/scheduling/placementreview"
	"kurator.dev/kurator/pkg/registry/telemetry/clustertelemetry"
	"kurator.dev/kurator/pkg/telemetry"
)

// DefaultEtcdPathPrefix is the etcd prefix under which kurator-apiserver stores its objects.
// It is not /registry, where the Karmada apiserver keeps its own objects (and would keep a
// CRD of the same group), so the two can share an etcd.
const DefaultEtcdPathPrefix = "/kurator"

// ServiceDNSName is the name the aggregator verifies kurator-apiserver's serving certificate
// against when it is registered through the Service kurator-apiserver in karmada-system.
const ServiceDNSName = "kurator-apiserver.karmada-system.svc"

// Options are the command-line options of kurator-apiserver.
type Options struct {
	// RecommendedOptions are the options of the generic apiserver: etcd, serving, delegated
	// authentication and authorization against the Karmada apiserver, and so on. Its
	// CoreAPI options (--kubeconfig) point at the Karmada apiserver.
	RecommendedOptions *genericoptions.RecommendedOptions
	// APIEnablement selects the API versions served (--runtime-config).
	APIEnablement *genericoptions.APIEnablementOptions
	// Logs configures logging.
	Logs *logsapi.LoggingConfiguration

	// AlternateDNS are extra DNS names of the self-signed serving certificate made when no
	// --tls-cert-file is given.
	AlternateDNS []string

	// TelemetryRefreshInterval, TelemetryMaxSampleAge and TelemetryQueryTimeout configure the
	// telemetry sources behind ClusterTelemetry: one per Thanos Query URL of the fleets.
	TelemetryRefreshInterval time.Duration
	TelemetryMaxSampleAge    time.Duration
	TelemetryQueryTimeout    time.Duration
	// MultiplePodTemplatesScheduling mirrors Karmada's feature gate of that name in
	// PlacementReviews of resource templates.
	MultiplePodTemplatesScheduling bool
	// BatchDefaultRuntime is the runtime BatchJob assumes for jobs without spec.runningEstimate.
	BatchDefaultRuntime time.Duration
	// SchedulerConfigs are kurator-scheduler profiles (KubeSchedulerConfiguration files)
	// PlacementReviews are evaluated with, one per scheduler name.
	SchedulerConfigs []string
	// Estimators connect PlacementReviews to the members' scheduler-estimator services.
	Estimators *apiserver.EstimatorOptions

	// Karmada, when not nil, replaces the informers of the Karmada apiserver (Clusters,
	// ResourceBindings, Volcano Jobs, PriorityClasses); --kubeconfig is then optional. For tests.
	Karmada apiserver.KarmadaCache
	// TelemetryQuerier, when not nil, replaces the HTTP client of the telemetry source of a
	// Thanos Query URL. For tests.
	TelemetryQuerier func(url string) telemetry.Querier
	// Evaluator, when not nil, replaces the evaluator built from SchedulerConfigs. For tests.
	Evaluator placementreview.Evaluator
	// SchedulerQuerier, when not nil, replaces the HTTP client of the scheduler profiles'
	// telemetry sources. For tests.
	SchedulerQuerier telemetry.Querier
}

// NewOptions returns the default options.
func NewOptions() *Options {
	o := &Options{
		RecommendedOptions: genericoptions.NewRecommendedOptions(
			DefaultEtcdPathPrefix,
			scheme.Codecs.LegacyCodec(scheme.StorageVersions...),
		),
		APIEnablement: genericoptions.NewAPIEnablementOptions(),
		Logs:          logsapi.NewLoggingConfiguration(),
		AlternateDNS:  []string{ServiceDNSName},

		TelemetryRefreshInterval: telemetry.DefaultRefreshInterval,
		TelemetryMaxSampleAge:    telemetry.DefaultMaxSampleAge,
		TelemetryQueryTimeout:    telemetry.DefaultTimeout,
		BatchDefaultRuntime:      batchjob.DefaultRuntime,
		Estimators:               apiserver.NewEstimatorOptions(),
	}
	o.RecommendedOptions.Etcd.StorageConfig.EncodeVersioner = schema.GroupVersions(scheme.StorageVersions)

	// The Karmada apiserver applies priority and fairness to every request before proxying it
	// here; doing it again would need flowcontrol informers against the Karmada apiserver and
	// stall requests while it is unreachable.
	o.RecommendedOptions.Features.EnablePriorityAndFairness = false

	// All admission plugins are off by default. Fleets are cluster-scoped, so
	// NamespaceLifecycle has nothing to check, and validation is built into the storage.
	// Webhooks and admission policies of the Karmada apiserver can be applied to kurator's
	// API with --enable-admission-plugins.
	admission := o.RecommendedOptions.Admission
	admission.DefaultOffPlugins = sets.New(admission.RecommendedPluginOrder...)
	return o
}

// AddFlags adds the flags of the options, by section, to fss.
func (o *Options) AddFlags(fss *cliflag.NamedFlagSets) {
	ro := o.RecommendedOptions
	ro.Etcd.AddFlags(fss.FlagSet("etcd"))
	ro.SecureServing.AddFlags(fss.FlagSet("secure serving"))
	ro.Authentication.AddFlags(fss.FlagSet("authentication"))
	ro.Authorization.AddFlags(fss.FlagSet("authorization"))
	ro.Audit.AddFlags(fss.FlagSet("auditing"))
	ro.Features.AddFlags(fss.FlagSet("features"))
	ro.Admission.AddFlags(fss.FlagSet("admission"))
	ro.EgressSelector.AddFlags(fss.FlagSet("egress selector"))
	ro.Traces.AddFlags(fss.FlagSet("traces"))
	o.APIEnablement.AddFlags(fss.FlagSet("API enablement"))
	utilfeature.DefaultMutableFeatureGate.AddFlag(fss.FlagSet("features"))

	karmada := fss.FlagSet("karmada")
	ro.CoreAPI.AddFlags(karmada)
	if f := karmada.Lookup("kubeconfig"); f != nil {
		f.Usage = "Kubeconfig of the Karmada apiserver, where kurator-apiserver watches Karmada's Clusters, ResourceBindings, " +
			"Volcano Jobs and PriorityClasses to compute fleet status, cluster telemetry and batch jobs. " +
			"It is also the default of --authentication-kubeconfig and --authorization-kubeconfig. Required."
	}
	karmada.BoolVar(&o.MultiplePodTemplatesScheduling, "multiple-pod-templates-scheduling", o.MultiplePodTemplatesScheduling,
		"Whether Karmada runs with its MultiplePodTemplatesScheduling feature gate: PlacementReviews of resource templates then "+
			"interpret the components of multi-template workloads (Volcano Jobs, ...) as Karmada's detector does.")

	tel := fss.FlagSet("telemetry")
	tel.DurationVar(&o.TelemetryRefreshInterval, "telemetry-refresh-interval", o.TelemetryRefreshInterval,
		"How often each Thanos Query named in a fleet's spec.telemetry is queried for ClusterTelemetry.")
	tel.DurationVar(&o.TelemetryMaxSampleAge, "telemetry-max-sample-age", o.TelemetryMaxSampleAge,
		"Age beyond which a telemetry sample is stale. Use the value kurator-scheduler's profile uses, so that both agree.")
	tel.DurationVar(&o.TelemetryQueryTimeout, "telemetry-query-timeout", o.TelemetryQueryTimeout, "Timeout of each telemetry query.")

	fss.FlagSet("scheduling").StringSliceVar(&o.SchedulerConfigs, "scheduler-config", o.SchedulerConfigs,
		"kurator-scheduler profile (the KubeSchedulerConfiguration file kurator-scheduler runs with --config) that PlacementReviews "+
			"naming its schedulerName are evaluated with; repeat it for several schedulers. Without any, PlacementReviews are validated "+
			"and answered with 503 Service Unavailable.")
	o.Estimators.AddFlags(fss.FlagSet("scheduling"))
	fss.FlagSet("batch").DurationVar(&o.BatchDefaultRuntime, "batch-default-runtime", o.BatchDefaultRuntime,
		"Runtime BatchJob assumes, for slack, for Volcano Jobs without spec.runningEstimate. Use the fleet-queue controller's value.")
	fss.FlagSet("secure serving").StringSliceVar(&o.AlternateDNS, "self-signed-cert-dns-names", o.AlternateDNS,
		"DNS names, besides localhost, of the self-signed serving certificate made when --tls-cert-file is not given.")
}

// Complete fills in the options derived from others: the kubeconfigs of delegated
// authentication and authorization default to --kubeconfig.
func (o *Options) Complete() error {
	ro := o.RecommendedOptions
	if ro.CoreAPI != nil && ro.CoreAPI.CoreAPIKubeconfigPath != "" {
		if ro.Authentication != nil && ro.Authentication.RemoteKubeConfigFile == "" {
			ro.Authentication.RemoteKubeConfigFile = ro.CoreAPI.CoreAPIKubeconfigPath
		}
		if ro.Authorization != nil && ro.Authorization.RemoteKubeConfigFile == "" {
			ro.Authorization.RemoteKubeConfigFile = ro.CoreAPI.CoreAPIKubeconfigPath
		}
	}
	return nil
}

// Validate checks the options.
func (o *Options) Validate() error {
	errs := o.RecommendedOptions.Validate()
	errs = append(errs, o.APIEnablement.Validate(scheme.Scheme)...)
	if o.Karmada == nil && (o.RecommendedOptions.CoreAPI == nil || o.RecommendedOptions.CoreAPI.CoreAPIKubeconfigPath == "") {
		errs = append(errs, errors.New("--kubeconfig is required: kurator-apiserver computes fleet status, cluster telemetry and batch jobs from the Karmada apiserver it points at"))
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"--telemetry-refresh-interval", o.TelemetryRefreshInterval},
		{"--telemetry-max-sample-age", o.TelemetryMaxSampleAge},
		{"--telemetry-query-timeout", o.TelemetryQueryTimeout},
		{"--batch-default-runtime", o.BatchDefaultRuntime},
	} {
		if f.d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be a positive duration, such as 10s", f.name))
		}
	}
	errs = append(errs, o.Estimators.Validate()...)
	if o.TelemetryMaxSampleAge > 0 && o.TelemetryMaxSampleAge < o.TelemetryRefreshInterval {
		errs = append(errs, fmt.Errorf("--telemetry-max-sample-age (%s) must be at least --telemetry-refresh-interval (%s), or every sample would be stale before the next refresh",
			o.TelemetryMaxSampleAge, o.TelemetryRefreshInterval))
	}
	return utilerrors.NewAggregate(errs)
}

// Config returns the server configuration the options describe.
func (o *Options) Config() (*apiserver.Config, error) {
	if err := o.RecommendedOptions.SecureServing.MaybeDefaultWithSelfSignedCerts(
		"localhost", o.AlternateDNS, []net.IP{netutils.ParseIPSloppy("127.0.0.1")}); err != nil {
		return nil, fmt.Errorf("creating a self-signed serving certificate: %w", err)
	}

	serverConfig := genericapiserver.NewRecommendedConfig(scheme.Codecs)
	serverConfig.EffectiveVersion = compatibility.DefaultBuildEffectiveVersion()
	serverConfig.FeatureGate = utilfeature.DefaultFeatureGate

	namer := openapi.NewDefinitionNamer(scheme.Scheme)
	serverConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(apiserver.GetOpenAPIDefinitions, namer)
	serverConfig.OpenAPIConfig.Info.Title = "Kurator"
	serverConfig.OpenAPIConfig.Info.Version = "0.1"
	serverConfig.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(apiserver.GetOpenAPIDefinitions, namer)
	serverConfig.OpenAPIV3Config.Info.Title = "Kurator"
	serverConfig.OpenAPIV3Config.Info.Version = "0.1"

	if err := o.RecommendedOptions.ApplyTo(serverConfig); err != nil {
		return nil, fmt.Errorf("applying the generic apiserver options: %w", err)
	}
	if err := o.APIEnablement.ApplyTo(&serverConfig.Config, apiserver.DefaultAPIResourceConfigSource(), scheme.Scheme); err != nil {
		return nil, fmt.Errorf("applying --runtime-config: %w", err)
	}

	extra := apiserver.ExtraConfig{
		Karmada: o.Karmada,
		Telemetry: clustertelemetry.SourceOptions{
			RefreshInterval: o.TelemetryRefreshInterval,
			MaxSampleAge:    o.TelemetryMaxSampleAge,
			Timeout:         o.TelemetryQueryTimeout,
			NewQuerier:      o.TelemetryQuerier,
			Registerer:      legacyregistry.Registerer(),
		},
		Evaluator:                      o.Evaluator,
		MultiplePodTemplatesScheduling: o.MultiplePodTemplatesScheduling,
		BatchDefaultRuntime:            o.BatchDefaultRuntime,
	}
	if extra.Karmada == nil {
		informers, err := apiserver.NewKarmadaInformers(serverConfig.ClientConfig)
		if err != nil {
			return nil, fmt.Errorf("creating the informers of the Karmada apiserver: %w", err)
		}
		extra.Karmada = informers
	}
	if extra.Evaluator == nil && len(o.SchedulerConfigs) > 0 {
		evaluator, err := apiserver.NewSchedulerEvaluator(o.SchedulerConfigs, extra.Karmada.Clusters(), apiserver.SchedulerEvaluatorOptions{
			KarmadaConfig: serverConfig.ClientConfig,
			Querier:       o.SchedulerQuerier,
			Estimators:    o.Estimators,
			MultiTemplate: o.MultiplePodTemplatesScheduling,
		})
		if err != nil {
			return nil, fmt.Errorf("loading --scheduler-config: %w", err)
		}
		extra.Evaluator = evaluator
	}
	return &apiserver.Config{GenericConfig: serverConfig, ExtraConfig: extra}, nil
}

// Run runs the server until ctx is done.
func (o *Options) Run(ctx context.Context) error {
	klog.InfoS("Starting kurator-apiserver")
	config, err := o.Config()
	if err != nil {
		return err
	}
	server, err := config.Complete().New()
	if err != nil {
		return err
	}
	return server.GenericAPIServer.PrepareRun().RunWithContext(ctx)
}
