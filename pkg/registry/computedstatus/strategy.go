package computedstatus

import (
	"context"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/apiserver/pkg/warning"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// Object is the internal type of a kind with a computed status: a pointer to the kind's
// struct, which has object metadata.
type Object interface {
	runtime.Object
	metav1.Object
}

// Kind describes a cluster-scoped kind whose status is computed on every read and never
// stored: T is its internal type, Spec and Status the types of its spec and status.
type Kind[T Object, Spec, Status any] struct {
	// Name is the name of the kind in error messages, such as "Fleet".
	Name string
	// GroupVersion is the version of the kind's API whose fields writes reset.
	GroupVersion schema.GroupVersion
	// StatusNotStoredWarning is the warning returned to a client that writes a status.
	StatusNotStoredWarning string
	// Spec returns the spec of an object.
	Spec func(T) *Spec
	// Status returns the status of an object.
	Status func(T) *Status
	// Validate validates a new object.
	Validate func(obj T) field.ErrorList
	// ValidateUpdate validates an update of an object.
	ValidateUpdate func(obj, old T) field.ErrorList
	// ValidateStatusUpdate validates an update through the status subresource.
	ValidateStatusUpdate func(obj, old T) field.ErrorList
}

// clearStatus clears the status of obj, which is never stored.
func (k Kind[T, Spec, Status]) clearStatus(obj T) {
	var empty Status
	*k.Status(obj) = empty
}

// GetAttrs returns the labels and fields of an object of the kind, for label and field
// selectors.
func (k Kind[T, Spec, Status]) GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	o, ok := obj.(T)
	if !ok {
		return nil, nil, fmt.Errorf("expected a %s, got %T", k.Name, obj)
	}
	return o.GetLabels(), SelectableFields(o), nil
}

// Matcher returns the predicate that selects objects of the kind by label and field.
func (k Kind[T, Spec, Status]) Matcher(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{
		Label:    label,
		Field:    field,
		GetAttrs: k.GetAttrs,
	}
}

// SelectableFields returns the fields a field selector can use on a cluster-scoped object:
// metadata.name, as generic.ObjectMetaFieldsSet gives them.
func SelectableFields(obj metav1.Object) fields.Set {
	return fields.Set{"metadata.name": obj.GetName()}
}

// Strategy implements the behaviour of the main resource of a kind with a computed status.
type Strategy[T Object, Spec, Status any] struct {
	runtime.ObjectTyper
	names.NameGenerator
	kind Kind[T, Spec, Status]
}

// NewStrategy returns the strategy of the main resource of kind.
func NewStrategy[T Object, Spec, Status any](typer runtime.ObjectTyper, kind Kind[T, Spec, Status]) Strategy[T, Spec, Status] {
	return Strategy[T, Spec, Status]{typer, names.SimpleNameGenerator, kind}
}

// NamespaceScoped is false: the kinds with a computed status are cluster-scoped.
func (Strategy[T, Spec, Status]) NamespaceScoped() bool { return false }

// GetResetFields returns the fields a write to the main resource cannot set: the status.
func (s Strategy[T, Spec, Status]) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(s.kind.GroupVersion.String()): fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
}

// PrepareForCreate clears the status, which is never stored, and starts the generation.
// A status in the request is dropped silently, as for any resource with a status
// subresource: it is what clients send back after reading an object.
func (s Strategy[T, Spec, Status]) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	o := obj.(T)
	s.kind.clearStatus(o)
	o.SetGeneration(1)
}

// PrepareForUpdate keeps the status out of storage and bumps the generation when the spec
// changes.
func (s Strategy[T, Spec, Status]) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newObj, oldObj := obj.(T), old.(T)
	s.kind.clearStatus(newObj)
	if !apiequality.Semantic.DeepEqual(*s.kind.Spec(newObj), *s.kind.Spec(oldObj)) {
		newObj.SetGeneration(oldObj.GetGeneration() + 1)
	}
}

// Validate validates a new object.
func (s Strategy[T, Spec, Status]) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return s.kind.Validate(obj.(T))
}

// WarningsOnCreate returns no warnings.
func (Strategy[T, Spec, Status]) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return nil
}

// Canonicalize does nothing: lists keep the order the user gave.
func (Strategy[T, Spec, Status]) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is false: an object is created with POST (or server-side apply).
func (Strategy[T, Spec, Status]) AllowCreateOnUpdate() bool { return false }

// AllowUnconditionalUpdate is true: an update without resourceVersion overwrites; one with
// a stale resourceVersion fails with a conflict.
func (Strategy[T, Spec, Status]) AllowUnconditionalUpdate() bool { return true }

// ValidateUpdate validates an update of an object.
func (s Strategy[T, Spec, Status]) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return s.kind.ValidateUpdate(obj.(T), old.(T))
}

// WarningsOnUpdate returns no warnings.
func (Strategy[T, Spec, Status]) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// StatusStrategy implements the behaviour of the status subresource of a kind with a
// computed status. An update through it changes neither spec nor status; it exists so that
// clients and tools that read or patch */status find the usual shape.
type StatusStrategy[T Object, Spec, Status any] struct {
	Strategy[T, Spec, Status]
}

// NewStatusStrategy returns the strategy of the status subresource of kind.
func NewStatusStrategy[T Object, Spec, Status any](typer runtime.ObjectTyper, kind Kind[T, Spec, Status]) StatusStrategy[T, Spec, Status] {
	return StatusStrategy[T, Spec, Status]{NewStrategy(typer, kind)}
}

// GetResetFields returns the fields a write to the status subresource cannot set: the spec,
// and the status too, because it is computed rather than stored.
func (s StatusStrategy[T, Spec, Status]) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(s.kind.GroupVersion.String()): fieldpath.NewSet(
			fieldpath.MakePathOrDie("spec"),
			fieldpath.MakePathOrDie("status"),
		),
	}
}

// PrepareForUpdate keeps the stored spec and drops the written status, warning the client.
func (s StatusStrategy[T, Spec, Status]) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newObj, oldObj := obj.(T), old.(T)
	*s.kind.Spec(newObj) = *s.kind.Spec(oldObj)
	var empty Status
	if !apiequality.Semantic.DeepEqual(*s.kind.Status(newObj), empty) {
		warning.AddWarning(ctx, "", s.kind.StatusNotStoredWarning)
	}
	s.kind.clearStatus(newObj)
}

// ValidateUpdate validates the metadata of an update through the status subresource.
func (s StatusStrategy[T, Spec, Status]) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return s.kind.ValidateStatusUpdate(obj.(T), old.(T))
}
