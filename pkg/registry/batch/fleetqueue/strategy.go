// Package fleetqueue is the storage of the FleetQueue kind: etcd-backed spec and metadata,
// with a status computed from the batch job views on every read.
package fleetqueue

import (
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/storage"

	"kurator.dev/kurator/pkg/apis/batch"
	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	"kurator.dev/kurator/pkg/apis/batch/validation"
	"kurator.dev/kurator/pkg/registry/computedstatus"
)

// statusNotStoredWarning is returned to clients that write a status: it is computed on read.
const statusNotStoredWarning = "the status of a FleetQueue is computed from the batch jobs on every read; the status in this request was not stored"

// queueKind describes fleet queues to the strategies shared by the kinds with a computed
// status.
var queueKind = computedstatus.Kind[*batch.FleetQueue, batch.FleetQueueSpec, batch.FleetQueueStatus]{
	Name:                   "FleetQueue",
	GroupVersion:           batchv1alpha1.SchemeGroupVersion,
	StatusNotStoredWarning: statusNotStoredWarning,
	Spec:                   func(q *batch.FleetQueue) *batch.FleetQueueSpec { return &q.Spec },
	Status:                 func(q *batch.FleetQueue) *batch.FleetQueueStatus { return &q.Status },
	Validate:               validation.ValidateFleetQueue,
	ValidateUpdate:         validation.ValidateFleetQueueUpdate,
	ValidateStatusUpdate:   validation.ValidateFleetQueueStatusUpdate,
}

// newStrategy returns the strategy of the fleetqueues resource.
func newStrategy(typer runtime.ObjectTyper) computedstatus.Strategy[*batch.FleetQueue, batch.FleetQueueSpec, batch.FleetQueueStatus] {
	return computedstatus.NewStrategy(typer, queueKind)
}

// newStatusStrategy returns the strategy of the fleetqueues/status subresource.
func newStatusStrategy(typer runtime.ObjectTyper) computedstatus.StatusStrategy[*batch.FleetQueue, batch.FleetQueueSpec, batch.FleetQueueStatus] {
	return computedstatus.NewStatusStrategy(typer, queueKind)
}

// GetAttrs returns the labels and fields of a fleet queue, for label and field selectors.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	return queueKind.GetAttrs(obj)
}

// Matcher returns the predicate that selects fleet queues by label and field.
func Matcher(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return queueKind.Matcher(label, field)
}
