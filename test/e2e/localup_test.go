package e2e

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
	batchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	volcanoclient "volcano.sh/apis/pkg/client/clientset/versioned"

	"kurator.dev/kurator/pkg/localup"
)

func TestMembersAreReadyWithResourceSummaries(t *testing.T) {
	for _, m := range env.scenario.Members {
		var want resource.Quantity
		for _, n := range localup.Nodes(&m) {
			want.Add(n.Status.Allocatable[corev1.ResourceCPU])
		}
		eventually(t, 2*time.Minute, "cluster "+m.Name+" Ready with its nodes summed", func(ctx context.Context) (bool, string) {
			cl, err := env.karmada.Karmada.ClusterV1alpha1().Clusters().Get(ctx, m.Name, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			cond := meta.FindStatusCondition(cl.Status.Conditions, clusterv1alpha1.ClusterConditionReady)
			if cond == nil || cond.Status != metav1.ConditionTrue {
				return false, fmt.Sprintf("Ready condition %+v", cond)
			}
			if cl.Status.ResourceSummary == nil {
				return false, "no resource summary"
			}
			got := cl.Status.ResourceSummary.Allocatable[corev1.ResourceCPU]
			ns := cl.Status.NodeSummary
			if got.Cmp(want) != 0 || ns == nil || int(ns.ReadyNum) != len(localup.Nodes(&m)) {
				return false, fmt.Sprintf("allocatable cpu %s (want %s), node summary %+v", got.String(), want.String(), ns)
			}
			return true, ""
		})
	}
}

// newNamespace creates a namespace in Karmada (Karmada propagates it to every member) and
// deletes it when the test ends.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	name := prefix + "-" + rand.String(5)
	_, err := env.karmada.Kube.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = env.karmada.Kube.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
	})
	return name
}

func runningPods(ctx context.Context, member, ns, selector string) (int, error) {
	pods, err := env.members[member].Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			n++
		}
	}
	return n, nil
}

func TestDeploymentSplitsByStaticWeights(t *testing.T) {
	ns := newNamespace(t, "e2e-weights")
	labels := map[string]string{"app": "web"}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](8),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "web", Image: "registry.example/web:1",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi"),
					}},
				}}},
			},
		},
	}
	policy := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}},
			Placement: policyv1alpha1.Placement{
				ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"aliyun", "tencent"}},
				ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{
					ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
					ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
					WeightPreference: &policyv1alpha1.ClusterPreferences{StaticWeightList: []policyv1alpha1.StaticClusterWeight{
						{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{"aliyun"}}, Weight: 5},
						{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{"tencent"}}, Weight: 3},
					}},
				},
			},
		},
	}
	if _, err := env.karmada.Karmada.PolicyV1alpha1().PropagationPolicies(ns).Create(t.Context(), policy, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating PropagationPolicy: %v", err)
	}
	if _, err := env.karmada.Kube.AppsV1().Deployments(ns).Create(t.Context(), deploy, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Deployment: %v", err)
	}
	want := map[string]int{"aliyun": 5, "tencent": 3, "edge": 0}
	eventually(t, 3*time.Minute, "8 replicas running as 5 in aliyun + 3 in tencent", func(ctx context.Context) (bool, string) {
		got := map[string]int{}
		for member := range want {
			n, err := runningPods(ctx, member, ns, "app=web")
			if err != nil && member != "edge" {
				return false, fmt.Sprintf("%s: %v", member, err)
			}
			got[member] = n
		}
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprintf("running pods %v", got)
	})
}

