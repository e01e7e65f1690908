package batch

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"kurator.dev/kurator/pkg/estimator"
)

// cycle is the working state of one scheduling cycle: what was released and evicted so
// far, so that later decisions of the same cycle see them.
type cycle struct {
	now     time.Time
	p       *Policy
	queues  map[string]*FleetQueue
	jobs    []Job
	byKey   map[JobKey]*Job
	shapes  map[JobKey]*jobShape
	fps     map[JobKey]string
	members []*memberState
	byName  map[string]*memberState
	// held is what each fleet queue's dispatched and running jobs request.
	held map[string]corev1.ResourceList
	// evicted are the jobs evicted this cycle; requeued the dispatches that timed out.
	evicted  map[JobKey]bool
	requeued map[JobKey]bool
	// reservations made so far this cycle.
	reservations []reservation
	// checks counts admission checks (for the planner's budget and benchmarks).
	checks int
	memo   *Memo
}

// reservation holds a blocked job's predicted start: later jobs may not delay it.
type reservation struct {
	job    *Job
	shape  *jobShape
	queue  *FleetQueue
	member *memberState
	at     time.Time
	until  time.Time
}

// memberState is a member with this cycle's changes.
type memberState struct {
	m *Member
	// inflight are jobs released to the member whose pods the snapshot does not show yet:
	// Dispatched jobs and this cycle's releases.
	inflight []inflight
	// running are the member's Running jobs (their objects are in the snapshot).
	running []*Job
	// removed are jobs evicted from the member this cycle.
	removed []JobKey
	snaps   map[string]*estimator.Snapshot
	// failed are simple jobs that could not start now on the member this cycle; a job
	// that dominates one of them cannot either (see dominated).
	failed    []simpleShape
	failedWhy []string
	// empty caches whether jobs fit the empty member.
	empty map[JobKey]emptyAnswer
}

// simpleShape is a job of one task whose gang is all its replicas and whose pods may
// use any node: for such jobs every admission gate is monotone in the pod count and the
// per-pod requests.
type simpleShape struct {
	namespace, queue string
	pods             int32
	requests         corev1.ResourceList
}

func simpleOf(j *Job, q *FleetQueue, member string) (simpleShape, bool) {
	if len(j.Tasks) != 1 {
		return simpleShape{}, false
	}
	t := &j.Tasks[0]
	if t.minAvailable() != t.Replicas || (j.MinAvailable != 0 && j.MinAvailable != t.Replicas) ||
		len(t.NodeSelector) > 0 || t.NodeAffinity != nil || len(t.Tolerations) > 0 {
		return simpleShape{}, false
	}
	s := simpleShape{namespace: j.Namespace, pods: t.Replicas, requests: t.Requests}
	s.queue = volcanoQueueOf(j, q, member)
	return s, true
}

// dominated reports whether s asks at least what f asks, in the same queue.
func (s *simpleShape) dominated(f *simpleShape) bool {
	if s.queue != f.queue || (s.queue == "" && s.namespace != f.namespace) || s.pods < f.pods {
		return false
	}
	for name, q := range f.requests {
		if r, ok := s.requests[name]; !ok || r.Cmp(q) < 0 {
			return false
		}
	}
	return true
}

type inflight struct {
	job    *Job
	w      estimator.Workload
	finish time.Time
	// fresh is true for this cycle's releases.
	fresh bool
}

