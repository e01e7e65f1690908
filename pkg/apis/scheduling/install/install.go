// Package install registers the scheduling.kurator.dev API group, internal and versioned, in a scheme.
package install

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"kurator.dev/kurator/pkg/apis/scheduling"
	"kurator.dev/kurator/pkg/apis/scheduling/v1alpha1"
)

// Install registers the API group's internal and versioned types and conversions in the
// scheme, with v1alpha1 as the preferred version.
func Install(scheme *runtime.Scheme) {
	utilruntime.Must(scheduling.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	utilruntime.Must(scheme.SetVersionPriority(v1alpha1.SchemeGroupVersion))
}
