package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"k8s.io/klog/v2"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/scheduler/core"

	"kurator.dev/kurator/pkg/scheduler"
	st "kurator.dev/kurator/pkg/scheduler/testing"
	"kurator.dev/kurator/pkg/scheduler/workload"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const profilePath = "../../../artifacts/scheduler/default.yaml"

func init() {
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
}

// TestSimulation guards placement quality: on seed 1 kurator cuts the traffic-weighted p99
// by at least 40 % and never takes a cluster above the target while another has room.
func TestSimulation(t *testing.T) {
	stock, kurator, _, err := compare(t.Context(), 24, 40, 120, 1, 0.6, profilePath)
	if err != nil {
		t.Fatal(err)
	}
	if kurator.p99 > 0.6*stock.p99 {
		t.Errorf("p99 kurator %.1fms, stock %.1fms: less than 40%% lower", kurator.p99, stock.p99)
	}
	if kurator.overTarget != 0 || kurator.sloMisses > stock.sloMisses {
		t.Errorf("kurator: %d placements above the target while others had room, %d SLO misses", kurator.overTarget, kurator.sloMisses)
	}
	if stock.overTarget == 0 {
		t.Error("the scenario does not challenge stock Karmada: no placement above the target")
	}
}

// BenchmarkSchedule measures Karmada's whole scheduling algorithm (filter, score, select,
// assign) per binding, in process: 1,000 distinct bindings over 50 clusters, stock Karmada's
// plugins against kurator's profile. ns/op is per binding; bindings/s is its inverse.
func BenchmarkSchedule(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	f := newFleet(50, 60, rng)
	reqs := newRequests(f, 1000, rng)
	profile, err := scheduler.LoadProfile(profilePath, scheduler.DefaultCatalog())
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"stock", "kurator"} {
		b.Run(name, func(b *testing.B) {
			sim, err := newSimulation(f.clone(), profile, name == "stock", 0.6)
			if err != nil {
				b.Fatal(err)
			}
			clusters := sim.clusters()
			for _, c := range clusters {
				sim.cache.Update(c)
			}
			sim.handle.ClusterGetter = st.Clusters(clusters)
			sim.handle.Snapshot = sim.snapshot()
			sim.handle.Snapshot.Graph()
			specs := make([]*workv1alpha2.ResourceBindingSpec, len(reqs))
			for i, q := range reqs {
				var peers string
				for j, p := range q.peers {
					if j > 0 {
						peers += ","
					}
					peers += fmt.Sprintf("%s.default=%g", p.name, p.rps)
				}
				sim.templates.Annotations["default/"+q.name] = map[string]string{workload.AnnotationPeers: peers}
				specs[i] = st.Binding("default", q.name).Replicas(q.replicas, fmt.Sprint(q.cpu), "1Gi", "").SpreadToOne().Obj()
			}
			ctx := b.Context()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				// A fresh copy: Karmada schedules a deep copy of the binding each attempt.
				spec := specs[i%len(specs)].DeepCopy()
				if _, err := sim.algo.Schedule(ctx, spec, &workv1alpha2.ResourceBindingStatus{}, &core.ScheduleAlgorithmOption{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bindings/s")
			// CPU time does not grow when other processes compete for the cores.
			b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "bindings/cpu-s")
		})
	}
}
