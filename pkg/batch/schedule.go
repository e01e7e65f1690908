package batch

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"kurator.dev/kurator/pkg/estimator"
)

// Input is everything one scheduling cycle looks at. The core keeps nothing between
// cycles: the controller rebuilds the Input from the API each time.
type Input struct {
	// Now is the cycle's time.
	Now time.Time
	// Policy holds the tunables.
	Policy Policy
	// Queues are the fleet queues.
	Queues []FleetQueue
	// Jobs are the batch jobs in every phase but Finished (finished ones are ignored).
	Jobs []Job
	// Members are the member clusters.
	Members []Member
	// Memo, if set, carries answers from cycle to cycle (see Memo).
	Memo *Memo
}

// Release tells the controller to clear the job's scheduling suspension and pin it to
// Cluster.
type Release struct {
	Job     JobKey
	Cluster string
	// Preempting is true when the release follows the evictions of a preemption plan.
	Preempting bool
	Reason     string
}

// Eviction tells the controller to unschedule a victim's binding; the victim returns to
// the fleet queue (Queued, LastPreempted = now) and restarts from scratch.
type Eviction struct {
	Job     JobKey
	Cluster string
	// For is the deadline job the room is made for.
	For      JobKey
	LostWork time.Duration
	Reason   string
}

// Requeue tells the controller that a dispatched job did not run within the timeout:
// unschedule it and hold it back until NotBefore.
type Requeue struct {
	Job     JobKey
	Cluster string
	// Attempts is how many times the job was dispatched (the backoff's exponent).
	Attempts  int32
	NotBefore time.Time
	Reason    string
}

// StatusReason is the machine-readable reason of a job's status.
type StatusReason string

const (
	// StatusReleased means the job was released this cycle.
	StatusReleased StatusReason = "Released"
	// StatusPreempting means the job was released this cycle after evicting victims for
	// its deadline.
	StatusPreempting StatusReason = "Preempting"
	// StatusNoMemberFits means no member can start the job now.
	StatusNoMemberFits StatusReason = "NoMemberFits"
	// StatusReserved means no member can start the job now and later jobs may not delay
	// its predicted start.
	StatusReserved StatusReason = "Reserved"
	// StatusBehindReservation means the job fits a member now but would delay an earlier
	// job's reserved start.
	StatusBehindReservation StatusReason = "BehindReservation"
	// StatusBehindHead means an earlier job of its queue cannot start (BackfillStrict).
	StatusBehindHead StatusReason = "BehindHeadOfQueue"
	// StatusQueueCapability means the job would exceed its fleet queue's capability.
	StatusQueueCapability StatusReason = "FleetQueueCapability"
	// StatusBackoff means the job was requeued and waits out its backoff.
	StatusBackoff StatusReason = "Backoff"
	// StatusDispatched describes a job released by an earlier cycle, not running yet.
	StatusDispatched StatusReason = "Dispatched"
	// StatusRunning describes a running job.
	StatusRunning StatusReason = "Running"
	// StatusEvicted means the job was evicted this cycle for a deadline job.
	StatusEvicted StatusReason = "Evicted"
	// StatusDispatchTimeout means the job was requeued this cycle because it did not run
	// within the dispatch timeout.
	StatusDispatchTimeout StatusReason = "DispatchTimeout"
)

// JobStatus is what the fleet queue says about one job this cycle.
type JobStatus struct {
	Job   JobKey
	Phase Phase
	// Position is the 1-based position among queued jobs (0 for others).
	Position int
	// Slack is deadline - now - remaining runtime (nil without a deadline).
	Slack *time.Duration
	// Cluster is where it runs, was released to, or is reserved on.
	Cluster string
	Reason  StatusReason
	Message string
}

// Decision is the outcome of a cycle, for the controller to apply.
type Decision struct {
	Releases  []Release
	Evictions []Eviction
	Requeues  []Requeue
	// Plans are the preemption plans carried out (their evictions and releases are also
	// in Evictions and Releases).
	Plans []PreemptionPlan
	// Statuses has one entry per job that is not Finished, in queue order.
	Statuses []JobStatus
	// Checks counts the admission checks the cycle made.
	Checks int
}