func newCycle(in *Input) *cycle {
	c := &cycle{
		now:      in.Now,
		p:        &in.Policy,
		queues:   make(map[string]*FleetQueue, len(in.Queues)),
		jobs:     in.Jobs,
		byKey:    make(map[JobKey]*Job, len(in.Jobs)),
		shapes:   make(map[JobKey]*jobShape, len(in.Jobs)),
		fps:      make(map[JobKey]string, len(in.Jobs)),
		byName:   make(map[string]*memberState, len(in.Members)),
		held:     map[string]corev1.ResourceList{},
		evicted:  map[JobKey]bool{},
		requeued: map[JobKey]bool{},
		memo:     in.Memo,
	}
	for i := range in.Queues {
		c.queues[in.Queues[i].Name] = &in.Queues[i]
	}
	for i := range in.Members {
		ms := &memberState{m: &in.Members[i], snaps: map[string]*estimator.Snapshot{}, empty: map[JobKey]emptyAnswer{}}
		c.members = append(c.members, ms)
		c.byName[ms.m.Name] = ms
	}
	sort.Slice(c.members, func(a, b int) bool { return c.members[a].m.Name < c.members[b].m.Name })
	for i := range in.Jobs {
		j := &in.Jobs[i]
		c.byKey[j.JobKey] = j
		if j.State.Phase != PhaseDispatched && j.State.Phase != PhaseRunning {
			continue
		}
		if j.State.Phase == PhaseDispatched && c.dispatchExpired(j) {
			c.requeued[j.JobKey] = true
			continue
		}
		c.hold(j, 1)
		ms, ok := c.byName[j.State.Cluster]
		if !ok {
			continue
		}
		if j.State.Phase == PhaseRunning {
			ms.running = append(ms.running, j)
			continue
		}
		start := c.now
		ms.inflight = append(ms.inflight, inflight{job: j, w: c.shape(j).workload(j, c.queues[j.Queue], ms.m.Name), finish: start.Add(c.p.runtime(j))})
	}
	return c
}

func (c *cycle) dispatchExpired(j *Job) bool {
	return DispatchExpired(j, c.now, c.p.DispatchTimeoutOf(c.queues[j.Queue]))
}

func (c *cycle) shape(j *Job) *jobShape {
	s, ok := c.shapes[j.JobKey]
	if ok {
		return s
	}
	if c.memo != nil {
		key := c.fingerprint(j)
		if s = c.memo.shape(key); s == nil {
			s = shapeOf(j)
			c.memo.setShape(key, s)
		}
	} else {
		s = shapeOf(j)
	}
	c.shapes[j.JobKey] = s
	return s
}

// fingerprint is the job's fingerprint, computed once per cycle.
func (c *cycle) fingerprint(j *Job) string {
	f, ok := c.fps[j.JobKey]
	if !ok {
		f = fingerprint(j)
		c.fps[j.JobKey] = f
	}
	return f
}

// hold adds (sign 1) or removes (-1) the job's requests from its queue's holdings.
func (c *cycle) hold(j *Job, sign int) {
	h, ok := c.held[j.Queue]
	if !ok {
		h = corev1.ResourceList{}
		c.held[j.Queue] = h
	}
	if sign > 0 {
		addScaled(h, c.shape(j).requests, 1)
	} else {
		subList(h, c.shape(j).requests)
	}
}

// overdue is how soon work that ran past its runtime estimate is expected to end.
const overdue = time.Minute

// finish is when a running or in-flight job is expected to end (always after now).
func (c *cycle) finish(j *Job) time.Time {
	start := j.State.Since
	if j.State.Phase != PhaseRunning || start.IsZero() {
		start = c.now
	}
	f := start.Add(c.p.runtime(j))
	if !f.After(c.now) {
		return c.now.Add(overdue)
	}
	return f
}

// snapshot is the member's model with the given jobs' objects removed.
func (ms *memberState) snapshot(removed []JobKey) *estimator.Snapshot {
	if len(removed) == 0 || ms.m.Without == nil {
		return ms.m.Snapshot
	}
	keys := make([]string, len(removed))
	for i, k := range removed {
		keys[i] = k.String()
	}
	sort.Strings(keys)
	id := strings.Join(keys, "\x00")
	if s, ok := ms.snaps[id]; ok {
		return s
	}
	s := ms.m.Without(removed)
	ms.snaps[id] = s
	return s
}

// view is the member at some time: jobs gone from the snapshot and work in flight.
type view struct {
	removed []JobKey
	assumed []estimator.Workload
}

// viewAt is the member at t: running jobs expected to finish by t are gone, in-flight
// jobs and reservations active at t are assumed, plus extra.
func (c *cycle) viewAt(ms *memberState, t time.Time, skip map[JobKey]bool, extra []estimator.Workload) view {
	v := view{removed: append([]JobKey(nil), ms.removed...)}
	for _, j := range ms.running {
		if skip[j.JobKey] {
			v.removed = append(v.removed, j.JobKey)
			continue
		}
		if !c.finish(j).After(t) {
			v.removed = append(v.removed, j.JobKey)
		}
	}
	for _, f := range ms.inflight {
		if skip[f.job.JobKey] || !f.finish.After(t) {
			continue
		}
		v.assumed = append(v.assumed, f.w)
	}
	for _, r := range c.reservations {
		if r.member == ms && !skip[r.job.JobKey] && !r.at.After(t) && r.until.After(t) {
			v.assumed = append(v.assumed, r.shape.workload(r.job, r.queue, ms.m.Name))
		}
	}
	v.assumed = append(v.assumed, extra...)
	return v
}

