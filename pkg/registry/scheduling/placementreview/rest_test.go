package placementreview

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	worklisters "github.com/karmada-io/karmada/pkg/generated/listers/work/v1alpha2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"kurator.dev/kurator/pkg/apis/scheduling"
)

var evaluatedAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// recordingEvaluator records what it was asked and answers a fixed status.
type recordingEvaluator struct {
	schedulerName string
	binding       *workv1alpha2.ResourceBinding
	template      *unstructured.Unstructured
	status        *scheduling.PlacementReviewStatus
	err           error
}

func (e *recordingEvaluator) Evaluate(_ context.Context, schedulerName string, binding *workv1alpha2.ResourceBinding, template *unstructured.Unstructured) (*scheduling.PlacementReviewStatus, error) {
	e.schedulerName, e.binding, e.template = schedulerName, binding, template
	return e.status, e.err
}

func answer() *scheduling.PlacementReviewStatus {
	return &scheduling.PlacementReviewStatus{
		Clusters: []scheduling.ClusterEvaluation{
			{Name: "aliyun", Feasible: true, TotalScore: 150, Scores: []scheduling.PluginScore{{Plugin: "NetworkLatency", Score: 75, Weight: 2, WeightedScore: 150}}},
			{Name: "edge", Feasible: false, Filters: []scheduling.FilterVerdict{{Plugin: "ClusterUtilization", Passed: false, Reason: "cpu utilization 97% is above the ceiling 90%"}}},
		},
		SelectedClusters: []scheduling.SelectedCluster{{Name: "aliyun", Replicas: 3}},
		Notes:            []string{"telemetry stale: MeshTopology gave the neutral score"},
	}
}

func newREST(t *testing.T, evaluator Evaluator, bindings ...*workv1alpha2.ResourceBinding) *REST {
	t.Helper()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, rb := range bindings {
		if err := idx.Add(rb); err != nil {
			t.Fatal(err)
		}
	}
	return NewREST(Options{
		Bindings:       worklisters.NewResourceBindingLister(idx),
		BindingsSynced: func() bool { return true },
		Builder:        &BindingBuilder{Interpreter: NewDefaultInterpreter()},
		Evaluator:      evaluator,
		Now:            func() time.Time { return evaluatedAt },
	})
}

