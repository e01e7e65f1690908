// Package networklatency is the NetworkLatency scheduler plugin: for a workload with peers —
// declared in the latency.kurator.dev/peers annotation of its resource template or seen in
// the Istio traffic graph — Filter rejects clusters whose p99 latency to a peer exceeds the
// workload's SLO, and Score favours clusters with a low traffic-weighted p99 to the peers.
package networklatency

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/klog/v2"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"

	"kurator.dev/kurator/pkg/scheduler/framework"
	"kurator.dev/kurator/pkg/scheduler/workload"
	"kurator.dev/kurator/pkg/telemetry"
)

// Name is the plugin's name in profiles.
const Name = "NetworkLatency"

// Plugin is the NetworkLatency plugin.
type Plugin struct {
	args       Args
	h          framework.Handle
	resolver   *workload.Resolver
	neighbours neighboursCache
	last       atomic.Pointer[state]
}

var (
	_ karmadafw.FilterPlugin = &Plugin{}
	_ karmadafw.ScorePlugin  = &Plugin{}
	_ framework.Explainer    = &Plugin{}
)

// New returns the plugin for defaulted, validated args.
func New(args *Args, h framework.Handle) *Plugin {
	return &Plugin{args: *args, h: h, resolver: workload.NewResolver(h.Templates(), *args.ObservePeers)}
}

// Name implements karmadafw.Plugin.
func (p *Plugin) Name() string { return Name }

// Filter implements karmadafw.FilterPlugin.
func (p *Plugin) Filter(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, _ *workv1alpha2.ResourceBindingStatus, cluster *clusterv1alpha1.Cluster) *karmadafw.Result {
	st := p.state(ctx, spec, p.h.Telemetry())
	if st.noPeers {
		return nil
	}
	c, ok := st.snap.Index(cluster.Name)
	if ok && st.feasible[c] || !ok && !st.rejectUnknown {
		return nil
	}
	reason := st.rejection(c, ok)
	if v := klog.V(2); v.Enabled() {
		v.InfoS("Cluster filtered out", "plugin", Name, "resource", klog.KRef(spec.Resource.Namespace, spec.Resource.Name), "cluster", cluster.Name, "reason", reason)
	}
	return karmadafw.NewResult(karmadafw.Unschedulable, reason)
}

// Score implements karmadafw.ScorePlugin.
func (p *Plugin) Score(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, cluster *clusterv1alpha1.Cluster) (int64, *karmadafw.Result) {
	st := p.state(ctx, spec, p.h.Telemetry())
	if st.noPeers {
		return framework.NeutralScore, nil
	}
	if c, ok := st.snap.Index(cluster.Name); ok {
		return st.score[c], nil
	}
	return framework.NeutralScore, nil
}

// ScoreExtensions implements karmadafw.ScorePlugin.
func (p *Plugin) ScoreExtensions() karmadafw.ScoreExtensions { return nil }

// state holds the verdict for every cluster of the snapshot, computed once per binding.
type state struct {
	key     framework.BindingKey
	snap    *telemetry.Snapshot
	now     time.Time
	nb      *neighbours // nil without cluster topology or estimation
	w       *workload.Workload
	noPeers bool
	slo     float64 // ms, 0 for none
	ref     float64 // ms
	// rejectUnknown rejects clusters unknown to telemetry (fail-closed with located peers).
	rejectUnknown bool

	// Per snapshot cluster.
	score     []int64
	feasible  []bool
	latency   []float64 // traffic-weighted p99 over known peers, ms
	coverage  []float64 // known share of the peers' weight
	worstPeer []int32   // the peer above the SLO (or unknown when fail-closed), -1 if none
	worstLoc  []int32   // its nearest location
	worstMs   []float64 // its latency, NaN when unknown
}

func (p *Plugin) state(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, snap *telemetry.Snapshot) *state {
	if st := p.last.Load(); st != nil && st.key.Matches(spec, snap) {
		return st
	}
	st := p.compute(ctx, spec, snap)
	p.last.Store(st)
	return st
}

// source says how a latency estimate was obtained.
type source int

const (
	unknown source = iota
	observed
	reverse
	assumedLocal
	zoneNeighbour
	regionNeighbour
)

func (s source) String() string {
	return [...]string{"unknown", "observed", "observed in the other direction", "assumed within one cluster",
		"estimated from a cluster in the same zone and network", "estimated from a cluster in the same region and network"}[s]
}

