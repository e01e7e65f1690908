// Package batchjob is the storage of the BatchJob kind: a read-only view, computed on every
// read, of each Volcano Job submitted to the Karmada apiserver, from the job, its
// ResourceBinding and the decisions the fleet-queue controller records there.
package batchjob

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"

	"kurator.dev/kurator/pkg/apis/batch"
)

// DefaultRuntime is the runtime assumed for jobs without spec.runningEstimate, the fleet-queue
// controller's default.
const DefaultRuntime = time.Hour

// Environment is what every job's view is computed against: the fleet queues, the fleets'
// batch defaults, the PriorityClasses and the time.
type Environment struct {
	// Queues are the names of the existing FleetQueues.
	Queues sets.Set[string]
	// DefaultQueue is the fleet default queue and DefaultQueueFleet the fleet that sets it.
	DefaultQueue, DefaultQueueFleet string
	// DefaultPriorityClassName is the fleet default PriorityClass and
	// DefaultPriorityClassFleet the fleet that sets it.
	DefaultPriorityClassName, DefaultPriorityClassFleet string
	// PriorityClasses maps the PriorityClasses of the Karmada apiserver to their values.
	PriorityClasses map[string]int32
	// GlobalDefaultPriorityClass is the PriorityClass marked globalDefault, if any.
	GlobalDefaultPriorityClass string
	// DefaultRuntime is the runtime assumed for jobs without spec.runningEstimate.
	DefaultRuntime time.Duration
	// Now is the time of the read.
	Now time.Time
}

// problem is an input that keeps a job from being queued.
type problem struct {
	reason, message string
}

// decision is what the fleet-queue controller recorded on a binding.
type decision struct {
	state                           batch.BatchJobState
	cluster, reason, message        string
	attempts                        int32
	dispatchedAt, nextAttemptAt     *metav1.Time
	predictedStart, predictedFinish *metav1.Time
}

// BatchJob returns the view of a Volcano Job with its binding (nil when Karmada has not
// created one).
func (e *Environment) BatchJob(job *vcbatchv1alpha1.Job, binding *workv1alpha2.ResourceBinding) *batch.BatchJob {
	return &batch.BatchJob{
		ObjectMeta: metav1.ObjectMeta{
			Name:              job.Name,
			Namespace:         job.Namespace,
			Labels:            copyMap(job.Labels),
			CreationTimestamp: job.CreationTimestamp,
		},
		Status: e.Status(job, binding),
	}
}

