package telemetry

import (
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// thanosURL is the Thanos Query of a running kurator-up environment.
func thanosURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("KURATOR_THANOS_URL")
	if u == "" {
		u = "http://127.0.0.1:30030"
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatalf("KURATOR_THANOS_URL: %v", err)
	}
	conn, err := net.DialTimeout("tcp", parsed.Host, time.Second)
	if err != nil {
		if os.Getenv("KURATOR_REQUIRE_ENV") != "" {
			t.Fatalf("KURATOR_REQUIRE_ENV is set but Thanos Query at %s is unreachable: %v (start it with kurator-up up)", u, err)
		}
		t.Skipf("Thanos Query at %s is unreachable (%v); start kurator-up or set KURATOR_REQUIRE_ENV=1 to make this a failure", u, err)
	}
	_ = conn.Close()
	return u
}

// TestThanosIntegration runs the default catalogue against the Thanos Query of kurator-up,
// fed by the synthetic exporter with node_exporter, DCGM and Istio metric names.
func TestThanosIntegration(t *testing.T) {
	u := thanosURL(t)
	s, err := NewSource(Config{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	// Rates need two scrapes: poll until every query answers with data, with a deadline.
	deadline := time.Now().Add(45 * time.Second)
	var snap *Snapshot
	for {
		snap = s.Refresh(t.Context())
		if len(snap.Problems()) == 0 && len(snap.Flows) > 0 && snap.UtilizationOf("cpu", "aliyun").OK() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("telemetry not complete after 45s: problems %v, clusters %v, flows %d", snap.Problems(), snap.Clusters, len(snap.Flows))
		}
		time.Sleep(2 * time.Second)
	}
	now := time.Now()
	for _, c := range []string{"aliyun", "tencent", "edge"} {
		for _, r := range []string{"cpu", "memory"} {
			v := snap.UtilizationOf(corev1ResourceName(r), c)
			if !v.OK() || v.Value < 0 || v.Value > 1 {
				t.Errorf("%s %s utilization = %+v", c, r, v)
			}
			if !v.FreshAt(now, snap.MaxSampleAge) {
				t.Errorf("%s %s utilization is %s old", c, r, v.Age(now))
			}
		}
	}
	if gpu := snap.UtilizationOf(GPUResource, "tencent"); !gpu.OK() {
		t.Error("tencent has GPUs but no GPU utilization")
	}
	if gpu := snap.UtilizationOf(GPUResource, "edge"); gpu.OK() {
		t.Errorf("edge has no GPU but GPU utilization %+v", gpu)
	}
	local, remote := snap.LatencyOf("aliyun", "aliyun"), snap.LatencyOf("aliyun", "tencent")
	if !local.OK() || !remote.OK() || local.Value >= remote.Value {
		t.Errorf("p99 aliyun->aliyun %+v, aliyun->tencent %+v: want both, local lower", local, remote)
	}
	found := false
	for _, f := range snap.Flows {
		if f.SourceWorkload == "core" && f.DestinationService == "model-server" && f.SourceCluster == "aliyun" && f.DestinationCluster == "tencent" {
			found = f.Rate.Value > 0
		}
	}
	if !found {
		t.Errorf("flow core(aliyun) -> model-server(tencent) missing from %+v", snap.Flows)
	}
	t.Logf("clusters %v; cpu aliyun %.2f tencent %.2f edge %.2f; p99 aliyun->tencent %.1fms; %d flows",
		snap.Clusters, snap.UtilizationOf("cpu", "aliyun").Value, snap.UtilizationOf("cpu", "tencent").Value,
		snap.UtilizationOf("cpu", "edge").Value, remote.Value, len(snap.Flows))
}

func corev1ResourceName(s string) corev1.ResourceName { return corev1.ResourceName(s) }
