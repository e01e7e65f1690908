package estimator

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	quotav1 "k8s.io/apiserver/pkg/quota/v1"
	resourcehelper "k8s.io/component-helpers/resource"
	batchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
)

// TaskSpec is one task of a Volcano Job, reduced to what the job controller reads when it
// computes the PodGroup's minResources.
type TaskSpec struct {
	// Name of the task (only for messages).
	Name string
	// Replicas is task.replicas.
	Replicas int32
	// MinAvailable is task.minAvailable; nil when unset (Volcano's webhook defaults it to
	// Replicas, but a Job created without the webhook keeps nil).
	MinAvailable *int32
	// Priority is the value of the PriorityClass named by the task template's
	// priorityClassName, 0 when unset or unknown (as the job controller does).
	Priority int32
	// Usage is the quota usage of ONE pod of the task, see PodQuotaUsage.
	Usage corev1.ResourceList
}

// PodQuotaUsage is the resource usage Kubernetes quota charges for one pod with this spec,
// the per-pod amount Volcano's job controller multiplies into minResources: the pod's
// effective requests (containers, init containers, sidecars, overhead, pod-level
// resources, as the scheduler computes them) plus pods=1.
func PodQuotaUsage(spec *corev1.PodSpec) corev1.ResourceList {
	pod := &corev1.Pod{Spec: *spec}
	usage := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
	usage[corev1.ResourcePods] = *decimalQuantity(1)
	return usage
}

// PodGroupMinResources returns the minResources Volcano v1.14's job controller writes into
// a Job's PodGroup (calcPGMinResources), reproduced exactly:
//
// Tasks are sorted by priority, highest first (a stable sort: Volcano's sort.Sort is
// stable for the <=12 tasks a Job has in practice). If jobMinAvailable is smaller than the
// sum of the tasks' minAvailable (a nil minAvailable counting as replicas), the result is
// the usage of the first jobMinAvailable pods in that order, each task contributing up to
// its replicas. Otherwise every task with a minAvailable contributes its minAvailable pods
// (capped so the total does not pass jobMinAvailable), and the remainder up to
// jobMinAvailable is filled from the tasks' spare replicas (replicas - minAvailable), in
// the same priority order.
func PodGroupMinResources(tasks []TaskSpec, jobMinAvailable int32) corev1.ResourceList {
	minReq := corev1.ResourceList{}
	for i, n := range GangComposition(tasks, jobMinAvailable) {
		minReq = quotav1.Add(minReq, timesUsage(tasks[i].Usage, n))
	}
	return minReq
}

// GangComposition returns, per task (in the given order), how many of its pods make up the
// gang whose usage is the PodGroup's minResources (see PodGroupMinResources).
func GangComposition(tasks []TaskSpec, jobMinAvailable int32) []int32 {
	order := make([]int, len(tasks))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return tasks[order[a]].Priority > tasks[order[b]].Priority })
	var totalMinAvailable int32
	for _, t := range tasks {
		if t.MinAvailable != nil {
			totalMinAvailable += *t.MinAvailable
		} else {
			totalMinAvailable += t.Replicas
		}
	}
	out := make([]int32, len(tasks))
	// add mirrors CalTaskRequests, which adds nothing for a count <= 0.
	add := func(i int, n int32) {
		if n > 0 {
			out[i] += n
		}
	}
	if jobMinAvailable < totalMinAvailable {
		// TasksPriority.CalcFirstCountResources.
		count := jobMinAvailable
		for _, i := range order {
			if count <= tasks[i].Replicas {
				add(i, count)
				break
			}
			add(i, tasks[i].Replicas)
			count -= tasks[i].Replicas
		}
		return out
	}
	// TasksPriority.CalcPGMinResources.
	var podCnt int32
	for _, i := range order {
		t := tasks[i]
		if t.MinAvailable == nil {
			continue
		}
		valid := *t.MinAvailable
		if left := jobMinAvailable - podCnt; left < valid {
			valid = left
		}
		add(i, valid)
		podCnt += valid
		if podCnt >= jobMinAvailable {
			break
		}
	}
	if podCnt >= jobMinAvailable {
		return out
	}
	leftCnt := jobMinAvailable - podCnt
	for _, i := range order {
		t := tasks[i]
		left := t.Replicas
		if t.MinAvailable != nil {
			if *t.MinAvailable == t.Replicas {
				continue
			}
			left = t.Replicas - *t.MinAvailable
		}
		if leftCnt >= left {
			add(i, left)
			leftCnt -= left
		} else {
			add(i, leftCnt)
			leftCnt = 0
		}
		if leftCnt <= 0 {
			break
		}
	}
	return out
}

// timesUsage is util.CalTaskRequests: usage added n times (n <= 0 gives an empty list).
func timesUsage(usage corev1.ResourceList, n int32) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := int32(0); i < n; i++ {
		out = quotav1.Add(out, usage)
	}
	return out
}

// VolcanoJobTasks turns a Volcano Job's tasks into TaskSpecs. priorityOf resolves a
// PriorityClass name to its value; unknown names count as priority 0, as in the job
// controller.
func VolcanoJobTasks(job *batchv1alpha1.Job, priorityOf func(name string) (int32, bool)) []TaskSpec {
	tasks := make([]TaskSpec, 0, len(job.Spec.Tasks))
	for i := range job.Spec.Tasks {
		t := &job.Spec.Tasks[i]
		ts := TaskSpec{Name: t.Name, Replicas: t.Replicas, MinAvailable: t.MinAvailable, Usage: PodQuotaUsage(&t.Template.Spec)}
		if pc := t.Template.Spec.PriorityClassName; pc != "" && priorityOf != nil {
			if v, ok := priorityOf(pc); ok {
				ts.Priority = v
			}
		}
		tasks = append(tasks, ts)
	}
	return tasks
}
