package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"

	"kurator.dev/kurator/pkg/apis/batch"
	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/apis/scheduling"
	schedulingv1alpha1 "kurator.dev/kurator/pkg/apis/scheduling/v1alpha1"
	telemetryv1alpha1 "kurator.dev/kurator/pkg/apis/telemetry/v1alpha1"
	"kurator.dev/kurator/pkg/apiserver/app"
	batchac "kurator.dev/kurator/pkg/generated/applyconfiguration/batch/v1alpha1"
	"kurator.dev/kurator/pkg/telemetry"
)

// thanosURL is the Thanos Query of the fleet in these tests; fakeThanos answers for it.
const thanosURL = "http://thanos-query.monitoring.svc:9090"

// fakeThanos answers the default catalogue for aliyun (Thanos name "aliyun") and tencent
// (Thanos name "tencent-prod", Istio ID "tencent-mesh"), with the p99 from aliyun to tencent.
type fakeThanos struct{}

func (fakeThanos) Query(_ context.Context, query string, ts time.Time, _ ...promv1.Option) (model.Value, promv1.Warnings, error) {
	at := model.TimeFromUnixNano(ts.UnixNano())
	sample := func(v float64, labels ...string) *model.Sample {
		m := model.Metric{}
		for i := 0; i+1 < len(labels); i += 2 {
			m[model.LabelName(labels[i])] = model.LabelValue(labels[i+1])
		}
		return &model.Sample{Metric: m, Value: model.SampleValue(v), Timestamp: at}
	}
	switch query {
	case telemetry.DefaultCPUQuery:
		return model.Vector{sample(0.42, "cluster", "aliyun"), sample(0.91, "cluster", "tencent-prod")}, nil, nil
	case telemetry.DefaultMemoryQuery:
		return model.Vector{sample(0.5, "cluster", "aliyun"), sample(0.25, "cluster", "tencent-prod")}, nil, nil
	case telemetry.DefaultLatencyQuery:
		return model.Vector{sample(23, "source_cluster", "aliyun", "destination_cluster", "tencent-mesh")}, nil, nil
	default:
		return model.Vector{}, nil, nil
	}
}

// fakeEvaluator answers every review with the binding's clusters affinity as the selection.
type fakeEvaluator struct {
	mu       sync.Mutex
	bindings []*workv1alpha2.ResourceBinding
}

func (e *fakeEvaluator) Evaluate(_ context.Context, schedulerName string, rb *workv1alpha2.ResourceBinding, template *unstructured.Unstructured) (*scheduling.PlacementReviewStatus, error) {
	e.mu.Lock()
	e.bindings = append(e.bindings, rb)
	e.mu.Unlock()
	st := &scheduling.PlacementReviewStatus{Notes: []string{"evaluated by the fake evaluator with " + schedulerName}}
	if template != nil {
		st.Notes = append(st.Notes, "template annotations: "+template.GetAnnotations()["latency.kurator.dev/peers"])
	}
	if p := rb.Spec.Placement; p != nil && p.ClusterAffinity != nil {
		for _, name := range p.ClusterAffinity.ClusterNames {
			st.Clusters = append(st.Clusters, scheduling.ClusterEvaluation{Name: name, Feasible: true, TotalScore: 100,
				Filters: []scheduling.FilterVerdict{{Plugin: "ClusterAffinity", Passed: true}}})
			st.SelectedClusters = append(st.SelectedClusters, scheduling.SelectedCluster{Name: name, Replicas: rb.Spec.Replicas})
		}
	}
	return st, nil
}

// groupsFixture is the server the subtests of TestKuratorAPIGroups share.
type groupsFixture struct {
	server    *testServer
	karmada   *fakeKarmada
	evaluator *fakeEvaluator
}

