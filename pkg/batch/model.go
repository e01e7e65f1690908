package batch

import (
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"

	"kurator.dev/kurator/pkg/estimator"
)

// Model is one member's admission model for the fleet queue: pkg/estimator's Store fed
// with the member's objects, plus an index of which pods and PodGroups belong to which
// Volcano Job, so that the core can ask "what if these jobs were gone" (eviction, finish)
// and "what if the member were empty" (validation). Feed it from the member's informers;
// it holds no client, clock or goroutine and is safe for concurrent use.
//
// A pod belongs to a job by its volcano.sh/job-name and volcano.sh/job-namespace labels
// (namespace: the pod's when the second is missing); a PodGroup by its controller
// reference to a batch.volcano.sh Job.
type Model struct {
	mu    sync.Mutex
	name  string
	live  *estimator.Store
	empty *estimator.Store

	pods   map[string]*corev1.Pod
	groups map[string]*schedulingv1beta1.PodGroup
	byJob  map[JobKey]*jobObjects
	alloc  map[string]corev1.ResourceList
}

type jobObjects struct {
	pods   map[string]bool
	groups map[string]bool
}

// NewModel returns an empty model of member name with its Volcano configuration.
func NewModel(name string, cfg estimator.Config) *Model {
	return &Model{
		name:   name,
		live:   estimator.NewStore(cfg),
		empty:  estimator.NewStore(cfg),
		pods:   map[string]*corev1.Pod{},
		groups: map[string]*schedulingv1beta1.PodGroup{},
		byJob:  map[JobKey]*jobObjects{},
		alloc:  map[string]corev1.ResourceList{},
	}
}

// Name is the member's name.
func (m *Model) Name() string { return m.name }

// SetSynced records whether every informer feeding the model has synced.
func (m *Model) SetSynced(synced bool) {
	m.live.SetSynced(synced)
	m.empty.SetSynced(synced)
}

// UpsertNode adds or updates a node.
func (m *Model) UpsertNode(n *corev1.Node) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.alloc[n.Name] = n.Status.Allocatable
	m.live.UpsertNode(n)
	m.empty.UpsertNode(n)
}

// DeleteNode removes a node.
func (m *Model) DeleteNode(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.alloc, name)
	m.live.DeleteNode(name)
	m.empty.DeleteNode(name)
}

// UpsertQueue adds or updates a Volcano Queue.
func (m *Model) UpsertQueue(q *schedulingv1beta1.Queue) {
	m.live.UpsertQueue(q)
	m.empty.UpsertQueue(q)
}

// DeleteQueue removes a Volcano Queue.
func (m *Model) DeleteQueue(name string) {
	m.live.DeleteQueue(name)
	m.empty.DeleteQueue(name)
}

// UpsertPriorityClass adds or updates a PriorityClass.
func (m *Model) UpsertPriorityClass(pc *schedulingv1.PriorityClass) {
	m.live.UpsertPriorityClass(pc)
	m.empty.UpsertPriorityClass(pc)
}

// UpsertNamespace records a namespace's Volcano queue annotation.
func (m *Model) UpsertNamespace(ns *corev1.Namespace) {
	m.live.UpsertNamespace(ns)
	m.empty.UpsertNamespace(ns)
}

// UpsertPod adds or updates a pod.
func (m *Model) UpsertPod(p *corev1.Pod) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := p.Namespace + "/" + p.Name
	m.unindexPod(key)
	if jk, ok := podJob(p); ok {
		m.pods[key] = p
		m.objects(jk).pods[key] = true
	}
	m.live.UpsertPod(p)
}

// DeletePod removes a pod.
func (m *Model) DeletePod(namespace, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unindexPod(namespace + "/" + name)
	m.live.DeletePod(namespace, name)
}

// UpsertPodGroup adds or updates a PodGroup.
func (m *Model) UpsertPodGroup(pg *schedulingv1beta1.PodGroup) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := pg.Namespace + "/" + pg.Name
	m.unindexGroup(key)
	if jk, ok := groupJob(pg); ok {
		m.groups[key] = pg
		m.objects(jk).groups[key] = true
	}
	m.live.UpsertPodGroup(pg)
}

