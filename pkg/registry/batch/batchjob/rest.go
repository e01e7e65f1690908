package batchjob

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"kurator.dev/kurator/pkg/apis/batch"
)

// REST serves the batchjobs resource: get and list only, computed on every read.
type REST struct {
	sources *Sources
	tableConvertor
}

var (
	_ rest.Storage              = &REST{}
	_ rest.Scoper               = &REST{}
	_ rest.Getter               = &REST{}
	_ rest.Lister               = &REST{}
	_ rest.ShortNamesProvider   = &REST{}
	_ rest.CategoriesProvider   = &REST{}
	_ rest.SingularNameProvider = &REST{}
)

// NewREST returns the storage of batchjobs over sources.
func NewREST(sources *Sources) *REST {
	return &REST{sources: sources, tableConvertor: tableConvertor{now: sources.now}}
}

// now is the sources' clock.
func (s *Sources) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// New returns an empty BatchJob.
func (r *REST) New() runtime.Object { return &batch.BatchJob{} }

// NewList returns an empty BatchJobList.
func (r *REST) NewList() runtime.Object { return &batch.BatchJobList{} }

// Destroy does nothing: the storage holds nothing of its own.
func (r *REST) Destroy() {}

// NamespaceScoped is true: a batch job lives in the namespace of its Volcano Job.
func (r *REST) NamespaceScoped() bool { return true }

// GetSingularName returns batchjob.
func (r *REST) GetSingularName() string { return "batchjob" }

// ShortNames lets `kubectl get bj` list batch jobs.
func (r *REST) ShortNames() []string { return []string{"bj"} }

// Categories lets `kubectl get kurator` list batch jobs with kurator's other kinds.
func (r *REST) Categories() []string { return []string{"kurator"} }

// Get returns the view of the Volcano Job of that name in the request's namespace.
func (r *REST) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	if msg := r.sources.Unavailable(); msg != "" {
		return nil, apierrors.NewServiceUnavailable(msg)
	}
	namespace := genericapirequest.NamespaceValue(ctx)
	job, err := r.sources.Jobs.Jobs(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil, apierrors.NewNotFound(batch.Resource("batchjobs"), name)
	}
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("getting Volcano Job %s/%s: %w", namespace, name, err))
	}
	env, err := r.sources.Environment()
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	rb, err := r.sources.Binding(job)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return env.BatchJob(job, rb), nil
}

// List returns the views of the Volcano Jobs of the request's namespace (all namespaces
// when it has none) that the label and field selectors match.
func (r *REST) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	if msg := r.sources.Unavailable(); msg != "" {
		return nil, apierrors.NewServiceUnavailable(msg)
	}
	label, field := labels.Everything(), fields.Everything()
	if options != nil {
		if options.LabelSelector != nil {
			label = options.LabelSelector
		}
		if options.FieldSelector != nil {
			field = options.FieldSelector
		}
	}
	env, err := r.sources.Environment()
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	views, err := r.sources.Views(env, genericapirequest.NamespaceValue(ctx), label)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	list := &batch.BatchJobList{Items: make([]batch.BatchJob, 0, len(views))}
	for _, v := range views {
		if field.Matches(fields.Set{"metadata.name": v.Name, "metadata.namespace": v.Namespace}) {
			list.Items = append(list.Items, v)
		}
	}
	return list, nil
}
