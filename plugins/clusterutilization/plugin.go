// Package clusterutilization is the ClusterUtilization scheduler plugin: Filter rejects
// clusters whose observed utilization is above a ceiling, Score prefers clusters packed up to
// a target utilization (or the least utilized), from the telemetry snapshot.
package clusterutilization

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"

	"kurator.dev/kurator/pkg/scheduler/framework"
	"kurator.dev/kurator/pkg/telemetry"
)

// Name is the plugin's name in profiles.
const Name = "ClusterUtilization"

// Plugin is the ClusterUtilization plugin.
type Plugin struct {
	args      Args
	h         framework.Handle
	resources []resource
	last      atomic.Pointer[state]
}

// resource is a configured resource with fractions instead of percents.
type resource struct {
	name            corev1.ResourceName
	weight          float64
	target, ceiling float64
	extended        bool
}

var (
	_ karmadafw.FilterPlugin = &Plugin{}
	_ karmadafw.ScorePlugin  = &Plugin{}
	_ framework.Explainer    = &Plugin{}
)

// New returns the plugin for defaulted, validated args.
func New(args *Args, h framework.Handle) *Plugin {
	p := &Plugin{args: *args, h: h}
	for _, r := range args.Resources {
		p.resources = append(p.resources, resource{
			name: r.Name, weight: float64(r.Weight),
			target: float64(r.TargetPercent) / 100, ceiling: float64(r.CeilingPercent) / 100,
			extended: strings.Contains(string(r.Name), "/"),
		})
	}
	return p
}

// Name implements karmadafw.Plugin.
func (p *Plugin) Name() string { return Name }

// Filter implements karmadafw.FilterPlugin.
func (p *Plugin) Filter(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, _ *workv1alpha2.ResourceBindingStatus, cluster *clusterv1alpha1.Cluster) *karmadafw.Result {
	st := p.state(spec, p.h.Telemetry())
	var e evaluation
	st.evaluate(p, cluster, &e, false)
	if e.feasible {
		return nil
	}
	reason := p.rejection(st, &e)
	if v := klog.V(2); v.Enabled() {
		v.InfoS("Cluster filtered out", "plugin", Name, "resource", klog.KRef(spec.Resource.Namespace, spec.Resource.Name), "cluster", cluster.Name, "reason", reason)
	}
	return karmadafw.NewResult(karmadafw.Unschedulable, reason)
}

// Score implements karmadafw.ScorePlugin.
func (p *Plugin) Score(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, cluster *clusterv1alpha1.Cluster) (int64, *karmadafw.Result) {
	st := p.state(spec, p.h.Telemetry())
	var e evaluation
	st.evaluate(p, cluster, &e, true)
	return e.score, nil
}

// ScoreExtensions implements karmadafw.ScorePlugin: the plugin normalizes its scores when
// AvoidAboveTarget is on.
func (p *Plugin) ScoreExtensions() karmadafw.ScoreExtensions {
	if *p.args.AvoidAboveTarget {
		return p
	}
	return nil
}

// NormalizeScore implements karmadafw.ScoreExtensions. Karmada scores every cluster of a
// binding with one plugin and then normalizes, one binding at a time, so the last state is
// the binding's.
func (p *Plugin) NormalizeScore(_ context.Context, scores karmadafw.ClusterScoreList) *karmadafw.Result {
	if st := p.last.Load(); st != nil {
		p.avoidAboveTarget(st, scores)
	}
	return nil
}

// NormalizeFor implements framework.Normalizer.
func (p *Plugin) NormalizeFor(_ context.Context, snap *telemetry.Snapshot, spec *workv1alpha2.ResourceBindingSpec, scores karmadafw.ClusterScoreList) []string {
	if !*p.args.AvoidAboveTarget {
		return nil
	}
	st := p.state(spec, snap)
	room, above := p.avoidAboveTarget(st, scores)
	if room == "" {
		return nil
	}
	notes := make([]string, len(scores))
	for i := range scores {
		if above[i] {
			notes[i] = fmt.Sprintf("0: this workload would take the cluster above its utilization target while %s stays below", room)
		}
	}
	return notes
}

