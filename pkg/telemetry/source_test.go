package telemetry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeProm speaks enough of the Prometheus HTTP API for the Source: /api/v1/query answers
// chosen per query text.
type fakeProm struct {
	t  *testing.T
	mu sync.Mutex
	// answer returns the status code, body and delay of a query.
	answer   func(query string) (int, string, time.Duration)
	requests []*http.Request
	forms    []map[string][]string
}

func newFakeProm(t *testing.T, answer func(query string) (int, string, time.Duration)) (*fakeProm, *httptest.Server) {
	f := &fakeProm{t: t, answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.requests = append(f.requests, r)
		f.forms = append(f.forms, r.Form)
		answer := f.answer
		f.mu.Unlock()
		code, body, delay := answer(r.Form.Get("query"))
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeProm) setAnswer(a func(query string) (int, string, time.Duration)) {
	f.mu.Lock()
	f.answer = a
	f.mu.Unlock()
}

// vectorBody renders a successful instant-vector answer; each series is label pairs and a value.
func vectorBody(ts float64, warnings []string, series ...[]any) string {
	type result struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	}
	var rs []result
	for _, s := range series {
		m := map[string]string{}
		for i := 0; i+1 < len(s)-1; i += 2 {
			m[s[i].(string)] = s[i+1].(string)
		}
		rs = append(rs, result{Metric: m, Value: [2]any{ts, fmt.Sprint(s[len(s)-1])}})
	}
	body := map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": rs}}
	if len(warnings) > 0 {
		body["warnings"] = warnings
	}
	b, _ := json.Marshal(body)
	return string(b)
}

const testTS = 1_700_000_000.0

var testNow = time.Unix(int64(testTS), 0)

// healthyAnswers answers the default catalogue for two clusters.
func healthyAnswers(query string) (int, string, time.Duration) {
	switch query {
	case DefaultCPUQuery:
		return 200, vectorBody(testTS, nil, []any{"cluster", "aliyun", 0.45}, []any{"cluster", "tencent", 0.3}), 0
	case DefaultMemoryQuery:
		return 200, vectorBody(testTS, nil, []any{"cluster", "aliyun", 0.5}, []any{"cluster", "tencent", "NaN"}), 0
	case DefaultGPUQuery:
		return 200, vectorBody(testTS, nil, []any{"cluster", "tencent", 0.4}), 0
	case DefaultFreshnessQuery:
		// tencent's newest raw sample is 20s old: its utilization is dated by it.
		return 200, vectorBody(testTS, nil, []any{"cluster", "aliyun", testTS - 1}, []any{"cluster", "tencent", testTS - 20}), 0
	case DefaultLatencyQuery:
		return 200, vectorBody(testTS, nil,
			[]any{"source_cluster", "aliyun", "destination_cluster", "aliyun", 4.9},
			[]any{"source_cluster", "aliyun", "destination_cluster", "tencent", 24},
			[]any{"source_cluster", "aliyun", "destination_cluster", "unknown", 80}), 0
	case DefaultRequestsQuery:
		return 200, vectorBody(testTS, nil,
			[]any{"source_cluster", "aliyun", "source_workload", "core", "source_workload_namespace", "default",
				"destination_cluster", "tencent", "destination_service_name", "model-server", "destination_service_namespace", "default", 50}), 0
	}
	return 400, `{"status":"error","errorType":"bad_data","error":"unexpected query"}`, 0
}

