// +k8s:openapi-gen=true
// +k8s:openapi-model-package=dev.kurator.batch.v1alpha1
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=kurator.dev/kurator/pkg/apis/batch
// +k8s:defaulter-gen=TypeMeta
// +groupName=batch.kurator.dev

// Package v1alpha1 is version v1alpha1 of the batch.kurator.dev API group: FleetQueue, a
// queue of the fleet's batch jobs with its priority, share, capacity, deadline and
// preemption policy, and BatchJob, a computed, read-only view of each Volcano Job submitted
// to Karmada, the way squeue shows a cluster's queue.
package v1alpha1