// observedBetween returns the fresh p99 from c to k, or from k to c when reverse latencies
// are used.
func (p *Plugin) observedBetween(st *state, c, k int) (float64, source) {
	maxAge := st.snap.MaxSampleAge
	if s := st.snap.Latency(c, k); s.FreshAt(st.now, maxAge) {
		return s.Value, observed
	}
	if *p.args.UseReverseLatency {
		if s := st.snap.Latency(k, c); s.FreshAt(st.now, maxAge) {
			return s.Value, reverse
		}
	}
	return 0, unknown
}

// latency estimates the p99 from cluster index c to cluster index k: observed, observed the
// other way, assumed within a cluster, or — for pairs the mesh carries no traffic between —
// the mean observed from c's or k's neighbours in the same zone, then region (same network).
func (p *Plugin) latency(st *state, c, k int) (float64, source) {
	if v, s := p.observedBetween(st, c, k); s != unknown {
		return v, s
	}
	if c == k {
		return float64(p.args.AssumedLocalLatency.Duration) / float64(time.Millisecond), assumedLocal
	}
	if st.nb == nil {
		return 0, unknown
	}
	for _, level := range [...]struct {
		groups [][]int
		src    source
	}{{st.nb.zone, zoneNeighbour}, {st.nb.region, regionNeighbour}} {
		var sum float64
		n := 0
		for _, c2 := range level.groups[c] {
			if v, s := p.observedBetween(st, c2, k); s != unknown {
				sum, n = sum+v, n+1
			}
		}
		for _, k2 := range level.groups[k] {
			if v, s := p.observedBetween(st, c, k2); s != unknown {
				sum, n = sum+v, n+1
			}
		}
		if n > 0 {
			return sum / float64(n), level.src
		}
	}
	return 0, unknown
}

// nearest returns the latency from c to the nearest location of a peer.
func (p *Plugin) nearest(st *state, c int, peer *workload.Peer) (ms float64, loc int, src source) {
	ms, loc = math.Inf(1), -1
	for _, l := range peer.Locations {
		if v, s := p.latency(st, c, l.Cluster); s != unknown && v < ms {
			ms, loc, src = v, l.Cluster, s
		}
	}
	return ms, loc, src
}

