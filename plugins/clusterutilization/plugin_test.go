package clusterutilization

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"

	"kurator.dev/kurator/pkg/scheduler/framework"
	st "kurator.dev/kurator/pkg/scheduler/testing"
	"kurator.dev/kurator/pkg/telemetry"
)

var now = time.Unix(1_700_000_000, 0)

func snapshot(cpu map[string]float64, ages map[string]time.Duration) *telemetry.Snapshot {
	u := map[corev1.ResourceName]map[string]telemetry.Sample{corev1.ResourceCPU: {}, corev1.ResourceMemory: {}, telemetry.GPUResource: {}}
	for c, v := range cpu {
		t := now.Add(-ages[c]).UnixMilli()
		u[corev1.ResourceCPU][c] = telemetry.Sample{Value: v, Time: t}
		u[corev1.ResourceMemory][c] = telemetry.Sample{Value: 0.5, Time: t}
	}
	u[telemetry.GPUResource]["tencent"] = telemetry.Sample{Value: 0.4, Time: now.UnixMilli()}
	return telemetry.NewSnapshot(telemetry.SnapshotData{Time: now, MaxSampleAge: time.Minute, Utilization: u})
}

func newPlugin(t testing.TB, mutate func(*Args), snap *telemetry.Snapshot) *Plugin {
	t.Helper()
	args := &Args{}
	if mutate != nil {
		mutate(args)
	}
	args.SetDefaults()
	if errs := args.Validate(field.NewPath("args")); len(errs) > 0 {
		t.Fatal(errs)
	}
	return New(args, &framework.StaticHandle{Snapshot: snap, Clock: func() time.Time { return now }})
}

func clusters() map[string]*clusterv1alpha1.Cluster {
	return map[string]*clusterv1alpha1.Cluster{
		"aliyun":  st.Cluster("aliyun").Capacity("64", "256Gi", "0", "0").Obj(),
		"tencent": st.Cluster("tencent").Capacity("96", "640Gi", "0", "0").Obj(),
		"edge":    st.Cluster("edge").Capacity("8", "16Gi", "0", "0").Obj(),
		"hot":     st.Cluster("hot").Capacity("64", "256Gi", "0", "0").Obj(),
		"stale":   st.Cluster("stale").Capacity("64", "256Gi", "0", "0").Obj(),
		"new":     st.Cluster("new").Capacity("64", "256Gi", "0", "0").Obj(),
	}
}

