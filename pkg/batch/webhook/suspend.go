// Package webhook is the fleet queue's admission webhook. A Volcano Job submitted to Karmada
// becomes a ResourceBinding; the webhook creates that binding with scheduling suspended so the
// Karmada scheduler leaves it alone until the fleet queue's dispatcher releases it.
//
// Failure policy. The webhook is registered with failurePolicy Fail and a matchCondition that
// limits it to ResourceBindings of batch.volcano.sh Jobs. While it is down, Karmada cannot
// create the bindings of new Volcano Jobs and retries with backoff: the jobs wait, nothing is
// lost, and no job bypasses the queue to sit Pending in a member. Bindings of every other kind
// never reach the webhook, so an outage cannot stop anything else.
package webhook

import (
	"context"
	"encoding/json"
	"net/http"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Path is where the webhook is served.
const Path = "/mutate-volcano-job-binding"

// The Volcano Job resource a binding must reference to be queued.
const (
	VolcanoJobAPIVersion = "batch.volcano.sh/v1alpha1"
	VolcanoJobKind       = "Job"
)

// ManagedLabel marks the ResourceBindings the fleet queue manages.
const ManagedLabel = "batch.kurator.dev/managed"

// MatchCondition is the CEL expression that limits the webhook to Volcano Job bindings.
const MatchCondition = `object.spec.resource.apiVersion == "` + VolcanoJobAPIVersion + `" && object.spec.resource.kind == "` + VolcanoJobKind + `"`

// IsVolcanoJob reports whether a binding is for a Volcano Job.
func IsVolcanoJob(rb *workv1alpha2.ResourceBinding) bool {
	return rb.Spec.Resource.APIVersion == VolcanoJobAPIVersion && rb.Spec.Resource.Kind == VolcanoJobKind
}

// Suspend marks a new binding of a Volcano Job as managed by the fleet queue and suspends its
// scheduling. It reports whether it changed the binding.
func Suspend(rb *workv1alpha2.ResourceBinding) bool {
	if !IsVolcanoJob(rb) {
		return false
	}
	if rb.Labels == nil {
		rb.Labels = map[string]string{}
	}
	rb.Labels[ManagedLabel] = "true"
	if rb.Spec.Suspension == nil {
		rb.Spec.Suspension = &workv1alpha2.Suspension{}
	}
	rb.Spec.Suspension.Scheduling = ptr.To(true)
	return true
}

// Suspender is the admission handler.
type Suspender struct {
	Decoder admission.Decoder
}

// Handle suspends the scheduling of new Volcano Job bindings and admits everything else as is.
func (s *Suspender) Handle(_ context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create {
		return admission.Allowed("only creations are queued")
	}
	rb := &workv1alpha2.ResourceBinding{}
	if err := s.Decoder.Decode(req, rb); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if !Suspend(rb) {
		return admission.Allowed("not a Volcano Job binding")
	}
	data, err := json.Marshal(rb)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return admission.PatchResponseFromRaw(req.Object.Raw, data)
}
