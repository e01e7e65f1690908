package workload

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
)

// directGetTimeout bounds the API call made for a template whose informer has not synced.
const directGetTimeout = 2 * time.Second

// MetadataCache reads resource templates' metadata from the Karmada apiserver through
// metadata-only informers, one per kind, started the first time a binding of that kind is
// scheduled. Until an informer has synced, templates are read with one GET each; afterwards
// no API call is made per scheduling attempt.
type MetadataCache struct {
	ctx     context.Context
	client  metadata.Interface
	mapper  meta.ResettableRESTMapper
	factory metadatainformer.SharedInformerFactory

	mu    sync.Mutex
	kinds map[schema.GroupVersionKind]*kindEntry

	directGets atomic.Int64
}

type kindEntry struct {
	gvr        schema.GroupVersionResource
	namespaced bool
	informer   cache.SharedIndexInformer
	lister     cache.GenericLister
}

// NewMetadataCache returns a cache reading from the apiserver of config; informers stop when
// ctx is done.
func NewMetadataCache(ctx context.Context, config *rest.Config) (*MetadataCache, error) {
	client, err := metadata.NewForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("building the metadata client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("building the discovery client: %w", err)
	}
	return &MetadataCache{
		ctx:     ctx,
		client:  client,
		mapper:  restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)),
		factory: metadatainformer.NewSharedInformerFactory(client, 0),
		kinds:   map[schema.GroupVersionKind]*kindEntry{},
	}, nil
}

// DirectGets is the number of templates read with an API call because their informer had
// not synced (or did not have them yet).
func (c *MetadataCache) DirectGets() int64 { return c.directGets.Load() }

// Get implements framework.TemplateGetter.
func (c *MetadataCache) Get(ctx context.Context, ref *workv1alpha2.ObjectReference) (*metav1.ObjectMeta, error) {
	gvk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind)
	e, err := c.kind(gvk)
	if err != nil {
		return nil, err
	}
	if e.informer.HasSynced() {
		var obj any
		if e.namespaced {
			obj, err = e.lister.ByNamespace(ref.Namespace).Get(ref.Name)
		} else {
			obj, err = e.lister.Get(ref.Name)
		}
		if err == nil {
			if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
				return &m.ObjectMeta, nil
			}
		}
		// Not there yet: the template was created after the informer's last event.
	}
	c.directGets.Add(1)
	gctx, cancel := context.WithTimeout(ctx, directGetTimeout)
	defer cancel()
	var m *metav1.PartialObjectMetadata
	if e.namespaced {
		m, err = c.client.Resource(e.gvr).Namespace(ref.Namespace).Get(gctx, ref.Name, metav1.GetOptions{})
	} else {
		m, err = c.client.Resource(e.gvr).Get(gctx, ref.Name, metav1.GetOptions{})
	}
	if err != nil {
		return nil, err
	}
	return &m.ObjectMeta, nil
}

// kind returns the informer of a kind, starting it on first use.
func (c *MetadataCache) kind(gvk schema.GroupVersionKind) (*kindEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.kinds[gvk]; ok {
		return e, nil
	}
	mapping, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		// A kind installed after discovery was cached.
		c.mapper.Reset()
		mapping, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("finding the resource of %s: %w", gvk, err)
	}
	inf := c.factory.ForResource(mapping.Resource)
	e := &kindEntry{
		gvr:        mapping.Resource,
		namespaced: mapping.Scope.Name() == meta.RESTScopeNameNamespace,
		informer:   inf.Informer(),
		lister:     inf.Lister(),
	}
	c.kinds[gvk] = e
	c.factory.Start(c.ctx.Done())
	klog.InfoS("Watching resource template metadata", "resource", mapping.Resource.String())
	return e, nil
}
