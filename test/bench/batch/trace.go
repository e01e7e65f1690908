package main

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"time"

	"kurator.dev/kurator/pkg/estimator"
)

// epoch is the trace's time zero.
var epoch = time.Date(2030, 1, 6, 0, 0, 0, 0, time.UTC)

// nodeSpec is one node shape.
type nodeSpec struct {
	kind  string
	cpu   int64 // cores
	memGi int64
	gpu   int64
}

var (
	nodeCPU32 = nodeSpec{kind: "cpu32", cpu: 32, memGi: 128}
	nodeCPU64 = nodeSpec{kind: "cpu64", cpu: 64, memGi: 256}
	nodeGPU8  = nodeSpec{kind: "gpu8", cpu: 64, memGi: 512, gpu: 8}
)

// clusterSpec is one member cluster: its nodes and its Volcano configuration.
type clusterSpec struct {
	name   string
	nodes  []nodeSpec
	plugin estimator.QueuePlugin
	// batchCap caps the member's "batch" Volcano queue to this fraction of its cpus (0:
	// no cap).
	batchCap float64
}

func (c *clusterSpec) totals() (cpu, mem, gpu int64) {
	for _, n := range c.nodes {
		cpu += n.cpu
		mem += n.memGi
		gpu += n.gpu
	}
	return
}

// taskSpec is one task of a job: pods identical pods (replicas = minAvailable).
type taskSpec struct {
	name  string
	pods  int32
	cpu   int64 // cores per pod
	memGi int64
	gpu   int64
}

// jobSpec is one job of the trace.
type jobSpec struct {
	name     string
	queue    string
	prio     int32
	submit   time.Time
	estimate time.Duration // spec.runningEstimate
	actual   time.Duration // what it really takes
	deadline *time.Time
	preempt  bool
	tasks    []taskSpec
}

func (j *jobSpec) cpu() int64 {
	var s int64
	for _, t := range j.tasks {
		s += int64(t.pods) * t.cpu
	}
	return s
}

func (j *jobSpec) gpu() int64 {
	var s int64
	for _, t := range j.tasks {
		s += int64(t.pods) * t.gpu
	}
	return s
}

func (j *jobSpec) mem() int64 {
	var s int64
	for _, t := range j.tasks {
		s += int64(t.pods) * t.memGi
	}
	return s
}

// trace is the generated workload.
type trace struct {
	seed     int64
	clusters []clusterSpec
	jobs     []*jobSpec
}

// queueMix is the share of jobs, the share with deadlines, the share preemptable and the
// share using GPUs of each fleet queue.
type queueMix struct {
	name                          string
	share, deadline, preempt, gpu float64
	// slack is the range of deadline/runtime factors.
	slackLo, slackHi float64
}

var mixes = []queueMix{
	{name: "prod", share: 0.25, deadline: 0.85, preempt: 0.0, gpu: 0.25, slackLo: 1.6, slackHi: 4},
	{name: "research", share: 0.35, deadline: 0.5, preempt: 0.4, gpu: 0.45, slackLo: 2, slackHi: 6},
	{name: "batch", share: 0.40, deadline: 0.15, preempt: 0.9, gpu: 0.1, slackLo: 3, slackHi: 10},
}

