package estimator

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
)

func (r vres) String() string {
	parts := []string{fmt.Sprintf("cpu=%g", r.cpu), fmt.Sprintf("mem=%g", r.mem)}
	var keys []string
	for k, v := range r.scalars {
		if v != 0 {
			keys = append(keys, fmt.Sprintf("%s=%g", k, v))
		}
	}
	sort.Strings(keys)
	return strings.Join(append(parts, keys...), ",")
}

// digest renders everything a snapshot derives, independent of dimension order.
func digest(s *Snapshot) string {
	var b strings.Builder
	for i, n := range s.topo.nodes {
		fmt.Fprintf(&b, "node %s:", n.Name)
		row := s.free[i*s.width : (i+1)*s.width]
		var dims []string
		for d, v := range row {
			if v != 0 {
				dims = append(dims, fmt.Sprintf("%s=%d", s.dims.names[d], v))
			}
		}
		sort.Strings(dims)
		b.WriteString(strings.Join(dims, ","))
		if s.victims != nil {
			for _, v := range s.victims[i] {
				var vd []string
				for d, x := range v.vec {
					if x != 0 {
						vd = append(vd, fmt.Sprintf("%s=%d", s.dims.names[d], x))
					}
				}
				sort.Strings(vd)
				fmt.Fprintf(&b, " victim[%s/%d/%v/%v/%v %s %s]", v.queue, v.prio, v.running, v.preempt, v.reclaim, strings.Join(vd, ","), v.vr)
			}
		}
		b.WriteByte('\n')
	}
	if m := s.queues; m != nil {
		fmt.Fprintf(&b, "total %s used %s inqueue %s\n", m.total, m.used, m.inqueueTotal)
		for _, name := range m.order {
			q := m.queues[name]
			fmt.Fprintf(&b, "queue %s jobs=%d alloc %s req %s inq %s el %s\n", name, q.jobs, q.allocated, q.request, q.inqueue, q.elastic)
		}
	}
	return b.String()
}

