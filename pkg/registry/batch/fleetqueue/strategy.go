// Package fleetqueue is the storage of the FleetQueue kind: etcd-backed spec and metadata,
// with a status computed from the batch job views on every read.
package fleetqueue

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

	"kurator.dev/kurator/pkg/apis/batch"
	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	"kurator.dev/kurator/pkg/apis/batch/validation"
)

// statusNotStoredWarning is returned to clients that write a status: it is computed on read.
const statusNotStoredWarning = "the status of a FleetQueue is computed from the batch jobs on every read; the status in this request was not stored"

// queueStrategy implements the behaviour of the fleetqueues resource.
type queueStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
}

// newStrategy returns the strategy of the fleetqueues resource.
func newStrategy(typer runtime.ObjectTyper) queueStrategy {
	return queueStrategy{typer, names.SimpleNameGenerator}
}

// NamespaceScoped is false: fleet queues are cluster-scoped.
func (queueStrategy) NamespaceScoped() bool { return false }

// GetResetFields returns the fields a write to the main resource cannot set: the status.
func (queueStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(batchv1alpha1.SchemeGroupVersion.String()): fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
}

// PrepareForCreate clears the status, which is never stored, and starts the generation.
func (queueStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	q := obj.(*batch.FleetQueue)
	q.Status = batch.FleetQueueStatus{}
	q.Generation = 1
}

// PrepareForUpdate keeps the status out of storage and bumps the generation when the spec
// changes.
func (queueStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newQueue, oldQueue := obj.(*batch.FleetQueue), old.(*batch.FleetQueue)
	newQueue.Status = batch.FleetQueueStatus{}
	if !apiequality.Semantic.DeepEqual(newQueue.Spec, oldQueue.Spec) {
		newQueue.Generation = oldQueue.Generation + 1
	}
}

// Validate validates a new fleet queue.
func (queueStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateFleetQueue(obj.(*batch.FleetQueue))
}

// WarningsOnCreate returns no warnings.
func (queueStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string { return nil }

// Canonicalize does nothing: lists keep the order the user gave.
func (queueStrategy) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is false: a fleet queue is created with POST (or server-side apply).
func (queueStrategy) AllowCreateOnUpdate() bool { return false }

// AllowUnconditionalUpdate is true: an update without resourceVersion overwrites; one with
// a stale resourceVersion fails with a conflict.
func (queueStrategy) AllowUnconditionalUpdate() bool { return true }

// ValidateUpdate validates an update of a fleet queue.
func (queueStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateFleetQueueUpdate(obj.(*batch.FleetQueue), old.(*batch.FleetQueue))
}

// WarningsOnUpdate returns no warnings.
func (queueStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// queueStatusStrategy implements the behaviour of the fleetqueues/status subresource. The
// status is computed on read, so an update through it changes neither spec nor status.
type queueStatusStrategy struct {
	queueStrategy
}

// newStatusStrategy returns the strategy of the fleetqueues/status subresource.
func newStatusStrategy(typer runtime.ObjectTyper) queueStatusStrategy {
	return queueStatusStrategy{newStrategy(typer)}
}

// GetResetFields returns the fields a write to the status subresource cannot set: the spec,
// and the status too, because it is computed rather than stored.
func (queueStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(batchv1alpha1.SchemeGroupVersion.String()): fieldpath.NewSet(
			fieldpath.MakePathOrDie("spec"),
			fieldpath.MakePathOrDie("status"),
		),
	}
}

// PrepareForUpdate keeps the stored spec and drops the written status, warning the client.
func (queueStatusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newQueue, oldQueue := obj.(*batch.FleetQueue), old.(*batch.FleetQueue)
	newQueue.Spec = oldQueue.Spec
	if !apiequality.Semantic.DeepEqual(newQueue.Status, batch.FleetQueueStatus{}) {
		warning.AddWarning(ctx, "", statusNotStoredWarning)
	}
	newQueue.Status = batch.FleetQueueStatus{}
}

// ValidateUpdate validates the metadata of an update through the status subresource.
func (queueStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateFleetQueueStatusUpdate(obj.(*batch.FleetQueue), old.(*batch.FleetQueue))
}

// WarningsOnUpdate returns no warnings.
func (queueStatusStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// GetAttrs returns the labels and fields of a fleet queue, for label and field selectors.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	q, ok := obj.(*batch.FleetQueue)
	if !ok {
		return nil, nil, fmt.Errorf("expected a FleetQueue, got %T", obj)
	}
	return q.Labels, generic.ObjectMetaFieldsSet(&q.ObjectMeta, false), nil
}

// Matcher returns the predicate that selects fleet queues by label and field.
func Matcher(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{
		Label:    label,
		Field:    field,
		GetAttrs: GetAttrs,
	}
}
