// Package exporter serves the synthetic telemetry of a kurator-up scenario: per-node
// utilization in node_exporter and DCGM metric names, and Istio standard request metrics
// between clusters, one /members/<name>/metrics page per member for that member's Prometheus.
// The scenario file is re-read when it changes, so tests move utilization and latency live.
package exporter

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/klog/v2"

	"kurator.dev/kurator/pkg/localup"
)

// IstioDurationBuckets are Istio's default buckets of istio_request_duration_milliseconds.
var IstioDurationBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// Exporter holds the scenario and the counters integrated from its rates.
type Exporter struct {
	path string
	now  func() time.Time

	mu       sync.Mutex
	scenario *localup.Scenario
	hash     string
	modTime  time.Time
	size     int64
	loadErr  error
	// counters are integrated per member: value += rate * elapsed, at each scrape of that member.
	counters map[string]map[string]float64
	last     map[string]time.Time
}

// New loads the scenario file and returns an exporter for it.
func New(path string, now func() time.Time) (*Exporter, error) {
	e := &Exporter{path: path, now: now, counters: map[string]map[string]float64{}, last: map[string]time.Time{}}
	if err := e.reload(); err != nil {
		return nil, err
	}
	return e, nil
}

// reload re-reads the scenario file when its size or modification time changed. An invalid
// file is reported and the previous scenario kept.
func (e *Exporter) reload() error {
	st, err := os.Stat(e.path)
	if err != nil {
		return fmt.Errorf("reading scenario %s: %w", e.path, err)
	}
	e.mu.Lock()
	unchanged := e.scenario != nil && st.ModTime().Equal(e.modTime) && st.Size() == e.size
	e.mu.Unlock()
	if unchanged {
		return nil
	}
	data, err := os.ReadFile(e.path)
	if err != nil {
		return fmt.Errorf("reading scenario %s: %w", e.path, err)
	}
	s, err := localup.ParseScenario(data)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.modTime, e.size = st.ModTime(), st.Size()
	if err != nil {
		e.loadErr = fmt.Errorf("scenario %s: %w", e.path, err)
		return e.loadErr
	}
	e.scenario, e.hash, e.loadErr = s, localup.ScenarioHash(data), nil
	klog.InfoS("Loaded scenario", "path", e.path, "name", s.Name, "hash", e.hash)
	return nil
}

// Watch re-reads the scenario file every interval until stop is closed.
func (e *Exporter) Watch(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := e.reload(); err != nil {
				klog.ErrorS(err, "Keeping the previous scenario")
			}
		}
	}
}

// Handler serves /members/<name>/metrics, /scenario (name and hash of the loaded scenario)
// and /healthz.
func (e *Exporter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/scenario", func(w http.ResponseWriter, _ *http.Request) {
		e.mu.Lock()
		body := map[string]string{"name": e.scenario.Name, "hash": e.hash}
		if e.loadErr != nil {
			body["error"] = e.loadErr.Error()
		}
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
	mux.HandleFunc("/members/{member}/metrics", func(w http.ResponseWriter, r *http.Request) {
		member := r.PathValue("member")
		e.mu.Lock()
		_, ok := e.scenario.Member(member)
		e.mu.Unlock()
		if !ok {
			http.Error(w, fmt.Sprintf("member %q is not in the scenario", member), http.StatusNotFound)
			return
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(&memberCollector{e: e, member: member})
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	})
	return mux
}

// ScenarioHash returns the hash of the loaded scenario file.
func (e *Exporter) ScenarioHash() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hash
}

var (
	descCPU       = prometheus.NewDesc("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", []string{"instance", "cpu", "mode"}, nil)
	descMemTotal  = prometheus.NewDesc("node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes.", []string{"instance"}, nil)
	descMemAvail  = prometheus.NewDesc("node_memory_MemAvailable_bytes", "Memory information field MemAvailable_bytes.", []string{"instance"}, nil)
	descGPU       = prometheus.NewDesc("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", []string{"gpu", "Hostname", "modelName"}, nil)
	istioLabels   = []string{"reporter", "source_cluster", "source_workload", "source_workload_namespace", "destination_cluster", "destination_service", "destination_service_name", "destination_service_namespace", "destination_workload", "destination_workload_namespace", "request_protocol", "response_code"}
	descRequests  = prometheus.NewDesc("istio_requests_total", "Requests handled by the Istio proxies.", istioLabels, nil)
	descDuration  = prometheus.NewDesc("istio_request_duration_milliseconds", "Request duration seen by the Istio proxies.", istioLabels, nil)
	descScenario  = prometheus.NewDesc("kurator_synthetic_scenario_info", "The scenario the synthetic exporter serves.", []string{"scenario", "hash"}, nil)
	descNodeCount = prometheus.NewDesc("kurator_synthetic_nodes", "Nodes of the member in the scenario.", nil, nil)
)

type memberCollector struct {
	e      *Exporter
	member string
}

