package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/utils/ptr"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	karmadaclientset "github.com/karmada-io/karmada/pkg/generated/clientset/versioned"
	"github.com/karmada-io/karmada/pkg/util/names"
)

// workers is how many goroutines create objects concurrently.
const workers = 8

// templateRef is a created resource template.
type templateRef struct {
	uid types.UID
	rv  string
}

// workloads creates the resource templates (Deployments) once and the bindings of each run.
type workloads struct {
	kc   karmadaclientset.Interface
	kube kubernetes.Interface
	f    *fleet
	// replicaScheduling is Duplicated or Divided.
	replicaScheduling policyv1alpha1.ReplicaSchedulingType
	refs              []templateRef
}

// parallel runs fn for 0..n-1 on workers goroutines and returns the first error.
func parallel(n int, fn func(i int) error) error {
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// createTemplates creates (or finds) a Deployment per workload with its annotations. No
// PropagationPolicy matches them, so Karmada's detector makes no binding of its own.
func (w *workloads) createTemplates(ctx context.Context) error {
	if err := ensureNamespace(ctx, w.kube, w.f.namespace); err != nil {
		return err
	}
	w.refs = make([]templateRef, len(w.f.apps))
	return parallel(len(w.f.apps), func(i int) error {
		a := &w.f.apps[i]
		labels := map[string]string{"app": a.name, benchLabel: "true"}
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: a.name, Namespace: w.f.namespace, Labels: labels, Annotations: a.annotations},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To(a.replicas),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": a.name}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": a.name}},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{
						Name: "app", Image: "registry.k8s.io/pause:3.10",
						Resources: corev1.ResourceRequirements{Requests: w.requests(a)},
					}}},
				},
			},
		}
		got, err := w.kube.AppsV1().Deployments(w.f.namespace).Create(ctx, d, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			got, err = w.kube.AppsV1().Deployments(w.f.namespace).Get(ctx, a.name, metav1.GetOptions{})
		}
		if err != nil {
			return fmt.Errorf("creating the template %s: %w", a.name, err)
		}
		w.refs[i] = templateRef{uid: got.UID, rv: got.ResourceVersion}
		return nil
	})
}

func (w *workloads) requests(a *app) corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(a.cpuMilli, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(a.memoryMi<<20, resource.BinarySI),
	}
}

// binding is the ResourceBinding Karmada's detector would make for workload i under a policy
// with a cluster spread constraint (one cluster), for the given scheduler.
func (w *workloads) binding(i int, schedulerName string) *workv1alpha2.ResourceBinding {
	a := &w.f.apps[i]
	rs := &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: w.replicaScheduling}
	if w.replicaScheduling == policyv1alpha1.ReplicaSchedulingTypeDivided {
		rs.ReplicaDivisionPreference = policyv1alpha1.ReplicaDivisionPreferenceAggregated
	}
	return &workv1alpha2.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name: names.GenerateBindingName("Deployment", a.name), Namespace: w.f.namespace,
			// The managed-by label is one of the labels Karmada's scheduler requires of a binding.
			Labels: map[string]string{benchLabel: "true", workv1alpha2.BindingManagedByLabel: "kurator-throughput-bench"},
		},
		Spec: workv1alpha2.ResourceBindingSpec{
			Resource: workv1alpha2.ObjectReference{
				APIVersion: "apps/v1", Kind: "Deployment", Namespace: w.f.namespace, Name: a.name,
				UID: w.refs[i].uid, ResourceVersion: w.refs[i].rv,
			},
			Replicas:            a.replicas,
			ReplicaRequirements: &workv1alpha2.ReplicaRequirements{ResourceRequest: w.requests(a)},
			Placement: &policyv1alpha1.Placement{
				ClusterAffinity: &policyv1alpha1.ClusterAffinity{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{benchLabel: "true"}}},
				SpreadConstraints: []policyv1alpha1.SpreadConstraint{{
					SpreadByField: policyv1alpha1.SpreadByFieldCluster, MinGroups: 1, MaxGroups: 1,
				}},
				ReplicaScheduling: rs,
			},
			SchedulerName: schedulerName,
		},
	}
}

