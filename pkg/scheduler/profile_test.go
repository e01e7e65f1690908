package scheduler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kurator.dev/kurator/plugins/clusterutilization"
	"kurator.dev/kurator/plugins/networklatency"
)

const header = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"

func TestDefaultProfile(t *testing.T) {
	p := DefaultProfile(DefaultCatalog())
	want := []PluginSetting{
		{Name: "APIEnablement", Filter: true, Weight: 1, InTree: true},
		{Name: "ClusterAffinity", Filter: true, Score: true, Weight: 1, InTree: true},
		{Name: "ClusterEviction", Filter: true, Weight: 1, InTree: true},
		{Name: "ClusterLocality", Score: true, Weight: 1, InTree: true},
		{Name: "ClusterUtilization", Filter: true, Score: true, Weight: 1},
		{Name: "FleetQueue", Filter: true, Weight: 1},
		{Name: "MeshTopology", Filter: true, Score: true, Weight: 1},
		{Name: "NetworkLatency", Filter: true, Score: true, Weight: 1},
		{Name: "SpreadConstraint", Filter: true, Weight: 1, InTree: true},
		{Name: "TaintToleration", Filter: true, Weight: 1, InTree: true},
	}
	if diff := cmp.Diff(want, p.Plugins); diff != "" {
		t.Errorf("plugins (-want +got):\n%s", diff)
	}
	if p.Telemetry.RefreshInterval == nil || p.Args[clusterutilization.Name].(*clusterutilization.Args).Mode != clusterutilization.TargetLoadPacking {
		t.Errorf("arguments are not defaulted: %+v", p.Args)
	}
	if p.SchedulerName != "" || len(p.Flags) != 0 {
		t.Errorf("schedulerName %q, flags %v", p.SchedulerName, p.Flags)
	}
}

func TestExampleProfiles(t *testing.T) {
	files, err := filepath.Glob("../../artifacts/scheduler/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("example profiles: %v, %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := LoadProfile(f, DefaultCatalog()); err != nil {
				t.Error(err)
			}
		})
	}
	// The deploy ConfigMap embeds a profile too.
	data, err := os.ReadFile("../../artifacts/deploy/kurator-scheduler/host/configmap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), "profile.yaml: |")
	if i < 0 {
		t.Fatal("configmap.yaml has no profile.yaml key")
	}
	var lines []string
	for _, l := range strings.Split(string(data)[i:], "\n")[1:] {
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "    ") {
			break
		}
		lines = append(lines, strings.TrimPrefix(l, "    "))
	}
	if _, err := ParseProfile([]byte(strings.Join(lines, "\n")), DefaultCatalog()); err != nil {
		t.Errorf("configmap profile: %v", err)
	}
}

func TestProfilePlugins(t *testing.T) {
	p, err := ParseProfile([]byte(header+`
profiles:
- schedulerName: kurator-scheduler
  plugins:
    multiPoint:
      disabled:
      - name: MeshTopology
    filter:
      disabled:
      - name: ClusterUtilization
    score:
      disabled:
      - name: "*"
      enabled:
      - name: NetworkLatency
        weight: 5
      - name: ClusterLocality
        weight: 2
      - name: ClusterUtilization
leaderElection:
  leaderElect: true
  resourceName: kurator-scheduler
  leaseDuration: 20s
clientConnection:
  qps: 50
  burst: 100
`), DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]PluginSetting{}
	for _, s := range p.Plugins {
		got[s.Name] = s
	}
	for name, want := range map[string]PluginSetting{
		"NetworkLatency":     {Name: "NetworkLatency", Filter: true, Score: true, Weight: 5},
		"ClusterUtilization": {Name: "ClusterUtilization", Score: true, Weight: 1},
		"ClusterLocality":    {Name: "ClusterLocality", Score: true, Weight: 2, InTree: true},
		"ClusterAffinity":    {Name: "ClusterAffinity", Filter: true, Weight: 1, InTree: true},
	} {
		if got[name] != want {
			t.Errorf("%s = %+v; want %+v", name, got[name], want)
		}
	}
	if _, ok := got["MeshTopology"]; ok {
		t.Error("MeshTopology disabled by multiPoint is enabled")
	}
	if p.SchedulerName != "kurator-scheduler" {
		t.Errorf("schedulerName = %q", p.SchedulerName)
	}
	wantFlags := map[string]string{"leader-elect": "true", "leader-elect-resource-name": "kurator-scheduler",
		"leader-elect-lease-duration": (20 * time.Second).String(), "kube-api-qps": "50", "kube-api-burst": "100"}
	wantFlags["leader-elect-lease-duration"] = "20000000000ns"
	if diff := cmp.Diff(wantFlags, p.Flags); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
	if s := p.String(); !strings.Contains(s, "NetworkLatency(filter,score×5)") || !strings.Contains(s, "ClusterUtilization(score×1)") {
		t.Errorf("String() = %s", s)
	}
}

