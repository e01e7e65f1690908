package clustertelemetry

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	telemetryapi "kurator.dev/kurator/pkg/apis/telemetry"
	"kurator.dev/kurator/pkg/telemetry"
)

var (
	now   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ago   = func(d time.Duration) int64 { return now.Add(-d).UnixMilli() }
	mtime = func(d time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(-d)); return &t }
)

// snapshot is a source's snapshot taken 5s ago with a 60s staleness bound: aliyun fresh,
// tencent stale on memory, edge with GPU; latency and traffic between aliyun and the others.
func snapshot() *telemetry.Snapshot {
	s := telemetry.NewSnapshot(telemetry.SnapshotData{
		Time:         now.Add(-5 * time.Second),
		MaxSampleAge: time.Minute,
		Utilization: map[corev1.ResourceName]map[string]telemetry.Sample{
			corev1.ResourceCPU:    {"aliyun": {Value: 0.42, Time: ago(10 * time.Second)}, "tencent": {Value: 0.9, Time: ago(20 * time.Second)}, "edge": {Value: 0.1, Time: ago(5 * time.Second)}},
			corev1.ResourceMemory: {"aliyun": {Value: 0.5, Time: ago(15 * time.Second)}, "tencent": {Value: 0.7, Time: ago(3 * time.Minute)}, "edge": {Value: 0.2, Time: ago(5 * time.Second)}},
			telemetry.GPUResource: {"edge": {Value: 0.995, Time: ago(5 * time.Second)}},
		},
		Latency: map[[2]string]telemetry.Sample{
			{"aliyun", "tencent"}: {Value: 12.5, Time: ago(10 * time.Second)},
			{"aliyun", "edge"}:    {Value: 80, Time: ago(2 * time.Minute)},
			{"aliyun", "aliyun"}:  {Value: 1, Time: ago(10 * time.Second)},
		},
		Flows: []telemetry.Flow{
			{SourceCluster: "aliyun", SourceWorkload: "web", DestinationCluster: "tencent", DestinationService: "core", Rate: telemetry.Sample{Value: 30}},
			{SourceCluster: "aliyun", SourceWorkload: "api", DestinationCluster: "tencent", DestinationService: "core", Rate: telemetry.Sample{Value: 10}},
			{SourceCluster: "tencent", SourceWorkload: "core", DestinationCluster: "aliyun", DestinationService: "web", Rate: telemetry.Sample{Value: 5}},
			{SourceCluster: "aliyun", SourceWorkload: "web", DestinationCluster: "", DestinationService: "external", Rate: telemetry.Sample{Value: 99}},
			{SourceCluster: "aliyun", SourceWorkload: "web", DestinationCluster: "aliyun", DestinationService: "cache", Rate: telemetry.Sample{Value: 500}},
		},
	})
	s.Generation = 7
	return s
}

func input(cluster string, snap *telemetry.Snapshot) *Input {
	return &Input{
		Cluster: cluster, Fleet: "prod", OtherFleets: []string{"zz-other"}, URL: "http://thanos:9090", ClusterLabel: "cluster",
		ThanosCluster: cluster + "-thanos", IstioClusterID: cluster + "-istio", Snapshot: snap, Now: now,
	}
}

