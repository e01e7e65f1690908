package scheduler

import (
	"context"
	"fmt"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	estimatorclient "github.com/karmada-io/karmada/pkg/estimator/client"
	"github.com/karmada-io/karmada/pkg/scheduler/core"
	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"

	"kurator.dev/kurator/pkg/scheduler/framework"
	"kurator.dev/kurator/pkg/telemetry"
)

// Evaluator runs a profile's plugins the way kurator-scheduler does and says why: every
// filter's verdict for every cluster, every score plugin's raw and weighted score, and which
// clusters Karmada would select. It is what PlacementReview serves.
type Evaluator struct {
	plugins []evalPlugin
	handle  framework.Handle
}

type evalPlugin struct {
	setting   PluginSetting
	filter    karmadafw.FilterPlugin
	score     karmadafw.ScorePlugin
	explainer framework.Explainer
}

// NewEvaluator builds the profile's plugins over h. Build one per process and reuse it: the
// plugins keep per-binding state.
func NewEvaluator(p *Profile, h framework.Handle) (*Evaluator, error) {
	e := &Evaluator{handle: h}
	for _, s := range p.Plugins {
		inner, err := p.factory(s, h)()
		if err != nil {
			return nil, err
		}
		ep := evalPlugin{setting: s}
		ep.explainer, _ = inner.(framework.Explainer)
		if s.Filter {
			ep.filter, _ = inner.(karmadafw.FilterPlugin)
		}
		if s.Score {
			ep.score, _ = inner.(karmadafw.ScorePlugin)
		}
		e.plugins = append(e.plugins, ep)
	}
	return e, nil
}

// Input is what to evaluate.
type Input struct {
	// Spec and Status of the binding (or of the binding a template and policy would make).
	Spec   *workv1alpha2.ResourceBindingSpec
	Status *workv1alpha2.ResourceBindingStatus
	// Clusters are the candidate clusters.
	Clusters []*clusterv1alpha1.Cluster
	// Snapshot is the telemetry to judge by; nil for the handle's latest.
	Snapshot *telemetry.Snapshot
	// ResourceBindingIndexer serves Karmada's WorkloadAffinity plugins; may be nil.
	ResourceBindingIndexer cache.Indexer
	// Template is the metadata (annotations) of the resource template when it is given
	// rather than read from the apiserver, e.g. a template that does not exist yet. The
	// plugins remember their work per Spec object (and its template UID and resource
	// version): pass a new Spec, not a changed one, for a different template.
	Template *metav1.ObjectMeta
}

// FilterVerdict is one filter plugin's answer for one cluster.
type FilterVerdict struct {
	Plugin   string
	Feasible bool
	// Neutral says the plugin lacked data and let the cluster pass (or, fail-closed, not).
	Neutral bool
	Reasons []string
}

// ScoreVerdict is one score plugin's answer for one feasible cluster.
type ScoreVerdict struct {
	Plugin string
	// Score is the plugin's score after its normalization, before the weight, 0..100.
	Score int64
	// Weight is the profile's weight; Weighted = Score × Weight, what Karmada sums.
	Weight   int64
	Weighted int64
	// Neutral says the plugin lacked data and gave the neutral score.
	Neutral bool
	Reasons []string
}

// ClusterEvaluation is the verdict on one cluster.
type ClusterEvaluation struct {
	Cluster string
	// Feasible says every filter passed. Unlike Karmada, which stops at the first failing
	// filter, every filter is run so that every reason shows.
	Feasible bool
	Filters  []FilterVerdict
	// Scores are present for feasible clusters only, as in Karmada.
	Scores []ScoreVerdict
	// TotalScore is the sum of the weighted scores: the order Karmada selects by.
	TotalScore int64
}

// Evaluation is the verdict on every candidate cluster.
type Evaluation struct {
	// SnapshotTime and SnapshotGeneration identify the telemetry judged by.
	SnapshotTime       time.Time
	SnapshotGeneration uint64
	// TelemetryProblems are the telemetry source's failing or partial queries.
	TelemetryProblems []string
	// TelemetryAge is how long ago a telemetry query last succeeded (-1 if none ever did);
	// TelemetryStale says that is longer than the source's maxSampleAge, so the plugins
	// score every cluster neutrally and let them pass (unless fail-closed).
	TelemetryAge   time.Duration
	TelemetryStale bool
	// Clusters in input order.
	Clusters []ClusterEvaluation
}

