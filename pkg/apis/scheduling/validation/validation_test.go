package validation

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"kurator.dev/kurator/pkg/apis/scheduling"
)

const deployment = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":3}}`

func placement() *policyv1alpha1.Placement {
	return &policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"aliyun", "edge"}}}
}

func TestValidatePlacementReview(t *testing.T) {
	tests := []struct {
		name string
		pr   scheduling.PlacementReview
		// want are "type field" of every error, in order.
		want []string
		// wantDetail, if set, must appear in the first error's detail.
		wantDetail string
	}{
		{
			name: "binding",
			pr:   scheduling.PlacementReview{Spec: scheduling.PlacementReviewSpec{ResourceBinding: &scheduling.ResourceBindingReference{Namespace: "shop", Name: "web-deployment"}}},
		},
		{
			name: "template with placement and scheduler",
			pr: scheduling.PlacementReview{ObjectMeta: metav1.ObjectMeta{Name: "why-web"}, Spec: scheduling.PlacementReviewSpec{
				Resource: &runtime.RawExtension{Raw: []byte(deployment)}, Placement: placement(), SchedulerName: "kurator-scheduler",
			}},
		},
		{
			name: "nothing to review",
			pr:   scheduling.PlacementReview{},
			want: []string{"FieldValueRequired spec"}, wantDetail: "set spec.resourceBinding to review an existing ResourceBinding, or spec.resource and spec.placement",
		},
		{
			name: "both a binding and a template",
			pr: scheduling.PlacementReview{Spec: scheduling.PlacementReviewSpec{
				ResourceBinding: &scheduling.ResourceBindingReference{Namespace: "shop", Name: "web-deployment"},
				Resource:        &runtime.RawExtension{Raw: []byte(deployment)}, Placement: placement(),
			}},
			want: []string{"FieldValueForbidden spec.resource"},
		},
		{
			name: "binding with a placement and bad names",
			pr: scheduling.PlacementReview{ObjectMeta: metav1.ObjectMeta{Name: "Why_Web"}, Spec: scheduling.PlacementReviewSpec{
				ResourceBinding: &scheduling.ResourceBindingReference{Namespace: "Shop", Name: ""}, Placement: placement(), SchedulerName: "Kurator Scheduler",
			}},
			want: []string{
				"FieldValueInvalid metadata.name", "FieldValueInvalid spec.resourceBinding.namespace", "FieldValueRequired spec.resourceBinding.name",
				"FieldValueForbidden spec.placement", "FieldValueInvalid spec.schedulerName",
			},
		},
		{
			name: "template without placement",
			pr:   scheduling.PlacementReview{Spec: scheduling.PlacementReviewSpec{Resource: &runtime.RawExtension{Raw: []byte(deployment)}}},
			want: []string{"FieldValueRequired spec.placement"},
		},
		{
			name: "template without apiVersion, kind and name",
			pr: scheduling.PlacementReview{Spec: scheduling.PlacementReviewSpec{
				Resource: &runtime.RawExtension{Raw: []byte(`{"metadata":{"namespace":"Bad_NS"}}`)}, Placement: placement(),
			}},
			want: []string{"FieldValueRequired spec.resource.apiVersion", "FieldValueRequired spec.resource.kind", "FieldValueRequired spec.resource.metadata.name", "FieldValueInvalid spec.resource.metadata.namespace"},
		},
		{
			name: "template that is not an object",
			pr: scheduling.PlacementReview{Spec: scheduling.PlacementReviewSpec{
				Resource: &runtime.RawExtension{Raw: []byte(`[1,2]`)}, Placement: placement(),
			}},
			want: []string{"FieldValueInvalid spec.resource"},
		},
		{
			name: "placement checked as Karmada checks it",
			pr: scheduling.PlacementReview{Spec: scheduling.PlacementReviewSpec{
				Resource: &runtime.RawExtension{Raw: []byte(deployment)},
				Placement: &policyv1alpha1.Placement{SpreadConstraints: []policyv1alpha1.SpreadConstraint{
					{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MaxGroups: 1, MinGroups: 2},
				}},
			}},
			want: []string{"FieldValueInvalid spec.placement.spreadConstraints[0]"}, wantDetail: "maxGroups lower than minGroups",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := ValidatePlacementReview(&tc.pr)
			var got []string
			for _, e := range errs {
				got = append(got, string(e.Type)+" "+e.Field)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s\n%v", diff, errs)
			}
			if tc.wantDetail != "" && (len(errs) == 0 || !strings.Contains(errs[0].Detail, tc.wantDetail)) {
				t.Errorf("first error %v does not say %q", errs, tc.wantDetail)
			}
		})
	}
}
