package apiserver

import (
	"fmt"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	karmadaclientset "github.com/karmada-io/karmada/pkg/generated/clientset/versioned"
	karmadainformers "github.com/karmada-io/karmada/pkg/generated/informers/externalversions"
	clusterlisters "github.com/karmada-io/karmada/pkg/generated/listers/cluster/v1alpha1"
	worklisters "github.com/karmada-io/karmada/pkg/generated/listers/work/v1alpha2"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	schedulinglisters "k8s.io/client-go/listers/scheduling/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	vcclientset "volcano.sh/apis/pkg/client/clientset/versioned"
	vcinformers "volcano.sh/apis/pkg/client/informers/externalversions"
	vclisters "volcano.sh/apis/pkg/client/listers/batch/v1alpha1"

	fleetstorage "kurator.dev/kurator/pkg/registry/fleet/fleet"
)

// KarmadaCache is what kurator-apiserver reads from the Karmada apiserver, from informer
// caches. Only the caches asked for are filled: a disabled API group watches nothing.
type KarmadaCache interface {
	// Clusters lists Karmada's Clusters (fleet status, cluster telemetry).
	Clusters() fleetstorage.ClusterLister
	// ResourceBindings gets ResourceBindings (batch jobs, placement reviews).
	ResourceBindings() (worklisters.ResourceBindingLister, cache.InformerSynced)
	// VolcanoJobs lists the Volcano Jobs submitted to Karmada (batch jobs).
	VolcanoJobs() (vclisters.JobLister, cache.InformerSynced)
	// PriorityClasses lists PriorityClasses (batch job priorities).
	PriorityClasses() (schedulinglisters.PriorityClassLister, cache.InformerSynced)
	// Start starts the informers of the caches asked for so far; it must not block until
	// they sync (the Karmada apiserver may be unreachable).
	Start(stopCh <-chan struct{})
}

// KarmadaInformers is the KarmadaCache of a real Karmada apiserver.
type KarmadaInformers struct {
	karmada karmadainformers.SharedInformerFactory
	volcano vcinformers.SharedInformerFactory
	kube    informers.SharedInformerFactory
}

var _ KarmadaCache = &KarmadaInformers{}

// NewKarmadaInformers returns the informers of the Karmada apiserver that config points at.
// Nothing is contacted until Start. Listing and watching retry with backoff, and the
// reflectors log every failure; until a cache's first list succeeds, the API reports it
// unavailable.
func NewKarmadaInformers(config *rest.Config) (*KarmadaInformers, error) {
	config = rest.CopyConfig(config)
	config.UserAgent = rest.DefaultKubernetesUserAgent() + " " + ComponentName
	karmada, err := karmadaclientset.NewForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("creating the Karmada client: %w", err)
	}
	volcano, err := vcclientset.NewForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("creating the Volcano client: %w", err)
	}
	kube, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("creating the Kubernetes client: %w", err)
	}
	return &KarmadaInformers{
		karmada: karmadainformers.NewSharedInformerFactory(karmada, 0),
		volcano: vcinformers.NewSharedInformerFactory(volcano, 0),
		kube:    informers.NewSharedInformerFactory(kube, 0),
	}, nil
}

// Clusters implements KarmadaCache.
func (k *KarmadaInformers) Clusters() fleetstorage.ClusterLister {
	clusters := k.karmada.Cluster().V1alpha1().Clusters()
	return clusterCache{informer: clusters.Informer(), lister: clusters.Lister()}
}

// ResourceBindings implements KarmadaCache.
func (k *KarmadaInformers) ResourceBindings() (worklisters.ResourceBindingLister, cache.InformerSynced) {
	rb := k.karmada.Work().V1alpha2().ResourceBindings()
	return rb.Lister(), rb.Informer().HasSynced
}

// VolcanoJobs implements KarmadaCache.
func (k *KarmadaInformers) VolcanoJobs() (vclisters.JobLister, cache.InformerSynced) {
	jobs := k.volcano.Batch().V1alpha1().Jobs()
	return jobs.Lister(), jobs.Informer().HasSynced
}

// PriorityClasses implements KarmadaCache.
func (k *KarmadaInformers) PriorityClasses() (schedulinglisters.PriorityClassLister, cache.InformerSynced) {
	pcs := k.kube.Scheduling().V1().PriorityClasses()
	return pcs.Lister(), pcs.Informer().HasSynced
}

// Start implements KarmadaCache.
func (k *KarmadaInformers) Start(stopCh <-chan struct{}) {
	k.karmada.Start(stopCh)
	k.volcano.Start(stopCh)
	k.kube.Start(stopCh)
}

// clusterCache serves Karmada's Clusters from an informer.
type clusterCache struct {
	informer cache.SharedIndexInformer
	lister   clusterlisters.ClusterLister
}

// HasSynced reports whether the Clusters have been listed at least once.
func (c clusterCache) HasSynced() bool { return c.informer.HasSynced() }

// List returns every Cluster in the informer's cache.
func (c clusterCache) List() ([]*clusterv1alpha1.Cluster, error) {
	return c.lister.List(labels.Everything())
}