// Status computes the status of a Volcano Job's view. It only reads its arguments.
func (e *Environment) Status(job *vcbatchv1alpha1.Job, binding *workv1alpha2.ResourceBinding) batch.BatchJobStatus {
	var (
		st       batch.BatchJobStatus
		problems []problem
	)
	problems = append(problems, e.queue(job, &st)...)
	e.priority(job, &st)
	problems = append(problems, e.inputs(job, &st)...)

	var d decision
	if binding != nil {
		st.ResourceBinding = binding.Name
		d = e.decision(binding, &st)
	}
	phase := job.Status.State.Phase
	st.VolcanoPhase = string(phase)
	start := startTime(job)

	switch {
	case d.state == batch.BatchJobRejected:
		st.State, st.Reason, st.Message = batch.BatchJobRejected, d.reason, d.message
	case isTerminal(phase):
		st.State = batch.BatchJobSucceeded
		if phase != vcbatchv1alpha1.Completed {
			st.State = batch.BatchJobFailed
		}
		st.Reason, st.Message = job.Status.State.Reason, job.Status.State.Message
		if st.Reason == "" {
			st.Reason = string(phase)
		}
		if t := job.Status.State.LastTransitionTime; !t.IsZero() {
			st.CompletionTime = &metav1.Time{Time: t.Time}
		}
		st.StartTime = start
	case d.state == batch.BatchJobQueued:
		// The controller requeued the job; the Volcano status Karmada aggregated may lag.
		st.State, st.Reason, st.Message = batch.BatchJobQueued, d.reason, d.message
	case isRunning(phase):
		st.State, st.StartTime = batch.BatchJobRunning, start
		st.Reason, st.Message = d.reason, d.message
		if d.state != batch.BatchJobRunning {
			st.Reason, st.Message = string(phase), job.Status.State.Message
		}
	case d.state == batch.BatchJobDispatched || d.state == batch.BatchJobRunning:
		st.State, st.Reason, st.Message = d.state, d.reason, d.message
		if d.state == batch.BatchJobRunning {
			st.StartTime = start
		}
	default:
		st.State, st.Reason, st.Message = derivedState(job, binding)
	}

	if st.State == batch.BatchJobQueued && len(problems) > 0 {
		st.State, st.Reason = batch.BatchJobRejected, problems[0].reason
		msgs := make([]string, 0, len(problems))
		for _, p := range problems {
			msgs = append(msgs, p.message)
		}
		st.Message = strings.Join(msgs, "; ")
	} else {
		for _, p := range problems {
			st.Warnings = append(st.Warnings, p.message)
		}
	}

	switch st.State {
	case batch.BatchJobDispatched, batch.BatchJobRunning, batch.BatchJobSucceeded, batch.BatchJobFailed:
		st.Cluster = d.cluster
		if st.Cluster == "" && binding != nil {
			st.Cluster = targetNames(binding.Spec.Clusters)
		}
	}
	switch st.State {
	case batch.BatchJobQueued, batch.BatchJobDispatched:
		st.PredictedStart, st.PredictedFinish = d.predictedStart, d.predictedFinish
	case batch.BatchJobRunning:
		st.PredictedFinish = d.predictedFinish
		if st.PredictedFinish == nil && st.StartTime != nil && st.RunningEstimate != nil {
			st.PredictedFinish = &metav1.Time{Time: st.StartTime.Add(st.RunningEstimate.Duration)}
		}
	}
	e.slack(&st)
	return st
}

// queue sets the job's fleet queue and reports why it cannot be queued, if it cannot.
func (e *Environment) queue(job *vcbatchv1alpha1.Job, st *batch.BatchJobStatus) []problem {
	if q := strings.TrimSpace(job.Annotations[batch.AnnotationQueue]); q != "" {
		st.Queue = q
		if !e.Queues.Has(q) {
			return []problem{{batch.ReasonUnknownQueue, fmt.Sprintf(
				"annotation %s names FleetQueue %q, which does not exist: create it or annotate the job with an existing queue (kubectl get fleetqueues)",
				batch.AnnotationQueue, q)}}
		}
		return nil
	}
	if e.DefaultQueue == "" {
		return []problem{{batch.ReasonNoQueue, fmt.Sprintf(
			"the job has no annotation %s and no fleet sets spec.batch.defaultQueue: annotate the job with the name of a FleetQueue",
			batch.AnnotationQueue)}}
	}
	st.Queue = e.DefaultQueue
	if !e.Queues.Has(e.DefaultQueue) {
		return []problem{{batch.ReasonUnknownQueue, fmt.Sprintf(
			"spec.batch.defaultQueue of fleet %s names FleetQueue %q, which does not exist: create it, or annotate the job with %s",
			e.DefaultQueueFleet, e.DefaultQueue, batch.AnnotationQueue)}}
	}
	return nil
}

// priority sets the job's PriorityClass and its value.
func (e *Environment) priority(job *vcbatchv1alpha1.Job, st *batch.BatchJobStatus) {
	name, from := job.Spec.PriorityClassName, "spec.priorityClassName"
	if name == "" && e.DefaultPriorityClassName != "" {
		name, from = e.DefaultPriorityClassName, "spec.batch.defaultPriorityClassName of fleet "+e.DefaultPriorityClassFleet
	}
	if name == "" {
		name, from = e.GlobalDefaultPriorityClass, "the global default PriorityClass"
	}
	if name == "" {
		return
	}
	st.PriorityClassName = name
	v, ok := e.PriorityClasses[name]
	if !ok {
		st.Warnings = append(st.Warnings, fmt.Sprintf(
			"PriorityClass %q (%s) does not exist in the Karmada apiserver: priority 0 is assumed; create it there and in the members",
			name, from))
		return
	}
	st.Priority = v
}

