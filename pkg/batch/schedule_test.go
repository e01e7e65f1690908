package batch

import (
	"strings"
	"testing"
	"time"

	"kurator.dev/kurator/pkg/estimator"
)

func released(d Decision) map[string]string {
	out := map[string]string{}
	for _, r := range d.Releases {
		out[r.Job.Name] = r.Cluster
	}
	return out
}

func TestScheduleDispatch(t *testing.T) {
	hi := fleetQueue("hi", 100)
	capped := fleetQueue("capped", 50)
	capped.Capability = res("cpu=8")
	queues := []FleetQueue{hi, capped}
	cases := []struct {
		name    string
		models  func() []*Model
		jobs    []Job
		want    map[string]string
		reasons map[string]string // job -> substring of its status reason+message
	}{
		{
			// 4 cpus fit 8 times on the big member and twice on the small one: tightest fit.
			name:   "releases to the tightest fit",
			models: func() []*Model { return []*Model{testModel("big", "cpu=32"), testModel("small", "cpu=8")} },
			jobs:   []Job{job("j4", "hi", 0, 1, "cpu=4")},
			want:   map[string]string{"j4": "small"},
		},
		{
			// Volcano puts the job in the queue its spec names, whatever the fleet queue maps:
			// "small" is capped at 2 cpus in m1, "default" (the mapping) is not.
			name: "the job's own Volcano queue decides admission",
			models: func() []*Model {
				m := testModel("m1", "cpu=16")
				m.UpsertQueue(testQueue("small", "cpu=2", ""))
				return []*Model{m}
			},
			jobs: []Job{func() Job {
				j := job("named", "hi", 0, 1, "cpu=4")
				j.VolcanoQueue = "small"
				return j
			}(), job("mapped", "hi", 0, 1, "cpu=4")},
			want:    map[string]string{"mapped": "m1"},
			reasons: map[string]string{"named": "queue \"small\""},
		},
		{
			// Each job fits m1 alone; the second sees the first's release and waits.
			name:    "one cycle does not over-commit a member",
			models:  func() []*Model { return []*Model{testModel("m1", "cpu=8")} },
			jobs:    []Job{job("a", "hi", 1, 1, "cpu=6"), job("b", "hi", 0, 1, "cpu=6")},
			want:    map[string]string{"a": "m1"},
			reasons: map[string]string{"b": "no member can start it now"},
		},
		{
			// x was released by an earlier cycle; its pods are not visible yet.
			name:   "in-flight dispatches count against their member",
			models: func() []*Model { return []*Model{testModel("m1", "cpu=8")} },
			jobs: []Job{func() Job {
				j := job("x", "hi", 0, 1, "cpu=6")
				j.State = JobState{Phase: PhaseDispatched, Cluster: "m1", Since: t0.Add(-time.Minute)}
				return j
			}(), job("y", "hi", 0, 1, "cpu=6")},
			want:    map[string]string{},
			reasons: map[string]string{"y": "no member can start it now", "x": "Dispatched"},
		},
		{
			// The node has 16 cpus but the member's Volcano queue is capped at 4.
			name: "the member's Volcano queue must admit the job",
			models: func() []*Model {
				m := testModel("m1", "cpu=16")
				m.UpsertQueue(testQueue("default", "cpu=4", ""))
				return []*Model{m}
			},
			jobs:    []Job{job("big", "hi", 0, 1, "cpu=8")},
			want:    map[string]string{},
			reasons: map[string]string{"big": "QueueCapability"},
		},
		{
			// Three 4-cpu nodes hold 12 cpus, but only three 3-cpu pods (one per node): a
			// gang of two fits, a gang of four does not.
			name:    "gang: all minAvailable pods must fit the nodes",
			models:  func() []*Model { return []*Model{testModel("m1", "cpu=4", "cpu=4", "cpu=4")} },
			jobs:    []Job{job("gang4", "hi", 1, 4, "cpu=3"), job("gang2", "hi", 0, 2, "cpu=3")},
			want:    map[string]string{"gang2": "m1"},
			reasons: map[string]string{"gang4": "NodeFit"},
		},
		{
			name:   "fleet queue capability caps the queue across members",
			models: func() []*Model { return []*Model{testModel("m1", "cpu=16")} },
			jobs: []Job{
				running(job("holder", "capped", 0, 1, "cpu=6"), "m1", t0.Add(-time.Minute)),
				job("four", "capped", 1, 1, "cpu=4"), job("two", "capped", 0, 1, "cpu=2"),
			},
			want:    map[string]string{"two": "m1"},
			reasons: map[string]string{"four": "fleet queue \"capped\" holds 6 of its cpu capability of 8"},
		},
		{
			name:    "unknown fleet queue is never released",
			models:  func() []*Model { return []*Model{testModel("m1", "cpu=16")} },
			jobs:    []Job{job("lost", "nope", 0, 1, "cpu=1")},
			want:    map[string]string{},
			reasons: map[string]string{"lost": "UnknownQueue"},
		},
		{
			name:    "requests no member could ever satisfy",
			models:  func() []*Model { return []*Model{testModel("m1", "cpu=16"), testModel("m2", "cpu=8")} },
			jobs:    []Job{job("huge", "hi", 0, 1, "cpu=64")},
			want:    map[string]string{},
			reasons: map[string]string{"huge": "Unsatisfiable"},
		},
		{
			// The tightest fit is small, but the job's placement allows only big.
			name:   "releases only to members its placement allows",
			models: func() []*Model { return []*Model{testModel("big", "cpu=32"), testModel("small", "cpu=8")} },
			jobs:   []Job{onClusters(job("j4", "hi", 0, 1, "cpu=4"), "big")},
			want:   map[string]string{"j4": "big"},
		},
		{
			// It would fit big when empty, but its placement allows only small.
			name:    "requests no allowed member could ever satisfy",
			models:  func() []*Model { return []*Model{testModel("big", "cpu=32"), testModel("small", "cpu=8")} },
			jobs:    []Job{onClusters(job("j16", "hi", 0, 1, "cpu=16"), "small")},
			want:    map[string]string{},
			reasons: map[string]string{"j16": "Unsatisfiable: no member could run this job even with nothing else running (small: "},
		},
		{
			name:    "a placement that allows no member",
			models:  func() []*Model { return []*Model{testModel("m1", "cpu=16")} },
			jobs:    []Job{onClusters(job("nowhere", "hi", 0, 1, "cpu=1"), "gone")},
			want:    map[string]string{},
			reasons: map[string]string{"nowhere": "its placement allows none of the members m1"},
		},
		{
			name:   "backoff holds a requeued job without blocking others",
			models: func() []*Model { return []*Model{testModel("m1", "cpu=16")} },
			jobs: []Job{func() Job {
				j := job("held", "hi", 5, 1, "cpu=1")
				j.Attempts, j.NotBefore = 2, t0.Add(time.Minute)
				return j
			}(), job("next", "hi", 0, 1, "cpu=1")},
			want:    map[string]string{"next": "m1"},
			reasons: map[string]string{"held": "Backoff"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms := tc.models()
			for _, j := range tc.jobs {
				if j.State.Phase == PhaseRunning {
					place(ms[0], &j, ms[0].Name()+"-n0")
				}
			}
			d := Schedule(Input{Now: t0, Policy: DefaultPolicy(), Queues: queues, Jobs: tc.jobs, Members: members(ms...)})
			got := released(d)
			if len(got) != len(tc.want) {
				t.Errorf("released %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("released %v, want %v", got, tc.want)
				}
			}
			for name, want := range tc.reasons {
				st := statusOf(t, d, name)
				if s := string(st.Reason) + ": " + st.Message; !strings.Contains(s, want) {
					t.Errorf("status of %s = %q, want it to contain %q", name, s, want)
				}
			}
		})
	}
}