// avoidAboveTarget zeroes the scores of the clusters the workload would push above a target
// when another cluster keeps room; it returns one such cluster ("" when none) and which
// clusters were zeroed.
func (p *Plugin) avoidAboveTarget(st *state, scores karmadafw.ClusterScoreList) (string, []bool) {
	above := make([]bool, len(scores))
	room := ""
	for i := range scores {
		var e evaluation
		st.evaluate(p, scores[i].Cluster, &e, true)
		above[i] = e.above
		if !e.above && !e.neutral && room == "" {
			room = scores[i].Cluster.Name
		}
	}
	if room == "" {
		return "", nil
	}
	for i := range scores {
		if above[i] {
			scores[i].Score = 0
		}
	}
	return room, above
}

// state is what depends on the binding and the snapshot only.
type state struct {
	key    framework.BindingKey
	snap   *telemetry.Snapshot
	now    time.Time
	maxAge time.Duration
	// nowMs and maxAgeMs decide freshness without converting times per call.
	nowMs, maxAgeMs int64
	// Per configured resource: its index in the snapshot (-1 without a query), the binding's
	// total request and whether the resource counts for this binding.
	resIdx  [maxResources]int
	request [maxResources]float64
	active  [maxResources]bool
}

func (p *Plugin) state(spec *workv1alpha2.ResourceBindingSpec, snap *telemetry.Snapshot) *state {
	if st := p.last.Load(); st != nil && st.key.Matches(spec, snap) {
		return st
	}
	st := &state{key: framework.KeyOf(spec, snap), snap: snap, now: p.h.Now(), maxAge: snap.MaxSampleAge}
	st.nowMs, st.maxAgeMs = st.now.UnixMilli(), snap.MaxSampleAge.Milliseconds()
	requests := totalRequests(spec)
	for i, r := range p.resources {
		st.resIdx[i] = snap.ResourceIndex(r.name)
		if *p.args.Predict {
			st.request[i] = requests[r.name]
		}
		// Extended resources (GPUs) matter only to workloads that request them.
		st.active[i] = !r.extended || requests[r.name] > 0
	}
	if v := klog.V(2); v.Enabled() && !freshUtilization(snap, st.now) {
		v.InfoS("No fresh utilization data; ClusterUtilization is neutral", "resource", klog.KRef(spec.Resource.Namespace, spec.Resource.Name),
			"failClosed", p.args.FailClosed, "problems", snap.Problems())
	}
	p.last.Store(st)
	return st
}

// freshUtilization reports whether some utilization query succeeded within maxSampleAge.
func freshUtilization(snap *telemetry.Snapshot, now time.Time) bool {
	for _, q := range snap.Queries {
		if strings.HasPrefix(q.Name, "utilization/") && !q.LastSuccess.IsZero() && now.Sub(q.LastSuccess) <= snap.MaxSampleAge {
			return true
		}
	}
	return false
}

// totalRequests sums the requests of every replica of every component.
func totalRequests(spec *workv1alpha2.ResourceBindingSpec) map[corev1.ResourceName]float64 {
	out := map[corev1.ResourceName]float64{}
	if rr := spec.ReplicaRequirements; rr != nil {
		for name, q := range rr.ResourceRequest {
			out[name] += q.AsApproximateFloat64() * float64(spec.Replicas)
		}
	}
	for _, c := range spec.Components {
		if c.ReplicaRequirements == nil {
			continue
		}
		for name, q := range c.ReplicaRequirements.ResourceRequest {
			out[name] += q.AsApproximateFloat64() * float64(c.Replicas)
		}
	}
	return out
}

// evaluation is the per-cluster outcome, on the stack.
type evaluation struct {
	cluster   int
	observed  [maxResources]telemetry.Sample
	fresh     [maxResources]bool
	predicted [maxResources]float64
	scores    [maxResources]float64
	over      int  // the first active resource above its ceiling, or -1
	above     bool // some resource would go above its target with the workload
	missing   int  // active resources without fresh data
	active    int
	feasible  bool
	neutral   bool
	score     int64
}

