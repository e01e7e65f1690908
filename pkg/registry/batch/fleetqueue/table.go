package fleetqueue

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	"kurator.dev/kurator/pkg/apis/batch"
	"kurator.dev/kurator/pkg/registry/computedstatus"
)

// none and unknown are what table cells show for an unset and an unknown value, as kubectl does.
const (
	none    = "<none>"
	unknown = "<unknown>"
)

// tableColumns are the columns of `kubectl get fleetqueues`; those with Priority 1 appear with -o wide.
var tableColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: "Name of the fleet queue."},
	{Name: "Priority", Type: "integer", Description: "Priority of the queue (spec.priority): higher queues are dispatched first."},
	{Name: "Weight", Type: "integer", Description: "Share of the queue among queues of equal priority (spec.weight)."},
	{Name: "Queued", Type: "string", Description: "Jobs waiting in the queue."},
	{Name: "Dispatched", Type: "string", Description: "Jobs dispatched to a member and not running yet."},
	{Name: "Running", Type: "string", Description: "Running jobs."},
	{Name: "Preemption", Type: "string", Description: "Preemption policy (spec.preemption.policy)."},
	{Name: "Age", Type: "date", Description: "Time since the fleet queue was created."},
	{Name: "Capability", Type: "string", Priority: 1, Description: "Fleet-wide cap on what the queue's jobs hold (spec.capability)."},
	{Name: "Volcano-Queues", Type: "string", Priority: 1, Description: "Volcano queue of the jobs in each member (spec.volcanoQueues)."},
	{Name: "Slack-Threshold", Type: "string", Priority: 1, Description: "Slack below which a deadline is at risk (spec.deadline.slackThreshold)."},
}

// tableConvertor renders fleet queues as the rows of `kubectl get`.
type tableConvertor struct {
	// now returns the current time, for the Age column.
	now func() time.Time
}

// ConvertToTable converts a FleetQueue or a FleetQueueList into a table.
func (c tableConvertor) ConvertToTable(ctx context.Context, obj runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return computedstatus.ConvertToTable[*batch.FleetQueue, *batch.FleetQueueList](obj, tableOptions, "FleetQueue", tableColumns, c.row)
}

func (c tableConvertor) row(q *batch.FleetQueue) metav1.TableRow {
	s := &q.Status
	queued, dispatched, running := fmt.Sprint(s.QueuedJobs), fmt.Sprint(s.DispatchedJobs), fmt.Sprint(s.RunningJobs)
	if cond := meta.FindStatusCondition(s.Conditions, batch.FleetQueueConditionJobsCounted); cond == nil || cond.Status != metav1.ConditionTrue {
		// Zero jobs would be a lie: the counts are unknown.
		queued, dispatched, running = unknown, unknown, unknown
	}
	slack := none
	if d := q.Spec.Deadline.SlackThreshold; d != nil {
		slack = d.Duration.String()
	}
	age := unknown
	if !q.CreationTimestamp.IsZero() {
		age = duration.HumanDuration(c.now().Sub(q.CreationTimestamp.Time))
	}
	return metav1.TableRow{
		Object: runtime.RawExtension{Object: q},
		Cells: []interface{}{
			q.Name,
			int64(q.Spec.Priority),
			int64(q.Spec.Weight),
			queued,
			dispatched,
			running,
			string(q.Spec.Preemption.Policy),
			age,
			resources(q.Spec.Capability),
			volcanoQueues(q.Spec.VolcanoQueues),
			slack,
		},
	}
}

// resources formats a resource list as name=quantity pairs in name order.
func resources(list corev1.ResourceList) string {
	if len(list) == 0 {
		return none
	}
	pairs := make([]string, 0, len(list))
	for name, q := range list {
		pairs = append(pairs, string(name)+"="+q.String())
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

// volcanoQueues formats the Volcano queue mapping as cluster=queue pairs in spec order.
func volcanoQueues(mappings []batch.VolcanoQueueMapping) string {
	if len(mappings) == 0 {
		return none
	}
	pairs := make([]string, 0, len(mappings))
	for _, m := range mappings {
		pairs = append(pairs, m.Cluster+"="+m.Queue)
	}
	return strings.Join(pairs, ",")
}