// TestScheduleBackfill: m1 has 8 cpus, 4 of them held by a job ending in 30 minutes. The
// head job needs all 8 and has a deadline far enough not to preempt; it reserves m1 from
// +30m. A 4-cpu job of 1h would delay it; one of 20m would not.
func TestScheduleBackfill(t *testing.T) {
	q := fleetQueue("hi", 100)
	head := withDeadline(job("head", "hi", 0, 1, "cpu=8"), t0.Add(10*time.Hour))
	head.Submitted = t0.Add(-2 * time.Hour)
	long := job("long", "hi", 0, 1, "cpu=4")
	short := job("short", "hi", 0, 1, "cpu=4")
	short.Runtime = 20 * time.Minute
	holder := running(job("holder", "hi", 0, 1, "cpu=4"), "m1", t0.Add(-30*time.Minute))
	noDeadline := func(j Job) Job { j.Deadline = nil; return j }
	fresh := func(j Job) Job { j.Submitted = t0.Add(-10 * time.Minute); return j }
	cases := []struct {
		name    string
		mode    BackfillMode
		head    Job
		want    map[string]bool
		reasons map[string]string
	}{
		{name: "reserve: only work that ends before the reservation backfills", mode: BackfillReserve, head: head,
			want:    map[string]bool{"short": true},
			reasons: map[string]string{"head": "Reserved", "long": "BehindReservation"}},
		{name: "greedy: everything that fits starts", mode: BackfillGreedy, head: head,
			want: map[string]bool{"long": true}, reasons: map[string]string{"head": "NoMemberFits", "short": "NoMemberFits"}},
		{name: "strict: nothing passes the blocked head of the queue", mode: BackfillStrict, head: head,
			want: map[string]bool{}, reasons: map[string]string{"long": "BehindHeadOfQueue", "short": "BehindHeadOfQueue"}},
		{name: "a head without deadline that waited past the starvation age reserves", mode: BackfillReserve, head: noDeadline(head),
			want: map[string]bool{"short": true}, reasons: map[string]string{"head": "Reserved", "long": "BehindReservation"}},
		{name: "a young head without deadline does not reserve", mode: BackfillReserve, head: fresh(noDeadline(head)),
			want: map[string]bool{"long": true}, reasons: map[string]string{"head": "NoMemberFits"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := testModel("m1", "cpu=8")
			place(m, &holder, "m1-n0")
			p := DefaultPolicy()
			p.Backfill = tc.mode
			// long before short in FIFO order.
			l, s := long, short
			l.Submitted, s.Submitted = t0.Add(-time.Hour), t0.Add(-50*time.Minute)
			d := Schedule(Input{Now: t0, Policy: p, Queues: []FleetQueue{q}, Jobs: []Job{tc.head, l, s, holder}, Members: members(m)})
			got := map[string]bool{}
			for _, r := range d.Releases {
				got[r.Job.Name] = true
			}
			if len(got) != len(tc.want) {
				t.Errorf("released %v, want %v", got, tc.want)
			}
			for k := range tc.want {
				if !got[k] {
					t.Errorf("released %v, want %v", got, tc.want)
				}
			}
			for name, want := range tc.reasons {
				if st := statusOf(t, d, name); string(st.Reason) != want {
					t.Errorf("status of %s = %s (%s), want %s", name, st.Reason, st.Message, want)
				}
			}
		})
	}
}

