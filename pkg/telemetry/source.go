package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/klog/v2"
)

// errBadAnswer marks answers that parsed as JSON but not as what the catalogue expects.
var errBadAnswer = errors.New("unexpected answer")

// Querier is the part of the Prometheus API a Source uses.
type Querier interface {
	Query(ctx context.Context, query string, ts time.Time, opts ...promv1.Option) (model.Value, promv1.Warnings, error)
}

// entryKind is what a catalogue entry measures.
type entryKind int

const (
	kindUtilization entryKind = iota
	kindFreshness
	kindLatency
	kindRequests
)

type entry struct {
	name     string
	kind     entryKind
	resource corev1.ResourceName
	query    string
}

// Source refreshes the catalogue in the background and serves the latest Snapshot.
type Source struct {
	cfg      Config
	api      Querier
	names    *Names
	entries  []entry
	now      func() time.Time
	metrics  *metrics
	snapshot atomic.Pointer[Snapshot]

	refreshMu sync.Mutex
	lastState map[string]string // per query: "" when healthy, else the last logged problem
}

// Option customizes a Source.
type Option func(*Source)

// WithQuerier replaces the HTTP client, for tests.
func WithQuerier(q Querier) Option { return func(s *Source) { s.api = q } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// WithRegisterer registers the Source's metrics in reg (by default they are not registered).
func WithRegisterer(reg prometheus.Registerer) Option {
	return func(s *Source) {
		if err := s.metrics.register(reg); err != nil {
			klog.ErrorS(err, "Could not register the telemetry metrics")
		}
	}
}

// NewSource checks and defaults cfg and returns a Source whose snapshot is empty until the
// first Refresh.
func NewSource(cfg Config, opts ...Option) (*Source, error) {
	cfg.SetDefaults()
	if errs := cfg.Validate(nil); len(errs) > 0 {
		return nil, fmt.Errorf("invalid telemetry configuration: %w", errs.ToAggregate())
	}
	s := &Source{cfg: cfg, names: NewNames(cfg.ClusterMapping, cfg.IgnoreUnmappedClusters), now: time.Now, lastState: map[string]string{}}
	notQueried := "not queried yet"

	for _, u := range cfg.Queries.Utilization {
		if u.Query != Disabled {
			s.entries = append(s.entries, entry{name: "utilization/" + string(u.Resource), kind: kindUtilization, resource: u.Resource, query: u.Query})
		}
	}
	for _, e := range []entry{
		{name: "freshness", kind: kindFreshness, query: cfg.Queries.Freshness},
		{name: "latency", kind: kindLatency, query: cfg.Queries.Latency},
		{name: "requests", kind: kindRequests, query: cfg.Queries.Requests},
	} {
		if e.query != Disabled {
			s.entries = append(s.entries, e)
		}
	}
	s.metrics = newMetrics(s)
	empty := Empty()
	empty.MaxSampleAge = cfg.MaxSampleAge.Duration
	empty.Resources = s.resources()
	empty.utilization = make([][]Sample, len(empty.Resources))
	for _, e := range s.entries {
		empty.Queries = append(empty.Queries, QueryStatus{Name: e.name, Query: e.query, Error: notQueried})
		s.lastState[e.name] = notQueried // so that the first answer is logged
	}
	s.snapshot.Store(empty)
	for _, o := range opts {
		o(s)
	}
	if s.api == nil {
		a, err := NewAPI(&s.cfg)
		if err != nil {
			return nil, err
		}
		s.api = a
	}
	return s, nil
}

// Config returns the defaulted configuration.
func (s *Source) Config() Config { return s.cfg }

// Names returns the cluster name translation.
func (s *Source) Names() *Names { return s.names }

// Snapshot returns the latest snapshot; never nil.
func (s *Source) Snapshot() *Snapshot { return s.snapshot.Load() }

func (s *Source) resources() []corev1.ResourceName {
	var out []corev1.ResourceName
	for _, e := range s.entries {
		if e.kind == kindUtilization {
			out = append(out, e.resource)
		}
	}
	return out
}

// Run refreshes now and then every refresh interval until ctx is done.
func (s *Source) Run(ctx context.Context) {
	klog.InfoS("Starting telemetry refresh", "url", s.cfg.URL, "interval", s.cfg.RefreshInterval.Duration, "queries", len(s.entries))
	defer s.metrics.stopped(s)
	wait.UntilWithContext(ctx, func(ctx context.Context) { s.Refresh(ctx) }, s.cfg.RefreshInterval.Duration)
}

// answer is the outcome of one query.
type answer struct {
	value    model.Value
	warnings []string
	err      error
	duration time.Duration
}

// Refresh runs every catalogue query once, concurrently, and publishes the new snapshot.
func (s *Source) Refresh(ctx context.Context) *Snapshot {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	now := s.now()
	answers := make([]answer, len(s.entries))
	var wg sync.WaitGroup
	for i, e := range s.entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = s.query(ctx, e, now)
		}()
	}
	wg.Wait()
	snap := s.build(s.Snapshot(), answers, now, s.now())
	s.snapshot.Store(snap)
	s.logTransitions(snap)
	return snap
}