// Schedule runs one dispatch cycle:
//
//  1. Dispatched jobs older than their queue's dispatch timeout are requeued with
//     exponential backoff in the number of dispatches.
//  2. Queued jobs are walked in Order. A job is released when some member can start it
//     now — its whole gang fits the nodes and the member's Volcano queue admits it
//     (pkg/estimator), counting what this cycle already released there and what earlier
//     cycles released that the member does not show yet — and its fleet queue's
//     capability allows it. Among members that can, the tightest fit wins (fewest copies
//     of the job would fit), then the name.
//  3. A job that cannot start reserves its predicted start (the earliest member and time
//     at which it fits once running jobs end as estimated) if it has a deadline or has
//     waited StarvationAge, up to MaxReservations (BackfillReserve). A later job may start
//     on a reserved member only if its runtime estimate ends before the reserved time or
//     the reserved job still fits at that time beside it.
//  4. A job with a deadline whose slack is below its queue's SlackThreshold, that cannot
//     start now and would miss its deadline waiting for its predicted start, gets a
//     preemption plan (see PlanPreemption) if its queue allows it; the plan's victims are
//     evicted and the job released to the plan's member in the same cycle.
//
// Schedule never fails; every job gets a status saying why it waits.
func Schedule(in Input) Decision {
	in.Memo.beginCycle()
	c := newCycle(&in)
	var d Decision
	now, p := c.now, c.p
	for i := range c.jobs {
		j := &c.jobs[i]
		if !c.requeued[j.JobKey] {
			continue
		}
		q := c.queues[j.Queue]
		r := Requeue{Job: j.JobKey, Cluster: j.State.Cluster, Attempts: max(j.Attempts, 1)}
		r.NotBefore = now.Add(p.BackoffOf(q, r.Attempts))
		r.Reason = fmt.Sprintf("dispatched to %s at %s and not running after %s; retry after %s (dispatch %d)",
			j.State.Cluster, j.State.Since.UTC().Format(time.RFC3339), p.DispatchTimeoutOf(q), r.NotBefore.UTC().Format(time.RFC3339), r.Attempts)
		d.Requeues = append(d.Requeues, r)
	}

	total := corev1.ResourceList{}
	for _, ms := range c.members {
		addScaled(total, ms.m.Allocatable, 1)
	}
	order := Order(now, p, c.queues, c.jobs, Shares(c.queues, c.held, total))

	blockedQueue := map[string]bool{}
	plans, pos := 0, 0
	statusAt := map[JobKey]int{}
	for _, i := range order {
		j := &c.jobs[i]
		if j.State.Phase == PhaseFinished {
			continue
		}
		st := JobStatus{Job: j.JobKey, Phase: j.State.Phase, Cluster: j.State.Cluster}
		if s, ok := Slack(j, now, p); ok {
			st.Slack = &s
		}
		if j.State.Phase != PhaseQueued {
			switch {
			case c.requeued[j.JobKey]:
				st.Reason, st.Message = StatusDispatchTimeout, "requeued: not running within the dispatch timeout"
			case j.State.Phase == PhaseRunning:
				st.Reason, st.Message = StatusRunning, fmt.Sprintf("running on %s since %s", j.State.Cluster, j.State.Since.UTC().Format(time.RFC3339))
			default:
				st.Reason, st.Message = StatusDispatched, fmt.Sprintf("dispatched to %s at %s", j.State.Cluster, j.State.Since.UTC().Format(time.RFC3339))
			}
			statusAt[j.JobKey] = len(d.Statuses)
			d.Statuses = append(d.Statuses, st)
			continue
		}
		pos++
		st.Position = pos
		c.decide(j, &st, &d, blockedQueue, &plans)
		statusAt[j.JobKey] = len(d.Statuses)
		d.Statuses = append(d.Statuses, st)
	}
	for _, e := range d.Evictions {
		if k, ok := statusAt[e.Job]; ok {
			d.Statuses[k].Reason = StatusEvicted
			d.Statuses[k].Message = e.Reason
		}
	}
	d.Checks = c.checks
	return d
}