func TestVolcanoJobRunsInTencent(t *testing.T) {
	ns := newNamespace(t, "e2e-volcano")
	vc, err := volcanoclient.NewForConfig(env.karmada.Config)
	if err != nil {
		t.Fatal(err)
	}
	task := func(name string, replicas int32) batchv1alpha1.TaskSpec {
		return batchv1alpha1.TaskSpec{
			Name: name, Replicas: replicas, MinAvailable: ptr.To(replicas),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: name, Image: "registry.example/trainer:1", Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")},
				}}},
			}},
		}
	}
	job := &batchv1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "train", Namespace: ns},
		Spec: batchv1alpha1.JobSpec{
			SchedulerName: "volcano",
			Queue:         "default",
			MinAvailable:  3,
			Tasks:         []batchv1alpha1.TaskSpec{task("ps", 1), task("worker", 2)},
		},
	}
	policy := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "train", Namespace: ns},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "batch.volcano.sh/v1alpha1", Kind: "Job", Name: "train"}},
			Placement:         policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"tencent"}}},
		},
	}
	if _, err := env.karmada.Karmada.PolicyV1alpha1().PropagationPolicies(ns).Create(t.Context(), policy, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating PropagationPolicy: %v", err)
	}
	if _, err := vc.BatchV1alpha1().Jobs(ns).Create(t.Context(), job, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Volcano Job in Karmada: %v", err)
	}
	member, err := volcanoclient.NewForConfig(env.members["tencent"].Config)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Minute, "the Job's PodGroup in tencent and 3 Running pods", func(ctx context.Context) (bool, string) {
		pgs, err := member.SchedulingV1beta1().PodGroups(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, "listing PodGroups: " + err.Error()
		}
		if len(pgs.Items) != 1 || pgs.Items[0].Spec.MinMember != 3 {
			return false, fmt.Sprintf("%d PodGroups: %+v", len(pgs.Items), pgs.Items)
		}
		n, err := runningPods(ctx, "tencent", ns, "volcano.sh/job-name=train")
		if err != nil {
			return false, err.Error()
		}
		return n == 3 && string(pgs.Items[0].Status.Phase) == "Running", fmt.Sprintf("PodGroup phase %s, %d running pods", pgs.Items[0].Status.Phase, n)
	})
	for _, other := range []string{"aliyun", "edge"} {
		if n, _ := runningPods(t.Context(), other, ns, "volcano.sh/job-name=train"); n != 0 {
			t.Errorf("%d pods of the job run in %s, want none outside tencent", n, other)
		}
	}
}

// utilization returns the CPU utilization per cluster as Thanos Query computes it from the
// members' node_exporter-style counters.
func utilization(ctx context.Context) (map[string]float64, error) {
	client, err := promapi.NewClient(promapi.Config{Address: env.thanos})
	if err != nil {
		return nil, err
	}
	val, _, err := promv1.NewAPI(client).Query(ctx, `1 - avg by (cluster) (irate(node_cpu_seconds_total{mode="idle"}[1m]))`, time.Now())
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, s := range val.(model.Vector) {
		out[string(s.Metric["cluster"])] = float64(s.Value)
	}
	return out, nil
}

func TestThanosServesOneUtilizationSeriesPerMember(t *testing.T) {
	eventually(t, 90*time.Second, "one CPU utilization series per member at the scenario's value", func(ctx context.Context) (bool, string) {
		got, err := utilization(ctx)
		if err != nil {
			return false, err.Error()
		}
		if len(got) != len(env.scenario.Members) {
			return false, fmt.Sprintf("series %v", got)
		}
		for _, m := range env.scenario.Members {
			v, ok := got[m.Name]
			if !ok || math.Abs(v-m.Utilization.CPU) > 0.02 {
				return false, fmt.Sprintf("series %v, want %s at %.2f", got, m.Name, m.Utilization.CPU)
			}
		}
		return true, ""
	})
}

func TestScenarioApplyMovesUtilizationLive(t *testing.T) {
	root := filepath.Dir(env.layout.Output)
	original, err := localup.LoadScenario(env.layout.ActiveScenario())
	if err != nil {
		t.Fatal(err)
	}
	aliyun, _ := original.Member("aliyun")
	if _, ok := original.Member("edge"); !ok {
		t.Fatal("the default scenario has no edge member; update this test")
	}
	hot := applyScenario(t, func(s *localup.Scenario) {
		edge, _ := s.Member("edge")
		edge.Utilization.CPU = 0.85
	})
	eventually(t, 90*time.Second, "edge CPU utilization at 0.85 in Thanos, aliyun unchanged", func(ctx context.Context) (bool, string) {
		got, err := utilization(ctx)
		if err != nil {
			return false, err.Error()
		}
		return math.Abs(got["edge"]-0.85) < 0.02 && math.Abs(got["aliyun"]-aliyun.Utilization.CPU) < 0.02, fmt.Sprintf("%v", got)
	})

	// A valid scenario that changes the member set is refused with the reason and the fix.
	other, err := localup.ParseScenario(mustMarshal(t, hot))
	if err != nil {
		t.Fatal(err)
	}
	extra := other.Members[len(other.Members)-1]
	extra.Name = "another-member"
	other.Members = append(other.Members, extra)
	out, err := kuratorUpOutput(root, "scenario", "apply", writeScenario(t, "other-members.yaml", other))
	if err == nil {
		t.Fatal("a scenario with other members was applied to the running environment")
	}
	if !strings.Contains(out, "members cannot change while running") || !strings.Contains(out, "kurator-up down") {
		t.Errorf("the refusal does not say why and how to fix it: %s", out)
	}
}

func mustMarshal(t *testing.T, s *localup.Scenario) []byte {
	t.Helper()
	data, err := yaml.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
