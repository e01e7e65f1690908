// Package rest builds the storage of the telemetry.kurator.dev API group.
package rest

import (
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"

	telemetryapi "kurator.dev/kurator/pkg/apis/telemetry"
	telemetryv1alpha1 "kurator.dev/kurator/pkg/apis/telemetry/v1alpha1"
	"kurator.dev/kurator/pkg/apiserver/scheme"
	"kurator.dev/kurator/pkg/registry"
	"kurator.dev/kurator/pkg/registry/telemetry/clustertelemetry"
)

// StorageProvider builds the storage of the telemetry.kurator.dev API group.
type StorageProvider struct {
	// Sources are what cluster telemetry is computed from.
	Sources *clustertelemetry.Sources
}

var _ registry.RESTStorageProvider = StorageProvider{}

// GroupName returns telemetry.kurator.dev.
func (p StorageProvider) GroupName() string { return telemetryapi.GroupName }

// NewRESTStorage returns the storage of the enabled versions of telemetry.kurator.dev.
// Nothing is stored: ClusterTelemetry is computed on every read.
func (p StorageProvider) NewRESTStorage(resourceConfig serverstorage.APIResourceConfigSource, _ generic.RESTOptionsGetter) (genericapiserver.APIGroupInfo, bool, error) {
	apiGroupInfo := genericapiserver.NewDefaultAPIGroupInfo(telemetryapi.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	if resourceConfig.ResourceEnabled(telemetryv1alpha1.SchemeGroupVersion.WithResource("clustertelemetries")) {
		apiGroupInfo.VersionedResourcesStorageMap[telemetryv1alpha1.SchemeGroupVersion.Version] = map[string]rest.Storage{
			"clustertelemetries": clustertelemetry.NewREST(p.Sources),
		}
	}
	return apiGroupInfo, len(apiGroupInfo.VersionedResourcesStorageMap) > 0, nil
}
