package app_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/rest"

	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/apiserver/app"
	fleetac "kurator.dev/kurator/pkg/generated/applyconfiguration/fleet/v1alpha1"
	kuratorclientset "kurator.dev/kurator/pkg/generated/clientset/versioned"
)

var created = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

func karmadaCluster(name, env string, ready bool, cpuAllocatable, cpuAllocated, memAllocatable, memAllocated string) *clusterv1alpha1.Cluster {
	c := &clusterv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"env": env}, CreationTimestamp: created}}
	cond := metav1.Condition{Type: clusterv1alpha1.ClusterConditionReady, Status: metav1.ConditionTrue, Reason: "ClusterReady", LastTransitionTime: created}
	if !ready {
		cond.Status, cond.Reason = metav1.ConditionFalse, "ClusterNotReachable"
	}
	c.Status.Conditions = []metav1.Condition{cond}
	c.Status.ResourceSummary = &clusterv1alpha1.ResourceSummary{
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpuAllocatable), corev1.ResourceMemory: resource.MustParse(memAllocatable)},
		Allocated:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpuAllocated), corev1.ResourceMemory: resource.MustParse(memAllocated)},
	}
	return c
}

// defaultClusters are two ready production members and one unreachable development member.
func defaultClusters() []*clusterv1alpha1.Cluster {
	return []*clusterv1alpha1.Cluster{
		karmadaCluster("member1", "prod", true, "8", "2", "32Gi", "8Gi"),
		karmadaCluster("member2", "prod", true, "4", "1", "16Gi", "4Gi"),
		karmadaCluster("member3", "dev", false, "4", "0", "16Gi", "0"),
	}
}

// prodFleet selects the production members and names member3 and a cluster that does not exist.
func prodFleet(name string) *fleetv1alpha1.Fleet {
	return &fleetv1alpha1.Fleet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: fleetv1alpha1.FleetSpec{
			Clusters:        []string{"member3", "ghost"},
			ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}},
			Telemetry:       &fleetv1alpha1.FleetTelemetry{ThanosQueryURL: "http://thanos-query.monitoring.svc:9090"},
			Mesh: &fleetv1alpha1.FleetMesh{Networks: []fleetv1alpha1.MeshNetwork{
				{Name: "net1", Clusters: []string{"member1", "member2"}, Gateways: []fleetv1alpha1.MeshGateway{{Address: "10.0.0.1"}}},
			}},
			Batch: &fleetv1alpha1.FleetBatch{DefaultQueue: "default"},
		},
	}
}

func readyCondition(t *testing.T, f *fleetv1alpha1.Fleet) metav1.Condition {
	t.Helper()
	c := meta.FindStatusCondition(f.Status.Conditions, fleetv1alpha1.FleetConditionReady)
	if c == nil {
		t.Fatalf("fleet %s has no Ready condition: %+v", f.Name, f.Status)
	}
	return *c
}

// fleetAPIFixture is the server the subtests of TestFleetAPI share, with fleet prod created.
type fleetAPIFixture struct {
	server   *testServer
	clusters *fakeClusters
	prod     *fleetv1alpha1.Fleet
}

func TestFleetAPI(t *testing.T) {
	karmada := newFakeKarmada()
	clusters := karmada.clusters
	clusters.set(true, defaultClusters()...)
	s := startServer(t, karmada, nil)

	prod, err := s.client.FleetV1alpha1().Fleets().Create(t.Context(), prodFleet("prod"), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating fleet prod: %v", err)
	}
	f := &fleetAPIFixture{server: s, clusters: clusters, prod: prod}

	for _, tc := range []struct {
		name string
		run  func(*testing.T, *fleetAPIFixture)
	}{
		{"create applies defaults and computes status", testCreate},
		{"status follows the clusters on every read without writing", testStatusFollowsClusters},
		{"status says when cluster information is unavailable", testClusterInformationUnavailable},
		{"invalid fleets are rejected with 422 and field paths", testValidation},
		{"unknown fields are rejected with strict field validation", testStrictFieldValidation},
		{"updates use optimistic concurrency and bump generation on spec changes", testOptimisticConcurrency},
		{"status subresource cannot change spec and main resource cannot change status", testStatusSubresource},
		{"server-side apply tracks field managers and resolves conflicts with force", testServerSideApply},
		{"watch sends added, modified and deleted events with computed status", testWatch},
		{"table output has the kubectl columns", testTable},
		{"discovery lists short name, category and status subresource", testDiscovery},
		{"OpenAPI v3 documents every field for kubectl explain", testOpenAPI},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, f) })
	}
}

