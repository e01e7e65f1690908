// Command throughput measures the scheduling throughput (bindings/s) of kurator-scheduler with
// all its plugins against the stock karmada-scheduler on the same Karmada control plane: a
// running kurator-up environment.
//
// It registers extra Karmada Clusters in Pull mode (Karmada's control plane does not probe
// those: the bench writes their status — Ready, resource summary, API enablements — and
// renews their Leases in karmada-cluster as karmada-agent would, so that Karmada's cluster
// controller keeps them Ready), serves synthetic telemetry about them on a small Prometheus
// HTTP API (utilization, a p99 latency matrix, a service graph) that the bench's
// kurator-scheduler reads through --telemetry-url, and creates a Deployment per workload as
// the resource template kurator's plugins read annotations from (peers, SLO, mesh).
//
// Each run then creates the same ResourceBindings (spread by cluster to one cluster, so that
// scores decide; Duplicated or Divided replicas) once for each scheduler, which the bench
// starts with the same Karmada flags and a scheduler name of its own. Each scheduler has its
// own copy of the templates and bindings, so both can work at once: by default (--mode
// concurrent) they do, and whatever else loads the machine — Karmada's controllers reacting
// to the scheduled bindings, the environment's members, a machine that slows down or speeds
// up from one minute to the next — weighs on both alike. With --mode alternating one works
// after the other, the order alternating between runs. The bench measures, by watching the
// bindings, the time from the first creation to each scheduler's last Scheduled=True
// condition, and the scheduler process's CPU time over it (which competing processes on the
// machine inflate less than wall time).
//
// Usage (from the repository root, against `kurator-up --output DIR up`):
//
//	go run ./test/bench/throughput --output DIR [--runs 3] [--clusters 50] [--bindings 1000]
//	    [--mode concurrent|alternating] [--replica-scheduling Duplicated|Divided]
//	    [--pprof-dir DIR] [--kurator-scheduler BIN]
//
// The environment's own karmada-scheduler and kurator-scheduler ignore the bench's bindings
// (other scheduler names) but still receive their watch events; `kurator-up stop
// karmada-scheduler kurator-scheduler` before the bench takes that noise away.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	karmadaclientset "github.com/karmada-io/karmada/pkg/generated/clientset/versioned"

	"kurator.dev/kurator/pkg/localup"
)

// Scheduler names of the bench's two schedulers: distinct from the environment's
// (default-scheduler, kurator-scheduler), so that those leave the bench's bindings alone.
const (
	stockName   = "bench-stock"
	kuratorName = "bench-kurator"
)

type options struct {
	output            string
	clusters          int
	bindings          int
	anchors           int
	runs              int
	seed              uint64
	replicaScheduling string
	profile           string
	karmadaScheduler  string
	kuratorScheduler  string
	qps, burst        int
	timeout           time.Duration
	settle            time.Duration
	idle              time.Duration
	pprofDir          string
	pprofFor          time.Duration
	logDir            string
	keep              bool
	namespace         string
	mode              string
}