// TestScheduleDeadlinePreemption: m1 has 8 cpus, all held by a preemptable low-priority
// job. The urgent job needs 8 cpus for 1h and is due in 90m (slack 30m < threshold 1h).
func TestScheduleDeadlinePreemption(t *testing.T) {
	hi, lo := fleetQueue("hi", 100), fleetQueue("lo", 10)
	urgent := withDeadline(job("urgent", "hi", 0, 1, "cpu=8"), t0.Add(90*time.Minute))
	victim := func(runtime time.Duration) Job {
		v := running(job("victim", "lo", 0, 1, "cpu=8"), "m1", t0.Add(-2*time.Hour))
		v.Runtime, v.Preemptable = runtime, true
		return v
	}
	cases := []struct {
		name      string
		hiPolicy  PreemptionPolicy
		victimRun time.Duration
		threshold time.Duration
		wantEvict bool
		wantState StatusReason
		wantMsg   string
	}{
		// The victim ends in 2h: waiting misses the deadline.
		{name: "evicts and releases when waiting would miss the deadline", hiPolicy: PreemptLowerPriority, victimRun: 4 * time.Hour, threshold: time.Hour,
			wantEvict: true, wantState: StatusPreempting, wantMsg: "evict ns/victim from m1"},
		// The victim ends in 20m: waiting meets the deadline.
		{name: "waits when the predicted start still meets the deadline", hiPolicy: PreemptLowerPriority, victimRun: 2*time.Hour + 20*time.Minute, threshold: time.Hour,
			wantState: StatusReserved, wantMsg: "still meet its deadline"},
		{name: "a queue that never preempts waits", hiPolicy: PreemptNever, victimRun: 4 * time.Hour, threshold: time.Hour,
			wantState: StatusReserved},
		{name: "slack above the threshold waits", hiPolicy: PreemptLowerPriority, victimRun: 4 * time.Hour, threshold: 20 * time.Minute,
			wantState: StatusReserved},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := testModel("m1", "cpu=8")
			v := victim(tc.victimRun)
			place(m, &v, "m1-n0")
			q := hi
			q.Preemption, q.SlackThreshold = tc.hiPolicy, tc.threshold
			d := Schedule(Input{Now: t0, Policy: DefaultPolicy(), Queues: []FleetQueue{q, lo}, Jobs: []Job{urgent, v}, Members: members(m)})
			if got := len(d.Evictions) == 1 && d.Evictions[0].Job.Name == "victim"; got != tc.wantEvict {
				t.Fatalf("evictions = %+v, want eviction %v", d.Evictions, tc.wantEvict)
			}
			st := statusOf(t, d, "urgent")
			if st.Reason != tc.wantState || !strings.Contains(st.Message, tc.wantMsg) {
				t.Errorf("urgent status = %s (%s), want %s containing %q", st.Reason, st.Message, tc.wantState, tc.wantMsg)
			}
			if tc.wantEvict {
				if r := released(d); r["urgent"] != "m1" {
					t.Errorf("releases = %v, want urgent on m1", r)
				}
				if d.Evictions[0].LostWork != 2*time.Hour {
					t.Errorf("lost work = %v, want 2h", d.Evictions[0].LostWork)
				}
				if vs := statusOf(t, d, "victim"); vs.Reason != StatusEvicted {
					t.Errorf("victim status = %s, want Evicted", vs.Reason)
				}
			}
		})
	}
}

