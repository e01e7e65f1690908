package apiserver

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"kurator.dev/kurator/pkg/apis/scheduling"
	fleetstorage "kurator.dev/kurator/pkg/registry/fleet/fleet"
	"kurator.dev/kurator/pkg/registry/scheduling/placementreview"
	"kurator.dev/kurator/pkg/scheduler"
	"kurator.dev/kurator/pkg/telemetry"
)

// DefaultSchedulerName is the scheduler name of a profile that sets none: Karmada's.
const DefaultSchedulerName = placementreview.DefaultSchedulerName

// SchedulerEvaluator evaluates PlacementReviews with kurator-scheduler's own profiles and
// plugin code (pkg/scheduler): filters, weighted scores, Karmada's estimators and Karmada's
// cluster selection and replica assignment. It implements placementreview.Evaluator.
type SchedulerEvaluator struct {
	profiles map[string]*scheduler.Profile
	clusters fleetstorage.ClusterLister
	opts     SchedulerEvaluatorOptions

	mu      sync.RWMutex
	running map[string]*scheduler.Evaluator
}

var _ placementreview.Evaluator = &SchedulerEvaluator{}

// SchedulerEvaluatorOptions configure a SchedulerEvaluator.
type SchedulerEvaluatorOptions struct {
	// KarmadaConfig reaches the Karmada apiserver, where the plugins read the metadata of
	// existing resource templates; nil for none (only reviews carrying a template, or
	// bindings whose templates need no reading, are then evaluated fully).
	KarmadaConfig *rest.Config
	// Querier replaces the HTTP client of the profiles' telemetry sources. For tests.
	Querier telemetry.Querier
	// Estimators, when enabled, connect the estimation to the members' scheduler-estimators.
	Estimators *EstimatorOptions
	// MultiTemplate mirrors Karmada's MultiplePodTemplatesScheduling feature gate: bindings
	// of several components placed on one cluster are estimated in component sets.
	MultiTemplate bool
}

// NewSchedulerEvaluator loads kurator-scheduler profiles (KubeSchedulerConfiguration files),
// keyed by their schedulerName ("default-scheduler" when a profile sets none). Candidate
// clusters come from clusters. Nothing runs until Start.
func NewSchedulerEvaluator(paths []string, clusters fleetstorage.ClusterLister, opts SchedulerEvaluatorOptions) (*SchedulerEvaluator, error) {
	e := &SchedulerEvaluator{profiles: map[string]*scheduler.Profile{}, clusters: clusters, opts: opts, running: map[string]*scheduler.Evaluator{}}
	catalog := scheduler.DefaultCatalog()
	for _, path := range paths {
		p, err := scheduler.LoadProfile(path, catalog)
		if err != nil {
			return nil, err
		}
		name := p.SchedulerName
		if name == "" {
			name = DefaultSchedulerName
		}
		if _, dup := e.profiles[name]; dup {
			return nil, fmt.Errorf("scheduler profile %s: another profile already has schedulerName %q", path, name)
		}
		e.profiles[name] = p
	}
	return e, nil
}

// Start starts every profile's runtime (its telemetry source and template metadata cache)
// and builds its plugins; they stop with ctx. Reviews get 503 until then.
func (e *SchedulerEvaluator) Start(ctx context.Context) error {
	if o := e.opts.Estimators; o != nil && o.Enabled && e.opts.KarmadaConfig != nil {
		kube, err := kubernetes.NewForConfig(e.opts.KarmadaConfig)
		if err != nil {
			return fmt.Errorf("building the client that finds the scheduler-estimators: %w", err)
		}
		StartEstimators(ctx, o, kube, e.clusters)
	}
	for name, p := range e.profiles {
		rt, err := scheduler.StartRuntime(ctx, p, scheduler.RuntimeOptions{KarmadaConfig: e.opts.KarmadaConfig, Querier: e.opts.Querier})
		if err != nil {
			return fmt.Errorf("starting the runtime of scheduler profile %s: %w", name, err)
		}
		ev, err := scheduler.NewEvaluator(p, rt)
		if err != nil {
			return fmt.Errorf("building the plugins of scheduler profile %s: %w", name, err)
		}
		e.mu.Lock()
		e.running[name] = ev
		e.mu.Unlock()
		klog.InfoS("Scheduler profile ready for placement reviews", "schedulerName", name, "plugins", p.String(), "telemetry", p.Telemetry.URL)
	}
	return nil
}

