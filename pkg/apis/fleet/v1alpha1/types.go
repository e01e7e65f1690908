package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Fleet is a set of Karmada member clusters that kurator treats as one distributed cloud:
// one place to name the members, to say where their metrics are, how their Istio networks
// connect and how batch jobs are queued across them. Fleet is cluster-scoped. Its status is
// computed by kurator-apiserver from Karmada's Cluster objects every time the fleet is
// read; it is never stored.
type Fleet struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata. More info:
	// https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says which member clusters belong to the fleet and how kurator's telemetry, mesh
	// and batch features treat them.
	// +required
	Spec FleetSpec `json:"spec"`

	// Status is the live state of the members. kurator-apiserver computes it from Karmada's
	// Cluster objects on every read; it is never stored, and writes to it are ignored.
	// +optional
	Status FleetStatus `json:"status,omitempty"`
}

// FleetSpec says which member clusters belong to a fleet and how kurator treats them.
// A cluster is a member when it is named in clusters OR selected by clusterSelector;
// at least one of the two must be set.
type FleetSpec struct {
	// Clusters names Karmada member clusters (cluster.karmada.io/v1alpha1 Cluster objects)
	// that belong to the fleet. Names must be unique. A named cluster that does not exist is
	// reported in status.missingClusters and keeps the fleet from being Ready.
	// +optional
	// +listType=set
	Clusters []string `json:"clusters,omitempty"`

	// ClusterSelector selects Karmada member clusters by their labels; selected clusters are
	// members in addition to the ones named in clusters. It must not be empty: an empty
	// selector would make every cluster, present and future, a member. To put every cluster
	// in a fleet, label them and select the label.
	// +optional
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`

	// Telemetry says where the members' metrics are and how each member is named in them.
	// kurator's telemetry-aware scheduling and views need it; without it they treat the
	// fleet as having no metrics.
	// +optional
	Telemetry *FleetTelemetry `json:"telemetry,omitempty"`

	// Mesh describes the Istio networks the members form, so that placement can account for
	// the extra hop through east-west gateways between networks.
	// +optional
	Mesh *FleetMesh `json:"mesh,omitempty"`

	// Batch holds the fleet-wide defaults kurator applies to batch jobs (Volcano Jobs)
	// submitted to Karmada for this fleet.
	// +optional
	Batch *FleetBatch `json:"batch,omitempty"`
}

// DefaultClusterLabel is the metric label that names a member cluster unless
// FleetTelemetry.ClusterLabel says otherwise.
const DefaultClusterLabel = "cluster"

// FleetTelemetry says where the members' metrics are and how members are named in them.
type FleetTelemetry struct {
	// ThanosQueryURL is the base URL of the Thanos Query (or another Prometheus-compatible
	// query API) that holds the metrics of every member, for example
	// "http://thanos-query.monitoring.svc:9090". kurator appends the API path
	// ("/api/v1/query", ...) to it. It must be an absolute http or https URL with a host and
	// without user information, query or fragment.
	// +required
	ThanosQueryURL string `json:"thanosQueryURL"`

	// ClusterLabel is the label that identifies the member cluster in every series, usually
	// an external label set by each member's Prometheus or Thanos sidecar. It must be a valid
	// Prometheus label name. Defaults to "cluster".
	// +optional
	ClusterLabel string `json:"clusterLabel,omitempty"`

	// ClusterMapping maps Karmada cluster names to the names the same clusters have in the
	// metrics and in Istio, for members whose names differ. A member without an entry is
	// taken to have its Karmada name everywhere. Each Karmada cluster, Thanos cluster name and
	// Istio cluster ID may appear at most once.
	// +optional
	// +listType=map
	// +listMapKey=cluster
	ClusterMapping []ClusterNameMapping `json:"clusterMapping,omitempty"`
}

// ClusterNameMapping maps one Karmada cluster name to the names the same cluster has in
// Thanos and in Istio. At least one of thanosCluster and istioClusterID must be set.
type ClusterNameMapping struct {
	// Cluster is the name of the Karmada Cluster object.
	// +required
	Cluster string `json:"cluster"`

	// ThanosCluster is the value of the cluster label (telemetry.clusterLabel) in this
	// member's metrics. When empty, the Karmada name is used.
	// +optional
	ThanosCluster string `json:"thanosCluster,omitempty"`

	// IstioClusterID is this member's Istio cluster ID: the CLUSTER_ID istiod runs with, seen
	// in the source_cluster and destination_cluster labels of Istio's standard metrics. When
	// empty, the Karmada name is used.
	// +optional
	IstioClusterID string `json:"istioClusterID,omitempty"`
}

// DefaultMeshGatewayPort is the port of Istio's cross-network (auto-passthrough) gateway listener.
const DefaultMeshGatewayPort int32 = 15443

// FleetMesh describes the Istio networks the members form. Its shape follows Istio's
// MeshNetworks: members on one network reach each other directly, and traffic to another
// network goes through that network's east-west gateways.
type FleetMesh struct {
	// Networks lists the Istio networks of the fleet. Network names must be unique, and a
	// cluster may be on at most one network. Members on no network are not part of the mesh.
	// +optional
	// +listType=map
	// +listMapKey=name
	Networks []MeshNetwork `json:"networks,omitempty"`
}

// MeshNetwork is one Istio network: members whose workloads reach each other directly,
// and the gateways through which other networks reach them.
type MeshNetwork struct {
	// Name is the Istio network name: the value of the topology.istio.io/network label of
	// the members' istio-system namespace. It must be a valid label value.
	// +required
	Name string `json:"name"`

	// Clusters names the Karmada member clusters on this network; at least one is required.
	// +required
	// +listType=set
	Clusters []string `json:"clusters"`

	// Gateways are the east-west gateways through which other networks reach this network.
	// A network without gateways is reachable only from itself.
	// +optional
	// +listType=atomic
	Gateways []MeshGateway `json:"gateways,omitempty"`
}

// MeshGateway is an east-west gateway of a mesh network.
type MeshGateway struct {
	// Address is the gateway's IP address or DNS name, as reachable from the other networks.
	// +required
	Address string `json:"address"`

	// Port is the gateway's port for cross-network traffic, 1 to 65535. Defaults to 15443,
	// the port of Istio's cross-network gateway listener.
	// +optional
	Port int32 `json:"port,omitempty"`
}

// PreemptionPolicy says whether kurator may preempt running batch jobs.
// +enum
type PreemptionPolicy string

const (
	// PreemptNever never preempts running jobs.
	PreemptNever PreemptionPolicy = "Never"
	// PreemptLowerPriority may preempt running jobs of lower priority than the job to admit.
	PreemptLowerPriority PreemptionPolicy = "LowerPriority"
)

// FleetBatch holds the fleet-wide defaults for batch jobs.
type FleetBatch struct {
	// DefaultQueue is the fleet queue that batch jobs join when they name none. It must be a
	// valid DNS subdomain name.
	// +optional
	DefaultQueue string `json:"defaultQueue,omitempty"`

	// DefaultPriorityClassName is the PriorityClass given to batch jobs that name none. It
	// must be a valid DNS subdomain name.
	// +optional
	DefaultPriorityClassName string `json:"defaultPriorityClassName,omitempty"`

	// Preemption says whether kurator may preempt running batch jobs to admit a job whose
	// deadline is at risk: "Never" (the default) never preempts; "LowerPriority" may preempt
	// jobs of lower priority than the job to admit.
	// +optional
	Preemption PreemptionPolicy `json:"preemption,omitempty"`
}

// FleetStatus is the live state of a fleet's members, computed from Karmada's Cluster
// objects on every read.
type FleetStatus struct {
	// MatchedClusters is the number of existing Karmada clusters that are members: named in
	// spec.clusters or selected by spec.clusterSelector.
	// +optional
	MatchedClusters int32 `json:"matchedClusters,omitempty"`

	// ReadyClusters is the number of members that are ready.
	// +optional
	ReadyClusters int32 `json:"readyClusters,omitempty"`

	// MissingClusters lists, sorted, the clusters named in spec.clusters that do not exist
	// in Karmada.
	// +optional
	// +listType=set
	MissingClusters []string `json:"missingClusters,omitempty"`

	// Members reports every member, sorted by name.
	// +optional
	// +listType=map
	// +listMapKey=name
	Members []FleetMemberStatus `json:"members,omitempty"`

	// Allocatable is the sum of the allocatable resources of the ready members, as Karmada
	// reports them in each Cluster's status.resourceSummary. Members that are not ready are
	// left out because they cannot take work.
	// +optional
	Allocatable corev1.ResourceList `json:"allocatable,omitempty"`

	// Allocated is the sum of the resources requested by the pods already scheduled on the
	// ready members.
	// +optional
	Allocated corev1.ResourceList `json:"allocated,omitempty"`

	// Conditions are the fleet's conditions. "Ready" is always present: True when at least
	// one member exists, every member is ready and no named cluster is missing. Its
	// lastTransitionTime is derived from the members' own condition times, because the
	// status is computed rather than stored.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// FleetMemberStatus is the live state of one member cluster.
type FleetMemberStatus struct {
	// Name is the name of the Karmada Cluster.
	// +required
	Name string `json:"name"`

	// Ready is true when the cluster's Ready condition is True and the cluster is not being
	// deleted.
	// +required
	Ready bool `json:"ready"`

	// Reason says why the member is not ready: the reason of its Ready condition,
	// "ReadyConditionMissing" when it has none, or "Terminating" when it is being deleted.
	// Empty when the member is ready.
	// +optional
	Reason string `json:"reason,omitempty"`

	// Allocatable is the member's allocatable resources (status.resourceSummary.allocatable
	// of the Karmada Cluster).
	// +optional
	Allocatable corev1.ResourceList `json:"allocatable,omitempty"`

	// Allocated is the resources requested by the pods already scheduled on the member
	// (status.resourceSummary.allocated of the Karmada Cluster).
	// +optional
	Allocated corev1.ResourceList `json:"allocated,omitempty"`
}

// FleetConditionReady is the condition type that says whether every member is ready.
const FleetConditionReady = "Ready"

// Reasons of the Ready condition, from the most to the least severe.
const (
	// ReasonClusterInformationUnavailable means the server has not yet listed Karmada's
	// Clusters, so membership is unknown.
	ReasonClusterInformationUnavailable = "ClusterInformationUnavailable"
	// ReasonNoMembers means no existing cluster is named or selected, and none is missing.
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
	// Standard list metadata. More info:
	// https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the fleets.
	Items []Fleet `json:"items"`
}
