package telemetry

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// ConfigAPIVersion and ConfigKind identify a Config in a scheduler profile's pluginConfig.
const (
	ConfigAPIVersion = "config.kurator.dev/v1alpha1"
	ConfigKind       = "TelemetryArgs"
)

// Defaults of Config.
const (
	DefaultURL             = "http://thanos-query.monitoring.svc:9090"
	DefaultClusterLabel    = "cluster"
	DefaultTimeout         = 5 * time.Second
	DefaultRefreshInterval = 10 * time.Second
	DefaultMaxSampleAge    = 60 * time.Second
)

// GPUResource is the resource name of NVIDIA GPUs, the one DCGM utilization describes.
const GPUResource corev1.ResourceName = "nvidia.com/gpu"

// Default queries. They work with node_exporter, DCGM exporter and Istio's standard metrics
// behind a Thanos Query whose stores carry a `cluster` external label.
const (
	DefaultCPUQuery       = `1 - avg by (cluster) (irate(node_cpu_seconds_total{mode="idle"}[1m]))`
	DefaultMemoryQuery    = `1 - sum by (cluster) (node_memory_MemAvailable_bytes) / sum by (cluster) (node_memory_MemTotal_bytes)`
	DefaultGPUQuery       = `avg by (cluster) (DCGM_FI_DEV_GPU_UTIL) / 100`
	DefaultFreshnessQuery = `max by (cluster) (timestamp(node_memory_MemAvailable_bytes))`
	DefaultLatencyQuery   = `histogram_quantile(0.99, sum by (source_cluster, destination_cluster, le) (rate(istio_request_duration_milliseconds_bucket{reporter="source"}[1m])))`
	DefaultRequestsQuery  = `sum by (source_cluster, source_workload, source_workload_namespace, destination_cluster, destination_service_name, destination_service_namespace) (rate(istio_requests_total{reporter="source"}[1m]))`
)

// defaultUtilizationQueries are the queries used for a utilization entry that names a
// known resource and no query.
var defaultUtilizationQueries = map[corev1.ResourceName]string{
	corev1.ResourceCPU:    DefaultCPUQuery,
	corev1.ResourceMemory: DefaultMemoryQuery,
	GPUResource:           DefaultGPUQuery,
}

// Istio label names the latency and request-rate queries must keep.
const (
	LabelSourceCluster                = "source_cluster"
	LabelSourceWorkload               = "source_workload"
	LabelSourceWorkloadNamespace      = "source_workload_namespace"
	LabelDestinationCluster           = "destination_cluster"
	LabelDestinationServiceName       = "destination_service_name"
	LabelDestinationServiceNamespace  = "destination_service_namespace"
	LabelDestinationWorkload          = "destination_workload"
	LabelDestinationWorkloadNamespace = "destination_workload_namespace"
)

