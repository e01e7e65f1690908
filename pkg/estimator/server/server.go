package server

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/karmada-io/karmada/pkg/estimator/pb"
	estimatorservice "github.com/karmada-io/karmada/pkg/estimator/service"
	"github.com/karmada-io/karmada/pkg/util"
	"google.golang.org/grpc/metadata"
	"k8s.io/klog/v2"

	"kurator.dev/kurator/pkg/estimator"
)

// RPC names used as metric labels.
const (
	methodReplicas      = "MaxAvailableReplicas"
	methodComponentSets = "MaxAvailableComponentSets"
	methodUnschedulable = "GetUnschedulableReplicas"
)

// Server answers Karmada's scheduler-estimator RPCs for one member cluster from snapshots
// of a Store. It never returns a gRPC error: Karmada drops every estimator's answer for a
// binding when one of them fails, so it answers -1 ("no opinion") when it cannot know.
type Server struct {
	estimatorservice.UnimplementedEstimatorServer

	cluster string
	store   *estimator.Store
	metrics *Metrics
	now     func() time.Time

	current     atomic.Pointer[estimator.Snapshot]
	kick        chan struct{}
	minInterval time.Duration
}

// NewServer returns a server for cluster over store. minInterval is the least time between
// two snapshot rebuilds (changes arriving meanwhile are batched into the next).
func NewServer(cluster string, store *estimator.Store, metrics *Metrics, minInterval time.Duration) *Server {
	if metrics == nil {
		metrics = NewMetrics()
	}
	return &Server{cluster: cluster, store: store, metrics: metrics, now: time.Now,
		kick: make(chan struct{}, 1), minInterval: minInterval}
}

// Store is the store the server reads.
func (s *Server) Store() *estimator.Store { return s.store }

// Metrics are the server's metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Changed tells the server the store changed; a new snapshot follows within minInterval.
func (s *Server) Changed() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Refresh builds and publishes a snapshot now if the store changed.
func (s *Server) Refresh() *estimator.Snapshot {
	cur := s.current.Load()
	if cur != nil && !s.store.Dirty() {
		return cur
	}
	start := time.Now()
	snap := s.store.Snapshot()
	s.metrics.snapshotBuild.Observe(time.Since(start).Seconds())
	s.current.Store(snap)
	s.metrics.snapshotGen.Set(float64(snap.Generation()))
	s.metrics.snapshotTime.Set(float64(time.Now().Unix()))
	if snap.Synced() {
		s.metrics.synced.Set(1)
	} else {
		s.metrics.synced.Set(0)
	}
	return snap
}

// Run keeps the published snapshot current until ctx ends: it rebuilds after changes, at
// most once per minInterval, and at least every resync period as a safety net.
func (s *Server) Run(ctx context.Context) {
	resync := time.NewTicker(30 * time.Second)
	defer resync.Stop()
	s.Refresh()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-resync.C:
		}
		s.Refresh()
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.minInterval):
		}
	}
}

// Snapshot is the snapshot requests are answered from (nil before the first).
func (s *Server) Snapshot() *estimator.Snapshot { return s.current.Load() }

func objectOf(ctx context.Context) string {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return ""
	}
	if v := md.Get(string(util.ContextKeyObject)); len(v) > 0 {
		return v[0]
	}
	return ""
}

// MaxAvailableReplicas answers how many more replicas of one pod template the member can
// start now.
func (s *Server) MaxAvailableReplicas(ctx context.Context, req *pb.MaxAvailableReplicasRequest) (*pb.MaxAvailableReplicasResponse, error) {
	start := time.Now()
	if req.GetCluster() != s.cluster {
		klog.InfoS("Request for another cluster answered with no opinion", "method", methodReplicas, "cluster", req.GetCluster(), "serving", s.cluster)
		s.observe(methodReplicas, start, estimator.Unknown, "")
		return &pb.MaxAvailableReplicasResponse{MaxReplicas: estimator.Unknown}, nil
	}
	r, err := replicaRequest(req)
	if err != nil {
		klog.InfoS("Malformed request answered with no opinion", "method", methodReplicas, "object", objectOf(ctx), "err", err)
		s.observe(methodReplicas, start, estimator.Unknown, estimator.GateRequest)
		return &pb.MaxAvailableReplicasResponse{MaxReplicas: estimator.Unknown}, nil
	}
	est := s.estimate(r)
	s.log(ctx, methodReplicas, est, start)
	return &pb.MaxAvailableReplicasResponse{MaxReplicas: est.Sets}, nil
}

