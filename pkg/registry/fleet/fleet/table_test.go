package fleet

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kurator.dev/kurator/pkg/apis/fleet"
)

func TestConvertToTable(t *testing.T) {
	now := t0.Add(90 * time.Minute)
	convertor := tableConvertor{now: func() time.Time { return now }}
	prod := fleet.Fleet{
		ObjectMeta: metav1.ObjectMeta{Name: "prod", CreationTimestamp: t0, ResourceVersion: "7"},
		Spec: fleet.FleetSpec{
			Clusters:        []string{"a", "gone"},
			ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}},
			Telemetry:       &fleet.FleetTelemetry{ThanosQueryURL: "http://thanos:9090"},
		},
		Status: fleet.FleetStatus{
			MatchedClusters: 3, ReadyClusters: 2, MissingClusters: []string{"gone"},
			Allocatable: rl("12", "48Gi"), Allocated: rl("3500m", "12Gi"),
			Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionFalse, Reason: fleet.ReasonMembersMissing}},
		},
	}
	unavailable := fleet.Fleet{
		ObjectMeta: metav1.ObjectMeta{Name: "dark", CreationTimestamp: t1},
		Spec:       fleet.FleetSpec{Clusters: []string{"a"}},
		Status:     UnavailableStatus("not synced"),
	}
	empty := fleet.Fleet{ObjectMeta: metav1.ObjectMeta{Name: "new"}, Spec: fleet.FleetSpec{Clusters: []string{"a"}}}

	table, err := convertor.ConvertToTable(t.Context(), &fleet.FleetList{
		ListMeta: metav1.ListMeta{ResourceVersion: "9", Continue: "next"},
		Items:    []fleet.Fleet{prod, unavailable, empty},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]interface{}
	for _, row := range table.Rows {
		got = append(got, row.Cells)
	}
	want := [][]interface{}{
		{"prod", "2/3", int64(1), "3500m/12", "90m", "12Gi/48Gi", "env=prod", "http://thanos:9090"},
		{"dark", "<unknown>", int64(0), "<unknown>", "30m", "<unknown>", "<none>", "<none>"},
		{"new", "0/0", int64(0), "0/0", "<unknown>", "0/0", "<none>", "<none>"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
	if len(table.ColumnDefinitions) != 8 || table.ResourceVersion != "9" || table.Continue != "next" {
		t.Errorf("table has %d columns, resourceVersion %q, continue %q", len(table.ColumnDefinitions), table.ResourceVersion, table.Continue)
	}

	single, err := convertor.ConvertToTable(t.Context(), &prod, &metav1.TableOptions{NoHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(single.ColumnDefinitions) != 0 || len(single.Rows) != 1 || single.ResourceVersion != "7" {
		t.Errorf("single fleet without headers: %d columns, %d rows, resourceVersion %q", len(single.ColumnDefinitions), len(single.Rows), single.ResourceVersion)
	}
	if _, err := convertor.ConvertToTable(t.Context(), &metav1.Status{}, nil); err == nil {
		t.Error("converting a Status to a fleet table did not fail")
	}
}
