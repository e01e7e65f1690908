package controller

import (
	"context"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/plugins/apienablement"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/plugins/clusteraffinity"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/plugins/clustereviction"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/plugins/tainttoleration"
	corev1 "k8s.io/api/core/v1"
)

// placementFilters are Karmada's in-tree filters that depend on the binding's placement
// and the cluster only: the members a job may go to are those every one of them admits.
var placementFilters = func() []karmadafw.FilterPlugin {
	var out []karmadafw.FilterPlugin
	for _, newPlugin := range []func() (karmadafw.Plugin, error){clusteraffinity.New, tainttoleration.New, apienablement.New, clustereviction.New} {
		p, err := newPlugin()
		if err != nil {
			panic(err) // Karmada's in-tree factories take no input and do not fail.
		}
		out = append(out, p.(karmadafw.FilterPlugin))
	}
	return out
}()

// allowedClusters lists the clusters the binding's placement allows, by Karmada's own
// filters (cluster affinity, taints and tolerations, API enablement, eviction history).
// A binding without placement allows every cluster (nil).
func allowedClusters(ctx context.Context, rb *workv1alpha2.ResourceBinding, clusters []*clusterv1alpha1.Cluster) []string {
	if rb.Spec.Placement == nil {
		return nil
	}
	out := []string{}
	for _, c := range clusters {
		c = withoutHealthTaints(c)
		fits := true
		for _, f := range placementFilters {
			if !f.Filter(ctx, &rb.Spec, &rb.Status, c).IsSuccess() {
				fits = false
				break
			}
		}
		if fits {
			out = append(out, c.Name)
		}
	}
	return out
}

// withoutHealthTaints drops the taints Karmada puts on clusters that are not ready or
// unreachable: those are passing conditions the core handles (such a member is unknown
// and never chosen), not a placement that excludes the member for good.
func withoutHealthTaints(c *clusterv1alpha1.Cluster) *clusterv1alpha1.Cluster {
	var keep []corev1.Taint
	dropped := false
	for _, t := range c.Spec.Taints {
		if t.Key == clusterv1alpha1.TaintClusterNotReady || t.Key == clusterv1alpha1.TaintClusterUnreachable {
			dropped = true
			continue
		}
		keep = append(keep, t)
	}
	if !dropped {
		return c
	}
	out := c.DeepCopy()
	out.Spec.Taints = keep
	return out
}
