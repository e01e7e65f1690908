package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/names"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
	volcanoclient "volcano.sh/apis/pkg/client/clientset/versioned"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	"kurator.dev/kurator/pkg/batch"
	"kurator.dev/kurator/pkg/batch/webhook"
	kuratorclientset "kurator.dev/kurator/pkg/generated/clientset/versioned"
	"kurator.dev/kurator/pkg/localup"
)

// The fleet queue's end-to-end tests run against kurator-up with real Volcano in the
// members: tencent has GPUs, Volcano's capacity plugin and preemption, and queues training
// and inference; aliyun runs the proportion plugin with a queue batch. Pods on the fake
// nodes run at once; a pod template annotated kurator.dev/simulated-runtime succeeds that
// long after it starts.
//
// They need kurator-controller-manager beside the environment with its webhook
// registered in the Karmada apiserver; kurator-up runs both. To run the suite against a
// controller started by hand instead, set KURATOR_E2E_CONTROLLER_PIDFILE to a file
// holding its process id: the restart test kills that process and expects whatever
// supervises it to start it again.

// batchControllerProcess is the kurator-up process name of the controller.
const batchControllerProcess = "kurator-controller-manager"

// batchSimulatedRuntime is the pod annotation that makes a simulated pod succeed.
const batchSimulatedRuntime = "kurator.dev/simulated-runtime"

// batchClients are the clients the fleet queue tests use.
type batchClients struct {
	karmadaVolcano volcanoclient.Interface
	members        map[string]volcanoclient.Interface
	kurator        kuratorclientset.Interface
}

// batchSetup checks that the fleet queue runs beside the environment and returns the
// clients. Without a controller the tests are skipped, saying how to run them.
func batchSetup(t *testing.T) *batchClients {
	t.Helper()
	health := "http://" + localup.Addr(env.ports.KuratorControllerHealth) + "/readyz"
	if err := batchGetOK(t.Context(), health); err != nil {
		if _, managed := batchProcessRecord(t); managed {
			t.Fatalf("kurator-up runs %s but it is not ready at %s: %v (see its log under %s)", batchControllerProcess, health, err, env.layout.Logs())
		}
		t.Skipf("kurator-controller-manager is not serving at %s (%v): start it beside the environment (kurator-up does) with its webhook registered", health, err)
	}
	whs, err := env.karmada.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing MutatingWebhookConfigurations of the Karmada apiserver: %v", err)
	}
	registered := false
	for _, c := range whs.Items {
		for _, w := range c.Webhooks {
			cc := w.ClientConfig
			if (cc.URL != nil && strings.HasSuffix(*cc.URL, webhook.Path)) || (cc.Service != nil && cc.Service.Path != nil && *cc.Service.Path == webhook.Path) {
				registered = true
			}
		}
	}
	if !registered {
		t.Fatalf("no MutatingWebhookConfiguration of the Karmada apiserver calls %s: Volcano Jobs would bypass the fleet queue", webhook.Path)
	}
	c := &batchClients{members: map[string]volcanoclient.Interface{}}
	if c.karmadaVolcano, err = volcanoclient.NewForConfig(env.karmada.Config); err != nil {
		t.Fatal(err)
	}
	if c.kurator, err = kuratorclientset.NewForConfig(env.karmada.Config); err != nil {
		t.Fatal(err)
	}
	for name, m := range env.members {
		if c.members[name], err = volcanoclient.NewForConfig(m.Config); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func batchGetOK(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// batchProcessRecord returns kurator-up's record of the controller, if it runs one.
func batchProcessRecord(t *testing.T) (localup.ProcessRecord, bool) {
	t.Helper()
	sup, err := localup.NewSupervisor(env.layout.StateFile(), env.layout.Logs())
	if err != nil {
		t.Fatalf("reading the environment's state: %v", err)
	}
	for _, r := range sup.Records() {
		if r.Name == batchControllerProcess {
			return r, true
		}
	}
	return localup.ProcessRecord{}, false
}

// batchFleetQueue creates a FleetQueue for the test and deletes it when the test ends.
func batchFleetQueue(t *testing.T, c *batchClients, prefix string, spec batchv1alpha1.FleetQueueSpec) string {
	t.Helper()
	name := "e2e-" + prefix + "-" + rand.String(5)
	q := &batchv1alpha1.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
	if _, err := c.kurator.BatchV1alpha1().FleetQueues().Create(t.Context(), q, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating FleetQueue %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.kurator.BatchV1alpha1().FleetQueues().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Logf("deleting FleetQueue %s: %v", name, err)
		}
	})
	return name
}

// batchPolicy propagates every Volcano Job of the namespace with the given scheduler to
// the given clusters (all members when none).
func batchPolicy(t *testing.T, ns, scheduler string, clusters ...string) {
	t.Helper()
	if len(clusters) == 0 {
		clusters = memberNamesOf(env.scenario)
	}
	p := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "volcano-jobs", Namespace: ns},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: vcbatchv1alpha1.SchemeGroupVersion.String(), Kind: "Job"}},
			SchedulerName:     scheduler,
			Placement:         policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: clusters}},
		},
	}
	if _, err := env.karmada.Karmada.PolicyV1alpha1().PropagationPolicies(ns).Create(t.Context(), p, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating PropagationPolicy: %v", err)
	}
}

