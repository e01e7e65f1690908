// Package scheme is the runtime scheme of kurator-apiserver: every API group it serves,
// internal and versioned, with the codecs built on it.
package scheme

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	batchinstall "kurator.dev/kurator/pkg/apis/batch/install"
	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	fleetinstall "kurator.dev/kurator/pkg/apis/fleet/install"
	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	schedulinginstall "kurator.dev/kurator/pkg/apis/scheduling/install"
	telemetryinstall "kurator.dev/kurator/pkg/apis/telemetry/install"
)

var (
	// Scheme knows every type kurator-apiserver serves.
	Scheme = runtime.NewScheme()
	// Codecs serializes and deserializes the types of Scheme.
	Codecs = serializer.NewCodecFactory(Scheme)
	// ParameterCodec decodes query parameters into options structs.
	ParameterCodec = runtime.NewParameterCodec(Scheme)
)

// StorageVersions are the versions objects are stored in, one per API group that stores
// objects (telemetry.kurator.dev and scheduling.kurator.dev store nothing).
var StorageVersions = []schema.GroupVersion{
	fleetv1alpha1.SchemeGroupVersion,
	batchv1alpha1.SchemeGroupVersion,
}

func init() {
	fleetinstall.Install(Scheme)
	telemetryinstall.Install(Scheme)
	schedulinginstall.Install(Scheme)
	batchinstall.Install(Scheme)

	// The generic server decodes option structs (ListOptions, ...) through the unversioned
	// core group, and serves its own unversioned types from it.
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	Scheme.AddUnversionedTypes(unversioned,
		&metav1.Status{},
		&metav1.APIVersions{},
		&metav1.APIGroupList{},
		&metav1.APIGroup{},
		&metav1.APIResourceList{},
	)
}
