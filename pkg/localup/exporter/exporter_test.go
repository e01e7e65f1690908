package exporter

import (
	"io"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"kurator.dev/kurator/pkg/localup"
)

func TestLatencyDistributionHitsTheScenarioPercentiles(t *testing.T) {
	for _, l := range []localup.Latency{{P50Ms: 1, P99Ms: 4}, {P50Ms: 6, P99Ms: 18}, {P50Ms: 25, P99Ms: 90}} {
		if got := LatencyCDF(l, l.P50Ms); math.Abs(got-0.5) > 1e-9 {
			t.Errorf("%+v: CDF(p50) = %v, want 0.5", l, got)
		}
		if got := LatencyCDF(l, l.P99Ms); math.Abs(got-0.99) > 1e-9 {
			t.Errorf("%+v: CDF(p99) = %v, want 0.99", l, got)
		}
		if LatencyCDF(l, 0) != 0 || LatencyCDF(l, 1e9) < 0.999999 {
			t.Errorf("%+v: CDF not 0 at 0 and 1 at infinity", l)
		}
		if m := LatencyMean(l); m < l.P50Ms || m > l.P99Ms {
			t.Errorf("%+v: mean %v outside [p50, p99]", l, m)
		}
	}
	// p50 == p99: every request takes exactly that long.
	point := localup.Latency{P50Ms: 10, P99Ms: 10}
	if LatencyCDF(point, 9.99) != 0 || LatencyCDF(point, 10) != 1 || LatencyMean(point) != 10 {
		t.Errorf("point latency: CDF(9.99)=%v CDF(10)=%v mean=%v, want 0, 1, 10", LatencyCDF(point, 9.99), LatencyCDF(point, 10), LatencyMean(point))
	}
}

const scenario = `apiVersion: localup.kurator.dev/v1alpha1
kind: Scenario
name: exporter-test
members:
- name: a
  nodePools: [{name: p, count: 2, cpu: "4", memory: 8Gi, gpu: 2}]
  utilization: {cpu: 0.25, memory: 0.5, gpu: 0.75}
- name: b
  nodePools: [{name: p, count: 1, cpu: "4", memory: 8Gi}]
mesh:
  links: [{from: a, to: b, p50Ms: 5, p99Ms: 20}]
  traffic:
  - source: {cluster: a, workload: caller}
    destination: {cluster: b, service: callee}
    rps: 10
`

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func metricsOf(t *testing.T, e *Exporter, member string) map[string][]*dto.Metric {
	t.Helper()
	out := map[string][]*dto.Metric{}
	for _, m := range e.Sample(member) {
		pb := &dto.Metric{}
		if err := m.Write(pb); err != nil {
			t.Fatal(err)
		}
		name := m.Desc().String()
		name = name[strings.Index(name, `fqName: "`)+9:]
		name = name[:strings.Index(name, `"`)]
		out[name] = append(out[name], pb)
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func TestSampleIntegratesRatesAndReportsIstioSeries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(scenario), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Unix(1000, 0)}
	e, err := New(path, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	metricsOf(t, e, "a")
	clock.t = clock.t.Add(100 * time.Second)
	a := metricsOf(t, e, "a")

	idle, user := 0.0, 0.0
	for _, m := range a["node_cpu_seconds_total"] {
		switch label(m, "mode") {
		case "idle":
			idle += m.GetCounter().GetValue()
		case "user":
			user += m.GetCounter().GetValue()
		}
	}
	if got := user / (idle + user); math.Abs(got-0.25) > 1e-9 {
		t.Errorf("cpu busy fraction = %v, want 0.25", got)
	}
	if n := len(a["DCGM_FI_DEV_GPU_UTIL"]); n != 4 {
		t.Errorf("%d GPU series, want 4 (2 nodes x 2 GPUs)", n)
	}
	if v := a["DCGM_FI_DEV_GPU_UTIL"][0].GetGauge().GetValue(); v != 75 {
		t.Errorf("GPU utilization %v, want 75", v)
	}
	req := a["istio_requests_total"]
	if len(req) != 1 || label(req[0], "reporter") != "source" || label(req[0], "destination_cluster") != "b" || label(req[0], "source_cluster") != "a" {
		t.Fatalf("istio_requests_total series in a = %v, want one reporter=source a->b", req)
	}
	if got := req[0].GetCounter().GetValue(); math.Abs(got-1000) > 1e-6 {
		t.Errorf("requests after 100 s at 10 rps = %v, want 1000", got)
	}
	h := a["istio_request_duration_milliseconds"][0].GetHistogram()
	if h.GetSampleCount() != 1000 {
		t.Errorf("histogram count = %d, want 1000", h.GetSampleCount())
	}
	// The bucket holding the 99th percentile: at or below 20 ms lies at most 99 %.
	var below25 uint64
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == 25 {
			below25 = b.GetCumulativeCount()
		}
	}
	if below25 < 990 || below25 > 1000 {
		t.Errorf("requests under 25 ms = %d of 1000, want the p99 (20 ms) below that bound", below25)
	}

	b := metricsOf(t, e, "b")
	if d := b["istio_requests_total"]; len(d) != 1 || label(d[0], "reporter") != "destination" {
		t.Errorf("b must report the flow as its destination, got %v", d)
	}

	// A live change of the scenario changes what the next scrape integrates.
	changed := strings.Replace(scenario, "cpu: 0.25", "cpu: 0.95", 1)
	if err := os.WriteFile(path, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
	if err := e.reload(); err != nil {
		t.Fatal(err)
	}
	if e.ScenarioHash() != localup.ScenarioHash([]byte(changed)) {
		t.Fatal("the exporter did not load the changed scenario")
	}
	clock.t = clock.t.Add(100 * time.Second)
	a2 := metricsOf(t, e, "a")
	var dIdle, dUser float64
	for _, m := range a2["node_cpu_seconds_total"] {
		switch label(m, "mode") {
		case "idle":
			dIdle += m.GetCounter().GetValue()
		case "user":
			dUser += m.GetCounter().GetValue()
		}
	}
	if got := (dUser - user) / ((dIdle - idle) + (dUser - user)); math.Abs(got-0.95) > 1e-9 {
		t.Errorf("cpu busy fraction after the change = %v, want 0.95", got)
	}

	// An invalid file keeps the previous scenario and says why.
	if err := os.WriteFile(path, []byte("kind: nonsense\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := future.Add(time.Hour)
	_ = os.Chtimes(path, later, later)
	if err := e.reload(); err == nil {
		t.Fatal("invalid scenario accepted")
	}
	if e.ScenarioHash() != localup.ScenarioHash([]byte(changed)) {
		t.Fatal("an invalid file replaced the scenario")
	}
}

func TestHandlerServesMembersOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(scenario), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := New(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/members/a/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `node_memory_MemTotal_bytes{instance="a-p-0"} 8.589934592e+09`) {
		t.Fatalf("member page: %d\n%s", resp.StatusCode, body)
	}
	resp, err = srv.Client().Get(srv.URL + "/members/zzz/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("unknown member answered %d, want 404", resp.StatusCode)
	}
}
