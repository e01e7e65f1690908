// Command apiserver measures the fleet.kurator.dev API served by kurator-apiserver through the
// Karmada apiserver against an equivalent CustomResourceDefinition served by the Karmada
// apiserver itself, in one run against a running kurator-up environment:
//
//   - it installs the CRD benchfleets.bench.kurator.dev (cluster-scoped, status subresource, a
//     structural schema shaped like Fleet's; named apart from fleets, so that kubectl's
//     discovery cache never maps "fleet" to it),
//   - creates the same number of objects of each, the CRD objects with the status kurator
//     computes for the fleets (so that both answer the same amount of data),
//   - measures GET and LIST latency of both, interleaved request by request so that both see
//     the same load, and prints p50 and p99 side by side with their ratio,
//   - sends the same requests to kurator-apiserver directly, bypassing the Karmada apiserver's
//     aggregator, so the cost of the aggregation hop is visible in the same run,
//   - reports the resident memory of kurator-apiserver idle and with the fleets,
//   - and deletes everything it created.
//
// Run it from the repository root after `make local-up` (or with the e2e environment up):
//
//	go run ./test/bench/apiserver
//
// Every loop is bounded in count, and the whole run by --timeout.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	kuratorclientset "kurator.dev/kurator/pkg/generated/clientset/versioned"
	"kurator.dev/kurator/pkg/localup"
)

// The CRD the fleets are compared with.
const (
	crdGroup   = "bench.kurator.dev"
	crdName    = "benchfleets." + crdGroup
	runLabel   = crdGroup + "/run"
	namePrefix = "bench-"
)

var (
	crdGVR    = schema.GroupVersionResource{Group: crdGroup, Version: "v1alpha1", Resource: "benchfleets"}
	kuratorGV = fleetv1alpha1.SchemeGroupVersion
)

// options are the command-line flags.
type options struct {
	output     string
	objects    int
	gets       int
	lists      int
	workers    int
	timeout    time.Duration
	keep       bool
	membersCSV string
	as         string
}

