// Package framework is what kurator's scheduler plugins share: the Handle through which they
// read telemetry, resource templates and clusters, the neutral score, and the Verdict with
// which they explain an answer to PlacementReview.
//
// Karmada's own framework (github.com/karmada-io/karmada/pkg/scheduler/framework) runs the
// plugins; this package only adds what Karmada's plugin factories cannot pass: arguments and
// shared state.
package framework

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"

	"kurator.dev/kurator/pkg/telemetry"
)

// NeutralScore is the score of a cluster a plugin cannot judge because its data is missing
// or stale: the middle of Karmada's 0..100 scale, so that such a cluster neither wins nor
// loses on this plugin's account. When a plugin cannot judge any cluster, every cluster gets
// it and the plugin does not change the order.
const NeutralScore int64 = 50

// APIVersion is the apiVersion of kurator's plugin arguments in a scheduler profile.
const APIVersion = "config.kurator.dev/v1alpha1"

// Handle gives plugins what the scheduler knows beyond a binding and a cluster.
type Handle interface {
	// Telemetry returns the latest telemetry snapshot; never nil.
	Telemetry() *telemetry.Snapshot
	// Names translates cluster names between Karmada, Thanos and Istio.
	Names() *telemetry.Names
	// Templates reads the metadata of resource templates; nil when unavailable.
	Templates() TemplateGetter
	// Clusters reads Karmada clusters; nil when unavailable.
	Clusters() ClusterGetter
	// Now is the clock.
	Now() time.Time
}

// TemplateGetter reads the metadata (labels and annotations) of a binding's resource
// template, which the binding spec does not carry.
type TemplateGetter interface {
	// Get returns the template's metadata. It is called once per binding and snapshot, not
	// per cluster.
	Get(ctx context.Context, ref *workv1alpha2.ObjectReference) (*metav1.ObjectMeta, error)
}

// ClusterGetter reads Karmada clusters by name; Karmada's generated ClusterLister satisfies it.
type ClusterGetter interface {
	Get(name string) (*clusterv1alpha1.Cluster, error)
}

// Verdict is a plugin's answer about one cluster, with its reasons: what Filter and Score
// return, and why.
type Verdict struct {
	// Feasible is the Filter answer.
	Feasible bool
	// Score is the unweighted Score answer, 0..100.
	Score int64
	// Neutral says the plugin could not judge the cluster (missing or stale data) and gave
	// it NeutralScore, or let it pass its filter unless fail-closed.
	Neutral bool
	// Reasons explain the answer in words.
	Reasons []string
}

// Explainer is implemented by kurator's plugins: Explain answers what Filter and Score answer
// for the given snapshot, with reasons.
type Explainer interface {
	Explain(ctx context.Context, snap *telemetry.Snapshot, spec *workv1alpha2.ResourceBindingSpec, cluster *clusterv1alpha1.Cluster) Verdict
}

// Normalizer is implemented by kurator plugins whose NormalizeScore depends on the binding:
// NormalizeFor normalizes the scores of one binding's feasible clusters, like NormalizeScore,
// and returns a note per score it changed ("" for the others), or nil when it changed none.
type Normalizer interface {
	NormalizeFor(ctx context.Context, snap *telemetry.Snapshot, spec *workv1alpha2.ResourceBindingSpec, scores karmadafw.ClusterScoreList) []string
}

// StaticHandle is a Handle over fixed inputs: tests, simulations and evaluations of a given
// snapshot.
type StaticHandle struct {
	Snapshot       *telemetry.Snapshot
	NameMapping    *telemetry.Names
	TemplateGetter TemplateGetter
	ClusterGetter  ClusterGetter
	Clock          func() time.Time
}

// emptySnapshot is the snapshot of a handle without telemetry; one value, so that the
// plugins' per-snapshot caches hit.
var emptySnapshot = telemetry.Empty()

// Telemetry implements Handle.
func (h *StaticHandle) Telemetry() *telemetry.Snapshot {
	if h.Snapshot == nil {
		return emptySnapshot
	}
	return h.Snapshot
}

// Names implements Handle.
func (h *StaticHandle) Names() *telemetry.Names {
	if h.NameMapping == nil {
		return telemetry.NewNames(nil, false)
	}
	return h.NameMapping
}

// Templates implements Handle.
func (h *StaticHandle) Templates() TemplateGetter { return h.TemplateGetter }

// Clusters implements Handle.
func (h *StaticHandle) Clusters() ClusterGetter { return h.ClusterGetter }

// Now implements Handle.
func (h *StaticHandle) Now() time.Time {
	if h.Clock == nil {
		return time.Now()
	}
	return h.Clock()
}

type templateKey struct{}

// WithTemplate returns a context that carries the metadata of the binding's resource
// template, which plugins then use instead of reading it: PlacementReview evaluates templates
// that do not exist yet.
func WithTemplate(ctx context.Context, meta *metav1.ObjectMeta) context.Context {
	return context.WithValue(ctx, templateKey{}, meta)
}

// TemplateFrom returns the template metadata WithTemplate put in ctx, or nil.
func TemplateFrom(ctx context.Context) *metav1.ObjectMeta {
	meta, _ := ctx.Value(templateKey{}).(*metav1.ObjectMeta)
	return meta
}
