// +k8s:openapi-gen=true
// +k8s:openapi-model-package=dev.kurator.fleet.v1alpha1
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=kurator.dev/kurator/pkg/apis/fleet
// +k8s:defaulter-gen=TypeMeta
// +groupName=fleet.kurator.dev

// Package v1alpha1 is version v1alpha1 of the fleet.kurator.dev API group: the Fleet kind,
// a set of Karmada member clusters that kurator treats as one distributed cloud.
package v1alpha1
