package estimator

import (
	"sort"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	resourcehelper "k8s.io/component-helpers/resource"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
)

// taskStatus is Volcano's view of a pod (api.TaskStatus), as far as the API shows it.
type taskStatus uint8

const (
	statusPending taskStatus = iota
	statusBound
	statusRunning
	statusReleasing
	statusSucceeded
	statusFailed
	statusUnknown
)

// podStatus is Volcano's getTaskStatus.
func podStatus(p *corev1.Pod) taskStatus {
	switch p.Status.Phase {
	case corev1.PodRunning:
		if p.DeletionTimestamp != nil {
			return statusReleasing
		}
		return statusRunning
	case corev1.PodPending:
		if p.DeletionTimestamp != nil {
			return statusReleasing
		}
		if p.Spec.NodeName == "" {
			return statusPending
		}
		return statusBound
	case corev1.PodSucceeded:
		return statusSucceeded
	case corev1.PodFailed:
		return statusFailed
	}
	return statusUnknown
}

func (s taskStatus) terminal() bool { return s == statusSucceeded || s == statusFailed }

// allocated is Volcano's AllocatedStatus as visible from the API (Binding and Allocated
// exist only inside the scheduler).
func (s taskStatus) allocated() bool { return s == statusBound || s == statusRunning }

// podRec is what the model keeps of a pod.
type podRec struct {
	key       string
	namespace string
	node      string
	status    taskStatus
	// vreq is Volcano's task request (api.GetPodResourceRequest); vec the same in node-fit
	// units (with pods=1).
	vreq vres
	vec  []int64
	// group is the PodGroup key (namespace/name) from scheduling.k8s.io/group-name.
	group       string
	priority    int32
	preemptable bool
	// protected pods are never victims (Volcano's conformance plugin).
	protected  bool
	schedGated bool
	// unschedulableSince is when the pod's PodScheduled condition turned False with reason
	// Unschedulable (zero when it is not).
	unschedulableSince time.Time
	owner              metav1.OwnerReference
}

// nodeRec is what the model keeps of a node.
type nodeRec struct {
	name    string
	node    *corev1.Node
	alloc   []int64
	allocV  vres
	req     []int64
	pods    map[string]*podRec
	victims []victimAgg
}

// pgRec is what the model keeps of a PodGroup.
type pgRec struct {
	queue              string
	phase              schedulingv1beta1.PodGroupPhase
	minMember          int32
	minResources       *corev1.ResourceList
	minRes             vres
	priorityClassName  string
	unschedulableSince time.Time
	owner              metav1.OwnerReference
}

// jobRec groups a PodGroup and the pods that name it.
type jobRec struct {
	key     string
	pg      *pgRec
	pods    map[string]*podRec
	contrib jobContrib
}

// jobContrib is what one job adds to its queue, computed as Volcano's plugins do.
type jobContrib struct {
	valid     bool
	queue     string
	priority  int32
	allocated vres
	request   vres
	inqueue   vres
	elastic   vres
	// preemptVictims and reclaimVictims are the pods the job may lose to preempt and
	// reclaim, independent of who asks.
	preemptVictims map[string]bool
	reclaimVictims map[string]bool
}

// victimAgg sums victim pods of one node with the same queue, priority and eligibility.
type victimAgg struct {
	queue   string
	prio    int32
	running bool
	preempt bool
	reclaim bool
	vec     []int64
	vr      vres
}

// Store is the model's incremental index of a member's objects. Feed it what informers
// deliver (Upsert*/Delete*) and take Snapshots; it is safe for concurrent use. It holds no
// client, clock or goroutine.
type Store struct {
	mu  sync.Mutex
	cfg Config

	dims  *dimTable
	nodes map[string]*nodeRec
	pods  map[string]*podRec
	jobs  map[string]*jobRec
	// orphans are non-terminal pods bound to nodes the store does not know (yet), by node.
	orphans map[string]map[string]*podRec

	queues          map[string]*schedulingv1beta1.Queue
	priorityClasses map[string]*schedulingv1.PriorityClass
	nsQueues        map[string]string
	rsOwners        map[string]string

	totalV vres
	usedV  vres

	synced  bool
	volcano bool

	// qagg sums the contributions of the jobs of each queue name (whether or not the
	// queue exists).
	qagg map[string]*queueAgg

	dirty      bool
	topoDirty  bool
	allDirty   bool
	dirtyJobs  map[string]*jobRec
	dirtyNodes map[string]*nodeRec
	topo       *topology
	nodeOrder  []*nodeRec
	snap       *Snapshot
	gen        uint64
}

