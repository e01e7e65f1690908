package networklatency

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"

	"kurator.dev/kurator/pkg/scheduler/framework"
	st "kurator.dev/kurator/pkg/scheduler/testing"
	"kurator.dev/kurator/pkg/scheduler/workload"
	"kurator.dev/kurator/pkg/telemetry"
)

var now = time.Unix(1_700_000_000, 0)

func TestLatencyScoreShape(t *testing.T) {
	for _, tc := range []struct{ l, want float64 }{
		{0, 100},     // no latency
		{10, 75},     // a third of the reference
		{30, 50},     // at the reference (the SLO)
		{60, 33.33},  // twice the reference
		{90, 25},     // three times
		{3000, 0.99}, // far: still ordered
		{-1, 100},    // clamped
	} {
		if got := LatencyScore(tc.l, 30); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("LatencyScore(%v, 30) = %.2f; want %v", tc.l, got, tc.want)
		}
	}
}

func TestBlendAndWeightedLatency(t *testing.T) {
	if got := Blend(90, 0.5, 50); got != 70 {
		t.Errorf("Blend = %v", got)
	}
	if got := Blend(90, 1.5, 50); got != 90 {
		t.Errorf("Blend clamps coverage: %v", got)
	}
	ms, cov := WeightedLatency([]PeerLatency{{Ms: 5, Known: true}, {Ms: 25, Known: true}, {Known: false}}, []float64{3, 1, 4})
	if ms != 10 || cov != 0.5 {
		t.Errorf("WeightedLatency = %v, %v; want 10, 0.5", ms, cov)
	}
	if ms, cov := WeightedLatency([]PeerLatency{{Known: false}}, []float64{1}); ms != 0 || cov != 0 {
		t.Errorf("nothing known: %v, %v", ms, cov)
	}
}

// seed is the telemetry of the kurator-up seed scenario as Thanos answers it.
func seed(latencyAge time.Duration) *telemetry.Snapshot {
	lt := now.Add(-latencyAge).UnixMilli()
	lat := func(v float64) telemetry.Sample { return telemetry.Sample{Value: v, Time: lt} }
	flow := func(src, wl, dst, svc string, rps float64) telemetry.Flow {
		return telemetry.Flow{SourceCluster: src, SourceWorkload: wl, SourceNamespace: "default",
			DestinationCluster: dst, DestinationService: svc, DestinationNamespace: "default", Rate: telemetry.Sample{Value: rps}}
	}
	return telemetry.NewSnapshot(telemetry.SnapshotData{
		Time: now, MaxSampleAge: time.Minute,
		Latency: map[[2]string]telemetry.Sample{
			{"aliyun", "aliyun"}: lat(4.9), {"aliyun", "tencent"}: lat(24.1),
			{"edge", "aliyun"}: lat(48.8), {"edge", "tencent"}: lat(97.7), {"tencent", "aliyun"}: lat(24),
		},
		Flows: []telemetry.Flow{
			flow("aliyun", "web-frontend", "aliyun", "core", 400),
			flow("tencent", "inference-gateway", "aliyun", "core", 60),
			flow("edge", "classroom-sync", "aliyun", "core", 30),
			flow("aliyun", "core", "tencent", "model-server", 50),
			flow("edge", "classroom-sync", "tencent", "model-server", 10),
		},
	})
}

var clusters = map[string]*clusterv1alpha1.Cluster{
	"aliyun": st.Cluster("aliyun").Obj(), "tencent": st.Cluster("tencent").Obj(),
	"edge": st.Cluster("edge").Obj(), "gcp": st.Cluster("gcp").Obj(),
}

func newPlugin(t testing.TB, mutate func(*Args), snap *telemetry.Snapshot, templates framework.TemplateGetter) *Plugin {
	t.Helper()
	args := &Args{}
	if mutate != nil {
		mutate(args)
	}
	args.SetDefaults()
	if errs := args.Validate(field.NewPath("args")); len(errs) > 0 {
		t.Fatal(errs)
	}
	return New(args, &framework.StaticHandle{Snapshot: snap, TemplateGetter: templates, Clock: func() time.Time { return now }})
}