// Feasible returns the feasible clusters, best total score first (ties by name).
func (ev *Evaluation) Feasible() []ClusterEvaluation {
	var out []ClusterEvaluation
	for _, c := range ev.Clusters {
		if c.Feasible {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].TotalScore != out[j].TotalScore {
			return out[i].TotalScore > out[j].TotalScore
		}
		return out[i].Cluster < out[j].Cluster
	})
	return out
}

// Evaluate runs every filter on every cluster and every score plugin on the feasible ones.
func (e *Evaluator) Evaluate(ctx context.Context, in Input) *Evaluation {
	snap := in.Snapshot
	if snap == nil {
		snap = e.handle.Telemetry()
	}
	if in.Template != nil {
		ctx = framework.WithTemplate(ctx, in.Template)
	}
	ev := &Evaluation{SnapshotTime: snap.Time, SnapshotGeneration: snap.Generation, TelemetryProblems: snap.Problems(), TelemetryAge: -1, TelemetryStale: true}
	if last := snap.LastSuccess(); !last.IsZero() {
		ev.TelemetryAge = e.handle.Now().Sub(last)
		ev.TelemetryStale = ev.TelemetryAge > snap.MaxSampleAge
	}
	var feasible []*clusterv1alpha1.Cluster
	var feasibleIdx []int
	for _, c := range in.Clusters {
		ce := ClusterEvaluation{Cluster: c.Name, Feasible: true}
		for _, p := range e.plugins {
			if p.filter == nil {
				continue
			}
			fv := e.filterVerdict(ctx, &p, snap, &in, c)
			ce.Feasible = ce.Feasible && fv.Feasible
			ce.Filters = append(ce.Filters, fv)
		}
		ev.Clusters = append(ev.Clusters, ce)
		if ce.Feasible {
			feasible = append(feasible, c)
			feasibleIdx = append(feasibleIdx, len(ev.Clusters)-1)
		}
	}
	for _, p := range e.plugins {
		if p.score == nil || len(feasible) == 0 {
			continue
		}
		verdicts := make([]ScoreVerdict, len(feasible))
		list := make(karmadafw.ClusterScoreList, len(feasible))
		for i, c := range feasible {
			verdicts[i] = ScoreVerdict{Plugin: p.setting.Name, Weight: p.setting.Weight}
			if p.explainer != nil {
				v := p.explainer.Explain(ctx, snap, in.Spec, c)
				list[i] = karmadafw.ClusterScore{Cluster: c, Score: v.Score}
				verdicts[i].Neutral, verdicts[i].Reasons = v.Neutral, v.Reasons
				continue
			}
			s, res := p.score.Score(ctx, in.Spec, c)
			if !res.IsSuccess() {
				verdicts[i].Reasons = append(verdicts[i].Reasons, fmt.Sprintf("score failed: %v (Karmada would fail the attempt)", res.AsError()))
			}
			list[i] = karmadafw.ClusterScore{Cluster: c, Score: s}
		}
		if n, ok := p.explainer.(framework.Normalizer); ok && p.score.ScoreExtensions() != nil {
			for i, note := range n.NormalizeFor(ctx, snap, in.Spec, list) {
				if note != "" {
					verdicts[i].Reasons = append(verdicts[i].Reasons, "normalized to "+note)
				}
			}
		} else if ext := p.score.ScoreExtensions(); ext != nil {
			if res := ext.NormalizeScore(ctx, list); !res.IsSuccess() {
				for i := range verdicts {
					verdicts[i].Reasons = append(verdicts[i].Reasons, fmt.Sprintf("normalization failed: %v", res.AsError()))
				}
			}
		}
		for i := range feasible {
			verdicts[i].Score = list[i].Score
			verdicts[i].Weighted = list[i].Score * p.setting.Weight
			ce := &ev.Clusters[feasibleIdx[i]]
			ce.Scores = append(ce.Scores, verdicts[i])
			ce.TotalScore += verdicts[i].Weighted
		}
	}
	return ev
}

func (e *Evaluator) filterVerdict(ctx context.Context, p *evalPlugin, snap *telemetry.Snapshot, in *Input, c *clusterv1alpha1.Cluster) FilterVerdict {
	fv := FilterVerdict{Plugin: p.setting.Name}
	if p.explainer != nil {
		v := p.explainer.Explain(ctx, snap, in.Spec, c)
		fv.Feasible, fv.Neutral = v.Feasible, v.Neutral
		if !v.Feasible || v.Neutral {
			fv.Reasons = v.Reasons
		}
		return fv
	}
	res := runFilter(p.filter, &karmadafw.FilterContext{
		Context: ctx, BindingSpec: in.Spec, BindingStatus: statusOrEmpty(in.Status), Cluster: c,
		ResourceBindingIndexer: in.ResourceBindingIndexer,
	})
	fv.Feasible = res.IsSuccess()
	if !fv.Feasible {
		fv.Reasons = res.Reasons()
	}
	return fv
}

