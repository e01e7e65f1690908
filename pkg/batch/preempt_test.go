package batch

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestPlanPreemption checks victim choice on small clusters. Every node has 8 cpus; the
// deadline job D ("urgent", queue hi, priority 5) needs one 8-cpu pod unless stated.
func TestPlanPreemption(t *testing.T) {
	hi, lo := fleetQueue("hi", 100), fleetQueue("lo", 10)
	guarded := fleetQueue("guarded", 10)
	guarded.Guarantee = res("cpu=4")
	patient := fleetQueue("patient", 10)
	patient.Cooldown = 3 * time.Hour
	queues := []FleetQueue{hi, lo, guarded, patient}
	urgent := withDeadline(job("urgent", "hi", 5, 1, "cpu=8"), t0.Add(90*time.Minute))
	long := t0.Add(-2 * time.Hour)
	victim := func(name, queue string, prio int32, cpu string, since time.Time) Job {
		j := running(job(name, queue, prio, 1, cpu), "", since)
		j.Preemptable = true
		return j
	}
	type member struct {
		name  string
		nodes []string
		run   []Job
	}
	cases := []struct {
		name    string
		members []member
		// mutate adjusts the running jobs before the plan.
		mutate      func(jobs []Job)
		wantCluster string
		wantVictims []string
		wantReason  string
	}{
		{
			// m1 would need both 4-cpu jobs, m2 only its one 8-cpu job (with more lost work).
			name: "picks the member needing fewer victims",
			members: []member{
				{name: "m1", nodes: []string{"cpu=8"}, run: []Job{victim("a", "lo", 0, "cpu=4", t0.Add(-30*time.Minute)), victim("b", "lo", 0, "cpu=4", t0.Add(-30*time.Minute))}},
				{name: "m2", nodes: []string{"cpu=8"}, run: []Job{victim("c", "lo", 0, "cpu=8", t0.Add(-5*time.Hour))}},
			},
			wantCluster: "m2", wantVictims: []string{"c"},
		},
		{
			// Any one of the 2-cpu jobs frees room for a 2-cpu job: the youngest goes.
			name: "least lost work among equally small sets",
			members: []member{{name: "m1", nodes: []string{"cpu=8"}, run: []Job{
				victim("old", "lo", 0, "cpu=2", t0.Add(-3*time.Hour)), victim("young", "lo", 0, "cpu=2", t0.Add(-20*time.Minute)),
				victim("mid", "lo", 0, "cpu=2", t0.Add(-time.Hour)), victim("older", "lo", 0, "cpu=2", t0.Add(-4*time.Hour)),
			}}},
			mutate:      func(jobs []Job) { jobs[0].Tasks = []Task{{Name: "t", Replicas: 1, Requests: res("cpu=2")}} },
			wantCluster: "m1", wantVictims: []string{"young"},
		},
		{
			name:       "never evicts equal priority",
			members:    []member{{name: "m1", nodes: []string{"cpu=8"}, run: []Job{victim("peer", "hi", 5, "cpu=8", long)}}},
			wantReason: "1 equal or higher priority",
		},
		{
			// Lower job priority but a higher-priority fleet queue is not lower priority.
			name:       "never evicts a job of a higher-priority queue",
			members:    []member{{name: "m1", nodes: []string{"cpu=8"}, run: []Job{func() Job { j := victim("boss", "lo", 0, "cpu=8", long); j.Queue = "hi"; j.Priority = 0; return j }()}}},
			mutate:     func(jobs []Job) { jobs[0].Queue = "lo"; jobs[0].Priority = 100 },
			wantReason: "1 equal or higher priority",
		},
		{
			name:       "respects preemptable=false",
			members:    []member{{name: "m1", nodes: []string{"cpu=8"}, run: []Job{func() Job { j := victim("pinned", "lo", 0, "cpu=8", long); j.Preemptable = false; return j }()}}},
			wantReason: "1 not preemptable",
		},
		{
			name:       "respects the cooldown after a start",
			members:    []member{{name: "m1", nodes: []string{"cpu=8"}, run: []Job{victim("fresh", "lo", 0, "cpu=8", t0.Add(-4*time.Minute))}}},
			wantReason: "1 started within the cooldown",
		},
		{
			// The victim's queue asks for a 3h cooldown.
			name:       "respects the victim queue's own cooldown",
			members:    []member{{name: "m1", nodes: []string{"cpu=8"}, run: []Job{victim("slowcool", "patient", 0, "cpu=8", long)}}},
			wantReason: "1 started within the cooldown",
		},
		{
			name: "respects the cooldown after a preemption",
			members: []member{{name: "m1", nodes: []string{"cpu=8"}, run: []Job{func() Job {
				j := victim("bounced", "lo", 0, "cpu=8", long)
				j.LastPreempted = t0.Add(-2 * time.Minute)
				return j
			}()}}},
			wantReason: "1 preempted within the cooldown",
		},
		{
			// The victim needs 1h and is due in 90m; no other member can start it now, so it
			// would restart when D ends (in 1h) and finish after 2h.
			name: "refuses when a victim's deadline would break",
			members: []member{{name: "m1", nodes: []string{"cpu=8"}, run: []Job{
				withDeadline(victim("due", "lo", 0, "cpu=4", long), t0.Add(90*time.Minute)),
			}}},
			wantReason: "1 its own deadline would break after a restart",
		},
		{
			// Same victim, but m2 can start it right away: it restarts now and makes it.
			name: "accepts a deadline victim that can restart elsewhere now",
			members: []member{
				{name: "m1", nodes: []string{"cpu=8"}, run: []Job{withDeadline(victim("due", "lo", 0, "cpu=4", long), t0.Add(90*time.Minute))}},
				{name: "m2", nodes: []string{"cpu=4"}},
			},
			wantCluster: "m1", wantVictims: []string{"due"},
		},
		{
			// The guarded queue guarantees 4 cpus and holds exactly its 4-cpu job.
			name:       "keeps fleet queue guarantees",
			members:    []member{{name: "m1", nodes: []string{"cpu=8"}, run: []Job{victim("kept", "guarded", 0, "cpu=4", long)}}},
			wantReason: "keeping queue guarantees",
		},
		{
			// Evicting both 2-cpu jobs leaves 4 of the 8 cpus taken by a protected job.
			name: "no plan when even every eligible victim is not enough",
			members: []member{{name: "m1", nodes: []string{"cpu=8"}, run: []Job{
				victim("x", "lo", 0, "cpu=2", long), victim("y", "lo", 0, "cpu=2", long),
				func() Job { j := victim("z", "lo", 0, "cpu=4", long); j.Preemptable = false; return j }(),
			}}},
			wantReason: "evicting all 2 eligible job(s) would not make room",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jobs := []Job{urgent}
			var ms []*Model
			for _, m := range tc.members {
				model := testModel(m.name, m.nodes...)
				for _, j := range m.run {
					j.State.Cluster = m.name
					place(model, &j, m.name+"-n0")
					jobs = append(jobs, j)
				}
				ms = append(ms, model)
			}
			if tc.mutate != nil {
				tc.mutate(jobs)
			}
			in := Input{Now: t0, Policy: DefaultPolicy(), Queues: queues, Jobs: jobs, Members: members(ms...)}
			plan := PlanPreemption(in, urgent.JobKey)
			if plan.Cluster != tc.wantCluster {
				t.Fatalf("cluster = %q, want %q (reason: %s)", plan.Cluster, tc.wantCluster, plan.Reason)
			}
			var got []string
			for _, v := range plan.Victims {
				got = append(got, v.Job.Name)
			}
			if !reflect.DeepEqual(got, tc.wantVictims) {
				t.Errorf("victims = %v, want %v (reason: %s)", got, tc.wantVictims, plan.Reason)
			}
			if tc.wantReason != "" && !strings.Contains(plan.Reason, tc.wantReason) {
				t.Errorf("reason %q does not mention %q", plan.Reason, tc.wantReason)
			}
		})
	}
}