func TestKuratorAPIGroups(t *testing.T) {
	karmada := newFakeKarmada()
	karmada.clusters.set(true,
		karmadaCluster("aliyun", "prod", true, "8", "2", "32Gi", "8Gi"),
		karmadaCluster("tencent", "prod", true, "4", "1", "16Gi", "4Gi"),
		karmadaCluster("edge", "dev", true, "4", "0", "16Gi", "0"),
	)
	fillBatch(t, karmada)
	evaluator := &fakeEvaluator{}
	s := startServer(t, karmada, func(o *app.Options) {
		o.TelemetryQuerier = func(string) telemetry.Querier { return fakeThanos{} }
		o.TelemetryRefreshInterval = 200 * time.Millisecond
		o.Evaluator = evaluator
	})
	_, err := s.client.FleetV1alpha1().Fleets().Create(t.Context(), &fleetv1alpha1.Fleet{
		ObjectMeta: metav1.ObjectMeta{Name: "prod"},
		Spec: fleetv1alpha1.FleetSpec{
			ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}},
			Telemetry: &fleetv1alpha1.FleetTelemetry{ThanosQueryURL: thanosURL, ClusterMapping: []fleetv1alpha1.ClusterNameMapping{
				{Cluster: "tencent", ThanosCluster: "tencent-prod", IstioClusterID: "tencent-mesh"},
			}},
			Batch: &fleetv1alpha1.FleetBatch{DefaultQueue: "train"},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating fleet prod: %v", err)
	}
	f := &groupsFixture{server: s, karmada: karmada, evaluator: evaluator}
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *groupsFixture)
	}{
		{"cluster telemetry is computed from the fleet's Thanos Query", testClusterTelemetry},
		{"cluster telemetry is read-only", testClusterTelemetryReadOnly},
		{"a placement review is answered on create and never stored", testPlacementReview},
		{"an invalid placement review is rejected with 422 and field paths", testPlacementReviewValidation},
		{"fleet queues are stored with defaults and validated", testFleetQueueCRUD},
		{"fleet queues support server-side apply and a computed status", testFleetQueueApplyAndStatus},
		{"batch jobs are computed per Volcano Job, namespaced and read-only", testBatchJobs},
		{"discovery lists the new kinds with short names, category and verbs", testGroupsDiscovery},
		{"OpenAPI documents every field of the new kinds, Karmada's placement included", testGroupsOpenAPI},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, f) })
	}
}

// fillBatch adds PriorityClasses, three Volcano Jobs and their bindings to the Karmada cache:
// ml/resnet running on aliyun (queue train), ml/bert queued (default queue train),
// etl/nightly rejected (unknown queue).
func fillBatch(t *testing.T, k *fakeKarmada) {
	t.Helper()
	add := func(store interface{ Add(interface{}) error }, obj interface{}) {
		if err := store.Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	add(k.priorities, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 1000})
	deadline := time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)
	job := func(ns, name string, ann map[string]string) *vcbatchv1alpha1.Job {
		return &vcbatchv1alpha1.Job{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name), Annotations: ann, Labels: map[string]string{"app": name}},
			Spec:       vcbatchv1alpha1.JobSpec{PriorityClassName: "high", RunningEstimate: &metav1.Duration{Duration: time.Hour}},
		}
	}
	add(k.jobs, job("ml", "resnet", map[string]string{batch.AnnotationQueue: "train", batch.AnnotationDeadline: deadline}))
	add(k.jobs, job("ml", "bert", nil))
	add(k.jobs, job("etl", "nightly", map[string]string{batch.AnnotationQueue: "no-such-queue"}))
	rb := func(ns, name string, ann map[string]string) *workv1alpha2.ResourceBinding {
		return &workv1alpha2.ResourceBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-job", Annotations: ann},
			Spec: workv1alpha2.ResourceBindingSpec{
				Resource:   workv1alpha2.ObjectReference{APIVersion: "batch.volcano.sh/v1alpha1", Kind: "Job", Namespace: ns, Name: name},
				Suspension: &workv1alpha2.Suspension{Scheduling: ptr.To(true)},
				Replicas:   2,
			},
		}
	}
	add(k.bindings, rb("ml", "resnet", map[string]string{batch.AnnotationState: "Running", batch.AnnotationCluster: "aliyun", batch.AnnotationAttempts: "1"}))
	add(k.bindings, rb("ml", "bert", nil))
	add(k.bindings, rb("etl", "nightly", nil))
}

