package batch

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
)

func TestParseDeadline(t *testing.T) {
	cases := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "2030-01-02T15:04:05Z", want: time.Date(2030, 1, 2, 15, 4, 5, 0, time.UTC)},
		{in: " 2030-01-02T16:04:05+01:00 ", want: time.Date(2030, 1, 2, 15, 4, 5, 0, time.UTC)},
		{in: "4h30m", wantErr: true},
		{in: "tomorrow", wantErr: true},
		{in: "2030-01-02", wantErr: true},
	}
	for _, tc := range cases {
		got, err := ParseDeadline(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && !got.Equal(tc.want)) {
			t.Errorf("ParseDeadline(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "RFC 3339") {
			t.Errorf("error %q does not say what to write", err)
		}
	}
}

func volcanoJob(annotations map[string]string) *batchv1alpha1.Job {
	est := metav1.Duration{Duration: 2 * time.Hour}
	return &batchv1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "train", CreationTimestamp: metav1.NewTime(t0), Annotations: annotations},
		Spec: batchv1alpha1.JobSpec{
			Queue: "research", PriorityClassName: "high", RunningEstimate: &est, MinAvailable: 3,
			Tasks: []batchv1alpha1.TaskSpec{
				{Name: "ps", Replicas: 1, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c",
					Resources: corev1.ResourceRequirements{Requests: res("cpu=2,memory=4Gi")}}}}}},
				{Name: "worker", Replicas: 4, MinAvailable: ptr(int32(2)), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"gpu": "a100"},
					Containers:   []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: res("cpu=4,nvidia.com/gpu=1")}}}}}},
			},
		},
	}
}

func TestJobFromVolcano(t *testing.T) {
	prio := func(name string) (int32, bool) { return map[string]int32{"high": 1000}[name], name == "high" }
	j := JobFromVolcano(volcanoJob(map[string]string{batchapi.AnnotationDeadline: "2030-01-01T18:00:00Z", batchapi.AnnotationQueue: "research"}), prio, "default")
	if j.Queue != "research" || j.VolcanoQueue != "research" || j.Priority != 1000 || j.Runtime != 2*time.Hour || !j.Preemptable || j.MinAvailable != 3 || j.State.Phase != PhaseQueued {
		t.Errorf("job = %+v", j)
	}
	if j.Deadline == nil || !j.Deadline.Equal(t0.Add(6*time.Hour)) {
		t.Errorf("deadline = %v, want creation + 6h", j.Deadline)
	}
	if len(j.Tasks) != 2 || j.Tasks[1].minAvailable() != 2 || j.Tasks[1].NodeSelector["gpu"] != "a100" {
		t.Errorf("tasks = %+v", j.Tasks)
	}
	if q := j.Tasks[1].Requests["nvidia.com/gpu"]; q.Value() != 1 {
		t.Errorf("worker gpu request = %v, want 1", q.String())
	}
	if len(j.Problems) != 0 {
		t.Errorf("problems = %+v", j.Problems)
	}

	j = JobFromVolcano(volcanoJob(map[string]string{batchapi.AnnotationDeadline: "friday", batchapi.AnnotationPreemptable: "false"}), nil, "fleet-default")
	if j.Queue != "fleet-default" || j.Deadline != nil || j.Preemptable || len(j.Problems) != 1 || j.Problems[0].Reason != ReasonInvalidDeadline {
		t.Errorf("job = %+v, want the default queue, no deadline, not preemptable and one problem", j)
	}

	j = JobFromVolcano(volcanoJob(nil), nil, "")
	if len(j.Problems) != 1 || j.Problems[0].Reason != ReasonNoQueue || !strings.Contains(j.Problems[0].Message, batchapi.AnnotationQueue) {
		t.Errorf("problems = %+v, want NoQueue naming the annotation", j.Problems)
	}
}