func TestComputeStatusFresh(t *testing.T) {
	got := ComputeStatus(input("aliyun", snapshot()))
	want := telemetryapi.ClusterTelemetryStatus{
		ThanosCluster: "aliyun-thanos", IstioClusterID: "aliyun-istio",
		CPU:    &telemetryapi.UtilizationSample{Fraction: 0.42, Time: *mtime(10 * time.Second)},
		Memory: &telemetryapi.UtilizationSample{Fraction: 0.5, Time: *mtime(15 * time.Second)},
		Peers: []telemetryapi.PeerTelemetry{
			{Cluster: "edge", P99Latency: &metav1.Duration{Duration: 80 * time.Millisecond}, LatencyTime: mtime(2 * time.Minute), LatencyStale: true},
			{Cluster: "tencent", P99Latency: &metav1.Duration{Duration: 12500 * time.Microsecond}, LatencyTime: mtime(10 * time.Second), RequestsPerSecond: 40, InboundRequestsPerSecond: 5},
		},
		SampleTime: mtime(15 * time.Second),
		SampleAge:  &metav1.Duration{Duration: 15 * time.Second},
		Source: &telemetryapi.TelemetrySource{
			URL: "http://thanos:9090", Fleet: "prod", OtherFleets: []string{"zz-other"}, OtherFleetCount: 1,
			LastRefresh: mtime(5 * time.Second), LastSuccess: mtime(5 * time.Second), MaxSampleAge: metav1.Duration{Duration: time.Minute},
		},
		Conditions: []metav1.Condition{{
			Type: "Fresh", Status: metav1.ConditionTrue, Reason: "SamplesFresh", Message: "Every utilization sample is younger than 1m0s",
			LastTransitionTime: metav1.NewTime(now),
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status mismatch (-want +got):\n%s", diff)
	}
}

func TestComputeStatusConditions(t *testing.T) {
	failing := func(s *telemetry.Snapshot, names ...string) *telemetry.Snapshot {
		for i := range s.Queries {
			for _, n := range names {
				if s.Queries[i].Name == n {
					s.Queries[i].Error = "querying http://thanos:9090: connection refused"
				}
			}
		}
		return s
	}
	partial := snapshot()
	partial.Queries[0].Warnings = []string{"No StoreAPIs matched for this query"}
	unknown := snapshot()
	unknown.UnknownClusters = []string{"aliyun-prod"}
	empty := telemetry.Empty()
	empty.MaxSampleAge = time.Minute

	tests := []struct {
		name       string
		in         *Input
		wantStatus metav1.ConditionStatus
		wantReason string
		wantInMsg  []string
		check      func(t *testing.T, st telemetryapi.ClusterTelemetryStatus)
	}{
		{
			name:       "no fleet with telemetry",
			in:         &Input{Cluster: "aliyun", Now: now},
			wantStatus: metav1.ConditionFalse, wantReason: "NoTelemetrySource",
			wantInMsg: []string{"No fleet with spec.telemetry includes cluster aliyun", "spec.telemetry.thanosQueryURL"},
			check: func(t *testing.T, st telemetryapi.ClusterTelemetryStatus) {
				if st.Source != nil || st.CPU != nil {
					t.Errorf("a cluster without source shows source %+v, cpu %+v", st.Source, st.CPU)
				}
			},
		},
		{
			name:       "source not running yet",
			in:         input("aliyun", nil),
			wantStatus: metav1.ConditionFalse, wantReason: "WaitingForFirstRefresh",
			wantInMsg: []string{"has not run its queries yet"},
		},
		{
			name:       "source never refreshed",
			in:         input("aliyun", empty),
			wantStatus: metav1.ConditionFalse, wantReason: "WaitingForFirstRefresh",
			check: func(t *testing.T, st telemetryapi.ClusterTelemetryStatus) {
				if st.Source == nil || st.Source.MaxSampleAge.Duration != time.Minute || !st.Source.Stale {
					t.Errorf("source = %+v, want stale with maxSampleAge 1m", st.Source)
				}
			},
		},
		{
			name: "source cannot start",
			in: func() *Input {
				in := input("aliyun", nil)
				in.SourceError = "invalid telemetry configuration: url"
				return in
			}(),
			wantStatus: metav1.ConditionFalse, wantReason: "SourceUnreachable",
			wantInMsg: []string{"cannot be started: invalid telemetry configuration"},
		},
		{
			name:       "a sample older than the bound",
			in:         input("tencent", snapshot()),
			wantStatus: metav1.ConditionFalse, wantReason: "Stale",
			wantInMsg: []string{"memory sample is 3m0s old, older than 1m0s"},
			check: func(t *testing.T, st telemetryapi.ClusterTelemetryStatus) {
				if st.CPU == nil || st.CPU.Stale || st.Memory == nil || !st.Memory.Stale {
					t.Errorf("cpu %+v and memory %+v: want cpu fresh, memory stale", st.CPU, st.Memory)
				}
				if st.SampleAge == nil || st.SampleAge.Duration != 3*time.Minute {
					t.Errorf("sampleAge = %v, want the oldest sample's 3m", st.SampleAge)
				}
				if len(st.Peers) != 1 || st.Peers[0].Cluster != "aliyun" || st.Peers[0].P99Latency != nil ||
					st.Peers[0].RequestsPerSecond != 5 || st.Peers[0].InboundRequestsPerSecond != 40 {
					t.Errorf("tencent's peers = %+v, want aliyun with traffic both ways and no latency sample", st.Peers)
				}
			},
		},
		{
			name:       "stale because the queries fail",
			in:         input("tencent", failing(snapshot(), "utilization/memory")),
			wantStatus: metav1.ConditionFalse, wantReason: "SourceUnreachable",
			wantInMsg: []string{"memory sample is 3m0s old", "utilization/memory: querying http://thanos:9090: connection refused"},
			check: func(t *testing.T, st telemetryapi.ClusterTelemetryStatus) {
				if st.Source.LastError != "utilization/memory: querying http://thanos:9090: connection refused" {
					t.Errorf("lastError = %q", st.Source.LastError)
				}
			},
		},
		{
			name:       "a query failing while samples are fresh is visible but not stale",
			in:         input("aliyun", failing(snapshot(), "latency")),
			wantStatus: metav1.ConditionTrue, wantReason: "SamplesFresh",
			check: func(t *testing.T, st telemetryapi.ClusterTelemetryStatus) {
				if !strings.HasPrefix(st.Source.LastError, "latency: ") || st.Source.Stale {
					t.Errorf("source = %+v, want lastError about latency and not stale", st.Source)
				}
			},
		},
		{
			name:       "no sample and utilization failing",
			in:         input("unknown-cluster", failing(snapshot(), "utilization/cpu", "utilization/memory")),
			wantStatus: metav1.ConditionFalse, wantReason: "SourceUnreachable",
			wantInMsg: []string{"there is no sample of cluster unknown-cluster", "utilization/cpu: querying"},
		},
		{
			name:       "answers without the cluster",
			in:         input("gone", unknown),
			wantStatus: metav1.ConditionFalse, wantReason: "NoSamples",
			wantInMsg: []string{`no utilization sample with cluster="gone-thanos"`, "spec.telemetry.clusterMapping of fleet prod", "unmapped clusters aliyun-prod"},
			check: func(t *testing.T, st telemetryapi.ClusterTelemetryStatus) {
				if st.SampleAge != nil || st.CPU != nil || len(st.Peers) != 0 {
					t.Errorf("no samples, yet sampleAge %v, cpu %v, peers %v", st.SampleAge, st.CPU, st.Peers)
				}
			},
		},
		{
			name:       "partial response",
			in:         input("edge", partial),
			wantStatus: metav1.ConditionTrue, wantReason: "PartialResponse",
			wantInMsg: []string{"answered partially", "utilization/cpu: No StoreAPIs matched"},
			check: func(t *testing.T, st telemetryapi.ClusterTelemetryStatus) {
				if st.GPU == nil || st.GPU.Fraction != 0.995 {
					t.Errorf("gpu = %+v, want 0.995", st.GPU)
				}
				if len(st.Source.Warnings) != 1 {
					t.Errorf("warnings = %q", st.Source.Warnings)
				}
			},
		},
		{
			name: "many other fleets: the first 10 are listed, all are counted",
			in: func() *Input {
				in := input("aliyun", snapshot())
				in.OtherFleets = nil
				for i := 0; i < 25; i++ {
					in.OtherFleets = append(in.OtherFleets, fmt.Sprintf("f%02d", i))
				}
				return in
			}(),
			wantStatus: metav1.ConditionTrue, wantReason: "SamplesFresh",
			check: func(t *testing.T, st telemetryapi.ClusterTelemetryStatus) {
				if len(st.Source.OtherFleets) != 10 || st.Source.OtherFleets[9] != "f09" || st.Source.OtherFleetCount != 25 {
					t.Errorf("other fleets = %v (count %d), want f00..f09 of 25", st.Source.OtherFleets, st.Source.OtherFleetCount)
				}
			},
		},
		{
			name: "every query stale: the source is stale",
			in: func() *Input {
				in := input("aliyun", snapshot())
				in.Now = now.Add(10 * time.Minute)
				return in
			}(),
			wantStatus: metav1.ConditionFalse, wantReason: "Stale",
			check: func(t *testing.T, st telemetryapi.ClusterTelemetryStatus) {
				if !st.Source.Stale {
					t.Error("no query succeeded for 10m, yet the source is not stale")
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := ComputeStatus(tc.in)
			if len(st.Conditions) != 1 || st.Conditions[0].Type != telemetryapi.ConditionFresh {
				t.Fatalf("conditions = %+v, want exactly Fresh", st.Conditions)
			}
			c := st.Conditions[0]
			if c.Status != tc.wantStatus || c.Reason != tc.wantReason {
				t.Errorf("Fresh = %s/%s (%s), want %s/%s", c.Status, c.Reason, c.Message, tc.wantStatus, tc.wantReason)
			}
			for _, m := range tc.wantInMsg {
				if !strings.Contains(c.Message, m) {
					t.Errorf("message %q does not contain %q", c.Message, m)
				}
			}
			if tc.check != nil {
				tc.check(t, st)
			}
		})
	}
}
