package estimator

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
)

func nodeFitOnly() Config {
	cfg := DefaultConfig()
	cfg.QueuePlugin = QueuePluginNone
	return cfg
}

func synced(s *Store) *Snapshot {
	s.SetSynced(true)
	return s.Snapshot()
}

var gpuTaint = corev1.Taint{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}

// TestNodeFit covers node fit as Karmada's estimator computes it: requests against
// allocatable minus the requests of non-terminal pods, the pod count, taints, node
// selectors and required node affinity.
func TestNodeFit(t *testing.T) {
	base := func() *Store {
		s := NewStore(nodeFitOnly())
		s.UpsertNode(node("cpu-a", "cpu=8,memory=32Gi,pods=110", map[string]string{"pool": "cpu", "zone": "a"}))
		s.UpsertNode(node("cpu-b", "cpu=8,memory=32Gi,pods=4", map[string]string{"pool": "cpu", "zone": "b"}))
		s.UpsertNode(node("gpu-a", "cpu=32,memory=128Gi,pods=110,nvidia.com/gpu=4", map[string]string{"pool": "gpu", "zone": "a"}, gpuTaint))
		return s
	}
	tolerateGPU := []corev1.Toleration{{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
	cases := []struct {
		name  string
		setup func(*Store)
		comps []Component
		want  int32
	}{
		{
			// cpu-a 8, cpu-b 4 (pod limit 4); gpu-a is tainted: 12.
			name: "untolerated taint excludes the GPU node", comps: []Component{comp("c", 1, "cpu=1")}, want: 12,
		},
		{
			// + gpu-a 32 cpus = 44.
			name:  "toleration admits the GPU node",
			comps: []Component{{Name: "c", Replicas: 1, Requests: res("cpu=1"), Tolerations: tolerateGPU}}, want: 44,
		},
		{
			// GPU pods only fit gpu-a: 4 GPUs.
			name: "extended resources", comps: []Component{{Name: "g", Replicas: 1, Requests: res("cpu=1,nvidia.com/gpu=1"), Tolerations: tolerateGPU}}, want: 4,
		},
		{
			// 4 GPUs hold 2 sets of 2 GPU pods.
			name: "replicas per set", comps: []Component{{Name: "g", Replicas: 2, Requests: res("nvidia.com/gpu=1"), Tolerations: tolerateGPU}}, want: 2,
		},
		{
			name: "running pods reduce free resources, terminal pods do not",
			setup: func(s *Store) {
				s.UpsertPod(pod("ns", "busy", "cpu=6", onNode("cpu-a")))
				s.UpsertPod(pod("ns", "done", "cpu=8", onNode("cpu-b"), phase(corev1.PodSucceeded)))
			},
			comps: []Component{comp("c", 1, "cpu=1")}, want: 2 + 4,
		},
		{
			// cpu-b allows 4 pods and already runs 3 tiny ones: 1 more; cpu-a 8.
			name: "pod count limit",
			setup: func(s *Store) {
				for _, n := range []string{"p1", "p2", "p3"} {
					s.UpsertPod(pod("ns", n, "cpu=10m", onNode("cpu-b")))
				}
			},
			comps: []Component{comp("c", 1, "cpu=1")}, want: 8 + 1,
		},
		{
			name:  "node selector",
			comps: []Component{{Name: "c", Replicas: 1, Requests: res("cpu=1"), NodeSelector: map[string]string{"zone": "b"}}}, want: 4,
		},
		{
			// zone In (a) and pool NotIn (gpu): cpu-a only.
			name: "required node affinity",
			comps: []Component{{Name: "c", Replicas: 1, Requests: res("cpu=1"), Tolerations: tolerateGPU,
				NodeAffinity: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
					{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}},
					{Key: "pool", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"gpu"}},
				}}}}}},
			want: 8,
		},
		{
			// Terms are ORed: metadata.name = cpu-b, or pool = gpu (tolerated): 4 + 32.
			name: "affinity terms with match fields",
			comps: []Component{{Name: "c", Replicas: 1, Requests: res("cpu=1"), Tolerations: tolerateGPU,
				NodeAffinity: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
					{MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{"cpu-b"}}}},
					{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"gpu"}}}},
				}}}},
			want: 36,
		},
		{
			name: "unschedulable node is skipped",
			setup: func(s *Store) {
				n := node("cpu-a", "cpu=8,memory=32Gi,pods=110", nil)
				n.Spec.Unschedulable = true
				s.UpsertNode(n)
			},
			comps: []Component{comp("c", 1, "cpu=1")}, want: 4,
		},
		{
			// One set: 1 ps (8 cpus) + 2 workers (4 cpus). Node cpu-a fits the ps, cpu-b's 8 cpus
			// fit 2 workers: 1 set; per-component bounds alone would say 2 (2 ps slots, 4 worker
			// slots) but both compete for the same 16 cpus.
			name:  "gang sets compete for the same nodes",
			comps: []Component{comp("ps", 1, "cpu=8"), comp("worker", 2, "cpu=4")}, want: 1,
		},
		{
			// Disjoint node pools: ps on cpu nodes (2 slots of 8... cpu-a 1, cpu-b 1), workers on
			// the GPU node (4 GPUs / 2 per set): min(2, 2) = 2.
			name: "gang sets on disjoint pools",
			comps: []Component{
				{Name: "ps", Replicas: 1, Requests: res("cpu=8"), NodeSelector: map[string]string{"pool": "cpu"}},
				{Name: "worker", Replicas: 2, Requests: res("cpu=1,nvidia.com/gpu=1"), Tolerations: tolerateGPU},
			},
			want: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			if tc.setup != nil {
				tc.setup(s)
			}
			got := synced(s).Estimate(Request{Namespace: "ns", Components: tc.comps})
			if got.Sets != tc.want {
				t.Errorf("Sets = %d, want %d (%s)", got.Sets, tc.want, got.Reason())
			}
		})
	}
}

