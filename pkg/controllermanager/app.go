package controllermanager

import (
	"context"
	"fmt"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	karmadaclientset "github.com/karmada-io/karmada/pkg/generated/clientset/versioned"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	volcanoclient "volcano.sh/apis/pkg/client/clientset/versioned"

	"kurator.dev/kurator/pkg/batch/controller"
	"kurator.dev/kurator/pkg/batch/webhook"
	"kurator.dev/kurator/pkg/component"
	kuratorclientset "kurator.dev/kurator/pkg/generated/clientset/versioned"
)

// NewControllerManagerCommand returns the kurator-controller-manager command, which runs
// until ctx is done.
func NewControllerManagerCommand(ctx context.Context) *cobra.Command {
	o := NewOptions()
	logs := logsapi.NewLoggingConfiguration()
	cmd := &cobra.Command{
		Use:   "kurator-controller-manager",
		Short: "Run the fleet queue of Volcano Jobs submitted to Karmada",
		Long: `kurator-controller-manager runs kurator's fleet queue beside a Karmada apiserver.

Every replica serves the admission webhook that creates the ResourceBindings of Volcano
Jobs with scheduling suspended (register it in the Karmada apiserver with a
MutatingWebhookConfiguration, failurePolicy Fail and a matchCondition limiting it to
Volcano Job bindings). The elected leader dispatches: it releases each job, in order of
fleet queue priority, job priority and deadline slack, to a member where the gang fits and
the member's Volcano queue admits it now, preempts lower-priority work when a deadline is at
risk, requeues dispatches that do not start in time, and records every decision on the
bindings, from which a restarted leader carries on.`,
	}
	return component.Command(ctx, cmd, o, logs, func(fss *cliflag.NamedFlagSets) { o.AddFlags(fss.FlagSet("controller manager")) })
}

// restConfig is the Karmada apiserver's client configuration.
func (o *Options) restConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags(o.Master, o.KubeConfig)
	if err != nil {
		return nil, fmt.Errorf("loading the Karmada kubeconfig %q: %w", o.KubeConfig, err)
	}
	cfg.QPS, cfg.Burst = o.KubeAPIQPS, o.KubeAPIBurst
	cfg.UserAgent = "kurator-controller-manager"
	return cfg, nil
}

// scheme holds the types the manager and the webhook decode.
func scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := workv1alpha2.Install(s); err != nil {
		return nil, err
	}
	return s, nil
}

// karmadaClients builds the dispatcher's clients of the Karmada apiserver.
func karmadaClients(cfg *rest.Config) (controller.KarmadaClients, error) {
	var c controller.KarmadaClients
	var err error
	if c.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return c, err
	}
	if c.Karmada, err = karmadaclientset.NewForConfig(cfg); err != nil {
		return c, err
	}
	if c.Volcano, err = volcanoclient.NewForConfig(cfg); err != nil {
		return c, err
	}
	if c.Kurator, err = kuratorclientset.NewForConfig(cfg); err != nil {
		return c, err
	}
	return c, nil
}

// Run serves the webhook and, while leader, dispatches, until ctx is done.
func (o *Options) Run(ctx context.Context) error {
	ctrl.SetLogger(klog.NewKlogr())
	cfg, err := o.restConfig()
	if err != nil {
		return err
	}
	s, err := scheme()
	if err != nil {
		return fmt.Errorf("building the scheme: %w", err)
	}
	mgr, err := ctrl.NewManager(cfg, o.managerOptions(s))
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	mgr.GetWebhookServer().Register(webhook.Path, &ctrlwebhook.Admission{Handler: &webhook.Suspender{Decoder: admission.NewDecoder(s)}})
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("webhook", mgr.GetWebhookServer().StartedChecker()); err != nil {
		return err
	}

	clients, err := karmadaClients(cfg)
	if err != nil {
		return fmt.Errorf("creating the Karmada clients: %w", err)
	}
	dispatcher, err := controller.New(controller.Config{
		Clients:     clients,
		Interval:    o.CycleInterval,
		MinInterval: o.MinCycleInterval,
		Policy:      o.Policy(),
		Volcano:     o.VolcanoConfig,
		MemberQPS:   o.MemberAPIQPS,
		MemberBurst: o.MemberAPIBurst,
		Metrics:     ctrlmetrics.Registry,
	})
	if err != nil {
		return err
	}
	// A plain Runnable runs on the elected leader only.
	if err := mgr.Add(manager.RunnableFunc(dispatcher.Run)); err != nil {
		return err
	}
	klog.InfoS("Starting kurator-controller-manager", "leaderElect", o.LeaderElect, "webhook", fmt.Sprintf("%s:%d%s", o.WebhookBindAddress, o.WebhookPort, webhook.Path),
		"cycleInterval", o.CycleInterval, "volcanoConfs", o.VolcanoSchedulerConfs)
	return mgr.Start(ctx)
}

// managerOptions are the controller-runtime manager's options.
func (o *Options) managerOptions(s *runtime.Scheme) ctrl.Options {
	lease, renew, retry := o.LeaderElectLeaseDuration, o.LeaderElectRenewDeadline, o.LeaderElectRetryPeriod
	return ctrl.Options{
		Scheme:                        s,
		LeaderElection:                o.LeaderElect,
		LeaderElectionResourceLock:    "leases",
		LeaderElectionID:              o.LeaderElectResourceName,
		LeaderElectionNamespace:       o.LeaderElectResourceNamespace,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &lease,
		RenewDeadline:                 &renew,
		RetryPeriod:                   &retry,
		HealthProbeBindAddress:        o.HealthProbeBindAddress,
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsBindAddress},
		WebhookServer: ctrlwebhook.NewServer(ctrlwebhook.Options{
			Host: o.WebhookBindAddress, Port: o.WebhookPort,
			CertDir: o.WebhookCertDir, CertName: o.WebhookCertName, KeyName: o.WebhookKeyName,
		}),
	}
}
