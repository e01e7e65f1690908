package server_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/karmada-io/karmada/pkg/estimator/pb"
	estimatorservice "github.com/karmada-io/karmada/pkg/estimator/service"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/clientcmd"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
	volcanoclient "volcano.sh/apis/pkg/client/clientset/versioned"

	"kurator.dev/kurator/pkg/estimator"
	"kurator.dev/kurator/pkg/estimator/app"
	"kurator.dev/kurator/pkg/estimator/feed"
	"kurator.dev/kurator/pkg/estimator/server"
)

const gpu corev1.ResourceName = "nvidia.com/gpu"

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// member is a member cluster of a running kurator-up environment.
type member struct {
	name    string
	kube    kubernetes.Interface
	volcano volcanoclient.Interface
	clients server.Clients
	conf    string
}

// connectMember connects to a member, skipping the test when no environment runs (unless
// KURATOR_REQUIRE_ENV=1, which makes that a failure).
func connectMember(t *testing.T, name string) *member {
	t.Helper()
	output := os.Getenv("KURATOR_OUTPUT") // exported by `kurator-up env`
	if output == "" {
		output = filepath.Join(repoRoot(t), "_output")
	}
	kubeconfig := filepath.Join(output, "members", name+".config")
	unreachable := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("KURATOR_REQUIRE_ENV") == "1" {
			t.Fatalf("KURATOR_REQUIRE_ENV=1 but the kurator-up environment is unreachable: %s", msg)
		}
		t.Skipf("no kurator-up environment (start one with `make local-up`): %s", msg)
	}
	if _, err := os.Stat(kubeconfig); err != nil {
		unreachable("%v", err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		unreachable("loading %s: %v", kubeconfig, err)
	}
	cfg.Timeout = 10 * time.Second
	kube := kubernetes.NewForConfigOrDie(cfg)
	if _, err := kube.Discovery().ServerVersion(); err != nil {
		unreachable("the %s member apiserver does not answer: %v", name, err)
	}
	vc := volcanoclient.NewForConfigOrDie(cfg)
	md := metadata.NewForConfigOrDie(cfg)
	return &member{name: name, kube: kube, volcano: vc, conf: filepath.Join(output, "localup", "config", name+"-volcano-scheduler.yaml"),
		clients: server.Clients{Kube: kube, Volcano: vc, Metadata: md, Discovery: kube.Discovery()}}
}