func TestFilterAndScore(t *testing.T) {
	snap := snapshot(
		map[string]float64{"aliyun": 0.45, "tencent": 0.30, "edge": 0.20, "hot": 0.92, "stale": 0.10},
		map[string]time.Duration{"stale": 5 * time.Minute, "aliyun": 10 * time.Second},
	)
	cs := clusters()
	for _, tc := range []struct {
		name        string
		mutate      func(*Args)
		cluster     string
		binding     string // "small", "big" or "gpu"
		wantOK      bool
		wantScore   int64
		wantReason  string
		wantNeutral bool
	}{
		// cpu 45 % + 0.5/64 → 45.8 % → 60+40·0.458/0.6 = 90.5; memory 50 % + 1Gi/256Gi → 91.6.
		// edge: cpu 20 % + 0.5/8 → 77.5; memory 50 % + 1Gi/16Gi → 94.1.
		{name: "packing", cluster: "aliyun", binding: "small", wantOK: true, wantScore: 91},
		{name: "less utilized scores lower when packing", cluster: "edge", binding: "small", wantOK: true, wantScore: 86},
		{name: "above ceiling", cluster: "hot", binding: "small", wantOK: false, wantScore: 46, wantReason: "cpu utilization 92% is above the ceiling 85%"},
		{name: "stale data: neutral, passes", cluster: "stale", binding: "small", wantOK: true, wantScore: 50, wantNeutral: true, wantReason: "last sample 5m0s old"},
		{name: "unknown cluster: neutral, passes", cluster: "new", binding: "small", wantOK: true, wantScore: 50, wantNeutral: true, wantReason: "unknown to telemetry"},
		{name: "fail-closed rejects stale", mutate: func(a *Args) { a.FailClosed = true }, cluster: "stale", binding: "small", wantOK: false, wantScore: 50, wantNeutral: true, wantReason: "fail-closed"},
		{name: "fail-closed rejects unknown", mutate: func(a *Args) { a.FailClosed = true }, cluster: "new", binding: "small", wantOK: false, wantScore: 50, wantNeutral: true},
		// 20 × 1 core on 8 cores pushes edge from 20 % to 270 %: the score collapses to 0.
		// The filter judges the observed utilization, so edge still passes.
		{name: "prediction", cluster: "edge", binding: "big", wantOK: true, wantScore: 0},
		// cpu 20 % → 73.3, memory 50 % → 91.4.
		{name: "no prediction", mutate: func(a *Args) { a.Predict = new(bool) }, cluster: "edge", binding: "big", wantOK: true, wantScore: 82},
		// cpu 100−26.25, memory 100−56.25.
		{name: "least utilized", mutate: func(a *Args) { a.Mode = LeastUtilized }, cluster: "edge", binding: "small", wantOK: true, wantScore: 59},
		// GPUs count for GPU workloads only: cpu 34 % → 82.8, memory 52.5 % → 92.5, gpu 40 % → 87.1.
		{name: "gpu workload", cluster: "tencent", binding: "gpu", wantOK: true, wantScore: 87},
		// edge has no GPU telemetry: the GPU resource is neutral (50); cpu 70 % → 36, memory 150 % → 0.
		{name: "gpu workload without gpu data", cluster: "edge", binding: "gpu", wantOK: true, wantScore: 29},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlugin(t, tc.mutate, snap)
			spec := map[string]*st.BindingBuilder{
				"small": st.Binding("default", "web").Replicas(1, "500m", "1Gi", ""),
				"big":   st.Binding("default", "batch").Replicas(20, "1", "1Gi", ""),
				"gpu":   st.Binding("default", "train").Replicas(1, "4", "16Gi", "8"),
			}[tc.binding].Obj()
			c := cs[tc.cluster]
			res := p.Filter(t.Context(), spec, nil, c)
			if res.IsSuccess() != tc.wantOK {
				t.Errorf("Filter = %v; want success %v", res.AsError(), tc.wantOK)
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

func TestEmptySnapshotNeverFails(t *testing.T) {
	p := newPlugin(t, nil, nil)
	spec := st.Binding("default", "web").Replicas(1, "1", "1Gi", "").Obj()
	for _, c := range clusters() {
		if res := p.Filter(t.Context(), spec, nil, c); !res.IsSuccess() {
			t.Errorf("%s filtered without data: %v", c.Name, res.AsError())
		}
		if s, res := p.Score(t.Context(), spec, c); s != framework.NeutralScore || !res.IsSuccess() {
			t.Errorf("%s scored %d, %v without data", c.Name, s, res.AsError())
		}
	}
}

func TestStateIsPerBindingAndSnapshot(t *testing.T) {
	snap := snapshot(map[string]float64{"aliyun": 0.45}, nil)
	h := &framework.StaticHandle{Snapshot: snap, Clock: func() time.Time { return now }}
	args := &Args{}
	args.SetDefaults()
	p := New(args, h)
	a := st.Binding("default", "a").Replicas(1, "1", "1Gi", "").Obj()
	first := p.state(a, snap)
	if p.state(a, snap) != first {
		t.Error("state recomputed for the same binding and snapshot")
	}
	a.Resource.ResourceVersion = "2"
	if p.state(a, snap) == first {
		t.Error("state reused after the template changed")
	}
	second := p.state(a, snap)
	if p.state(a, snapshot(map[string]float64{"aliyun": 0.9}, nil)) == second {
		t.Error("state reused for another snapshot")
	}
}

func TestArgs(t *testing.T) {
	a := &Args{Resources: []Resource{{Name: "cpu", TargetPercent: 90}, {Name: "example.com/fpga"}}}
	a.SetDefaults()
	if a.Resources[0].CeilingPercent != 91 || a.Resources[1].TargetPercent != 60 || a.Resources[1].CeilingPercent != 90 {
		t.Errorf("defaults = %+v", a.Resources)
	}
	for _, tc := range []struct {
		args Args
		want string
	}{
		{Args{Mode: "Random"}, "args.mode"},
		{Args{Resources: []Resource{{Name: "cpu", TargetPercent: 70, CeilingPercent: 60}}}, "args.resources[0].ceilingPercent"},
		{Args{Resources: []Resource{{Name: "cpu", TargetPercent: 100}}}, "args.resources[0].targetPercent"},
		{Args{Resources: []Resource{{Name: "cpu", Weight: 101}}}, "args.resources[0].weight"},
		{Args{Resources: []Resource{{Name: "cpu"}, {Name: "cpu"}}}, "args.resources[1].name"},
		{Args{Resources: []Resource{{}}}, "args.resources[0].name"},
		{Args{Resources: []Resource{}}, "args.resources"},
	} {
		a := tc.args
		a.SetDefaults()
		errs := a.Validate(field.NewPath("args"))
		if len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v; want an error at %s", tc.args, errs, tc.want)
		}
	}
}

// BenchmarkFilterScore measures Filter and Score for one cluster of a binding whose state is
// computed: the cost Karmada pays per cluster. Target: ≤ 1 µs, 0 allocations.
func BenchmarkFilterScore(b *testing.B) {
	cpu := map[string]float64{}
	var cs []*clusterv1alpha1.Cluster
	for i := range 50 {
		name := "member-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		cpu[name] = float64(i) / 60
		cs = append(cs, st.Cluster(name).Capacity("64", "256Gi", "0", "0").Obj())
	}
	snap := snapshot(cpu, nil)
	p := newPlugin(b, nil, snap)
	spec := st.Binding("default", "web").Replicas(3, "500m", "1Gi", "").Obj()
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