// estimate asks the member's model whether the job starts in view v.
func (c *cycle) estimate(ms *memberState, j *Job, v view) estimator.Estimate {
	c.checks++
	snap := ms.snapshot(v.removed)
	if snap == nil {
		return estimator.Estimate{Sets: estimator.Unknown, SetsWithoutPreemption: estimator.Unknown, Gate: estimator.GateSync}
	}
	return snap.Estimate(c.shape(j).request(j, c.queues[j.Queue], ms.m.Name, v.assumed))
}

// startable is the answer of estimate as "can start now": the whole gang fits the nodes
// and the Volcano queue admits it without evicting anything (a member whose Volcano runs
// preempt or reclaim could make room itself, but it would pick victims by its own rules,
// not the fleet's, so that room is not counted).
func startable(e estimator.Estimate) bool { return e.SetsWithoutPreemption >= 1 }

// everFits reports whether the job fits some member when empty; unknown counts as yes.
func (c *cycle) everFits(j *Job) (bool, string) {
	var reasons []string
	allowed := 0
	for _, ms := range c.members {
		if !j.allows(ms.m.Name) {
			continue
		}
		allowed++
		if ms.m.Empty == nil {
			return true, ""
		}
		ok, why := c.fitsEmpty(ms, j)
		if ok {
			return true, ""
		}
		reasons = append(reasons, ms.m.Name+": "+why)
	}
	if allowed == 0 && len(c.members) > 0 {
		return false, fmt.Sprintf("its placement allows none of the members %s", strings.Join(c.memberNames(), ", "))
	}
	return len(c.members) == 0, strings.Join(reasons, "; ")
}

// memberNames lists the members by name.
func (c *cycle) memberNames() []string {
	names := make([]string, len(c.members))
	for i, ms := range c.members {
		names[i] = ms.m.Name
	}
	return names
}

// fitsEmpty reports whether j fits ms when empty (true when unknown), and why not.
func (c *cycle) fitsEmpty(ms *memberState, j *Job) (bool, string) {
	if ms.m.Empty == nil {
		return true, ""
	}
	if a, seen := ms.empty[j.JobKey]; seen {
		return a.ok, a.why
	}
	q := c.queues[j.Queue]
	key := c.fingerprint(j)
	key += "|" + volcanoQueueOf(j, q, ms.m.Name)
	a, known := c.memo.emptyFits(ms.m.Name, ms.m.Empty, key)
	if !known {
		c.checks++
		e := ms.m.Empty.Estimate(c.shape(j).request(j, q, ms.m.Name, nil))
		a.ok = e.Sets != 0 && e.Gate != estimator.GateQueueUnknown
		if !a.ok {
			a.why = gateSummary(e)
		}
		c.memo.setEmptyFits(ms.m.Name, ms.m.Empty, key, a)
	}
	ms.empty[j.JobKey] = a
	return a.ok, a.why
}

// startsNow asks whether j starts on ms now: how many copies would fit (the best-fit
// measure) or why none does. It skips the estimate when j dominates a simple job that
// already failed there this cycle.
func (c *cycle) startsNow(ms *memberState, j *Job) (int32, string) {
	q := c.queues[j.Queue]
	simple, isSimple := simpleOf(j, q, ms.m.Name)
	if isSimple {
		for i := range ms.failed {
			if simple.dominated(&ms.failed[i]) {
				return 0, ms.failedWhy[i]
			}
		}
	}
	e := c.estimate(ms, j, c.viewAt(ms, c.now, nil, nil))
	if startable(e) {
		return e.SetsWithoutPreemption, ""
	}
	why := gateSummary(e)
	if isSimple {
		ms.failed = append(ms.failed, simple)
		ms.failedWhy = append(ms.failedWhy, why)
	}
	return 0, why
}
