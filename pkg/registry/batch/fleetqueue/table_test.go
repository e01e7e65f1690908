package fleetqueue

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"kurator.dev/kurator/pkg/apis/batch"
)

func mustPath(p string) fieldpath.Path { return fieldpath.MakePathOrDie(p) }

func TestConvertToTable(t *testing.T) {
	now := created.Add(90 * time.Minute)
	convertor := tableConvertor{now: func() time.Time { return now }}
	counted := *defaulted("train")
	counted.ResourceVersion = "7"
	counted.Status = ComputeStatus(&counted, map[string]batch.FleetQueueStatus{"train": {QueuedJobs: 3, DispatchedJobs: 1, RunningJobs: 2}}, "")
	unknown := *defaulted("infer")
	unknown.Spec.Capability = nil
	unknown.Spec.Preemption.Policy = batch.PreemptNever
	unknown.Status = ComputeStatus(&unknown, nil, "not synced")
	fresh := batch.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: "new"}}

	table, err := convertor.ConvertToTable(t.Context(), &batch.FleetQueueList{
		ListMeta: metav1.ListMeta{ResourceVersion: "9", Continue: "next"},
		Items:    []batch.FleetQueue{counted, unknown, fresh},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]interface{}
	for _, row := range table.Rows {
		got = append(got, row.Cells)
	}
	want := [][]interface{}{
		{"train", int64(10), int64(2), "3", "1", "2", "LowerPriority", "90m", "cpu=200,nvidia.com/gpu=16", "aliyun=gpu,*=default", "10m0s"},
		{"infer", int64(10), int64(2), "<unknown>", "<unknown>", "<unknown>", "Never", "90m", "<none>", "aliyun=gpu,*=default", "10m0s"},
		{"new", int64(0), int64(0), "<unknown>", "<unknown>", "<unknown>", "", "<unknown>", "<none>", "<none>", "<none>"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
	if len(table.ColumnDefinitions) != 11 || table.ResourceVersion != "9" || table.Continue != "next" {
		t.Errorf("table has %d columns, resourceVersion %q, continue %q", len(table.ColumnDefinitions), table.ResourceVersion, table.Continue)
	}
	wide := 0
	for _, c := range table.ColumnDefinitions {
		if c.Priority == 1 {
			wide++
		}
	}
	if wide != 3 {
		t.Errorf("%d -o wide columns, want 3 (capability, Volcano queues, slack threshold)", wide)
	}
	single, err := convertor.ConvertToTable(t.Context(), &counted, &metav1.TableOptions{NoHeaders: true})
	if err != nil || len(single.ColumnDefinitions) != 0 || len(single.Rows) != 1 || single.ResourceVersion != "7" {
		t.Errorf("single queue without headers: %v, %+v", err, single)
	}
	if _, err := convertor.ConvertToTable(t.Context(), &metav1.Status{}, nil); err == nil {
		t.Error("converting a Status to a fleet queue table did not fail")
	}
}
