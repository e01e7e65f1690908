package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	schedulingv1alpha1 "kurator.dev/kurator/pkg/apis/scheduling/v1alpha1"
	kuratorclient "kurator.dev/kurator/pkg/generated/clientset/versioned"
	"kurator.dev/kurator/pkg/localup"
)

// The kurator-scheduler profile kurator-up runs answers to this scheduler name; the stock
// karmada-scheduler to Karmada's default.
const (
	kuratorScheduler = "kurator-scheduler"
	stockScheduler   = "default-scheduler"
)

// latencyWorkload is a Deployment that talks to the scenario's "core" service (which runs in
// aliyun), placed on exactly one cluster so that scores decide, by the given scheduler.
func latencyWorkload(t *testing.T, ns, name, scheduler string) {
	t.Helper()
	labels := map[string]string{"app": name}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, Annotations: map[string]string{
			"latency.kurator.dev/peers": "core.default=400",
			"latency.kurator.dev/name":  "ai-interaction",
		}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "registry.example/ai-interaction:1",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi"),
					}},
				}}},
			},
		},
	}
	policy := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: policyv1alpha1.PropagationSpec{
			SchedulerName:     scheduler,
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: name}},
			Placement: policyv1alpha1.Placement{
				ClusterAffinity:   &policyv1alpha1.ClusterAffinity{ClusterNames: env.scenario.MemberNames()},
				SpreadConstraints: []policyv1alpha1.SpreadConstraint{{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MinGroups: 1, MaxGroups: 1}},
				ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated},
			},
		},
	}
	if _, err := env.karmada.Karmada.PolicyV1alpha1().PropagationPolicies(ns).Create(t.Context(), policy, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating PropagationPolicy %s: %v", name, err)
	}
	if _, err := env.karmada.Kube.AppsV1().Deployments(ns).Create(t.Context(), deploy, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Deployment %s: %v", name, err)
	}
}

