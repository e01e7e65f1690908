// Package estimator is kurator's Volcano admission model: given what a member cluster holds
// (Nodes, Pods, Volcano Queues and PodGroups) it answers how many complete copies of a
// workload the member can start now, and why not more.
//
// The package is pure: no client, clock or network. Callers feed Kubernetes and Volcano
// objects into a Store (incrementally, as informers deliver them), take an immutable
// Snapshot, and ask it for an Estimate. The gRPC server in pkg/estimator/server and the
// fleet queue in pkg/batch are both thin layers around this model.
//
// An Estimate is the minimum of independent gates, each reproducing what Volcano v1.14
// (or, for node fit, Karmada's scheduler-estimator) decides:
//
//   - GateQueueState: the queue must be Open (proportion and capacity reject otherwise).
//   - GateQueueCapability: the enqueue check of the proportion and capacity plugins,
//     minResources + allocated + inqueue - elastic <= realCapability, where
//     realCapability = min((total - sum(guarantee))+ + guarantee, capability).
//   - GateOvercommit: the enqueue check of the overcommit plugin,
//     inqueue(all queues) + minResources <= total*factor - used.
//   - GateQueueAllocate: the allocate check: allocated + the gang's requests must stay
//     within the queue's deserved share (proportion, weighted water-fill) or its real
//     capability (capacity).
//   - GateNodes: node fit of complete gangs (requests vs allocatable minus the requests of
//     non-terminal pods, pod count, taints and tolerations, nodeSelector and required node
//     affinity), counting capacity held by lower-priority preemptable pods only when the
//     member runs Volcano's preempt or reclaim action.
//
// k copies of a gang are admitted when the k-th copy passes every gate after the first
// k-1 were enqueued, exactly as Volcano's enqueue action admits jobs one by one.
//
// # Using the model
//
// Per member:
//
//	store := estimator.NewStore(cfg)          // cfg: DefaultConfig() adjusted to the member
//	store.UpsertNode(n); store.UpsertPod(p)   // ... Queues, PodGroups, PriorityClasses, Namespaces
//	store.SetSynced(true)
//	snap := store.Snapshot()                  // immutable, cheap to rebuild after changes
//	est := snap.Estimate(estimator.VolcanoJobRequest(job, priorityOf))
//	// est.Sets, est.SetsWithoutPreemption, est.Gate, est.Limits, est.Reason()
//
// Estimate takes a Request (components with replicas, requests and node restrictions; the
// queue, priority, minResources and in-flight workloads) and returns an Estimate: the
// number of complete sets, the same without preemption, the binding Gate and every gate's
// Limit with a message. It never fails; Unknown (-1) means it cannot tell.
//
// The pieces are usable alone: PodGroupMinResources and GangComposition reproduce the job
// controller's minResources; QueueModel (NewQueueModel from plain QueueInfo structs, or
// Snapshot.QueueModel) evaluates the queue gates with Admit and reports each queue's real
// capability, deserved share and headroom with Queue and Queues.
//
// # Where the model is not Volcano
//
//   - Jobs already waiting in the queue (PodGroups still Pending) are not counted ahead of
//     the workload: Volcano enqueues by job order each session, and a blocked large job
//     does not block smaller ones.
//   - Gangs are packed like Karmada's estimator packs component sets (first fit, set after
//     set, nodes by name); the vc-scheduler's node order and scoring may pack differently.
//   - Preempt and reclaim victims are counted per node and per (queue, priority) group:
//     reclaim takes victims from a queue while it stays above its deserved share, by group
//     rather than pod by pod; Volcano's tier-by-tier victim vote is reduced to the gang rule
//     (keep minAvailable when the gang plugin votes) plus priority and conformance.
//   - Hierarchical queues (capacity plugin with hierarchy enabled) are not modelled.
//   - Assumed (in-flight) workloads are deducted even if their PodGroups are already
//     visible, which can count them twice for a moment (Karmada's estimator deducts only
//     what still fits on nodes).
package estimator
