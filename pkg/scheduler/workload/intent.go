// Package workload reads what a resource template says about its network needs — its peers,
// its latency SLO, whether it requires the mesh — and finds where those peers run in the
// telemetry's service graph. The plugins NetworkLatency and MeshTopology share it.
package workload

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"kurator.dev/kurator/pkg/telemetry"
)

// Annotations on resource templates (Deployments, StatefulSets, Volcano Jobs, ...).
const (
	// AnnotationPeers lists the services or workloads the workload talks to, comma
	// separated, as name or name.namespace (the template's namespace by default), each
	// optionally weighted with =weight (requests per second or any relative unit):
	// "core.default=400,model-server".
	AnnotationPeers = "latency.kurator.dev/peers"
	// AnnotationSLO is the p99 latency the workload tolerates to each peer, a Go duration:
	// "30ms". Clusters with a higher p99 to a peer are filtered out.
	AnnotationSLO = "latency.kurator.dev/slo"
	// AnnotationObserve set to "false" ignores the peers seen in the Istio traffic graph.
	AnnotationObserve = "latency.kurator.dev/observe"
	// AnnotationName is the workload's name in Istio telemetry (source_workload and
	// destination_service_name), when it is not the template's name.
	AnnotationName = "latency.kurator.dev/name"
	// AnnotationMeshRequired set to "true" places the workload only on mesh members.
	AnnotationMeshRequired = "mesh.kurator.dev/required"
)

// PeerRef is a peer named by the peers annotation.
type PeerRef struct {
	telemetry.Endpoint
	// Weight is the declared weight, 0 when not given.
	Weight float64
}

// Intent is what a template's annotations say.
type Intent struct {
	// Self is the workload in Istio telemetry.
	Self telemetry.Endpoint
	// Peers are the declared peers.
	Peers []PeerRef
	// SLO is the tolerated p99 latency to each peer, 0 for none.
	SLO time.Duration
	// Observe says whether peers seen in the traffic graph count.
	Observe bool
	// RequireMesh places the workload on mesh members only.
	RequireMesh bool
	// Problems describe annotations that could not be read; the rest of the intent holds.
	Problems []string
}

// ParseIntent reads the annotations of the template name in namespace.
func ParseIntent(name, namespace string, annotations map[string]string) Intent {
	in := Intent{Self: telemetry.Endpoint{Name: name, Namespace: namespace}, Observe: true}
	if v, ok := annotations[AnnotationName]; ok && strings.TrimSpace(v) != "" {
		in.Self.Name = strings.TrimSpace(v)
	}
	if v, ok := annotations[AnnotationPeers]; ok {
		in.Peers, in.Problems = parsePeers(v, namespace)
	}
	if v, ok := annotations[AnnotationSLO]; ok {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		switch {
		case err != nil:
			in.Problems = append(in.Problems, fmt.Sprintf("annotation %s=%q is not a duration such as 30ms: ignored", AnnotationSLO, v))
		case d <= 0:
			in.Problems = append(in.Problems, fmt.Sprintf("annotation %s=%q must be positive: ignored", AnnotationSLO, v))
		default:
			in.SLO = d
		}
	}
	if v, ok := annotations[AnnotationObserve]; ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			in.Problems = append(in.Problems, fmt.Sprintf("annotation %s=%q is not true or false: observing traffic", AnnotationObserve, v))
		} else {
			in.Observe = b
		}
	}
	if v, ok := annotations[AnnotationMeshRequired]; ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			in.Problems = append(in.Problems, fmt.Sprintf("annotation %s=%q is not true or false: ignored", AnnotationMeshRequired, v))
		} else {
			in.RequireMesh = b
		}
	}
	return in
}

func parsePeers(v, namespace string) ([]PeerRef, []string) {
	var peers []PeerRef
	var problems []string
	seen := map[telemetry.Endpoint]bool{}
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		ref := PeerRef{}
		if name, w, ok := strings.Cut(item, "="); ok {
			weight, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
			if err != nil || weight <= 0 || weight != weight {
				problems = append(problems, fmt.Sprintf("annotation %s: peer %q has weight %q, not a positive number: weight ignored", AnnotationPeers, name, w))
				weight = 0
			}
			ref.Weight, item = weight, strings.TrimSpace(name)
		}
		ref.Name, ref.Namespace = item, namespace
		if n, ns, ok := strings.Cut(item, "."); ok {
			ref.Name, ref.Namespace = n, ns
			// A fully qualified service name (core.default.svc.cluster.local) names the same peer.
			if i := strings.Index(ns, "."); i >= 0 {
				ref.Namespace = ns[:i]
			}
		}
		if ref.Name == "" || ref.Namespace == "" {
			problems = append(problems, fmt.Sprintf("annotation %s: %q is not name or name.namespace: ignored", AnnotationPeers, item))
			continue
		}
		if seen[ref.Endpoint] {
			continue
		}
		seen[ref.Endpoint] = true
		peers = append(peers, ref)
	}
	return peers, problems
}

