package localup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"
	"sigs.k8s.io/yaml"
)

// Options configure kurator-up.
type Options struct {
	Layout Layout
	// ScenarioPath is the scenario file `up` starts from.
	ScenarioPath string
	// SchedulerProfile is the kurator-scheduler profile (KubeSchedulerConfiguration) to run.
	SchedulerProfile string
	// BasePort, when set, overrides the scenario's basePort (to run beside another environment).
	BasePort int
	// Self is the kurator-up binary (for the exporter process).
	Self string
	// Out receives progress lines.
	Out io.Writer
}

// requiredTools are the binaries `up` runs from the bin directory.
var requiredTools = []string{
	"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok",
	"karmada-aggregated-apiserver", "karmada-webhook", "karmada-controller-manager", "karmada-scheduler",
	"vc-controller-manager", "vc-scheduler", "prometheus", "thanos",
	"kurator-apiserver", "kurator-scheduler", "kurator-estimator", "kurator-controller-manager",
}

// requiredAssets are the manifests staged from the pinned modules.
var requiredAssets = []string{"karmada-crds", "karmada-webhook-configuration.yaml", "volcano-crds", "volcano-jobflow-crds", "volcano-job-crd"}

type progress struct {
	out   io.Writer
	total int
	n     int
	start time.Time
}

func (p *progress) step(ctx context.Context, what string, fn func(context.Context) error) error {
	p.n++
	fmt.Fprintf(p.out, "kurator-up: [%2d/%d] %s ...\n", p.n, p.total, what)
	t := time.Now()
	if err := fn(ctx); err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			err = cause
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	fmt.Fprintf(p.out, "kurator-up: [%2d/%d] %s: done in %.1fs\n", p.n, p.total, what, time.Since(t).Seconds())
	return nil
}

// Prepare loads the scenario and the PKI of an environment without starting anything.
func Prepare(opts Options, scenarioPath string) (*Env, error) {
	s, err := LoadScenario(scenarioPath)
	if err != nil {
		return nil, err
	}
	sup, err := NewSupervisor(opts.Layout.StateFile(), opts.Layout.Logs())
	if err != nil {
		return nil, err
	}
	pki, err := EnsurePKI(opts.Layout.PKI(), s.MemberNames())
	if err != nil {
		return nil, fmt.Errorf("generating certificates: %w", err)
	}
	return &Env{Layout: opts.Layout, Scenario: s, Ports: PlanPorts(s), PKI: pki, Sup: sup, Self: opts.Self}, nil
}

// Attach returns the running environment described by the active scenario copy.
func Attach(opts Options) (*Env, error) {
	if _, err := os.Stat(opts.Layout.ActiveScenario()); err != nil {
		return nil, fmt.Errorf("no environment under %s: run `kurator-up up` (or `make local-up`) first", opts.Layout.Output)
	}
	return Prepare(opts, opts.Layout.ActiveScenario())
}

