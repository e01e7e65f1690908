// Package fleetqueue is the FleetQueue scheduler plugin: it keeps Karmada's scheduler to
// the member the fleet queue dispatched a Volcano Job to.
//
// The fleet queue (pkg/batch/controller) releases a job by clearing its ResourceBinding's
// scheduling suspension and writing the chosen member in the binding's
// batch.kurator.dev/cluster annotation, in one update. The binding spec the scheduler hands
// to plugins carries no annotations, so Filter looks the binding up in the scheduler's
// ResourceBinding cache (FilterPluginWithContext) and admits only that member. Bindings
// without the annotation, or not in the cache, get no opinion.
package fleetqueue

import (
	"context"
	"fmt"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"
	"github.com/karmada-io/karmada/pkg/util/names"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
)

// Name is the plugin's name in profiles.
const Name = "FleetQueue"

// Plugin is the FleetQueue filter.
type Plugin struct{}

var (
	_ karmadafw.FilterPlugin            = &Plugin{}
	_ karmadafw.FilterPluginWithContext = &Plugin{}
)

// New returns the plugin.
func New() *Plugin { return &Plugin{} }

// Name implements karmadafw.Plugin.
func (p *Plugin) Name() string { return Name }

// Filter implements karmadafw.FilterPlugin. Without the binding cache it cannot see the
// binding's annotations: no opinion (nil, which Karmada reads as success without an
// allocation per cluster). Karmada calls FilterWithContext instead.
func (p *Plugin) Filter(_ context.Context, _ *workv1alpha2.ResourceBindingSpec, _ *workv1alpha2.ResourceBindingStatus, _ *clusterv1alpha1.Cluster) *karmadafw.Result {
	return nil
}

// FilterWithContext implements karmadafw.FilterPluginWithContext: a binding pinned by the
// fleet queue fits its pinned cluster only.
func (p *Plugin) FilterWithContext(fc *karmadafw.FilterContext) *karmadafw.Result {
	pinned, ok := Pinned(fc.ResourceBindingIndexer, fc.BindingSpec)
	if !ok || pinned == fc.Cluster.Name {
		return nil
	}
	reason := fmt.Sprintf("the fleet queue dispatched this Volcano Job to cluster %s", pinned)
	if v := klog.V(4); v.Enabled() {
		v.InfoS("Cluster filtered out", "plugin", Name, "resource", klog.KRef(fc.BindingSpec.Resource.Namespace, fc.BindingSpec.Resource.Name),
			"cluster", fc.Cluster.Name, "pinned", pinned)
	}
	return karmadafw.NewResult(karmadafw.Unschedulable, reason)
}

// Pinned returns the cluster the fleet queue pinned the binding of spec to, found in
// indexer by the binding's namespace/name (Karmada names a binding after its resource's
// kind and name). It reports false when the binding is not in the indexer or carries no
// pin.
func Pinned(indexer cache.Indexer, spec *workv1alpha2.ResourceBindingSpec) (string, bool) {
	if indexer == nil || spec == nil {
		return "", false
	}
	r := spec.Resource
	key := names.GenerateBindingName(r.Kind, r.Name)
	if r.Namespace != "" {
		key = r.Namespace + "/" + key
	}
	obj, exists, err := indexer.GetByKey(key)
	if err != nil || !exists {
		return "", false
	}
	rb, ok := obj.(*workv1alpha2.ResourceBinding)
	if !ok || (r.UID != "" && rb.Spec.Resource.UID != "" && rb.Spec.Resource.UID != r.UID) {
		return "", false
	}
	cluster := rb.Annotations[batchapi.AnnotationCluster]
	return cluster, cluster != ""
}
