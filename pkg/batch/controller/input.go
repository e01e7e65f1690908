package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	"kurator.dev/kurator/pkg/batch"
	"kurator.dev/kurator/pkg/batch/webhook"
	"kurator.dev/kurator/pkg/registry/batch/batchjob"
)

// action is what a cycle does to a binding's spec.
type action int

const (
	// keep leaves the spec alone.
	keep action = iota
	// release clears the scheduling suspension (and pins the binding).
	release
	// unschedule suspends scheduling and clears the scheduled clusters.
	unschedule
)

// event is a Kubernetes Event to record on the job's Volcano Job.
type event struct {
	warning         bool
	reason, message string
}

// entry is one managed job in a cycle: its binding and template, the core's Job, and
// what the cycle does to it.
type entry struct {
	rb  *workv1alpha2.ResourceBinding
	vj  *vcbatchv1alpha1.Job
	job batch.Job
	// finished is the state of a finished job (Succeeded or Failed), with its reason.
	finished                        batchapi.BatchJobState
	finishedReason, finishedMessage string
	// wasFinished is true when the binding already recorded the job as finished.
	wasFinished bool
	action      action
	events      []event
}

func (e *entry) note(warning bool, reason, format string, args ...any) {
	e.events = append(e.events, event{warning: warning, reason: reason, message: fmt.Sprintf(format, args...)})
}

// cycleInput is what a cycle works on.
type cycleInput struct {
	in      batch.Input
	entries []*entry
	byKey   map[batch.JobKey]*entry
}

// buildInput rebuilds the core's Input from the caches at now: the fleet queues, the
// members (unknown when not synced or not Ready), and every managed job with its state
// from its binding's annotations, brought up to date with what the members show.
func (c *Controller) buildInput(ctx context.Context, now time.Time) (*cycleInput, error) {
	env, err := c.src.view.Environment()
	if err != nil {
		return nil, err
	}
	env.Now = now
	in := batch.Input{Now: now, Policy: c.cfg.Policy, Memo: c.memo}

	fqs, err := c.src.queues.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("listing fleet queues: %w", err)
	}
	for _, q := range fqs {
		in.Queues = append(in.Queues, queueFromAPI(q))
	}

	clusters, err := c.src.clusters.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("listing clusters: %w", err)
	}
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
	c.members.sync(ctx, clusters)
	statuses := map[string]memberStatus{}
	for _, cl := range clusters {
		m, ok := c.members.get(cl.Name)
		if !ok {
			continue
		}
		st := m.status(clusterReady(cl))
		statuses[cl.Name] = st
		if st.synced {
			in.Members = append(in.Members, m.model.Member())
		} else {
			in.Members = append(in.Members, batch.Member{Name: cl.Name})
		}
	}

	bindings, err := c.src.bindings.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("listing managed ResourceBindings: %w", err)
	}
	sort.Slice(bindings, func(i, j int) bool {
		if bindings[i].Namespace != bindings[j].Namespace {
			return bindings[i].Namespace < bindings[j].Namespace
		}
		return bindings[i].Name < bindings[j].Name
	})
	ci := &cycleInput{byKey: map[batch.JobKey]*entry{}}
	for _, rb := range bindings {
		e, err := c.entryOf(ctx, env, rb, clusters, now)
		if err != nil {
			return nil, err
		}
		if e == nil {
			continue
		}
		c.observe(e, statuses, now)
		ci.entries = append(ci.entries, e)
		ci.byKey[e.job.JobKey] = e
		if e.job.State.Phase != batch.PhaseFinished {
			in.Jobs = append(in.Jobs, e.job)
		}
	}
	ci.in = in
	return ci, nil
}

// queueFromAPI converts a stored FleetQueue to the core's, with its defaults.
func queueFromAPI(q *batchv1alpha1.FleetQueue) batch.FleetQueue {
	v := q.DeepCopy()
	batchv1alpha1.SetObjectDefaults_FleetQueue(v)
	var internal batchapi.FleetQueue
	if err := batchv1alpha1.Convert_v1alpha1_FleetQueue_To_batch_FleetQueue(v, &internal, nil); err != nil {
		// Generated conversions of plain fields do not fail.
		klog.ErrorS(err, "Converting FleetQueue", "queue", q.Name)
	}
	return batch.QueueFromAPI(&internal)
}