// Up brings the environment up, starting whatever is not already running. On failure or
// interruption it stops what it started and returns the reason.
func Up(ctx context.Context, opts Options) (err error) {
	if err := checkPrerequisites(opts.Layout); err != nil {
		return err
	}
	for _, dir := range []string{opts.Layout.Root(), opts.Layout.Logs(), opts.Layout.Data(), filepath.Dir(opts.Layout.MemberKubeconfig("x"))} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	env, err := Prepare(opts, opts.ScenarioPath)
	if err != nil {
		return err
	}
	env.Sup.OnRestart = func(name, why string) {
		fmt.Fprintf(opts.Out, "kurator-up:         restarting %s: %s\n", name, why)
	}
	if opts.BasePort != 0 {
		env.Scenario.BasePort = opts.BasePort
		if errs := env.Scenario.Validate(); len(errs) > 0 {
			return fmt.Errorf("--base-port: %w", errs.ToAggregate())
		}
		env.Ports = PlanPorts(env.Scenario)
	}
	if running := env.Sup.Scenario(); running != "" && len(env.Sup.Records()) > 0 {
		if running != env.Scenario.Name {
			return fmt.Errorf("an environment of scenario %q is running under %s: run `kurator-up down` before starting scenario %q", running, opts.Layout.Output, env.Scenario.Name)
		}
		if active, err := LoadScenario(opts.Layout.ActiveScenario()); err == nil && active.BasePort != env.Scenario.BasePort {
			return fmt.Errorf("the environment under %s runs on base port %d, not %d: run `kurator-up down` first, or `up` with --base-port %d", opts.Layout.Output, active.BasePort, env.Scenario.BasePort, active.BasePort)
		}
	}
	if err := env.writeActiveScenario(); err != nil {
		return err
	}
	if err := env.Sup.SetScenario(env.Scenario.Name); err != nil {
		return err
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopWatch := env.watchExits(ctx, cancel)
	defer stopWatch()
	defer func() {
		if err != nil {
			fmt.Fprintf(opts.Out, "kurator-up: stopping what this run started (logs stay in %s)\n", opts.Layout.Logs())
			if serr := env.Sup.StopStartedNow(); serr != nil {
				fmt.Fprintf(opts.Out, "kurator-up: %v\n", serr)
			}
		}
	}()

	start := time.Now()
	p := &progress{out: opts.Out, total: 0, start: start}
	steps := []struct {
		what string
		fn   func(context.Context) error
	}{
		{"writing certificates, kubeconfigs and configuration", func(ctx context.Context) error {
			if err := env.writeFiles(ctx); err != nil {
				return err
			}
			return env.writeSchedulerProfile(opts.SchedulerProfile)
		}},
		{"starting etcd", func(ctx context.Context) error { return env.run(ctx, env.etcd()) }},
		{"starting the Karmada apiserver and " + fmt.Sprint(len(env.Scenario.Members)) + " member apiservers", env.startAPIServers},
		{"installing Karmada CRDs, member nodes and Volcano CRDs", env.prepareAll},
		{"starting Karmada's aggregated apiserver and webhook, member controllers, Volcano and telemetry", env.startSecondWave},
		{"registering Karmada's aggregated API and webhooks", env.registerKarmada},
		{"starting the Karmada controllers and schedulers (karmada-scheduler, kurator-scheduler) with the members' kurator-estimators", env.startKarmadaControllers},
		{"starting kurator-apiserver and registering the kurator.dev API groups", env.startKurator},
		{"starting kurator-controller-manager (the fleet queue) and registering its webhook", env.startFleetQueue},
		{"joining members in Push mode, waiting until they are Ready, creating the Fleet", env.joinAndWait},
		{"waiting for Thanos Query to serve every member's metrics", env.waitTelemetry},
	}
	p.total = len(steps)
	for _, s := range steps {
		if err := p.step(ctx, s.what, s.fn); err != nil {
			return err
		}
	}
	fmt.Fprintf(opts.Out, "kurator-up: environment %q is up in %.1fs\n", env.Scenario.Name, time.Since(start).Seconds())
	env.printUsage(opts.Out)
	return nil
}

func checkPrerequisites(l Layout) error {
	var missing []string
	for _, t := range requiredTools {
		if _, err := os.Stat(l.Tool(t)); err != nil {
			missing = append(missing, t)
		}
	}
	for _, a := range requiredAssets {
		if _, err := os.Stat(filepath.Join(l.Assets(), a)); err != nil {
			missing = append(missing, filepath.Join("assets", a))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing from %s: %v: run `make tools build` (or `make local-up`, which builds them) first", l.Output, missing)
	}
	return nil
}

// watchExits cancels ctx, naming the process, when a process this run started exits.
func (e *Env) watchExits(ctx context.Context, cancel context.CancelCauseFunc) func() {
	stop := make(chan struct{})
	go func() {
		seen := map[string]bool{}
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for _, r := range e.Sup.Records() {
				ch := e.Sup.Exited(r.Name)
				if ch == nil || seen[r.Name] {
					continue
				}
				select {
				case <-ch:
					seen[r.Name] = true
					cancel(fmt.Errorf("%s exited; last lines of %s:\n%s", r.Name, r.Log, Tail(r.Log, 25)))
				default:
				}
			}
		}
	}()
	return func() { close(stop) }
}

// run starts a process (unless it runs already) and waits until it is ready.
func (e *Env) run(ctx context.Context, p *Process) error {
	if _, err := e.Sup.Start(p); err != nil {
		return err
	}
	return e.Sup.WaitReady(ctx, p)
}

// runAll starts processes and waits for all of them in parallel.
func (e *Env) runAll(ctx context.Context, ps []*Process) error {
	for _, p := range ps {
		if _, err := e.Sup.Start(p); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, p := range ps {
		g.Go(func() error { return e.Sup.WaitReady(gctx, p) })
	}
	return g.Wait()
}

func (e *Env) writeFiles(context.Context) error {
	if err := WriteKubeconfig(e.Layout.KarmadaKubeconfig(), "karmada-apiserver", e.Ports.KarmadaAPIServer, e.PKI); err != nil {
		return err
	}
	for _, m := range e.Scenario.Members {
		if err := WriteKubeconfig(e.Layout.MemberKubeconfig(m.Name), m.Name, e.Ports.Members[m.Name].APIServer, e.PKI); err != nil {
			return err
		}
	}
	return e.writeConfigs()
}

func (e *Env) startAPIServers(ctx context.Context) error {
	ps := []*Process{e.karmadaAPIServer()}
	for i := range e.Scenario.Members {
		ps = append(ps, e.memberAPIServer(&e.Scenario.Members[i]))
	}
	return e.runAll(ctx, ps)
}

func (e *Env) prepareAll(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return e.prepareKarmada(gctx) })
	for i := range e.Scenario.Members {
		m := &e.Scenario.Members[i]
		g.Go(func() error { return e.prepareMember(gctx, m) })
	}
	return g.Wait()
}