func (c *memberCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCPU, descMemTotal, descMemAvail, descGPU, descRequests, descDuration, descScenario, descNodeCount} {
		ch <- d
	}
}

func (c *memberCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.e.Sample(c.member) {
		ch <- s
	}
}

// Sample advances the member's counters to now and returns its metrics.
func (e *Exporter) Sample(member string) []prometheus.Metric {
	e.mu.Lock()
	defer e.mu.Unlock()
	m, ok := e.scenario.Member(member)
	if !ok {
		return nil
	}
	now := e.now()
	dt := 0.0
	if last, ok := e.last[member]; ok {
		dt = now.Sub(last).Seconds()
	}
	e.last[member] = now
	counters := e.counters[member]
	if counters == nil {
		counters = map[string]float64{}
		e.counters[member] = counters
	}
	add := func(key string, rate float64) float64 {
		counters[key] += rate * dt
		return counters[key]
	}

	var out []prometheus.Metric
	out = append(out, prometheus.MustNewConstMetric(descScenario, prometheus.GaugeValue, 1, e.scenario.Name, e.hash))
	nodes := localup.Nodes(m)
	out = append(out, prometheus.MustNewConstMetric(descNodeCount, prometheus.GaugeValue, float64(len(nodes))))
	u := m.Utilization
	for _, n := range nodes {
		idle := add("cpu/idle/"+n.Name, 1-u.CPU)
		user := add("cpu/user/"+n.Name, u.CPU)
		out = append(out,
			prometheus.MustNewConstMetric(descCPU, prometheus.CounterValue, idle, n.Name, "0", "idle"),
			prometheus.MustNewConstMetric(descCPU, prometheus.CounterValue, user, n.Name, "0", "user"))
		mem := n.Status.Capacity.Memory().AsApproximateFloat64()
		out = append(out,
			prometheus.MustNewConstMetric(descMemTotal, prometheus.GaugeValue, mem, n.Name),
			prometheus.MustNewConstMetric(descMemAvail, prometheus.GaugeValue, mem*(1-u.Memory), n.Name))
		if gpus, ok := n.Status.Capacity[localup.GPUResource]; ok {
			for i := int64(0); i < gpus.Value(); i++ {
				out = append(out, prometheus.MustNewConstMetric(descGPU, prometheus.GaugeValue, 100*u.GPU, strconv.FormatInt(i, 10), n.Name, "NVIDIA A100-SXM4-80GB"))
			}
		}
	}
	for _, f := range e.scenario.Mesh.Traffic {
		lat, ok := e.scenario.Mesh.LinkLatency(f.Source.Cluster, f.Destination.Cluster)
		if !ok {
			continue
		}
		for _, reporter := range []string{"source", "destination"} {
			if (reporter == "source" && f.Source.Cluster != member) || (reporter == "destination" && f.Destination.Cluster != member) {
				continue
			}
			labels := []string{
				reporter, f.Source.Cluster, f.Source.Workload, f.Source.Namespace,
				f.Destination.Cluster, f.Destination.Service + "." + f.Destination.Namespace + ".svc.cluster.local",
				f.Destination.Service, f.Destination.Namespace, f.Destination.Service, f.Destination.Namespace,
				"http", "200",
			}
			key := fmt.Sprint(labels)
			count := add("req/"+key, f.RPS)
			out = append(out, prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, count, labels...))
			buckets := map[float64]uint64{}
			for _, le := range IstioDurationBuckets {
				buckets[le] = uint64(add(fmt.Sprintf("bucket/%g/%s", le, key), f.RPS*LatencyCDF(lat, le)))
			}
			sum := add("sum/"+key, f.RPS*LatencyMean(lat))
			out = append(out, prometheus.MustNewConstHistogram(descDuration, uint64(count), sum, buckets, labels...))
		}
	}
	return out
}

// sigma returns the log-normal shape that puts the 99th percentile at p99 given the median p50.
func sigma(l localup.Latency) float64 {
	const z99 = 2.3263478740408408 // the standard normal's 99th percentile
	if l.P99Ms <= l.P50Ms {
		return 0
	}
	return math.Log(l.P99Ms/l.P50Ms) / z99
}

// LatencyCDF is the fraction of requests faster than le milliseconds under a log-normal
// latency with the given median and 99th percentile.
func LatencyCDF(l localup.Latency, le float64) float64 {
	if le <= 0 {
		return 0
	}
	s := sigma(l)
	if s == 0 {
		// Every request takes exactly the median.
		if le >= l.P50Ms {
			return 1
		}
		return 0
	}
	z := (math.Log(le) - math.Log(l.P50Ms)) / s
	return 0.5 * math.Erfc(-z/math.Sqrt2)
}

// LatencyMean is the mean of that log-normal latency.
func LatencyMean(l localup.Latency) float64 {
	s := sigma(l)
	return l.P50Ms * math.Exp(s*s/2)
}