// decide handles one queued job.
func (c *cycle) decide(j *Job, st *JobStatus, d *Decision, blockedQueue map[string]bool, plans *int) {
	now, p := c.now, c.p
	if probs := ValidateJob(j, c.queues); len(probs) > 0 {
		st.Reason, st.Message = StatusReason(probs[0].Reason), probs[0].Message
		return
	}
	if j.NotBefore.After(now) {
		st.Reason = StatusBackoff
		st.Message = fmt.Sprintf("requeued after %d dispatch(es); eligible again at %s", j.Attempts, j.NotBefore.UTC().Format(time.RFC3339))
		return
	}
	q := c.queues[j.Queue]
	if p.Backfill == BackfillStrict && blockedQueue[q.Name] {
		st.Reason, st.Message = StatusBehindHead, fmt.Sprintf("an earlier job of fleet queue %q cannot start yet (strict order)", q.Name)
		return
	}
	shape := c.shape(j)
	if ok, res := fitsWithin(c.held[q.Name], shape.requests, q.Capability); !ok {
		blockedQueue[q.Name] = true
		h := c.held[q.Name][res]
		l := q.Capability[res]
		st.Reason = StatusQueueCapability
		st.Message = fmt.Sprintf("fleet queue %q holds %s of its %s capability of %s; the job needs %s more", q.Name, h.String(), res, l.String(), quantity(shape.requests, res))
		return
	}
	best, blocker, why := c.place(j)
	if best != nil {
		c.release(j, best)
		st.Cluster = best.m.Name
		st.Reason, st.Message = StatusReleased, fmt.Sprintf("released to %s, where the gang fits and Volcano queue admits it now", best.m.Name)
		d.Releases = append(d.Releases, Release{Job: j.JobKey, Cluster: best.m.Name, Reason: st.Message})
		return
	}
	blockedQueue[q.Name] = true
	if blocker != nil {
		st.Reason = StatusBehindReservation
		st.Message = fmt.Sprintf("fits %s now but would delay the reserved start of %s there at %s", blocker.member.m.Name, blocker.job.JobKey, blocker.at.UTC().Format(time.RFC3339))
		return
	}
	if ok, reasons := c.everFits(j); !ok {
		st.Reason = ReasonUnsatisfiable
		st.Message = fmt.Sprintf("no member could run this job even with nothing else running (%s): reduce the tasks' requests or minAvailable, or add nodes that offer them", reasons)
		return
	}
	st.Reason = StatusNoMemberFits
	st.Message = "no member can start it now: " + why

	slack, hasDL := Slack(j, now, p)
	atRisk := hasDL && !p.DisablePreemption && q.Preemption == PreemptLowerPriority && slack < q.SlackThreshold
	reserve := p.Backfill == BackfillReserve && len(c.reservations) < p.MaxReservations &&
		(hasDL || (p.StarvationAge > 0 && now.Sub(j.Submitted) >= p.StarvationAge))
	var sh *reservation
	if reserve || atRisk {
		sh = c.shadow(j)
	}
	if atRisk && *plans < p.MaxPlansPerCycle {
		if sh == nil || sh.at.Add(p.runtime(j)).After(*j.Deadline) {
			plan := c.plan(j)
			if plan.Found() {
				*plans++
				c.apply(plan, d)
				st.Cluster = plan.Cluster
				st.Reason, st.Message = StatusPreempting, plan.Reason
				return
			}
			st.Message += "; no preemption plan: " + plan.Reason
		} else {
			st.Message += fmt.Sprintf("; predicted to start on %s at %s and still meet its deadline, so nothing is preempted",
				sh.member.m.Name, sh.at.UTC().Format(time.RFC3339))
		}
	}
	if reserve && sh != nil {
		c.reservations = append(c.reservations, *sh)
		st.Cluster = sh.member.m.Name
		st.Reason = StatusReserved
		st.Message += fmt.Sprintf("; reserved %s from %s (later jobs may not delay it)", sh.member.m.Name, sh.at.UTC().Format(time.RFC3339))
	}
}

func quantity(rl corev1.ResourceList, name corev1.ResourceName) string {
	q := rl[name]
	return q.String()
}

// place finds the member to release j to now, or the reservation that keeps it off the
// only members that could take it, and a summary of why no member can.
func (c *cycle) place(j *Job) (*memberState, *reservation, string) {
	var best *memberState
	var bestSets int32
	var blocker *reservation
	var why []string
	for _, ms := range c.members {
		if !j.allows(ms.m.Name) {
			continue
		}
		sets, no := c.startsNow(ms, j)
		if sets < 1 {
			why = append(why, ms.m.Name+": "+no)
			continue
		}
		if r := c.blockingReservation(ms, j, c.now); r != nil {
			if blocker == nil {
				blocker = r
			}
			continue
		}
		if f := c.displaced(ms, j); f != nil {
			why = append(why, fmt.Sprintf("%s: would leave %s, released there earlier, unable to start", ms.m.Name, f.JobKey))
			continue
		}
		if best == nil || sets < bestSets {
			best, bestSets = ms, sets
		}
	}
	if best != nil {
		return best, nil, ""
	}
	if len(c.members) == 0 {
		why = append(why, "there are no member clusters")
	} else if len(why) == 0 && blocker == nil {
		why = append(why, "its placement allows none of the members")
	}
	return nil, blocker, strings.Join(why, "; ")
}

// gateSummary is the binding gate of an estimate and its detail.
func gateSummary(e estimator.Estimate) string {
	for _, l := range e.Limits {
		if l.Gate == e.Gate || (e.SetsWithoutPreemption < 1 && l.Sets < 1) {
			if l.Detail != "" {
				return string(l.Gate) + " (" + l.Detail + ")"
			}
			return string(l.Gate)
		}
	}
	return string(e.Gate)
}

