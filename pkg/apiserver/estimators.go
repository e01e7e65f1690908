package apiserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	estimatorclient "github.com/karmada-io/karmada/pkg/estimator/client"
	"github.com/karmada-io/karmada/pkg/util/grpcconnection"
	"github.com/karmada-io/karmada/pkg/util/names"

	fleetstorage "kurator.dev/kurator/pkg/registry/fleet/fleet"
)

// EstimatorOptions connect kurator-apiserver to the members' scheduler-estimator services,
// the way karmada-scheduler's flags of the same names connect it, so that a PlacementReview
// shows the estimates Karmada's scheduler gets.
type EstimatorOptions struct {
	// Enabled connects to the estimators (--enable-scheduler-estimator).
	Enabled bool
	// DisableInPullMode leaves out the clusters in Pull mode.
	DisableInPullMode bool
	// Timeout bounds one estimation over all clusters.
	Timeout time.Duration
	// ServiceNamespace and ServicePrefix locate the Service of a cluster's estimator in the
	// Karmada apiserver: <prefix>-<cluster> in the namespace.
	ServiceNamespace, ServicePrefix string
	// GRPC is how to dial: the Services' port and TLS.
	GRPC grpcconnection.ClientConfig
	// Resync is how often the connections are reconciled with the Clusters.
	Resync time.Duration
}

// NewEstimatorOptions returns karmada-scheduler's defaults, estimators disabled.
func NewEstimatorOptions() *EstimatorOptions {
	return &EstimatorOptions{
		Timeout:          3 * time.Second,
		ServiceNamespace: names.NamespaceKarmadaSystem,
		ServicePrefix:    names.KarmadaSchedulerEstimatorComponentName,
		GRPC:             grpcconnection.ClientConfig{TargetPort: 10352},
		Resync:           15 * time.Second,
	}
}

// AddFlags adds karmada-scheduler's estimator flags, with the same names and meanings.
func (o *EstimatorOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Enabled, "enable-scheduler-estimator", o.Enabled,
		"Ask the members' scheduler-estimator services, as karmada-scheduler does with this flag, for the replica estimates PlacementReviews show. "+
			"Without it PlacementReviews show the general estimator's estimates only.")
	fs.BoolVar(&o.DisableInPullMode, "disable-scheduler-estimator-in-pull-mode", o.DisableInPullMode,
		"Do not ask the scheduler-estimator of clusters in Pull mode. Use karmada-scheduler's value.")
	fs.DurationVar(&o.Timeout, "scheduler-estimator-timeout", o.Timeout, "Timeout of one estimation over all clusters.")
	fs.StringVar(&o.ServiceNamespace, "scheduler-estimator-service-namespace", o.ServiceNamespace,
		"Namespace of the estimators' Services in the Karmada apiserver.")
	fs.StringVar(&o.ServicePrefix, "scheduler-estimator-service-prefix", o.ServicePrefix,
		"Prefix of the estimators' Service names: <prefix>-<cluster>.")
	fs.IntVar(&o.GRPC.TargetPort, "scheduler-estimator-port", o.GRPC.TargetPort, "Port of the estimators' Services.")
	fs.StringVar(&o.GRPC.CertFile, "scheduler-estimator-cert-file", o.GRPC.CertFile, "Client certificate for the estimators.")
	fs.StringVar(&o.GRPC.KeyFile, "scheduler-estimator-key-file", o.GRPC.KeyFile, "Key of the client certificate for the estimators.")
	fs.StringVar(&o.GRPC.ServerAuthCAFile, "scheduler-estimator-ca-file", o.GRPC.ServerAuthCAFile, "CA that signed the estimators' serving certificates.")
	fs.BoolVar(&o.GRPC.InsecureSkipServerVerify, "insecure-skip-estimator-verify", o.GRPC.InsecureSkipServerVerify,
		"Do not verify the estimators' serving certificates.")
}

// Validate checks the options.
func (o *EstimatorOptions) Validate() []error {
	if !o.Enabled {
		return nil
	}
	var errs []error
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--scheduler-estimator-timeout must be a positive duration, such as 3s"))
	}
	if o.GRPC.TargetPort <= 0 || o.GRPC.TargetPort > 65535 {
		errs = append(errs, fmt.Errorf("--scheduler-estimator-port=%d: must be a port number", o.GRPC.TargetPort))
	}
	if (o.GRPC.CertFile == "") != (o.GRPC.KeyFile == "") {
		errs = append(errs, errors.New("--scheduler-estimator-cert-file and --scheduler-estimator-key-file go together"))
	}
	return errs
}

