package clusterutilization

import "math"

// TargetLoadPackingScore scores utilization u against a target and a ceiling (fractions in
// [0, 1], target < ceiling) the way the target-load-packing plugin of kube-scheduler's
// scheduler-plugins does, with the fall reaching zero at the ceiling instead of at 100 %:
//
//	u ≤ target:            T + (100 − T)·u/target, rising from T at 0 % to 100 at the target
//	target < u < ceiling:  T·(ceiling − u)/(ceiling − target), falling from T to 0
//	u ≥ ceiling:           0
//
// where T = 100·target. Clusters are packed up to the target and avoided beyond it.
func TargetLoadPackingScore(u, target, ceiling float64) float64 {
	u = clamp01(u)
	t := 100 * target
	switch {
	case u <= target:
		return t + (100-t)*u/target
	case u < ceiling:
		return t * (ceiling - u) / (ceiling - target)
	default:
		return 0
	}
}

// HeadroomScore treats every cluster with room below its target nearly alike and avoids the
// others (fractions in [0, 1], target < ceiling):
//
//	u ≤ target:            100 − 10·u/target, from 100 at 0 % to 90 at the target
//	target < u < ceiling:  40·(ceiling − u)/(ceiling − target), from 40 to 0
//	u ≥ ceiling:           0
//
// The small slope below the target leaves the choice among clusters with room to the other
// plugins (latency, topology), with a mild preference for the less utilized; the fall of 50
// at the target keeps workloads off clusters they would push above it.
func HeadroomScore(u, target, ceiling float64) float64 {
	u = clamp01(u)
	switch {
	case u <= target:
		return 100 - 10*u/target
	case u < ceiling:
		return 40 * (ceiling - u) / (ceiling - target)
	default:
		return 0
	}
}

// LeastUtilizedScore is 100 at 0 % and 0 at 100 %: the least utilized cluster wins.
func LeastUtilizedScore(u float64) float64 {
	return 100 * (1 - clamp01(u))
}

// Predict returns the utilization once a workload requesting request of a resource runs in a
// cluster with allocatable of it: observed + request/allocatable. Without allocatable the
// observation stands.
func Predict(observed, request, allocatable float64) float64 {
	if request <= 0 || allocatable <= 0 {
		return observed
	}
	return observed + request/allocatable
}

func clamp01(x float64) float64 {
	return math.Min(1, math.Max(0, x))
}
