package controller

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
	volcanoclient "volcano.sh/apis/pkg/client/clientset/versioned"
	volcanoinformers "volcano.sh/apis/pkg/client/informers/externalversions"

	"kurator.dev/kurator/pkg/batch"
	"kurator.dev/kurator/pkg/estimator"
	"kurator.dev/kurator/pkg/estimator/feed"
)

// memberRetry is how long a member that could not be reached or lacks Volcano waits
// before the next attempt.
const memberRetry = 30 * time.Second

// ConfigBuilder builds the client configuration of a member cluster by name.
type ConfigBuilder func(ctx context.Context, cluster string) (*rest.Config, error)

// MemberClients are the clients of one member cluster.
type MemberClients struct {
	Kube    kubernetes.Interface
	Volcano volcanoclient.Interface
}

// ClientsBuilder builds the clients of a member cluster by name.
type ClientsBuilder func(ctx context.Context, cluster string) (MemberClients, error)

// clientsFromConfig builds member clients from client configurations, with qps and
// burst.
func clientsFromConfig(build ConfigBuilder, qps float32, burst int) ClientsBuilder {
	return func(ctx context.Context, cluster string) (MemberClients, error) {
		cfg, err := build(ctx, cluster)
		if err != nil {
			return MemberClients{}, fmt.Errorf("building the client of member %s from its Cluster and secret: %w", cluster, err)
		}
		cfg = rest.CopyConfig(cfg)
		cfg.QPS, cfg.Burst = qps, burst
		kube, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return MemberClients{}, fmt.Errorf("member %s: %w", cluster, err)
		}
		vc, err := volcanoclient.NewForConfig(cfg)
		if err != nil {
			return MemberClients{}, fmt.Errorf("member %s: %w", cluster, err)
		}
		return MemberClients{Kube: kube, Volcano: vc}, nil
	}
}

// members are the member clusters the controller watches, one per Karmada Cluster.
type members struct {
	mu       sync.Mutex
	byName   map[string]*member
	clients  ClientsBuilder
	volcano  func(cluster string) estimator.Config
	onChange func()
	now      func() time.Time
}

// member is one member cluster: its model, fed by its informers, and the phases of its
// Volcano PodGroups by job.
type member struct {
	name string
	// fingerprint is what the member's connection was built from.
	fingerprint string
	model       *batch.Model
	cancel      context.CancelFunc

	mu sync.Mutex
	// groups are the member's Volcano Job PodGroups by namespace/name.
	groups map[string]podGroup
	// syncedAt is when every informer had synced (zero: not yet).
	syncedAt time.Time
	// problem says why the member is not synced, if it is known.
	problem string
}

// podGroup is what the controller reads of a PodGroup: its job, phase and age.
type podGroup struct {
	job      batch.JobKey
	phase    schedulingv1beta1.PodGroupPhase
	created  time.Time
	deleting bool
}

// memberStatus is a member as a cycle sees it.
type memberStatus struct {
	// synced is true when the member's caches are filled and current.
	synced   bool
	syncedAt time.Time
	problem  string
}

func newMembers(clients ClientsBuilder, volcano func(string) estimator.Config, now func() time.Time, onChange func()) *members {
	return &members{byName: map[string]*member{}, clients: clients, volcano: volcano, onChange: onChange, now: now}
}

// clusterFingerprint is what a member's client is built from; a change rebuilds it.
func clusterFingerprint(c *clusterv1alpha1.Cluster) string {
	fp := string(c.UID) + "|" + c.Spec.APIEndpoint + "|" + string(c.Spec.SyncMode) + "|" + strconv.FormatBool(c.Spec.InsecureSkipTLSVerification) + "|" + c.Spec.ProxyURL
	if r := c.Spec.SecretRef; r != nil {
		fp += "|" + r.Namespace + "/" + r.Name
	}
	return fp
}