// inputs reads preemptability, deadline and runtime estimate.
func (e *Environment) inputs(job *vcbatchv1alpha1.Job, st *batch.BatchJobStatus) []problem {
	var problems []problem
	st.Preemptable = true
	if v, ok := job.Annotations[batch.AnnotationPreemptable]; ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		switch {
		case err != nil:
			st.Warnings = append(st.Warnings, fmt.Sprintf(
				"annotation %s=%q is not true or false: the job is preemptable (only \"false\" protects it)", batch.AnnotationPreemptable, v))
		default:
			st.Preemptable = b
		}
	}
	if v, ok := job.Annotations[batch.AnnotationDeadline]; ok {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
		if err != nil {
			problems = append(problems, problem{batch.ReasonInvalidDeadline, fmt.Sprintf(
				"annotation %s=%q is not an RFC 3339 time such as 2026-01-02T15:04:05Z: fix or remove it", batch.AnnotationDeadline, v)})
		} else {
			st.Deadline = &metav1.Time{Time: t}
		}
	}
	if r := job.Spec.RunningEstimate; r != nil {
		st.RunningEstimate = &metav1.Duration{Duration: r.Duration}
	}
	return problems
}

// decision reads the controller's annotations on the binding; malformed ones become warnings.
func (e *Environment) decision(binding *workv1alpha2.ResourceBinding, st *batch.BatchJobStatus) decision {
	ann := binding.Annotations
	d := decision{
		cluster: ann[batch.AnnotationCluster],
		reason:  ann[batch.AnnotationReason],
		message: ann[batch.AnnotationMessage],
	}
	warn := func(key, v, want string) {
		st.Warnings = append(st.Warnings, fmt.Sprintf("annotation %s=%q of ResourceBinding %s is not %s: ignored", key, v, binding.Name, want))
	}
	if v, ok := ann[batch.AnnotationState]; ok {
		switch s := batch.BatchJobState(v); s {
		case batch.BatchJobQueued, batch.BatchJobDispatched, batch.BatchJobRunning, batch.BatchJobRejected:
			d.state = s
		case batch.BatchJobSucceeded, batch.BatchJobFailed:
			// Finished states come from the Volcano Job itself.
		default:
			warn(batch.AnnotationState, v, "one of Queued, Dispatched, Running, Succeeded, Failed and Rejected")
		}
	}
	if v, ok := ann[batch.AnnotationAttempts]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || n < 0 {
			warn(batch.AnnotationAttempts, v, "a non-negative integer")
		} else {
			d.attempts = int32(n)
		}
	}
	for _, t := range []struct {
		key string
		dst **metav1.Time
	}{
		{batch.AnnotationDispatchedAt, &d.dispatchedAt},
		{batch.AnnotationNextAttemptAt, &d.nextAttemptAt},
		{batch.AnnotationPredictedStart, &d.predictedStart},
		{batch.AnnotationPredictedFinish, &d.predictedFinish},
	} {
		v, ok := ann[t.key]
		if !ok {
			continue
		}
		parsed, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
		if err != nil {
			warn(t.key, v, "an RFC 3339 time")
			continue
		}
		*t.dst = &metav1.Time{Time: parsed}
	}
	st.Attempts, st.DispatchedAt, st.NextAttemptAt = d.attempts, d.dispatchedAt, d.nextAttemptAt
	return d
}

