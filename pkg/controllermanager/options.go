package controllermanager

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"kurator.dev/kurator/pkg/batch"
	"kurator.dev/kurator/pkg/estimator"
	estimatorapp "kurator.dev/kurator/pkg/estimator/app"
)

// Options are kurator-controller-manager's flags.
type Options struct {
	// KubeConfig and Master reach the Karmada apiserver.
	KubeConfig   string
	Master       string
	KubeAPIQPS   float32
	KubeAPIBurst int

	// Leader election: one replica dispatches; every replica serves the webhook.
	LeaderElect                  bool
	LeaderElectResourceName      string
	LeaderElectResourceNamespace string
	LeaderElectLeaseDuration     time.Duration
	LeaderElectRenewDeadline     time.Duration
	LeaderElectRetryPeriod       time.Duration

	// The webhook server.
	WebhookBindAddress string
	WebhookPort        int
	WebhookCertDir     string
	WebhookCertName    string
	WebhookKeyName     string

	HealthProbeBindAddress string
	MetricsBindAddress     string

	// The dispatcher.
	CycleInterval    time.Duration
	MinCycleInterval time.Duration
	DefaultRuntime   time.Duration

	// Members.
	MemberAPIQPS          float32
	MemberAPIBurst        int
	VolcanoSchedulerConfs map[string]string
	VolcanoDefaultQueue   string

	// volcano is the completed per-member Volcano configuration.
	volcano map[string]estimator.Config
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		KubeAPIQPS:                   50,
		KubeAPIBurst:                 100,
		LeaderElect:                  true,
		LeaderElectResourceName:      "kurator-controller-manager",
		LeaderElectResourceNamespace: "karmada-system",
		LeaderElectLeaseDuration:     15 * time.Second,
		LeaderElectRenewDeadline:     10 * time.Second,
		LeaderElectRetryPeriod:       2 * time.Second,
		WebhookPort:                  9443,
		WebhookCertDir:               "/etc/kurator/webhook",
		WebhookCertName:              "tls.crt",
		WebhookKeyName:               "tls.key",
		HealthProbeBindAddress:       ":8081",
		MetricsBindAddress:           ":8080",
		CycleInterval:                10 * time.Second,
		MinCycleInterval:             time.Second,
		DefaultRuntime:               batch.DefaultPolicy().DefaultRuntime,
		MemberAPIQPS:                 20,
		MemberAPIBurst:               40,
		VolcanoDefaultQueue:          estimator.DefaultConfig().DefaultQueue,
	}
}

// AddFlags registers the flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.KubeConfig, "kubeconfig", o.KubeConfig, "Path to the Karmada apiserver's kubeconfig (empty: in-cluster).")
	fs.StringVar(&o.Master, "master", o.Master, "The address of the Karmada apiserver; overrides the kubeconfig.")
	fs.Float32Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "QPS to the Karmada apiserver.")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Burst to the Karmada apiserver.")

	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect,
		"Elect one replica to dispatch (a Lease in the Karmada apiserver); every replica serves the webhook.")
	fs.StringVar(&o.LeaderElectResourceName, "leader-elect-resource-name", o.LeaderElectResourceName, "Name of the leader election Lease.")
	fs.StringVar(&o.LeaderElectResourceNamespace, "leader-elect-resource-namespace", o.LeaderElectResourceNamespace, "Namespace of the leader election Lease.")
	fs.DurationVar(&o.LeaderElectLeaseDuration, "leader-elect-lease-duration", o.LeaderElectLeaseDuration, "How long a non-leader waits before taking over an unrenewed Lease.")
	fs.DurationVar(&o.LeaderElectRenewDeadline, "leader-elect-renew-deadline", o.LeaderElectRenewDeadline, "How long the leader keeps trying to renew before it stops dispatching.")
	fs.DurationVar(&o.LeaderElectRetryPeriod, "leader-elect-retry-period", o.LeaderElectRetryPeriod, "How often candidates try to acquire or renew the Lease.")

	fs.StringVar(&o.WebhookBindAddress, "webhook-bind-address", o.WebhookBindAddress, "IP address the admission webhook listens on (empty: all interfaces).")
	fs.IntVar(&o.WebhookPort, "webhook-port", o.WebhookPort, "Port of the admission webhook (HTTPS).")
	fs.StringVar(&o.WebhookCertDir, "webhook-cert-dir", o.WebhookCertDir,
		"Directory holding the webhook's serving certificate and key (reloaded when they change).")
	fs.StringVar(&o.WebhookCertName, "webhook-cert-name", o.WebhookCertName, "File name of the serving certificate in --webhook-cert-dir.")
	fs.StringVar(&o.WebhookKeyName, "webhook-key-name", o.WebhookKeyName, "File name of the serving key in --webhook-cert-dir.")
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress,
		"Address serving /healthz and /readyz (ready once the webhook serves); \"0\" disables it.")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress, "Address serving Prometheus metrics at /metrics; \"0\" disables it.")

	fs.DurationVar(&o.CycleInterval, "cycle-interval", o.CycleInterval, "Longest time between two dispatch cycles (changes trigger one sooner).")
	fs.DurationVar(&o.MinCycleInterval, "min-cycle-interval", o.MinCycleInterval, "Shortest time between two dispatch cycles; changes in between are handled together.")
	fs.DurationVar(&o.DefaultRuntime, "default-runtime", o.DefaultRuntime,
		"Runtime assumed for Volcano Jobs without spec.runningEstimate (keep it equal to kurator-apiserver's, which shows slack in the BatchJob view).")

	fs.Float32Var(&o.MemberAPIQPS, "member-api-qps", o.MemberAPIQPS, "QPS to each member's apiserver.")
	fs.IntVar(&o.MemberAPIBurst, "member-api-burst", o.MemberAPIBurst, "Burst to each member's apiserver.")
	fs.StringToStringVar(&o.VolcanoSchedulerConfs, "volcano-scheduler-conf", o.VolcanoSchedulerConfs,
		"Member to vc-scheduler configuration file (cluster=path,...): queue plugin, actions and overcommit of that member's Volcano; members not named get Volcano's defaults (proportion, no preemption).")
	fs.StringVar(&o.VolcanoDefaultQueue, "volcano-default-queue", o.VolcanoDefaultQueue, "The members' vc-scheduler --default-queue.")
}

