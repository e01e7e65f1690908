package estimator

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// res parses "cpu=4,memory=8Gi,nvidia.com/gpu=1" into a ResourceList ("" is empty).
func res(s string) corev1.ResourceList {
	rl := corev1.ResourceList{}
	if s == "" {
		return rl
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		rl[corev1.ResourceName(k)] = resource.MustParse(v)
	}
	return rl
}

// cluster16 is a 16-cpu, 64Gi, 110-pod cluster without GPUs.
var cluster16 = "cpu=16,memory=64Gi,pods=110"

func limitOf(t *testing.T, limits []Limit, gate Gate) Limit {
	t.Helper()
	for _, l := range limits {
		if l.Gate == gate {
			return l
		}
	}
	return Limit{Gate: gate, Sets: Unlimited}
}

// TestQueueAdmission reproduces the enqueue and allocate decisions of Volcano v1.14's
// proportion, capacity and overcommit plugins on small clusters. Each case states the math.
func TestQueueAdmission(t *testing.T) {
	open := "Open"
	cases := []struct {
		name   string
		plugin QueuePlugin
		factor float64
		total  string
		used   string
		inq    string // overcommit's inqueue over all queues
		queues []QueueInfo
		admit  QueueAdmission
		// want is the bound of each gate (gates not listed: unlimited or not evaluated).
		want map[Gate]int32
	}{
		{
			// realCapability = min((16-0)+ + 0, none) = 16: 4k <= 16 -> k = 4.
			// overcommit: 4k <= 16*1.2 - 0 = 19.2 -> 4.
			// allocate (proportion): q alone, request 4k, deserved = min(16, 4k): 4k <= 4k -> 4
			// (k = 5 needs 20 > deserved 16).
			name: "proportion: an empty cluster admits as many jobs as the cpus allow", plugin: QueuePluginProportion, factor: 1.2,
			total: cluster16, queues: []QueueInfo{{Name: "q", State: open, Weight: 1}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=4"), SetRequests: res("cpu=4")},
			want:  map[Gate]int32{GateQueueCapability: 4, GateOvercommit: 4, GateQueueAllocate: 4},
		},
		{
			// realCapability = min(16, capability 6) = 6: 4k <= 6 -> 1.
			name: "capability caps the real capability", plugin: QueuePluginProportion, factor: 1.2,
			total: cluster16, queues: []QueueInfo{{Name: "q", State: open, Weight: 1, Capability: res("cpu=6")}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=4"), SetRequests: res("cpu=4")},
			want:  map[Gate]int32{GateQueueCapability: 1, GateOvercommit: 4, GateQueueAllocate: 1},
		},
		{
			// Another queue guarantees 10 cpus: realCapability(q) = (16-10)+ + 0 = 6 -> 1 job;
			// the guarantor's own real capability would be 6 + 10 = 16.
			name: "other queues' guarantees reduce the real capability", plugin: QueuePluginProportion, factor: 1.2,
			total: cluster16, queues: []QueueInfo{
				{Name: "q", State: open, Weight: 1},
				{Name: "g", State: open, Weight: 1, Guarantee: res("cpu=10")},
			},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=4"), SetRequests: res("cpu=4")},
			want:  map[Gate]int32{GateQueueCapability: 1},
		},
		{
			// enqueue: 4k + allocated 4 + inqueue 4 - elastic 0 <= 12 -> k = 1.
			name: "allocated and inqueue count against the capability", plugin: QueuePluginCapacity, factor: 0,
			total: cluster16, queues: []QueueInfo{{Name: "q", State: open, Weight: 1, Capability: res("cpu=12"),
				Allocated: res("cpu=4"), Request: res("cpu=4"), Inqueue: res("cpu=4"), Jobs: 2}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=4"), SetRequests: res("cpu=4")},
			// allocate (capacity): 4 + 4k <= 12 -> 2; enqueue binds at 1.
			want: map[Gate]int32{GateQueueCapability: 1, GateQueueAllocate: 2},
		},
		{
			// A running job holds 6 cpus with minResources 2: elastic = 6 - 2 = 4.
			// enqueue: 4k + 6 + 0 - 4 <= 12 -> k = 2 (k = 3: 14 > 12).
			// allocate (capacity): 6 + 4k <= 12 -> 1: elastic helps enqueue, not allocation.
			name: "elastic resources are given back at enqueue", plugin: QueuePluginCapacity, factor: 0,
			total: cluster16, queues: []QueueInfo{{Name: "q", State: open, Weight: 1, Capability: res("cpu=12"),
				Allocated: res("cpu=6"), Request: res("cpu=6"), Elastic: res("cpu=4"), Jobs: 1}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=4"), SetRequests: res("cpu=4")},
			want:  map[Gate]int32{GateQueueCapability: 2, GateQueueAllocate: 1},
		},
		{
			// Water-fill, weights 1:1, q1 holds 12 cpus. Round 1 splits 16 into 8 + 8:
			// q1 = min(8, request 12) = 8, q = min(8, 4k). Nothing remains, so deserved(q) = 8:
			// allocate 4k <= 8 -> 2. Capability: 4k <= 16 -> 4. Overcommit: used 12,
			// idle = 19.2 - 12 = 7.2: 4k <= 7.2 -> 1, which binds.
			name: "proportion: a busy sibling limits the deserved share, overcommit limits more", plugin: QueuePluginProportion, factor: 1.2,
			total: cluster16, used: "cpu=12", queues: []QueueInfo{
				{Name: "q1", State: open, Weight: 1, Allocated: res("cpu=12"), Request: res("cpu=12"), Jobs: 1},
				{Name: "q", State: open, Weight: 1},
			},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=4"), SetRequests: res("cpu=4")},
			want:  map[Gate]int32{GateQueueCapability: 4, GateOvercommit: 1, GateQueueAllocate: 2},
		},
		{
			// Weights 3:1, q1 requests 20 (pending). Round 1: q1 = min(12, 20) = 12,
			// q = min(4, 2k); nothing remains: deserved(q) = 4 -> 2k <= 4 -> 2.
			name: "proportion: weights split the cluster", plugin: QueuePluginProportion, factor: 0,
			total: cluster16, queues: []QueueInfo{
				{Name: "q1", State: open, Weight: 3, Request: res("cpu=20"), Jobs: 1},
				{Name: "q", State: open, Weight: 1},
			},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=2"), SetRequests: res("cpu=2")},
			want:  map[Gate]int32{GateQueueCapability: 8, GateQueueAllocate: 2},
		},
		{
			// q1 requests only 2: round 1 gives 8 + 8, q1 meets at 2 and 6 return.
			// k = 3 (request 12): round 2 gives q 8 + 6 = 14, capped by its request 12 -> met.
			// k = 4 (request 16): q = 14 < 16 -> not admitted. So 3.
			name: "proportion: a satisfied sibling returns its surplus", plugin: QueuePluginProportion, factor: 0,
			total: cluster16, queues: []QueueInfo{
				{Name: "q1", State: open, Weight: 1, Request: res("cpu=2"), Jobs: 1},
				{Name: "q", State: open, Weight: 1},
			},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=4"), SetRequests: res("cpu=4")},
			want:  map[Gate]int32{GateQueueCapability: 4, GateQueueAllocate: 3},
		},
		{
			// q guarantees 10. realCapability(q1) = 6 + 0 = 6, realCapability(q) = 6 + 10 = 16.
			// Round 1 (weights 9:1): q1 = min(14.4, 6, 30) = 6; q = max(min(1.6, 4k), 10) = 10.
			// k = 2: 8 <= 10 admitted; k = 3: 12 > 10. So 2.
			name: "proportion: a guarantee raises the deserved share", plugin: QueuePluginProportion, factor: 0,
			total: cluster16, queues: []QueueInfo{
				{Name: "q1", State: open, Weight: 9, Request: res("cpu=30"), Jobs: 1},
				{Name: "q", State: open, Weight: 1, Guarantee: res("cpu=10")},
			},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=4"), SetRequests: res("cpu=4")},
			want:  map[Gate]int32{GateQueueCapability: 4, GateQueueAllocate: 2},
		},
		{
			// capacity: allocation is capped by the real capability (12), not by deserved (4):
			// 4k <= 12 -> 3 even though the sibling wants everything.
			name: "capacity: a queue borrows up to its real capability", plugin: QueuePluginCapacity, factor: 0,
			total: cluster16, queues: []QueueInfo{
				{Name: "q1", State: open, Weight: 3, Request: res("cpu=40"), Jobs: 1},
				{Name: "q", State: open, Weight: 1, Capability: res("cpu=12"), Deserved: res("cpu=4")},
			},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=4"), SetRequests: res("cpu=4")},
			want:  map[Gate]int32{GateQueueCapability: 3, GateQueueAllocate: 3},
		},
		{
			name: "a closed queue admits nothing", plugin: QueuePluginCapacity, factor: 1.2,
			total: cluster16, queues: []QueueInfo{{Name: "q", State: "Closed", Weight: 1}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=1"), SetRequests: res("cpu=1")},
			want:  map[Gate]int32{GateQueueState: 0},
		},
		{
			// Overcommit with factor 1: idle = 16 - 14 = 2: 2k <= 2 -> 1.
			name: "overcommit factor 1", plugin: QueuePluginCapacity, factor: 1,
			total: cluster16, used: "cpu=14", queues: []QueueInfo{{Name: "q", State: open, Weight: 1}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=2"), SetRequests: res("cpu=2")},
			want:  map[Gate]int32{GateOvercommit: 1},
		},
		{
			// Volcano replaces a factor below 1 by 1.2: idle = 19.2 - 14 = 5.2 -> 2.
			name: "overcommit factor below 1 means 1.2", plugin: QueuePluginCapacity, factor: 0.5,
			total: cluster16, used: "cpu=14", queues: []QueueInfo{{Name: "q", State: open, Weight: 1}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=2"), SetRequests: res("cpu=2")},
			want:  map[Gate]int32{GateOvercommit: 2},
		},
		{
			// Inqueue jobs of every queue count: 6 + 2k <= 19.2 - 0 -> 6.
			name: "overcommit counts every queue's inqueue jobs", plugin: QueuePluginCapacity, factor: 1.2,
			total: cluster16, inq: "cpu=6", queues: []QueueInfo{{Name: "q", State: open, Weight: 1}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=2"), SetRequests: res("cpu=2")},
			want:  map[Gate]int32{GateOvercommit: 6},
		},
		{
			// Only the dimensions the job asks for are compared: memory is over the
			// capability, but a cpu-only job is admitted (2k <= 16 -> 8).
			name: "only requested dimensions are compared", plugin: QueuePluginCapacity, factor: 0,
			total: cluster16, queues: []QueueInfo{{Name: "q", State: open, Weight: 1, Capability: res("memory=1Gi"),
				Allocated: res("memory=2Gi"), Request: res("memory=2Gi"), Jobs: 1}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=2"), SetRequests: res("cpu=2")},
			want:  map[Gate]int32{GateQueueCapability: 8, GateQueueAllocate: 8},
		},
		{
			// No node has GPUs: realCapability has no nvidia.com/gpu (0) -> a GPU job gets 0.
			name: "a GPU job in a cluster without GPUs", plugin: QueuePluginCapacity, factor: 1.2,
			total: cluster16, queues: []QueueInfo{{Name: "q", State: open, Weight: 1}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=1,nvidia.com/gpu=1"), SetRequests: res("cpu=1,nvidia.com/gpu=1")},
			want:  map[Gate]int32{GateQueueCapability: 0, GateOvercommit: 0, GateQueueAllocate: 0},
		},
		{
			// A capability without a GPU entry leaves the cluster's 16 GPUs (infinity
			// default): 8k <= 16 -> 2; the capability's 64 cpus do not bind.
			name: "capability without a resource does not cap it", plugin: QueuePluginCapacity, factor: 0,
			total: "cpu=128,memory=1Ti,nvidia.com/gpu=16,pods=220", queues: []QueueInfo{{Name: "q", State: open, Weight: 1, Capability: res("cpu=64")}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=8,nvidia.com/gpu=8"), SetRequests: res("cpu=8,nvidia.com/gpu=8")},
			want:  map[Gate]int32{GateQueueCapability: 2, GateQueueAllocate: 2},
		},
		{
			// Equality is admitted (Volcano rejects only when strictly greater): 4 + 4 = 8.
			name: "a job that exactly fills the capability is admitted", plugin: QueuePluginCapacity, factor: 0,
			total: cluster16, queues: []QueueInfo{{Name: "q", State: open, Weight: 1, Capability: res("cpu=8"),
				Allocated: res("cpu=4"), Request: res("cpu=4"), Jobs: 1}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=4"), SetRequests: res("cpu=4")},
			want:  map[Gate]int32{GateQueueCapability: 1, GateQueueAllocate: 1},
		},
		{
			// Preempt frees 4 cpus of lower-priority pods in the queue: the allocate test
			// sees allocated 8 - 4 = 4: 4 + 4k <= 8 -> 1; enqueue does not (8 + 4k > 8 -> 0).
			name: "evictable pods relieve allocation, not enqueue", plugin: QueuePluginCapacity, factor: 0,
			total: cluster16, queues: []QueueInfo{{Name: "q", State: open, Weight: 1, Capability: res("cpu=8"),
				Allocated: res("cpu=8"), Request: res("cpu=8"), Jobs: 1}},
			admit: QueueAdmission{Queue: "q", MinResources: res("cpu=4"), SetRequests: res("cpu=4"), Evictable: res("cpu=4")},
			want:  map[Gate]int32{GateQueueCapability: 0, GateQueueAllocate: 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.QueuePlugin = tc.plugin
			cfg.OvercommitFactor = tc.factor
			m := NewQueueModel(cfg, QueueTotals{Allocatable: res(tc.total), Used: res(tc.used), Inqueue: res(tc.inq)}, tc.queues)
			got := m.Admit(tc.admit)
			for gate, want := range tc.want {
				if l := limitOf(t, got, gate); l.Sets != want {
					t.Errorf("%s = %d, want %d (all limits: %+v)", gate, l.Sets, want, got)
				}
			}
		})
	}
}

func TestAdmitUnknownQueue(t *testing.T) {
	m := NewQueueModel(DefaultConfig(), QueueTotals{Allocatable: res(cluster16)}, nil)
	got := m.Admit(QueueAdmission{Queue: "missing", MinResources: res("cpu=1")})
	if len(got) != 1 || got[0].Gate != GateQueueUnknown || got[0].Sets != Unknown {
		t.Fatalf("Admit on a missing queue = %+v, want one %s limit with Sets %d", got, GateQueueUnknown, Unknown)
	}
}

// TestWaterFillMatchesVolcano checks deserved shares on the classic proportion example:
// three queues with weights 1, 2, 3 over 12 cpus, requests 2, 20 and 20. Round 1 gives
// 2, 4, 6; q1 meets at 2 and nothing returns (remaining 0). Deserved: 2, 4, 6.
// With q1 requesting 1 instead, round 1 gives q1 min(2, 1) = 1 and returns 1;
// round 2 splits that 1 by 2:3 -> q2 4.4, q3 6.6.
func TestWaterFillMatchesVolcano(t *testing.T) {
	for _, tc := range []struct {
		req1 string
		want map[string]float64
	}{
		{req1: "cpu=2", want: map[string]float64{"q1": 2000, "q2": 4000, "q3": 6000}},
		{req1: "cpu=1", want: map[string]float64{"q1": 1000, "q2": 4400, "q3": 6600}},
	} {
		cfg := DefaultConfig()
		m := NewQueueModel(cfg, QueueTotals{Allocatable: res("cpu=12,memory=12Gi,pods=30")}, []QueueInfo{
			{Name: "q1", State: "Open", Weight: 1, Request: res(tc.req1), Jobs: 1},
			{Name: "q2", State: "Open", Weight: 2, Request: res("cpu=20"), Jobs: 1},
			{Name: "q3", State: "Open", Weight: 3, Request: res("cpu=20"), Jobs: 1},
		})
		got := m.waterFill(nil)
		for q, want := range tc.want {
			if d := got[q].cpu; d < want-0.5 || d > want+0.5 {
				t.Errorf("q1 requesting %s: deserved(%s) = %v millicpu, want %v", tc.req1, q, d, want)
			}
		}
	}
}

func TestQueueView(t *testing.T) {
	m := NewQueueModel(DefaultConfig(), QueueTotals{Allocatable: res(cluster16)}, []QueueInfo{
		{Name: "q", State: "Open", Weight: 1, Capability: res("cpu=8"), Allocated: res("cpu=2"), Request: res("cpu=2"), Inqueue: res("cpu=1"), Jobs: 1},
	})
	v, ok := m.Queue("q")
	if !ok {
		t.Fatal("queue q not found")
	}
	if got := v.RealCapability.Cpu().MilliValue(); got != 8000 {
		t.Errorf("real capability cpu = %dm, want 8000m", got)
	}
	if got := v.Headroom.Cpu().MilliValue(); got != 5000 {
		t.Errorf("headroom cpu = %dm, want 8 - 2 - 1 = 5 cpus", got)
	}
	// The capability names only cpu; memory stays the cluster's (Volcano reads a missing
	// cpu or memory capability as unlimited).
	if got, want := v.RealCapability.Memory().Value(), int64(64<<30); got != want {
		t.Errorf("real capability memory = %d, want the cluster's %d", got, want)
	}
	if len(m.Queues()) != 1 {
		t.Errorf("Queues() = %d views, want 1", len(m.Queues()))
	}
}

// referenceWaterFill is the proportion plugin's loop written with fresh copies at every
// step, as Volcano writes it; waterFill must give the same shares.
func referenceWaterFill(m *QueueModel, requests map[string]vres) map[string]vres {
	type attr struct {
		q             *queueState
		req, deserved vres
	}
	var attrs []*attr
	for _, name := range m.order {
		if r, ok := requests[name]; ok {
			attrs = append(attrs, &attr{q: m.queues[name], req: r})
		}
	}
	remaining := m.total.clone()
	meet := map[string]bool{}
	for round := 0; ; round++ {
		var w int32
		for _, a := range attrs {
			if !meet[a.q.name] {
				w += a.q.weight
			}
		}
		if w == 0 {
			break
		}
		old := remaining.clone()
		var inc, dec vres
		for _, a := range attrs {
			if meet[a.q.name] {
				continue
			}
			prev := a.deserved.clone()
			a.deserved.add(remaining.scaled(float64(a.q.weight) / float64(w)))
			a.deserved.minDimension(a.q.realCap, dimInfinity)
			a.deserved.minDimension(a.req, dimZero)
			a.deserved = maxVres(a.deserved, a.q.guarantee)
			if a.req.lessEqual(a.deserved, dimZero) || a.deserved.semanticEqual(prev) {
				meet[a.q.name] = true
			}
			i, d := a.deserved.diff(prev, dimZero)
			inc.add(i)
			dec.add(d)
		}
		next := remaining.clone()
		next.add(dec)
		remaining = exceededPart(next, inc)
		if remaining.isEmpty() || remaining.semanticEqual(old) && (round > 0 || m.total.get(corev1.ResourcePods) == 0) {
			break
		}
	}
	out := map[string]vres{}
	for _, a := range attrs {
		out[a.q.name] = a.deserved
	}
	return out
}

func TestWaterFillEqualsReference(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 500; i++ {
		var queues []QueueInfo
		requests := map[string]vres{}
		for q := 0; q < 1+rng.Intn(5); q++ {
			name := fmt.Sprintf("q%d", q)
			qi := QueueInfo{Name: name, State: "Open", Weight: int32(rng.Intn(5)), Jobs: 1,
				Request: res(fmt.Sprintf("cpu=%d,memory=%dGi,nvidia.com/gpu=%d", rng.Intn(40), rng.Intn(100), rng.Intn(9)))}
			if rng.Intn(3) == 0 {
				qi.Capability = res(fmt.Sprintf("cpu=%d,nvidia.com/gpu=%d", rng.Intn(30), rng.Intn(8)))
			}
			if rng.Intn(4) == 0 {
				qi.Guarantee = res(fmt.Sprintf("cpu=%d", rng.Intn(8)))
			}
			queues = append(queues, qi)
		}
		m := NewQueueModel(DefaultConfig(), QueueTotals{Allocatable: res(fmt.Sprintf("cpu=%d,memory=128Gi,nvidia.com/gpu=%d,pods=%d", 8+rng.Intn(40), rng.Intn(16), rng.Intn(2)*110))}, queues)
		for _, q := range queues {
			requests[q.Name] = m.queues[q.Name].request
		}
		got, want := m.waterFill(nil), referenceWaterFill(m, requests)
		for name := range want {
			if !got[name].semanticEqual(want[name]) {
				t.Fatalf("case %d queue %s: deserved %s, reference %s", i, name, got[name], want[name])
			}
		}
	}
}

// TestBoundsEqualScan checks the gates' bounds (solved per dimension, tightened for the
// deserved share, then verified) against scanning k = 0, 1, 2, ... with Volcano's tests.
func TestBoundsEqualScan(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for i := 0; i < 400; i++ {
		cfg := DefaultConfig()
		if rng.Intn(2) == 0 {
			cfg.QueuePlugin = QueuePluginCapacity
		}
		var queues []QueueInfo
		for q := 0; q < 1+rng.Intn(4); q++ {
			qi := QueueInfo{Name: fmt.Sprintf("q%d", q), State: "Open", Weight: int32(1 + rng.Intn(4)), Jobs: rng.Intn(2),
				Allocated: res(fmt.Sprintf("cpu=%d,nvidia.com/gpu=%d", rng.Intn(20), rng.Intn(4)))}
			qi.Request = res(fmt.Sprintf("cpu=%d,nvidia.com/gpu=%d", qi.Allocated.Cpu().Value()+int64(rng.Intn(30)), rng.Intn(8)))
			if rng.Intn(2) == 0 {
				qi.Capability = res(fmt.Sprintf("cpu=%d", 5+rng.Intn(40)))
			}
			if rng.Intn(4) == 0 {
				qi.Guarantee = res(fmt.Sprintf("cpu=%d", rng.Intn(10)))
			}
			if rng.Intn(3) == 0 {
				qi.Inqueue = res(fmt.Sprintf("cpu=%d", rng.Intn(5)))
				qi.Elastic = res(fmt.Sprintf("cpu=%d", rng.Intn(5)))
			}
			queues = append(queues, qi)
		}
		m := NewQueueModel(cfg, QueueTotals{Allocatable: res(fmt.Sprintf("cpu=%d,memory=256Gi,nvidia.com/gpu=%d,pods=440", 16+rng.Intn(64), rng.Intn(16))),
			Used: res(fmt.Sprintf("cpu=%d", rng.Intn(16))), Inqueue: res(fmt.Sprintf("cpu=%d", rng.Intn(8)))}, queues)
		per := fmt.Sprintf("cpu=%d", 1+rng.Intn(6))
		if rng.Intn(3) == 0 {
			per += ",nvidia.com/gpu=1"
		}
		in := &admissionInput{queue: "q0", extraRequest: map[string]vres{}, hi: 300}
		in.c.minReq, in.c.setReq, in.c.jobReq, in.c.taskReq = newVres(res(per)), newVres(res(per)), newVres(res(per)), newVres(res(per))
		got := m.bounds(in)
		q := m.queues["q0"]
		scan := func(ok func(k int32) bool) int32 {
			k := int32(0)
			for k < in.hi && ok(k+1) {
				k++
			}
			return k
		}
		want := map[Gate]int32{
			GateQueueCapability: scan(func(k int32) bool { ok, _ := q.enqueueOK(&in.c, k, vres{}); return ok }),
			GateOvercommit:      scan(func(k int32) bool { ok, _ := m.overcommitOK(&in.c, k, vres{}); return ok }),
			GateQueueAllocate:   scan(func(k int32) bool { ok, _ := m.allocateOK(in, k); return ok }),
		}
		for _, b := range got {
			if b.sets != want[b.gate] {
				t.Fatalf("case %d (%s): %s bound %d, scanning gives %d", i, cfg.QueuePlugin, b.gate, b.sets, want[b.gate])
			}
		}
	}
}