func main() {
	var o options
	flag.StringVar(&o.output, "output", "_output", "output directory of the kurator-up environment (kubeconfig, state)")
	flag.IntVar(&o.objects, "objects", 1000, "objects of each kind to create")
	flag.IntVar(&o.gets, "gets", 2000, "GET requests of each kind to measure")
	flag.IntVar(&o.lists, "lists", 200, "LIST requests of each kind to measure")
	flag.IntVar(&o.workers, "create-workers", 8, "concurrent requests while creating and deleting objects")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "upper bound of the whole run")
	flag.BoolVar(&o.keep, "keep", false, "keep the objects and the CRD (to profile or inspect them)")
	flag.StringVar(&o.membersCSV, "clusters", "", "comma-separated member clusters the fleets name (default: every Karmada Cluster)")
	flag.StringVar(&o.as, "as", "", "measure as this user, granted read access to both kinds for the run, instead of the administrator "+
		"(system:masters skips authorization; other users make kurator-apiserver ask the Karmada apiserver)")
	flag.Parse()
	if o.objects < 1 || o.gets < 1 || o.lists < 1 || o.workers < 1 {
		fmt.Fprintln(os.Stderr, "bench: --objects, --gets, --lists and --create-workers must be positive")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench holds the clients and what the run created.
type bench struct {
	o       options
	run     string
	layout  localup.Layout
	clients *localup.Clients
	kurator kuratorclientset.Interface
	raw     rest.Interface
	direct  rest.Interface
	crd     dynamic.ResourceInterface
	names   []string
}

func run(ctx context.Context, o options) error {
	layout := localup.Layout{Output: o.output}
	cfg, err := localup.RESTConfig(layout.KarmadaKubeconfig())
	if err != nil {
		return err
	}
	// No client-side throttling: the server's latency is what is measured.
	cfg.QPS, cfg.Burst = -1, 0
	clients, err := localup.NewClientsForConfig(cfg)
	if err != nil {
		return err
	}
	kurator, err := kuratorclientset.NewForConfig(cfg)
	if err != nil {
		return err
	}
	rawCfg := rest.CopyConfig(cfg)
	rawCfg.GroupVersion = &schema.GroupVersion{}
	rawCfg.APIPath = "/apis"
	rawCfg.NegotiatedSerializer = noopNegotiator{}
	rawCfg.AcceptContentTypes = "application/json"
	if o.as != "" {
		rawCfg.Impersonate = rest.ImpersonationConfig{UserName: o.as}
	}
	raw, err := rest.RESTClientFor(rawCfg)
	if err != nil {
		return fmt.Errorf("creating the raw client: %w", err)
	}
	// The same requests sent to kurator-apiserver itself, not through the Karmada
	// apiserver's aggregator, show what the aggregation hop costs.
	_, ports, err := localup.Discover(o.output)
	if err != nil {
		return err
	}
	directCfg := rest.CopyConfig(rawCfg)
	directCfg.Host = "https://" + localup.Addr(ports.KuratorAPIServer)
	direct, err := rest.RESTClientFor(directCfg)
	if err != nil {
		return fmt.Errorf("creating the client of kurator-apiserver: %w", err)
	}
	b := &bench{
		o: o, run: strconv.FormatInt(time.Now().Unix(), 36), layout: layout, clients: clients, kurator: kurator, raw: raw, direct: direct,
		crd: clients.Dynamic.Resource(crdGVR),
	}
	for i := range o.objects {
		b.names = append(b.names, fmt.Sprintf("%s%s-%04d", namePrefix, b.run, i))
	}

	pid, err := kuratorPID(layout)
	if err != nil {
		return err
	}
	existing, err := kurator.FleetV1alpha1().Fleets().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing fleets (is the environment up?): %w", err)
	}
	idle, err := readRSS(pid)
	if err != nil {
		return err
	}
	fmt.Printf("kurator-apiserver pid %d: RSS %s idle (%d fleets stored)\n", pid, mib(idle.rss), len(existing.Items))

	if !o.keep {
		defer b.cleanup()
	}
	if err := b.installCRD(ctx); err != nil {
		return err
	}
	if o.as != "" {
		if err := b.grantReader(ctx); err != nil {
			return err
		}
	}
	spec, err := b.fleetSpec(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := b.createFleets(ctx, spec); err != nil {
		return err
	}
	status, err := b.computedStatus(ctx)
	if err != nil {
		return err
	}
	if err := b.createCRDObjects(ctx, spec, status); err != nil {
		return err
	}
	fmt.Printf("created %d fleets and %d CRD objects with the same spec and status in %s\n", o.objects, o.objects, time.Since(start).Round(time.Millisecond))
	loaded, err := readRSS(pid)
	if err != nil {
		return err
	}

	results, err := b.measure(ctx)
	if err != nil {
		return err
	}
	afterLoad, err := readRSS(pid)
	if err != nil {
		return err
	}
	if now, err := kuratorPID(layout); err != nil || now != pid {
		return fmt.Errorf("kurator-apiserver restarted during the run (pid %d, now %d, %v): the figures are void, run again", pid, now, err)
	}
	results.print(o)
	fmt.Printf("\nkurator-apiserver RSS: idle %s; with %d more fleets %s; after the measurement %s (PSS %s)\n",
		mib(idle.rss), o.objects, mib(loaded.rss), mib(afterLoad.rss), mib(afterLoad.pss))
	return nil
}

// noopNegotiator lets the raw client read bodies without decoding them.
type noopNegotiator struct{}

func (noopNegotiator) SupportedMediaTypes() []runtime.SerializerInfo {
	return []runtime.SerializerInfo{{MediaType: "application/json", EncodesAsText: true}}
}
func (noopNegotiator) EncoderForVersion(runtime.Encoder, runtime.GroupVersioner) runtime.Encoder {
	return nil
}
func (noopNegotiator) DecoderToVersion(runtime.Decoder, runtime.GroupVersioner) runtime.Decoder {
	return nil
}

// kuratorPID finds the running kurator-apiserver in the environment's state.
func kuratorPID(layout localup.Layout) (int, error) {
	sup, err := localup.NewSupervisor(layout.StateFile(), layout.Logs())
	if err != nil {
		return 0, err
	}
	for _, r := range sup.Records() {
		if r.Name == "kurator-apiserver" {
			if !localup.Alive(r) {
				return 0, fmt.Errorf("kurator-apiserver (pid %d) is not running: run `kurator-up up`", r.PID)
			}
			return r.PID, nil
		}
	}
	return 0, errors.New("kurator-apiserver is not in the environment's state: run `kurator-up up`")
}

// memory is the resident memory of a process, in bytes.
type memory struct{ rss, pss int64 }

// readRSS reads the resident and proportional set sizes of a process.
func readRSS(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return memory{}, fmt.Errorf("reading the memory of pid %d: %w", pid, err)
	}
	defer f.Close()
	var m memory
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) != 3 || fields[2] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "Rss:":
			m.rss = kb * 1024
		case "Pss:":
			m.pss = kb * 1024
		}
	}
	if m.rss == 0 {
		return m, fmt.Errorf("no Rss in the smaps_rollup of pid %d", pid)
	}
	return m, s.Err()
}

