// Package controller is the fleet queue's dispatcher: the controller around the pure core
// of pkg/batch.
//
// It watches the Karmada apiserver (the ResourceBindings the webhook labelled
// batch.kurator.dev/managed, their Volcano Job templates, FleetQueues, Fleets,
// PriorityClasses and Clusters) and every member cluster it can reach (Nodes, Pods,
// Namespaces, PriorityClasses, Volcano Queues and PodGroups, each member feeding one
// batch.Model). Member clients are built from the Karmada Cluster object and its secret
// (spec.apiEndpoint, spec.secretRef with keys token and caBundle) the way Karmada's own
// controllers reach Push-mode members; a member that cannot be reached, or whose caches
// have not synced, is unknown to the core and never chosen, and nothing waits on it.
//
// Each cycle (every interval, and soon after a relevant change) it rebuilds the core's
// Input from the caches alone: every job's state comes from its binding's annotations
// (batch.DecodeState) and what the members show (a dispatched job whose PodGroup is
// Inqueue or Running there is running; one whose Volcano Job finished is finished), so a
// restarted controller carries on where the last one stopped. It then applies the
// Decision of batch.Schedule with one JSON merge patch per binding:
//
//   - a release clears spec.suspension.scheduling and pins the binding to the chosen
//     member with the batch.kurator.dev/cluster annotation (plugins/fleetqueue makes the
//     Karmada scheduler honour it); a binding that was scheduled before also gets
//     spec.rescheduleTriggeredAt, so that Karmada's scheduler schedules it afresh;
//   - an eviction or a requeue sets spec.suspension.scheduling and clears spec.clusters:
//     Karmada removes the Work, the member deletes the Volcano Job, and the template
//     waits in the fleet queue again;
//   - every patch carries the job's state, status and prediction annotations
//     (batch.Annotations) and removes the stale ones. Patches that change what runs
//     where are conditional on the binding's resourceVersion.
//
// Releases, evictions, requeues and rejections are also Kubernetes Events on the Volcano
// Job.
package controller
