package fleet

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kurator.dev/kurator/pkg/apis/fleet"
)

var (
	t0 = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 = metav1.NewTime(t0.Add(time.Hour))
	t2 = metav1.NewTime(t0.Add(2 * time.Hour))
)

// cluster is a Karmada Cluster created at t0 with the given labels.
type clusterOpt func(*clusterv1alpha1.Cluster)

func cluster(name string, opts ...clusterOpt) *clusterv1alpha1.Cluster {
	c := &clusterv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: t0}}
	for _, o := range opts {
		o(c)
	}
	return c
}

func labeled(k, v string) clusterOpt {
	return func(c *clusterv1alpha1.Cluster) {
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		c.Labels[k] = v
	}
}

func readyCond(status metav1.ConditionStatus, reason string, at metav1.Time) clusterOpt {
	return func(c *clusterv1alpha1.Cluster) {
		c.Status.Conditions = append(c.Status.Conditions, metav1.Condition{
			Type: clusterv1alpha1.ClusterConditionReady, Status: status, Reason: reason, LastTransitionTime: at,
		})
	}
}

func ready(at metav1.Time) clusterOpt { return readyCond(metav1.ConditionTrue, "ClusterReady", at) }

func resources(cpuAllocatable, cpuAllocated, memAllocatable, memAllocated string) clusterOpt {
	return func(c *clusterv1alpha1.Cluster) {
		c.Status.ResourceSummary = &clusterv1alpha1.ResourceSummary{
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpuAllocatable), corev1.ResourceMemory: resource.MustParse(memAllocatable)},
			Allocated:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpuAllocated), corev1.ResourceMemory: resource.MustParse(memAllocated)},
		}
	}
}

func deleting(at metav1.Time) clusterOpt {
	return func(c *clusterv1alpha1.Cluster) { c.DeletionTimestamp = &at }
}

func rl(cpu, mem string) corev1.ResourceList {
	return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
}

