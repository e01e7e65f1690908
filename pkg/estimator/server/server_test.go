package server

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	estimatorclient "github.com/karmada-io/karmada/pkg/estimator/client"
	"github.com/karmada-io/karmada/pkg/estimator/pb"
	estimatorservice "github.com/karmada-io/karmada/pkg/estimator/service"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"

	"kurator.dev/kurator/pkg/estimator"
)

func rl(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

// fakeMember is a store with two 8-cpu nodes and a queue "small" capped at 4 cpus.
func fakeMember() *estimator.Store {
	cfg := estimator.DefaultConfig()
	cfg.QueuePlugin = estimator.QueuePluginCapacity
	cfg.NamespaceQueues = map[string]string{"batch": "small"}
	s := estimator.NewStore(cfg)
	for _, name := range []string{"n1", "n2"} {
		s.UpsertNode(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
			Status: corev1.NodeStatus{Allocatable: rl("cpu", "8", "memory", "32Gi", "pods", "110")}})
	}
	for _, q := range []*schedulingv1beta1.Queue{
		{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: schedulingv1beta1.QueueSpec{Weight: 1},
			Status: schedulingv1beta1.QueueStatus{State: schedulingv1beta1.QueueStateOpen}},
		{ObjectMeta: metav1.ObjectMeta{Name: "small"}, Spec: schedulingv1beta1.QueueSpec{Weight: 1, Capability: rl("cpu", "4")},
			Status: schedulingv1beta1.QueueStatus{State: schedulingv1beta1.QueueStateOpen}},
	} {
		s.UpsertQueue(q)
	}
	return s
}

