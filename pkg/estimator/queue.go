package estimator

import (
	"math"

	corev1 "k8s.io/api/core/v1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
)

// QueueInfo is one Volcano Queue together with what its jobs hold, as Volcano's queue
// plugins see it when a scheduling session opens. Resource lists use Kubernetes
// quantities; the model converts them to Volcano's units.
type QueueInfo struct {
	// Name of the Queue.
	Name string
	// State is status.state ("Open", "Closed", "Closing", "Unknown" or "" before the
	// queue controller first wrote it).
	State string
	// Weight is spec.weight (the proportion plugin's share weight).
	Weight int32
	// Reclaimable is spec.reclaimable (nil counts as true).
	Reclaimable bool
	// Capability is spec.capability (empty: no cap).
	Capability corev1.ResourceList
	// Guarantee is spec.guarantee.resource.
	Guarantee corev1.ResourceList
	// Deserved is spec.deserved (read by the capacity plugin).
	Deserved corev1.ResourceList
	// Allocated is the sum of requests of the queue's tasks that hold resources (bound or
	// running pods of the queue's PodGroups).
	Allocated corev1.ResourceList
	// Request is Allocated plus the requests of the queue's pending pods.
	Request corev1.ResourceList
	// Inqueue is what enqueued jobs reserve: minResources of Inqueue PodGroups and the
	// not yet allocated part of minResources of Running ones.
	Inqueue corev1.ResourceList
	// Elastic is the sum over jobs of allocated minus minResources (positive part).
	Elastic corev1.ResourceList
	// Jobs counts the queue's PodGroups; only queues with jobs share in the proportion
	// plugin's water-fill.
	Jobs int
}

// queueState is a QueueInfo in Volcano units with the derived real capability.
type queueState struct {
	name        string
	state       string
	weight      int32
	reclaimable bool
	capability  *vres
	guarantee   vres
	specDeserv  vres
	allocated   vres
	request     vres
	inqueue     vres
	elastic     vres
	jobs        int
	// hasGuarantee is len(spec.guarantee.resource) > 0: only such queues add to the
	// total guarantee.
	hasGuarantee bool

	realCap vres
}

func (q *queueState) open() bool { return q.state == string(schedulingv1beta1.QueueStateOpen) }

// capabilityVres converts spec.capability as both queue plugins do: a cpu or memory
// capability <= 0 means unlimited in that dimension.
func capabilityVres(rl corev1.ResourceList) *vres {
	if len(rl) == 0 {
		return nil
	}
	c := newVres(rl)
	if c.cpu <= 0 {
		c.cpu = math.MaxFloat64
	}
	if c.mem <= 0 {
		c.mem = math.MaxFloat64
	}
	return &c
}

// realCapability is min((total - totalGuarantee)+ + guarantee, capability), the
// infinity default keeping scalars the capability does not mention.
func realCapability(total, totalGuarantee vres, q *queueState) vres {
	rc := exceededPart(total, totalGuarantee)
	rc.add(q.guarantee)
	if q.capability != nil {
		rc.minDimension(*q.capability, dimInfinity)
	}
	return rc
}

// QueueModel is the queue side of a member's admission: its queues with their usage, the
// cluster totals and the configuration. Build it with NewQueueModel; it is immutable.
type QueueModel struct {
	plugin         QueuePlugin
	overcommit     float64
	total          vres
	totalGuarantee vres
	used           vres
	inqueueTotal   vres
	queues         map[string]*queueState
	// order is the queue names in a fixed order for deterministic iteration.
	order []string
}

// QueueTotals is the cluster-wide input of the queue model.
type QueueTotals struct {
	// Allocatable is the sum of node allocatable (Volcano's session TotalResource).
	Allocatable corev1.ResourceList
	// Used is the sum of requests of every non-terminal pod bound to a node, whoever
	// scheduled it (the overcommit plugin's "used").
	Used corev1.ResourceList
	// Inqueue is the overcommit plugin's inqueue sum over all queues (equal to the sum of
	// the queues' Inqueue when every PodGroup's queue exists).
	Inqueue corev1.ResourceList
}

