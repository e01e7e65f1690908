package estimator

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
)

func node(name, alloc string, labels map[string]string, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.NodeSpec{Taints: taints},
		Status:     corev1.NodeStatus{Allocatable: res(alloc), Capacity: res(alloc)},
	}
}

type podOpt func(*corev1.Pod)

func onNode(n string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = n } }

func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }

func inGroup(g string) podOpt {
	return func(p *corev1.Pod) {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[schedulingv1beta1.KubeGroupNameAnnotationKey] = g
	}
}

func notPreemptable() podOpt {
	return func(p *corev1.Pod) {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[schedulingv1beta1.PodPreemptable] = "false"
	}
}

func pod(ns, name, requests string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c",
			Resources: corev1.ResourceRequirements{Requests: res(requests)}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func queue(name, capability string, weight int32) *schedulingv1beta1.Queue {
	return &schedulingv1beta1.Queue{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       schedulingv1beta1.QueueSpec{Weight: weight, Capability: res(capability)},
		Status:     schedulingv1beta1.QueueStatus{State: schedulingv1beta1.QueueStateOpen},
	}
}

func podGroup(ns, name, q string, minMember int32, minRes string, ph schedulingv1beta1.PodGroupPhase, priorityClass string) *schedulingv1beta1.PodGroup {
	pg := &schedulingv1beta1.PodGroup{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       schedulingv1beta1.PodGroupSpec{MinMember: minMember, Queue: q, PriorityClassName: priorityClass},
		Status:     schedulingv1beta1.PodGroupStatus{Phase: ph},
	}
	if minRes != "" {
		rl := res(minRes)
		pg.Spec.MinResources = &rl
	}
	return pg
}

func priorityClass(name string, value int32) *schedulingv1.PriorityClass {
	return &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value}
}

// runningJob adds a PodGroup with n running pods of cpu each on the given nodes (round
// robin).
func runningJob(s *Store, ns, name, q string, minMember int32, cpu string, prioClass string, nodes []string, n int, opts ...podOpt) {
	minRes := fmt.Sprintf("cpu=%d", int(minMember)*atoi(cpu))
	s.UpsertPodGroup(podGroup(ns, name, q, minMember, minRes, schedulingv1beta1.PodGroupRunning, prioClass))
	for i := 0; i < n; i++ {
		o := append([]podOpt{onNode(nodes[i%len(nodes)]), inGroup(name)}, opts...)
		s.UpsertPod(pod(ns, fmt.Sprintf("%s-%d", name, i), "cpu="+cpu, o...))
	}
}

func atoi(s string) int {
	var n int
	_, _ = fmt.Sscan(s, &n)
	return n
}

func comp(name string, replicas int32, requests string) Component {
	return Component{Name: name, Replicas: replicas, Requests: res(requests)}
}

func metaWithAnnotation(name, key, value string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Annotations: map[string]string{key: value}}
}

func ptrNow() *metav1.Time {
	now := metav1.Now()
	return &now
}
