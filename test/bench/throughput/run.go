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
// Each scheduler has its own copy of the templates, named after its label, so that its
// bindings are named as Karmada's detector would name them and Karmada's binding
// controller makes Works of their own when both schedulers run at once.
type workloads struct {
	kc   karmadaclientset.Interface
	kube kubernetes.Interface
	f    *fleet
	// replicaScheduling is Duplicated or Divided.
	replicaScheduling policyv1alpha1.ReplicaSchedulingType
	// refs are the templates by scheduler label, then workload.
	refs map[string][]templateRef
}

// templateName is the name of workload i's template for the scheduler labelled label.
func (w *workloads) templateName(i int, label string) string { return label + "-" + w.f.apps[i].name }

// bindingName is the name of workload i's binding for the scheduler labelled label.
func (w *workloads) bindingName(i int, label string) string {
	return names.GenerateBindingName("Deployment", w.templateName(i, label))
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
func (w *workloads) createTemplates(ctx context.Context, labels []string) error {
	if err := ensureNamespace(ctx, w.kube, w.f.namespace); err != nil {
		return err
	}
	w.refs = map[string][]templateRef{}
	for _, l := range labels {
		w.refs[l] = make([]templateRef, len(w.f.apps))
	}
	n := len(w.f.apps)
	return parallel(n*len(labels), func(j int) error {
		i, label := j%n, labels[j/n]
		a := &w.f.apps[i]
		name := w.templateName(i, label)
		labels := map[string]string{"app": a.name, benchLabel: "true"}
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.f.namespace, Labels: labels, Annotations: a.annotations},
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
			got, err = w.kube.AppsV1().Deployments(w.f.namespace).Get(ctx, name, metav1.GetOptions{})
		}
		if err != nil {
			return fmt.Errorf("creating the template %s: %w", name, err)
		}
		w.refs[label][i] = templateRef{uid: got.UID, rv: got.ResourceVersion}
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
func (w *workloads) binding(i int, s schedulerSpec) *workv1alpha2.ResourceBinding {
	a := &w.f.apps[i]
	ref := w.refs[s.label][i]
	rs := &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: w.replicaScheduling}
	if w.replicaScheduling == policyv1alpha1.ReplicaSchedulingTypeDivided {
		rs.ReplicaDivisionPreference = policyv1alpha1.ReplicaDivisionPreferenceAggregated
	}
	return &workv1alpha2.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name: w.bindingName(i, s.label), Namespace: w.f.namespace,
			// The managed-by label is one of the labels Karmada's scheduler requires of a binding.
			Labels: map[string]string{benchLabel: "true", workv1alpha2.BindingManagedByLabel: "kurator-throughput-bench"},
		},
		Spec: workv1alpha2.ResourceBindingSpec{
			Resource: workv1alpha2.ObjectReference{
				APIVersion: "apps/v1", Kind: "Deployment", Namespace: w.f.namespace, Name: w.templateName(i, s.label),
				UID: ref.uid, ResourceVersion: ref.rv,
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
			SchedulerName: s.schedulerName,
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
	// e2e is the mean time per attempt from taking the binding off the queue to its
	// result written (algorithm, the spec and status patches): with Karmada's single
	// scheduling worker, what sets the pace.
	e2e      time.Duration
	p50, p99 time.Duration // creation to Scheduled=True, per binding
	rss      int64
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

// lane is one scheduler's part of a run: its process and its bindings, which carry its
// scheduler name and are made from its own copy of the templates.
type lane struct {
	p     *schedulerProc
	spec  schedulerSpec
	m     measurement
	start metricSet
	cpu0  time.Duration
	// createdAt and scheduledAt are per workload.
	createdAt, scheduledAt []time.Time
	done                   int
	last                   time.Time
}

// begin records the lane's starting point: CPU time and metrics.
func (l *lane) begin() {
	l.cpu0, _ = l.p.cpu()
	l.start, _ = l.p.scrape()
}

// end records the lane's end, from the run's start: elapsed time, CPU time and RSS, read
// from /proc at once, while the other lane may still be working.
func (l *lane) end(start time.Time) {
	m := &l.m
	if l.last.IsZero() {
		l.last = time.Now()
	}
	m.elapsed = l.last.Sub(start)
	if cpu1, err := l.p.cpu(); err == nil {
		m.cpu = cpu1 - l.cpu0
	}
	m.rss = l.p.rss()
}

// summarize completes the measurement after the run: the scheduler's metrics (unchanged
// since its end, as it has had nothing to schedule) and the latency percentiles. The HTTP
// scrape stays out of the watch loop, where it would delay the other lane's events.
func (l *lane) summarize() {
	m := &l.m
	end, err := l.p.scrape()
	if err == nil && l.start != nil {
		m.attempts = end.value("karmada_scheduler_schedule_attempts_total") - l.start.value("karmada_scheduler_schedule_attempts_total")
		m.directGets = end.value("kurator_scheduler_template_direct_gets_total") - l.start.value("kurator_scheduler_template_direct_gets_total")
		m.algorithm = meanDelta(l.start, end, "karmada_scheduler_scheduling_algorithm_duration_seconds")
		m.e2e = meanDelta(l.start, end, "karmada_scheduler_e2e_scheduling_duration_seconds")
	}
	var lat []time.Duration
	for i := range l.scheduledAt {
		if !l.scheduledAt[i].IsZero() && !l.createdAt[i].IsZero() {
			lat = append(lat, l.scheduledAt[i].Sub(l.createdAt[i]))
		}
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		m.p50, m.p99 = lat[len(lat)/2], lat[(len(lat)*99)/100]
	}
}

// meanDelta is the mean of a histogram's observations between two scrapes.
func meanDelta(a, b metricSet, name string) time.Duration {
	s0, n0 := a.histogram(name)
	s1, n1 := b.histogram(name)
	if n1 <= n0 {
		return 0
	}
	return time.Duration((s1 - s0) / (n1 - n0) * float64(time.Second))
}

// run creates every lane's bindings, interleaved, and waits (at most timeout) until each is
// Scheduled=True, watching the bindings. With several lanes their schedulers work at the
// same time, under the same conditions.
func (w *workloads) run(ctx context.Context, procs []*schedulerProc, specs []schedulerSpec, timeout time.Duration, profilePaths []string, profileFor time.Duration) ([]measurement, error) {
	n := len(w.f.apps)
	lanes := make([]*lane, len(procs))
	index := make(map[string][2]int, n*len(procs))
	for k := range procs {
		lanes[k] = &lane{p: procs[k], spec: specs[k], m: measurement{label: specs[k].label, bindings: n},
			createdAt: make([]time.Time, n), scheduledAt: make([]time.Time, n)}
		for i := range w.f.apps {
			index[w.bindingName(i, specs[k].label)] = [2]int{k, i}
		}
	}
	results := func() []measurement {
		out := make([]measurement, len(lanes))
		for k, l := range lanes {
			out[k] = l.m
		}
		return out
	}
	rbs := w.kc.WorkV1alpha2().ResourceBindings(w.f.namespace)
	list, err := rbs.List(ctx, metav1.ListOptions{LabelSelector: benchLabel + "=true"})
	if err != nil {
		return results(), fmt.Errorf("listing bindings: %w", err)
	}
	if len(list.Items) > 0 {
		return results(), fmt.Errorf("%d bindings of an earlier run remain in %s", len(list.Items), w.f.namespace)
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
		return results(), fmt.Errorf("watching bindings: %w", err)
	}
	defer rw.Stop()

	for _, l := range lanes {
		l.begin()
	}
	// Profiles are taken from the first binding on; the schedulers stop after they are saved.
	var profiling sync.WaitGroup
	for k, path := range profilePaths {
		if path == "" {
			continue
		}
		profiling.Add(1)
		go func() {
			defer profiling.Done()
			if err := lanes[k].p.profile(profileFor, path); err != nil {
				fmt.Printf("profiling %s: %v\n", lanes[k].p.name, err)
			}
		}()
	}
	defer func() {
		profiled := make(chan struct{})
		go func() { profiling.Wait(); close(profiled) }()
		select {
		case <-profiled:
		case <-time.After(profileFor + 30*time.Second):
		}
	}()
	start := time.Now()
	createDone := make(chan struct{})
	var createErr error
	go func() {
		defer close(createDone)
		createErr = parallel(n*len(lanes), func(j int) error {
			l, i := lanes[j%len(lanes)], j/len(lanes)
			_, err := rbs.Create(wctx, w.binding(i, l.spec), metav1.CreateOptions{})
			l.createdAt[i] = time.Now()
			if err != nil {
				return fmt.Errorf("creating binding %d of %s: %w", i, l.spec.label, err)
			}
			return nil
		})
		created := time.Since(start)
		for _, l := range lanes {
			l.m.created = created
		}
	}()

	remaining, reason := len(lanes), ""
	for remaining > 0 && reason == "" {
		select {
		case <-wctx.Done():
			reason = fmt.Sprintf("timed out after %s", timeout)
		case ev, ok := <-rw.ResultChan():
			if !ok {
				reason = "the watch ended"
				break
			}
			rb, isRB := ev.Object.(*workv1alpha2.ResourceBinding)
			if !isRB || (ev.Type != watch.Added && ev.Type != watch.Modified) {
				continue
			}
			at, known := index[rb.Name]
			if !known {
				continue
			}
			l, i := lanes[at[0]], at[1]
			if !l.scheduledAt[i].IsZero() {
				continue
			}
			c := meta.FindStatusCondition(rb.Status.Conditions, workv1alpha2.Scheduled)
			if c == nil {
				continue
			}
			if c.Status != metav1.ConditionTrue {
				if c.Reason != workv1alpha2.BindingReasonNoClusterFit {
					continue // retried
				}
				l.m.failed++ // not retried by Karmada: counts as finished
			}
			l.last = time.Now()
			l.scheduledAt[i] = l.last
			l.done++
			if l.done == n {
				l.end(start)
				remaining--
			}
		}
	}
	for _, l := range lanes {
		if l.done < n {
			l.m.reason = fmt.Sprintf("%s with %d of %d bindings scheduled", reason, l.done, n)
			l.end(start)
		}
		l.summarize()
	}
	<-createDone
	return results(), createErr
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