// testCreate checks that create applies defaults and computes status.
func testCreate(t *testing.T, fx *fleetAPIFixture) {
	ctx := t.Context()
	fleets := fx.server.client.FleetV1alpha1().Fleets()
	prod := fx.prod
	if got := prod.Spec.Telemetry.ClusterLabel; got != "cluster" {
		t.Errorf("spec.telemetry.clusterLabel = %q, want the default %q", got, "cluster")
	}
	if got := prod.Spec.Mesh.Networks[0].Gateways[0].Port; got != 15443 {
		t.Errorf("spec.mesh.networks[0].gateways[0].port = %d, want the default 15443", got)
	}
	if got := prod.Spec.Batch.Preemption; got != fleetv1alpha1.PreemptNever {
		t.Errorf("spec.batch.preemption = %q, want the default Never", got)
	}
	if prod.Generation != 1 {
		t.Errorf("generation = %d, want 1", prod.Generation)
	}
	checkProdStatus(t, prod)

	got, err := fleets.Get(ctx, "prod", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting fleet prod: %v", err)
	}
	checkProdStatus(t, got)

	list, err := fleets.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=prod"})
	if err != nil {
		t.Fatalf("listing fleets: %v", err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("listing fleets by metadata.name=prod returned %d items", len(list.Items))
	}
	checkProdStatus(t, &list.Items[0])
}

// testStatusFollowsClusters checks that status follows the clusters on every read without writing.
func testStatusFollowsClusters(t *testing.T, fx *fleetAPIFixture) {
	ctx := t.Context()
	fleets := fx.server.client.FleetV1alpha1().Fleets()
	clusters := fx.clusters
	before, err := fleets.Get(ctx, "prod", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	healed := defaultClusters()
	healed[2] = karmadaCluster("member3", "dev", true, "4", "1", "16Gi", "2Gi")
	healed = append(healed, karmadaCluster("ghost", "dev", true, "2", "0", "8Gi", "0"))
	clusters.set(true, healed...)
	t.Cleanup(func() { clusters.set(true, defaultClusters()...) })

	after, err := fleets.Get(ctx, "prod", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cond := readyCondition(t, after)
	if cond.Status != metav1.ConditionTrue || cond.Reason != fleetv1alpha1.ReasonAllMembersReady {
		t.Errorf("Ready = %s/%s (%s), want True/AllMembersReady", cond.Status, cond.Reason, cond.Message)
	}
	if after.Status.MatchedClusters != 4 || after.Status.ReadyClusters != 4 || len(after.Status.MissingClusters) != 0 {
		t.Errorf("status = %d matched, %d ready, missing %v; want 4, 4, none",
			after.Status.MatchedClusters, after.Status.ReadyClusters, after.Status.MissingClusters)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("resourceVersion changed from %s to %s: status must not be stored", before.ResourceVersion, after.ResourceVersion)
	}
}

// testClusterInformationUnavailable checks that status says when cluster information is unavailable.
func testClusterInformationUnavailable(t *testing.T, fx *fleetAPIFixture) {
	ctx := t.Context()
	fleets := fx.server.client.FleetV1alpha1().Fleets()
	clusters := fx.clusters
	clusters.set(false)
	t.Cleanup(func() { clusters.set(true, defaultClusters()...) })
	got, err := fleets.Get(ctx, "prod", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cond := readyCondition(t, got)
	if cond.Status != metav1.ConditionFalse || cond.Reason != fleetv1alpha1.ReasonClusterInformationUnavailable {
		t.Errorf("Ready = %s/%s, want False/ClusterInformationUnavailable", cond.Status, cond.Reason)
	}
	if got.Status.MatchedClusters != 0 || len(got.Status.Members) != 0 {
		t.Errorf("status reports members while clusters are unknown: %+v", got.Status)
	}
}

// testValidation checks that invalid fleets are rejected with 422 and field paths.
func testValidation(t *testing.T, fx *fleetAPIFixture) {
	ctx := t.Context()
	fleets := fx.server.client.FleetV1alpha1().Fleets()
	bad := prodFleet("bad")
	bad.Spec.Clusters = []string{"member1", "member1"}
	bad.Spec.Telemetry.ThanosQueryURL = "ftp://thanos"
	bad.Spec.Batch.Preemption = "Always"
	_, err := fleets.Create(ctx, bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("creating an invalid fleet: got %v, want an Invalid error", err)
	}
	status := err.(apierrors.APIStatus).Status()
	if status.Code != 422 {
		t.Errorf("HTTP status = %d, want 422", status.Code)
	}
	var fields []string
	for _, c := range status.Details.Causes {
		fields = append(fields, string(c.Type)+" "+c.Field)
	}
	want := []string{
		"FieldValueDuplicate spec.clusters[1]",
		"FieldValueInvalid spec.telemetry.thanosQueryURL",
		"FieldValueNotSupported spec.batch.preemption",
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("causes = %q, want %q", fields, want)
	}
	if !strings.Contains(status.Message, `Fleet.fleet.kurator.dev "bad" is invalid`) {
		t.Errorf("message %q does not name the object", status.Message)
	}
}

// testStrictFieldValidation checks that unknown fields are rejected with strict field validation.
func testStrictFieldValidation(t *testing.T, fx *fleetAPIFixture) {
	ctx := t.Context()
	s := fx.server
	body := []byte(`{"apiVersion":"fleet.kurator.dev/v1alpha1","kind":"Fleet","metadata":{"name":"strict"},"spec":{"clusters":["member1"],"nodes":3}}`)
	err := s.client.FleetV1alpha1().RESTClient().Post().Resource("fleets").
		Param("fieldValidation", "Strict").Body(body).SetHeader("Content-Type", "application/json").Do(ctx).Error()
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `unknown field "spec.nodes"`) {
		t.Fatalf("creating a fleet with an unknown field under Strict: got %v, want BadRequest about spec.nodes", err)
	}

	warnings := &warningRecorder{}
	config := rest.CopyConfig(s.config)
	config.WarningHandler = warnings
	client := kuratorclientset.NewForConfigOrDie(config)
	if err := client.FleetV1alpha1().RESTClient().Post().Resource("fleets").
		Param("fieldValidation", "Warn").Body(body).SetHeader("Content-Type", "application/json").Do(ctx).Error(); err != nil {
		t.Fatalf("creating a fleet with an unknown field under Warn: %v", err)
	}
	if got := warnings.take(); len(got) != 1 || !strings.Contains(got[0], `unknown field "spec.nodes"`) {
		t.Errorf("warnings = %q, want one about spec.nodes", got)
	}
}

// testOptimisticConcurrency checks that updates use optimistic concurrency and bump generation on spec changes.
func testOptimisticConcurrency(t *testing.T, fx *fleetAPIFixture) {
	ctx := t.Context()
	fleets := fx.server.client.FleetV1alpha1().Fleets()
	f, err := fleets.Create(ctx, prodFleet("occ"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	first := f.DeepCopy()
	first.Labels = map[string]string{"team": "a"}
	updated, err := fleets.Update(ctx, first, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("first update: %v", err)
	}
	if updated.Generation != 1 {
		t.Errorf("generation after a metadata-only update = %d, want 1", updated.Generation)
	}

	stale := f.DeepCopy() // still at the resourceVersion before the first update
	stale.Spec.Clusters = []string{"member1"}
	if _, err := fleets.Update(ctx, stale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Fatalf("update with a stale resourceVersion: got %v, want a Conflict", err)
	}

	updated.Spec.Clusters = []string{"member1"}
	updated, err = fleets.Update(ctx, updated, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update with the current resourceVersion: %v", err)
	}
	if updated.Generation != 2 {
		t.Errorf("generation after a spec update = %d, want 2", updated.Generation)
	}
	if got := readyCondition(t, updated).ObservedGeneration; got != 2 {
		t.Errorf("Ready.observedGeneration = %d, want 2", got)
	}
}

// testStatusSubresource checks that status subresource cannot change spec and main resource cannot change status.
func testStatusSubresource(t *testing.T, fx *fleetAPIFixture) {
	ctx := t.Context()
	s := fx.server
	warnings := &warningRecorder{}
	config := rest.CopyConfig(s.config)
	config.WarningHandler = warnings
	client := kuratorclientset.NewForConfigOrDie(config).FleetV1alpha1().Fleets()

	f, err := client.Create(ctx, prodFleet("sub"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	viaStatus := f.DeepCopy()
	viaStatus.Spec.Clusters = []string{"member1"}
	viaStatus.Status.MatchedClusters = 99
	got, err := client.UpdateStatus(ctx, viaStatus, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("updating status: %v", err)
	}
	if !reflect.DeepEqual(got.Spec.Clusters, f.Spec.Clusters) {
		t.Errorf("status update changed spec.clusters to %v", got.Spec.Clusters)
	}
	if got.Status.MatchedClusters != 3 {
		t.Errorf("status update set status.matchedClusters to %d; want it computed (3)", got.Status.MatchedClusters)
	}
	if got.Generation != 1 {
		t.Errorf("generation after a status update = %d, want 1", got.Generation)
	}
	if w := warnings.take(); len(w) != 1 || !strings.Contains(w[0], "status in this request was not stored") {
		t.Errorf("warnings = %q, want one saying the status was not stored", w)
	}

	viaMain := got.DeepCopy()
	viaMain.Status.MatchedClusters = 99
	viaMain.Status.Conditions = nil
	viaMain.Labels = map[string]string{"changed": "yes"}
	got, err = client.Update(ctx, viaMain, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("updating fleet: %v", err)
	}
	if got.Labels["changed"] != "yes" {
		t.Errorf("update lost the label change: %v", got.Labels)
	}
	if got.Status.MatchedClusters != 3 || len(got.Status.Conditions) != 1 {
		t.Errorf("main resource update changed the status: %+v", got.Status)
	}
	stored, err := client.Get(ctx, "sub", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status.MatchedClusters != 3 {
		t.Errorf("stored fleet reads status.matchedClusters %d, want computed 3", stored.Status.MatchedClusters)
	}
}

// testServerSideApply checks that server-side apply tracks field managers and resolves conflicts with force.
func testServerSideApply(t *testing.T, fx *fleetAPIFixture) {
	ctx := t.Context()
	fleets := fx.server.client.FleetV1alpha1().Fleets()
	alice := fleetac.Fleet("ssa").WithSpec(fleetac.FleetSpec().
		WithClusters("member1").
		WithTelemetry(fleetac.FleetTelemetry().WithThanosQueryURL("http://thanos-a:9090")))
	if _, err := fleets.Apply(ctx, alice, metav1.ApplyOptions{FieldManager: "alice"}); err != nil {
		t.Fatalf("alice applying: %v", err)
	}

	// spec.clusters is a set: bob's element joins alice's instead of replacing the list.
	bob := fleetac.Fleet("ssa").WithSpec(fleetac.FleetSpec().WithClusters("member2"))
	got, err := fleets.Apply(ctx, bob, metav1.ApplyOptions{FieldManager: "bob"})
	if err != nil {
		t.Fatalf("bob applying: %v", err)
	}
	if want := []string{"member1", "member2"}; !reflect.DeepEqual(got.Spec.Clusters, want) {
		t.Errorf("spec.clusters = %v, want %v merged from both managers", got.Spec.Clusters, want)
	}

	bob = fleetac.Fleet("ssa").WithSpec(fleetac.FleetSpec().
		WithClusters("member2").
		WithTelemetry(fleetac.FleetTelemetry().WithThanosQueryURL("http://thanos-b:9090")))
	_, err = fleets.Apply(ctx, bob, metav1.ApplyOptions{FieldManager: "bob"})
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `conflict with "alice"`) || !strings.Contains(err.Error(), ".spec.telemetry.thanosQueryURL") {
		t.Fatalf("bob applying alice's field: got %v, want a conflict with alice on .spec.telemetry.thanosQueryURL", err)
	}

	got, err = fleets.Apply(ctx, bob, metav1.ApplyOptions{FieldManager: "bob", Force: true})
	if err != nil {
		t.Fatalf("bob force-applying: %v", err)
	}
	if got.Spec.Telemetry.ThanosQueryURL != "http://thanos-b:9090" {
		t.Errorf("thanosQueryURL = %q after bob's forced apply", got.Spec.Telemetry.ThanosQueryURL)
	}
	owners := fieldOwners(t, got, `"f:thanosQueryURL"`)
	if !reflect.DeepEqual(owners, []string{"bob"}) {
		t.Errorf("owners of thanosQueryURL = %v, want [bob]", owners)
	}
	if owners := fieldOwners(t, got, `"v:\"member1\""`); !reflect.DeepEqual(owners, []string{"alice"}) {
		t.Errorf("owners of spec.clusters member1 = %v, want [alice]", owners)
	}

	// Status is computed: applying it owns nothing and changes nothing.
	withStatus := fleetac.Fleet("ssa").WithStatus(fleetac.FleetStatus().WithMatchedClusters(42))
	got, err = fleets.ApplyStatus(ctx, withStatus, metav1.ApplyOptions{FieldManager: "carol", Force: true})
	if err != nil {
		t.Fatalf("carol applying status: %v", err)
	}
	if got.Status.MatchedClusters != 2 {
		t.Errorf("status.matchedClusters = %d after applying 42 to the status, want computed 2", got.Status.MatchedClusters)
	}
	if owners := fieldOwners(t, got, `"f:matchedClusters"`); len(owners) != 0 {
		t.Errorf("status.matchedClusters is owned by %v; computed fields must have no owner", owners)
	}
}

// testWatch checks that watch sends added, modified and deleted events with computed status.
func testWatch(t *testing.T, fx *fleetAPIFixture) {
	ctx := t.Context()
	fleets := fx.server.client.FleetV1alpha1().Fleets()
	list, err := fleets.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := fleets.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion, FieldSelector: "metadata.name=watched"})
	if err != nil {
		t.Fatalf("watching: %v", err)
	}
	defer w.Stop()

	f, err := fleets.Create(ctx, prodFleet("watched"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.Labels = map[string]string{"watched": "yes"}
	if _, err := fleets.Update(ctx, f, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := fleets.Delete(ctx, "watched", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	for _, want := range []watch.EventType{watch.Added, watch.Modified, watch.Deleted} {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("watch closed while waiting for %s", want)
			}
			got, isFleet := ev.Object.(*fleetv1alpha1.Fleet)
			if ev.Type != want || !isFleet || got.Name != "watched" {
				t.Fatalf("event = %s %T %+v, want %s of fleet watched", ev.Type, ev.Object, ev.Object, want)
			}
			if cond := readyCondition(t, got); cond.Reason != fleetv1alpha1.ReasonMembersMissing || got.Status.MatchedClusters != 3 {
				t.Errorf("%s event: status not computed: %+v", ev.Type, got.Status)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no %s event within 30s", want)
		}
	}
}

// testTable checks that table output has the kubectl columns.
func testTable(t *testing.T, fx *fleetAPIFixture) {
	ctx := t.Context()
	s := fx.server
	raw, err := s.client.FleetV1alpha1().RESTClient().Get().Resource("fleets").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
		Param("fieldSelector", "metadata.name=prod").DoRaw(ctx)
	if err != nil {
		t.Fatalf("getting the table: %v", err)
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatalf("decoding the table: %v\n%s", err, raw)
	}
	var columns []string
	for _, c := range table.ColumnDefinitions {
		columns = append(columns, c.Name+"/"+string(rune('0'+c.Priority)))
	}
	wantColumns := []string{"Name/0", "Ready/0", "Missing/0", "CPU/0", "Age/0", "Memory/1", "Selector/1", "Telemetry/1"}
	if !reflect.DeepEqual(columns, wantColumns) {
		t.Errorf("columns/priority = %v, want %v", columns, wantColumns)
	}
	if len(table.Rows) != 1 {
		t.Fatalf("table has %d rows, want 1", len(table.Rows))
	}
	cells := table.Rows[0].Cells
	age := cells[4]
	cells[4] = "AGE"
	want := []interface{}{"prod", "2/3", float64(1), "3/12", "AGE", "12Gi/48Gi", "env=prod", "http://thanos-query.monitoring.svc:9090"}
	if !reflect.DeepEqual(cells, want) {
		t.Errorf("cells = %#v, want %#v", cells, want)
	}
	if s, ok := age.(string); !ok || s == "" || s == "<unknown>" {
		t.Errorf("age cell = %#v", age)
	}
}

// testDiscovery checks that discovery lists short name, category and status subresource.
func testDiscovery(t *testing.T, fx *fleetAPIFixture) {
	s := fx.server
	resources, err := s.client.Discovery().ServerResourcesForGroupVersion("fleet.kurator.dev/v1alpha1")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	byName := map[string]metav1.APIResource{}
	for _, r := range resources.APIResources {
		byName[r.Name] = r
	}
	r, ok := byName["fleets"]
	if !ok {
		t.Fatalf("discovery has no fleets: %+v", resources.APIResources)
	}
	if r.Namespaced || r.Kind != "Fleet" || r.SingularName != "fleet" ||
		!reflect.DeepEqual(r.ShortNames, []string{"fl"}) || !reflect.DeepEqual(r.Categories, []string{"kurator"}) {
		t.Errorf("fleets in discovery = %+v", r)
	}
	verbs := append([]string(nil), r.Verbs...)
	sort.Strings(verbs)
	if want := []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}; !reflect.DeepEqual(verbs, want) {
		t.Errorf("fleets verbs = %v, want %v", verbs, want)
	}
	if _, ok := byName["fleets/status"]; !ok {
		t.Errorf("discovery has no fleets/status: %+v", resources.APIResources)
	}
}

// testOpenAPI checks that OpenAPI v3 documents every field for kubectl explain.
func testOpenAPI(t *testing.T, fx *fleetAPIFixture) {
	ctx := t.Context()
	s := fx.server
	raw, err := s.client.FleetV1alpha1().RESTClient().Get().AbsPath("/openapi/v3/apis/fleet.kurator.dev/v1alpha1").DoRaw(ctx)
	if err != nil {
		t.Fatalf("getting the OpenAPI v3 document: %v", err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Description string `json:"description"`
				Properties  map[string]struct {
					Description string `json:"description"`
				} `json:"properties"`
				GVK []map[string]string `json:"x-kubernetes-group-version-kind"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("decoding the OpenAPI v3 document: %v", err)
	}
	fleetSchema, ok := doc.Components.Schemas["dev.kurator.fleet.v1alpha1.Fleet"]
	if !ok {
		t.Fatalf("no schema dev.kurator.fleet.v1alpha1.Fleet among %d schemas", len(doc.Components.Schemas))
	}
	if len(fleetSchema.GVK) != 1 || fleetSchema.GVK[0]["kind"] != "Fleet" || fleetSchema.GVK[0]["group"] != "fleet.kurator.dev" {
		t.Errorf("Fleet schema has x-kubernetes-group-version-kind %v", fleetSchema.GVK)
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
	if checked < 30 {
		t.Errorf("checked only %d properties of kurator schemas", checked)
	}
}

// checkProdStatus checks the status of prodFleet over defaultClusters: member1 and member2
// selected and ready, member3 named and not ready, ghost missing.
func checkProdStatus(t *testing.T, f *fleetv1alpha1.Fleet) {
	t.Helper()
	s := f.Status
	if s.MatchedClusters != 3 || s.ReadyClusters != 2 || !reflect.DeepEqual(s.MissingClusters, []string{"ghost"}) {
		t.Errorf("status: %d matched, %d ready, missing %v; want 3, 2, [ghost]", s.MatchedClusters, s.ReadyClusters, s.MissingClusters)
	}
	var members []string
	for _, m := range s.Members {
		members = append(members, m.Name+"="+map[bool]string{true: "ready", false: "notready:" + m.Reason}[m.Ready])
	}
	if want := []string{"member1=ready", "member2=ready", "member3=notready:ClusterNotReachable"}; !reflect.DeepEqual(members, want) {
		t.Errorf("members = %v, want %v", members, want)
	}
	if cpu := s.Allocatable[corev1.ResourceCPU]; cpu.Cmp(resource.MustParse("12")) != 0 {
		t.Errorf("allocatable cpu = %s, want 12 (ready members only)", cpu.String())
	}
	if cpu := s.Allocated[corev1.ResourceCPU]; cpu.Cmp(resource.MustParse("3")) != 0 {
		t.Errorf("allocated cpu = %s, want 3", cpu.String())
	}
	cond := readyCondition(t, f)
	if cond.Status != metav1.ConditionFalse || cond.Reason != fleetv1alpha1.ReasonMembersMissing {
		t.Errorf("Ready = %s/%s, want False/MembersMissing", cond.Status, cond.Reason)
	}
	wantMessage := "1 named cluster(s) do not exist in Karmada: ghost; 1 of 3 member(s) are not ready: member3 (ClusterNotReachable)"
	if cond.Message != wantMessage {
		t.Errorf("Ready message = %q, want %q", cond.Message, wantMessage)
	}
	if cond.ObservedGeneration != f.Generation {
		t.Errorf("Ready.observedGeneration = %d, want %d", cond.ObservedGeneration, f.Generation)
	}
	if !cond.LastTransitionTime.Equal(&f.CreationTimestamp) {
		t.Errorf("Ready.lastTransitionTime = %s, want the fleet's creation %s (the members changed before it)", cond.LastTransitionTime, f.CreationTimestamp)
	}
}

// fieldOwners returns the managers whose managed fields (FieldsV1 JSON) contain fieldKey.
func fieldOwners(t *testing.T, f *fleetv1alpha1.Fleet, fieldKey string) []string {
	t.Helper()
	var owners []string
	for _, m := range f.ManagedFields {
		if m.FieldsV1 != nil && strings.Contains(string(m.FieldsV1.Raw), fieldKey) {
			owners = append(owners, m.Manager)
		}
	}
	sort.Strings(owners)
	return owners
}

// TestServerStartsWithoutKarmada starts the server with the real Cluster informer pointed at
// a Karmada apiserver that does not answer: the server must become ready, serve fleets and
// report ClusterInformationUnavailable while the informer retries.
func TestServerStartsWithoutKarmada(t *testing.T) {
	karmada, err := newClosedPort()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "karmada.config")
	config := `apiVersion: v1
kind: Config
clusters:
- name: karmada
  cluster:
    server: https://` + karmada + `
    insecure-skip-tls-verify: true
contexts:
- name: karmada
  context: {cluster: karmada, user: admin}
current-context: karmada
users:
- name: admin
  user: {token: unused}
`
	if err := os.WriteFile(kubeconfig, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	s := startServer(t, nil, func(o *app.Options) {
		// The real informer, through the Karmada kubeconfig as in production.
		o.RecommendedOptions.CoreAPI = genericoptions.NewCoreAPIOptions()
		o.RecommendedOptions.CoreAPI.CoreAPIKubeconfigPath = kubeconfig
	})
	ctx := t.Context()
	if _, err := s.client.FleetV1alpha1().Fleets().Create(ctx, prodFleet("offline"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a fleet while Karmada is unreachable: %v", err)
	}
	got, err := s.client.FleetV1alpha1().Fleets().Get(ctx, "offline", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cond := readyCondition(t, got)
	if cond.Status != metav1.ConditionFalse || cond.Reason != fleetv1alpha1.ReasonClusterInformationUnavailable {
		t.Errorf("Ready = %s/%s (%s), want False/ClusterInformationUnavailable", cond.Status, cond.Reason, cond.Message)
	}
}

// newClosedPort returns a local address nothing listens on.
func newClosedPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}
