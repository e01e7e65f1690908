package batch

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestMemo: a blocked job's "could it ever fit" answers are reused by the next cycle and
// dropped when the member's nodes change.
func TestMemo(t *testing.T) {
	m := testModel("m1", "cpu=8")
	holder := running(job("holder", "hi", 9, 1, "cpu=8"), "m1", t0)
	place(m, &holder, "m1-n0")
	blocked := job("blocked", "hi", 0, 1, "cpu=4")
	blocked.Submitted = t0 // too young to reserve
	memo := NewMemo()
	in := func() Input {
		return Input{Now: t0, Policy: DefaultPolicy(), Queues: []FleetQueue{fleetQueue("hi", 1)}, Jobs: []Job{blocked, holder}, Members: members(m), Memo: memo}
	}
	first := Schedule(in()).Checks
	second := Schedule(in()).Checks
	if second != first-1 {
		t.Errorf("checks: first cycle %d, second %d; want the second to skip the empty-member check", first, second)
	}
	m.UpsertNode(testNode("m1-extra", "cpu=2"))
	if third := Schedule(in()).Checks; third != first {
		t.Errorf("after a node change: %d checks, want %d (memo dropped)", third, first)
	}
	other := blocked
	other.Tasks = []Task{{Name: "t", Replicas: 1, Requests: res("cpu=5")}}
	if fingerprint(&blocked) == fingerprint(&other) {
		t.Error("fingerprints of different requests are equal")
	}
	tolerant := blocked
	tolerant.Tasks = []Task{{Name: "t", Replicas: 1, Requests: res("cpu=4"), Tolerations: []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}}}}
	if fingerprint(&blocked) == fingerprint(&tolerant) {
		t.Error("fingerprints of different tolerations are equal")
	}
}
