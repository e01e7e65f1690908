package clustertelemetry

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"

	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	telemetryapi "kurator.dev/kurator/pkg/apis/telemetry"
	fleetlisters "kurator.dev/kurator/pkg/generated/listers/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/telemetry"
)

// fakeThanos answers the default catalogue: cpu and memory for the clusters it knows by
// their Thanos names, nothing else; it counts the queries per URL.
type fakeThanos struct {
	url      string
	clusters map[string]float64
	mu       *sync.Mutex
	queries  map[string]int
}

func (f fakeThanos) Query(_ context.Context, query string, ts time.Time, _ ...promv1.Option) (model.Value, promv1.Warnings, error) {
	f.mu.Lock()
	f.queries[f.url]++
	f.mu.Unlock()
	if query != telemetry.DefaultCPUQuery && query != telemetry.DefaultMemoryQuery {
		return model.Vector{}, nil, nil
	}
	var v model.Vector
	for name, value := range f.clusters {
		v = append(v, &model.Sample{Metric: model.Metric{"cluster": model.LabelValue(name)}, Value: model.SampleValue(value), Timestamp: model.TimeFromUnixNano(ts.UnixNano())})
	}
	return v, nil, nil
}

func fleet(name, url string, mapping ...fleetv1alpha1.ClusterNameMapping) *fleetv1alpha1.Fleet {
	f := &fleetv1alpha1.Fleet{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: fleetv1alpha1.FleetSpec{
		ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"fleet": name}},
	}}
	if url != "" {
		f.Spec.Telemetry = &fleetv1alpha1.FleetTelemetry{ThanosQueryURL: url, ClusterLabel: "cluster", ClusterMapping: mapping}
	}
	return f
}

func TestDesiredConfigs(t *testing.T) {
	fleets := []*fleetv1alpha1.Fleet{
		fleet("b", "http://thanos-a", fleetv1alpha1.ClusterNameMapping{Cluster: "x", ThanosCluster: "from-b"}, fleetv1alpha1.ClusterNameMapping{Cluster: "y", IstioClusterID: "y-mesh"}),
		fleet("a", "http://thanos-a", fleetv1alpha1.ClusterNameMapping{Cluster: "x", ThanosCluster: "from-a"}),
		fleet("c", "http://thanos-c"),
		fleet("d", ""),
	}
	fleets[0].Spec.Telemetry.ClusterLabel = "k8s_cluster"
	got := DesiredConfigs(fleets, SourceOptions{RefreshInterval: 2 * time.Second, MaxSampleAge: 20 * time.Second})
	if len(got) != 2 {
		t.Fatalf("configs for %d URLs, want 2: %+v", len(got), got)
	}
	a := got["http://thanos-a"]
	if a.ClusterLabel != "cluster" {
		t.Errorf("shared URL: cluster label %q, want fleet a's (first by name)", a.ClusterLabel)
	}
	var mapping []string
	for _, m := range a.ClusterMapping {
		mapping = append(mapping, m.Cluster+"="+m.ThanosCluster+"/"+m.IstioClusterID)
	}
	if want := "x=from-a/,y=/y-mesh"; strings.Join(mapping, ",") != want {
		t.Errorf("merged mapping = %s, want %s (fleet a wins for x)", strings.Join(mapping, ","), want)
	}
	if a.RefreshInterval.Duration != 2*time.Second || a.MaxSampleAge.Duration != 20*time.Second || a.Timeout.Duration != telemetry.DefaultTimeout {
		t.Errorf("timing = %v/%v/%v", a.RefreshInterval, a.MaxSampleAge, a.Timeout)
	}
	if a.Queries.Latency == "" {
		t.Error("configurations are not defaulted, so they would never compare equal to a running source's")
	}
}

// testEnv is a SourceManager and a REST over fleets and clusters the test controls, with a
// fake Thanos per URL.
type testEnv struct {
	fleets   cache.Indexer
	clusters *fakeClusters
	manager  *SourceManager
	rest     *REST
	mu       sync.Mutex
	queries  map[string]int
}

type fakeClusters struct {
	mu       sync.Mutex
	synced   bool
	clusters []*clusterv1alpha1.Cluster
}

func (f *fakeClusters) HasSynced() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.synced }
func (f *fakeClusters) List() ([]*clusterv1alpha1.Cluster, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clusters, nil
}

func newTestEnv(t *testing.T) *testEnv {
	e := &testEnv{
		fleets:   cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}),
		clusters: &fakeClusters{synced: true},
		queries:  map[string]int{},
	}
	thanos := map[string]map[string]float64{
		"http://thanos-a": {"aliyun": 0.25, "tencent-prod": 0.75},
		"http://thanos-b": {"edge": 0.5},
	}
	e.manager = NewSourceManager(SourceOptions{
		RefreshInterval: 20 * time.Millisecond, MaxSampleAge: time.Minute, ResyncPeriod: time.Hour,
		NewQuerier: func(url string) telemetry.Querier {
			return fakeThanos{url: url, clusters: thanos[url], mu: &e.mu, queries: e.queries}
		},
	}, fleetlisters.NewFleetLister(e.fleets), func() bool { return true })
	e.rest = NewREST(&Sources{
		Clusters: e.clusters, Fleets: fleetlisters.NewFleetLister(e.fleets), FleetsSynced: func() bool { return true },
		Telemetry: e.manager,
	})
	for _, c := range []string{"aliyun", "tencent", "edge", "lonely"} {
		lbl := map[string]string{"fleet": "prod"}
		switch c {
		case "edge":
			lbl["fleet"] = "edge"
		case "lonely":
			lbl = nil
		}
		e.clusters.clusters = append(e.clusters.clusters, &clusterv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: c, Labels: lbl}})
	}
	return e
}

