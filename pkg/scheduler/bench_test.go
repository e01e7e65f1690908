package scheduler

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"

	"kurator.dev/kurator/pkg/scheduler/framework"
	st "kurator.dev/kurator/pkg/scheduler/testing"
	"kurator.dev/kurator/pkg/scheduler/workload"
	"kurator.dev/kurator/pkg/telemetry"
)

// benchFleet is 50 clusters in 5 regions and networks with utilization, a full latency
// matrix and a service graph: svc-i in cluster i talks to the next three services.
func benchFleet() (st.Clusters, *framework.StaticHandle) {
	const n = 50
	name := func(i int) string { return fmt.Sprintf("member-%02d", i) }
	var cs st.Clusters
	util := map[corev1.ResourceName]map[string]telemetry.Sample{corev1.ResourceCPU: {}, corev1.ResourceMemory: {}}
	lat := map[[2]string]telemetry.Sample{}
	var flows []telemetry.Flow
	for i := 0; i < n; i++ {
		region := fmt.Sprintf("region-%d", i%5)
		cs = append(cs, st.Cluster(name(i)).Network("net-"+region).Locality("p", region, fmt.Sprintf("%s-%d", region, i%2)).Capacity("64", "256Gi", "10", "40Gi").Obj())
		util[corev1.ResourceCPU][name(i)] = telemetry.Sample{Value: float64(i%10) / 20}
		util[corev1.ResourceMemory][name(i)] = telemetry.Sample{Value: 0.4}
		for j := 0; j < n; j++ {
			lat[[2]string{name(i), name(j)}] = telemetry.Sample{Value: 1 + float64((i*7+j*13)%60)}
		}
		for k := 1; k <= 3; k++ {
			flows = append(flows, telemetry.Flow{SourceCluster: name(i), SourceWorkload: fmt.Sprintf("svc-%d", i), SourceNamespace: "default",
				DestinationCluster: name((i + k) % n), DestinationService: fmt.Sprintf("svc-%d", (i+k)%n), DestinationNamespace: "default",
				Rate: telemetry.Sample{Value: float64(10 * k)}})
		}
	}
	snap := telemetry.NewSnapshot(telemetry.SnapshotData{Time: now, MaxSampleAge: time.Minute, Utilization: util, Latency: lat, Flows: flows})
	templates := &st.Templates{Annotations: map[string]map[string]string{
		"default/web": {workload.AnnotationPeers: "svc-1=30,svc-2=20,svc-3=10", workload.AnnotationSLO: "100ms"},
	}}
	return cs, &framework.StaticHandle{Snapshot: snap, TemplateGetter: templates, ClusterGetter: cs, Clock: func() time.Time { return now }}
}

func benchPlugins(b *testing.B, h framework.Handle) ([]karmadafw.FilterPlugin, []karmadafw.ScorePlugin) {
	p, err := LoadProfile("../../artifacts/scheduler/default.yaml", DefaultCatalog())
	if err != nil {
		b.Fatal(err)
	}
	reg, _, err := p.Registry(h)
	if err != nil {
		b.Fatal(err)
	}
	var filters []karmadafw.FilterPlugin
	var scores []karmadafw.ScorePlugin
	for _, name := range reg.FactoryNames() {
		pl, err := reg[name]()
		if err != nil {
			b.Fatal(err)
		}
		if f, ok := pl.(karmadafw.FilterPlugin); ok {
			filters = append(filters, f)
		}
		if s, ok := pl.(karmadafw.ScorePlugin); ok {
			scores = append(scores, s)
		}
	}
	return filters, scores
}

// BenchmarkKuratorFilterScore measures Filter and Score of all kurator plugins (ClusterUtilization,
// MeshTopology, NetworkLatency as the default profile configures them, and FleetQueue's filter)
// for one cluster of a binding with three peers over 50 clusters, once the binding's state is
// computed: what kurator adds to Karmada's work per cluster. Target: ≤ 1 µs, 0 allocations.
func BenchmarkKuratorFilterScore(b *testing.B) {
	cs, h := benchFleet()
	filters, scores := benchPlugins(b, h)
	spec := st.Binding("default", "web").Replicas(2, "1", "1Gi", "").Obj()
	ctx := b.Context()
	b.ReportAllocs()
	cpu := startCPU(b)
	fc := &karmadafw.FilterContext{Context: ctx, BindingSpec: spec}
	for i := 0; i < b.N; i++ {
		c := cs[i%len(cs)]
		fc.Cluster = c
		for _, f := range filters {
			if res := runFilter(f, fc); !res.IsSuccess() {
				b.Fatal(res.AsError())
			}
		}
		for _, s := range scores {
			if _, res := s.Score(ctx, spec, c); res != nil {
				b.Fatal(res.AsError())
			}
		}
	}
	cpu.report(b, 1)
}

// BenchmarkKuratorBinding measures a whole pass over 50 clusters for a new binding each
// time: template read, peer resolution, per-binding state, then Filter and Score of the
// plugins for every cluster. ns/cluster is the cost per cluster including the per-binding work.
func BenchmarkKuratorBinding(b *testing.B) {
	cs, h := benchFleet()
	filters, scores := benchPlugins(b, h)
	ctx := b.Context()
	b.ReportAllocs()
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		spec := st.Binding("default", "web").Replicas(2, "1", "1Gi", "").Version(fmt.Sprint(i)).Obj()
		fc := &karmadafw.FilterContext{Context: ctx, BindingSpec: spec}
		for _, c := range cs {
			fc.Cluster = c
			for _, f := range filters {
				runFilter(f, fc)
			}
			for _, s := range scores {
				s.Score(ctx, spec, c)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cs)), "ns/cluster")
	cpu.report(b, len(cs))
}

// cpuClock measures the process's CPU time, which unlike ns/op does not grow when other
// processes compete for the machine's cores.
type cpuClock struct{ start time.Duration }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU(b *testing.B) cpuClock {
	b.ResetTimer()
	return cpuClock{start: cpuTime()}
}

// report adds cpu-ns/op, or cpu-ns/cluster when perOp > 1.
func (c cpuClock) report(b *testing.B, perOp int) {
	unit := "cpu-ns/op"
	if perOp > 1 {
		unit = "cpu-ns/cluster"
	}
	b.ReportMetric(float64((cpuTime()-c.start).Nanoseconds())/float64(b.N*perOp), unit)
}
