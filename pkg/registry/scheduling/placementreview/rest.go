// Package placementreview is the storage of the PlacementReview kind: create-only, like
// SubjectAccessReview. A review is validated, its workload resolved into the ResourceBinding
// kurator-scheduler would see, evaluated by the scheduler's own plugin code through an
// Evaluator, and returned; nothing is stored.
package placementreview

import (
	"context"
	"errors"
	"fmt"
	"time"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	worklisters "github.com/karmada-io/karmada/pkg/generated/listers/work/v1alpha2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/client-go/tools/cache"

	"kurator.dev/kurator/pkg/apis/scheduling"
	"kurator.dev/kurator/pkg/apis/scheduling/validation"
)

// NoEvaluatorMessage is the message of the 503 answered while no Evaluator is configured.
const NoEvaluatorMessage = "placement evaluation is not available in this kurator-apiserver: it has no evaluator of kurator-scheduler's profiles; the review was validated but not evaluated"

// Options are what the storage of placementreviews needs.
type Options struct {
	// Bindings gets the ResourceBindings of the Karmada apiserver.
	Bindings worklisters.ResourceBindingLister
	// BindingsSynced reports whether Bindings has been filled once.
	BindingsSynced cache.InformerSynced
	// Builder builds the binding of a template review.
	Builder *BindingBuilder
	// Evaluator evaluates bindings; nil answers every valid review with 503.
	Evaluator Evaluator
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// REST serves the placementreviews resource: create only.
type REST struct {
	opts Options
}

var (
	_ rest.Storage              = &REST{}
	_ rest.Scoper               = &REST{}
	_ rest.Creater              = &REST{} //nolint:misspell // the interface is named so in k8s.io/apiserver
	_ rest.SingularNameProvider = &REST{}
)

// NewREST returns the storage of placementreviews.
func NewREST(opts Options) *REST {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &REST{opts: opts}
}

// New returns an empty PlacementReview.
func (r *REST) New() runtime.Object { return &scheduling.PlacementReview{} }

// Destroy does nothing: the storage holds nothing.
func (r *REST) Destroy() {}

// NamespaceScoped is false: a review may name a binding of any namespace.
func (r *REST) NamespaceScoped() bool { return false }

// GetSingularName returns placementreview.
func (r *REST) GetSingularName() string { return "placementreview" }

// Create validates the review, resolves its workload, evaluates it and returns the review
// with its status. Nothing is stored.
func (r *REST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	pr, ok := obj.(*scheduling.PlacementReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected a PlacementReview, got %T", obj))
	}
	if errs := validation.ValidatePlacementReview(pr); len(errs) > 0 {
		return nil, apierrors.NewInvalid(scheduling.Kind("PlacementReview"), pr.Name, errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	binding, template, notes, err := r.resolve(pr)
	if err != nil {
		return nil, err
	}
	if r.opts.Evaluator == nil {
		return nil, apierrors.NewServiceUnavailable(NoEvaluatorMessage)
	}
	schedulerName := binding.Spec.SchedulerName
	if schedulerName == "" {
		schedulerName = DefaultSchedulerName
	}
	now := r.opts.Now()
	status, err := r.opts.Evaluator.Evaluate(ctx, schedulerName, binding, template)
	if err != nil {
		var apiStatus apierrors.APIStatus
		if errors.As(err, &apiStatus) {
			return nil, err
		}
		return nil, apierrors.NewInternalError(fmt.Errorf("evaluating %s %s/%s with scheduler %s: %w",
			binding.Spec.Resource.Kind, binding.Namespace, binding.Spec.Resource.Name, schedulerName, err))
	}
	out := pr.DeepCopy()
	if status != nil {
		out.Status = *status.DeepCopy()
	}
	if out.Status.SchedulerName == "" {
		out.Status.SchedulerName = schedulerName
	}
	if out.Status.Replicas == 0 {
		out.Status.Replicas = binding.Spec.Replicas
	}
	if out.Status.EvaluationTime == nil {
		out.Status.EvaluationTime = &metav1.Time{Time: now}
	}
	out.Status.Notes = append(notes, out.Status.Notes...)
	return out, nil
}

// resolve returns the binding to evaluate, the template when the review carries one, and
// notes about how they were obtained.
func (r *REST) resolve(pr *scheduling.PlacementReview) (*workv1alpha2.ResourceBinding, *unstructured.Unstructured, []string, error) {
	spec := &pr.Spec
	if ref := spec.ResourceBinding; ref != nil {
		if r.opts.Bindings == nil || r.opts.BindingsSynced == nil || !r.opts.BindingsSynced() {
			return nil, nil, nil, apierrors.NewServiceUnavailable(
				"kurator-apiserver has not listed the ResourceBindings of the Karmada apiserver yet; it keeps retrying (check its logs and RBAC)")
		}
		rb, err := r.opts.Bindings.ResourceBindings(ref.Namespace).Get(ref.Name)
		if apierrors.IsNotFound(err) {
			return nil, nil, nil, apierrors.NewInvalid(scheduling.Kind("PlacementReview"), pr.Name, field.ErrorList{
				field.NotFound(field.NewPath("spec", "resourceBinding"), ref.Namespace+"/"+ref.Name),
			})
		}
		if err != nil {
			return nil, nil, nil, apierrors.NewInternalError(fmt.Errorf("getting ResourceBinding %s/%s: %w", ref.Namespace, ref.Name, err))
		}
		rb = rb.DeepCopy()
		var notes []string
		if s := rb.Spec.Suspension; s != nil && s.Scheduling != nil && *s.Scheduling {
			notes = append(notes, fmt.Sprintf("ResourceBinding %s/%s has spec.suspension.scheduling=true: the scheduler leaves it alone until it is released (the fleet queue does this for Volcano Jobs); this review shows where it would go if released now", rb.Namespace, rb.Name))
		}
		if spec.SchedulerName != "" {
			rb.Spec.SchedulerName = spec.SchedulerName
		}
		return rb, nil, notes, nil
	}

	template := &unstructured.Unstructured{}
	if err := template.UnmarshalJSON(spec.Resource.Raw); err != nil {
		return nil, nil, nil, apierrors.NewInvalid(scheduling.Kind("PlacementReview"), pr.Name, field.ErrorList{
			field.Invalid(field.NewPath("spec", "resource"), "<resource>", "must be a Kubernetes object: "+err.Error()),
		})
	}
	rb, err := r.opts.Builder.Build(template, spec.Placement, spec.SchedulerName)
	if err != nil {
		return nil, nil, nil, apierrors.NewInvalid(scheduling.Kind("PlacementReview"), pr.Name, field.ErrorList{
			field.Invalid(field.NewPath("spec", "resource"), "<resource>", "Karmada's resource interpreter cannot read it: "+err.Error()),
		})
	}
	var notes []string
	if rb.Spec.Replicas == 0 && rb.Spec.ReplicaRequirements == nil && len(rb.Spec.Components) == 0 {
		notes = append(notes, fmt.Sprintf("%s %s has no replicas Karmada's built-in resource interpreter can read: it is evaluated as a workload without replicas (ResourceInterpreterCustomizations of the Karmada apiserver are not applied to reviews)",
			template.GetAPIVersion()+"/"+template.GetKind(), template.GetName()))
	}
	return rb, template, notes, nil
}