// queueAgg is the sum of the contributions of one queue's jobs.
type queueAgg struct {
	jobs      int
	allocated vres
	request   vres
	inqueue   vres
	elastic   vres
}

// NewStore returns an empty store for a member with the given configuration.
func NewStore(cfg Config) *Store {
	return &Store{
		cfg:             cfg,
		dims:            newDimTable(),
		nodes:           map[string]*nodeRec{},
		pods:            map[string]*podRec{},
		jobs:            map[string]*jobRec{},
		orphans:         map[string]map[string]*podRec{},
		queues:          map[string]*schedulingv1beta1.Queue{},
		priorityClasses: map[string]*schedulingv1.PriorityClass{},
		nsQueues:        map[string]string{},
		rsOwners:        map[string]string{},
		qagg:            map[string]*queueAgg{},
		dirtyJobs:       map[string]*jobRec{},
		dirtyNodes:      map[string]*nodeRec{},
		volcano:         cfg.QueuePlugin != QueuePluginNone,
		dirty:           true,
		topoDirty:       true,
	}
}

// Config returns the store's configuration.
func (s *Store) Config() Config { return s.cfg }

// SetSynced records whether every informer feeding the store has synced; snapshots of an
// unsynced store answer Unknown.
func (s *Store) SetSynced(synced bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.synced != synced {
		s.synced = synced
		s.dirty = true
	}
}

// SetVolcano records whether the member serves Volcano's APIs; without them only node fit
// is estimated.
func (s *Store) SetVolcano(enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	enabled = enabled && s.cfg.QueuePlugin != QueuePluginNone
	if s.volcano != enabled {
		s.volcano = enabled
		s.dirty = true
	}
}

// UpsertNode adds or updates a node.
func (s *Store) UpsertNode(n *corev1.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stripped := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels},
		Spec:       corev1.NodeSpec{Taints: n.Spec.Taints, Unschedulable: n.Spec.Unschedulable},
	}
	r, ok := s.nodes[n.Name]
	if !ok {
		r = &nodeRec{name: n.Name, pods: map[string]*podRec{}}
		s.nodes[n.Name] = r
		s.topoDirty = true
		// Pods seen before their node start counting now.
		for _, p := range s.orphans[n.Name] {
			r.pods[p.key] = p
			r.req = addVec(r.req, p.vec)
			s.usedV.add(p.vreq)
		}
		delete(s.orphans, n.Name)
	} else {
		same := sameTopology(r.node, stripped)
		alloc := s.dims.vector(n.Status.Allocatable)
		if same && equalVec(alloc, r.alloc) {
			// Status heartbeats change nothing the model reads.
			r.node = stripped
			return
		}
		s.totalV.sub(r.allocV)
		if !same {
			s.topoDirty = true
			s.dirty = true
		}
	}
	r.node = stripped
	r.alloc = s.dims.vector(n.Status.Allocatable)
	r.allocV = newVres(n.Status.Allocatable)
	s.totalV.add(r.allocV)
	s.touchNode(r)
}

// DeleteNode removes a node; its pods stop counting until it returns.
func (s *Store) DeleteNode(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.nodes[name]
	if !ok {
		return
	}
	s.totalV.sub(r.allocV)
	for _, p := range r.pods {
		s.usedV.sub(p.vreq)
		s.addOrphan(p)
	}
	delete(s.nodes, name)
	delete(s.dirtyNodes, name)
	s.topoDirty = true
	s.dirty = true
}

func sameTopology(a, b *corev1.Node) bool {
	if a == nil || b == nil || a.Spec.Unschedulable != b.Spec.Unschedulable || len(a.Labels) != len(b.Labels) || len(a.Spec.Taints) != len(b.Spec.Taints) {
		return false
	}
	for k, v := range a.Labels {
		if w, ok := b.Labels[k]; !ok || v != w {
			return false
		}
	}
	for i := range a.Spec.Taints {
		x, y := a.Spec.Taints[i], b.Spec.Taints[i]
		if x.Key != y.Key || x.Value != y.Value || x.Effect != y.Effect {
			return false
		}
	}
	return true
}

