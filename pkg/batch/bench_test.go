package batch

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// benchFleet is 10 members of 20 nodes (32 cpus each), half full of running jobs, and
// queued jobs of 1-8 pods of 1-8 cpus, a third with deadlines, in three queues.
func benchFleet(queued int) Input {
	rng := rand.New(rand.NewSource(1))
	queues := []FleetQueue{fleetQueue("prod", 100), fleetQueue("research", 50), fleetQueue("batch", 10)}
	var ms []*Model
	var jobs []Job
	for m := 0; m < 10; m++ {
		nodes := make([]string, 20)
		for i := range nodes {
			nodes[i] = "cpu=32"
		}
		model := testModel(fmt.Sprintf("m%02d", m), nodes...)
		for r := 0; r < 20; r++ {
			j := running(job(fmt.Sprintf("run-%d-%d", m, r), queues[rng.Intn(3)].Name, int32(rng.Intn(4)), 1, "cpu=16"), model.Name(),
				t0.Add(-time.Duration(rng.Intn(240))*time.Minute))
			j.Runtime = time.Duration(1+rng.Intn(6)) * time.Hour
			j.Preemptable = rng.Intn(2) == 0
			place(model, &j, fmt.Sprintf("%s-n%d", model.Name(), r))
			jobs = append(jobs, j)
		}
		ms = append(ms, model)
	}
	for i := 0; i < queued; i++ {
		j := job(fmt.Sprintf("q-%d", i), queues[rng.Intn(3)].Name, int32(rng.Intn(4)), int32(1+rng.Intn(8)), fmt.Sprintf("cpu=%d", 1+rng.Intn(8)))
		j.Submitted = t0.Add(-time.Duration(rng.Intn(600)) * time.Minute)
		if rng.Intn(3) == 0 {
			j = withDeadline(j, t0.Add(time.Duration(30+rng.Intn(600))*time.Minute))
		}
		jobs = append(jobs, j)
	}
	return Input{Now: t0, Policy: DefaultPolicy(), Queues: queues, Jobs: jobs, Members: members(ms...)}
}

func BenchmarkOrder(b *testing.B) {
	in := benchFleet(1000)
	c := newCycle(&in)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Order(in.Now, &in.Policy, c.queues, in.Jobs, nil)
	}
}

// BenchmarkSchedule is one dispatch cycle; with a memo it is the controller's steady
// state (the memo kept from the previous cycle).
func BenchmarkSchedule(b *testing.B) {
	for _, n := range []int{50, 300} {
		for _, memo := range []bool{false, true} {
			b.Run(fmt.Sprintf("queued=%d/memo=%v", n, memo), func(b *testing.B) {
				in := benchFleet(n)
				if memo {
					in.Memo = NewMemo()
					Schedule(in)
				}
				var checks int
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					checks = Schedule(in).Checks
				}
				b.ReportMetric(float64(checks), "checks/op")
			})
		}
	}
}

func BenchmarkPlanPreemption(b *testing.B) {
	in := benchFleet(1)
	// A 4-pod gang of 16 cpus: needs victims on one member.
	urgent := withDeadline(job("urgent", "prod", 9, 4, "cpu=16"), t0.Add(90*time.Minute))
	in.Jobs = append(in.Jobs, urgent)
	for i := range in.Jobs {
		in.Jobs[i].Preemptable = in.Jobs[i].Queue != "prod"
	}
	if !PlanPreemption(in, urgent.JobKey).Found() {
		b.Fatal("no plan")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		PlanPreemption(in, urgent.JobKey)
	}
}

func BenchmarkPredict(b *testing.B) {
	in := benchFleet(100)
	for i := 0; i < b.N; i++ {
		Predict(in)
	}
}
