package apiserver

import (
	"fmt"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	karmadaclientset "github.com/karmada-io/karmada/pkg/generated/clientset/versioned"
	karmadainformers "github.com/karmada-io/karmada/pkg/generated/informers/externalversions"
	clusterlisters "github.com/karmada-io/karmada/pkg/generated/listers/cluster/v1alpha1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	fleetstorage "kurator.dev/kurator/pkg/registry/fleet/fleet"
)

// ClusterInformer watches Karmada's Clusters and serves them to fleet status computation.
type ClusterInformer struct {
	factory  karmadainformers.SharedInformerFactory
	informer cache.SharedIndexInformer
	lister   clusterlisters.ClusterLister
}

var _ fleetstorage.ClusterLister = &ClusterInformer{}

// NewClusterInformer returns an informer of the Clusters of the Karmada apiserver that
// config points at. Nothing is contacted until Start.
func NewClusterInformer(config *rest.Config) (*ClusterInformer, error) {
	config = rest.CopyConfig(config)
	config.UserAgent = rest.DefaultKubernetesUserAgent() + " " + ComponentName
	client, err := karmadaclientset.NewForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("creating the Karmada client: %w", err)
	}
	factory := karmadainformers.NewSharedInformerFactory(client, 0)
	clusters := factory.Cluster().V1alpha1().Clusters()
	// Listing and watching retry with backoff, and the reflector logs every failure; until
	// the first list succeeds, fleets report ClusterInformationUnavailable.
	return &ClusterInformer{factory: factory, informer: clusters.Informer(), lister: clusters.Lister()}, nil
}

// Start starts the informer; it does not wait for it to sync.
func (c *ClusterInformer) Start(stopCh <-chan struct{}) {
	c.factory.Start(stopCh)
}

// HasSynced reports whether the Clusters have been listed at least once.
func (c *ClusterInformer) HasSynced() bool {
	return c.informer.HasSynced()
}

// List returns every Cluster in the informer's cache.
func (c *ClusterInformer) List() ([]*clusterv1alpha1.Cluster, error) {
	return c.lister.List(labels.Everything())
}
