package telemetry

import (
	"errors"
	"sync"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
)

const metricsNamespace = "kurator_telemetry"

// sourceLabel names the Thanos Query a series is about, by URL (which carries no
// credentials: Config refuses them): a process with several sources (kurator-apiserver, one
// per Thanos Query URL of the fleets) reports each on its own.
const sourceLabel = "source"

// metrics are the Source's own Prometheus metrics, with its source label.
type metrics struct {
	source   string
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	warnings *prometheus.CounterVec
	series   *prometheus.GaugeVec
	dropped  *prometheus.GaugeVec
	ages     *ageCollector
}

func newMetrics(src *Source) *metrics {
	return &metrics{
		source: src.cfg.URL,
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "query_duration_seconds",
			Help:    "Duration of the catalogue queries against Thanos Query, by catalogue entry.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{sourceLabel, "query"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "query_errors_total",
			Help: "Failed catalogue queries, by catalogue entry and error type (timeout, http, bad_data, execution, connection, ...).",
		}, []string{sourceLabel, "query", "type"}),
		warnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "query_warnings_total",
			Help: "Answers that came with warnings (Thanos partial responses), by catalogue entry.",
		}, []string{sourceLabel, "query"}),
		series: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "series",
			Help: "Series accepted from the last successful answer, by catalogue entry.",
		}, []string{sourceLabel, "query"}),
		dropped: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "series_dropped",
			Help: "Series of the last successful answer that were ignored, by catalogue entry and reason.",
		}, []string{sourceLabel, "query", "reason"}),
		ages: &ageCollector{sources: map[string]*Source{src.cfg.URL: src}},
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.duration, m.errors, m.warnings, m.series, m.dropped, m.ages}
}

// register registers the metrics, reusing collectors already registered by an earlier
// Source in the same registry (tests, or a server that rebuilds its source).
func (m *metrics) register(reg prometheus.Registerer) error {
	for i, c := range m.collectors() {
		err := reg.Register(c)
		var are prometheus.AlreadyRegisteredError
		switch {
		case err == nil:
		case errors.As(err, &are):
			switch i {
			case 0:
				m.duration = are.ExistingCollector.(*prometheus.HistogramVec)
			case 1:
				m.errors = are.ExistingCollector.(*prometheus.CounterVec)
			case 2:
				m.warnings = are.ExistingCollector.(*prometheus.CounterVec)
			case 3:
				m.series = are.ExistingCollector.(*prometheus.GaugeVec)
			case 4:
				m.dropped = are.ExistingCollector.(*prometheus.GaugeVec)
			case 5:
				existing := are.ExistingCollector.(*ageCollector)
				for name, src := range m.ages.all() {
					existing.add(name, src)
				}
				m.ages = existing
			}
		default:
			return err
		}
	}
	return nil
}

func (m *metrics) observe(st *QueryStatus, err error) {
	m.duration.WithLabelValues(m.source, st.Name).Observe(st.Duration.Seconds())
	if err != nil {
		m.errors.WithLabelValues(m.source, st.Name, errorType(err)).Inc()
		return
	}
	if len(st.Warnings) > 0 {
		m.warnings.WithLabelValues(m.source, st.Name).Inc()
	}
	m.series.WithLabelValues(m.source, st.Name).Set(float64(st.Series))
	for _, reason := range []string{DropNaN, DropInfinite, DropOutOfRange, DropMissingLabel, DropUnknownCluster, DropUnknownDest, DropDuplicate, DropNoTraffic, DropNegativeLatency} {
		m.dropped.WithLabelValues(m.source, st.Name, reason).Set(float64(st.Dropped[reason]))
	}
}

// stopped forgets the gauges of a source that stopped, unless a newer source of the same
// URL has taken its place; the counters and histograms stay, as cumulative series do.
func (m *metrics) stopped(src *Source) {
	if m.ages.remove(m.source, src) {
		m.series.DeletePartialMatch(prometheus.Labels{sourceLabel: m.source})
		m.dropped.DeletePartialMatch(prometheus.Labels{sourceLabel: m.source})
	}
}

// errorType classifies a query error for the errors metric.
func errorType(err error) string {
	var apiErr *promv1.Error
	switch {
	case errors.As(err, &apiErr):
		switch apiErr.Type {
		case promv1.ErrServer, promv1.ErrClient:
			return "http"
		default:
			return string(apiErr.Type)
		}
	case isTimeout(err):
		return "timeout"
	case errors.Is(err, errBadAnswer):
		return "bad_answer"
	default:
		return "connection"
	}
}

// ageCollector reports, at scrape time, how old each source's snapshot and each query's
// data are.
type ageCollector struct {
	mu sync.Mutex
	// sources are the running sources by source label; the latest of a URL wins.
	sources map[string]*Source
}

var (
	snapshotAgeDesc = prometheus.NewDesc(metricsNamespace+"_snapshot_age_seconds",
		"Seconds since the current snapshot was built (the refresh loop is alive while this stays below the refresh interval).", []string{sourceLabel}, nil)
	dataAgeDesc = prometheus.NewDesc(metricsNamespace+"_data_age_seconds",
		"Seconds since each catalogue query last succeeded; its samples are at least this old.", []string{sourceLabel, "query"}, nil)
	staleDesc = prometheus.NewDesc(metricsNamespace+"_stale",
		"1 when a catalogue query's data is older than maxSampleAge (plugins then score neutrally), by catalogue entry.", []string{sourceLabel, "query"}, nil)
)

func (a *ageCollector) add(name string, s *Source) {
	a.mu.Lock()
	a.sources[name] = s
	a.mu.Unlock()
}

// remove forgets s under name, and reports whether it was there.
func (a *ageCollector) remove(name string, s *Source) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sources[name] != s {
		return false
	}
	delete(a.sources, name)
	return true
}

func (a *ageCollector) all() map[string]*Source {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]*Source, len(a.sources))
	for k, v := range a.sources {
		out[k] = v
	}
	return out
}

// Describe implements prometheus.Collector.
func (a *ageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- snapshotAgeDesc
	ch <- dataAgeDesc
	ch <- staleDesc
}

// Collect implements prometheus.Collector.
func (a *ageCollector) Collect(ch chan<- prometheus.Metric) {
	for name, src := range a.all() {
		snap := src.Snapshot()
		now := src.now()
		if !snap.Time.IsZero() {
			ch <- prometheus.MustNewConstMetric(snapshotAgeDesc, prometheus.GaugeValue, now.Sub(snap.Time).Seconds(), name)
		}
		for _, q := range snap.Queries {
			stale := 1.0
			if !q.LastSuccess.IsZero() {
				age := now.Sub(q.LastSuccess)
				ch <- prometheus.MustNewConstMetric(dataAgeDesc, prometheus.GaugeValue, age.Seconds(), name, q.Name)
				if age <= snap.MaxSampleAge {
					stale = 0
				}
			}
			ch <- prometheus.MustNewConstMetric(staleDesc, prometheus.GaugeValue, stale, name, q.Name)
		}
	}
}