// sync starts watching new clusters, restarts those whose connection changed and stops
// those that are gone. It never blocks on a member.
func (ms *members) sync(ctx context.Context, clusters []*clusterv1alpha1.Cluster) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	seen := map[string]bool{}
	for _, c := range clusters {
		seen[c.Name] = true
		fp := clusterFingerprint(c)
		if m, ok := ms.byName[c.Name]; ok {
			if m.fingerprint == fp {
				continue
			}
			klog.InfoS("Member cluster connection changed; reconnecting", "cluster", c.Name)
			m.cancel()
		}
		mctx, cancel := context.WithCancel(ctx)
		m := &member{name: c.Name, fingerprint: fp, cancel: cancel, model: batch.NewModel(c.Name, ms.volcano(c.Name)), groups: map[string]podGroup{}}
		ms.byName[c.Name] = m
		go ms.run(mctx, m)
	}
	for name, m := range ms.byName {
		if !seen[name] {
			klog.InfoS("Member cluster removed", "cluster", name)
			m.cancel()
			delete(ms.byName, name)
		}
	}
}

// get returns a member by name.
func (ms *members) get(name string) (*member, bool) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	m, ok := ms.byName[name]
	return m, ok
}

// stopAll stops every member.
func (ms *members) stopAll() {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for name, m := range ms.byName {
		m.cancel()
		delete(ms.byName, name)
	}
}

// run connects to the member and runs its informers until ctx ends, retrying while the
// member cannot be reached or does not serve Volcano.
func (ms *members) run(ctx context.Context, m *member) {
	for {
		err := ms.watch(ctx, m)
		if ctx.Err() != nil {
			return
		}
		m.setProblem(err.Error())
		klog.ErrorS(err, "Member cluster unavailable to the fleet queue; retrying", "cluster", m.name, "retryIn", memberRetry)
		ms.onChange()
		select {
		case <-ctx.Done():
			return
		case <-time.After(memberRetry):
		}
	}
}

// watch builds the member's clients and runs its informers; it returns only on failure
// to start (or when ctx ends).
func (ms *members) watch(ctx context.Context, m *member) error {
	cs, err := ms.clients(ctx, m.name)
	if err != nil {
		return err
	}
	kube, vc := cs.Kube, cs.Volcano
	if err := volcanoServed(kube); err != nil {
		return fmt.Errorf("member %s: %w", m.name, err)
	}

	kf := kubeinformers.NewSharedInformerFactory(kube, 0)
	vf := volcanoinformers.NewSharedInformerFactory(vc, 0)
	feeds := []feed.Feed{
		{Informer: kf.Core().V1().Nodes().Informer(), Transform: feed.SlimNode,
			Upsert: feed.On(m.model.UpsertNode), Remove: feed.On(func(n *corev1.Node) { m.model.DeleteNode(n.Name) })},
		{Informer: kf.Core().V1().Pods().Informer(), Transform: batchPods.Transform,
			Upsert: feed.On(m.model.UpsertPod), Remove: feed.On(func(p *corev1.Pod) { m.model.DeletePod(p.Namespace, p.Name) })},
		{Informer: kf.Scheduling().V1().PriorityClasses().Informer(),
			Upsert: feed.On(m.model.UpsertPriorityClass), Remove: feed.On(func(*schedulingv1.PriorityClass) {})},
		{Informer: kf.Core().V1().Namespaces().Informer(),
			Upsert: feed.On(m.model.UpsertNamespace), Remove: feed.On(func(*corev1.Namespace) {})},
		{Informer: vf.Scheduling().V1beta1().Queues().Informer(),
			Upsert: feed.On(m.model.UpsertQueue), Remove: feed.On(func(q *schedulingv1beta1.Queue) { m.model.DeleteQueue(q.Name) })},
		{Informer: vf.Scheduling().V1beta1().PodGroups().Informer(),
			Upsert: feed.On(m.upsertPodGroup), Remove: feed.On(m.deletePodGroup)},
	}
	synced := make([]cache.InformerSynced, 0, len(feeds))
	for _, f := range feeds {
		if err := f.Register(ms.onChange); err != nil {
			return fmt.Errorf("member %s: %w", m.name, err)
		}
		synced = append(synced, f.Informer.HasSynced)
	}
	kf.Start(ctx.Done())
	vf.Start(ctx.Done())
	start := ms.now()
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return ctx.Err()
	}
	m.model.SetSynced(true)
	m.mu.Lock()
	m.syncedAt, m.problem = ms.now(), ""
	m.mu.Unlock()
	klog.InfoS("Member caches synced", "cluster", m.name, "elapsed", ms.now().Sub(start))
	ms.onChange()
	<-ctx.Done()
	kf.Shutdown()
	vf.Shutdown()
	return ctx.Err()
}

