package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// region is a geography with its position, for latencies between regions.
type region struct {
	name string
	x, y float64 // position; one unit is one millisecond of p99 latency
}

var regions = []region{
	{"cn-hangzhou", 0, 0}, {"cn-shanghai", 9, 4}, {"cn-beijing", 5, 32}, {"cn-shenzhen", -6, -30},
	{"ap-singapore", -20, -75}, {"eu-frankfurt", -190, 60}, {"us-west", 170, 40},
}

// cluster is a member of the simulated fleet.
type cluster struct {
	name, region, zone, network string
	cores, memoryGi             float64
	// allocated is what the workloads request (cores); Karmada's estimator sees it.
	allocated float64
	// used is what they use (cores); telemetry sees it. Requests and use differ: some
	// clusters are over-requested and idle, others run hot on modest requests.
	used float64
}

func (c *cluster) utilization() float64 { return c.used / c.cores }

// fleet is the simulated world: clusters, the true p99 latency between them, and the
// services already running.
type fleet struct {
	clusters []*cluster
	index    map[string]int
	// latency[i][j] is the true p99 in ms of requests from cluster i to cluster j.
	latency [][]float64
	// observed[i][j] says the mesh carries traffic from i to j, so telemetry has its p99.
	observed [][]bool
	services []*service
}

// service is a running workload: where it runs and whom it talks to.
type service struct {
	name    string
	cluster int
	cores   float64
	peers   []edge
}

type edge struct {
	peer *service
	rps  float64
}

// newFleet builds n clusters over the regions, two zones each, one Istio network per region
// (an edge cluster per region on a network of its own), and anchor services.
func newFleet(n, anchors int, rng *rand.Rand) *fleet {
	f := &fleet{index: map[string]int{}}
	for i := 0; i < n; i++ {
		r := regions[i%len(regions)]
		k := i / len(regions)
		c := &cluster{
			name:     fmt.Sprintf("%s-%d", strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(r.name, "cn-"), "ap-"), "eu-"), k),
			region:   r.name,
			zone:     fmt.Sprintf("%s-%c", r.name, 'a'+k%2),
			network:  "net-" + r.name,
			cores:    []float64{64, 128, 256, 96, 32}[rng.IntN(5)],
			memoryGi: 0,
		}
		if k == 3 {
			c.network = "net-edge-" + r.name // an edge site on its own network
			c.cores = 32
		}
		c.memoryGi = c.cores * 4
		// Requests cover 20-55 % of the cluster; real use is 0.5-1.5 times the requests.
		c.allocated = c.cores * (0.20 + 0.35*rng.Float64())
		c.used = math.Min(0.8*c.cores, c.allocated*(0.5+rng.Float64()))
		f.index[c.name] = len(f.clusters)
		f.clusters = append(f.clusters, c)
	}
	f.latency = make([][]float64, n)
	f.observed = make([][]bool, n)
	for i, a := range f.clusters {
		f.latency[i] = make([]float64, n)
		f.observed[i] = make([]bool, n)
		for j, b := range f.clusters {
			f.latency[i][j] = trueLatency(a, b, rng)
		}
		f.observed[i][i] = true
	}
	// Background mesh traffic: every cluster talks to a few others, in its region first.
	for i := range f.clusters {
		for _, j := range rng.Perm(n)[:n/4] {
			f.observed[i][j] = true
		}
	}
	// Anchor services: the fleet's existing services, talking to each other.
	for s := 0; s < anchors; s++ {
		c := rng.IntN(n)
		f.services = append(f.services, &service{name: fmt.Sprintf("core-%d", s), cluster: c, cores: 0})
	}
	for _, s := range f.services {
		for k := 0; k < 2; k++ {
			p := f.services[rng.IntN(len(f.services))]
			if p != s {
				f.connect(s, p, 20+rng.Float64()*200)
			}
		}
	}
	return f
}