func serve(t *testing.T, srv *Server) estimatorservice.EstimatorClient {
	t.Helper()
	gs := grpc.NewServer(grpc.ForceServerCodecV2(Codec{}))
	estimatorservice.RegisterEstimatorServer(gs, srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(Codec{})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return estimatorservice.NewEstimatorClient(conn)
}

func replicas(namespace string, requests corev1.ResourceList) *pb.MaxAvailableReplicasRequest {
	return &pb.MaxAvailableReplicasRequest{Cluster: "m",
		ReplicaRequirements: (&pb.ReplicaRequirements{Namespace: namespace}).MustSetResourceRequest(requests)}
}

func TestServerAnswers(t *testing.T) {
	store := fakeMember()
	srv := NewServer("m", store, nil, 0)
	client := serve(t, srv)
	ctx := t.Context()

	// Before the first snapshot and before the caches synced: no opinion.
	if r, err := client.MaxAvailableReplicas(ctx, replicas("web", rl("cpu", "1"))); err != nil || r.MaxReplicas != -1 {
		t.Fatalf("no snapshot yet: %v, %v; want -1 and no error", r, err)
	}
	srv.Refresh()
	if r, err := client.MaxAvailableReplicas(ctx, replicas("web", rl("cpu", "1"))); err != nil || r.MaxReplicas != -1 {
		t.Fatalf("caches not synced: %v, %v; want -1", r, err)
	}
	store.SetSynced(true)
	srv.Refresh()

	cases := []struct {
		name string
		call func() (int32, error)
		want int32
	}{
		{"replicas by node fit (default queue)", func() (int32, error) {
			r, err := client.MaxAvailableReplicas(ctx, replicas("web", rl("cpu", "1")))
			return r.GetMaxReplicas(), err
		}, 16},
		{"replicas capped by the namespace's queue", func() (int32, error) {
			r, err := client.MaxAvailableReplicas(ctx, replicas("batch", rl("cpu", "1")))
			return r.GetMaxReplicas(), err
		}, 4},
		{"no requirements: pods only", func() (int32, error) {
			r, err := client.MaxAvailableReplicas(ctx, &pb.MaxAvailableReplicasRequest{Cluster: "m"})
			return r.GetMaxReplicas(), err
		}, 220},
		{"a request for another cluster", func() (int32, error) {
			req := replicas("web", rl("cpu", "1"))
			req.Cluster = "other"
			r, err := client.MaxAvailableReplicas(ctx, req)
			return r.GetMaxReplicas(), err
		}, -1},
		{"a malformed quantity", func() (int32, error) {
			req := &pb.MaxAvailableReplicasRequest{Cluster: "m", ReplicaRequirements: &pb.ReplicaRequirements{
				ResourceRequestBytes: map[string][]byte{"cpu": []byte("\x0a\x03zzz")}}}
			r, err := client.MaxAvailableReplicas(ctx, req)
			return r.GetMaxReplicas(), err
		}, -1},
		{"component sets", func() (int32, error) {
			c := (&pb.ComponentReplicaRequirements{}).MustSetResourceRequest(rl("cpu", "2"))
			r, err := client.MaxAvailableComponentSets(ctx, &pb.MaxAvailableComponentSetsRequest{Cluster: "m", Namespace: "web",
				Components: []*pb.Component{{Name: "a", Replicas: 1, ReplicaRequirements: c}, {Name: "b", Replicas: 3, ReplicaRequirements: c}}})
			return r.GetMaxSets(), err
		}, 2},
		{"component sets with an assumed set", func() (int32, error) {
			c := (&pb.ComponentReplicaRequirements{}).MustSetResourceRequest(rl("cpu", "2"))
			comps := []*pb.Component{{Name: "a", Replicas: 1, ReplicaRequirements: c}, {Name: "b", Replicas: 3, ReplicaRequirements: c}}
			r, err := client.MaxAvailableComponentSets(ctx, &pb.MaxAvailableComponentSetsRequest{Cluster: "m", Namespace: "web",
				Components: comps, AssumedWorkloads: []*pb.AssumedWorkload{{Namespace: "web", Components: comps}}})
			return r.GetMaxSets(), err
		}, 1},
	}
	for _, tc := range cases {
		got, err := tc.call()
		if err != nil {
			t.Errorf("%s: gRPC error %v; the server must never fail", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if n := testutil.ToFloat64(srv.Metrics().requests.WithLabelValues(methodReplicas, resultUnknown)); n < 3 {
		t.Errorf("kurator_estimator_requests_total{result=unknown} = %v, want at least 3", n)
	}
	if n := testutil.ToFloat64(srv.Metrics().bindingGate.WithLabelValues(string(estimator.GateQueueCapability))); n < 1 {
		t.Errorf("kurator_estimator_binding_gate_total{gate=QueueCapability} = %v, want at least 1", n)
	}
}

func TestUnschedulableReplicas(t *testing.T) {
	store := fakeMember()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	srv := NewServer("m", store, nil, 0)
	srv.now = func() time.Time { return now }
	store.SetReplicaSetOwner("web", "api-7d9f", "api")
	unschedulable := func(name string, since time.Time, owner metav1.OwnerReference) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: name, OwnerReferences: []metav1.OwnerReference{owner}},
			Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled,
				Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, LastTransitionTime: metav1.NewTime(since)}}},
		}
	}
	rs := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "api-7d9f", Controller: ptr.To(true)}
	store.UpsertPod(unschedulable("api-1", now.Add(-10*time.Minute), rs))
	store.UpsertPod(unschedulable("api-2", now.Add(-10*time.Minute), rs))
	store.UpsertPod(unschedulable("api-3", now.Add(-time.Minute), rs))
	// A Volcano Job whose PodGroup has waited 10 minutes for its queue: no pods exist yet.
	job := metav1.OwnerReference{APIVersion: "batch.volcano.sh/v1alpha1", Kind: "Job", Name: "train", Controller: ptr.To(true)}
	store.UpsertPodGroup(&schedulingv1beta1.PodGroup{
		ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "train-uid", OwnerReferences: []metav1.OwnerReference{job}},
		Spec:       schedulingv1beta1.PodGroupSpec{MinMember: 4, Queue: "small"},
		Status: schedulingv1beta1.PodGroupStatus{Phase: schedulingv1beta1.PodGroupPending, Conditions: []schedulingv1beta1.PodGroupCondition{{
			Type: schedulingv1beta1.PodGroupUnschedulableType, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-10 * time.Minute))}}},
	})
	store.SetSynced(true)
	srv.Refresh()
	client := serve(t, srv)
	ask := func(apiVersion, kind, name string) int32 {
		r, err := client.GetUnschedulableReplicas(t.Context(), &pb.UnschedulableReplicasRequest{Cluster: "m",
			Resource: &pb.ObjectReference{ApiVersion: apiVersion, Kind: kind, Namespace: "web", Name: name}, UnschedulableThreshold: int64(5 * time.Minute)})
		if err != nil {
			t.Fatalf("GetUnschedulableReplicas(%s %s): %v", kind, name, err)
		}
		return r.UnschedulableReplicas
	}
	if got := ask("apps/v1", "Deployment", "api"); got != 2 {
		t.Errorf("Deployment api: %d unschedulable for 5 minutes, want 2 (the third waits 1 minute)", got)
	}
	if got := ask("batch.volcano.sh/v1alpha1", "Job", "train"); got != 4 {
		t.Errorf("Volcano Job train: %d, want its 4 missing pods", got)
	}
	if got := ask("apps/v1", "Deployment", "other"); got != 0 {
		t.Errorf("unknown Deployment: %d, want 0", got)
	}
}

