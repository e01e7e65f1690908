package clusterutilization

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"kurator.dev/kurator/pkg/telemetry"
)

// Kind is the kind of the plugin's arguments in a profile's pluginConfig.
const Kind = "ClusterUtilizationArgs"

// Mode selects the score curve.
type Mode string

const (
	// TargetLoadPacking prefers clusters near their target utilization and avoids clusters
	// above it (TargetLoadPackingScore).
	TargetLoadPacking Mode = "TargetLoadPacking"
	// LeastUtilized prefers the least utilized cluster (LeastUtilizedScore).
	LeastUtilized Mode = "LeastUtilized"
	// Headroom scores the clusters below their target nearly alike and avoids the others
	// (HeadroomScore): utilization acts as a gate and leaves the choice to other plugins.
	Headroom Mode = "Headroom"
)

// maxResources bounds Args.Resources, so that the per-cluster path works on fixed arrays.
const maxResources = 8

// Args configures ClusterUtilization.
type Args struct {
	metav1.TypeMeta `json:",inline"`

	// Mode is TargetLoadPacking (default), LeastUtilized or Headroom.
	Mode Mode `json:"mode,omitempty"`

	// Resources are the resources judged, each with a telemetry utilization query of the
	// same name. Defaults to cpu (target 60 %, ceiling 85 %), memory (70 %, 90 %) and
	// nvidia.com/gpu (70 %, 95 %). GPUs count only for workloads that request them.
	Resources []Resource `json:"resources,omitempty"`

	// Predict adds the workload's requests (all replicas, relative to the cluster's
	// allocatable) to the observed utilization before scoring. Defaults to true.
	Predict *bool `json:"predict,omitempty"`

	// AvoidAboveTarget scores 0, after scoring every feasible cluster, the clusters this
	// workload would push above a resource's target when another feasible cluster stays at
	// or below every target with it. Defaults to true.
	AvoidAboveTarget *bool `json:"avoidAboveTarget,omitempty"`

	// FailClosed filters out clusters without fresh utilization data instead of letting
	// them pass. Defaults to false: missing data never blocks scheduling.
	FailClosed bool `json:"failClosed,omitempty"`
}

// Resource is how one resource is judged.
type Resource struct {
	// Name of the resource, e.g. cpu.
	Name corev1.ResourceName `json:"name"`
	// Weight of the resource in the score, 1..100. Defaults to 1.
	Weight int64 `json:"weight,omitempty"`
	// TargetPercent is the utilization TargetLoadPacking packs clusters up to and above
	// which Headroom and AvoidAboveTarget avoid a cluster, 1..99.
	TargetPercent int64 `json:"targetPercent,omitempty"`
	// CeilingPercent is the observed utilization above which Filter rejects a cluster,
	// TargetPercent+1..100; 100 disables the filter for this resource.
	CeilingPercent int64 `json:"ceilingPercent,omitempty"`
}

var defaultResources = map[corev1.ResourceName]Resource{
	corev1.ResourceCPU:    {Name: corev1.ResourceCPU, Weight: 1, TargetPercent: 60, CeilingPercent: 85},
	corev1.ResourceMemory: {Name: corev1.ResourceMemory, Weight: 1, TargetPercent: 70, CeilingPercent: 90},
	telemetry.GPUResource: {Name: telemetry.GPUResource, Weight: 1, TargetPercent: 70, CeilingPercent: 95},
}

// SetDefaults implements framework.Args.
func (a *Args) SetDefaults() {
	if a.Mode == "" {
		a.Mode = TargetLoadPacking
	}
	if a.Resources == nil {
		a.Resources = []Resource{defaultResources[corev1.ResourceCPU], defaultResources[corev1.ResourceMemory], defaultResources[telemetry.GPUResource]}
	}
	for i := range a.Resources {
		r := &a.Resources[i]
		d, ok := defaultResources[r.Name]
		if !ok {
			d = Resource{Weight: 1, TargetPercent: 60, CeilingPercent: 90}
		}
		if r.Weight == 0 {
			r.Weight = d.Weight
		}
		if r.TargetPercent == 0 {
			r.TargetPercent = d.TargetPercent
		}
		if r.CeilingPercent == 0 {
			r.CeilingPercent = max(d.CeilingPercent, r.TargetPercent+1)
		}
	}
	if a.Predict == nil {
		a.Predict = ptr.To(true)
	}
	if a.AvoidAboveTarget == nil {
		a.AvoidAboveTarget = ptr.To(true)
	}
}

// Validate implements framework.Args.
func (a *Args) Validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if a.Mode != TargetLoadPacking && a.Mode != LeastUtilized && a.Mode != Headroom {
		errs = append(errs, field.NotSupported(p.Child("mode"), a.Mode, []Mode{TargetLoadPacking, LeastUtilized, Headroom}))
	}
	if len(a.Resources) == 0 || len(a.Resources) > maxResources {
		errs = append(errs, field.Invalid(p.Child("resources"), len(a.Resources), fmt.Sprintf("must list 1 to %d resources", maxResources)))
	}
	seen := map[corev1.ResourceName]bool{}
	for i, r := range a.Resources {
		rp := p.Child("resources").Index(i)
		if r.Name == "" {
			errs = append(errs, field.Required(rp.Child("name"), "a resource with a utilization query, e.g. cpu"))
		} else if seen[r.Name] {
			errs = append(errs, field.Duplicate(rp.Child("name"), r.Name))
		}
		seen[r.Name] = true
		if r.Weight < 1 || r.Weight > 100 {
			errs = append(errs, field.Invalid(rp.Child("weight"), r.Weight, "must be 1 to 100"))
		}
		if r.TargetPercent < 1 || r.TargetPercent > 99 {
			errs = append(errs, field.Invalid(rp.Child("targetPercent"), r.TargetPercent, "must be 1 to 99"))
		}
		if r.CeilingPercent <= r.TargetPercent || r.CeilingPercent > 100 {
			errs = append(errs, field.Invalid(rp.Child("ceilingPercent"), r.CeilingPercent,
				fmt.Sprintf("must be above targetPercent (%d) and at most 100 (no ceiling)", r.TargetPercent)))
		}
	}
	return errs
}
