package batchjob

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	"kurator.dev/kurator/pkg/apis/batch"
)

// none is what table cells show for an unset value, as kubectl does.
const none = "<none>"

// tableColumns are the columns of `kubectl get batchjobs`, in the manner of squeue; those
// with Priority 1 appear with -o wide.
var tableColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: "Name of the Volcano Job."},
	{Name: "Queue", Type: "string", Description: "Fleet queue of the job."},
	{Name: "Priority", Type: "integer", Description: "Value of the job's PriorityClass."},
	{Name: "State", Type: "string", Description: "Queued, Dispatched, Running, Succeeded, Failed or Rejected."},
	{Name: "Cluster", Type: "string", Description: "Member the job was dispatched to or runs in."},
	{Name: "Deadline", Type: "string", Description: "When the job must have finished, relative to now."},
	{Name: "Slack", Type: "string", Description: "Deadline minus now minus the remaining runtime; negative means the deadline will be missed."},
	{Name: "Start", Type: "string", Description: "When the job started, or is predicted to start, relative to now."},
	{Name: "Reason", Type: "string", Description: "Why the job is in its state."},
	{Name: "Predicted-Finish", Type: "string", Priority: 1, Description: "When the job is predicted to finish (or finished), relative to now."},
	{Name: "Attempts", Type: "integer", Priority: 1, Description: "How many times the job was dispatched."},
	{Name: "Message", Type: "string", Priority: 1, Description: "What the state means and, for a rejected job, what to change."},
}

// tableConvertor renders batch jobs as the rows of `kubectl get`.
type tableConvertor struct {
	// now returns the current time, for relative times.
	now func() time.Time
}

// ConvertToTable converts a BatchJob or a BatchJobList into a table.
func (c tableConvertor) ConvertToTable(ctx context.Context, obj runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		table.ColumnDefinitions = tableColumns
	}
	now := c.now()
	switch o := obj.(type) {
	case *batch.BatchJob:
		table.Rows = []metav1.TableRow{row(o, now)}
	case *batch.BatchJobList:
		table.Rows = make([]metav1.TableRow, 0, len(o.Items))
		for i := range o.Items {
			table.Rows = append(table.Rows, row(&o.Items[i], now))
		}
	default:
		return nil, fmt.Errorf("cannot convert %T to a table: expected a BatchJob or a BatchJobList", obj)
	}
	return table, nil
}

func row(j *batch.BatchJob, now time.Time) metav1.TableRow {
	s := &j.Status
	start := s.StartTime
	if start == nil {
		start = s.PredictedStart
	}
	finish := s.CompletionTime
	if finish == nil {
		finish = s.PredictedFinish
	}
	slack := none
	if s.Slack != nil {
		slack = signedDuration(s.Slack.Duration)
	}
	return metav1.TableRow{
		Object: runtime.RawExtension{Object: j},
		Cells: []interface{}{
			j.Name,
			orNone(s.Queue),
			int64(s.Priority),
			string(s.State),
			orNone(s.Cluster),
			relative(s.Deadline, now),
			slack,
			relative(start, now),
			orNone(s.Reason),
			relative(finish, now),
			int64(s.Attempts),
			orNone(s.Message),
		},
	}
}

// relative formats a time relative to now: "in 5m" or "5m ago".
func relative(t *metav1.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return none
	}
	if d := t.Sub(now); d > 0 {
		return "in " + duration.HumanDuration(d)
	}
	return duration.HumanDuration(now.Sub(t.Time)) + " ago"
}

// signedDuration formats a duration the way kubectl formats ages, with a minus sign when
// negative.
func signedDuration(d time.Duration) string {
	if d < 0 {
		return "-" + duration.HumanDuration(-d)
	}
	return duration.HumanDuration(d)
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}
