package batch

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestOrder shows each tie-break of the queue order on two or three jobs.
func TestOrder(t *testing.T) {
	hi, lo := fleetQueue("hi", 100), fleetQueue("lo", 10)
	peerA, peerB := fleetQueue("a", 50), fleetQueue("b", 50)
	peerB.Weight = 3
	queues := map[string]*FleetQueue{"hi": &hi, "lo": &lo, "a": &peerA, "b": &peerB}
	at := func(j Job, submitted time.Duration) Job { j.Submitted = t0.Add(submitted); return j }
	rt := func(j Job, d time.Duration) Job { j.Runtime = d; return j }
	cases := []struct {
		name   string
		order  OrderMode
		jobs   []Job
		shares map[string]float64
		want   []string
	}{
		{
			name: "fleet queue priority beats job priority and slack",
			jobs: []Job{withDeadline(job("lo-urgent", "lo", 9, 1, "cpu=1"), t0.Add(time.Hour)), job("hi-plain", "hi", 0, 1, "cpu=1")},
			want: []string{"hi-plain", "lo-urgent"},
		},
		{
			name: "job priority beats slack within a queue",
			jobs: []Job{withDeadline(job("p1-urgent", "hi", 1, 1, "cpu=1"), t0.Add(time.Hour)), job("p5", "hi", 5, 1, "cpu=1")},
			want: []string{"p5", "p1-urgent"},
		},
		{
			name: "at equal priority a deadline goes before no deadline, however far",
			jobs: []Job{at(job("none-old", "hi", 0, 1, "cpu=1"), -10*time.Hour), withDeadline(job("far", "hi", 0, 1, "cpu=1"), t0.Add(1000*time.Hour))},
			want: []string{"far", "none-old"},
		},
		{
			// Same deadline in 3h: the 2h job has 1h slack, the 1h job 2h.
			name: "least slack first: same deadline, longer runtime first",
			jobs: []Job{withDeadline(job("short", "hi", 0, 1, "cpu=1"), t0.Add(3*time.Hour)), rt(withDeadline(job("long", "hi", 0, 1, "cpu=1"), t0.Add(3*time.Hour)), 2*time.Hour)},
			want: []string{"long", "short"},
		},
		{
			name: "FIFO by submission among equals without deadline",
			jobs: []Job{at(job("second", "hi", 0, 1, "cpu=1"), -time.Minute), at(job("first", "hi", 0, 1, "cpu=1"), -2*time.Minute)},
			want: []string{"first", "second"},
		},
		{
			name: "name breaks a tie of submission time",
			jobs: []Job{job("b", "hi", 0, 1, "cpu=1"), job("a", "hi", 0, 1, "cpu=1")},
			want: []string{"a", "b"},
		},
		{
			// Equal queue priority, equal job priority, no deadline: the queue holding less
			// per unit of weight goes first even though its job was submitted later.
			name:   "weighted share between queues of equal priority",
			jobs:   []Job{at(job("from-a", "a", 0, 1, "cpu=1"), -2*time.Minute), at(job("from-b", "b", 0, 1, "cpu=1"), -time.Minute)},
			shares: map[string]float64{"a": 0.3, "b": 0.1},
			want:   []string{"from-b", "from-a"},
		},
		{
			name:   "share does not override job priority",
			jobs:   []Job{job("a-p1", "a", 1, 1, "cpu=1"), job("b-p0", "b", 0, 1, "cpu=1")},
			shares: map[string]float64{"a": 0.9, "b": 0.0},
			want:   []string{"a-p1", "b-p0"},
		},
		{
			name: "unknown queue sorts last",
			jobs: []Job{job("lost", "nope", 100, 1, "cpu=1"), job("found", "lo", 0, 1, "cpu=1")},
			want: []string{"found", "lost"},
		},
		{
			name:  "earliest deadline first ignores priorities and slack",
			order: OrderEarliestDeadline,
			jobs: []Job{
				withDeadline(job("hi-late", "hi", 9, 1, "cpu=1"), t0.Add(5*time.Hour)),
				rt(withDeadline(job("lo-early", "lo", 0, 1, "cpu=1"), t0.Add(4*time.Hour)), time.Minute),
				job("none", "hi", 9, 1, "cpu=1"),
			},
			want: []string{"lo-early", "hi-late", "none"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tc.order != "" {
				p.Order = tc.order
			}
			idx := Order(t0, &p, queues, tc.jobs, tc.shares)
			var got []string
			for _, i := range idx {
				got = append(got, tc.jobs[i].Name)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("order = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSlack(t *testing.T) {
	p := DefaultPolicy()
	dl := t0.Add(3 * time.Hour)
	cases := []struct {
		name string
		job  Job
		want time.Duration
		ok   bool
	}{
		{name: "queued: deadline - now - runtime", job: withDeadline(job("q", "hi", 0, 1, "cpu=1"), dl), want: 2 * time.Hour, ok: true},
		{name: "running 40m of 1h: 20m remain", job: running(withDeadline(job("r", "hi", 0, 1, "cpu=1"), dl), "m", t0.Add(-40*time.Minute)), want: 3*time.Hour - 20*time.Minute, ok: true},
		{name: "overrun counts zero remaining", job: running(withDeadline(job("o", "hi", 0, 1, "cpu=1"), dl), "m", t0.Add(-5*time.Hour)), want: 3 * time.Hour, ok: true},
		{name: "unknown runtime uses the default", job: func() Job { j := withDeadline(job("u", "hi", 0, 1, "cpu=1"), dl); j.Runtime = 0; return j }(), want: 3*time.Hour - p.DefaultRuntime, ok: true},
		{name: "late job has negative slack", job: withDeadline(job("l", "hi", 0, 1, "cpu=1"), t0.Add(30*time.Minute)), want: -30 * time.Minute, ok: true},
		{name: "no deadline", job: job("n", "hi", 0, 1, "cpu=1")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Slack(&tc.job, t0, &p)
			if ok != tc.ok || got != tc.want {
				t.Errorf("Slack = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestShares(t *testing.T) {
	a, b := fleetQueue("a", 1), fleetQueue("b", 1)
	b.Weight = 2
	queues := map[string]*FleetQueue{"a": &a, "b": &b}
	held := map[string]corev1.ResourceList{"a": res("cpu=10,memory=10Gi"), "b": res("cpu=10,memory=60Gi")}
	got := Shares(queues, held, res("cpu=100,memory=100Gi"))
	// a: max(0.1, 0.1)/1 = 0.1; b: max(0.1, 0.6)/2 = 0.3 (memory dominates).
	if d := got["a"] - 0.1; d > 1e-9 || d < -1e-9 {
		t.Errorf("share a = %v, want 0.1", got["a"])
	}
	if d := got["b"] - 0.3; d > 1e-9 || d < -1e-9 {
		t.Errorf("share b = %v, want 0.3", got["b"])
	}
}
