package localup

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Down stops every process the environment recorded and removes its data (etcd and
// Prometheus); certificates, binaries and logs stay.
func Down(opts Options) error {
	sup, err := NewSupervisor(opts.Layout.StateFile(), opts.Layout.Logs())
	if err != nil {
		return err
	}
	recs := sup.Records()
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		state := "stopped"
		if !Alive(r) {
			state = "was not running"
		}
		if err := sup.Stop(r.Name); err != nil {
			return err
		}
		fmt.Fprintf(opts.Out, "kurator-up: %-34s %s\n", r.Name, state)
	}
	if err := os.RemoveAll(opts.Layout.Data()); err != nil {
		return fmt.Errorf("removing %s: %w", opts.Layout.Data(), err)
	}
	for _, f := range []string{opts.Layout.StateFile(), opts.Layout.ActiveScenario()} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	fmt.Fprintf(opts.Out, "kurator-up: down (%d processes); data removed, logs kept in %s\n", len(recs), opts.Layout.Logs())
	return nil
}

// Stop stops (or with kill, SIGKILLs as a crash would) named processes; `up` starts them again.
func Stop(opts Options, names []string, kill bool) error {
	sup, err := NewSupervisor(opts.Layout.StateFile(), opts.Layout.Logs())
	if err != nil {
		return err
	}
	known := sets.New[string]()
	for _, r := range sup.Records() {
		known.Insert(r.Name)
	}
	for _, n := range names {
		if !known.Has(n) {
			return fmt.Errorf("no process %q in this environment; `kurator-up status` lists them", n)
		}
		if kill {
			err = sup.Kill(n)
		} else {
			err = sup.Stop(n)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(opts.Out, "kurator-up: %s stopped; `kurator-up up` starts it again\n", n)
	}
	return nil
}

// CheckRunning returns nil when an environment is recorded and all its processes run.
func CheckRunning(opts Options) error {
	sup, err := NewSupervisor(opts.Layout.StateFile(), opts.Layout.Logs())
	if err != nil {
		return err
	}
	recs := sup.Records()
	if len(recs) == 0 {
		return fmt.Errorf("no environment under %s", opts.Layout.Output)
	}
	for _, r := range recs {
		if !Alive(r) {
			return fmt.Errorf("%s is not running", r.Name)
		}
	}
	return nil
}

// Status prints the processes of the environment, their memory and the Karmada clusters.
func Status(ctx context.Context, opts Options) error {
	sup, err := NewSupervisor(opts.Layout.StateFile(), opts.Layout.Logs())
	if err != nil {
		return err
	}
	recs := sup.Records()
	if len(recs) == 0 {
		fmt.Fprintln(opts.Out, "kurator-up: no environment is running (start one with `kurator-up up` or `make local-up`)")
		return nil
	}
	w := tabwriter.NewWriter(opts.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PROCESS\tPID\tSTATE\tRSS\tPSS\tPORTS")
	var total, totalPSS int64
	down := 0
	for _, r := range recs {
		state, rss, pss := "running", "-", "-"
		if Alive(r) {
			if r, p, err := ProcessMemory(r.PID); err == nil {
				total += r
				totalPSS += p
				rss, pss = fmt.Sprintf("%dMi", r>>20), fmt.Sprintf("%dMi", p>>20)
			}
		} else {
			state = "exited"
			down++
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", r.Name, r.PID, state, rss, pss, strings.Trim(fmt.Sprint(r.Ports), "[]"))
	}
	fmt.Fprintf(w, "TOTAL\t\t%d/%d running\t%dMi\t%dMi\t\n", len(recs)-down, len(recs), total>>20, totalPSS>>20)
	if err := w.Flush(); err != nil {
		return err
	}
	env, err := Attach(opts)
	if err != nil {
		return nil
	}
	c, err := NewClients(opts.Layout.KarmadaKubeconfig())
	if err != nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	clusters, err := c.Karmada.ClusterV1alpha1().Clusters().List(cctx, metav1.ListOptions{})
	if err != nil {
		fmt.Fprintf(opts.Out, "\nKarmada apiserver: %v\n", err)
		return nil
	}
	fmt.Fprintf(opts.Out, "\nscenario %q; Thanos Query %s; kubeconfig %s\n", env.Scenario.Name, env.ThanosQueryURL(), opts.Layout.KarmadaKubeconfig())
	w = tabwriter.NewWriter(opts.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CLUSTER\tREADY\tNODES\tCPU(alloc/total)\tMEMORY(total)")
	for _, cl := range clusters.Items {
		fmt.Fprintln(w, clusterLine(&cl))
	}
	return w.Flush()
}

func clusterLine(cl *clusterv1alpha1.Cluster) string {
	ready := "Unknown"
	if cond := meta.FindStatusCondition(cl.Status.Conditions, clusterv1alpha1.ClusterConditionReady); cond != nil {
		ready = string(cond.Status)
	}
	nodes, cpu, mem := "-", "-", "-"
	if ns := cl.Status.NodeSummary; ns != nil {
		nodes = fmt.Sprintf("%d/%d", ns.ReadyNum, ns.TotalNum)
	}
	if rs := cl.Status.ResourceSummary; rs != nil {
		a, t := rs.Allocated.Cpu(), rs.Allocatable.Cpu()
		cpu = a.String() + "/" + t.String()
		mem = rs.Allocatable.Memory().String()
	}
	return strings.Join([]string{cl.Name, ready, nodes, cpu, mem}, "\t")
}

// ApplyScenario changes a running environment to a new scenario: the exporter serves the new
// utilization and mesh at once, member nodes are created or resized and queues applied.
// The member set itself cannot change while running.
func ApplyScenario(ctx context.Context, opts Options, path string) error {
	env, err := Attach(opts)
	if err != nil {
		return err
	}
	next, err := LoadScenario(path)
	if err != nil {
		return err
	}
	if a, b := strings.Join(env.Scenario.MemberNames(), ","), strings.Join(next.MemberNames(), ","); a != b {
		return fmt.Errorf("scenario file %s: members [%s] differ from the running [%s]: members cannot change while running; run `kurator-up down` then `kurator-up up --scenario %s`",
			path, b, a, path)
	}
	// Ports cannot move while running: the running environment's base port stays.
	next.BasePort = env.Scenario.BasePort
	env.Scenario = next
	if err := env.writeActiveScenario(); err != nil {
		return err
	}
	for i := range next.Members {
		m := &next.Members[i]
		c, err := NewClients(opts.Layout.MemberKubeconfig(m.Name))
		if err != nil {
			return err
		}
		if err := ensureNodes(ctx, c, m); err != nil {
			return err
		}
		if err := env.applyQueues(ctx, m); err != nil {
			return err
		}
	}
	want, err := FileHash(opts.Layout.ActiveScenario())
	if err != nil {
		return err
	}
	var last string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 15*time.Second, true, func(ctx context.Context) (bool, error) {
		last, err = exporterScenarioHash(ctx, "http://"+Addr(env.Ports.Exporter)+"/scenario")
		return err == nil && last == want, nil
	})
	if err != nil {
		return fmt.Errorf("the exporter did not pick up %s (it serves %q, want %q): see %s/exporter.log", path, last, want, opts.Layout.Logs())
	}
	fmt.Fprintf(opts.Out, "kurator-up: scenario %q applied (exporter serves %s)\n", next.Name, want)
	return nil
}

func exporterScenarioHash(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		Hash  string `json:"hash"`
		Error string `json:"error"`
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return "", err
	}
	if body.Error != "" {
		return body.Hash, fmt.Errorf("%s", body.Error)
	}
	return body.Hash, nil
}
