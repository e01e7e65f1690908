// +k8s:deepcopy-gen=package
// +groupName=fleet.kurator.dev

// Package fleet is the internal (unversioned) form of the fleet.kurator.dev API group:
// the types kurator-apiserver validates, stores and computes status for. Clients use
// the versioned types in the v1alpha1 package.
package fleet