func newTestSource(t *testing.T, url string, clock *time.Time, mutate func(*Config)) (*Source, *prometheus.Registry) {
	t.Helper()
	cfg := Config{URL: url}
	if mutate != nil {
		mutate(&cfg)
	}
	reg := prometheus.NewRegistry()
	s, err := NewSource(cfg, WithClock(func() time.Time { return *clock }), WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	return s, reg
}

func TestSourceRefresh(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, srv := newFakeProm(t, healthyAnswers)
	now := testNow
	s, reg := newTestSource(t, srv.URL, &now, func(c *Config) {
		c.Auth = &Auth{BearerTokenFile: token}
		c.Headers = map[string]string{"X-Scope-OrgID": "fleet"}
		c.ReplicaLabels = []string{"replica"}
	})
	if got := s.Snapshot(); len(got.Clusters) != 0 || len(got.Queries) != 6 || got.Queries[0].Error == "" {
		t.Fatalf("before the first refresh: %+v", got)
	}
	snap := s.Refresh(t.Context())

	if diff := strings.Join(snap.Clusters, ","); diff != "aliyun,tencent" {
		t.Errorf("clusters = %s", diff)
	}
	cpu := snap.UtilizationOf("cpu", "aliyun")
	if cpu.Value != 0.45 || cpu.Time != int64(testTS-1)*1000 {
		t.Errorf("aliyun cpu = %+v; want 0.45 dated by freshness", cpu)
	}
	if got := snap.UtilizationOf("cpu", "tencent"); got.Age(now) != 20*time.Second {
		t.Errorf("tencent cpu age = %s; want 20s", got.Age(now))
	}
	if got := snap.UtilizationOf("memory", "tencent"); got.OK() {
		t.Errorf("NaN memory kept: %+v", got)
	}
	if got := snap.UtilizationOf("nvidia.com/gpu", "aliyun"); got.OK() {
		t.Errorf("aliyun has no GPU series but got %+v", got)
	}
	if got := snap.LatencyOf("aliyun", "tencent"); got.Value != 24 {
		t.Errorf("latency aliyun->tencent = %+v", got)
	}
	if got := snap.LatencyOf("tencent", "aliyun"); got.OK() {
		t.Errorf("latency tencent->aliyun has no traffic but got %+v", got)
	}
	if len(snap.Flows) != 1 || snap.Flows[0].DestinationService != "model-server" {
		t.Errorf("flows = %+v", snap.Flows)
	}
	if st, _ := snap.Status("latency"); st.Dropped[DropUnknownDest] != 1 || st.Series != 2 {
		t.Errorf("latency status = %+v", st)
	}
	if p := snap.Problems(); len(p) != 0 {
		t.Errorf("problems = %v", p)
	}

	f.mu.Lock()
	r, form := f.requests[0], f.forms[0]
	f.mu.Unlock()
	if got := r.Header.Get("Authorization"); got != "Bearer s3cret" {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("X-Scope-OrgID"); got != "fleet" {
		t.Errorf("X-Scope-OrgID = %q", got)
	}
	for k, want := range map[string]string{"partial_response": "true", "dedup": "true", "replicaLabels[]": "replica", "time": "1700000000"} {
		if got := form[k]; len(got) == 0 || got[0] != want {
			t.Errorf("form %s = %v; want %s", k, got, want)
		}
	}
	if n := testutil.CollectAndCount(reg, "kurator_telemetry_query_duration_seconds"); n != 6 {
		t.Errorf("duration series = %d; want 6", n)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP kurator_telemetry_snapshot_age_seconds Seconds since the current snapshot was built (the refresh loop is alive while this stays below the refresh interval).
# TYPE kurator_telemetry_snapshot_age_seconds gauge
kurator_telemetry_snapshot_age_seconds{source="`+srv.URL+`"} 0
`), "kurator_telemetry_snapshot_age_seconds"); err != nil {
		t.Error(err)
	}
}

// TestSourcesShareARegistry: two sources in one registry (kurator-apiserver's, one per Thanos
// Query) report on their own, by source label; a stopped source's ages and gauges go, its
// counters stay.
func TestSourcesShareARegistry(t *testing.T) {
	_, good := newFakeProm(t, healthyAnswers)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	now := testNow
	reg := prometheus.NewRegistry()
	clock := WithClock(func() time.Time { return now })
	a, err := NewSource(Config{URL: good.URL}, clock, WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSource(Config{URL: downURL}, clock, WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	a.Refresh(t.Context())
	b.Refresh(t.Context())
	stale := map[string]float64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "kurator_telemetry_stale" {
			continue
		}
		for _, m := range f.GetMetric() {
			var src, q string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "source":
					src = l.GetValue()
				case "query":
					q = l.GetValue()
				}
			}
			stale[src+" "+q] = m.GetGauge().GetValue()
		}
	}
	if stale[good.URL+" latency"] != 0 || stale[downURL+" latency"] != 1 || len(stale) != 12 {
		t.Errorf("stale by source and query = %v; want 6 queries of each source, fresh for %s, stale for %s", stale, good.URL, downURL)
	}
	if got := testutil.ToFloat64(b.metrics.errors.WithLabelValues(downURL, "latency", "connection")); got != 1 {
		t.Errorf("connection errors of the second source = %v", got)
	}

	// a stops: its ages and gauges go, the counters stay.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	a.Run(ctx)
	if n := testutil.CollectAndCount(reg, "kurator_telemetry_stale"); n != 6 {
		t.Errorf("stale series after the first source stopped = %d; want the second's 6", n)
	}
	if n := testutil.CollectAndCount(reg, "kurator_telemetry_series"); n != 0 {
		t.Errorf("series gauges after the first source stopped = %d; want 0 (the second never succeeded)", n)
	}
	if n := testutil.CollectAndCount(reg, "kurator_telemetry_query_duration_seconds"); n != 12 {
		t.Errorf("duration histograms = %d; want both sources' 6", n)
	}
}

func TestSourcePartialResponse(t *testing.T) {
	_, srv := newFakeProm(t, func(q string) (int, string, time.Duration) {
		if q == DefaultCPUQuery {
			return 200, vectorBody(testTS, []string{"No StoreAPIs matched for this query: store 127.0.0.1:30150 unavailable", "PromQL info: input to histogram_quantile needed to be fixed for monotonicity"},
				[]any{"cluster", "aliyun", 0.45}), 0
		}
		return healthyAnswers(q)
	})
	now := testNow
	s, reg := newTestSource(t, srv.URL, &now, nil)
	snap := s.Refresh(t.Context())
	st, _ := snap.Status("utilization/cpu")
	if st.Error != "" || len(st.Warnings) != 1 || len(st.Infos) != 1 || st.Healthy() {
		t.Fatalf("cpu status = %+v; want success with a warning", st)
	}
	if !snap.UtilizationOf("cpu", "aliyun").OK() {
		t.Error("partial data was not kept")
	}
	if len(snap.Problems()) != 1 || !strings.Contains(snap.Problems()[0], "partially") {
		t.Errorf("problems = %v", snap.Problems())
	}
	if got := testutil.ToFloat64(s.metrics.warnings.WithLabelValues(srv.URL, "utilization/cpu")); got != 1 {
		t.Errorf("warnings metric = %v", got)
	}
	_ = reg
}

func TestSourceFailuresKeepSamplesUntilStale(t *testing.T) {
	f, srv := newFakeProm(t, healthyAnswers)
	now := testNow
	s, _ := newTestSource(t, srv.URL, &now, func(c *Config) {
		c.Timeout = &metav1.Duration{Duration: 200 * time.Millisecond}
	})
	first := s.Refresh(t.Context())
	if !first.UtilizationOf("cpu", "aliyun").FreshAt(now, first.MaxSampleAge) {
		t.Fatal("fresh sample reported stale")
	}

	f.setAnswer(func(q string) (int, string, time.Duration) {
		switch q {
		case DefaultCPUQuery:
			return 503, "upstream unavailable", 0
		case DefaultMemoryQuery:
			return 200, "", 2 * time.Second // longer than the timeout
		case DefaultGPUQuery:
			return 200, `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"1"]}}`, 0
		case DefaultLatencyQuery:
			return 422, `{"status":"error","errorType":"execution","error":"query processing would load too many samples"}`, 0
		case DefaultRequestsQuery:
			return 200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{}`, 0
		}
		return healthyAnswers(q)
	})
	now = now.Add(30 * time.Second)
	second := s.Refresh(t.Context())
	if second.Generation != first.Generation+1 {
		t.Errorf("generation %d after %d", second.Generation, first.Generation)
	}
	wantType := map[string]string{
		"utilization/cpu":            "http",
		"utilization/memory":         "timeout",
		"utilization/nvidia.com/gpu": "bad_answer",
		"latency":                    "execution",
		"requests":                   "bad_response",
	}
	for name, typ := range wantType {
		st, _ := second.Status(name)
		if st.Error == "" {
			t.Errorf("%s: no error recorded", name)
			continue
		}
		if !st.LastSuccess.Equal(first.Queries[0].LastSuccess) {
			t.Errorf("%s: last success %s; want the first refresh's", name, st.LastSuccess)
		}
		if got := testutil.ToFloat64(s.metrics.errors.WithLabelValues(s.metrics.source, name, typ)); got != 1 {
			t.Errorf("%s: errors{type=%s} = %v (status %q)", name, typ, got, st.Error)
		}
	}
	if st, _ := second.Status("utilization/memory"); !strings.Contains(st.Error, "timed out after 200ms") {
		t.Errorf("memory error = %q", st.Error)
	}
	// The previous samples are carried forward with their old timestamps.
	cpu := second.UtilizationOf("cpu", "aliyun")
	if cpu != first.UtilizationOf("cpu", "aliyun") {
		t.Errorf("cpu after failure = %+v; want the first sample", cpu)
	}
	if !cpu.FreshAt(now, second.MaxSampleAge) {
		t.Error("a 31s old sample is stale with maxSampleAge 60s")
	}
	if second.LatencyOf("aliyun", "tencent").Value != 24 || len(second.Flows) != 1 {
		t.Error("latency and flows were not carried forward")
	}
	if len(second.Problems()) != 5 {
		t.Errorf("problems = %v", second.Problems())
	}
	now = now.Add(time.Minute)
	third := s.Refresh(t.Context())
	if third.UtilizationOf("cpu", "aliyun").FreshAt(now, third.MaxSampleAge) {
		t.Error("a 91s old sample is fresh with maxSampleAge 60s")
	}
	// Recovery replaces the data.
	f.setAnswer(healthyAnswers)
	fourth := s.Refresh(t.Context())
	if len(fourth.Problems()) != 0 {
		t.Errorf("problems after recovery: %v", fourth.Problems())
	}
}

func TestSourceConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	now := testNow
	s, _ := newTestSource(t, url, &now, nil)
	snap := s.Refresh(t.Context())
	for _, q := range snap.Queries {
		if q.Error == "" || !q.LastSuccess.IsZero() {
			t.Errorf("%s: %+v", q.Name, q)
		}
		if got := testutil.ToFloat64(s.metrics.errors.WithLabelValues(url, q.Name, "connection")); got != 1 {
			t.Errorf("%s: connection errors = %v (%s)", q.Name, got, q.Error)
		}
	}
	if !strings.Contains(snap.Problems()[0], "never succeeded") {
		t.Errorf("problems = %v", snap.Problems())
	}
}

func TestSourceUnknownClustersAndMapping(t *testing.T) {
	_, srv := newFakeProm(t, func(q string) (int, string, time.Duration) {
		switch q {
		case DefaultCPUQuery:
			return 200, vectorBody(testTS, nil, []any{"cluster", "prod-hz", 0.5}, []any{"cluster", "staging", 0.1}), 0
		case DefaultLatencyQuery:
			return 200, vectorBody(testTS, nil, []any{"source_cluster", "cluster-1", "destination_cluster", "cluster-1", 3}), 0
		}
		return 200, vectorBody(testTS, nil), 0
	})
	now := testNow
	s, _ := newTestSource(t, srv.URL, &now, func(c *Config) {
		c.ClusterMapping = []ClusterNameMapping{{Cluster: "aliyun", ThanosCluster: "prod-hz", IstioClusterID: "cluster-1"}}
		c.IgnoreUnmappedClusters = true
	})
	snap := s.Refresh(t.Context())
	if snap.UtilizationOf("cpu", "aliyun").Value != 0.5 || snap.LatencyOf("aliyun", "aliyun").Value != 3 {
		t.Errorf("mapped data missing: cpu %+v latency %+v", snap.UtilizationOf("cpu", "aliyun"), snap.LatencyOf("aliyun", "aliyun"))
	}
	if strings.Join(snap.UnknownClusters, ",") != "staging" || strings.Join(snap.Clusters, ",") != "aliyun" {
		t.Errorf("unknown = %v, clusters = %v", snap.UnknownClusters, snap.Clusters)
	}
}

func TestSourceDisabledQueries(t *testing.T) {
	f, srv := newFakeProm(t, healthyAnswers)
	now := testNow
	s, _ := newTestSource(t, srv.URL, &now, func(c *Config) {
		c.Queries = Catalogue{Utilization: []UtilizationQuery{{Resource: "cpu"}}, Freshness: Disabled, Latency: Disabled, Requests: Disabled}
		c.PartialResponse = new(bool)
	})
	snap := s.Refresh(t.Context())
	if len(snap.Queries) != 1 || len(f.forms) != 1 || f.forms[0]["partial_response"][0] != "false" {
		t.Fatalf("queries = %+v, forms = %v", snap.Queries, f.forms)
	}
	// Without the freshness query a sample is dated by the evaluation time.
	if got := snap.UtilizationOf("cpu", "aliyun").Age(now); got != 0 {
		t.Errorf("age = %s", got)
	}
}
