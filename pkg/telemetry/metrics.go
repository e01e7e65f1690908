package telemetry

import (
	"errors"
	"sync"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
)

const metricsNamespace = "kurator_telemetry"

// metrics are the Source's own Prometheus metrics.
type metrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	warnings *prometheus.CounterVec
	series   *prometheus.GaugeVec
	dropped  *prometheus.GaugeVec
	ages     *ageCollector
}

func newMetrics(src *Source) *metrics {
	return &metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "query_duration_seconds",
			Help:    "Duration of the catalogue queries against Thanos Query, by catalogue entry.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"query"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "query_errors_total",
			Help: "Failed catalogue queries, by catalogue entry and error type (timeout, http, bad_data, execution, connection, ...).",
		}, []string{"query", "type"}),
		warnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "query_warnings_total",
			Help: "Answers that came with warnings (Thanos partial responses), by catalogue entry.",
		}, []string{"query"}),
		series: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "series",
			Help: "Series accepted from the last successful answer, by catalogue entry.",
		}, []string{"query"}),
		dropped: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "series_dropped",
			Help: "Series of the last successful answer that were ignored, by catalogue entry and reason.",
		}, []string{"query", "reason"}),
		ages: &ageCollector{src: src},
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
				existing.set(m.ages.source())
				m.ages = existing
			}
		default:
			return err
		}
	}
	return nil
}

func (m *metrics) observe(st *QueryStatus, err error) {
	m.duration.WithLabelValues(st.Name).Observe(st.Duration.Seconds())
	if err != nil {
		m.errors.WithLabelValues(st.Name, errorType(err)).Inc()
		return
	}
	if len(st.Warnings) > 0 {
		m.warnings.WithLabelValues(st.Name).Inc()
	}
	m.series.WithLabelValues(st.Name).Set(float64(st.Series))
	for _, reason := range []string{DropNaN, DropInfinite, DropOutOfRange, DropMissingLabel, DropUnknownCluster, DropUnknownDest, DropDuplicate, DropNoTraffic, DropNegativeLatency} {
		m.dropped.WithLabelValues(st.Name, reason).Set(float64(st.Dropped[reason]))
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

// ageCollector reports, at scrape time, how old the snapshot and each query's data are.
type ageCollector struct {
	mu  sync.Mutex
	src *Source
}

var (
	snapshotAgeDesc = prometheus.NewDesc(metricsNamespace+"_snapshot_age_seconds",
		"Seconds since the current snapshot was built (the refresh loop is alive while this stays below the refresh interval).", nil, nil)
	dataAgeDesc = prometheus.NewDesc(metricsNamespace+"_data_age_seconds",
		"Seconds since each catalogue query last succeeded; its samples are at least this old.", []string{"query"}, nil)
	staleDesc = prometheus.NewDesc(metricsNamespace+"_stale",
		"1 when a catalogue query's data is older than maxSampleAge (plugins then score neutrally), by catalogue entry.", []string{"query"}, nil)
)

func (a *ageCollector) set(s *Source) {
	a.mu.Lock()
	a.src = s
	a.mu.Unlock()
}

func (a *ageCollector) source() *Source {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.src
}

// Describe implements prometheus.Collector.
func (a *ageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- snapshotAgeDesc
	ch <- dataAgeDesc
	ch <- staleDesc
}

// Collect implements prometheus.Collector.
func (a *ageCollector) Collect(ch chan<- prometheus.Metric) {
	src := a.source()
	if src == nil {
		return
	}
	snap := src.Snapshot()
	now := src.now()
	if !snap.Time.IsZero() {
		ch <- prometheus.MustNewConstMetric(snapshotAgeDesc, prometheus.GaugeValue, now.Sub(snap.Time).Seconds())
	}
	for _, q := range snap.Queries {
		stale := 1.0
		if !q.LastSuccess.IsZero() {
			age := now.Sub(q.LastSuccess)
			ch <- prometheus.MustNewConstMetric(dataAgeDesc, prometheus.GaugeValue, age.Seconds(), q.Name)
			if age <= snap.MaxSampleAge {
				stale = 0
			}
		}
		ch <- prometheus.MustNewConstMetric(staleDesc, prometheus.GaugeValue, stale, q.Name)
	}
}
