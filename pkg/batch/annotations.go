package batch

import (
	"fmt"
	"strconv"
	"time"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
)

// Annotations the core needs on a job's ResourceBinding beyond those of pkg/apis/batch, so
// that a restarted controller rebuilds the same Job.
const (
	// AnnotationStartedAt is when the job last started running (the start of a Running
	// job, and its cooldown).
	AnnotationStartedAt = "batch.kurator.dev/started-at"
	// AnnotationLastPreempted is when the job was last evicted for a deadline (its
	// cooldown).
	AnnotationLastPreempted = "batch.kurator.dev/last-preempted"
)

// annotationKeys are every annotation Annotations may write.
var annotationKeys = []string{
	batchapi.AnnotationState, batchapi.AnnotationCluster, batchapi.AnnotationDispatchedAt, batchapi.AnnotationAttempts,
	batchapi.AnnotationNextAttemptAt, batchapi.AnnotationReason, batchapi.AnnotationMessage,
	batchapi.AnnotationPredictedStart, batchapi.AnnotationPredictedFinish, AnnotationStartedAt, AnnotationLastPreempted,
}

// AnnotationKeys lists every annotation Annotations may write: keys it leaves out are to
// be removed from the binding.
func AnnotationKeys() []string { return append([]string(nil), annotationKeys...) }

// Annotations returns what the controller records on the job's ResourceBinding: its state
// (pkg/apis/batch keys plus AnnotationStartedAt and AnnotationLastPreempted), and, when
// given, this cycle's status and prediction for the BatchJob view. A job with input
// problems is recorded as Rejected. A Finished job's state is left to the caller, who
// knows whether it Succeeded or Failed.
func Annotations(j *Job, st *JobStatus, pr *Prediction) map[string]string {
	out := map[string]string{}
	switch {
	case st != nil && isProblem(st.Reason):
		out[batchapi.AnnotationState] = string(batchapi.BatchJobRejected)
	case j.State.Phase != PhaseFinished && j.State.Phase != "":
		out[batchapi.AnnotationState] = string(j.State.Phase)
	}
	if j.State.Cluster != "" {
		out[batchapi.AnnotationCluster] = j.State.Cluster
	}
	putTime := func(key string, t time.Time) {
		if !t.IsZero() {
			out[key] = t.UTC().Format(time.RFC3339)
		}
	}
	putTime(batchapi.AnnotationDispatchedAt, j.DispatchedAt)
	putTime(batchapi.AnnotationNextAttemptAt, j.NotBefore)
	putTime(AnnotationStartedAt, j.LastStarted)
	putTime(AnnotationLastPreempted, j.LastPreempted)
	if j.Attempts > 0 {
		out[batchapi.AnnotationAttempts] = strconv.Itoa(int(j.Attempts))
	}
	if st != nil {
		out[batchapi.AnnotationReason] = string(st.Reason)
		out[batchapi.AnnotationMessage] = st.Message
	}
	if pr != nil && pr.Known {
		putTime(batchapi.AnnotationPredictedStart, pr.Start)
		putTime(batchapi.AnnotationPredictedFinish, pr.Finish)
	}
	return out
}

func isProblem(r StatusReason) bool {
	switch r {
	case ReasonInvalidDeadline, ReasonDeadlineInPast, ReasonNoQueue, ReasonUnknownQueue, ReasonInvalidSpec, ReasonUnsatisfiable:
		return true
	}
	return false
}

// DecodeState fills j's state from its binding's annotations (see Annotations). A binding
// without them holds a new Queued job; Rejected jobs are Queued again (the core validates
// every cycle); Succeeded and Failed ones are Finished. Times have second precision.
func DecodeState(ann map[string]string, j *Job) error {
	getTime := func(key string) (time.Time, error) {
		v, ok := ann[key]
		if !ok {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("annotation %s=%q is not an RFC 3339 time", key, v)
		}
		return t, nil
	}
	var err error
	if j.DispatchedAt, err = getTime(batchapi.AnnotationDispatchedAt); err != nil {
		return err
	}
	if j.NotBefore, err = getTime(batchapi.AnnotationNextAttemptAt); err != nil {
		return err
	}
	if j.LastStarted, err = getTime(AnnotationStartedAt); err != nil {
		return err
	}
	if j.LastPreempted, err = getTime(AnnotationLastPreempted); err != nil {
		return err
	}
	j.Attempts = 0
	if v, ok := ann[batchapi.AnnotationAttempts]; ok {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return fmt.Errorf("annotation %s=%q is not a non-negative integer", batchapi.AnnotationAttempts, v)
		}
		j.Attempts = int32(n)
	}
	cluster := ann[batchapi.AnnotationCluster]
	switch s := batchapi.BatchJobState(ann[batchapi.AnnotationState]); s {
	case "", batchapi.BatchJobQueued, batchapi.BatchJobRejected:
		j.State = JobState{Phase: PhaseQueued}
	case batchapi.BatchJobDispatched:
		if cluster == "" || j.DispatchedAt.IsZero() {
			return fmt.Errorf("state %s needs annotations %s and %s", s, batchapi.AnnotationCluster, batchapi.AnnotationDispatchedAt)
		}
		j.State = JobState{Phase: PhaseDispatched, Cluster: cluster, Since: j.DispatchedAt}
	case batchapi.BatchJobRunning:
		if cluster == "" || j.LastStarted.IsZero() {
			return fmt.Errorf("state %s needs annotations %s and %s", s, batchapi.AnnotationCluster, AnnotationStartedAt)
		}
		j.State = JobState{Phase: PhaseRunning, Cluster: cluster, Since: j.LastStarted}
	case batchapi.BatchJobSucceeded, batchapi.BatchJobFailed:
		j.State = JobState{Phase: PhaseFinished, Cluster: cluster}
	default:
		return fmt.Errorf("annotation %s=%q is not a state of the fleet queue", batchapi.AnnotationState, s)
	}
	return nil
}