// MaxAvailableComponentSets answers how many complete component sets (gangs) the member
// can start now.
func (s *Server) MaxAvailableComponentSets(ctx context.Context, req *pb.MaxAvailableComponentSetsRequest) (*pb.MaxAvailableComponentSetsResponse, error) {
	start := time.Now()
	if req.GetCluster() != s.cluster {
		klog.InfoS("Request for another cluster answered with no opinion", "method", methodComponentSets, "cluster", req.GetCluster(), "serving", s.cluster)
		s.observe(methodComponentSets, start, estimator.Unknown, "")
		return &pb.MaxAvailableComponentSetsResponse{MaxSets: estimator.Unknown}, nil
	}
	r, err := componentSetRequest(req)
	if err != nil {
		klog.InfoS("Malformed request answered with no opinion", "method", methodComponentSets, "object", objectOf(ctx), "err", err)
		s.observe(methodComponentSets, start, estimator.Unknown, estimator.GateRequest)
		return &pb.MaxAvailableComponentSetsResponse{MaxSets: estimator.Unknown}, nil
	}
	est := s.estimate(r)
	s.log(ctx, methodComponentSets, est, start)
	return &pb.MaxAvailableComponentSetsResponse{MaxSets: est.Sets}, nil
}

// GetUnschedulableReplicas answers how many replicas of a workload have been unschedulable
// for longer than the request's threshold (0 when unknown).
func (s *Server) GetUnschedulableReplicas(ctx context.Context, req *pb.UnschedulableReplicasRequest) (*pb.UnschedulableReplicasResponse, error) {
	start := time.Now()
	ref := req.GetResource()
	if req.GetCluster() != s.cluster || ref == nil {
		s.observe(methodUnschedulable, start, 0, "")
		return &pb.UnschedulableReplicasResponse{}, nil
	}
	if snap := s.current.Load(); snap == nil || !snap.Synced() {
		s.observe(methodUnschedulable, start, estimator.Unknown, estimator.GateSync)
		return &pb.UnschedulableReplicasResponse{}, nil
	}
	n := s.store.UnschedulableReplicas(estimator.WorkloadRef{APIVersion: ref.GetApiVersion(), Kind: ref.GetKind(),
		Namespace: ref.GetNamespace(), Name: ref.GetName()}, time.Duration(req.GetUnschedulableThreshold()), s.now())
	klog.V(2).InfoS("Counted unschedulable replicas", "kind", ref.GetKind(), "workload", ref.GetNamespace()+"/"+ref.GetName(),
		"unschedulable", n, "elapsed", time.Since(start))
	s.observe(methodUnschedulable, start, n, "")
	return &pb.UnschedulableReplicasResponse{UnschedulableReplicas: n}, nil
}

func (s *Server) estimate(r estimator.Request) estimator.Estimate {
	snap := s.current.Load()
	if snap == nil {
		return estimator.Estimate{Sets: estimator.Unknown, SetsWithoutPreemption: estimator.Unknown, Gate: estimator.GateSync}
	}
	return snap.Estimate(r)
}

func (s *Server) log(ctx context.Context, method string, est estimator.Estimate, start time.Time) {
	s.observe(method, start, est.Sets, est.Gate)
	if klog.V(2).Enabled() {
		klog.InfoS("Estimated", "method", method, "cluster", s.cluster, "object", objectOf(ctx), "sets", est.Sets,
			"withoutPreemption", est.SetsWithoutPreemption, "queue", est.Queue, "priority", est.Priority,
			"reason", est.Reason(), "elapsed", time.Since(start))
	}
}

func (s *Server) observe(method string, start time.Time, answer int32, gate estimator.Gate) {
	s.metrics.latency.WithLabelValues(method).Observe(time.Since(start).Seconds())
	result := resultEstimated
	switch {
	case answer < 0:
		result = resultUnknown
	case answer == 0:
		result = resultZero
	}
	s.metrics.requests.WithLabelValues(method, result).Inc()
	if gate != "" {
		s.metrics.bindingGate.WithLabelValues(string(gate)).Inc()
	}
}