// Complete reads the members' Volcano configurations.
func (o *Options) Complete() error {
	base := estimator.DefaultConfig()
	base.DefaultQueue = o.VolcanoDefaultQueue
	o.volcano = map[string]estimator.Config{}
	for cluster, path := range o.VolcanoSchedulerConfs {
		cfg, err := estimatorapp.VolcanoConfigFromFile(path, base)
		if err != nil {
			return fmt.Errorf("--volcano-scheduler-conf %s=%s: %w", cluster, path, err)
		}
		o.volcano[cluster] = cfg
	}
	return nil
}

// Validate checks the completed options.
func (o *Options) Validate() error {
	if o.WebhookPort < 1 || o.WebhookPort > 65535 {
		return fmt.Errorf("--webhook-port %d is not a port", o.WebhookPort)
	}
	if o.WebhookBindAddress != "" && net.ParseIP(o.WebhookBindAddress) == nil {
		return fmt.Errorf("--webhook-bind-address %q is not an IP address", o.WebhookBindAddress)
	}
	for flag, addr := range map[string]string{"--metrics-bind-address": o.MetricsBindAddress, "--health-probe-bind-address": o.HealthProbeBindAddress} {
		if addr == "" || addr == "0" {
			continue
		}
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("%s %q is not host:port: %w", flag, addr, err)
		}
		if _, err := strconv.Atoi(port); err != nil {
			return fmt.Errorf("%s %q has no numeric port", flag, addr)
		}
	}
	if o.CycleInterval <= 0 || o.MinCycleInterval <= 0 || o.MinCycleInterval > o.CycleInterval {
		return fmt.Errorf("--cycle-interval %v and --min-cycle-interval %v must be positive, the minimum no larger", o.CycleInterval, o.MinCycleInterval)
	}
	if o.DefaultRuntime <= 0 {
		return fmt.Errorf("--default-runtime %v must be positive", o.DefaultRuntime)
	}
	if o.LeaderElect && (o.LeaderElectRenewDeadline >= o.LeaderElectLeaseDuration || o.LeaderElectRetryPeriod <= 0) {
		return fmt.Errorf("--leader-elect-renew-deadline %v must be shorter than --leader-elect-lease-duration %v, and --leader-elect-retry-period positive",
			o.LeaderElectRenewDeadline, o.LeaderElectLeaseDuration)
	}
	for cluster, cfg := range o.volcano {
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("--volcano-scheduler-conf %s: %w", cluster, err)
		}
	}
	return nil
}

// VolcanoConfig is the vc-scheduler configuration of a member.
func (o *Options) VolcanoConfig(cluster string) estimator.Config {
	if cfg, ok := o.volcano[cluster]; ok {
		return cfg
	}
	cfg := estimator.DefaultConfig()
	cfg.DefaultQueue = o.VolcanoDefaultQueue
	return cfg
}

// Policy is the fleet queue's policy.
func (o *Options) Policy() batch.Policy {
	p := batch.DefaultPolicy()
	p.DefaultRuntime = o.DefaultRuntime
	return p
}
