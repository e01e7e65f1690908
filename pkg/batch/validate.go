package batch

import (
	"fmt"
	"sort"
	"strings"
	"time"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
)

// Reasons of invalid jobs. A job with a problem is never released; its status carries
// the first problem, which names the field and says what to change.
const (
	// ReasonInvalidDeadline means the deadline annotation is not an RFC 3339 time.
	ReasonInvalidDeadline StatusReason = batchapi.ReasonInvalidDeadline
	// ReasonDeadlineInPast means the deadline is not after the job's creation.
	ReasonDeadlineInPast StatusReason = "DeadlineInPast"
	// ReasonNoQueue means the job names no fleet queue and there is no default.
	ReasonNoQueue StatusReason = batchapi.ReasonNoQueue
	// ReasonUnknownQueue means the fleet queue does not exist.
	ReasonUnknownQueue StatusReason = batchapi.ReasonUnknownQueue
	// ReasonInvalidSpec means the job's spec cannot be scheduled as written (no tasks, a
	// minAvailable above replicas, a negative runtime estimate).
	ReasonInvalidSpec StatusReason = "InvalidSpec"
	// ReasonUnsatisfiable means no member could run the job even if it were empty.
	ReasonUnsatisfiable StatusReason = "Unsatisfiable"
)

// Problem is one reason a job cannot be queued as written.
type Problem struct {
	Reason StatusReason
	// Field is the path of the offending field in the Volcano Job.
	Field   string
	Message string
}

// ValidateJob checks what can be checked without the members: problems found when the
// job was converted, its fleet queue, its deadline against its creation, its tasks.
func ValidateJob(j *Job, queues map[string]*FleetQueue) []Problem {
	probs := append([]Problem(nil), j.Problems...)
	if _, ok := queues[j.Queue]; !ok && j.Queue != "" {
		names := make([]string, 0, len(queues))
		for n := range queues {
			names = append(names, n)
		}
		sort.Strings(names)
		probs = append(probs, Problem{Reason: ReasonUnknownQueue, Field: "metadata.annotations[" + batchapi.AnnotationQueue + "]",
			Message: fmt.Sprintf("job %s names fleet queue %q, which does not exist: set annotation %s to one of [%s], or create FleetQueue %q",
				j.JobKey, j.Queue, batchapi.AnnotationQueue, strings.Join(names, ", "), j.Queue)})
	}
	if j.Deadline != nil && !j.Submitted.IsZero() && !j.Deadline.After(j.Submitted) {
		probs = append(probs, Problem{Reason: ReasonDeadlineInPast, Field: "metadata.annotations[" + batchapi.AnnotationDeadline + "]",
			Message: fmt.Sprintf("job %s has deadline %s, not after its creation at %s: set annotation %s to a later RFC 3339 time, or remove it",
				j.JobKey, j.Deadline.UTC().Format(time.RFC3339), j.Submitted.UTC().Format(time.RFC3339), batchapi.AnnotationDeadline)})
	}
	if j.Runtime < 0 {
		probs = append(probs, Problem{Reason: ReasonInvalidSpec, Field: "spec.runningEstimate",
			Message: fmt.Sprintf("job %s has a negative spec.runningEstimate %s: set a positive duration or remove it", j.JobKey, j.Runtime)})
	}
	if len(j.Tasks) == 0 {
		probs = append(probs, Problem{Reason: ReasonInvalidSpec, Field: "spec.tasks",
			Message: fmt.Sprintf("job %s has no tasks: add at least one task with replicas > 0", j.JobKey)})
	}
	for i := range j.Tasks {
		t := &j.Tasks[i]
		if t.Replicas < 0 || t.minAvailable() < 0 || t.minAvailable() > t.Replicas {
			probs = append(probs, Problem{Reason: ReasonInvalidSpec, Field: fmt.Sprintf("spec.tasks[%d].minAvailable", i),
				Message: fmt.Sprintf("job %s task %q has minAvailable %d and replicas %d: minAvailable must be between 0 and replicas",
					j.JobKey, t.Name, t.minAvailable(), t.Replicas)})
		}
	}
	return probs
}

// Validate checks a job against the queues and the members: ValidateJob, then whether
// any member could ever run it (its empty form fits the gang and its Volcano queue
// exists and admits it). The webhook may reject what it returns; Schedule reports the
// same problems as statuses.
func Validate(in Input, j *Job) []Problem {
	c := newCycle(&in)
	if probs := ValidateJob(j, c.queues); len(probs) > 0 {
		return probs
	}
	if ok, reasons := c.everFits(j); !ok {
		return []Problem{{Reason: ReasonUnsatisfiable, Field: "spec.tasks",
			Message: fmt.Sprintf("job %s could not run on any member even with nothing else running (%s): reduce the tasks' requests or minAvailable, or add nodes that offer them",
				j.JobKey, reasons)}}
	}
	return nil
}