func memberNamesOf(s *localup.Scenario) []string {
	var out []string
	for _, m := range s.Members {
		out = append(out, m.Name)
	}
	sort.Strings(out)
	return out
}

// batchTask is one task of a test job: replicas pods requesting requests ("cpu=4,nvidia.com/gpu=1").
type batchTask struct {
	name     string
	replicas int32
	requests string
}

// batchJobSpec is a test Volcano Job.
type batchJobSpec struct {
	name         string
	volcanoQueue string
	fleetQueue   string
	// runs is how long its pods run (simulated); estimate is its spec.runningEstimate.
	runs, estimate time.Duration
	annotations    map[string]string
	tasks          []batchTask
}

func batchResources(s string) corev1.ResourceList {
	rl := corev1.ResourceList{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		rl[corev1.ResourceName(k)] = resource.MustParse(v)
	}
	if _, ok := rl[corev1.ResourceMemory]; !ok {
		rl[corev1.ResourceMemory] = resource.MustParse("1Gi")
	}
	return rl
}

// batchSubmit creates the Volcano Job in the Karmada apiserver.
func batchSubmit(t *testing.T, c *batchClients, ns string, s batchJobSpec) {
	t.Helper()
	ann := map[string]string{}
	for k, v := range s.annotations {
		ann[k] = v
	}
	if s.fleetQueue != "" {
		ann[batchapi.AnnotationQueue] = s.fleetQueue
	}
	job := &vcbatchv1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: ns, Annotations: ann},
		Spec:       vcbatchv1alpha1.JobSpec{SchedulerName: "volcano", Queue: s.volcanoQueue},
	}
	if s.estimate > 0 {
		job.Spec.RunningEstimate = &metav1.Duration{Duration: s.estimate}
	}
	for _, task := range s.tasks {
		req := batchResources(task.requests)
		limits := corev1.ResourceList{}
		for name, q := range req {
			if strings.Contains(string(name), "/") {
				limits[name] = q
			}
		}
		tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: task.name, Image: "registry.example/batch:1",
				Resources: corev1.ResourceRequirements{Requests: req, Limits: limits}}},
		}}
		if s.runs > 0 {
			tmpl.Annotations = map[string]string{batchSimulatedRuntime: s.runs.String()}
		}
		job.Spec.Tasks = append(job.Spec.Tasks, vcbatchv1alpha1.TaskSpec{Name: task.name, Replicas: task.replicas, MinAvailable: ptr.To(task.replicas), Template: tmpl})
		job.Spec.MinAvailable += task.replicas
	}
	if _, err := c.karmadaVolcano.BatchV1alpha1().Jobs(ns).Create(t.Context(), job, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Volcano Job %s/%s in Karmada: %v", ns, s.name, err)
	}
}

// batchView returns the BatchJob view of a job.
func batchView(ctx context.Context, c *batchClients, ns, name string) (*batchv1alpha1.BatchJob, error) {
	return c.kurator.BatchV1alpha1().BatchJobs(ns).Get(ctx, name, metav1.GetOptions{})
}

func batchViewString(b *batchv1alpha1.BatchJob) string {
	st := b.Status
	return fmt.Sprintf("state %s on %q (%s: %s), attempts %d, volcano %q", st.State, st.Cluster, st.Reason, st.Message, st.Attempts, st.VolcanoPhase)
}

// batchWaitState waits until the job's BatchJob is in state (on cluster, when given).
func batchWaitState(t *testing.T, c *batchClients, ns, name string, state batchv1alpha1.BatchJobState, cluster string, timeout time.Duration) *batchv1alpha1.BatchJob {
	t.Helper()
	var got *batchv1alpha1.BatchJob
	eventually(t, timeout, fmt.Sprintf("BatchJob %s/%s %s %s", ns, name, state, cluster), func(ctx context.Context) (bool, string) {
		b, err := batchView(ctx, c, ns, name)
		if err != nil {
			return false, err.Error()
		}
		got = b
		return b.Status.State == state && (cluster == "" || b.Status.Cluster == cluster), batchViewString(b)
	})
	return got
}

// batchBinding returns the job's ResourceBinding.
func batchBinding(ctx context.Context, ns, name string) (*workv1alpha2.ResourceBinding, error) {
	return env.karmada.Karmada.WorkV1alpha2().ResourceBindings(ns).Get(ctx, names.GenerateBindingName("Job", name), metav1.GetOptions{})
}

