// Package fleet is the storage of the Fleet kind: etcd-backed spec and metadata, with a
// status computed from Karmada's Clusters on every read.
package fleet

import (
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/storage"

	"kurator.dev/kurator/pkg/apis/fleet"
	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/apis/fleet/validation"
	"kurator.dev/kurator/pkg/registry/computedstatus"
)

// statusNotStoredWarning is returned to clients that write a status: it is computed on read.
const statusNotStoredWarning = "the status of a Fleet is computed from Karmada's Clusters on every read; the status in this request was not stored"

// fleetKind describes fleets to the strategies shared by the kinds with a computed status.
var fleetKind = computedstatus.Kind[*fleet.Fleet, fleet.FleetSpec, fleet.FleetStatus]{
	Name:                   "Fleet",
	GroupVersion:           fleetv1alpha1.SchemeGroupVersion,
	StatusNotStoredWarning: statusNotStoredWarning,
	Spec:                   func(f *fleet.Fleet) *fleet.FleetSpec { return &f.Spec },
	Status:                 func(f *fleet.Fleet) *fleet.FleetStatus { return &f.Status },
	Validate:               validation.ValidateFleet,
	ValidateUpdate:         validation.ValidateFleetUpdate,
	ValidateStatusUpdate:   validation.ValidateFleetStatusUpdate,
}

// newStrategy returns the strategy of the fleets resource.
func newStrategy(typer runtime.ObjectTyper) computedstatus.Strategy[*fleet.Fleet, fleet.FleetSpec, fleet.FleetStatus] {
	return computedstatus.NewStrategy(typer, fleetKind)
}

// newStatusStrategy returns the strategy of the fleets/status subresource.
func newStatusStrategy(typer runtime.ObjectTyper) computedstatus.StatusStrategy[*fleet.Fleet, fleet.FleetSpec, fleet.FleetStatus] {
	return computedstatus.NewStatusStrategy(typer, fleetKind)
}

// GetAttrs returns the labels and fields of a fleet, for label and field selectors.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	return fleetKind.GetAttrs(obj)
}

// SelectableFields returns the fields a field selector can use: metadata.name.
func SelectableFields(f *fleet.Fleet) fields.Set {
	return computedstatus.SelectableFields(f)
}

// Matcher returns the predicate that selects fleets by label and field.
func Matcher(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return fleetKind.Matcher(label, field)
}