// NewQueueModel builds the queue model from plain structs.
func NewQueueModel(cfg Config, totals QueueTotals, queues []QueueInfo) *QueueModel {
	m := &QueueModel{
		plugin:       cfg.QueuePlugin,
		overcommit:   cfg.effectiveOvercommitFactor(),
		total:        newVres(totals.Allocatable),
		used:         newVres(totals.Used),
		inqueueTotal: newVres(totals.Inqueue),
		queues:       make(map[string]*queueState, len(queues)),
	}
	states := make([]*queueState, 0, len(queues))
	for i := range queues {
		q := &queues[i]
		s := &queueState{
			name: q.Name, state: q.State, weight: q.Weight, reclaimable: q.Reclaimable,
			capability: capabilityVres(q.Capability),
			guarantee:  newVres(q.Guarantee), specDeserv: newVres(q.Deserved),
			allocated: newVres(q.Allocated), request: newVres(q.Request),
			inqueue: newVres(q.Inqueue), elastic: newVres(q.Elastic), jobs: q.Jobs,
			hasGuarantee: len(q.Guarantee) > 0,
		}
		states = append(states, s)
	}
	m.init(states)
	return m
}

// init indexes the queues and derives the total guarantee and real capabilities.
func (m *QueueModel) init(states []*queueState) {
	for _, s := range states {
		if s.hasGuarantee {
			m.totalGuarantee.add(s.guarantee)
		}
		m.queues[s.name] = s
		m.order = append(m.order, s.name)
	}
	sortStrings(m.order)
	for _, s := range states {
		s.realCap = realCapability(m.total, m.totalGuarantee, s)
	}
}

// Has reports whether the member has the queue.
func (m *QueueModel) Has(name string) bool { _, ok := m.queues[name]; return ok }

// candidate is one copy of the workload being admitted, in Volcano units.
type candidate struct {
	// minReq is the PodGroup's minResources.
	minReq vres
	// setReq is the sum of the requests of the gang's pods (what allocate must place).
	setReq vres
	// jobReq is the requests of all the job's pods (what the proportion plugin counts as
	// the queue's request once the job's pods exist).
	jobReq vres
	// taskReq is the request of the gang's largest pod (what reclaim's "preemptive" test
	// looks at, one task at a time).
	taskReq vres
}

// queueBound is one gate's answer: the largest k in [0, hi] it admits, and why not more.
type queueBound struct {
	gate  Gate
	sets  int32
	short []string
}

// enqueueOK is the proportion/capacity JobEnqueueable test for the k-th copy:
// minReq + allocated + (inqueue + (k-1)*minReq) - elastic <= realCapability on the
// dimensions minReq asks for.
func (q *queueState) enqueueOK(c *candidate, k int32, extraInqueue vres) (bool, []string) {
	inq := q.inqueue.clone()
	inq.add(extraInqueue)
	inq.add(c.minReq.scaled(float64(k - 1)))
	r := c.minReq.clone()
	r.add(q.allocated).add(inq).sub(q.elastic)
	return r.lessEqualWithDimension(q.realCap, c.minReq)
}

// overcommitOK is the overcommit plugin's test for the k-th copy:
// inqueue(all) + k*minReq <= total*factor - used on the dimensions minReq asks for.
func (m *QueueModel) overcommitOK(c *candidate, k int32, extraInqueue vres) (bool, []string) {
	idle := m.total.clone()
	idle.multi(m.overcommit).sub(m.used)
	inq := m.inqueueTotal.clone()
	inq.add(extraInqueue)
	inq.add(c.minReq.scaled(float64(k)))
	return inq.lessEqualWithDimension(idle, c.minReq)
}

