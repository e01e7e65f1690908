package localup

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// ScenarioAPIVersion and ScenarioKind identify a scenario file.
const (
	ScenarioAPIVersion = "localup.kurator.dev/v1alpha1"
	ScenarioKind       = "Scenario"
)

// Scenario describes the simulated fleet kurator-up runs: the member clusters, their
// nodes and Volcano set-up, the synthetic utilization each member reports and the
// Istio mesh traffic between them.
type Scenario struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Name names the scenario in progress lines and status output.
	Name string `json:"name"`
	// BasePort is the first loopback port of the range kurator-up uses (default 30000).
	BasePort int `json:"basePort,omitempty"`
	// Members are the simulated member clusters joined to Karmada.
	Members []Member `json:"members"`
	// Mesh is the Istio traffic the synthetic exporter reports.
	Mesh Mesh `json:"mesh,omitempty"`
}

// Member is one simulated member cluster.
type Member struct {
	// Name is the Karmada Cluster name (and the Thanos `cluster` label and Istio cluster ID).
	Name     string            `json:"name"`
	Provider string            `json:"provider,omitempty"`
	Region   string            `json:"region,omitempty"`
	Zone     string            `json:"zone,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	// Network is the Istio network (label topology.istio.io/network on the Cluster).
	Network string `json:"network,omitempty"`
	// NodePools are groups of identical kwok nodes.
	NodePools []NodePool `json:"nodePools"`
	// Utilization is the background load the synthetic exporter reports for every node.
	Utilization Utilization `json:"utilization,omitempty"`
	// Volcano configures the member's Volcano scheduler and queues.
	Volcano Volcano `json:"volcano,omitempty"`
}

// NodePool is a group of identical fake nodes.
type NodePool struct {
	Name   string            `json:"name"`
	Count  int               `json:"count"`
	CPU    resource.Quantity `json:"cpu"`
	Memory resource.Quantity `json:"memory"`
	// Pods is the pod capacity of each node (default 110).
	Pods int `json:"pods,omitempty"`
	// GPU is the number of nvidia.com/gpu devices of each node.
	GPU    int               `json:"gpu,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	Taints []corev1.Taint    `json:"taints,omitempty"`
}

// Utilization is a fraction (0..1) of each resource in use.
type Utilization struct {
	CPU    float64 `json:"cpu,omitempty"`
	Memory float64 `json:"memory,omitempty"`
	GPU    float64 `json:"gpu,omitempty"`
}

// Volcano is a member's Volcano configuration.
type Volcano struct {
	// EnqueuePlugin is the queue admission plugin: "proportion" (default) or "capacity".
	EnqueuePlugin string `json:"enqueuePlugin,omitempty"`
	// Preemption turns on Volcano's preempt and reclaim actions.
	Preemption bool `json:"preemption,omitempty"`
	// Queues are created in the member besides Volcano's own root and default queues.
	Queues []VolcanoQueue `json:"queues,omitempty"`
}

// VolcanoQueue is a Volcano Queue created in a member.
type VolcanoQueue struct {
	Name        string              `json:"name"`
	Weight      int32               `json:"weight,omitempty"`
	Reclaimable *bool               `json:"reclaimable,omitempty"`
	Capability  corev1.ResourceList `json:"capability,omitempty"`
	Guarantee   corev1.ResourceList `json:"guarantee,omitempty"`
	Deserved    corev1.ResourceList `json:"deserved,omitempty"`
}

// Mesh is the Istio mesh model of the scenario.
type Mesh struct {
	// Local is the latency inside one cluster (default p50 1 ms, p99 4 ms).
	Local *Latency `json:"local,omitempty"`
	// Links are latencies between two clusters; a link holds both ways unless the reverse is listed.
	Links []Link `json:"links,omitempty"`
	// Traffic are request flows from a workload to a service.
	Traffic []Flow `json:"traffic,omitempty"`
}

// Latency is a request latency distribution in milliseconds.
type Latency struct {
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
}

