package batch

import (
	"testing"
	"time"
)

// TestPredict: m1 has 8 cpus; "run" holds 6 until +30m. a (6 cpus, 1h) starts when run
// ends; b (2 cpus, 20m) backfills now; c (8 cpus) waits for a; d needs 16 and never fits.
func TestPredict(t *testing.T) {
	m := testModel("m1", "cpu=8")
	r := running(job("run", "hi", 0, 1, "cpu=6"), "m1", t0.Add(-30*time.Minute))
	place(m, &r, "m1-n0")
	a := job("a", "hi", 3, 1, "cpu=6")
	b := job("b", "hi", 2, 1, "cpu=2")
	b.Runtime = 20 * time.Minute
	c := job("c", "hi", 1, 1, "cpu=8")
	d := job("d", "hi", 0, 1, "cpu=16")
	preds := Predict(Input{Now: t0, Policy: DefaultPolicy(), Queues: []FleetQueue{fleetQueue("hi", 1)}, Jobs: []Job{r, a, b, c, d}, Members: members(m)})
	want := map[string][2]time.Duration{
		"run": {-30 * time.Minute, 30 * time.Minute},
		"a":   {30 * time.Minute, 90 * time.Minute},
		"b":   {0, 20 * time.Minute},
		"c":   {90 * time.Minute, 150 * time.Minute},
	}
	got := map[string]Prediction{}
	for _, p := range preds {
		got[p.Job.Name] = p
	}
	for name, w := range want {
		p := got[name]
		if !p.Known || p.Cluster != "m1" || !p.Start.Equal(t0.Add(w[0])) || !p.Finish.Equal(t0.Add(w[1])) {
			t.Errorf("%s: %+v, want start %v finish %v on m1", name, p, w[0], w[1])
		}
	}
	if p := got["d"]; p.Known || p.Reason == "" {
		t.Errorf("d: %+v, want unknown with a reason", p)
	}
}
