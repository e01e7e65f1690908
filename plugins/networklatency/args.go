package networklatency

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Kind is the kind of the plugin's arguments in a profile's pluginConfig.
const Kind = "NetworkLatencyArgs"

// Args configures NetworkLatency.
type Args struct {
	metav1.TypeMeta `json:",inline"`

	// ReferenceLatency is the p99 that scores 50 for workloads without an SLO; with an SLO,
	// the SLO is the reference. Defaults to 50ms.
	ReferenceLatency *metav1.Duration `json:"referenceLatency,omitempty"`

	// DefaultSLO applies to workloads with peers and without the latency.kurator.dev/slo
	// annotation. Defaults to none: only annotated workloads are filtered.
	DefaultSLO *metav1.Duration `json:"defaultSLO,omitempty"`

	// AssumedLocalLatency is the p99 assumed between a workload and a peer in the same
	// cluster when no traffic within that cluster was observed. Defaults to 2ms.
	AssumedLocalLatency *metav1.Duration `json:"assumedLocalLatency,omitempty"`

	// UseReverseLatency estimates the latency from A to B by the latency from B to A when
	// only the latter was observed. Defaults to true.
	UseReverseLatency *bool `json:"useReverseLatency,omitempty"`

	// EstimateFromNeighbours estimates the latency of a cluster pair the mesh carries no
	// traffic between from the pairs of their neighbours: clusters in the same zone (then
	// region) and the same Istio network. Defaults to true.
	EstimateFromNeighbours *bool `json:"estimateFromNeighbours,omitempty"`

	// ObservePeers counts the peers seen in the Istio traffic graph besides the declared
	// ones (a workload may opt out with latency.kurator.dev/observe: "false"). Defaults to true.
	ObservePeers *bool `json:"observePeers,omitempty"`

	// FailClosed filters out clusters whose latency to a running peer is unknown, for
	// workloads with an SLO. Defaults to false: missing data never blocks scheduling.
	FailClosed bool `json:"failClosed,omitempty"`
}

// SetDefaults implements framework.Args.
func (a *Args) SetDefaults() {
	if a.ReferenceLatency == nil {
		a.ReferenceLatency = &metav1.Duration{Duration: 50 * time.Millisecond}
	}
	if a.AssumedLocalLatency == nil {
		a.AssumedLocalLatency = &metav1.Duration{Duration: 2 * time.Millisecond}
	}
	if a.UseReverseLatency == nil {
		a.UseReverseLatency = ptr.To(true)
	}
	if a.ObservePeers == nil {
		a.ObservePeers = ptr.To(true)
	}
	if a.EstimateFromNeighbours == nil {
		a.EstimateFromNeighbours = ptr.To(true)
	}
}

// Validate implements framework.Args.
func (a *Args) Validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if a.ReferenceLatency.Duration <= 0 {
		errs = append(errs, field.Invalid(p.Child("referenceLatency"), a.ReferenceLatency.Duration.String(), "must be positive, e.g. 50ms"))
	}
	if a.DefaultSLO != nil && a.DefaultSLO.Duration <= 0 {
		errs = append(errs, field.Invalid(p.Child("defaultSLO"), a.DefaultSLO.Duration.String(), "must be positive, or omitted for none"))
	}
	if a.AssumedLocalLatency.Duration < 0 {
		errs = append(errs, field.Invalid(p.Child("assumedLocalLatency"), a.AssumedLocalLatency.Duration.String(), "must not be negative"))
	}
	return errs
}
