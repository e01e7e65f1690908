package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"kurator.dev/kurator/pkg/scheduler/workload"
)

// benchRegion is a geography of the synthetic fleet; one unit of distance is one millisecond
// of p99 latency.
type benchRegion struct {
	name string
	x, y float64
}

var benchRegions = []benchRegion{
	{"cn-hangzhou", 0, 0}, {"cn-beijing", 5, 32}, {"ap-singapore", -20, -75},
	{"eu-frankfurt", -190, 60}, {"us-west", 170, 40},
}

// benchCluster is one Pull-mode Karmada Cluster the bench registers and reports on.
type benchCluster struct {
	name, region, zone string
	// network is the Istio network label, "" for a cluster off the mesh.
	network string
	cores   int64
	// cpu and memory are the utilization telemetry reports.
	cpu, memory float64
}

// service is an anchor service of the synthetic mesh: it runs in one cluster and calls others.
type service struct {
	name    string
	cluster int
}

// flow is an edge of the synthetic service graph.
type flow struct {
	from, to int // service indexes
	rps      float64
}

// app is one workload to schedule: its resource template's annotations and its binding's
// replicas and requests.
type app struct {
	name        string
	replicas    int32
	cpuMilli    int64
	memoryMi    int64
	annotations map[string]string
}

// fleet is the synthetic world the bench registers in Karmada and serves as telemetry.
type fleet struct {
	namespace string
	clusters  []benchCluster
	// latency[i][j] is the p99 from cluster i to cluster j in ms; observed[i][j] says the
	// mesh carries traffic between them, so telemetry reports it.
	latency  [][]float64
	observed [][]bool
	services []service
	flows    []flow
	apps     []app
}

// newFleet builds n clusters over the regions (two zones each, one Istio network per region,
// every tenth cluster off the mesh), anchor services talking to each other, and the
// workloads, each declaring one to three anchors as peers (a quarter with a latency SLO, a
// tenth requiring the mesh).
func newFleet(n, anchors, apps int, namespace string, seed uint64) *fleet {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) //nolint:gosec // a reproducible synthetic fleet, not a secret
	f := &fleet{namespace: namespace}
	for i := 0; i < n; i++ {
		r := benchRegions[i%len(benchRegions)]
		c := benchCluster{
			name:   fmt.Sprintf("bench-%02d", i),
			region: r.name,
			zone:   fmt.Sprintf("%s-%c", r.name, 'a'+(i/len(benchRegions))%2),
			cores:  []int64{64, 96, 128, 256}[rng.IntN(4)],
			cpu:    0.10 + 0.65*rng.Float64(),
			memory: 0.30 + 0.35*rng.Float64(),
		}
		if i%10 != 9 {
			c.network = "net-" + r.name
		}
		if i%17 == 5 {
			c.cpu = 0.90 // above the default profile's 85 % ceiling: filtered out
		}
		f.clusters = append(f.clusters, c)
	}
	f.latency = make([][]float64, n)
	f.observed = make([][]bool, n)
	for i := range f.clusters {
		f.latency[i] = make([]float64, n)
		f.observed[i] = make([]bool, n)
		for j := range f.clusters {
			a, b := &f.clusters[i], &f.clusters[j]
			ra, rb := benchRegions[i%len(benchRegions)], benchRegions[j%len(benchRegions)]
			l := 2 + math.Hypot(ra.x-rb.x, ra.y-rb.y)
			switch {
			case i == j:
				l = 1
			case a.zone == b.zone:
				l = 2
			case a.region == b.region:
				l = 4
			}
			if a.network != b.network {
				l += 3 // an east-west gateway hop
			}
			f.latency[i][j] = l * (0.9 + 0.2*rng.Float64())
			// The mesh carries traffic within a region and between some regions.
			f.observed[i][j] = a.region == b.region || rng.Float64() < 0.5
		}
	}
	for k := 0; k < anchors; k++ {
		f.services = append(f.services, service{name: fmt.Sprintf("svc-%03d", k), cluster: (k * 7) % n})
	}
	for k := range f.services {
		for _, d := range []int{1, 7} {
			f.flows = append(f.flows, flow{from: k, to: (k + d) % len(f.services), rps: 5 + 195*rng.Float64()})
		}
	}
	for i := 0; i < apps; i++ {
		a := app{
			name:     fmt.Sprintf("app-%04d", i),
			replicas: 1 + rng.Int32N(5),
			cpuMilli: 250 * (1 + rng.Int64N(8)),
			memoryMi: 512 * (1 + rng.Int64N(4)),
		}
		// A quarter of the workloads have a latency SLO; their peers run in one region, so
		// that the clusters of that region meet it and every workload stays schedulable.
		withSLO := i%4 == 0
		first := f.services[rng.IntN(len(f.services))]
		peers := []string{fmt.Sprintf("%s.%s=%d", first.name, namespace, 10+rng.IntN(400))}
		for p := 1; p < 1+rng.IntN(3); p++ {
			s := f.services[rng.IntN(len(f.services))]
			if withSLO && f.clusters[s.cluster].region != f.clusters[first.cluster].region {
				continue
			}
			peers = append(peers, fmt.Sprintf("%s.%s=%d", s.name, namespace, 10+rng.IntN(400)))
		}
		a.annotations = map[string]string{workload.AnnotationPeers: strings.Join(peers, ",")}
		if withSLO {
			a.annotations[workload.AnnotationSLO] = "30ms"
		}
		if i%10 == 3 {
			a.annotations[workload.AnnotationMeshRequired] = "true"
		}
		f.apps = append(f.apps, a)
	}
	return f
}