// TestPlanPreemptionBudget makes the exhaustive search run out and checks that the greedy
// fallback still returns an irredundant set that makes room.
func TestPlanPreemptionBudget(t *testing.T) {
	m := testModel("m1", "cpu=16")
	var jobs []Job
	urgent := withDeadline(job("urgent", "hi", 5, 1, "cpu=8"), t0.Add(90*time.Minute))
	jobs = append(jobs, urgent)
	for i, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		v := running(job(name, "lo", 0, 1, "cpu=2"), "m1", t0.Add(-time.Duration(i+1)*time.Hour))
		v.Preemptable = true
		place(m, &v, "m1-n0")
		jobs = append(jobs, v)
	}
	p := DefaultPolicy()
	p.PlanBudget = 3
	in := Input{Now: t0, Policy: p, Queues: []FleetQueue{fleetQueue("hi", 100), fleetQueue("lo", 10)}, Jobs: jobs, Members: members(m)}
	plan := PlanPreemption(in, urgent.JobKey)
	if !plan.Found() || len(plan.Victims) != 4 {
		t.Fatalf("plan = %+v, want 4 victims of 2 cpus on m1", plan)
	}
	// Greedy drops the most lost work first, so the four youngest stay as victims.
	var got []string
	for _, v := range plan.Victims {
		got = append(got, v.Job.Name)
	}
	if want := []string{"a", "b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("victims = %v, want %v", got, want)
	}
}
