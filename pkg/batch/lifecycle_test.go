package batch

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	cases := []struct {
		attempts int32
		want     time.Duration
	}{
		{0, 0}, {1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {5, 8 * time.Minute}, {6, 10 * time.Minute}, {60, 10 * time.Minute},
	}
	for _, tc := range cases {
		if got := Backoff(tc.attempts, 30*time.Second, 10*time.Minute); got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.attempts, got, tc.want)
		}
	}
}

func TestDispatchExpired(t *testing.T) {
	j := job("j", "q", 0, 1, "cpu=1")
	j.State = JobState{Phase: PhaseDispatched, Cluster: "m", Since: t0}
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{{4*time.Minute + 59*time.Second, false}, {5 * time.Minute, true}} {
		if got := DispatchExpired(&j, t0.Add(tc.at), 5*time.Minute); got != tc.want {
			t.Errorf("expired at +%v = %v, want %v", tc.at, got, tc.want)
		}
	}
	j.State.Phase = PhaseRunning
	if DispatchExpired(&j, t0.Add(time.Hour), 5*time.Minute) {
		t.Error("a running job never expires")
	}
}

// TestQueueOverrides: a queue's own timeout, backoff and cooldown win over the policy's.
func TestQueueOverrides(t *testing.T) {
	p := DefaultPolicy()
	q := fleetQueue("q", 1)
	if p.DispatchTimeoutOf(&q) != p.DispatchTimeout || p.CooldownOf(&q) != p.Cooldown || p.BackoffOf(&q, 2) != 2*p.BackoffBase {
		t.Errorf("a queue without overrides does not use the policy's values")
	}
	q.DispatchTimeout, q.Cooldown, q.BackoffBase, q.BackoffMax = time.Minute, time.Hour, 10*time.Second, 15*time.Second
	if p.DispatchTimeoutOf(&q) != time.Minute || p.CooldownOf(&q) != time.Hour || p.BackoffOf(&q, 1) != 10*time.Second || p.BackoffOf(&q, 3) != 15*time.Second {
		t.Errorf("queue overrides ignored")
	}
	if p.DispatchTimeoutOf(nil) != p.DispatchTimeout {
		t.Errorf("an unknown queue does not use the policy's timeout")
	}
}

func TestTransitions(t *testing.T) {
	j := job("j", "q", 0, 1, "cpu=1")
	ApplyRelease(&j, Release{Job: j.JobKey, Cluster: "m1"}, t0)
	if j.State != (JobState{Phase: PhaseDispatched, Cluster: "m1", Since: t0}) {
		t.Fatalf("after release: %+v", j.State)
	}
	ApplyRequeue(&j, Requeue{Attempts: 1, NotBefore: t0.Add(time.Minute)})
	if j.State.Phase != PhaseQueued || j.Attempts != 1 || !j.NotBefore.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after requeue: %+v", j)
	}
	ApplyRelease(&j, Release{Job: j.JobKey, Cluster: "m2"}, t0.Add(2*time.Minute))
	ApplyRunning(&j, t0.Add(3*time.Minute))
	if j.State.Phase != PhaseRunning || j.State.Cluster != "m2" || j.Attempts != 2 || !j.DispatchedAt.Equal(t0.Add(2*time.Minute)) || !j.LastStarted.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("after running: %+v", j)
	}
	ApplyEviction(&j, t0.Add(time.Hour))
	if j.State.Phase != PhaseQueued || !j.LastPreempted.Equal(t0.Add(time.Hour)) || !j.NotBefore.Before(t0.Add(time.Hour)) {
		t.Fatalf("after eviction: %+v", j)
	}
}