// Evaluate implements placementreview.Evaluator.
func (e *SchedulerEvaluator) Evaluate(ctx context.Context, schedulerName string, rb *workv1alpha2.ResourceBinding, template *unstructured.Unstructured) (*scheduling.PlacementReviewStatus, error) {
	if _, ok := e.profiles[schedulerName]; !ok {
		return nil, apierrors.NewInvalid(scheduling.Kind("PlacementReview"), "", field.ErrorList{field.NotSupported(
			field.NewPath("spec", "schedulerName"), schedulerName, sets.List(sets.KeySet(e.profiles)))})
	}
	e.mu.RLock()
	ev := e.running[schedulerName]
	e.mu.RUnlock()
	if ev == nil {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("the plugins of scheduler profile %s are starting; try again in a moment", schedulerName))
	}
	if !e.clusters.HasSynced() {
		return nil, apierrors.NewServiceUnavailable("kurator-apiserver has not listed the Clusters of the Karmada apiserver yet; it keeps retrying")
	}
	all, err := e.clusters.List()
	if err != nil {
		return nil, fmt.Errorf("listing Karmada Clusters: %w", err)
	}
	// As Karmada's scheduler: every cluster but those being deleted; readiness is the
	// placement's business (cluster tolerations).
	var clusters []*clusterv1alpha1.Cluster
	for _, c := range all {
		if c.DeletionTimestamp.IsZero() {
			clusters = append(clusters, c)
		}
	}
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })

	// A new spec per review: the plugins remember their work per spec object.
	spec := rb.Spec.DeepCopy()
	in := scheduler.Input{Spec: spec, Status: rb.Status.DeepCopy(), Clusters: clusters}
	if template != nil {
		if spec.Resource.UID == "" {
			// The plugins also key that memory by UID and resourceVersion, which a template
			// that does not exist lacks: give it an identity of its own.
			spec.Resource.UID = uuid.NewUUID()
		}
		in.Template = &metav1.ObjectMeta{Name: template.GetName(), Namespace: template.GetNamespace(), Labels: template.GetLabels(), Annotations: template.GetAnnotations()}
	}
	evaluation := ev.Evaluate(ctx, in)
	st := &scheduling.PlacementReviewStatus{SchedulerName: schedulerName, Replicas: spec.Replicas}
	st.Notes = append(st.Notes, telemetryNotes(evaluation)...)

	estimates, errs := scheduler.Estimate(ctx, spec, clusters, e.opts.MultiTemplate)
	for _, name := range sets.List(sets.KeySet(errs)) {
		st.Notes = append(st.Notes, fmt.Sprintf("estimator %s failed, so Karmada's scheduler ignores its answers for this binding: %v", estimatorName(name), errs[name]))
	}
	if o := e.opts.Estimators; (o == nil || !o.Enabled) && (spec.ReplicaRequirements != nil || len(spec.Components) > 0) {
		st.Notes = append(st.Notes, "the members' scheduler-estimator services were not asked (kurator-apiserver runs without --enable-scheduler-estimator): estimates are the general estimator's, from each Cluster's resource summary")
	}
	for _, c := range evaluation.Clusters {
		st.Clusters = append(st.Clusters, clusterEvaluation(c, estimates))
	}
	sort.Slice(st.Clusters, func(i, j int) bool { return st.Clusters[i].Name < st.Clusters[j].Name })

	targets, err := scheduler.Select(in, evaluation)
	if err != nil {
		st.Notes = append(st.Notes, "no cluster would be selected: "+err.Error())
	}
	for _, t := range targets {
		st.SelectedClusters = append(st.SelectedClusters, scheduling.SelectedCluster{Name: t.Name, Replicas: t.Replicas})
	}
	sort.Slice(st.SelectedClusters, func(i, j int) bool { return st.SelectedClusters[i].Name < st.SelectedClusters[j].Name })
	st.Notes = append(st.Notes, neutralNotes(evaluation)...)
	return st, nil
}

// schedulerEstimatorKey is the name Karmada registers its gRPC scheduler-estimator client under.
const schedulerEstimatorKey = "scheduler-estimator"

