package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
	"kurator.dev/kurator/pkg/batch"
)

// FieldManager is the field manager of the controller's patches.
const FieldManager = "kurator-fleet-queue"

// predictionSlack is how far a new prediction may move before the binding is updated:
// predictions move with the clock, and rewriting every queued binding every cycle for
// that would load the apiserver for nothing.
const predictionSlack = time.Minute

// outcome is what one cycle decided, job by job.
type outcome struct {
	decision    batch.Decision
	statuses    map[batch.JobKey]*batch.JobStatus
	predictions map[batch.JobKey]*batch.Prediction
	// victims maps a preempting job to its plan's victims.
	victims map[batch.JobKey][]batch.JobKey
}

// decide runs the core on the cycle's input and applies its decision to the entries'
// jobs: the state transitions the bindings will record, and the predictions made after
// them.
func decide(ci *cycleInput) *outcome {
	now := ci.in.Now
	d := batch.Schedule(ci.in)
	out := &outcome{decision: d, statuses: map[batch.JobKey]*batch.JobStatus{}, predictions: map[batch.JobKey]*batch.Prediction{},
		victims: map[batch.JobKey][]batch.JobKey{}}
	for i := range d.Statuses {
		out.statuses[d.Statuses[i].Job] = &d.Statuses[i]
	}
	for _, r := range d.Requeues {
		if e := ci.byKey[r.Job]; e != nil {
			batch.ApplyRequeue(&e.job, r)
			e.action = unschedule
			e.note(true, "Requeued", "%s", r.Reason)
		}
	}
	for _, ev := range d.Evictions {
		if e := ci.byKey[ev.Job]; e != nil {
			batch.ApplyEviction(&e.job, now)
			e.action = unschedule
			e.note(true, "Evicted", "evicted from %s for the deadline of %s (%s of work lost; the job waits in the fleet queue and restarts): %s",
				ev.Cluster, ev.For, ev.LostWork.Round(time.Second), ev.Reason)
		}
	}
	for _, p := range d.Plans {
		for _, v := range p.Victims {
			out.victims[p.Job] = append(out.victims[p.Job], v.Job)
		}
	}
	for _, r := range d.Releases {
		if e := ci.byKey[r.Job]; e != nil {
			batch.ApplyRelease(&e.job, r, now)
			e.action = release
			reason := "Released"
			if r.Preempting {
				reason = "Preempting"
			}
			e.note(false, reason, "%s", r.Reason)
		}
	}
	after := ci.in
	after.Jobs = nil
	for _, e := range ci.entries {
		if e.job.State.Phase != batch.PhaseFinished {
			after.Jobs = append(after.Jobs, e.job)
		}
	}
	preds := batch.Predict(after)
	for i := range preds {
		out.predictions[preds[i].Job] = &preds[i]
	}
	return out
}

// desiredAnnotations are the fleet queue's annotations the binding should carry; nil
// when it should be left alone (a job already recorded as finished).
func desiredAnnotations(e *entry, o *outcome) map[string]string {
	if e.job.State.Phase == batch.PhaseFinished {
		if e.wasFinished {
			return nil
		}
		ann := batch.Annotations(&e.job, nil, nil)
		ann[batchapi.AnnotationState] = string(e.finished)
		ann[batchapi.AnnotationReason] = e.finishedReason
		ann[batchapi.AnnotationMessage] = e.finishedMessage
		return ann
	}
	ann := batch.Annotations(&e.job, o.statuses[e.job.JobKey], o.predictions[e.job.JobKey])
	for _, key := range []string{batchapi.AnnotationPredictedStart, batchapi.AnnotationPredictedFinish} {
		if within(e.rb.Annotations[key], ann[key], predictionSlack) {
			ann[key] = e.rb.Annotations[key]
		}
	}
	return ann
}

// within reports whether two RFC 3339 times are both set and within slack.
func within(a, b string, slack time.Duration) bool {
	ta, errA := time.Parse(time.RFC3339, a)
	tb, errB := time.Parse(time.RFC3339, b)
	if errA != nil || errB != nil {
		return false
	}
	d := ta.Sub(tb)
	return d < slack && d > -slack
}