// batchWhere lists the members holding the job's Volcano Job (not being deleted) and the
// Karmada Works of its binding.
func batchWhere(ctx context.Context, c *batchClients, ns, name string) (members []string, works int, err error) {
	for member, vc := range c.members {
		j, err := vc.BatchV1alpha1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", member, err)
		}
		if j.DeletionTimestamp == nil {
			members = append(members, member)
		}
	}
	sort.Strings(members)
	rb, err := batchBinding(ctx, ns, name)
	if err != nil {
		return members, 0, err
	}
	id := rb.Labels[workv1alpha2.ResourceBindingPermanentIDLabel]
	if id == "" {
		return members, 0, fmt.Errorf("binding %s has no %s label", rb.Name, workv1alpha2.ResourceBindingPermanentIDLabel)
	}
	ws, err := env.karmada.Karmada.WorkV1alpha1().Works("").List(ctx, metav1.ListOptions{LabelSelector: workv1alpha2.ResourceBindingPermanentIDLabel + "=" + id})
	if err != nil {
		return members, 0, err
	}
	for _, w := range ws.Items {
		if w.DeletionTimestamp == nil {
			works++
		}
	}
	return members, works, nil
}

// batchPodGroup returns the phase and minMember of the job's PodGroup in member ("" when none).
func batchPodGroup(ctx context.Context, c *batchClients, member, ns, name string) (schedulingv1beta1.PodGroupPhase, int32, error) {
	pgs, err := c.members[member].SchedulingV1beta1().PodGroups(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", 0, err
	}
	for _, pg := range pgs.Items {
		if ref := metav1.GetControllerOf(&pg); ref != nil && ref.Kind == "Job" && ref.Name == name && pg.DeletionTimestamp == nil {
			return pg.Status.Phase, pg.Spec.MinMember, nil
		}
	}
	return "", 0, nil
}

// batchAdmissions measures, for every dispatch of the jobs of one namespace, whether the
// member's real vc-scheduler admitted the job (its PodGroup Inqueue or Running, as the
// controller records in batch.kurator.dev/started-at) within the dispatch timeout.
type batchAdmissions struct {
	mu         sync.Mutex
	timeout    time.Duration
	dispatches map[string]*batchDispatch
}

type batchDispatch struct {
	job, cluster string
	at, admitted time.Time
}

// batchAdmitted is the suite-wide count of dispatches admitted within the timeout.
var batchAdmitted struct {
	mu                 sync.Mutex
	dispatched, inTime int
	latencies          []time.Duration
}

