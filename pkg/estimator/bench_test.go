package estimator

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
)

// benchStore is a member with nodes nodes (4 in 5 CPU nodes, 1 in 5 tainted 8-GPU nodes)
// and 10 pods per node, a third of them in Volcano jobs of queues q0..q3.
func benchStore(b *testing.B, nodes int, cfg Config) *Store {
	b.Helper()
	s := NewStore(cfg)
	for i := 0; i < 4; i++ {
		s.UpsertQueue(queue(fmt.Sprintf("q%d", i), "", int32(i+1)))
	}
	s.UpsertQueue(queue("default", "", 1))
	s.UpsertPriorityClass(priorityClass("low", 10))
	for i := 0; i < nodes; i++ {
		name := fmt.Sprintf("node-%05d", i)
		labels := map[string]string{"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": fmt.Sprintf("zone-%d", i%3)}
		if i%5 == 4 {
			labels["pool"] = "gpu"
			s.UpsertNode(node(name, "cpu=64,memory=512Gi,pods=110,nvidia.com/gpu=8", labels, gpuTaint))
		} else {
			labels["pool"] = "cpu"
			s.UpsertNode(node(name, "cpu=32,memory=128Gi,pods=110", labels))
		}
		for j := 0; j < 10; j++ {
			opts := []podOpt{onNode(name)}
			req := "cpu=1,memory=2Gi"
			if j%3 == 0 {
				g := fmt.Sprintf("job-%d-%d", i, j)
				s.UpsertPodGroup(podGroup("ns", g, fmt.Sprintf("q%d", (i+j)%4), 1, req, schedulingv1beta1.PodGroupRunning, "low"))
				opts = append(opts, inGroup(g))
			}
			s.UpsertPod(pod("ns", fmt.Sprintf("p-%d-%d", i, j), req, opts...))
		}
	}
	s.SetSynced(true)
	return s
}

func benchRequest() Request {
	tolerate := []corev1.Toleration{{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists}}
	return Request{Namespace: "ns", Queue: "q1", Components: []Component{
		{Name: "ps", Replicas: 1, Requests: res("cpu=4,memory=8Gi"), NodeSelector: map[string]string{"pool": "cpu"}},
		{Name: "worker", Replicas: 4, Requests: res("cpu=8,memory=32Gi,nvidia.com/gpu=1"), Tolerations: tolerate,
			NodeAffinity: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
				{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"gpu"}}}}}}},
	}}
}

// BenchmarkEstimate5000Nodes is one gang estimate at 5,000 nodes / 50,000 pods.
func BenchmarkEstimate5000Nodes(b *testing.B) {
	for _, mode := range []struct {
		name string
		cfg  func() Config
	}{
		{"proportion", DefaultConfig},
		{"capacity+preemption", func() Config {
			c := DefaultConfig()
			c.QueuePlugin, c.Preempt, c.Reclaim = QueuePluginCapacity, true, true
			return c
		}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			snap := benchStore(b, 5000, mode.cfg()).Snapshot()
			req := benchRequest()
			b.ResetTimer()
			var e Estimate
			for i := 0; i < b.N; i++ {
				e = snap.Estimate(req)
			}
			b.ReportMetric(float64(e.Sets), "sets")
		})
	}
}

// BenchmarkEstimateCompetingGang is a gang whose components compete for the same nodes
// (first-fit simulation), at 5,000 nodes.
func BenchmarkEstimateCompetingGang(b *testing.B) {
	snap := benchStore(b, 5000, DefaultConfig()).Snapshot()
	zone := &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
		{Key: "topology.kubernetes.io/zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"zone-0"}}}}}}
	req := Request{Namespace: "ns", Queue: "q1", Components: []Component{
		{Name: "driver", Replicas: 1, Requests: res("cpu=2,memory=4Gi"), NodeAffinity: zone},
		{Name: "executor", Replicas: 64, Requests: res("cpu=4,memory=16Gi"), NodeAffinity: zone},
	}}
	b.ResetTimer()
	var e Estimate
	for i := 0; i < b.N; i++ {
		e = snap.Estimate(req)
	}
	b.ReportMetric(float64(e.Sets), "sets")
}

// BenchmarkEstimateUncachedClaim is the same with a node claim never seen before (no match
// cache hit), the worst case.
func BenchmarkEstimateUncachedClaim(b *testing.B) {
	snap := benchStore(b, 5000, DefaultConfig()).Snapshot()
	req := benchRequest()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.Components[0].NodeSelector = map[string]string{"pool": "cpu", "unique": fmt.Sprint(i)}
		req.Components[0].NodeSelector = map[string]string{"pool": "cpu"}
		req.Components[0].Tolerations = []corev1.Toleration{{Key: fmt.Sprint("k", i), Operator: corev1.TolerationOpExists}}
		_ = snap.Estimate(req)
	}
}

// BenchmarkSnapshotRebuild is a snapshot after one pod changed, at 5,000 nodes.
func BenchmarkSnapshotRebuild(b *testing.B) {
	s := benchStore(b, 5000, DefaultConfig())
	_ = s.Snapshot()
	p := pod("ns", "churn", "cpu=1", onNode("node-00001"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			s.UpsertPod(p)
		} else {
			s.DeletePod("ns", "churn")
		}
		_ = s.Snapshot()
	}
}

// BenchmarkQueueAdmit is the queue gates alone (proportion water-fill over 5 queues).
func BenchmarkQueueAdmit(b *testing.B) {
	snap := benchStore(b, 500, DefaultConfig()).Snapshot()
	a := QueueAdmission{Queue: "q1", MinResources: res("cpu=36,memory=136Gi,nvidia.com/gpu=4"), SetRequests: res("cpu=36,memory=136Gi,nvidia.com/gpu=4")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = snap.QueueModel().Admit(a)
	}
}

// BenchmarkPodGroupMinResources is the job controller's minResources for a 3-task job.
func BenchmarkPodGroupMinResources(b *testing.B) {
	two, eight := int32(2), int32(8)
	tasks := []TaskSpec{
		{Name: "ps", Replicas: 2, MinAvailable: &two, Usage: res("cpu=4,memory=8Gi,pods=1")},
		{Name: "worker", Replicas: 8, MinAvailable: &eight, Priority: 100, Usage: res("cpu=8,memory=32Gi,nvidia.com/gpu=1,pods=1")},
		{Name: "chief", Replicas: 1, Usage: res("cpu=2,memory=4Gi,pods=1")},
	}
	for i := 0; i < b.N; i++ {
		_ = PodGroupMinResources(tasks, 10)
	}
}