func (s *Source) query(ctx context.Context, e entry, now time.Time) answer {
	timeout := s.cfg.Timeout.Duration
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	v, warnings, err := s.api.Query(qctx, e.query, now, promv1.WithTimeout(timeout))
	a := answer{value: v, warnings: warnings, duration: time.Since(start)}
	if err != nil {
		if qctx.Err() != nil && ctx.Err() == nil {
			err = fmt.Errorf("timed out after %s: %w", timeout, err)
		}
		a.err = fmt.Errorf("querying %s: %w", s.cfg.URL, err)
	}
	return a
}

// build turns answers into a snapshot, carrying forward the previous data of failed queries.
// now is when the queries were evaluated; done is when they all came back.
func (s *Source) build(prev *Snapshot, answers []answer, now, done time.Time) *Snapshot {
	raw := rawResults{utilization: map[corev1.ResourceName]map[string]Sample{}, latency: prev.raw.latency, flows: prev.raw.flows}
	statuses := make([]QueryStatus, len(s.entries))
	unknown := map[string]bool{}
	freshOK := false
	fresh := map[string]int64{}
	answered := map[corev1.ResourceName]bool{}
	for i, e := range s.entries {
		a := answers[i]
		st := QueryStatus{Name: e.name, Query: e.query, LastAttempt: now, Duration: a.duration}
		st.Warnings, st.Infos = splitInfos(a.warnings)
		if old, ok := prev.Status(e.name); ok {
			st.LastSuccess = old.LastSuccess
		}
		var p parsed
		err := a.err
		if err == nil {
			switch e.kind {
			case kindUtilization:
				var v map[string]Sample
				if v, p, err = parseUtilization(a.value, s.cfg.ClusterLabel, s.names); err == nil {
					raw.utilization[e.resource] = v
					answered[e.resource] = true
				}
			case kindFreshness:
				var v map[string]int64
				if v, p, err = parseFreshness(a.value, s.cfg.ClusterLabel, s.names); err == nil {
					fresh, freshOK = v, true
				}
			case kindLatency:
				var v map[clusterPair]Sample
				if v, p, err = parseLatency(a.value, s.names); err == nil {
					raw.latency = v
				}
			case kindRequests:
				var v []Flow
				if v, p, err = parseRequests(a.value, s.names); err == nil {
					raw.flows = v
				}
			}
			if err != nil {
				err = fmt.Errorf("%w: %v", errBadAnswer, err)
			}
		}
		if err != nil {
			st.Error = err.Error()
			st.Warnings, st.Infos = nil, nil
			if e.kind == kindUtilization {
				raw.utilization[e.resource] = prev.raw.utilization[e.resource]
			}
		} else {
			st.LastSuccess = done
			st.Series, st.Dropped = p.series, p.dropped
			for u := range p.unknown {
				unknown[u] = true
			}
		}
		s.metrics.observe(&st, err)
		statuses[i] = st
	}
	if !freshOK {
		fresh = nil
	}
	// Date utilization by the newest raw sample of the cluster when the freshness query says
	// it is older than the evaluation time of the instant query.
	for res, byCluster := range raw.utilization {
		if fresh == nil || !answered[res] {
			continue
		}
		for c, v := range byCluster {
			if t, ok := fresh[c]; ok && t < v.Time {
				v.Time = t
				byCluster[c] = v
			}
		}
	}
	raw.freshness = fresh
	snap := newSnapshot(raw, s.resources())
	snap.Generation = prev.Generation + 1
	snap.Time = done
	snap.MaxSampleAge = s.cfg.MaxSampleAge.Duration
	snap.Queries = statuses
	for u := range unknown {
		snap.UnknownClusters = append(snap.UnknownClusters, u)
	}
	sort.Strings(snap.UnknownClusters)
	return snap
}

// logTransitions logs a query's problems when they start, change or end, not at every refresh.
func (s *Source) logTransitions(snap *Snapshot) {
	for _, q := range snap.Queries {
		state := q.Error
		if state == "" && len(q.Warnings) > 0 {
			state = "partial: " + strings.Join(q.Warnings, "; ")
		}
		if state == s.lastState[q.Name] {
			continue
		}
		switch {
		case q.Error != "":
			klog.ErrorS(errors.New(q.Error), "Telemetry query failing; keeping its previous samples until they are stale",
				"query", q.Name, "lastSuccess", q.LastSuccess, "maxSampleAge", snap.MaxSampleAge)
		case state != "":
			klog.InfoS("Telemetry query answered partially", "query", q.Name, "warnings", q.Warnings)
		default:
			klog.InfoS("Telemetry query healthy", "query", q.Name, "series", q.Series, "dropped", q.Dropped)
		}
		s.lastState[q.Name] = state
	}
	if key := strings.Join(snap.UnknownClusters, ","); key != s.lastState["\x00unknown"] {
		if key != "" {
			klog.InfoS("Telemetry names clusters that map to no Karmada cluster; add them to clusterMapping or ignore them",
				"names", snap.UnknownClusters)
		}
		s.lastState["\x00unknown"] = key
	}
}

// promQLInfoPrefix starts the PromQL annotations Thanos returns among warnings.
const promQLInfoPrefix = "PromQL info:"

func splitInfos(warnings []string) (warns, infos []string) {
	for _, w := range warnings {
		if strings.HasPrefix(w, promQLInfoPrefix) {
			infos = append(infos, w)
		} else {
			warns = append(warns, w)
		}
	}
	return warns, infos
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
