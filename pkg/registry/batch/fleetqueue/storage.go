package fleetqueue

import (
	"context"
	"fmt"
	"time"

	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"kurator.dev/kurator/pkg/apis/batch"
)

// Storage is the storage of the fleetqueues resource and its status subresource.
type Storage struct {
	// FleetQueue serves fleetqueues.
	FleetQueue *REST
	// Status serves fleetqueues/status.
	Status *StatusREST
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
	if err := store.CompleteWithOptions(options); err != nil {
		return nil, fmt.Errorf("completing the storage of fleet queues: %w", err)
	}

	statusStore := *store
	statusStore.UpdateStrategy = statusStrategy
	statusStore.ResetFieldsStrategy = statusStrategy

	return &Storage{
		FleetQueue: &REST{Store: store, decorate: decorator.decorate},
		Status:     &StatusREST{store: &statusStore},
	}, nil
}

// REST serves the fleetqueues resource.
type REST struct {
	*genericregistry.Store
	decorate func(runtime.Object)
}

var (
	_ rest.ShortNamesProvider   = &REST{}
	_ rest.CategoriesProvider   = &REST{}
	_ rest.SingularNameProvider = &REST{}
	_ rest.StandardStorage      = &REST{}
)

// ShortNames lets `kubectl get fq` list fleet queues.
func (r *REST) ShortNames() []string { return []string{"fq"} }

// Categories lets `kubectl get kurator` list fleet queues with kurator's other kinds.
func (r *REST) Categories() []string { return []string{"kurator"} }

// Watch watches fleet queues, with their status computed for every event.
//
// The store decorates the objects of watch events itself only when they come straight from
// etcd. Events from the watch cache carry objects wrapped for serialization caching
// (runtime.CacheableObject) and shared by every watcher, so the store's decorator cannot
// and must not change them: they are unwrapped here into a copy of their own and decorated.
func (r *REST) Watch(ctx context.Context, options *metainternalversion.ListOptions) (watch.Interface, error) {
	w, err := r.Store.Watch(ctx, options)
	if err != nil {
		return nil, err
	}
	return watch.Filter(w, func(event watch.Event) (watch.Event, bool) {
		if cacheable, ok := event.Object.(runtime.CacheableObject); ok {
			obj := cacheable.GetObject() // a deep copy, owned by this watcher
			r.decorate(obj)
			event.Object = obj
		}
		return event, true
	}), nil
}

// StatusREST serves the fleetqueues/status subresource. Reads return the computed status;
// writes can change metadata only, because spec is reset and status is never stored.
type StatusREST struct {
	store *genericregistry.Store
}

var (
	_ rest.Patcher             = &StatusREST{}
	_ rest.ResetFieldsStrategy = &StatusREST{}
	_ rest.TableConvertor      = &StatusREST{}
)

// New returns an empty FleetQueue.
func (r *StatusREST) New() runtime.Object { return &batch.FleetQueue{} }

// Destroy does nothing: the storage is shared with the main resource, which releases it.
func (r *StatusREST) Destroy() {}

// Get returns a fleet queue with its computed status.
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update updates a fleet queue through the status subresource.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	// Status updates never create: subresources require the object to exist.
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// GetResetFields returns the fields a write to the status subresource cannot set.
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

// ConvertToTable renders the fleet queue as a table row.
func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}
