// Command batch is the fleet queue's trace-driven simulation: it generates a
// deterministic trace of Volcano Jobs (priorities, runtime estimates, deadlines, gangs)
// over member clusters of varied sizes, and replays it under three dispatchers that all
// drive the real pkg/batch and pkg/estimator code for what the members' Volcano admits:
//
//   - kurator: pkg/batch.Schedule (queue priority, job priority, least slack; release only
//     when a member can start the gang now; reservations; deadline preemption);
//   - priority-FIFO with an allocatable gate (volcano-global's dispatcher): release in
//     priority then FIFO order as soon as the job fits some cluster's allocatable, let
//     Karmada place it by its resource summary, and let it wait Pending in that member;
//   - EDF without preemption: pkg/batch.Schedule ordered by earliest deadline, greedy
//     backfill, preemption off.
//
// The model: each member is a pkg/batch.Model (pkg/estimator's Store) fed with the Nodes,
// Queues, PodGroups and Pods Volcano would create; its Volcano starts pending jobs in
// priority then arrival order as soon as the estimator admits the gang in the job's queue
// and its pods can be bound (largest pods first, tightest node; GPU nodes are tainted for
// pods without GPUs). Volcano's own preempt/reclaim is off (its default). A released job
// reaches its member 15s later. Jobs take 70-100% of their runtime estimate, one in ten
// up to 15% more. Evicted jobs restart from scratch. The run stops when every job is done
// or 48h after the last submission; jobs still waiting then count as missed and their
// delay runs to the end.
//
// Usage:
//
//	go run ./test/bench/batch -seed 1 -jobs 600 -clusters 12 -load 0.9 -v
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	seed := flag.Int64("seed", 1, "trace seed")
	jobs := flag.Int("jobs", 600, "number of jobs")
	clusters := flag.Int("clusters", 12, "number of member clusters")
	load := flag.Float64("load", 0.9, "offered cpu load: the trace's cpu demand over the fleet's cpus during the arrival window")
	verbose := flag.Bool("v", false, "print per-queue deadline results")
	flag.BoolVar(&debug, "debug", false, "trace requeues and misses on stderr")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	only := flag.String("policy", "", "run only the policies whose name starts with this")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "creating the CPU profile: %v\n", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "starting the CPU profile: %v\n", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *jobs < 1 || *clusters < 1 || *load <= 0 {
		fmt.Fprintln(os.Stderr, "-jobs, -clusters and -load must be positive")
		os.Exit(2)
	}

	tr := generate(*seed, *clusters, *jobs, *load)
	fmt.Print(tr.describe())
	fmt.Println()
	var results []*result
	for _, pol := range policies() {
		if !strings.HasPrefix(pol.name, *only) {
			continue
		}
		start := time.Now()
		r := newSim(tr, pol).run()
		fmt.Fprintf(os.Stderr, "simulated %s in %s\n", pol.name, time.Since(start).Round(time.Millisecond))
		results = append(results, r)
	}
	printTable(os.Stdout, results, *verbose)
}

// debug traces requeues and misses.
var debug bool

func pct(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

func hours(d time.Duration) string { return fmt.Sprintf("%.2fh", d.Hours()) }

func printTable(out *os.File, rs []*result, verbose bool) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(name string, f func(r *result) string) {
		cells := []string{name}
		for _, r := range rs {
			cells = append(cells, f(r))
		}
		fmt.Fprintln(w, strings.Join(cells, "\t")+"\t")
	}
	row("", func(r *result) string { return r.policy })
	row("deadline met", func(r *result) string {
		return fmt.Sprintf("%d/%d (%s)", r.met, r.deadlineJobs, pct(r.met, r.deadlineJobs))
	})
	row("deadline misses", func(r *result) string { return fmt.Sprint(r.deadlineJobs - r.met) })
	row("  of which never finished", func(r *result) string { return fmt.Sprint(r.strandedDeadline) })
	if verbose {
		for _, q := range []string{"prod", "research", "batch"} {
			row("  met in "+q, func(r *result) string {
				return fmt.Sprintf("%d/%d (%s)", r.metByQueue[q], r.dlByQueue[q], pct(r.metByQueue[q], r.dlByQueue[q]))
			})
		}
	}
	row("mean completion delay*", func(r *result) string { return hours(mean(r.delays)) })
	row("p95 completion delay*", func(r *result) string { return hours(quantile(r.delays, 0.95)) })
	window := func(r *result) float64 { return r.lastSubmit.Sub(r.firstSubmit).Seconds() }
	row("cpu utilization (arrivals)", func(r *result) string {
		return fmt.Sprintf("%.1f%%", 100*r.cpuBusy/(float64(r.cpuTotal)*window(r)))
	})
	row("gpu utilization (arrivals)", func(r *result) string {
		return fmt.Sprintf("%.1f%%", 100*r.gpuBusy/(float64(r.gpuTotal)*window(r)))
	})
	row("makespan", func(r *result) string { return hours(r.makespan) })
	row("preemptions", func(r *result) string { return fmt.Sprint(r.preemptions) })
	row("lost work (cpu-h)", func(r *result) string { return fmt.Sprintf("%.0f", r.lostCPU/3600) })
	row(fmt.Sprintf("started within %s of release", rs[0].timeout), func(r *result) string {
		return fmt.Sprintf("%d/%d (%s)", r.admitted, r.dispatches, pct(r.admitted, r.dispatches))
	})
	row("mean wait Pending in member", func(r *result) string {
		if r.dispatches == 0 {
			return "-"
		}
		return (r.memberPending / time.Duration(r.dispatches)).Round(time.Second).String()
	})
	row("dispatch timeouts requeued", func(r *result) string { return fmt.Sprint(r.requeues) })
	row("max / mean queued (per event)", func(r *result) string {
		return fmt.Sprintf("%d / %.1f", r.maxQueued, float64(r.sumQueued)/float64(max(r.queuedSamples, 1)))
	})
	row("unfinished jobs", func(r *result) string { return fmt.Sprint(r.unfinished) })
	row("dispatch cycles", func(r *result) string { return fmt.Sprint(r.cycles) })
	row("mean cycle time", func(r *result) string {
		if r.cycles == 0 {
			return "-"
		}
		return (r.cycleWall / time.Duration(r.cycles)).Round(time.Microsecond).String()
	})
	row("admission checks / cycle", func(r *result) string {
		if r.cycles == 0 || r.checks == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f", float64(r.checks)/float64(r.cycles))
	})
	if err := w.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "writing the table: %v\n", err)
	}
	fmt.Fprintln(out, "\n* completion delay = finish - submit - runtime; jobs still unfinished at the end count until then.")
	if len(rs) >= 2 && rs[0].policy == "kurator" {
		k, f := rs[0], rs[1]
		km, fm := k.deadlineJobs-k.met, f.deadlineJobs-f.met
		ratio := "inf"
		if km > 0 {
			ratio = fmt.Sprintf("%.2f", float64(fm)/float64(km))
		}
		fmt.Fprintf(out, "%s misses %d deadlines, %s %d: %sx fewer misses (target >= 2x)\n", k.policy, km, f.policy, fm, ratio)
	}
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var s time.Duration
	for _, d := range ds {
		s += d
	}
	return s / time.Duration(len(ds))
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	c := append([]time.Duration(nil), ds...)
	sort.Slice(c, func(a, b int) bool { return c[a] < c[b] })
	return c[int(q*float64(len(c)-1))]
}