func mib(bytes int64) string { return fmt.Sprintf("%.1f MiB", float64(bytes)/(1<<20)) }

// installCRD installs fleets.bench.kurator.dev and waits until it is served.
func (b *bench) installCRD(ctx context.Context) error {
	crds := b.clients.APIExtensions.ApiextensionsV1().CustomResourceDefinitions()
	if _, err := crds.Get(ctx, crdName, metav1.GetOptions{}); err == nil {
		return fmt.Errorf("CRD %s exists already (another run, or --keep): delete it first", crdName)
	}
	if _, err := crds.Create(ctx, benchCRD(), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating CRD %s: %w", crdName, err)
	}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		crd, err := crds.Get(ctx, crdName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				_, err := b.crd.List(ctx, metav1.ListOptions{Limit: 1})
				return err == nil, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for CRD %s to be served: %w", crdName, err)
	}
	return nil
}

// fleetSpec is the spec of every object: all members by name, telemetry and batch settings.
func (b *bench) fleetSpec(ctx context.Context) (fleetv1alpha1.FleetSpec, error) {
	var members []string
	if b.o.membersCSV != "" {
		members = strings.Split(b.o.membersCSV, ",")
	} else {
		clusters, err := b.clients.Karmada.ClusterV1alpha1().Clusters().List(ctx, metav1.ListOptions{})
		if err != nil {
			return fleetv1alpha1.FleetSpec{}, fmt.Errorf("listing Karmada clusters: %w", err)
		}
		for _, c := range clusters.Items {
			members = append(members, c.Name)
		}
		sort.Strings(members)
	}
	if len(members) == 0 {
		return fleetv1alpha1.FleetSpec{}, errors.New("there is no Karmada cluster to name in the fleets")
	}
	return fleetv1alpha1.FleetSpec{
		Clusters:  members,
		Telemetry: &fleetv1alpha1.FleetTelemetry{ThanosQueryURL: "http://thanos-query.monitoring.svc:9090", ClusterLabel: "cluster"},
		Batch:     &fleetv1alpha1.FleetBatch{DefaultQueue: "default", Preemption: fleetv1alpha1.PreemptNever},
	}, nil
}

// forEach runs fn for every object name with b.o.workers concurrent calls and returns the
// first error.
func (b *bench) forEach(ctx context.Context, fn func(ctx context.Context, i int, name string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range b.o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i, b.names[i]); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
	for i := range b.names {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

func (b *bench) labels() map[string]string { return map[string]string{runLabel: b.run} }

func (b *bench) createFleets(ctx context.Context, spec fleetv1alpha1.FleetSpec) error {
	fleets := b.kurator.FleetV1alpha1().Fleets()
	return b.forEach(ctx, func(ctx context.Context, _ int, name string) error {
		f := &fleetv1alpha1.Fleet{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: b.labels()}, Spec: spec}
		if _, err := fleets.Create(ctx, f, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating fleet %s: %w", name, err)
		}
		return nil
	})
}

// computedStatus returns the status kurator computes for the fleets, once the Karmada
// Clusters are known to it.
func (b *bench) computedStatus(ctx context.Context) (fleetv1alpha1.FleetStatus, error) {
	var status fleetv1alpha1.FleetStatus
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		f, err := b.kurator.FleetV1alpha1().Fleets().Get(ctx, b.names[0], metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		status = f.Status
		return status.MatchedClusters > 0, nil
	})
	if err != nil {
		return status, fmt.Errorf("waiting for fleet %s to have members in its status: %w", b.names[0], err)
	}
	return status, nil
}

// createCRDObjects creates the CRD objects and writes them the fleets' computed status.
func (b *bench) createCRDObjects(ctx context.Context, spec fleetv1alpha1.FleetSpec, status fleetv1alpha1.FleetStatus) error {
	specMap, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&spec)
	if err != nil {
		return err
	}
	statusMap, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&status)
	if err != nil {
		return err
	}
	return b.forEach(ctx, func(ctx context.Context, _ int, name string) error {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": crdGVR.GroupVersion().String(),
			"kind":       "BenchFleet",
			"metadata":   map[string]any{"name": name, "labels": map[string]any{runLabel: b.run}},
			"spec":       runtime.DeepCopyJSONValue(specMap),
		}}
		created, err := b.crd.Create(ctx, u, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating %s %s: %w", crdName, name, err)
		}
		created.Object["status"] = runtime.DeepCopyJSONValue(statusMap)
		updated, err := b.crd.UpdateStatus(ctx, created, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("writing the status of %s %s: %w", crdName, name, err)
		}
		// Drop the status writer's managed fields, which a computed status does not have, so
		// that both kinds answer the same bytes.
		var kept []metav1.ManagedFieldsEntry
		for _, e := range updated.GetManagedFields() {
			if e.Subresource == "" {
				kept = append(kept, e)
			}
		}
		patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/metadata/managedFields", "value": kept}})
		if err != nil {
			return err
		}
		if _, err := b.crd.Patch(ctx, name, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("trimming the managed fields of %s %s: %w", crdName, name, err)
		}
		return nil
	})
}