// startEstimator runs kurator-estimator in-process against the member, behind gRPC on a
// free loopback port, and returns a Karmada estimator client.
func startEstimator(t *testing.T, m *member, cfg estimator.Config) (estimatorservice.EstimatorClient, *server.Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv := server.NewServer(m.name, estimator.NewStore(cfg), server.NewMetrics(), 10*time.Millisecond)
	gs := grpc.NewServer(grpc.ForceServerCodecV2(server.Codec{}))
	estimatorservice.RegisterEstimatorServer(gs, srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)
	go srv.Run(ctx)
	served, err := feed.VolcanoServed(m.clients.Discovery)
	if err != nil || !served {
		t.Fatalf("the %s member does not serve Volcano's APIs (served=%v): %v", m.name, served, err)
	}
	// The informers live as long as ctx; Watch returns once they synced.
	synced := make(chan error, 1)
	go func() { synced <- server.Watch(ctx, m.clients, srv, true) }()
	select {
	case err := <-synced:
		if err != nil {
			t.Fatalf("watching the member: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the member's informer caches did not sync within a minute")
	}
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(server.Codec{})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return estimatorservice.NewEstimatorClient(conn), srv
}

// freeGPUs is what the member's nodes have left: allocatable minus the requests of
// non-terminal pods bound to them, read straight from the API.
func freeGPUs(t *testing.T, ctx context.Context, kube kubernetes.Interface) int64 {
	t.Helper()
	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var free int64
	for _, n := range nodes.Items {
		q := n.Status.Allocatable[gpu]
		free += q.Value()
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		for _, c := range p.Spec.Containers {
			q := c.Resources.Requests[gpu]
			free -= q.Value()
		}
	}
	return free
}

func replicasRequest(namespace, priorityClass string, requests corev1.ResourceList) *pb.MaxAvailableReplicasRequest {
	return memberReplicasRequest("tencent", namespace, priorityClass, requests)
}

func memberReplicasRequest(cluster, namespace, priorityClass string, requests corev1.ResourceList) *pb.MaxAvailableReplicasRequest {
	rr := &pb.ReplicaRequirements{Namespace: namespace, PriorityClassName: priorityClass}
	rr.MustSetResourceRequest(requests)
	return &pb.MaxAvailableReplicasRequest{Cluster: cluster, ReplicaRequirements: rr}
}

func rl(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

func queueGPUHeadroom(t *testing.T, ctx context.Context, m *member, name string) int64 {
	t.Helper()
	q, err := m.volcano.SchedulingV1beta1().Queues().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading queue %s: %v", name, err)
	}
	capGPU := q.Spec.Capability[gpu]
	allocGPU := q.Status.Allocated[gpu]
	return capGPU.Value() - allocGPU.Value()
}

// TestTencentMember checks kurator-estimator's answers against what the real tencent member
// holds (16 GPUs on two nodes; queues training with 16 GPUs and inference with 8 GPUs of
// capability; capacity plugin with preempt and reclaim), then against what the member's
// real vc-scheduler does.
func TestTencentMember(t *testing.T) {
	m := connectMember(t, "tencent")
	ctx := t.Context()
	cfg, err := app.VolcanoConfigFromFile(m.conf, estimator.DefaultConfig())
	if err != nil {
		t.Fatalf("reading the member's vc-scheduler configuration: %v", err)
	}
	if cfg.QueuePlugin != estimator.QueuePluginCapacity || !cfg.Preempt || !cfg.Reclaim {
		t.Fatalf("tencent's vc-scheduler configuration says %+v, expected capacity with preempt and reclaim", cfg)
	}
	ns := fmt.Sprintf("kurator-estimator-it-%d", time.Now().UnixNano()%100000)
	cfg.NamespaceQueues = map[string]string{ns: "inference", ns + "-training": "training", ns + "-missing": "no-such-queue"}
	client, srv := startEstimator(t, m, cfg)

	t.Run("GPU replicas equal the free GPUs", func(t *testing.T) {
		eventually(t, func() (bool, string) {
			want := freeGPUs(t, ctx, m.kube)
			res, err := client.MaxAvailableReplicas(ctx, replicasRequest("default", "", rl("cpu", "1", "memory", "1Gi", string(gpu), "1")))
			if err != nil {
				t.Fatalf("MaxAvailableReplicas returned a gRPC error: %v", err)
			}
			return int64(res.MaxReplicas) == want, fmt.Sprintf("1-GPU replicas in the default queue = %d, want the member's %d free GPUs", res.MaxReplicas, want)
		})
	})

	t.Run("a queue capability caps the answer", func(t *testing.T) {
		eventually(t, func() (bool, string) {
			head := queueGPUHeadroom(t, ctx, m, "inference")
			want := min(head/4, freeGPUs(t, ctx, m.kube)/4)
			res, err := client.MaxAvailableReplicas(ctx, replicasRequest(ns, "", rl("cpu", "1", string(gpu), "4")))
			if err != nil {
				t.Fatal(err)
			}
			return int64(res.MaxReplicas) == want, fmt.Sprintf("4-GPU replicas in queue inference = %d, want %d (capability headroom %d GPUs)", res.MaxReplicas, want, head)
		})
	})

	t.Run("component sets count complete gangs", func(t *testing.T) {
		// One set: a 4-cpu ps and two 4-GPU workers (8 GPUs). Queue training (16 GPUs,
		// 64 cpus): min(free GPUs / 8, GPU headroom / 8).
		ps := &pb.ComponentReplicaRequirements{}
		ps.MustSetResourceRequest(rl("cpu", "4", "memory", "8Gi"))
		worker := &pb.ComponentReplicaRequirements{}
		worker.MustSetResourceRequest(rl("cpu", "4", "memory", "16Gi", string(gpu), "4"))
		req := &pb.MaxAvailableComponentSetsRequest{Cluster: "tencent", Namespace: ns + "-training", Components: []*pb.Component{
			{Name: "ps", Replicas: 1, ReplicaRequirements: ps},
			{Name: "worker", Replicas: 2, ReplicaRequirements: worker},
		}}
		var want int64
		eventually(t, func() (bool, string) {
			want = min(freeGPUs(t, ctx, m.kube)/8, queueGPUHeadroom(t, ctx, m, "training")/8)
			res, err := client.MaxAvailableComponentSets(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			return int64(res.MaxSets) == want, fmt.Sprintf("gang sets in queue training = %d, want %d", res.MaxSets, want)
		})
		// An in-flight workload of the same shape takes one set.
		req.AssumedWorkloads = []*pb.AssumedWorkload{{Namespace: ns + "-training", Components: req.Components}}
		res, err := client.MaxAvailableComponentSets(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if int64(res.MaxSets) != max(want-1, 0) {
			t.Errorf("gang sets with one assumed set = %d, want %d", res.MaxSets, max(want-1, 0))
		}
	})

	t.Run("no opinion instead of errors", func(t *testing.T) {
		res, err := client.MaxAvailableReplicas(ctx, replicasRequest(ns+"-missing", "", rl("cpu", "1")))
		if err != nil || res.MaxReplicas != -1 {
			t.Errorf("unknown queue: %v, %v; want -1 and no error", res, err)
		}
		other := replicasRequest("default", "", rl("cpu", "1"))
		other.Cluster = "aliyun"
		res, err = client.MaxAvailableReplicas(ctx, other)
		if err != nil || res.MaxReplicas != -1 {
			t.Errorf("another cluster's request: %v, %v; want -1 and no error", res, err)
		}
		u, err := client.GetUnschedulableReplicas(ctx, &pb.UnschedulableReplicasRequest{Cluster: "tencent",
			Resource: &pb.ObjectReference{ApiVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: "none"}})
		if err != nil || u.UnschedulableReplicas != 0 {
			t.Errorf("GetUnschedulableReplicas of a missing Deployment: %v, %v; want 0 and no error", u, err)
		}
	})

	t.Run("the real vc-scheduler admits what the estimate says", func(t *testing.T) {
		agreeWithVolcano(t, ctx, m, client, srv, ns)
	})
}

// agreeWithVolcano submits one more 4-GPU job to queue inference than the estimate allows
// and checks that the member's vc-scheduler runs exactly the estimated number, that the
// estimate then drops to 0, and that a high-priority job still gets 0 although the member
// preempts: preemption never relieves the queue's capability at enqueue.
func agreeWithVolcano(t *testing.T, ctx context.Context, m *member, client estimatorservice.EstimatorClient, srv *server.Server, ns string) {
	createNamespace(t, ctx, m, ns)
	t.Cleanup(func() {
		_ = m.kube.SchedulingV1().PriorityClasses().Delete(context.Background(), ns+"-high", metav1.DeleteOptions{})
	})
	requests := rl("cpu", "1", string(gpu), "4")
	runsAsEstimated(t, ctx, m, client, ns, "inference", requests)
	// The estimator follows: no more room in inference.
	var got int32 = -2
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		res, err := client.MaxAvailableReplicas(ctx, replicasRequest(ns, "", rl("cpu", "1", string(gpu), "4")))
		if err != nil {
			t.Fatal(err)
		}
		if got = res.MaxReplicas; got == 0 {
			break
		}
	}
	if got != 0 {
		t.Fatalf("after Volcano filled queue inference the estimate is %d, want 0", got)
	}

	// A higher-priority job may preempt the running ones, but enqueue checks the capability
	// against allocated resources first: still 0, as Volcano would keep it Pending.
	if _, err := m.kube.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-high"}, Value: 100000}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if _, ok := priorityKnown(srv, ns+"-high"); ok {
			break
		}
	}
	res, err := client.MaxAvailableReplicas(ctx, replicasRequest(ns, ns+"-high", rl("cpu", "1", string(gpu), "4")))
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxReplicas != 0 {
		t.Errorf("a high-priority 4-GPU job in the full queue inference: %d, want 0 (enqueue is not relieved by preemption)", res.MaxReplicas)
	}
}

