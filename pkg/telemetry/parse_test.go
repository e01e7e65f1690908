package telemetry

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
)

func vec(samples ...*model.Sample) model.Vector { return model.Vector(samples) }

func sample(v float64, labels ...string) *model.Sample {
	m := model.Metric{}
	for i := 0; i+1 < len(labels); i += 2 {
		m[model.LabelName(labels[i])] = model.LabelValue(labels[i+1])
	}
	return &model.Sample{Metric: m, Value: model.SampleValue(v), Timestamp: 1_000_000}
}

func TestParseUtilization(t *testing.T) {
	names := NewNames([]ClusterNameMapping{{Cluster: "aliyun", ThanosCluster: "prod-hz"}}, false)
	got, p, err := parseUtilization(vec(
		sample(0.45, "cluster", "prod-hz"),
		sample(0.3, "cluster", "tencent"),
		sample(1.02, "cluster", "edge"),       // irate overshoot: clamped
		sample(-0.01, "cluster", "idle"),      // clamped to 0
		sample(37, "cluster", "percent"),      // a query answering percent: dropped
		sample(math.NaN(), "cluster", "nan"),  // dropped
		sample(math.Inf(1), "cluster", "inf"), // dropped
		sample(0.5, "instance", "x"),          // missing label
		sample(0.5, "cluster", "aliyun"),      // the Karmada name of a renamed cluster: unknown
		sample(0.6, "cluster", "tencent"),     // duplicate: the higher wins
	), "cluster", names)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Sample{
		"aliyun":  {0.45, 1_000_000},
		"tencent": {0.6, 1_000_000},
		"edge":    {1, 1_000_000},
		"idle":    {0, 1_000_000},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("samples (-want +got):\n%s", diff)
	}
	wantDropped := map[string]int{DropOutOfRange: 1, DropNaN: 1, DropInfinite: 1, DropMissingLabel: 1, DropUnknownCluster: 1, DropDuplicate: 1}
	if diff := cmp.Diff(wantDropped, p.dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
	if p.series != 4 || !p.unknown["aliyun"] {
		t.Errorf("series = %d, unknown = %v", p.series, p.unknown)
	}
}

func TestParseWrongType(t *testing.T) {
	names := NewNames(nil, false)
	for _, v := range []model.Value{
		&model.Scalar{Value: 1},
		model.Matrix{},
		&model.String{Value: "x"},
		nil,
	} {
		if _, _, err := parseUtilization(v, "cluster", names); err == nil {
			t.Errorf("parseUtilization(%v) succeeded", v)
		}
		if _, _, err := parseLatency(v, names); err == nil {
			t.Errorf("parseLatency(%v) succeeded", v)
		}
		if _, _, err := parseRequests(v, names); err == nil {
			t.Errorf("parseRequests(%v) succeeded", v)
		}
	}
}

func TestParseLatency(t *testing.T) {
	names := NewNames([]ClusterNameMapping{{Cluster: "tencent", IstioClusterID: "cluster-sh"}}, false)
	got, p, err := parseLatency(vec(
		sample(4.9, "source_cluster", "aliyun", "destination_cluster", "aliyun"),
		sample(24, "source_cluster", "aliyun", "destination_cluster", "cluster-sh"),
		sample(30, "source_cluster", "aliyun", "destination_cluster", "unknown"),
		sample(math.NaN(), "source_cluster", "edge", "destination_cluster", "aliyun"),
		sample(math.Inf(1), "source_cluster", "edge", "destination_cluster", "cluster-sh"),
		sample(-1, "source_cluster", "edge", "destination_cluster", "edge"),
		sample(5, "source_cluster", "edge"),
	), names)
	if err != nil {
		t.Fatal(err)
	}
	want := map[clusterPair]Sample{
		{"aliyun", "aliyun"}:  {4.9, 1_000_000},
		{"aliyun", "tencent"}: {24, 1_000_000},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(clusterPair{})); diff != "" {
		t.Errorf("latency (-want +got):\n%s", diff)
	}
	wantDropped := map[string]int{DropUnknownDest: 1, DropNoTraffic: 1, DropInfinite: 1, DropNegativeLatency: 1, DropMissingLabel: 1}
	if diff := cmp.Diff(wantDropped, p.dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
}

func TestParseRequests(t *testing.T) {
	names := NewNames([]ClusterNameMapping{{Cluster: "aliyun", IstioClusterID: "hz"}, {Cluster: "tencent", IstioClusterID: "sh"}}, true)
	flow := func(v float64, src, dst string) *model.Sample {
		return sample(v, "source_cluster", src, "source_workload", "web", "source_workload_namespace", "default",
			"destination_cluster", dst, "destination_service_name", "core", "destination_service_namespace", "default")
	}
	got, p, err := parseRequests(vec(
		flow(400, "hz", "hz"),
		flow(10, "hz", "unknown"), // kept, destination unknown
		flow(5, "edge", "hz"),     // unmapped and unmapped names are ignored
		flow(0, "sh", "hz"),       // no traffic now
		flow(math.NaN(), "sh", "hz"),
		sample(3, "source_cluster", "hz"),
	), names)
	if err != nil {
		t.Fatal(err)
	}
	want := []Flow{
		{SourceCluster: "aliyun", SourceWorkload: "web", SourceNamespace: "default", DestinationCluster: "aliyun", DestinationService: "core", DestinationNamespace: "default", Rate: Sample{400, 1_000_000}},
		{SourceCluster: "aliyun", SourceWorkload: "web", SourceNamespace: "default", DestinationCluster: "", DestinationService: "core", DestinationNamespace: "default", Rate: Sample{10, 1_000_000}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
	wantDropped := map[string]int{DropUnknownCluster: 1, DropNoTraffic: 1, DropNaN: 1, DropMissingLabel: 1}
	if diff := cmp.Diff(wantDropped, p.dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
}

func TestNames(t *testing.T) {
	n := NewNames([]ClusterNameMapping{
		{Cluster: "aliyun", ThanosCluster: "prod-hz", IstioClusterID: "cluster-1"},
		{Cluster: "tencent", IstioClusterID: "cluster-2"},
	}, false)
	for _, tc := range []struct {
		thanos, istio string
		wantThanos    string
		okThanos      bool
		wantIstio     string
		okIstio       bool
	}{
		{thanos: "prod-hz", istio: "cluster-1", wantThanos: "aliyun", okThanos: true, wantIstio: "aliyun", okIstio: true},
		// Renamed clusters are not found by their Karmada name.
		{thanos: "aliyun", istio: "aliyun", okThanos: false, okIstio: false},
		// tencent keeps its name in Thanos, not in Istio.
		{thanos: "tencent", istio: "tencent", wantThanos: "tencent", okThanos: true, okIstio: false},
		{thanos: "edge", istio: "edge", wantThanos: "edge", okThanos: true, wantIstio: "edge", okIstio: true},
		{thanos: "", istio: "unknown", okThanos: false, okIstio: false},
	} {
		got, ok := n.FromThanos(tc.thanos)
		if got != tc.wantThanos || ok != tc.okThanos {
			t.Errorf("FromThanos(%q) = %q, %v; want %q, %v", tc.thanos, got, ok, tc.wantThanos, tc.okThanos)
		}
		got, ok = n.FromIstio(tc.istio)
		if got != tc.wantIstio || ok != tc.okIstio {
			t.Errorf("FromIstio(%q) = %q, %v; want %q, %v", tc.istio, got, ok, tc.wantIstio, tc.okIstio)
		}
	}
	strict := NewNames(nil, true)
	if _, ok := strict.FromThanos("edge"); ok {
		t.Error("ignoreUnmapped: an unmapped name was accepted")
	}
}
