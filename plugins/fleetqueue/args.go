package fleetqueue

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Kind is the kind of the plugin's arguments in a profile's pluginConfig.
const Kind = "FleetQueueArgs"

// Args configures FleetQueue. It has no settings: the pin is the fleet queue's decision.
type Args struct {
	metav1.TypeMeta `json:",inline"`
}

// SetDefaults implements framework.Args.
func (a *Args) SetDefaults() {}

// Validate implements framework.Args.
func (a *Args) Validate(*field.Path) field.ErrorList { return nil }
