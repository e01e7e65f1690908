package estimator

import (
	"fmt"
	"math"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Estimate answers how many complete sets of req the member can start now. It never
// fails: Unknown means the snapshot cannot tell (not synced, unknown queue).
func (s *Snapshot) Estimate(req Request) Estimate {
	if !s.synced {
		return unknown(GateSync, "the member's objects are not all loaded yet")
	}
	queue := req.Queue
	if queue == "" {
		queue = s.ResolveQueue(req.Namespace)
	}
	if s.queues == nil {
		queue = ""
	}
	if queue != "" && !s.queues.Has(queue) {
		return unknown(GateQueueUnknown, fmt.Sprintf("queue %q does not exist in the member", queue))
	}
	prio := s.workloadPriority(req)
	if len(req.Components) == 0 {
		return Estimate{Sets: Unlimited, SetsWithoutPreemption: Unlimited, Queue: queue, Priority: prio, Gate: GateRequest,
			Limits: []Limit{{Gate: GateRequest, Sets: Unlimited, Detail: "no components"}}}
	}
	comps, missing := s.fitComponents(req.Components)
	if missing != "" {
		return Estimate{Sets: 0, Queue: queue, Priority: prio, Gate: GateRequest,
			Limits: []Limit{{Gate: GateRequest, Sets: 0, Detail: missing}}}
	}
	hi := int64(Unlimited)
	if req.MaxSets > 0 {
		hi = int64(req.MaxSets)
	}

	fp := &fitProblem{width: s.width, free: s.free, comps: comps}
	var in *admissionInput
	if queue != "" {
		in = &admissionInput{queue: queue, c: candidateOf(req), extraRequest: map[string]vres{}}
	}
	if len(req.Assumed) > 0 {
		buf := getScratch(len(s.free))
		defer putScratch(buf)
		fp.free = *buf
		copy(fp.free, s.free)
		for _, w := range req.Assumed {
			s.assume(fp, in, w)
		}
	}
	free := fp.sets(hi)
	withVictims := free
	if in != nil && (s.cfg.Preempt || s.cfg.Reclaim) {
		buf := getScratch(len(fp.free))
		defer putScratch(buf)
		copy(*buf, fp.free)
		vp := &fitProblem{width: s.width, free: *buf, comps: comps}
		if s.addVictims(vp, in, prio) {
			withVictims = vp.sets(hi)
		}
	}

	est := Estimate{Queue: queue, Priority: prio}
	nodeDetail := ""
	if withVictims > free {
		nodeDetail = fmt.Sprintf("%d without preemption", free)
	}
	nodeLimit := Limit{Gate: GateNodes, Sets: clamp32(withVictims), Detail: nodeDetail}
	if withVictims == 0 {
		nodeLimit.Detail = "no node has room for a complete set"
	}
	setsNoPreempt := clamp32(free)
	if in != nil {
		in.hi = clamp32(max(withVictims, 1))
		bounds := s.queues.bounds(in)
		for _, b := range bounds {
			est.Limits = append(est.Limits, b.limit(s.queues, queue))
		}
		if !in.evictable.isEmpty() {
			// Without preemption nothing of the queue is freed for the allocate test.
			saved := in.evictable
			in.evictable = vres{}
			in.hi = clamp32(max(free, 1))
			for _, b := range s.queues.bounds(in) {
				setsNoPreempt = min(setsNoPreempt, b.sets)
			}
			in.evictable = saved
		} else {
			for _, b := range bounds {
				setsNoPreempt = min(setsNoPreempt, b.sets)
			}
		}
	}
	est.Limits = append(est.Limits, nodeLimit)
	est.Sets = Unlimited
	for _, l := range est.Limits {
		if l.Sets < est.Sets {
			est.Sets, est.Gate = l.Sets, l.Gate
		}
	}
	// On a tie the nodes are named: a queue whose real capability is the whole cluster ties
	// with node fit without being what limits the workload.
	if est.Gate == "" || nodeLimit.Sets == est.Sets {
		est.Gate = GateNodes
	}
	est.SetsWithoutPreemption = min(setsNoPreempt, est.Sets)
	return est
}

func clamp32(v int64) int32 {
	if v > int64(Unlimited) {
		return Unlimited
	}
	if v < 0 {
		return 0
	}
	return int32(v)
}

// limit turns a queue bound into a Limit with a message naming the queue, the resources
// and the relevant amounts.
func (b queueBound) limit(m *QueueModel, queue string) Limit {
	l := Limit{Gate: b.gate, Sets: b.sets}
	q := m.queues[queue]
	switch b.gate {
	case GateQueueState:
		state := q.state
		if state == "" {
			state = "not yet set"
		}
		l.Detail = fmt.Sprintf("queue %q is %s", queue, state)
	case GateQueueCapability:
		if len(b.short) > 0 {
			l.Detail = fmt.Sprintf("queue %q real capability exhausted for %s", queue, strings.Join(b.short, ","))
		}
	case GateOvercommit:
		if len(b.short) > 0 {
			l.Detail = fmt.Sprintf("cluster overcommitted (factor %g) for %s", m.overcommit, strings.Join(b.short, ","))
		}
	case GateQueueAllocate:
		if len(b.short) > 0 {
			what := "deserved share"
			if m.plugin == QueuePluginCapacity {
				what = "real capability"
			}
			l.Detail = fmt.Sprintf("queue %q %s exhausted for %s", queue, what, strings.Join(b.short, ","))
		}
	}
	return l
}

// workloadPriority is the priority the workload preempts with.
func (s *Snapshot) workloadPriority(req Request) int32 {
	if req.Priority != nil {
		return *req.Priority
	}
	prio := int32(math.MinInt32)
	found := false
	for _, c := range req.Components {
		if c.PriorityClassName == "" {
			continue
		}
		v, ok := s.priorities[c.PriorityClassName]
		if !ok {
			v = s.defaultPriority
		}
		if !found || v > prio {
			prio, found = v, true
		}
	}
	if !found {
		return s.defaultPriority
	}
	return prio
}

// candidateOf derives one copy of the workload in Volcano units.
func candidateOf(req Request) candidate {
	var c candidate
	var pods float64
	bestCPU, bestMem := -1.0, -1.0
	for _, comp := range req.Components {
		per := newVres(comp.Requests)
		c.setReq.add(per.scaled(float64(comp.Replicas)))
		pods += float64(comp.Replicas)
		if per.cpu > bestCPU || per.cpu == bestCPU && per.mem > bestMem {
			c.taskReq, bestCPU, bestMem = per, per.cpu, per.mem
		}
	}
	if req.MinResources != nil {
		c.minReq = newVres(req.MinResources)
	} else {
		c.minReq = c.setReq.clone()
		c.minReq.addScalar(corev1.ResourcePods, pods)
	}
	if req.JobRequests != nil {
		c.jobReq = newVres(req.JobRequests)
	} else {
		c.jobReq = c.setReq.clone()
	}
	return c
}

// fitComponents prepares the components for node fit. missing names a resource no node
// offers, when there is one.
func (s *Snapshot) fitComponents(components []Component) ([]*compFit, string) {
	out := make([]*compFit, 0, len(components))
	for i := range components {
		c := &components[i]
		dims, ok := s.dims.podDims(c.Requests)
		if !ok {
			var names []string
			for name := range c.Requests {
				if _, known := s.dims.index[name]; !known && fitted(name) {
					names = append(names, string(name))
				}
			}
			sort.Strings(names)
			return nil, fmt.Sprintf("component %q requests %s, which no node offers", c.Name, strings.Join(names, ","))
		}
		out = append(out, &compFit{replicas: int64(c.Replicas), dims: dims, nodes: s.topo.matchComponent(c)})
	}
	return out, ""
}

// claimKey identifies equal node restrictions (for the topology's match cache).
func claimKey(c *Component) string {
	if len(c.NodeSelector) == 0 && c.NodeAffinity == nil && len(c.Tolerations) == 0 {
		return "-"
	}
	var b strings.Builder
	keys := make([]string, 0, len(c.NodeSelector))
	for k := range c.NodeSelector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(c.NodeSelector[k])
		b.WriteByte(0)
	}
	b.WriteByte(1)
	if c.NodeAffinity != nil {
		if data, err := c.NodeAffinity.Marshal(); err == nil {
			b.Write(data)
		} else {
			return ""
		}
	}
	b.WriteByte(1)
	for i := range c.Tolerations {
		data, err := c.Tolerations[i].Marshal()
		if err != nil {
			return ""
		}
		b.Write(data)
		b.WriteByte(0)
	}
	return b.String()
}