func TestScheduleRequeuesTimedOutDispatch(t *testing.T) {
	m := testModel("m1", "cpu=8")
	j := job("slow", "hi", 0, 1, "cpu=6")
	j.Attempts = 2
	j.State = JobState{Phase: PhaseDispatched, Cluster: "m1", Since: t0.Add(-6 * time.Minute)}
	other := job("other", "hi", 0, 1, "cpu=6")
	d := Schedule(Input{Now: t0, Policy: DefaultPolicy(), Queues: []FleetQueue{fleetQueue("hi", 1)}, Jobs: []Job{j, other}, Members: members(m)})
	// The second dispatch timed out: 30s doubled once.
	if len(d.Requeues) != 1 || d.Requeues[0].Attempts != 2 || !d.Requeues[0].NotBefore.Equal(t0.Add(time.Minute)) {
		t.Fatalf("requeues = %+v, want dispatch 2 retrying after 1m", d.Requeues)
	}
	// The timed-out job no longer holds m1.
	if r := released(d); r["other"] != "m1" {
		t.Errorf("releases = %v, want other on m1", r)
	}

	// A queue with a 10m dispatch timeout keeps waiting.
	patient := fleetQueue("hi", 1)
	patient.DispatchTimeout = 10 * time.Minute
	d = Schedule(Input{Now: t0, Policy: DefaultPolicy(), Queues: []FleetQueue{patient}, Jobs: []Job{j, other}, Members: members(m)})
	if len(d.Requeues) != 0 || statusOf(t, d, "slow").Reason != StatusDispatched {
		t.Errorf("requeues = %+v, status %+v; want the job still dispatched", d.Requeues, statusOf(t, d, "slow"))
	}
}

