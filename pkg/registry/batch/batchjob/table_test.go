package batchjob

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kurator.dev/kurator/pkg/apis/batch"
)

func TestConvertToTable(t *testing.T) {
	convertor := tableConvertor{now: func() time.Time { return now }}
	running := batch.BatchJob{
		ObjectMeta: metav1.ObjectMeta{Name: "resnet", Namespace: "ml"},
		Status: batch.BatchJobStatus{
			Queue: "train", Priority: 1000, State: batch.BatchJobRunning, Cluster: "aliyun",
			Deadline: at(2 * time.Hour), Slack: estimate(-5 * time.Minute), StartTime: at(-30 * time.Minute),
			PredictedStart: at(-31 * time.Minute), PredictedFinish: at(35 * time.Minute), Reason: "Running", Attempts: 2,
			Message: "admitted by aliyun/default",
		},
	}
	queued := batch.BatchJob{
		ObjectMeta: metav1.ObjectMeta{Name: "bert", Namespace: "ml"},
		Status: batch.BatchJobStatus{
			Queue: "infer", State: batch.BatchJobQueued, PredictedStart: at(10 * time.Minute),
			Slack: estimate(90 * time.Minute), Reason: batch.ReasonWaitingForDispatch,
		},
	}
	done := batch.BatchJob{
		ObjectMeta: metav1.ObjectMeta{Name: "etl", Namespace: "ml"},
		Status:     batch.BatchJobStatus{State: batch.BatchJobSucceeded, Cluster: "edge", StartTime: at(-2 * time.Hour), CompletionTime: at(-time.Hour), PredictedFinish: at(time.Hour)},
	}
	table, err := convertor.ConvertToTable(t.Context(), &batch.BatchJobList{Items: []batch.BatchJob{running, queued, done}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var columns []string
	for _, c := range table.ColumnDefinitions {
		columns = append(columns, c.Name+"/"+string(rune('0'+c.Priority)))
	}
	wantColumns := []string{"Name/0", "Queue/0", "Priority/0", "State/0", "Cluster/0", "Deadline/0", "Slack/0", "Start/0", "Reason/0", "Predicted-Finish/1", "Attempts/1", "Message/1"}
	if diff := cmp.Diff(wantColumns, columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	var got [][]interface{}
	for _, row := range table.Rows {
		got = append(got, row.Cells)
	}
	want := [][]interface{}{
		{"resnet", "train", int64(1000), "Running", "aliyun", "in 120m", "-5m", "30m ago", "Running", "in 35m", int64(2), "admitted by aliyun/default"},
		{"bert", "infer", int64(0), "Queued", "<none>", "<none>", "90m", "in 10m", "WaitingForDispatch", "<none>", int64(0), "<none>"},
		{"etl", "<none>", int64(0), "Succeeded", "edge", "<none>", "<none>", "120m ago", "<none>", "60m ago", int64(0), "<none>"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if _, err := convertor.ConvertToTable(t.Context(), &metav1.Status{}, nil); err == nil {
		t.Error("converting a Status to a batch job table did not fail")
	}
	single, err := convertor.ConvertToTable(t.Context(), &queued, &metav1.TableOptions{NoHeaders: true})
	if err != nil || len(single.ColumnDefinitions) != 0 || len(single.Rows) != 1 {
		t.Errorf("single job without headers: %v, %d columns, %d rows", err, len(single.ColumnDefinitions), len(single.Rows))
	}
}
