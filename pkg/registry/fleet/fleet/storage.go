package fleet

import (
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"kurator.dev/kurator/pkg/apis/fleet"
	"kurator.dev/kurator/pkg/registry/computedstatus"
)

// Storage is the storage of the fleets resource and its status subresource.
type Storage struct {
	// Fleet serves fleets.
	Fleet *computedstatus.REST
	// Status serves fleets/status.
	Status *computedstatus.StatusREST
}

// NewStorage returns the storage of fleets: spec and metadata in etcd through the generic
// registry, status computed from the clusters on every read.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter, clusters ClusterLister) (*Storage, error) {
	strategy := newStrategy(scheme)
	statusStrategy := newStatusStrategy(scheme)
	decorator := statusDecorator{clusters: clusters}

	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &fleet.Fleet{} },
		NewListFunc:               func() runtime.Object { return &fleet.FleetList{} },
		PredicateFunc:             Matcher,
		DefaultQualifiedResource:  fleet.Resource("fleets"),
		SingularQualifiedResource: fleet.Resource("fleet"),

		CreateStrategy:      strategy,
		UpdateStrategy:      strategy,
		DeleteStrategy:      strategy,
		ResetFieldsStrategy: strategy,

		Decorator:      decorator.decorate,
		TableConvertor: tableConvertor{now: time.Now},
	}
	options := &generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: GetAttrs}
	main, status, err := computedstatus.NewStores(store, options, statusStrategy, "fl")
	if err != nil {
		return nil, err
	}
	return &Storage{Fleet: main, Status: status}, nil
}
