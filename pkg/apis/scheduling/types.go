//nolint:revive // The types keep their Kind prefix (scheduling.PlacementReviewSpec), as in every Kubernetes API group, so that they pair with the versioned types for conversion-gen.
package scheduling

import (
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// PlacementReview asks where kurator-scheduler would place a workload and why. Creating one
// returns it with its status computed; nothing is stored.
type PlacementReview struct {
	metav1.TypeMeta `json:",inline"`
	// ObjectMeta is the standard object metadata; nothing in it is required.
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec is the workload to review.
	Spec PlacementReviewSpec `json:"spec"`
	// Status is the review's answer.
	Status PlacementReviewStatus `json:"status,omitempty"`
}

// PlacementReviewSpec names the workload to review: an existing ResourceBinding, or a
// resource template with a placement.
type PlacementReviewSpec struct {
	// ResourceBinding is an existing Karmada ResourceBinding to review.
	ResourceBinding *ResourceBindingReference `json:"resourceBinding,omitempty"`
	// Resource is a resource template to review as if it were propagated with Placement.
	Resource *runtime.RawExtension `json:"resource,omitempty"`
	// Placement is the placement of Resource.
	Placement *policyv1alpha1.Placement `json:"placement,omitempty"`
	// SchedulerName selects the scheduler profile that evaluates the workload.
	SchedulerName string `json:"schedulerName,omitempty"`
}

// ResourceBindingReference names a ResourceBinding.
type ResourceBindingReference struct {
	// Namespace of the ResourceBinding.
	Namespace string `json:"namespace"`
	// Name of the ResourceBinding.
	Name string `json:"name"`
}

// PlacementReviewStatus is the evaluation of every cluster and the resulting placement.
type PlacementReviewStatus struct {
	// SchedulerName is the scheduler profile that evaluated the workload.
	SchedulerName string `json:"schedulerName,omitempty"`
	// Replicas is the number of replicas the workload asks for.
	Replicas int32 `json:"replicas,omitempty"`
	// Clusters is the evaluation of every cluster.
	Clusters []ClusterEvaluation `json:"clusters,omitempty"`
	// SelectedClusters are the clusters that would be chosen, with their replicas.
	SelectedClusters []SelectedCluster `json:"selectedClusters,omitempty"`
	// Notes explain how current the data behind the answer was and what else to know.
	Notes []string `json:"notes,omitempty"`
	// EvaluationTime is when the evaluation ran.
	EvaluationTime *metav1.Time `json:"evaluationTime,omitempty"`
}

// ClusterEvaluation is the evaluation of one cluster.
type ClusterEvaluation struct {
	// Name is the Karmada cluster name.
	Name string `json:"name"`
	// Feasible is true when every filter plugin accepted the cluster.
	Feasible bool `json:"feasible"`
	// Filters are the verdicts of the filter plugins.
	Filters []FilterVerdict `json:"filters,omitempty"`
	// Scores are the scores of the score plugins.
	Scores []PluginScore `json:"scores,omitempty"`
	// TotalScore is the sum of the weighted scores.
	TotalScore int64 `json:"totalScore"`
	// Estimates are the replica estimates of each estimator.
	Estimates []ReplicaEstimate `json:"estimates,omitempty"`
	// EstimatedReplicas is the smallest estimate of the estimators that had an opinion.
	EstimatedReplicas *int32 `json:"estimatedReplicas,omitempty"`
}

// FilterVerdict is one filter plugin's verdict on a cluster.
type FilterVerdict struct {
	// Plugin is the plugin name.
	Plugin string `json:"plugin"`
	// Passed is true when the plugin accepted the cluster.
	Passed bool `json:"passed"`
	// Reason says why.
	Reason string `json:"reason,omitempty"`
}

// PluginScore is one score plugin's score of a cluster.
type PluginScore struct {
	// Plugin is the plugin name.
	Plugin string `json:"plugin"`
	// Score is the plugin's score, 0 to 100.
	Score int64 `json:"score"`
	// Weight is the plugin's weight in the profile.
	Weight int64 `json:"weight"`
	// WeightedScore is Score times Weight.
	WeightedScore int64 `json:"weightedScore"`
	// Neutral is true when the plugin lacked data and gave the neutral score.
	Neutral bool `json:"neutral,omitempty"`
	// Reasons explain the score.
	Reasons []string `json:"reasons,omitempty"`
}

// ReplicaEstimate is one estimator's answer for a cluster.
type ReplicaEstimate struct {
	// Estimator names the estimator.
	Estimator string `json:"estimator"`
	// Replicas is the estimate; -1 means no opinion.
	Replicas int32 `json:"replicas"`
	// Reason explains the estimate.
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
	Name string `json:"name"`
	// Replicas is the number of replicas the cluster would get.
	Replicas int32 `json:"replicas,omitempty"`
}
