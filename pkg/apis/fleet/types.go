//nolint:revive // The types keep their Kind prefix (fleet.FleetSpec), as in every Kubernetes API group, so that they pair with the versioned types for conversion-gen.
package fleet

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Fleet is a set of Karmada member clusters that kurator treats as one distributed cloud.
// Its status is computed from Karmada's Cluster objects on every read and is never stored.
type Fleet struct {
	metav1.TypeMeta `json:",inline"`
	// ObjectMeta is the standard object metadata.
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says which member clusters belong to the fleet and how kurator treats them.
	Spec FleetSpec `json:"spec"`
	// Status is the live state of the members, computed by the server on every read.
	Status FleetStatus `json:"status,omitempty"`
}

// FleetSpec says which member clusters belong to a fleet and how kurator treats them.
type FleetSpec struct {
	// Clusters names Karmada member clusters that belong to the fleet.
	Clusters []string `json:"clusters,omitempty"`
	// ClusterSelector selects Karmada member clusters by label. A cluster is a member when it
	// is named in Clusters or selected by ClusterSelector.
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`
	// Telemetry says where the members' metrics are and how members are named in them.
	Telemetry *FleetTelemetry `json:"telemetry,omitempty"`
	// Mesh describes the Istio networks the members form.
	Mesh *FleetMesh `json:"mesh,omitempty"`
	// Batch holds the fleet-wide defaults for batch jobs.
	Batch *FleetBatch `json:"batch,omitempty"`
}

// DefaultClusterLabel is the metric label that names a member cluster unless
// FleetTelemetry.ClusterLabel says otherwise.
const DefaultClusterLabel = "cluster"

// FleetTelemetry says where the members' metrics are and how members are named in them.
type FleetTelemetry struct {
	// ThanosQueryURL is the base URL of the Thanos Query API that holds every member's metrics.
	ThanosQueryURL string `json:"thanosQueryURL"`
	// ClusterLabel is the external label that identifies a member in the metrics.
	ClusterLabel string `json:"clusterLabel,omitempty"`
	// ClusterMapping maps Karmada cluster names to their names in Thanos and Istio.
	ClusterMapping []ClusterNameMapping `json:"clusterMapping,omitempty"`
}

// ClusterNameMapping maps one Karmada cluster name to the names the same cluster has in
// Thanos and in Istio.
type ClusterNameMapping struct {
	// Cluster is the Karmada cluster name.
	Cluster string `json:"cluster"`
	// ThanosCluster is the value of the cluster label in the member's metrics.
	ThanosCluster string `json:"thanosCluster,omitempty"`
	// IstioClusterID is the member's Istio cluster ID.
	IstioClusterID string `json:"istioClusterID,omitempty"`
}

// DefaultMeshGatewayPort is the port of Istio's cross-network (auto-passthrough) gateway listener.
const DefaultMeshGatewayPort int32 = 15443

// FleetMesh describes the Istio networks the members form, in the shape of Istio's MeshNetworks.
type FleetMesh struct {
	// Networks lists the Istio networks of the fleet.
	Networks []MeshNetwork `json:"networks,omitempty"`
}

// MeshNetwork is one Istio network: a set of members whose workloads reach each other
// directly, and the gateways through which other networks reach them.
type MeshNetwork struct {
	// Name is the Istio network name (the topology.istio.io/network label value).
	Name string `json:"name"`
	// Clusters names the Karmada member clusters on this network.
	Clusters []string `json:"clusters"`
	// Gateways are the east-west gateways through which other networks reach this one.
	Gateways []MeshGateway `json:"gateways,omitempty"`
}

// MeshGateway is an east-west gateway of a mesh network.
type MeshGateway struct {
	// Address is the gateway's IP address or DNS name as seen from other networks.
	Address string `json:"address"`
	// Port is the gateway's cross-network port.
	Port int32 `json:"port,omitempty"`
}

// PreemptionPolicy says whether kurator may preempt running batch jobs.
type PreemptionPolicy string

const (
	// PreemptNever never preempts running jobs.
	PreemptNever PreemptionPolicy = "Never"
	// PreemptLowerPriority may preempt running jobs of lower priority.
	PreemptLowerPriority PreemptionPolicy = "LowerPriority"
)

// FleetBatch holds the fleet-wide defaults for batch jobs.
type FleetBatch struct {
	// DefaultQueue is the fleet queue of jobs that name none.
	DefaultQueue string `json:"defaultQueue,omitempty"`
	// DefaultPriorityClassName is the priority class of jobs that name none.
	DefaultPriorityClassName string `json:"defaultPriorityClassName,omitempty"`
	// Preemption says whether kurator may preempt running jobs to admit others.
	Preemption PreemptionPolicy `json:"preemption,omitempty"`
}

// FleetStatus is the live state of a fleet's members.
type FleetStatus struct {
	// MatchedClusters is the number of existing clusters that are members.
	MatchedClusters int32 `json:"matchedClusters,omitempty"`
	// ReadyClusters is the number of members that are ready.
	ReadyClusters int32 `json:"readyClusters,omitempty"`
	// MissingClusters lists the clusters named in the spec that do not exist.
	MissingClusters []string `json:"missingClusters,omitempty"`
	// Members reports every member, sorted by name.
	Members []FleetMemberStatus `json:"members,omitempty"`
	// Allocatable is the sum of the ready members' allocatable resources.
	Allocatable corev1.ResourceList `json:"allocatable,omitempty"`
	// Allocated is the sum of the resources requested by pods on the ready members.
	Allocated corev1.ResourceList `json:"allocated,omitempty"`
	// Conditions are the fleet's conditions; the Ready condition is always present.
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// FleetMemberStatus is the live state of one member cluster.
type FleetMemberStatus struct {
	// Name is the Karmada cluster name.
	Name string `json:"name"`
	// Ready is true when the cluster's Ready condition is True and it is not being deleted.
	Ready bool `json:"ready"`
	// Reason says why the member is not ready.
	Reason string `json:"reason,omitempty"`
	// Allocatable is the member's allocatable resources.
	Allocatable corev1.ResourceList `json:"allocatable,omitempty"`
	// Allocated is the resources requested by the pods on the member.
	Allocated corev1.ResourceList `json:"allocated,omitempty"`
}

// FleetConditionReady is the condition type that says whether every member is ready.
const FleetConditionReady = "Ready"

// Reasons of the Ready condition, from the most to the least severe.
const (
	// ReasonClusterInformationUnavailable means the server has not yet listed Karmada's
	// Clusters, so membership is unknown.
	ReasonClusterInformationUnavailable = "ClusterInformationUnavailable"
	// ReasonNoMembers means no cluster is named or selected.
	ReasonNoMembers = "NoMembers"
	// ReasonMembersMissing means a cluster named in the spec does not exist.
	ReasonMembersMissing = "MembersMissing"
	// ReasonMembersNotReady means a member is not ready.
	ReasonMembersNotReady = "MembersNotReady"
	// ReasonAllMembersReady means every member exists and is ready.
	ReasonAllMembersReady = "AllMembersReady"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// FleetList is a list of Fleets.
type FleetList struct {
	metav1.TypeMeta `json:",inline"`
	// ListMeta is the standard list metadata.
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the fleets.
	Items []Fleet `json:"items"`
}
