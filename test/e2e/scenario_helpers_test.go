package e2e

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	kuratorclient "kurator.dev/kurator/pkg/generated/clientset/versioned"
	"kurator.dev/kurator/pkg/localup"
)

// writeScenario writes a scenario into the test's temporary directory.
func writeScenario(t *testing.T, name string, s *localup.Scenario) string {
	t.Helper()
	data, err := yaml.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// applyScenario applies a changed copy of the running scenario. When the test ends it
// applies the original again and waits until the telemetry every later test depends on
// shows it: ClusterTelemetry in the Karmada apiserver, and kurator-scheduler's own
// snapshot, which refreshes on its own interval. Without that wait, the next test would
// schedule on this test's utilization.
func applyScenario(t *testing.T, change func(s *localup.Scenario)) *localup.Scenario {
	t.Helper()
	root := filepath.Dir(env.layout.Output)
	original, err := localup.LoadScenario(env.layout.ActiveScenario())
	if err != nil {
		t.Fatal(err)
	}
	restore := writeScenario(t, "original.yaml", original)
	t.Cleanup(func() {
		if err := kuratorUp(root, "scenario", "apply", restore); err != nil {
			t.Errorf("restoring the scenario: %v", err)
			return
		}
		waitTelemetryShows(t, original)
	})
	changed, err := localup.ParseScenario(mustMarshal(t, original))
	if err != nil {
		t.Fatal(err)
	}
	change(changed)
	if err := kuratorUp(root, "scenario", "apply", writeScenario(t, "changed.yaml", changed)); err != nil {
		t.Fatalf("kurator-up scenario apply: %v", err)
	}
	return changed
}

// waitTelemetryShows waits until ClusterTelemetry reports every member's CPU utilization
// at the scenario's value, then until kurator-scheduler's utilization queries have
// succeeded again after that moment, so that its snapshot holds the same values.
func waitTelemetryShows(t *testing.T, s *localup.Scenario) {
	t.Helper()
	kc, err := kuratorclient.NewForConfig(env.karmada.Config)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Minute, "ClusterTelemetry at the scenario's CPU utilization", func(ctx context.Context) (bool, string) {
		for _, m := range s.Members {
			ct, err := kc.TelemetryV1alpha1().ClusterTelemetries().Get(ctx, m.Name, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			cpu := ct.Status.CPU
			if cpu == nil || cpu.Stale || math.Abs(cpu.Fraction-m.Utilization.CPU) > 0.02 {
				return false, fmt.Sprintf("%s cpu %+v, want %.2f", m.Name, cpu, m.Utilization.CPU)
			}
		}
		return true, ""
	})
	// A query that started before this moment may have read the old values; one that
	// succeeded this margin later started after it.
	seen := time.Now().Add(2 * time.Second)
	port := env.ports.KuratorSchedulerMetrics
	eventually(t, time.Minute, "kurator-scheduler's utilization queries refreshed", func(ctx context.Context) (bool, string) {
		ages, err := metricGauges(ctx, port, "kurator_telemetry_data_age_seconds", "query")
		if err != nil {
			return false, err.Error()
		}
		n := 0
		for query, age := range ages {
			if !strings.HasPrefix(query, "utilization/") {
				continue
			}
			n++
			if time.Now().Add(-time.Duration(age * float64(time.Second))).Before(seen) {
				return false, fmt.Sprintf("%s last succeeded %.1fs ago", query, age)
			}
		}
		return n > 0, fmt.Sprintf("no utilization query among %v", ages)
	})
}

// metricGauges reads a gauge family from a component's /metrics, by the value of one label.
func metricGauges(ctx context.Context, port int, family, label string) (map[string]float64, error) {
	families, err := scrape(ctx, port)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, m := range families[family].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out[l.GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	return out, nil
}

// scrape reads every metric family a component serves on the port.
func scrape(ctx context.Context, port int) (map[string]*dto.MetricFamily, error) {
	url := "http://" + localup.Addr(port) + "/metrics"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", url, err)
	}
	return families, nil
}
