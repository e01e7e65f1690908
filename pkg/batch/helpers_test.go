package batch

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"

	"kurator.dev/kurator/pkg/estimator"
)

// t0 is the tests' "now".
var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

// res parses "cpu=4,memory=8Gi" into a ResourceList.
func res(s string) corev1.ResourceList {
	rl := corev1.ResourceList{}
	if s == "" {
		return rl
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		rl[corev1.ResourceName(k)] = resource.MustParse(v)
	}
	return rl
}

func testNode(name, alloc string) *corev1.Node {
	rl := res(alloc)
	if _, ok := rl[corev1.ResourcePods]; !ok {
		rl[corev1.ResourcePods] = resource.MustParse("110")
	}
	if _, ok := rl[corev1.ResourceMemory]; !ok {
		rl[corev1.ResourceMemory] = resource.MustParse("256Gi")
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Allocatable: rl, Capacity: rl}}
}

func testQueue(name, capability, guarantee string) *schedulingv1beta1.Queue {
	q := &schedulingv1beta1.Queue{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:   schedulingv1beta1.QueueSpec{Weight: 1, Capability: res(capability)},
		Status: schedulingv1beta1.QueueStatus{State: schedulingv1beta1.QueueStateOpen}}
	if guarantee != "" {
		q.Spec.Guarantee.Resource = res(guarantee)
	}
	return q
}

// testModel is a member with one node per entry of nodes ("cpu=8" ...) and an open
// "default" Volcano queue, using Volcano's default configuration.
func testModel(name string, nodes ...string) *Model {
	return testModelCfg(name, estimator.DefaultConfig(), nodes...)
}

func testModelCfg(name string, cfg estimator.Config, nodes ...string) *Model {
	m := NewModel(name, cfg)
	for i, n := range nodes {
		m.UpsertNode(testNode(fmt.Sprintf("%s-n%d", name, i), n))
	}
	m.UpsertQueue(testQueue("default", "", ""))
	m.SetSynced(true)
	return m
}

// place creates the member objects of a running job: a Running PodGroup owned by the
// Volcano Job and its gang's pods, bound round-robin to the given nodes.
func place(m *Model, j *Job, nodes ...string) {
	shape := shapeOf(j)
	minRes := shape.minResources
	ns := j.Namespace
	owner := metav1.OwnerReference{APIVersion: batchv1alpha1.SchemeGroupVersion.String(), Kind: "Job", Name: j.Name, UID: "u", Controller: ptr(true)}
	queue := "default"
	m.UpsertPodGroup(&schedulingv1beta1.PodGroup{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: j.Name + "-pg", OwnerReferences: []metav1.OwnerReference{owner}},
		Spec:       schedulingv1beta1.PodGroupSpec{MinMember: sumMin(j), MinResources: &minRes, Queue: queue},
		Status:     schedulingv1beta1.PodGroupStatus{Phase: schedulingv1beta1.PodGroupRunning},
	})
	n := 0
	for ti := range j.Tasks {
		t := &j.Tasks[ti]
		for r := int32(0); r < t.minAvailable(); r++ {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-%s-%d", j.Name, t.Name, r),
					Labels:      map[string]string{batchv1alpha1.JobNameKey: j.Name, batchv1alpha1.JobNamespaceKey: ns},
					Annotations: map[string]string{schedulingv1beta1.KubeGroupNameAnnotationKey: j.Name + "-pg"}},
				Spec: corev1.PodSpec{NodeName: nodes[n%len(nodes)], SchedulerName: "volcano", Containers: []corev1.Container{{Name: "c",
					Resources: corev1.ResourceRequirements{Requests: t.Requests}}}},
				Status: corev1.PodStatus{Phase: corev1.PodRunning},
			}
			m.UpsertPod(pod)
			n++
		}
	}
}

func sumMin(j *Job) int32 {
	var s int32
	for i := range j.Tasks {
		s += j.Tasks[i].minAvailable()
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// job is a queued job of one task: pods pods of requests each.
func job(name, queue string, prio int32, pods int32, requests string) Job {
	return Job{
		JobKey: JobKey{Namespace: "ns", Name: name}, Queue: queue, Priority: prio,
		Submitted: t0.Add(-time.Hour), Runtime: time.Hour,
		Tasks: []Task{{Name: "t", Replicas: pods, Requests: res(requests)}},
		State: JobState{Phase: PhaseQueued},
	}
}

// running returns j running on cluster since the given time.
func running(j Job, cluster string, since time.Time) Job {
	j.State = JobState{Phase: PhaseRunning, Cluster: cluster, Since: since}
	j.LastStarted = since
	return j
}

func withDeadline(j Job, d time.Time) Job {
	j.Deadline = &d
	return j
}

func members(ms ...*Model) []Member {
	out := make([]Member, len(ms))
	for i, m := range ms {
		out[i] = m.Member()
	}
	return out
}

func fleetQueue(name string, prio int32) FleetQueue {
	return FleetQueue{Name: name, Priority: prio, Weight: 1, SlackThreshold: time.Hour, Preemption: PreemptLowerPriority}
}

func keys(names ...string) []JobKey {
	out := make([]JobKey, len(names))
	for i, n := range names {
		out[i] = JobKey{Namespace: "ns", Name: n}
	}
	return out
}

func statusOf(t *testing.T, d Decision, name string) JobStatus {
	t.Helper()
	for _, s := range d.Statuses {
		if s.Job.Name == name {
			return s
		}
	}
	t.Fatalf("no status for %s in %+v", name, d.Statuses)
	return JobStatus{}
}

// onClusters restricts the job's placement to clusters.
func onClusters(j Job, clusters ...string) Job {
	j.Clusters = clusters
	return j
}
