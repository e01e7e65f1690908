package controller

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	"kurator.dev/kurator/pkg/batch"
)

// fleet is two members: aliyun with CPUs only, tencent with a GPU node.
func fleet() []memberSpec {
	return []memberSpec{
		{name: "aliyun", nodes: []string{"cpu=16", "cpu=16"}},
		{name: "tencent", nodes: []string{"cpu=32,nvidia.com/gpu=8"}},
	}
}

func hasEvent(events []string, parts ...string) bool {
	for _, e := range events {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(e, p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestJobLifecycle: a GPU job is released to the only member with GPUs, pinned there;
// it runs once its PodGroup is admitted and finishes when Karmada reports its Volcano
// Job completed. Every step is recorded on the binding.
func TestJobLifecycle(t *testing.T) {
	f := newFixture(t, fleet())
	f.submit(jobSpec{name: "train", replicas: 2, requests: "cpu=4,nvidia.com/gpu=2", runtime: 10 * time.Minute})
	f.cycle()

	rb := f.binding("train")
	if rb.Spec.SchedulingSuspended() || rb.Annotations[batchapi.AnnotationCluster] != "tencent" || state(rb) != "Dispatched" ||
		rb.Annotations[batchapi.AnnotationAttempts] != "1" || rb.Annotations[batchapi.AnnotationDispatchedAt] != t0.Format(time.RFC3339) {
		t.Fatalf("after release: suspended %v, annotations %v", rb.Spec.SchedulingSuspended(), rb.Annotations)
	}
	if rb.Spec.RescheduleTriggeredAt != nil {
		t.Errorf("a binding never scheduled got rescheduleTriggeredAt %v", rb.Spec.RescheduleTriggeredAt)
	}
	if ev := f.drainEvents(); !hasEvent(ev, "Normal Released", "released to tencent") {
		t.Errorf("events %v, want Released to tencent", ev)
	}

	// Karmada schedules it; the member's Volcano creates the PodGroup, Pending first.
	f.schedule("train")
	f.clock.Add(5 * time.Second)
	f.run("train", "tencent", schedulingv1beta1.PodGroupPending)
	f.cycle()
	if rb = f.binding("train"); state(rb) != "Dispatched" {
		t.Fatalf("with a Pending PodGroup: state %s, want Dispatched", state(rb))
	}

	// Another PodGroup, admitted: the job runs.
	f.clock.Add(5 * time.Second)
	f.run("train", "tencent", schedulingv1beta1.PodGroupRunning)
	f.settle("train")
	f.cycle()
	rb = f.binding("train")
	if state(rb) != "Running" || rb.Annotations[batch.AnnotationStartedAt] != t0.Add(10*time.Second).Format(time.RFC3339) ||
		rb.Annotations[batchapi.AnnotationReason] != string(batch.StatusRunning) {
		t.Fatalf("after admission: %v", rb.Annotations)
	}

	// Karmada collects the member's Volcano Job status: completed.
	rb.Status.AggregatedStatus = []workv1alpha2.AggregatedStatusItem{{ClusterName: "tencent", Applied: true,
		Status: &runtime.RawExtension{Raw: []byte(`{"state":{"phase":"Completed"}}`)}}}
	if _, err := f.karmada.Karmada.WorkV1alpha2().ResourceBindings("ns").UpdateStatus(t.Context(), rb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.settle("train")
	f.clock.Add(time.Minute)
	f.cycle()
	rb = f.binding("train")
	if state(rb) != "Succeeded" || rb.Annotations[batchapi.AnnotationReason] != "Completed" || rb.Annotations[batchapi.AnnotationPredictedStart] != "" {
		t.Fatalf("after completion: %v", rb.Annotations)
	}
	if ev := f.drainEvents(); !hasEvent(ev, "Finished", "Completed") {
		t.Errorf("events %v, want Finished", ev)
	}

	// Finished jobs are left alone.
	rv := rb.ResourceVersion
	f.settle("train")
	f.cycle()
	if got := f.binding("train"); got.ResourceVersion != rv || state(got) != "Succeeded" {
		t.Errorf("a finished job's binding changed: %v", got.Annotations)
	}
}

// TestPlacementAndQueueAdmission: the job's placement and its own Volcano queue limit
// where it goes: a CPU job allowed only on tencent goes there although aliyun is the
// tightest fit, and a job whose Volcano queue is capped below its request everywhere is
// rejected, saying what to change.
func TestPlacementAndQueueAdmission(t *testing.T) {
	members := fleet()
	members[0].queues = map[string]string{"small": "cpu=2"}
	members[1].queues = map[string]string{"small": "cpu=2"}
	f := newFixture(t, members)
	f.submit(jobSpec{name: "pinned", replicas: 1, requests: "cpu=4", clusters: []string{"tencent"}})
	f.submit(jobSpec{name: "capped", queue: "small", replicas: 1, requests: "cpu=4"})
	f.cycle()
	if rb := f.binding("pinned"); rb.Annotations[batchapi.AnnotationCluster] != "tencent" {
		t.Errorf("pinned job released to %q, want tencent (its placement)", rb.Annotations[batchapi.AnnotationCluster])
	}
	rb := f.binding("capped")
	if !rb.Spec.SchedulingSuspended() || state(rb) != "Rejected" || rb.Annotations[batchapi.AnnotationReason] != string(batch.ReasonUnsatisfiable) ||
		!strings.Contains(rb.Annotations[batchapi.AnnotationMessage], "reduce the tasks' requests") {
		t.Errorf("capped job: suspended %v, %v", rb.Spec.SchedulingSuspended(), rb.Annotations)
	}
	if ev := f.drainEvents(); !hasEvent(ev, "Warning Rejected", "Unsatisfiable") {
		t.Errorf("events %v, want Rejected", ev)
	}
}

// TestBadInputIsRejected: jobs with a deadline that does not parse, a deadline before
// their creation, or an unknown fleet queue stay suspended, Rejected with a message
// naming the fix.
func TestBadInputIsRejected(t *testing.T) {
	f := newFixture(t, fleet())
	f.submit(jobSpec{name: "friday", replicas: 1, requests: "cpu=1", annotations: map[string]string{batchapi.AnnotationDeadline: "friday"}})
	f.submit(jobSpec{name: "late", replicas: 1, requests: "cpu=1", annotations: map[string]string{batchapi.AnnotationDeadline: t0.Add(-time.Hour).Format(time.RFC3339)}})
	f.submit(jobSpec{name: "lost", replicas: 1, requests: "cpu=1", annotations: map[string]string{batchapi.AnnotationQueue: "nope"}})
	f.cycle()
	for job, want := range map[string][2]string{
		"friday": {batchapi.ReasonInvalidDeadline, "write it like 2030-01-02T15:04:05Z"},
		"late":   {string(batch.ReasonDeadlineInPast), "set annotation batch.kurator.dev/deadline to a later RFC 3339 time"},
		"lost":   {batchapi.ReasonUnknownQueue, `create FleetQueue "nope"`},
	} {
		rb := f.binding(job)
		if !rb.Spec.SchedulingSuspended() || state(rb) != "Rejected" || rb.Annotations[batchapi.AnnotationReason] != want[0] ||
			!strings.Contains(rb.Annotations[batchapi.AnnotationMessage], want[1]) {
			t.Errorf("%s: suspended %v, annotations %v; want Rejected %s saying %q", job, rb.Spec.SchedulingSuspended(), rb.Annotations, want[0], want[1])
		}
	}

	// Fixing the input lets the job through.
	f.add(&batchv1alpha1.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: "nope"}})
	f.eventually("the controller sees FleetQueue nope", func() (bool, string) {
		_, err := f.c.src.queues.Get("nope")
		return err == nil, ""
	})
	f.settle("lost")
	f.cycle()
	if rb := f.binding("lost"); rb.Spec.SchedulingSuspended() || state(rb) != "Dispatched" {
		t.Errorf("after creating its queue: suspended %v, %v", rb.Spec.SchedulingSuspended(), rb.Annotations)
	}
}

// TestDeadlinePreemption: tencent is full with a preemptable low-priority job; an urgent
// job (GPU, so tencent only) with a near deadline evicts it: the victim's binding is
// suspended with its clusters cleared, the urgent job released there in the same cycle.
func TestDeadlinePreemption(t *testing.T) {
	urgentQ := &batchv1alpha1.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: "urgent"}, Spec: batchv1alpha1.FleetQueueSpec{
		Priority:   100,
		Preemption: batchv1alpha1.PreemptionPolicy{Policy: batchv1alpha1.PreemptLowerPriority},
		Deadline:   batchv1alpha1.DeadlinePolicy{SlackThreshold: &metav1.Duration{Duration: time.Hour}},
	}}
	lowQ := &batchv1alpha1.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: "low"}, Spec: batchv1alpha1.FleetQueueSpec{
		Preemption: batchv1alpha1.PreemptionPolicy{Cooldown: &metav1.Duration{Duration: time.Second}},
	}}
	f := newFixture(t, fleet(), urgentQ, lowQ,
		&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "low"}, Value: 10})
	f.submit(jobSpec{name: "low", priority: "low", replicas: 1, requests: "cpu=32,nvidia.com/gpu=8", runtime: 4 * time.Hour,
		annotations: map[string]string{batchapi.AnnotationQueue: "low"}})
	f.cycle()
	f.schedule("low")
	f.clock.Add(time.Second)
	f.run("low", "tencent", schedulingv1beta1.PodGroupRunning)
	f.cycle()
	if rb := f.binding("low"); state(rb) != "Running" {
		t.Fatalf("low: %v", rb.Annotations)
	}

	f.clock.Add(time.Minute)
	f.submit(jobSpec{name: "urgent", replicas: 1, requests: "cpu=8,nvidia.com/gpu=4", runtime: 30 * time.Minute,
		annotations: map[string]string{batchapi.AnnotationQueue: "urgent", batchapi.AnnotationDeadline: f.clock.Now().Add(45 * time.Minute).Format(time.RFC3339)}})
	f.settle("low")
	f.cycle()
	low, urgent := f.binding("low"), f.binding("urgent")
	if !low.Spec.SchedulingSuspended() || len(low.Spec.Clusters) != 0 || state(low) != "Queued" ||
		low.Annotations[batch.AnnotationLastPreempted] == "" || low.Annotations[batchapi.AnnotationCluster] != "" {
		t.Errorf("victim: suspended %v, clusters %v, annotations %v", low.Spec.SchedulingSuspended(), low.Spec.Clusters, low.Annotations)
	}
	if urgent.Spec.SchedulingSuspended() || urgent.Annotations[batchapi.AnnotationCluster] != "tencent" ||
		urgent.Annotations[batchapi.AnnotationReason] != string(batch.StatusPreempting) {
		t.Errorf("urgent: suspended %v, annotations %v", urgent.Spec.SchedulingSuspended(), urgent.Annotations)
	}
	ev := f.drainEvents()
	if !hasEvent(ev, "Warning Evicted", "evicted from tencent for the deadline of ns/urgent") || !hasEvent(ev, "Normal Preempting") {
		t.Errorf("events %v, want Evicted and Preempting", ev)
	}

	// Released again later, the victim's binding is rescheduled afresh.
	low.Spec.Suspension = nil
	f.settle("low", "urgent")
	ci, err := f.c.buildInput(t.Context(), f.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	e := ci.byKey[batch.JobKey{Namespace: "ns", Name: "low"}]
	if e == nil || e.job.State.Phase != batch.PhaseQueued || e.job.LastPreempted.IsZero() {
		t.Fatalf("the victim as a restarted controller rebuilds it: %+v", e)
	}
	body, err := mergePatch(e.rb, nil, release, f.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var patch struct {
		Spec struct {
			RescheduleTriggeredAt string `json:"rescheduleTriggeredAt"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(body, &patch); err != nil || patch.Spec.RescheduleTriggeredAt == "" {
		t.Errorf("re-release of a binding scheduled before: %s, want rescheduleTriggeredAt", body)
	}
}

// TestDispatchTimeoutRequeues: a dispatched job that does not run within its queue's
// dispatch timeout is unscheduled and held back; a restart in between does not reset or
// repeat anything.
func TestDispatchTimeoutRequeues(t *testing.T) {
	f := newFixture(t, fleet())
	f.submit(jobSpec{name: "stuck", replicas: 1, requests: "cpu=4"})
	f.cycle()
	f.schedule("stuck")
	first := f.binding("stuck")
	if state(first) != "Dispatched" {
		t.Fatalf("not dispatched: %v", first.Annotations)
	}

	// A restart before the timeout changes nothing.
	f.restart()
	f.clock.Add(time.Minute)
	f.cycle()
	if rb := f.binding("stuck"); state(rb) != "Dispatched" || rb.Annotations[batchapi.AnnotationAttempts] != "1" ||
		rb.Annotations[batchapi.AnnotationDispatchedAt] != first.Annotations[batchapi.AnnotationDispatchedAt] {
		t.Fatalf("after a restart: %v", rb.Annotations)
	}

	f.clock.Add(batch.DefaultPolicy().DispatchTimeout)
	f.cycle()
	rb := f.binding("stuck")
	if !rb.Spec.SchedulingSuspended() || len(rb.Spec.Clusters) != 0 || state(rb) != "Queued" ||
		rb.Annotations[batchapi.AnnotationNextAttemptAt] == "" || rb.Annotations[batchapi.AnnotationAttempts] != "1" {
		t.Fatalf("after the timeout: suspended %v, clusters %v, %v", rb.Spec.SchedulingSuspended(), rb.Spec.Clusters, rb.Annotations)
	}
	if ev := f.drainEvents(); !hasEvent(ev, "Warning Requeued", "not running after") {
		t.Errorf("events %v, want Requeued", ev)
	}

	// In backoff it waits; after it, it is released again (second attempt).
	f.settle("stuck")
	f.cycle()
	if rb := f.binding("stuck"); state(rb) != "Queued" || rb.Annotations[batchapi.AnnotationReason] != string(batch.StatusBackoff) {
		t.Fatalf("in backoff: %v", rb.Annotations)
	}
	f.clock.Add(time.Minute)
	f.settle("stuck")
	f.cycle()
	if rb := f.binding("stuck"); state(rb) != "Dispatched" || rb.Annotations[batchapi.AnnotationAttempts] != "2" || rb.Spec.RescheduleTriggeredAt == nil {
		t.Fatalf("after backoff: %v, rescheduleTriggeredAt %v", rb.Annotations, rb.Spec.RescheduleTriggeredAt)
	}
}

// TestUnreachableMember: a member whose clients cannot be built is unknown to the core:
// nothing is released there, nothing blocks, and other members keep working.
func TestUnreachableMember(t *testing.T) {
	members := fleet()
	members[1].unreachable = true
	f := newFixture(t, members)
	f.submit(jobSpec{name: "gpu", replicas: 1, requests: "cpu=4,nvidia.com/gpu=1"})
	f.submit(jobSpec{name: "cpu", replicas: 1, requests: "cpu=4"})
	f.cycle()
	if rb := f.binding("gpu"); !rb.Spec.SchedulingSuspended() || state(rb) != "Queued" ||
		!strings.Contains(rb.Annotations[batchapi.AnnotationMessage], "no member can start it now") {
		t.Errorf("gpu job with its only member unreachable: %v", rb.Annotations)
	}
	if rb := f.binding("cpu"); rb.Annotations[batchapi.AnnotationCluster] != "aliyun" {
		t.Errorf("cpu job: %v, want released to aliyun", rb.Annotations)
	}
	m, _ := f.c.members.get("tencent")
	f.eventually("tencent reports why it is not synced", func() (bool, string) {
		st := m.status(true)
		return !st.synced && strings.Contains(st.problem, "connection refused"), st.problem
	})
}