// clusterEvaluation turns the scheduler's verdict on a cluster into the API's.
func clusterEvaluation(c scheduler.ClusterEvaluation, estimates map[string][]workv1alpha2.TargetCluster) scheduling.ClusterEvaluation {
	out := scheduling.ClusterEvaluation{Name: c.Cluster, Feasible: c.Feasible, TotalScore: c.TotalScore}
	for _, f := range c.Filters {
		out.Filters = append(out.Filters, scheduling.FilterVerdict{Plugin: f.Plugin, Passed: f.Feasible, Reason: strings.Join(f.Reasons, "; ")})
	}
	for _, s := range c.Scores {
		out.Scores = append(out.Scores, scheduling.PluginScore{Plugin: s.Plugin, Score: s.Score, Weight: s.Weight, WeightedScore: s.Weighted, Neutral: s.Neutral, Reasons: s.Reasons})
	}
	names := make([]string, 0, len(estimates))
	for name := range estimates {
		names = append(names, name)
	}
	sort.Strings(names)
	var lowest *int32
	for _, name := range names {
		for _, t := range estimates[name] {
			if t.Name != c.Cluster {
				continue
			}
			e := scheduling.ReplicaEstimate{Estimator: estimatorName(name), Replicas: t.Replicas}
			switch {
			case t.Replicas < 0:
				e.Replicas, e.Reason = -1, "no opinion"
			case t.Replicas == math.MaxInt32:
				e.Reason = "no limit: the workload requests no resources this estimator counts"
			}
			out.Estimates = append(out.Estimates, e)
			if e.Replicas >= 0 && (lowest == nil || e.Replicas < *lowest) {
				v := e.Replicas
				lowest = &v
			}
		}
	}
	out.EstimatedReplicas = lowest
	return out
}

// estimatorName is the API's name of one of Karmada's registered estimators.
func estimatorName(key string) string {
	switch {
	case strings.HasPrefix(key, "general"):
		return scheduling.EstimatorGeneral
	case key == schedulerEstimatorKey:
		return scheduling.EstimatorSchedulerEstimator
	default:
		return key
	}
}

// telemetryNotes say how fresh the telemetry behind the evaluation was.
func telemetryNotes(ev *scheduler.Evaluation) []string {
	var notes []string
	switch {
	case ev.SnapshotGeneration == 0:
		notes = append(notes, "telemetry not available yet: the profile's telemetry source has not completed a refresh, so kurator's telemetry plugins judged every cluster neutrally")
	case ev.TelemetryStale && ev.TelemetryAge < 0:
		notes = append(notes, "telemetry stale: no telemetry query has ever succeeded, so kurator's telemetry plugins gave neutral scores and let clusters pass (unless fail-closed)")
	case ev.TelemetryStale:
		notes = append(notes, fmt.Sprintf("telemetry stale: the last successful query was %s ago, so kurator's telemetry plugins gave neutral scores and let clusters pass (unless fail-closed)",
			ev.TelemetryAge.Round(time.Second)))
	default:
		notes = append(notes, fmt.Sprintf("telemetry fresh: snapshot %d taken at %s", ev.SnapshotGeneration, ev.SnapshotTime.UTC().Format(time.RFC3339)))
	}
	for _, p := range ev.TelemetryProblems {
		notes = append(notes, "telemetry: "+p)
	}
	return notes
}

// neutralNotes name, per plugin, the clusters it judged without data.
func neutralNotes(ev *scheduler.Evaluation) []string {
	neutral := map[string][]string{}
	var plugins []string
	add := func(plugin, cluster string) {
		if _, ok := neutral[plugin]; !ok {
			plugins = append(plugins, plugin)
		}
		neutral[plugin] = append(neutral[plugin], cluster)
	}
	for _, c := range ev.Clusters {
		for _, s := range c.Scores {
			if s.Neutral {
				add(s.Plugin, c.Cluster)
			}
		}
		for _, f := range c.Filters {
			if f.Neutral && (len(c.Scores) == 0 || !hasScore(c.Scores, f.Plugin)) {
				add(f.Plugin, c.Cluster)
			}
		}
	}
	sort.Strings(plugins)
	var notes []string
	for _, p := range plugins {
		notes = append(notes, fmt.Sprintf("%s lacked fresh data for %s and answered neutrally (see its reasons)", p, strings.Join(sets.List(sets.New(neutral[p]...)), ", ")))
	}
	return notes
}

func hasScore(scores []scheduler.ScoreVerdict, plugin string) bool {
	for _, s := range scores {
		if s.Plugin == plugin {
			return true
		}
	}
	return false
}