// TestScheduleIgnoresMemberPreemption: a member whose Volcano runs preempt could start a
// higher-priority job by evicting a preemptable pod itself; the dispatcher does not count
// that room.
func TestScheduleIgnoresMemberPreemption(t *testing.T) {
	cfg := estimator.DefaultConfig()
	cfg.Preempt = true
	cfg.PreemptKeepsMinAvailable = false
	m := testModelCfg("m1", cfg, "cpu=8")
	low := running(job("low", "hi", 0, 1, "cpu=8"), "m1", t0.Add(-time.Hour))
	place(m, &low, "m1-n0")
	high := job("high", "hi", 10, 1, "cpu=8")
	d := Schedule(Input{Now: t0, Policy: DefaultPolicy(), Queues: []FleetQueue{fleetQueue("hi", 1)}, Jobs: []Job{high, low}, Members: members(m)})
	if len(d.Releases) != 0 {
		t.Errorf("releases = %+v, want none", d.Releases)
	}
}

// TestScheduleProtectsInFlightJobs: under Volcano's proportion plugin a queue's deserved
// share shrinks when other queues ask for more. m1 has 16 cpus and Volcano queues a, b
// and c. Queue b has 8 cpus of pending pods; f (8 cpus, queue a) was released and has not
// started. Releasing j (4 cpus, queue c) would still fit j itself, but the water-fill
// would then give queue a only 6 cpus and f could not start.
func TestScheduleProtectsInFlightJobs(t *testing.T) {
	for _, pendingInB := range []bool{true, false} {
		m := testModel("m1", "cpu=16")
		for _, q := range []string{"a", "b", "c"} {
			m.UpsertQueue(testQueue(q, "", ""))
		}
		if pendingInB {
			waiting := job("waiting", "qb", 0, 2, "cpu=4")
			place(m, &waiting, "")
			// Turn the placed pods back into unbound pending pods of queue b.
			pg := m.groups["ns/waiting-pg"].DeepCopy()
			pg.Spec.Queue, pg.Status.Phase = "b", "Pending"
			m.UpsertPodGroup(pg)
			for _, name := range []string{"waiting-t-0", "waiting-t-1"} {
				p := m.pods["ns/"+name].DeepCopy()
				p.Spec.NodeName, p.Status.Phase = "", "Pending"
				m.UpsertPod(p)
			}
		}
		qa, qc := fleetQueue("qa", 1), fleetQueue("qc", 1)
		qa.VolcanoQueue, qc.VolcanoQueue = "a", "c"
		f := job("f", "qa", 0, 1, "cpu=8")
		f.State = JobState{Phase: PhaseDispatched, Cluster: "m1", Since: t0.Add(-time.Minute)}
		j := job("j", "qc", 0, 1, "cpu=4")
		d := Schedule(Input{Now: t0, Policy: DefaultPolicy(), Queues: []FleetQueue{qa, qc}, Jobs: []Job{f, j}, Members: members(m)})
		got := released(d)["j"]
		if pendingInB && got != "" {
			t.Errorf("with pending pods in b: j released to %q, want held back (status %+v)", got, statusOf(t, d, "j"))
		}
		if pendingInB && !strings.Contains(statusOf(t, d, "j").Message, "would leave ns/f") {
			t.Errorf("status of j = %q, want it to name f", statusOf(t, d, "j").Message)
		}
		if !pendingInB && got != "m1" {
			t.Errorf("without pending pods: j released to %q, want m1 (status %+v)", got, statusOf(t, d, "j"))
		}
	}
}

