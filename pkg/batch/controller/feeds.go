package controller

import (
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"

	"kurator.dev/kurator/pkg/estimator/feed"
)

// batchPods is what the fleet queue's model reads of a Pod: besides what the estimator
// reads, its node selector, affinity and tolerations, and the labels that tie it to its
// Volcano Job.
var batchPods = feed.PodTrim{
	Labels:    []string{schedulingv1beta1.PodPreemptable, vcbatchv1alpha1.JobNameKey, vcbatchv1alpha1.JobNamespaceKey},
	Placement: true,
}