// volcanoServed checks that the member serves Volcano Queues and PodGroups.
func volcanoServed(kube kubernetes.Interface) error {
	served, err := feed.VolcanoServed(kube.Discovery())
	if err != nil {
		return err
	}
	if !served {
		return fmt.Errorf("it does not serve Volcano Queues and PodGroups (%s): install Volcano there to run Volcano Jobs", schedulingv1beta1.SchemeGroupVersion)
	}
	return nil
}

func (m *member) setProblem(p string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.problem = p
}

// status is the member's synced state; ready is the Karmada Cluster's Ready condition.
func (m *member) status(ready bool) memberStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := memberStatus{syncedAt: m.syncedAt, problem: m.problem}
	st.synced = !m.syncedAt.IsZero() && ready
	if !m.syncedAt.IsZero() && !ready {
		st.problem = "its Karmada Cluster is not Ready"
	} else if m.syncedAt.IsZero() && st.problem == "" {
		st.problem = "its caches have not synced yet"
	}
	return st
}

func (m *member) upsertPodGroup(pg *schedulingv1beta1.PodGroup) {
	m.model.UpsertPodGroup(pg)
	key := pg.Namespace + "/" + pg.Name
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := metav1.GetControllerOf(pg)
	if ref == nil || ref.Kind != "Job" || ref.APIVersion != vcbatchv1alpha1.SchemeGroupVersion.String() {
		delete(m.groups, key)
		return
	}
	m.groups[key] = podGroup{
		job: batch.JobKey{Namespace: pg.Namespace, Name: ref.Name}, phase: pg.Status.Phase,
		created: pg.CreationTimestamp.Time, deleting: pg.DeletionTimestamp != nil,
	}
}

func (m *member) deletePodGroup(pg *schedulingv1beta1.PodGroup) {
	m.model.DeletePodGroup(pg.Namespace, pg.Name)
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.groups, pg.Namespace+"/"+pg.Name)
}

// jobPhase is the phase of the job's PodGroup in the member created at or after since
// (the job's dispatch: older PodGroups belong to an earlier run) and not being deleted;
// "" when there is none.
func (m *member) jobPhase(job batch.JobKey, since time.Time) schedulingv1beta1.PodGroupPhase {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k, g := range m.groups {
		if g.job == job {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var phase schedulingv1beta1.PodGroupPhase
	for _, k := range keys {
		g := m.groups[k]
		if g.deleting || g.created.Before(since.Truncate(time.Second)) {
			continue
		}
		if phase == "" || rank(g.phase) > rank(phase) {
			phase = g.phase
		}
	}
	return phase
}

// rank orders PodGroup phases by how far along they are.
func rank(p schedulingv1beta1.PodGroupPhase) int {
	switch p {
	case schedulingv1beta1.PodGroupCompleted:
		return 4
	case schedulingv1beta1.PodGroupRunning:
		return 3
	case schedulingv1beta1.PodGroupInqueue:
		return 2
	case schedulingv1beta1.PodGroupPending:
		return 1
	}
	return 0
}

// clusterReady reports whether a Karmada Cluster's Ready condition is True.
func clusterReady(c *clusterv1alpha1.Cluster) bool {
	return meta.IsStatusConditionTrue(c.Status.Conditions, clusterv1alpha1.ClusterConditionReady)
}