func TestEstimateEdges(t *testing.T) {
	s := NewStore(nodeFitOnly())
	s.UpsertNode(node("n", "cpu=4,memory=8Gi,pods=10", nil))
	if got := s.Snapshot().Estimate(Request{Components: []Component{comp("c", 1, "cpu=1")}}); got.Sets != Unknown || got.Gate != GateSync {
		t.Errorf("unsynced store: %+v, want Unknown by %s", got, GateSync)
	}
	snap := synced(s)
	got := snap.Estimate(Request{Components: []Component{comp("c", 1, "cpu=1,example.com/fpga=1")}})
	if got.Sets != 0 || got.Gate != GateRequest {
		t.Errorf("unknown resource: %+v, want 0 by %s", got, GateRequest)
	}
	if got := snap.Estimate(Request{Components: []Component{comp("c", 1, "cpu=1")}, MaxSets: 2}); got.Sets != 2 {
		t.Errorf("MaxSets 2: Sets = %d", got.Sets)
	}
	// An assumed workload of 3 cpus leaves 1.
	got = snap.Estimate(Request{Components: []Component{comp("c", 1, "cpu=1")},
		Assumed: []Workload{{Namespace: "ns", Components: []Component{comp("x", 3, "cpu=1")}}}})
	if got.Sets != 1 {
		t.Errorf("with an assumed 3-cpu workload: Sets = %d, want 1 (%s)", got.Sets, got.Reason())
	}
	// An assumed workload that cannot fit deducts nothing (Karmada: already counted).
	got = snap.Estimate(Request{Components: []Component{comp("c", 1, "cpu=1")},
		Assumed: []Workload{{Namespace: "ns", Components: []Component{comp("x", 5, "cpu=1")}}}})
	if got.Sets != 4 {
		t.Errorf("with an assumed workload that does not fit: Sets = %d, want 4", got.Sets)
	}
}

// volcanoMember is a 2-node member with queues a (capability 8 cpus) and b.
func volcanoMember(cfg Config) *Store {
	s := NewStore(cfg)
	s.UpsertNode(node("n1", "cpu=8,memory=32Gi,pods=110", nil))
	s.UpsertNode(node("n2", "cpu=8,memory=32Gi,pods=110", nil))
	s.UpsertQueue(queue("default", "", 1))
	s.UpsertQueue(queue("a", "cpu=8", 1))
	s.UpsertQueue(queue("b", "", 1))
	s.UpsertPriorityClass(priorityClass("low", 10))
	s.UpsertPriorityClass(priorityClass("high", 1000))
	return s
}

func TestQueueResolution(t *testing.T) {
	cfg := DefaultConfig()
	cfg.QueuePlugin = QueuePluginCapacity
	cfg.NamespaceQueues = map[string]string{"team-a": "a"}
	s := volcanoMember(cfg)
	s.UpsertNamespace(&corev1.Namespace{ObjectMeta: metaWithAnnotation("team-b", schedulingv1beta1.QueueNameAnnotationKey, "b")})
	snap := synced(s)
	for ns, want := range map[string]string{"team-a": "a", "team-b": "b", "other": "default"} {
		if got := snap.ResolveQueue(ns); got != want {
			t.Errorf("ResolveQueue(%s) = %q, want %q", ns, got, want)
		}
	}
	// Queue a caps 8 cpus: 4-cpu jobs -> 2, although 16 cpus are free.
	got := snap.Estimate(Request{Namespace: "team-a", Components: []Component{comp("c", 1, "cpu=4")}})
	if got.Sets != 2 || got.Gate != GateQueueCapability {
		t.Errorf("team-a: %s, want 2 sets bound by %s", got.Reason(), GateQueueCapability)
	}
	got = snap.Estimate(Request{Namespace: "x", Queue: "missing", Components: []Component{comp("c", 1, "cpu=4")}})
	if got.Sets != Unknown || got.Gate != GateQueueUnknown {
		t.Errorf("missing queue: %+v, want Unknown by %s", got, GateQueueUnknown)
	}
}

