package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"kurator.dev/kurator/pkg/telemetry"
)

// telemetryServer speaks the part of the Prometheus HTTP API kurator's telemetry source uses
// (/api/v1/query, instant vectors) with synthetic answers about the bench's clusters: the
// default catalogue's utilization, freshness, p99 latency and request-rate queries. The
// bench's kurator-scheduler reads it through --telemetry-url, so its plugins judge the bench
// clusters from data as a Thanos Query would serve it: 2,500 latency series for 50 clusters.
type telemetryServer struct {
	f   *fleet
	srv *http.Server
	ln  net.Listener

	mu sync.Mutex
	// served is when each catalogue entry was last answered.
	served map[string]time.Time
}

// catalogueEntries are the names of the default catalogue's queries, as served.
var catalogueEntries = []string{"utilization/cpu", "utilization/memory", "utilization/nvidia.com/gpu", "freshness", "latency", "requests"}

func startTelemetry(f *fleet) (*telemetryServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the telemetry server: %w", err)
	}
	t := &telemetryServer{f: f, ln: ln, served: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/query", t.query)
	t.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := t.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Printf("telemetry server: %v\n", err)
		}
	}()
	return t, nil
}

// URL is the base URL to give kurator-scheduler's --telemetry-url.
func (t *telemetryServer) URL() string { return "http://" + t.ln.Addr().String() }

func (t *telemetryServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = t.srv.Shutdown(ctx)
}

// servedAllSince reports whether every catalogue entry was answered after since.
func (t *telemetryServer) servedAllSince(since time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range catalogueEntries {
		if !t.served[e].After(since) {
			return false
		}
	}
	return true
}

func (t *telemetryServer) query(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	q := r.Form.Get("query")
	ts := float64(time.Now().UnixMilli()) / 1000
	if v, err := strconv.ParseFloat(r.Form.Get("time"), 64); err == nil {
		ts = v
	}
	var b bytes.Buffer
	b.WriteString(`{"status":"success","data":{"resultType":"vector","result":[`)
	n := 0
	sample := func(labels []string, value float64) {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteString(`{"metric":{`)
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:%q", labels[i], labels[i+1])
		}
		fmt.Fprintf(&b, `},"value":[%.3f,"%s"]}`, ts, strconv.FormatFloat(value, 'g', -1, 64))
	}
	entry := ""
	f := t.f
	switch q {
	case telemetry.DefaultCPUQuery:
		entry = "utilization/cpu"
		for _, c := range f.clusters {
			sample([]string{"cluster", c.name}, c.cpu)
		}
	case telemetry.DefaultMemoryQuery:
		entry = "utilization/memory"
		for _, c := range f.clusters {
			sample([]string{"cluster", c.name}, c.memory)
		}
	case telemetry.DefaultGPUQuery:
		entry = "utilization/nvidia.com/gpu" // no GPUs: an empty answer
	case telemetry.DefaultFreshnessQuery:
		entry = "freshness"
		for _, c := range f.clusters {
			sample([]string{"cluster", c.name}, ts-5)
		}
	case telemetry.DefaultLatencyQuery:
		entry = "latency"
		for i, a := range f.clusters {
			for j, c := range f.clusters {
				if f.observed[i][j] {
					sample([]string{telemetry.LabelSourceCluster, a.name, telemetry.LabelDestinationCluster, c.name}, f.latency[i][j])
				}
			}
		}
	case telemetry.DefaultRequestsQuery:
		entry = "requests"
		for _, fl := range f.flows {
			src, dst := f.services[fl.from], f.services[fl.to]
			sample([]string{
				telemetry.LabelSourceCluster, f.clusters[src.cluster].name,
				telemetry.LabelSourceWorkload, src.name,
				telemetry.LabelSourceWorkloadNamespace, f.namespace,
				telemetry.LabelDestinationCluster, f.clusters[dst.cluster].name,
				telemetry.LabelDestinationServiceName, dst.name,
				telemetry.LabelDestinationServiceNamespace, f.namespace,
			}, fl.rps)
		}
	default:
		// Not the default catalogue: answer nothing, which the plugins treat as missing data.
		entry = "other: " + strings.TrimSpace(q)
	}
	b.WriteString(`]}}`)
	t.mu.Lock()
	t.served[entry] = time.Now()
	t.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}