func statusOrEmpty(s *workv1alpha2.ResourceBindingStatus) *workv1alpha2.ResourceBindingStatus {
	if s == nil {
		return &workv1alpha2.ResourceBindingStatus{}
	}
	return s
}

// Estimate asks each of Karmada's registered replica estimators how many replicas of the
// binding each cluster can take, as Karmada's scheduler does: the general estimator (from
// the clusters' resource summary) is always there; the scheduler-estimator only when the
// process registered one. A workload of several components whose placement picks exactly
// one cluster is asked for component sets when multiTemplate (Karmada's
// MultiplePodTemplatesScheduling) is on. -1 means the estimator has no opinion. An estimator
// that fails is left out of the answers with its error in errs: Karmada's scheduler ignores
// its answer for the binding then.
func Estimate(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, clusters []*clusterv1alpha1.Cluster, multiTemplate bool) (estimates map[string][]workv1alpha2.TargetCluster, errs map[string]error) {
	estimates, errs = map[string][]workv1alpha2.TargetCluster{}, map[string]error{}
	sets := multiTemplate && componentSets(spec)
	if spec.ReplicaRequirements == nil && !sets {
		return estimates, errs
	}
	for name, est := range estimatorclient.GetReplicaEstimators() {
		res, err := estimateWith(ctx, est, spec, clusters, sets)
		if err != nil {
			errs[name] = err
			continue
		}
		estimates[name] = res
	}
	return estimates, errs
}

// estimateWith asks one estimator, for replicas or (sets) for component sets.
func estimateWith(ctx context.Context, est estimatorclient.ReplicaEstimator, spec *workv1alpha2.ResourceBindingSpec, clusters []*clusterv1alpha1.Cluster, sets bool) ([]workv1alpha2.TargetCluster, error) {
	if !sets {
		return est.MaxAvailableReplicas(ctx, estimatorclient.ReplicaEstimationRequest{Clusters: clusters, ReplicaRequirements: spec.ReplicaRequirements})
	}
	res, err := est.MaxAvailableComponentSets(ctx, estimatorclient.ComponentSetEstimationRequest{Clusters: clusters, Components: spec.Components, Namespace: spec.Resource.Namespace})
	if err != nil {
		return nil, err
	}
	out := make([]workv1alpha2.TargetCluster, 0, len(res))
	for _, r := range res {
		out = append(out, workv1alpha2.TargetCluster{Name: r.Name, Replicas: r.Sets})
	}
	return out, nil
}

// componentSets reports whether Karmada estimates the binding in component sets: it has
// components and its placement spreads it over exactly one cluster.
func componentSets(spec *workv1alpha2.ResourceBindingSpec) bool {
	if len(spec.Components) == 0 || spec.Placement == nil {
		return false
	}
	for _, sc := range spec.Placement.SpreadConstraints {
		if sc.SpreadByField == policyv1alpha1.SpreadByFieldCluster && sc.MinGroups == 1 && sc.MaxGroups == 1 {
			return true
		}
	}
	return false
}

// Select runs Karmada's own cluster selection (spread constraints, available replicas) and
// replica assignment over an evaluation's feasible clusters, as the scheduler would.
func Select(in Input, ev *Evaluation) ([]workv1alpha2.TargetCluster, error) {
	byName := map[string]*clusterv1alpha1.Cluster{}
	for _, c := range in.Clusters {
		byName[c.Name] = c
	}
	var scores karmadafw.ClusterScoreList
	for _, c := range ev.Clusters {
		if c.Feasible {
			scores = append(scores, karmadafw.ClusterScore{Cluster: byName[c.Cluster], Score: c.TotalScore})
		}
	}
	if len(scores) == 0 {
		return nil, fmt.Errorf("0/%d clusters are feasible", len(in.Clusters))
	}
	placement := in.Spec.Placement
	if placement == nil {
		return nil, fmt.Errorf("the binding has no placement")
	}
	status := statusOrEmpty(in.Status)
	selected, err := core.SelectClusters(scores, placement, in.Spec, status, nil)
	if err != nil {
		return nil, fmt.Errorf("selecting clusters: %w", err)
	}
	targets, err := core.AssignReplicas(selected, in.Spec, status)
	if err != nil {
		return nil, fmt.Errorf("assigning replicas: %w", err)
	}
	return targets, nil
}
