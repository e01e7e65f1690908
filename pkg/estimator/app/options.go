package app

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"kurator.dev/kurator/pkg/estimator"
)

// Volcano detection modes of --volcano.
const (
	volcanoAuto = "auto"
	volcanoOn   = "true"
	volcanoOff  = "false"
)

// Options are kurator-estimator's flags. The connection and serving flags mirror Karmada's
// karmada-scheduler-estimator, so kurator-estimator drops into its Deployment.
type Options struct {
	KubeConfig  string
	Master      string
	ClusterName string
	// BindAddress is the address the gRPC server listens on (empty: all interfaces, as
	// Karmada's estimator).
	BindAddress string
	ServerPort  int

	InsecureSkipGrpcClientVerify bool
	GrpcAuthCertFile             string
	GrpcAuthKeyFile              string
	GrpcClientCaFile             string

	KubeAPIQPS   float32
	KubeAPIBurst int

	MetricsBindAddress     string
	HealthProbeBindAddress string

	// SchedulerConf is the member's vc-scheduler configuration file; the flags below
	// override what it says.
	SchedulerConf            string
	QueuePlugin              string
	VolcanoActions           string
	OvercommitFactor         float64
	DefaultQueue             string
	NamespaceQueues          map[string]string
	PreemptKeepsMinAvailable bool
	ReclaimKeepsMinAvailable bool
	Volcano                  string

	SnapshotInterval time.Duration

	changed func(name string) bool
	config  estimator.Config
}

// NewOptions returns the defaults: Karmada's estimator ports and Volcano's default
// scheduler configuration.
func NewOptions() *Options {
	d := estimator.DefaultConfig()
	return &Options{
		ServerPort:               10352,
		KubeAPIQPS:               20,
		KubeAPIBurst:             30,
		MetricsBindAddress:       ":8080",
		HealthProbeBindAddress:   ":10351",
		QueuePlugin:              string(d.QueuePlugin),
		VolcanoActions:           "enqueue, allocate, backfill",
		OvercommitFactor:         d.OvercommitFactor,
		DefaultQueue:             d.DefaultQueue,
		PreemptKeepsMinAvailable: d.PreemptKeepsMinAvailable,
		ReclaimKeepsMinAvailable: d.ReclaimKeepsMinAvailable,
		Volcano:                  volcanoAuto,
		SnapshotInterval:         50 * time.Millisecond,
	}
}

// AddFlags registers the flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.KubeConfig, "kubeconfig", o.KubeConfig, "Path to the member cluster's kubeconfig file.")
	fs.StringVar(&o.Master, "master", o.Master, "The address of the member's Kubernetes API server; overrides the kubeconfig.")
	fs.StringVar(&o.ClusterName, "cluster-name", o.ClusterName, "Name of the member cluster (the Karmada Cluster) the estimator serves.")
	fs.StringVar(&o.BindAddress, "bind-address", o.BindAddress, "IP address the gRPC server listens on (empty: all interfaces).")
	fs.IntVar(&o.ServerPort, "server-port", o.ServerPort, "The port on which to serve gRPC.")
	fs.StringVar(&o.GrpcAuthCertFile, "grpc-auth-cert-file", o.GrpcAuthCertFile, "SSL certificate file for gRPC TLS; plaintext when empty.")
	fs.StringVar(&o.GrpcAuthKeyFile, "grpc-auth-key-file", o.GrpcAuthKeyFile, "SSL key file for gRPC TLS.")
	fs.StringVar(&o.GrpcClientCaFile, "grpc-client-ca-file", o.GrpcClientCaFile, "CA file to verify gRPC client certificates (mutual TLS).")
	fs.BoolVar(&o.InsecureSkipGrpcClientVerify, "insecure-skip-grpc-client-verify", o.InsecureSkipGrpcClientVerify,
		"Accept gRPC clients without verifying their certificates even when --grpc-client-ca-file is set.")
	fs.Float32Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "QPS to the member's API server.")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Burst to the member's API server.")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress, "Address serving Prometheus metrics at /metrics; \"0\" disables it.")
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress,
		"Address serving /healthz (alive) and /readyz (caches synced); \"0\" disables it.")

	fs.StringVar(&o.SchedulerConf, "scheduler-conf", o.SchedulerConf,
		"The member's vc-scheduler configuration file; queue plugin, actions, overcommit factor and gang victim rules are read from it (explicit flags win).")
	fs.StringVar(&o.QueuePlugin, "queue-plugin", o.QueuePlugin, "Queue plugin of the member's vc-scheduler: proportion, capacity or none (node fit only).")
	fs.StringVar(&o.VolcanoActions, "volcano-actions", o.VolcanoActions,
		"Actions of the member's vc-scheduler, as in its configuration; preempt and reclaim make capacity held by lower-priority preemptable pods count.")
	fs.Float64Var(&o.OvercommitFactor, "overcommit-factor", o.OvercommitFactor, "overcommit-factor of the member's overcommit plugin; 0 when the plugin is not enabled.")
	fs.StringVar(&o.DefaultQueue, "default-queue", o.DefaultQueue,
		"Queue of workloads whose namespace maps to no queue (vc-scheduler --default-queue); empty: such workloads get node fit only.")
	fs.StringToStringVar(&o.NamespaceQueues, "namespace-queue", o.NamespaceQueues,
		"Namespace to Volcano queue mapping (ns=queue,...); takes precedence over the namespace's scheduling.volcano.sh/queue-name annotation.")
	fs.BoolVar(&o.PreemptKeepsMinAvailable, "preempt-keeps-min-available", o.PreemptKeepsMinAvailable,
		"Preempt victims keep their job's minAvailable (false when the gang plugin has enablePreemptable: false).")
	fs.BoolVar(&o.ReclaimKeepsMinAvailable, "reclaim-keeps-min-available", o.ReclaimKeepsMinAvailable,
		"Reclaim victims keep their job's minAvailable (false when the gang plugin has enableReclaimable: false).")
	fs.StringVar(&o.Volcano, "volcano", o.Volcano, "Model Volcano queues: auto (when the member serves scheduling.volcano.sh/v1beta1), true or false.")
	fs.DurationVar(&o.SnapshotInterval, "snapshot-interval", o.SnapshotInterval, "Least time between two snapshots of the member (changes are batched).")
	o.changed = fs.Changed
}