// Peer is a peer of the workload with where it runs.
type Peer struct {
	telemetry.Endpoint
	// Weight is the peer's share in traffic-weighted averages.
	Weight float64
	// Declared says the peers annotation names it; otherwise it was observed.
	Declared bool
	// ObservedRate is the requests per second seen between the workload and the peer.
	ObservedRate float64
	// Locations are the clusters where the peer runs, from the traffic graph, busiest first.
	Locations []telemetry.Location
}

// ResolvePeers combines declared and observed peers and finds where they run. Weights are,
// in order of preference: the declared weight, the observed request rate, and for a declared
// peer without either the mean weight of the others (1 when there are none). Stale flows
// (older than the snapshot's MaxSampleAge at now) are ignored.
func ResolvePeers(in *Intent, snap *telemetry.Snapshot, now time.Time) []Peer {
	g := snap.Graph()
	observed := map[telemetry.Endpoint]float64{}
	fresh := func(i int) bool {
		return snap.MaxSampleAge == 0 || snap.Flows[i].Rate.FreshAt(now, snap.MaxSampleAge)
	}
	for _, i := range g.Outgoing(in.Self) {
		if f := snap.Flows[i]; fresh(i) {
			observed[telemetry.Endpoint{Name: f.DestinationService, Namespace: f.DestinationNamespace}] += f.Rate.Value
		}
	}
	for _, i := range g.Incoming(in.Self) {
		if f := snap.Flows[i]; fresh(i) {
			observed[telemetry.Endpoint{Name: f.SourceWorkload, Namespace: f.SourceNamespace}] += f.Rate.Value
		}
	}
	delete(observed, in.Self)

	var peers []Peer
	index := map[telemetry.Endpoint]int{}
	for _, d := range in.Peers {
		if d.Endpoint == in.Self {
			continue
		}
		index[d.Endpoint] = len(peers)
		peers = append(peers, Peer{Endpoint: d.Endpoint, Weight: d.Weight, Declared: true, ObservedRate: observed[d.Endpoint]})
	}
	if in.Observe {
		extra := make([]telemetry.Endpoint, 0, len(observed))
		for e := range observed {
			if _, ok := index[e]; !ok {
				extra = append(extra, e)
			}
		}
		sort.Slice(extra, func(i, j int) bool { return extra[i].String() < extra[j].String() })
		for _, e := range extra {
			peers = append(peers, Peer{Endpoint: e, ObservedRate: observed[e]})
		}
	}
	sum, n := 0.0, 0
	for i := range peers {
		p := &peers[i]
		if p.Weight == 0 && (in.Observe || !p.Declared) {
			p.Weight = p.ObservedRate
		}
		if p.Weight > 0 {
			sum += p.Weight
			n++
		}
	}
	fill := 1.0
	if n > 0 {
		fill = sum / float64(n)
	}
	for i := range peers {
		p := &peers[i]
		if p.Weight == 0 {
			p.Weight = fill
		}
		p.Locations = locations(snap, g, p.Endpoint, fresh)
	}
	return peers
}

// locations returns where an endpoint runs from the fresh flows it sends and receives,
// busiest first.
func locations(snap *telemetry.Snapshot, g *telemetry.Graph, e telemetry.Endpoint, fresh func(int) bool) []telemetry.Location {
	var out []telemetry.Location
	add := func(cluster string, rate float64) {
		c, ok := snap.Index(cluster)
		if !ok || rate <= 0 {
			return
		}
		for i := range out {
			if out[i].Cluster == c {
				out[i].Rate += rate
				return
			}
		}
		out = append(out, telemetry.Location{Cluster: c, Rate: rate})
	}
	for _, i := range g.Outgoing(e) {
		if fresh(i) {
			add(snap.Flows[i].SourceCluster, snap.Flows[i].Rate.Value)
		}
	}
	for _, i := range g.Incoming(e) {
		if f := snap.Flows[i]; fresh(i) && f.DestinationCluster != "" {
			add(f.DestinationCluster, f.Rate.Value)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rate != out[j].Rate {
			return out[i].Rate > out[j].Rate
		}
		return out[i].Cluster < out[j].Cluster
	})
	return out
}
