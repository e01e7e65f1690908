package controller

import (
	"context"
	"fmt"
	"time"

	karmadaclientset "github.com/karmada-io/karmada/pkg/generated/clientset/versioned"
	karmadainformers "github.com/karmada-io/karmada/pkg/generated/informers/externalversions"
	clusterlisters "github.com/karmada-io/karmada/pkg/generated/listers/cluster/v1alpha1"
	worklisters "github.com/karmada-io/karmada/pkg/generated/listers/work/v1alpha2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	schedulinglisters "k8s.io/client-go/listers/scheduling/v1"
	"k8s.io/client-go/tools/cache"
	volcanoclient "volcano.sh/apis/pkg/client/clientset/versioned"
	volcanoinformers "volcano.sh/apis/pkg/client/informers/externalversions"
	vclisters "volcano.sh/apis/pkg/client/listers/batch/v1alpha1"

	"kurator.dev/kurator/pkg/batch/webhook"
	kuratorclientset "kurator.dev/kurator/pkg/generated/clientset/versioned"
	kuratorinformers "kurator.dev/kurator/pkg/generated/informers/externalversions"
	batchlisters "kurator.dev/kurator/pkg/generated/listers/batch/v1alpha1"
	fleetlisters "kurator.dev/kurator/pkg/generated/listers/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/registry/batch/batchjob"
)

// KarmadaClients are the clients of the Karmada apiserver the controller uses.
type KarmadaClients struct {
	Kube    kubernetes.Interface
	Karmada karmadaclientset.Interface
	Volcano volcanoclient.Interface
	Kurator kuratorclientset.Interface
}

// sources are the informer caches of the Karmada apiserver.
type sources struct {
	bindings        worklisters.ResourceBindingLister
	bindingInformer cache.SharedIndexInformer
	jobs            vclisters.JobLister
	queues          batchlisters.FleetQueueLister
	fleets          fleetlisters.FleetLister
	priorityClasses schedulinglisters.PriorityClassLister
	clusters        clusterlisters.ClusterLister
	// view computes each job's fleet queue and priority with the BatchJob view's rules.
	view *batchjob.Sources

	start  []func(<-chan struct{})
	synced []cache.InformerSynced
}

// newSources creates the informers; onChange is called on every event.
func newSources(c KarmadaClients, now func() time.Time, onChange func()) (*sources, error) {
	managed := karmadainformers.NewSharedInformerFactoryWithOptions(c.Karmada, 0, karmadainformers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.LabelSelector = webhook.ManagedLabel + "=true"
	}))
	karmada := karmadainformers.NewSharedInformerFactory(c.Karmada, 0)
	volcano := volcanoinformers.NewSharedInformerFactory(c.Volcano, 0)
	kurator := kuratorinformers.NewSharedInformerFactory(c.Kurator, 0)
	kube := kubeinformers.NewSharedInformerFactory(c.Kube, 0)

	s := &sources{
		bindingInformer: managed.Work().V1alpha2().ResourceBindings().Informer(),
		bindings:        managed.Work().V1alpha2().ResourceBindings().Lister(),
		jobs:            volcano.Batch().V1alpha1().Jobs().Lister(),
		queues:          kurator.Batch().V1alpha1().FleetQueues().Lister(),
		fleets:          kurator.Fleet().V1alpha1().Fleets().Lister(),
		priorityClasses: kube.Scheduling().V1().PriorityClasses().Lister(),
		clusters:        karmada.Cluster().V1alpha1().Clusters().Lister(),
	}
	informers := []struct {
		what string
		inf  cache.SharedIndexInformer
	}{
		{"managed ResourceBindings", s.bindingInformer},
		{"Volcano Jobs", volcano.Batch().V1alpha1().Jobs().Informer()},
		{"FleetQueues", kurator.Batch().V1alpha1().FleetQueues().Informer()},
		{"Fleets", kurator.Fleet().V1alpha1().Fleets().Informer()},
		{"PriorityClasses", kube.Scheduling().V1().PriorityClasses().Informer()},
		{"Clusters", karmada.Cluster().V1alpha1().Clusters().Informer()},
	}
	var caches []batchjob.Cache
	for _, i := range informers {
		if _, err := i.inf.AddEventHandler(changeHandler(onChange)); err != nil {
			return nil, fmt.Errorf("watching %s of the Karmada apiserver: %w", i.what, err)
		}
		s.synced = append(s.synced, i.inf.HasSynced)
		caches = append(caches, batchjob.Cache{What: i.what + " of the Karmada apiserver", HasSynced: i.inf.HasSynced})
	}
	s.view = &batchjob.Sources{
		Jobs: s.jobs, Bindings: s.bindings, PriorityClasses: s.priorityClasses, Fleets: s.fleets, Queues: s.queues,
		Caches: caches, Now: now,
	}
	s.start = []func(<-chan struct{}){managed.Start, karmada.Start, volcano.Start, kurator.Start, kube.Start}
	return s, nil
}

// run starts the informers and waits until they have synced or ctx ends.
func (s *sources) run(ctx context.Context) error {
	for _, start := range s.start {
		start(ctx.Done())
	}
	if !cache.WaitForCacheSync(ctx.Done(), s.synced...) {
		return fmt.Errorf("the caches of the Karmada apiserver did not sync: %w (%s)", ctx.Err(), s.view.Unavailable())
	}
	return nil
}

// changeHandler calls onChange on every add, update and delete.
func changeHandler(onChange func()) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { onChange() },
		UpdateFunc: func(any, any) { onChange() },
		DeleteFunc: func(any) { onChange() },
	}
}
