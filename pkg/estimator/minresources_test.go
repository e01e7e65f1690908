package estimator

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	quotav1 "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/utils/ptr"
	batchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
)

func usage(cpu string) corev1.ResourceList { return res("cpu=" + cpu + ",pods=1") }

// TestPodGroupMinResources follows Volcano v1.14's calcPGMinResources (see
// volcano-sh/volcano#2945) case by case.
func TestPodGroupMinResources(t *testing.T) {
	ps := func(min *int32) TaskSpec {
		return TaskSpec{Name: "ps", Replicas: 1, MinAvailable: min, Usage: usage("2")}
	}
	worker := func(min *int32, prio int32) TaskSpec {
		return TaskSpec{Name: "worker", Replicas: 4, MinAvailable: min, Priority: prio, Usage: usage("1")}
	}
	cases := []struct {
		name         string
		tasks        []TaskSpec
		minAvailable int32
		want         corev1.ResourceList
	}{
		{
			// minAvailable 5 = 1 + 4: every task contributes its minAvailable: 2 + 4*1 = 6 cpus.
			name:  "job minAvailable equals the tasks' sum",
			tasks: []TaskSpec{ps(ptr.To[int32](1)), worker(ptr.To[int32](4), 0)}, minAvailable: 5,
			want: res("cpu=6,pods=5"),
		},
		{
			// 3 < 5: the first 3 pods by priority; the worker task (priority 100) comes first:
			// 3 workers = 3 cpus.
			name:  "fewer than the tasks' sum: highest priority task first",
			tasks: []TaskSpec{ps(ptr.To[int32](1)), worker(ptr.To[int32](4), 100)}, minAvailable: 3,
			want: res("cpu=3,pods=3"),
		},
		{
			// Equal priorities keep the job's order: 1 ps (2 cpus) + 2 workers (2 cpus).
			name:  "fewer than the tasks' sum: equal priorities keep task order",
			tasks: []TaskSpec{ps(ptr.To[int32](1)), worker(ptr.To[int32](4), 0)}, minAvailable: 3,
			want: res("cpu=4,pods=3"),
		},
		{
			// 6 > 1 + 2: first the minAvailables (ps 1 = 2 cpus, workers 2 = 2 cpus), then the
			// spare replicas up to 6: ps has none (minAvailable = replicas), workers have 2.
			// Only 5 pods exist beyond which Volcano stops: 2 + 4 = 6 cpus, pods 5.
			name:  "more than the tasks' sum: filled from spare replicas",
			tasks: []TaskSpec{ps(ptr.To[int32](1)), worker(ptr.To[int32](2), 0)}, minAvailable: 6,
			want: res("cpu=6,pods=5"),
		},
		{
			// A nil minAvailable counts its replicas in the total (3) but contributes only in
			// the fill phase: b's minAvailable 1 (2 cpus), then 2 of a (2 cpus).
			name: "a task without minAvailable contributes in the fill phase",
			tasks: []TaskSpec{
				{Name: "a", Replicas: 2, Usage: usage("1")},
				{Name: "b", Replicas: 1, MinAvailable: ptr.To[int32](1), Usage: usage("2")},
			},
			minAvailable: 3,
			want:         res("cpu=4,pods=3"),
		},
		{
			// A Job created without Volcano's webhook keeps minAvailable 0: the first 0 pods.
			name:  "job minAvailable 0 reserves nothing",
			tasks: []TaskSpec{ps(ptr.To[int32](1)), worker(ptr.To[int32](4), 0)}, minAvailable: 0,
			want: corev1.ResourceList{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := PodGroupMinResources(tc.tasks, tc.minAvailable)
			if !quotav1.Equals(got, tc.want) {
				t.Errorf("PodGroupMinResources = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVolcanoJobTasks(t *testing.T) {
	job := &batchv1alpha1.Job{Spec: batchv1alpha1.JobSpec{MinAvailable: 3, Tasks: []batchv1alpha1.TaskSpec{
		{Name: "ps", Replicas: 1, MinAvailable: ptr.To[int32](1), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: res("cpu=2,memory=1Gi")}}},
		}}},
		{Name: "worker", Replicas: 4, MinAvailable: ptr.To[int32](4), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			PriorityClassName: "high",
			InitContainers:    []corev1.Container{{Name: "init", Resources: corev1.ResourceRequirements{Requests: res("cpu=3")}}},
			Containers:        []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: res("cpu=1,nvidia.com/gpu=1")}}},
		}}},
	}}}
	tasks := VolcanoJobTasks(job, func(name string) (int32, bool) { return map[string]int32{"high": 1000}[name], name == "high" })
	if tasks[1].Priority != 1000 {
		t.Errorf("worker priority = %d, want 1000 from PriorityClass high", tasks[1].Priority)
	}
	// The init container (3 cpus) dominates the worker's 1 cpu.
	if got := tasks[1].Usage.Cpu().MilliValue(); got != 3000 {
		t.Errorf("worker pod usage cpu = %dm, want 3000m (init container max)", got)
	}
	// 3 < 5 pods: 3 workers first (priority 1000): 9 cpus, 3 GPUs.
	got := PodGroupMinResources(tasks, job.Spec.MinAvailable)
	if want := res("cpu=9,nvidia.com/gpu=3,pods=3"); !quotav1.Equals(got, want) {
		t.Errorf("minResources = %v, want %v", got, want)
	}
}

func TestVolcanoJobRequest(t *testing.T) {
	job := &batchv1alpha1.Job{Spec: batchv1alpha1.JobSpec{MinAvailable: 3, Queue: "training", PriorityClassName: "high", Tasks: []batchv1alpha1.TaskSpec{
		{Name: "ps", Replicas: 1, MinAvailable: ptr.To[int32](1), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			NodeSelector: map[string]string{"pool": "cpu"},
			Containers:   []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: res("cpu=2")}}},
		}}},
		{Name: "worker", Replicas: 4, MinAvailable: ptr.To[int32](2), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: res("cpu=1,nvidia.com/gpu=1")}}},
		}}},
	}}}
	req := VolcanoJobRequest(job, func(name string) (int32, bool) { return 1000, name == "high" })
	if req.Queue != "training" || req.Priority == nil || *req.Priority != 1000 {
		t.Errorf("queue %q priority %v, want training and 1000", req.Queue, req.Priority)
	}
	// The gang: 1 ps + 2 workers (minAvailable 3 = 1 + 2).
	if len(req.Components) != 2 || req.Components[0].Replicas != 1 || req.Components[1].Replicas != 2 {
		t.Fatalf("components = %+v, want ps x1 and worker x2", req.Components)
	}
	if req.Components[0].NodeSelector["pool"] != "cpu" {
		t.Errorf("ps node selector lost: %v", req.Components[0].NodeSelector)
	}
	if want := res("cpu=4,nvidia.com/gpu=2,pods=3"); !quotav1.Equals(req.MinResources, want) {
		t.Errorf("MinResources = %v, want %v", req.MinResources, want)
	}
	// Every replica: 2 + 4 cpus, 4 GPUs.
	if want := res("cpu=6,nvidia.com/gpu=4"); !quotav1.Equals(req.JobRequests, want) {
		t.Errorf("JobRequests = %v, want %v", req.JobRequests, want)
	}
}