// podKey is namespace/name.
func podKey(namespace, name string) string { return namespace + "/" + name }

// newPodRec derives the model's record of a pod.
func (s *Store) newPodRec(p *corev1.Pod) *podRec {
	requests := resourcehelper.PodRequests(p, resourcehelper.PodResourcesOptions{})
	r := &podRec{
		key:         podKey(p.Namespace, p.Name),
		namespace:   p.Namespace,
		node:        p.Spec.NodeName,
		status:      podStatus(p),
		vreq:        newVres(requests),
		vec:         s.dims.vector(requests),
		preemptable: podPreemptable(p),
		protected: p.Namespace == metav1.NamespaceSystem || p.Spec.PriorityClassName == "system-cluster-critical" ||
			p.Spec.PriorityClassName == "system-node-critical",
		schedGated: len(p.Spec.SchedulingGates) > 0,
		priority:   1,
	}
	r.vec[dimPods] = 1
	if g := p.Annotations[schedulingv1beta1.KubeGroupNameAnnotationKey]; g != "" {
		r.group = podKey(p.Namespace, g)
	}
	if p.Spec.Priority != nil {
		r.priority = *p.Spec.Priority
	}
	if v, ok := p.Annotations["volcano.sh/task-priority"]; ok {
		if pr, err := strconv.ParseInt(v, 10, 32); err == nil {
			r.priority = int32(pr)
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			r.unschedulableSince = c.LastTransitionTime.Time
		}
	}
	if ref := metav1.GetControllerOf(p); ref != nil {
		r.owner = *ref
	}
	return r
}

// podPreemptable is Volcano's GetPodPreemptable: the volcano.sh/preemptable annotation,
// else label, else true; an unparsable value means false.
func podPreemptable(p *corev1.Pod) bool {
	for _, m := range []map[string]string{p.Annotations, p.Labels} {
		if v, ok := m[schedulingv1beta1.PodPreemptable]; ok {
			b, err := strconv.ParseBool(v)
			return err == nil && b
		}
	}
	return true
}

// UpsertPod adds or updates a pod.
func (s *Store) UpsertPod(p *corev1.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.newPodRec(p)
	s.removePod(r.key)
	s.pods[r.key] = r
	if r.node != "" && !r.status.terminal() {
		if n, ok := s.nodes[r.node]; ok {
			n.pods[r.key] = r
			n.req = addVec(n.req, r.vec)
			s.touchNode(n)
			s.usedV.add(r.vreq)
		} else {
			s.addOrphan(r)
		}
	}
	if r.group != "" {
		j := s.job(r.group)
		j.pods[r.key] = r
		s.touchJob(j)
	}
	s.dirty = true
}

// DeletePod removes a pod.
func (s *Store) DeletePod(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removePod(podKey(namespace, name))
	s.dirty = true
}

func (s *Store) removePod(key string) {
	old, ok := s.pods[key]
	if !ok {
		return
	}
	delete(s.pods, key)
	if o := s.orphans[old.node]; o != nil {
		delete(o, key)
		if len(o) == 0 {
			delete(s.orphans, old.node)
		}
	}
	if n, ok := s.nodes[old.node]; ok {
		if _, counted := n.pods[key]; counted {
			delete(n.pods, key)
			n.req = subVec(n.req, old.vec)
			s.touchNode(n)
			s.usedV.sub(old.vreq)
		}
	}
	if old.group != "" {
		if j, ok := s.jobs[old.group]; ok {
			delete(j.pods, key)
			s.touchJob(j)
			s.dropJobIfEmpty(j)
		}
	}
}

func (s *Store) addOrphan(p *podRec) {
	o := s.orphans[p.node]
	if o == nil {
		o = map[string]*podRec{}
		s.orphans[p.node] = o
	}
	o[p.key] = p
}

func (s *Store) job(key string) *jobRec {
	j, ok := s.jobs[key]
	if !ok {
		j = &jobRec{key: key, pods: map[string]*podRec{}}
		s.jobs[key] = j
		s.touchJob(j)
	}
	return j
}

