package controller

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	karmadafake "github.com/karmada-io/karmada/pkg/generated/clientset/versioned/fake"
	"github.com/karmada-io/karmada/pkg/util/names"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientfeatures "k8s.io/client-go/features"
	clientfeaturestesting "k8s.io/client-go/features/testing"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
	volcanofake "volcano.sh/apis/pkg/client/clientset/versioned/fake"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/batch"
	"kurator.dev/kurator/pkg/batch/webhook"
	"kurator.dev/kurator/pkg/estimator"
	kuratorfake "kurator.dev/kurator/pkg/generated/clientset/versioned/fake"
)

// t0 is the fixture's start time.
var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeMember is a member cluster of fake clients.
type fakeMember struct {
	kube    *kubefake.Clientset
	volcano *volcanofake.Clientset
}

// fixture is a Karmada apiserver and members of fake clients, and a controller over them.
type fixture struct {
	t       *testing.T
	clock   *clock
	karmada KarmadaClients
	members map[string]*fakeMember
	// unreachable members fail to build clients.
	unreachable map[string]bool
	c           *Controller
	events      *record.FakeRecorder
}

// res parses "cpu=4,memory=8Gi".
func res(s string) corev1.ResourceList {
	rl := corev1.ResourceList{}
	for _, kv := range strings.Split(s, ",") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		rl[corev1.ResourceName(k)] = resource.MustParse(v)
	}
	return rl
}

// memberSpec is a member: its nodes' allocatable and Volcano queues (name=capability).
type memberSpec struct {
	name        string
	nodes       []string
	queues      map[string]string
	unreachable bool
}

func newFixture(t *testing.T, members []memberSpec, karmadaObjs ...runtime.Object) *fixture {
	t.Helper()
	// Volcano's fake clientset cannot stream the initial list (it sends no bookmark).
	clientfeaturestesting.SetFeatureDuringTest(t, clientfeatures.WatchListClient, false)
	f := &fixture{t: t, clock: &clock{t: t0}, members: map[string]*fakeMember{}, unreachable: map[string]bool{}}
	var clusters []runtime.Object
	for _, m := range members {
		clusters = append(clusters, &clusterv1alpha1.Cluster{
			ObjectMeta: metav1.ObjectMeta{Name: m.name, UID: types.UID("uid-" + m.name)},
			Spec:       clusterv1alpha1.ClusterSpec{SyncMode: clusterv1alpha1.Push, APIEndpoint: "https://" + m.name},
			Status: clusterv1alpha1.ClusterStatus{
				Conditions: []metav1.Condition{{Type: clusterv1alpha1.ClusterConditionReady, Status: metav1.ConditionTrue}},
				APIEnablements: []clusterv1alpha1.APIEnablement{{GroupVersion: "batch.volcano.sh/v1alpha1",
					Resources: []clusterv1alpha1.APIResource{{Name: "jobs", Kind: "Job"}}}},
			},
		})
		kube := kubefake.NewClientset()
		kube.Resources = []*metav1.APIResourceList{{GroupVersion: schedulingv1beta1.SchemeGroupVersion.String(),
			APIResources: []metav1.APIResource{{Name: "queues"}, {Name: "podgroups"}}}}
		vc := volcanofake.NewSimpleClientset() //nolint:staticcheck // NewClientset needs apply schemas Volcano does not generate
		for i, n := range m.nodes {
			alloc := res(n)
			alloc[corev1.ResourcePods] = resource.MustParse("110")
			if _, ok := alloc[corev1.ResourceMemory]; !ok {
				alloc[corev1.ResourceMemory] = resource.MustParse("256Gi")
			}
			f.create(kube.Tracker(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-n%d", m.name, i)},
				Status: corev1.NodeStatus{Allocatable: alloc, Capacity: alloc}})
		}
		queues := map[string]string{"default": ""}
		for q, c := range m.queues {
			queues[q] = c
		}
		for q, capability := range queues {
			f.create(vc.Tracker(), &schedulingv1beta1.Queue{ObjectMeta: metav1.ObjectMeta{Name: q},
				Spec:   schedulingv1beta1.QueueSpec{Weight: 1, Capability: res(capability)},
				Status: schedulingv1beta1.QueueStatus{State: schedulingv1beta1.QueueStateOpen}})
		}
		f.members[m.name] = &fakeMember{kube: kube, volcano: vc}
		f.unreachable[m.name] = m.unreachable
	}
	karmada := karmadafake.NewClientset(clusters...)
	kurator := kuratorfake.NewSimpleClientset( //nolint:staticcheck // NewClientset needs apply schemas kurator does not generate
		&fleetv1alpha1.Fleet{ObjectMeta: metav1.ObjectMeta{Name: "fleet"}, Spec: fleetv1alpha1.FleetSpec{Batch: &fleetv1alpha1.FleetBatch{DefaultQueue: "default"}}},
		&batchv1alpha1.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
	)
	f.karmada = KarmadaClients{Kube: kubefake.NewClientset(), Karmada: karmada, Volcano: volcanofake.NewSimpleClientset(), //nolint:staticcheck // as above
		Kurator: kurator}
	for _, o := range karmadaObjs {
		f.add(o)
	}
	f.start()
	return f
}

