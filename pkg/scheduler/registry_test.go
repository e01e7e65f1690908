package scheduler

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	estimatorclient "github.com/karmada-io/karmada/pkg/estimator/client"
	"github.com/karmada-io/karmada/pkg/scheduler/core"
	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"
	karmadaplugins "github.com/karmada-io/karmada/pkg/scheduler/framework/plugins"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/runtime"

	"kurator.dev/kurator/pkg/scheduler/framework"
	st "kurator.dev/kurator/pkg/scheduler/testing"
	"kurator.dev/kurator/pkg/scheduler/workload"
	"kurator.dev/kurator/pkg/telemetry"
	"kurator.dev/kurator/plugins/fleetqueue"
)

var now = time.Unix(1_700_000_000, 0)

// seed is the kurator-up seed scenario: clusters, telemetry and templates.
func seed() (st.Clusters, *framework.StaticHandle) {
	clusters := st.Clusters{
		st.Cluster("aliyun").Network("network-hangzhou").Locality("alibaba-cloud", "cn-hangzhou", "cn-hangzhou-h").Capacity("64", "256Gi", "0", "0").Obj(),
		st.Cluster("tencent").Network("network-shanghai").Locality("tencent-cloud", "cn-shanghai", "ap-shanghai-5").Capacity("96", "640Gi", "0", "0").Obj(),
		st.Cluster("edge").Network("network-edge").Locality("edge", "cn-hangzhou", "cn-hangzhou-edge-1").Capacity("8", "16Gi", "0", "0").Obj(),
	}
	lat := func(v float64) telemetry.Sample { return telemetry.Sample{Value: v} }
	util := func(v float64) telemetry.Sample { return telemetry.Sample{Value: v} }
	flow := func(src, wl, dst, svc string, rps float64) telemetry.Flow {
		return telemetry.Flow{SourceCluster: src, SourceWorkload: wl, SourceNamespace: "default",
			DestinationCluster: dst, DestinationService: svc, DestinationNamespace: "default", Rate: telemetry.Sample{Value: rps}}
	}
	snap := telemetry.NewSnapshot(telemetry.SnapshotData{
		Time: now, MaxSampleAge: time.Minute,
		Utilization: map[corev1.ResourceName]map[string]telemetry.Sample{
			"cpu":    {"aliyun": util(0.45), "tencent": util(0.30), "edge": util(0.20)},
			"memory": {"aliyun": util(0.50), "tencent": util(0.35), "edge": util(0.30)},
		},
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
	templates := &st.Templates{Annotations: map[string]map[string]string{
		"default/ai-interaction": {workload.AnnotationPeers: "core", workload.AnnotationSLO: "30ms"},
	}}
	return clusters, &framework.StaticHandle{Snapshot: snap, TemplateGetter: templates, ClusterGetter: clusters, Clock: func() time.Time { return now }}
}

func aiInteraction() *workv1alpha2.ResourceBindingSpec {
	return st.Binding("default", "ai-interaction").Replicas(2, "500m", "512Mi", "").SpreadToOne().Obj()
}

func TestRegistryDefault(t *testing.T) {
	_, h := seed()
	p := DefaultProfile(DefaultCatalog())
	reg, enabled, err := p.Registry(h)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.catalog.Names(), enabled); diff != "" {
		t.Errorf("--plugins (-want +got):\n%s", diff)
	}
	if got := reg.FactoryNames(); strings.Join(got, ",") != "ClusterUtilization,FleetQueue,MeshTopology,NetworkLatency" {
		t.Errorf("out-of-tree plugins = %v", got)
	}
	for name, f := range reg {
		pl, err := f()
		if err != nil {
			t.Fatal(err)
		}
		// FleetQueue explains itself through FilterWithContext (it needs the binding cache).
		if _, ok := pl.(framework.Explainer); (!ok && name != fleetqueue.Name) || pl.Name() != name {
			t.Errorf("%s registered as %T named %s; want the plugin itself", name, pl, pl.Name())
		}
	}
}

func TestRegistryWrappers(t *testing.T) {
	_, h := seed()
	p, err := ParseProfile([]byte(header+`
profiles:
- plugins:
    score:
      disabled: [{name: ClusterAffinity}]
      enabled:
      - {name: ClusterLocality, weight: 3}
      - {name: NetworkLatency, weight: 2}
    filter:
      disabled: [{name: NetworkLatency}]
`), DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	reg, enabled, err := p.Registry(h)
	if err != nil {
		t.Fatal(err)
	}
	wantEnabled := []string{"APIEnablement", "ClusterEviction", "ClusterUtilization", "FleetQueue", "MeshTopology", "NetworkLatency", "SpreadConstraint", "TaintToleration",
		"kurator/ClusterAffinity", "kurator/ClusterLocality"}
	sort.Strings(wantEnabled)
	if diff := cmp.Diff(wantEnabled, enabled); diff != "" {
		t.Errorf("--plugins (-want +got):\n%s", diff)
	}
	for name, want := range map[string][2]bool{
		"kurator/ClusterAffinity": {true, false},
		"kurator/ClusterLocality": {false, true},
		"NetworkLatency":          {false, true},
		"ClusterUtilization":      {true, true},
	} {
		pl, err := reg[name]()
		if err != nil {
			t.Fatal(err)
		}
		_, f := pl.(karmadafw.FilterPlugin)
		_, s := pl.(karmadafw.ScorePlugin)
		if [2]bool{f, s} != want || pl.Name() != name {
			t.Errorf("%s: %T filter %v score %v named %s; want filter %v score %v", name, pl, f, s, pl.Name(), want[0], want[1])
		}
	}
	// Karmada merges its in-tree registry with ours before filtering by --plugins: no duplicates.
	kr, err := p.KarmadaRegistry(h, karmadaplugins.NewInTreeRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantEnabled, kr.FactoryNames()); diff != "" {
		t.Errorf("Karmada's registry (-want +got):\n%s", diff)
	}
}

// karmadaRun runs Karmada's own framework over a registry: the feasible clusters and, per
// plugin, the weighted scores Karmada sums.
func karmadaRun(t *testing.T, reg runtime.Registry, spec *workv1alpha2.ResourceBindingSpec, clusters []*clusterv1alpha1.Cluster) ([]string, karmadafw.PluginToClusterScores) {
	t.Helper()
	fw, err := runtime.NewFramework(reg)
	if err != nil {
		t.Fatal(err)
	}
	var feasible []*clusterv1alpha1.Cluster
	var names []string
	for _, c := range clusters {
		if res := fw.RunFilterPlugins(&karmadafw.FilterContext{Context: t.Context(), BindingSpec: spec, BindingStatus: &workv1alpha2.ResourceBindingStatus{}, Cluster: c}); res.IsSuccess() {
			feasible = append(feasible, c)
			names = append(names, c.Name)
		}
	}
	scores, res := fw.RunScorePlugins(t.Context(), spec, feasible)
	if !res.IsSuccess() {
		t.Fatal(res.AsError())
	}
	return names, scores
}

func TestEvaluateMatchesKarmada(t *testing.T) {
	clusters, h := seed()
	p, err := LoadProfile("../../artifacts/scheduler/default.yaml", DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	reg, err := p.KarmadaRegistry(h, karmadaplugins.NewInTreeRegistry())
	if err != nil {
		t.Fatal(err)
	}
	spec := aiInteraction()
	feasible, scores := karmadaRun(t, reg, spec, clusters)

	ev, err := NewEvaluator(p, h)
	if err != nil {
		t.Fatal(err)
	}
	got := ev.Evaluate(t.Context(), Input{Spec: spec, Clusters: clusters})
	if got.TelemetryStale || got.TelemetryAge != 0 || len(got.TelemetryProblems) != 0 {
		t.Errorf("telemetry: stale %v, age %s, problems %v", got.TelemetryStale, got.TelemetryAge, got.TelemetryProblems)
	}
	var gotFeasible []string
	for _, c := range got.Feasible() {
		gotFeasible = append(gotFeasible, c.Cluster)
		var karmadaTotal int64
		for _, list := range scores {
			for _, s := range list {
				if s.Cluster.Name == c.Cluster {
					karmadaTotal += s.Score
				}
			}
		}
		if c.TotalScore != karmadaTotal {
			t.Errorf("%s: evaluation total %d, Karmada's %d", c.Cluster, c.TotalScore, karmadaTotal)
		}
	}
	sort.Strings(gotFeasible)
	sort.Strings(feasible)
	if diff := cmp.Diff(feasible, gotFeasible); diff != "" {
		t.Errorf("feasible (-karmada +evaluation):\n%s", diff)
	}

	// The explanation: edge is filtered by NetworkLatency, aliyun wins.
	byName := map[string]ClusterEvaluation{}
	for _, c := range got.Clusters {
		byName[c.Cluster] = c
	}
	edge := byName["edge"]
	if edge.Feasible || len(edge.Scores) != 0 {
		t.Errorf("edge = %+v", edge)
	}
	for _, f := range edge.Filters {
		if f.Plugin == "NetworkLatency" && (f.Feasible || !strings.Contains(strings.Join(f.Reasons, ";"), "above the SLO 30.0ms")) {
			t.Errorf("edge NetworkLatency verdict = %+v", f)
		}
	}
	best := got.Feasible()[0]
	if best.Cluster != "aliyun" {
		t.Errorf("best = %s; want aliyun", best.Cluster)
	}
	for _, s := range best.Scores {
		if s.Plugin == "NetworkLatency" && (s.Score != 86 || s.Weight != 4 || s.Weighted != 344 || len(s.Reasons) == 0) {
			t.Errorf("aliyun NetworkLatency = %+v", s)
		}
	}
	targets, err := Select(Input{Spec: spec, Clusters: clusters}, got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]workv1alpha2.TargetCluster{{Name: "aliyun", Replicas: 2}}, targets); diff != "" {
		t.Errorf("selection (-want +got):\n%s", diff)
	}
	est, errs := Estimate(context.Background(), spec, clusters, false)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if g := est["general-estimator"]; len(g) != 3 || g[1].Name != "tencent" || g[1].Replicas != 192 {
		t.Errorf("general estimator = %+v", g)
	}
}

// TestEvaluateStaleTelemetry: with telemetry a few minutes old, the evaluation says so and
// the kurator plugins pass every cluster with neutral scores.
func TestEvaluateStaleTelemetry(t *testing.T) {
	clusters, h := seed()
	h.Clock = func() time.Time { return now.Add(5 * time.Minute) }
	ev, err := NewEvaluator(DefaultProfile(DefaultCatalog()), h)
	if err != nil {
		t.Fatal(err)
	}
	got := ev.Evaluate(t.Context(), Input{Spec: aiInteraction(), Clusters: clusters})
	if !got.TelemetryStale || got.TelemetryAge != 5*time.Minute {
		t.Errorf("stale %v, age %s", got.TelemetryStale, got.TelemetryAge)
	}
	for _, c := range got.Clusters {
		if !c.Feasible {
			t.Errorf("%s filtered with stale telemetry: %+v", c.Cluster, c.Filters)
		}
		for _, s := range c.Scores {
			if s.Plugin == "ClusterUtilization" || s.Plugin == "NetworkLatency" {
				if s.Score != framework.NeutralScore || !s.Neutral {
					t.Errorf("%s %s = %+v; want neutral", c.Cluster, s.Plugin, s)
				}
			}
		}
	}
	if _, err := Select(Input{Spec: aiInteraction(), Clusters: clusters}, got); err != nil {
		t.Errorf("selection with stale telemetry: %v", err)
	}
}

// TestEvaluateGivenTemplate: a template that does not exist in the apiserver is evaluated
// from the metadata the caller gives.
func TestEvaluateGivenTemplate(t *testing.T) {
	clusters, h := seed()
	ev, err := NewEvaluator(DefaultProfile(DefaultCatalog()), h)
	if err != nil {
		t.Fatal(err)
	}
	spec := st.Binding("default", "new-app").Replicas(1, "1", "1Gi", "").SpreadToOne().Obj()
	in := Input{Spec: spec, Clusters: clusters, Template: &metav1.ObjectMeta{Annotations: map[string]string{workload.AnnotationPeers: "core", workload.AnnotationSLO: "30ms"}}}
	got := ev.Evaluate(t.Context(), in)
	for _, c := range got.Clusters {
		if c.Cluster == "edge" && c.Feasible {
			t.Errorf("edge feasible although the given template's SLO excludes it: %+v", c)
		}
	}
	if best := got.Feasible()[0].Cluster; best != "aliyun" {
		t.Errorf("best = %s", best)
	}
}

// TestGenericScheduler runs Karmada's whole scheduling algorithm: stock Karmada sends
// ai-interaction to the cluster with the most room (tencent), kurator next to core (aliyun).
func TestGenericScheduler(t *testing.T) {
	clusters, h := seed()
	fleet := st.NewFleet(clusters...)
	p, err := LoadProfile("../../artifacts/scheduler/default.yaml", DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	kr, err := p.KarmadaRegistry(h, karmadaplugins.NewInTreeRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for name, reg := range map[string]runtime.Registry{"stock": karmadaplugins.NewInTreeRegistry(), "kurator": kr} {
		algo, err := fleet.GenericScheduler(reg)
		if err != nil {
			t.Fatal(err)
		}
		res, err := algo.Schedule(t.Context(), aiInteraction(), &workv1alpha2.ResourceBindingStatus{}, &core.ScheduleAlgorithmOption{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"stock": "tencent", "kurator": "aliyun"}[name]
		if len(res.SuggestedClusters) != 1 || res.SuggestedClusters[0].Name != want {
			t.Errorf("%s: scheduled to %v; want %s", name, res.SuggestedClusters, want)
		}
	}
}

// TestEvaluateConcurrently: PlacementReview evaluates many bindings at once with one
// Evaluator; every answer must be the one a lone evaluation gives.
func TestEvaluateConcurrently(t *testing.T) {
	clusters, h := seed()
	h.TemplateGetter.(*st.Templates).Annotations["default/quiet"] = map[string]string{}
	ev, err := NewEvaluator(DefaultProfile(DefaultCatalog()), h)
	if err != nil {
		t.Fatal(err)
	}
	specs := map[string]func() *workv1alpha2.ResourceBindingSpec{
		"ai-interaction": aiInteraction,
		"quiet": func() *workv1alpha2.ResourceBindingSpec {
			return st.Binding("default", "quiet").Replicas(1, "1", "1Gi", "").Obj()
		},
		"big": func() *workv1alpha2.ResourceBindingSpec {
			return st.Binding("default", "quiet").Replicas(40, "1", "1Gi", "").Obj()
		},
	}
	want := map[string]string{}
	for name, spec := range specs {
		want[name] = fmt.Sprintf("%+v", ev.Evaluate(t.Context(), Input{Spec: spec(), Clusters: clusters}).Clusters)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				for name, spec := range specs {
					if got := fmt.Sprintf("%+v", ev.Evaluate(context.Background(), Input{Spec: spec(), Clusters: clusters}).Clusters); got != want[name] {
						errs <- fmt.Sprintf("%s: %s\nwant %s", name, got, want[name])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestUtilizationMovesPlacements: pushing aliyun above the ceiling filters it out; above the
// target, with tencent still below it, makes it lose (the default profile's Headroom gate).
func TestUtilizationMovesPlacements(t *testing.T) {
	p, err := LoadProfile("../../artifacts/scheduler/default.yaml", DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cpu          float64
		want, reason string
	}{
		{cpu: 0.45, want: "aliyun"},
		{cpu: 0.70, want: "tencent", reason: "above its utilization target while"},
		{cpu: 0.92, want: "tencent", reason: "cpu utilization 92% is above the ceiling 85%"},
	} {
		clusters, h := seed()
		snap := h.Snapshot
		util := map[corev1.ResourceName]map[string]telemetry.Sample{
			"cpu":    {"aliyun": {Value: tc.cpu}, "tencent": {Value: 0.30}, "edge": {Value: 0.20}},
			"memory": {"aliyun": {Value: 0.50}, "tencent": {Value: 0.35}, "edge": {Value: 0.30}},
		}
		lat := map[[2]string]telemetry.Sample{}
		for _, a := range snap.Clusters {
			for _, b := range snap.Clusters {
				if s := snap.LatencyOf(a, b); s.OK() {
					lat[[2]string{a, b}] = telemetry.Sample{Value: s.Value}
				}
			}
		}
		h.Snapshot = telemetry.NewSnapshot(telemetry.SnapshotData{Time: now, MaxSampleAge: time.Minute, Utilization: util, Latency: lat, Flows: snap.Flows})
		ev, err := NewEvaluator(p, h)
		if err != nil {
			t.Fatal(err)
		}
		in := Input{Spec: aiInteraction(), Clusters: clusters}
		got := ev.Evaluate(t.Context(), in)
		targets, err := Select(in, got)
		if err != nil {
			t.Fatal(err)
		}
		if targets[0].Name != tc.want {
			t.Errorf("aliyun cpu %.0f%%: selected %v; want %s", 100*tc.cpu, targets, tc.want)
		}
		if tc.reason != "" && !strings.Contains(fmt.Sprintf("%+v", got.Clusters[0]), tc.reason) {
			t.Errorf("aliyun cpu %.0f%%: the evaluation does not say %q: %+v", 100*tc.cpu, tc.reason, got.Clusters[0])
		}
	}
}

// TestEstimateAsKarmada: an estimator that fails is left out with its error, as Karmada's
// scheduler ignores it; a workload of several components spread to one cluster is estimated
// in component sets when the multi-template gate is on, and not at all otherwise.
func TestEstimateAsKarmada(t *testing.T) {
	clusters, _ := seed()
	// A scheduler-estimator without connections fails for every cluster.
	estimatorclient.RegisterSchedulerEstimator(estimatorclient.NewSchedulerEstimator(estimatorclient.NewSchedulerEstimatorCache(), time.Second))
	t.Cleanup(func() {
		delete(estimatorclient.GetReplicaEstimators(), "scheduler-estimator")
		delete(estimatorclient.GetUnschedulableReplicaEstimators(), "scheduler-estimator")
	})
	est, errs := Estimate(t.Context(), aiInteraction(), clusters, false)
	if err := errs["scheduler-estimator"]; err == nil || !strings.Contains(err.Error(), "does not exist in estimator cache") {
		t.Errorf("scheduler-estimator error = %v", err)
	}
	if _, ok := est["scheduler-estimator"]; ok || len(est["general-estimator"]) != 3 {
		t.Errorf("estimates = %+v; want the general estimator's only", est)
	}

	cpu := func(v string) workv1alpha2.ComponentReplicaRequirements {
		return workv1alpha2.ComponentReplicaRequirements{ResourceRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(v)}}
	}
	spec := aiInteraction()
	spec.ReplicaRequirements = nil
	spec.Components = []workv1alpha2.Component{
		{Name: "ps", Replicas: 1, ReplicaRequirements: ptr.To(cpu("4"))},
		{Name: "worker", Replicas: 2, ReplicaRequirements: ptr.To(cpu("2"))},
	}
	spec.Placement.SpreadConstraints = []policyv1alpha1.SpreadConstraint{{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MinGroups: 1, MaxGroups: 1}}
	est, _ = Estimate(t.Context(), spec, clusters, true)
	got := map[string]int32{}
	for _, tc := range est["general-estimator"] {
		got[tc.Name] = tc.Replicas
	}
	// 8 cpu per set: 64, 96 and 8 cpu allocatable.
	if diff := cmp.Diff(map[string]int32{"aliyun": 8, "tencent": 12, "edge": 1}, got); diff != "" {
		t.Errorf("component sets (-want +got):\n%s", diff)
	}
	if est, _ := Estimate(t.Context(), spec, clusters, false); len(est) != 0 {
		t.Errorf("without the multi-template gate: estimates %+v, want none (no replica requirements)", est)
	}
}