func (s *Store) dropJobIfEmpty(j *jobRec) {
	if j.pg == nil && len(j.pods) == 0 {
		s.applyJob(j, -1)
		j.contrib = jobContrib{}
		delete(s.jobs, j.key)
		delete(s.dirtyJobs, j.key)
	}
}

// touchNode marks a node's row and victims for recomputation.
func (s *Store) touchNode(n *nodeRec) {
	s.dirtyNodes[n.name] = n
	s.dirty = true
}

// touchJob marks a job's contribution for recomputation.
func (s *Store) touchJob(j *jobRec) {
	s.dirtyJobs[j.key] = j
	s.dirty = true
}

// applyJob adds (sign 1) or removes (sign -1) a job's contribution to its queue's sums.
func (s *Store) applyJob(j *jobRec, sign int) {
	c := &j.contrib
	if !c.valid {
		return
	}
	a := s.qagg[c.queue]
	if a == nil {
		a = &queueAgg{}
		s.qagg[c.queue] = a
	}
	if sign > 0 {
		a.jobs++
		a.allocated.add(c.allocated)
		a.request.add(c.request)
		a.inqueue.add(c.inqueue)
		a.elastic.add(c.elastic)
		return
	}
	a.jobs--
	a.allocated.sub(c.allocated)
	a.request.sub(c.request)
	a.inqueue.sub(c.inqueue)
	a.elastic.sub(c.elastic)
	if a.jobs == 0 {
		delete(s.qagg, c.queue)
	}
}

// UpsertPodGroup adds or updates a Volcano PodGroup.
func (s *Store) UpsertPodGroup(pg *schedulingv1beta1.PodGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &pgRec{
		queue:             pg.Spec.Queue,
		phase:             pg.Status.Phase,
		minMember:         pg.Spec.MinMember,
		minResources:      pg.Spec.MinResources,
		priorityClassName: pg.Spec.PriorityClassName,
	}
	if r.queue == "" {
		// vc-scheduler's --default-queue; "default" when the configuration leaves the
		// default queue empty (that only turns queue admission off for unmapped requests).
		r.queue = s.cfg.DefaultQueue
		if r.queue == "" {
			r.queue = schedulingv1beta1.DefaultQueue
		}
	}
	if pg.Spec.MinResources != nil {
		r.minRes = newVres(*pg.Spec.MinResources)
	}
	for _, c := range pg.Status.Conditions {
		if c.Type == schedulingv1beta1.PodGroupUnschedulableType && c.Status == corev1.ConditionTrue {
			r.unschedulableSince = c.LastTransitionTime.Time
		}
	}
	if ref := metav1.GetControllerOf(pg); ref != nil {
		r.owner = *ref
	}
	j := s.job(podKey(pg.Namespace, pg.Name))
	j.pg = r
	s.touchJob(j)
}

// DeletePodGroup removes a PodGroup.
func (s *Store) DeletePodGroup(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j, ok := s.jobs[podKey(namespace, name)]; ok {
		j.pg = nil
		s.touchJob(j)
		s.markJobNodesDirty(j)
		s.dropJobIfEmpty(j)
	}
}

// UpsertQueue adds or updates a Volcano Queue.
func (s *Store) UpsertQueue(q *schedulingv1beta1.Queue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues[q.Name] = q
	s.dirty = true
}

// DeleteQueue removes a Queue.
func (s *Store) DeleteQueue(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.queues, name)
	s.dirty = true
}

// UpsertPriorityClass adds or updates a PriorityClass.
func (s *Store) UpsertPriorityClass(pc *schedulingv1.PriorityClass) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.priorityClasses[pc.Name] = pc
	s.allDirty = true
	s.dirty = true
}

// DeletePriorityClass removes a PriorityClass.
func (s *Store) DeletePriorityClass(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.priorityClasses, name)
	s.allDirty = true
	s.dirty = true
}

// UpsertNamespace records the namespace's scheduling.volcano.sh/queue-name annotation.
func (s *Store) UpsertNamespace(ns *corev1.Namespace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := ns.Annotations[schedulingv1beta1.QueueNameAnnotationKey]
	if s.nsQueues[ns.Name] != q {
		if q == "" {
			delete(s.nsQueues, ns.Name)
		} else {
			s.nsQueues[ns.Name] = q
		}
		s.dirty = true
	}
}

