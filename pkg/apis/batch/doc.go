// +k8s:deepcopy-gen=package
// +groupName=batch.kurator.dev

// Package batch is the internal (unversioned) form of the batch.kurator.dev API group:
// FleetQueue, a stored queue of the fleet's batch jobs, and BatchJob, a computed, read-only
// view of each Volcano Job submitted to Karmada. It also holds the annotation keys and
// values the fleet-queue controller, the BatchJob view and users share. Clients use the
// versioned types in the v1alpha1 package.
package batch