// DeletePodGroup removes a PodGroup.
func (m *Model) DeletePodGroup(namespace, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unindexGroup(namespace + "/" + name)
	m.live.DeletePodGroup(namespace, name)
}

// HasJob reports whether any pod or PodGroup of the job is in the member.
func (m *Model) HasJob(k JobKey) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.byJob[k]
	return ok
}

// Snapshot is the member's admission model now.
func (m *Model) Snapshot() *estimator.Snapshot { return m.live.Snapshot() }

// Member returns the member as the core takes it: the current snapshot, the what-if
// function and the empty-member snapshot.
func (m *Model) Member() Member {
	m.mu.Lock()
	total := corev1.ResourceList{}
	names := make([]string, 0, len(m.alloc))
	for n := range m.alloc {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		addScaled(total, m.alloc[n], 1)
	}
	m.mu.Unlock()
	return Member{
		Name:        m.name,
		Snapshot:    m.live.Snapshot(),
		Without:     m.Without,
		Empty:       m.empty.Snapshot(),
		Allocatable: total,
	}
}

// Without returns a snapshot of the member as it is now minus every pod and PodGroup of
// the given jobs. The model itself is left as it was.
func (m *Model) Without(jobs []JobKey) *estimator.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	var pods []*corev1.Pod
	var groups []*schedulingv1beta1.PodGroup
	for _, k := range jobs {
		o, ok := m.byJob[k]
		if !ok {
			continue
		}
		for key := range o.pods {
			pods = append(pods, m.pods[key])
		}
		for key := range o.groups {
			groups = append(groups, m.groups[key])
		}
	}
	if len(pods) == 0 && len(groups) == 0 {
		return m.live.Snapshot()
	}
	for _, p := range pods {
		m.live.DeletePod(p.Namespace, p.Name)
	}
	for _, g := range groups {
		m.live.DeletePodGroup(g.Namespace, g.Name)
	}
	snap := m.live.Snapshot()
	for _, g := range groups {
		m.live.UpsertPodGroup(g)
	}
	for _, p := range pods {
		m.live.UpsertPod(p)
	}
	return snap
}

func (m *Model) objects(k JobKey) *jobObjects {
	o, ok := m.byJob[k]
	if !ok {
		o = &jobObjects{pods: map[string]bool{}, groups: map[string]bool{}}
		m.byJob[k] = o
	}
	return o
}

func (m *Model) unindexPod(key string) {
	p, ok := m.pods[key]
	if !ok {
		return
	}
	delete(m.pods, key)
	if jk, ok := podJob(p); ok {
		if o := m.byJob[jk]; o != nil {
			delete(o.pods, key)
			m.dropIfEmpty(jk, o)
		}
	}
}

func (m *Model) unindexGroup(key string) {
	g, ok := m.groups[key]
	if !ok {
		return
	}
	delete(m.groups, key)
	if jk, ok := groupJob(g); ok {
		if o := m.byJob[jk]; o != nil {
			delete(o.groups, key)
			m.dropIfEmpty(jk, o)
		}
	}
}

func (m *Model) dropIfEmpty(k JobKey, o *jobObjects) {
	if len(o.pods) == 0 && len(o.groups) == 0 {
		delete(m.byJob, k)
	}
}

func podJob(p *corev1.Pod) (JobKey, bool) {
	name := p.Labels[batchv1alpha1.JobNameKey]
	if name == "" {
		return JobKey{}, false
	}
	ns := p.Labels[batchv1alpha1.JobNamespaceKey]
	if ns == "" {
		ns = p.Namespace
	}
	return JobKey{Namespace: ns, Name: name}, true
}

func groupJob(pg *schedulingv1beta1.PodGroup) (JobKey, bool) {
	ref := metav1.GetControllerOf(pg)
	if ref == nil || ref.Kind != "Job" || ref.APIVersion != batchv1alpha1.SchemeGroupVersion.String() {
		return JobKey{}, false
	}
	return JobKey{Namespace: pg.Namespace, Name: ref.Name}, true
}
