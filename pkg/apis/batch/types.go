//nolint:revive // The types keep their Kind prefix (batch.FleetQueueSpec), as in every Kubernetes API group, so that they pair with the versioned types for conversion-gen.
package batch

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// FleetQueue is a queue of the fleet's batch jobs: it orders the Volcano Jobs submitted to
// it and caps what they hold across all members. Its status is computed from the batch jobs
// on every read and is never stored.
type FleetQueue struct {
	metav1.TypeMeta `json:",inline"`
	// ObjectMeta is the standard object metadata.
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec is the queue's policy.
	Spec FleetQueueSpec `json:"spec"`
	// Status counts the queue's jobs, computed on every read.
	Status FleetQueueStatus `json:"status,omitempty"`
}

// FleetQueueSpec is a fleet queue's policy.
type FleetQueueSpec struct {
	// Priority orders queues: higher first.
	Priority int32 `json:"priority,omitempty"`
	// Weight is the queue's share among queues of equal priority.
	Weight int32 `json:"weight,omitempty"`
	// Capability caps what the queue's dispatched and running jobs hold fleet-wide.
	Capability corev1.ResourceList `json:"capability,omitempty"`
	// Guarantee is what the queue keeps fleet-wide when others preempt.
	Guarantee corev1.ResourceList `json:"guarantee,omitempty"`
	// Deadline is the deadline policy.
	Deadline DeadlinePolicy `json:"deadline,omitempty"`
	// Preemption is the preemption policy.
	Preemption PreemptionPolicy `json:"preemption,omitempty"`
	// VolcanoQueues maps members to the Volcano queue the queue's jobs use there.
	VolcanoQueues []VolcanoQueueMapping `json:"volcanoQueues,omitempty"`
}

// DeadlinePolicy says how the queue treats deadlines and dispatches.
type DeadlinePolicy struct {
	// SlackThreshold is the slack below which a job's deadline is at risk.
	SlackThreshold *metav1.Duration `json:"slackThreshold,omitempty"`
	// DispatchTimeout is how long a dispatched job may take to run before it is requeued.
	DispatchTimeout *metav1.Duration `json:"dispatchTimeout,omitempty"`
	// Backoff bounds the delay before a requeued job is dispatched again.
	Backoff BackoffPolicy `json:"backoff,omitempty"`
}

// BackoffPolicy is an exponential backoff.
type BackoffPolicy struct {
	// Base is the first delay.
	Base *metav1.Duration `json:"base,omitempty"`
	// Max is the longest delay.
	Max *metav1.Duration `json:"max,omitempty"`
}

// PreemptionPolicyType says whether a queue's jobs may preempt others.
type PreemptionPolicyType string

const (
	// PreemptNever never preempts.
	PreemptNever PreemptionPolicyType = "Never"
	// PreemptLowerPriority may preempt preemptable jobs of lower priority.
	PreemptLowerPriority PreemptionPolicyType = "LowerPriority"
)

// PreemptionPolicy says whether and how often a queue's jobs may preempt others.
type PreemptionPolicy struct {
	// Policy is Never or LowerPriority.
	Policy PreemptionPolicyType `json:"policy,omitempty"`
	// Cooldown is how long a job runs before it may be preempted.
	Cooldown *metav1.Duration `json:"cooldown,omitempty"`
}

// VolcanoQueueMapping maps a member (or every member) to a Volcano queue.
type VolcanoQueueMapping struct {
	// Cluster is a Karmada cluster name or "*".
	Cluster string `json:"cluster"`
	// Queue is the Volcano queue name in that member.
	Queue string `json:"queue"`
}

