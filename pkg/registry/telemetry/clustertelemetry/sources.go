package clustertelemetry

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	fleetlisters "kurator.dev/kurator/pkg/generated/listers/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/telemetry"
)

// SourceOptions configure the telemetry sources: one per distinct Thanos Query URL.
type SourceOptions struct {
	// RefreshInterval, MaxSampleAge and Timeout are the telemetry.Config settings of every
	// source; zero means the telemetry package's default.
	RefreshInterval, MaxSampleAge, Timeout time.Duration
	// NewQuerier, when not nil, replaces the HTTP client of the source of a URL. For tests.
	NewQuerier func(url string) telemetry.Querier
	// Registerer, when not nil, registers the sources' metrics.
	Registerer prometheus.Registerer
	// ResyncPeriod is how often the sources are reconciled with the fleets even without a
	// fleet event; zero means a minute.
	ResyncPeriod time.Duration
}

// SourceManager runs one telemetry.Source per distinct Thanos Query URL named in the fleets'
// spec.telemetry, and stops those no fleet names any more.
type SourceManager struct {
	opts    SourceOptions
	fleets  fleetlisters.FleetLister
	synced  cache.InformerSynced
	trigger chan struct{}

	mu      sync.Mutex
	ctx     context.Context
	sources map[string]*runningSource
}

// runningSource is a source and what it was started with.
type runningSource struct {
	config telemetry.Config
	source *telemetry.Source
	err    string
	cancel context.CancelFunc
}

// NewSourceManager returns a manager of the sources of the fleets that fleets lists; synced
// reports whether that lister has been filled. Nothing runs until Run.
func NewSourceManager(opts SourceOptions, fleets fleetlisters.FleetLister, synced cache.InformerSynced) *SourceManager {
	if opts.ResyncPeriod <= 0 {
		opts.ResyncPeriod = time.Minute
	}
	return &SourceManager{opts: opts, fleets: fleets, synced: synced, trigger: make(chan struct{}, 1), sources: map[string]*runningSource{}}
}

// Trigger asks for a reconciliation soon; it never blocks. Fleet informer event handlers
// and readers that find a source missing call it.
func (m *SourceManager) Trigger() {
	select {
	case m.trigger <- struct{}{}:
	default:
	}
}

// EventHandler triggers a reconciliation on every fleet event.
func (m *SourceManager) EventHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(interface{}) { m.Trigger() },
		UpdateFunc: func(interface{}, interface{}) { m.Trigger() },
		DeleteFunc: func(interface{}) { m.Trigger() },
	}
}

// Run reconciles the sources with the fleets on every trigger and resync period until ctx is
// done, then stops every source.
func (m *SourceManager) Run(ctx context.Context) {
	m.mu.Lock()
	m.ctx = ctx
	m.mu.Unlock()
	defer m.stopAll()
	ticker := time.NewTicker(m.opts.ResyncPeriod)
	defer ticker.Stop()
	m.Trigger()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.trigger:
		case <-ticker.C:
		}
		if !m.synced() {
			// The fleet informer's first list triggers again through its event handler.
			continue
		}
		if err := m.Sync(); err != nil {
			klog.ErrorS(err, "Reconciling the telemetry sources with the fleets failed")
		}
	}
}

// Sync starts, restarts and stops sources so that exactly the URLs of the fleets run, each
// with the configuration the fleets give it.
func (m *SourceManager) Sync() error {
	fleets, err := m.fleets.List(labels.Everything())
	if err != nil {
		return err
	}
	desired := DesiredConfigs(fleets, m.opts)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx == nil || m.ctx.Err() != nil {
		return nil
	}
	for url, rs := range m.sources {
		if cfg, ok := desired[url]; !ok || !apiequality.Semantic.DeepEqual(cfg, rs.config) {
			klog.InfoS("Stopping telemetry source", "url", url, "reason", map[bool]string{true: "configuration changed", false: "no fleet names it"}[ok])
			rs.cancel()
			delete(m.sources, url)
		}
	}
	for url, cfg := range desired {
		if _, ok := m.sources[url]; ok {
			continue
		}
		m.sources[url] = m.start(cfg)
	}
	return nil
}