// measurement is the outcome of one scheduler's run.
type measurement struct {
	label     string
	bindings  int
	failed    int           // bindings whose Scheduled condition turned False
	created   time.Duration // from the first create to the last create's answer
	elapsed   time.Duration // from the first create to the last Scheduled=True seen
	cpu       time.Duration // the scheduler process's CPU time over elapsed
	attempts  float64       // scheduling attempts (karmada_scheduler_schedule_attempts_total)
	algorithm time.Duration // mean algorithm time per attempt
	p50, p99  time.Duration // creation to Scheduled=True, per binding
	rss       int64
	// directGets counts resource templates kurator-scheduler read with an API call instead of
	// its metadata informer (kurator_scheduler_template_direct_gets_total).
	directGets float64
	// idleCPU is the scheduler's CPU use with nothing to schedule, ms per second.
	idleCPU float64
	reason  string // why a run ended early, "" when complete
}

func (m *measurement) rate() float64 { return float64(m.bindings-m.failed) / m.elapsed.Seconds() }

func (m *measurement) cpuRate() float64 {
	if m.cpu <= 0 {
		return 0
	}
	return float64(m.bindings-m.failed) / m.cpu.Seconds()
}

// run creates every binding for p's scheduler and waits (at most timeout) until each is
// Scheduled=True, watching the bindings.
func (w *workloads) run(ctx context.Context, p *schedulerProc, schedulerName string, timeout time.Duration, profilePath string, profileFor time.Duration) (measurement, error) {
	m := measurement{label: p.name, bindings: len(w.f.apps)}
	rbs := w.kc.WorkV1alpha2().ResourceBindings(w.f.namespace)
	list, err := rbs.List(ctx, metav1.ListOptions{LabelSelector: benchLabel + "=true"})
	if err != nil {
		return m, fmt.Errorf("listing bindings: %w", err)
	}
	if len(list.Items) > 0 {
		return m, fmt.Errorf("%d bindings of an earlier run remain in %s", len(list.Items), w.f.namespace)
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rw, err := watchtools.NewRetryWatcherWithContext(wctx, list.ResourceVersion, &cache.ListWatch{
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = benchLabel + "=true"
			return rbs.Watch(ctx, o)
		},
	})
	if err != nil {
		return m, fmt.Errorf("watching bindings: %w", err)
	}
	defer rw.Stop()

	index := make(map[string]int, len(w.f.apps))
	for i := range w.f.apps {
		index[names.GenerateBindingName("Deployment", w.f.apps[i].name)] = i
	}
	createdAt := make([]time.Time, len(w.f.apps))
	var createErr error
	cpu0, _ := p.cpu()
	attempts0, _ := p.metric("karmada_scheduler_schedule_attempts_total")
	algo0, _ := p.metric("karmada_scheduler_scheduling_algorithm_duration_seconds_sum")
	algoN0, _ := p.metric("karmada_scheduler_scheduling_algorithm_duration_seconds_count")
	gets0, _ := p.metric("kurator_scheduler_template_direct_gets_total")
	profiled := make(chan struct{})
	if profilePath != "" {
		go func() {
			defer close(profiled)
			if err := p.profile(profileFor, profilePath); err != nil {
				fmt.Printf("profiling %s: %v\n", p.name, err)
			}
		}()
	} else {
		close(profiled)
	}
	// The profile is taken from the first binding on; the scheduler stops after it is saved.
	defer func() {
		select {
		case <-profiled:
		case <-time.After(profileFor + 30*time.Second):
		}
	}()
	start := time.Now()
	createDone := make(chan struct{})
	go func() {
		defer close(createDone)
		createErr = parallel(len(w.f.apps), func(i int) error {
			_, err := rbs.Create(wctx, w.binding(i, schedulerName), metav1.CreateOptions{})
			createdAt[i] = time.Now()
			if err != nil {
				return fmt.Errorf("creating binding %d: %w", i, err)
			}
			return nil
		})
		m.created = time.Since(start)
	}()

	scheduledAt := make([]time.Time, len(w.f.apps))
	done := 0
	var last time.Time
	for done < len(w.f.apps) && m.reason == "" {
		select {
		case <-wctx.Done():
			m.reason = fmt.Sprintf("timed out after %s with %d of %d bindings scheduled", timeout, done, len(w.f.apps))
		case ev, ok := <-rw.ResultChan():
			if !ok {
				m.reason = "the watch ended"
				break
			}
			rb, isRB := ev.Object.(*workv1alpha2.ResourceBinding)
			if !isRB || (ev.Type != watch.Added && ev.Type != watch.Modified) {
				continue
			}
			i, known := index[rb.Name]
			if !known || !scheduledAt[i].IsZero() {
				continue
			}
			c := meta.FindStatusCondition(rb.Status.Conditions, workv1alpha2.Scheduled)
			if c == nil {
				continue
			}
			if c.Status != metav1.ConditionTrue {
				if c.Reason == workv1alpha2.BindingReasonNoClusterFit {
					m.failed++ // not retried by Karmada: counts as finished
				} else {
					continue // retried
				}
			}
			last = time.Now()
			scheduledAt[i] = last
			done++
		}
	}
	<-createDone
	if last.IsZero() {
		last = time.Now()
	}
	m.elapsed = last.Sub(start)
	if cpu1, err := p.cpu(); err == nil {
		m.cpu = cpu1 - cpu0
	}
	attempts1, _ := p.metric("karmada_scheduler_schedule_attempts_total")
	algo1, _ := p.metric("karmada_scheduler_scheduling_algorithm_duration_seconds_sum")
	algoN1, _ := p.metric("karmada_scheduler_scheduling_algorithm_duration_seconds_count")
	m.attempts = attempts1 - attempts0
	gets1, _ := p.metric("kurator_scheduler_template_direct_gets_total")
	m.directGets = gets1 - gets0
	if n := algoN1 - algoN0; n > 0 {
		m.algorithm = time.Duration((algo1 - algo0) / n * float64(time.Second))
	}
	m.rss = p.rss()
	var lat []time.Duration
	for i := range scheduledAt {
		if !scheduledAt[i].IsZero() && !createdAt[i].IsZero() {
			lat = append(lat, scheduledAt[i].Sub(createdAt[i]))
		}
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		m.p50, m.p99 = lat[len(lat)/2], lat[(len(lat)*99)/100]
	}
	if createErr != nil {
		return m, createErr
	}
	return m, nil
}

// cleanup deletes the run's bindings, the Works Karmada's binding controller made from them
// in the bench clusters' execution namespaces, and the schedulers' events, and waits (at
// most timeout) until the bindings are gone.
func (w *workloads) cleanup(ctx context.Context, timeout time.Duration) error {
	sel := metav1.ListOptions{LabelSelector: benchLabel + "=true"}
	rbs := w.kc.WorkV1alpha2().ResourceBindings(w.f.namespace)
	if err := rbs.DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil {
		return fmt.Errorf("deleting bindings: %w", err)
	}
	for _, c := range w.f.clusters {
		ns := names.GenerateExecutionSpaceName(c.name)
		if err := w.kc.WorkV1alpha1().Works(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting works in %s: %w", ns, err)
		}
	}
	if err := w.kube.CoreV1().Events(w.f.namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		return fmt.Errorf("deleting events: %w", err)
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		list, err := rbs.List(ctx, sel)
		if err == nil && len(list.Items) == 0 {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("bindings still present after %s", timeout)
}

func metav1DeleteOptions() metav1.DeleteOptions {
	return metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}
}
