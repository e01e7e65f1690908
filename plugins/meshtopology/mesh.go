package meshtopology

import (
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"

	"kurator.dev/kurator/pkg/telemetry"
)

// Mesh is the mesh model: which network each cluster is on and which networks have
// east-west gateways, from Istio's MeshNetworks and the clusters' network label.
type Mesh struct {
	label     string
	networkOf map[string]string // Karmada cluster → network, from MeshNetworks
	gateways  map[string]int    // network → gateways, from MeshNetworks
}

// NewMesh builds the model. MeshNetworks names clusters by Istio cluster ID
// (endpoints[].fromRegistry); names translates them to Karmada names. mn may be nil.
func NewMesh(label string, mn *meshv1alpha1.MeshNetworks, names *telemetry.Names) *Mesh {
	m := &Mesh{label: label, networkOf: map[string]string{}, gateways: map[string]int{}}
	for name, n := range mn.GetNetworks() {
		m.gateways[name] = len(n.GetGateways())
		for _, e := range n.GetEndpoints() {
			id := e.GetFromRegistry()
			if id == "" {
				continue // fromCidr endpoints do not name clusters
			}
			if k, ok := names.FromIstio(id); ok {
				m.networkOf[k] = name
			}
		}
	}
	return m
}

// Network returns the cluster's network: MeshNetworks' when it lists the cluster, else the
// cluster's label. labelled is the label's value, to report disagreements.
func (m *Mesh) Network(c *clusterv1alpha1.Cluster) (network, labelled string) {
	labelled = c.Labels[m.label]
	if n, ok := m.networkOf[c.Name]; ok {
		return n, labelled
	}
	return labelled, labelled
}

// Gatewayless reports whether MeshNetworks says the network has no east-west gateway.
func (m *Mesh) Gatewayless(network string) bool {
	g, ok := m.gateways[network]
	return ok && g == 0
}

// Locality returns the cluster's place in the mesh.
func (m *Mesh) Locality(c *clusterv1alpha1.Cluster) Locality {
	n, _ := m.Network(c)
	l := Locality{Cluster: c.Name, Network: n, Region: c.Spec.Region, Zone: c.Spec.Zone, Known: true} //nolint:staticcheck // Spec.Zone is deprecated but still set by some clusters
	if len(c.Spec.Zones) > 0 {
		l.Zone = c.Spec.Zones[0]
	}
	return l
}