// entryOf is the job of a managed binding, or nil when the binding is not one the fleet
// queue handles now (being deleted, not a Volcano Job, template gone).
func (c *Controller) entryOf(ctx context.Context, env *batchjob.Environment, rb *workv1alpha2.ResourceBinding,
	clusters []*clusterv1alpha1.Cluster, now time.Time) (*entry, error) {
	if rb.DeletionTimestamp != nil || !webhook.IsVolcanoJob(rb) {
		return nil, nil
	}
	vj, err := c.src.jobs.Jobs(rb.Namespace).Get(rb.Spec.Resource.Name)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("getting Volcano Job %s/%s: %w", rb.Namespace, rb.Spec.Resource.Name, err)
	}
	if vj.DeletionTimestamp != nil || (rb.Spec.Resource.UID != "" && rb.Spec.Resource.UID != vj.UID) {
		return nil, nil
	}
	e := &entry{rb: rb, vj: vj}
	e.job = jobOf(env, vj)
	e.job.Clusters = allowedClusters(ctx, rb, clusters)
	if err := batch.DecodeState(rb.Annotations, &e.job); err != nil {
		// Someone edited the state by hand: take what the binding shows.
		e.note(true, "InvalidState", "ResourceBinding %s: %v; the fleet queue takes the state from the binding's spec", rb.Name, err)
		switch targets := targetNames(rb); {
		case suspended(rb) || len(targets) == 0:
			e.job.State = batch.JobState{Phase: batch.PhaseQueued}
		default:
			batch.ApplyRelease(&e.job, batch.Release{Job: e.job.JobKey, Cluster: targets[0]}, now)
		}
	}
	switch batchapi.BatchJobState(rb.Annotations[batchapi.AnnotationState]) {
	case batchapi.BatchJobSucceeded, batchapi.BatchJobFailed:
		e.wasFinished = true
		e.finished = batchapi.BatchJobState(rb.Annotations[batchapi.AnnotationState])
	}
	return e, nil
}

// jobOf converts a Volcano Job template with the BatchJob view's rules for its fleet
// queue (the annotation, else the fleets' default queue) and its PriorityClass (the
// spec's, else the fleets' default, else the global default).
func jobOf(env *batchjob.Environment, vj *vcbatchv1alpha1.Job) batch.Job {
	st := env.Status(vj, nil)
	resolved := vj.DeepCopy()
	if resolved.Annotations == nil {
		resolved.Annotations = map[string]string{}
	}
	if st.Queue != "" {
		resolved.Annotations[batchapi.AnnotationQueue] = st.Queue
	} else {
		delete(resolved.Annotations, batchapi.AnnotationQueue)
	}
	resolved.Spec.PriorityClassName = st.PriorityClassName
	priorityOf := func(name string) (int32, bool) {
		v, ok := env.PriorityClasses[name]
		return v, ok
	}
	return batch.JobFromVolcano(resolved, priorityOf, "")
}

