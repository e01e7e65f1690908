package main

import (
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"

	"kurator.dev/kurator/pkg/batch"
	"kurator.dev/kurator/pkg/estimator"
)

const namespace = "team"

// simNode tracks a node's free resources for pod placement.
type simNode struct {
	name                      string
	freeCPU, freeMem, freeGPU int64
	// gpuNode nodes are tainted: only pods that request GPUs tolerate them.
	gpuNode bool
}

const gpuResource corev1.ResourceName = "nvidia.com/gpu"

// gpuTaint keeps pods without GPUs off GPU nodes, as GPU clusters usually do.
var gpuTaint = corev1.Taint{Key: string(gpuResource), Value: "present", Effect: corev1.TaintEffectNoSchedule}

// member is a simulated member cluster: its nodes, a pkg/batch Model fed with the objects
// Volcano would create, and Volcano's own queue of jobs released to it.
type member struct {
	spec    *clusterSpec
	nodes   []*simNode
	model   *batch.Model
	queues  map[string]*batch.FleetQueue
	pending []*simJob
	running map[string]*simJob
	// allocCPU etc. are the totals; usedCPU etc. what bound pods request (the resource
	// summary Karmada's general estimator reads); pendCPU etc. what pending jobs request.
	allocCPU, allocMem, allocGPU int64
	usedCPU, usedMem, usedGPU    int64
	pendCPU, pendMem, pendGPU    int64
}

func newMember(spec *clusterSpec, queues map[string]*batch.FleetQueue) *member {
	cfg := estimator.DefaultConfig()
	cfg.QueuePlugin = spec.plugin
	m := &member{spec: spec, model: batch.NewModel(spec.name, cfg), queues: queues, running: map[string]*simJob{}}
	for i, n := range spec.nodes {
		name := fmt.Sprintf("%s-%s-%02d", spec.name, n.kind, i)
		alloc := corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewQuantity(n.cpu, resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(n.memGi<<30, resource.BinarySI),
			corev1.ResourcePods:   *resource.NewQuantity(110, resource.DecimalSI),
		}
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Allocatable: alloc, Capacity: alloc}}
		if n.gpu > 0 {
			alloc[gpuResource] = *resource.NewQuantity(n.gpu, resource.DecimalSI)
			node.Spec.Taints = []corev1.Taint{gpuTaint}
		}
		m.model.UpsertNode(node)
		m.nodes = append(m.nodes, &simNode{name: name, freeCPU: n.cpu * 1000, freeMem: n.memGi, freeGPU: n.gpu, gpuNode: n.gpu > 0})
		m.allocCPU += n.cpu * 1000
		m.allocMem += n.memGi
		m.allocGPU += n.gpu
	}
	names := make([]string, 0, len(queues))
	for name := range queues {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		q := &schedulingv1beta1.Queue{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:   schedulingv1beta1.QueueSpec{Weight: 1},
			Status: schedulingv1beta1.QueueStatus{State: schedulingv1beta1.QueueStateOpen}}
		if name == "batch" && spec.batchCap > 0 {
			cpu, _, _ := spec.totals()
			q.Spec.Capability = corev1.ResourceList{corev1.ResourceCPU: *resource.NewQuantity(int64(float64(cpu)*spec.batchCap), resource.DecimalSI)}
		}
		m.model.UpsertQueue(q)
	}
	m.model.SetSynced(true)
	return m
}

// reserve counts a job released to the member as allocating (Karmada's resource summary
// counts it from the moment it is scheduled there).
func (m *member) reserve(j *simJob) {
	m.pendCPU += j.spec.cpu() * 1000
	m.pendMem += j.spec.mem()
	m.pendGPU += j.spec.gpu()
}

func (m *member) unreserve(j *simJob) {
	m.pendCPU -= j.spec.cpu() * 1000
	m.pendMem -= j.spec.mem()
	m.pendGPU -= j.spec.gpu()
}

// arrive queues a released job in the member's Volcano.
func (m *member) arrive(j *simJob) {
	m.pending = append(m.pending, j)
}

// forget drops a released job that has not started (requeued or evicted by the fleet
// queue), whether it reached the member's Volcano yet or not.
func (m *member) forget(j *simJob) {
	m.unreserve(j)
	for i, p := range m.pending {
		if p == j {
			m.pending = append(m.pending[:i], m.pending[i+1:]...)
			return
		}
	}
}

// schedule is the member's Volcano: pending jobs in priority then arrival order each
// start when the estimator admits their gang in their queue and the pods can be bound.
func (m *member) schedule(now time.Time, started func(*simJob)) {
	sort.SliceStable(m.pending, func(a, b int) bool {
		pa, pb := m.pending[a].volcanoPriority(), m.pending[b].volcanoPriority()
		if pa != pb {
			return pa > pb
		}
		return m.pending[a].arrivedAt.Before(m.pending[b].arrivedAt)
	})
	for i := 0; i < len(m.pending); {
		j := m.pending[i]
		snap := m.model.Snapshot()
		e := snap.Estimate(batch.RequestFor(&j.job, m.queues[j.spec.queue], m.spec.name))
		if e.SetsWithoutPreemption < 1 || !m.bind(j) {
			i++
			continue
		}
		m.pending = append(m.pending[:i], m.pending[i+1:]...)
		m.unreserve(j)
		m.start(j, now)
		started(j)
	}
}

