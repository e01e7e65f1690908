package telemetry

// UnknownCluster is the cluster ID Istio reports when it could not tell the peer's cluster
// (for example destination_cluster of requests that left the mesh).
const UnknownCluster = "unknown"

// Names translates cluster names seen in Thanos answers (the cluster label) and in Istio
// metrics (cluster IDs) into Karmada cluster names.
//
// A mapped cluster is known by its mapped names only; a name that no entry mentions is taken
// as the Karmada name, unless unmapped names are ignored.
type Names struct {
	byThanos map[string]string
	byIstio  map[string]string
	// renamedThanos and renamedIstio hold Karmada names whose Thanos or Istio name differs,
	// so that their Karmada name is not mistaken for an identity mapping.
	renamedThanos  map[string]bool
	renamedIstio   map[string]bool
	ignoreUnmapped bool
}

// NewNames builds the translation from a cluster mapping.
func NewNames(mapping []ClusterNameMapping, ignoreUnmapped bool) *Names {
	n := &Names{
		byThanos: map[string]string{}, byIstio: map[string]string{},
		renamedThanos: map[string]bool{}, renamedIstio: map[string]bool{},
		ignoreUnmapped: ignoreUnmapped,
	}
	for _, m := range mapping {
		thanos, istio := m.ThanosCluster, m.IstioClusterID
		if thanos == "" {
			thanos = m.Cluster
		}
		if istio == "" {
			istio = m.Cluster
		}
		n.byThanos[thanos] = m.Cluster
		n.byIstio[istio] = m.Cluster
		if thanos != m.Cluster {
			n.renamedThanos[m.Cluster] = true
		}
		if istio != m.Cluster {
			n.renamedIstio[m.Cluster] = true
		}
	}
	return n
}

// FromThanos returns the Karmada name of a cluster label value.
func (n *Names) FromThanos(v string) (string, bool) {
	return n.lookup(v, n.byThanos, n.renamedThanos)
}

// FromIstio returns the Karmada name of an Istio cluster ID. The ID "unknown" maps to nothing.
func (n *Names) FromIstio(v string) (string, bool) {
	if v == UnknownCluster {
		return "", false
	}
	return n.lookup(v, n.byIstio, n.renamedIstio)
}

func (n *Names) lookup(v string, by map[string]string, renamed map[string]bool) (string, bool) {
	if v == "" {
		return "", false
	}
	if k, ok := by[v]; ok {
		return k, true
	}
	if n.ignoreUnmapped || renamed[v] {
		return "", false
	}
	return v, true
}
