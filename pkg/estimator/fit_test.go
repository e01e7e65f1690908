package estimator

import (
	"math/rand"
	"testing"
)

// naiveFirstFit is Karmada's SchedulingSimulator written plainly: every set, every
// component, pods on the first nodes with room, scanning from the first node each time.
func naiveFirstFit(width int, free []int64, comps []*compFit, hi int64) int64 {
	work := append([]int64(nil), free...)
	row := func(i int32) []int64 { return work[int(i)*width : int(i+1)*width] }
	var sets int64
	for sets < hi {
		for _, c := range comps {
			remaining := c.replicas
			for _, i := range c.nodes {
				if remaining == 0 {
					break
				}
				n := fitRow(row(i), c.dims)
				if n > remaining {
					n = remaining
				}
				for _, d := range c.dims {
					row(i)[d.slot] -= n * d.val
				}
				remaining -= n
			}
			if remaining > 0 {
				return sets
			}
		}
		sets++
	}
	return sets
}

// TestSimulateSetsEqualsFirstFit checks the cursor-and-bulk simulation against the plain
// set-by-set first fit on random clusters and gangs.
func TestSimulateSetsEqualsFirstFit(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	const width = 4 // cpu, memory, pods, gpu
	for i := 0; i < 3000; i++ {
		nodes := 1 + rng.Intn(40)
		free := make([]int64, nodes*width)
		for n := 0; n < nodes; n++ {
			free[n*width+dimCPU] = int64(rng.Intn(64000))
			free[n*width+dimMem] = int64(rng.Intn(256)) << 30
			free[n*width+dimPods] = int64(rng.Intn(30))
			free[n*width+3] = int64(rng.Intn(9))
		}
		var comps []*compFit
		for c := 0; c < 1+rng.Intn(4); c++ {
			dims := []dimReq{{slot: dimPods, val: 1}, {slot: dimCPU, val: int64(100 * (1 + rng.Intn(80)))}}
			if rng.Intn(2) == 0 {
				dims = append(dims, dimReq{slot: dimMem, val: int64(1+rng.Intn(32)) << 30})
			}
			if rng.Intn(4) == 0 {
				dims = append(dims, dimReq{slot: 3, val: int64(1 + rng.Intn(4))})
			}
			var on []int32
			for n := 0; n < nodes; n++ {
				if rng.Intn(3) > 0 {
					on = append(on, int32(n))
				}
			}
			comps = append(comps, &compFit{replicas: int64(rng.Intn(6)), dims: dims, nodes: on})
		}
		hi := int64(1 + rng.Intn(500))
		p := &fitProblem{width: width, free: free, comps: comps}
		var active []*compFit
		for _, c := range comps {
			if c.replicas > 0 {
				active = append(active, c)
			}
		}
		want := naiveFirstFit(width, free, active, hi)
		if len(active) == 0 {
			want = hi
		}
		if got := p.simulateSets(hi); got != want {
			t.Fatalf("case %d: simulateSets = %d, first fit = %d", i, got, want)
		}
		// sets() may answer exactly where first fit is not needed; it never exceeds the
		// per-component bounds and equals first fit when components compete.
		if got := p.sets(hi); len(active) > 1 && !p.disjoint() && got != want {
			t.Fatalf("case %d: sets = %d, first fit = %d", i, got, want)
		}
	}
}
