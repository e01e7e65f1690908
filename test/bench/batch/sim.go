package main

import (
	"container/heap"
	"fmt"
	"os"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"kurator.dev/kurator/pkg/batch"
)

// propagation is how long a released job takes to reach its member's Volcano (Karmada
// binding, work, Volcano job controller).
const propagation = 15 * time.Second

// tick is how often the fleet queue runs a cycle without any event.
const tick = 2 * time.Minute

type policyKind int

const (
	policyKurator policyKind = iota
	policyFIFO
	policyEDF
)

// policy is one dispatcher under comparison.
type policy struct {
	name  string
	kind  policyKind
	batch batch.Policy
}

func policies() []policy {
	k := batch.DefaultPolicy()
	edf := batch.DefaultPolicy()
	edf.Order = batch.OrderEarliestDeadline
	edf.Backfill = batch.BackfillGreedy
	edf.DisablePreemption = true
	return []policy{
		{name: "kurator", kind: policyKurator, batch: k},
		{name: "priority-FIFO (allocatable gate)", kind: policyFIFO, batch: batch.DefaultPolicy()},
		{name: "EDF (no preemption)", kind: policyEDF, batch: edf},
	}
}

// podPlace is a bound pod.
type podPlace struct {
	node          int
	task          string
	cpu, mem, gpu int64
}

// simJob is a job's life in one simulation.
type simJob struct {
	spec       *jobSpec
	job        batch.Job
	queuePrio  int32
	member     *member
	arrivedAt  time.Time
	dispatched time.Time
	startedAt  time.Time
	finishedAt time.Time
	done       bool
	epoch      int
	// firstDispatch is when the job was first released; evictions counts its evictions.
	firstDispatch time.Time
	evictions     int
	pods          []podPlace
}

func (j *simJob) volcanoPriority() int32 { return j.queuePrio*10 + j.spec.prio }

type evKind int

const (
	evSubmit evKind = iota
	evLand
	evFinish
	evTick
)

type event struct {
	at    time.Time
	seq   int
	kind  evKind
	job   *simJob
	epoch int
}

type events []*event

