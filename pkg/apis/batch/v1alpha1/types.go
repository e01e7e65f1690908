package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// FleetQueue is a queue of the fleet's batch jobs. Volcano Jobs submitted to the Karmada
// apiserver join a fleet queue (annotation batch.kurator.dev/queue, else the fleet's
// spec.batch.defaultQueue); kurator's fleet-queue controller dispatches them to members in
// order of queue priority, job priority and deadline slack, within the queue's capability,
// into the Volcano queue the queue maps each member to, and preempts lower-priority
// preemptable jobs when the policy allows and a deadline is at risk. FleetQueue is
// cluster-scoped. Its status counts the queue's jobs and is computed on every read; it is
// never stored.
type FleetQueue struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata. The name must be a DNS subdomain. More info:
	// https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec is the queue's policy.
	// +optional
	Spec FleetQueueSpec `json:"spec"`
	// Status counts the queue's jobs. kurator-apiserver computes it from the Volcano Jobs and
	// ResourceBindings of the Karmada apiserver on every read; it is never stored, and
	// writes to it are ignored.
	// +optional
	Status FleetQueueStatus `json:"status,omitempty"`
}

// FleetQueueSpec is a fleet queue's policy.
type FleetQueueSpec struct {
	// Priority orders queues: every job of a higher-priority queue is dispatched before any
	// job of a lower-priority one. Defaults to 0; may be negative.
	// +optional
	Priority int32 `json:"priority,omitempty"`
	// Weight is the queue's share among queues of equal priority: between otherwise equal
	// jobs, the queue holding less per unit of weight goes first. 1 to 1000; defaults to 1.
	// +optional
	Weight int32 `json:"weight,omitempty"`
	// Capability caps what the queue's dispatched and running jobs request, summed over
	// every member, on each resource it names (for example cpu: "200", nvidia.com/gpu: "16").
	// Resources it does not name are not capped. Quantities must not be negative.
	// +optional
	Capability corev1.ResourceList `json:"capability,omitempty"`
	// Guarantee is what the queue keeps fleet-wide: its jobs are not preempted for another
	// queue's deadline if the queue would then hold less than this on a resource it names.
	// Each quantity must not exceed the capability of the same resource.
	// +optional
	Guarantee corev1.ResourceList `json:"guarantee,omitempty"`
	// Deadline is the deadline and dispatch policy. Every field has a default.
	// +optional
	Deadline DeadlinePolicy `json:"deadline,omitempty"`
	// Preemption says whether the queue's jobs may preempt others to meet their deadlines.
	// Every field has a default.
	// +optional
	Preemption PreemptionPolicy `json:"preemption,omitempty"`
	// VolcanoQueues maps members to the Volcano queue the queue's jobs are put in there: an
	// entry for a Karmada cluster name applies to that member, the entry "*" to every other
	// member. The queue's jobs never go to a member that no entry covers. Defaults to
	// [{cluster: "*", queue: "default"}]: every member's default Volcano queue.
	// +optional
	// +listType=map
	// +listMapKey=cluster
	VolcanoQueues []VolcanoQueueMapping `json:"volcanoQueues,omitempty"`
}

// VolcanoQueueFor returns the Volcano queue of the fleet queue in a member: the entry that
// names the member, else the "*" entry. It returns false when neither exists: the fleet
// queue's jobs do not go to that member.
func (s *FleetQueueSpec) VolcanoQueueFor(cluster string) (string, bool) {
	wildcard, found := "", false
	for _, m := range s.VolcanoQueues {
		switch m.Cluster {
		case cluster:
			return m.Queue, true
		case AllClusters:
			wildcard, found = m.Queue, true
		}
	}
	return wildcard, found
}

// AllClusters is the cluster of a Volcano queue mapping that covers every member not named
// by another entry.
const AllClusters = "*"

// DefaultVolcanoQueue is the Volcano queue every member has.
const DefaultVolcanoQueue = "default"

// DeadlinePolicy says how a fleet queue treats deadlines and dispatches.
type DeadlinePolicy struct {
	// SlackThreshold is the slack (deadline minus now minus remaining runtime) below which a
	// queued job's deadline is at risk: if no member can start it in time, it may preempt
	// (when spec.preemption.policy allows). Defaults to 10m; must not be negative.
	// +optional
	SlackThreshold *metav1.Duration `json:"slackThreshold,omitempty"`
	// DispatchTimeout is how long a job may stay dispatched without running (Volcano has not
	// admitted it in the member) before it is requeued with backoff. Defaults to 3m; must be
	// positive.
	// +optional
	DispatchTimeout *metav1.Duration `json:"dispatchTimeout,omitempty"`
	// Backoff bounds the delay before a requeued job is dispatched again.
	// +optional
	Backoff BackoffPolicy `json:"backoff,omitempty"`
}

