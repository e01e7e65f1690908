// Package rest builds the storage of the batch.kurator.dev API group.
package rest

import (
	"fmt"

	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"

	"kurator.dev/kurator/pkg/apis/batch"
	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	"kurator.dev/kurator/pkg/apiserver/scheme"
	"kurator.dev/kurator/pkg/registry"
	"kurator.dev/kurator/pkg/registry/batch/batchjob"
	"kurator.dev/kurator/pkg/registry/batch/fleetqueue"
)

// StorageProvider builds the storage of the batch.kurator.dev API group.
type StorageProvider struct {
	// Sources are the caches batch job views, and the status of fleet queues, are computed from.
	Sources *batchjob.Sources
}

var _ registry.RESTStorageProvider = StorageProvider{}

// GroupName returns batch.kurator.dev.
func (p StorageProvider) GroupName() string { return batch.GroupName }

// NewRESTStorage returns the storage of the enabled versions of batch.kurator.dev: fleet
// queues in etcd, batch jobs computed on every read.
func (p StorageProvider) NewRESTStorage(resourceConfig serverstorage.APIResourceConfigSource, restOptionsGetter generic.RESTOptionsGetter) (genericapiserver.APIGroupInfo, bool, error) {
	apiGroupInfo := genericapiserver.NewDefaultAPIGroupInfo(batch.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	gv := batchv1alpha1.SchemeGroupVersion
	storage := map[string]rest.Storage{}
	if resourceConfig.ResourceEnabled(gv.WithResource("fleetqueues")) {
		queues, err := fleetqueue.NewStorage(scheme.Scheme, restOptionsGetter, p.Sources)
		if err != nil {
			return genericapiserver.APIGroupInfo{}, false, fmt.Errorf("creating the storage of fleetqueues: %w", err)
		}
		storage["fleetqueues"] = queues.FleetQueue
		storage["fleetqueues/status"] = queues.Status
	}
	if resourceConfig.ResourceEnabled(gv.WithResource("batchjobs")) {
		storage["batchjobs"] = batchjob.NewREST(p.Sources)
	}
	if len(storage) > 0 {
		apiGroupInfo.VersionedResourcesStorageMap[gv.Version] = storage
	}
	return apiGroupInfo, len(apiGroupInfo.VersionedResourcesStorageMap) > 0, nil
}
