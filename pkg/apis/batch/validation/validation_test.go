package validation

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kurator.dev/kurator/pkg/apis/batch"
)

func dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// valid is a defaulted, valid queue.
func valid() *batch.FleetQueue {
	return &batch.FleetQueue{
		ObjectMeta: metav1.ObjectMeta{Name: "train"},
		Spec: batch.FleetQueueSpec{
			Priority: -5, Weight: 1,
			Capability: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100"), "nvidia.com/gpu": resource.MustParse("8")},
			Guarantee:  corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10"), corev1.ResourceMemory: resource.MustParse("1Ti")},
			Deadline: batch.DeadlinePolicy{SlackThreshold: dur(0), DispatchTimeout: dur(3 * time.Minute),
				Backoff: batch.BackoffPolicy{Base: dur(30 * time.Second), Max: dur(30 * time.Second)}},
			Preemption:    batch.PreemptionPolicy{Policy: batch.PreemptNever, Cooldown: dur(0)},
			VolcanoQueues: []batch.VolcanoQueueMapping{{Cluster: "*", Queue: "default"}, {Cluster: "aliyun", Queue: "gpu.team-a"}},
		},
	}
}

func TestValidateFleetQueue(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(q *batch.FleetQueue)
		// want are "type field" of every error, in order.
		want []string
		// wantDetail, if set, must appear in the first error's detail.
		wantDetail string
	}{
		{name: "valid", mutate: func(*batch.FleetQueue) {}},
		{
			name:   "name must be a DNS subdomain",
			mutate: func(q *batch.FleetQueue) { q.Name = "Train_Queue" },
			want:   []string{"FieldValueInvalid metadata.name"},
		},
		{
			name:   "weight out of range",
			mutate: func(q *batch.FleetQueue) { q.Spec.Weight = 1001 },
			want:   []string{"FieldValueInvalid spec.weight"}, wantDetail: "between 1 and 1000",
		},
		{
			name: "negative quantity and bad resource name",
			mutate: func(q *batch.FleetQueue) {
				q.Spec.Capability = corev1.ResourceList{"cpu": resource.MustParse("-1"), "bad name!": resource.MustParse("1")}
				q.Spec.Guarantee = nil
			},
			want: []string{"FieldValueInvalid spec.capability[bad name!]", "FieldValueInvalid spec.capability[cpu]"},
		},
		{
			name:   "guarantee above capability",
			mutate: func(q *batch.FleetQueue) { q.Spec.Guarantee[corev1.ResourceCPU] = resource.MustParse("101") },
			want:   []string{"FieldValueInvalid spec.guarantee[cpu]"}, wantDetail: "must not exceed spec.capability[cpu] (100)",
		},
		{
			name: "deadline durations",
			mutate: func(q *batch.FleetQueue) {
				q.Spec.Deadline.SlackThreshold = dur(-time.Minute)
				q.Spec.Deadline.DispatchTimeout = dur(0)
				q.Spec.Deadline.Backoff.Max = dur(10 * time.Second)
			},
			want: []string{"FieldValueInvalid spec.deadline.slackThreshold", "FieldValueInvalid spec.deadline.dispatchTimeout", "FieldValueInvalid spec.deadline.backoff.max"},
		},
		{
			name:   "missing defaults are required (a client that skips defaulting)",
			mutate: func(q *batch.FleetQueue) { q.Spec.Deadline.Backoff.Base = nil; q.Spec.Preemption.Cooldown = nil },
			want:   []string{"FieldValueRequired spec.deadline.backoff.base", "FieldValueRequired spec.preemption.cooldown"},
		},
		{
			name:   "unknown preemption policy",
			mutate: func(q *batch.FleetQueue) { q.Spec.Preemption.Policy = "Always" },
			want:   []string{"FieldValueNotSupported spec.preemption.policy"},
		},
		{
			name: "Volcano queue mapping",
			mutate: func(q *batch.FleetQueue) {
				q.Spec.VolcanoQueues = []batch.VolcanoQueueMapping{
					{Cluster: "*", Queue: "default"}, {Cluster: "*", Queue: "other"}, {Cluster: "Bad_Cluster", Queue: "q"}, {Cluster: "", Queue: "Q!"},
				}
			},
			want: []string{
				"FieldValueDuplicate spec.volcanoQueues[1].cluster", "FieldValueInvalid spec.volcanoQueues[2].cluster",
				"FieldValueRequired spec.volcanoQueues[3].cluster", "FieldValueInvalid spec.volcanoQueues[3].queue",
			},
		},
		{
			name:   "no Volcano queue at all",
			mutate: func(q *batch.FleetQueue) { q.Spec.VolcanoQueues = nil },
			want:   []string{"FieldValueRequired spec.volcanoQueues"}, wantDetail: `{cluster: "*", queue: default}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := valid()
			tc.mutate(q)
			errs := ValidateFleetQueue(q)
			var got []string
			for _, e := range errs {
				got = append(got, string(e.Type)+" "+e.Field)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s\n%v", diff, errs)
			}
			if tc.wantDetail != "" && (len(errs) == 0 || !strings.Contains(errs[0].Detail, tc.wantDetail)) {
				t.Errorf("first error %v does not say %q", errs, tc.wantDetail)
			}
		})
	}
}

func TestValidateFleetQueueUpdate(t *testing.T) {
	old := valid()
	old.ResourceVersion = "1"
	update := old.DeepCopy()
	update.Spec.Priority = 100
	if errs := ValidateFleetQueueUpdate(update, old); len(errs) != 0 {
		t.Errorf("changing the priority: %v", errs)
	}
	update.Spec.Weight = 0
	update.Name = "renamed"
	errs := ValidateFleetQueueUpdate(update, old)
	var got []string
	for _, e := range errs {
		got = append(got, e.Field)
	}
	if diff := cmp.Diff([]string{"metadata.name", "spec.weight"}, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	status := old.DeepCopy()
	status.Spec.Weight = 0 // the status subresource ignores the spec
	if errs := ValidateFleetQueueStatusUpdate(status, old); len(errs) != 0 {
		t.Errorf("status update: %v", errs)
	}
}