// trueLatency is the p99 between two clusters: 2ms within a cluster, 4ms within a zone,
// 7ms within a region, else the distance between regions plus 6ms; 3ms more through an
// east-west gateway between networks; ±10 % noise.
func trueLatency(a, b *cluster, rng *rand.Rand) float64 {
	if a == b {
		return 2
	}
	var l float64
	switch {
	case a.zone == b.zone:
		l = 4
	case a.region == b.region:
		l = 7
	default:
		ra, rb := regionOf(a.region), regionOf(b.region)
		l = 6 + math.Hypot(ra.x-rb.x, ra.y-rb.y)
	}
	if a.network != b.network {
		l += 3
	}
	return l * (0.9 + 0.2*rng.Float64())
}

func regionOf(name string) region {
	for _, r := range regions {
		if r.name == name {
			return r
		}
	}
	panic(name)
}

// connect records traffic from s to p; the mesh then observes the pair both ways.
func (f *fleet) connect(s, p *service, rps float64) {
	s.peers = append(s.peers, edge{peer: p, rps: rps})
	f.observed[s.cluster][p.cluster] = true
	f.observed[p.cluster][s.cluster] = true
}

// clone copies the mutable state, so that two schedulers start from the same fleet.
func (f *fleet) clone() *fleet {
	g := &fleet{index: f.index, latency: f.latency}
	for _, c := range f.clusters {
		cc := *c
		g.clusters = append(g.clusters, &cc)
	}
	g.observed = make([][]bool, len(f.observed))
	for i := range f.observed {
		g.observed[i] = append([]bool(nil), f.observed[i]...)
	}
	byName := map[string]*service{}
	for _, s := range f.services {
		cs := &service{name: s.name, cluster: s.cluster, cores: s.cores}
		byName[s.name] = cs
		g.services = append(g.services, cs)
	}
	for i, s := range f.services {
		for _, e := range s.peers {
			g.services[i].peers = append(g.services[i].peers, edge{peer: byName[e.peer.name], rps: e.rps})
		}
	}
	return g
}

// coverage is the share of cluster pairs whose latency telemetry observes.
func (f *fleet) coverage() float64 {
	n, k := 0, 0
	for i := range f.observed {
		for j := range f.observed[i] {
			n++
			if f.observed[i][j] {
				k++
			}
		}
	}
	return float64(k) / float64(n)
}

// request is a workload to place.
type request struct {
	name     string
	replicas int32
	cpu      float64   // cores per replica
	peers    []peerRef // running services it talks to
	slo      float64   // ms, 0 for none
}

// peerRef names a peer and the traffic to it.
type peerRef struct {
	name string
	rps  float64
}

// newRequests draws the workloads to place. Each talks to one to three running services —
// anchors or workloads placed before it — mostly within one region, as services that
// work together usually are. A third of the workloads whose peers are all anchors in one
// region get a p99 SLO (30, 50 or 80ms); any cluster of that region meets it.
func newRequests(f *fleet, n int, rng *rand.Rand) []request {
	var out []request
	var names []string
	regionOf := map[string]string{}
	for _, s := range f.services {
		names = append(names, s.name)
		regionOf[s.name] = f.clusters[s.cluster].region
	}
	for i := 0; i < n; i++ {
		r := request{name: fmt.Sprintf("app-%d", i), replicas: int32(1 + rng.IntN(4)), cpu: []float64{0.5, 1, 2, 4}[rng.IntN(4)]}
		first := names[rng.IntN(len(names))]
		peers := []string{first}
		for k := rng.IntN(3); k > 0; k-- {
			// Two in three further peers come from the first peer's region when it is known.
			p := names[rng.IntN(len(names))]
			if reg := regionOf[first]; reg != "" && rng.Float64() < 0.67 {
				var local []string
				for _, x := range names {
					if regionOf[x] == reg {
						local = append(local, x)
					}
				}
				p = local[rng.IntN(len(local))]
			}
			if !slices.Contains(peers, p) {
				peers = append(peers, p)
			}
		}
		sameRegion := true
		for _, p := range peers {
			r.peers = append(r.peers, peerRef{name: p, rps: math.Round(10 + 490*rng.Float64()*rng.Float64())})
			sameRegion = sameRegion && regionOf[p] != "" && regionOf[p] == regionOf[first]
		}
		if sameRegion && rng.Float64() < 0.33 {
			r.slo = []float64{30, 50, 80}[rng.IntN(3)]
		}
		out = append(out, r)
		// Later workloads may talk to this one; where it runs depends on the scheduler.
		names = append(names, r.name)
	}
	return out
}