// Link is the latency from one cluster to another.
type Link struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Latency `json:",inline"`
}

// Flow is a stream of requests from a workload in one cluster to a service in another (or the same).
type Flow struct {
	Source      Endpoint `json:"source"`
	Destination Endpoint `json:"destination"`
	// RPS is requests per second.
	RPS float64 `json:"rps"`
}

// Endpoint is one side of a flow: a workload (source) or service (destination) in a cluster.
type Endpoint struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace,omitempty"`
	Workload  string `json:"workload,omitempty"`
	Service   string `json:"service,omitempty"`
}

// Default values of a scenario.
const (
	DefaultBasePort      = 30000
	DefaultPodsPerNode   = 110
	DefaultEnqueuePlugin = "proportion"
)

// LoadScenario reads, strictly decodes, defaults and validates a scenario file. Errors name
// the file and the offending field.
func LoadScenario(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading scenario file %s: %w", path, err)
	}
	s, err := ParseScenario(data)
	if err != nil {
		return nil, fmt.Errorf("scenario file %s: %w", path, err)
	}
	return s, nil
}

// ParseScenario strictly decodes, defaults and validates a scenario.
func ParseScenario(data []byte) (*Scenario, error) {
	s := &Scenario{}
	if err := yaml.UnmarshalStrict(data, s); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	s.Default()
	if errs := s.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("invalid: %w", errs.ToAggregate())
	}
	return s, nil
}

// Default fills in unset optional fields.
func (s *Scenario) Default() {
	if s.BasePort == 0 {
		s.BasePort = DefaultBasePort
	}
	for i := range s.Members {
		m := &s.Members[i]
		for j := range m.NodePools {
			if m.NodePools[j].Pods == 0 {
				m.NodePools[j].Pods = DefaultPodsPerNode
			}
		}
		if m.Volcano.EnqueuePlugin == "" {
			m.Volcano.EnqueuePlugin = DefaultEnqueuePlugin
		}
	}
	if s.Mesh.Local == nil {
		s.Mesh.Local = &Latency{P50Ms: 1, P99Ms: 4}
	}
	for i := range s.Mesh.Traffic {
		for _, e := range []*Endpoint{&s.Mesh.Traffic[i].Source, &s.Mesh.Traffic[i].Destination} {
			if e.Namespace == "" {
				e.Namespace = "default"
			}
		}
	}
}

// Validate returns every problem of the scenario with its field path.
func (s *Scenario) Validate() field.ErrorList {
	var errs field.ErrorList
	if s.APIVersion != ScenarioAPIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), s.APIVersion, []string{ScenarioAPIVersion}))
	}
	if s.Kind != ScenarioKind {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), s.Kind, []string{ScenarioKind}))
	}
	if s.Name == "" {
		errs = append(errs, field.Required(field.NewPath("name"), "name the scenario"))
	}
	if s.BasePort < 1024 || s.BasePort+PortRangeSize(len(s.Members)) > 65535 {
		errs = append(errs, field.Invalid(field.NewPath("basePort"), s.BasePort,
			fmt.Sprintf("must leave room for %d ports between 1024 and 65535", PortRangeSize(len(s.Members)))))
	}
	membersPath := field.NewPath("members")
	if len(s.Members) == 0 {
		errs = append(errs, field.Required(membersPath, "list at least one member cluster"))
	}
	names := sets.New[string]()
	for i := range s.Members {
		p := membersPath.Index(i)
		m := &s.Members[i]
		errs = append(errs, validateMember(m, p)...)
		if names.Has(m.Name) {
			errs = append(errs, field.Duplicate(p.Child("name"), m.Name))
		}
		names.Insert(m.Name)
	}
	errs = append(errs, validateMesh(&s.Mesh, names, field.NewPath("mesh"))...)
	return errs
}

