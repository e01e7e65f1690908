package fleetqueue

import (
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"kurator.dev/kurator/pkg/apis/batch"
	"kurator.dev/kurator/pkg/registry/computedstatus"
)

// Storage is the storage of the fleetqueues resource and its status subresource.
type Storage struct {
	// FleetQueue serves fleetqueues.
	FleetQueue *computedstatus.REST
	// Status serves fleetqueues/status.
	Status *computedstatus.StatusREST
}

// NewStorage returns the storage of fleet queues: spec and metadata in etcd through the generic
// registry, status computed from the batch job views on every read.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter, jobs JobCounter) (*Storage, error) {
	strategy := newStrategy(scheme)
	statusStrategy := newStatusStrategy(scheme)
	decorator := statusDecorator{jobs: jobs}

	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &batch.FleetQueue{} },
		NewListFunc:               func() runtime.Object { return &batch.FleetQueueList{} },
		PredicateFunc:             Matcher,
		DefaultQualifiedResource:  batch.Resource("fleetqueues"),
		SingularQualifiedResource: batch.Resource("fleetqueue"),

		CreateStrategy:      strategy,
		UpdateStrategy:      strategy,
		DeleteStrategy:      strategy,
		ResetFieldsStrategy: strategy,

		Decorator:      decorator.decorate,
		TableConvertor: tableConvertor{now: time.Now},
	}
	options := &generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: GetAttrs}
	main, status, err := computedstatus.NewStores(store, options, statusStrategy, "fq")
	if err != nil {
		return nil, err
	}
	return &Storage{FleetQueue: main, Status: status}, nil
}