func TestFilterAndScore(t *testing.T) {
	templates := &st.Templates{Annotations: map[string]map[string]string{
		"default/ai-interaction": {workload.AnnotationPeers: "core", workload.AnnotationSLO: "30ms"},
		"default/classroom-sync": {},
		"default/quiet":          {workload.AnnotationObserve: "false"},
		"default/bad":            {workload.AnnotationPeers: "core.default=x", workload.AnnotationSLO: "fast"},
		"default/gpu-hungry":     {workload.AnnotationPeers: "model-server=1,core=3"},
		"default/orphan":         {workload.AnnotationPeers: "nobody", workload.AnnotationSLO: "10ms"},
	}}
	for _, tc := range []struct {
		name        string
		mutate      func(*Args)
		snap        *telemetry.Snapshot
		workload    string
		cluster     string
		wantOK      bool
		wantScore   int64
		wantNeutral bool
		wantReason  string
	}{
		// Declared peer core (in aliyun), SLO 30ms: 100·30/(30+4.9).
		{name: "declared peer, local", workload: "ai-interaction", cluster: "aliyun", wantOK: true, wantScore: 86, wantReason: "core.default (declared, weight 1) in aliyun: p99 4.9ms observed"},
		{name: "declared peer, under the SLO", workload: "ai-interaction", cluster: "tencent", wantOK: true, wantScore: 56},
		{name: "declared peer, above the SLO", workload: "ai-interaction", cluster: "edge", wantOK: false, wantScore: 38,
			wantReason: "p99 latency to core.default in aliyun is 48.8ms, above the SLO 30.0ms"},
		{name: "cluster unknown to telemetry", workload: "ai-interaction", cluster: "gcp", wantOK: true, wantScore: 50, wantNeutral: true},
		{name: "fail-closed rejects the unknown cluster", mutate: func(a *Args) { a.FailClosed = true }, workload: "ai-interaction", cluster: "gcp",
			wantOK: false, wantScore: 50, wantNeutral: true, wantReason: "fail-closed"},
		// Observed peers of classroom-sync: core 30 req/s (aliyun), model-server 10 req/s (tencent); reference 50ms.
		// aliyun: (30·4.9 + 10·24.1)/40 = 9.7ms → 84.
		{name: "observed peers", workload: "classroom-sync", cluster: "aliyun", wantOK: true, wantScore: 84, wantReason: "core.default (observed, 30.0 req/s"},
		// tencent: core 24 observed; model-server within tencent, assumed 2ms: (30·24 + 10·2)/40 = 18.5ms → 73.
		{name: "assumed local latency", workload: "classroom-sync", cluster: "tencent", wantOK: true, wantScore: 73, wantReason: "assumed within one cluster"},
		// edge: (30·48.8 + 10·97.7)/40 = 61ms → 45.
		{name: "observed peers, far", workload: "classroom-sync", cluster: "edge", wantOK: true, wantScore: 45},
		{name: "default SLO filters observed peers", mutate: func(a *Args) { a.DefaultSLO = &metav1.Duration{Duration: 50 * time.Millisecond} },
			workload: "classroom-sync", cluster: "edge", wantOK: false, wantScore: 45, wantReason: "model-server.default in tencent is 97.7ms"},
		{name: "opted out of observation", workload: "quiet", cluster: "edge", wantOK: true, wantScore: 50, wantNeutral: true, wantReason: "no peers"},
		{name: "observation disabled by the profile", mutate: func(a *Args) { a.ObservePeers = new(bool) }, workload: "classroom-sync", cluster: "edge",
			wantOK: true, wantScore: 50, wantNeutral: true},
		// Malformed annotations are reported and ignored: core keeps weight... of the observed traffic (none), SLO none.
		{name: "malformed annotations", workload: "bad", cluster: "edge", wantOK: true, wantScore: 51, wantReason: "not a positive number"},
		// Declared weights: model-server 1 (tencent), core 3 (aliyun). edge → (1·97.7+3·48.8)/4 = 61ms.
		{name: "declared weights", workload: "gpu-hungry", cluster: "edge", wantOK: true, wantScore: 45},
		// tencent → core 24 observed (reverse not needed), model-server assumed 2ms → (2+72)/4=18.5 → 73.
		{name: "declared weights, tencent", workload: "gpu-hungry", cluster: "tencent", wantOK: true, wantScore: 73},
		{name: "peer not running anywhere", workload: "orphan", cluster: "edge", wantOK: true, wantScore: 50, wantNeutral: true, wantReason: "not seen running"},
		{name: "stale latency is unknown", snap: seed(2 * time.Minute), workload: "ai-interaction", cluster: "edge", wantOK: true, wantScore: 50, wantNeutral: true,
			wantReason: "no fresh latency"},
		{name: "no template: observed peers still count", workload: "web-frontend", cluster: "aliyun", wantOK: true, wantScore: 91,
			wantReason: "template annotations unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := tc.snap
			if snap == nil {
				snap = seed(5 * time.Second)
			}
			p := newPlugin(t, tc.mutate, snap, templates)
			spec := st.Binding("default", tc.workload).Obj()
			c := clusters[tc.cluster]
			res := p.Filter(t.Context(), spec, nil, c)
			if res.IsSuccess() != tc.wantOK {
				t.Errorf("Filter = %v; want success %v", res.AsError(), tc.wantOK)
			}
			if !tc.wantOK && !strings.Contains(strings.Join(res.Reasons(), ";"), tc.wantReason) {
				t.Errorf("Filter reasons %q; want %q", res.Reasons(), tc.wantReason)
			}
			score, res := p.Score(t.Context(), spec, c)
			if !res.IsSuccess() {
				t.Fatalf("Score failed: %v", res.AsError())
			}
			if score != tc.wantScore {
				t.Errorf("Score = %d; want %d", score, tc.wantScore)
			}
			v := p.Explain(t.Context(), snap, spec, c)
			if v.Feasible != tc.wantOK || v.Score != score || v.Neutral != tc.wantNeutral {
				t.Errorf("Explain = %+v; want feasible %v score %d neutral %v", v, tc.wantOK, score, tc.wantNeutral)
			}
			if all := strings.Join(v.Reasons, "; "); !strings.Contains(all, tc.wantReason) {
				t.Errorf("reasons %q do not say %q", all, tc.wantReason)
			}
		})
	}
}