// DeleteNamespace forgets a namespace.
func (s *Store) DeleteNamespace(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.nsQueues[name]; ok {
		delete(s.nsQueues, name)
		s.dirty = true
	}
}

// SetReplicaSetOwner records which Deployment owns a ReplicaSet (empty: none), for
// GetUnschedulableReplicas.
func (s *Store) SetReplicaSetOwner(namespace, replicaSet, deployment string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if deployment == "" {
		delete(s.rsOwners, podKey(namespace, replicaSet))
		return
	}
	s.rsOwners[podKey(namespace, replicaSet)] = deployment
}

func (s *Store) markJobNodesDirty(j *jobRec) {
	for _, p := range j.pods {
		if n, ok := s.nodes[p.node]; ok {
			if _, counted := n.pods[p.key]; counted {
				s.touchNode(n)
			}
		}
	}
}

// priorityOf resolves a PriorityClass name as Volcano does for job priority: the class's
// value, else the global default class's value, else 0.
func (s *Store) priorityOf(name string) int32 {
	if pc, ok := s.priorityClasses[name]; ok && name != "" {
		return pc.Value
	}
	return s.defaultPriority()
}

func (s *Store) defaultPriority() int32 {
	var best *schedulingv1.PriorityClass
	for _, pc := range s.priorityClasses {
		if pc.GlobalDefault && (best == nil || pc.Name < best.Name) {
			best = pc
		}
	}
	if best == nil {
		return 0
	}
	return best.Value
}

// computeJob derives a job's contribution exactly as the proportion, capacity and
// overcommit plugins read it when a session opens.
func (s *Store) computeJob(j *jobRec) {
	c := jobContrib{}
	if j.pg == nil {
		j.contrib = c
		return
	}
	c.valid = true
	c.queue = j.pg.queue
	c.priority = s.priorityOf(j.pg.priorityClassName)
	var allocatedNum, readyNum int32
	var gated vres
	hasGated := false
	keys := make([]string, 0, len(j.pods))
	for k := range j.pods {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := j.pods[k]
		switch {
		case p.status.allocated():
			c.allocated.add(p.vreq)
			c.request.add(p.vreq)
			allocatedNum++
			readyNum++
		case p.status == statusPending:
			c.request.add(p.vreq)
		case p.status == statusSucceeded:
			readyNum++
		}
		if p.schedGated {
			gated.add(p.vreq)
			hasGated = true
		}
	}
	if j.pg.phase == schedulingv1beta1.PodGroupInqueue {
		c.inqueue.add(deductGated(j.pg.minRes, gated, hasGated))
	}
	if j.pg.phase == schedulingv1beta1.PodGroupRunning && j.pg.minResources != nil && allocatedNum >= j.pg.minMember {
		c.inqueue.add(deductGated(inqueueOfRunning(*j.pg.minResources, c.allocated), gated, hasGated))
	}
	c.elastic = exceededPart(c.allocated, j.pg.minRes)
	c.preemptVictims = victimSet(j, keys, readyNum, false, s.cfg.PreemptKeepsMinAvailable)
	c.reclaimVictims = victimSet(j, keys, readyNum, true, s.cfg.ReclaimKeepsMinAvailable)
	j.contrib = c
}

// deductGated is JobInfo.DeductSchGatedResources.
func deductGated(res, gated vres, hasGated bool) vres {
	if !hasGated || gated.isEmpty() {
		return res
	}
	out := res.clone()
	out.cpu = max(out.cpu-gated.cpu, 0)
	out.mem = max(out.mem-gated.mem, 0)
	for k, v := range res.scalars {
		if g, ok := gated.scalars[k]; ok {
			out.scalars[k] = max(v-g, 0)
		}
	}
	return out
}

