package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +genclient:nonNamespaced
// +genclient:onlyVerbs=get,list
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterTelemetry is the telemetry of one Karmada member cluster: its CPU, memory and GPU
// utilization, the p99 latency and request rate of the Istio mesh traffic to each peer
// cluster, and the health of the Thanos Query it all comes from. There is one per Karmada
// Cluster, named after it. kurator-apiserver computes it on every read from the latest
// snapshot of the Thanos Query named in spec.telemetry of the fleet that includes the
// cluster; it is never stored and cannot be written. Missing or stale data is shown (see
// the Fresh condition), never turned into an error.
type ClusterTelemetry struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata. The name is the Karmada Cluster's name and the labels are
	// the Cluster's labels. More info:
	// https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Status is the cluster's telemetry, computed when the object is read.
	// +optional
	Status ClusterTelemetryStatus `json:"status,omitempty"`
}

// ClusterTelemetryStatus is a cluster's utilization, mesh traffic and the health of the
// telemetry they come from.
type ClusterTelemetryStatus struct {
	// ThanosCluster is the cluster's name in the metrics: the value of the fleet's cluster
	// label (spec.telemetry.clusterLabel) in this cluster's series. It is the Karmada name
	// unless spec.telemetry.clusterMapping says otherwise.
	// +optional
	ThanosCluster string `json:"thanosCluster,omitempty"`
	// IstioClusterID is the cluster's Istio cluster ID, as it appears in the source_cluster
	// and destination_cluster labels of Istio's metrics. It is the Karmada name unless
	// spec.telemetry.clusterMapping says otherwise.
	// +optional
	IstioClusterID string `json:"istioClusterID,omitempty"`
	// CPU is the CPU utilization of the cluster's nodes. Absent when the source has no
	// sample for the cluster.
	// +optional
	CPU *UtilizationSample `json:"cpu,omitempty"`
	// Memory is the memory utilization of the cluster's nodes. Absent when the source has no
	// sample for the cluster.
	// +optional
	Memory *UtilizationSample `json:"memory,omitempty"`
	// GPU is the utilization of the cluster's GPUs (nvidia.com/gpu). Absent when the source
	// has no sample for the cluster, which is normal for clusters without GPUs.
	// +optional
	GPU *UtilizationSample `json:"gpu,omitempty"`
	// Peers lists, sorted by name, the other clusters this cluster exchanges mesh traffic
	// with, as seen by Istio's proxies (reporter="source"). A cluster pair without traffic
	// has no latency sample: no traffic is not the same as no latency.
	// +optional
	// +listType=map
	// +listMapKey=cluster
	Peers []PeerTelemetry `json:"peers,omitempty"`
	// SampleTime is the time of the oldest of the cluster's utilization samples (cpu, memory
	// and gpu, those present).
	// +optional
	SampleTime *metav1.Time `json:"sampleTime,omitempty"`
	// SampleAge is how old sampleTime was when the object was read.
	// +optional
	SampleAge *metav1.Duration `json:"sampleAge,omitempty"`
	// Source is the Thanos Query the telemetry comes from and how it is doing. Absent when
	// no fleet with spec.telemetry includes the cluster.
	// +optional
	Source *TelemetrySource `json:"source,omitempty"`
	// Conditions are the cluster's telemetry conditions. "Fresh" is always present: True
	// when every utilization sample of the cluster is younger than the source's maximum
	// sample age; otherwise False with the reason NoTelemetrySource, WaitingForFirstRefresh,
	// SourceUnreachable, NoSamples or Stale, and a message that says what to check.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// UtilizationSample is one utilization measurement.
type UtilizationSample struct {
	// Fraction is the utilization, from 0 (idle) to 1 (fully used).
	// +required
	Fraction float64 `json:"fraction"`
	// Time is when the value was measured: the time of the newest raw sample behind it.
	// +required
	Time metav1.Time `json:"time"`
	// Stale is true when the sample is older than the source's maximum sample age;
	// kurator's scheduler plugins then ignore it and score the cluster neutrally.
	// +optional
	Stale bool `json:"stale,omitempty"`
}

// PeerTelemetry is the mesh traffic between the cluster and one peer cluster.
type PeerTelemetry struct {
	// Cluster is the Karmada name of the peer cluster.
	// +required
	Cluster string `json:"cluster"`
	// P99Latency is the 99th percentile latency of the requests this cluster's workloads
	// send to the peer, from istio_request_duration_milliseconds. Absent without a sample.
	// +optional
	P99Latency *metav1.Duration `json:"p99Latency,omitempty"`
	// LatencyTime is when p99Latency was measured.
	// +optional
	LatencyTime *metav1.Time `json:"latencyTime,omitempty"`
	// LatencyStale is true when p99Latency is older than the source's maximum sample age.
	// +optional
	LatencyStale bool `json:"latencyStale,omitempty"`
	// RequestsPerSecond is the rate of the requests this cluster's workloads send to
	// services in the peer, from istio_requests_total.
	// +optional
	RequestsPerSecond float64 `json:"requestsPerSecond,omitempty"`
	// InboundRequestsPerSecond is the rate of the requests the peer's workloads send to
	// services in this cluster.
	// +optional
	InboundRequestsPerSecond float64 `json:"inboundRequestsPerSecond,omitempty"`
}

// TelemetrySource is the Thanos Query a cluster's telemetry comes from, and its health.
type TelemetrySource struct {
	// URL is the Thanos Query URL (spec.telemetry.thanosQueryURL of the fleet). kurator-apiserver
	// runs one background refresher per distinct URL.
	// +required
	URL string `json:"url"`
	// Fleet is the fleet whose spec.telemetry applies to the cluster: the first by name of
	// the fleets with spec.telemetry that include the cluster.
	// +required
	Fleet string `json:"fleet"`
	// OtherFleets are the other fleets with spec.telemetry that include the cluster, sorted
	// and at most 10 of them; their telemetry settings do not apply to it.
	// +optional
	// +listType=set
	OtherFleets []string `json:"otherFleets,omitempty"`
	// OtherFleetCount is the number of other fleets with spec.telemetry that include the
	// cluster, all of them (otherFleets lists only the first 10).
	// +optional
	OtherFleetCount int32 `json:"otherFleetCount,omitempty"`
	// LastRefresh is when the source last ran its queries.
	// +optional
	LastRefresh *metav1.Time `json:"lastRefresh,omitempty"`
	// LastSuccess is when a query of the source last succeeded.
	// +optional
	LastSuccess *metav1.Time `json:"lastSuccess,omitempty"`
	// LastError is the error of each query that failed at the last refresh, one per line.
	// Empty when every query succeeded.
	// +optional
	LastError string `json:"lastError,omitempty"`
	// Warnings are the warnings returned with the last answers, for example Thanos partial
	// responses when a store is down: the data is then incomplete.
	// +optional
	// +listType=atomic
	Warnings []string `json:"warnings,omitempty"`
	// Stale is true when no query of the source succeeded within maxSampleAge.
	// +required
	Stale bool `json:"stale"`
	// MaxSampleAge is the age beyond which a sample is stale and ignored by the scheduler.
	// +required
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
	// Standard list metadata. More info:
	// https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the clusters' telemetry, sorted by name.
	Items []ClusterTelemetry `json:"items"`
}
