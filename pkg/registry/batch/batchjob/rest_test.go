package batchjob

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	worklisters "github.com/karmada-io/karmada/pkg/generated/listers/work/v1alpha2"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	schedulinglisters "k8s.io/client-go/listers/scheduling/v1"
	"k8s.io/client-go/tools/cache"
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	vclisters "volcano.sh/apis/pkg/client/listers/batch/v1alpha1"

	"kurator.dev/kurator/pkg/apis/batch"
	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	batchlisters "kurator.dev/kurator/pkg/generated/listers/batch/v1alpha1"
	fleetlisters "kurator.dev/kurator/pkg/generated/listers/fleet/v1alpha1"
)

// fixture is a Sources over indexers the test fills.
type fixture struct {
	jobs, bindings, classes, fleets, queues cache.Indexer
	synced                                  bool
	sources                                 *Sources
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{synced: true}
	idx := func() cache.Indexer {
		return cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	f.jobs, f.bindings, f.classes, f.fleets, f.queues = idx(), idx(), idx(), idx(), idx()
	f.sources = &Sources{
		Jobs:            vclisters.NewJobLister(f.jobs),
		Bindings:        worklisters.NewResourceBindingLister(f.bindings),
		PriorityClasses: schedulinglisters.NewPriorityClassLister(f.classes),
		Fleets:          fleetlisters.NewFleetLister(f.fleets),
		Queues:          batchlisters.NewFleetQueueLister(f.queues),
		Caches: []Cache{
			{What: "Volcano Jobs", HasSynced: func() bool { return f.synced }},
			{What: "fleets", HasSynced: func() bool { return true }},
		},
		Now: func() time.Time { return now },
	}
	add := func(i cache.Indexer, objs ...interface{}) {
		for _, o := range objs {
			if err := i.Add(o); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(f.queues, &batchv1alpha1.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: "train"}}, &batchv1alpha1.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: "infer"}})
	add(f.fleets,
		&fleetv1alpha1.Fleet{ObjectMeta: metav1.ObjectMeta{Name: "b-fleet"}, Spec: fleetv1alpha1.FleetSpec{Batch: &fleetv1alpha1.FleetBatch{DefaultQueue: "infer"}}},
		&fleetv1alpha1.Fleet{ObjectMeta: metav1.ObjectMeta{Name: "a-fleet"}, Spec: fleetv1alpha1.FleetSpec{Batch: &fleetv1alpha1.FleetBatch{DefaultPriorityClassName: "high"}}},
		&fleetv1alpha1.Fleet{ObjectMeta: metav1.ObjectMeta{Name: "c-fleet"}, Spec: fleetv1alpha1.FleetSpec{Batch: &fleetv1alpha1.FleetBatch{DefaultQueue: "train"}}},
	)
	add(f.classes,
		&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 1000},
		&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "z-default"}, Value: 5, GlobalDefault: true},
		&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "a-default"}, Value: 7, GlobalDefault: true},
	)
	mk := func(ns, name, queue string, lbl map[string]string) *vcbatchv1alpha1.Job {
		j := &vcbatchv1alpha1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name), Labels: lbl}}
		if queue != "" {
			j.Annotations = map[string]string{batch.AnnotationQueue: queue}
		}
		return j
	}
	add(f.jobs,
		mk("ml", "resnet", "train", map[string]string{"team": "vision"}),
		mk("ml", "bert", "", map[string]string{"team": "nlp"}),
		mk("ml", "gpt", "train", nil),
		mk("etl", "nightly", "infer", nil),
	)
	rb := func(ns, name, jobName string, uid string, opts ...bindingOpt) *workv1alpha2.ResourceBinding {
		b := &workv1alpha2.ResourceBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: workv1alpha2.ResourceBindingSpec{Resource: workv1alpha2.ObjectReference{
				APIVersion: "batch.volcano.sh/v1alpha1", Kind: "Job", Namespace: ns, Name: jobName, UID: types.UID("uid-" + uid),
			}},
		}
		for _, o := range opts {
			o(b)
		}
		return b
	}
	add(f.bindings,
		rb("ml", "resnet-job", "resnet", "resnet", suspended, decided(batch.AnnotationState, "Running", batch.AnnotationCluster, "aliyun")),
		rb("ml", "bert-job", "bert", "bert", suspended, decided(batch.AnnotationState, "Dispatched", batch.AnnotationCluster, "edge")),
		// A binding with the name Karmada would give gpt's, but of an older Job of that name.
		rb("ml", "gpt-job", "gpt", "old-gpt", decided(batch.AnnotationState, "Running")),
	)
	return f
}

