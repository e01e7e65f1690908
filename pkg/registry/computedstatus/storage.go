// Package computedstatus is the storage shared by kurator's stored kinds whose status is
// computed on every read rather than stored (Fleet, FleetQueue): the generic registry's
// store with a decorator that fills in the status, a watch that decorates events from the
// watch cache too, and a status subresource through which only metadata can change; the
// strategies of both, configured for a kind by a Kind; and the tables of `kubectl get`.
package computedstatus

import (
	"context"
	"fmt"

	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// NewStores completes store (whose Decorator computes the status) with options and returns
// it as the resource's storage with shortNames, and a copy of it with statusStrategy as the
// storage of its status subresource.
func NewStores(store *genericregistry.Store, options *generic.StoreOptions, statusStrategy rest.UpdateResetFieldsStrategy, shortNames ...string) (*REST, *StatusREST, error) {
	decorate := store.Decorator
	if err := store.CompleteWithOptions(options); err != nil {
		return nil, nil, fmt.Errorf("completing the storage of %s: %w", store.DefaultQualifiedResource, err)
	}
	statusStore := *store
	statusStore.UpdateStrategy = statusStrategy
	statusStore.ResetFieldsStrategy = statusStrategy
	return &REST{Store: store, decorate: decorate, shortNames: shortNames}, &StatusREST{store: &statusStore}, nil
}

// REST serves a resource whose status is computed on every read.
type REST struct {
	*genericregistry.Store
	decorate   func(runtime.Object)
	shortNames []string
}

var (
	_ rest.ShortNamesProvider   = &REST{}
	_ rest.CategoriesProvider   = &REST{}
	_ rest.SingularNameProvider = &REST{}
	_ rest.StandardStorage      = &REST{}
)

// ShortNames are the resource's short names for kubectl.
func (r *REST) ShortNames() []string { return r.shortNames }

// Categories lets `kubectl get kurator` list the resource with kurator's other kinds.
func (r *REST) Categories() []string { return []string{"kurator"} }

// Watch watches the objects, with their status computed for every event.
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

// StatusREST serves the status subresource. Reads return the computed status;
// writes can change metadata only, because spec is reset and status is never stored.
type StatusREST struct {
	store *genericregistry.Store
}

var (
	_ rest.Patcher             = &StatusREST{}
	_ rest.ResetFieldsStrategy = &StatusREST{}
	_ rest.TableConvertor      = &StatusREST{}
)

// New returns an empty object of the resource.
func (r *StatusREST) New() runtime.Object { return r.store.NewFunc() }

// Destroy does nothing: the storage is shared with the main resource, which releases it.
func (r *StatusREST) Destroy() {}

// Get returns an object with its computed status.
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update updates an object through the status subresource.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	// Status updates never create: subresources require the object to exist.
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// GetResetFields returns the fields a write to the status subresource cannot set.
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

// ConvertToTable renders the object as a table row.
func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}