// inqueueOfRunning is Volcano's util.GetInqueueResource: what a Running job still reserves
// of its minResources. Faithfully including Volcano's unit quirk: scalar minResources are
// compared by Value while allocated scalars are in milli-units.
func inqueueOfRunning(minResources corev1.ResourceList, allocated vres) vres {
	var out vres
	for name, q := range minResources {
		switch name {
		case corev1.ResourceCPU:
			if r := float64(q.MilliValue()) - allocated.cpu; r > 0 {
				out.cpu = r
			}
		case corev1.ResourceMemory:
			if r := float64(q.Value()) - allocated.mem; r > 0 {
				out.mem = r
			}
		default:
			if len(name) > 6 && string(name[:6]) == "count/" || !isScalarResourceName(name) {
				continue
			}
			if out.scalars == nil {
				out.scalars = map[corev1.ResourceName]float64{}
			}
			if a, ok := allocated.scalars[name]; !ok {
				out.scalars[name] = float64(q.Value())
			} else if r := float64(q.Value()) - a; r > 0 {
				out.scalars[name] = r
			}
		}
	}
	return out
}

// victimSet is the set of a job's pods that preempt (or reclaim) may evict: bound or
// running (running only for reclaim), preemptable and not protected; when the gang plugin
// votes, only ready-minAvailable of them, lowest task priority first.
func victimSet(j *jobRec, keys []string, readyNum int32, reclaim, keepMin bool) map[string]bool {
	var cands []*podRec
	for _, k := range keys {
		p := j.pods[k]
		if !p.preemptable || p.protected {
			continue
		}
		if p.status == statusRunning || (!reclaim && p.status == statusBound) {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	if keepMin {
		n := int(readyNum - j.pg.minMember)
		if n <= 0 {
			return nil
		}
		sort.SliceStable(cands, func(a, b int) bool {
			if cands[a].priority != cands[b].priority {
				return cands[a].priority < cands[b].priority
			}
			return cands[a].key > cands[b].key
		})
		if n < len(cands) {
			cands = cands[:n]
		}
	}
	out := make(map[string]bool, len(cands))
	for _, p := range cands {
		out[p.key] = true
	}
	return out
}

// computeVictims aggregates the victim pods of a node.
func (s *Store) computeVictims(n *nodeRec) {
	if !s.cfg.Preempt && !s.cfg.Reclaim {
		n.victims = nil
		return
	}
	type aggKey struct {
		queue            string
		prio             int32
		running          bool
		preempt, reclaim bool
	}
	aggs := map[aggKey]*victimAgg{}
	var order []aggKey
	for _, p := range n.pods {
		if p.group == "" {
			continue
		}
		j, ok := s.jobs[p.group]
		if !ok || !j.contrib.valid {
			continue
		}
		pre := s.cfg.Preempt && j.contrib.preemptVictims[p.key]
		rec := s.cfg.Reclaim && j.contrib.reclaimVictims[p.key]
		if !pre && !rec {
			continue
		}
		k := aggKey{queue: j.contrib.queue, prio: j.contrib.priority, running: p.status == statusRunning, preempt: pre, reclaim: rec}
		a, ok := aggs[k]
		if !ok {
			a = &victimAgg{queue: k.queue, prio: k.prio, running: k.running, preempt: pre, reclaim: rec}
			aggs[k] = a
			order = append(order, k)
		}
		a.vec = addVec(a.vec, p.vec)
		a.vr.add(p.vreq)
	}
	sort.Slice(order, func(a, b int) bool {
		x, y := order[a], order[b]
		if x.queue != y.queue {
			return x.queue < y.queue
		}
		if x.prio != y.prio {
			return x.prio < y.prio
		}
		if x.running != y.running {
			return !x.running
		}
		if x.preempt != y.preempt {
			return !x.preempt
		}
		return !x.reclaim && y.reclaim
	})
	n.victims = make([]victimAgg, 0, len(order))
	for _, k := range order {
		n.victims = append(n.victims, *aggs[k])
	}
}

func addVec(a, b []int64) []int64 {
	if len(a) < len(b) {
		a = append(a, make([]int64, len(b)-len(a))...)
	}
	for i, v := range b {
		a[i] += v
	}
	return a
}

func subVec(a, b []int64) []int64 {
	if len(a) < len(b) {
		a = append(a, make([]int64, len(b)-len(a))...)
	}
	for i, v := range b {
		a[i] -= v
	}
	return a
}

func sortStrings(s []string) { sort.Strings(s) }

func equalVec(a, b []int64) bool {
	n := max(len(a), len(b))
	for i := 0; i < n; i++ {
		var x, y int64
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return false
		}
	}
	return true
}