// Complete derives the model configuration from the configuration file and the flags.
func (o *Options) Complete() error {
	changed := o.changed
	if changed == nil {
		changed = func(string) bool { return true }
	}
	cfg := estimator.DefaultConfig()
	cfg.DefaultQueue = o.DefaultQueue
	if o.SchedulerConf != "" {
		var err error
		if cfg, err = VolcanoConfigFromFile(o.SchedulerConf, cfg); err != nil {
			return err
		}
	}
	if o.SchedulerConf == "" || changed("queue-plugin") {
		cfg.QueuePlugin = estimator.QueuePlugin(o.QueuePlugin)
	}
	if o.SchedulerConf == "" || changed("volcano-actions") {
		cfg.Preempt, cfg.Reclaim = parseActions(o.VolcanoActions)
	}
	if o.SchedulerConf == "" || changed("overcommit-factor") {
		cfg.OvercommitFactor = o.OvercommitFactor
	}
	if o.SchedulerConf == "" || changed("preempt-keeps-min-available") {
		cfg.PreemptKeepsMinAvailable = o.PreemptKeepsMinAvailable
	}
	if o.SchedulerConf == "" || changed("reclaim-keeps-min-available") {
		cfg.ReclaimKeepsMinAvailable = o.ReclaimKeepsMinAvailable
	}
	cfg.NamespaceQueues = o.NamespaceQueues
	if o.Volcano == volcanoOff {
		cfg.QueuePlugin = estimator.QueuePluginNone
	}
	o.config = cfg
	return nil
}

func parseActions(actions string) (preempt, reclaim bool) {
	for _, a := range strings.Split(actions, ",") {
		switch strings.TrimSpace(a) {
		case "preempt":
			preempt = true
		case "reclaim":
			reclaim = true
		}
	}
	return preempt, reclaim
}

// Validate checks the options and names the flag to fix.
func (o *Options) Validate() error {
	if o.ClusterName == "" {
		return fmt.Errorf("--cluster-name is required: the Karmada Cluster name this estimator serves")
	}
	if o.ServerPort <= 0 || o.ServerPort > 65535 {
		return fmt.Errorf("--server-port %d is not a port", o.ServerPort)
	}
	if o.BindAddress != "" && net.ParseIP(o.BindAddress) == nil {
		return fmt.Errorf("--bind-address %q is not an IP address", o.BindAddress)
	}
	for flag, addr := range map[string]string{"--metrics-bind-address": o.MetricsBindAddress, "--health-probe-bind-address": o.HealthProbeBindAddress} {
		if addr == "" || addr == "0" {
			continue
		}
		if _, port, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%s %q is not host:port: %w", flag, addr, err)
		} else if _, err := strconv.Atoi(port); err != nil {
			return fmt.Errorf("%s %q has no numeric port", flag, addr)
		}
	}
	if (o.GrpcAuthCertFile == "") != (o.GrpcAuthKeyFile == "") {
		return fmt.Errorf("--grpc-auth-cert-file and --grpc-auth-key-file go together: set both for TLS or neither for plaintext")
	}
	switch o.Volcano {
	case volcanoAuto, volcanoOn, volcanoOff:
	default:
		return fmt.Errorf("--volcano %q: use auto, true or false", o.Volcano)
	}
	if o.SnapshotInterval < 0 {
		return fmt.Errorf("--snapshot-interval %v is negative", o.SnapshotInterval)
	}
	if err := o.config.Validate(); err != nil {
		return fmt.Errorf("volcano configuration (--queue-plugin, --overcommit-factor, --namespace-queue or --scheduler-conf): %w", err)
	}
	return nil
}

// EstimatorConfig is the completed model configuration.
func (o *Options) EstimatorConfig() estimator.Config { return o.config }