// FleetQueueStatus counts a queue's jobs.
type FleetQueueStatus struct {
	// QueuedJobs is the number of jobs waiting in the queue.
	QueuedJobs int32 `json:"queuedJobs"`
	// DispatchedJobs is the number of jobs dispatched to a member and not running yet.
	DispatchedJobs int32 `json:"dispatchedJobs"`
	// RunningJobs is the number of running jobs.
	RunningJobs int32 `json:"runningJobs"`
	// Conditions are the queue's conditions.
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// FleetQueueConditionJobsCounted says whether the counts are known.
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
	// ListMeta is the standard list metadata.
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the queues.
	Items []FleetQueue `json:"items"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// BatchJob is the fleet queue's view of one Volcano Job submitted to Karmada, computed on
// every read. It is never stored.
type BatchJob struct {
	metav1.TypeMeta `json:",inline"`
	// ObjectMeta is the standard object metadata; name and namespace are the Volcano Job's.
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Status is the job's place in the fleet queue.
	Status BatchJobStatus `json:"status,omitempty"`
}

// BatchJobState is where a job is in the fleet queue.
type BatchJobState string

const (
	// BatchJobQueued jobs wait in the fleet queue.
	BatchJobQueued BatchJobState = "Queued"
	// BatchJobDispatched jobs were released to a member and are not running yet.
	BatchJobDispatched BatchJobState = "Dispatched"
	// BatchJobRunning jobs run in a member.
	BatchJobRunning BatchJobState = "Running"
	// BatchJobSucceeded jobs completed.
	BatchJobSucceeded BatchJobState = "Succeeded"
	// BatchJobFailed jobs failed.
	BatchJobFailed BatchJobState = "Failed"
	// BatchJobRejected jobs cannot be queued as they are.
	BatchJobRejected BatchJobState = "Rejected"
)

// BatchJobStatus is a job's place in the fleet queue.
type BatchJobStatus struct {
	// Queue is the job's fleet queue.
	Queue string `json:"queue,omitempty"`
	// PriorityClassName is the job's priority class.
	PriorityClassName string `json:"priorityClassName,omitempty"`
	// Priority is the value of the priority class.
	Priority int32 `json:"priority"`
	// Preemptable says whether the job may be preempted.
	Preemptable bool `json:"preemptable"`
	// Deadline is when the job must have finished.
	Deadline *metav1.Time `json:"deadline,omitempty"`
	// RunningEstimate is the job's runtime estimate.
	RunningEstimate *metav1.Duration `json:"runningEstimate,omitempty"`
	// Slack is deadline minus now minus the remaining runtime.
	Slack *metav1.Duration `json:"slack,omitempty"`
	// State is where the job is.
	State BatchJobState `json:"state"`
	// Reason is a CamelCase reason for the state.
	Reason string `json:"reason,omitempty"`
	// Message explains the state.
	Message string `json:"message,omitempty"`
	// Cluster is the member the job was dispatched to.
	Cluster string `json:"cluster,omitempty"`
	// Attempts is how many times the job was dispatched.
	Attempts int32 `json:"attempts,omitempty"`
	// DispatchedAt is when the job was last dispatched.
	DispatchedAt *metav1.Time `json:"dispatchedAt,omitempty"`
	// NextAttemptAt is when a requeued job may be dispatched again.
	NextAttemptAt *metav1.Time `json:"nextAttemptAt,omitempty"`
	// PredictedStart is when the job is predicted to start.
	PredictedStart *metav1.Time `json:"predictedStart,omitempty"`
	// PredictedFinish is when the job is predicted to finish.
	PredictedFinish *metav1.Time `json:"predictedFinish,omitempty"`
	// StartTime is when the job started running.
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// CompletionTime is when the job finished.
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// ResourceBinding is the name of the job's ResourceBinding.
	ResourceBinding string `json:"resourceBinding,omitempty"`
	// VolcanoPhase is the phase of the Volcano Job.
	VolcanoPhase string `json:"volcanoPhase,omitempty"`
	// Warnings are problems with the job's inputs that do not stop it.
	Warnings []string `json:"warnings,omitempty"`
}

// Reasons of BatchJob states the view derives itself (the controller's are its own).
const (
	// ReasonNoQueue means the job names no queue and no fleet has a default queue.
	ReasonNoQueue = "NoQueue"
	// ReasonUnknownQueue means the job's queue does not exist.
	ReasonUnknownQueue = "UnknownQueue"
	// ReasonInvalidDeadline means the deadline annotation is not an RFC 3339 time.
	ReasonInvalidDeadline = "InvalidDeadline"
	// ReasonWaitingForResourceBinding means Karmada has not created the job's binding.
	ReasonWaitingForResourceBinding = "WaitingForResourceBinding"
	// ReasonWaitingForDispatch means the binding is suspended and the controller has not decided yet.
	ReasonWaitingForDispatch = "WaitingForDispatch"
	// ReasonScheduling means the binding is not suspended and Karmada is scheduling it.
	ReasonScheduling = "Scheduling"
	// ReasonScheduled means Karmada scheduled the binding without the fleet queue.
	ReasonScheduled = "Scheduled"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// BatchJobList is a list of BatchJobs.
type BatchJobList struct {
	metav1.TypeMeta `json:",inline"`
	// ListMeta is the standard list metadata.
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the jobs.
	Items []BatchJob `json:"items"`
}
