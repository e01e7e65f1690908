package localup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultScenarioLoads(t *testing.T) {
	s, err := LoadScenario(filepath.Join("..", "..", "artifacts", "localup", "scenario.yaml"))
	if err != nil {
		t.Fatalf("default scenario: %v", err)
	}
	if got := strings.Join(s.MemberNames(), ","); got != "aliyun,tencent,edge" {
		t.Fatalf("members = %s, want aliyun,tencent,edge", got)
	}
	tencent, _ := s.Member("tencent")
	gpus := 0
	for _, n := range Nodes(tencent) {
		q := n.Status.Capacity[GPUResource]
		gpus += int(q.Value())
	}
	if gpus != 16 {
		t.Errorf("tencent has %d GPUs, want 16", gpus)
	}
	if s.Mesh.Local == nil || s.Mesh.Local.P50Ms != 1 {
		t.Errorf("local latency = %+v", s.Mesh.Local)
	}
	if l, ok := s.Mesh.LinkLatency("edge", "aliyun"); !ok || l.P99Ms != 45 {
		t.Errorf("edge->aliyun latency = %+v, %v; want the reverse of aliyun->edge (p99 45)", l, ok)
	}
}

const validScenario = `apiVersion: localup.kurator.dev/v1alpha1
kind: Scenario
name: t
members:
- name: a
  nodePools:
  - {name: p, count: 1, cpu: "4", memory: 8Gi}
- name: b
  nodePools:
  - {name: p, count: 1, cpu: "4", memory: 8Gi}
mesh:
  links:
  - {from: a, to: b, p50Ms: 5, p99Ms: 10}
  traffic:
  - source: {cluster: a, workload: w}
    destination: {cluster: b, service: s}
    rps: 1
`

func TestParseScenarioErrorsNameTheField(t *testing.T) {
	if _, err := ParseScenario([]byte(validScenario)); err != nil {
		t.Fatalf("valid scenario rejected: %v", err)
	}
	cases := []struct {
		name    string
		old     string
		new     string
		wantErr string
	}{
		{"unknown field", "name: t\n", "name: t\nbogus: 1\n", `unknown field "bogus"`},
		{"wrong kind", "kind: Scenario", "kind: Fleet", "kind: Unsupported value"},
		{"bad member name", "- name: a\n", "- name: A_1\n", "members[0].name"},
		{"duplicate member", "- name: b\n", "- name: a\n", "members[1].name: Duplicate value"},
		{"zero count", "{name: p, count: 1, cpu: \"4\", memory: 8Gi}\n- name: b", "{name: p, count: 0, cpu: \"4\", memory: 8Gi}\n- name: b", "members[0].nodePools[0].count"},
		{"bad quantity", `cpu: "4", memory: 8Gi}
- name: b`, `cpu: "four", memory: 8Gi}
- name: b`, "quantities must match"},
		{"negative cpu", `cpu: "4", memory: 8Gi}
- name: b`, `cpu: "-4", memory: 8Gi}
- name: b`, "members[0].nodePools[0].cpu"},
		{"link to unknown", "{from: a, to: b,", "{from: a, to: c,", "mesh.links[0].to: Not found"},
		{"p99 below p50", "p50Ms: 5, p99Ms: 10", "p50Ms: 5, p99Ms: 1", "mesh.links[0].p99Ms"},
		{"traffic without link", "  links:\n  - {from: a, to: b, p50Ms: 5, p99Ms: 10}\n", "", "traffic[0] goes from a to b: add a link"},
		{"utilization over 1", "  nodePools:\n  - {name: p, count: 1, cpu: \"4\", memory: 8Gi}\n- name: b", "  utilization: {cpu: 1.5}\n  nodePools:\n  - {name: p, count: 1, cpu: \"4\", memory: 8Gi}\n- name: b", "members[0].utilization.cpu"},
		{"bad enqueue plugin", "  nodePools:\n  - {name: p, count: 1, cpu: \"4\", memory: 8Gi}\n- name: b", "  volcano: {enqueuePlugin: fifo}\n  nodePools:\n  - {name: p, count: 1, cpu: \"4\", memory: 8Gi}\n- name: b", "members[0].volcano.enqueuePlugin"},
		{"base port too high", "name: t\n", "name: t\nbasePort: 65500\n", "basePort"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(validScenario, tc.old) {
				t.Fatalf("test case does not apply: %q not in the valid scenario", tc.old)
			}
			_, err := ParseScenario([]byte(strings.Replace(validScenario, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestLoadScenarioNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(path, []byte("apiVersion: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadScenario(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "apiVersion") {
		t.Fatalf("error = %v, want the file name and the field", err)
	}
	_, err = LoadScenario(filepath.Join(t.TempDir(), "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("error = %v, want the missing file named", err)
	}
}

func TestPlanPortsAreDistinct(t *testing.T) {
	s, err := ParseScenario([]byte(validScenario))
	if err != nil {
		t.Fatal(err)
	}
	p := PlanPorts(s)
	seen := map[int]string{}
	check := func(name string, port int) {
		if port < s.BasePort || port >= s.BasePort+PortRangeSize(len(s.Members)) {
			t.Errorf("%s port %d outside the planned range", name, port)
		}
		if other, ok := seen[port]; ok {
			t.Errorf("%s and %s share port %d", name, other, port)
		}
		seen[port] = name
	}
	for name, port := range map[string]int{"etcd": p.EtcdClient, "peer": p.EtcdPeer, "karmada": p.KarmadaAPIServer, "agg": p.KarmadaAggregatedAPIServer,
		"webhook": p.KarmadaWebhook, "webhook-health": p.KarmadaWebhookHealth, "kcm-metrics": p.KarmadaControllerMetrics, "kcm-health": p.KarmadaControllerHealth,
		"sched-metrics": p.KarmadaSchedulerMetrics, "sched-health": p.KarmadaSchedulerHealth, "karmada-kcm": p.KarmadaKubeControllerManager, "kurator-apiserver": p.KuratorAPIServer,
		"ks-metrics": p.KuratorSchedulerMetrics, "ks-health": p.KuratorSchedulerHealth, "kcm-webhook": p.KuratorWebhook,
		"kurator-cm-health": p.KuratorControllerHealth, "kurator-cm-metrics": p.KuratorControllerMetrics, "tq": p.ThanosQueryHTTP, "tq-grpc": p.ThanosQueryGRPC, "exporter": p.Exporter} {
		check(name, port)
	}
	for m, mp := range p.Members {
		for name, port := range map[string]int{"api": mp.APIServer, "kcm": mp.ControllerManager, "ks": mp.Scheduler, "kwok": mp.Kwok,
			"vcs": mp.VolcanoScheduler, "vcs-hz": mp.VolcanoSchedulerHz, "vcc": mp.VolcanoController, "vcc-hz": mp.VolcanoControllerHz,
			"prom": mp.Prometheus, "sc-http": mp.SidecarHTTP, "sc-grpc": mp.SidecarGRPC, "est": mp.EstimatorGRPC, "est-h": mp.EstimatorHealth, "est-m": mp.EstimatorMetrics} {
			check(m+"/"+name, port)
		}
	}
}