func main() {
	o := options{}
	flag.StringVar(&o.output, "output", "_output", "the kurator-up environment (its --output directory)")
	flag.IntVar(&o.clusters, "clusters", 50, "Pull clusters to register")
	flag.IntVar(&o.bindings, "bindings", 1000, "bindings per scheduler and run")
	flag.IntVar(&o.anchors, "anchors", 100, "services in the synthetic service graph")
	flag.IntVar(&o.runs, "runs", 3, "runs; each schedules the bindings once with each scheduler")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the synthetic fleet and workloads")
	flag.StringVar(&o.replicaScheduling, "replica-scheduling", "Duplicated", "Duplicated or Divided (Aggregated)")
	flag.StringVar(&o.profile, "profile", "artifacts/scheduler/default.yaml", "kurator-scheduler profile (its schedulerName is replaced)")
	flag.StringVar(&o.karmadaScheduler, "karmada-scheduler", "", "stock karmada-scheduler binary (default <output>/bin/karmada-scheduler)")
	flag.StringVar(&o.kuratorScheduler, "kurator-scheduler", "", "kurator-scheduler binary (default <output>/bin/kurator-scheduler)")
	flag.IntVar(&o.qps, "kube-api-qps", 1000, "--kube-api-qps and twice it as --kube-api-burst of both schedulers; 0 keeps Karmada's defaults (40/60), at which the client rate limit, not the scheduler, sets the pace")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "longest run of one scheduler")
	flag.DurationVar(&o.settle, "settle", 3*time.Second, "pause between a scheduler's readiness and the first binding")
	flag.DurationVar(&o.idle, "idle", 0, "also measure each scheduler's CPU over this long with nothing to schedule (background work: informers, telemetry refresh)")
	flag.StringVar(&o.pprofDir, "pprof-dir", "", "write a CPU profile of each scheduler run here (enables --enable-pprof)")
	flag.DurationVar(&o.pprofFor, "pprof-seconds", 10*time.Second, "length of each CPU profile, from the first binding")
	flag.StringVar(&o.logDir, "log-dir", "", "where the schedulers' logs and the profile copy go (default a new temporary directory)")
	flag.BoolVar(&o.keep, "keep", false, "keep the clusters and templates afterwards (a rerun reuses them)")
	flag.StringVar(&o.namespace, "namespace", "kurator-bench", "namespace of the templates and bindings")
	flag.StringVar(&o.mode, "mode", "concurrent", "concurrent: both schedulers work at the same time, each on its own copy of the bindings; alternating: one after the other, the order alternating between runs")
	flag.Parse()
	o.burst = 2 * o.qps

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, &o); err != nil {
		fmt.Fprintln(os.Stderr, "throughput:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o *options) error {
	layout := localup.Layout{Output: o.output}
	scenario, ports, err := localup.Discover(o.output)
	if err != nil {
		return err
	}
	if o.karmadaScheduler == "" {
		o.karmadaScheduler = layout.Tool("karmada-scheduler")
	}
	if o.kuratorScheduler == "" {
		o.kuratorScheduler = layout.Tool("kurator-scheduler")
	}
	if o.mode != "concurrent" && o.mode != "alternating" {
		return fmt.Errorf("--mode=%s: must be concurrent or alternating", o.mode)
	}
	rs := policyv1alpha1.ReplicaSchedulingType(o.replicaScheduling)
	if rs != policyv1alpha1.ReplicaSchedulingTypeDuplicated && rs != policyv1alpha1.ReplicaSchedulingTypeDivided {
		return fmt.Errorf("--replica-scheduling=%s: must be Duplicated or Divided", o.replicaScheduling)
	}
	if o.logDir == "" {
		if o.logDir, err = os.MkdirTemp("", "kurator-throughput-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(o.logDir, 0o755); err != nil {
		return err
	}
	if o.pprofDir != "" {
		if err := os.MkdirAll(o.pprofDir, 0o755); err != nil {
			return err
		}
	}
	profilePath, err := writeProfile(o.profile, filepath.Join(o.logDir, "profile.yaml"))
	if err != nil {
		return err
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", layout.KarmadaKubeconfig())
	if err != nil {
		return fmt.Errorf("reading the environment's kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 500, 1000
	kc, err := karmadaclientset.NewForConfig(cfg)
	if err != nil {
		return err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}

	for _, s := range []struct {
		name string
		port int
	}{{"karmada-scheduler", ports.KarmadaSchedulerHealth}, {"kurator-scheduler", ports.KuratorSchedulerHealth}} {
		if healthy("http://" + localup.Addr(s.port) + "/healthz") {
			fmt.Printf("note: the environment's %s is running; it ignores the bench's bindings but receives their events (`kurator-up --output %s stop %s` removes that noise)\n", s.name, o.output, s.name)
		}
	}

	f := newFleet(o.clusters, o.anchors, o.bindings, o.namespace, o.seed)
	tel, err := startTelemetry(f)
	if err != nil {
		return err
	}
	defer tel.stop()

	reg := &clusterRegistry{kc: kc, kube: kube, f: f}
	fmt.Printf("registering %d Pull clusters beside the environment's %d members ...\n", o.clusters, len(scenario.Members))
	if err := reg.register(ctx); err != nil {
		return err
	}
	keepCtx, stopKeep := context.WithCancel(ctx)
	defer stopKeep()
	go reg.keepAlive(keepCtx)
	if err := reg.waitSchedulable(ctx, 3*time.Minute); err != nil {
		return err
	}
	w := &workloads{kc: kc, kube: kube, f: f, replicaScheduling: rs}
	fmt.Printf("creating %d resource templates (one copy per scheduler) in %s ...\n", 2*o.bindings, o.namespace)
	if err := w.createTemplates(ctx, []string{"stock", "kurator"}); err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := w.cleanup(cctx, time.Minute); err != nil {
			fmt.Println("cleanup:", err)
		}
		if o.keep {
			return
		}
		stopKeep()
		if err := kube.CoreV1().Namespaces().Delete(cctx, o.namespace, metav1DeleteOptions()); err != nil {
			fmt.Println("cleanup:", err)
		}
		if err := reg.unregister(cctx, 2*time.Minute); err != nil {
			fmt.Println("cleanup:", err)
		}
	}()
	// Leftovers of an interrupted run.
	if err := w.cleanup(ctx, time.Minute); err != nil {
		return err
	}

	common := []string{
		"--kubeconfig=" + layout.KarmadaKubeconfig(),
		"--leader-elect=false",
		"--feature-gates=" + localup.KarmadaFeatureGates,
	}
	if o.qps > 0 {
		common = append(common, "--kube-api-qps="+strconv.Itoa(o.qps), "--kube-api-burst="+strconv.Itoa(o.burst))
	}
	specs := map[string]schedulerSpec{
		"stock": {label: "stock", schedulerName: stockName, binary: o.karmadaScheduler, args: []string{"--scheduler-name=" + stockName}},
		"kurator": {label: "kurator", schedulerName: kuratorName, binary: o.kuratorScheduler,
			args: []string{"--config=" + profilePath, "--telemetry-url=" + tel.URL()}},
	}
	fmt.Printf("logs and profile copy in %s; load average %s\n\n", o.logDir, loadavg())

	results := map[string][]measurement{}
	for r := 1; r <= o.runs; r++ {
		order := []string{"stock", "kurator"}
		if r%2 == 0 {
			slices.Reverse(order)
		}
		rounds := [][]string{order}
		if o.mode == "alternating" {
			rounds = [][]string{order[:1], order[1:]}
		}
		for _, labels := range rounds {
			var round []schedulerSpec
			for _, label := range labels {
				round = append(round, specs[label])
			}
			ms, err := runRound(ctx, o, w, tel, round, common, r)
			if err != nil {
				return fmt.Errorf("run %d: %w", r, err)
			}
			for _, m := range ms {
				results[m.label] = append(results[m.label], m)
				fmt.Printf("run %d %-7s %6.1f bindings/s  %6.1f bindings/CPU-s  (%.1fs, %d failed%s)  load %s\n", r, m.label, m.rate(), m.cpuRate(), m.elapsed.Seconds(), m.failed, ifReason(m.reason), loadavg())
			}
		}
	}
	printResults(o, results)
	return nil
}

// runRound starts the given schedulers, measures them scheduling their bindings at the same
// time (or one alone) and stops them.
func runRound(ctx context.Context, o *options, w *workloads, tel *telemetryServer, specs []schedulerSpec, common []string, r int) ([]measurement, error) {
	started := time.Now()
	var procs []*schedulerProc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	for _, s := range specs {
		p, err := startScheduler(ctx, s, common, o.logDir, o.pprofDir != "")
		if err != nil {
			return nil, err
		}
		procs = append(procs, p)
		if s.label == "kurator" {
			// The plugins judge the clusters from the first telemetry refresh on.
			deadline := time.Now().Add(30 * time.Second)
			for !tel.servedAllSince(started) && time.Now().Before(deadline) {
				time.Sleep(200 * time.Millisecond)
			}
			if !tel.servedAllSince(started) {
				return nil, fmt.Errorf("kurator-scheduler did not query the telemetry server within 30s; see %s", p.log.Name())
			}
		}
	}
	time.Sleep(o.settle)
	idle := make([]time.Duration, len(procs))
	if o.idle > 0 {
		cpu0 := make([]time.Duration, len(procs))
		for k, p := range procs {
			cpu0[k], _ = p.cpu()
		}
		time.Sleep(o.idle)
		for k, p := range procs {
			if cpu1, err := p.cpu(); err == nil {
				idle[k] = cpu1 - cpu0[k]
			}
		}
	}
	profilePaths := make([]string, len(procs))
	if o.pprofDir != "" {
		for k, s := range specs {
			profilePaths[k] = filepath.Join(o.pprofDir, fmt.Sprintf("%s-run%d.pprof", s.label, r))
		}
	}
	ms, err := w.run(ctx, procs, specs, o.timeout, profilePaths, o.pprofFor)
	for k := range ms {
		if o.idle > 0 {
			ms[k].idleCPU = float64(idle[k].Milliseconds()) / o.idle.Seconds()
		}
	}
	if err != nil {
		return ms, err
	}
	for k, m := range ms {
		if m.reason != "" {
			return ms, fmt.Errorf("%s: %s; see %s", m.label, m.reason, procs[k].log.Name())
		}
	}
	for _, p := range procs {
		p.stop()
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return ms, w.cleanup(cctx, time.Minute)
}

func printResults(o *options, results map[string][]measurement) {
	how := "both schedulers at the same time, each on its own copy of the bindings"
	if o.mode == "alternating" {
		how = "one scheduler after the other, the order alternating"
	}
	fmt.Printf("\n%d bindings over %d Pull clusters (spread by cluster, maxGroups 1, %s), kube-api-qps %s, %d runs: %s\n\n",
		o.bindings, o.clusters, o.replicaScheduling, qpsText(o.qps), o.runs, how)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "run\tscheduler\tcreated in (s)\telapsed (s)\tbindings/s\tCPU (s)\tbindings/CPU-s\tattempts\talgorithm (ms/attempt)\te2e (ms/attempt)\tp50 (ms)\tp99 (ms)\tRSS (MiB)\ttemplate GETs\t\n")
	for r := 0; r < o.runs; r++ {
		for _, label := range []string{"stock", "kurator"} {
			m := results[label][r]
			fmt.Fprintf(tw, "%d\t%s\t%.1f\t%.1f\t%.1f\t%.2f\t%.0f\t%.0f\t%.2f\t%.1f\t%d\t%d\t%d\t%.0f\t\n", r+1, label, m.created.Seconds(), m.elapsed.Seconds(),
				m.rate(), m.cpu.Seconds(), m.cpuRate(), m.attempts, float64(m.algorithm.Microseconds())/1000, float64(m.e2e.Microseconds())/1000, m.p50.Milliseconds(), m.p99.Milliseconds(), m.rss>>20, m.directGets)
		}
	}
	_ = tw.Flush()
	med := func(label string, f func(*measurement) float64) float64 {
		var v []float64
		for i := range results[label] {
			v = append(v, f(&results[label][i]))
		}
		return median(v)
	}
	ratios := func(f func(*measurement) float64) []float64 {
		var v []float64
		for i := range results["stock"] {
			v = append(v, f(&results["kurator"][i])/f(&results["stock"][i]))
		}
		return v
	}
	rate := func(m *measurement) float64 { return m.rate() }
	cpuRate := func(m *measurement) float64 { return m.cpuRate() }
	algo := func(m *measurement) float64 { return float64(m.algorithm.Microseconds()) / 1000 }
	fmt.Println()
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "median\tstock\tkurator\tkurator/stock\tper-run ratios\t\n")
	fmt.Fprintf(tw, "bindings/s (wall)\t%.1f\t%.1f\t%.3f×\t%s\t\n", med("stock", rate), med("kurator", rate), med("kurator", rate)/med("stock", rate), fmtRatios(ratios(rate)))
	fmt.Fprintf(tw, "bindings/CPU-s (scheduler process)\t%.0f\t%.0f\t%.3f×\t%s\t\n", med("stock", cpuRate), med("kurator", cpuRate), med("kurator", cpuRate)/med("stock", cpuRate), fmtRatios(ratios(cpuRate)))
	fmt.Fprintf(tw, "algorithm ms/attempt\t%.2f\t%.2f\t\t\t\n", med("stock", algo), med("kurator", algo))
	e2e := func(m *measurement) float64 { return float64(m.e2e.Microseconds()) / 1000 }
	fmt.Fprintf(tw, "e2e ms/attempt (algorithm + API writes)\t%.1f\t%.1f\t\t\t\n", med("stock", e2e), med("kurator", e2e))
	if o.idle > 0 {
		idle := func(m *measurement) float64 { return m.idleCPU }
		fmt.Fprintf(tw, "idle CPU (ms/s)\t%.1f\t%.1f\t\t\t\n", med("stock", idle), med("kurator", idle))
	}
	_ = tw.Flush()
	fmt.Printf("\nmedian of per-run wall ratios: %.3f× (target ≥ 0.95×)\n", median(ratios(rate)))
}

func fmtRatios(v []float64) string {
	var s []string
	for _, x := range v {
		s = append(s, fmt.Sprintf("%.3f", x))
	}
	return strings.Join(s, " ")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func qpsText(qps int) string {
	if qps == 0 {
		return "Karmada's default (40, burst 60)"
	}
	return fmt.Sprintf("%d (burst %d)", qps, 2*qps)
}

func ifReason(r string) string {
	if r == "" {
		return ""
	}
	return ", " + r
}

// writeProfile copies the kurator-scheduler profile with the bench's scheduler name.
func writeProfile(src, dst string) (string, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("reading the profile (--profile): %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("profile %s: %w", src, err)
	}
	profiles, _ := doc["profiles"].([]any)
	if len(profiles) == 0 {
		profiles = []any{map[string]any{}}
	}
	first, ok := profiles[0].(map[string]any)
	if !ok {
		return "", fmt.Errorf("profile %s: profiles[0] is not an object", src)
	}
	first["schedulerName"] = kuratorName
	profiles[0] = first
	doc["profiles"] = profiles
	out, err := yaml.Marshal(doc)
	if err != nil {
		return "", err
	}
	return dst, os.WriteFile(dst, out, 0o600)
}

func healthy(url string) bool {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
