package meshtopology

// Locality is where a cluster sits in the mesh.
type Locality struct {
	// Cluster is the Karmada cluster name.
	Cluster string
	// Network is the Istio network, "" when the cluster is not a mesh member.
	Network string
	// Region and Zone are the cluster's region and zone, "" when unknown.
	Region, Zone string
	// Known says the locality was read from the cluster (otherwise only Cluster is set).
	Known bool
}

// Scores of the locality levels between a workload's cluster and a peer's, before the
// east-west gateway penalty.
const (
	SameClusterScore = 100
	SameZoneScore    = 90
	SameRegionScore  = 75
	ElsewhereScore   = 50
)

// Reach is how traffic gets from one cluster to another in the mesh.
type Reach int

const (
	// Direct is within one network, without a gateway.
	Direct Reach = iota
	// ThroughGateway is between networks: one east-west gateway hop.
	ThroughGateway
	// Uncertain is when one side is not a known mesh member.
	Uncertain
	// Unreachable is when the peer's network has no east-west gateway, so other networks cannot reach it.
	Unreachable
)

func (r Reach) String() string {
	return [...]string{"same network", "through an east-west gateway", "network unknown", "unreachable: no east-west gateway"}[r]
}

// Affinity scores how close a workload in cluster a is to a peer in cluster b:
//
//	locality:  same cluster 100, same zone 90, same region 75, elsewhere 50
//	network:   same network ± 0; another network − penalty (one east-west gateway hop);
//	           a side off the mesh − penalty/2; a network without gateways: 0
//
// gatewayless reports whether b's network is known to have no east-west gateway.
func Affinity(a, b Locality, penalty float64, gatewayless bool) (float64, Reach) {
	if a.Cluster == b.Cluster {
		return SameClusterScore, Direct
	}
	if !a.Known || !b.Known {
		return ElsewhereScore, Uncertain
	}
	score := float64(ElsewhereScore)
	switch {
	case a.Region != "" && a.Region == b.Region && a.Zone != "" && a.Zone == b.Zone:
		score = SameZoneScore
	case a.Region != "" && a.Region == b.Region:
		score = SameRegionScore
	}
	reach := Direct
	switch {
	case a.Network == "" || b.Network == "":
		reach = Uncertain
		score -= penalty / 2
	case a.Network != b.Network && gatewayless:
		return 0, Unreachable
	case a.Network != b.Network:
		reach = ThroughGateway
		score -= penalty
	}
	if score < 0 {
		score = 0
	}
	return score, reach
}
