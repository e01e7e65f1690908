package validation

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"kurator.dev/kurator/pkg/apis/fleet"
)

// validFleet is a fleet with every optional part set and valid.
func validFleet() *fleet.Fleet {
	return &fleet.Fleet{
		ObjectMeta: metav1.ObjectMeta{Name: "prod", ResourceVersion: "1"},
		Spec: fleet.FleetSpec{
			Clusters:        []string{"member1", "member2"},
			ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}},
			Telemetry: &fleet.FleetTelemetry{
				ThanosQueryURL: "https://thanos-query.monitoring.svc:9090/thanos",
				ClusterLabel:   "cluster",
				ClusterMapping: []fleet.ClusterNameMapping{
					{Cluster: "member1", ThanosCluster: "m1", IstioClusterID: "cluster-1"},
					{Cluster: "member2", IstioClusterID: "cluster-2"},
				},
			},
			Mesh: &fleet.FleetMesh{Networks: []fleet.MeshNetwork{
				{Name: "net1", Clusters: []string{"member1"}, Gateways: []fleet.MeshGateway{{Address: "10.0.0.1", Port: 15443}}},
				{Name: "net2", Clusters: []string{"member2"}, Gateways: []fleet.MeshGateway{{Address: "eastwest.net2.example.com", Port: 443}}},
			}},
			Batch: &fleet.FleetBatch{DefaultQueue: "default", DefaultPriorityClassName: "batch-low", Preemption: fleet.PreemptLowerPriority},
		},
	}
}

// wantErr is one expected error: its type, exact field path and exact detail.
type wantErr struct {
	typ    field.ErrorType
	field  string
	detail string
}

