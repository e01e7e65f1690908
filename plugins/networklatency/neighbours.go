package networklatency

import (
	"sync/atomic"

	"kurator.dev/kurator/pkg/scheduler/framework"
	"kurator.dev/kurator/pkg/telemetry"
)

// neighbours groups a snapshot's clusters by zone and by region, each within one Istio
// network: clusters whose latencies to the rest of the fleet are alike, so that an
// unobserved pair can be estimated from a neighbour's observed one.
type neighbours struct {
	snap *telemetry.Snapshot
	// zone[c] and region[c] list the other clusters of c's zone and region (same network).
	zone, region [][]int
}

// neighboursCache keeps the grouping of the latest snapshot.
type neighboursCache struct {
	last atomic.Pointer[neighbours]
}

// networkLabel is Istio's network label on Karmada clusters.
const networkLabel = "topology.istio.io/network"

// get returns the grouping of snap, from the clusters' region, zone and network label; nil
// when clusters are unreadable.
func (nc *neighboursCache) get(snap *telemetry.Snapshot, clusters framework.ClusterGetter) *neighbours {
	if clusters == nil {
		return nil
	}
	if n := nc.last.Load(); n != nil && n.snap == snap {
		return n
	}
	type place struct{ region, zone string }
	places := make([]place, len(snap.Clusters))
	for i, name := range snap.Clusters {
		c, err := clusters.Get(name)
		if err != nil || c.Spec.Region == "" {
			continue
		}
		network := c.Labels[networkLabel]
		places[i].region = c.Spec.Region + "/" + network
		if len(c.Spec.Zones) > 0 {
			places[i].zone = places[i].region + "/" + c.Spec.Zones[0]
		}
	}
	n := &neighbours{snap: snap, zone: make([][]int, len(places)), region: make([][]int, len(places))}
	for i := range places {
		for j := range places {
			if i == j || places[i].region == "" {
				continue
			}
			if places[i].zone != "" && places[i].zone == places[j].zone {
				n.zone[i] = append(n.zone[i], j)
			}
			if places[i].region == places[j].region {
				n.region[i] = append(n.region[i], j)
			}
		}
	}
	nc.last.Store(n)
	return n
}
