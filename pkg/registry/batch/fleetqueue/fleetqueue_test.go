package fleetqueue

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/warning"

	"kurator.dev/kurator/pkg/apis/batch"
)

var created = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

func dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// defaulted is a valid queue as the API server stores it after defaulting.
func defaulted(name string) *batch.FleetQueue {
	return &batch.FleetQueue{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: created, Generation: 3, ResourceVersion: "5"},
		Spec: batch.FleetQueueSpec{
			Priority: 10, Weight: 2,
			Capability: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200"), "nvidia.com/gpu": resource.MustParse("16")},
			Deadline: batch.DeadlinePolicy{SlackThreshold: dur(10 * time.Minute), DispatchTimeout: dur(3 * time.Minute),
				Backoff: batch.BackoffPolicy{Base: dur(30 * time.Second), Max: dur(10 * time.Minute)}},
			Preemption:    batch.PreemptionPolicy{Policy: batch.PreemptLowerPriority, Cooldown: dur(5 * time.Minute)},
			VolcanoQueues: []batch.VolcanoQueueMapping{{Cluster: "aliyun", Queue: "gpu"}, {Cluster: "*", Queue: "default"}},
		},
	}
}

func TestComputeStatus(t *testing.T) {
	q := defaulted("train")
	counts := map[string]batch.FleetQueueStatus{"train": {QueuedJobs: 3, DispatchedJobs: 1, RunningJobs: 2}, "infer": {QueuedJobs: 9}}
	got := ComputeStatus(q, counts, "")
	want := batch.FleetQueueStatus{QueuedJobs: 3, DispatchedJobs: 1, RunningJobs: 2, Conditions: []metav1.Condition{{
		Type: "JobsCounted", Status: metav1.ConditionTrue, Reason: "JobsCounted", ObservedGeneration: 3, LastTransitionTime: created,
		Message: "The counts cover every Volcano Job of the Karmada apiserver",
	}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counted status (-want +got):\n%s", diff)
	}

	if got := ComputeStatus(defaulted("empty"), counts, ""); got.QueuedJobs != 0 || got.RunningJobs != 0 || got.Conditions[0].Status != metav1.ConditionTrue {
		t.Errorf("a queue without jobs: %+v", got)
	}

	got = ComputeStatus(q, nil, "the Volcano Jobs are not listed yet")
	if got.QueuedJobs != 0 || len(got.Conditions) != 1 || got.Conditions[0].Status != metav1.ConditionFalse ||
		got.Conditions[0].Reason != batch.ReasonJobInformationUnavailable ||
		got.Conditions[0].Message != "The job counts are unknown: the Volcano Jobs are not listed yet" {
		t.Errorf("unavailable status = %+v", got)
	}
}

// fakeCounter counts fixed jobs and records how often it was asked.
type fakeCounter struct {
	counts map[string]batch.FleetQueueStatus
	calls  int
}

func (f *fakeCounter) CountJobs() (map[string]batch.FleetQueueStatus, string) {
	f.calls++
	return f.counts, ""
}

func TestDecorate(t *testing.T) {
	counter := &fakeCounter{counts: map[string]batch.FleetQueueStatus{"a": {RunningJobs: 1}, "b": {QueuedJobs: 2}}}
	d := statusDecorator{jobs: counter}
	list := &batch.FleetQueueList{Items: []batch.FleetQueue{*defaulted("a"), *defaulted("b")}}
	d.decorate(list)
	if list.Items[0].Status.RunningJobs != 1 || list.Items[1].Status.QueuedJobs != 2 {
		t.Errorf("decorated list = %+v", list.Items)
	}
	if counter.calls != 1 {
		t.Errorf("a list of 2 queues counted the jobs %d times, want once", counter.calls)
	}
	d.decorate(&batch.FleetQueue{}) // a watch bookmark
	d.decorate(&batch.FleetQueueList{})
	if counter.calls != 1 {
		t.Errorf("bookmarks and empty lists counted the jobs (%d calls)", counter.calls)
	}
}

func TestStrategy(t *testing.T) {
	ctx := t.Context()
	s := newStrategy(runtime.NewScheme())
	q := defaulted("train")
	q.Status.QueuedJobs = 5
	s.PrepareForCreate(ctx, q)
	if q.Generation != 1 || q.Status.QueuedJobs != 0 {
		t.Errorf("after PrepareForCreate: generation %d, status %+v", q.Generation, q.Status)
	}
	if errs := s.Validate(ctx, q); len(errs) != 0 {
		t.Errorf("a defaulted queue is invalid: %v", errs)
	}

	old := defaulted("train")
	same := old.DeepCopy()
	same.Labels = map[string]string{"x": "y"}
	s.PrepareForUpdate(ctx, same, old)
	if same.Generation != old.Generation {
		t.Errorf("a metadata change bumped the generation to %d", same.Generation)
	}
	changed := old.DeepCopy()
	changed.Spec.Priority = 99
	changed.Status.RunningJobs = 4
	s.PrepareForUpdate(ctx, changed, old)
	if changed.Generation != old.Generation+1 || changed.Status.RunningJobs != 0 {
		t.Errorf("a spec change: generation %d (want %d), status %+v", changed.Generation, old.Generation+1, changed.Status)
	}
	bad := old.DeepCopy()
	bad.Spec.Weight = 0
	if errs := s.ValidateUpdate(ctx, bad, old); len(errs) != 1 || errs[0].Field != "spec.weight" {
		t.Errorf("update with weight 0: %v", errs)
	}
	if s.NamespaceScoped() || s.AllowCreateOnUpdate() || !s.AllowUnconditionalUpdate() {
		t.Error("fleet queues must be cluster-scoped, created by POST and updatable without resourceVersion")
	}
	if reset := s.GetResetFields()["batch.kurator.dev/v1alpha1"]; reset == nil || reset.String() != ".status" {
		t.Errorf("reset fields of the main resource = %v, want .status", reset)
	}
}

func TestStatusStrategy(t *testing.T) {
	recorder := &warningRecorder{}
	ctx := warning.WithWarningRecorder(genericapirequest.NewContext(), recorder)
	s := newStatusStrategy(runtime.NewScheme())
	old := defaulted("train")
	update := old.DeepCopy()
	update.Spec.Priority = 99
	update.Status.QueuedJobs = 7
	s.PrepareForUpdate(ctx, update, old)
	if update.Spec.Priority != old.Spec.Priority || update.Status.QueuedJobs != 0 {
		t.Errorf("status update kept spec.priority %d and status %+v", update.Spec.Priority, update.Status)
	}
	if len(recorder.warnings) != 1 || recorder.warnings[0] != statusNotStoredWarning {
		t.Errorf("warnings = %q, want the status-not-stored warning", recorder.warnings)
	}
	reset := s.GetResetFields()["batch.kurator.dev/v1alpha1"]
	if reset == nil || !reset.Has(mustPath("spec")) || !reset.Has(mustPath("status")) {
		t.Errorf("reset fields of the status subresource = %v, want spec and status", reset)
	}
}

type warningRecorder struct{ warnings []string }

func (w *warningRecorder) AddWarning(_, text string) { w.warnings = append(w.warnings, text) }
