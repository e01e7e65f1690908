// Package validation checks PlacementReview objects (internal version) and reports every
// problem with the exact field path, so that the API server can answer 422 Unprocessable Entity.
package validation

import (
	"encoding/json"
	"fmt"

	karmadavalidation "github.com/karmada-io/karmada/pkg/util/validation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"kurator.dev/kurator/pkg/apis/scheduling"
)

// ValidatePlacementReview checks a PlacementReview about to be evaluated. Its metadata is
// optional (nothing is stored); a name, when given, must be a DNS subdomain.
func ValidatePlacementReview(pr *scheduling.PlacementReview) field.ErrorList {
	var allErrs field.ErrorList
	if pr.Name != "" {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(pr.Name, false) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("metadata", "name"), pr.Name, msg))
		}
	}
	return append(allErrs, ValidatePlacementReviewSpec(&pr.Spec, field.NewPath("spec"))...)
}

// ValidatePlacementReviewSpec checks that exactly one workload is named, and that it is
// well formed.
func ValidatePlacementReviewSpec(spec *scheduling.PlacementReviewSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	bindingPath, resourcePath, placementPath := fldPath.Child("resourceBinding"), fldPath.Child("resource"), fldPath.Child("placement")
	hasResource := spec.Resource != nil && (len(spec.Resource.Raw) > 0 || spec.Resource.Object != nil)
	switch {
	case spec.ResourceBinding == nil && !hasResource:
		allErrs = append(allErrs, field.Required(fldPath,
			"set spec.resourceBinding to review an existing ResourceBinding, or spec.resource and spec.placement to review a resource template"))
	case spec.ResourceBinding != nil && hasResource:
		allErrs = append(allErrs, field.Forbidden(resourcePath,
			"spec.resource and spec.resourceBinding are exclusive: review either an existing ResourceBinding or a resource template"))
	case spec.ResourceBinding != nil:
		allErrs = append(allErrs, validateBindingReference(spec.ResourceBinding, bindingPath)...)
		if spec.Placement != nil {
			allErrs = append(allErrs, field.Forbidden(placementPath,
				"a ResourceBinding is reviewed with its own placement; to try another placement, review its resource template with spec.resource and spec.placement"))
		}
	default:
		allErrs = append(allErrs, ValidateResource(spec.Resource.Raw, resourcePath)...)
		if spec.Placement == nil {
			allErrs = append(allErrs, field.Required(placementPath,
				"the Karmada placement to review spec.resource with, as in a PropagationPolicy's spec.placement (for example clusterAffinity.clusterNames)"))
		} else {
			allErrs = append(allErrs, karmadavalidation.ValidatePlacement(*spec.Placement, placementPath)...)
		}
	}
	if spec.SchedulerName != "" {
		for _, msg := range utilvalidation.IsDNS1123Subdomain(spec.SchedulerName) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("schedulerName"), spec.SchedulerName, msg))
		}
	}
	return allErrs
}

func validateBindingReference(ref *scheduling.ResourceBindingReference, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if ref.Namespace == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("namespace"), "the namespace of the ResourceBinding (the namespace of its resource template)"))
	} else {
		for _, msg := range utilvalidation.IsDNS1123Label(ref.Namespace) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("namespace"), ref.Namespace, msg))
		}
	}
	if ref.Name == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), "the name of the ResourceBinding, usually <template name>-<kind in lower case>"))
	} else {
		for _, msg := range utilvalidation.IsDNS1123Subdomain(ref.Name) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("name"), ref.Name, msg))
		}
	}
	return allErrs
}

// ValidateResource checks that raw is the JSON of a Kubernetes object: apiVersion, kind and
// metadata.name set, and a valid namespace if any.
func ValidateResource(raw []byte, fldPath *field.Path) field.ErrorList {
	var obj struct {
		APIVersion *string `json:"apiVersion"`
		Kind       *string `json:"kind"`
		Metadata   *struct {
			Name      *string `json:"name"`
			Namespace *string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return field.ErrorList{field.Invalid(fldPath, "<resource>", fmt.Sprintf("must be a Kubernetes object (a JSON or YAML map with apiVersion, kind and metadata): %v", err))}
	}
	var allErrs field.ErrorList
	switch {
	case obj.APIVersion == nil || *obj.APIVersion == "":
		allErrs = append(allErrs, field.Required(fldPath.Child("apiVersion"), "the apiVersion of the resource template, for example apps/v1"))
	default:
		if _, err := schema.ParseGroupVersion(*obj.APIVersion); err != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("apiVersion"), *obj.APIVersion, err.Error()))
		}
	}
	if obj.Kind == nil || *obj.Kind == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("kind"), "the kind of the resource template, for example Deployment"))
	}
	metaPath := fldPath.Child("metadata")
	switch {
	case obj.Metadata == nil || obj.Metadata.Name == nil || *obj.Metadata.Name == "":
		allErrs = append(allErrs, field.Required(metaPath.Child("name"), "the name of the resource template"))
	default:
		// Names are checked as the apiserver checks them in URLs: some kinds (RBAC roles)
		// allow more than DNS subdomains.
		for _, msg := range path.IsValidPathSegmentName(*obj.Metadata.Name) {
			allErrs = append(allErrs, field.Invalid(metaPath.Child("name"), *obj.Metadata.Name, msg))
		}
	}
	if obj.Metadata != nil && obj.Metadata.Namespace != nil && *obj.Metadata.Namespace != "" {
		for _, msg := range utilvalidation.IsDNS1123Label(*obj.Metadata.Namespace) {
			allErrs = append(allErrs, field.Invalid(metaPath.Child("namespace"), *obj.Metadata.Namespace, msg))
		}
	}
	return allErrs
}
