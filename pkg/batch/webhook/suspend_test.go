package webhook

import (
	"encoding/json"
	"testing"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

func binding(apiVersion, kind string) *workv1alpha2.ResourceBinding {
	return &workv1alpha2.ResourceBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "work.karmada.io/v1alpha2", Kind: "ResourceBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: "train-job", Namespace: "ml"},
		Spec: workv1alpha2.ResourceBindingSpec{Resource: workv1alpha2.ObjectReference{
			APIVersion: apiVersion, Kind: kind, Namespace: "ml", Name: "train",
		}},
	}
}

func review(t *testing.T, op admissionv1.Operation, rb *workv1alpha2.ResourceBinding) admission.Response {
	t.Helper()
	raw, err := json.Marshal(rb)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := workv1alpha2.Install(scheme); err != nil {
		t.Fatal(err)
	}
	s := &Suspender{Decoder: admission.NewDecoder(scheme)}
	return s.Handle(t.Context(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: op, Object: runtime.RawExtension{Raw: raw},
	}})
}

func TestVolcanoJobBindingsAreCreatedSuspended(t *testing.T) {
	resp := review(t, admissionv1.Create, binding(VolcanoJobAPIVersion, VolcanoJobKind))
	if !resp.Allowed {
		t.Fatalf("denied: %v", resp.Result)
	}
	paths := map[string]any{}
	for _, p := range resp.Patches {
		paths[p.Path] = p.Value
	}
	if v, ok := paths["/spec/suspension"]; !ok || v.(map[string]any)["scheduling"] != true {
		t.Errorf("patches %v do not suspend scheduling", resp.Patches)
	}
	if _, ok := paths["/metadata/labels"]; !ok {
		t.Errorf("patches %v do not label the binding as managed", resp.Patches)
	}
}

func TestOtherBindingsAndUpdatesPassUnchanged(t *testing.T) {
	for name, tc := range map[string]struct {
		op admissionv1.Operation
		rb *workv1alpha2.ResourceBinding
	}{
		"a Deployment":                 {admissionv1.Create, binding("apps/v1", "Deployment")},
		"a batch/v1 Job":               {admissionv1.Create, binding("batch/v1", "Job")},
		"an update of a Volcano Job's": {admissionv1.Update, binding(VolcanoJobAPIVersion, VolcanoJobKind)},
	} {
		resp := review(t, tc.op, tc.rb)
		if !resp.Allowed || len(resp.Patches) != 0 {
			t.Errorf("%s binding: allowed=%v patches=%v, want allowed unchanged", name, resp.Allowed, resp.Patches)
		}
	}
}

func TestSuspendKeepsOtherSuspensionSettings(t *testing.T) {
	rb := binding(VolcanoJobAPIVersion, VolcanoJobKind)
	dispatching := true
	rb.Spec.Suspension = &workv1alpha2.Suspension{}
	rb.Spec.Suspension.Dispatching = &dispatching
	if !Suspend(rb) {
		t.Fatal("not suspended")
	}
	if rb.Spec.Suspension.Dispatching == nil || !*rb.Spec.Suspension.Dispatching || !*rb.Spec.Suspension.Scheduling {
		t.Fatalf("suspension = %+v", rb.Spec.Suspension)
	}
}
