package telemetry

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestConfigDefaults(t *testing.T) {
	c := Default()
	if c.URL != DefaultURL || c.Timeout.Duration != DefaultTimeout || c.RefreshInterval.Duration != DefaultRefreshInterval ||
		c.MaxSampleAge.Duration != DefaultMaxSampleAge || !*c.PartialResponse || !*c.Dedup || c.ClusterLabel != "cluster" {
		t.Errorf("defaults = %+v", c)
	}
	if len(c.Queries.Utilization) != 3 || c.Queries.Utilization[2].Query != DefaultGPUQuery {
		t.Errorf("utilization defaults = %+v", c.Queries.Utilization)
	}
	if errs := c.Validate(field.NewPath("args")); len(errs) != 0 {
		t.Errorf("defaults invalid: %v", errs)
	}
	// An entry naming a known resource gets its default query; custom resources keep theirs.
	c = Config{Queries: Catalogue{Utilization: []UtilizationQuery{{Resource: "memory"}, {Resource: "example.com/fpga", Query: "x"}}}}
	c.SetDefaults()
	if c.Queries.Utilization[0].Query != DefaultMemoryQuery || c.Queries.Utilization[1].Query != "x" {
		t.Errorf("utilization = %+v", c.Queries.Utilization)
	}
}

func TestConfigValidate(t *testing.T) {
	d := func(x time.Duration) *metav1.Duration { return &metav1.Duration{Duration: x} }
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"relative URL", func(c *Config) { c.URL = "thanos:9090" }, "args.url"},
		{"credentials in URL", func(c *Config) { c.URL = "http://u:p@thanos:9090" }, "args.url: Invalid value: \"<redacted>\""},
		{"query in URL", func(c *Config) { c.URL = "http://thanos:9090/?dedup=false" }, "args.url"},
		{"negative timeout", func(c *Config) { c.Timeout = d(-time.Second) }, "args.timeout"},
		{"staleness below refresh", func(c *Config) { c.MaxSampleAge = d(time.Second) }, "args.maxSampleAge"},
		{"bad cluster label", func(c *Config) { c.ClusterLabel = "k8s-cluster" }, "args.clusterLabel"},
		{"bad replica label", func(c *Config) { c.ReplicaLabels = []string{"a b"} }, "args.replicaLabels[0]"},
		{"token and basic auth", func(c *Config) { c.Auth = &Auth{BearerTokenFile: "t", Username: "u", PasswordFile: "p"} }, "args.auth"},
		{"username without password", func(c *Config) { c.Auth = &Auth{Username: "u"} }, "args.auth.passwordFile"},
		{"cert without key", func(c *Config) { c.TLS = &TLS{CertFile: "c"} }, "args.tls.keyFile"},
		{"bad header", func(c *Config) { c.Headers = map[string]string{"X Bad": "1"} }, "args.headers[X Bad]"},
		{"mapping without cluster", func(c *Config) { c.ClusterMapping = []ClusterNameMapping{{ThanosCluster: "x"}} }, "args.clusterMapping[0].cluster"},
		{"useless mapping", func(c *Config) { c.ClusterMapping = []ClusterNameMapping{{Cluster: "x"}} }, "args.clusterMapping[0]"},
		{"duplicate mapping", func(c *Config) {
			c.ClusterMapping = []ClusterNameMapping{{Cluster: "a", ThanosCluster: "x"}, {Cluster: "b", ThanosCluster: "x"}}
		}, "args.clusterMapping[1].thanosCluster"},
		{"unknown resource without query", func(c *Config) {
			c.Queries.Utilization = append(c.Queries.Utilization, UtilizationQuery{Resource: "example.com/fpga"})
		}, "args.queries.utilization[3].query"},
		{"duplicate resource", func(c *Config) {
			c.Queries.Utilization = append(c.Queries.Utilization, UtilizationQuery{Resource: "cpu", Query: "x"})
		}, "args.queries.utilization[3].resource"},
		{"blank latency", func(c *Config) { c.Queries.Latency = "  " }, "args.queries.latency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.mutate(&c)
			c.SetDefaults()
			errs := c.Validate(field.NewPath("args"))
			if len(errs) == 0 {
				t.Fatalf("no error; want one at %s", tc.want)
			}
			if !strings.Contains(errs.ToAggregate().Error(), tc.want) {
				t.Errorf("errors %q do not name %s", errs.ToAggregate(), tc.want)
			}
		})
	}
}