func (p *Plugin) compute(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, snap *telemetry.Snapshot) *state {
	now := p.h.Now()
	w := p.resolver.Resolve(ctx, spec, snap, now)
	st := &state{key: framework.KeyOf(spec, snap), snap: snap, now: now, w: w, noPeers: len(w.Peers) == 0,
		ref: ms(p.args.ReferenceLatency.Duration)}
	if *p.args.EstimateFromNeighbours && !st.noPeers {
		st.nb = p.neighbours.get(snap, p.h.Clusters())
	}
	if w.SLO > 0 {
		st.slo = ms(w.SLO)
	} else if p.args.DefaultSLO != nil {
		st.slo = ms(p.args.DefaultSLO.Duration)
	}
	if st.slo > 0 {
		st.ref = st.slo
	}
	if st.noPeers {
		if w.TemplateError != "" || len(w.Problems) > 0 {
			klog.V(2).InfoS("No peers known; NetworkLatency is neutral", "resource", klog.KRef(spec.Resource.Namespace, spec.Resource.Name),
				"templateError", w.TemplateError, "problems", w.Problems)
		}
		return st
	}
	located := false
	weights := make([]float64, len(w.Peers))
	for i := range w.Peers {
		weights[i] = w.Peers[i].Weight
		located = located || len(w.Peers[i].Locations) > 0
	}
	failClosed := p.args.FailClosed && st.slo > 0 && located
	st.rejectUnknown = failClosed
	n := len(snap.Clusters)
	st.score, st.feasible = make([]int64, n), make([]bool, n)
	st.latency, st.coverage = make([]float64, n), make([]float64, n)
	st.worstPeer, st.worstLoc, st.worstMs = make([]int32, n), make([]int32, n), make([]float64, n)
	pl := make([]PeerLatency, len(w.Peers))
	anyKnown := false
	for c := 0; c < n; c++ {
		st.worstPeer[c], st.worstLoc[c], st.worstMs[c] = -1, -1, 0
		for i := range w.Peers {
			peer := &w.Peers[i]
			v, loc, src := p.nearest(st, c, peer)
			pl[i] = PeerLatency{Ms: v, Known: src != unknown}
			switch {
			case src != unknown && st.slo > 0 && v > st.slo && v > st.worstMs[c]:
				st.worstPeer[c], st.worstLoc[c], st.worstMs[c] = int32(i), int32(loc), v
			case src == unknown && failClosed && len(peer.Locations) > 0 && st.worstPeer[c] < 0:
				st.worstPeer[c], st.worstMs[c] = int32(i), math.NaN()
			}
		}
		l, cov := WeightedLatency(pl, weights)
		st.latency[c], st.coverage[c] = l, cov
		anyKnown = anyKnown || cov > 0
		s := float64(framework.NeutralScore)
		if cov > 0 {
			s = Blend(LatencyScore(l, st.ref), cov, float64(framework.NeutralScore))
		}
		st.score[c] = int64(math.Round(s))
		st.feasible[c] = st.worstPeer[c] < 0
	}
	if !anyKnown {
		klog.V(2).InfoS("No latency data to the workload's peers; NetworkLatency is neutral",
			"resource", klog.KRef(spec.Resource.Namespace, spec.Resource.Name), "peers", len(w.Peers), "located", located, "problems", snap.Problems())
	}
	return st
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// rejection says why Filter rejects cluster index c (known says it is in the snapshot).
func (st *state) rejection(c int, known bool) string {
	if !known {
		return fmt.Sprintf("the cluster is unknown to telemetry, its latency to the peers is unknown and the profile is fail-closed (SLO %s)", fmtMs(st.slo))
	}
	peer := st.w.Peers[st.worstPeer[c]]
	if math.IsNaN(st.worstMs[c]) {
		return fmt.Sprintf("p99 latency to %s is unknown (no fresh samples) and the profile is fail-closed (SLO %s)", peer.Endpoint, fmtMs(st.slo))
	}
	return fmt.Sprintf("p99 latency to %s in %s is %s, above the SLO %s", peer.Endpoint, st.snap.Clusters[st.worstLoc[c]], fmtMs(st.worstMs[c]), fmtMs(st.slo))
}

func fmtMs(v float64) string { return fmt.Sprintf("%.1fms", v) }

// Explain implements framework.Explainer.
func (p *Plugin) Explain(ctx context.Context, snap *telemetry.Snapshot, spec *workv1alpha2.ResourceBindingSpec, cluster *clusterv1alpha1.Cluster) framework.Verdict {
	st := p.state(ctx, spec, snap)
	w := st.w
	v := framework.Verdict{Feasible: true, Score: framework.NeutralScore}
	if w.TemplateError != "" {
		v.Reasons = append(v.Reasons, "template annotations unavailable: "+w.TemplateError)
	}
	v.Reasons = append(v.Reasons, w.Problems...)
	if st.noPeers {
		v.Neutral = true
		v.Reasons = append(v.Reasons, fmt.Sprintf("no peers declared (%s) or observed in the traffic graph: neutral %d", workload.AnnotationPeers, framework.NeutralScore))
		return v
	}
	c, known := snap.Index(cluster.Name)
	if !known {
		v.Neutral = true
		v.Feasible = !st.rejectUnknown
		if !v.Feasible {
			v.Reasons = append(v.Reasons, st.rejection(-1, false))
		}
		v.Reasons = append(v.Reasons, fmt.Sprintf("the cluster is unknown to telemetry: neutral %d", framework.NeutralScore))
		return v
	}
	v.Feasible, v.Score, v.Neutral = st.feasible[c], st.score[c], st.coverage[c] == 0
	if !v.Feasible {
		v.Reasons = append(v.Reasons, st.rejection(c, true))
	}
	var parts []string
	for i := range w.Peers {
		peer := &w.Peers[i]
		how := "declared"
		if !peer.Declared {
			how = fmt.Sprintf("observed, %.1f req/s", peer.ObservedRate)
		}
		if len(peer.Locations) == 0 {
			parts = append(parts, fmt.Sprintf("%s (%s, weight %.3g): not seen running in any cluster", peer.Endpoint, how, peer.Weight))
			continue
		}
		l, loc, src := p.nearest(st, c, peer)
		if src == unknown {
			parts = append(parts, fmt.Sprintf("%s (%s, weight %.3g): no fresh latency from %s to where it runs", peer.Endpoint, how, peer.Weight, cluster.Name))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (%s, weight %.3g) in %s: p99 %s %s", peer.Endpoint, how, peer.Weight, snap.Clusters[loc], fmtMs(l), src))
	}
	v.Reasons = append(v.Reasons, strings.Join(parts, "; "))
	slo := "no SLO"
	if st.slo > 0 {
		slo = "SLO " + fmtMs(st.slo)
	}
	if v.Neutral {
		v.Reasons = append(v.Reasons, fmt.Sprintf("no latency known to any peer: neutral %d (%s)", framework.NeutralScore, slo))
	} else {
		v.Reasons = append(v.Reasons, fmt.Sprintf("traffic-weighted p99 %s over %.0f%% of the peers' traffic, reference %s (%s): score %d",
			fmtMs(st.latency[c]), 100*st.coverage[c], fmtMs(st.ref), slo, v.Score))
	}
	return v
}