// evaluate judges one cluster; without scoring it stops at what Filter needs. It allocates
// nothing.
func (st *state) evaluate(p *Plugin, cluster *clusterv1alpha1.Cluster, e *evaluation, scoring bool) {
	e.over = -1
	c, known := st.snap.Index(cluster.Name)
	e.cluster = -1
	if known {
		e.cluster = c
	}
	var sum, weights float64
	for i := range p.resources {
		if !st.active[i] {
			continue
		}
		r := &p.resources[i]
		e.active++
		if known {
			e.observed[i] = st.snap.Utilization(st.resIdx[i], c)
		}
		o := e.observed[i]
		e.fresh[i] = o.Time != 0 && st.nowMs-o.Time <= st.maxAgeMs
		s := float64(framework.NeutralScore)
		if e.fresh[i] {
			u := o.Value
			if e.over < 0 && r.ceiling < 1 && u > r.ceiling {
				e.over = i
			}
			if !scoring {
				continue
			}
			e.predicted[i] = Predict(u, st.request[i], allocatable(cluster, r.name))
			switch p.args.Mode {
			case LeastUtilized:
				s = LeastUtilizedScore(e.predicted[i])
			case Headroom:
				s = HeadroomScore(e.predicted[i], r.target, r.ceiling)
			default:
				s = TargetLoadPackingScore(e.predicted[i], r.target, r.ceiling)
			}
			if e.predicted[i] > r.target {
				e.above = true
			}
		} else {
			e.missing++
		}
		e.scores[i] = s
		sum += r.weight * s
		weights += r.weight
	}
	e.neutral = e.active == 0 || e.missing == e.active
	e.feasible = e.over < 0 && (!p.args.FailClosed || e.missing == 0)
	if !scoring {
		return
	}
	if e.neutral || weights == 0 {
		e.score = framework.NeutralScore
		return
	}
	e.score = int64(math.Round(sum / weights))
}

func allocatable(cluster *clusterv1alpha1.Cluster, name corev1.ResourceName) float64 {
	if cluster.Status.ResourceSummary == nil {
		return 0
	}
	q, ok := cluster.Status.ResourceSummary.Allocatable[name]
	if !ok {
		return 0
	}
	return q.AsApproximateFloat64()
}

// rejection says why Filter rejects.
func (p *Plugin) rejection(st *state, e *evaluation) string {
	if e.over >= 0 {
		r := p.resources[e.over]
		return fmt.Sprintf("%s utilization %.0f%% is above the ceiling %.0f%% (%s)", r.name, 100*e.observed[e.over].Value, 100*r.ceiling, age(st, e.observed[e.over]))
	}
	return fmt.Sprintf("no fresh utilization data for %s and the profile is fail-closed", strings.Join(p.missingNames(st, e), ", "))
}

func (p *Plugin) missingNames(st *state, e *evaluation) []string {
	var out []string
	for i, r := range p.resources {
		if st.active[i] && !e.fresh[i] {
			out = append(out, string(r.name))
		}
	}
	return out
}

func age(st *state, s telemetry.Sample) string {
	if !s.OK() {
		return "no sample"
	}
	return fmt.Sprintf("sample %s old", s.Age(st.now).Round(time.Second))
}

// Explain implements framework.Explainer.
func (p *Plugin) Explain(_ context.Context, snap *telemetry.Snapshot, spec *workv1alpha2.ResourceBindingSpec, cluster *clusterv1alpha1.Cluster) framework.Verdict {
	st := p.state(spec, snap)
	var e evaluation
	st.evaluate(p, cluster, &e, true)
	v := framework.Verdict{Feasible: e.feasible, Score: e.score, Neutral: e.neutral}
	if !e.feasible {
		v.Reasons = append(v.Reasons, p.rejection(st, &e))
	}
	for i, r := range p.resources {
		switch {
		case !st.active[i]:
			continue
		case !e.fresh[i]:
			what := "no sample"
			if e.cluster < 0 {
				what = "the cluster is unknown to telemetry"
			} else if e.observed[i].OK() {
				what = fmt.Sprintf("last sample %s old, older than %s", e.observed[i].Age(st.now).Round(time.Second), st.maxAge)
			}
			v.Reasons = append(v.Reasons, fmt.Sprintf("%s: no fresh utilization (%s): neutral %d", r.name, what, framework.NeutralScore))
		default:
			v.Reasons = append(v.Reasons, fmt.Sprintf("%s: %.0f%% observed (%s), %.0f%% with this workload, target %.0f%%, ceiling %.0f%%: %.0f",
				r.name, 100*e.observed[i].Value, age(st, e.observed[i]), 100*e.predicted[i], 100*r.target, 100*r.ceiling, e.scores[i]))
		}
	}
	if e.neutral {
		v.Reasons = append(v.Reasons, fmt.Sprintf("neutral score %d: no fresh utilization data", framework.NeutralScore))
	} else {
		v.Reasons = append(v.Reasons, fmt.Sprintf("score %d (%s)", e.score, p.args.Mode))
	}
	return v
}