// scheduledCluster waits until the Deployment's binding is scheduled and returns its cluster.
func scheduledCluster(t *testing.T, ns, name string, timeout time.Duration) string {
	t.Helper()
	var cluster string
	eventually(t, timeout, "binding of "+name+" scheduled to one cluster", func(ctx context.Context) (bool, string) {
		rb, err := env.karmada.Karmada.WorkV1alpha2().ResourceBindings(ns).Get(ctx, name+"-deployment", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		cond := meta.FindStatusCondition(rb.Status.Conditions, workv1alpha2.Scheduled)
		if cond == nil || cond.Status != metav1.ConditionTrue || len(rb.Spec.Clusters) != 1 {
			return false, fmt.Sprintf("clusters %v, Scheduled condition %+v", rb.Spec.Clusters, cond)
		}
		cluster = rb.Spec.Clusters[0].Name
		return true, ""
	})
	return cluster
}

// coreCluster is where the scenario runs the core service: the destination of its traffic.
func coreCluster(t *testing.T) string {
	t.Helper()
	for _, f := range env.scenario.Mesh.Traffic {
		if f.Destination.Service == "core" {
			return f.Destination.Cluster
		}
	}
	t.Fatal("the scenario has no traffic to a core service")
	return ""
}

// nearestTo ranks the members by p99 latency to a cluster, nearest first, as the scenario defines it.
func nearestTo(cluster string, exclude ...string) string {
	best, bestP99 := "", 0.0
	for _, m := range env.scenario.Members {
		if slices.Contains(exclude, m.Name) {
			continue
		}
		l, ok := env.scenario.Mesh.LinkLatency(m.Name, cluster)
		if ok && (best == "" || l.P99Ms < bestP99) {
			best, bestP99 = m.Name, l.P99Ms
		}
	}
	return best
}

// TestLatencyAwarePlacementBeatsStock is scenario (a) of the scheduler: a service that talks
// heavily with core lands in the cluster nearest to core's, where stock Karmada, given the
// same policy, picks another one.
func TestLatencyAwarePlacementBeatsStock(t *testing.T) {
	waitTelemetryShows(t, env.scenario)
	ns := newNamespace(t, "e2e-latency")
	latencyWorkload(t, ns, "ai-interaction", kuratorScheduler)
	latencyWorkload(t, ns, "ai-interaction-stock", stockScheduler)
	want := nearestTo(coreCluster(t))
	got := scheduledCluster(t, ns, "ai-interaction", 2*time.Minute)
	stock := scheduledCluster(t, ns, "ai-interaction-stock", 2*time.Minute)
	t.Logf("core runs in %s; kurator-scheduler chose %s, stock karmada-scheduler chose %s", coreCluster(t), got, stock)
	if got != want {
		t.Errorf("kurator-scheduler placed ai-interaction in %s, want %s (lowest p99 to core)", got, want)
	}
	if stock == want {
		t.Errorf("stock Karmada also chose %s: the scenario no longer shows the difference", stock)
	}
	eventually(t, 2*time.Minute, "ai-interaction pods running in "+want, func(ctx context.Context) (bool, string) {
		n, err := runningPods(ctx, want, ns, "app=ai-interaction")
		return err == nil && n == 2, fmt.Sprintf("%d running (%v)", n, err)
	})

	// (d) A PlacementReview of the binding, created with kubectl, explains the choice.
	review := explain(t, ns, "ai-interaction-deployment")
	if len(review.Status.SelectedClusters) != 1 || review.Status.SelectedClusters[0].Name != want {
		t.Errorf("the review selects %+v, want %s", review.Status.SelectedClusters, want)
	}
	scores := map[string]int64{}
	latency := map[string]schedulingv1alpha1.PluginScore{}
	for _, c := range review.Status.Clusters {
		scores[c.Name] = c.TotalScore
		for _, s := range c.Scores {
			if s.Plugin == "NetworkLatency" {
				latency[c.Name] = s
			}
		}
	}
	for _, m := range env.scenario.MemberNames() {
		if m != want && scores[m] >= scores[want] {
			t.Errorf("review scores %v: %s scores at least the chosen %s", scores, m, want)
		}
		if _, ok := latency[m]; !ok {
			t.Errorf("review of %s has no NetworkLatency score: %+v", m, review.Status.Clusters)
		}
	}
	if l := latency[want]; l.Neutral || l.WeightedScore <= latency[nearestTo(coreCluster(t), want)].WeightedScore {
		t.Errorf("NetworkLatency does not prefer %s: %+v", want, latency)
	}

	// The review's replica estimates are those Karmada's schedulers get: the general
	// estimator's and each member's scheduler-estimator (kurator-estimator) over gRPC, which
	// kurator-apiserver connects to in the background.
	eventually(t, time.Minute, "a review with every member's scheduler-estimator estimate", func(context.Context) (bool, string) {
		r := explain(t, ns, "ai-interaction-deployment")
		for _, c := range r.Status.Clusters {
			by := map[string]int32{}
			for _, e := range c.Estimates {
				by[e.Estimator] = e.Replicas
			}
			g, okG := by[schedulingv1alpha1.EstimatorGeneral]
			s, okS := by[schedulingv1alpha1.EstimatorSchedulerEstimator]
			if !okG || !okS || g <= 0 || s <= 0 || c.EstimatedReplicas == nil || *c.EstimatedReplicas != min(g, s) {
				return false, fmt.Sprintf("%s: estimates %+v, estimatedReplicas %v; notes %q", c.Name, c.Estimates, c.EstimatedReplicas, r.Status.Notes)
			}
		}
		for _, n := range r.Status.Notes {
			if strings.Contains(n, "estimator") {
				return false, "note: " + n
			}
		}
		return true, ""
	})
}

// explain creates a PlacementReview of a binding with kubectl and returns the answer.
func explain(t *testing.T, ns, binding string) *schedulingv1alpha1.PlacementReview {
	t.Helper()
	manifest := fmt.Sprintf(`apiVersion: scheduling.kurator.dev/v1alpha1
kind: PlacementReview
metadata:
  generateName: why-
spec:
  resourceBinding:
    namespace: %s
    name: %s
`, ns, binding)
	out := kubectlOK(t, manifest, "create", "-f", "-", "-o", "json")
	review := &schedulingv1alpha1.PlacementReview{}
	if err := json.Unmarshal([]byte(out), review); err != nil {
		t.Fatalf("decoding the review: %v\n%s", err, out)
	}
	return review
}

// TestHotClusterLosesNewPlacements is scenario (b): pushing the member nearest to core above
// the utilization ceiling moves new placements to the next nearest one.
func TestHotClusterLosesNewPlacements(t *testing.T) {
	core := coreCluster(t)
	hot := nearestTo(core)
	applyScenario(t, func(s *localup.Scenario) {
		m, _ := s.Member(hot)
		m.Utilization.CPU = 0.95
	})
	kc, err := kuratorclient.NewForConfig(env.karmada.Config)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Minute, hot+" reported above 90% CPU by ClusterTelemetry", func(ctx context.Context) (bool, string) {
		ct, err := kc.TelemetryV1alpha1().ClusterTelemetries().Get(ctx, hot, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		cpu := ct.Status.CPU
		return cpu != nil && !cpu.Stale && cpu.Fraction >= 0.9, fmt.Sprintf("cpu %+v", cpu)
	})
	// The scheduler refreshes its own snapshot on an interval: new workloads placed before
	// it sees the change may still land in the hot cluster, so place one at a time until one
	// lands elsewhere (bounded), then check that later ones keep away.
	ns := newNamespace(t, "e2e-hot")
	want := nearestTo(core, hot)
	var placements []string
	deadline := time.Now().Add(2 * time.Minute)
	for i := 0; ; i++ {
		name := fmt.Sprintf("ai-%d", i)
		latencyWorkload(t, ns, name, kuratorScheduler)
		got := scheduledCluster(t, ns, name, time.Minute)
		placements = append(placements, name+"->"+got)
		if got == want {
			break
		}
		if time.Now().After(deadline) || i >= 12 {
			t.Fatalf("new placements never left %s for %s: %v", hot, want, placements)
		}
		time.Sleep(10 * time.Second) // pacing between attempts, not waiting for state
	}
	name := "ai-after"
	latencyWorkload(t, ns, name, kuratorScheduler)
	if got := scheduledCluster(t, ns, name, time.Minute); got != want {
		t.Errorf("%s placed in %s after the move, want %s (placements so far %v)", name, got, want, placements)
	}
}

// TestSchedulingContinuesWithoutThanos is scenario (c): with Thanos Query stopped, kurator
// keeps scheduling and a PlacementReview says the data is stale.
func TestSchedulingContinuesWithoutThanos(t *testing.T) {
	root := filepath.Dir(env.layout.Output)
	if err := kuratorUp(root, "stop", "thanos-query"); err != nil {
		t.Fatalf("stopping thanos-query: %v", err)
	}
	t.Cleanup(func() {
		if err := kuratorUp(root, "up"); err != nil {
			t.Errorf("restarting thanos-query: %v", err)
			return
		}
		waitTelemetryShows(t, env.scenario)
	})
	ns := newNamespace(t, "e2e-nothanos")
	latencyWorkload(t, ns, "blind", kuratorScheduler)
	cluster := scheduledCluster(t, ns, "blind", 2*time.Minute)
	t.Logf("scheduled to %s without telemetry", cluster)

	eventually(t, 3*time.Minute, "a PlacementReview that says the telemetry is stale", func(context.Context) (bool, string) {
		review := explain(t, ns, "blind-deployment")
		notes := strings.Join(review.Status.Notes, "; ")
		neutral := true
		for _, c := range review.Status.Clusters {
			for _, s := range c.Scores {
				if s.Plugin != "ClusterUtilization" && s.Plugin != "NetworkLatency" {
					continue
				}
				neutral = neutral && s.Neutral
			}
		}
		return strings.Contains(strings.ToLower(notes), "stale") && neutral && len(review.Status.SelectedClusters) == 1,
			fmt.Sprintf("notes %q, telemetry scores neutral=%v, selected %+v", notes, neutral, review.Status.SelectedClusters)
	})
}
