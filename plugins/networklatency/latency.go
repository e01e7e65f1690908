package networklatency

import "math"

// LatencyScore scores a p99 latency l against a reference latency ref (both in ms):
//
//	100·ref/(ref + l)
//
// 100 at 0 ms, 50 at the reference, 33 at twice and 25 at three times the reference. It never
// reaches 0, so far clusters stay ordered by distance. The reference is the workload's SLO
// when it has one.
func LatencyScore(l, ref float64) float64 {
	if l <= 0 {
		return 100
	}
	return 100 * ref / (ref + l)
}

// Blend mixes the score of the peers whose latency is known (covering the fraction coverage
// of the traffic weight) with the neutral score for the rest, so that a cluster is not
// favoured for what is unknown about it.
func Blend(known, coverage, neutral float64) float64 {
	coverage = math.Min(1, math.Max(0, coverage))
	return coverage*known + (1-coverage)*neutral
}

// PeerLatency is what is known about the latency from a cluster to one peer.
type PeerLatency struct {
	// Ms is the p99 to the peer's nearest location; meaningful when Known.
	Ms float64
	// Known says some location of the peer has a latency estimate.
	Known bool
}

// WeightedLatency averages the known peer latencies by weight; coverage is the known share
// of the total weight. With nothing known it returns 0, 0.
func WeightedLatency(peers []PeerLatency, weights []float64) (ms, coverage float64) {
	var sum, known, total float64
	for i, p := range peers {
		total += weights[i]
		if p.Known {
			sum += weights[i] * p.Ms
			known += weights[i]
		}
	}
	if known == 0 || total == 0 {
		return 0, 0
	}
	return sum / known, known / total
}
