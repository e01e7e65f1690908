package estimator

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// Snapshot is an immutable view of a member, built by Store.Snapshot. Every method is safe
// for concurrent use.
type Snapshot struct {
	cfg     Config
	synced  bool
	volcano bool
	gen     uint64

	topo    *topology
	dims    *dimTable
	width   int
	free    []int64
	victims [][]victimAgg

	queues          *QueueModel
	nsQueues        map[string]string
	priorities      map[string]int32
	defaultPriority int32
}

// Generation increases with every snapshot a store builds.
func (s *Snapshot) Generation() uint64 { return s.gen }

// Synced reports whether the store had every object when the snapshot was taken.
func (s *Snapshot) Synced() bool { return s.synced }

// Volcano reports whether queue admission is modelled (the member serves Volcano's APIs and
// the configuration names a queue plugin).
func (s *Snapshot) Volcano() bool { return s.queues != nil }

// Nodes is the number of nodes.
func (s *Snapshot) Nodes() int { return len(s.topo.nodes) }

// Config is the configuration the snapshot was built with.
func (s *Snapshot) Config() Config { return s.cfg }

// QueueModel returns the queue side of the snapshot (nil without Volcano).
func (s *Snapshot) QueueModel() *QueueModel { return s.queues }

// ResolveQueue is the Volcano queue of a workload in namespace: the configured mapping,
// else the namespace's scheduling.volcano.sh/queue-name annotation, else the default queue.
// It returns "" when queue admission does not apply.
func (s *Snapshot) ResolveQueue(namespace string) string {
	if s.queues == nil {
		return ""
	}
	if q, ok := s.cfg.NamespaceQueues[namespace]; ok {
		return q
	}
	if q, ok := s.nsQueues[namespace]; ok {
		return q
	}
	return s.cfg.DefaultQueue
}

// Snapshot returns the current snapshot, building a new one when objects changed since the
// last. Building costs time proportional to the nodes plus the jobs and nodes that
// changed; the previous snapshot stays valid for whoever holds it.
func (s *Store) Snapshot() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty && s.snap != nil {
		return s.snap
	}
	s.build()
	return s.snap
}

// Dirty reports whether objects changed since the last snapshot.
func (s *Store) Dirty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dirty
}

func (s *Store) build() {
	if s.allDirty {
		for _, j := range s.jobs {
			s.dirtyJobs[j.key] = j
		}
		for _, n := range s.nodes {
			s.dirtyNodes[n.name] = n
		}
		s.allDirty = false
	}
	for key, j := range s.dirtyJobs {
		s.applyJob(j, -1)
		s.computeJob(j)
		s.applyJob(j, 1)
		s.markJobNodesDirty(j)
		delete(s.dirtyJobs, key)
	}
	full := s.snap == nil || s.topoDirty || s.topo == nil || s.snap.width != len(s.dims.names) || s.snap.topo != s.topo
	if s.topoDirty || s.topo == nil {
		names := make([]string, 0, len(s.nodes))
		for name := range s.nodes {
			names = append(names, name)
		}
		sort.Strings(names)
		nodes := make([]*corev1.Node, len(names))
		s.nodeOrder = make([]*nodeRec, len(names))
		for i, name := range names {
			s.nodeOrder[i] = s.nodes[name]
			nodes[i] = s.nodes[name].node
		}
		s.topo = newTopology(nodes)
		s.topoDirty = false
		full = true
	}
	width := len(s.dims.names)
	snap := &Snapshot{
		cfg: s.cfg, synced: s.synced, volcano: s.volcano,
		topo: s.topo, dims: s.dims, width: width,
		nsQueues:        make(map[string]string, len(s.nsQueues)),
		priorities:      make(map[string]int32, len(s.priorityClasses)),
		defaultPriority: s.defaultPriority(),
	}
	if s.snap != nil && s.snap.dims.names != nil && len(s.snap.dims.names) == width {
		snap.dims = s.snap.dims
	} else {
		snap.dims = s.dims.clone()
	}
	preemption := s.cfg.Preempt || s.cfg.Reclaim
	if full {
		snap.free = make([]int64, len(s.nodeOrder)*width)
		if preemption {
			snap.victims = make([][]victimAgg, len(s.nodeOrder))
		}
		for i, r := range s.nodeOrder {
			if _, dirty := s.dirtyNodes[r.name]; dirty {
				s.computeVictims(r)
			}
			s.fillRow(snap, i, r)
		}
	} else {
		snap.free = append([]int64(nil), s.snap.free...)
		if preemption {
			snap.victims = append([][]victimAgg(nil), s.snap.victims...)
		}
		for _, r := range s.dirtyNodes {
			s.computeVictims(r)
			s.fillRow(snap, int(s.topo.index[r.name]), r)
		}
	}
	clear(s.dirtyNodes)
	for k, v := range s.nsQueues {
		snap.nsQueues[k] = v
	}
	for k, pc := range s.priorityClasses {
		snap.priorities[k] = pc.Value
	}
	if s.volcano {
		snap.queues = s.queueModel()
	}
	s.gen++
	snap.gen = s.gen
	s.snap = snap
	s.dirty = false
}

// fillRow writes node r's free vector (and victims) into row i of snap.
func (s *Store) fillRow(snap *Snapshot, i int, r *nodeRec) {
	width := snap.width
	row := snap.free[i*width : (i+1)*width]
	for d := 0; d < width; d++ {
		var a, q int64
		if d < len(r.alloc) {
			a = r.alloc[d]
		}
		if d < len(r.req) {
			q = r.req[d]
		}
		row[d] = a - q
	}
	if snap.victims != nil {
		snap.victims[i] = r.victims
	}
}

// queueModel builds the queue model from the queues and the per-queue sums of their jobs.
func (s *Store) queueModel() *QueueModel {
	list := make([]*queueState, 0, len(s.queues))
	var inqueueTotal vres
	for name, q := range s.queues {
		st := &queueState{
			name:         name,
			state:        string(q.Status.State),
			weight:       q.Spec.Weight,
			reclaimable:  q.Spec.Reclaimable == nil || *q.Spec.Reclaimable,
			capability:   capabilityVres(q.Spec.Capability),
			guarantee:    newVres(q.Spec.Guarantee.Resource),
			specDeserv:   newVres(q.Spec.Deserved),
			hasGuarantee: len(q.Spec.Guarantee.Resource) > 0,
		}
		if a := s.qagg[name]; a != nil {
			// Jobs of queues that do not exist are ignored, as Volcano ignores them.
			st.jobs = a.jobs
			st.allocated = a.allocated.clone()
			st.request = a.request.clone()
			st.inqueue = a.inqueue.clone()
			st.elastic = a.elastic.clone()
			// The overcommit plugin counts the same reservations (an Inqueue job without
			// minResources reserves nothing in either).
			inqueueTotal.add(a.inqueue)
		}
		list = append(list, st)
	}
	m := &QueueModel{
		plugin:       s.cfg.QueuePlugin,
		overcommit:   s.cfg.effectiveOvercommitFactor(),
		total:        s.totalV.clone(),
		used:         s.usedV.clone(),
		inqueueTotal: inqueueTotal,
		queues:       make(map[string]*queueState, len(list)),
	}
	m.init(list)
	return m
}