func (f *fixture) create(tracker interface {
	Add(runtime.Object) error
}, obj runtime.Object) {
	f.t.Helper()
	if err := tracker.Add(obj); err != nil {
		f.t.Fatal(err)
	}
}

// add creates an object in the Karmada apiserver.
func (f *fixture) add(o runtime.Object) {
	f.t.Helper()
	var err error
	switch v := o.(type) {
	case *batchv1alpha1.FleetQueue:
		_, err = f.karmada.Kurator.BatchV1alpha1().FleetQueues().Create(f.t.Context(), v, metav1.CreateOptions{})
	case *schedulingv1.PriorityClass:
		_, err = f.karmada.Kube.SchedulingV1().PriorityClasses().Create(f.t.Context(), v, metav1.CreateOptions{})
	default:
		f.t.Fatalf("fixture cannot create %T", o)
	}
	if err != nil {
		f.t.Fatal(err)
	}
}

// start builds a controller over the fixture's clients and syncs its caches.
func (f *fixture) start() {
	f.t.Helper()
	c, err := New(Config{
		Clients: f.karmada, Policy: batch.DefaultPolicy(), Now: f.clock.Now,
		Volcano: func(string) estimator.Config { return estimator.DefaultConfig() },
		MemberClients: func(_ context.Context, cluster string) (MemberClients, error) {
			m, ok := f.members[cluster]
			if !ok || f.unreachable[cluster] {
				return MemberClients{}, fmt.Errorf("dial tcp: connection refused")
			}
			return MemberClients{Kube: m.kube, Volcano: m.volcano}, nil
		},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.events = record.NewFakeRecorder(100)
	c.recorder = f.events
	ctx, cancel := context.WithCancel(context.Background())
	f.t.Cleanup(func() {
		cancel()
		c.members.stopAll()
	})
	if err := c.src.run(ctx); err != nil {
		f.t.Fatal(err)
	}
	f.c = c
	// The first cycle starts the members; wait until every reachable one has synced.
	f.cycle()
	f.eventually("reachable members synced", func() (bool, string) {
		for name := range f.members {
			if f.unreachable[name] {
				continue
			}
			m, ok := c.members.get(name)
			if !ok || !m.status(true).synced {
				return false, name + " not synced"
			}
		}
		return true, ""
	})
}

// restart replaces the controller by a new one, as after a crash.
func (f *fixture) restart() {
	f.t.Helper()
	f.c.members.stopAll()
	f.start()
}

func (f *fixture) cycle() {
	f.t.Helper()
	if err := f.c.Cycle(f.t.Context()); err != nil {
		f.t.Fatal(err)
	}
}

// eventually polls check until it holds, or fails the test after 10 seconds.
func (f *fixture) eventually(what string, check func() (bool, string)) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, seen := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: not true after 10s; last seen: %s", what, seen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// jobSpec is a Volcano Job: tasks of replicas pods requesting requests each.
type jobSpec struct {
	name        string
	queue       string
	priority    string
	annotations map[string]string
	replicas    int32
	requests    string
	runtime     time.Duration
	clusters    []string
}

// submit creates the Volcano Job template and its binding as Karmada and the webhook
// make it: suspended and managed.
func (f *fixture) submit(j jobSpec) *workv1alpha2.ResourceBinding {
	f.t.Helper()
	vj := &vcbatchv1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: j.name, UID: types.UID("uid-" + j.name), Annotations: j.annotations,
			CreationTimestamp: metav1.NewTime(f.clock.Now())},
		Spec: vcbatchv1alpha1.JobSpec{Queue: j.queue, PriorityClassName: j.priority, MinAvailable: j.replicas,
			Tasks: []vcbatchv1alpha1.TaskSpec{{Name: "worker", Replicas: j.replicas, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: res(j.requests)}}}}}}}},
	}
	if j.runtime > 0 {
		vj.Spec.RunningEstimate = &metav1.Duration{Duration: j.runtime}
	}
	if _, err := f.karmada.Volcano.BatchV1alpha1().Jobs("ns").Create(f.t.Context(), vj, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	rb := &workv1alpha2.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: names.GenerateBindingName("Job", j.name), ResourceVersion: "1"},
		Spec: workv1alpha2.ResourceBindingSpec{
			Resource:  workv1alpha2.ObjectReference{APIVersion: webhook.VolcanoJobAPIVersion, Kind: webhook.VolcanoJobKind, Namespace: "ns", Name: j.name, UID: vj.UID},
			Placement: &policyv1alpha1.Placement{},
		},
	}
	if j.clusters != nil {
		rb.Spec.Placement.ClusterAffinity = &policyv1alpha1.ClusterAffinity{ClusterNames: j.clusters}
	}
	webhook.Suspend(rb)
	if _, err := f.karmada.Karmada.WorkV1alpha2().ResourceBindings("ns").Create(f.t.Context(), rb, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	f.eventually("the controller sees job "+j.name, func() (bool, string) {
		_, errJ := f.c.src.jobs.Jobs("ns").Get(j.name)
		_, errB := f.c.src.bindings.ResourceBindings("ns").Get(rb.Name)
		return errJ == nil && errB == nil, fmt.Sprint(errJ, errB)
	})
	return rb
}

