package estimator

import (
	"math"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Node fit works on integer vectors, one slot per resource dimension, in the units
// Karmada's estimator divides by: cpu in millicores, pods in pods, everything else by
// Quantity.Value (bytes, devices). Dimensions 0..2 are fixed.
const (
	dimCPU  = 0
	dimMem  = 1
	dimPods = 2
)

// dimTable assigns vector slots to resource names. It only grows.
type dimTable struct {
	index map[corev1.ResourceName]int
	names []corev1.ResourceName
}

func newDimTable() *dimTable {
	t := &dimTable{index: map[corev1.ResourceName]int{}}
	for _, n := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods} {
		t.index[n] = len(t.names)
		t.names = append(t.names, n)
	}
	return t
}

func (t *dimTable) clone() *dimTable {
	c := &dimTable{index: make(map[corev1.ResourceName]int, len(t.index)), names: append([]corev1.ResourceName(nil), t.names...)}
	for k, v := range t.index {
		c.index[k] = v
	}
	return c
}

// fitted reports whether node fit considers the resource (Karmada's MaxDivided does for
// cpu, memory, ephemeral-storage, pods and scalar resources, and ignores the rest).
func fitted(name corev1.ResourceName) bool {
	switch name {
	case corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage, corev1.ResourcePods:
		return true
	}
	return isScalarResourceName(name)
}

// fitValue is a quantity in node-fit units: millicores for cpu, Value for the rest.
func fitValue(name corev1.ResourceName, q resource.Quantity) int64 {
	if name == corev1.ResourceCPU {
		return q.MilliValue()
	}
	return q.Value()
}

// slot returns the slot of name, adding it.
func (t *dimTable) slot(name corev1.ResourceName) int {
	if i, ok := t.index[name]; ok {
		return i
	}
	t.index[name] = len(t.names)
	t.names = append(t.names, name)
	return t.index[name]
}

// vector converts a resource list into a vector of len(t.names), adding slots for new
// names.
func (t *dimTable) vector(rl corev1.ResourceList) []int64 {
	for name := range rl {
		if fitted(name) {
			t.slot(name)
		}
	}
	v := make([]int64, len(t.names))
	for name, q := range rl {
		if !fitted(name) {
			continue
		}
		v[t.index[name]] += fitValue(name, q)
	}
	return v
}

// dimReq is one requested dimension of a pod.
type dimReq struct {
	slot int
	val  int64
}