// BackoffPolicy is an exponential backoff: base, 2×base, 4×base, ... up to max.
type BackoffPolicy struct {
	// Base is the delay after the first requeue. Defaults to 30s; must be positive.
	// +optional
	Base *metav1.Duration `json:"base,omitempty"`
	// Max is the longest delay. Defaults to 10m; must be at least base.
	// +optional
	Max *metav1.Duration `json:"max,omitempty"`
}

// PreemptionPolicyType says whether a fleet queue's jobs may preempt others.
// +enum
type PreemptionPolicyType string

const (
	// PreemptNever never preempts running jobs for this queue's jobs.
	PreemptNever PreemptionPolicyType = "Never"
	// PreemptLowerPriority may preempt running preemptable jobs of lower priority when a
	// job's deadline is at risk.
	PreemptLowerPriority PreemptionPolicyType = "LowerPriority"
)

// PreemptionPolicy says whether and when a fleet queue's jobs may preempt others.
type PreemptionPolicy struct {
	// Policy is "Never" (the default) or "LowerPriority": a job whose deadline is at risk
	// may then evict running jobs of lower priority that are preemptable (annotation
	// volcano.sh/preemptable is not "false") and past their cooldown; they return to the
	// fleet queue.
	// +optional
	Policy PreemptionPolicyType `json:"policy,omitempty"`
	// Cooldown is how long a job must have run since it last started, and since it was last
	// preempted, before it may be preempted. Defaults to 5m; must not be negative.
	// +optional
	Cooldown *metav1.Duration `json:"cooldown,omitempty"`
}

// VolcanoQueueMapping maps a member, or every member, to a Volcano queue.
type VolcanoQueueMapping struct {
	// Cluster is a Karmada cluster name, or "*" for every member no other entry names.
	// +required
	Cluster string `json:"cluster"`
	// Queue is the name of the Volcano queue (scheduling.volcano.sh/v1beta1 Queue) in that
	// member, a DNS subdomain.
	// +required
	Queue string `json:"queue"`
}

// FleetQueueStatus counts a fleet queue's jobs, computed on every read.
type FleetQueueStatus struct {
	// QueuedJobs is the number of the queue's jobs waiting to be dispatched.
	// +optional
	QueuedJobs int32 `json:"queuedJobs"`
	// DispatchedJobs is the number of the queue's jobs dispatched to a member and not
	// running yet.
	// +optional
	DispatchedJobs int32 `json:"dispatchedJobs"`
	// RunningJobs is the number of the queue's running jobs.
	// +optional
	RunningJobs int32 `json:"runningJobs"`
	// Conditions are the queue's conditions. "JobsCounted" is always present: False with
	// reason JobInformationUnavailable while kurator-apiserver cannot read the Volcano Jobs
	// and ResourceBindings of the Karmada apiserver (the counts are then zero and unknown).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// FleetQueueConditionJobsCounted says whether the job counts are known.
const FleetQueueConditionJobsCounted = "JobsCounted"

// Reasons of the JobsCounted condition.
const (
	// ReasonJobsCounted means the counts cover every batch job.
	ReasonJobsCounted = "JobsCounted"
	// ReasonJobInformationUnavailable means the server cannot read the batch jobs yet.
	ReasonJobInformationUnavailable = "JobInformationUnavailable"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// FleetQueueList is a list of FleetQueues.
type FleetQueueList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata. More info:
	// https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the fleet queues.
	Items []FleetQueue `json:"items"`
}

// +genclient
// +genclient:onlyVerbs=get,list
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// BatchJob is the fleet queue's view of one Volcano Job (batch.volcano.sh/v1alpha1 Job)
// submitted to the Karmada apiserver, in the same namespace and with the same name: its
// fleet queue, priority, deadline and live slack, predicted start and finish, the member
// it was dispatched to, its state and why. kurator-apiserver computes it on every read from
// the Volcano Job, its ResourceBinding (and the decisions the fleet-queue controller records
// there), the FleetQueues, the fleets' batch defaults and the PriorityClasses of the
// Karmada apiserver; it is never stored and cannot be written.
type BatchJob struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata: the Volcano Job's name, namespace, labels and creation time.
	// More info:
	// https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Status is the job's place in the fleet queue, computed when the object is read.
	// +optional
	Status BatchJobStatus `json:"status,omitempty"`
}

// BatchJobState is where a job is in the fleet queue.
// +enum
type BatchJobState string