const deployment = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","annotations":{"latency.kurator.dev/peers":"core"}},
"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
"spec":{"containers":[{"name":"web","image":"web","resources":{"requests":{"cpu":"500m","memory":"1Gi"}}}]}}}}`

func templateReview(raw string) *scheduling.PlacementReview {
	return &scheduling.PlacementReview{
		ObjectMeta: metav1.ObjectMeta{Name: "why-web"},
		Spec: scheduling.PlacementReviewSpec{
			Resource:  &runtime.RawExtension{Raw: []byte(raw)},
			Placement: &policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"aliyun", "edge"}}},
		},
	}
}

func TestCreateTemplateReview(t *testing.T) {
	ev := &recordingEvaluator{status: answer()}
	r := newREST(t, ev)
	validated := false
	obj, err := r.Create(t.Context(), templateReview(deployment), func(context.Context, runtime.Object) error { validated = true; return nil }, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a review: %v", err)
	}
	if !validated {
		t.Error("admission validation was not called")
	}
	got := obj.(*scheduling.PlacementReview)
	if got.Name != "why-web" || len(got.Status.Clusters) != 2 || got.Status.SelectedClusters[0].Name != "aliyun" {
		t.Errorf("review = %+v, want the evaluator's answer under the review's name", got)
	}
	if got.Status.SchedulerName != DefaultSchedulerName || got.Status.Replicas != 3 || !got.Status.EvaluationTime.Equal(&metav1.Time{Time: evaluatedAt}) {
		t.Errorf("status scheduler %q, replicas %d, time %v: want the defaults filled in", got.Status.SchedulerName, got.Status.Replicas, got.Status.EvaluationTime)
	}
	if ev.schedulerName != DefaultSchedulerName {
		t.Errorf("evaluated with scheduler %q, want %q", ev.schedulerName, DefaultSchedulerName)
	}
	rb := ev.binding
	if rb.Name != "web-deployment" || rb.Namespace != "shop" || rb.Spec.Resource.Kind != "Deployment" || rb.Spec.Replicas != 3 ||
		rb.Spec.Placement == nil || len(rb.Spec.Placement.ClusterAffinity.ClusterNames) != 2 {
		t.Errorf("binding built from the template = %+v", rb)
	}
	if rb.Spec.ReplicaRequirements == nil || !rb.Spec.ReplicaRequirements.ResourceRequest.Cpu().Equal(resource.MustParse("500m")) {
		t.Errorf("replica requirements = %+v, want cpu 500m per replica as Karmada interprets it", rb.Spec.ReplicaRequirements)
	}
	if ev.template == nil || ev.template.GetAnnotations()["latency.kurator.dev/peers"] != "core" {
		t.Errorf("the evaluator did not get the template with its annotations: %v", ev.template)
	}
	if len(got.Status.Notes) != 1 || got.Status.Notes[0] != "telemetry stale: MeshTopology gave the neutral score" {
		t.Errorf("notes = %q", got.Status.Notes)
	}
}

func TestCreateVolcanoJobComponents(t *testing.T) {
	const job = `{"apiVersion":"batch.volcano.sh/v1alpha1","kind":"Job","metadata":{"name":"train","namespace":"ml"},
"spec":{"minAvailable":3,"tasks":[
 {"name":"ps","replicas":1,"template":{"spec":{"containers":[{"name":"ps","image":"ps","resources":{"requests":{"cpu":"1"}}}]}}},
 {"name":"worker","replicas":2,"template":{"spec":{"containers":[{"name":"w","image":"w","resources":{"requests":{"cpu":"2","nvidia.com/gpu":"1"}}}]}}}]}}`
	ev := &recordingEvaluator{status: &scheduling.PlacementReviewStatus{}}
	r := newREST(t, ev)
	r.opts.Builder.MultiplePodTemplatesScheduling = true
	if _, err := r.Create(t.Context(), templateReview(job), nil, &metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var components []string
	for _, c := range ev.binding.Spec.Components {
		components = append(components, c.Name)
	}
	if strings.Join(components, ",") != "ps,worker" {
		t.Errorf("components = %v, want one per task (ps, worker) with MultiplePodTemplatesScheduling", components)
	}

	// Karmada interprets Volcano Jobs only as components: without the gate (Karmada's
	// default) the job has no replicas, and the review says so.
	r.opts.Builder.MultiplePodTemplatesScheduling = false
	obj, err := r.Create(t.Context(), templateReview(job), nil, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.binding.Spec.Components) != 0 || ev.binding.Spec.Replicas != 0 {
		t.Errorf("without the gate: components %v, replicas %d; want neither", ev.binding.Spec.Components, ev.binding.Spec.Replicas)
	}
	if notes := obj.(*scheduling.PlacementReview).Status.Notes; len(notes) != 1 || !strings.Contains(notes[0], "batch.volcano.sh/v1alpha1/Job train has no replicas") {
		t.Errorf("notes = %q, want one saying the job has no interpretable replicas", notes)
	}
}

func TestCreateBindingReview(t *testing.T) {
	rb := &workv1alpha2.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ml", Name: "train-job"},
		Spec: workv1alpha2.ResourceBindingSpec{
			SchedulerName: "kurator-scheduler", Replicas: 4,
			Resource:   workv1alpha2.ObjectReference{APIVersion: "batch.volcano.sh/v1alpha1", Kind: "Job", Namespace: "ml", Name: "train"},
			Suspension: &workv1alpha2.Suspension{Scheduling: ptr.To(true)},
		},
	}
	ev := &recordingEvaluator{status: answer()}
	r := newREST(t, ev, rb)
	review := &scheduling.PlacementReview{Spec: scheduling.PlacementReviewSpec{ResourceBinding: &scheduling.ResourceBindingReference{Namespace: "ml", Name: "train-job"}}}
	obj, err := r.Create(t.Context(), review, nil, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := obj.(*scheduling.PlacementReview)
	if ev.schedulerName != "kurator-scheduler" || ev.template != nil || ev.binding.Spec.Replicas != 4 {
		t.Errorf("evaluated %q with template %v and binding %+v; want the binding's own scheduler and no template", ev.schedulerName, ev.template, ev.binding.Spec)
	}
	if len(got.Status.Notes) != 2 || !strings.Contains(got.Status.Notes[0], "spec.suspension.scheduling=true") {
		t.Errorf("notes = %q, want the suspension note first, then the evaluator's", got.Status.Notes)
	}
	if got.Status.Replicas != 4 || got.Status.SchedulerName != "kurator-scheduler" {
		t.Errorf("status replicas %d, scheduler %q", got.Status.Replicas, got.Status.SchedulerName)
	}
	ev.binding.Spec.Replicas = 99
	again, _ := r.opts.Bindings.ResourceBindings("ml").Get("train-job")
	if again.Spec.Replicas != 4 {
		t.Error("the evaluator received the cached binding itself, not a copy")
	}

	review.Spec.SchedulerName = "other-profile"
	if _, err := r.Create(t.Context(), review, nil, &metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev.schedulerName != "other-profile" {
		t.Errorf("spec.schedulerName did not override the binding's scheduler: %q", ev.schedulerName)
	}
}

func TestCreateErrors(t *testing.T) {
	ev := &recordingEvaluator{status: answer()}
	r := newREST(t, ev)
	missing := &scheduling.PlacementReview{Spec: scheduling.PlacementReviewSpec{ResourceBinding: &scheduling.ResourceBindingReference{Namespace: "ml", Name: "nope"}}}
	_, err := r.Create(t.Context(), missing, nil, &metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `spec.resourceBinding: Not found: "ml/nope"`) {
		t.Errorf("reviewing a binding that does not exist: %v, want 422 on spec.resourceBinding", err)
	}

	_, err = r.Create(t.Context(), &scheduling.PlacementReview{}, nil, &metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Errorf("an empty review: %v, want 422", err)
	}
	if ev.binding != nil {
		t.Error("an invalid review reached the evaluator")
	}

	rejected := errors.New("rejected by admission")
	if _, err := r.Create(t.Context(), templateReview(deployment), func(context.Context, runtime.Object) error { return rejected }, nil); !errors.Is(err, rejected) {
		t.Errorf("admission rejection: got %v", err)
	}

	unknown := apierrors.NewInvalid(scheduling.Kind("PlacementReview"), "", field.ErrorList{field.NotSupported(field.NewPath("spec", "schedulerName"), "nope", []string{"default-scheduler"})})
	ev.err = unknown
	if _, err := r.Create(t.Context(), templateReview(deployment), nil, nil); err != unknown {
		t.Errorf("an evaluator's API error must reach the client as is, got %v", err)
	}
	ev.err = errors.New("plugin panicked")
	if _, err := r.Create(t.Context(), templateReview(deployment), nil, nil); !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), "evaluating Deployment shop/web with scheduler default-scheduler: plugin panicked") {
		t.Errorf("an evaluator failure: got %v, want an internal error naming the workload", err)
	}

	none := newREST(t, nil)
	if _, err := none.Create(t.Context(), templateReview(deployment), nil, nil); !apierrors.IsServiceUnavailable(err) || !strings.Contains(err.Error(), "no evaluator") {
		t.Errorf("without an evaluator: got %v, want 503", err)
	}
	if _, err := none.Create(t.Context(), &scheduling.PlacementReview{}, nil, nil); !apierrors.IsInvalid(err) {
		t.Errorf("without an evaluator, an invalid review must still get 422: %v", err)
	}

	unsynced := newREST(t, ev)
	unsynced.opts.BindingsSynced = func() bool { return false }
	if _, err := unsynced.Create(t.Context(), missing, nil, nil); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("reviewing a binding before the bindings are listed: %v, want 503", err)
	}
}