// blockingReservation returns a reservation on ms, starting after start, that starting j
// at start would delay: j would still run at the reserved time and the reserved job would
// then no longer fit.
func (c *cycle) blockingReservation(ms *memberState, j *Job, start time.Time) *reservation {
	end := start.Add(c.p.runtime(j))
	for i := range c.reservations {
		r := &c.reservations[i]
		if r.member != ms || !r.at.After(start) || !end.After(r.at) {
			continue
		}
		extra := []estimator.Workload{c.shape(j).workload(j, c.queues[j.Queue], ms.m.Name)}
		v := c.viewAt(ms, r.at, map[JobKey]bool{r.job.JobKey: true}, extra)
		if !startable(c.estimate(ms, r.job, v)) {
			return r
		}
	}
	return nil
}

// displaced returns a job released to ms that has not started yet and that the member's
// Volcano queue would no longer admit if j were released too, or nil. Only the
// proportion plugin can do that: it shrinks a queue's deserved share when another queue's
// request grows. Every other gate (and node fit) sums the same amounts whichever of two
// jobs is checked with the other assumed, and a queue's own share only grows with its own
// request, so only in-flight jobs of other queues of a proportion member are checked, and
// only against the queue gates.
func (c *cycle) displaced(ms *memberState, j *Job) *Job {
	snap := ms.m.Snapshot
	if len(ms.inflight) == 0 || snap == nil || snap.QueueModel() == nil || snap.Config().QueuePlugin != estimator.QueuePluginProportion {
		return nil
	}
	resolve := func(w estimator.Workload) string {
		if w.Queue != "" {
			return w.Queue
		}
		return snap.ResolveQueue(w.Namespace)
	}
	w := c.shape(j).workload(j, c.queues[j.Queue], ms.m.Name)
	mine := resolve(w)
	extra := []estimator.Workload{w}
	for _, f := range ms.inflight {
		if resolve(f.w) == mine {
			continue
		}
		skip := map[JobKey]bool{f.job.JobKey: true}
		if queueAdmits(c.estimate(ms, f.job, c.viewAt(ms, c.now, skip, extra))) {
			continue
		}
		// Only a job that j pushes out counts, not one its queue refuses anyway.
		if queueAdmits(c.estimate(ms, f.job, c.viewAt(ms, c.now, skip, nil))) {
			return f.job
		}
	}
	return nil
}

// queueAdmits reports whether every Volcano queue gate of an estimate admits a copy.
func queueAdmits(e estimator.Estimate) bool {
	for _, l := range e.Limits {
		switch l.Gate {
		case estimator.GateQueueState, estimator.GateQueueCapability, estimator.GateOvercommit, estimator.GateQueueAllocate, estimator.GateQueueUnknown:
			if l.Sets < 1 {
				return false
			}
		}
	}
	return true
}

// release records j as released to ms.
func (c *cycle) release(j *Job, ms *memberState) {
	q := c.queues[j.Queue]
	ms.inflight = append(ms.inflight, inflight{job: j, w: c.shape(j).workload(j, q, ms.m.Name), finish: c.now.Add(c.p.runtime(j)), fresh: true})
	c.hold(j, 1)
}

// shadow is j's predicted start: the earliest time (and member, by name on ties) at
// which j fits once the running and in-flight jobs expected to end by then are gone. It
// returns nil when no such time exists (j waits for work the fleet queue does not track).
// Times are tried in increasing order across members, so no check is spent past the
// answer.
func (c *cycle) shadow(j *Job) *reservation {
	type candidate struct {
		t  time.Time
		ms *memberState
	}
	var cands []candidate
	for _, ms := range c.members {
		if !j.allows(ms.m.Name) {
			continue
		}
		if ok, _ := c.fitsEmpty(ms, j); !ok {
			continue
		}
		for _, t := range c.endTimes(ms) {
			cands = append(cands, candidate{t: t, ms: ms})
		}
	}
	// Members are in name order already; a stable sort keeps it among equal times.
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].t.Before(cands[b].t) })
	for _, cd := range cands {
		if startable(c.estimate(cd.ms, j, c.viewAt(cd.ms, cd.t, nil, nil))) {
			return &reservation{job: j, shape: c.shape(j), queue: c.queues[j.Queue], member: cd.ms, at: cd.t, until: cd.t.Add(c.p.runtime(j))}
		}
	}
	return nil
}

// endTimes are the distinct times after now at which work on ms is expected to end.
func (c *cycle) endTimes(ms *memberState) []time.Time {
	var ts []time.Time
	for _, j := range ms.running {
		ts = append(ts, c.finish(j))
	}
	for _, f := range ms.inflight {
		ts = append(ts, f.finish)
	}
	for _, r := range c.reservations {
		if r.member == ms {
			ts = append(ts, r.until)
		}
	}
	sort.Slice(ts, func(a, b int) bool { return ts[a].Before(ts[b]) })
	out := ts[:0]
	for _, t := range ts {
		if len(out) == 0 || t.After(out[len(out)-1]) {
			out = append(out, t)
		}
	}
	return out
}