// batchTrackAdmissions polls the namespace's bindings until the test ends.
func batchTrackAdmissions(t *testing.T, ns string, timeout time.Duration) *batchAdmissions {
	a := &batchAdmissions{timeout: timeout, dispatches: map[string]*batchDispatch{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			a.poll(ctx, ns)
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return a
}

func (a *batchAdmissions) poll(ctx context.Context, ns string) {
	rbs, err := env.karmada.Karmada.WorkV1alpha2().ResourceBindings(ns).List(ctx, metav1.ListOptions{LabelSelector: webhook.ManagedLabel + "=true"})
	if err != nil {
		return
	}
	parse := func(v string) time.Time {
		t, _ := time.Parse(time.RFC3339, v)
		return t
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, rb := range rbs.Items {
		at := parse(rb.Annotations[batchapi.AnnotationDispatchedAt])
		if at.IsZero() {
			continue
		}
		key := rb.Name + "@" + at.Format(time.RFC3339)
		d, ok := a.dispatches[key]
		if !ok {
			d = &batchDispatch{job: rb.Spec.Resource.Name, cluster: rb.Annotations[batchapi.AnnotationCluster], at: at}
			a.dispatches[key] = d
		}
		if started := parse(rb.Annotations[batch.AnnotationStartedAt]); d.admitted.IsZero() && !started.Before(at) {
			d.admitted = started
		}
	}
}

// check asserts that every dispatch seen was admitted within the timeout and adds them
// to the suite's measure, which it logs.
func (a *batchAdmissions) check(t *testing.T, ns string) {
	t.Helper()
	a.poll(t.Context(), ns)
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.dispatches) == 0 {
		t.Errorf("no dispatch of the jobs in %s was seen", ns)
	}
	var lines []string
	inTime := 0
	var lat []time.Duration
	for _, d := range a.dispatches {
		ok := !d.admitted.IsZero() && d.admitted.Sub(d.at) <= a.timeout
		if ok {
			inTime++
			lat = append(lat, d.admitted.Sub(d.at))
		} else {
			t.Errorf("job %s dispatched to %s at %s: not admitted by Volcano within %s (admitted at %v)", d.job, d.cluster, d.at.Format(time.RFC3339), a.timeout, d.admitted)
		}
		lines = append(lines, fmt.Sprintf("%s→%s after %s", d.job, d.cluster, d.admitted.Sub(d.at)))
	}
	sort.Strings(lines)
	batchAdmitted.mu.Lock()
	batchAdmitted.dispatched += len(a.dispatches)
	batchAdmitted.inTime += inTime
	batchAdmitted.latencies = append(batchAdmitted.latencies, lat...)
	total, in := batchAdmitted.dispatched, batchAdmitted.inTime
	batchAdmitted.mu.Unlock()
	t.Logf("Volcano admitted %d/%d dispatches of this test within the %s dispatch timeout (%s); suite so far: %d/%d = %.1f%%",
		inTime, len(a.dispatches), a.timeout, strings.Join(lines, ", "), in, total, 100*float64(in)/float64(total))
}

// TestBatchJobRunsWhereVolcanoAdmitsIt: a multi-task Volcano Job with minAvailable,
// submitted to Karmada for every member, is released to the member whose real
// vc-scheduler admits it (tencent: GPUs and the training queue), runs there as a gang and
// nowhere else, and its BatchJob follows it to the end.
func TestBatchJobRunsWhereVolcanoAdmitsIt(t *testing.T) {
	c := batchSetup(t)
	start := time.Now()
	ns := newNamespace(t, "e2e-batch-run")
	queue := batchFleetQueue(t, c, "run", batchv1alpha1.FleetQueueSpec{})
	adm := batchTrackAdmissions(t, ns, batchv1alpha1.DefaultDispatchTimeout)
	batchPolicy(t, ns, "kurator-scheduler")
	batchSubmit(t, c, ns, batchJobSpec{name: "train", volcanoQueue: "training", fleetQueue: queue, runs: 30 * time.Second, estimate: time.Minute,
		tasks: []batchTask{{name: "ps", replicas: 1, requests: "cpu=1"}, {name: "worker", replicas: 2, requests: "cpu=2,nvidia.com/gpu=1"}}})

	batchWaitState(t, c, ns, "train", batchv1alpha1.BatchJobRunning, "tencent", 2*time.Minute)
	eventually(t, time.Minute, "the gang admitted in tencent: PodGroup Running with minMember 3, 3 pods Running", func(ctx context.Context) (bool, string) {
		phase, minMember, err := batchPodGroup(ctx, c, "tencent", ns, "train")
		if err != nil {
			return false, err.Error()
		}
		n, err := runningPods(ctx, "tencent", ns, "volcano.sh/job-name=train")
		if err != nil {
			return false, err.Error()
		}
		return phase == schedulingv1beta1.PodGroupRunning && minMember == 3 && n == 3, fmt.Sprintf("PodGroup %q minMember %d, %d pods Running", phase, minMember, n)
	})
	members, works, err := batchWhere(t.Context(), c, ns, "train")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(members, ",") != "tencent" || works != 1 {
		t.Errorf("the job is in members %v with %d Works; want tencent only, one Work", members, works)
	}
	rb, err := batchBinding(t.Context(), ns, "train")
	if err != nil {
		t.Fatal(err)
	}
	if rb.Annotations[batchapi.AnnotationCluster] != "tencent" || len(rb.Spec.Clusters) != 1 || rb.Spec.Clusters[0].Name != "tencent" {
		t.Errorf("binding pinned to %q, scheduled to %v; want tencent", rb.Annotations[batchapi.AnnotationCluster], rb.Spec.Clusters)
	}
	b := batchWaitState(t, c, ns, "train", batchv1alpha1.BatchJobSucceeded, "tencent", 2*time.Minute)
	if b.Status.Attempts != 1 {
		t.Errorf("attempts %d, want 1", b.Status.Attempts)
	}
	adm.check(t, ns)
	t.Logf("submitted, admitted in tencent and completed in %s", time.Since(start).Round(time.Second))
}

// TestBatchJobWaitsInFleetQueue: tencent's Volcano queue inference is capped at 8 GPUs.
// While a job holds 6 of them, a job asking for 4 more fits tencent's nodes (10 GPUs are
// free) but not the queue: it waits in the fleet queue (binding suspended, BatchJob
// Queued saying why) instead of sitting Pending in tencent, and runs when the first ends.
func TestBatchJobWaitsInFleetQueue(t *testing.T) {
	c := batchSetup(t)
	start := time.Now()
	ns := newNamespace(t, "e2e-batch-wait")
	queue := batchFleetQueue(t, c, "wait", batchv1alpha1.FleetQueueSpec{})
	adm := batchTrackAdmissions(t, ns, batchv1alpha1.DefaultDispatchTimeout)
	batchPolicy(t, ns, "kurator-scheduler")
	batchSubmit(t, c, ns, batchJobSpec{name: "holder", volcanoQueue: "inference", fleetQueue: queue, runs: 60 * time.Second, estimate: time.Minute,
		tasks: []batchTask{{name: "serve", replicas: 1, requests: "cpu=4,nvidia.com/gpu=6"}}})
	batchWaitState(t, c, ns, "holder", batchv1alpha1.BatchJobRunning, "tencent", 2*time.Minute)

	batchSubmit(t, c, ns, batchJobSpec{name: "waiter", volcanoQueue: "inference", fleetQueue: queue, runs: 20 * time.Second, estimate: time.Minute,
		tasks: []batchTask{{name: "serve", replicas: 1, requests: "cpu=4,nvidia.com/gpu=4"}}})
	b := batchWaitState(t, c, ns, "waiter", batchv1alpha1.BatchJobQueued, "", time.Minute)
	eventually(t, time.Minute, "waiter queued with the reason", func(ctx context.Context) (bool, string) {
		v, err := batchView(ctx, c, ns, "waiter")
		if err != nil {
			return false, err.Error()
		}
		b = v
		return v.Status.Reason == string(batch.StatusNoMemberFits) && strings.Contains(v.Status.Message, "tencent: Queue"), batchViewString(v)
	})
	t.Logf("waiting: %s", batchViewString(b))

	// Until the holder ends, the waiter stays in the fleet queue: suspended, in no member.
	eventually(t, 3*time.Minute, "holder finished while waiter never left the fleet queue", func(ctx context.Context) (bool, string) {
		holder, err := batchView(ctx, c, ns, "holder")
		if err != nil {
			return false, err.Error()
		}
		if holder.Status.State == batchv1alpha1.BatchJobSucceeded {
			return true, ""
		}
		rb, err := batchBinding(ctx, ns, "waiter")
		if err != nil {
			return false, err.Error()
		}
		members, _, err := batchWhere(ctx, c, ns, "waiter")
		if err != nil {
			return false, err.Error()
		}
		if !rb.Spec.SchedulingSuspended() || len(members) > 0 {
			// The view follows the Volcano Job's status as Karmada aggregates it, which lags
			// the member: the controller may have seen the holder complete in tencent first.
			hj, err := c.members["tencent"].BatchV1alpha1().Jobs(ns).Get(ctx, "holder", metav1.GetOptions{})
			if err == nil && hj.Status.State.Phase == vcbatchv1alpha1.Completed {
				return true, ""
			}
			t.Fatalf("while holder is %s, waiter left the fleet queue: suspended %v, in members %v", holder.Status.State, rb.Spec.SchedulingSuspended(), members)
		}
		return false, "holder " + batchViewString(holder)
	})
	batchWaitState(t, c, ns, "waiter", batchv1alpha1.BatchJobRunning, "tencent", 2*time.Minute)
	batchWaitState(t, c, ns, "waiter", batchv1alpha1.BatchJobSucceeded, "tencent", 2*time.Minute)
	adm.check(t, ns)
	t.Logf("held and released in %s", time.Since(start).Round(time.Second))
}

// TestBatchDeadlinePreemption: a low-priority preemptable job fills aliyun; a job of a
// higher-priority fleet queue with a deadline it cannot meet by waiting evicts it, runs
// and completes; the evicted job returns to the fleet queue, runs again and completes.
func TestBatchDeadlinePreemption(t *testing.T) {
	c := batchSetup(t)
	start := time.Now()
	ns := newNamespace(t, "e2e-batch-preempt")
	low := batchFleetQueue(t, c, "low", batchv1alpha1.FleetQueueSpec{
		Preemption: batchv1alpha1.PreemptionPolicy{Cooldown: &metav1.Duration{Duration: time.Second}},
	})
	urgent := batchFleetQueue(t, c, "urgent", batchv1alpha1.FleetQueueSpec{
		Priority:   100,
		Preemption: batchv1alpha1.PreemptionPolicy{Policy: batchv1alpha1.PreemptLowerPriority},
		Deadline:   batchv1alpha1.DeadlinePolicy{SlackThreshold: &metav1.Duration{Duration: 30 * time.Minute}},
	})
	adm := batchTrackAdmissions(t, ns, batchv1alpha1.DefaultDispatchTimeout)
	batchPolicy(t, ns, "kurator-scheduler", "aliyun")
	// Four 12-cpu pods: one on each of aliyun's 16-cpu nodes.
	batchSubmit(t, c, ns, batchJobSpec{name: "sweep", volcanoQueue: "batch", fleetQueue: low, runs: 60 * time.Second, estimate: 30 * time.Minute,
		tasks: []batchTask{{name: "worker", replicas: 4, requests: "cpu=12"}}})
	batchWaitState(t, c, ns, "sweep", batchv1alpha1.BatchJobRunning, "aliyun", 2*time.Minute)

	deadline := time.Now().Add(6 * time.Minute).UTC().Truncate(time.Second)
	batchSubmit(t, c, ns, batchJobSpec{name: "report", volcanoQueue: "batch", fleetQueue: urgent, runs: 30 * time.Second, estimate: time.Minute,
		annotations: map[string]string{batchapi.AnnotationDeadline: deadline.Format(time.RFC3339)},
		tasks:       []batchTask{{name: "worker", replicas: 2, requests: "cpu=12"}}})
	eventually(t, time.Minute, "sweep evicted: binding suspended, no clusters, Volcano Job gone from aliyun", func(ctx context.Context) (bool, string) {
		rb, err := batchBinding(ctx, ns, "sweep")
		if err != nil {
			return false, err.Error()
		}
		members, works, err := batchWhere(ctx, c, ns, "sweep")
		if err != nil {
			return false, err.Error()
		}
		return rb.Spec.SchedulingSuspended() && len(rb.Spec.Clusters) == 0 && rb.Annotations[batch.AnnotationLastPreempted] != "" && len(members) == 0 && works == 0,
			fmt.Sprintf("suspended %v, clusters %v, annotations %v, members %v, works %d", rb.Spec.SchedulingSuspended(), rb.Spec.Clusters, rb.Annotations, members, works)
	})
	events, err := env.karmada.Kube.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{FieldSelector: "involvedObject.name=sweep,reason=Evicted"})
	if err != nil || len(events.Items) == 0 || !strings.Contains(events.Items[0].Message, ns+"/report") {
		t.Errorf("want an Evicted event on sweep naming %s/report: %v %+v", ns, err, events)
	}
	r := batchWaitState(t, c, ns, "report", batchv1alpha1.BatchJobRunning, "aliyun", 2*time.Minute)
	t.Logf("report: %s", batchViewString(r))
	r = batchWaitState(t, c, ns, "report", batchv1alpha1.BatchJobSucceeded, "aliyun", 2*time.Minute)
	if r.Status.CompletionTime != nil && r.Status.CompletionTime.After(deadline) {
		t.Errorf("report completed at %s, after its deadline %s", r.Status.CompletionTime, deadline)
	}
	s := batchWaitState(t, c, ns, "sweep", batchv1alpha1.BatchJobSucceeded, "aliyun", 4*time.Minute)
	if s.Status.Attempts != 2 {
		t.Errorf("sweep attempts %d, want 2 (its first run was evicted)", s.Status.Attempts)
	}
	adm.check(t, ns)
	t.Logf("preempted, both completed in %s", time.Since(start).Round(time.Second))
}

// TestBatchControllerRestartLosesAndDuplicatesNothing: three jobs that fit aliyun one at
// a time; the controller is killed while the first runs and the others wait. Every job
// still runs exactly once: never more than one Work or member Volcano Job at any time,
// one dispatch each, all complete.
func TestBatchControllerRestartLosesAndDuplicatesNothing(t *testing.T) {
	c := batchSetup(t)
	kill := batchKiller(t)
	start := time.Now()
	ns := newNamespace(t, "e2e-batch-restart")
	queue := batchFleetQueue(t, c, "restart", batchv1alpha1.FleetQueueSpec{})
	adm := batchTrackAdmissions(t, ns, batchv1alpha1.DefaultDispatchTimeout)
	batchPolicy(t, ns, "default-scheduler", "aliyun")
	jobs := []string{"step-1", "step-2", "step-3"}
	for _, j := range jobs {
		batchSubmit(t, c, ns, batchJobSpec{name: j, volcanoQueue: "batch", fleetQueue: queue, runs: 20 * time.Second, estimate: 20 * time.Second,
			tasks: []batchTask{{name: "worker", replicas: 4, requests: "cpu=12"}}})
	}

	// Watch for duplicates for the whole test.
	var mu sync.Mutex
	var dupes []string
	ctx, cancel := context.WithCancel(t.Context())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for ctx.Err() == nil {
			for _, j := range jobs {
				members, works, err := batchWhere(ctx, c, ns, j)
				if err == nil && (len(members) > 1 || works > 1) {
					mu.Lock()
					dupes = append(dupes, fmt.Sprintf("%s in %v with %d Works", j, members, works))
					mu.Unlock()
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	defer func() {
		cancel()
		<-watched
	}()

	eventually(t, 2*time.Minute, "one job running in aliyun, the others queued", func(ctx context.Context) (bool, string) {
		var states []string
		running := 0
		for _, j := range jobs {
			b, err := batchView(ctx, c, ns, j)
			if err != nil {
				return false, err.Error()
			}
			states = append(states, j+": "+string(b.Status.State))
			if b.Status.State == batchv1alpha1.BatchJobRunning {
				running++
			}
		}
		return running == 1, strings.Join(states, ", ")
	})
	kill()
	for _, j := range jobs {
		batchWaitState(t, c, ns, j, batchv1alpha1.BatchJobSucceeded, "aliyun", 4*time.Minute)
	}
	for _, j := range jobs {
		b, err := batchView(t.Context(), c, ns, j)
		if err != nil {
			t.Fatal(err)
		}
		members, works, err := batchWhere(t.Context(), c, ns, j)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status.Attempts != 1 || strings.Join(members, ",") != "aliyun" || works != 1 {
			t.Errorf("%s: attempts %d, in members %v with %d Works; want one dispatch, aliyun only, one Work", j, b.Status.Attempts, members, works)
		}
	}
	mu.Lock()
	if len(dupes) > 0 {
		t.Errorf("jobs ran in more than one place at some point: %v", dupes)
	}
	mu.Unlock()
	adm.check(t, ns)
	t.Logf("three jobs across a controller restart in %s", time.Since(start).Round(time.Second))
}

// batchKiller returns a function that kills the controller as a crash would and waits
// until it serves again: through kurator-up when it runs the controller, else the
// process named by KURATOR_E2E_CONTROLLER_PIDFILE (restarted by whatever supervises it).
func batchKiller(t *testing.T) func() {
	t.Helper()
	health := "http://" + localup.Addr(env.ports.KuratorControllerHealth) + "/readyz"
	waitBack := func(old int) {
		eventually(t, 3*time.Minute, "kurator-controller-manager serving again after the kill", func(ctx context.Context) (bool, string) {
			if err := batchGetOK(ctx, health); err != nil {
				return false, err.Error()
			}
			pid := batchControllerPID(t)
			return pid != 0 && pid != old, fmt.Sprintf("pid %d (killed %d)", pid, old)
		})
	}
	if rec, ok := batchProcessRecord(t); ok {
		return func() {
			root := filepath.Dir(env.layout.Output)
			for _, args := range [][]string{{"stop", "--kill", batchControllerProcess}, {"up"}} {
				cmd := exec.CommandContext(t.Context(), env.upBinary, append([]string{"--output", env.layout.Output}, args...)...)
				cmd.Dir = root
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("kurator-up %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			waitBack(rec.PID)
		}
	}
	pidfile := os.Getenv("KURATOR_E2E_CONTROLLER_PIDFILE")
	if pidfile == "" {
		t.Skip("kurator-up does not run kurator-controller-manager and KURATOR_E2E_CONTROLLER_PIDFILE is not set: nothing to kill")
	}
	return func() {
		pid := batchControllerPID(t)
		if pid == 0 {
			t.Fatalf("no process id in %s", pidfile)
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("killing kurator-controller-manager (pid %d): %v", pid, err)
		}
		t.Logf("killed kurator-controller-manager (pid %d)", pid)
		waitBack(pid)
	}
}

// batchControllerPID is the controller's current process id (0 when unknown).
func batchControllerPID(t *testing.T) int {
	if rec, ok := batchProcessRecord(t); ok {
		return rec.PID
	}
	data, err := os.ReadFile(os.Getenv("KURATOR_E2E_CONTROLLER_PIDFILE"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// TestBatchBadInputIsRejected: jobs the fleet queue can never run as written are
// Rejected with a message saying what to change, and never reach a member.
func TestBatchBadInputIsRejected(t *testing.T) {
	c := batchSetup(t)
	ns := newNamespace(t, "e2e-batch-bad")
	queue := batchFleetQueue(t, c, "bad", batchv1alpha1.FleetQueueSpec{})
	batchPolicy(t, ns, "kurator-scheduler")
	small := []batchTask{{name: "worker", replicas: 1, requests: "cpu=1"}}
	cases := []struct {
		job    batchJobSpec
		reason string
		fix    string
	}{
		{batchJobSpec{name: "unparseable-deadline", fleetQueue: queue, tasks: small, annotations: map[string]string{batchapi.AnnotationDeadline: "next friday"}},
			batchapi.ReasonInvalidDeadline, "is not an RFC 3339 time"},
		{batchJobSpec{name: "past-deadline", fleetQueue: queue, tasks: small, annotations: map[string]string{batchapi.AnnotationDeadline: "2020-01-01T00:00:00Z"}},
			string(batch.ReasonDeadlineInPast), "later RFC 3339 time"},
		{batchJobSpec{name: "unknown-queue", fleetQueue: "e2e-no-such-queue", tasks: small},
			batchapi.ReasonUnknownQueue, `create FleetQueue "e2e-no-such-queue"`},
		// 64 cpus in one pod: no member has a node that large.
		{batchJobSpec{name: "impossible", fleetQueue: queue, tasks: []batchTask{{name: "worker", replicas: 1, requests: "cpu=64"}}},
			string(batch.ReasonUnsatisfiable), "reduce the tasks' requests"},
	}
	for _, tc := range cases {
		batchSubmit(t, c, ns, tc.job)
	}
	for _, tc := range cases {
		name := tc.job.name
		eventually(t, time.Minute, name+" Rejected saying what to change", func(ctx context.Context) (bool, string) {
			b, err := batchView(ctx, c, ns, name)
			if err != nil {
				return false, err.Error()
			}
			rb, err := batchBinding(ctx, ns, name)
			if err != nil {
				return false, err.Error()
			}
			ok := b.Status.State == batchv1alpha1.BatchJobRejected && b.Status.Reason == tc.reason && strings.Contains(b.Status.Message, tc.fix) &&
				rb.Annotations[batchapi.AnnotationState] == string(batchapi.BatchJobRejected) && rb.Spec.SchedulingSuspended()
			return ok, batchViewString(b) + "; binding state " + rb.Annotations[batchapi.AnnotationState]
		})
		members, works, err := batchWhere(t.Context(), c, ns, name)
		if err != nil || len(members) > 0 || works > 0 {
			t.Errorf("%s reached members %v with %d Works (%v)", name, members, works, err)
		}
	}
}

// TestStockSchedulerRespectsKuratorEstimator: the stock karmada-scheduler asks every
// member's kurator-estimator and divides replicas by its answers. Karmada's own general
// estimator sees only resource totals, so it would give aliyun and edge a share of
// replicas that must run on A100 nodes; kurator-estimator knows only tencent has them.
// And replicas for a GPU model no member has are not scheduled at all.
func TestStockSchedulerRespectsKuratorEstimator(t *testing.T) {
	start := time.Now()
	ns := newNamespace(t, "e2e-estimator")
	before := map[string]float64{}
	for _, m := range env.scenario.Members {
		n, err := batchEstimatorRequests(t.Context(), m.Name)
		if err != nil {
			t.Fatalf("reading %s's kurator-estimator metrics: %v", m.Name, err)
		}
		before[m.Name] = n
	}
	policy := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "by-estimate", Namespace: ns},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment"}},
			Placement: policyv1alpha1.Placement{
				ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: memberNamesOf(env.scenario)},
				ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{
					ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
					ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
					WeightPreference:          &policyv1alpha1.ClusterPreferences{DynamicWeight: policyv1alpha1.DynamicWeightByAvailableReplicas},
				},
			},
		},
	}
	if _, err := env.karmada.Karmada.PolicyV1alpha1().PropagationPolicies(ns).Create(t.Context(), policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deploy := func(name, product string, replicas int32) {
		labels := map[string]string{"app": name}
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To(replicas), Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"nvidia.com/gpu.product": product},
					Containers: []corev1.Container{{Name: "infer", Image: "registry.example/infer:1",
						Resources: corev1.ResourceRequirements{Requests: batchResources("cpu=2")}}},
				}},
			},
		}
		if _, err := env.karmada.Kube.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	deploy("a100", "NVIDIA-A100-SXM4-80GB", 4)
	deploy("h100", "NVIDIA-H100-80GB-HBM3", 2)

	eventually(t, 2*time.Minute, "all 4 a100 replicas Running in tencent, none elsewhere", func(ctx context.Context) (bool, string) {
		got := map[string]int{}
		for _, m := range env.scenario.Members {
			n, err := runningPods(ctx, m.Name, ns, "app=a100")
			if err != nil {
				return false, err.Error()
			}
			got[m.Name] = n
		}
		total := 0
		for _, n := range got {
			total += n
		}
		return got["tencent"] == 4 && total == 4, fmt.Sprintf("running %v", got)
	})
	rb, err := env.karmada.Karmada.WorkV1alpha2().ResourceBindings(ns).Get(t.Context(), names.GenerateBindingName("Deployment", "a100"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Spec.Clusters) != 1 || rb.Spec.Clusters[0].Name != "tencent" || rb.Spec.Clusters[0].Replicas != 4 {
		t.Errorf("a100 scheduled to %v, want all 4 replicas on tencent", rb.Spec.Clusters)
	}
	eventually(t, time.Minute, "h100 not scheduled: no member's estimator has room", func(ctx context.Context) (bool, string) {
		rb, err := env.karmada.Karmada.WorkV1alpha2().ResourceBindings(ns).Get(ctx, names.GenerateBindingName("Deployment", "h100"), metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		cond := meta.FindStatusCondition(rb.Status.Conditions, workv1alpha2.Scheduled)
		return cond != nil && cond.Status == metav1.ConditionFalse && len(rb.Spec.Clusters) == 0 && strings.Contains(cond.Message, "available replicas"),
			fmt.Sprintf("clusters %v, Scheduled %+v", rb.Spec.Clusters, cond)
	})
	for _, m := range env.scenario.Members {
		if n, err := runningPods(t.Context(), m.Name, ns, "app=h100"); err != nil || n != 0 {
			t.Errorf("%d h100 pods in %s (%v), want none", n, m.Name, err)
		}
		after, err := batchEstimatorRequests(t.Context(), m.Name)
		if err != nil {
			t.Fatal(err)
		}
		if after <= before[m.Name] {
			t.Errorf("%s's kurator-estimator answered no MaxAvailableReplicas request (%v before, %v after)", m.Name, before[m.Name], after)
		}
	}
	t.Logf("placed by kurator-estimator in %s", time.Since(start).Round(time.Second))
}

// batchEstimatorRequests is how many MaxAvailableReplicas requests a member's
// kurator-estimator answered.
func batchEstimatorRequests(ctx context.Context, member string) (float64, error) {
	families, err := scrape(ctx, env.ports.Members[member].EstimatorMetrics)
	if err != nil {
		return 0, err
	}
	f, ok := families["kurator_estimator_request_duration_seconds"]
	if !ok {
		// A histogram vector shows no series until its first observation: no request yet.
		return 0, nil
	}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "method" && l.GetValue() == "MaxAvailableReplicas" {
				return float64(m.GetHistogram().GetSampleCount()), nil
			}
		}
	}
	return 0, nil
}
