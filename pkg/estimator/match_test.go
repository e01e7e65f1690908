package estimator

import (
	"fmt"
	"math/rand"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

// TestMatchEqualsComponentHelpers compares the topology's matching (label projection,
// taint groups, cache) with evaluating component-helpers node affinity and Karmada's
// toleration rule on every node, for random nodes and claims.
func TestMatchEqualsComponentHelpers(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	keys := []string{"zone", "pool", "gpu", "tier", "kubernetes.io/hostname", "rack", "arch"}
	values := []string{"a", "b", "c", "1", "7", "42", ""}
	taints := []corev1.Taint{
		{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule},
		{Key: "spot", Effect: corev1.TaintEffectNoExecute},
		{Key: "soft", Effect: corev1.TaintEffectPreferNoSchedule},
	}
	var nodes []*corev1.Node
	for i := 0; i < 300; i++ {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%03d", i), Labels: map[string]string{}}}
		for _, k := range keys {
			if rng.Intn(3) > 0 {
				n.Labels[k] = values[rng.Intn(len(values))]
			}
		}
		n.Labels["kubernetes.io/hostname"] = n.Name
		for _, taint := range taints {
			if rng.Intn(4) == 0 {
				n.Spec.Taints = append(n.Spec.Taints, taint)
			}
		}
		n.Spec.Unschedulable = rng.Intn(10) == 0
		nodes = append(nodes, n)
	}
	topo := newTopology(nodes)
	ops := []corev1.NodeSelectorOperator{corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpExists,
		corev1.NodeSelectorOpDoesNotExist, corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt, "Bogus"}
	randomRequirement := func() corev1.NodeSelectorRequirement {
		r := corev1.NodeSelectorRequirement{Key: keys[rng.Intn(len(keys))], Operator: ops[rng.Intn(len(ops))]}
		for j := rng.Intn(3); j > 0; j-- {
			r.Values = append(r.Values, values[rng.Intn(len(values))])
		}
		if r.Key == "kubernetes.io/hostname" && rng.Intn(2) == 0 {
			r.Values = []string{fmt.Sprintf("node-%03d", rng.Intn(300))}
		}
		return r
	}
	for c := 0; c < 400; c++ {
		var selector map[string]string
		if rng.Intn(2) == 0 {
			selector = map[string]string{keys[rng.Intn(3)]: values[rng.Intn(4)]}
		}
		var affinity *corev1.NodeSelector
		if rng.Intn(3) > 0 {
			affinity = &corev1.NodeSelector{}
			for term := rng.Intn(3); term >= 0; term-- {
				var nst corev1.NodeSelectorTerm
				for e := rng.Intn(3); e > 0; e-- {
					nst.MatchExpressions = append(nst.MatchExpressions, randomRequirement())
				}
				if rng.Intn(6) == 0 {
					nst.MatchFields = []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn,
						Values: []string{fmt.Sprintf("node-%03d", rng.Intn(300))}}}
				}
				affinity.NodeSelectorTerms = append(affinity.NodeSelectorTerms, nst)
			}
		}
		var tolerations []corev1.Toleration
		if rng.Intn(2) == 0 {
			tolerations = append(tolerations, corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule})
		}
		if rng.Intn(3) == 0 {
			tolerations = append(tolerations, corev1.Toleration{Key: "spot", Operator: corev1.TolerationOpExists})
		}
		if rng.Intn(5) == 0 {
			tolerations = append(tolerations, corev1.Toleration{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
		}
		comp := &Component{NodeSelector: selector, NodeAffinity: affinity, Tolerations: tolerations}
		claim := newNodeClaim(claimKey(comp), selector, affinity, tolerations)
		got := topo.match(claim)
		got2 := topo.match(claim) // cached
		want := referenceMatch(nodes, selector, affinity, tolerations)
		if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(got2) != fmt.Sprint(want) {
			t.Fatalf("claim %d (selector %v, affinity %+v, tolerations %+v):\n got %v\nwant %v", c, selector, affinity, tolerations, got, want)
		}
	}
}

func referenceMatch(nodes []*corev1.Node, selector map[string]string, affinity *corev1.NodeSelector, tolerations []corev1.Toleration) []int32 {
	pod := &corev1.Pod{Spec: corev1.PodSpec{NodeSelector: selector}}
	if affinity != nil {
		pod.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: affinity}}
	}
	required := nodeaffinity.GetRequiredNodeAffinity(pod)
	out := []int32{}
	for i, n := range nodes {
		ok, _ := required.Match(n)
		claim := &nodeClaim{tolerations: tolerations}
		var sched []corev1.Taint
		for _, taint := range n.Spec.Taints {
			if taint.Effect != corev1.TaintEffectPreferNoSchedule {
				sched = append(sched, taint)
			}
		}
		if ok && claim.tolerates(&taintGroup{unschedulable: n.Spec.Unschedulable, taints: sched}) {
			out = append(out, int32(i))
		}
	}
	return out
}
