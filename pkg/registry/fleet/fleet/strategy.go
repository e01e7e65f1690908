// Package fleet is the storage of the Fleet kind: etcd-backed spec and metadata, with a
// status computed from Karmada's Clusters on every read.
package fleet

import (
	"context"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/apiserver/pkg/warning"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"kurator.dev/kurator/pkg/apis/fleet"
	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/apis/fleet/validation"
)

// statusNotStoredWarning is returned to clients that write a status: it is computed on read.
const statusNotStoredWarning = "the status of a Fleet is computed from Karmada's Clusters on every read; the status in this request was not stored"

// fleetStrategy implements the behaviour of the fleets resource.
type fleetStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
}

// newStrategy returns the strategy of the fleets resource.
func newStrategy(typer runtime.ObjectTyper) fleetStrategy {
	return fleetStrategy{typer, names.SimpleNameGenerator}
}

// NamespaceScoped is false: fleets are cluster-scoped.
func (fleetStrategy) NamespaceScoped() bool { return false }

// GetResetFields returns the fields a write to the main resource cannot set: the status.
func (fleetStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(fleetv1alpha1.SchemeGroupVersion.String()): fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
}

// PrepareForCreate clears the status, which is never stored, and starts the generation.
// A status in the request is dropped silently, as for any resource with a status
// subresource: it is what clients send back after reading a fleet.
func (fleetStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	f := obj.(*fleet.Fleet)
	f.Status = fleet.FleetStatus{}
	f.Generation = 1
}

// PrepareForUpdate keeps the status out of storage and bumps the generation when the spec
// changes.
func (fleetStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newFleet, oldFleet := obj.(*fleet.Fleet), old.(*fleet.Fleet)
	newFleet.Status = fleet.FleetStatus{}
	if !apiequality.Semantic.DeepEqual(newFleet.Spec, oldFleet.Spec) {
		newFleet.Generation = oldFleet.Generation + 1
	}
}

// Validate validates a new fleet.
func (fleetStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateFleet(obj.(*fleet.Fleet))
}

// WarningsOnCreate returns no warnings.
func (fleetStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string { return nil }

// Canonicalize does nothing: lists keep the order the user gave.
func (fleetStrategy) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is false: a fleet is created with POST (or server-side apply).
func (fleetStrategy) AllowCreateOnUpdate() bool { return false }

// AllowUnconditionalUpdate is true: an update without resourceVersion overwrites; one with
// a stale resourceVersion fails with a conflict.
func (fleetStrategy) AllowUnconditionalUpdate() bool { return true }

// ValidateUpdate validates an update of a fleet.
func (fleetStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateFleetUpdate(obj.(*fleet.Fleet), old.(*fleet.Fleet))
}

// WarningsOnUpdate returns no warnings.
func (fleetStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// fleetStatusStrategy implements the behaviour of the fleets/status subresource. The status
// is computed on read, so an update through it changes neither spec nor status; it exists so
// that clients and tools that read or patch */status find the usual shape.
type fleetStatusStrategy struct {
	fleetStrategy
}

// newStatusStrategy returns the strategy of the fleets/status subresource.
func newStatusStrategy(typer runtime.ObjectTyper) fleetStatusStrategy {
	return fleetStatusStrategy{fleetStrategy{typer, names.SimpleNameGenerator}}
}

// GetResetFields returns the fields a write to the status subresource cannot set: the spec,
// and the status too, because it is computed rather than stored.
func (fleetStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(fleetv1alpha1.SchemeGroupVersion.String()): fieldpath.NewSet(
			fieldpath.MakePathOrDie("spec"),
			fieldpath.MakePathOrDie("status"),
		),
	}
}

// PrepareForUpdate keeps the stored spec and drops the written status, warning the client.
func (fleetStatusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newFleet, oldFleet := obj.(*fleet.Fleet), old.(*fleet.Fleet)
	newFleet.Spec = oldFleet.Spec
	if !apiequality.Semantic.DeepEqual(newFleet.Status, fleet.FleetStatus{}) {
		warning.AddWarning(ctx, "", statusNotStoredWarning)
	}
	newFleet.Status = fleet.FleetStatus{}
}

// ValidateUpdate validates the metadata of an update through the status subresource.
func (fleetStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateFleetStatusUpdate(obj.(*fleet.Fleet), old.(*fleet.Fleet))
}

// WarningsOnUpdate returns no warnings.
func (fleetStatusStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// GetAttrs returns the labels and fields of a fleet, for label and field selectors.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	f, ok := obj.(*fleet.Fleet)
	if !ok {
		return nil, nil, fmt.Errorf("expected a Fleet, got %T", obj)
	}
	return f.Labels, SelectableFields(f), nil
}

// SelectableFields returns the fields a field selector can use: metadata.name.
func SelectableFields(f *fleet.Fleet) fields.Set {
	return generic.ObjectMetaFieldsSet(&f.ObjectMeta, false)
}

// Matcher returns the predicate that selects fleets by label and field.
func Matcher(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{
		Label:    label,
		Field:    field,
		GetAttrs: GetAttrs,
	}
}