// Config configures a Source: where Thanos Query is, how to reach it, what to ask and how
// clusters are named in the answers.
type Config struct {
	metav1.TypeMeta `json:",inline"`

	// URL is the base URL of Thanos Query or of another Prometheus HTTP API, for example
	// "http://thanos-query.monitoring.svc:9090". The API path is appended to it.
	URL string `json:"url,omitempty"`

	// Timeout bounds each query. Defaults to 5s.
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// RefreshInterval is how often the catalogue is queried. Defaults to 10s.
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`

	// MaxSampleAge is the age beyond which a sample is stale and ignored by the plugins.
	// Defaults to 60s.
	MaxSampleAge *metav1.Duration `json:"maxSampleAge,omitempty"`

	// Auth authenticates to the query API.
	Auth *Auth `json:"auth,omitempty"`

	// TLS configures HTTPS to the query API.
	TLS *TLS `json:"tls,omitempty"`

	// Headers are added to every request (for example X-Scope-OrgID).
	Headers map[string]string `json:"headers,omitempty"`

	// PartialResponse asks Thanos to answer with the stores it could reach (and a warning)
	// rather than fail when some are down. Defaults to true.
	PartialResponse *bool `json:"partialResponse,omitempty"`

	// Dedup asks Thanos to merge the series of HA Prometheus replicas. Defaults to true.
	Dedup *bool `json:"dedup,omitempty"`

	// ReplicaLabels are the labels Thanos deduplicates on, when they differ from the ones
	// Thanos Query was started with.
	ReplicaLabels []string `json:"replicaLabels,omitempty"`

	// ClusterLabel is the label that names the member cluster in utilization answers,
	// usually an external label of each member's Prometheus. Defaults to "cluster".
	ClusterLabel string `json:"clusterLabel,omitempty"`

	// ClusterMapping maps Karmada cluster names to the names the same clusters have in
	// Thanos and in Istio, for members whose names differ.
	ClusterMapping []ClusterNameMapping `json:"clusterMapping,omitempty"`

	// IgnoreUnmappedClusters drops answers about clusters that clusterMapping does not name,
	// instead of taking the name as the Karmada name. Defaults to false.
	IgnoreUnmappedClusters bool `json:"ignoreUnmappedClusters,omitempty"`

	// Queries is the catalogue of PromQL run at every refresh.
	Queries Catalogue `json:"queries,omitempty"`
}

// Auth authenticates to the query API: a bearer token file or basic auth.
type Auth struct {
	// BearerTokenFile is read at every request, so that rotated tokens are picked up.
	BearerTokenFile string `json:"bearerTokenFile,omitempty"`
	// Username for basic auth.
	Username string `json:"username,omitempty"`
	// PasswordFile holds the basic auth password.
	PasswordFile string `json:"passwordFile,omitempty"`
}

// TLS configures HTTPS to the query API.
type TLS struct {
	// CAFile verifies the server certificate.
	CAFile string `json:"caFile,omitempty"`
	// CertFile and KeyFile are the client certificate.
	CertFile string `json:"certFile,omitempty"`
	// KeyFile is the client key.
	KeyFile string `json:"keyFile,omitempty"`
	// ServerName overrides the name checked in the server certificate.
	ServerName string `json:"serverName,omitempty"`
	// InsecureSkipVerify disables server certificate checks. For tests only.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// ClusterNameMapping maps one Karmada cluster to its names in Thanos and Istio.
type ClusterNameMapping struct {
	// Cluster is the Karmada Cluster name.
	Cluster string `json:"cluster"`
	// ThanosCluster is the value of clusterLabel in this member's metrics. Defaults to the
	// Karmada name.
	ThanosCluster string `json:"thanosCluster,omitempty"`
	// IstioClusterID is the member's Istio cluster ID (source_cluster, destination_cluster).
	// Defaults to the Karmada name.
	IstioClusterID string `json:"istioClusterID,omitempty"`
}

// Catalogue is the fixed set of queries of every refresh.
type Catalogue struct {
	// Utilization lists per-cluster utilization queries, one per resource; each answers a
	// fraction in [0, 1] per value of clusterLabel. Defaults to cpu, memory and
	// nvidia.com/gpu. An entry without query uses the default of its resource.
	Utilization []UtilizationQuery `json:"utilization,omitempty"`

	// Freshness answers, per value of clusterLabel, the Unix time of the newest raw sample;
	// it dates the utilization samples (an instant query only says when it was evaluated).
	// "-" disables it. Defaults to the newest node_memory_MemAvailable_bytes sample.
	Freshness string `json:"freshness,omitempty"`

	// Latency answers the p99 request latency in milliseconds per source_cluster and
	// destination_cluster (Istio cluster IDs). "-" disables it.
	Latency string `json:"latency,omitempty"`

	// Requests answers requests per second per source_cluster, source_workload,
	// source_workload_namespace, destination_cluster, destination_service_name and
	// destination_service_namespace: the service graph. "-" disables it.
	Requests string `json:"requests,omitempty"`
}

// UtilizationQuery is the utilization query of one resource.
type UtilizationQuery struct {
	// Resource is the resource the query measures, e.g. cpu, memory, nvidia.com/gpu.
	Resource corev1.ResourceName `json:"resource"`
	// Query answers a fraction in [0, 1] per cluster.
	Query string `json:"query,omitempty"`
}

// Disabled is the query text that turns a catalogue entry off.
const Disabled = "-"

// SetDefaults fills in every unset field.
func (c *Config) SetDefaults() {
	if c.URL == "" {
		c.URL = DefaultURL
	}
	if c.Timeout == nil {
		c.Timeout = &metav1.Duration{Duration: DefaultTimeout}
	}
	if c.RefreshInterval == nil {
		c.RefreshInterval = &metav1.Duration{Duration: DefaultRefreshInterval}
	}
	if c.MaxSampleAge == nil {
		c.MaxSampleAge = &metav1.Duration{Duration: DefaultMaxSampleAge}
	}
	if c.PartialResponse == nil {
		c.PartialResponse = ptr.To(true)
	}
	if c.Dedup == nil {
		c.Dedup = ptr.To(true)
	}
	if c.ClusterLabel == "" {
		c.ClusterLabel = DefaultClusterLabel
	}
	if c.Queries.Utilization == nil {
		c.Queries.Utilization = []UtilizationQuery{
			{Resource: corev1.ResourceCPU}, {Resource: corev1.ResourceMemory}, {Resource: GPUResource},
		}
	}
	for i := range c.Queries.Utilization {
		u := &c.Queries.Utilization[i]
		if u.Query == "" {
			u.Query = defaultUtilizationQueries[u.Resource]
		}
	}
	if c.Queries.Freshness == "" {
		c.Queries.Freshness = DefaultFreshnessQuery
	}
	if c.Queries.Latency == "" {
		c.Queries.Latency = DefaultLatencyQuery
	}
	if c.Queries.Requests == "" {
		c.Queries.Requests = DefaultRequestsQuery
	}
}

// Default returns a Config with every default set.
func Default() Config {
	var c Config
	c.SetDefaults()
	return c
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Validate checks a defaulted Config; fldPath is where it sits in the profile.
func (c *Config) Validate(fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateURL(c.URL, fldPath.Child("url"))...)
	for name, d := range map[string]*metav1.Duration{"timeout": c.Timeout, "refreshInterval": c.RefreshInterval, "maxSampleAge": c.MaxSampleAge} {
		if d != nil && d.Duration <= 0 {
			errs = append(errs, field.Invalid(fldPath.Child(name), d.Duration.String(), "must be a positive duration such as 10s"))
		}
	}
	if c.MaxSampleAge != nil && c.RefreshInterval != nil && c.MaxSampleAge.Duration > 0 && c.MaxSampleAge.Duration < c.RefreshInterval.Duration {
		errs = append(errs, field.Invalid(fldPath.Child("maxSampleAge"), c.MaxSampleAge.Duration.String(),
			fmt.Sprintf("must be at least refreshInterval (%s), or every sample would be stale before the next refresh", c.RefreshInterval.Duration)))
	}
	if !labelNameRE.MatchString(c.ClusterLabel) {
		errs = append(errs, field.Invalid(fldPath.Child("clusterLabel"), c.ClusterLabel, "must be a Prometheus label name such as cluster"))
	}
	for i, l := range c.ReplicaLabels {
		if !labelNameRE.MatchString(l) {
			errs = append(errs, field.Invalid(fldPath.Child("replicaLabels").Index(i), l, "must be a Prometheus label name"))
		}
	}
	if a := c.Auth; a != nil {
		p := fldPath.Child("auth")
		if a.BearerTokenFile != "" && (a.Username != "" || a.PasswordFile != "") {
			errs = append(errs, field.Forbidden(p, "set either bearerTokenFile or username/passwordFile, not both"))
		}
		if (a.Username == "") != (a.PasswordFile == "") {
			errs = append(errs, field.Required(p.Child("passwordFile"), "basic auth needs both username and passwordFile"))
		}
	}
	if t := c.TLS; t != nil && (t.CertFile == "") != (t.KeyFile == "") {
		errs = append(errs, field.Required(fldPath.Child("tls", "keyFile"), "a client certificate needs both certFile and keyFile"))
	}
	for k := range c.Headers {
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, " :\r\n") {
			errs = append(errs, field.Invalid(fldPath.Child("headers").Key(k), k, "must be an HTTP header name"))
		}
	}
	errs = append(errs, validateMapping(c.ClusterMapping, fldPath.Child("clusterMapping"))...)
	errs = append(errs, c.Queries.validate(fldPath.Child("queries"))...)
	return errs
}

func validateURL(raw string, p *field.Path) field.ErrorList {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return field.ErrorList{field.Invalid(p, raw, err.Error())}
	case u.Scheme != "http" && u.Scheme != "https":
		return field.ErrorList{field.Invalid(p, raw, "must be an http or https URL such as http://thanos-query.monitoring.svc:9090")}
	case u.Host == "":
		return field.ErrorList{field.Invalid(p, raw, "must have a host")}
	case u.User != nil:
		return field.ErrorList{field.Invalid(p, "<redacted>", "must not carry credentials: use auth")}
	case u.RawQuery != "" || u.Fragment != "":
		return field.ErrorList{field.Invalid(p, raw, "must not have a query or fragment")}
	}
	return nil
}

func validateMapping(m []ClusterNameMapping, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]map[string]int{"cluster": {}, "thanosCluster": {}, "istioClusterID": {}}
	for i, e := range m {
		ip := p.Index(i)
		if e.Cluster == "" {
			errs = append(errs, field.Required(ip.Child("cluster"), "the Karmada cluster name"))
		}
		if e.ThanosCluster == "" && e.IstioClusterID == "" {
			errs = append(errs, field.Required(ip, "set thanosCluster or istioClusterID: an entry that renames nothing is useless"))
		}
		for name, v := range map[string]string{"cluster": e.Cluster, "thanosCluster": e.ThanosCluster, "istioClusterID": e.IstioClusterID} {
			if v == "" {
				continue
			}
			if j, dup := seen[name][v]; dup {
				errs = append(errs, field.Duplicate(ip.Child(name), fmt.Sprintf("%s (also in entry %d)", v, j)))
			}
			seen[name][v] = i
		}
	}
	return errs
}

func (q *Catalogue) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[corev1.ResourceName]bool{}
	for i, u := range q.Utilization {
		ip := p.Child("utilization").Index(i)
		switch {
		case u.Resource == "":
			errs = append(errs, field.Required(ip.Child("resource"), "the resource the query measures, e.g. cpu"))
		case seen[u.Resource]:
			errs = append(errs, field.Duplicate(ip.Child("resource"), u.Resource))
		}
		seen[u.Resource] = true
		if strings.TrimSpace(u.Query) == "" {
			errs = append(errs, field.Required(ip.Child("query"), fmt.Sprintf("there is no default query for %q", u.Resource)))
		}
	}
	for name, v := range map[string]string{"freshness": q.Freshness, "latency": q.Latency, "requests": q.Requests} {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, field.Required(p.Child(name), `a PromQL query, or "-" to disable it`))
		}
	}
	return errs
}
