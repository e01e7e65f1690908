package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the estimator's Prometheus metrics, in a registry of their own.
type Metrics struct {
	Registry *prometheus.Registry

	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	bindingGate   *prometheus.CounterVec
	snapshotBuild prometheus.Histogram
	snapshotGen   prometheus.Gauge
	snapshotTime  prometheus.Gauge
	synced        prometheus.Gauge
}

// Result labels of kurator_estimator_requests_total.
const (
	resultEstimated = "estimated"
	resultZero      = "zero"
	resultUnknown   = "unknown"
)

// NewMetrics creates and registers the metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kurator_estimator_requests_total",
			Help: "Estimation requests by RPC and result (estimated, zero, unknown = answered -1).",
		}, []string{"method", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kurator_estimator_request_duration_seconds",
			Help:    "Time to answer an estimation request, decoding included.",
			Buckets: []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 50e-3},
		}, []string{"method"}),
		bindingGate: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kurator_estimator_binding_gate_total",
			Help: "Answers by the admission gate that bound them (NodeFit, QueueCapability, Overcommit, QueueAllocate, ...).",
		}, []string{"gate"}),
		snapshotBuild: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kurator_estimator_snapshot_build_seconds",
			Help:    "Time to build a snapshot of the member from the informer caches.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 14),
		}),
		snapshotGen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kurator_estimator_snapshot_generation",
			Help: "Generation of the snapshot requests are answered from.",
		}),
		snapshotTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kurator_estimator_snapshot_timestamp_seconds",
			Help: "Unix time the current snapshot was built.",
		}),
		synced: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kurator_estimator_caches_synced",
			Help: "1 when every informer of the member has synced.",
		}),
	}
	m.Registry.MustRegister(m.requests, m.latency, m.bindingGate, m.snapshotBuild, m.snapshotGen, m.snapshotTime, m.synced,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