// mergePatch is the JSON merge patch that takes the binding to the desired annotations
// and applies the action; nil when nothing changes. A patch that changes the spec is
// conditional on the binding's resourceVersion.
func mergePatch(rb *workv1alpha2.ResourceBinding, desired map[string]string, act action, now time.Time) ([]byte, error) {
	ann := map[string]any{}
	if desired != nil {
		for _, k := range batch.AnnotationKeys() {
			want, has := desired[k]
			cur, had := rb.Annotations[k]
			switch {
			case has && (!had || cur != want):
				ann[k] = want
			case !has && had:
				ann[k] = nil
			}
		}
	}
	spec := map[string]any{}
	switch act {
	case release:
		if suspended(rb) {
			spec["suspension"] = map[string]any{"scheduling": nil}
		}
		if last := rb.Status.LastScheduledTime; last != nil {
			// Karmada's scheduler schedules a binding again when rescheduleTriggeredAt is
			// after its last scheduling (util.RescheduleRequired); both have seconds.
			t := now.Truncate(time.Second)
			if !t.After(last.Time) {
				t = last.Time.Truncate(time.Second).Add(time.Second)
			}
			spec["rescheduleTriggeredAt"] = t.UTC().Format(time.RFC3339)
		}
	case unschedule:
		spec["suspension"] = map[string]any{"scheduling": true}
		if len(rb.Spec.Clusters) > 0 {
			spec["clusters"] = nil
		}
	}
	if len(ann) == 0 && len(spec) == 0 {
		return nil, nil
	}
	meta := map[string]any{}
	if len(ann) > 0 {
		meta["annotations"] = ann
	}
	body := map[string]any{"metadata": meta}
	if len(spec) > 0 {
		body["spec"] = spec
		meta["resourceVersion"] = rb.ResourceVersion
	}
	return json.Marshal(body)
}

// apply writes the cycle's outcome to the bindings: evictions and requeues first, then
// releases (a preempting release only when all its victims were evicted), then every
// other state and status change. It returns how many patches failed.
func (c *Controller) apply(ctx context.Context, ci *cycleInput, o *outcome) int {
	now := ci.in.Now
	failed := map[batch.JobKey]bool{}
	order := make([]*entry, 0, len(ci.entries))
	for _, pass := range []action{unschedule, release, keep} {
		for _, e := range ci.entries {
			if e.action == pass {
				order = append(order, e)
			}
		}
	}
	errs := 0
	for _, e := range order {
		if e.action == release {
			if v := firstFailed(o.victims[e.job.JobKey], failed); v != nil {
				klog.InfoS("Release held back: a victim of its preemption plan was not evicted", "job", e.job.String(), "victim", v.String())
				continue
			}
		}
		desired := desiredAnnotations(e, o)
		body, err := mergePatch(e.rb, desired, e.action, now)
		if err == nil && body != nil {
			_, err = c.clients.Karmada.WorkV1alpha2().ResourceBindings(e.rb.Namespace).Patch(ctx, e.rb.Name, types.MergePatchType, body,
				metav1.PatchOptions{FieldManager: FieldManager})
		}
		if err != nil {
			failed[e.job.JobKey] = true
			errs++
			if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
				klog.V(2).InfoS("Binding changed since the cycle read it; the next cycle decides again", "binding", klog.KObj(e.rb), "err", err)
			} else {
				klog.ErrorS(err, "Patching the binding of a fleet queue job", "binding", klog.KObj(e.rb))
			}
			c.metrics.patchErrors.Inc()
			continue
		}
		c.record(e, desired, body != nil)
	}
	return errs
}

func firstFailed(keys []batch.JobKey, failed map[batch.JobKey]bool) *batch.JobKey {
	for i := range keys {
		if failed[keys[i]] {
			return &keys[i]
		}
	}
	return nil
}

// record emits the entry's events once its patch succeeded, plus Rejected and Finished
// on those transitions, and counts the decisions.
func (c *Controller) record(e *entry, desired map[string]string, patched bool) {
	was := batchapi.BatchJobState(e.rb.Annotations[batchapi.AnnotationState])
	now := batchapi.BatchJobState(desired[batchapi.AnnotationState])
	if patched && desired != nil && now != was {
		switch now {
		case batchapi.BatchJobRejected:
			e.note(true, "Rejected", "%s: %s", desired[batchapi.AnnotationReason], desired[batchapi.AnnotationMessage])
		case batchapi.BatchJobSucceeded, batchapi.BatchJobFailed:
			e.note(now == batchapi.BatchJobFailed, "Finished", "%s", desired[batchapi.AnnotationMessage])
		}
	}
	for _, ev := range e.events {
		if !c.once(e, ev) {
			continue
		}
		typ := corev1.EventTypeNormal
		if ev.warning {
			typ = corev1.EventTypeWarning
		}
		c.recorder.Event(e.vj, typ, ev.reason, ev.message)
		if counted[ev.reason] {
			c.metrics.decisions.WithLabelValues(ev.reason).Inc()
		}
		klog.InfoS("Fleet queue event", "job", e.job.String(), "type", typ, "reason", ev.reason, "message", ev.message)
	}
}

// counted are the event reasons the decisions metric counts.
var counted = map[string]bool{"Released": true, "Preempting": true, "Evicted": true, "Requeued": true, "Rejected": true, "Finished": true}

// once reports whether an observation event was not emitted yet for this job by this
// process (decisions are always emitted: they happen once).
func (c *Controller) once(e *entry, ev event) bool {
	switch ev.reason {
	case "InvalidState", "ScheduledOutsideFleetQueue", "PinIgnored", "ScheduledToSeveralClusters":
	default:
		return true
	}
	key := fmt.Sprintf("%s|%s|%s|%s", e.job.JobKey, e.vj.UID, ev.reason, ev.message)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.noted[key] {
		return false
	}
	c.noted[key] = true
	return true
}
