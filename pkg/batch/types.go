package batch

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"kurator.dev/kurator/pkg/estimator"
)

// JobKey names a batch job: the namespace and name of its Volcano Job (the same in the
// Karmada apiserver and in the member it runs in).
type JobKey struct {
	Namespace string
	Name      string
}

// String is namespace/name.
func (k JobKey) String() string { return k.Namespace + "/" + k.Name }

// PreemptionPolicy says whether a fleet queue's jobs may evict other jobs to meet their
// deadlines.
type PreemptionPolicy string

const (
	// PreemptNever never evicts anything for the queue's jobs.
	PreemptNever PreemptionPolicy = "Never"
	// PreemptLowerPriority evicts lower-priority preemptable jobs when a deadline is at
	// risk (see PlanPreemption for the rules).
	PreemptLowerPriority PreemptionPolicy = "LowerPriority"
)

// FleetQueue is one queue of the fleet: it orders and caps the batch jobs submitted to it
// across all member clusters.
type FleetQueue struct {
	// Name of the queue.
	Name string
	// Priority orders queues: every job of a higher-priority queue comes before every job
	// of a lower-priority one.
	Priority int32
	// Weight is the queue's share among queues of equal priority; it only breaks ties
	// between otherwise equal jobs of different queues (the queue holding less per unit of
	// weight goes first). Values below 1 count as 1.
	Weight int32
	// Capability caps what the queue's dispatched and running jobs hold fleet-wide, on the
	// resources it names (empty: no cap).
	Capability corev1.ResourceList
	// Guarantee is what the queue keeps fleet-wide: a job of the queue is not evicted for
	// a deadline if the queue would then hold less than this on a resource it names.
	Guarantee corev1.ResourceList
	// SlackThreshold is the deadline policy: when a queued job's slack falls below it and
	// waiting would miss the deadline, the job may preempt (if Preemption allows).
	SlackThreshold time.Duration
	// Preemption is the preemption policy of the queue's jobs (empty: Never).
	Preemption PreemptionPolicy
	// VolcanoQueues maps a member cluster name to the Volcano queue the queue's jobs use in
	// that member.
	VolcanoQueues map[string]string
	// VolcanoQueue is the Volcano queue in members VolcanoQueues does not name; empty lets
	// the member decide (its namespace mapping, then its default queue).
	VolcanoQueue string
	// DispatchTimeout, BackoffBase and BackoffMax override the Policy's for the queue's
	// jobs (0: the Policy's).
	DispatchTimeout time.Duration
	BackoffBase     time.Duration
	BackoffMax      time.Duration
	// Cooldown overrides Policy.Cooldown for the queue's jobs as victims (0: the
	// Policy's).
	Cooldown time.Duration
}

// volcanoQueue is the Volcano queue of q in member.
func (q *FleetQueue) volcanoQueue(member string) string {
	if v, ok := q.VolcanoQueues[member]; ok {
		return v
	}
	return q.VolcanoQueue
}

// volcanoQueueOf is the Volcano queue job j of fleet queue q (nil: unknown) uses in
// member: the one its spec names, else its fleet queue's mapping ("" lets the member
// decide).
func volcanoQueueOf(j *Job, q *FleetQueue, member string) string {
	if j.VolcanoQueue != "" {
		return j.VolcanoQueue
	}
	if q != nil {
		return q.volcanoQueue(member)
	}
	return ""
}

func (q *FleetQueue) weight() int32 {
	if q.Weight < 1 {
		return 1
	}
	return q.Weight
}

// Task is one task of a batch job.
type Task struct {
	// Name of the task.
	Name string
	// Replicas is task.replicas.
	Replicas int32
	// MinAvailable is task.minAvailable (nil: Replicas). The job's gang is MinAvailable
	// pods of every task, as Karmada's interpreter reports it.
	MinAvailable *int32
	// Priority is the value of the task template's PriorityClass (it orders tasks in the
	// PodGroup's minResources).
	Priority int32
	// Requests is the effective resource request of one pod.
	Requests corev1.ResourceList
	// NodeSelector, NodeAffinity and Tolerations restrict the nodes a pod may use.
	NodeSelector map[string]string
	NodeAffinity *corev1.NodeSelector
	Tolerations  []corev1.Toleration
}