func TestTemplateReadOncePerBinding(t *testing.T) {
	templates := &st.Templates{Annotations: map[string]map[string]string{"default/ai-interaction": {workload.AnnotationPeers: "core"}}}
	p := newPlugin(t, nil, seed(0), templates)
	spec := st.Binding("default", "ai-interaction").Obj()
	for range 3 {
		for _, c := range clusters {
			p.Filter(t.Context(), spec, nil, c)
			p.Score(t.Context(), spec, c)
		}
	}
	if templates.Gets.Load() != 1 {
		t.Errorf("template read %d times for one binding; want 1", templates.Gets.Load())
	}
}

func TestTemplateErrorNeverFails(t *testing.T) {
	p := newPlugin(t, nil, seed(0), &st.Templates{Err: errors.New("apiserver unavailable")})
	spec := st.Binding("default", "ai-interaction").Obj()
	for _, c := range clusters {
		if res := p.Filter(t.Context(), spec, nil, c); !res.IsSuccess() {
			t.Errorf("%s: %v", c.Name, res.AsError())
		}
		if s, res := p.Score(t.Context(), spec, c); s != framework.NeutralScore || !res.IsSuccess() {
			t.Errorf("%s: %d %v", c.Name, s, res.AsError())
		}
	}
}

// BenchmarkFilterScore measures Filter and Score for one feasible cluster of a binding with
// three peers over 50 clusters, once the binding's state is computed: the cost Karmada pays
// per cluster. Target: ≤ 1 µs, 0 allocations.
func BenchmarkFilterScore(b *testing.B) {
	snap, cs, templates := fleet(50)
	p := newPlugin(b, nil, snap, templates)
	spec := st.Binding("default", "svc-0").Obj()
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := cs[i%len(cs)]
		if res := p.Filter(ctx, spec, nil, c); res != nil {
			b.Fatal(res.AsError())
		}
		if _, res := p.Score(ctx, spec, c); res != nil {
			b.Fatal(res.AsError())
		}
	}
}

// BenchmarkFilterReject measures Filter rejecting a cluster: the Result carries a message
// formatted for this binding and cluster, so rejections allocate.
func BenchmarkFilterReject(b *testing.B) {
	snap, cs, templates := fleet(50)
	templates.Annotations["default/svc-0"][workload.AnnotationSLO] = "1ms"
	p := newPlugin(b, nil, snap, templates)
	spec := st.Binding("default", "svc-0").Obj()
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := p.Filter(ctx, spec, nil, cs[1+i%(len(cs)-1)]); res.IsSuccess() {
			b.Fatal("not rejected")
		}
	}
}

