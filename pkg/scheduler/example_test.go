package scheduler_test

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"kurator.dev/kurator/pkg/scheduler"
	"kurator.dev/kurator/pkg/scheduler/framework"
	st "kurator.dev/kurator/pkg/scheduler/testing"
	"kurator.dev/kurator/pkg/scheduler/workload"
	"kurator.dev/kurator/pkg/telemetry"
)

// ExampleEvaluator shows what PlacementReview does: evaluate a binding over the clusters with
// the scheduler's profile, then ask Karmada's selection which clusters it would pick. A server
// builds its handle with scheduler.StartRuntime (live telemetry, templates, clusters); here a
// StaticHandle holds a hand-made snapshot.
func ExampleEvaluator() {
	now := time.Unix(1_700_000_000, 0)
	clusters := st.Clusters{
		st.Cluster("aliyun").Network("hz").Locality("alibaba", "cn-hangzhou", "h").Capacity("64", "256Gi", "0", "0").Obj(),
		st.Cluster("tencent").Network("sh").Locality("tencent", "cn-shanghai", "5").Capacity("96", "640Gi", "0", "0").Obj(),
	}
	snap := telemetry.NewSnapshot(telemetry.SnapshotData{
		Time: now, MaxSampleAge: time.Minute,
		Utilization: map[corev1.ResourceName]map[string]telemetry.Sample{"cpu": {"aliyun": {Value: 0.45}, "tencent": {Value: 0.30}}},
		Latency:     map[[2]string]telemetry.Sample{{"aliyun", "aliyun"}: {Value: 4.9}, {"tencent", "aliyun"}: {Value: 24}},
		Flows: []telemetry.Flow{{SourceCluster: "aliyun", SourceWorkload: "web", SourceNamespace: "default",
			DestinationCluster: "aliyun", DestinationService: "core", DestinationNamespace: "default", Rate: telemetry.Sample{Value: 400}}},
	})
	templates := &st.Templates{Annotations: map[string]map[string]string{
		"default/ai-interaction": {workload.AnnotationPeers: "core", workload.AnnotationSLO: "30ms"},
	}}
	h := &framework.StaticHandle{Snapshot: snap, TemplateGetter: templates, ClusterGetter: clusters, Clock: func() time.Time { return now }}

	profile := scheduler.DefaultProfile(scheduler.DefaultCatalog()) // or scheduler.LoadProfile(path, catalog)
	ev, err := scheduler.NewEvaluator(profile, h)
	if err != nil {
		panic(err)
	}
	in := scheduler.Input{
		Spec:     st.Binding("default", "ai-interaction").Replicas(2, "500m", "512Mi", "").SpreadToOne().Obj(),
		Clusters: clusters,
	}
	evaluation := ev.Evaluate(context.Background(), in)
	for _, c := range evaluation.Feasible() {
		fmt.Printf("%s total %d\n", c.Cluster, c.TotalScore)
		for _, s := range c.Scores {
			if s.Plugin == "NetworkLatency" {
				fmt.Printf("  %s %d×%d: %s\n", s.Plugin, s.Score, s.Weight, s.Reasons[len(s.Reasons)-1])
			}
		}
	}
	targets, err := scheduler.Select(in, evaluation)
	if err != nil {
		panic(err)
	}
	fmt.Println("selected:", targets[0].Name, targets[0].Replicas)
	// Output:
	// aliyun total 257
	//   NetworkLatency 86×1: traffic-weighted p99 4.9ms over 100% of the peers' traffic, reference 30.0ms (SLO 30.0ms): score 86
	// tencent total 141
	//   NetworkLatency 56×1: traffic-weighted p99 24.0ms over 100% of the peers' traffic, reference 30.0ms (SLO 30.0ms): score 56
	// selected: aliyun 2
}
