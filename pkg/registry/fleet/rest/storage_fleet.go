// Package rest builds the storage of the fleet.kurator.dev API group.
package rest

import (
	"fmt"

	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"

	fleetapi "kurator.dev/kurator/pkg/apis/fleet"
	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/apiserver/scheme"
	"kurator.dev/kurator/pkg/registry"
	fleetstorage "kurator.dev/kurator/pkg/registry/fleet/fleet"
)

// StorageProvider builds the storage of the fleet.kurator.dev API group.
type StorageProvider struct {
	// Clusters lists the Karmada Clusters that fleet status is computed from.
	Clusters fleetstorage.ClusterLister
}

var _ registry.RESTStorageProvider = StorageProvider{}

// GroupName returns fleet.kurator.dev.
func (p StorageProvider) GroupName() string { return fleetapi.GroupName }

// NewRESTStorage returns the storage of the enabled versions of fleet.kurator.dev.
func (p StorageProvider) NewRESTStorage(resourceConfig serverstorage.APIResourceConfigSource, restOptionsGetter generic.RESTOptionsGetter) (genericapiserver.APIGroupInfo, bool, error) {
	apiGroupInfo := genericapiserver.NewDefaultAPIGroupInfo(fleetapi.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)

	if resourceConfig.ResourceEnabled(fleetv1alpha1.SchemeGroupVersion.WithResource("fleets")) {
		fleets, err := fleetstorage.NewStorage(scheme.Scheme, restOptionsGetter, p.Clusters)
		if err != nil {
			return genericapiserver.APIGroupInfo{}, false, fmt.Errorf("creating the storage of fleets: %w", err)
		}
		apiGroupInfo.VersionedResourcesStorageMap[fleetv1alpha1.SchemeGroupVersion.Version] = map[string]rest.Storage{
			"fleets":        fleets.Fleet,
			"fleets/status": fleets.Status,
		}
	}
	return apiGroupInfo, len(apiGroupInfo.VersionedResourcesStorageMap) > 0, nil
}
