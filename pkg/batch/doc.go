// Package batch is the pure core of kurator's fleet queue: the order in which Volcano
// Jobs submitted to Karmada are released to member clusters, the choice of member, the
// deadline preemption plan, requeue and backoff, start predictions and input validation.
//
// It has no client, clock or network. A controller wraps it:
//
//   - JobFromVolcano turns each Volcano Job template into a Job, DecodeState adds the state
//     kept on its ResourceBinding's annotations; Validate may reject a job at admission.
//   - Each member's informers feed a Model (a pkg/estimator Store plus the index that
//     answers "what if these jobs were gone"); Model.Member gives the core its view.
//   - Every cycle the controller calls Schedule with an Input (time is an input) and a
//     long-lived Memo, then applies the Decision: Releases clear the binding's
//     spec.suspension.scheduling and pin it with AnnotationCluster; Evictions and
//     Requeues unschedule bindings (the jobs return to the queue); ApplyRelease,
//     ApplyRunning, ApplyEviction and ApplyRequeue are the matching state transitions,
//     recorded with EncodeState so that a restarted controller rebuilds the same Input.
//   - Statuses (reason, message, slack, position) and Predict (start and finish) feed the
//     batch jobs' read-only view.
//
// # Dispatch
//
// A queued job is released only when some member can start it now: every task's
// minAvailable pods fit the nodes at once (gang) and the member's Volcano queue admits
// the PodGroup (real capability, overcommit, deserved share), per pkg/estimator, counting
// work released to the member that it does not show yet. A release that would leave an
// earlier in-flight job unable to start there (the proportion plugin shrinks a queue's
// share when another queue asks for more) is not made. Room a member's own Volcano
// preempt/reclaim could make is not counted: Volcano would choose victims by its rules,
// not the fleet's. Among members that can start the job the tightest fit wins (fewest
// copies of the job would fit), so that large holes stay open for large jobs; the fleet
// queue's Capability caps what its jobs hold across members.
//
// # Backfill
//
// Jobs are walked in order (Order) and a job that cannot start does not by itself stop
// later ones (BackfillReserve, the default). What protects it is a reservation: a blocked
// job with a deadline, or one that has waited Policy.StarvationAge, reserves the member
// and time at which it is predicted to fit once running work ends as estimated; a later
// job may start on that member now only if its runtime estimate ends before the reserved
// time or the reserved job would still fit beside it then. So backfill never delays a
// deadline job's predicted start, and a large job without a deadline is overtaken for at
// most StarvationAge. BackfillStrict releases nothing of a queue past its first blocked
// job; BackfillGreedy reserves nothing.
//
// # Deadline preemption
//
// A queued job whose slack (deadline - now - runtime) is below its fleet queue's
// SlackThreshold, whose queue allows preemption, that no member can start now and whose
// predicted start would miss the deadline gets a plan (PlanPreemption): one member and the
// fewest victims (then the least lost work) after whose eviction it starts there now.
// Victims are strictly lower in priority, preemptable, past their cooldown, leave their
// queues at or above guarantee and still meet their own deadlines after restarting from
// scratch. The victims are evicted and the job released to that member in the same
// cycle; the victims return to the fleet queue.
package batch
