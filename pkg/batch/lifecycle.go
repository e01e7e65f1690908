package batch

import "time"

// Backoff is how long a job waits when its attempts-th dispatch timed out:
// base * 2^(attempts-1), at most maxDelay (0 for attempts <= 0; no cap when maxDelay is 0).
func Backoff(attempts int32, base, maxDelay time.Duration) time.Duration {
	if attempts <= 0 || base <= 0 {
		return 0
	}
	d := base
	for i := int32(1); i < attempts; i++ {
		d *= 2
		if maxDelay > 0 && d >= maxDelay {
			return maxDelay
		}
	}
	if maxDelay > 0 && d > maxDelay {
		return maxDelay
	}
	return d
}

// DispatchExpired reports whether a dispatched job has waited timeout without running
// at now.
func DispatchExpired(j *Job, now time.Time, timeout time.Duration) bool {
	return j.State.Phase == PhaseDispatched && timeout > 0 && !j.State.Since.IsZero() &&
		!now.Before(j.State.Since.Add(timeout))
}

// The functions below are the state transitions the controller records on the job (in
// the binding's annotations, EncodeState) when it applies a Decision; a restarted
// controller rebuilds the same Job from them (DecodeState).

// ApplyRelease marks j dispatched to r.Cluster at now and counts the attempt.
func ApplyRelease(j *Job, r Release, now time.Time) {
	j.State = JobState{Phase: PhaseDispatched, Cluster: r.Cluster, Since: now}
	j.DispatchedAt = now
	j.Attempts++
}

// ApplyRunning marks j running at now (its PodGroup was admitted in its member).
func ApplyRunning(j *Job, now time.Time) {
	j.State = JobState{Phase: PhaseRunning, Cluster: j.State.Cluster, Since: now}
	j.LastStarted = now
}

// ApplyEviction returns j to the queue after a deadline eviction at now; it keeps no
// backoff (the room it had was taken deliberately) and restarts from scratch.
func ApplyEviction(j *Job, now time.Time) {
	j.State = JobState{Phase: PhaseQueued}
	j.LastPreempted = now
}

// ApplyRequeue returns j to the queue after a dispatch timeout, held back until
// r.NotBefore.
func ApplyRequeue(j *Job, r Requeue) {
	j.State = JobState{Phase: PhaseQueued}
	j.NotBefore = r.NotBefore
}

// ApplyFinished marks j finished.
func ApplyFinished(j *Job, now time.Time) {
	j.State = JobState{Phase: PhaseFinished, Cluster: j.State.Cluster, Since: now}
}
