// +k8s:deepcopy-gen=package
// +groupName=telemetry.kurator.dev

// Package telemetry is the internal (unversioned) form of the telemetry.kurator.dev API
// group: ClusterTelemetry, a computed, read-only view of each Karmada member cluster's
// utilization and mesh latency as kurator reads them from Thanos. Clients use the versioned
// types in the v1alpha1 package.
package telemetry
