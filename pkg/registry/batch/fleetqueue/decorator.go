package fleetqueue

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"kurator.dev/kurator/pkg/apis/batch"
)

// JobCounter counts the batch jobs of every fleet queue.
type JobCounter interface {
	// CountJobs returns the queued, dispatched and running jobs by queue name, or why they
	// cannot be counted.
	CountJobs() (map[string]batch.FleetQueueStatus, string)
}

// statusDecorator fills in the status of the fleet queues the storage returns. It is the
// store's Decorator, so it runs on the result of every get, list, create, update and delete,
// and on watch events as described in REST.Watch.
type statusDecorator struct {
	jobs JobCounter
}

// decorate computes the status of a *batch.FleetQueue or of every item of a
// *batch.FleetQueueList and ignores other objects. Status is only ever replaced as a whole,
// so nothing a cache holds is written.
func (d statusDecorator) decorate(obj runtime.Object) {
	switch o := obj.(type) {
	case *batch.FleetQueue:
		if o.Name == "" {
			// A watch bookmark carries only a resourceVersion.
			return
		}
		counts, unavailable := d.jobs.CountJobs()
		setStatus(o, counts, unavailable)
	case *batch.FleetQueueList:
		if len(o.Items) == 0 {
			return
		}
		counts, unavailable := d.jobs.CountJobs()
		for i := range o.Items {
			setStatus(&o.Items[i], counts, unavailable)
		}
	}
}

// setStatus replaces the status of q with its counts, or with the unavailable status.
func setStatus(q *batch.FleetQueue, counts map[string]batch.FleetQueueStatus, unavailable string) {
	q.Status = ComputeStatus(q, counts, unavailable)
}

// ComputeStatus is the status of a fleet queue given the job counts of every queue, or the
// reason they are unavailable. The JobsCounted condition carries the queue's generation and,
// as its transition time, the queue's creation (the status is computed, not stored, so no
// real transition time exists).
func ComputeStatus(q *batch.FleetQueue, counts map[string]batch.FleetQueueStatus, unavailable string) batch.FleetQueueStatus {
	cond := metav1.Condition{
		Type:               batch.FleetQueueConditionJobsCounted,
		ObservedGeneration: q.Generation,
		LastTransitionTime: q.CreationTimestamp,
	}
	if cond.LastTransitionTime.IsZero() {
		// Only objects not yet stored (dry-run creates) have no creation time.
		cond.LastTransitionTime = metav1.Now()
	}
	var status batch.FleetQueueStatus
	if unavailable != "" {
		cond.Status, cond.Reason = metav1.ConditionFalse, batch.ReasonJobInformationUnavailable
		cond.Message = "The job counts are unknown: " + unavailable
	} else {
		c := counts[q.Name]
		status.QueuedJobs, status.DispatchedJobs, status.RunningJobs = c.QueuedJobs, c.DispatchedJobs, c.RunningJobs
		cond.Status, cond.Reason = metav1.ConditionTrue, batch.ReasonJobsCounted
		cond.Message = "The counts cover every Volcano Job of the Karmada apiserver"
	}
	status.Conditions = []metav1.Condition{cond}
	return status
}
