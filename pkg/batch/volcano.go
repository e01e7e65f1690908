package batch

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	resourcehelper "k8s.io/component-helpers/resource"
	batchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
)

// ParseDeadline parses the deadline annotation (batch.kurator.dev/deadline), an RFC 3339
// time.
func ParseDeadline(value string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(value))
	if err != nil {
		return time.Time{}, fmt.Errorf("annotation %s=%q is not an RFC 3339 time: write it like 2030-01-02T15:04:05Z", batchapi.AnnotationDeadline, value)
	}
	return t, nil
}

// JobFromVolcano converts a Volcano Job (the resource template in the Karmada apiserver)
// into the fleet queue's Job: its Volcano queue (spec.queue), and the annotations of
// pkg/apis/batch: the fleet queue
// (defaultQueue when absent — the fleets' spec.batch.defaultQueue), the deadline, and
// volcano.sh/preemptable (preemptable unless "false"). priorityOf resolves a PriorityClass
// name to its value (false: unknown, counted as 0). The state is the controller's to fill
// (DecodeState). Problems with the inputs are recorded in Job.Problems.
func JobFromVolcano(vj *batchv1alpha1.Job, priorityOf func(name string) (int32, bool), defaultQueue string) Job {
	j := Job{
		JobKey:       JobKey{Namespace: vj.Namespace, Name: vj.Name},
		Queue:        vj.Annotations[batchapi.AnnotationQueue],
		Submitted:    vj.CreationTimestamp.Time,
		MinAvailable: vj.Spec.MinAvailable,
		VolcanoQueue: vj.Spec.Queue,
		Preemptable:  true,
		State:        JobState{Phase: PhaseQueued},
	}
	if j.Queue == "" {
		j.Queue = defaultQueue
	}
	if j.Queue == "" {
		j.Problems = append(j.Problems, Problem{Reason: ReasonNoQueue, Field: "metadata.annotations[" + batchapi.AnnotationQueue + "]",
			Message: fmt.Sprintf("job %s names no fleet queue and no fleet sets spec.batch.defaultQueue: set annotation %s to a FleetQueue's name",
				j.JobKey, batchapi.AnnotationQueue)})
	}
	resolve := func(name string) int32 {
		if name == "" || priorityOf == nil {
			return 0
		}
		v, _ := priorityOf(name)
		return v
	}
	j.Priority = resolve(vj.Spec.PriorityClassName)
	if vj.Spec.RunningEstimate != nil {
		j.Runtime = vj.Spec.RunningEstimate.Duration
	}
	if v, ok := vj.Annotations[batchapi.AnnotationDeadline]; ok {
		t, err := ParseDeadline(v)
		if err != nil {
			j.Problems = append(j.Problems, Problem{Reason: ReasonInvalidDeadline, Field: "metadata.annotations[" + batchapi.AnnotationDeadline + "]",
				Message: fmt.Sprintf("job %s: %v", j.JobKey, err)})
		} else {
			j.Deadline = &t
		}
	}
	if v, ok := vj.Annotations[batchapi.AnnotationPreemptable]; ok {
		if b, err := strconv.ParseBool(v); err == nil && !b {
			j.Preemptable = false
		}
	}
	for i := range vj.Spec.Tasks {
		t := &vj.Spec.Tasks[i]
		spec := &t.Template.Spec
		task := Task{
			Name: t.Name, Replicas: t.Replicas, MinAvailable: t.MinAvailable,
			Priority:     resolve(spec.PriorityClassName),
			Requests:     resourcehelper.PodRequests(&corev1.Pod{Spec: *spec}, resourcehelper.PodResourcesOptions{}),
			NodeSelector: spec.NodeSelector,
			Tolerations:  spec.Tolerations,
		}
		if a := spec.Affinity; a != nil && a.NodeAffinity != nil {
			task.NodeAffinity = a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
		}
		j.Tasks = append(j.Tasks, task)
	}
	return j
}

// QueueFromAPI converts a FleetQueue of batch.kurator.dev (internal version, defaulted) to
// the core's FleetQueue. A Volcano queue mapping for cluster "*" applies to every member
// the others do not name.
func QueueFromAPI(q *batchapi.FleetQueue) FleetQueue {
	out := FleetQueue{
		Name: q.Name, Priority: q.Spec.Priority, Weight: q.Spec.Weight,
		Capability: q.Spec.Capability, Guarantee: q.Spec.Guarantee,
		Preemption: PreemptionPolicy(q.Spec.Preemption.Policy),
	}
	if out.Preemption == "" {
		out.Preemption = PreemptNever
	}
	if d := q.Spec.Deadline.SlackThreshold; d != nil {
		out.SlackThreshold = d.Duration
	}
	if d := q.Spec.Deadline.DispatchTimeout; d != nil {
		out.DispatchTimeout = d.Duration
	}
	if d := q.Spec.Deadline.Backoff.Base; d != nil {
		out.BackoffBase = d.Duration
	}
	if d := q.Spec.Deadline.Backoff.Max; d != nil {
		out.BackoffMax = d.Duration
	}
	if d := q.Spec.Preemption.Cooldown; d != nil {
		out.Cooldown = d.Duration
	}
	for _, m := range q.Spec.VolcanoQueues {
		if m.Cluster == batchapi.AllClusters {
			out.VolcanoQueue = m.Queue
			continue
		}
		if out.VolcanoQueues == nil {
			out.VolcanoQueues = map[string]string{}
		}
		out.VolcanoQueues[m.Cluster] = m.Queue
	}
	return out
}
