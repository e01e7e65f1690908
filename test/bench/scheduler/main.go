// Command scheduler is a placement-quality simulation of kurator-scheduler against stock
// Karmada, both running Karmada's own scheduling algorithm (core.NewGenericScheduler: filter,
// score, spread-constraint selection, replica assignment) on the same simulated fleet and
// the same workloads:
//
//   - stock Karmada: Karmada's in-tree plugins only. They score every feasible cluster alike
//     for a new workload, so the tie order decides: most available replicas (from the
//     clusters' resource summary), then name.
//   - kurator: the in-tree plugins plus ClusterUtilization, NetworkLatency and MeshTopology,
//     configured by a scheduler profile (artifacts/scheduler/default.yaml by default), fed
//     with the telemetry Thanos would serve.
//
// The fleet has clusters in several regions and zones, one Istio network per region plus
// edge sites on their own, a true p99 latency matrix (telemetry observes only the pairs the
// mesh carries traffic between), utilization that differs from requests, and anchor services.
// Each workload talks to one to three running services (declared in its
// latency.kurator.dev/peers annotation, with request rates), some with an SLO, and is
// placed on one cluster (spreadByField cluster, maxGroups 1). After each placement the
// fleet, the service graph and the telemetry are updated.
//
// Usage:
//
//	go run ./test/bench/scheduler [-clusters 24] [-workloads 150] [-seed 1] [-seeds 10] [-profile file] [-v]
//
// Scheduling throughput of the same algorithm in process: go test -bench . ./test/bench/scheduler
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"text/tabwriter"

	"k8s.io/klog/v2"

	"kurator.dev/kurator/pkg/scheduler"
)

func main() {
	clusters := flag.Int("clusters", 24, "clusters in the fleet (at least 20 for the benchmark)")
	anchors := flag.Int("anchors", 40, "services running before the workloads arrive")
	workloads := flag.Int("workloads", 150, "workloads to place")
	seed := flag.Uint64("seed", 1, "random seed")
	target := flag.Float64("target", 0.60, "the utilization target (the profile's cpu targetPercent)")
	profilePath := flag.String("profile", "artifacts/scheduler/default.yaml", "kurator's scheduler profile")
	seeds := flag.Int("seeds", 1, "also run this many further seeds and summarize them")
	flag.BoolVar(&debug, "v", false, "print why workloads were unschedulable")
	flag.Parse()
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)

	stock, kurator, cov, err := compare(context.Background(), *clusters, *anchors, *workloads, *seed, *target, *profilePath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("fleet: %d clusters in %d regions, %d anchor services, %d workloads, seed %d; telemetry observes %.0f%% of cluster pairs; target utilization %.0f%%\n\n",
		*clusters, min(*clusters, len(regions)), *anchors, *workloads, *seed, 100*cov, 100**target)
	printTable(os.Stdout, stock, kurator)
	if *seeds > 1 {
		fmt.Printf("\nseeds %d..%d:\n", *seed, *seed+uint64(*seeds)-1)
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "seed\tp99 stock\tp99 kurator\tchange\tabove target (stock/kurator)\tSLO misses (stock/kurator)\tunschedulable (kurator)\t\n")
		worst := 0.0
		for i := 0; i < *seeds; i++ {
			sd := *seed + uint64(i)
			a, b, _, err := compare(context.Background(), *clusters, *anchors, *workloads, sd, *target, *profilePath)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			ch := 100 * (b.p99 - a.p99) / a.p99
			worst = max(worst, ch)
			if i == 0 {
				worst = ch
			}
			fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%+.0f%%\t%d/%d\t%d/%d\t%d\t\n", sd, a.p99, b.p99, ch, a.overTarget, b.overTarget, a.sloMisses, b.sloMisses, b.unschedulable)
		}
		_ = tw.Flush()
		fmt.Printf("smallest p99 reduction over the seeds: %.0f%%\n", -worst)
	}
}

// compare runs both schedulers on the same fleet and workloads.
func compare(ctx context.Context, clusters, anchors, workloads int, seed uint64, target float64, profilePath string) (stock, kurator result, coverage float64, err error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) //nolint:gosec // a reproducible simulation, not a secret
	f := newFleet(clusters, anchors, rng)
	reqs := newRequests(f, workloads, rng)
	coverage = f.coverage()
	profile, err := scheduler.LoadProfile(profilePath, scheduler.DefaultCatalog())
	if err != nil {
		return stock, kurator, 0, err
	}
	for _, run := range []struct {
		name  string
		stock bool
		out   *result
	}{{"stock Karmada", true, &stock}, {"kurator", false, &kurator}} {
		sim, err := newSimulation(f.clone(), profile, run.stock, target)
		if err != nil {
			return stock, kurator, 0, err
		}
		*run.out = sim.run(ctx, run.name, reqs)
	}
	return stock, kurator, coverage, nil
}

func printTable(w io.Writer, a, b result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t%s\t%s\tchange\t\n", a.name, b.name)
	change := func(x, y float64) string {
		if x == 0 {
			return "-"
		}
		return fmt.Sprintf("%+.0f%%", 100*(y-x)/x)
	}
	fmt.Fprintf(tw, "traffic-weighted p99 to peers (ms)\t%.1f\t%.1f\t%s\t\n", a.p99, b.p99, change(a.p99, b.p99))
	fmt.Fprintf(tw, "traffic leaving the workload's cluster\t%.0f%%\t%.0f%%\t\t\n", 100*a.crossShare, 100*b.crossShare)
	fmt.Fprintf(tw, "workloads missing their SLO to a peer\t%d/%d\t%d/%d\t\t\n", a.sloMisses, a.withSLO, b.sloMisses, b.withSLO)
	fmt.Fprintf(tw, "placements above the target while others had room\t%d\t%d\t\t\n", a.overTarget, b.overTarget)
	fmt.Fprintf(tw, "clusters pushed above the target while others had room\t%d\t%d\t\t\n", a.overClusters, b.overClusters)
	fmt.Fprintf(tw, "clusters taken above the target, still above at the end\t%d\t%d\t\t\n", a.aboveAtEnd, b.aboveAtEnd)
	fmt.Fprintf(tw, "highest cluster utilization at the end\t%.0f%%\t%.0f%%\t\t\n", 100*a.maxUtil, 100*b.maxUtil)
	fmt.Fprintf(tw, "fleet-wide utilization before → after\t%.0f%% → %.0f%%\t%.0f%% → %.0f%%\t\t\n", 100*a.fleetUtil[0], 100*a.fleetUtil[1], 100*b.fleetUtil[0], 100*b.fleetUtil[1])
	fmt.Fprintf(tw, "unschedulable workloads\t%d\t%d\t\t\n", a.unschedulable, b.unschedulable)
	for _, r := range []result{a, b} {
		for why, n := range r.why {
			fmt.Fprintf(tw, "  %s: %s\t\t%d\t\t\n", r.name, why, n)
		}
	}
	_ = tw.Flush()
}
