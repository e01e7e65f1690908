// Package registry holds the storage of every API group kurator-apiserver serves, one
// sub-package per group (pkg/registry/<group>/rest) and per kind (pkg/registry/<group>/<kind>).
package registry

import (
	"k8s.io/apiserver/pkg/registry/generic"
	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
)

// RESTStorageProvider builds the storage of one API group. Adding a group to the server is
// writing one provider and listing it in the server's configuration.
type RESTStorageProvider interface {
	// GroupName is the API group the provider serves.
	GroupName() string
	// NewRESTStorage returns the group's storage for the versions and resources that
	// resourceConfig enables. It returns false when none is enabled.
	NewRESTStorage(resourceConfig serverstorage.APIResourceConfigSource, restOptionsGetter generic.RESTOptionsGetter) (genericapiserver.APIGroupInfo, bool, error)
}
