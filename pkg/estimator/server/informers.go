package server

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
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
	"kurator.dev/kurator/pkg/estimator/feed"
)

// Clients are the member clients the informers need.
type Clients struct {
	Kube      kubernetes.Interface
	Volcano   volcanoclient.Interface
	Metadata  metadata.Interface
	Discovery discovery.DiscoveryInterface
}

// estimatorPods is what the estimator reads of a Pod: no placement, only the preemptable label.
var estimatorPods = feed.PodTrim{Labels: []string{schedulingv1beta1.PodPreemptable}}

func kubeFeeds(kube informers.SharedInformerFactory, store *estimator.Store) []feed.Feed {
	return []feed.Feed{
		{Informer: kube.Core().V1().Nodes().Informer(), Transform: feed.SlimNode,
			Upsert: feed.On(store.UpsertNode), Remove: feed.On(func(n *corev1.Node) { store.DeleteNode(n.Name) })},
		{Informer: kube.Core().V1().Pods().Informer(), Transform: estimatorPods.Transform,
			Upsert: feed.On(store.UpsertPod), Remove: feed.On(func(p *corev1.Pod) { store.DeletePod(p.Namespace, p.Name) })},
		{Informer: kube.Scheduling().V1().PriorityClasses().Informer(),
			Upsert: feed.On(store.UpsertPriorityClass), Remove: feed.On(func(pc *schedulingv1.PriorityClass) { store.DeletePriorityClass(pc.Name) })},
		{Informer: kube.Core().V1().Namespaces().Informer(),
			Upsert: feed.On(store.UpsertNamespace), Remove: feed.On(func(ns *corev1.Namespace) { store.DeleteNamespace(ns.Name) })},
	}
}

func replicaSetFeed(meta metadatainformer.SharedInformerFactory, store *estimator.Store) feed.Feed {
	return feed.Feed{
		Informer: meta.ForResource(appsv1.SchemeGroupVersion.WithResource("replicasets")).Informer(),
		Upsert: feed.On(func(m *metav1.PartialObjectMetadata) {
			owner := ""
			if ref := metav1.GetControllerOf(m); ref != nil && ref.Kind == "Deployment" {
				owner = ref.Name
			}
			store.SetReplicaSetOwner(m.Namespace, m.Name, owner)
		}),
		Remove: feed.On(func(m *metav1.PartialObjectMetadata) { store.SetReplicaSetOwner(m.Namespace, m.Name, "") }),
	}
}

func volcanoFeeds(vc volcanoinformers.SharedInformerFactory, store *estimator.Store) []feed.Feed {
	return []feed.Feed{
		{Informer: vc.Scheduling().V1beta1().Queues().Informer(),
			Upsert: feed.On(store.UpsertQueue), Remove: feed.On(func(q *schedulingv1beta1.Queue) { store.DeleteQueue(q.Name) })},
		{Informer: vc.Scheduling().V1beta1().PodGroups().Informer(),
			Upsert: feed.On(store.UpsertPodGroup), Remove: feed.On(func(pg *schedulingv1beta1.PodGroup) { store.DeletePodGroup(pg.Namespace, pg.Name) })},
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
		if err := f.Register(srv.Changed); err != nil {
			return err
		}
		synced = append(synced, f.Informer.HasSynced)
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