// minAvailable is the task's gang size.
func (t *Task) minAvailable() int32 {
	if t.MinAvailable != nil {
		return *t.MinAvailable
	}
	return t.Replicas
}

// Phase is where a job is in its life.
type Phase string

const (
	// PhaseQueued jobs wait in the fleet queue (their binding is suspended).
	PhaseQueued Phase = "Queued"
	// PhaseDispatched jobs were released to a member and are not running yet.
	PhaseDispatched Phase = "Dispatched"
	// PhaseRunning jobs run in a member (their PodGroup is admitted there).
	PhaseRunning Phase = "Running"
	// PhaseFinished jobs completed or failed; the queue ignores them.
	PhaseFinished Phase = "Finished"
)

// JobState is a job's current phase, the member it was released to and since when.
type JobState struct {
	Phase Phase
	// Cluster is the member of a Dispatched or Running job.
	Cluster string
	// Since is when the job was dispatched (Dispatched) or started running (Running).
	Since time.Time
}

// Job is a batch job as the fleet queue sees it.
type Job struct {
	JobKey
	// Queue is the fleet queue's name.
	Queue string
	// Priority is the job's priority (its PriorityClass value).
	Priority int32
	// Submitted is when the job was created.
	Submitted time.Time
	// Deadline is when the job must have finished (nil: none).
	Deadline *time.Time
	// Runtime is the runtime estimate (Volcano spec.runningEstimate); 0 means unknown and
	// Policy.DefaultRuntime is assumed.
	Runtime time.Duration
	// MinAvailable is the job's spec.minAvailable (0: the sum of the tasks' minAvailable);
	// it decides the PodGroup's minResources.
	MinAvailable int32
	// Tasks of the job.
	Tasks []Task
	// Preemptable allows evicting the job for another job's deadline (it then restarts
	// from scratch).
	Preemptable bool
	// LastStarted is when the job last started running (zero: never).
	LastStarted time.Time
	// LastPreempted is when the job was last evicted for a deadline (zero: never).
	LastPreempted time.Time
	// Attempts counts the job's dispatches; it drives the backoff.
	Attempts int32
	// DispatchedAt is when the job was last dispatched (zero: never).
	DispatchedAt time.Time
	// NotBefore holds a requeued job back until then (zero: no backoff).
	NotBefore time.Time
	// State is the job's current state.
	State JobState
	// Problems were found converting the job (JobFromVolcano); a job with any is never
	// released.
	Problems []Problem
	// VolcanoQueue is the Volcano queue the job's spec names (spec.queue); Volcano puts
	// the job there in whichever member it runs, so it takes precedence over the fleet
	// queue's mapping. Empty: the fleet queue's mapping, then the member's default.
	VolcanoQueue string
	// Clusters are the members the job's placement (its PropagationPolicy) allows; the
	// job is released, reserved and preempted for only on those. Nil allows every member.
	Clusters []string
}

// allows reports whether the job's placement allows member.
func (j *Job) allows(member string) bool {
	if j.Clusters == nil {
		return true
	}
	for _, c := range j.Clusters {
		if c == member {
			return true
		}
	}
	return false
}

// Member is one member cluster as the core sees it.
type Member struct {
	// Name is the Karmada cluster name.
	Name string
	// Snapshot is the member's admission model now (nil: the member is unknown and never
	// chosen).
	Snapshot *estimator.Snapshot
	// Without returns the member's admission model once the objects of the given jobs are
	// gone from it (evicted or finished). It drives deadline preemption and start
	// predictions; nil disables both on this member. Model.Member provides it.
	Without func(jobs []JobKey) *estimator.Snapshot
	// Empty is the member with its nodes and queues but no pods, to tell requests that
	// could never fit from requests that do not fit now (nil: unknown).
	Empty *estimator.Snapshot
	// Allocatable is the sum of the member's node allocatable (fair-share tie-breaks).
	Allocatable corev1.ResourceList
}

// BackfillMode is how later jobs may overtake a job that cannot start now.
type BackfillMode string

const (
	// BackfillReserve (the default) lets later jobs start unless they would delay a
	// reservation: blocked jobs with a deadline, and blocked jobs that have waited longer
	// than Policy.StarvationAge, reserve the member and time they are predicted to start
	// at; a later job may use that member now only if its runtime estimate ends before.
	BackfillReserve BackfillMode = "Reserve"
	// BackfillStrict releases no job of a fleet queue while an earlier job of the same
	// queue cannot start (strict priority order within a queue).
	BackfillStrict BackfillMode = "Strict"
	// BackfillGreedy starts every job that fits, in order, with no reservation.
	BackfillGreedy BackfillMode = "Greedy"
)