// TestRunRefreshes checks that changes reach the published snapshot through Run.
func TestRunRefreshes(t *testing.T) {
	store := fakeMember()
	store.SetSynced(true)
	srv := NewServer("m", store, nil, time.Millisecond)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go srv.Run(ctx)
	store.UpsertNode(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n3"}, Status: corev1.NodeStatus{Allocatable: rl("cpu", "8", "pods", "110")}})
	srv.Changed()
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if snap := srv.Snapshot(); snap != nil {
			if snap.Nodes() == 3 {
				return
			}
			last = strings.Repeat("n", snap.Nodes())
		}
	}
	t.Fatalf("the published snapshot never saw the third node (last saw %d nodes)", len(last))
}

// TestKarmadaSchedulerClient calls the server through the code karmada-scheduler runs
// (pkg/estimator/client.SchedulerEstimator), from Karmada's API types to the answer.
func TestKarmadaSchedulerClient(t *testing.T) {
	store := fakeMember()
	store.SetSynced(true)
	srv := NewServer("m", store, nil, 0)
	srv.Refresh()
	gs := grpc.NewServer(grpc.ForceServerCodecV2(Codec{}))
	estimatorservice.RegisterEstimatorServer(gs, srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(l) }()
	defer gs.Stop()
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(Codec{})))
	if err != nil {
		t.Fatal(err)
	}
	cache := estimatorclient.NewSchedulerEstimatorCache()
	cache.AddCluster("m", conn, estimatorservice.NewEstimatorClient(conn))
	se := estimatorclient.NewSchedulerEstimator(cache, 3*time.Second)
	clusters := []*clusterv1alpha1.Cluster{{ObjectMeta: metav1.ObjectMeta{Name: "m"}}}

	reps, err := se.MaxAvailableReplicas(t.Context(), estimatorclient.ReplicaEstimationRequest{Clusters: clusters,
		ReplicaRequirements: &workv1alpha2.ReplicaRequirements{Namespace: "batch", ResourceRequest: rl("cpu", "1")}})
	if err != nil || len(reps) != 1 || reps[0].Replicas != 4 {
		t.Errorf("MaxAvailableReplicas through Karmada's client = %+v, %v; want 4 (queue small)", reps, err)
	}
	comp := func(name string, n int32) workv1alpha2.Component {
		return workv1alpha2.Component{Name: name, Replicas: n, ReplicaRequirements: &workv1alpha2.ComponentReplicaRequirements{
			ResourceRequest: rl("cpu", "2"),
			NodeClaim: &workv1alpha2.NodeClaim{Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
				HardNodeAffinity: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{
					{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{"n1"}}}}}}}}}
	}
	sets, err := se.MaxAvailableComponentSets(t.Context(), estimatorclient.ComponentSetEstimationRequest{Clusters: clusters, Namespace: "web",
		Components:       []workv1alpha2.Component{comp("ps", 1), comp("worker", 1)},
		AssumedWorkloads: map[string][]estimatorclient.AssumedWorkload{"m": {{Namespace: "web", Components: []workv1alpha2.Component{comp("x", 1)}}}}})
	// Node n1 only: 8 cpus, 2 taken by the assumed pod, 4 per set -> 1.
	if err != nil || len(sets) != 1 || sets[0].Sets != 1 {
		t.Errorf("MaxAvailableComponentSets through Karmada's client = %+v, %v; want 1", sets, err)
	}
}