// podDims turns a pod's requests into the dimensions node fit divides by (always including
// one pod). ok is false when the pod asks for a resource no node of the table offers.
func (t *dimTable) podDims(rl corev1.ResourceList) (dims []dimReq, ok bool) {
	dims = append(dims, dimReq{slot: dimPods, val: 1})
	names := make([]corev1.ResourceName, 0, len(rl))
	for name := range rl {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	ok = true
	for _, name := range names {
		if !fitted(name) || name == corev1.ResourcePods {
			continue
		}
		v := fitValue(name, rl[name])
		if v <= 0 {
			continue
		}
		slot, known := t.index[name]
		if !known {
			ok = false
			continue
		}
		dims = append(dims, dimReq{slot: slot, val: v})
	}
	return dims, ok
}

// fitRow is how many pods with dims fit in row (a node's free vector).
func fitRow(row []int64, dims []dimReq) int64 {
	best := int64(math.MaxInt64)
	for _, d := range dims {
		var free int64
		if d.slot < len(row) {
			free = row[d.slot]
		}
		if free < d.val {
			return 0
		}
		if n := free / d.val; n < best {
			best = n
		}
	}
	return best
}

// compFit is one component prepared for node fit.
type compFit struct {
	replicas int64
	dims     []dimReq
	nodes    []int32 // indices of the nodes the component may use, ascending
}

// fitProblem is node fit for one request: a free matrix (one row of width per node, only
// rows of nodes some component may use are read) and the components of a set.
type fitProblem struct {
	width int
	free  []int64
	comps []*compFit
}

var scratchPool = sync.Pool{New: func() any { s := make([]int64, 0, 1<<14); return &s }}

// getScratch returns a pooled vector of length n (contents undefined); give it back with
// putScratch.
func getScratch(n int) *[]int64 {
	bufp := scratchPool.Get().(*[]int64)
	if cap(*bufp) < n {
		*bufp = make([]int64, n)
	}
	*bufp = (*bufp)[:n]
	return bufp
}

func putScratch(bufp *[]int64) { scratchPool.Put(bufp) }

// sets returns the number of complete sets that fit, at most hi.
//
// One component, or components that can never share a node: the sum over each
// component's nodes of the pods that fit on each, divided by its replicas (exact).
// Components competing for nodes: Karmada's estimator's first fit, set after set, each
// component's pods on the first nodes with room (simulateSets).
func (p *fitProblem) sets(hi int64) int64 {
	if hi <= 0 || len(p.comps) == 0 {
		return 0
	}
	upper := hi
	// Fewest candidate nodes first: the bound found so far lets later components stop
	// counting early.
	order := make([]*compFit, len(p.comps))
	copy(order, p.comps)
	sort.SliceStable(order, func(a, b int) bool { return len(order[a].nodes) < len(order[b].nodes) })
	for _, c := range order {
		if c.replicas <= 0 {
			continue
		}
		capPods := upper*c.replicas + 1
		var total int64
		for _, i := range c.nodes {
			total += fitRow(p.row(i), c.dims)
			if total >= capPods {
				break
			}
		}
		if s := total / c.replicas; s < upper {
			upper = s
		}
	}
	if upper == 0 || len(p.comps) == 1 || p.disjoint() {
		return upper
	}
	return p.simulateSets(upper)
}

func (p *fitProblem) row(i int32) []int64 {
	o := int(i) * p.width
	return p.free[o : o+p.width]
}

// disjoint reports whether no node may host two different components (node lists are
// ascending, so pairs are compared by merging).
func (p *fitProblem) disjoint() bool {
	for a := 0; a < len(p.comps); a++ {
		for b := a + 1; b < len(p.comps); b++ {
			x, y := p.comps[a].nodes, p.comps[b].nodes
			i, j := 0, 0
			for i < len(x) && j < len(y) {
				switch {
				case x[i] == y[j]:
					return false
				case x[i] < y[j]:
					i++
				default:
					j++
				}
			}
		}
	}
	return true
}

// simulateSets places sets one after the other, each component's pods first fit over its
// nodes in order (what Karmada's SchedulingSimulator does), on a copy of the free matrix,
// and returns how many complete sets were placed (at most hi).
//
// A node that cannot hold one more pod of a component never can again (placing only
// consumes), so each component keeps a cursor on its first node with room. When every
// component's whole share of a set fits at its cursor node (components sharing a node
// counted together), t sets at once take the same room as t single steps, so runs of sets
// are placed in bulk: the work is proportional to nodes and components, not to sets.
func (p *fitProblem) simulateSets(hi int64) int64 {
	bufp := getScratch(len(p.free))
	defer putScratch(bufp)
	work := *bufp
	copy(work, p.free)
	sim := &fitProblem{width: p.width, free: work}
	comps := make([]*compFit, 0, len(p.comps))
	for _, c := range p.comps {
		if c.replicas > 0 {
			comps = append(comps, c)
		}
	}
	cursor := make([]int, len(comps))
	demand := make([]int64, p.width)
	var sets int64
	for sets < hi {
		// Move every cursor to its component's first node with room for one pod.
		for ci, c := range comps {
			for cursor[ci] < len(c.nodes) && fitRow(sim.row(c.nodes[cursor[ci]]), c.dims) == 0 {
				cursor[ci]++
			}
			if cursor[ci] == len(c.nodes) {
				return sets
			}
		}
		if t := sim.bulk(comps, cursor, demand, hi-sets); t > 0 {
			sets += t
			continue
		}
		if !sim.placeOne(comps, cursor) {
			return sets
		}
		sets++
	}
	return sets
}

// bulk places as many whole sets as fit at the cursor nodes, at most limit.
func (p *fitProblem) bulk(comps []*compFit, cursor []int, demand []int64, limit int64) int64 {
	t := limit
	for ci, c := range comps {
		node := c.nodes[cursor[ci]]
		// Components sharing this node are handled with the first of them.
		first := true
		for cj := 0; cj < ci; cj++ {
			if comps[cj].nodes[cursor[cj]] == node {
				first = false
				break
			}
		}
		if !first {
			continue
		}
		clear(demand)
		for cj := ci; cj < len(comps); cj++ {
			if comps[cj].nodes[cursor[cj]] != node {
				continue
			}
			for _, d := range comps[cj].dims {
				demand[d.slot] += comps[cj].replicas * d.val
			}
		}
		row := p.row(node)
		for d, need := range demand {
			if need == 0 {
				continue
			}
			if row[d] < need {
				return 0
			}
			if n := row[d] / need; n < t {
				t = n
			}
		}
	}
	for ci, c := range comps {
		row := p.row(c.nodes[cursor[ci]])
		for _, d := range c.dims {
			row[d.slot] -= t * c.replicas * d.val
		}
	}
	return t
}

// placeOne places one set first fit from the cursors; it reports false when a component
// runs out of nodes (the set is incomplete; the simulation ends there).
func (p *fitProblem) placeOne(comps []*compFit, cursor []int) bool {
	for ci, c := range comps {
		remaining := c.replicas
		for k := cursor[ci]; k < len(c.nodes) && remaining > 0; k++ {
			row := p.row(c.nodes[k])
			n := fitRow(row, c.dims)
			if n == 0 {
				continue
			}
			if n > remaining {
				n = remaining
			}
			for _, d := range c.dims {
				row[d.slot] -= n * d.val
			}
			remaining -= n
		}
		if remaining > 0 {
			return false
		}
	}
	return true
}

// place consumes one set of comps first fit (Karmada's deduction of an assumed workload);
// it returns false, consuming nothing, when the set does not fit.
func (p *fitProblem) place(comps []*compFit) bool {
	type take struct {
		row []int64
		c   *compFit
		n   int64
	}
	var taken []take
	for _, c := range comps {
		remaining := c.replicas
		for _, i := range c.nodes {
			if remaining == 0 {
				break
			}
			row := p.row(i)
			n := fitRow(row, c.dims)
			if n == 0 {
				continue
			}
			if n > remaining {
				n = remaining
			}
			for _, d := range c.dims {
				row[d.slot] -= n * d.val
			}
			taken = append(taken, take{row: row, c: c, n: n})
			remaining -= n
		}
		if remaining > 0 {
			for _, t := range taken {
				for _, d := range t.c.dims {
					t.row[d.slot] += t.n * d.val
				}
			}
			return false
		}
	}
	return true
}
