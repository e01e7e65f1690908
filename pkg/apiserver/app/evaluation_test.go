package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	schedulingv1alpha1 "kurator.dev/kurator/pkg/apis/scheduling/v1alpha1"
	"kurator.dev/kurator/pkg/apiserver/app"
	"kurator.dev/kurator/pkg/telemetry"
)

// profile is a kurator-scheduler profile: every plugin, ClusterUtilization weighted 2.
const profile = `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: kurator-scheduler
  plugins:
    score:
      enabled:
      - name: ClusterUtilization
        weight: 2
  pluginConfig:
  - name: Telemetry
    args:
      apiVersion: config.kurator.dev/v1alpha1
      kind: TelemetryArgs
      url: http://thanos.test:9090
      refreshInterval: 1s
      maxSampleAge: 60s
`

// profileThanos answers cpu and memory utilization under the Karmada names.
type profileThanos struct{}

func (profileThanos) Query(_ context.Context, query string, ts time.Time, _ ...promv1.Option) (model.Value, promv1.Warnings, error) {
	at := model.TimeFromUnixNano(ts.UnixNano())
	s := func(cluster string, v float64) *model.Sample {
		return &model.Sample{Metric: model.Metric{"cluster": model.LabelValue(cluster)}, Value: model.SampleValue(v), Timestamp: at}
	}
	switch query {
	case telemetry.DefaultCPUQuery, telemetry.DefaultMemoryQuery:
		return model.Vector{s("aliyun", 0.2), s("tencent", 0.6), s("edge", 0.1)}, nil, nil
	default:
		return model.Vector{}, nil, nil
	}
}

// withDeployments lets a cluster take Deployments (Karmada's APIEnablement filter), 110 pods.
func withDeployments(c *clusterv1alpha1.Cluster) *clusterv1alpha1.Cluster {
	c.Status.APIEnablements = []clusterv1alpha1.APIEnablement{{GroupVersion: "apps/v1", Resources: []clusterv1alpha1.APIResource{{Name: "deployments", Kind: "Deployment"}}}}
	c.Status.ResourceSummary.Allocatable[corev1.ResourcePods] = resource.MustParse("110")
	return c
}

// TestPlacementReviewWithSchedulerProfile evaluates reviews with the real plugin code of
// pkg/scheduler, loaded from a profile file as kurator-scheduler loads it.
func TestPlacementReviewWithSchedulerProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(path, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	karmada := newFakeKarmada()
	karmada.clusters.set(true,
		withDeployments(karmadaCluster("aliyun", "prod", true, "8", "2", "32Gi", "8Gi")),
		withDeployments(karmadaCluster("tencent", "prod", true, "4", "1", "16Gi", "4Gi")),
		karmadaCluster("edge", "dev", true, "4", "0", "16Gi", "0"), // cannot run Deployments
	)
	s := startServer(t, karmada, func(o *app.Options) {
		o.SchedulerConfigs = []string{path}
		o.SchedulerQuerier = profileThanos{}
	})
	reviews := s.client.SchedulingV1alpha1().PlacementReviews()
	deployment := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","annotations":{"latency.kurator.dev/peers":"core"}},
"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"web","resources":{"requests":{"cpu":"500m","memory":"512Mi"}}}]}}}}`
	review := &schedulingv1alpha1.PlacementReview{Spec: schedulingv1alpha1.PlacementReviewSpec{
		Resource:      &runtime.RawExtension{Raw: []byte(deployment)},
		Placement:     &policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"aliyun", "tencent", "edge"}}},
		SchedulerName: "kurator-scheduler",
	}}

	var got *schedulingv1alpha1.PlacementReview
	eventually(t, time.Minute, func() (bool, string) {
		var err error
		got, err = reviews.Create(t.Context(), review, metav1.CreateOptions{})
		if err != nil {
			return false, err.Error()
		}
		return len(got.Status.Notes) > 0 && strings.HasPrefix(got.Status.Notes[0], "telemetry fresh"), strings.Join(got.Status.Notes, " | ")
	})

	byName := map[string]schedulingv1alpha1.ClusterEvaluation{}
	for _, c := range got.Status.Clusters {
		byName[c.Name] = c
	}
	if len(byName) != 3 {
		t.Fatalf("evaluated clusters = %+v, want aliyun, tencent and edge", got.Status.Clusters)
	}
	edge := byName["edge"]
	rejected := false
	for _, f := range edge.Filters {
		if f.Plugin == "APIEnablement" && !f.Passed && f.Reason != "" {
			rejected = true
		}
	}
	if edge.Feasible || !rejected || len(edge.Scores) != 0 {
		t.Errorf("edge = %+v, want infeasible by APIEnablement with a reason, and unscored", edge)
	}
	aliyun := byName["aliyun"]
	var util *schedulingv1alpha1.PluginScore
	for i, sc := range aliyun.Scores {
		if sc.Plugin == "ClusterUtilization" {
			util = &aliyun.Scores[i]
		}
	}
	if !aliyun.Feasible || util == nil || util.Weight != 2 || util.WeightedScore != 2*util.Score || util.Neutral || len(util.Reasons) == 0 {
		t.Errorf("aliyun = %+v; want feasible with ClusterUtilization weighted 2, judged on fresh data with reasons", aliyun)
	}
	var total int64
	var reasons []string
	for _, sc := range aliyun.Scores {
		total += sc.WeightedScore
		reasons = append(reasons, sc.Reasons...)
	}
	// NetworkLatency reads the peers from the review's template, which exists nowhere else.
	if all := strings.Join(reasons, "\n"); !strings.Contains(all, "core.shop (declared") || strings.Contains(all, "template annotations unavailable") {
		t.Errorf("aliyun's score reasons do not show the template's declared peer core.shop:\n%s", all)
	}
	if aliyun.TotalScore != total {
		t.Errorf("aliyun total score %d, want the sum of its weighted scores %d", aliyun.TotalScore, total)
	}
	// 8 cpu allocatable, 2 allocated: 12 replicas of 500m (memory allows 48, pods 110).
	if len(aliyun.Estimates) != 1 || aliyun.Estimates[0].Estimator != schedulingv1alpha1.EstimatorGeneral ||
		aliyun.EstimatedReplicas == nil || *aliyun.EstimatedReplicas != 12 || aliyun.Estimates[0].Replicas != 12 {
		t.Errorf("aliyun estimates = %+v (min %v), want the general estimator's", aliyun.Estimates, aliyun.EstimatedReplicas)
	}
	var selected []string
	for _, c := range got.Status.SelectedClusters {
		selected = append(selected, c.Name)
	}
	if strings.Join(selected, ",") != "aliyun,tencent" || got.Status.SchedulerName != "kurator-scheduler" || got.Status.Replicas != 3 {
		t.Errorf("selected %v by %s for %d replicas; want aliyun,tencent by kurator-scheduler for 3", selected, got.Status.SchedulerName, got.Status.Replicas)
	}
	if !strings.Contains(strings.Join(got.Status.Notes, "\n"), "scheduler-estimator services were not asked (kurator-apiserver runs without --enable-scheduler-estimator)") {
		t.Errorf("notes %q do not say the scheduler-estimator was not consulted", got.Status.Notes)
	}

	review.Spec.SchedulerName = ""
	_, err := reviews.Create(t.Context(), review, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `spec.schedulerName: Unsupported value: "default-scheduler": supported values: "kurator-scheduler"`) {
		t.Errorf("a review for a scheduler without a profile: %v, want 422 naming the known schedulers", err)
	}
}
