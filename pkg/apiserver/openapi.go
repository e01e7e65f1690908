package apiserver

import (
	"strings"

	karmadaopenapi "github.com/karmada-io/karmada/pkg/generated/openapi"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/util"
	"k8s.io/kube-openapi/pkg/validation/spec"

	generatedopenapi "kurator.dev/kurator/pkg/generated/openapi"
)

// GetOpenAPIDefinitions returns the OpenAPI definitions of kurator's API groups and of the
// Karmada types they embed (PlacementReview's spec.placement is a Karmada Placement), so
// that `kubectl explain` documents those fields too.
//
// openapi-gen refers to types outside kurator's input packages by Go package path, while
// Karmada's generated definitions are keyed by their OpenAPI model names (the package path
// with its domain reversed); such references are rewritten to the model names.
func GetOpenAPIDefinitions(ref common.ReferenceCallback) map[string]common.OpenAPIDefinition {
	defs := karmadaopenapi.GetOpenAPIDefinitions(ref)
	kurator := generatedopenapi.GetOpenAPIDefinitions(func(name string) spec.Ref { return ref(modelName(name)) })
	for name, def := range kurator {
		for i, dep := range def.Dependencies {
			def.Dependencies[i] = modelName(dep)
		}
		defs[name] = def
	}
	return defs
}

// modelName turns a Go package path reference ("github.com/org/repo/pkg.Type") into its
// OpenAPI model name ("com.github.org.repo.pkg.Type"); model names are returned unchanged.
func modelName(name string) string {
	if !strings.Contains(name, "/") {
		return name
	}
	return util.ToRESTFriendlyName(name)
}
