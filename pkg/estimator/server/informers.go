package server

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
	volcanoclient "volcano.sh/apis/pkg/client/clientset/versioned"
	volcanoinformers "volcano.sh/apis/pkg/client/informers/externalversions"

	"kurator.dev/kurator/pkg/estimator"
)

// Clients are the member clients the informers need.
type Clients struct {
	Kube      kubernetes.Interface
	Volcano   volcanoclient.Interface
	Metadata  metadata.Interface
	Discovery discovery.DiscoveryInterface
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

// on adapts a typed store method to an informer callback.
func on[T any](f func(T)) func(any) {
	return func(o any) {
		if v, ok := o.(T); ok {
			f(v)
		}
	}
}

// feed is one informer and what its events do to the store.
type feed struct {
	inf       cache.SharedIndexInformer
	transform cache.TransformFunc
	upsert    func(any)
	remove    func(any)
}

func kubeFeeds(kube informers.SharedInformerFactory, store *estimator.Store) []feed {
	return []feed{
		{kube.Core().V1().Nodes().Informer(), slimNode,
			on(store.UpsertNode), on(func(n *corev1.Node) { store.DeleteNode(n.Name) })},
		{kube.Core().V1().Pods().Informer(), slimPod,
			on(store.UpsertPod), on(func(p *corev1.Pod) { store.DeletePod(p.Namespace, p.Name) })},
		{kube.Scheduling().V1().PriorityClasses().Informer(), nil,
			on(store.UpsertPriorityClass), on(func(pc *schedulingv1.PriorityClass) { store.DeletePriorityClass(pc.Name) })},
		{kube.Core().V1().Namespaces().Informer(), nil,
			on(store.UpsertNamespace), on(func(ns *corev1.Namespace) { store.DeleteNamespace(ns.Name) })},
	}
}

func replicaSetFeed(meta metadatainformer.SharedInformerFactory, store *estimator.Store) feed {
	return feed{meta.ForResource(appsv1.SchemeGroupVersion.WithResource("replicasets")).Informer(), nil,
		on(func(m *metav1.PartialObjectMetadata) {
			owner := ""
			if ref := metav1.GetControllerOf(m); ref != nil && ref.Kind == "Deployment" {
				owner = ref.Name
			}
			store.SetReplicaSetOwner(m.Namespace, m.Name, owner)
		}),
		on(func(m *metav1.PartialObjectMetadata) { store.SetReplicaSetOwner(m.Namespace, m.Name, "") })}
}

func volcanoFeeds(vc volcanoinformers.SharedInformerFactory, store *estimator.Store) []feed {
	return []feed{
		{vc.Scheduling().V1beta1().Queues().Informer(), nil,
			on(store.UpsertQueue), on(func(q *schedulingv1beta1.Queue) { store.DeleteQueue(q.Name) })},
		{vc.Scheduling().V1beta1().PodGroups().Informer(), nil,
			on(store.UpsertPodGroup), on(func(pg *schedulingv1beta1.PodGroup) { store.DeletePodGroup(pg.Namespace, pg.Name) })},
	}
}

// Watch starts informers for the member's Nodes, Pods, PriorityClasses, Namespaces,
// ReplicaSets (metadata only) and, when volcano is true, Queues and PodGroups, feeding
// srv's store and telling srv about changes. It returns once every cache has synced (the
// store is then marked synced) or ctx ends; the informers run until ctx ends.
func Watch(ctx context.Context, c Clients, srv *Server, volcano bool) error {
	store := srv.Store()
	store.SetVolcano(volcano)
	kube := informers.NewSharedInformerFactory(c.Kube, 0)
	feeds := kubeFeeds(kube, store)
	var meta metadatainformer.SharedInformerFactory
	if c.Metadata != nil {
		meta = metadatainformer.NewSharedInformerFactory(c.Metadata, 0)
		feeds = append(feeds, replicaSetFeed(meta, store))
	}
	var vc volcanoinformers.SharedInformerFactory
	if volcano {
		vc = volcanoinformers.NewSharedInformerFactory(c.Volcano, 0)
		feeds = append(feeds, volcanoFeeds(vc, store)...)
	}
	synced := make([]cache.InformerSynced, 0, len(feeds))
	for _, f := range feeds {
		if err := f.register(srv); err != nil {
			return err
		}
		synced = append(synced, f.inf.HasSynced)
	}

	kube.Start(ctx.Done())
	if meta != nil {
		meta.Start(ctx.Done())
	}
	if vc != nil {
		vc.Start(ctx.Done())
	}
	start := time.Now()
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return fmt.Errorf("informer caches of the member did not sync: %w", ctx.Err())
	}
	store.SetSynced(true)
	srv.Changed()
	klog.InfoS("Member caches synced", "elapsed", time.Since(start), "volcano", volcano)
	return nil
}

// register installs the feed's transform and event handlers.
func (f feed) register(srv *Server) error {
	if f.transform != nil {
		if err := f.inf.SetTransform(f.transform); err != nil {
			return fmt.Errorf("setting informer transform: %w", err)
		}
	}
	_, err := f.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { f.upsert(obj); srv.Changed() },
		UpdateFunc: func(_, obj any) { f.upsert(obj); srv.Changed() },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			f.remove(obj)
			srv.Changed()
		},
	})
	if err != nil {
		return fmt.Errorf("adding informer handler: %w", err)
	}
	return nil
}

// slimNode keeps what the model reads of a Node: name, labels, taints, unschedulable and
// allocatable.
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

// podAnnotations are the pod annotations the model reads.
var podAnnotations = []string{schedulingv1beta1.KubeGroupNameAnnotationKey, schedulingv1beta1.PodPreemptable, "volcano.sh/task-priority"}

// slimPod keeps what the model reads of a Pod: identity, owner, the annotations and label
// Volcano reads, the resource-bearing parts of the spec, phase and scheduling condition.
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
			SchedulerName: p.Spec.SchedulerName},
		Status: corev1.PodStatus{Phase: p.Status.Phase},
	}
	for _, k := range podAnnotations {
		if v, ok := p.Annotations[k]; ok {
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[k] = v
		}
	}
	if v, ok := p.Labels[schedulingv1beta1.PodPreemptable]; ok {
		out.Labels = map[string]string{schedulingv1beta1.PodPreemptable: v}
	}
	out.Spec.Containers = slimContainers(p.Spec.Containers)
	out.Spec.InitContainers = slimContainers(p.Spec.InitContainers)
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			out.Status.Conditions = []corev1.PodCondition{c}
		}
	}
	return out, nil
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
