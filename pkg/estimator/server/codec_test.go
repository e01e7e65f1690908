package server

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/karmada-io/karmada/pkg/estimator/pb"
	estimatorservice "github.com/karmada-io/karmada/pkg/estimator/service"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// sampleRequests covers every field of the request messages.
func sampleRequests() []any {
	affinity := &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
		{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"gpu", "mixed"}}}}}}
	tolerations := []corev1.Toleration{{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
	claim := (&pb.NodeClaim{NodeSelector: map[string]string{"zone": "a", "empty": ""}}).MustSetNodeAffinity(affinity).MustSetTolerations(tolerations)
	requests := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m"), "nvidia.com/gpu": resource.MustParse("2")}
	rr := (&pb.ReplicaRequirements{NodeClaim: claim, Namespace: "ns", PriorityClassName: "high"}).MustSetResourceRequest(requests)
	crr := (&pb.ComponentReplicaRequirements{NodeClaim: claim, PriorityClassName: "high"}).MustSetResourceRequest(requests)
	comps := []*pb.Component{{Name: "ps", Replicas: 1, ReplicaRequirements: crr}, {Name: "worker", Replicas: 4}}
	assumed := []*pb.AssumedWorkload{{Namespace: "other", Components: comps}}
	return []any{
		&pb.MaxAvailableReplicasRequest{Cluster: "tencent", ReplicaRequirements: rr, AssumedWorkloads: assumed},
		&pb.MaxAvailableReplicasRequest{Cluster: "tencent"},
		&pb.MaxAvailableComponentSetsRequest{Cluster: "tencent", Namespace: "ns", Components: comps, AssumedWorkloads: assumed},
		&pb.UnschedulableReplicasRequest{Cluster: "tencent", UnschedulableThreshold: 300e9,
			Resource: &pb.ObjectReference{ApiVersion: "apps/v1", Kind: "Deployment", Namespace: "ns", Name: "web"}},
		&pb.MaxAvailableReplicasResponse{MaxReplicas: -1},
		&pb.MaxAvailableComponentSetsResponse{MaxSets: 42},
		&pb.UnschedulableReplicasResponse{UnschedulableReplicas: 3},
	}
}

func newLike(v any) any {
	switch v.(type) {
	case *pb.MaxAvailableReplicasRequest:
		return &pb.MaxAvailableReplicasRequest{}
	case *pb.MaxAvailableComponentSetsRequest:
		return &pb.MaxAvailableComponentSetsRequest{}
	case *pb.UnschedulableReplicasRequest:
		return &pb.UnschedulableReplicasRequest{}
	case *pb.MaxAvailableReplicasResponse:
		return &pb.MaxAvailableReplicasResponse{}
	case *pb.MaxAvailableComponentSetsResponse:
		return &pb.MaxAvailableComponentSetsResponse{}
	case *pb.UnschedulableReplicasResponse:
		return &pb.UnschedulableReplicasResponse{}
	}
	panic("unexpected type")
}

// TestCodecRoundTrip encodes and decodes every message and compares what the server reads
// from the decoded message with what it reads from the original.
func TestCodecRoundTrip(t *testing.T) {
	quantities := cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })
	for _, msg := range sampleRequests() {
		data, err := Codec{}.Marshal(msg)
		if err != nil {
			t.Fatalf("Marshal(%T): %v", msg, err)
		}
		got := newLike(msg)
		if err := (Codec{}).Unmarshal(data, got); err != nil {
			t.Fatalf("Unmarshal(%T): %v", msg, err)
		}
		switch w := msg.(type) {
		case *pb.MaxAvailableReplicasRequest:
			a, errA := replicaRequest(w)
			b, errB := replicaRequest(got.(*pb.MaxAvailableReplicasRequest))
			if errA != nil || errB != nil {
				t.Fatalf("converting: %v, %v", errA, errB)
			}
			if diff := cmp.Diff(a, b, quantities); diff != "" {
				t.Errorf("MaxAvailableReplicasRequest round trip (-want +got):\n%s", diff)
			}
		case *pb.MaxAvailableComponentSetsRequest:
			a, errA := componentSetRequest(w)
			b, errB := componentSetRequest(got.(*pb.MaxAvailableComponentSetsRequest))
			if errA != nil || errB != nil {
				t.Fatalf("converting: %v, %v", errA, errB)
			}
			if diff := cmp.Diff(a, b, quantities); diff != "" {
				t.Errorf("MaxAvailableComponentSetsRequest round trip (-want +got):\n%s", diff)
			}
			if g := got.(*pb.MaxAvailableComponentSetsRequest); g.Cluster != w.Cluster || g.Namespace != w.Namespace {
				t.Errorf("cluster/namespace %q/%q, want %q/%q", g.Cluster, g.Namespace, w.Cluster, w.Namespace)
			}
		case *pb.UnschedulableReplicasRequest:
			g := got.(*pb.UnschedulableReplicasRequest)
			if g.Cluster != w.Cluster || g.UnschedulableThreshold != w.UnschedulableThreshold || g.Resource.GetApiVersion() != w.Resource.GetApiVersion() ||
				g.Resource.GetKind() != w.Resource.GetKind() || g.Resource.GetNamespace() != w.Resource.GetNamespace() || g.Resource.GetName() != w.Resource.GetName() {
				t.Errorf("UnschedulableReplicasRequest round trip: got %v, want %v", g, w)
			}
		case *pb.MaxAvailableReplicasResponse:
			if g := got.(*pb.MaxAvailableReplicasResponse); g.MaxReplicas != w.MaxReplicas {
				t.Errorf("MaxReplicas %d, want %d", g.MaxReplicas, w.MaxReplicas)
			}
		case *pb.MaxAvailableComponentSetsResponse:
			if g := got.(*pb.MaxAvailableComponentSetsResponse); g.MaxSets != w.MaxSets {
				t.Errorf("MaxSets %d, want %d", g.MaxSets, w.MaxSets)
			}
		case *pb.UnschedulableReplicasResponse:
			if g := got.(*pb.UnschedulableReplicasResponse); g.UnschedulableReplicas != w.UnschedulableReplicas {
				t.Errorf("UnschedulableReplicas %d, want %d", g.UnschedulableReplicas, w.UnschedulableReplicas)
			}
		}
	}
}

func TestCodecRejectsGarbage(t *testing.T) {
	if err := (Codec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte{0x0a, 0xff})}, &pb.MaxAvailableReplicasRequest{}); err == nil {
		t.Error("a truncated message decoded without error")
	}
}

// TestRegisterCodec makes Codec the process-wide proto codec and calls the server with a
// plain Karmada client and, through the fallback, gRPC's health service.
func TestRegisterCodec(t *testing.T) {
	RegisterCodec()
	store := fakeMember()
	store.SetSynced(true)
	srv := NewServer("m", store, nil, 0)
	srv.Refresh()
	gs := grpc.NewServer()
	estimatorservice.RegisterEstimatorServer(gs, srv)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(l) }()
	defer gs.Stop()
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	r, err := estimatorservice.NewEstimatorClient(conn).MaxAvailableReplicas(t.Context(), replicas("web", rl("cpu", "1")))
	if err != nil || r.MaxReplicas != 16 {
		t.Errorf("MaxAvailableReplicas with the registered codec: %v, %v; want 16", r, err)
	}
	h, err := healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{})
	if err != nil || h.Status != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health check through the fallback codec: %v, %v", h, err)
	}
}
