// Package testing builds Karmada clusters, bindings and templates for the tests and
// simulations of kurator's scheduler plugins.
package testing

import (
	"context"
	"fmt"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
)

// NetworkLabel is Istio's network label on Karmada clusters.
const NetworkLabel = "topology.istio.io/network"

// ClusterBuilder builds a Karmada Cluster.
type ClusterBuilder struct{ c *clusterv1alpha1.Cluster }

// Cluster starts a ready cluster named name.
func Cluster(name string) *ClusterBuilder {
	return &ClusterBuilder{c: &clusterv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}},
		Spec:       clusterv1alpha1.ClusterSpec{SyncMode: clusterv1alpha1.Push},
		Status: clusterv1alpha1.ClusterStatus{
			Conditions: []metav1.Condition{{Type: clusterv1alpha1.ClusterConditionReady, Status: metav1.ConditionTrue}},
			APIEnablements: []clusterv1alpha1.APIEnablement{
				{GroupVersion: "apps/v1", Resources: []clusterv1alpha1.APIResource{{Name: "deployments", Kind: "Deployment"}}},
			},
		},
	}}
}

// Network sets the Istio network label.
func (b *ClusterBuilder) Network(n string) *ClusterBuilder {
	b.c.Labels[NetworkLabel] = n
	return b
}

// Label sets a label.
func (b *ClusterBuilder) Label(k, v string) *ClusterBuilder {
	b.c.Labels[k] = v
	return b
}

// Locality sets provider, region and zone.
func (b *ClusterBuilder) Locality(provider, region, zone string) *ClusterBuilder {
	b.c.Spec.Provider, b.c.Spec.Region = provider, region
	if zone != "" {
		b.c.Spec.Zones = []string{zone}
	}
	return b
}

// Capacity sets allocatable cpu (cores), memory and pods, with allocated cpu and memory.
func (b *ClusterBuilder) Capacity(cpu, memory, allocatedCPU, allocatedMemory string) *ClusterBuilder {
	b.c.Status.ResourceSummary = &clusterv1alpha1.ResourceSummary{
		Allocatable: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory),
			corev1.ResourcePods: resource.MustParse("1000"),
		},
		Allocated: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(allocatedCPU), corev1.ResourceMemory: resource.MustParse(allocatedMemory),
		},
	}
	return b
}

// Obj returns the cluster.
func (b *ClusterBuilder) Obj() *clusterv1alpha1.Cluster { return b.c }

// BindingBuilder builds a ResourceBindingSpec of a Deployment.
type BindingBuilder struct {
	s *workv1alpha2.ResourceBindingSpec
}

// Binding starts the spec of the binding of Deployment namespace/name.
func Binding(namespace, name string) *BindingBuilder {
	return &BindingBuilder{s: &workv1alpha2.ResourceBindingSpec{
		Resource: workv1alpha2.ObjectReference{
			APIVersion: "apps/v1", Kind: "Deployment", Namespace: namespace, Name: name,
			UID: types.UID("uid-" + namespace + "-" + name), ResourceVersion: "1",
		},
		Placement: &policyv1alpha1.Placement{},
	}}
}

// Replicas sets replicas, each requesting cpu and memory (and GPUs when gpus != "").
func (b *BindingBuilder) Replicas(n int32, cpu, memory, gpus string) *BindingBuilder {
	b.s.Replicas = n
	rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)}
	if gpus != "" {
		rl["nvidia.com/gpu"] = resource.MustParse(gpus)
	}
	b.s.ReplicaRequirements = &workv1alpha2.ReplicaRequirements{ResourceRequest: rl}
	return b
}

// SpreadToOne makes the placement pick exactly one cluster (spread by cluster, max 1),
// where scores decide, with replicas divided by available replicas.
func (b *BindingBuilder) SpreadToOne() *BindingBuilder {
	b.s.Placement.SpreadConstraints = []policyv1alpha1.SpreadConstraint{{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MinGroups: 1, MaxGroups: 1}}
	b.s.Placement.ReplicaScheduling = &policyv1alpha1.ReplicaSchedulingStrategy{
		ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
		ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
		WeightPreference:          &policyv1alpha1.ClusterPreferences{DynamicWeight: policyv1alpha1.DynamicWeightByAvailableReplicas},
	}
	return b
}

// Version sets the template's resource version.
func (b *BindingBuilder) Version(rv string) *BindingBuilder {
	b.s.Resource.ResourceVersion = rv
	return b
}

// Obj returns the spec.
func (b *BindingBuilder) Obj() *workv1alpha2.ResourceBindingSpec { return b.s }

// Templates is a TemplateGetter over annotations by namespace/name.
type Templates struct {
	Annotations map[string]map[string]string
	// Err, when set, is returned for every template.
	Err error
	// Gets counts calls.
	Gets atomic.Int64
}

// Get implements framework.TemplateGetter.
func (t *Templates) Get(_ context.Context, ref *workv1alpha2.ObjectReference) (*metav1.ObjectMeta, error) {
	t.Gets.Add(1)
	if t.Err != nil {
		return nil, t.Err
	}
	a, ok := t.Annotations[ref.Namespace+"/"+ref.Name]
	if !ok {
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: "apps", Resource: "deployments"}, ref.Name)
	}
	return &metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name, Annotations: a}, nil
}

// Clusters is a ClusterGetter over a list.
type Clusters []*clusterv1alpha1.Cluster

// Get implements framework.ClusterGetter.
func (cs Clusters) Get(name string) (*clusterv1alpha1.Cluster, error) {
	for _, c := range cs {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("cluster %q not found", name)
}
