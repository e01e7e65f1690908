package v1alpha1

import (
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +genclient
// +genclient:nonNamespaced
// +genclient:onlyVerbs=create
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// PlacementReview asks where kurator-scheduler would place a workload and why, like
// SubjectAccessReview asks whether a user may do something: create one and the answer comes
// back in its status; nothing is stored, and PlacementReviews cannot be read back, listed
// or watched. The workload is either an existing Karmada ResourceBinding (spec.resourceBinding)
// or a resource template with a placement (spec.resource and spec.placement), evaluated as
// if it had been propagated. The status reports, for every cluster, each filter plugin's
// verdict with its reason, each score plugin's weighted score, the estimators' replica
// estimates, and the clusters that would be chosen — computed by the same plugin code
// kurator-scheduler runs, on the same telemetry — together with notes on how fresh that
// data was.
type PlacementReview struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata. Nothing in it is required; a name, when given, is echoed
	// back. More info:
	// https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec names the workload to review. Exactly one of resourceBinding and resource must
	// be set.
	// +required
	Spec PlacementReviewSpec `json:"spec"`
	// Status is the answer, computed when the review is created.
	// +optional
	Status PlacementReviewStatus `json:"status,omitempty"`
}

// PlacementReviewSpec names the workload to review: an existing ResourceBinding, or a
// resource template with a placement. Exactly one of resourceBinding and resource must be set.
type PlacementReviewSpec struct {
	// ResourceBinding names an existing Karmada ResourceBinding (work.karmada.io/v1alpha2)
	// to review with its own placement, replicas and scheduler. Placement must then be unset.
	// +optional
	ResourceBinding *ResourceBindingReference `json:"resourceBinding,omitempty"`
	// Resource is a resource template (any kind Karmada can propagate, with apiVersion,
	// kind and metadata.name) to review as if it had been propagated with spec.placement.
	// It does not have to exist. Its replicas and resource requests are interpreted as
	// Karmada's resource interpreter would; its annotations (for example
	// latency.kurator.dev/peers) are read by the plugins.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:EmbeddedResource
	Resource *runtime.RawExtension `json:"resource,omitempty"`
	// Placement is the Karmada placement (as in a PropagationPolicy's spec.placement) to
	// review spec.resource with. Required with spec.resource; forbidden with
	// spec.resourceBinding.
	// +optional
	Placement *policyv1alpha1.Placement `json:"placement,omitempty"`
	// SchedulerName selects the scheduler profile that evaluates the workload, as
	// spec.schedulerName of a PropagationPolicy does. Defaults to the binding's scheduler for
	// spec.resourceBinding and to "default-scheduler" for spec.resource.
	// +optional
	SchedulerName string `json:"schedulerName,omitempty"`
}

// ResourceBindingReference names a ResourceBinding.
type ResourceBindingReference struct {
	// Namespace of the ResourceBinding: the namespace of its resource template.
	// +required
	Namespace string `json:"namespace"`
	// Name of the ResourceBinding, usually "<template name>-<kind in lower case>".
	// +required
	Name string `json:"name"`
}

// PlacementReviewStatus is the evaluation of every cluster and the placement that results.
type PlacementReviewStatus struct {
	// SchedulerName is the scheduler profile that evaluated the workload.
	// +optional
	SchedulerName string `json:"schedulerName,omitempty"`
	// Replicas is the number of replicas the workload asks for, as Karmada's resource
	// interpreter reads them from the template (0 for workloads without replicas).
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// Clusters is the evaluation of every cluster the scheduler considered, sorted by name.
	// +optional
	// +listType=map
	// +listMapKey=name
	Clusters []ClusterEvaluation `json:"clusters,omitempty"`
	// SelectedClusters are the clusters the workload would be placed in, with the replicas
	// each would get; empty when no cluster is feasible.
	// +optional
	// +listType=map
	// +listMapKey=name
	SelectedClusters []SelectedCluster `json:"selectedClusters,omitempty"`
	// Notes explain how current the data behind the answer was (for example "telemetry
	// stale: ClusterUtilization gave the neutral score") and anything else that qualifies it.
	// +optional
	// +listType=atomic
	Notes []string `json:"notes,omitempty"`
	// EvaluationTime is when the evaluation ran.
	// +optional
	EvaluationTime *metav1.Time `json:"evaluationTime,omitempty"`
}

