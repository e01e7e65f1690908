package controller

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
)

// feed is one member informer and what its events do to the member's model.
type feed struct {
	inf       cache.SharedIndexInformer
	transform cache.TransformFunc
	upsert    func(any)
	remove    func(any)
}

// on adapts a typed method to an informer callback.
func on[T any](f func(T)) func(any) {
	return func(o any) {
		if v, ok := o.(T); ok {
			f(v)
		}
	}
}

// register installs the feed's transform and event handlers; every event also calls
// onChange.
func (f feed) register(onChange func()) error {
	if f.transform != nil {
		if err := f.inf.SetTransform(f.transform); err != nil {
			return fmt.Errorf("setting informer transform: %w", err)
		}
	}
	_, err := f.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { f.upsert(obj); onChange() },
		UpdateFunc: func(_, obj any) { f.upsert(obj); onChange() },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			f.remove(obj)
			onChange()
		},
	})
	if err != nil {
		return fmt.Errorf("adding informer handler: %w", err)
	}
	return nil
}

// slimNode keeps what the model reads of a Node.
func slimNode(obj any) (any, error) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return obj, nil
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, UID: n.UID, ResourceVersion: n.ResourceVersion, Labels: n.Labels},
		Spec:       corev1.NodeSpec{Taints: n.Spec.Taints, Unschedulable: n.Spec.Unschedulable},
		Status:     corev1.NodeStatus{Allocatable: n.Status.Allocatable},
	}, nil
}

// podAnnotations and podLabels are what the model reads of a pod's metadata: Volcano's
// group, preemptability and task priority, and the labels that tie a pod to its job.
var (
	podAnnotations = []string{schedulingv1beta1.KubeGroupNameAnnotationKey, schedulingv1beta1.PodPreemptable, "volcano.sh/task-priority"}
	podLabels      = []string{schedulingv1beta1.PodPreemptable, vcbatchv1alpha1.JobNameKey, vcbatchv1alpha1.JobNamespaceKey}
)

// slimPod keeps what the model reads of a Pod.
func slimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	out := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion,
			OwnerReferences: p.OwnerReferences, DeletionTimestamp: p.DeletionTimestamp},
		Spec: corev1.PodSpec{NodeName: p.Spec.NodeName, Overhead: p.Spec.Overhead, Resources: p.Spec.Resources,
			Priority: p.Spec.Priority, PriorityClassName: p.Spec.PriorityClassName, SchedulingGates: p.Spec.SchedulingGates,
			SchedulerName: p.Spec.SchedulerName, NodeSelector: p.Spec.NodeSelector, Affinity: p.Spec.Affinity, Tolerations: p.Spec.Tolerations},
		Status: corev1.PodStatus{Phase: p.Status.Phase},
	}
	out.Annotations = pick(p.Annotations, podAnnotations)
	out.Labels = pick(p.Labels, podLabels)
	out.Spec.Containers = slimContainers(p.Spec.Containers)
	out.Spec.InitContainers = slimContainers(p.Spec.InitContainers)
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			out.Status.Conditions = []corev1.PodCondition{c}
		}
	}
	return out, nil
}

func pick(in map[string]string, keys []string) map[string]string {
	var out map[string]string
	for _, k := range keys {
		if v, ok := in[k]; ok {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

func slimContainers(in []corev1.Container) []corev1.Container {
	if len(in) == 0 {
		return nil
	}
	out := make([]corev1.Container, len(in))
	for i, c := range in {
		out[i] = corev1.Container{Name: c.Name, Resources: c.Resources, RestartPolicy: c.RestartPolicy}
	}
	return out
}
