package localup

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

//go:embed assets/kwok-stages.yaml
var kwokStages []byte

// volcanoSchedulerConf is a member's vc-scheduler configuration: Volcano's default tiers, with
// the queue plugin (proportion or capacity) and the preempt/reclaim actions chosen per member.
var volcanoSchedulerConf = template.Must(template.New("volcano").Parse(`actions: "{{ .Actions }}"
tiers:
- plugins:
  - name: priority
  - name: gang
    enablePreemptable: false
  - name: conformance
- plugins:
  - name: overcommit
  - name: drf
    enablePreemptable: false
  - name: predicates
  - name: {{ .QueuePlugin }}
  - name: nodeorder
  - name: binpack
`))

var prometheusConf = template.Must(template.New("prometheus").Parse(`global:
  scrape_interval: 5s
  scrape_timeout: 4s
  evaluation_interval: 5s
  # Spelled out: the Thanos sidecar parses this configuration and knows only these protocols.
  scrape_protocols: [OpenMetricsText1.0.0, OpenMetricsText0.0.1, PrometheusText0.0.4]
  external_labels:
    cluster: {{ .Cluster }}
scrape_configs:
- job_name: kurator-synthetic
  metrics_path: /members/{{ .Cluster }}/metrics
  static_configs:
  - targets: ['{{ .Exporter }}']
`))

// VolcanoActions returns the vc-scheduler actions of a member.
func VolcanoActions(v Volcano) string {
	actions := []string{"enqueue", "allocate"}
	if v.Preemption {
		actions = append(actions, "preempt", "reclaim")
	}
	return strings.Join(append(actions, "backfill"), ", ")
}

// writeConfigs writes every generated configuration file of the environment.
func (e *Env) writeConfigs() error {
	dir := e.Layout.Config()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	files := map[string][]byte{"kwok-stages.yaml": kwokStages}
	for _, m := range e.Scenario.Members {
		files[m.Name+"-tokens.csv"] = []byte(memberTokenFile(e.PKI.MemberTokens[m.Name]))
		var vc, prom bytes.Buffer
		if err := volcanoSchedulerConf.Execute(&vc, map[string]string{
			"Actions": VolcanoActions(m.Volcano), "QueuePlugin": m.Volcano.EnqueuePlugin,
		}); err != nil {
			return fmt.Errorf("rendering Volcano configuration of %s: %w", m.Name, err)
		}
		files[m.Name+"-volcano-scheduler.yaml"] = vc.Bytes()
		if err := prometheusConf.Execute(&prom, map[string]string{
			"Cluster": m.Name, "Exporter": Addr(e.Ports.Exporter),
		}); err != nil {
			return fmt.Errorf("rendering Prometheus configuration of %s: %w", m.Name, err)
		}
		files[m.Name+"-prometheus.yaml"] = prom.Bytes()
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
		}
	}
	return nil
}
