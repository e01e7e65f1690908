package controller

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kurator.dev/kurator/pkg/batch"
)

// Registerer registers Prometheus collectors (controller-runtime's metrics.Registry is one).
type Registerer = prometheus.Registerer

// metrics are the dispatcher's Prometheus metrics.
type metrics struct {
	cycles      prometheus.Counter
	duration    prometheus.Histogram
	decisions   *prometheus.CounterVec
	patchErrors prometheus.Counter
	jobs        *prometheus.GaugeVec
	members     *prometheus.GaugeVec
}

func newMetrics(reg Registerer) *metrics {
	m := &metrics{
		cycles: prometheus.NewCounter(prometheus.CounterOpts{Name: "kurator_fleet_queue_cycles_total", Help: "Dispatch cycles run."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kurator_fleet_queue_cycle_duration_seconds",
			Help: "Time to rebuild the input, schedule, predict and write the bindings.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kurator_fleet_queue_decisions_total",
			Help: "Decisions written to bindings, by kind (Released, Preempting, Evicted, Requeued, Rejected, Finished)."}, []string{"decision"}),
		patchErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "kurator_fleet_queue_patch_errors_total",
			Help: "Binding patches that failed (conflicts included; the next cycle decides again)."}),
		jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kurator_fleet_queue_jobs",
			Help: "Jobs of the fleet queue by phase after the last cycle."}, []string{"phase"}),
		members: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kurator_fleet_queue_member_synced",
			Help: "1 when the member's caches are synced and its cluster Ready (the core may dispatch there), else 0."}, []string{"cluster"}),
	}
	if reg != nil {
		reg.MustRegister(m.cycles, m.duration, m.decisions, m.patchErrors, m.jobs, m.members)
	}
	return m
}

func (m *metrics) observe(ci *cycleInput, _ *outcome, took time.Duration) {
	m.cycles.Inc()
	m.duration.Observe(took.Seconds())
	counts := map[batch.Phase]int{batch.PhaseQueued: 0, batch.PhaseDispatched: 0, batch.PhaseRunning: 0, batch.PhaseFinished: 0}
	for _, e := range ci.entries {
		counts[e.job.State.Phase]++
	}
	for p, n := range counts {
		m.jobs.WithLabelValues(string(p)).Set(float64(n))
	}
	for _, mb := range ci.in.Members {
		v := 0.0
		if mb.Snapshot != nil {
			v = 1
		}
		m.members.WithLabelValues(mb.Name).Set(v)
	}
}