func TestProfileMultiPointEnable(t *testing.T) {
	p, err := ParseProfile([]byte(header+`
profiles:
- plugins:
    multiPoint:
      disabled: [{name: "*"}]
      enabled:
      - {name: ClusterUtilization, weight: 4}
      - {name: TaintToleration}
`), DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	want := []PluginSetting{
		{Name: "ClusterUtilization", Filter: true, Score: true, Weight: 4},
		{Name: "TaintToleration", Filter: true, Weight: 1, InTree: true},
	}
	if diff := cmp.Diff(want, p.Plugins); diff != "" {
		t.Errorf("plugins (-want +got):\n%s", diff)
	}
}

func TestProfileArgs(t *testing.T) {
	p, err := ParseProfile([]byte(header+`
profiles:
- pluginConfig:
  - name: Telemetry
    args:
      url: https://thanos.example.com
      clusterMapping:
      - {cluster: aliyun, thanosCluster: prod-hz}
  - name: NetworkLatency
    args:
      apiVersion: config.kurator.dev/v1alpha1
      kind: NetworkLatencyArgs
      defaultSLO: 40ms
      failClosed: true
`), DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	if p.Telemetry.URL != "https://thanos.example.com" || p.Telemetry.ClusterMapping[0].ThanosCluster != "prod-hz" || p.Telemetry.Timeout == nil {
		t.Errorf("telemetry = %+v", p.Telemetry)
	}
	nl := p.Args[networklatency.Name].(*networklatency.Args)
	if nl.DefaultSLO.Duration != 40*time.Millisecond || !nl.FailClosed || nl.ReferenceLatency == nil {
		t.Errorf("NetworkLatency args = %+v", nl)
	}
}

func TestProfileErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"api version", "apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n", "apiVersion: Unsupported value"},
		{"unknown field", header + "profiles:\n- plugins:\n    filtr: {}\n", `unknown field "profiles[0].plugins.filtr"`},
		{"two profiles", header + "profiles:\n- schedulerName: a\n- schedulerName: b\n", "profiles: Invalid value: 2"},
		{"unknown plugin", header + "profiles:\n- plugins:\n    score:\n      enabled: [{name: NodeResourcesFit}]\n", "profiles[0].plugins.score.enabled[0].name: Unsupported value: \"NodeResourcesFit\""},
		{"weight too high", header + "profiles:\n- plugins:\n    score:\n      enabled: [{name: NetworkLatency, weight: 101}]\n", "profiles[0].plugins.score.enabled[0].weight"},
		{"negative weight", header + "profiles:\n- plugins:\n    multiPoint:\n      enabled: [{name: NetworkLatency, weight: -1}]\n", "profiles[0].plugins.multiPoint.enabled[0].weight"},
		{"weight on a filter", header + "profiles:\n- plugins:\n    filter:\n      enabled: [{name: NetworkLatency, weight: 2}]\n", "profiles[0].plugins.filter.enabled[0].weight"},
		{"score-only plugin as filter", header + "profiles:\n- plugins:\n    filter:\n      enabled: [{name: ClusterLocality}]\n", "profiles[0].plugins.filter.enabled[0].name: Invalid value: \"ClusterLocality\": has no filter extension point"},
		{"filter-only plugin as score", header + "profiles:\n- plugins:\n    score:\n      enabled: [{name: TaintToleration}]\n", "profiles[0].plugins.score.enabled[0].name"},
		{"weighing a filter-only plugin", header + "profiles:\n- plugins:\n    multiPoint:\n      enabled: [{name: TaintToleration, weight: 2}]\n", "profiles[0].plugins.multiPoint.enabled[0].weight"},
		{"extension point Karmada lacks", header + "profiles:\n- plugins:\n    preFilter:\n      enabled: [{name: NetworkLatency}]\n", "profiles[0].plugins.preFilter: Forbidden"},
		{"percentage of nodes", header + "percentageOfNodesToScore: 50\n", "percentageOfNodesToScore: Forbidden"},
		{"extenders", header + "extenders: [{urlPrefix: http://x}]\n", "extenders: Forbidden"},
		{"pluginConfig for an unknown plugin", header + "profiles:\n- pluginConfig:\n  - name: Coscheduling\n    args: {}\n", "profiles[0].pluginConfig[0].name: Unsupported value"},
		{"pluginConfig for an in-tree plugin", header + "profiles:\n- pluginConfig:\n  - name: ClusterAffinity\n    args: {}\n", "in-tree plugins take no arguments"},
		{"duplicate pluginConfig", header + "profiles:\n- pluginConfig:\n  - name: NetworkLatency\n  - name: NetworkLatency\n", "profiles[0].pluginConfig[1].name: Duplicate value"},
		{"args kind", header + "profiles:\n- pluginConfig:\n  - name: NetworkLatency\n    args: {kind: ClusterUtilizationArgs}\n", "profiles[0].pluginConfig[0].args.kind: Unsupported value"},
		{"args apiVersion", header + "profiles:\n- pluginConfig:\n  - name: NetworkLatency\n    args: {apiVersion: v1}\n", "profiles[0].pluginConfig[0].args.apiVersion"},
		{"unknown args field", header + "profiles:\n- pluginConfig:\n  - name: ClusterUtilization\n    args: {resources: [{name: cpu, tarrget: 5}]}\n", "profiles[0].pluginConfig[0].args.resources[0].tarrget"},
		{"invalid args value", header + "profiles:\n- pluginConfig:\n  - name: ClusterUtilization\n    args: {resources: [{name: cpu, targetPercent: 150}]}\n", "profiles[0].pluginConfig[0].args.resources[0].targetPercent: Invalid value: 150"},
		{"args of the wrong type", header + "profiles:\n- pluginConfig:\n  - name: NetworkLatency\n    args: {defaultSLO: fast}\n", "profiles[0].pluginConfig[0].args"},
		{"telemetry url", header + "profiles:\n- pluginConfig:\n  - name: Telemetry\n    args: {url: thanos:9090}\n", "profiles[0].pluginConfig[0].args.url"},
		{"mesh networks", header + "profiles:\n- pluginConfig:\n  - name: MeshTopology\n    args: {meshNetworks: {networks: {n: {gateways: [{port: x}]}}}}\n", "profiles[0].pluginConfig[0].args.meshNetworks"},
		{"not yaml", "\tfoo", "not YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseProfile([]byte(tc.yaml), DefaultCatalog())
			if err == nil {
				t.Fatalf("accepted; want an error naming %s", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}