const (
	// BatchJobQueued jobs wait in the fleet queue (their binding's scheduling is suspended).
	BatchJobQueued BatchJobState = "Queued"
	// BatchJobDispatched jobs were released to a member and are not running yet.
	BatchJobDispatched BatchJobState = "Dispatched"
	// BatchJobRunning jobs run in a member.
	BatchJobRunning BatchJobState = "Running"
	// BatchJobSucceeded jobs completed.
	BatchJobSucceeded BatchJobState = "Succeeded"
	// BatchJobFailed jobs failed, were aborted or terminated.
	BatchJobFailed BatchJobState = "Failed"
	// BatchJobRejected jobs cannot be queued as they are; reason and message say what to change.
	BatchJobRejected BatchJobState = "Rejected"
)

// BatchJobStatus is a job's place in the fleet queue.
type BatchJobStatus struct {
	// Queue is the job's fleet queue: annotation batch.kurator.dev/queue of the Volcano Job,
	// else spec.batch.defaultQueue of the first fleet (by name) that sets one.
	// +optional
	Queue string `json:"queue,omitempty"`
	// PriorityClassName is the job's PriorityClass: spec.priorityClassName of the Volcano Job,
	// else the fleet's spec.batch.defaultPriorityClassName, else the PriorityClass marked
	// globalDefault in the Karmada apiserver.
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`
	// Priority is the value of the PriorityClass, 0 without one (or when it does not exist,
	// which warnings then say).
	// +required
	Priority int32 `json:"priority"`
	// Preemptable is false when annotation volcano.sh/preemptable of the Volcano Job is
	// "false": the job is then never preempted.
	// +required
	Preemptable bool `json:"preemptable"`
	// Deadline is when the job must have finished (annotation batch.kurator.dev/deadline).
	// +optional
	Deadline *metav1.Time `json:"deadline,omitempty"`
	// RunningEstimate is the job's runtime estimate (spec.runningEstimate of the Volcano Job).
	// +optional
	RunningEstimate *metav1.Duration `json:"runningEstimate,omitempty"`
	// Slack is, at the time of the read, deadline minus now minus the remaining runtime (the
	// runtime estimate, less what a running job has already run). Negative slack means the
	// deadline will be missed if the estimate holds. Absent without a deadline and for
	// finished or rejected jobs.
	// +optional
	Slack *metav1.Duration `json:"slack,omitempty"`
	// State is where the job is: Queued, Dispatched, Running, Succeeded, Failed or Rejected.
	// +required
	State BatchJobState `json:"state"`
	// Reason is a CamelCase reason for the state, from the fleet-queue controller or, for
	// states kurator-apiserver derives itself, one of NoQueue, UnknownQueue, InvalidDeadline,
	// WaitingForResourceBinding, WaitingForDispatch, Scheduling and Scheduled.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message explains the state and, for a rejected job, what to change.
	// +optional
	Message string `json:"message,omitempty"`
	// Cluster is the member the job was dispatched to or runs in.
	// +optional
	Cluster string `json:"cluster,omitempty"`
	// Attempts is how many times the job was dispatched.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// DispatchedAt is when the job was last dispatched.
	// +optional
	DispatchedAt *metav1.Time `json:"dispatchedAt,omitempty"`
	// NextAttemptAt is when a requeued job may be dispatched again (backoff).
	// +optional
	NextAttemptAt *metav1.Time `json:"nextAttemptAt,omitempty"`
	// PredictedStart is when the fleet-queue controller predicts a queued or dispatched job
	// to start.
	// +optional
	PredictedStart *metav1.Time `json:"predictedStart,omitempty"`
	// PredictedFinish is when the job is predicted to finish: the controller's prediction,
	// else, for a running job, its start plus its runtime estimate.
	// +optional
	PredictedFinish *metav1.Time `json:"predictedFinish,omitempty"`
	// StartTime is when the job last started running.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// CompletionTime is when the job succeeded or failed.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// ResourceBinding is the name of the job's ResourceBinding in its namespace; empty until
	// Karmada creates it.
	// +optional
	ResourceBinding string `json:"resourceBinding,omitempty"`
	// VolcanoPhase is status.state.phase of the Volcano Job in the Karmada apiserver, as
	// Karmada aggregates it from the member.
	// +optional
	VolcanoPhase string `json:"volcanoPhase,omitempty"`
	// Warnings are problems with the job's inputs that do not stop it, each saying what to
	// change: an unknown PriorityClass, a deadline already passed, a malformed annotation.
	// +optional
	// +listType=atomic
	Warnings []string `json:"warnings,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// BatchJobList is a list of BatchJobs.
type BatchJobList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata. More info:
	// https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the batch jobs, sorted by namespace and name.
	Items []BatchJob `json:"items"`
}
