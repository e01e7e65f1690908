package batch

import "testing"

func TestModelWithout(t *testing.T) {
	m := testModel("m1", "cpu=8")
	a := running(job("a", "hi", 0, 1, "cpu=4"), "m1", t0)
	b := running(job("b", "hi", 0, 1, "cpu=4"), "m1", t0)
	place(m, &a, "m1-n0")
	place(m, &b, "m1-n0")
	probe := job("probe", "hi", 0, 1, "cpu=4")
	q := fleetQueue("hi", 1)
	sets := func(m *Model, without ...string) int32 {
		s := shapeOf(&probe)
		snap := m.Member().Snapshot
		if len(without) > 0 {
			snap = m.Without(keys(without...))
		}
		return snap.Estimate(s.request(&probe, &q, "m1", nil)).SetsWithoutPreemption
	}
	if got := sets(m); got != 0 {
		t.Fatalf("full member fits %d probes, want 0", got)
	}
	if got := sets(m, "a"); got != 1 {
		t.Errorf("without a: %d probes, want 1", got)
	}
	if got := sets(m, "a", "b"); got != 2 {
		t.Errorf("without a and b: %d probes, want 2", got)
	}
	// The model is unchanged afterwards.
	if got := sets(m); got != 0 || !m.HasJob(a.JobKey) {
		t.Errorf("after what-if: %d probes fit, has a = %v; want 0, true", got, m.HasJob(a.JobKey))
	}
	m.DeletePod("ns", "a-t-0")
	m.DeletePodGroup("ns", "a-pg")
	if m.HasJob(a.JobKey) || sets(m) != 1 {
		t.Errorf("after deleting a's objects: has a = %v, probes %d; want false, 1", m.HasJob(a.JobKey), sets(m))
	}
	if e := m.Member().Empty.Estimate(shapeOf(&probe).request(&probe, &q, "m1", nil)); e.SetsWithoutPreemption != 2 {
		t.Errorf("empty member fits %d probes, want 2", e.SetsWithoutPreemption)
	}
}
