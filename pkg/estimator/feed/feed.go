// Package feed keeps an in-memory model of a member cluster (kurator-estimator's Store, the
// fleet queue's Model) up to date from informers: what each informer's events do to the
// model, the transforms that trim cached objects to what the models read, and the check
// that a member serves Volcano's APIs.
package feed

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/cache"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
)

// Feed is one informer and what its events do to the model.
type Feed struct {
	Informer  cache.SharedIndexInformer
	Transform cache.TransformFunc
	Upsert    func(any)
	Remove    func(any)
}

// On adapts a typed model method to an informer callback; objects of other types are ignored.
func On[T any](f func(T)) func(any) {
	return func(o any) {
		if v, ok := o.(T); ok {
			f(v)
		}
	}
}

// Register installs the feed's transform and event handlers; every event also calls
// onChange. Deletions seen only as a final state unknown are applied to the last known
// object.
func (f Feed) Register(onChange func()) error {
	if f.Transform != nil {
		if err := f.Informer.SetTransform(f.Transform); err != nil {
			return fmt.Errorf("setting informer transform: %w", err)
		}
	}
	_, err := f.Informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { f.Upsert(obj); onChange() },
		UpdateFunc: func(_, obj any) { f.Upsert(obj); onChange() },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			f.Remove(obj)
			onChange()
		},
	})
	if err != nil {
		return fmt.Errorf("adding informer handler: %w", err)
	}
	return nil
}

// VolcanoServed reports whether the member serves Volcano's Queue and PodGroup APIs.
func VolcanoServed(d discovery.DiscoveryInterface) (bool, error) {
	list, err := d.ServerResourcesForGroupVersion(schedulingv1beta1.SchemeGroupVersion.String())
	if err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("discovering %s: %w", schedulingv1beta1.SchemeGroupVersion, err)
	}
	var queues, podGroups bool
	for _, r := range list.APIResources {
		queues = queues || r.Name == "queues"
		podGroups = podGroups || r.Name == "podgroups"
	}
	return queues && podGroups, nil
}

// SlimNode keeps what the models read of a Node: name, labels, taints, unschedulable and
// allocatable.
func SlimNode(obj any) (any, error) {
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

// podAnnotations are the pod annotations the models read: Volcano's group, preemptability
// and task priority.
var podAnnotations = []string{schedulingv1beta1.KubeGroupNameAnnotationKey, schedulingv1beta1.PodPreemptable, "volcano.sh/task-priority"}

// PodTrim says what a model reads of a Pod beyond what every model reads (identity, owners,
// Volcano's annotations, the resource-bearing parts of the spec, phase and the PodScheduled
// condition).
type PodTrim struct {
	// Labels are the labels kept.
	Labels []string
	// Placement keeps the pod's node selector, affinity and tolerations.
	Placement bool
}

// Transform is the informer transform that trims a Pod to what the model reads.
func (t PodTrim) Transform(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	out := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion,
			OwnerReferences: p.OwnerReferences, DeletionTimestamp: p.DeletionTimestamp},
		Spec: corev1.PodSpec{NodeName: p.Spec.NodeName, Overhead: p.Spec.Overhead, Resources: p.Spec.Resources,
			Priority: p.Spec.Priority, PriorityClassName: p.Spec.PriorityClassName, SchedulingGates: p.Spec.SchedulingGates,
			SchedulerName: p.Spec.SchedulerName},
		Status: corev1.PodStatus{Phase: p.Status.Phase},
	}
	if t.Placement {
		out.Spec.NodeSelector, out.Spec.Affinity, out.Spec.Tolerations = p.Spec.NodeSelector, p.Spec.Affinity, p.Spec.Tolerations
	}
	out.Annotations = pick(p.Annotations, podAnnotations)
	out.Labels = pick(p.Labels, t.Labels)
	out.Spec.Containers = slimContainers(p.Spec.Containers)
	out.Spec.InitContainers = slimContainers(p.Spec.InitContainers)
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			out.Status.Conditions = []corev1.PodCondition{c}
		}
	}
	return out, nil
}

// pick returns the entries of in with the given keys, nil when there are none.
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
