package batch

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Victim is a job a preemption plan evicts.
type Victim struct {
	Job      JobKey
	Queue    string
	Priority int32
	// LostWork is how long it has run (it restarts from scratch).
	LostWork time.Duration
}

// PreemptionPlan is the outcome of deadline preemption planning for one job.
type PreemptionPlan struct {
	// Job is the deadline job.
	Job JobKey
	// Cluster is the member the job goes to once the victims are gone; empty when there
	// is no plan.
	Cluster string
	// Victims are the jobs to evict from Cluster, fewest first then least lost work.
	Victims []Victim
	// Reason explains the plan, or why there is none (one clause per member).
	Reason string
}

// Found reports whether there is a plan.
func (p PreemptionPlan) Found() bool { return p.Cluster != "" }

// LostWork is the victims' total lost work.
func (p PreemptionPlan) LostWork() time.Duration {
	var d time.Duration
	for _, v := range p.Victims {
		d += v.LostWork
	}
	return d
}

// PlanPreemption plans deadline preemption for the queued job key at in.Now, as Schedule
// would with nothing else released in the cycle. It does not check whether the job needs
// it (slack, threshold, queue policy); Schedule does.
//
// The plan evicts from ONE member a set of jobs such that the job can start there now
// (gang node fit and Volcano queue admission, pkg/estimator, with the victims' pods and
// PodGroups gone). A job may be a victim only if it
//
//   - is Running or Dispatched on that member and strictly lower in priority: a lower
//     fleet queue priority, or the same queue priority and a lower job priority;
//   - is Preemptable;
//   - has run at least its queue's cooldown (Policy.Cooldown by default) since it last
//     started (or was dispatched) and was not preempted within it;
//   - would still meet its own deadline after a restart: its full runtime again from
//     now if another member can start it now, else from when the deadline job is
//     expected to finish;
//
// and the set leaves every victim's fleet queue holding at least its Guarantee, and
// every victim's Volcano queue in the member at least its guarantee. Among members the
// plan with the fewest victims wins, then the least lost work, then the member name;
// within a member the search is exhaustive by increasing size up to Policy.MaxVictims
// within Policy.PlanBudget admission checks, then greedy (all candidates, dropping the
// most lost work first while the job still fits).
func PlanPreemption(in Input, key JobKey) PreemptionPlan {
	c := newCycle(&in)
	j, ok := c.byKey[key]
	if !ok || j.State.Phase != PhaseQueued {
		return PreemptionPlan{Job: key, Reason: "the job is not queued"}
	}
	if probs := ValidateJob(j, c.queues); len(probs) > 0 {
		return PreemptionPlan{Job: key, Reason: probs[0].Message}
	}
	return c.plan(j)
}

// memberPlan is a candidate plan on one member.
type memberPlan struct {
	ms      *memberState
	victims []*Job
	lost    time.Duration
}

func (c *cycle) plan(d *Job) PreemptionPlan {
	var best *memberPlan
	var none []string
	for _, ms := range c.members {
		if !d.allows(ms.m.Name) {
			continue
		}
		mp, why := c.planMember(ms, d)
		if mp == nil {
			none = append(none, ms.m.Name+": "+why)
			continue
		}
		if best == nil || len(mp.victims) < len(best.victims) ||
			(len(mp.victims) == len(best.victims) && mp.lost < best.lost) {
			best = mp
		}
	}
	if best == nil {
		switch {
		case len(c.members) == 0:
			none = append(none, "there are no member clusters")
		case len(none) == 0:
			none = append(none, "its placement allows none of the members")
		}
		return PreemptionPlan{Job: d.JobKey, Reason: strings.Join(none, "; ")}
	}
	plan := PreemptionPlan{Job: d.JobKey, Cluster: best.ms.m.Name}
	names := make([]string, 0, len(best.victims))
	for _, v := range best.victims {
		plan.Victims = append(plan.Victims, Victim{Job: v.JobKey, Queue: v.Queue, Priority: v.Priority, LostWork: c.lostWork(v)})
		names = append(names, v.String())
	}
	plan.Reason = fmt.Sprintf("slack below threshold and no member can start it in time: evict %s from %s (%d victim(s), %s of work lost)",
		strings.Join(names, ", "), plan.Cluster, len(plan.Victims), plan.LostWork().Round(time.Second))
	if len(none) > 0 {
		plan.Reason += "; other members: " + strings.Join(none, "; ")
	}
	return plan
}