// start starts the source of one configuration; m.mu is held.
func (m *SourceManager) start(cfg telemetry.Config) *runningSource {
	rs := &runningSource{config: cfg, cancel: func() {}}
	var opts []telemetry.Option
	if m.opts.NewQuerier != nil {
		opts = append(opts, telemetry.WithQuerier(m.opts.NewQuerier(cfg.URL)))
	}
	if m.opts.Registerer != nil {
		opts = append(opts, telemetry.WithRegisterer(m.opts.Registerer))
	}
	src, err := telemetry.NewSource(cfg, opts...)
	if err != nil {
		klog.ErrorS(err, "Cannot start a telemetry source", "url", cfg.URL)
		rs.err = err.Error()
		return rs
	}
	ctx, cancel := context.WithCancel(m.ctx)
	rs.source, rs.cancel = src, cancel
	klog.InfoS("Starting telemetry source", "url", cfg.URL, "clusterLabel", cfg.ClusterLabel, "mappedClusters", len(cfg.ClusterMapping))
	go src.Run(ctx)
	return rs
}

func (m *SourceManager) stopAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for url, rs := range m.sources {
		rs.cancel()
		delete(m.sources, url)
	}
}

// Source returns the configuration and latest snapshot of the source of a URL, or why it
// could not be started. ok is false when no source of that URL runs (yet).
func (m *SourceManager) Source(url string) (cfg telemetry.Config, snap *telemetry.Snapshot, startErr string, ok bool) {
	m.mu.Lock()
	rs, ok := m.sources[url]
	m.mu.Unlock()
	if !ok {
		return telemetry.Config{}, nil, "", false
	}
	if rs.source == nil {
		return rs.config, nil, rs.err, true
	}
	return rs.config, rs.source.Snapshot(), "", true
}

// DesiredConfigs returns the source configuration of every Thanos Query URL the fleets name.
// Fleets sharing a URL share its source: the first fleet by name gives the cluster label,
// and the cluster mappings are merged, the first fleet by name winning for a cluster both map.
func DesiredConfigs(fleets []*fleetv1alpha1.Fleet, opts SourceOptions) map[string]telemetry.Config {
	sorted := append([]*fleetv1alpha1.Fleet(nil), fleets...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	out := map[string]telemetry.Config{}
	mapped := map[string]sets.Set[string]{}
	for _, f := range sorted {
		t := f.Spec.Telemetry
		if t == nil || t.ThanosQueryURL == "" {
			continue
		}
		cfg, ok := out[t.ThanosQueryURL]
		if !ok {
			cfg = telemetry.Config{URL: t.ThanosQueryURL, ClusterLabel: t.ClusterLabel}
			if opts.RefreshInterval > 0 {
				cfg.RefreshInterval = &metav1.Duration{Duration: opts.RefreshInterval}
			}
			if opts.MaxSampleAge > 0 {
				cfg.MaxSampleAge = &metav1.Duration{Duration: opts.MaxSampleAge}
			}
			if opts.Timeout > 0 {
				cfg.Timeout = &metav1.Duration{Duration: opts.Timeout}
			}
			mapped[t.ThanosQueryURL] = sets.New[string]()
		}
		for _, m := range t.ClusterMapping {
			if mapped[t.ThanosQueryURL].Has(m.Cluster) {
				continue
			}
			mapped[t.ThanosQueryURL].Insert(m.Cluster)
			cfg.ClusterMapping = append(cfg.ClusterMapping, telemetry.ClusterNameMapping{
				Cluster: m.Cluster, ThanosCluster: m.ThanosCluster, IstioClusterID: m.IstioClusterID,
			})
		}
		out[t.ThanosQueryURL] = cfg
	}
	for url, cfg := range out {
		cfg.SetDefaults()
		out[url] = cfg
	}
	return out
}
