package placementreview

import (
	"context"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"kurator.dev/kurator/pkg/apis/scheduling"
)

// Evaluator evaluates a ResourceBinding the way kurator-scheduler schedules it — the
// profile's filter and score plugins (Karmada's in-tree ones and kurator's), the profile's
// weights, the estimators (general and scheduler-estimator gRPC) and the cluster selection
// and replica division — without scheduling it. kurator-scheduler's in-process evaluation
// entry point implements it; PlacementReview calls it once per review.
type Evaluator interface {
	// Evaluate evaluates binding with the profile schedulerName and returns the review's
	// status: every cluster's filter verdicts, weighted scores and estimates, the selected
	// clusters, and notes on the freshness of the data behind it.
	//
	// binding is either an existing ResourceBinding, or one built from spec.resource and
	// spec.placement as Karmada's detector would build it (not stored; its spec.resource.uid
	// is empty). template, when not nil, is that resource template: plugins that read a
	// template's metadata (annotations such as latency.kurator.dev/peers) must read it from
	// here, because it may not exist in the Karmada apiserver.
	//
	// Missing or stale data is not an error: plugins answer neutrally and the status's
	// notes say so. An unknown schedulerName is the caller's mistake: return an error that
	// implements apierrors.APIStatus (for example apierrors.NewInvalid on
	// spec.schedulerName) and it is returned to the client as is; any other error is
	// returned as an internal error.
	Evaluate(ctx context.Context, schedulerName string, binding *workv1alpha2.ResourceBinding, template *unstructured.Unstructured) (*scheduling.PlacementReviewStatus, error)
}