// assume deducts an in-flight workload: its pods take room first fit (when a set does not
// fit, Karmada assumes it is already counted and deducts nothing) and its minResources
// count as reserved in its queue.
func (s *Snapshot) assume(fp *fitProblem, in *admissionInput, w Workload) {
	if len(w.Components) == 0 {
		return
	}
	comps, missing := s.fitComponents(w.Components)
	if missing == "" {
		fp.place(comps)
	}
	if in == nil {
		return
	}
	q := w.Queue
	if q == "" {
		q = s.ResolveQueue(w.Namespace)
	}
	if q == "" || !s.queues.Has(q) {
		return
	}
	c := candidateOf(Request{Components: w.Components})
	in.extraInqueueAll.add(c.minReq)
	r := in.extraRequest[q]
	r = r.clone()
	r.add(c.jobReq)
	in.extraRequest[q] = r
	if q == in.queue {
		in.extraInqueue.add(c.minReq)
	}
}

// addVictims adds to vp's free rows what preempt and reclaim could free for a workload of
// priority prio in in.queue, and records in in.evictable what preempt frees in the queue
// itself. It reports whether anything was added.
func (s *Snapshot) addVictims(vp *fitProblem, in *admissionInput, prio int32) bool {
	added := false
	m := s.queues
	var deserved map[string]vres
	budget := map[string]*vres{}
	reclaim := false
	if s.cfg.Reclaim {
		deserved = m.reclaimDeserved(in)
		reclaim = m.canReclaim(in, deserved)
	}
	// Only nodes some component may use matter.
	seen := make([]bool, len(s.victims))
	var nodes []int32
	for _, c := range vp.comps {
		for _, i := range c.nodes {
			if !seen[i] && len(s.victims[i]) > 0 {
				seen[i] = true
				nodes = append(nodes, i)
			}
		}
	}
	sort.Slice(nodes, func(a, b int) bool { return nodes[a] < nodes[b] })
	for _, i := range nodes {
		aggs := s.victims[i]
		row := vp.row(i)
		for a := range aggs {
			v := &aggs[a]
			take := false
			switch {
			case v.preempt && v.queue == in.queue && v.prio < prio:
				take = true
				in.evictable.add(v.vr)
			case reclaim && v.reclaim && v.running && v.queue != in.queue:
				q, ok := m.queues[v.queue]
				if !ok || !q.reclaimable {
					continue
				}
				alloc, ok := budget[v.queue]
				if !ok {
					a := q.allocated.clone()
					alloc = &a
					budget[v.queue] = alloc
				}
				// Volcano keeps reclaiming from a queue while it is above its deserved share.
				if alloc.lessEqual(deserved[v.queue], dimZero) {
					continue
				}
				alloc.sub(v.vr)
				take = true
			}
			if take {
				for d, val := range v.vec {
					if d < len(row) {
						row[d] += val
					}
				}
				added = true
			}
		}
	}
	return added
}