func testClusterTelemetry(t *testing.T, fx *groupsFixture) {
	ctx := t.Context()
	cts := fx.server.client.TelemetryV1alpha1().ClusterTelemetries()
	var ct *telemetryv1alpha1.ClusterTelemetry
	eventually(t, 30*time.Second, func() (bool, string) {
		var err error
		ct, err = cts.Get(ctx, "tencent", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		c := meta.FindStatusCondition(ct.Status.Conditions, telemetryv1alpha1.ConditionFresh)
		return c != nil && c.Status == metav1.ConditionTrue, fmt.Sprintf("%+v", ct.Status.Conditions)
	})
	if ct.Status.CPU == nil || ct.Status.CPU.Fraction != 0.91 || ct.Status.ThanosCluster != "tencent-prod" || ct.Status.IstioClusterID != "tencent-mesh" {
		t.Errorf("tencent = cpu %+v, names %s/%s; want 0.91 read through the mapping", ct.Status.CPU, ct.Status.ThanosCluster, ct.Status.IstioClusterID)
	}
	if ct.Labels["env"] != "prod" || ct.Status.Source == nil || ct.Status.Source.URL != thanosURL || ct.Status.Source.Fleet != "prod" || ct.Status.Source.Stale {
		t.Errorf("tencent labels %v, source %+v", ct.Labels, ct.Status.Source)
	}

	aliyun, err := cts.Get(ctx, "aliyun", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(aliyun.Status.Peers) != 1 || aliyun.Status.Peers[0].Cluster != "tencent" || aliyun.Status.Peers[0].P99Latency.Duration != 23*time.Millisecond {
		t.Errorf("aliyun's peers = %+v, want tencent at 23ms", aliyun.Status.Peers)
	}

	edge, err := cts.Get(ctx, "edge", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting the telemetry of a cluster in no fleet must not fail: %v", err)
	}
	if c := meta.FindStatusCondition(edge.Status.Conditions, telemetryv1alpha1.ConditionFresh); c == nil || c.Reason != telemetryv1alpha1.ReasonNoTelemetrySource {
		t.Errorf("edge Fresh = %+v, want NoTelemetrySource", c)
	}
	if _, err := cts.Get(ctx, "ghost", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("getting the telemetry of a cluster that does not exist: %v, want 404", err)
	}

	list, err := cts.List(ctx, metav1.ListOptions{LabelSelector: "env=prod"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, item := range list.Items {
		names = append(names, item.Name)
	}
	if !reflect.DeepEqual(names, []string{"aliyun", "tencent"}) {
		t.Errorf("list env=prod = %v", names)
	}

	table := getTable(t, fx, "/apis/telemetry.kurator.dev/v1alpha1/clustertelemetries")
	if got := columnNames(table); !reflect.DeepEqual(got, []string{"Name/0", "CPU%/0", "Memory%/0", "GPU%/0", "Max-P99/0", "Age-Of-Sample/0", "Status/0", "Source/1", "Peers/1"}) {
		t.Errorf("columns = %v", got)
	}
	rows := map[string][]interface{}{}
	for _, r := range table.Rows {
		rows[r.Cells[0].(string)] = r.Cells
	}
	if c := rows["aliyun"]; len(c) != 9 || c[1] != "42%" || c[4] != "23ms" || c[6] != "Fresh" || c[8] != "tencent=23ms" {
		t.Errorf("aliyun row = %v", c)
	}
	if c := rows["edge"]; len(c) != 9 || c[1] != "<none>" || c[6] != "NoTelemetrySource" {
		t.Errorf("edge row = %v", c)
	}
}

func testClusterTelemetryReadOnly(t *testing.T, fx *groupsFixture) {
	rc := fx.server.client.TelemetryV1alpha1().RESTClient()
	body := []byte(`{"apiVersion":"telemetry.kurator.dev/v1alpha1","kind":"ClusterTelemetry","metadata":{"name":"aliyun"}}`)
	err := rc.Post().Resource("clustertelemetries").Body(body).SetHeader("Content-Type", "application/json").Do(t.Context()).Error()
	if !apierrors.IsMethodNotSupported(err) {
		t.Errorf("POST clustertelemetries: %v, want 405", err)
	}
	err = rc.Delete().Resource("clustertelemetries").Name("aliyun").Do(t.Context()).Error()
	if !apierrors.IsMethodNotSupported(err) {
		t.Errorf("DELETE clustertelemetries/aliyun: %v, want 405", err)
	}
}

func testPlacementReview(t *testing.T, fx *groupsFixture) {
	ctx := t.Context()
	reviews := fx.server.client.SchedulingV1alpha1().PlacementReviews()
	deployment := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"ai-interaction","namespace":"edu","annotations":{"latency.kurator.dev/peers":"core"}},
"spec":{"replicas":2,"selector":{"matchLabels":{"app":"ai"}},"template":{"metadata":{"labels":{"app":"ai"}},"spec":{"containers":[{"name":"ai","image":"ai","resources":{"requests":{"cpu":"1"}}}]}}}}`
	got, err := reviews.Create(ctx, &schedulingv1alpha1.PlacementReview{
		ObjectMeta: metav1.ObjectMeta{Name: "why-ai"},
		Spec: schedulingv1alpha1.PlacementReviewSpec{
			Resource:  &runtime.RawExtension{Raw: []byte(deployment)},
			Placement: &policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"aliyun", "tencent"}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a review: %v", err)
	}
	if got.Name != "why-ai" || got.Status.SchedulerName != "default-scheduler" || got.Status.Replicas != 2 || got.Status.EvaluationTime == nil {
		t.Errorf("review = %+v", got.Status)
	}
	if len(got.Status.SelectedClusters) != 2 || got.Status.SelectedClusters[0].Replicas != 2 ||
		!reflect.DeepEqual(got.Status.Notes, []string{"evaluated by the fake evaluator with default-scheduler", "template annotations: core"}) {
		t.Errorf("review status = %+v", got.Status)
	}
	if got.ResourceVersion != "" || got.UID != "" {
		t.Errorf("a review looks stored: resourceVersion %q, uid %q", got.ResourceVersion, got.UID)
	}

	byBinding, err := reviews.Create(ctx, &schedulingv1alpha1.PlacementReview{Spec: schedulingv1alpha1.PlacementReviewSpec{
		ResourceBinding: &schedulingv1alpha1.ResourceBindingReference{Namespace: "ml", Name: "bert-job"},
		SchedulerName:   "kurator-scheduler",
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("reviewing a binding: %v", err)
	}
	if byBinding.Status.SchedulerName != "kurator-scheduler" || len(byBinding.Status.Notes) != 2 || !strings.Contains(byBinding.Status.Notes[0], "spec.suspension.scheduling=true") {
		t.Errorf("binding review = %+v", byBinding.Status)
	}

	rc := fx.server.client.SchedulingV1alpha1().RESTClient()
	for _, path := range []string{"/apis/scheduling.kurator.dev/v1alpha1/placementreviews", "/apis/scheduling.kurator.dev/v1alpha1/placementreviews/why-ai"} {
		err := rc.Get().AbsPath(path).Do(ctx).Error()
		var status apierrors.APIStatus
		if !apierrors.IsMethodNotSupported(err) && !apierrors.IsNotFound(err) {
			t.Errorf("GET %s: %v, want 405 or 404", path, err)
		} else if ok := asStatus(err, &status); !ok || (status.Status().Code != http.StatusMethodNotAllowed && status.Status().Code != http.StatusNotFound) {
			t.Errorf("GET %s answered %v", path, err)
		}
	}
}

func asStatus(err error, status *apierrors.APIStatus) bool {
	s, ok := err.(apierrors.APIStatus)
	if ok {
		*status = s
	}
	return ok
}

func testPlacementReviewValidation(t *testing.T, fx *groupsFixture) {
	reviews := fx.server.client.SchedulingV1alpha1().PlacementReviews()
	_, err := reviews.Create(t.Context(), &schedulingv1alpha1.PlacementReview{Spec: schedulingv1alpha1.PlacementReviewSpec{
		ResourceBinding: &schedulingv1alpha1.ResourceBindingReference{Namespace: "ml", Name: "bert-job"},
		Resource:        &runtime.RawExtension{Raw: []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}`)},
		Placement:       &policyv1alpha1.Placement{},
	}}, metav1.CreateOptions{})
	checkInvalid(t, err, []string{"FieldValueForbidden spec.resource"})

	_, err = reviews.Create(t.Context(), &schedulingv1alpha1.PlacementReview{Spec: schedulingv1alpha1.PlacementReviewSpec{
		Resource: &runtime.RawExtension{Raw: []byte(`{"apiVersion":"apps/v1","metadata":{"name":"web"}}`)},
	}}, metav1.CreateOptions{})
	checkInvalid(t, err, []string{"FieldValueRequired spec.resource.kind", "FieldValueRequired spec.placement"})

	_, err = reviews.Create(t.Context(), &schedulingv1alpha1.PlacementReview{Spec: schedulingv1alpha1.PlacementReviewSpec{
		ResourceBinding: &schedulingv1alpha1.ResourceBindingReference{Namespace: "ml", Name: "missing-job"},
	}}, metav1.CreateOptions{})
	checkInvalid(t, err, []string{"FieldValueNotFound spec.resourceBinding"})
}

