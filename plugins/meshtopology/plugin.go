// Package meshtopology is the MeshTopology scheduler plugin. It reads each Karmada Cluster's
// Istio network (the topology.istio.io/network label, or Istio's MeshNetworks) and locality
// (region, zone): Filter keeps workloads that require the mesh on mesh members, and Score
// prefers clusters on the peers' network and near their locality, penalising the extra hop
// through an east-west gateway.
package meshtopology

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync/atomic"

	"k8s.io/klog/v2"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"

	"kurator.dev/kurator/pkg/scheduler/framework"
	"kurator.dev/kurator/pkg/scheduler/workload"
	"kurator.dev/kurator/pkg/telemetry"
)

// Name is the plugin's name in profiles.
const Name = "MeshTopology"

// Plugin is the MeshTopology plugin.
type Plugin struct {
	args     Args
	h        framework.Handle
	mesh     *Mesh
	penalty  float64
	resolver *workload.Resolver
	last     atomic.Pointer[state]
}

var (
	_ karmadafw.FilterPlugin = &Plugin{}
	_ karmadafw.ScorePlugin  = &Plugin{}
	_ framework.Explainer    = &Plugin{}
)

// New returns the plugin for defaulted, validated args.
func New(args *Args, h framework.Handle) (*Plugin, error) {
	mn, err := args.LoadMeshNetworks()
	if err != nil {
		return nil, err
	}
	return &Plugin{
		args: *args, h: h,
		mesh:     NewMesh(args.NetworkLabel, mn, h.Names()),
		penalty:  float64(*args.EastWestGatewayPenalty),
		resolver: workload.NewResolver(h.Templates(), true),
	}, nil
}

// Name implements karmadafw.Plugin.
func (p *Plugin) Name() string { return Name }

// Filter implements karmadafw.FilterPlugin.
func (p *Plugin) Filter(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, _ *workv1alpha2.ResourceBindingStatus, cluster *clusterv1alpha1.Cluster) *karmadafw.Result {
	st := p.state(ctx, spec, p.h.Telemetry())
	if !st.requireMesh {
		return nil
	}
	if n, _ := p.mesh.Network(cluster); n != "" {
		return nil
	}
	reason := p.notMember()
	if v := klog.V(2); v.Enabled() {
		v.InfoS("Cluster filtered out", "plugin", Name, "resource", klog.KRef(spec.Resource.Namespace, spec.Resource.Name), "cluster", cluster.Name, "reason", reason)
	}
	return karmadafw.NewResult(karmadafw.Unschedulable, reason)
}

func (p *Plugin) notMember() string {
	return fmt.Sprintf("the workload requires the mesh and the cluster is not a mesh member (no %s label, not in MeshNetworks)", p.args.NetworkLabel)
}

// Score implements karmadafw.ScorePlugin.
func (p *Plugin) Score(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, cluster *clusterv1alpha1.Cluster) (int64, *karmadafw.Result) {
	st := p.state(ctx, spec, p.h.Telemetry())
	if st.located == 0 {
		return framework.NeutralScore, nil
	}
	return p.score(st, cluster), nil
}

// ScoreExtensions implements karmadafw.ScorePlugin.
func (p *Plugin) ScoreExtensions() karmadafw.ScoreExtensions { return nil }

// state holds the peers' localities, computed once per binding.
type state struct {
	key         framework.BindingKey
	w           *workload.Workload
	requireMesh bool
	peers       []peerState
	total       float64 // weight of all peers
	located     float64 // weight of the peers with a location
}

type peerState struct {
	weight float64
	locs   []Locality
	// gatewayless[j] says locs[j]'s network has no east-west gateway.
	gatewayless []bool
}

func (p *Plugin) state(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, snap *telemetry.Snapshot) *state {
	if st := p.last.Load(); st != nil && st.key.Matches(spec, snap) {
		return st
	}
	w := p.resolver.Resolve(ctx, spec, snap, p.h.Now())
	st := &state{key: framework.KeyOf(spec, snap), w: w, requireMesh: w.RequireMesh || p.args.RequireMeshForAll}
	clusters := p.h.Clusters()
	for _, peer := range w.Peers {
		ps := peerState{weight: peer.Weight}
		for _, l := range peer.Locations {
			name := snap.Clusters[l.Cluster]
			loc := Locality{Cluster: name}
			if clusters != nil {
				if c, err := clusters.Get(name); err == nil {
					loc = p.mesh.Locality(c)
				}
			}
			ps.locs = append(ps.locs, loc)
			ps.gatewayless = append(ps.gatewayless, p.mesh.Gatewayless(loc.Network))
		}
		st.total += ps.weight
		if len(ps.locs) > 0 {
			st.located += ps.weight
		}
		st.peers = append(st.peers, ps)
	}
	p.last.Store(st)
	return st
}

// score averages the affinity to each peer's best location, blended with the neutral score
// for the peers that run nowhere observed. It allocates nothing.
func (p *Plugin) score(st *state, cluster *clusterv1alpha1.Cluster) int64 {
	here := p.mesh.Locality(cluster)
	var sum float64
	for i := range st.peers {
		ps := &st.peers[i]
		if len(ps.locs) == 0 {
			continue
		}
		best := 0.0
		for j := range ps.locs {
			if a, _ := Affinity(here, ps.locs[j], p.penalty, ps.gatewayless[j]); a > best {
				best = a
			}
		}
		sum += ps.weight * best
	}
	known := sum / st.located
	coverage := st.located / st.total
	return int64(math.Round(coverage*known + (1-coverage)*float64(framework.NeutralScore)))
}

// Explain implements framework.Explainer.
func (p *Plugin) Explain(ctx context.Context, snap *telemetry.Snapshot, spec *workv1alpha2.ResourceBindingSpec, cluster *clusterv1alpha1.Cluster) framework.Verdict {
	st := p.state(ctx, spec, snap)
	here := p.mesh.Locality(cluster)
	v := framework.Verdict{Feasible: true, Score: framework.NeutralScore}
	network, labelled := p.mesh.Network(cluster)
	where := fmt.Sprintf("network %q, region %q, zone %q", network, here.Region, here.Zone)
	if network == "" {
		where = fmt.Sprintf("not a mesh member, region %q, zone %q", here.Region, here.Zone)
	}
	if labelled != "" && labelled != network {
		where += fmt.Sprintf(" (MeshNetworks overrides the label %s=%s)", p.args.NetworkLabel, labelled)
	}
	v.Reasons = append(v.Reasons, where)
	if st.requireMesh && network == "" {
		v.Feasible = false
		v.Reasons = append(v.Reasons, p.notMember())
	}
	if st.located == 0 {
		v.Neutral = true
		v.Reasons = append(v.Reasons, fmt.Sprintf("no peer seen running in any cluster: neutral %d", framework.NeutralScore))
		return v
	}
	v.Score = p.score(st, cluster)
	var parts []string
	for i, ps := range st.peers {
		peer := st.w.Peers[i].Endpoint
		if len(ps.locs) == 0 {
			parts = append(parts, fmt.Sprintf("%s: not seen running", peer))
			continue
		}
		best, bestReach, at := -1.0, Direct, ""
		for _, l := range ps.locs {
			a, r := Affinity(here, l, p.penalty, p.mesh.Gatewayless(l.Network))
			if a > best {
				best, bestReach, at = a, r, l.Cluster
			}
		}
		parts = append(parts, fmt.Sprintf("%s in %s: %s, %.0f", peer, at, bestReach, best))
	}
	v.Reasons = append(v.Reasons, strings.Join(parts, "; "), fmt.Sprintf("score %d", v.Score))
	return v
}