func TestComputeStatus(t *testing.T) {
	selectProd := &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}
	tests := []struct {
		name     string
		spec     fleet.FleetSpec
		clusters []*clusterv1alpha1.Cluster
		want     fleet.FleetStatus
	}{
		{
			name:     "no clusters exist and none is named",
			spec:     fleet.FleetSpec{ClusterSelector: selectProd},
			clusters: []*clusterv1alpha1.Cluster{cluster("dev1", labeled("env", "dev"), ready(t1))},
			want: fleet.FleetStatus{Conditions: []metav1.Condition{{
				Type: "Ready", Status: metav1.ConditionFalse, Reason: "NoMembers",
				Message: "No Karmada cluster is named in spec.clusters or selected by spec.clusterSelector",
			}}},
		},
		{
			name: "named OR selected, all ready: sums over members, sorted by name",
			spec: fleet.FleetSpec{Clusters: []string{"b"}, ClusterSelector: selectProd},
			clusters: []*clusterv1alpha1.Cluster{
				cluster("c", labeled("env", "prod"), ready(t1), resources("8", "2", "32Gi", "4Gi")),
				cluster("b", ready(t2), resources("4", "1500m", "16Gi", "1Gi")),
				cluster("a", labeled("env", "dev"), ready(t2), resources("100", "0", "1Ti", "0")),
			},
			want: fleet.FleetStatus{
				MatchedClusters: 2,
				ReadyClusters:   2,
				Members: []fleet.FleetMemberStatus{
					{Name: "b", Ready: true, Allocatable: rl("4", "16Gi"), Allocated: rl("1500m", "1Gi")},
					{Name: "c", Ready: true, Allocatable: rl("8", "32Gi"), Allocated: rl("2", "4Gi")},
				},
				Allocatable: rl("12", "48Gi"),
				Allocated:   rl("3500m", "5Gi"),
				Conditions: []metav1.Condition{{
					Type: "Ready", Status: metav1.ConditionTrue, Reason: "AllMembersReady",
					Message: "All 2 member(s) are ready", LastTransitionTime: t2,
				}},
			},
		},
		{
			name: "members not ready are listed with their reason and left out of the sums",
			spec: fleet.FleetSpec{Clusters: []string{"a", "b", "c", "d"}},
			clusters: []*clusterv1alpha1.Cluster{
				cluster("a", ready(t1), resources("4", "1", "8Gi", "1Gi")),
				cluster("b", readyCond(metav1.ConditionFalse, "ClusterNotReachable", t2), resources("4", "1", "8Gi", "1Gi")),
				cluster("c"),
				cluster("d", ready(t1), deleting(t2)),
			},
			want: fleet.FleetStatus{
				MatchedClusters: 4,
				ReadyClusters:   1,
				Members: []fleet.FleetMemberStatus{
					{Name: "a", Ready: true, Allocatable: rl("4", "8Gi"), Allocated: rl("1", "1Gi")},
					{Name: "b", Reason: "ClusterNotReachable", Allocatable: rl("4", "8Gi"), Allocated: rl("1", "1Gi")},
					{Name: "c", Reason: "ReadyConditionMissing"},
					{Name: "d", Reason: "Terminating"},
				},
				Allocatable: rl("4", "8Gi"),
				Allocated:   rl("1", "1Gi"),
				Conditions: []metav1.Condition{{
					Type: "Ready", Status: metav1.ConditionFalse, Reason: "MembersNotReady",
					Message:            "3 of 4 member(s) are not ready: b (ClusterNotReachable), c (ReadyConditionMissing), d (Terminating)",
					LastTransitionTime: t2,
				}},
			},
		},
		{
			name: "a Ready condition of status Unknown without reason",
			spec: fleet.FleetSpec{Clusters: []string{"a"}},
			clusters: []*clusterv1alpha1.Cluster{
				cluster("a", readyCond(metav1.ConditionUnknown, "", t1)),
			},
			want: fleet.FleetStatus{
				MatchedClusters: 1,
				Members:         []fleet.FleetMemberStatus{{Name: "a", Reason: "ReadyConditionUnknown"}},
				Conditions: []metav1.Condition{{
					Type: "Ready", Status: metav1.ConditionFalse, Reason: "MembersNotReady",
					Message: "1 of 1 member(s) are not ready: a (ReadyConditionUnknown)", LastTransitionTime: t1,
				}},
			},
		},
		{
			name: "missing named clusters win over members not ready",
			spec: fleet.FleetSpec{Clusters: []string{"gone2", "a", "gone1", "b"}},
			clusters: []*clusterv1alpha1.Cluster{
				cluster("a", ready(t1)),
				cluster("b", readyCond(metav1.ConditionFalse, "ClusterNotReachable", t1)),
			},
			want: fleet.FleetStatus{
				MatchedClusters: 2,
				ReadyClusters:   1,
				MissingClusters: []string{"gone1", "gone2"},
				Members: []fleet.FleetMemberStatus{
					{Name: "a", Ready: true},
					{Name: "b", Reason: "ClusterNotReachable"},
				},
				Conditions: []metav1.Condition{{
					Type: "Ready", Status: metav1.ConditionFalse, Reason: "MembersMissing",
					Message:            "2 named cluster(s) do not exist in Karmada: gone1, gone2; 1 of 2 member(s) are not ready: b (ClusterNotReachable)",
					LastTransitionTime: t1,
				}},
			},
		},
		{
			name: "only missing clusters",
			spec: fleet.FleetSpec{Clusters: []string{"gone"}},
			want: fleet.FleetStatus{
				MissingClusters: []string{"gone"},
				Conditions: []metav1.Condition{{
					Type: "Ready", Status: metav1.ConditionFalse, Reason: "MembersMissing",
					Message: "1 named cluster(s) do not exist in Karmada: gone",
				}},
			},
		},
		{
			name: "an unparsable selector selects nothing",
			spec: fleet.FleetSpec{ClusterSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "env", Operator: "Near"}}}},
			clusters: []*clusterv1alpha1.Cluster{
				cluster("a", labeled("env", "prod"), ready(t1)),
			},
			want: fleet.FleetStatus{Conditions: []metav1.Condition{{
				Type: "Ready", Status: metav1.ConditionFalse, Reason: "NoMembers",
				Message: "No Karmada cluster is named in spec.clusters or selected by spec.clusterSelector",
			}}},
		},
		{
			name: "long lists are elided in the message",
			spec: fleet.FleetSpec{Clusters: []string{"m00", "m01", "m02", "m03", "m04", "m05", "m06", "m07", "m08", "m09", "m10", "m11"}},
			want: fleet.FleetStatus{
				MissingClusters: []string{"m00", "m01", "m02", "m03", "m04", "m05", "m06", "m07", "m08", "m09", "m10", "m11"},
				Conditions: []metav1.Condition{{
					Type: "Ready", Status: metav1.ConditionFalse, Reason: "MembersMissing",
					Message: "12 named cluster(s) do not exist in Karmada: m00, m01, m02, m03, m04, m05, m06, m07, m08, m09 and 2 more",
				}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ComputeStatus(&tt.spec, tt.clusters)
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })); diff != "" {
				t.Errorf("ComputeStatus() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestComputeStatusDoesNotShareMemory checks that the status owns its resource lists: the
// clusters come from an informer cache, and printing a Quantity writes its cached string.
func TestComputeStatusDoesNotShareMemory(t *testing.T) {
	c := cluster("a", ready(t1), resources("4", "1", "8Gi", "1Gi"))
	status := ComputeStatus(&fleet.FleetSpec{Clusters: []string{"a"}}, []*clusterv1alpha1.Cluster{c})

	q := status.Members[0].Allocatable[corev1.ResourceCPU]
	q.Add(resource.MustParse("1"))
	status.Members[0].Allocatable[corev1.ResourceCPU] = q
	status.Allocatable[corev1.ResourceMemory] = resource.MustParse("1")

	if got := c.Status.ResourceSummary.Allocatable[corev1.ResourceCPU]; got.Cmp(resource.MustParse("4")) != 0 {
		t.Errorf("the cluster's allocatable CPU changed to %s", got.String())
	}
	if got := c.Status.ResourceSummary.Allocatable[corev1.ResourceMemory]; got.Cmp(resource.MustParse("8Gi")) != 0 {
		t.Errorf("the cluster's allocatable memory changed to %s", got.String())
	}
}

func TestUnavailableStatus(t *testing.T) {
	got := UnavailableStatus("not synced")
	want := []metav1.Condition{{
		Type: "Ready", Status: metav1.ConditionFalse, Reason: "ClusterInformationUnavailable",
		Message: "Karmada's Cluster objects are not available to kurator-apiserver, so membership and readiness are unknown: not synced",
	}}
	if diff := cmp.Diff(want, got.Conditions); diff != "" {
		t.Errorf("UnavailableStatus() mismatch (-want +got):\n%s", diff)
	}
	if got.MatchedClusters != 0 || got.Members != nil {
		t.Errorf("UnavailableStatus() reports members: %+v", got)
	}
}

// BenchmarkComputeStatus computes the status of a fleet that selects half of 1000 clusters.
func BenchmarkComputeStatus(b *testing.B) {
	clusters := make([]*clusterv1alpha1.Cluster, 1000)
	for i := range clusters {
		env := "dev"
		if i%2 == 0 {
			env = "prod"
		}
		clusters[i] = cluster(fmt.Sprintf("member%04d", i), labeled("env", env), ready(t1), resources("64", "20", "256Gi", "80Gi"))
	}
	spec := &fleet.FleetSpec{
		Clusters:        []string{"member0001", "member0003", "absent"},
		ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		ComputeStatus(spec, clusters)
	}
}