// checkInvalid checks that err is a 422 whose causes are want ("type field"), in order.
func checkInvalid(t *testing.T, err error, want []string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("got %v, want 422 Invalid", err)
	}
	status := err.(apierrors.APIStatus).Status()
	if status.Code != http.StatusUnprocessableEntity {
		t.Errorf("HTTP status = %d, want 422", status.Code)
	}
	var got []string
	for _, c := range status.Details.Causes {
		got = append(got, string(c.Type)+" "+c.Field)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("causes = %q, want %q (%s)", got, want, status.Message)
	}
}

func testFleetQueueCRUD(t *testing.T, fx *groupsFixture) {
	ctx := t.Context()
	queues := fx.server.client.BatchV1alpha1().FleetQueues()
	q, err := queues.Create(ctx, &batchv1alpha1.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: "scratch"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a queue with an empty spec: %v", err)
	}
	s := q.Spec
	if s.Weight != 1 || s.Deadline.SlackThreshold.Duration != 10*time.Minute || s.Deadline.DispatchTimeout.Duration != 3*time.Minute ||
		s.Deadline.Backoff.Base.Duration != 30*time.Second || s.Deadline.Backoff.Max.Duration != 10*time.Minute ||
		s.Preemption.Policy != batchv1alpha1.PreemptNever || s.Preemption.Cooldown.Duration != 5*time.Minute ||
		!reflect.DeepEqual(s.VolcanoQueues, []batchv1alpha1.VolcanoQueueMapping{{Cluster: "*", Queue: "default"}}) {
		t.Errorf("defaults = %+v", s)
	}
	if q.Generation != 1 {
		t.Errorf("generation = %d", q.Generation)
	}

	bad := &batchv1alpha1.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: "bad"}, Spec: batchv1alpha1.FleetQueueSpec{
		Weight:        5000,
		Deadline:      batchv1alpha1.DeadlinePolicy{DispatchTimeout: &metav1.Duration{Duration: -time.Second}},
		Preemption:    batchv1alpha1.PreemptionPolicy{Policy: "Sometimes"},
		VolcanoQueues: []batchv1alpha1.VolcanoQueueMapping{{Cluster: "aliyun", Queue: "gpu"}, {Cluster: "aliyun", Queue: "cpu"}},
	}}
	_, err = queues.Create(ctx, bad, metav1.CreateOptions{})
	checkInvalid(t, err, []string{
		"FieldValueInvalid spec.weight", "FieldValueInvalid spec.deadline.dispatchTimeout",
		"FieldValueNotSupported spec.preemption.policy", "FieldValueDuplicate spec.volcanoQueues[1].cluster",
	})
	if err != nil && !strings.Contains(err.Error(), `FleetQueue.batch.kurator.dev "bad" is invalid`) {
		t.Errorf("message %q does not name the object", err)
	}

	q.Spec.Priority = 7
	updated, err := queues.Update(ctx, q, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Generation != 2 || updated.Spec.Priority != 7 {
		t.Errorf("after a spec update: generation %d, priority %d", updated.Generation, updated.Spec.Priority)
	}
	q.Spec.Priority = 8 // q still carries the old resourceVersion
	if _, err := queues.Update(ctx, q, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("update with a stale resourceVersion: %v, want 409", err)
	}
	if err := queues.Delete(ctx, "scratch", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := queues.Get(ctx, "scratch", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after delete: %v, want 404", err)
	}
}

func testFleetQueueApplyAndStatus(t *testing.T, fx *groupsFixture) {
	ctx := t.Context()
	queues := fx.server.client.BatchV1alpha1().FleetQueues()
	alice := batchac.FleetQueue("train").WithSpec(batchac.FleetQueueSpec().WithPriority(10).
		WithVolcanoQueues(batchac.VolcanoQueueMapping().WithCluster("aliyun").WithQueue("gpu")))
	if _, err := queues.Apply(ctx, alice, metav1.ApplyOptions{FieldManager: "alice"}); err != nil {
		t.Fatalf("alice applying: %v", err)
	}
	// volcanoQueues is a map keyed by cluster: bob's entry joins alice's.
	bob := batchac.FleetQueue("train").WithSpec(batchac.FleetQueueSpec().
		WithVolcanoQueues(batchac.VolcanoQueueMapping().WithCluster("*").WithQueue("default")))
	got, err := queues.Apply(ctx, bob, metav1.ApplyOptions{FieldManager: "bob"})
	if err != nil {
		t.Fatalf("bob applying: %v", err)
	}
	var mapping []string
	for _, m := range got.Spec.VolcanoQueues {
		mapping = append(mapping, m.Cluster+"="+m.Queue)
	}
	if !reflect.DeepEqual(mapping, []string{"aliyun=gpu", "*=default"}) {
		t.Errorf("spec.volcanoQueues = %v, want both managers' entries", mapping)
	}
	bob = batchac.FleetQueue("train").WithSpec(batchac.FleetQueueSpec().WithPriority(99).
		WithVolcanoQueues(batchac.VolcanoQueueMapping().WithCluster("*").WithQueue("default")))
	_, err = queues.Apply(ctx, bob, metav1.ApplyOptions{FieldManager: "bob"})
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `conflict with "alice"`) || !strings.Contains(err.Error(), ".spec.priority") {
		t.Fatalf("bob applying alice's priority: %v, want a conflict with alice on .spec.priority", err)
	}
	got, err = queues.Apply(ctx, bob, metav1.ApplyOptions{FieldManager: "bob", Force: true})
	if err != nil || got.Spec.Priority != 99 {
		t.Fatalf("bob force-applying: %v, priority %d", err, got.Spec.Priority)
	}

	// Status is computed from the batch jobs: resnet runs in train; bert waits in train
	// (the fleet's default queue) once the server's cache of queues has seen train.
	eventually(t, 30*time.Second, func() (bool, string) {
		got, err = queues.Get(ctx, "train", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		st := got.Status
		return st.QueuedJobs == 1 && st.RunningJobs == 1 && st.DispatchedJobs == 0, fmt.Sprintf("%+v", st)
	})
	if c := meta.FindStatusCondition(got.Status.Conditions, batchv1alpha1.FleetQueueConditionJobsCounted); c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != got.Generation {
		t.Errorf("JobsCounted = %+v", c)
	}
	withStatus := batchac.FleetQueue("train").WithStatus(batchac.FleetQueueStatus().WithRunningJobs(42))
	got, err = queues.ApplyStatus(ctx, withStatus, metav1.ApplyOptions{FieldManager: "carol", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.RunningJobs != 1 || got.Spec.Priority != 99 {
		t.Errorf("applying the status changed it (%d running) or the spec (priority %d)", got.Status.RunningJobs, got.Spec.Priority)
	}

	table := getTable(t, fx, "/apis/batch.kurator.dev/v1alpha1/fleetqueues")
	if len(table.Rows) != 1 {
		t.Fatalf("fleet queue table has %d rows", len(table.Rows))
	}
	cells := table.Rows[0].Cells
	if cells[0] != "train" || cells[1] != float64(99) || cells[3] != "1" || cells[5] != "1" || cells[6] != "Never" || cells[9] != "aliyun=gpu,*=default" {
		t.Errorf("row = %v", cells)
	}
}

func testBatchJobs(t *testing.T, fx *groupsFixture) {
	ctx := t.Context()
	// The default queue is the one the subtest above created, but make sure train exists.
	if _, err := fx.server.client.BatchV1alpha1().FleetQueues().Get(ctx, "train", metav1.GetOptions{}); err != nil {
		if _, err := fx.server.client.BatchV1alpha1().FleetQueues().Create(ctx, &batchv1alpha1.FleetQueue{ObjectMeta: metav1.ObjectMeta{Name: "train"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	jobs := fx.server.client.BatchV1alpha1().BatchJobs("ml")
	var resnet *batchv1alpha1.BatchJob
	// The loopback caches of fleets and queues fill asynchronously.
	eventually(t, 30*time.Second, func() (bool, string) {
		var err error
		resnet, err = jobs.Get(ctx, "resnet", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return resnet.Status.State == batchv1alpha1.BatchJobRunning, fmt.Sprintf("%+v", resnet.Status)
	})
	st := resnet.Status
	if st.Queue != "train" || st.Priority != 1000 || st.Cluster != "aliyun" || st.Attempts != 1 || st.Deadline == nil || st.Slack == nil || st.ResourceBinding != "resnet-job" {
		t.Errorf("ml/resnet = %+v", st)
	}
	if st.Slack != nil && (st.Slack.Duration > 2*time.Hour || st.Slack.Duration < 2*time.Hour-time.Minute) {
		t.Errorf("slack = %s, want about 2h (deadline in 3h, 1h runtime)", st.Slack.Duration)
	}
	bert, err := jobs.Get(ctx, "bert", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bert.Status.State != batchv1alpha1.BatchJobQueued || bert.Status.Queue != "train" || bert.Status.Reason != batch.ReasonWaitingForDispatch {
		t.Errorf("ml/bert = %+v, want Queued in the fleet's default queue", bert.Status)
	}
	nightly, err := fx.server.client.BatchV1alpha1().BatchJobs("etl").Get(ctx, "nightly", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if nightly.Status.State != batchv1alpha1.BatchJobRejected || nightly.Status.Reason != batch.ReasonUnknownQueue || !strings.Contains(nightly.Status.Message, `"no-such-queue"`) {
		t.Errorf("etl/nightly = %+v, want Rejected for its unknown queue", nightly.Status)
	}
	if _, err := fx.server.client.BatchV1alpha1().BatchJobs("etl").Get(ctx, "resnet", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("ml/resnet read in namespace etl: %v, want 404", err)
	}

	all, err := fx.server.client.BatchV1alpha1().BatchJobs("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range all.Items {
		names = append(names, j.Namespace+"/"+j.Name)
	}
	if !reflect.DeepEqual(names, []string{"etl/nightly", "ml/bert", "ml/resnet"}) {
		t.Errorf("all batch jobs = %v", names)
	}
	selected, err := jobs.List(ctx, metav1.ListOptions{LabelSelector: "app=bert"})
	if err != nil || len(selected.Items) != 1 || selected.Items[0].Name != "bert" {
		t.Errorf("app=bert in ml: %v %+v", err, selected)
	}

	table := getTable(t, fx, "/apis/batch.kurator.dev/v1alpha1/namespaces/ml/batchjobs")
	if got := columnNames(table); !reflect.DeepEqual(got, []string{"Name/0", "Queue/0", "Priority/0", "State/0", "Cluster/0", "Deadline/0", "Slack/0", "Start/0", "Reason/0", "Predicted-Finish/1", "Attempts/1", "Message/1"}) {
		t.Errorf("columns = %v", got)
	}
	if len(table.Rows) != 2 || table.Rows[1].Cells[0] != "resnet" || table.Rows[1].Cells[3] != "Running" || table.Rows[1].Cells[4] != "aliyun" {
		t.Errorf("rows = %+v", table.Rows)
	}

	rc := fx.server.client.BatchV1alpha1().RESTClient()
	err = rc.Delete().AbsPath("/apis/batch.kurator.dev/v1alpha1/namespaces/ml/batchjobs/resnet").Do(ctx).Error()
	if !apierrors.IsMethodNotSupported(err) {
		t.Errorf("DELETE a batch job: %v, want 405", err)
	}
}

func testGroupsDiscovery(t *testing.T, fx *groupsFixture) {
	want := map[string]struct {
		gv         string
		namespaced bool
		short      []string
		verbs      []string
	}{
		"clustertelemetries": {"telemetry.kurator.dev/v1alpha1", false, []string{"ct"}, []string{"get", "list"}},
		"placementreviews":   {"scheduling.kurator.dev/v1alpha1", false, nil, []string{"create"}},
		"fleetqueues":        {"batch.kurator.dev/v1alpha1", false, []string{"fq"}, []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}},
		"batchjobs":          {"batch.kurator.dev/v1alpha1", true, []string{"bj"}, []string{"get", "list"}},
	}
	for name, w := range want {
		resources, err := fx.server.client.Discovery().ServerResourcesForGroupVersion(w.gv)
		if err != nil {
			t.Fatalf("discovery of %s: %v", w.gv, err)
		}
		var found *metav1.APIResource
		for i := range resources.APIResources {
			if resources.APIResources[i].Name == name {
				found = &resources.APIResources[i]
			}
		}
		if found == nil {
			t.Errorf("%s has no %s", w.gv, name)
			continue
		}
		verbs := append([]string(nil), found.Verbs...)
		sort.Strings(verbs)
		if found.Namespaced != w.namespaced || !reflect.DeepEqual(found.ShortNames, w.short) || !reflect.DeepEqual(verbs, w.verbs) {
			t.Errorf("%s: namespaced %v, short names %v, verbs %v; want %v, %v, %v", name, found.Namespaced, found.ShortNames, verbs, w.namespaced, w.short, w.verbs)
		}
		if name != "placementreviews" && !reflect.DeepEqual(found.Categories, []string{"kurator"}) {
			t.Errorf("%s categories = %v, want [kurator]", name, found.Categories)
		}
	}
}

func testGroupsOpenAPI(t *testing.T, fx *groupsFixture) {
	for gv, kinds := range map[string][]string{
		"telemetry.kurator.dev/v1alpha1":  {"dev.kurator.telemetry.v1alpha1.ClusterTelemetry"},
		"scheduling.kurator.dev/v1alpha1": {"dev.kurator.scheduling.v1alpha1.PlacementReview", "com.github.karmada-io.karmada.pkg.apis.policy.v1alpha1.Placement"},
		"batch.kurator.dev/v1alpha1":      {"dev.kurator.batch.v1alpha1.FleetQueue", "dev.kurator.batch.v1alpha1.BatchJob"},
	} {
		raw, err := fx.server.client.FleetV1alpha1().RESTClient().Get().AbsPath("/openapi/v3/apis/" + gv).DoRaw(t.Context())
		if err != nil {
			t.Fatalf("getting the OpenAPI v3 document of %s: %v", gv, err)
		}
		var doc struct {
			Components struct {
				Schemas map[string]struct {
					Description string `json:"description"`
					Properties  map[string]struct {
						Description string `json:"description"`
					} `json:"properties"`
				} `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		for _, k := range kinds {
			if _, ok := doc.Components.Schemas[k]; !ok {
				t.Errorf("%s: no schema %s", gv, k)
			}
		}
		checked := 0
		for name, schema := range doc.Components.Schemas {
			if !strings.HasPrefix(name, "dev.kurator.") {
				continue
			}
			if schema.Description == "" {
				t.Errorf("schema %s has no description", name)
			}
			for prop, p := range schema.Properties {
				checked++
				if p.Description == "" && prop != "apiVersion" && prop != "kind" {
					t.Errorf("%s.%s has no description", name, prop)
				}
			}
		}
		if checked < 10 {
			t.Errorf("%s: checked only %d properties", gv, checked)
		}
	}
}

// getTable gets path as a meta.k8s.io Table.
func getTable(t *testing.T, fx *groupsFixture, path string) metav1.Table {
	t.Helper()
	raw, err := fx.server.client.FleetV1alpha1().RESTClient().Get().AbsPath(path).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(t.Context())
	if err != nil {
		t.Fatalf("getting the table of %s: %v", path, err)
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatalf("decoding the table: %v\n%s", err, raw)
	}
	return table
}

func columnNames(table metav1.Table) []string {
	var out []string
	for _, c := range table.ColumnDefinitions {
		out = append(out, fmt.Sprintf("%s/%d", c.Name, c.Priority))
	}
	return out
}
