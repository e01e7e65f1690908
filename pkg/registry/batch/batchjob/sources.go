package batchjob

import (
	"fmt"
	"sort"
	"strings"
	"time"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	worklisters "github.com/karmada-io/karmada/pkg/generated/listers/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/util/names"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	schedulinglisters "k8s.io/client-go/listers/scheduling/v1"
	"k8s.io/client-go/tools/cache"
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	vclisters "volcano.sh/apis/pkg/client/listers/batch/v1alpha1"

	"kurator.dev/kurator/pkg/apis/batch"
	batchlisters "kurator.dev/kurator/pkg/generated/listers/batch/v1alpha1"
	fleetlisters "kurator.dev/kurator/pkg/generated/listers/fleet/v1alpha1"
)

// volcanoJobAPIVersion and volcanoJobKind identify Volcano Jobs in ResourceBindings.
const (
	volcanoJobAPIVersion = "batch.volcano.sh/v1alpha1"
	volcanoJobKind       = "Job"
)

// Cache is one informer cache the views read, with what it holds for error messages.
type Cache struct {
	// What the cache holds, for example "Volcano Jobs of the Karmada apiserver".
	What string
	// HasSynced reports whether the cache has been filled once.
	HasSynced cache.InformerSynced
}

// Sources are the caches batch job views are computed from. Every lister must be set.
type Sources struct {
	// Jobs lists the Volcano Jobs of the Karmada apiserver.
	Jobs vclisters.JobLister
	// Bindings gets the ResourceBindings of the Karmada apiserver.
	Bindings worklisters.ResourceBindingLister
	// PriorityClasses lists the PriorityClasses of the Karmada apiserver.
	PriorityClasses schedulinglisters.PriorityClassLister
	// Fleets lists the fleets, for their batch defaults.
	Fleets fleetlisters.FleetLister
	// Queues lists the FleetQueues.
	Queues batchlisters.FleetQueueLister
	// Caches are the informer caches behind the listers.
	Caches []Cache
	// DefaultRuntime is the runtime assumed for jobs without spec.runningEstimate; 0 means
	// DefaultRuntime.
	DefaultRuntime time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Unavailable says which caches have not been filled yet, or "" when all have.
func (s *Sources) Unavailable() string {
	var missing []string
	for _, c := range s.Caches {
		if !c.HasSynced() {
			missing = append(missing, c.What)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "kurator-apiserver has not listed the " + strings.Join(missing, ", ") + " yet; it keeps retrying (check its logs and RBAC, and that the batch.volcano.sh Job CRD is installed in the Karmada apiserver)"
}

// Environment returns the environment of the views at this moment.
func (s *Sources) Environment() (*Environment, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	env := &Environment{Queues: sets.New[string](), PriorityClasses: map[string]int32{}, DefaultRuntime: s.DefaultRuntime, Now: now()}
	if env.DefaultRuntime <= 0 {
		env.DefaultRuntime = DefaultRuntime
	}
	queues, err := s.Queues.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("listing fleet queues: %w", err)
	}
	for _, q := range queues {
		env.Queues.Insert(q.Name)
	}
	fleets, err := s.Fleets.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("listing fleets: %w", err)
	}
	sort.Slice(fleets, func(i, j int) bool { return fleets[i].Name < fleets[j].Name })
	for _, f := range fleets {
		b := f.Spec.Batch
		if b == nil {
			continue
		}
		if env.DefaultQueue == "" && b.DefaultQueue != "" {
			env.DefaultQueue, env.DefaultQueueFleet = b.DefaultQueue, f.Name
		}
		if env.DefaultPriorityClassName == "" && b.DefaultPriorityClassName != "" {
			env.DefaultPriorityClassName, env.DefaultPriorityClassFleet = b.DefaultPriorityClassName, f.Name
		}
	}
	classes, err := s.PriorityClasses.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("listing priority classes: %w", err)
	}
	globalValue := int32(0)
	for _, pc := range classes {
		env.PriorityClasses[pc.Name] = pc.Value
		// With several global defaults, the lowest value wins, as in Kubernetes' admission.
		if pc.GlobalDefault && (env.GlobalDefaultPriorityClass == "" || pc.Value < globalValue ||
			pc.Value == globalValue && pc.Name < env.GlobalDefaultPriorityClass) {
			env.GlobalDefaultPriorityClass, globalValue = pc.Name, pc.Value
		}
	}
	return env, nil
}

// Binding returns the ResourceBinding of a Volcano Job, nil when there is none.
func (s *Sources) Binding(job *vcbatchv1alpha1.Job) (*workv1alpha2.ResourceBinding, error) {
	rb, err := s.Bindings.ResourceBindings(job.Namespace).Get(names.GenerateBindingName(volcanoJobKind, job.Name))
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("getting the ResourceBinding of Job %s/%s: %w", job.Namespace, job.Name, err)
	}
	r := rb.Spec.Resource
	if r.APIVersion != volcanoJobAPIVersion || r.Kind != volcanoJobKind || r.Name != job.Name || (r.UID != "" && r.UID != job.UID) {
		// A binding of another object that happens to have the name Karmada would give.
		return nil, nil
	}
	return rb, nil
}

// Views returns the views of the Volcano Jobs of a namespace ("" for all) that selector
// matches, sorted by namespace and name, computed against env.
func (s *Sources) Views(env *Environment, namespace string, selector labels.Selector) ([]batch.BatchJob, error) {
	var (
		jobs []*vcbatchv1alpha1.Job
		err  error
	)
	if namespace == "" {
		jobs, err = s.Jobs.List(selector)
	} else {
		jobs, err = s.Jobs.Jobs(namespace).List(selector)
	}
	if err != nil {
		return nil, fmt.Errorf("listing Volcano Jobs: %w", err)
	}
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].Namespace != jobs[j].Namespace {
			return jobs[i].Namespace < jobs[j].Namespace
		}
		return jobs[i].Name < jobs[j].Name
	})
	out := make([]batch.BatchJob, 0, len(jobs))
	for _, job := range jobs {
		rb, err := s.Binding(job)
		if err != nil {
			return nil, err
		}
		out = append(out, *env.BatchJob(job, rb))
	}
	return out, nil
}

// CountJobs counts the queued, dispatched and running jobs of every fleet queue, by queue
// name, or says why the jobs cannot be counted.
func (s *Sources) CountJobs() (map[string]batch.FleetQueueStatus, string) {
	if msg := s.Unavailable(); msg != "" {
		return nil, msg
	}
	env, err := s.Environment()
	if err != nil {
		return nil, err.Error()
	}
	views, err := s.Views(env, "", labels.Everything())
	if err != nil {
		return nil, err.Error()
	}
	return CountJobs(views), ""
}

// CountJobs counts the queued, dispatched and running jobs among views, by queue name.
func CountJobs(views []batch.BatchJob) map[string]batch.FleetQueueStatus {
	counts := map[string]batch.FleetQueueStatus{}
	for i := range views {
		st := &views[i].Status
		c := counts[st.Queue]
		switch st.State {
		case batch.BatchJobQueued:
			c.QueuedJobs++
		case batch.BatchJobDispatched:
			c.DispatchedJobs++
		case batch.BatchJobRunning:
			c.RunningJobs++
		default:
			continue
		}
		counts[st.Queue] = c
	}
	return counts
}