// generate builds a deterministic trace: nClusters members of 4 to 16 nodes of three
// shapes (a third with GPU nodes; some run the capacity plugin, some cap the batch
// queue), and nJobs jobs whose arrivals, with a daily rhythm, are spread so that the
// offered cpu load is load (1 = the fleet's cpus busy all the time on average).
func generate(seed int64, nClusters, nJobs int, load float64) *trace {
	rng := rand.New(rand.NewSource(seed)) //nolint:gosec // a seeded, reproducible trace, not a secret
	tr := &trace{seed: seed}
	sizes := []int{4, 6, 8, 10, 12, 16}
	var fleetCPU int64
	for i := 0; i < nClusters; i++ {
		c := clusterSpec{name: fmt.Sprintf("member-%02d", i+1), plugin: estimator.QueuePluginProportion}
		n := sizes[rng.Intn(len(sizes))]
		gpuNodes := 0
		if i%3 == 0 {
			gpuNodes = 2 + rng.Intn(n/2)
		}
		for k := 0; k < n; k++ {
			switch {
			case k < gpuNodes:
				c.nodes = append(c.nodes, nodeGPU8)
			case rng.Intn(3) == 0:
				c.nodes = append(c.nodes, nodeCPU64)
			default:
				c.nodes = append(c.nodes, nodeCPU32)
			}
		}
		if i%4 == 1 {
			c.plugin = estimator.QueuePluginCapacity
		}
		if i%5 == 2 {
			c.batchCap = 0.5
		}
		cpu, _, _ := c.totals()
		fleetCPU += cpu
		tr.clusters = append(tr.clusters, c)
	}

	// Job shapes and runtimes first: the arrival window follows from the demand.
	var demand float64 // core-hours
	for i := 0; i < nJobs; i++ {
		j := &jobSpec{name: fmt.Sprintf("job-%04d", i), prio: int32(rng.Intn(4))}
		r := rng.Float64()
		var mix queueMix
		for _, m := range mixes {
			mix = m
			if r < m.share {
				break
			}
			r -= m.share
		}
		j.queue = mix.name
		j.preempt = rng.Float64() < mix.preempt
		if rng.Float64() < mix.gpu {
			g := []int64{1, 2, 4, 8}[rng.Intn(4)]
			pods := []int32{1, 1, 2, 4}[rng.Intn(4)]
			j.tasks = []taskSpec{{name: "worker", pods: pods, cpu: 4 * g, memGi: 32 * g, gpu: g}}
		} else {
			cpu := []int64{2, 4, 8, 16}[rng.Intn(4)]
			pods := []int32{1, 2, 4, 8, 8, 16, 32}[rng.Intn(7)]
			j.tasks = []taskSpec{{name: "worker", pods: pods, cpu: cpu, memGi: cpu * []int64{2, 4}[rng.Intn(2)]}}
		}
		if rng.Float64() < 0.2 {
			j.tasks = append([]taskSpec{{name: "ps", pods: 1, cpu: 4, memGi: 16}}, j.tasks...)
		}
		tr.fit(j)
		// Runtime estimates: log-normal around 60m, within [5m, 8h]; jobs usually take
		// 70-100% of the estimate, one in ten overruns it by up to 15%.
		est := time.Duration(math.Exp(math.Log(60)+0.8*rng.NormFloat64()) * float64(time.Minute))
		est = min(max(est, 5*time.Minute), 8*time.Hour).Round(time.Minute)
		j.estimate = est
		f := 0.7 + 0.3*rng.Float64()
		if rng.Float64() < 0.1 {
			f = 1 + 0.15*rng.Float64()
		}
		j.actual = time.Duration(float64(est) * f).Round(time.Second)
		if rng.Float64() < mix.deadline {
			// Deadline factor relative to the estimate, applied once the submit time is known.
			factor := mix.slackLo + (mix.slackHi-mix.slackLo)*rng.Float64()
			d := time.Duration(float64(est) * factor)
			j.deadline = &time.Time{}
			*j.deadline = time.Time{}.Add(d)
		}
		demand += float64(j.cpu()) * j.actual.Hours()
		tr.jobs = append(tr.jobs, j)
	}
	window := demand / (float64(fleetCPU) * load) // hours

	// Arrivals: a Poisson process whose rate follows a day (busier in working hours).
	mean := window * 3600 / float64(nJobs)
	t := 0.0
	for _, j := range tr.jobs {
		hour := math.Mod(t/3600, 24)
		rate := 1 + 0.6*math.Sin((hour-9)/24*2*math.Pi)
		t += rng.ExpFloat64() * mean / rate
		j.submit = epoch.Add(time.Duration(t * float64(time.Second)).Truncate(time.Second))
		if j.deadline != nil {
			d := j.submit.Add(j.deadline.Sub(time.Time{})).Add(15 * time.Minute).Truncate(time.Minute)
			j.deadline = &d
		}
	}
	return tr
}

