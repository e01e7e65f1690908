package testing

import (
	"k8s.io/client-go/tools/cache"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	clusterlister "github.com/karmada-io/karmada/pkg/generated/listers/cluster/v1alpha1"
	schedulercache "github.com/karmada-io/karmada/pkg/scheduler/cache"
	"github.com/karmada-io/karmada/pkg/scheduler/core"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/runtime"
)

// Fleet holds clusters the way Karmada's scheduler cache sees them.
type Fleet struct {
	indexer cache.Indexer
}

// NewFleet returns a fleet of the given clusters.
func NewFleet(clusters ...*clusterv1alpha1.Cluster) *Fleet {
	f := &Fleet{indexer: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})}
	for _, c := range clusters {
		f.Update(c)
	}
	return f
}

// Update adds or replaces a cluster.
func (f *Fleet) Update(c *clusterv1alpha1.Cluster) {
	if err := f.indexer.Update(c); err != nil {
		panic(err)
	}
}

// Lister lists the fleet's clusters.
func (f *Fleet) Lister() clusterlister.ClusterLister {
	return clusterlister.NewClusterLister(f.indexer)
}

// GenericScheduler returns Karmada's own scheduling algorithm (filter, score, select,
// assign replicas) over the fleet with the plugins of registry: what karmada-scheduler runs
// for each binding.
func (f *Fleet) GenericScheduler(registry runtime.Registry) (core.ScheduleAlgorithm, error) {
	rbIndexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	return core.NewGenericScheduler(schedulercache.NewCache(f.Lister(), rbIndexer, 0), registry)
}