// observe brings the job's state up to date with what Karmada and the members show: a
// binding scheduled without a release is adopted as dispatched, a dispatched job whose
// PodGroup the member admitted is running, a job whose Volcano Job finished is finished.
func (c *Controller) observe(e *entry, members map[string]memberStatus, now time.Time) {
	j := &e.job
	targets := targetNames(e.rb)
	switch j.State.Phase {
	case batch.PhaseQueued:
		if !suspended(e.rb) && len(targets) > 0 {
			e.note(true, "ScheduledOutsideFleetQueue",
				"ResourceBinding %s was scheduled to %s while the fleet queue held it (its scheduling suspension was cleared by someone else): the fleet queue counts it as dispatched there",
				e.rb.Name, strings.Join(targets, ","))
			batch.ApplyRelease(j, batch.Release{Job: j.JobKey, Cluster: targets[0]}, now)
		}
	case batch.PhaseDispatched, batch.PhaseRunning:
		if len(targets) > 0 && !slices.Contains(targets, j.State.Cluster) {
			e.note(true, "PinIgnored",
				"the fleet queue released the job to %s but Karmada scheduled it to %s: use schedulerName kurator-scheduler (whose FleetQueue filter honours the pin) or a placement that selects one cluster; the fleet queue follows it to %s",
				j.State.Cluster, strings.Join(targets, ","), targets[0])
			j.State.Cluster = targets[0]
		}
		if len(targets) > 1 {
			e.note(true, "ScheduledToSeveralClusters",
				"Karmada scheduled the job to %s: a Volcano Job must run in one member; give its PropagationPolicy schedulerName kurator-scheduler or a placement that selects one cluster",
				strings.Join(targets, ","))
		}
	default:
		return
	}
	if j.State.Phase == batch.PhaseQueued {
		return
	}
	cluster := j.State.Cluster
	if state, reason, msg, ok := aggregatedFinish(e.rb, cluster); ok {
		e.finish(state, reason, msg, now)
		return
	}
	st, known := members[cluster]
	m, ok := c.members.get(cluster)
	if !known || !ok || !st.synced {
		if j.State.Phase == batch.PhaseDispatched {
			// The dispatch timeout runs only while the fleet queue can see the member.
			j.State.Since = now
		}
		return
	}
	switch m.jobPhase(j.JobKey, j.DispatchedAt) {
	case schedulingv1beta1.PodGroupCompleted:
		e.finish(batchapi.BatchJobSucceeded, "Completed", fmt.Sprintf("the job's PodGroup in %s completed", cluster), now)
		return
	case schedulingv1beta1.PodGroupRunning, schedulingv1beta1.PodGroupInqueue:
		if j.State.Phase == batch.PhaseDispatched {
			batch.ApplyRunning(j, now)
		}
		return
	}
	if j.State.Phase == batch.PhaseDispatched && st.syncedAt.After(j.State.Since) {
		// A restarted controller gives dispatches the full timeout once it sees the member.
		j.State.Since = st.syncedAt.Truncate(time.Second)
	}
}

// finish records the job as finished.
func (e *entry) finish(state batchapi.BatchJobState, reason, message string, now time.Time) {
	batch.ApplyFinished(&e.job, now)
	e.finished, e.finishedReason, e.finishedMessage = state, reason, message
}

// volcanoStatus is what the controller reads of a member's Volcano Job status.
type volcanoStatus struct {
	State struct {
		Phase   vcbatchv1alpha1.JobPhase `json:"phase"`
		Reason  string                   `json:"reason"`
		Message string                   `json:"message"`
	} `json:"state"`
}

// aggregatedFinish reads the member's Volcano Job status that Karmada collected on the
// binding: whether the job finished in cluster, and how.
func aggregatedFinish(rb *workv1alpha2.ResourceBinding, cluster string) (batchapi.BatchJobState, string, string, bool) {
	for _, item := range rb.Status.AggregatedStatus {
		if item.ClusterName != cluster || item.Status == nil || len(item.Status.Raw) == 0 {
			continue
		}
		var st volcanoStatus
		if err := json.Unmarshal(item.Status.Raw, &st); err != nil {
			return "", "", "", false
		}
		msg := fmt.Sprintf("the Volcano Job in %s is %s", cluster, st.State.Phase)
		if st.State.Message != "" {
			msg += ": " + st.State.Message
		}
		switch st.State.Phase {
		case vcbatchv1alpha1.Completed:
			return batchapi.BatchJobSucceeded, string(st.State.Phase), msg, true
		case vcbatchv1alpha1.Failed, vcbatchv1alpha1.Aborted, vcbatchv1alpha1.Terminated:
			return batchapi.BatchJobFailed, string(st.State.Phase), msg, true
		}
	}
	return "", "", "", false
}

func suspended(rb *workv1alpha2.ResourceBinding) bool {
	return rb.Spec.SchedulingSuspended()
}

func targetNames(rb *workv1alpha2.ResourceBinding) []string {
	out := make([]string, 0, len(rb.Spec.Clusters))
	for _, t := range rb.Spec.Clusters {
		out = append(out, t.Name)
	}
	return out
}