// estimatorConnections keeps a gRPC connection to the estimator of every Karmada Cluster
// that has one, in the cache of the scheduler-estimator registered with Karmada's estimator
// client: scheduler.Estimate then asks it beside the general estimator, as Karmada's
// scheduler does.
type estimatorConnections struct {
	o        *EstimatorOptions
	clusters fleetstorage.ClusterLister
	cache    *estimatorclient.SchedulerEstimatorCache
	// connected are the clusters with a connection; failed the others' last attempt.
	connected map[string]bool
	failed    map[string]*failedConnection
	now       func() time.Time
	// connect connects to the estimator of one cluster (estimatorclient.EstablishConnection,
	// which dials for up to 10 s when the Service is missing: it falls back to DNS names).
	connect func(estimatorclient.SchedulerEstimatorServiceInfo) error
}

// failedConnection is a cluster whose estimator could not be reached: it is tried again
// after a delay that doubles with each failure, from Resync up to maxRetryDelay, so that
// clusters without an estimator (Pull clusters, usually) cost few Service reads.
type failedConnection struct {
	err   string
	next  time.Time
	delay time.Duration
}

// maxRetryDelay bounds the delay between attempts to reach one cluster's estimator.
const maxRetryDelay = 5 * time.Minute

// StartEstimators registers Karmada's scheduler-estimator client in this process and keeps
// its connections in step with the Clusters until ctx is done. A cluster whose estimator
// cannot be reached is tried again after a doubling delay (see failedConnection); until then
// the estimation ignores the scheduler-estimator's answer, as Karmada's scheduler does.
func StartEstimators(ctx context.Context, o *EstimatorOptions, kube kubernetes.Interface, clusters fleetstorage.ClusterLister) {
	c := &estimatorConnections{o: o, clusters: clusters, cache: estimatorclient.NewSchedulerEstimatorCache(),
		connected: map[string]bool{}, failed: map[string]*failedConnection{}, now: time.Now}
	c.connect = func(info estimatorclient.SchedulerEstimatorServiceInfo) error {
		return estimatorclient.EstablishConnection(kube, info, c.cache, &o.GRPC)
	}
	estimatorclient.RegisterSchedulerEstimator(estimatorclient.NewSchedulerEstimator(c.cache, o.Timeout))
	go func() {
		// The first connections as soon as the Clusters are listed, then every Resync.
		if err := wait.PollUntilContextCancel(ctx, time.Second, true, func(context.Context) (bool, error) { return clusters.HasSynced(), nil }); err != nil {
			return
		}
		wait.UntilWithContext(ctx, c.reconcile, o.Resync)
	}()
}

// reconcile connects to the estimators of new clusters, retries failed ones whose delay has
// passed and forgets clusters that went. It runs once the Clusters are listed.
func (c *estimatorConnections) reconcile(ctx context.Context) {
	list, err := c.clusters.List()
	if err != nil {
		klog.ErrorS(err, "Listing Karmada Clusters for their scheduler-estimators")
		return
	}
	seen := map[string]bool{}
	for _, cl := range list {
		if ctx.Err() != nil {
			return
		}
		if !cl.DeletionTimestamp.IsZero() || cl.Spec.SyncMode == clusterv1alpha1.Pull && c.o.DisableInPullMode {
			continue
		}
		seen[cl.Name] = true
		f := c.failed[cl.Name]
		if c.connected[cl.Name] || f != nil && c.now().Before(f.next) {
			continue
		}
		info := estimatorclient.SchedulerEstimatorServiceInfo{Name: cl.Name, Namespace: c.o.ServiceNamespace, NamePrefix: c.o.ServicePrefix}
		if err := c.connect(info); err != nil {
			if f == nil {
				f = &failedConnection{}
				c.failed[cl.Name] = f
			}
			f.delay = min(max(2*f.delay, c.o.Resync), maxRetryDelay)
			f.next = c.now().Add(f.delay)
			if msg := err.Error(); f.err != msg {
				klog.InfoS("No connection to the cluster's scheduler-estimator; retrying", "cluster", cl.Name, "err", msg, "retryIn", f.delay)
				f.err = msg
			}
			continue
		}
		delete(c.failed, cl.Name)
		c.connected[cl.Name] = true
	}
	for name := range c.connected {
		if !seen[name] {
			c.cache.DeleteCluster(name)
			delete(c.connected, name)
		}
	}
	for name := range c.failed {
		if !seen[name] {
			delete(c.failed, name)
		}
	}
}
