package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	"github.com/karmada-io/karmada/pkg/util"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"

	"kurator.dev/kurator/pkg/batch"
	"kurator.dev/kurator/pkg/estimator"
)

// Config configures the dispatcher.
type Config struct {
	// Clients are the Karmada apiserver's clients.
	Clients KarmadaClients
	// Interval is the longest time between two cycles.
	Interval time.Duration
	// MinInterval is the shortest time between two cycles: changes that arrive in between
	// are handled together by the next one.
	MinInterval time.Duration
	// Policy holds the fleet queue's tunables.
	Policy batch.Policy
	// Volcano returns the vc-scheduler configuration of a member.
	Volcano func(cluster string) estimator.Config
	// MemberQPS and MemberBurst limit each member client.
	MemberQPS   float32
	MemberBurst int
	// MemberConfig builds a member's client configuration; nil builds it from the Karmada
	// Cluster and its secret, as Karmada's controllers do for Push-mode members.
	MemberConfig ConfigBuilder
	// MemberClients, when set, builds a member's clients instead (tests).
	MemberClients ClientsBuilder
	// Metrics registers the controller's metrics; nil registers none.
	Metrics Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Controller is the fleet queue's dispatcher. Run it on the leader only.
type Controller struct {
	cfg      Config
	clients  KarmadaClients
	src      *sources
	members  *members
	memo     *batch.Memo
	recorder record.EventRecorder
	events   record.EventBroadcaster
	metrics  *metrics
	trigger  chan struct{}

	mu    sync.Mutex
	noted map[string]bool
}

// New returns a dispatcher; Run starts it.
func New(cfg Config) (*Controller, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = time.Second
	}
	if cfg.Volcano == nil {
		cfg.Volcano = func(string) estimator.Config { return estimator.DefaultConfig() }
	}
	c := &Controller{
		cfg: cfg, clients: cfg.Clients, memo: batch.NewMemo(), trigger: make(chan struct{}, 1), noted: map[string]bool{},
		metrics: newMetrics(cfg.Metrics),
	}
	src, err := newSources(cfg.Clients, cfg.Now, c.Trigger)
	if err != nil {
		return nil, err
	}
	c.src = src
	clients := cfg.MemberClients
	if clients == nil {
		build := cfg.MemberConfig
		if build == nil {
			build = c.memberConfig
		}
		clients = clientsFromConfig(build, cfg.MemberQPS, cfg.MemberBurst)
	}
	c.members = newMembers(clients, cfg.Volcano, cfg.Now, c.Trigger)

	scheme := runtime.NewScheme()
	if err := vcbatchv1alpha1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("registering Volcano's types for events: %w", err)
	}
	c.events = record.NewBroadcaster()
	c.recorder = c.events.NewRecorder(scheme, corev1.EventSource{Component: FieldManager})
	return c, nil
}

// Trigger asks for a cycle soon; triggers that arrive before it starts are coalesced.
func (c *Controller) Trigger() {
	select {
	case c.trigger <- struct{}{}:
	default:
	}
}

// Run watches the Karmada apiserver and the members and runs cycles until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	c.events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.clients.Kube.CoreV1().Events("")})
	defer c.events.Shutdown()
	defer c.members.stopAll()
	start := c.cfg.Now()
	if err := c.src.run(ctx); err != nil {
		return err
	}
	klog.InfoS("Karmada caches synced; the fleet queue starts dispatching", "elapsed", c.cfg.Now().Sub(start), "interval", c.cfg.Interval)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.trigger:
		case <-timer.C:
		}
		if wait := c.cfg.MinInterval - c.cfg.Now().Sub(last); wait > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
		}
		select {
		case <-c.trigger:
		default:
		}
		last = c.cfg.Now()
		if err := c.Cycle(ctx); err != nil {
			klog.ErrorS(err, "Fleet queue cycle failed; retrying")
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(c.cfg.Interval)
	}
}

// Cycle runs one cycle: it rebuilds the input from the caches, runs the core and writes
// its decision to the bindings.
func (c *Controller) Cycle(ctx context.Context) error {
	start := c.cfg.Now()
	now := start.Truncate(time.Second)
	ci, err := c.buildInput(ctx, now)
	if err != nil {
		return err
	}
	o := decide(ci)
	failed := c.apply(ctx, ci, o)
	c.metrics.observe(ci, o, c.cfg.Now().Sub(start))
	if failed > 0 {
		// Conflicts mean the bindings moved on: decide again with what they are now.
		c.Trigger()
	}
	d := o.decision
	if len(d.Releases)+len(d.Evictions)+len(d.Requeues) > 0 || failed > 0 {
		klog.InfoS("Fleet queue cycle", "jobs", len(ci.in.Jobs), "members", len(ci.in.Members), "releases", len(d.Releases),
			"evictions", len(d.Evictions), "requeues", len(d.Requeues), "failedPatches", failed, "checks", d.Checks, "elapsed", c.cfg.Now().Sub(start))
	} else if v := klog.V(4); v.Enabled() {
		v.InfoS("Fleet queue cycle", "jobs", len(ci.in.Jobs), "members", len(ci.in.Members), "checks", d.Checks, "elapsed", c.cfg.Now().Sub(start))
	}
	return nil
}

// memberConfig builds a member's client configuration from its Karmada Cluster and the
// secret it references, with Karmada's own helper.
func (c *Controller) memberConfig(ctx context.Context, cluster string) (*rest.Config, error) {
	return util.BuildClusterConfig(cluster,
		func(name string) (*clusterv1alpha1.Cluster, error) { return c.src.clusters.Get(name) },
		func(namespace, name string) (*corev1.Secret, error) {
			return c.clients.Kube.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
		})
}