func TestValidateFleet(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(f *fleet.Fleet)
		want   []wantErr
	}{
		{
			name:   "valid",
			mutate: func(*fleet.Fleet) {},
		},
		{
			name:   "names only",
			mutate: func(f *fleet.Fleet) { f.Spec.ClusterSelector = nil },
		},
		{
			name:   "selector only",
			mutate: func(f *fleet.Fleet) { f.Spec.Clusters = nil },
		},
		{
			name:   "invalid fleet name",
			mutate: func(f *fleet.Fleet) { f.Name = "Prod.Fleet" },
			want: []wantErr{{field.ErrorTypeInvalid, "metadata.name",
				"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"}},
		},
		{
			name:   "namespace on a cluster-scoped kind",
			mutate: func(f *fleet.Fleet) { f.Namespace = "default" },
			want:   []wantErr{{field.ErrorTypeForbidden, "metadata.namespace", "not allowed on this type"}},
		},
		{
			name: "no names and no selector",
			mutate: func(f *fleet.Fleet) {
				f.Spec.Clusters = nil
				f.Spec.ClusterSelector = nil
			},
			want: []wantErr{{field.ErrorTypeRequired, "spec.clusters",
				"a fleet needs members: name Karmada clusters in spec.clusters or select them with spec.clusterSelector"}},
		},
		{
			name: "empty selector and no names",
			mutate: func(f *fleet.Fleet) {
				f.Spec.Clusters = nil
				f.Spec.ClusterSelector = &metav1.LabelSelector{}
			},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.clusterSelector",
				"must not be empty: an empty selector would make every cluster a member; set matchLabels or matchExpressions, or name the clusters in spec.clusters"}},
		},
		{
			name:   "empty selector beside names",
			mutate: func(f *fleet.Fleet) { f.Spec.ClusterSelector = &metav1.LabelSelector{} },
			want: []wantErr{{field.ErrorTypeInvalid, "spec.clusterSelector",
				"must not be empty: an empty selector would make every cluster a member; set matchLabels or matchExpressions, or name the clusters in spec.clusters"}},
		},
		{
			name: "malformed selector",
			mutate: func(f *fleet.Fleet) {
				f.Spec.ClusterSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "env", Operator: "Near", Values: []string{"prod"}},
				}}
			},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.clusterSelector.matchExpressions[0].operator", `not a valid selector operator`}},
		},
		{
			name:   "duplicate cluster names",
			mutate: func(f *fleet.Fleet) { f.Spec.Clusters = []string{"member1", "member2", "member1"} },
			want:   []wantErr{{field.ErrorTypeDuplicate, "spec.clusters[2]", ""}},
		},
		{
			name:   "invalid cluster name",
			mutate: func(f *fleet.Fleet) { f.Spec.Clusters = []string{"Member_1"} },
			want: []wantErr{{field.ErrorTypeInvalid, "spec.clusters[0]",
				"must be a valid Karmada cluster name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"}},
		},
		{
			name:   "cluster name longer than Karmada allows",
			mutate: func(f *fleet.Fleet) { f.Spec.Clusters = []string{strings.Repeat("a", 49)} },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.clusters[0]", "must be a valid Karmada cluster name: must be no more than 48 characters"}},
		},
		{
			name:   "missing query URL",
			mutate: func(f *fleet.Fleet) { f.Spec.Telemetry.ThanosQueryURL = "" },
			want: []wantErr{{field.ErrorTypeRequired, "spec.telemetry.thanosQueryURL",
				"the base URL of the Thanos Query API, for example http://thanos-query.monitoring.svc:9090"}},
		},
		{
			name:   "query URL that does not parse",
			mutate: func(f *fleet.Fleet) { f.Spec.Telemetry.ThanosQueryURL = "http://thanos:90x0" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.telemetry.thanosQueryURL", `must be a URL: invalid port ":90x0" after host`}},
		},
		{
			name:   "query URL with another scheme",
			mutate: func(f *fleet.Fleet) { f.Spec.Telemetry.ThanosQueryURL = "grpc://thanos-query:10901" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.telemetry.thanosQueryURL", "must be an absolute URL with scheme http or https"}},
		},
		{
			name:   "relative query URL",
			mutate: func(f *fleet.Fleet) { f.Spec.Telemetry.ThanosQueryURL = "thanos-query:9090" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.telemetry.thanosQueryURL", "must be an absolute URL with scheme http or https"}},
		},
		{
			name:   "query URL without host",
			mutate: func(f *fleet.Fleet) { f.Spec.Telemetry.ThanosQueryURL = "http:///api" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.telemetry.thanosQueryURL", "must have a host"}},
		},
		{
			name: "query URL with credentials, query and fragment",
			mutate: func(f *fleet.Fleet) {
				f.Spec.Telemetry.ThanosQueryURL = "https://admin:secret@thanos:9090/?dedup=true#x"
			},
			want: []wantErr{
				{field.ErrorTypeInvalid, "spec.telemetry.thanosQueryURL", "must not contain user information; credentials do not belong in a fleet spec"},
				{field.ErrorTypeInvalid, "spec.telemetry.thanosQueryURL", "must not have a query; kurator adds the query parameters of each request"},
				{field.ErrorTypeInvalid, "spec.telemetry.thanosQueryURL", "must not have a fragment"},
			},
		},
		{
			name:   "invalid cluster label",
			mutate: func(f *fleet.Fleet) { f.Spec.Telemetry.ClusterLabel = "cluster-name" },
			want: []wantErr{{field.ErrorTypeInvalid, "spec.telemetry.clusterLabel",
				"must be a Prometheus label name: a letter or '_' followed by letters, digits and '_' (regex ^[a-zA-Z_][a-zA-Z0-9_]*$)"}},
		},
		{
			name:   "reserved cluster label",
			mutate: func(f *fleet.Fleet) { f.Spec.Telemetry.ClusterLabel = "__name__" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.telemetry.clusterLabel", `must not start with "__", which Prometheus reserves for internal labels`}},
		},
		{
			name: "mapping entries without cluster, without names, and duplicated",
			mutate: func(f *fleet.Fleet) {
				f.Spec.Telemetry.ClusterMapping = []fleet.ClusterNameMapping{
					{ThanosCluster: "m0"},
					{Cluster: "member1"},
					{Cluster: "member2", ThanosCluster: "m2", IstioClusterID: "c2"},
					{Cluster: "member2", ThanosCluster: "m2", IstioClusterID: "c2"},
				}
			},
			want: []wantErr{
				{field.ErrorTypeRequired, "spec.telemetry.clusterMapping[0].cluster", "the Karmada cluster name"},
				{field.ErrorTypeRequired, "spec.telemetry.clusterMapping[1]",
					"set thanosCluster, istioClusterID or both; a member whose names equal its Karmada name needs no mapping entry"},
				{field.ErrorTypeDuplicate, "spec.telemetry.clusterMapping[3].cluster", ""},
				{field.ErrorTypeDuplicate, "spec.telemetry.clusterMapping[3].thanosCluster", ""},
				{field.ErrorTypeDuplicate, "spec.telemetry.clusterMapping[3].istioClusterID", ""},
			},
		},
		{
			name: "mapping with bad names",
			mutate: func(f *fleet.Fleet) {
				f.Spec.Telemetry.ClusterMapping = []fleet.ClusterNameMapping{{Cluster: "Member1", ThanosCluster: " m1", IstioClusterID: "cluster 1"}}
			},
			want: []wantErr{
				{field.ErrorTypeInvalid, "spec.telemetry.clusterMapping[0].cluster",
					"must be a valid Karmada cluster name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"},
				{field.ErrorTypeInvalid, "spec.telemetry.clusterMapping[0].thanosCluster", "must not begin or end with whitespace"},
				{field.ErrorTypeInvalid, "spec.telemetry.clusterMapping[0].istioClusterID",
					"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"},
			},
		},
		{
			name: "mesh networks: missing name, duplicate name, no clusters, cluster on two networks",
			mutate: func(f *fleet.Fleet) {
				f.Spec.Mesh.Networks = []fleet.MeshNetwork{
					{Name: "net1", Clusters: []string{"member1"}},
					{Name: "net1", Clusters: []string{"member1", "member2"}},
					{Clusters: []string{"member3"}},
					{Name: "net4"},
				}
			},
			want: []wantErr{
				{field.ErrorTypeDuplicate, "spec.mesh.networks[1].name", ""},
				{field.ErrorTypeInvalid, "spec.mesh.networks[1].clusters[0]", "a cluster can be on only one network, and this one is already in spec.mesh.networks[0].clusters[0]"},
				{field.ErrorTypeRequired, "spec.mesh.networks[2].name", "the Istio network name (the topology.istio.io/network label value)"},
				{field.ErrorTypeRequired, "spec.mesh.networks[3].clusters", "the Karmada clusters on this network"},
			},
		},
		{
			name: "mesh gateways",
			mutate: func(f *fleet.Fleet) {
				f.Spec.Mesh.Networks[0].Gateways = []fleet.MeshGateway{
					{Port: 15443},
					{Address: "Gateway_1", Port: 15443},
					{Address: "fd00::1", Port: 70000},
				}
			},
			want: []wantErr{
				{field.ErrorTypeRequired, "spec.mesh.networks[0].gateways[0].address", "the IP address or DNS name of the east-west gateway"},
				{field.ErrorTypeInvalid, "spec.mesh.networks[0].gateways[1].address", "must be an IP address or a DNS name (a lowercase RFC 1123 subdomain)"},
				{field.ErrorTypeInvalid, "spec.mesh.networks[0].gateways[2].port", "must be between 1 and 65535, inclusive"},
			},
		},
		{
			name:   "unknown preemption policy",
			mutate: func(f *fleet.Fleet) { f.Spec.Batch.Preemption = "Always" },
			want:   []wantErr{{field.ErrorTypeNotSupported, "spec.batch.preemption", `supported values: "Never", "LowerPriority"`}},
		},
		{
			name: "invalid queue and priority class names",
			mutate: func(f *fleet.Fleet) {
				f.Spec.Batch.DefaultQueue = "Queue"
				f.Spec.Batch.DefaultPriorityClassName = "high priority"
			},
			want: []wantErr{
				{field.ErrorTypeInvalid, "spec.batch.defaultQueue",
					"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
				{field.ErrorTypeInvalid, "spec.batch.defaultPriorityClassName",
					"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := validFleet()
			tt.mutate(f)
			assertErrors(t, ValidateFleet(f), tt.want)
		})
	}
}

func TestValidateFleetUpdate(t *testing.T) {
	old := validFleet()

	changed := validFleet()
	changed.Spec.Clusters = []string{"member3"}
	changed.Spec.Batch.Preemption = fleet.PreemptNever
	assertErrors(t, ValidateFleetUpdate(changed, old), nil)

	renamed := validFleet()
	renamed.Name = "other"
	renamed.Spec.Telemetry.ThanosQueryURL = "ftp://thanos"
	assertErrors(t, ValidateFleetUpdate(renamed, old), []wantErr{
		{field.ErrorTypeInvalid, "metadata.name", "field is immutable"},
		{field.ErrorTypeInvalid, "spec.telemetry.thanosQueryURL", "must be an absolute URL with scheme http or https"},
	})

	// Through the status subresource only metadata is checked: the spec is reset to the
	// stored one before validation anyway.
	badSpec := validFleet()
	badSpec.Spec = fleet.FleetSpec{}
	assertErrors(t, ValidateFleetStatusUpdate(badSpec, old), nil)
}

func assertErrors(t *testing.T, got field.ErrorList, want []wantErr) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(got), len(want), describe(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Type != w.typ || g.Field != w.field || g.Detail != w.detail {
			t.Errorf("error %d:\n got  %s %s: %q\n want %s %s: %q", i, g.Type, g.Field, g.Detail, w.typ, w.field, w.detail)
		}
	}
}

func describe(errs field.ErrorList) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("  " + e.Error() + "\n")
	}
	return b.String()
}