func TestQueueFromAPI(t *testing.T) {
	q := &batchapi.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: "prod"}, Spec: batchapi.FleetQueueSpec{
		Priority: 100, Weight: 3, Capability: res("cpu=64"),
		Deadline:      batchapi.DeadlinePolicy{SlackThreshold: &metav1.Duration{Duration: 20 * time.Minute}, DispatchTimeout: &metav1.Duration{Duration: 4 * time.Minute}},
		Preemption:    batchapi.PreemptionPolicy{Policy: batchapi.PreemptLowerPriority, Cooldown: &metav1.Duration{Duration: 7 * time.Minute}},
		VolcanoQueues: []batchapi.VolcanoQueueMapping{{Cluster: "*", Queue: "default"}, {Cluster: "gpu-1", Queue: "ml"}},
	}}
	got := QueueFromAPI(q)
	if got.Name != "prod" || got.Priority != 100 || got.Weight != 3 || got.SlackThreshold != 20*time.Minute || got.DispatchTimeout != 4*time.Minute ||
		got.Cooldown != 7*time.Minute || got.Preemption != PreemptLowerPriority || got.volcanoQueue("gpu-1") != "ml" || got.volcanoQueue("other") != "default" {
		t.Errorf("queue = %+v", got)
	}
	if QueueFromAPI(&batchapi.FleetQueue{}).Preemption != PreemptNever {
		t.Error("an undefaulted queue must not preempt")
	}
}

func TestValidate(t *testing.T) {
	queues := []FleetQueue{fleetQueue("hi", 1)}
	m := testModel("m1", "cpu=8")
	cases := []struct {
		name  string
		job   func() Job
		want  StatusReason
		field string
	}{
		{name: "valid", job: func() Job { return job("ok", "hi", 0, 2, "cpu=4") }},
		{name: "unparsable deadline", job: func() Job {
			return JobFromVolcano(volcanoJob(map[string]string{batchapi.AnnotationDeadline: "soon", batchapi.AnnotationQueue: "hi"}), nil, "")
		}, want: ReasonInvalidDeadline, field: "metadata.annotations[batch.kurator.dev/deadline]"},
		{name: "deadline before creation", job: func() Job {
			return withDeadline(job("past", "hi", 0, 1, "cpu=1"), t0.Add(-2*time.Hour))
		}, want: ReasonDeadlineInPast, field: "metadata.annotations[batch.kurator.dev/deadline]"},
		{name: "unknown fleet queue", job: func() Job { return job("lost", "nope", 0, 1, "cpu=1") }, want: ReasonUnknownQueue},
		{name: "minAvailable above replicas", job: func() Job {
			j := job("bad", "hi", 0, 1, "cpu=1")
			j.Tasks[0].MinAvailable = ptr(int32(3))
			return j
		}, want: ReasonInvalidSpec, field: "spec.tasks[0].minAvailable"},
		{name: "no tasks", job: func() Job { j := job("empty", "hi", 0, 1, "cpu=1"); j.Tasks = nil; return j }, want: ReasonInvalidSpec},
		// 3 pods of 4 cpus do not fit one 8-cpu node, ever.
		{name: "requests no member could satisfy even empty", job: func() Job { return job("big", "hi", 0, 3, "cpu=4") }, want: ReasonUnsatisfiable},
		{name: "a resource no node offers", job: func() Job { return job("gpu", "hi", 0, 1, "nvidia.com/gpu=1") }, want: ReasonUnsatisfiable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := tc.job()
			probs := Validate(Input{Now: t0, Policy: DefaultPolicy(), Queues: queues, Members: members(m)}, &j)
			if tc.want == "" {
				if len(probs) != 0 {
					t.Fatalf("problems = %+v, want none", probs)
				}
				return
			}
			if len(probs) == 0 || probs[0].Reason != tc.want {
				t.Fatalf("problems = %+v, want %s first", probs, tc.want)
			}
			if tc.field != "" && probs[0].Field != tc.field {
				t.Errorf("field = %q, want %q", probs[0].Field, tc.field)
			}
			if !strings.Contains(probs[0].Message, j.String()) {
				t.Errorf("message %q does not name the job", probs[0].Message)
			}
		})
	}
}