// eventually polls check for up to 20 seconds (the member may be changing under other
// users) and fails with the last message when it never holds.
func eventually(t *testing.T, check func() (bool, string)) {
	t.Helper()
	if ok, msg := poll(check); !ok {
		t.Error(msg)
	}
}

// poll runs check until it holds or 20 seconds pass; it returns the last message.
func poll(check func() (bool, string)) (bool, string) {
	var msg string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		var ok bool
		if ok, msg = check(); ok {
			return true, msg
		}
	}
	return false, msg
}

// TestAliyunProportion checks the proportion plugin's deserved share against the real
// vc-scheduler of the aliyun member (proportion, overcommit, no preemption): two queues of
// equal weight created for the test, one holding pending pods that can never be placed (they
// count in its request), the other receiving 8-cpu jobs. Volcano's water-fill gives the
// second queue about half the cluster; the estimate must stop exactly where Volcano stops.
func TestAliyunProportion(t *testing.T) {
	m := connectMember(t, "aliyun")
	ctx := t.Context()
	cfg, err := app.VolcanoConfigFromFile(m.conf, estimator.DefaultConfig())
	if err != nil {
		t.Fatalf("reading the member's vc-scheduler configuration: %v", err)
	}
	if cfg.QueuePlugin != estimator.QueuePluginProportion {
		t.Fatalf("aliyun's vc-scheduler configuration says %+v, expected proportion", cfg)
	}
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%100000)
	ns, hog, jobs := "kurator-estimator-prop-"+suffix, "kurator-it-hog-"+suffix, "kurator-it-jobs-"+suffix
	cfg.NamespaceQueues = map[string]string{ns: jobs}
	client, srv := startEstimator(t, m, cfg)
	createNamespace(t, ctx, m, ns)
	for _, q := range []string{hog, jobs} {
		queue := &schedulingv1beta1.Queue{ObjectMeta: metav1.ObjectMeta{Name: q}, Spec: schedulingv1beta1.QueueSpec{Weight: 1}}
		if _, err := m.volcano.SchedulingV1beta1().Queues().Create(ctx, queue, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = m.volcano.SchedulingV1beta1().Queues().Delete(context.Background(), q, metav1.DeleteOptions{})
		})
	}
	// The hog: a job whose 8 pods of 8 cpus can go nowhere (no node has the label); it
	// reserves only 1 cpu at enqueue but requests 64.
	hogMin := rl("cpu", "1", "pods", "1")
	if _, err := m.volcano.SchedulingV1beta1().PodGroups(ns).Create(ctx, &schedulingv1beta1.PodGroup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hog"},
		Spec: schedulingv1beta1.PodGroupSpec{MinMember: 1, Queue: hog, MinResources: &hogMin}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("hog-%d", i), Annotations: map[string]string{schedulingv1beta1.KubeGroupNameAnnotationKey: "hog"}},
			Spec: corev1.PodSpec{SchedulerName: "volcano", NodeSelector: map[string]string{"kurator.dev/nowhere": "true"},
				Containers: []corev1.Container{{Name: "c", Image: "busybox", Resources: corev1.ResourceRequirements{Requests: rl("cpu", "8")}}}},
		}
		if _, err := m.kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until the estimator sees both queues open and the hog's request.
	requests := rl("cpu", "8")
	var est estimator.Estimate
	if ok, msg := poll(func() (bool, string) {
		snap := srv.Snapshot()
		est = snap.Estimate(estimator.Request{Namespace: ns, Components: []estimator.Component{{Replicas: 1, Requests: requests}}})
		v, _ := snap.QueueModel().Queue(jobs)
		h, _ := snap.QueueModel().Queue(hog)
		return v.State == "Open" && h.State == "Open" && est.Gate == estimator.GateQueueAllocate,
			fmt.Sprintf("queues %s (%s) and %s (%s); estimate %s", jobs, v.State, hog, h.State, est.Reason())
	}); !ok {
		t.Skipf("the deserved share does not bind in aliyun now (other workloads?): %s", msg)
	}
	k := runsAsEstimated(t, ctx, m, client, ns, jobs, requests)
	t.Logf("proportion: %d jobs of 8 cpus admitted in %s, as Volcano did (%s)", k, jobs, est.Reason())
}

