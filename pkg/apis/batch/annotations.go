package batch

// Annotations users write on the Volcano Jobs (batch.volcano.sh/v1alpha1 Job) they submit to
// the Karmada apiserver. A job's PriorityClass is its spec.priorityClassName and its runtime
// estimate its spec.runningEstimate.
const (
	// AnnotationQueue names the FleetQueue of the job. Without it the job joins the
	// spec.batch.defaultQueue of the fleets (the first fleet by name that sets one).
	AnnotationQueue = "batch.kurator.dev/queue"
	// AnnotationDeadline is when the job must have finished, in RFC 3339
	// ("2026-01-02T15:04:05Z").
	AnnotationDeadline = "batch.kurator.dev/deadline"
	// AnnotationPreemptable set to "false" keeps the job from being preempted; any other
	// value, or none, lets lower-priority preemption evict it (Volcano's own annotation).
	AnnotationPreemptable = "volcano.sh/preemptable"
)

// Annotations the fleet-queue controller writes on the ResourceBinding of each Volcano Job to
// record its decisions; the BatchJob view reads them. Times are RFC 3339.
const (
	// AnnotationState is the job's state: one of the BatchJobState values.
	AnnotationState = "batch.kurator.dev/state"
	// AnnotationCluster is the member the job was dispatched to.
	AnnotationCluster = "batch.kurator.dev/cluster"
	// AnnotationDispatchedAt is when the job was last dispatched.
	AnnotationDispatchedAt = "batch.kurator.dev/dispatched-at"
	// AnnotationAttempts is how many times the job was dispatched, a decimal integer.
	AnnotationAttempts = "batch.kurator.dev/attempts"
	// AnnotationNextAttemptAt is when a requeued job may be dispatched again (backoff).
	AnnotationNextAttemptAt = "batch.kurator.dev/next-attempt-at"
	// AnnotationReason is a CamelCase reason for the state.
	AnnotationReason = "batch.kurator.dev/reason"
	// AnnotationMessage explains the state to a person.
	AnnotationMessage = "batch.kurator.dev/message"
	// AnnotationPredictedStart is when a queued or dispatched job is predicted to start.
	AnnotationPredictedStart = "batch.kurator.dev/predicted-start"
	// AnnotationPredictedFinish is when the job is predicted to finish.
	AnnotationPredictedFinish = "batch.kurator.dev/predicted-finish"
)

// AllClusters is the cluster of a FleetQueue's Volcano queue mapping that applies to every
// member not named by another entry.
const AllClusters = "*"

// DefaultVolcanoQueue is the Volcano queue every member has.
const DefaultVolcanoQueue = "default"
