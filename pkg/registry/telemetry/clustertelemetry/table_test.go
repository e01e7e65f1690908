package clustertelemetry

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	telemetryapi "kurator.dev/kurator/pkg/apis/telemetry"
)

func TestConvertToTable(t *testing.T) {
	aliyun := telemetryapi.ClusterTelemetry{ObjectMeta: metav1.ObjectMeta{Name: "aliyun"}, Status: ComputeStatus(input("aliyun", snapshot()))}
	edge := telemetryapi.ClusterTelemetry{ObjectMeta: metav1.ObjectMeta{Name: "edge"}, Status: ComputeStatus(input("edge", snapshot()))}
	tencent := telemetryapi.ClusterTelemetry{ObjectMeta: metav1.ObjectMeta{Name: "tencent"}, Status: ComputeStatus(input("tencent", snapshot()))}
	lonely := telemetryapi.ClusterTelemetry{ObjectMeta: metav1.ObjectMeta{Name: "lonely"}, Status: ComputeStatus(&Input{Cluster: "lonely", Now: now})}
	fast := telemetryapi.ClusterTelemetry{ObjectMeta: metav1.ObjectMeta{Name: "fast"}, Status: telemetryapi.ClusterTelemetryStatus{
		Peers: []telemetryapi.PeerTelemetry{{Cluster: "near", P99Latency: &metav1.Duration{Duration: 850 * time.Microsecond}}},
	}}

	table, err := tableConvertor{}.ConvertToTable(t.Context(), &telemetryapi.ClusterTelemetryList{Items: []telemetryapi.ClusterTelemetry{aliyun, edge, tencent, lonely, fast}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var columns []string
	for _, c := range table.ColumnDefinitions {
		columns = append(columns, c.Name+"/"+string(rune('0'+c.Priority)))
	}
	if diff := cmp.Diff([]string{"Name/0", "CPU%/0", "Memory%/0", "GPU%/0", "Max-P99/0", "Age-Of-Sample/0", "Status/0", "Source/1", "Peers/1"}, columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	var got [][]interface{}
	for _, row := range table.Rows {
		got = append(got, row.Cells)
	}
	want := [][]interface{}{
		{"aliyun", "42%", "50%", "<none>", "80ms", "15s", "Fresh", "http://thanos:9090", "edge=80ms,tencent=13ms"},
		{"edge", "10%", "20%", "100%", "<none>", "5s", "Fresh", "http://thanos:9090", "<none>"},
		{"tencent", "90%", "70%", "<none>", "<none>", "3m", "Stale", "http://thanos:9090", "aliyun"},
		{"lonely", "<none>", "<none>", "<none>", "<none>", "<none>", "NoTelemetrySource", "<none>", "<none>"},
		{"fast", "<none>", "<none>", "<none>", "850µs", "<none>", "Unknown", "<none>", "near=850µs"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if _, err := (tableConvertor{}).ConvertToTable(t.Context(), &metav1.Status{}, nil); err == nil {
		t.Error("converting a Status to a cluster telemetry table did not fail")
	}
}