// OrderMode is the queue order.
type OrderMode string

const (
	// OrderPrioritySlack (the default) is fleet queue priority, job priority, least slack
	// (jobs with a deadline first), weighted share of the queue, then submission time.
	OrderPrioritySlack OrderMode = "PrioritySlack"
	// OrderEarliestDeadline is earliest deadline first (jobs without one last), then
	// submission time; priorities are ignored. It exists for comparisons.
	OrderEarliestDeadline OrderMode = "EarliestDeadline"
)

// Policy holds the fleet queue's tunables. Start from DefaultPolicy.
type Policy struct {
	// Order is the queue order.
	Order OrderMode
	// Backfill is the backfill rule.
	Backfill BackfillMode
	// StarvationAge is how long a job without a deadline may wait before it reserves
	// (BackfillReserve); 0 means never.
	StarvationAge time.Duration
	// MaxReservations caps the reservations per cycle.
	MaxReservations int
	// DispatchTimeout is how long a dispatched job may take to run before it is requeued,
	// unless its queue says otherwise.
	DispatchTimeout time.Duration
	// BackoffBase and BackoffMax bound the exponential backoff of requeued jobs, unless
	// their queue says otherwise.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Cooldown is how long a job must have run since it last started, and since it was
	// last preempted, before it may be evicted, unless its queue says otherwise.
	Cooldown time.Duration
	// DisablePreemption turns deadline preemption off whatever the queues say.
	DisablePreemption bool
	// MaxVictims caps the victims of one plan.
	MaxVictims int
	// MaxPlansPerCycle caps the preemptions started per cycle.
	MaxPlansPerCycle int
	// PlanBudget caps the admission checks one plan may spend searching for the smallest
	// victim set; past it the planner falls back to greedy-then-prune.
	PlanBudget int
	// DefaultRuntime is the runtime assumed for jobs without an estimate.
	DefaultRuntime time.Duration
}

// DefaultPolicy is the policy the controller starts from.
func DefaultPolicy() Policy {
	return Policy{
		Order:            OrderPrioritySlack,
		Backfill:         BackfillReserve,
		StarvationAge:    30 * time.Minute,
		MaxReservations:  8,
		DispatchTimeout:  3 * time.Minute,
		BackoffBase:      30 * time.Second,
		BackoffMax:       10 * time.Minute,
		Cooldown:         5 * time.Minute,
		MaxVictims:       4,
		MaxPlansPerCycle: 2,
		PlanBudget:       512,
		DefaultRuntime:   time.Hour,
	}
}

// queueOr returns the queue's value unless it is zero (or the queue unknown).
func queueOr(q *FleetQueue, pick func(*FleetQueue) time.Duration, def time.Duration) time.Duration {
	if q != nil {
		if v := pick(q); v > 0 {
			return v
		}
	}
	return def
}

// DispatchTimeoutOf is how long a job of queue q may take to run after its dispatch.
func (p *Policy) DispatchTimeoutOf(q *FleetQueue) time.Duration {
	return queueOr(q, func(q *FleetQueue) time.Duration { return q.DispatchTimeout }, p.DispatchTimeout)
}

// BackoffOf is the backoff of a job of queue q after attempts dispatches.
func (p *Policy) BackoffOf(q *FleetQueue, attempts int32) time.Duration {
	return Backoff(attempts, queueOr(q, func(q *FleetQueue) time.Duration { return q.BackoffBase }, p.BackoffBase),
		queueOr(q, func(q *FleetQueue) time.Duration { return q.BackoffMax }, p.BackoffMax))
}

// CooldownOf is how long a job of queue q runs before it may be evicted.
func (p *Policy) CooldownOf(q *FleetQueue) time.Duration {
	return queueOr(q, func(q *FleetQueue) time.Duration { return q.Cooldown }, p.Cooldown)
}

// runtime is the job's runtime estimate, or the default.
func (p *Policy) runtime(j *Job) time.Duration {
	if j.Runtime > 0 {
		return j.Runtime
	}
	return p.DefaultRuntime
}
