package meshtopology

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"

	"kurator.dev/kurator/pkg/scheduler/framework"
	st "kurator.dev/kurator/pkg/scheduler/testing"
	"kurator.dev/kurator/pkg/scheduler/workload"
	"kurator.dev/kurator/pkg/telemetry"
)

var now = time.Unix(1_700_000_000, 0)

func TestAffinityShape(t *testing.T) {
	hz := Locality{Cluster: "a", Network: "n1", Region: "hz", Zone: "hz-1", Known: true}
	for _, tc := range []struct {
		name        string
		b           Locality
		gatewayless bool
		want        float64
		reach       Reach
	}{
		{"same cluster", Locality{Cluster: "a"}, false, 100, Direct},
		{"same zone, same network", Locality{Cluster: "b", Network: "n1", Region: "hz", Zone: "hz-1", Known: true}, false, 90, Direct},
		{"same region, same network", Locality{Cluster: "b", Network: "n1", Region: "hz", Zone: "hz-2", Known: true}, false, 75, Direct},
		{"elsewhere, same network", Locality{Cluster: "b", Network: "n1", Region: "sh", Known: true}, false, 50, Direct},
		{"same region, other network", Locality{Cluster: "b", Network: "n2", Region: "hz", Zone: "hz-2", Known: true}, false, 45, ThroughGateway},
		{"elsewhere, other network", Locality{Cluster: "b", Network: "n2", Region: "sh", Known: true}, false, 20, ThroughGateway},
		{"other network without gateways", Locality{Cluster: "b", Network: "n2", Region: "hz", Known: true}, true, 0, Unreachable},
		{"peer off the mesh", Locality{Cluster: "b", Region: "hz", Zone: "hz-1", Known: true}, false, 75, Uncertain},
		{"peer locality unknown", Locality{Cluster: "b"}, false, 50, Uncertain},
	} {
		got, reach := Affinity(hz, tc.b, 30, tc.gatewayless)
		if got != tc.want || reach != tc.reach {
			t.Errorf("%s: Affinity = %v, %v; want %v, %v", tc.name, got, reach, tc.want, tc.reach)
		}
	}
	// A penalty larger than the locality score floors at 0.
	if got, _ := Affinity(hz, Locality{Cluster: "b", Network: "n2", Known: true}, 80, false); got != 0 {
		t.Errorf("floor: %v", got)
	}
}

// The seed scenario's fleet.
var seedClusters = st.Clusters{
	st.Cluster("aliyun").Network("network-hangzhou").Locality("alibaba-cloud", "cn-hangzhou", "cn-hangzhou-h").Obj(),
	st.Cluster("tencent").Network("network-shanghai").Locality("tencent-cloud", "cn-shanghai", "ap-shanghai-5").Obj(),
	st.Cluster("edge").Network("network-edge").Locality("edge", "cn-hangzhou", "cn-hangzhou-edge-1").Obj(),
	st.Cluster("offmesh").Locality("aws", "cn-beijing", "").Obj(),
}

func seedSnapshot() *telemetry.Snapshot {
	flow := func(src, wl, dst, svc string, rps float64) telemetry.Flow {
		return telemetry.Flow{SourceCluster: src, SourceWorkload: wl, SourceNamespace: "default",
			DestinationCluster: dst, DestinationService: svc, DestinationNamespace: "default", Rate: telemetry.Sample{Value: rps}}
	}
	return telemetry.NewSnapshot(telemetry.SnapshotData{Time: now, MaxSampleAge: time.Minute, Flows: []telemetry.Flow{
		flow("aliyun", "web-frontend", "aliyun", "core", 400),
		flow("aliyun", "core", "tencent", "model-server", 50),
		flow("edge", "classroom-sync", "aliyun", "core", 30),
	}})
}

