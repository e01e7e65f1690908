//nolint:revive // The types keep their Kind prefix (telemetry.ClusterTelemetryStatus), as in every Kubernetes API group, so that they pair with the versioned types for conversion-gen.
package telemetry

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterTelemetry is the telemetry of one Karmada member cluster, computed on every read
// from the latest snapshot of its fleet's Thanos Query. It is never stored.
type ClusterTelemetry struct {
	metav1.TypeMeta `json:",inline"`
	// ObjectMeta is the standard object metadata; the name is the Karmada cluster's.
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Status is the cluster's telemetry.
	Status ClusterTelemetryStatus `json:"status,omitempty"`
}

// ClusterTelemetryStatus is a cluster's utilization, mesh traffic and the health of the
// telemetry they come from.
type ClusterTelemetryStatus struct {
	// ThanosCluster is the cluster's name in the metrics (the value of the cluster label).
	ThanosCluster string `json:"thanosCluster,omitempty"`
	// IstioClusterID is the cluster's Istio cluster ID.
	IstioClusterID string `json:"istioClusterID,omitempty"`
	// CPU is the CPU utilization.
	CPU *UtilizationSample `json:"cpu,omitempty"`
	// Memory is the memory utilization.
	Memory *UtilizationSample `json:"memory,omitempty"`
	// GPU is the GPU utilization.
	GPU *UtilizationSample `json:"gpu,omitempty"`
	// Peers is the traffic between this cluster and each other cluster.
	Peers []PeerTelemetry `json:"peers,omitempty"`
	// SampleTime is the time of the oldest utilization sample.
	SampleTime *metav1.Time `json:"sampleTime,omitempty"`
	// SampleAge is how old SampleTime was when the object was read.
	SampleAge *metav1.Duration `json:"sampleAge,omitempty"`
	// Source is where the telemetry comes from and how that source is doing.
	Source *TelemetrySource `json:"source,omitempty"`
	// Conditions are the conditions; Fresh is always present.
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// UtilizationSample is one utilization measurement.
type UtilizationSample struct {
	// Fraction is the utilization, 0 to 1.
	Fraction float64 `json:"fraction"`
	// Time is when the value was measured.
	Time metav1.Time `json:"time"`
	// Stale is true when the sample is older than the source's maximum sample age.
	Stale bool `json:"stale,omitempty"`
}

// PeerTelemetry is the traffic between the cluster and one peer cluster.
type PeerTelemetry struct {
	// Cluster is the Karmada name of the peer.
	Cluster string `json:"cluster"`
	// P99Latency is the p99 latency of requests from this cluster to the peer.
	P99Latency *metav1.Duration `json:"p99Latency,omitempty"`
	// LatencyTime is when P99Latency was measured.
	LatencyTime *metav1.Time `json:"latencyTime,omitempty"`
	// LatencyStale is true when P99Latency is older than the maximum sample age.
	LatencyStale bool `json:"latencyStale,omitempty"`
	// RequestsPerSecond is the rate of requests from this cluster to the peer.
	RequestsPerSecond float64 `json:"requestsPerSecond,omitempty"`
	// InboundRequestsPerSecond is the rate of requests from the peer to this cluster.
	InboundRequestsPerSecond float64 `json:"inboundRequestsPerSecond,omitempty"`
}

// TelemetrySource is the Thanos Query a cluster's telemetry comes from.
type TelemetrySource struct {
	// URL is the Thanos Query URL.
	URL string `json:"url"`
	// Fleet is the fleet whose spec.telemetry the URL and names come from.
	Fleet string `json:"fleet"`
	// OtherFleets are the first of the other fleets with telemetry that include the cluster.
	OtherFleets []string `json:"otherFleets,omitempty"`
	// OtherFleetCount is the number of those other fleets.
	OtherFleetCount int32 `json:"otherFleetCount,omitempty"`
	// LastRefresh is when the source last ran its queries.
	LastRefresh *metav1.Time `json:"lastRefresh,omitempty"`
	// LastSuccess is when a query of the source last succeeded.
	LastSuccess *metav1.Time `json:"lastSuccess,omitempty"`
	// LastError is the error of the queries that failed at the last refresh.
	LastError string `json:"lastError,omitempty"`
	// Warnings are the warnings of the last answers (Thanos partial responses).
	Warnings []string `json:"warnings,omitempty"`
	// Stale is true when no query succeeded within the maximum sample age.
	Stale bool `json:"stale"`
	// MaxSampleAge is the age beyond which a sample is stale.
	MaxSampleAge metav1.Duration `json:"maxSampleAge"`
}

// ConditionFresh says whether the cluster's utilization samples are fresh.
const ConditionFresh = "Fresh"

// Reasons of the Fresh condition.
const (
	// ReasonSamplesFresh means every utilization sample of the cluster is fresh.
	ReasonSamplesFresh = "SamplesFresh"
	// ReasonPartialResponse means the samples are fresh but Thanos answered partially.
	ReasonPartialResponse = "PartialResponse"
	// ReasonNoTelemetrySource means no fleet with spec.telemetry includes the cluster.
	ReasonNoTelemetrySource = "NoTelemetrySource"
	// ReasonWaitingForFirstRefresh means the source has not run its queries yet.
	ReasonWaitingForFirstRefresh = "WaitingForFirstRefresh"
	// ReasonSourceUnreachable means the source's queries fail.
	ReasonSourceUnreachable = "SourceUnreachable"
	// ReasonStale means a sample is older than the maximum sample age.
	ReasonStale = "Stale"
	// ReasonNoSamples means the source answers but has no sample for the cluster.
	ReasonNoSamples = "NoSamples"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterTelemetryList is a list of ClusterTelemetry.
type ClusterTelemetryList struct {
	metav1.TypeMeta `json:",inline"`
	// ListMeta is the standard list metadata.
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the clusters' telemetry.
	Items []ClusterTelemetry `json:"items"`
}
