package fleet

import (
	"fmt"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"

	"kurator.dev/kurator/pkg/apis/fleet"
)

// ClusterLister lists the Karmada Clusters that fleet status is computed from, typically
// from an informer's cache.
type ClusterLister interface {
	// HasSynced reports whether the clusters have been listed completely at least once.
	HasSynced() bool
	// List returns every Karmada Cluster. The objects may be shared with a cache and must
	// not be modified.
	List() ([]*clusterv1alpha1.Cluster, error)
}

// statusDecorator fills in the status of the fleets the storage returns. It is the store's
// Decorator, so it runs on the result of every get, list, create, update and delete, and on
// watch events as described in REST.Watch.
type statusDecorator struct {
	clusters ClusterLister
}

// decorate computes the status of a *fleet.Fleet or of every item of a *fleet.FleetList and
// ignores other objects (the watch cache hands over wrapped objects; REST.Watch unwraps them).
//
// The objects may be shallow copies of the watch cache's: status is only ever replaced as a
// whole, never modified in place, so nothing the cache holds is written.
func (d statusDecorator) decorate(obj runtime.Object) {
	switch o := obj.(type) {
	case *fleet.Fleet:
		if o.Name == "" {
			// A watch bookmark carries only a resourceVersion.
			return
		}
		clusters, unavailable := d.list()
		setStatus(o, clusters, unavailable)
	case *fleet.FleetList:
		if len(o.Items) == 0 {
			return
		}
		clusters, unavailable := d.list()
		for i := range o.Items {
			setStatus(&o.Items[i], clusters, unavailable)
		}
	}
}

// list returns the clusters, or why they are unavailable.
func (d statusDecorator) list() ([]*clusterv1alpha1.Cluster, string) {
	if !d.clusters.HasSynced() {
		return nil, "the Cluster informer has not synced with the Karmada apiserver yet; it keeps retrying"
	}
	clusters, err := d.clusters.List()
	if err != nil {
		klog.ErrorS(err, "Listing Karmada Clusters for fleet status failed")
		return nil, fmt.Sprintf("listing Karmada Clusters failed: %v", err)
	}
	return clusters, ""
}

// setStatus replaces the status of f with the one computed from clusters (or the
// unavailable status), stamping the fleet's generation on the conditions and keeping their
// transition times no earlier than the fleet's creation.
func setStatus(f *fleet.Fleet, clusters []*clusterv1alpha1.Cluster, unavailable string) {
	var status fleet.FleetStatus
	if unavailable != "" {
		status = UnavailableStatus(unavailable)
	} else {
		status = ComputeStatus(&f.Spec, clusters)
	}
	for i := range status.Conditions {
		c := &status.Conditions[i]
		c.ObservedGeneration = f.Generation
		if c.LastTransitionTime.Before(&f.CreationTimestamp) {
			c.LastTransitionTime = f.CreationTimestamp
		}
		if c.LastTransitionTime.IsZero() {
			// Only objects not yet stored (dry-run creates) have no creation time.
			c.LastTransitionTime = metav1.Now()
		}
	}
	f.Status = status
}