// TestScheduleSkipsDominatedJobs: once a simple job cannot start on a member, a job of
// the same queue asking at least as much of every resource is not estimated there again
// in the same cycle (only its empty-member check remains), and gets the same reason.
func TestScheduleSkipsDominatedJobs(t *testing.T) {
	run := func(jobs ...Job) Decision {
		m := testModel("m1", "cpu=8")
		holder := running(job("holder", "hi", 9, 1, "cpu=6"), "m1", t0)
		place(m, &holder, "m1-n0")
		p := DefaultPolicy()
		p.Backfill = BackfillGreedy
		for i := range jobs {
			jobs[i].Submitted = t0.Add(time.Duration(i) * time.Second)
		}
		return Schedule(Input{Now: t0, Policy: p, Queues: []FleetQueue{fleetQueue("hi", 1)}, Jobs: append(jobs, holder), Members: members(m)})
	}
	four, eight, one := job("four", "hi", 0, 1, "cpu=4"), job("eight", "hi", 0, 1, "cpu=8"), job("one", "hi", 0, 1, "cpu=1")
	base := run(four, one)
	with := run(four, eight, one)
	if got := with.Checks - base.Checks; got != 1 {
		t.Errorf("the dominated job cost %d checks, want 1 (its empty-member check)", got)
	}
	if r := released(with); r["one"] != "m1" || r["eight"] != "" {
		t.Errorf("releases = %v, want only one on m1", r)
	}
	if a, b := statusOf(t, with, "four").Message, statusOf(t, with, "eight").Message; a != b {
		t.Errorf("status of eight = %q, want the same as four's %q", b, a)
	}
}

// TestSchedulePlacementLimitsPreemptionAndPredictions: m1 and m2 have 8 cpus each, both
// held by preemptable low-priority jobs; the one on m2 ends first. The urgent job's
// placement allows m1 only, so it is predicted on m1 and preempts the job there even
// though m2 frees up sooner.
func TestSchedulePlacementLimitsPreemptionAndPredictions(t *testing.T) {
	hi, lo := fleetQueue("hi", 100), fleetQueue("lo", 10)
	hi.Preemption, hi.SlackThreshold = PreemptLowerPriority, time.Hour
	m1, m2 := testModel("m1", "cpu=8"), testModel("m2", "cpu=8")
	v1 := running(job("v1", "lo", 0, 1, "cpu=8"), "m1", t0.Add(-2*time.Hour))
	v1.Runtime, v1.Preemptable = 4*time.Hour, true
	v2 := running(job("v2", "lo", 0, 1, "cpu=8"), "m2", t0.Add(-2*time.Hour))
	v2.Runtime, v2.Preemptable = 2*time.Hour+10*time.Minute, true
	place(m1, &v1, "m1-n0")
	place(m2, &v2, "m2-n0")
	urgent := onClusters(withDeadline(job("urgent", "hi", 0, 1, "cpu=8"), t0.Add(90*time.Minute)), "m1")
	in := Input{Now: t0, Policy: DefaultPolicy(), Queues: []FleetQueue{hi, lo}, Jobs: []Job{onClusters(urgent), v1, v2}, Members: members(m1, m2)}

	// Unrestricted, it waits 10 minutes for m2 and still meets its deadline.
	if d := Schedule(in); len(d.Evictions) != 0 || statusOf(t, d, "urgent").Cluster != "m2" {
		t.Fatalf("unrestricted: evictions %+v, status %+v; want none and a reservation on m2", d.Evictions, statusOf(t, d, "urgent"))
	}
	in.Jobs[0] = urgent

	for _, p := range Predict(in) {
		if p.Job.Name == "urgent" && (!p.Known || p.Cluster != "m1" || !p.Start.Equal(t0.Add(2*time.Hour))) {
			t.Errorf("prediction of urgent = %+v, want a start on m1 at +2h (m2 is not allowed)", p)
		}
	}
	d := Schedule(in)
	if len(d.Evictions) != 1 || d.Evictions[0].Job.Name != "v1" {
		t.Fatalf("evictions = %+v, want v1 evicted from m1; statuses %+v", d.Evictions, d.Statuses)
	}
	if got := released(d); got["urgent"] != "m1" {
		t.Errorf("released %v, want urgent on m1", got)
	}

	// Allowed nowhere the fleet has: no plan, and a message that says so.
	in.Jobs[0] = onClusters(in.Jobs[0], "elsewhere")
	d = Schedule(in)
	if len(d.Evictions) != 0 || len(d.Releases) != 0 {
		t.Fatalf("decision %+v, want nothing released or evicted", d)
	}
	if st := statusOf(t, d, "urgent"); st.Reason != ReasonUnsatisfiable || !strings.Contains(st.Message, "placement allows none of the members m1, m2") {
		t.Errorf("status of urgent = %s: %s", st.Reason, st.Message)
	}
}
