// +k8s:openapi-gen=true
// +k8s:openapi-model-package=dev.kurator.telemetry.v1alpha1
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=kurator.dev/kurator/pkg/apis/telemetry
// +groupName=telemetry.kurator.dev

// Package v1alpha1 is version v1alpha1 of the telemetry.kurator.dev API group: the
// ClusterTelemetry kind, a computed, read-only view of each Karmada member cluster's
// utilization and mesh latency, in the manner of metrics.k8s.io.
package v1alpha1
