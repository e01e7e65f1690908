package meshtopology

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// Kind is the kind of the plugin's arguments in a profile's pluginConfig.
const Kind = "MeshTopologyArgs"

// DefaultNetworkLabel is Istio's network label (istio.io/api label.TopologyNetwork).
const DefaultNetworkLabel = "topology.istio.io/network"

// Args configures MeshTopology.
type Args struct {
	metav1.TypeMeta `json:",inline"`

	// NetworkLabel is the Cluster label naming the cluster's Istio network. Defaults to
	// topology.istio.io/network.
	NetworkLabel string `json:"networkLabel,omitempty"`

	// MeshNetworks is Istio's MeshNetworks (istiod's meshNetworks setting): networks with
	// their members (endpoints[].fromRegistry, Istio cluster IDs) and east-west gateways.
	// It takes precedence over the network label and tells which networks have gateways.
	MeshNetworks json.RawMessage `json:"meshNetworks,omitempty"`

	// MeshNetworksFile is a file holding the same, YAML or JSON, for example istiod's
	// meshNetworks ConfigMap key mounted into the scheduler. Read once at start.
	MeshNetworksFile string `json:"meshNetworksFile,omitempty"`

	// EastWestGatewayPenalty is the score a peer on another network costs: the extra hop
	// through its east-west gateway, 0..100. Defaults to 30.
	EastWestGatewayPenalty *int64 `json:"eastWestGatewayPenalty,omitempty"`

	// RequireMeshForAll places every workload on mesh members only, not just those
	// annotated mesh.kurator.dev/required: "true".
	RequireMeshForAll bool `json:"requireMeshForAll,omitempty"`
}

// SetDefaults implements framework.Args.
func (a *Args) SetDefaults() {
	if a.NetworkLabel == "" {
		a.NetworkLabel = DefaultNetworkLabel
	}
	if a.EastWestGatewayPenalty == nil {
		p := int64(30)
		a.EastWestGatewayPenalty = &p
	}
}

var labelKeyRE = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// Validate implements framework.Args. It also parses MeshNetworks and MeshNetworksFile.
func (a *Args) Validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !labelKeyRE.MatchString(a.NetworkLabel) {
		errs = append(errs, field.Invalid(p.Child("networkLabel"), a.NetworkLabel, "must be a label key"))
	}
	if v := *a.EastWestGatewayPenalty; v < 0 || v > 100 {
		errs = append(errs, field.Invalid(p.Child("eastWestGatewayPenalty"), v, "must be 0 to 100"))
	}
	if len(a.MeshNetworks) > 0 && a.MeshNetworksFile != "" {
		errs = append(errs, field.Forbidden(p.Child("meshNetworksFile"), "set meshNetworks or meshNetworksFile, not both"))
	}
	if _, err := a.LoadMeshNetworks(); err != nil {
		path := p.Child("meshNetworks")
		if a.MeshNetworksFile != "" {
			path = p.Child("meshNetworksFile")
		}
		errs = append(errs, field.Invalid(path, "<meshNetworks>", err.Error()))
	}
	return errs
}

// LoadMeshNetworks parses MeshNetworks or MeshNetworksFile; nil when neither is set.
func (a *Args) LoadMeshNetworks() (*meshv1alpha1.MeshNetworks, error) {
	data := []byte(a.MeshNetworks)
	if a.MeshNetworksFile != "" {
		b, err := os.ReadFile(a.MeshNetworksFile)
		if err != nil {
			return nil, fmt.Errorf("reading MeshNetworks: %w", err)
		}
		if data, err = yaml.YAMLToJSON(b); err != nil {
			return nil, fmt.Errorf("%s is not YAML: %w", a.MeshNetworksFile, err)
		}
	}
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	mn := &meshv1alpha1.MeshNetworks{}
	if err := protojson.Unmarshal(data, mn); err != nil {
		return nil, fmt.Errorf("not an Istio MeshNetworks (networks: {<name>: {endpoints: [{fromRegistry: <cluster ID>}], gateways: [{address: <ip>, port: 15443}]}}): %w", err)
	}
	for name, n := range mn.GetNetworks() {
		if strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("a network has an empty name")
		}
		if n == nil {
			return nil, fmt.Errorf("network %q is empty", name)
		}
	}
	return mn, nil
}