// largest returns the largest k in [0, hi] with ok(k), assuming ok is monotone
// (true up to some k, false beyond), which holds for every gate of the model.
func largest(hi int32, ok func(k int32) bool) int32 {
	if hi <= 0 {
		return 0
	}
	if ok(hi) {
		return hi
	}
	lo := int32(0) // ok(0) is true by definition: admitting nothing always fits
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if ok(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// admissionInput is what the queue gates need besides the candidate.
type admissionInput struct {
	queue string
	c     candidate
	// extraInqueue is what assumed (in-flight) workloads reserve in this queue;
	// extraInqueueAll what they reserve cluster-wide; extraRequest what their pods add to
	// queues' requests (for the water-fill), by queue.
	extraInqueue    vres
	extraInqueueAll vres
	extraRequest    map[string]vres
	// evictable is what preempt could free in the candidate's own queue (lowers allocated
	// for the allocate gate only).
	evictable vres
	hi        int32
}

// bounds evaluates the queue gates for up to in.hi copies.
//
// Each gate is linear in the number of copies except the proportion plugin's deserved
// share, so the search starts from the gate's bound solved per dimension and checks it with
// Volcano's own comparison; for the deserved share the bound is tightened by re-solving
// against the share the bound itself would get (the share grows with the request), which
// converges in a few water-fills.
func (m *QueueModel) bounds(in *admissionInput) []queueBound {
	q := m.queues[in.queue]
	if !q.open() {
		return []queueBound{{gate: GateQueueState, sets: 0}}
	}
	var out []queueBound

	enqueueBase := q.allocated.clone()
	enqueueBase.add(q.inqueue).add(in.extraInqueue).sub(q.elastic)
	k, short := searchFrom(in.hi, linearBound(q.realCap, enqueueBase, in.c.minReq), func(k int32) (bool, []string) {
		return q.enqueueOK(&in.c, k, in.extraInqueue)
	})
	out = append(out, queueBound{gate: GateQueueCapability, sets: k, short: short})

	if m.overcommit > 0 {
		idle := m.total.clone()
		idle.multi(m.overcommit).sub(m.used)
		base := m.inqueueTotal.clone()
		base.add(in.extraInqueueAll)
		k, short = searchFrom(in.hi, linearBound(idle, base, in.c.minReq), func(k int32) (bool, []string) {
			return m.overcommitOK(&in.c, k, in.extraInqueueAll)
		})
		out = append(out, queueBound{gate: GateOvercommit, sets: k, short: short})
	}

	used := q.allocated.clone()
	used.sub(in.evictable)
	allocOK := func(k int32) (bool, []string) { return m.allocateOK(in, k) }
	var upper int32
	if m.plugin == QueuePluginCapacity {
		upper = linearBound(q.realCap, used, in.c.setReq)
	} else {
		// deserved <= max(realCapability, guarantee) whatever the request.
		upper = linearBound(maxVres(q.realCap, q.guarantee), used, in.c.setReq)
		for i := 0; i < 8 && upper > 0 && upper < in.hi; i++ {
			if ok, _ := allocOK(upper); ok {
				break
			}
			next := linearBound(m.deserved(in, upper)[in.queue], used, in.c.setReq)
			if next >= upper {
				next = upper - 1
			}
			upper = next
		}
	}
	k, short = searchFrom(in.hi, upper, allocOK)
	out = append(out, queueBound{gate: GateQueueAllocate, sets: k, short: short})
	return out
}

// linearBound is the largest k with base + k*per <= capv on every dimension per asks for
// (pods excluded), Unlimited when per asks for nothing.
func linearBound(capv, base, per vres) int32 {
	best := float64(Unlimited)
	one := func(c, b, p float64) {
		if p <= 0 {
			return
		}
		k := math.Floor((c - b) / p)
		if k < best {
			best = k
		}
	}
	one(capv.cpu, base.cpu, per.cpu)
	one(capv.mem, base.mem, per.mem)
	for name, p := range per.scalars {
		if name == corev1.ResourcePods {
			continue
		}
		one(capv.scalars[name], base.scalars[name], p)
	}
	if best < 0 {
		return 0
	}
	return int32(best)
}

// searchFrom returns the largest k in [0, hi] with ok(k), given a likely bound u (checked,
// not trusted: float rounding or a non-linear gate may move it by a step), and the
// dimensions that stop k+1 (none when k is hi).
func searchFrom(hi, u int32, ok func(int32) (bool, []string)) (int32, []string) {
	okBool := func(k int32) bool { b, _ := ok(k); return b }
	var k int32
	switch {
	case u >= hi:
		k = largest(hi, okBool)
	case okBool(u) && !okBool(u+1):
		k = u
	case okBool(u):
		k = u + 1 + largest(hi-u-1, func(j int32) bool { return okBool(u + 1 + j) })
	default:
		k = largest(u, okBool)
	}
	if k >= hi {
		return k, nil
	}
	_, short := ok(k + 1)
	return k, short
}

// allocateOK is the allocate action's queue test for k copies of the gang: allocated plus
// the gang's requests within the deserved share (proportion) or real capability (capacity).
func (m *QueueModel) allocateOK(in *admissionInput, k int32) (bool, []string) {
	q := m.queues[in.queue]
	used := q.allocated.clone()
	used.sub(in.evictable)
	used.add(in.c.setReq.scaled(float64(k)))
	switch m.plugin {
	case QueuePluginCapacity:
		return used.lessEqualWithDimension(q.realCap, in.c.setReq)
	default:
		deserved := m.deserved(in, k)
		return used.lessEqualWithDimension(deserved[in.queue], in.c.setReq)
	}
}

// deserved runs the proportion plugin's water-fill with k copies of the candidate's pods
// in its queue (and the assumed workloads' pods in theirs).
func (m *QueueModel) deserved(in *admissionInput, k int32) map[string]vres {
	extra := map[string]vres{}
	for name, r := range in.extraRequest {
		extra[name] = r
	}
	if in != nil && in.queue != "" && k > 0 {
		r := extra[in.queue]
		r = r.clone()
		r.add(in.c.jobReq.scaled(float64(k)))
		extra[in.queue] = r
	}
	return m.waterFill(extra)
}

// waterFill is the proportion plugin's deserved-share computation, step for step: every
// queue with jobs (or with extra requests) starts at zero; in each round the remaining
// cluster is split by weight among the queues not yet met, each queue's deserved is capped
// by its real capability (missing scalars: no cap) and its request (missing scalars: zero)
// and raised to its guarantee; a queue is met when its request fits its deserved or its
// deserved stopped changing; what queues gave back returns to the remaining pool; rounds
// stop when nothing remains or the remaining pool stopped changing.
func (m *QueueModel) waterFill(extraRequest map[string]vres) map[string]vres {
	type attr struct {
		q        *queueState
		request  vres
		deserved vres
	}
	var attrs []*attr
	for _, name := range m.order {
		q := m.queues[name]
		extra, hasExtra := extraRequest[name]
		if q.jobs == 0 && !hasExtra {
			continue
		}
		req := q.request.clone()
		if hasExtra {
			req.add(extra)
		}
		attrs = append(attrs, &attr{q: q, request: req})
	}
	remaining := m.total.clone()
	// Volcano compares the remaining pool with equality.Semantic.DeepEqual, which also
	// compares api.Resource.MaxTaskNum: the session total carries the cluster's pod count
	// while every later pool (built by ExceededPart) carries 0, so the "pool unchanged"
	// exit can never fire after the first round when nodes declare pods.
	firstRoundUnequal := m.total.get(corev1.ResourcePods) > 0
	meet := make(map[string]bool, len(attrs))
	for round := 0; ; round++ {
		var totalWeight int32
		for _, a := range attrs {
			if !meet[a.q.name] {
				totalWeight += a.q.weight
			}
		}
		if totalWeight == 0 {
			break
		}
		oldRemaining := remaining.clone()
		var increased, decreased vres
		for _, a := range attrs {
			if meet[a.q.name] {
				continue
			}
			old := a.deserved.clone()
			a.deserved.addScaled(remaining, float64(a.q.weight)/float64(totalWeight))
			a.deserved.minDimension(a.q.realCap, dimInfinity)
			a.deserved.minDimension(a.request, dimZero)
			a.deserved.maxWith(a.q.guarantee)
			if a.request.lessEqual(a.deserved, dimZero) || a.deserved.semanticEqual(old) {
				meet[a.q.name] = true
			}
			a.deserved.accumulateDiff(old, &increased, &decreased)
		}
		remaining.add(decreased)
		remaining = exceededPart(remaining, increased)
		unchanged := remaining.semanticEqual(oldRemaining) && (round > 0 || !firstRoundUnequal)
		if remaining.isEmpty() || unchanged {
			break
		}
	}
	out := make(map[string]vres, len(attrs))
	for _, a := range attrs {
		out[a.q.name] = a.deserved
	}
	return out
}

// capacityDeserved is the capacity plugin's deserved: spec.deserved capped by the real
// capability and raised to the guarantee.
func (q *queueState) capacityDeserved() vres {
	d := q.specDeserv.clone()
	d.minDimension(q.realCap, dimInfinity)
	return maxVres(d, q.guarantee)
}

// reclaimDeserved is the deserved share the reclaim decisions compare with.
func (m *QueueModel) reclaimDeserved(in *admissionInput) map[string]vres {
	if m.plugin == QueuePluginCapacity {
		out := make(map[string]vres, len(m.queues))
		for name, q := range m.queues {
			out[name] = q.capacityDeserved()
		}
		return out
	}
	return m.deserved(in, 1)
}

// canReclaim reports whether the candidate's queue may reclaim from other queues: it must
// not be overused (proportion: deserved <= allocated) and must be "preemptive" for the
// gang (proportion: the allocate test; capacity: at least one requested dimension still
// within its deserved).
func (m *QueueModel) canReclaim(in *admissionInput, deserved map[string]vres) bool {
	q := m.queues[in.queue]
	future := q.allocated.clone()
	future.add(in.c.taskReq)
	switch m.plugin {
	case QueuePluginCapacity:
		return future.lessEqualPartlyWithDimensionZeroFiltered(q.capacityDeserved(), in.c.taskReq)
	default:
		d := deserved[in.queue]
		if d.lessEqual(q.allocated, dimZero) {
			return false
		}
		ok, _ := future.lessEqualWithDimension(d, in.c.taskReq)
		return ok
	}
}

// QueueView is what the model derives for one queue, for reports and the fleet queue.
type QueueView struct {
	Name  string
	State string
	// RealCapability is min((total - sum(guarantee))+ + guarantee, capability).
	RealCapability corev1.ResourceList
	// Deserved is the proportion share (water-fill over the current requests) or the
	// capacity plugin's deserved.
	Deserved  corev1.ResourceList
	Guarantee corev1.ResourceList
	Allocated corev1.ResourceList
	Inqueue   corev1.ResourceList
	Elastic   corev1.ResourceList
	// Headroom is realCapability - allocated - inqueue + elastic: the minResources one
	// more job may have to be enqueued now (ignoring the overcommit gate).
	Headroom corev1.ResourceList
}

// Queue returns the model's view of one queue.
func (m *QueueModel) Queue(name string) (QueueView, bool) {
	q, ok := m.queues[name]
	if !ok {
		return QueueView{}, false
	}
	var deserved vres
	if m.plugin == QueuePluginCapacity {
		deserved = q.capacityDeserved()
	} else {
		deserved = m.waterFill(nil)[name]
	}
	head := q.realCap.clone()
	head.sub(q.allocated).sub(q.inqueue).add(q.elastic)
	return QueueView{
		Name: q.name, State: q.state,
		RealCapability: q.realCap.resourceList(), Deserved: deserved.resourceList(),
		Guarantee: q.guarantee.resourceList(), Allocated: q.allocated.resourceList(),
		Inqueue: q.inqueue.resourceList(), Elastic: q.elastic.resourceList(),
		Headroom: head.resourceList(),
	}, true
}

// QueueAdmission is a workload as the queue gates see it: Sets identical copies of it are
// submitted to Queue one after the other.
type QueueAdmission struct {
	// Queue is the Volcano queue.
	Queue string
	// MinResources is one copy's PodGroup minResources (see PodGroupMinResources).
	MinResources corev1.ResourceList
	// SetRequests is the sum of the requests of one copy's gang (the pods allocate must
	// place together).
	SetRequests corev1.ResourceList
	// TaskRequests is the request of the copy's largest pod (reclaim decides task by
	// task); nil means SetRequests.
	TaskRequests corev1.ResourceList
	// JobRequests is the sum of the requests of all of one copy's pods; nil means
	// SetRequests.
	JobRequests corev1.ResourceList
	// Evictable is what preempt would free in the queue itself (lower-priority preemptable
	// pods of the same queue); it relieves the allocate test only, as in Volcano.
	Evictable corev1.ResourceList
	// MaxSets caps the answer (0: no cap).
	MaxSets int32
}

// Admit evaluates the queue gates (state, real capability, overcommit, allocate) for
// copies of a workload and returns each gate's bound, in that order. A queue that does not
// exist yields a single GateQueueUnknown limit with Sets Unknown.
func (m *QueueModel) Admit(a QueueAdmission) []Limit {
	if !m.Has(a.Queue) {
		return []Limit{{Gate: GateQueueUnknown, Sets: Unknown, Detail: "queue " + a.Queue + " does not exist"}}
	}
	in := &admissionInput{queue: a.Queue, extraRequest: map[string]vres{}, hi: Unlimited}
	if a.MaxSets > 0 {
		in.hi = a.MaxSets
	}
	in.c.minReq = newVres(a.MinResources)
	in.c.setReq = newVres(a.SetRequests)
	in.c.taskReq = in.c.setReq
	if a.TaskRequests != nil {
		in.c.taskReq = newVres(a.TaskRequests)
	}
	in.c.jobReq = in.c.setReq
	if a.JobRequests != nil {
		in.c.jobReq = newVres(a.JobRequests)
	}
	in.evictable = newVres(a.Evictable)
	var out []Limit
	for _, b := range m.bounds(in) {
		out = append(out, b.limit(m, a.Queue))
	}
	return out
}

// Queues lists the model's views of all queues, by name.
func (m *QueueModel) Queues() []QueueView {
	out := make([]QueueView, 0, len(m.order))
	for _, name := range m.order {
		v, _ := m.Queue(name)
		out = append(out, v)
	}
	return out
}