// TestPreemption covers capacity held by lower-priority preemptable pods.
func TestPreemption(t *testing.T) {
	highPrio := ptr.To[int32](1000)
	cases := []struct {
		name     string
		preempt  bool
		reclaim  bool
		keepMin  bool
		setup    func(*Store)
		req      Request
		want     int32
		wantFree int32
	}{
		{
			// Queue a (capability 8): a low-priority job (minResources 4 cpus) runs 4 pods x 4
			// cpus on both nodes: allocated 16, elastic 16 - 4 = 12.
			// Enqueue is not relieved by preemption: 4k + 16 - 12 <= 8 -> 1.
			// Allocate after preempting the 16 evictable cpus: 0 + 4k <= 8 -> 2.
			// Nodes after preemption: 4. Without preemption allocate sees 16 + 4 > 8 -> 0.
			name: "enqueue is not relieved by preemption", preempt: true,
			setup: func(s *Store) { runningJob(s, "ns", "low", "a", 1, "4", "low", []string{"n1", "n2"}, 4) },
			req:   Request{Queue: "a", Priority: highPrio, Components: []Component{comp("c", 1, "cpu=4")}},
			want:  1, wantFree: 0,
		},
		{
			// Queue b has no capability (real capability 16): the low job (4 x 4 cpus, elastic
			// 12) fills the nodes. Enqueue: 4k + 16 - 12 <= 16 -> 3; nodes after preempting: 4;
			// nothing without preempting.
			name: "preempt counts lower-priority pods of the same queue", preempt: true,
			setup: func(s *Store) { runningJob(s, "ns", "low", "b", 1, "4", "low", []string{"n1", "n2"}, 4) },
			req:   Request{Queue: "b", Priority: highPrio, Components: []Component{comp("c", 1, "cpu=4")}},
			want:  3, wantFree: 0,
		},
		{
			name: "without preempt nothing is counted", preempt: false,
			setup: func(s *Store) { runningJob(s, "ns", "low", "b", 1, "4", "low", []string{"n1", "n2"}, 4) },
			req:   Request{Queue: "b", Priority: highPrio, Components: []Component{comp("c", 1, "cpu=4")}},
			want:  0, wantFree: 0,
		},
		{
			name: "higher-priority pods are not victims", preempt: true,
			setup: func(s *Store) { runningJob(s, "ns", "hi", "b", 1, "4", "high", []string{"n1", "n2"}, 4) },
			req:   Request{Queue: "b", Priority: ptr.To[int32](500), Components: []Component{comp("c", 1, "cpu=4")}},
			want:  0, wantFree: 0,
		},
		{
			name: "pods marked volcano.sh/preemptable=false are not victims", preempt: true,
			setup: func(s *Store) {
				runningJob(s, "ns", "low", "b", 1, "4", "low", []string{"n1", "n2"}, 4, notPreemptable())
			},
			req:  Request{Queue: "b", Priority: highPrio, Components: []Component{comp("c", 1, "cpu=4")}},
			want: 0, wantFree: 0,
		},
		{
			// minMember 3 of 4 running: only 1 pod may go when the gang plugin votes.
			name: "victims keep their minAvailable", preempt: true, keepMin: true,
			setup: func(s *Store) { runningJob(s, "ns", "low", "b", 3, "4", "low", []string{"n1", "n2"}, 4) },
			req:   Request{Queue: "b", Priority: highPrio, Components: []Component{comp("c", 1, "cpu=4")}},
			want:  1, wantFree: 0,
		},
		{
			// Reclaim: queue a (capability 8) holds 16 cpus? No: queue b's job holds all 16 cpus,
			// b's deserved (capacity plugin, spec.deserved 4) is exceeded, so a may reclaim.
			// Capacity's "preemptive" test: a's allocated 0 + 4 <= a's deserved... a has no
			// deserved (0): no requested dimension within it -> a may NOT reclaim.
			name: "capacity: a queue without deserved cannot reclaim", reclaim: true,
			setup: func(s *Store) { runningJob(s, "ns", "other", "b", 1, "4", "", []string{"n1", "n2"}, 4) },
			req:   Request{Queue: "a", Components: []Component{comp("c", 1, "cpu=4")}},
			want:  0, wantFree: 0,
		},
		{
			// Same with queue a deserving 8 cpus and b deserving 4: b is 12 over, a may take
			// back; a's capability (8) allows 2 jobs, enqueue sees allocated 0 -> 2.
			name: "capacity: reclaim from a queue above its deserved share", reclaim: true,
			setup: func(s *Store) {
				qa := queue("a", "cpu=8", 1)
				qa.Spec.Deserved = res("cpu=8")
				s.UpsertQueue(qa)
				qb := queue("b", "", 1)
				qb.Spec.Deserved = res("cpu=4")
				s.UpsertQueue(qb)
				runningJob(s, "ns", "other", "b", 1, "4", "", []string{"n1", "n2"}, 4)
			},
			req:  Request{Queue: "a", Components: []Component{comp("c", 1, "cpu=4")}},
			want: 2, wantFree: 0,
		},
		{
			name: "reclaim skips queues that are not reclaimable", reclaim: true,
			setup: func(s *Store) {
				qa := queue("a", "cpu=8", 1)
				qa.Spec.Deserved = res("cpu=8")
				s.UpsertQueue(qa)
				qb := queue("b", "", 1)
				qb.Spec.Deserved = res("cpu=4")
				qb.Spec.Reclaimable = ptr.To(false)
				s.UpsertQueue(qb)
				runningJob(s, "ns", "other", "b", 1, "4", "", []string{"n1", "n2"}, 4)
			},
			req:  Request{Queue: "a", Components: []Component{comp("c", 1, "cpu=4")}},
			want: 0, wantFree: 0,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.QueuePlugin = QueuePluginCapacity
			cfg.OvercommitFactor = 0
			cfg.Preempt, cfg.Reclaim = tc.preempt, tc.reclaim
			cfg.PreemptKeepsMinAvailable = tc.keepMin
			cfg.ReclaimKeepsMinAvailable = tc.keepMin
			s := volcanoMember(cfg)
			tc.setup(s)
			got := synced(s).Estimate(tc.req)
			if got.Sets != tc.want || got.SetsWithoutPreemption != tc.wantFree {
				t.Errorf("Sets = %d (without preemption %d), want %d (%d): %s", got.Sets, got.SetsWithoutPreemption, tc.want, tc.wantFree, got.Reason())
			}
		})
	}
}

