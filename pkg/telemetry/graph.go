package telemetry

import (
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Endpoint names a workload or a service in the mesh: Istio's workload or service name and
// its namespace. A Deployment "core" with a Service "core" is one endpoint.
type Endpoint struct {
	Name      string
	Namespace string
}

// String returns name.namespace, the form of the peers annotation.
func (e Endpoint) String() string { return e.Name + "." + e.Namespace }

// Location is a cluster where an endpoint runs, with the requests per second it sends and
// receives there.
type Location struct {
	// Cluster is the index of the cluster in the snapshot.
	Cluster int
	// Rate is the traffic seen there, requests per second.
	Rate float64
}

// Graph indexes a snapshot's flows by endpoint.
type Graph struct {
	out map[Endpoint][]int
	in  map[Endpoint][]int
	loc map[Endpoint][]Location
}

// Outgoing returns the indexes in Flows of the requests the endpoint sends.
func (g *Graph) Outgoing(e Endpoint) []int { return g.out[e] }

// Incoming returns the indexes in Flows of the requests the endpoint receives.
func (g *Graph) Incoming(e Endpoint) []int { return g.in[e] }

// Locations returns where an endpoint runs, busiest first: the clusters from which it sends
// requests and in which it receives them. Flows whose destination cluster is unknown say
// nothing about where the destination runs.
func (g *Graph) Locations(e Endpoint) []Location { return g.loc[e] }

// Graph returns the index of the snapshot's flows, built on first use.
func (s *Snapshot) Graph() *Graph {
	s.graphOnce.Do(func() { s.graph = buildGraph(s) })
	return s.graph
}

func buildGraph(s *Snapshot) *Graph {
	g := &Graph{out: map[Endpoint][]int{}, in: map[Endpoint][]int{}, loc: map[Endpoint][]Location{}}
	rates := map[Endpoint]map[int]float64{}
	add := func(e Endpoint, cluster string, rate float64) {
		c, ok := s.index[cluster]
		if !ok {
			return
		}
		if rates[e] == nil {
			rates[e] = map[int]float64{}
		}
		rates[e][c] += rate
	}
	for i, f := range s.Flows {
		src := Endpoint{f.SourceWorkload, f.SourceNamespace}
		dst := Endpoint{f.DestinationService, f.DestinationNamespace}
		g.out[src] = append(g.out[src], i)
		g.in[dst] = append(g.in[dst], i)
		add(src, f.SourceCluster, f.Rate.Value)
		if f.DestinationCluster != "" {
			add(dst, f.DestinationCluster, f.Rate.Value)
		}
	}
	for e, byCluster := range rates {
		locs := make([]Location, 0, len(byCluster))
		for c, r := range byCluster {
			locs = append(locs, Location{Cluster: c, Rate: r})
		}
		sort.Slice(locs, func(i, j int) bool {
			if locs[i].Rate != locs[j].Rate {
				return locs[i].Rate > locs[j].Rate
			}
			return locs[i].Cluster < locs[j].Cluster
		})
		g.loc[e] = locs
	}
	return g
}

// SnapshotData is the content of a snapshot built by hand, for tests and simulations.
type SnapshotData struct {
	// Time is when the data was taken; samples without a time get it.
	Time time.Time
	// MaxSampleAge is the staleness bound.
	MaxSampleAge time.Duration
	// Utilization by resource and Karmada cluster name.
	Utilization map[corev1.ResourceName]map[string]Sample
	// Latency by source and destination cluster name, p99 milliseconds.
	Latency map[[2]string]Sample
	// Flows is the service graph.
	Flows []Flow
}

// NewSnapshot builds a snapshot from data; its queries are reported healthy.
func NewSnapshot(d SnapshotData) *Snapshot {
	t := d.Time.UnixMilli()
	stamp := func(s Sample) Sample {
		if s.Time == 0 {
			s.Time = t
		}
		return s
	}
	raw := rawResults{utilization: map[corev1.ResourceName]map[string]Sample{}, latency: map[clusterPair]Sample{}}
	var resources []corev1.ResourceName
	for r, byCluster := range d.Utilization {
		resources = append(resources, r)
		m := make(map[string]Sample, len(byCluster))
		for c, s := range byCluster {
			m[c] = stamp(s)
		}
		raw.utilization[r] = m
	}
	sort.Slice(resources, func(i, j int) bool { return resources[i] < resources[j] })
	for p, s := range d.Latency {
		raw.latency[clusterPair{p[0], p[1]}] = stamp(s)
	}
	for _, f := range d.Flows {
		f.Rate = stamp(f.Rate)
		raw.flows = append(raw.flows, f)
	}
	snap := newSnapshot(raw, resources)
	snap.Time = d.Time
	snap.MaxSampleAge = d.MaxSampleAge
	for _, r := range resources {
		snap.Queries = append(snap.Queries, QueryStatus{Name: "utilization/" + string(r), LastAttempt: d.Time, LastSuccess: d.Time})
	}
	for _, n := range []string{"latency", "requests"} {
		snap.Queries = append(snap.Queries, QueryStatus{Name: n, LastAttempt: d.Time, LastSuccess: d.Time})
	}
	return snap
}