// TestTencentPreemption checks preemption against tencent's real vc-scheduler (capacity,
// preempt and reclaim, gang victims not protected): a low-priority job holds every free
// GPU with one pod per GPU but needs only one (the rest is elastic, so the queue still
// admits more); a high-priority 1-GPU job then fits only by preempting. The estimate must
// say 0 without preemption and at least 1 with it, and Volcano must indeed preempt and run
// the high-priority job.
func TestTencentPreemption(t *testing.T) {
	m := connectMember(t, "tencent")
	ctx := t.Context()
	cfg, err := app.VolcanoConfigFromFile(m.conf, estimator.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Preempt || cfg.PreemptKeepsMinAvailable {
		t.Skipf("tencent's vc-scheduler does not preempt below minAvailable (%+v)", cfg)
	}
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%100000)
	ns := "kurator-estimator-preempt-" + suffix
	low, high := ns+"-low", ns+"-high"
	_, srv := startEstimator(t, m, cfg)
	createNamespace(t, ctx, m, ns)
	for name, value := range map[string]int32{low: 10, high: 1000} {
		if _, err := m.kube.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{
			ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = m.kube.SchedulingV1().PriorityClasses().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	free := freeGPUs(t, ctx, m.kube)
	if free < 2 {
		t.Skipf("tencent has %d free GPUs; the test needs 2", free)
	}
	oneGPU := rl("cpu", "1", string(gpu), "1")
	lowMin := rl("cpu", "1", string(gpu), "1", "pods", "1")
	if _, err := m.volcano.SchedulingV1beta1().PodGroups(ns).Create(ctx, &schedulingv1beta1.PodGroup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "low"},
		Spec: schedulingv1beta1.PodGroupSpec{MinMember: 1, Queue: "default", MinResources: &lowMin, PriorityClassName: low}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < free; i++ {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("low-%d", i), Annotations: map[string]string{schedulingv1beta1.KubeGroupNameAnnotationKey: "low"}},
			Spec: corev1.PodSpec{SchedulerName: "volcano", PriorityClassName: low, Containers: []corev1.Container{{Name: "c", Image: "busybox",
				Resources: corev1.ResourceRequirements{Requests: oneGPU, Limits: rl(string(gpu), "1")}}}},
		}
		if _, err := m.kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	highReq := estimator.Request{Namespace: ns, Queue: "default", Components: []estimator.Component{{Replicas: 1, Requests: oneGPU, PriorityClassName: high}}}
	var est estimator.Estimate
	if ok, msg := poll(func() (bool, string) {
		est = srv.Snapshot().Estimate(highReq)
		return est.SetsWithoutPreemption == 0 && est.Sets >= 1 && est.Priority == 1000, est.Reason()
	}); !ok {
		t.Fatalf("with every GPU held by a low-priority preemptable job, a high-priority 1-GPU job: %s (priority %d); want 0 without preemption and at least 1 with it",
			msg, est.Priority)
	}
	volcanoJobWithPriority(t, ctx, m, ns, "high", "default", oneGPU, high)
	var last string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		p, err := m.kube.CoreV1().Pods(ns).Get(ctx, "high", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		last = string(p.Status.Phase) + "@" + p.Spec.NodeName
		if p.Status.Phase == corev1.PodRunning {
			t.Logf("Volcano preempted for the high-priority job, as estimated (%s)", est.Reason())
			return
		}
	}
	t.Fatalf("the estimate counted preemptable capacity (%s) but Volcano did not run the high-priority job: %s", est.Reason(), last)
}

func volcanoJobWithPriority(t *testing.T, ctx context.Context, m *member, ns, name, queue string, requests corev1.ResourceList, priorityClass string) {
	t.Helper()
	minRes := requests.DeepCopy()
	minRes[corev1.ResourcePods] = resource.MustParse("1")
	pg := &schedulingv1beta1.PodGroup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: schedulingv1beta1.PodGroupSpec{MinMember: 1, Queue: queue, MinResources: &minRes, PriorityClassName: priorityClass}}
	if _, err := m.volcano.SchedulingV1beta1().PodGroups(ns).Create(ctx, pg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{schedulingv1beta1.KubeGroupNameAnnotationKey: name}},
		Spec: corev1.PodSpec{SchedulerName: "volcano", PriorityClassName: priorityClass, Containers: []corev1.Container{{Name: "c", Image: "busybox",
			Resources: corev1.ResourceRequirements{Requests: requests, Limits: corev1.ResourceList{gpu: requests[gpu]}}}}},
	}
	if _, err := m.kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func createNamespace(t *testing.T, ctx context.Context, m *member, ns string) {
	t.Helper()
	if _, err := m.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
}