func (e *testEnv) get(t *testing.T, name string) *telemetryapi.ClusterTelemetry {
	t.Helper()
	obj, err := e.rest.Get(t.Context(), name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting %s: %v", name, err)
	}
	return obj.(*telemetryapi.ClusterTelemetry)
}

func (e *testEnv) count(url string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.queries[url]
}

func freshReason(ct *telemetryapi.ClusterTelemetry) string {
	if len(ct.Status.Conditions) == 0 {
		return "none"
	}
	return ct.Status.Conditions[0].Reason
}

// eventually polls check every 10ms for up to 10s and fails with what it last reported.
func eventually(t *testing.T, check func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), 10*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		ok, seen := check()
		last = seen
		return ok, nil
	})
	if err != nil {
		t.Fatalf("condition not met within 10s; last seen: %s", last)
	}
}

func TestSourceManagerAndREST(t *testing.T) {
	e := newTestEnv(t)
	if err := e.fleets.Add(fleet("prod", "http://thanos-a", fleetv1alpha1.ClusterNameMapping{Cluster: "tencent", ThanosCluster: "tencent-prod"})); err != nil {
		t.Fatal(err)
	}
	// Before the manager runs, the fleet's source does not exist: the data is pending, not an error.
	if got := freshReason(e.get(t, "aliyun")); got != telemetryapi.ReasonWaitingForFirstRefresh {
		t.Errorf("before the source runs: %s, want WaitingForFirstRefresh", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { e.manager.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	eventually(t, func() (bool, string) {
		ct := e.get(t, "tencent")
		return freshReason(ct) == telemetryapi.ReasonSamplesFresh && ct.Status.CPU != nil && ct.Status.CPU.Fraction == 0.75,
			fmt.Sprintf("%s cpu=%+v", freshReason(ct), ct.Status.CPU)
	})
	if ct := e.get(t, "tencent"); ct.Status.ThanosCluster != "tencent-prod" || ct.Status.IstioClusterID != "tencent" || ct.Status.Source.Fleet != "prod" {
		t.Errorf("tencent's names and source = %s/%s %+v", ct.Status.ThanosCluster, ct.Status.IstioClusterID, ct.Status.Source)
	}
	if got := freshReason(e.get(t, "edge")); got != telemetryapi.ReasonNoTelemetrySource {
		t.Errorf("edge is in no fleet with telemetry: %s", got)
	}

	// A second fleet with another URL gets its own source.
	if err := e.fleets.Add(fleet("edge", "http://thanos-b")); err != nil {
		t.Fatal(err)
	}
	e.manager.Trigger()
	eventually(t, func() (bool, string) {
		ct := e.get(t, "edge")
		return freshReason(ct) == telemetryapi.ReasonSamplesFresh && ct.Status.Source.URL == "http://thanos-b", freshReason(ct)
	})

	// Removing the telemetry of fleet prod stops its source.
	if err := e.fleets.Update(fleet("prod", "")); err != nil {
		t.Fatal(err)
	}
	e.manager.Trigger()
	eventually(t, func() (bool, string) {
		_, _, _, ok := e.manager.Source("http://thanos-a")
		return !ok, "source of thanos-a still running"
	})
	stopped := e.count("http://thanos-a")
	time.Sleep(100 * time.Millisecond) // five refresh intervals: a running source would query again
	if got := e.count("http://thanos-a"); got != stopped {
		t.Errorf("the stopped source of thanos-a queried %d more times", got-stopped)
	}
	if got := freshReason(e.get(t, "aliyun")); got != telemetryapi.ReasonNoTelemetrySource {
		t.Errorf("aliyun after its fleet dropped telemetry: %s", got)
	}

	list, err := e.rest.List(t.Context(), &metainternalversion.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{"fleet": "prod"})})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ct := range list.(*telemetryapi.ClusterTelemetryList).Items {
		names = append(names, ct.Name)
	}
	if strings.Join(names, ",") != "aliyun,tencent" {
		t.Errorf("list fleet=prod = %v, want aliyun,tencent", names)
	}
	if _, err := e.rest.Get(t.Context(), "ghost", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("getting a cluster that does not exist: %v, want NotFound", err)
	}
	e.clusters.mu.Lock()
	e.clusters.synced = false
	e.clusters.mu.Unlock()
	if _, err := e.rest.List(t.Context(), &metainternalversion.ListOptions{}); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("listing before the clusters are known: %v, want 503", err)
	}

	cancel()
	<-done
	if _, _, _, ok := e.manager.Source("http://thanos-b"); ok {
		t.Error("sources still registered after the manager stopped")
	}
}