// binding returns the job's binding from the apiserver.
func (f *fixture) binding(job string) *workv1alpha2.ResourceBinding {
	f.t.Helper()
	rb, err := f.karmada.Karmada.WorkV1alpha2().ResourceBindings("ns").Get(f.t.Context(), names.GenerateBindingName("Job", job), metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return rb
}

// settle waits until the controller's cache holds the binding as the apiserver does.
func (f *fixture) settle(jobs ...string) {
	f.t.Helper()
	for _, j := range jobs {
		want := f.binding(j)
		f.eventually("the cache holds the latest binding of "+j, func() (bool, string) {
			got, err := f.c.src.bindings.ResourceBindings("ns").Get(want.Name)
			if err != nil {
				return false, err.Error()
			}
			return equality.Semantic.DeepEqual(got.Annotations, want.Annotations) && equality.Semantic.DeepEqual(got.Spec, want.Spec) &&
				equality.Semantic.DeepEqual(got.Status, want.Status), fmt.Sprint(got.Annotations)
		})
	}
}

// schedule does what Karmada's scheduler does with a released binding: it schedules it to
// the pinned cluster.
func (f *fixture) schedule(job string) {
	f.t.Helper()
	rb := f.binding(job)
	if rb.Spec.SchedulingSuspended() {
		f.t.Fatalf("binding of %s is suspended; cannot schedule it", job)
	}
	rb.Spec.Clusters = []workv1alpha2.TargetCluster{{Name: rb.Annotations[batchapi.AnnotationCluster]}}
	now := metav1.NewTime(f.clock.Now())
	rb.Status.LastScheduledTime = &now
	if _, err := f.karmada.Karmada.WorkV1alpha2().ResourceBindings("ns").Update(f.t.Context(), rb, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	f.settle(job)
}

// run does what Volcano does in the member once the job's Work arrives: it creates the
// job's PodGroup in phase and, when running, its pods on the member's first node.
func (f *fixture) run(job, cluster string, phase schedulingv1beta1.PodGroupPhase) {
	f.t.Helper()
	m := f.members[cluster]
	vj, err := f.karmada.Volcano.BatchV1alpha1().Jobs("ns").Get(f.t.Context(), job, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	pg := &schedulingv1beta1.PodGroup{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: job + "-" + strings.ToLower(string(phase)), CreationTimestamp: metav1.NewTime(f.clock.Now()),
			OwnerReferences: []metav1.OwnerReference{{APIVersion: vcbatchv1alpha1.SchemeGroupVersion.String(), Kind: "Job", Name: job, UID: "member-uid", Controller: ptr.To(true)}}},
		Spec:   schedulingv1beta1.PodGroupSpec{MinMember: vj.Spec.MinAvailable, Queue: vj.Spec.Queue},
		Status: schedulingv1beta1.PodGroupStatus{Phase: phase},
	}
	if _, err := m.volcano.SchedulingV1beta1().PodGroups("ns").Create(f.t.Context(), pg, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	if phase == schedulingv1beta1.PodGroupRunning {
		t := vj.Spec.Tasks[0]
		for i := int32(0); i < t.Replicas; i++ {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("%s-%d", job, i),
					Labels:      map[string]string{vcbatchv1alpha1.JobNameKey: job, vcbatchv1alpha1.JobNamespaceKey: "ns"},
					Annotations: map[string]string{schedulingv1beta1.KubeGroupNameAnnotationKey: pg.Name}},
				Spec:   corev1.PodSpec{NodeName: cluster + "-n0", SchedulerName: "volcano", Containers: t.Template.Spec.Containers},
				Status: corev1.PodStatus{Phase: corev1.PodRunning},
			}
			if _, err := m.kube.CoreV1().Pods("ns").Create(f.t.Context(), pod, metav1.CreateOptions{}); err != nil {
				f.t.Fatal(err)
			}
		}
	}
	f.eventually("the controller sees the PodGroup of "+job+" in "+cluster, func() (bool, string) {
		mb, ok := f.c.members.get(cluster)
		if !ok {
			return false, "no member"
		}
		got := mb.jobPhase(batch.JobKey{Namespace: "ns", Name: job}, time.Time{})
		return got == phase, string(got)
	})
}

// state is the fleet queue state a binding records.
func state(rb *workv1alpha2.ResourceBinding) string {
	return rb.Annotations[batchapi.AnnotationState]
}

// drainEvents returns the events recorded so far.
func (f *fixture) drainEvents() []string {
	var out []string
	for {
		select {
		case e := <-f.events.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}