func (e events) Len() int { return len(e) }
func (e events) Less(a, b int) bool {
	if !e[a].at.Equal(e[b].at) {
		return e[a].at.Before(e[b].at)
	}
	return e[a].seq < e[b].seq
}
func (e events) Swap(a, b int) { e[a], e[b] = e[b], e[a] }
func (e *events) Push(x any)   { *e = append(*e, x.(*event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// result is what one simulation measured.
type result struct {
	policy                 string
	deadlineJobs, met      int
	metByQueue, dlByQueue  map[string]int
	delays                 []time.Duration
	cpuBusy, gpuBusy       float64 // core-seconds, gpu-seconds held during the arrival window
	lostCPU                float64 // core-seconds thrown away by evictions
	cpuTotal, gpuTotal     int64
	makespan               time.Duration
	preemptions            int
	dispatches, admitted   int // admitted: started within the dispatch timeout
	requeues               int
	cycles                 int
	cycleWall              time.Duration
	memberPending          time.Duration // time released jobs waited in members
	unfinished             int
	strandedDeadline       int // deadline jobs never finished
	checks                 int
	maxQueued, sumQueued   int
	queuedSamples          int
	firstSubmit, lastEvent time.Time
	lastSubmit             time.Time
	timeout                time.Duration
}

// sim is one run of one policy over a trace.
type sim struct {
	pol     policy
	tr      *trace
	queues  []batch.FleetQueue
	qmap    map[string]*batch.FleetQueue
	members []*member
	byName  map[string]*member
	jobs    []*simJob
	byKey   map[batch.JobKey]*simJob
	active  []*simJob
	ev      events
	seq     int
	res     *result
	memo    *batch.Memo
	// horizon ends the run: jobs a policy strands (Pending forever in a member that will
	// never admit them) are reported as unfinished.
	horizon time.Time
}

// horizonAfterLastSubmit is how long the simulation runs past the last submission.
const horizonAfterLastSubmit = 48 * time.Hour

func fleetQueues() []batch.FleetQueue {
	return []batch.FleetQueue{
		{Name: "prod", Priority: 100, Weight: 4, SlackThreshold: 2 * time.Hour, Preemption: batch.PreemptLowerPriority, VolcanoQueue: "prod"},
		{Name: "research", Priority: 50, Weight: 2, SlackThreshold: time.Hour, Preemption: batch.PreemptLowerPriority, VolcanoQueue: "research"},
		{Name: "batch", Priority: 10, Weight: 1, SlackThreshold: 15 * time.Minute, Preemption: batch.PreemptNever, VolcanoQueue: "batch"},
	}
}

func newSim(tr *trace, pol policy) *sim {
	s := &sim{pol: pol, tr: tr, queues: fleetQueues(), byName: map[string]*member{}, byKey: map[batch.JobKey]*simJob{},
		res: &result{policy: pol.name, metByQueue: map[string]int{}, dlByQueue: map[string]int{}}, memo: batch.NewMemo()}
	s.qmap = map[string]*batch.FleetQueue{}
	for i := range s.queues {
		s.qmap[s.queues[i].Name] = &s.queues[i]
	}
	for i := range tr.clusters {
		m := newMember(&tr.clusters[i], s.qmap)
		s.members = append(s.members, m)
		s.byName[m.spec.name] = m
		cpu, _, gpu := tr.clusters[i].totals()
		s.res.cpuTotal += cpu
		s.res.gpuTotal += gpu
	}
	for _, spec := range tr.jobs {
		j := &simJob{spec: spec, queuePrio: s.qmap[spec.queue].Priority, job: toBatchJob(spec)}
		s.jobs = append(s.jobs, j)
		s.byKey[j.job.JobKey] = j
		s.push(spec.submit, evSubmit, j)
	}
	s.res.firstSubmit = tr.jobs[0].submit
	s.res.lastSubmit = tr.jobs[len(tr.jobs)-1].submit
	s.res.timeout = pol.batch.DispatchTimeout
	s.horizon = tr.jobs[len(tr.jobs)-1].submit.Add(horizonAfterLastSubmit)
	s.push(tr.jobs[0].submit, evTick, nil)
	return s
}

func toBatchJob(spec *jobSpec) batch.Job {
	j := batch.Job{
		JobKey: batch.JobKey{Namespace: namespace, Name: spec.name}, Queue: spec.queue, Priority: spec.prio,
		Submitted: spec.submit, Deadline: spec.deadline, Runtime: spec.estimate, Preemptable: spec.preempt,
		State: batch.JobState{Phase: batch.PhaseQueued},
	}
	for _, t := range spec.tasks {
		req := corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewQuantity(t.cpu, resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(t.memGi<<30, resource.BinarySI),
		}
		task := batch.Task{Name: t.name, Replicas: t.pods, Requests: req}
		if t.gpu > 0 {
			req[gpuResource] = *resource.NewQuantity(t.gpu, resource.DecimalSI)
			task.Tolerations = []corev1.Toleration{{Key: gpuTaint.Key, Operator: corev1.TolerationOpEqual, Value: gpuTaint.Value, Effect: gpuTaint.Effect}}
		}
		j.Tasks = append(j.Tasks, task)
	}
	return j
}

func (s *sim) push(at time.Time, kind evKind, j *simJob) {
	s.seq++
	e := &event{at: at, seq: s.seq, kind: kind, job: j}
	if j != nil {
		e.epoch = j.epoch
	}
	heap.Push(&s.ev, e)
}

// run plays the trace to the end.
func (s *sim) run() *result {
	remaining := len(s.jobs)
	prev := s.res.firstSubmit
	for s.ev.Len() > 0 {
		now := s.ev[0].at
		s.integrate(prev, now)
		prev = now
		for s.ev.Len() > 0 && s.ev[0].at.Equal(now) {
			e := heap.Pop(&s.ev).(*event)
			switch e.kind {
			case evSubmit:
				s.active = append(s.active, e.job)
			case evLand:
				if e.epoch != e.job.epoch {
					continue
				}
				e.job.arrivedAt = now
				e.job.member.arrive(e.job)
			case evFinish:
				if e.epoch != e.job.epoch {
					continue
				}
				s.finish(e.job, now)
				remaining--
			case evTick:
				if remaining > 0 && now.Before(s.horizon) {
					s.push(now.Add(tick), evTick, nil)
				}
			}
		}
		s.schedMembers(now)
		s.cycle(now)
		s.schedMembers(now)
		s.sample()
		s.res.lastEvent = now
		if remaining == 0 {
			break
		}
	}
	s.res.unfinished = remaining
	for _, j := range s.jobs {
		if j.done {
			continue
		}
		// A job still waiting at the end missed its deadline, and has waited at least
		// until then.
		s.res.delays = append(s.res.delays, s.res.lastEvent.Sub(j.spec.submit))
		if j.spec.deadline != nil {
			s.res.deadlineJobs++
			s.res.dlByQueue[j.spec.queue]++
			s.res.strandedDeadline++
		}
	}
	s.res.makespan = s.res.lastEvent.Sub(s.res.firstSubmit)
	return s.res
}

func (s *sim) sample() {
	q := 0
	for _, j := range s.active {
		if j.job.State.Phase == batch.PhaseQueued {
			q++
		}
	}
	s.res.maxQueued = max(s.res.maxQueued, q)
	s.res.sumQueued += q
	s.res.queuedSamples++
}

// schedMembers lets every member's Volcano start what it can.
func (s *sim) schedMembers(now time.Time) {
	for _, m := range s.members {
		if len(m.pending) == 0 {
			continue
		}
		m.schedule(now, func(j *simJob) {
			batch.ApplyRunning(&j.job, now)
			if now.Sub(j.dispatched) <= s.pol.batch.DispatchTimeout {
				s.res.admitted++
			}
			s.res.memberPending += now.Sub(j.arrivedAt)
			j.epoch++
			s.push(now.Add(j.spec.actual), evFinish, j)
		})
	}
}

func (s *sim) finish(j *simJob, now time.Time) {
	j.member.stop(j)
	s.account(j, now, false)
	j.done = true
	j.finishedAt = now
	batch.ApplyFinished(&j.job, now)
	for i, a := range s.active {
		if a == j {
			s.active = append(s.active[:i], s.active[i+1:]...)
			break
		}
	}
	delay := now.Sub(j.spec.submit) - j.spec.actual
	s.res.delays = append(s.res.delays, delay)
	if j.spec.deadline != nil {
		s.res.deadlineJobs++
		s.res.dlByQueue[j.spec.queue]++
		if !now.After(*j.spec.deadline) {
			s.res.met++
			s.res.metByQueue[j.spec.queue]++
		} else if debug {
			fmt.Fprintf(os.Stderr, "%s miss %s/%s prio %d: submitted %s, deadline %s (est %s, ran %s), first dispatch wait %s, started %s on %s, late by %s, evicted %d times, pods %+v\n",
				s.pol.name, j.spec.name, j.spec.queue, j.spec.prio, j.spec.submit.Format("Mon 15:04"), j.spec.deadline.Format("Mon 15:04"), j.spec.estimate, j.spec.actual,
				j.firstDispatch.Sub(j.spec.submit).Round(time.Second), j.startedAt.Format("Mon 15:04"), j.member.spec.name, now.Sub(*j.spec.deadline).Round(time.Second), j.evictions, j.spec.tasks)
		}
	}
}

// integrate adds what the members' pods held between from and to, within the arrival
// window (while load is offered).
func (s *sim) integrate(from, to time.Time) {
	if from.Before(s.res.firstSubmit) {
		from = s.res.firstSubmit
	}
	if to.After(s.res.lastSubmit) {
		to = s.res.lastSubmit
	}
	if !to.After(from) {
		return
	}
	d := to.Sub(from).Seconds()
	for _, m := range s.members {
		s.res.cpuBusy += float64(m.usedCPU) / 1000 * d
		s.res.gpuBusy += float64(m.usedGPU) * d
	}
}

// account records the work an evicted run loses.
func (s *sim) account(j *simJob, now time.Time, lost bool) {
	if lost {
		s.res.lostCPU += float64(j.spec.cpu()) * now.Sub(j.startedAt).Seconds()
	}
}

// cycle runs the fleet dispatcher.
func (s *sim) cycle(now time.Time) {
	switch s.pol.kind {
	case policyFIFO:
		s.cycleFIFO(now)
	default:
		s.cycleBatch(now)
	}
}

// cycleBatch is kurator's dispatcher (or EDF through the same core): the real
// pkg/batch.Schedule over the members' pkg/estimator snapshots.
func (s *sim) cycleBatch(now time.Time) {
	jobs := make([]batch.Job, 0, len(s.active))
	work := false
	for _, j := range s.active {
		jobs = append(jobs, j.job)
		if j.job.State.Phase == batch.PhaseQueued || j.job.State.Phase == batch.PhaseDispatched {
			work = true
		}
	}
	if !work {
		return
	}
	ms := make([]batch.Member, len(s.members))
	for i, m := range s.members {
		ms[i] = m.model.Member()
	}
	start := time.Now()
	d := batch.Schedule(batch.Input{Now: now, Policy: s.pol.batch, Queues: s.queues, Jobs: jobs, Members: ms, Memo: s.memo})
	s.res.cycleWall += time.Since(start)
	s.res.cycles++
	s.res.checks += d.Checks
	for _, r := range d.Requeues {
		j := s.byKey[r.Job]
		if debug {
			m := j.member
			e := m.model.Snapshot().Estimate(batch.RequestFor(&j.job, s.qmap[j.spec.queue], m.spec.name))
			fmt.Fprintf(os.Stderr, "%s requeue %s on %s (tasks %+v, landed %v, pending %d): estimate now %s; bind %v\n",
				now.Format("15:04:05"), j.spec.name, m.spec.name, j.spec.tasks, !j.arrivedAt.IsZero(), len(m.pending), e.Reason(), m.canBind(j))
		}
		j.member.forget(j)
		j.epoch++
		j.member = nil
		batch.ApplyRequeue(&j.job, r)
		s.res.requeues++
	}
	for _, e := range d.Evictions {
		j := s.byKey[e.Job]
		if j.job.State.Phase == batch.PhaseRunning {
			j.member.stop(j)
			s.account(j, now, true)
		} else {
			j.member.forget(j)
		}
		j.epoch++
		j.member = nil
		batch.ApplyEviction(&j.job, now)
		j.evictions++
		s.res.preemptions++
	}
	for _, r := range d.Releases {
		j := s.byKey[r.Job]
		s.dispatch(j, s.byName[r.Cluster], now)
		batch.ApplyRelease(&j.job, r, now)
	}
}

func (s *sim) dispatch(j *simJob, m *member, now time.Time) {
	j.member = m
	m.reserve(j)
	j.dispatched = now
	if j.firstDispatch.IsZero() {
		j.firstDispatch = now
	}
	j.epoch++
	s.res.dispatches++
	s.push(now.Add(propagation), evLand, j)
}

// cycleFIFO is volcano-global's dispatcher: queue priority, job priority, then FIFO; a
// job is released as soon as its requests fit some cluster's allocatable, whatever that
// cluster already runs. Karmada then places it on the cluster with the most available
// replicas by its resource summary (allocatable minus what bound and pending pods
// request; ties by name), and it waits Pending in that member until its Volcano admits
// it. Nothing is ever requeued or preempted across clusters.
func (s *sim) cycleFIFO(now time.Time) {
	var queued []*simJob
	for _, j := range s.active {
		if j.job.State.Phase == batch.PhaseQueued {
			queued = append(queued, j)
		}
	}
	if len(queued) == 0 {
		return
	}
	start := time.Now()
	sort.SliceStable(queued, func(a, b int) bool {
		x, y := queued[a], queued[b]
		if x.queuePrio != y.queuePrio {
			return x.queuePrio > y.queuePrio
		}
		if x.spec.prio != y.spec.prio {
			return x.spec.prio > y.spec.prio
		}
		return x.spec.submit.Before(y.spec.submit)
	})
	for _, j := range queued {
		var best *member
		var bestAvail int64
		for _, m := range s.members {
			if !m.fitsAllocatable(j.spec) {
				continue
			}
			if a := m.availableReplicas(j.spec); best == nil || a > bestAvail {
				best, bestAvail = m, a
			}
		}
		if best == nil {
			continue
		}
		s.dispatch(j, best, now)
		j.job.State = batch.JobState{Phase: batch.PhaseDispatched, Cluster: best.spec.name, Since: now}
	}
	s.res.cycleWall += time.Since(start)
	s.res.cycles++
}