// volcanoJob creates a one-pod PodGroup job in the member's Volcano.
func volcanoJob(t *testing.T, ctx context.Context, m *member, ns, name, queue string, requests corev1.ResourceList, nodeSelector map[string]string) {
	t.Helper()
	minRes := requests.DeepCopy()
	minRes[corev1.ResourcePods] = resource.MustParse("1")
	pg := &schedulingv1beta1.PodGroup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: schedulingv1beta1.PodGroupSpec{MinMember: 1, Queue: queue, MinResources: &minRes}}
	if _, err := m.volcano.SchedulingV1beta1().PodGroups(ns).Create(ctx, pg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	limits := corev1.ResourceList{}
	if q, ok := requests[gpu]; ok {
		limits[gpu] = q
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{schedulingv1beta1.KubeGroupNameAnnotationKey: name}},
		Spec: corev1.PodSpec{SchedulerName: "volcano", NodeSelector: nodeSelector, Containers: []corev1.Container{{Name: "c", Image: "busybox",
			Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits}}},
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}},
	}
	if _, err := m.kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// runsAsEstimated asks the estimator how many one-pod jobs with requests queue admits,
// submits one more than that, and checks the member's vc-scheduler runs exactly the
// estimated number and keeps the extra one out. It returns the estimate.
func runsAsEstimated(t *testing.T, ctx context.Context, m *member, client estimatorservice.EstimatorClient, ns, queue string, requests corev1.ResourceList) int {
	t.Helper()
	res, err := client.MaxAvailableReplicas(ctx, memberReplicasRequest(m.name, ns, "", requests))
	if err != nil {
		t.Fatal(err)
	}
	k := int(res.MaxReplicas)
	if k <= 0 {
		t.Skipf("queue %s has no room for a job of %v now (estimate %d); nothing to compare", queue, requests, k)
	}
	for i := 0; i <= k; i++ {
		volcanoJob(t, ctx, m, ns, fmt.Sprintf("job-%d", i), queue, requests, nil)
	}
	// Volcano schedules every second; wait for k running pods.
	var running int
	var last string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		pods, err := m.kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: ""})
		if err != nil {
			t.Fatal(err)
		}
		running = 0
		var states []string
		for _, p := range pods.Items {
			if !strings.HasPrefix(p.Name, "job-") {
				continue
			}
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
			states = append(states, p.Name+"="+string(p.Status.Phase)+"@"+p.Spec.NodeName)
		}
		last = strings.Join(states, " ")
		if running == k {
			break
		}
	}
	if running != k {
		t.Fatalf("the vc-scheduler runs %d of %d jobs in queue %s, the estimate said %d; pods: %s", running, k+1, queue, k, last)
	}
	// Give Volcano a few more sessions to prove it keeps the extra job out.
	time.Sleep(5 * time.Second)
	pods, err := m.kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bound := 0
	for _, p := range pods.Items {
		if strings.HasPrefix(p.Name, "job-") && p.Spec.NodeName != "" {
			bound++
		}
	}
	if bound != k {
		t.Fatalf("the vc-scheduler bound %d job pods in queue %s, the estimate allowed %d", bound, queue, k)
	}
	return k
}

func priorityKnown(srv *server.Server, name string) (int32, bool) {
	snap := srv.Snapshot()
	if snap == nil {
		return 0, false
	}
	p := int32(0)
	e := snap.Estimate(estimator.Request{Components: []estimator.Component{{Replicas: 1, PriorityClassName: name}}})
	p = e.Priority
	return p, p == 100000
}