// apply carries a plan out in the cycle's working state and records it in d.
func (c *cycle) apply(plan PreemptionPlan, d *Decision) {
	ms := c.byName[plan.Cluster]
	for _, v := range plan.Victims {
		j := c.byKey[v.Job]
		c.evicted[v.Job] = true
		c.hold(j, -1)
		if j.State.Phase == PhaseRunning {
			ms.removed = append(ms.removed, v.Job)
		} else {
			for i := range ms.inflight {
				if ms.inflight[i].job.JobKey == v.Job {
					ms.inflight = append(ms.inflight[:i], ms.inflight[i+1:]...)
					break
				}
			}
		}
		d.Evictions = append(d.Evictions, Eviction{Job: v.Job, Cluster: plan.Cluster, For: plan.Job, LostWork: v.LostWork,
			Reason: fmt.Sprintf("evicted from %s so that %s meets its deadline; it returns to the fleet queue", plan.Cluster, plan.Job)})
	}
	// Room was freed: earlier failures on the member no longer prove anything.
	ms.failed, ms.failedWhy = nil, nil
	dj := c.byKey[plan.Job]
	c.release(dj, ms)
	d.Releases = append(d.Releases, Release{Job: plan.Job, Cluster: plan.Cluster, Preempting: true, Reason: plan.Reason})
	d.Plans = append(d.Plans, plan)
}

func (c *cycle) lostWork(v *Job) time.Duration {
	if v.State.Phase != PhaseRunning || v.State.Since.IsZero() {
		return 0
	}
	return c.now.Sub(v.State.Since)
}

func (c *cycle) queuePriority(j *Job) int64 {
	if q, ok := c.queues[j.Queue]; ok {
		return int64(q.Priority)
	}
	return -1 << 40
}

// lowerPriority reports whether v is strictly lower in priority than d.
func (c *cycle) lowerPriority(v, d *Job) bool {
	if qv, qd := c.queuePriority(v), c.queuePriority(d); qv != qd {
		return qv < qd
	}
	return v.Priority < d.Priority
}