func TestEnvironment(t *testing.T) {
	f := newFixture(t)
	env, err := f.sources.Environment()
	if err != nil {
		t.Fatal(err)
	}
	want := &Environment{
		Queues:       env.Queues,
		DefaultQueue: "infer", DefaultQueueFleet: "b-fleet",
		DefaultPriorityClassName: "high", DefaultPriorityClassFleet: "a-fleet",
		PriorityClasses:            map[string]int32{"high": 1000, "z-default": 5, "a-default": 7},
		GlobalDefaultPriorityClass: "z-default",
		DefaultRuntime:             DefaultRuntime,
		Now:                        now,
	}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("environment mismatch (-want +got):\n%s", diff)
	}
	if got := env.Queues.UnsortedList(); len(got) != 2 || !env.Queues.Has("train") || !env.Queues.Has("infer") {
		t.Errorf("queues = %v, want train and infer", got)
	}
}

func TestREST(t *testing.T) {
	f := newFixture(t)
	r := NewREST(f.sources)
	ml := genericapirequest.WithNamespace(t.Context(), "ml")

	obj, err := r.Get(ml, "resnet", &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting ml/resnet: %v", err)
	}
	got := obj.(*batch.BatchJob)
	if got.Status.State != batch.BatchJobRunning || got.Status.Cluster != "aliyun" || got.Status.Queue != "train" || got.Status.Priority != 1000 {
		t.Errorf("ml/resnet = %+v, want Running on aliyun in train with the fleet default priority 1000", got.Status)
	}

	obj, err = r.Get(ml, "gpt", &metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st := obj.(*batch.BatchJob).Status; st.ResourceBinding != "" || st.Reason != batch.ReasonWaitingForResourceBinding {
		t.Errorf("ml/gpt has a binding of another Job of the same name: got binding %q, reason %s", st.ResourceBinding, st.Reason)
	}

	if _, err := r.Get(ml, "nightly", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("getting etl/nightly in namespace ml: got %v, want NotFound", err)
	}

	names := func(obj interface{}) []string {
		var out []string
		for _, j := range obj.(*batch.BatchJobList).Items {
			out = append(out, j.Namespace+"/"+j.Name)
		}
		return out
	}
	list, err := r.List(genericapirequest.WithNamespace(t.Context(), ""), &metainternalversion.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"etl/nightly", "ml/bert", "ml/gpt", "ml/resnet"}, names(list)); diff != "" {
		t.Errorf("all namespaces (-want +got):\n%s", diff)
	}
	list, err = r.List(ml, &metainternalversion.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{"team": "nlp"})})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ml/bert"}, names(list)); diff != "" {
		t.Errorf("team=nlp in ml (-want +got):\n%s", diff)
	}
	list, err = r.List(ml, &metainternalversion.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", "gpt")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ml/gpt"}, names(list)); diff != "" {
		t.Errorf("metadata.name=gpt (-want +got):\n%s", diff)
	}

	f.synced = false
	_, err = r.List(ml, &metainternalversion.ListOptions{})
	if !apierrors.IsServiceUnavailable(err) || !strings.Contains(err.Error(), "has not listed the Volcano Jobs yet") {
		t.Errorf("listing before the caches sync: got %v, want 503 naming the Volcano Jobs", err)
	}
	if _, err := r.Get(ml, "resnet", &metav1.GetOptions{}); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("getting before the caches sync: got %v, want 503", err)
	}
}

func TestCountJobs(t *testing.T) {
	f := newFixture(t)
	counts, unavailable := f.sources.CountJobs()
	if unavailable != "" {
		t.Fatal(unavailable)
	}
	// resnet Running in train; gpt queued in train (no binding of its own); bert (default
	// queue infer) Dispatched; nightly queued in infer.
	want := map[string]batch.FleetQueueStatus{
		"train": {QueuedJobs: 1, RunningJobs: 1},
		"infer": {QueuedJobs: 1, DispatchedJobs: 1},
	}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("counts mismatch (-want +got):\n%s", diff)
	}
	f.synced = false
	if _, unavailable := f.sources.CountJobs(); unavailable == "" {
		t.Error("counting before the caches sync did not say the counts are unavailable")
	}
}
