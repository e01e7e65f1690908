package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	controllerruntime "sigs.k8s.io/controller-runtime"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	karmadaclientset "github.com/karmada-io/karmada/pkg/generated/clientset/versioned"

	"kurator.dev/kurator/pkg/scheduler"
	"kurator.dev/kurator/pkg/scheduler/workload"
)

func signalContext() context.Context { return controllerruntime.SetupSignalHandler() }

// thanosURL is the Thanos Query of kurator-up's environment (KURATOR_THANOS_URL, which
// `kurator-up env` exports, or the default base port's).
var thanosURL = func() string {
	if u := os.Getenv("KURATOR_THANOS_URL"); u != "" {
		return u
	}
	return "http://127.0.0.1:30030"
}()

// environment returns the kubeconfig of kurator-up's Karmada when it and Thanos Query run,
// skipping the test otherwise (failing when KURATOR_REQUIRE_ENV is set).
func environment(t *testing.T) (string, *rest.Config) {
	t.Helper()
	path := os.Getenv("KURATOR_KARMADA_KUBECONFIG")
	if path == "" {
		path = filepath.Join("..", "..", "..", "_output", "karmada.config")
	}
	path, _ = filepath.Abs(path)
	unavailable := func(why string) {
		if os.Getenv("KURATOR_REQUIRE_ENV") != "" {
			t.Fatalf("KURATOR_REQUIRE_ENV is set but the environment is unavailable: %s (start it with kurator-up up)", why)
		}
		t.Skipf("kurator-up's environment is unavailable (%s); set KURATOR_REQUIRE_ENV=1 to make this a failure", why)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		unavailable(err.Error())
	}
	thanos, _ := url.Parse(thanosURL)
	for _, host := range []string{strings.TrimPrefix(strings.TrimPrefix(cfg.Host, "https://"), "http://"), thanos.Host} {
		conn, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			unavailable(err.Error())
		}
		_ = conn.Close()
	}
	return path, cfg
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startScheduler runs kurator-scheduler in a process of its own and returns its metrics
// address and log file.
func startScheduler(t *testing.T, kubeconfig, profile string) (string, string) {
	t.Helper()
	metrics, health := freePort(t), freePort(t)
	logPath := filepath.Join(t.TempDir(), "scheduler.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "--kubeconfig", kubeconfig, "--leader-elect=false",
		"--metrics-bind-address", metrics, "--health-probe-bind-address", health,
		"--feature-gates=MultiplePodTemplatesScheduling=true,PriorityBasedScheduling=true,Failover=true",
		"--config", profile, "--v=2")
	cmd.Env = append(os.Environ(), "KURATOR_SCHEDULER_MAIN=1")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("scheduler log:\n%s", tail(string(b), 60))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + health + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kurator-scheduler not healthy after 30s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return metrics, logPath
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// submit creates a Deployment that talks to core with a 30ms SLO, and a policy sending it
// to one cluster chosen by schedulerName.
func submit(t *testing.T, kube kubernetes.Interface, karmada karmadaclientset.Interface, ns, name, schedulerName string) {
	t.Helper()
	ctx := t.Context()
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: map[string]string{
			workload.AnnotationPeers: "core.default", workload.AnnotationSLO: "30ms"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")}}}}},
			},
		},
	}
	if _, err := kube.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pp := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: policyv1alpha1.PropagationSpec{
			SchedulerName:     schedulerName,
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: name}},
			Placement: policyv1alpha1.Placement{
				SpreadConstraints: []policyv1alpha1.SpreadConstraint{{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MinGroups: 1, MaxGroups: 1}},
				ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{
					ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
					ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
					WeightPreference:          &policyv1alpha1.ClusterPreferences{DynamicWeight: policyv1alpha1.DynamicWeightByAvailableReplicas},
				},
			},
		},
	}
	if _, err := karmada.PolicyV1alpha1().PropagationPolicies(ns).Create(ctx, pp, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// scheduledTo waits for the binding of a Deployment to be scheduled and returns its clusters.
func scheduledTo(t *testing.T, karmada karmadaclientset.Interface, ns, name string) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for {
		rb, err := karmada.WorkV1alpha2().ResourceBindings(ns).Get(t.Context(), name+"-deployment", metav1.GetOptions{})
		if err == nil {
			if len(rb.Spec.Clusters) > 0 {
				var out []string
				for _, c := range rb.Spec.Clusters {
					out = append(out, c.Name)
				}
				return out
			}
			last = fmt.Sprintf("binding unscheduled, conditions %+v", rb.Status.Conditions)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/%s not scheduled after 60s: %s", ns, name, last)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestSchedulerIntegration runs kurator-scheduler against kurator-up's Karmada and Thanos:
// it schedules a workload that talks to core next to core, as the evaluation of the same
// profile predicts, serves its telemetry metrics, and keeps scheduling with Thanos
// unreachable.
func TestSchedulerIntegration(t *testing.T) {
	kubeconfig, cfg := environment(t)
	kube := kubernetes.NewForConfigOrDie(cfg)
	karmada := karmadaclientset.NewForConfigOrDie(cfg)
	ctx := t.Context()
	suffix := time.Now().UnixNano() % 1_000_000
	ns := fmt.Sprintf("kurator-it-scheduler-%d", suffix)
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })

	t.Run("live telemetry", func(t *testing.T) {
		name := fmt.Sprintf("kurator-it-%d", suffix)
		profileBody := fmt.Sprintf(`profiles:
- schedulerName: %s
  plugins:
    score:
      enabled: [{name: NetworkLatency, weight: 3}, {name: ClusterUtilization, weight: 5}]
  pluginConfig:
  - name: Telemetry
    args: {url: %s, refreshInterval: 2s, maxSampleAge: 30s}
  - name: ClusterUtilization
    args: {mode: Headroom}
`, name, thanosURL)
		profile := writeProfile(t, profileBody)
		metrics, _ := startScheduler(t, kubeconfig, profile)

		// What the same profile's evaluation says, from the same telemetry and clusters.
		p, err := scheduler.LoadProfile(profile, scheduler.DefaultCatalog())
		if err != nil {
			t.Fatal(err)
		}
		rt, err := scheduler.StartRuntime(ctx, p, scheduler.RuntimeOptions{KarmadaConfig: cfg})
		if err != nil {
			t.Fatal(err)
		}
		rt.Source().Refresh(ctx)

		submit(t, kube, karmada, ns, "ai-interaction", name)
		got := scheduledTo(t, karmada, ns, "ai-interaction")

		rb, err := karmada.WorkV1alpha2().ResourceBindings(ns).Get(ctx, "ai-interaction-deployment", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		clusters, err := karmada.ClusterV1alpha1().Clusters().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := scheduler.NewEvaluator(p, rt)
		if err != nil {
			t.Fatal(err)
		}
		in := scheduler.Input{Spec: &rb.Spec, Status: &rb.Status}
		for i := range clusters.Items {
			in.Clusters = append(in.Clusters, &clusters.Items[i])
		}
		evaluation := ev.Evaluate(ctx, in)
		want, err := scheduler.Select(in, evaluation)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range evaluation.Clusters {
			t.Logf("%s feasible=%v total=%d filters=%+v", c.Cluster, c.Feasible, c.TotalScore, c.Filters)
		}
		if len(got) != 1 || len(want) != 1 || got[0] != want[0].Name {
			t.Errorf("scheduled to %v; the evaluation selects %+v", got, want)
		}
		if got[0] == "edge" {
			t.Errorf("scheduled to edge, whose p99 to core is above the 30ms SLO")
		}

		resp, err := http.Get("http://" + metrics + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, m := range []string{"kurator_telemetry_query_duration_seconds", `kurator_telemetry_stale{query="latency",source="` + thanosURL + `"} 0`, "kurator_telemetry_snapshot_age_seconds"} {
			if !strings.Contains(string(body), m) {
				t.Errorf("metrics lack %s", m)
			}
		}
	})

	t.Run("telemetry unreachable", func(t *testing.T) {
		name := fmt.Sprintf("kurator-it-failopen-%d", suffix)
		profile := writeProfile(t, fmt.Sprintf(`profiles:
- schedulerName: %s
  pluginConfig:
  - name: Telemetry
    args: {url: "http://%s", timeout: 500ms, refreshInterval: 1s, maxSampleAge: 5s}
`, name, freePort(t)))
		_, logPath := startScheduler(t, kubeconfig, profile)
		submit(t, kube, karmada, ns, "ai-interaction-failopen", name)
		got := scheduledTo(t, karmada, ns, "ai-interaction-failopen")
		if len(got) != 1 {
			t.Errorf("scheduled to %v", got)
		}
		log, _ := os.ReadFile(logPath)
		if !strings.Contains(string(log), "Telemetry query failing") {
			t.Error("the scheduler did not log that telemetry is failing")
		}
	})
}