// fit shrinks a job until some cluster could run it when empty (its pods fit the nodes
// and, for the batch queue, the member's batch queue capability), so that no job of the
// trace is unsatisfiable.
func (tr *trace) fit(j *jobSpec) {
	for {
		for _, c := range tr.clusters {
			cpu, _, _ := c.totals()
			if j.queue == "batch" && c.batchCap > 0 && float64(j.cpu()) > c.batchCap*float64(cpu) {
				continue
			}
			if emptyFits(&c, j) {
				return
			}
		}
		last := &j.tasks[len(j.tasks)-1]
		if last.pods > 1 {
			last.pods /= 2
		} else {
			last.gpu, last.cpu, last.memGi = max(last.gpu/2, 0), max(last.cpu/2, 1), max(last.memGi/2, 1)
		}
	}
}

// emptyFits places the job's pods first fit on the cluster's empty nodes.
func emptyFits(c *clusterSpec, j *jobSpec) bool {
	type free struct{ cpu, mem, gpu int64 }
	nodes := make([]free, len(c.nodes))
	for i, n := range c.nodes {
		nodes[i] = free{n.cpu, n.memGi, n.gpu}
	}
	for _, t := range j.tasks {
		for k := int32(0); k < t.pods; k++ {
			placed := false
			for i := range nodes {
				n := &nodes[i]
				if n.cpu >= t.cpu && n.mem >= t.memGi && n.gpu >= t.gpu && (t.gpu > 0 || c.nodes[i].gpu == 0) {
					n.cpu, n.mem, n.gpu = n.cpu-t.cpu, n.mem-t.memGi, n.gpu-t.gpu
					placed = true
					break
				}
			}
			if !placed {
				return false
			}
		}
	}
	return true
}

// describe summarizes the trace.
func (tr *trace) describe() string {
	var b strings.Builder
	var cpu, gpu, nodes int64
	for _, c := range tr.clusters {
		cc, _, g := c.totals()
		cpu += cc
		gpu += g
		nodes += int64(len(c.nodes))
	}
	var demandCPU, demandGPU float64
	var deadlines, gangs, preemptable int
	byQueue := map[string]int{}
	for _, j := range tr.jobs {
		demandCPU += float64(j.cpu()) * j.actual.Hours()
		demandGPU += float64(j.gpu()) * j.actual.Hours()
		if j.deadline != nil {
			deadlines++
		}
		var pods int32
		for _, t := range j.tasks {
			pods += t.pods
		}
		if pods > 1 {
			gangs++
		}
		if j.preempt {
			preemptable++
		}
		byQueue[j.queue]++
	}
	span := tr.jobs[len(tr.jobs)-1].submit.Sub(tr.jobs[0].submit).Hours()
	fmt.Fprintf(&b, "trace: seed %d, %d clusters (%d nodes, %d cpus, %d gpus), %d jobs over %.1fh (prod %d, research %d, batch %d)\n",
		tr.seed, len(tr.clusters), nodes, cpu, gpu, len(tr.jobs), span, byQueue["prod"], byQueue["research"], byQueue["batch"])
	fmt.Fprintf(&b, "       %d with deadlines, %d gangs (>1 pod), %d preemptable; offered load %.0f%% of cpu, %.0f%% of gpu over the arrival window\n",
		deadlines, gangs, preemptable, 100*demandCPU/(float64(cpu)*span), 100*demandGPU/(float64(gpu)*span))
	for _, c := range tr.clusters {
		cc, _, g := c.totals()
		extra := ""
		if c.batchCap > 0 {
			extra = fmt.Sprintf(", batch queue capped at %.0f%% cpu", 100*c.batchCap)
		}
		fmt.Fprintf(&b, "       %s: %2d nodes, %4d cpus, %2d gpus, %s%s\n", c.name, len(c.nodes), cc, g, c.plugin, extra)
	}
	return b.String()
}
