// Package install registers the batch.kurator.dev API group, internal and versioned, in a scheme.
package install

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"kurator.dev/kurator/pkg/apis/batch"
	"kurator.dev/kurator/pkg/apis/batch/v1alpha1"
)

// Install registers the API group's internal and versioned types, conversions and defaults in the
// scheme, with v1alpha1 as the preferred version.
func Install(scheme *runtime.Scheme) {
	utilruntime.Must(batch.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	utilruntime.Must(scheme.SetVersionPriority(v1alpha1.SchemeGroupVersion))
}