// BenchmarkBinding measures a whole scheduling pass of a new binding over 50 clusters:
// resolving peers, computing every cluster's verdict, then Filter and Score for each.
func BenchmarkBinding(b *testing.B) {
	snap, cs, templates := fleet(50)
	p := newPlugin(b, nil, snap, templates)
	ctx := b.Context()
	specs := make([]*st.BindingBuilder, 64)
	for i := range specs {
		specs[i] = st.Binding("default", "svc-0").Version(fmt.Sprint(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		spec := specs[i%len(specs)].Obj()
		for _, c := range cs {
			p.Filter(ctx, spec, nil, c)
			p.Score(ctx, spec, c)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cs)), "ns/cluster")
}

// fleet builds n clusters with a full latency matrix and services svc-i in cluster i, each
// talking to the next three.
func fleet(n int) (*telemetry.Snapshot, []*clusterv1alpha1.Cluster, *st.Templates) {
	lat := map[[2]string]telemetry.Sample{}
	var flows []telemetry.Flow
	var cs []*clusterv1alpha1.Cluster
	name := func(i int) string { return fmt.Sprintf("member-%02d", i) }
	for i := 0; i < n; i++ {
		cs = append(cs, st.Cluster(name(i)).Obj())
		for j := 0; j < n; j++ {
			lat[[2]string{name(i), name(j)}] = telemetry.Sample{Value: 1 + float64((i*7+j*13)%90)}
		}
		for k := 1; k <= 3; k++ {
			flows = append(flows, telemetry.Flow{SourceCluster: name(i), SourceWorkload: fmt.Sprintf("svc-%d", i), SourceNamespace: "default",
				DestinationCluster: name((i + k) % n), DestinationService: fmt.Sprintf("svc-%d", (i+k)%n), DestinationNamespace: "default", Rate: telemetry.Sample{Value: float64(10 * k)}})
		}
	}
	snap := telemetry.NewSnapshot(telemetry.SnapshotData{Time: now, MaxSampleAge: time.Minute, Latency: lat, Flows: flows})
	templates := &st.Templates{Annotations: map[string]map[string]string{"default/svc-0": {workload.AnnotationSLO: "100ms"}}}
	return snap, cs, templates
}

// TestNeighbourEstimates: a pair the mesh carries no traffic between is estimated from
// neighbours in the same zone (then region) and network, never across networks.
func TestNeighbourEstimates(t *testing.T) {
	cs := st.Clusters{
		st.Cluster("hz-1").Network("hz").Locality("p", "hangzhou", "hz-a").Obj(),
		st.Cluster("hz-2").Network("hz").Locality("p", "hangzhou", "hz-a").Obj(),
		st.Cluster("hz-3").Network("hz").Locality("p", "hangzhou", "hz-b").Obj(),
		st.Cluster("hz-edge").Network("edge").Locality("p", "hangzhou", "hz-a").Obj(),
		st.Cluster("sh-1").Network("sh").Locality("p", "shanghai", "sh-a").Obj(),
	}
	lat := map[[2]string]telemetry.Sample{
		{"hz-2", "sh-1"}:    {Value: 20}, // hz-1 → sh-1 is estimated from its zone neighbour hz-2
		{"hz-edge", "sh-1"}: {Value: 5},  // another network: never a neighbour
	}
	// Every member reports utilization, so every member is in the snapshot.
	util := map[corev1.ResourceName]map[string]telemetry.Sample{corev1.ResourceCPU: {}}
	for _, c := range cs {
		util[corev1.ResourceCPU][c.Name] = telemetry.Sample{Value: 0.5}
	}
	flows := []telemetry.Flow{{SourceCluster: "sh-1", SourceWorkload: "db", SourceNamespace: "default",
		DestinationCluster: "sh-1", DestinationService: "cache", DestinationNamespace: "default", Rate: telemetry.Sample{Value: 5}}}
	for _, tc := range []struct {
		cluster string
		args    func(*Args)
		score   int64
		reason  string
	}{
		{cluster: "hz-1", score: 56, reason: "p99 20.0ms estimated from a cluster in the same zone and network"},
		// hz-3's zone has no other member; its region (hz-1, hz-2) gives hz-2's 20ms.
		{cluster: "hz-3", score: 56, reason: "p99 20.0ms estimated from a cluster in the same region and network"},
		{cluster: "hz-edge", score: 83, reason: "5.0ms observed"},
		{cluster: "hz-1", args: func(a *Args) { a.EstimateFromNeighbours = new(bool) }, score: 50, reason: "no fresh latency"},
	} {
		snap := telemetry.NewSnapshot(telemetry.SnapshotData{Time: now, MaxSampleAge: time.Minute, Utilization: util, Latency: lat, Flows: flows})
		args := &Args{}
		if tc.args != nil {
			tc.args(args)
		}
		args.SetDefaults()
		templates := &st.Templates{Annotations: map[string]map[string]string{"default/api": {workload.AnnotationPeers: "db", workload.AnnotationSLO: "25ms"}}}
		p := New(args, &framework.StaticHandle{Snapshot: snap, TemplateGetter: templates, ClusterGetter: cs, Clock: func() time.Time { return now }})
		c, _ := cs.Get(tc.cluster)
		v := p.Explain(t.Context(), snap, st.Binding("default", "api").Obj(), c)
		if v.Score != tc.score || !strings.Contains(strings.Join(v.Reasons, ";"), tc.reason) {
			t.Errorf("%s: %+v; want score %d and %q", tc.cluster, v, tc.score, tc.reason)
		}
	}
}
