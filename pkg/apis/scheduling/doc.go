// +k8s:deepcopy-gen=package
// +groupName=scheduling.kurator.dev

// Package scheduling is the internal (unversioned) form of the scheduling.kurator.dev API
// group: PlacementReview, a create-only review of where kurator-scheduler would place a
// workload and why. Clients use the versioned types in the v1alpha1 package.
package scheduling
