package framework

import (
	"k8s.io/apimachinery/pkg/types"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"

	"kurator.dev/kurator/pkg/telemetry"
)

// BindingKey identifies the inputs a plugin's per-binding state was computed from. Karmada
// calls Filter, then Score, once per cluster with the same binding spec, so plugins compute
// what depends on the binding once and find it again by key: a pointer comparison and three
// string comparisons, no allocation.
type BindingKey struct {
	spec *workv1alpha2.ResourceBindingSpec
	uid  types.UID
	rv   string
	snap *telemetry.Snapshot
}

// KeyOf returns the key of a binding spec evaluated against a snapshot.
func KeyOf(spec *workv1alpha2.ResourceBindingSpec, snap *telemetry.Snapshot) BindingKey {
	return BindingKey{spec: spec, uid: spec.Resource.UID, rv: spec.Resource.ResourceVersion, snap: snap}
}

// Matches reports whether the key was made from this spec (same object, same template
// version) and this snapshot. The UID and resource version guard against a new spec
// allocated where an old one was.
func (k *BindingKey) Matches(spec *workv1alpha2.ResourceBindingSpec, snap *telemetry.Snapshot) bool {
	return k.spec == spec && k.snap == snap && k.uid == spec.Resource.UID && k.rv == spec.Resource.ResourceVersion
}