func validateMember(m *Member, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(m.Name) {
		errs = append(errs, field.Invalid(p.Child("name"), m.Name, msg))
	}
	errs = append(errs, validateLabels(m.Labels, p.Child("labels"))...)
	if len(m.NodePools) == 0 {
		errs = append(errs, field.Required(p.Child("nodePools"), "give the member at least one node pool"))
	}
	pools := sets.New[string]()
	for j := range m.NodePools {
		np := &m.NodePools[j]
		pp := p.Child("nodePools").Index(j)
		for _, msg := range validation.IsDNS1123Label(np.Name) {
			errs = append(errs, field.Invalid(pp.Child("name"), np.Name, msg))
		}
		if pools.Has(np.Name) {
			errs = append(errs, field.Duplicate(pp.Child("name"), np.Name))
		}
		pools.Insert(np.Name)
		if np.Count < 1 || np.Count > 1000 {
			errs = append(errs, field.Invalid(pp.Child("count"), np.Count, "must be between 1 and 1000"))
		}
		if np.CPU.Sign() <= 0 {
			errs = append(errs, field.Invalid(pp.Child("cpu"), np.CPU.String(), "must be a positive quantity such as \"16\" or \"500m\""))
		}
		if np.Memory.Sign() <= 0 {
			errs = append(errs, field.Invalid(pp.Child("memory"), np.Memory.String(), "must be a positive quantity such as \"64Gi\""))
		}
		if np.Pods < 1 {
			errs = append(errs, field.Invalid(pp.Child("pods"), np.Pods, "must be at least 1"))
		}
		if np.GPU < 0 {
			errs = append(errs, field.Invalid(pp.Child("gpu"), np.GPU, "must not be negative"))
		}
		errs = append(errs, validateLabels(np.Labels, pp.Child("labels"))...)
		for k, t := range np.Taints {
			tp := pp.Child("taints").Index(k)
			for _, msg := range validation.IsQualifiedName(t.Key) {
				errs = append(errs, field.Invalid(tp.Child("key"), t.Key, msg))
			}
			switch t.Effect {
			case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
			default:
				errs = append(errs, field.NotSupported(tp.Child("effect"), t.Effect,
					[]string{string(corev1.TaintEffectNoSchedule), string(corev1.TaintEffectPreferNoSchedule), string(corev1.TaintEffectNoExecute)}))
			}
		}
	}
	up := p.Child("utilization")
	for name, v := range map[string]float64{"cpu": m.Utilization.CPU, "memory": m.Utilization.Memory, "gpu": m.Utilization.GPU} {
		if math.IsNaN(v) || v < 0 || v > 1 {
			errs = append(errs, field.Invalid(up.Child(name), v, "must be a fraction between 0 and 1"))
		}
	}
	vp := p.Child("volcano")
	if m.Volcano.EnqueuePlugin != "proportion" && m.Volcano.EnqueuePlugin != "capacity" {
		errs = append(errs, field.NotSupported(vp.Child("enqueuePlugin"), m.Volcano.EnqueuePlugin, []string{"proportion", "capacity"}))
	}
	queues := sets.New[string]("root", "default")
	for j, q := range m.Volcano.Queues {
		qp := vp.Child("queues").Index(j)
		for _, msg := range validation.IsDNS1123Subdomain(q.Name) {
			errs = append(errs, field.Invalid(qp.Child("name"), q.Name, msg))
		}
		if queues.Has(q.Name) {
			errs = append(errs, field.Duplicate(qp.Child("name"), q.Name))
		}
		queues.Insert(q.Name)
		if q.Weight < 0 {
			errs = append(errs, field.Invalid(qp.Child("weight"), q.Weight, "must not be negative"))
		}
	}
	return errs
}

func validateLabels(labels map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(labels) {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p.Key(k), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(labels[k]) {
			errs = append(errs, field.Invalid(p.Key(k), labels[k], msg))
		}
	}
	return errs
}

