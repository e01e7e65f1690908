package v1alpha1

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDefaults(t *testing.T) {
	q := &FleetQueue{}
	SetObjectDefaults_FleetQueue(q)
	d := func(v time.Duration) *metav1.Duration { return &metav1.Duration{Duration: v} }
	want := FleetQueueSpec{
		Weight:        1,
		Deadline:      DeadlinePolicy{SlackThreshold: d(10 * time.Minute), DispatchTimeout: d(3 * time.Minute), Backoff: BackoffPolicy{Base: d(30 * time.Second), Max: d(10 * time.Minute)}},
		Preemption:    PreemptionPolicy{Policy: PreemptNever, Cooldown: d(5 * time.Minute)},
		VolcanoQueues: []VolcanoQueueMapping{{Cluster: "*", Queue: "default"}},
	}
	if diff := cmp.Diff(want, q.Spec); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}

	set := &FleetQueue{Spec: FleetQueueSpec{
		Weight:        3,
		Deadline:      DeadlinePolicy{SlackThreshold: d(0)},
		Preemption:    PreemptionPolicy{Policy: PreemptLowerPriority, Cooldown: d(0)},
		VolcanoQueues: []VolcanoQueueMapping{{Cluster: "aliyun", Queue: "gpu"}},
	}}
	SetObjectDefaults_FleetQueue(set)
	if set.Spec.Weight != 3 || set.Spec.Deadline.SlackThreshold.Duration != 0 || set.Spec.Preemption.Cooldown.Duration != 0 ||
		set.Spec.Preemption.Policy != PreemptLowerPriority || len(set.Spec.VolcanoQueues) != 1 {
		t.Errorf("defaulting overwrote values that were set, zeros included: %+v", set.Spec)
	}
}

func TestVolcanoQueueFor(t *testing.T) {
	spec := FleetQueueSpec{VolcanoQueues: []VolcanoQueueMapping{{Cluster: "*", Queue: "default"}, {Cluster: "aliyun", Queue: "gpu"}}}
	for cluster, want := range map[string]string{"aliyun": "gpu", "edge": "default"} {
		if got, ok := spec.VolcanoQueueFor(cluster); !ok || got != want {
			t.Errorf("VolcanoQueueFor(%s) = %q, %v; want %q", cluster, got, ok, want)
		}
	}
	only := FleetQueueSpec{VolcanoQueues: []VolcanoQueueMapping{{Cluster: "aliyun", Queue: "gpu"}}}
	if got, ok := only.VolcanoQueueFor("edge"); ok {
		t.Errorf("a member no entry covers got queue %q", got)
	}
}
