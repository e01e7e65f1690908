// +k8s:openapi-gen=true
// +k8s:openapi-model-package=dev.kurator.scheduling.v1alpha1
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=kurator.dev/kurator/pkg/apis/scheduling
// +groupName=scheduling.kurator.dev

// Package v1alpha1 is version v1alpha1 of the scheduling.kurator.dev API group: the
// PlacementReview kind, a create-only review (like SubjectAccessReview) of where
// kurator-scheduler would place a workload and why.
package v1alpha1