func (e *Env) startSecondWave(ctx context.Context) error {
	ps := []*Process{e.karmadaAggregatedAPIServer(), e.karmadaWebhook(), e.exporter()}
	for i := range e.Scenario.Members {
		m := &e.Scenario.Members[i]
		ps = append(ps, e.memberControlPlane(m)...)
		ps = append(ps, e.prometheus(m)...)
	}
	ps = append(ps, e.thanosQuery())
	if err := e.runAll(ctx, ps); err != nil {
		return err
	}
	for i := range e.Scenario.Members {
		if err := e.applyQueues(ctx, &e.Scenario.Members[i]); err != nil {
			return err
		}
	}
	return nil
}

func (e *Env) startKarmadaControllers(ctx context.Context) error {
	if err := e.registerEstimators(ctx); err != nil {
		return err
	}
	ps := []*Process{e.karmadaKubeControllerManager(), e.karmadaControllerManager(), e.karmadaScheduler(), e.kuratorScheduler()}
	for i := range e.Scenario.Members {
		ps = append(ps, e.estimator(&e.Scenario.Members[i]))
	}
	return e.runAll(ctx, ps)
}

func (e *Env) joinAndWait(ctx context.Context) error {
	if err := e.joinMembers(ctx); err != nil {
		return err
	}
	c, err := NewClients(e.Layout.KarmadaKubeconfig())
	if err != nil {
		return err
	}
	if err := WaitClustersReady(ctx, c, e.Scenario.MemberNames(), 2*time.Minute); err != nil {
		return err
	}
	return e.applyFleet(ctx)
}

func (e *Env) printUsage(out io.Writer) {
	fmt.Fprintf(out, `
  Karmada:       kubectl --kubeconfig %s get clusters
  members:       kubectl --kubeconfig %s get nodes   (one kubeconfig per member)
  Thanos Query:  %s   (PromQL: /api/v1/query?query=...)
  logs:          %s/<component>.log
  status/stop:   kurator-up status | kurator-up down   (make local-down)
`, e.Layout.KarmadaKubeconfig(), e.Layout.MemberKubeconfig(e.Scenario.Members[0].Name), e.ThanosQueryURL(), e.Layout.Logs())
}

// writeActiveScenario writes the effective scenario (defaults and overrides applied) that the
// running environment, its exporter and later kurator-up commands read.
func (e *Env) writeActiveScenario() error {
	data, err := yaml.Marshal(e.Scenario)
	if err != nil {
		return fmt.Errorf("encoding the scenario: %w", err)
	}
	return writeFileAtomic(e.Layout.ActiveScenario(), data)
}

func writeFileAtomic(dst string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return os.Rename(tmp, dst)
}

// Discover returns the scenario and port plan of the environment running under an output
// directory, for tests and tools that talk to it.
func Discover(output string) (*Scenario, Ports, error) {
	l := Layout{Output: output}
	s, err := LoadScenario(l.ActiveScenario())
	if err != nil {
		return nil, Ports{}, fmt.Errorf("no running environment under %s (start one with `make local-up`): %w", output, err)
	}
	return s, PlanPorts(s), nil
}