// slack sets the live slack of an active job with a deadline, and warns about a deadline
// already passed or a missing runtime estimate.
func (e *Environment) slack(st *batch.BatchJobStatus) {
	switch st.State {
	case batch.BatchJobQueued, batch.BatchJobDispatched, batch.BatchJobRunning:
	default:
		return
	}
	if st.Deadline == nil {
		return
	}
	remaining := e.DefaultRuntime
	if st.RunningEstimate != nil {
		remaining = st.RunningEstimate.Duration
	} else {
		st.Warnings = append(st.Warnings, fmt.Sprintf(
			"the job has a deadline but no spec.runningEstimate: slack assumes a runtime of %s; set spec.runningEstimate", e.DefaultRuntime))
	}
	if st.State == batch.BatchJobRunning && st.StartTime != nil {
		remaining -= e.Now.Sub(st.StartTime.Time)
		if remaining < 0 {
			remaining = 0
		}
	}
	slack := st.Deadline.Sub(e.Now) - remaining
	st.Slack = &metav1.Duration{Duration: slack}
	if e.Now.After(st.Deadline.Time) {
		st.Warnings = append(st.Warnings, fmt.Sprintf("the deadline %s passed %s ago",
			st.Deadline.UTC().Format(time.RFC3339), e.Now.Sub(st.Deadline.Time).Round(time.Second)))
	}
}

// derivedState is the state of a job the controller has recorded nothing about, from its binding.
func derivedState(job *vcbatchv1alpha1.Job, binding *workv1alpha2.ResourceBinding) (batch.BatchJobState, string, string) {
	switch {
	case binding == nil:
		return batch.BatchJobQueued, batch.ReasonWaitingForResourceBinding, fmt.Sprintf(
			"Karmada has not created a ResourceBinding for Job %s/%s: a PropagationPolicy (or ClusterPropagationPolicy) must select it", job.Namespace, job.Name)
	case isSuspended(binding):
		return batch.BatchJobQueued, batch.ReasonWaitingForDispatch,
			"the binding's scheduling is suspended until the fleet-queue controller dispatches the job"
	case len(binding.Spec.Clusters) > 0:
		return batch.BatchJobDispatched, batch.ReasonScheduled, fmt.Sprintf(
			"Karmada scheduled the job to %s without the fleet queue (its binding was not suspended)", targetNames(binding.Spec.Clusters))
	default:
		return batch.BatchJobQueued, batch.ReasonScheduling,
			"the binding is not suspended and Karmada is scheduling it without the fleet queue"
	}
}

func isSuspended(binding *workv1alpha2.ResourceBinding) bool {
	s := binding.Spec.Suspension
	return s != nil && s.Scheduling != nil && *s.Scheduling
}

func isTerminal(p vcbatchv1alpha1.JobPhase) bool {
	switch p {
	case vcbatchv1alpha1.Completed, vcbatchv1alpha1.Failed, vcbatchv1alpha1.Aborted, vcbatchv1alpha1.Terminated:
		return true
	}
	return false
}

func isRunning(p vcbatchv1alpha1.JobPhase) bool {
	switch p {
	case vcbatchv1alpha1.Running, vcbatchv1alpha1.Restarting, vcbatchv1alpha1.Completing,
		vcbatchv1alpha1.Aborting, vcbatchv1alpha1.Terminating:
		return true
	}
	return false
}

// startTime is when the job last started running: its latest Running condition, else the
// transition of a Running state.
func startTime(job *vcbatchv1alpha1.Job) *metav1.Time {
	var latest *metav1.Time
	for _, c := range job.Status.Conditions {
		if c.Status == vcbatchv1alpha1.Running && c.LastTransitionTime != nil && (latest == nil || latest.Before(c.LastTransitionTime)) {
			latest = c.LastTransitionTime
		}
	}
	if latest == nil && job.Status.State.Phase == vcbatchv1alpha1.Running && !job.Status.State.LastTransitionTime.IsZero() {
		latest = &job.Status.State.LastTransitionTime
	}
	if latest == nil {
		return nil
	}
	return &metav1.Time{Time: latest.Time}
}

func targetNames(targets []workv1alpha2.TargetCluster) string {
	names := make([]string, 0, len(targets))
	for _, t := range targets {
		names = append(names, t.Name)
	}
	return strings.Join(names, ",")
}

func copyMap(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}
