// Package rest builds the storage of the scheduling.kurator.dev API group.
package rest

import (
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"

	"kurator.dev/kurator/pkg/apis/scheduling"
	schedulingv1alpha1 "kurator.dev/kurator/pkg/apis/scheduling/v1alpha1"
	"kurator.dev/kurator/pkg/apiserver/scheme"
	"kurator.dev/kurator/pkg/registry"
	"kurator.dev/kurator/pkg/registry/scheduling/placementreview"
)

// StorageProvider builds the storage of the scheduling.kurator.dev API group.
type StorageProvider struct {
	// PlacementReviews configures the storage of placementreviews.
	PlacementReviews placementreview.Options
}

var _ registry.RESTStorageProvider = StorageProvider{}

// GroupName returns scheduling.kurator.dev.
func (p StorageProvider) GroupName() string { return scheduling.GroupName }

// NewRESTStorage returns the storage of the enabled versions of scheduling.kurator.dev.
// Nothing is stored: a PlacementReview is answered when it is created.
func (p StorageProvider) NewRESTStorage(resourceConfig serverstorage.APIResourceConfigSource, _ generic.RESTOptionsGetter) (genericapiserver.APIGroupInfo, bool, error) {
	apiGroupInfo := genericapiserver.NewDefaultAPIGroupInfo(scheduling.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	if resourceConfig.ResourceEnabled(schedulingv1alpha1.SchemeGroupVersion.WithResource("placementreviews")) {
		apiGroupInfo.VersionedResourcesStorageMap[schedulingv1alpha1.SchemeGroupVersion.Version] = map[string]rest.Storage{
			"placementreviews": placementreview.NewREST(p.PlacementReviews),
		}
	}
	return apiGroupInfo, len(apiGroupInfo.VersionedResourcesStorageMap) > 0, nil
}