// TestQueueUsageFromObjects checks that allocated, inqueue and elastic are derived from
// PodGroups and pods as Volcano's plugins derive them.
func TestQueueUsageFromObjects(t *testing.T) {
	cfg := DefaultConfig()
	cfg.QueuePlugin = QueuePluginCapacity
	s := volcanoMember(cfg)
	// Running job: minResources 2 cpus, 3 running pods of 1 cpu: allocated 3, elastic 1,
	// inqueue (min - allocated)+ = 0.
	runningJob(s, "ns", "run", "b", 2, "1", "", []string{"n1"}, 3)
	// Inqueue job without pods yet: reserves its minResources 4 cpus.
	s.UpsertPodGroup(podGroup("ns", "waiting", "b", 2, "cpu=4", schedulingv1beta1.PodGroupInqueue, ""))
	// Pending job: reserves nothing.
	s.UpsertPodGroup(podGroup("ns", "pending", "b", 1, "cpu=8", schedulingv1beta1.PodGroupPending, ""))
	// A pod of the running job being deleted (Releasing) is not allocated.
	p := pod("ns", "run-x", "cpu=1", onNode("n2"), inGroup("run"))
	p.DeletionTimestamp = ptrNow()
	s.UpsertPod(p)
	snap := synced(s)
	v, _ := snap.QueueModel().Queue("b")
	check := func(what string, got corev1.ResourceList, wantMilli int64) {
		if m := got.Cpu().MilliValue(); m != wantMilli {
			t.Errorf("queue b %s cpu = %dm, want %dm", what, m, wantMilli)
		}
	}
	check("allocated", v.Allocated, 3000)
	check("inqueue", v.Inqueue, 4000)
	check("elastic", v.Elastic, 1000)
	// Overcommit: used = all 4 pods on nodes (Releasing included) = 4; idle = 16*1.2 - 4 =
	// 15.2; inqueue 4 + 2k <= 15.2 -> 5.
	got := snap.Estimate(Request{Queue: "b", Components: []Component{comp("c", 1, "cpu=2")}})
	if l := limitOf(t, got.Limits, GateOvercommit); l.Sets != 5 {
		t.Errorf("overcommit bound = %d, want 5: %s", l.Sets, got.Reason())
	}
	// Capacity (no capability): realCapability 16: 2k + 3 + 4 - 1 <= 16 -> 5.
	if l := limitOf(t, got.Limits, GateQueueCapability); l.Sets != 5 {
		t.Errorf("capability bound = %d, want 5: %s", l.Sets, got.Reason())
	}
}