// ClusterEvaluation is the evaluation of one cluster.
type ClusterEvaluation struct {
	// Name is the Karmada cluster name.
	// +required
	Name string `json:"name"`
	// Feasible is true when every filter plugin accepted the cluster.
	// +required
	Feasible bool `json:"feasible"`
	// Filters are the verdicts of the filter plugins that ran, in profile order. The
	// scheduler stops at the first rejection, so plugins after it are not listed.
	// +optional
	// +listType=atomic
	Filters []FilterVerdict `json:"filters,omitempty"`
	// Scores are the scores of the score plugins, in profile order; only feasible clusters
	// are scored.
	// +optional
	// +listType=atomic
	Scores []PluginScore `json:"scores,omitempty"`
	// TotalScore is the sum of the weighted scores: the cluster's rank among the feasible
	// clusters (scores only order clusters; they decide the outcome under spread constraints).
	// +required
	TotalScore int64 `json:"totalScore"`
	// Estimates are the replica estimates of each estimator for the cluster.
	// +optional
	// +listType=atomic
	Estimates []ReplicaEstimate `json:"estimates,omitempty"`
	// EstimatedReplicas is the smallest estimate among the estimators that had an opinion
	// (Karmada takes the minimum); absent when none had one.
	// +optional
	EstimatedReplicas *int32 `json:"estimatedReplicas,omitempty"`
}

// FilterVerdict is one filter plugin's verdict on a cluster.
type FilterVerdict struct {
	// Plugin is the plugin's name in the profile, for example ClusterAffinity or
	// ClusterUtilization.
	// +required
	Plugin string `json:"plugin"`
	// Passed is true when the plugin accepted the cluster.
	// +required
	Passed bool `json:"passed"`
	// Reason says why the plugin rejected the cluster, or what it could not check (for
	// example stale telemetry) when it let the cluster pass.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// PluginScore is one score plugin's score of a cluster.
type PluginScore struct {
	// Plugin is the plugin's name in the profile.
	// +required
	Plugin string `json:"plugin"`
	// Score is the plugin's score of the cluster, 0 to 100 (after normalization).
	// +required
	Score int64 `json:"score"`
	// Weight is the plugin's weight in the profile (1 unless the profile says otherwise).
	// +required
	Weight int64 `json:"weight"`
	// WeightedScore is score times weight, the plugin's share of totalScore.
	// +required
	WeightedScore int64 `json:"weightedScore"`
	// Neutral is true when the plugin could not judge the cluster (missing or stale data)
	// and gave it the neutral score, which changes no cluster's rank.
	// +optional
	Neutral bool `json:"neutral,omitempty"`
	// Reasons explain the score in words.
	// +optional
	// +listType=atomic
	Reasons []string `json:"reasons,omitempty"`
}

// ReplicaEstimate is one estimator's answer for a cluster.
type ReplicaEstimate struct {
	// Estimator names the estimator: "general" (Karmada's estimator over the Cluster's
	// status.resourceSummary) or "scheduler-estimator" (the member's scheduler-estimator
	// gRPC service, when one is registered).
	// +required
	Estimator string `json:"estimator"`
	// Replicas is how many replicas (or, for multi-component workloads, complete component
	// sets) the estimator says fit in the cluster now; -1 means no opinion.
	// +required
	Replicas int32 `json:"replicas"`
	// Reason explains the estimate, or why the estimator had no opinion.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// Estimator names.
const (
	// EstimatorGeneral is Karmada's general estimator over the Cluster's resource summary.
	EstimatorGeneral = "general"
	// EstimatorSchedulerEstimator is the scheduler-estimator gRPC service of the member.
	EstimatorSchedulerEstimator = "scheduler-estimator"
)

// SelectedCluster is a cluster the workload would be placed in.
type SelectedCluster struct {
	// Name is the Karmada cluster name.
	// +required
	Name string `json:"name"`
	// Replicas is the number of replicas the cluster would get (0 for workloads without
	// replicas, which are placed whole).
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
}