func validateLatency(l Latency, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !(l.P50Ms > 0) || math.IsInf(l.P50Ms, 0) {
		errs = append(errs, field.Invalid(p.Child("p50Ms"), l.P50Ms, "must be a positive number of milliseconds"))
	}
	if !(l.P99Ms >= l.P50Ms) || math.IsInf(l.P99Ms, 0) {
		errs = append(errs, field.Invalid(p.Child("p99Ms"), l.P99Ms, "must be a number of milliseconds at least p50Ms"))
	}
	return errs
}

func validateMesh(mesh *Mesh, members sets.Set[string], p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if mesh.Local != nil {
		errs = append(errs, validateLatency(*mesh.Local, p.Child("local"))...)
	}
	seen := sets.New[[2]string]()
	for i, l := range mesh.Links {
		lp := p.Child("links").Index(i)
		if !members.Has(l.From) {
			errs = append(errs, field.NotFound(lp.Child("from"), l.From))
		}
		if !members.Has(l.To) {
			errs = append(errs, field.NotFound(lp.Child("to"), l.To))
		}
		if l.From == l.To {
			errs = append(errs, field.Invalid(lp.Child("to"), l.To, "a link joins two different clusters; set mesh.local for latency inside a cluster"))
		}
		if seen.Has([2]string{l.From, l.To}) {
			errs = append(errs, field.Duplicate(lp, l.From+" -> "+l.To))
		}
		seen.Insert([2]string{l.From, l.To})
		errs = append(errs, validateLatency(l.Latency, lp)...)
	}
	for i, f := range mesh.Traffic {
		fp := p.Child("traffic").Index(i)
		if !members.Has(f.Source.Cluster) {
			errs = append(errs, field.NotFound(fp.Child("source", "cluster"), f.Source.Cluster))
		}
		if !members.Has(f.Destination.Cluster) {
			errs = append(errs, field.NotFound(fp.Child("destination", "cluster"), f.Destination.Cluster))
		}
		if f.Source.Workload == "" {
			errs = append(errs, field.Required(fp.Child("source", "workload"), "name the calling workload"))
		}
		if f.Destination.Service == "" {
			errs = append(errs, field.Required(fp.Child("destination", "service"), "name the called service"))
		}
		if !(f.RPS > 0) || math.IsInf(f.RPS, 0) {
			errs = append(errs, field.Invalid(fp.Child("rps"), f.RPS, "must be a positive number of requests per second"))
		}
		if f.Source.Cluster != f.Destination.Cluster && members.Has(f.Source.Cluster) && members.Has(f.Destination.Cluster) {
			if _, ok := mesh.LinkLatency(f.Source.Cluster, f.Destination.Cluster); !ok {
				errs = append(errs, field.Required(p.Child("links"),
					fmt.Sprintf("traffic[%d] goes from %s to %s: add a link between them", i, f.Source.Cluster, f.Destination.Cluster)))
			}
		}
	}
	return errs
}

// LinkLatency returns the latency from one cluster to another: the link as listed, else the
// reverse link, else the local latency when both are the same cluster.
func (m *Mesh) LinkLatency(from, to string) (Latency, bool) {
	if from == to && m.Local != nil {
		return *m.Local, true
	}
	for _, l := range m.Links {
		if l.From == from && l.To == to {
			return l.Latency, true
		}
	}
	for _, l := range m.Links {
		if l.From == to && l.To == from {
			return l.Latency, true
		}
	}
	return Latency{}, false
}

// Member returns the member of that name.
func (s *Scenario) Member(name string) (*Member, bool) {
	for i := range s.Members {
		if s.Members[i].Name == name {
			return &s.Members[i], true
		}
	}
	return nil, false
}

// MemberNames returns the member names in scenario order.
func (s *Scenario) MemberNames() []string {
	out := make([]string, 0, len(s.Members))
	for _, m := range s.Members {
		out = append(out, m.Name)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ScenarioHash identifies the content of a scenario file.
func ScenarioHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// FileHash is the ScenarioHash of a file.
func FileHash(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return ScenarioHash(data), nil
}