// candidates are the member's jobs that may be evicted for d, by lost work; reasons
// counts why the others may not.
func (c *cycle) candidates(ms *memberState, d *Job) ([]*Job, map[string]int) {
	reasons := map[string]int{}
	var all []*Job
	all = append(all, ms.running...)
	for _, f := range ms.inflight {
		if !f.fresh {
			all = append(all, f.job)
		}
	}
	var out []*Job
	for _, v := range all {
		if c.evicted[v.JobKey] {
			continue
		}
		if why := c.ineligible(ms, v, d); why != "" {
			reasons[why]++
			continue
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(a, b int) bool {
		la, lb := c.lostWork(out[a]), c.lostWork(out[b])
		if la != lb {
			return la < lb
		}
		return out[a].String() < out[b].String()
	})
	return out, reasons
}

// ineligible says why v may not be evicted for d ("" if it may).
func (c *cycle) ineligible(ms *memberState, v, d *Job) string {
	if !c.lowerPriority(v, d) {
		return "equal or higher priority"
	}
	if !v.Preemptable {
		return "not preemptable"
	}
	started := v.LastStarted
	if v.State.Since.After(started) {
		started = v.State.Since
	}
	cooldown := c.p.CooldownOf(c.queues[v.Queue])
	if c.now.Sub(started) < cooldown {
		return "started within the cooldown"
	}
	if !v.LastPreempted.IsZero() && c.now.Sub(v.LastPreempted) < cooldown {
		return "preempted within the cooldown"
	}
	if v.Deadline != nil {
		restart := c.now.Add(c.p.runtime(d))
		if c.startsElsewhere(ms, v) {
			restart = c.now
		}
		if restart.Add(c.p.runtime(v)).After(*v.Deadline) {
			return "its own deadline would break after a restart"
		}
	}
	return ""
}

// startsElsewhere reports whether v could start now on a member other than ms.
func (c *cycle) startsElsewhere(ms *memberState, v *Job) bool {
	for _, o := range c.members {
		if o != ms && v.allows(o.m.Name) && startable(c.estimate(o, v, c.viewAt(o, c.now, nil, nil))) {
			return true
		}
	}
	return false
}

// fitsWithout reports whether d starts on ms now once victims are gone.
func (c *cycle) fitsWithout(ms *memberState, d *Job, victims []*Job) bool {
	skip := make(map[JobKey]bool, len(victims))
	for _, v := range victims {
		skip[v.JobKey] = true
	}
	return startable(c.estimate(ms, d, c.viewAt(ms, c.now, skip, nil)))
}

// guaranteesHold reports whether evicting victims keeps every fleet queue and every
// Volcano queue of the member at or above its guarantee.
func (c *cycle) guaranteesHold(ms *memberState, victims []*Job) bool {
	fleet := map[string]corev1.ResourceList{}
	volcano := map[string]corev1.ResourceList{}
	for _, v := range victims {
		q := c.queues[v.Queue]
		if q == nil {
			continue
		}
		if fleet[q.Name] == nil {
			fleet[q.Name] = corev1.ResourceList{}
		}
		addScaled(fleet[q.Name], c.shape(v).requests, 1)
		if v.State.Phase == PhaseRunning {
			vq := volcanoQueueOf(v, q, ms.m.Name)
			if vq == "" && ms.m.Snapshot != nil {
				vq = ms.m.Snapshot.ResolveQueue(v.Namespace)
			}
			if volcano[vq] == nil {
				volcano[vq] = corev1.ResourceList{}
			}
			addScaled(volcano[vq], c.shape(v).requests, 1)
		}
	}
	for name, lost := range fleet {
		q := c.queues[name]
		if len(q.Guarantee) == 0 {
			continue
		}
		left := c.held[name].DeepCopy()
		if left == nil {
			left = corev1.ResourceList{}
		}
		subList(left, lost)
		if ok, _ := atLeast(left, q.Guarantee); !ok {
			return false
		}
	}
	if ms.m.Snapshot == nil || ms.m.Snapshot.QueueModel() == nil {
		return true
	}
	qm := ms.m.Snapshot.QueueModel()
	for vq, lost := range volcano {
		view, ok := qm.Queue(vq)
		if !ok || len(view.Guarantee) == 0 {
			continue
		}
		left := view.Allocated.DeepCopy()
		subList(left, lost)
		if ok, _ := atLeast(left, view.Guarantee); !ok {
			return false
		}
	}
	return true
}

// planMember finds the smallest victim set on ms, or says why there is none.
func (c *cycle) planMember(ms *memberState, d *Job) (*memberPlan, string) {
	if ms.m.Without == nil || ms.m.Snapshot == nil {
		return nil, "no what-if model of the member"
	}
	if ok, _ := c.fitsEmpty(ms, d); !ok {
		return nil, "the job would not fit even the empty member"
	}
	cands, reasons := c.candidates(ms, d)
	if len(cands) == 0 {
		return nil, "no eligible victim" + reasonCounts(reasons)
	}
	if !c.fitsWithout(ms, d, cands) {
		return nil, fmt.Sprintf("evicting all %d eligible job(s) would not make room", len(cands)) + reasonCounts(reasons)
	}
	maxV := c.p.MaxVictims
	if maxV <= 0 || maxV > len(cands) {
		maxV = len(cands)
	}
	lost := make([]time.Duration, len(cands))
	for i, v := range cands {
		lost[i] = c.lostWork(v)
	}
	budget := c.p.PlanBudget
	var best []int
	var bestLost time.Duration
	exhausted := false
	for k := 1; k <= maxV && best == nil && !exhausted; k++ {
		combo := make([]int, 0, k)
		var walk func(start int, sum time.Duration)
		walk = func(start int, sum time.Duration) {
			if exhausted {
				return
			}
			if len(combo) == k {
				victims := pick(cands, combo)
				if !c.guaranteesHold(ms, victims) {
					return
				}
				if budget <= 0 {
					exhausted = true
					return
				}
				budget--
				if c.fitsWithout(ms, d, victims) {
					best = append(best[:0:0], combo...)
					bestLost = sum
				}
				return
			}
			for i := start; i <= len(cands)-(k-len(combo)); i++ {
				s := sum + lost[i]
				if best != nil && s >= bestLost {
					// Candidates are sorted by lost work: later ones only cost more.
					return
				}
				combo = append(combo, i)
				walk(i+1, s)
				combo = combo[:len(combo)-1]
				if exhausted {
					return
				}
			}
		}
		walk(0, 0)
	}
	if best == nil && exhausted {
		best = c.greedy(ms, d, cands, lost)
		if best != nil && !c.guaranteesHold(ms, pick(cands, best)) {
			best = nil
		}
	}
	if best == nil || len(best) > maxV {
		return nil, fmt.Sprintf("no set of at most %d eligible job(s) makes room while keeping queue guarantees", maxV) + reasonCounts(reasons)
	}
	mp := &memberPlan{ms: ms, victims: pick(cands, best)}
	for _, i := range best {
		mp.lost += lost[i]
	}
	return mp, ""
}

// greedy starts from every candidate and drops the costliest while d still fits.
func (c *cycle) greedy(ms *memberState, d *Job, cands []*Job, lost []time.Duration) []int {
	set := make([]int, len(cands))
	for i := range set {
		set[i] = i
	}
	for i := len(cands) - 1; i >= 0; i-- {
		trial := make([]int, 0, len(set))
		for _, x := range set {
			if x != i {
				trial = append(trial, x)
			}
		}
		if len(trial) > 0 && c.fitsWithout(ms, d, pick(cands, trial)) {
			set = trial
		}
	}
	return set
}

func pick(cands []*Job, idx []int) []*Job {
	out := make([]*Job, len(idx))
	for i, x := range idx {
		out[i] = cands[x]
	}
	return out
}

func reasonCounts(r map[string]int) string {
	if len(r) == 0 {
		return ""
	}
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", r[k], k)
	}
	return " (not eligible: " + strings.Join(parts, ", ") + ")"
}