// target is one of the APIs measured.
type target struct {
	name   string
	path   string // collection path under /apis
	client rest.Interface
}

// samples are the latencies and response sizes of one kind of request against one target.
type samples struct {
	latencies []time.Duration
	bytes     int
}

func (s *samples) percentile(p float64) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	sorted := append([]time.Duration(nil), s.latencies...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	// Nearest rank.
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

// results are the samples by request kind ("GET", "LIST") and target.
type results struct {
	targets []target
	byKind  map[string]map[string]*samples
}

func (b *bench) measure(ctx context.Context) (*results, error) {
	fleets := kuratorGV.Group + "/" + kuratorGV.Version + "/fleets"
	targets := []target{
		{name: "kurator", path: fleets, client: b.raw},
		{name: "CRD", path: crdGVR.Group + "/" + crdGVR.Version + "/" + crdGVR.Resource, client: b.raw},
		{name: "kurator direct", path: fleets, client: b.direct},
	}
	r := &results{targets: targets, byKind: map[string]map[string]*samples{"GET": {}, "LIST": {}}}
	for _, t := range targets {
		r.byKind["GET"][t.name] = &samples{}
		r.byKind["LIST"][t.name] = &samples{}
	}
	selector := runLabel + "=" + b.run
	get := func(t target, name string) (time.Duration, int, error) {
		start := time.Now()
		body, err := t.client.Get().AbsPath("/apis", t.path, name).DoRaw(ctx)
		return time.Since(start), len(body), err
	}
	list := func(t target) (time.Duration, int, error) {
		start := time.Now()
		body, err := t.client.Get().AbsPath("/apis", t.path).Param("labelSelector", selector).DoRaw(ctx)
		return time.Since(start), len(body), err
	}
	record := func(kind string, t target, d time.Duration, n int, err error, keep bool) error {
		if err != nil {
			return fmt.Errorf("%s %s: %w", kind, t.name, err)
		}
		if keep {
			s := r.byKind[kind][t.name]
			s.latencies = append(s.latencies, d)
			s.bytes = n
		}
		return nil
	}

	// Warm up connections, caches and the servers' code paths, then measure. The order of
	// the targets rotates so none always goes first.
	rng := rand.New(rand.NewPCG(1, 2))
	warmGets, warmLists := min(100, b.o.gets), min(10, b.o.lists)
	listEvery := max(1, b.o.gets/b.o.lists)
	phases := []struct {
		gets, lists int
		keep        bool
	}{{warmGets, warmLists, false}, {b.o.gets, b.o.lists, true}}
	for _, phase := range phases {
		every := max(1, phase.gets/phase.lists)
		if phase.keep {
			every = listEvery
		}
		lists := 0
		for i := range phase.gets {
			name := b.names[rng.IntN(len(b.names))]
			k := i % len(targets)
			order := append(append([]target(nil), targets[k:]...), targets[:k]...)
			for _, t := range order {
				d, n, err := get(t, name)
				if err := record("GET", t, d, n, err, phase.keep); err != nil {
					return nil, err
				}
			}
			if i%every == every-1 && lists < phase.lists {
				lists++
				for _, t := range order {
					d, n, err := list(t)
					if err := record("LIST", t, d, n, err, phase.keep); err != nil {
						return nil, err
					}
				}
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
		for ; lists < phase.lists; lists++ {
			for _, t := range targets {
				d, n, err := list(t)
				if err := record("LIST", t, d, n, err, phase.keep); err != nil {
					return nil, err
				}
			}
		}
	}
	// A LIST that does not return every object measures nothing.
	for _, t := range targets {
		body, err := t.client.Get().AbsPath("/apis", t.path).Param("labelSelector", selector).DoRaw(ctx)
		if err != nil {
			return nil, fmt.Errorf("LIST %s: %w", t.name, err)
		}
		if n := bytes.Count(body, []byte(`"name":"`+namePrefix+b.run+"-")); n != len(b.names) {
			return nil, fmt.Errorf("LIST %s returned %d of the %d objects", t.name, n, len(b.names))
		}
	}
	return r, nil
}

func (r *results) print(o options) {
	who := "as a system:masters administrator"
	if o.as != "" {
		who = "as user " + o.as + " (RBAC)"
	}
	fmt.Printf("\n%d objects of each; %d GETs and %d LISTs of each, interleaved, sequential, JSON, %s\n\n", o.objects, o.gets, o.lists, who)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	var unequal []string
	fmt.Fprintln(w, "request\t"+r.targets[0].name+"\t"+r.targets[1].name+"\tratio\ttarget\t\t"+r.targets[2].name+"\taggregation hop\t")
	for _, kind := range []string{"GET", "LIST"} {
		a, c, d := r.byKind[kind][r.targets[0].name], r.byKind[kind][r.targets[1].name], r.byKind[kind][r.targets[2].name]
		for _, p := range []float64{50, 99} {
			pa, pc, pd := a.percentile(p), c.percentile(p), d.percentile(p)
			verdict := "≤ 1.2 ok"
			ratio := float64(pa) / float64(pc)
			if ratio > 1.2 {
				verdict = "≤ 1.2 MISSED"
			}
			fmt.Fprintf(w, "%s p%.0f\t%s\t%s\t%.2f\t%s\t\t%s\t%s\t\n", kind, p, fmtDur(pa), fmtDur(pc), ratio, verdict, fmtDur(pd), fmtDur(pa-pd))
		}
		fmt.Fprintf(w, "%s bytes\t%d\t%d\t%.2f\t\t\t%d\t\t\n", kind, a.bytes, c.bytes, float64(a.bytes)/float64(c.bytes), d.bytes)
		if r := float64(a.bytes) / float64(c.bytes); r < 0.9 || r > 1.1 {
			unequal = append(unequal, kind)
		}
	}
	_ = w.Flush()
	if len(unequal) > 0 {
		// The CRD objects carry a copy of the fleets' status taken at creation; a fleet's live
		// status moves when Karmada's Clusters change during the run (another bench's clusters
		// still being deleted, a member turning NotReady).
		fmt.Printf("\nWARNING: %s payloads differ by more than 10%%: the Clusters changed during the run, so the latencies do not compare like for like; run again on a quiet fleet\n", strings.Join(unequal, " and "))
	}
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000)
}

// cleanup deletes the objects and the CRD, bounded in time, whatever happened before.
func (b *bench) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	selector := metav1.ListOptions{LabelSelector: runLabel + "=" + b.run}
	if err := b.kurator.FleetV1alpha1().Fleets().DeleteCollection(ctx, metav1.DeleteOptions{}, selector); err != nil {
		fmt.Fprintf(os.Stderr, "bench: deleting the fleets labelled %s: %v\n", selector.LabelSelector, err)
	}
	if b.o.as != "" {
		rbac := b.clients.Kube.RbacV1()
		if err := rbac.ClusterRoleBindings().Delete(ctx, readerRole, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			fmt.Fprintf(os.Stderr, "bench: deleting ClusterRoleBinding %s: %v\n", readerRole, err)
		}
		if err := rbac.ClusterRoles().Delete(ctx, readerRole, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			fmt.Fprintf(os.Stderr, "bench: deleting ClusterRole %s: %v\n", readerRole, err)
		}
	}
	crds := b.clients.APIExtensions.ApiextensionsV1().CustomResourceDefinitions()
	// Deleting the CRD deletes its objects.
	if err := crds.Delete(ctx, crdName, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		fmt.Fprintf(os.Stderr, "bench: deleting CRD %s: %v\n", crdName, err)
	}
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := crds.Get(ctx, crdName, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return false, nil
		}
		left, err := b.kurator.FleetV1alpha1().Fleets().List(ctx, selector)
		return err == nil && len(left.Items) == 0, nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: clean-up incomplete (CRD %s or fleets labelled %s remain): %v\n", crdName, selector.LabelSelector, err)
		return
	}
	fmt.Println("cleaned up: fleets and CRD deleted")
}

// readerRole names the ClusterRole and ClusterRoleBinding that let --as read both kinds.
const readerRole = "bench-kurator-fleet-reader"

// grantReader lets the --as user get and list both kinds.
func (b *bench) grantReader(ctx context.Context) error {
	rbac := b.clients.Kube.RbacV1()
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: readerRole},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{kuratorGV.Group, crdGroup}, Resources: []string{"fleets", crdGVR.Resource}, Verbs: []string{"get", "list"},
		}},
	}
	if _, err := rbac.ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating ClusterRole %s: %w", readerRole, err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: readerRole},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: readerRole},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: b.o.as}},
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating ClusterRoleBinding %s: %w", readerRole, err)
	}
	return nil
}