func newPlugin(t testing.TB, mutate func(*Args)) *Plugin {
	t.Helper()
	args := &Args{}
	if mutate != nil {
		mutate(args)
	}
	args.SetDefaults()
	if errs := args.Validate(field.NewPath("args")); len(errs) > 0 {
		t.Fatal(errs)
	}
	templates := &st.Templates{Annotations: map[string]map[string]string{
		"default/ai-interaction": {workload.AnnotationPeers: "core", workload.AnnotationMeshRequired: "true"},
		"default/sync-agent":     {workload.AnnotationPeers: "classroom-sync"},
		"default/lonely":         {},
	}}
	p, err := New(args, &framework.StaticHandle{Snapshot: seedSnapshot(), TemplateGetter: templates, ClusterGetter: seedClusters, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func cluster(name string) *clusterv1alpha1.Cluster {
	c, _ := seedClusters.Get(name)
	return c
}

const meshNetworks = `{"networks": {
  "network-hangzhou": {"endpoints": [{"fromRegistry": "aliyun"}], "gateways": [{"address": "10.0.0.1", "port": 15443}]},
  "network-shanghai": {"endpoints": [{"fromRegistry": "tencent"}], "gateways": [{"registryServiceName": "istio-eastwestgateway.istio-system.svc.cluster.local", "port": 15443}]},
  "network-edge":     {"endpoints": [{"fromRegistry": "edge"}, {"fromRegistry": "offmesh"}]}
}}`

func TestFilterAndScore(t *testing.T) {
	for _, tc := range []struct {
		name       string
		mutate     func(*Args)
		workload   string
		cluster    string
		wantOK     bool
		wantScore  int64
		wantReason string
	}{
		{name: "peer's cluster", workload: "ai-interaction", cluster: "aliyun", wantOK: true, wantScore: 100, wantReason: "core.default in aliyun: same network, 100"},
		{name: "same region, through a gateway", workload: "ai-interaction", cluster: "edge", wantOK: true, wantScore: 45, wantReason: "through an east-west gateway"},
		{name: "other region, through a gateway", workload: "ai-interaction", cluster: "tencent", wantOK: true, wantScore: 20},
		{name: "mesh required, not a member", workload: "ai-interaction", cluster: "offmesh", wantOK: false, wantScore: 35, wantReason: "not a mesh member"},
		{name: "mesh not required", workload: "sync-agent", cluster: "offmesh", wantOK: true, wantScore: 35, wantReason: "network unknown"},
		{name: "mesh required for all", mutate: func(a *Args) { a.RequireMeshForAll = true }, workload: "sync-agent", cluster: "offmesh", wantOK: false, wantScore: 35},
		{name: "no peers: neutral", workload: "lonely", cluster: "tencent", wantOK: true, wantScore: 50, wantReason: "neutral"},
		// classroom-sync runs in edge; MeshNetworks puts offmesh on network-edge (same region? no: cn-beijing)
		// and says network-edge has no gateway: tencent cannot reach it.
		{name: "MeshNetworks: network without gateways", mutate: func(a *Args) { a.MeshNetworks = json.RawMessage(meshNetworks) },
			workload: "sync-agent", cluster: "tencent", wantOK: true, wantScore: 0, wantReason: "unreachable"},
		{name: "MeshNetworks: membership", mutate: func(a *Args) { a.MeshNetworks = json.RawMessage(meshNetworks) },
			workload: "ai-interaction", cluster: "offmesh", wantOK: true, wantScore: 20, wantReason: `network "network-edge"`},
		{name: "penalty", mutate: func(a *Args) { p := int64(0); a.EastWestGatewayPenalty = &p }, workload: "ai-interaction", cluster: "edge", wantOK: true, wantScore: 75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlugin(t, tc.mutate)
			spec := st.Binding("default", tc.workload).Obj()
			c := cluster(tc.cluster)
			res := p.Filter(t.Context(), spec, nil, c)
			if res.IsSuccess() != tc.wantOK {
				t.Errorf("Filter = %v; want success %v", res.AsError(), tc.wantOK)
			}
			score, res := p.Score(t.Context(), spec, c)
			if !res.IsSuccess() || score != tc.wantScore {
				t.Errorf("Score = %d, %v; want %d", score, res.AsError(), tc.wantScore)
			}
			v := p.Explain(t.Context(), p.h.Telemetry(), spec, c)
			if v.Feasible != tc.wantOK || v.Score != score {
				t.Errorf("Explain = %+v", v)
			}
			if all := strings.Join(v.Reasons, "; "); !strings.Contains(all, tc.wantReason) {
				t.Errorf("reasons %q do not say %q", all, tc.wantReason)
			}
		})
	}
}

func TestArgs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "meshNetworks.yaml")
	if err := os.WriteFile(file, []byte("networks:\n  n1:\n    endpoints:\n    - fromRegistry: aliyun\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &Args{MeshNetworksFile: file}
	a.SetDefaults()
	if errs := a.Validate(field.NewPath("args")); len(errs) > 0 {
		t.Fatalf("file: %v", errs)
	}
	if mn, _ := a.LoadMeshNetworks(); len(mn.GetNetworks()["n1"].GetEndpoints()) != 1 {
		t.Errorf("loaded %v", mn)
	}
	for _, tc := range []struct {
		args Args
		want string
	}{
		{Args{NetworkLabel: "not a label"}, "args.networkLabel"},
		{Args{MeshNetworks: json.RawMessage(`{"networkz": {}}`)}, "args.meshNetworks"},
		{Args{MeshNetworks: json.RawMessage(`{"networks": {"n": {"gateways": [{"port": "x"}]}}}`)}, "args.meshNetworks"},
		{Args{MeshNetworksFile: filepath.Join(dir, "missing")}, "args.meshNetworksFile"},
		{Args{MeshNetworks: json.RawMessage(`{}`), MeshNetworksFile: file}, "args.meshNetworksFile"},
		{Args{EastWestGatewayPenalty: new(int64)}, ""},
	} {
		a := tc.args
		if a.EastWestGatewayPenalty != nil {
			*a.EastWestGatewayPenalty = 101
			tc.want = "args.eastWestGatewayPenalty"
		}
		a.SetDefaults()
		errs := a.Validate(field.NewPath("args"))
		if len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v; want an error at %s", tc.args, errs, tc.want)
		}
	}
}

// BenchmarkFilterScore measures Filter and Score for one cluster once the binding's state is
// computed. Target: ≤ 1 µs, 0 allocations.
func BenchmarkFilterScore(b *testing.B) {
	p := newPlugin(b, func(a *Args) { a.MeshNetworks = json.RawMessage(meshNetworks) })
	spec := st.Binding("default", "sync-agent").Obj()
	cs := seedClusters[:3]
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
