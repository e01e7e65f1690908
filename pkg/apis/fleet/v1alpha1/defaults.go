package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
)

func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}

// SetDefaults_FleetTelemetry defaults the metric label that names a member.
func SetDefaults_FleetTelemetry(obj *FleetTelemetry) { //nolint:revive // defaulter-gen finds defaulting functions by this name
	if obj.ClusterLabel == "" {
		obj.ClusterLabel = DefaultClusterLabel
	}
}

// SetDefaults_MeshGateway defaults the port of an east-west gateway to Istio's cross-network port.
func SetDefaults_MeshGateway(obj *MeshGateway) { //nolint:revive // defaulter-gen finds defaulting functions by this name
	if obj.Port == 0 {
		obj.Port = DefaultMeshGatewayPort
	}
}

// SetDefaults_FleetBatch defaults the preemption policy to Never.
func SetDefaults_FleetBatch(obj *FleetBatch) { //nolint:revive // defaulter-gen finds defaulting functions by this name
	if obj.Preemption == "" {
		obj.Preemption = PreemptNever
	}
}