// bind is the member's pod placement: largest pods first (GPU pods first), each on the
// node it fits most tightly (least GPU, then cpu, left), GPU nodes only for pods that
// request GPUs; on failure nothing is placed.
func (m *member) bind(j *simJob) bool {
	var placed []podPlace
	undo := func() {
		for _, p := range placed {
			n := m.nodes[p.node]
			n.freeCPU += p.cpu
			n.freeMem += p.mem
			n.freeGPU += p.gpu
		}
	}
	tasks := append([]taskSpec(nil), j.spec.tasks...)
	sort.SliceStable(tasks, func(a, b int) bool {
		if tasks[a].gpu != tasks[b].gpu {
			return tasks[a].gpu > tasks[b].gpu
		}
		return tasks[a].cpu > tasks[b].cpu
	})
	for _, t := range tasks {
		for k := int32(0); k < t.pods; k++ {
			best := -1
			for i, n := range m.nodes {
				if n.freeCPU < t.cpu*1000 || n.freeMem < t.memGi || n.freeGPU < t.gpu || (n.gpuNode && t.gpu == 0) {
					continue
				}
				if best < 0 || n.freeGPU < m.nodes[best].freeGPU || (n.freeGPU == m.nodes[best].freeGPU && n.freeCPU < m.nodes[best].freeCPU) {
					best = i
				}
			}
			if best < 0 {
				undo()
				return false
			}
			n := m.nodes[best]
			n.freeCPU -= t.cpu * 1000
			n.freeMem -= t.memGi
			n.freeGPU -= t.gpu
			placed = append(placed, podPlace{node: best, task: t.name, cpu: t.cpu * 1000, mem: t.memGi, gpu: t.gpu})
		}
	}
	j.pods = placed
	return true
}

// canBind reports whether bind would succeed, without binding.
func (m *member) canBind(j *simJob) bool {
	saved := j.pods
	ok := m.bind(j)
	if ok {
		for _, p := range j.pods {
			n := m.nodes[p.node]
			n.freeCPU += p.cpu
			n.freeMem += p.mem
			n.freeGPU += p.gpu
		}
	}
	j.pods = saved
	return ok
}

// start creates the job's PodGroup and pods in the model.
func (m *member) start(j *simJob, now time.Time) {
	m.running[j.spec.name] = j
	owner := metav1.OwnerReference{APIVersion: batchv1alpha1.SchemeGroupVersion.String(), Kind: "Job", Name: j.spec.name, UID: "uid", Controller: ptrTo(true)}
	minRes := batch.MinResources(&j.job)
	var members int32
	for _, t := range j.spec.tasks {
		members += t.pods
	}
	m.model.UpsertPodGroup(&schedulingv1beta1.PodGroup{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: j.spec.name + "-pg", OwnerReferences: []metav1.OwnerReference{owner}},
		Spec:       schedulingv1beta1.PodGroupSpec{MinMember: members, MinResources: &minRes, Queue: j.spec.queue},
		Status:     schedulingv1beta1.PodGroupStatus{Phase: schedulingv1beta1.PodGroupRunning},
	})
	for i, p := range j.pods {
		req := corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewMilliQuantity(p.cpu, resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(p.mem<<30, resource.BinarySI),
		}
		if p.gpu > 0 {
			req[gpuResource] = *resource.NewQuantity(p.gpu, resource.DecimalSI)
		}
		m.model.UpsertPod(&corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fmt.Sprintf("%s-%s-%d", j.spec.name, p.task, i),
				Labels:      map[string]string{batchv1alpha1.JobNameKey: j.spec.name, batchv1alpha1.JobNamespaceKey: namespace},
				Annotations: map[string]string{schedulingv1beta1.KubeGroupNameAnnotationKey: j.spec.name + "-pg"}},
			Spec:   corev1.PodSpec{NodeName: m.nodes[p.node].name, Containers: []corev1.Container{{Name: "main", Resources: corev1.ResourceRequirements{Requests: req}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning},
		})
		m.usedCPU += p.cpu
		m.usedMem += p.mem
		m.usedGPU += p.gpu
	}
	j.startedAt = now
}

// stop removes a running job's objects and frees its nodes (finish or eviction).
func (m *member) stop(j *simJob) {
	delete(m.running, j.spec.name)
	for i, p := range j.pods {
		n := m.nodes[p.node]
		n.freeCPU += p.cpu
		n.freeMem += p.mem
		n.freeGPU += p.gpu
		m.usedCPU -= p.cpu
		m.usedMem -= p.mem
		m.usedGPU -= p.gpu
		m.model.DeletePod(namespace, fmt.Sprintf("%s-%s-%d", j.spec.name, p.task, i))
	}
	m.model.DeletePodGroup(namespace, j.spec.name+"-pg")
	j.pods = nil
}

// availableReplicas is what Karmada's general estimator reads from the cluster's resource
// summary: how many copies of the job's total requests fit allocatable minus what bound
// and pending pods request (aggregated over nodes).
func (m *member) availableReplicas(j *jobSpec) int64 {
	best := int64(1 << 40)
	div := func(free, need int64) {
		if need <= 0 {
			return
		}
		if free < 0 {
			free = 0
		}
		best = min(best, free/need)
	}
	div(m.allocCPU-m.usedCPU-m.pendCPU, j.cpu()*1000)
	div(m.allocMem-m.usedMem-m.pendMem, j.mem())
	div(m.allocGPU-m.usedGPU-m.pendGPU, j.gpu())
	return best
}

// fitsAllocatable is volcano-global's capacity gate: the job's requests fit the cluster's
// allocatable, whatever is used.
func (m *member) fitsAllocatable(j *jobSpec) bool {
	return j.cpu()*1000 <= m.allocCPU && j.mem() <= m.allocMem && j.gpu() <= m.allocGPU
}

func ptrTo[T any](v T) *T { return &v }
