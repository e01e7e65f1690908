package app_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	worklisters "github.com/karmada-io/karmada/pkg/generated/listers/work/v1alpha2"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	etcd3testing "k8s.io/apiserver/pkg/storage/etcd3/testing"
	schedulinglisters "k8s.io/client-go/listers/scheduling/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	vclisters "volcano.sh/apis/pkg/client/listers/batch/v1alpha1"

	"kurator.dev/kurator/pkg/apiserver"
	"kurator.dev/kurator/pkg/apiserver/app"
	kuratorclientset "kurator.dev/kurator/pkg/generated/clientset/versioned"
	fleetstorage "kurator.dev/kurator/pkg/registry/fleet/fleet"
)

// fakeClusters is a ClusterLister the test controls.
type fakeClusters struct {
	mu       sync.Mutex
	synced   bool
	clusters []*clusterv1alpha1.Cluster
}

func (f *fakeClusters) HasSynced() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.synced
}

func (f *fakeClusters) List() ([]*clusterv1alpha1.Cluster, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*clusterv1alpha1.Cluster(nil), f.clusters...), nil
}

func (f *fakeClusters) set(synced bool, clusters ...*clusterv1alpha1.Cluster) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.synced, f.clusters = synced, clusters
}

// fakeKarmada is a KarmadaCache the test fills: Clusters through fakeClusters, the other
// kinds through indexers.
type fakeKarmada struct {
	clusters                   *fakeClusters
	bindings, jobs, priorities cache.Indexer
}

var _ apiserver.KarmadaCache = &fakeKarmada{}

func newFakeKarmada() *fakeKarmada {
	idx := func() cache.Indexer {
		return cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	return &fakeKarmada{clusters: &fakeClusters{}, bindings: idx(), jobs: idx(), priorities: idx()}
}

func (f *fakeKarmada) Clusters() fleetstorage.ClusterLister { return f.clusters }

func (f *fakeKarmada) ResourceBindings() (worklisters.ResourceBindingLister, cache.InformerSynced) {
	return worklisters.NewResourceBindingLister(f.bindings), func() bool { return true }
}

func (f *fakeKarmada) VolcanoJobs() (vclisters.JobLister, cache.InformerSynced) {
	return vclisters.NewJobLister(f.jobs), func() bool { return true }
}

func (f *fakeKarmada) PriorityClasses() (schedulinglisters.PriorityClassLister, cache.InformerSynced) {
	return schedulinglisters.NewPriorityClassLister(f.priorities), func() bool { return true }
}

func (f *fakeKarmada) Start(<-chan struct{}) {}

// testToken authenticates as a cluster administrator.
const testToken = "kurator-test-token"

// tokenAuthenticator accepts testToken only; AlwaysAllow authorization lets that user do
// anything, as delegated authorization would for a Karmada administrator.
var tokenAuthenticator = authenticator.RequestFunc(func(req *http.Request) (*authenticator.Response, bool, error) {
	if req.Header.Get("Authorization") != "Bearer "+testToken {
		return nil, false, nil
	}
	return &authenticator.Response{User: &user.DefaultInfo{Name: "karmada-admin", Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}}}, true, nil
})

// testServer is a kurator-apiserver running in-process on embedded etcd.
type testServer struct {
	// config reaches the server as the test administrator.
	config *rest.Config
	client kuratorclientset.Interface
}

// startServer starts kurator-apiserver through the real options, with the generic
// apiserver's whole stack on an embedded etcd, except that the Karmada apiserver is replaced:
// authentication by a token authenticator, authorization by AlwaysAllow, and its caches by
// karmada (nil means: build the real informers from options.RecommendedOptions.CoreAPI).
// customize, if not nil, changes the options before they are completed.
func startServer(t *testing.T, karmada *fakeKarmada, customize func(o *app.Options)) *testServer {
	t.Helper()
	_, etcdConfig := etcd3testing.NewUnsecuredEtcd3TestClientServer(t)

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening: %v", err)
	}

	o := app.NewOptions()
	ro := o.RecommendedOptions
	ro.Etcd.StorageConfig.Transport.ServerList = etcdConfig.Transport.ServerList
	ro.SecureServing.Listener = listener
	ro.SecureServing.BindPort = listener.Addr().(*net.TCPAddr).Port
	ro.SecureServing.ServerCert.CertDirectory = t.TempDir()
	ro.Authentication = nil
	ro.Authorization = nil
	ro.CoreAPI = nil
	ro.Admission = nil
	if karmada != nil {
		o.Karmada = karmada
	}
	if customize != nil {
		customize(o)
	}

	if err := o.Complete(); err != nil {
		t.Fatalf("completing options: %v", err)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("validating options: %v", err)
	}
	config, err := o.Config()
	if err != nil {
		t.Fatalf("building the server config: %v", err)
	}
	config.GenericConfig.Authentication.Authenticator = tokenAuthenticator
	server, err := config.Complete().New()
	if err != nil {
		t.Fatalf("creating the server: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.GenericAPIServer.PrepareRun().RunWithContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("server stopped with an error: %v", err)
			}
		case <-time.After(time.Minute):
			t.Errorf("server did not stop within a minute")
		}
	})

	loopback := server.GenericAPIServer.LoopbackClientConfig
	restConfig := &rest.Config{
		Host:            loopback.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: loopback.CAData, ServerName: loopback.ServerName},
		BearerToken:     testToken,
		QPS:             -1,
	}
	client, err := kuratorclientset.NewForConfig(restConfig)
	if err != nil {
		t.Fatalf("creating the client: %v", err)
	}
	eventually(t, time.Minute, func() (bool, string) {
		select {
		case err := <-done:
			t.Fatalf("server stopped before it was ready: %v", err)
		default:
		}
		body, err := client.FleetV1alpha1().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
		return err == nil && strings.TrimSpace(string(body)) == "ok", fmt.Sprintf("/readyz: %s %v", body, err)
	})
	return &testServer{config: restConfig, client: client}
}

// eventually polls check until it returns true or timeout passes, then fails with what
// check last reported.
func eventually(t *testing.T, timeout time.Duration, check func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		ok, seen := check()
		last = seen
		return ok, nil
	})
	if err != nil {
		t.Fatalf("condition not met within %s; last seen: %s", timeout, last)
	}
}

// warningRecorder collects the warnings the server returns.
type warningRecorder struct {
	mu       sync.Mutex
	warnings []string
}

func (w *warningRecorder) HandleWarningHeader(code int, agent string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.warnings = append(w.warnings, text)
}

func (w *warningRecorder) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.warnings
	w.warnings = nil
	return out
}