// TestStoreIncrementalEqualsFresh applies random adds, updates and deletes to one store,
// taking snapshots along the way, and checks the final snapshot equals that of a store fed
// only the surviving objects.
func TestStoreIncrementalEqualsFresh(t *testing.T) {
	cfg := DefaultConfig()
	cfg.QueuePlugin = QueuePluginProportion
	cfg.Preempt, cfg.Reclaim = true, true
	rng := rand.New(rand.NewSource(11))
	for round := 0; round < 20; round++ {
		inc := NewStore(cfg)
		nodes := map[string]*corev1.Node{}
		pods := map[string]*corev1.Pod{}
		pgs := map[string]*schedulingv1beta1.PodGroup{}
		queues := map[string]*schedulingv1beta1.Queue{}
		phases := []corev1.PodPhase{corev1.PodPending, corev1.PodRunning, corev1.PodSucceeded, corev1.PodFailed}
		pgPhases := []schedulingv1beta1.PodGroupPhase{schedulingv1beta1.PodGroupPending, schedulingv1beta1.PodGroupInqueue, schedulingv1beta1.PodGroupRunning}
		for step := 0; step < 300; step++ {
			switch op := rng.Intn(10); {
			case op == 0:
				name := fmt.Sprintf("n%d", rng.Intn(6))
				n := node(name, fmt.Sprintf("cpu=%d,memory=%dGi,pods=20,nvidia.com/gpu=%d", 4+rng.Intn(8), 8+rng.Intn(8), rng.Intn(3)),
					map[string]string{"zone": fmt.Sprint(rng.Intn(2))})
				nodes[name] = n
				inc.UpsertNode(n)
			case op == 1:
				name := fmt.Sprintf("n%d", rng.Intn(6))
				delete(nodes, name)
				inc.DeleteNode(name)
			case op < 6:
				name := fmt.Sprintf("p%d", rng.Intn(40))
				opts := []podOpt{phase(phases[rng.Intn(len(phases))])}
				if rng.Intn(4) > 0 {
					opts = append(opts, onNode(fmt.Sprintf("n%d", rng.Intn(7))))
				}
				if rng.Intn(3) > 0 {
					opts = append(opts, inGroup(fmt.Sprintf("g%d", rng.Intn(5))))
				}
				if rng.Intn(5) == 0 {
					opts = append(opts, notPreemptable())
				}
				p := pod("ns", name, fmt.Sprintf("cpu=%dm,memory=%dMi,example.com/dev%d=1", 100*(1+rng.Intn(20)), 64*(1+rng.Intn(8)), rng.Intn(2)), opts...)
				pods[name] = p
				inc.UpsertPod(p)
			case op == 6:
				name := fmt.Sprintf("p%d", rng.Intn(40))
				delete(pods, name)
				inc.DeletePod("ns", name)
			case op == 7:
				name := fmt.Sprintf("g%d", rng.Intn(5))
				pg := podGroup("ns", name, fmt.Sprintf("q%d", rng.Intn(3)), int32(rng.Intn(4)), fmt.Sprintf("cpu=%d", rng.Intn(4)),
					pgPhases[rng.Intn(len(pgPhases))], []string{"", "low", "high"}[rng.Intn(3)])
				pgs[name] = pg
				inc.UpsertPodGroup(pg)
			case op == 8:
				name := fmt.Sprintf("g%d", rng.Intn(5))
				delete(pgs, name)
				inc.DeletePodGroup("ns", name)
			default:
				name := fmt.Sprintf("q%d", rng.Intn(3))
				q := queue(name, fmt.Sprintf("cpu=%d", 1+rng.Intn(20)), int32(1+rng.Intn(3)))
				queues[name] = q
				inc.UpsertQueue(q)
			}
			if rng.Intn(20) == 0 {
				inc.UpsertPriorityClass(priorityClass("low", int32(rng.Intn(100))))
				inc.UpsertPriorityClass(priorityClass("high", 1000))
			}
			if rng.Intn(7) == 0 {
				_ = inc.Snapshot()
			}
		}
		fresh := NewStore(cfg)
		inc.mu.Lock()
		for _, pc := range inc.priorityClasses {
			fresh.UpsertPriorityClass(pc)
		}
		inc.mu.Unlock()
		for _, q := range queues {
			fresh.UpsertQueue(q)
		}
		for _, pg := range pgs {
			fresh.UpsertPodGroup(pg)
		}
		for _, p := range pods {
			fresh.UpsertPod(p)
		}
		for _, n := range nodes {
			fresh.UpsertNode(n)
		}
		got, want := digest(inc.Snapshot()), digest(fresh.Snapshot())
		if got != want {
			t.Fatalf("round %d: incremental snapshot differs from a fresh one:\n--- incremental\n%s--- fresh\n%s", round, got, want)
		}
	}
}

// TestConcurrentUse updates a store while snapshots are taken and estimated from several
// goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Preempt, cfg.Reclaim = true, true
	s := volcanoMember(cfg)
	s.SetSynced(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 300; i++ {
			s.UpsertPod(pod("ns", fmt.Sprintf("p%d", i%20), "cpu=500m", onNode([]string{"n1", "n2"}[i%2]), inGroup("g")))
			if i%50 == 0 {
				s.UpsertNode(node(fmt.Sprintf("extra-%d", i), "cpu=4,memory=8Gi,pods=10", map[string]string{"zone": "z"}))
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				snap := s.Snapshot()
				e := snap.Estimate(Request{Namespace: "ns", Components: []Component{
					{Name: "a", Replicas: 1, Requests: res("cpu=1"), NodeSelector: map[string]string{"zone": "z"}},
					{Name: "b", Replicas: 2, Requests: res("cpu=1")}}})
				if e.Sets < 0 {
					t.Errorf("synced store answered %d", e.Sets)
					return
				}
			}
		}()
	}
	wg.Wait()
	<-done
}
