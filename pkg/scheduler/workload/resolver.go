package workload

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"

	"kurator.dev/kurator/pkg/scheduler/framework"
	"kurator.dev/kurator/pkg/telemetry"
)

// Workload is a binding's network intent with its peers resolved against a snapshot.
type Workload struct {
	Intent
	// Peers are the declared and observed peers with where they run.
	Peers []Peer
	// TemplateError says why the template's annotations could not be read; the intent then
	// has no declared peers, no SLO and does not require the mesh.
	TemplateError string
}

// Resolver resolves bindings into Workloads and remembers the last one, so that the calls
// for the other clusters of the same binding find it again.
type Resolver struct {
	templates framework.TemplateGetter
	observe   bool
	last      atomic.Pointer[resolved]
}

type resolved struct {
	key framework.BindingKey
	w   *Workload
}

// NewResolver returns a Resolver reading templates with templates, which may be nil (only
// observed peers then count). With observe false, peers seen in the traffic graph are ignored.
func NewResolver(templates framework.TemplateGetter, observe bool) *Resolver {
	return &Resolver{templates: templates, observe: observe}
}

// Resolve returns the workload of a binding spec against a snapshot.
func (r *Resolver) Resolve(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, snap *telemetry.Snapshot, now time.Time) *Workload {
	if last := r.last.Load(); last != nil && last.key.Matches(spec, snap) {
		return last.w
	}
	w := r.resolve(ctx, spec, snap, now)
	r.last.Store(&resolved{key: framework.KeyOf(spec, snap), w: w})
	return w
}

func (r *Resolver) resolve(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, snap *telemetry.Snapshot, now time.Time) *Workload {
	ref := &spec.Resource
	var annotations map[string]string
	var templateErr string
	if meta := framework.TemplateFrom(ctx); meta != nil {
		annotations = meta.Annotations
	} else if r.templates == nil {
		templateErr = "resource templates are not readable by this scheduler; only observed peers count"
	} else if meta, err := r.templates.Get(ctx, ref); err != nil {
		templateErr = fmt.Sprintf("reading %s %s: %v", ref.Kind, namespacedName(ref), err)
	} else {
		annotations = meta.Annotations
	}
	w := &Workload{Intent: ParseIntent(ref.Name, ref.Namespace, annotations), TemplateError: templateErr}
	w.Observe = w.Observe && r.observe
	w.Peers = ResolvePeers(&w.Intent, snap, now)
	return w
}

func namespacedName(ref *workv1alpha2.ObjectReference) string {
	if ref.Namespace == "" {
		return ref.Name
	}
	return ref.Namespace + "/" + ref.Name
}
