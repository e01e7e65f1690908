package controller

import (
	"strings"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
)

func TestMergePatch(t *testing.T) {
	now := t0
	scheduled := metav1.NewTime(now)
	cases := []struct {
		name    string
		rb      workv1alpha2.ResourceBinding
		desired map[string]string
		act     action
		want    string
	}{
		{
			name:    "nothing to change",
			rb:      workv1alpha2.ResourceBinding{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{batchapi.AnnotationState: "Queued", "other": "x"}}},
			desired: map[string]string{batchapi.AnnotationState: "Queued"},
			want:    "",
		},
		{
			name: "annotations only: set, change and remove ours, leave others, no precondition",
			rb: workv1alpha2.ResourceBinding{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "7", Annotations: map[string]string{
				batchapi.AnnotationState: "Queued", batchapi.AnnotationPredictedStart: "2030-01-01T12:00:00Z", "other": "x"}}},
			desired: map[string]string{batchapi.AnnotationState: "Rejected", batchapi.AnnotationReason: "UnknownQueue"},
			want:    `{"metadata":{"annotations":{"batch.kurator.dev/predicted-start":null,"batch.kurator.dev/reason":"UnknownQueue","batch.kurator.dev/state":"Rejected"}}}`,
		},
		{
			name: "release of a binding never scheduled",
			rb: workv1alpha2.ResourceBinding{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "7"},
				Spec: workv1alpha2.ResourceBindingSpec{Suspension: &workv1alpha2.Suspension{Scheduling: ptr.To(true)}}},
			desired: map[string]string{batchapi.AnnotationCluster: "tencent"},
			act:     release,
			want:    `{"metadata":{"annotations":{"batch.kurator.dev/cluster":"tencent"},"resourceVersion":"7"},"spec":{"suspension":{"scheduling":null}}}`,
		},
		{
			name: "release of a binding scheduled in this very second triggers a reschedule a second later",
			rb: workv1alpha2.ResourceBinding{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "7"},
				Spec:   workv1alpha2.ResourceBindingSpec{Suspension: &workv1alpha2.Suspension{Scheduling: ptr.To(true)}},
				Status: workv1alpha2.ResourceBindingStatus{LastScheduledTime: &scheduled}},
			act:  release,
			want: `{"metadata":{"resourceVersion":"7"},"spec":{"rescheduleTriggeredAt":"2030-01-01T12:00:01Z","suspension":{"scheduling":null}}}`,
		},
		{
			name: "unschedule",
			rb: workv1alpha2.ResourceBinding{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "9"},
				Spec: workv1alpha2.ResourceBindingSpec{Clusters: []workv1alpha2.TargetCluster{{Name: "tencent"}}}},
			act:  unschedule,
			want: `{"metadata":{"resourceVersion":"9"},"spec":{"clusters":null,"suspension":{"scheduling":true}}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mergePatch(&tc.rb, tc.desired, tc.act, now)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("patch\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestAllowedClusters(t *testing.T) {
	cluster := func(name string, taints ...corev1.Taint) *clusterv1alpha1.Cluster {
		return &clusterv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: clusterv1alpha1.ClusterSpec{Taints: taints},
			Status: clusterv1alpha1.ClusterStatus{APIEnablements: []clusterv1alpha1.APIEnablement{{GroupVersion: "batch.volcano.sh/v1alpha1",
				Resources: []clusterv1alpha1.APIResource{{Name: "jobs", Kind: "Job"}}}}}}
	}
	notReady := corev1.Taint{Key: clusterv1alpha1.TaintClusterNotReady, Effect: corev1.TaintEffectNoSchedule}
	dedicated := corev1.Taint{Key: "dedicated", Value: "inference", Effect: corev1.TaintEffectNoSchedule}
	noVolcano := cluster("plain")
	noVolcano.Status.APIEnablements = nil
	clusters := []*clusterv1alpha1.Cluster{cluster("aliyun"), cluster("tencent", notReady), cluster("edge", dedicated), noVolcano}
	binding := func(p *policyv1alpha1.Placement) *workv1alpha2.ResourceBinding {
		return &workv1alpha2.ResourceBinding{Spec: workv1alpha2.ResourceBindingSpec{
			Resource: workv1alpha2.ObjectReference{APIVersion: "batch.volcano.sh/v1alpha1", Kind: "Job", Name: "j"}, Placement: p}}
	}
	cases := []struct {
		name string
		rb   *workv1alpha2.ResourceBinding
		want string
	}{
		{"no placement: every member", binding(nil), "<nil>"},
		// Not ready is passing; a NoSchedule taint is the user's; a member without the Volcano Job API cannot take it.
		{"empty placement", binding(&policyv1alpha1.Placement{}), "aliyun,tencent"},
		{"tolerated taint", binding(&policyv1alpha1.Placement{ClusterTolerations: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}}}), "aliyun,tencent,edge"},
		{"cluster names", binding(&policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"tencent", "edge"}}}), "tencent"},
		{"nothing allowed", binding(&policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"gone"}}}), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := allowedClusters(t.Context(), tc.rb, clusters)
			s := strings.Join(got, ",")
			if got == nil {
				s = "<nil>"
			}
			if s != tc.want {
				t.Errorf("allowed %q, want %q", s, tc.want)
			}
		})
	}
}

func TestWithin(t *testing.T) {
	a := t0.Format(time.RFC3339)
	for _, tc := range []struct {
		b    string
		want bool
	}{{t0.Add(59 * time.Second).Format(time.RFC3339), true}, {t0.Add(-61 * time.Second).Format(time.RFC3339), false}, {"", false}} {
		if got := within(a, tc.b, predictionSlack); got != tc.want {
			t.Errorf("within(%s, %s) = %v", a, tc.b, got)
		}
	}
}
