package main

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// benchCRD is the CRD kurator's Fleet is compared with: the same kind in another group,
// cluster-scoped, with a status subresource and a structural schema of the same shape as
// fleet.kurator.dev/v1alpha1 Fleet.
func benchCRD() *apiextensionsv1.CustomResourceDefinition {
	str := apiextensionsv1.JSONSchemaProps{Type: "string"}
	integer := apiextensionsv1.JSONSchemaProps{Type: "integer"}
	boolean := apiextensionsv1.JSONSchemaProps{Type: "boolean"}
	stringSet := apiextensionsv1.JSONSchemaProps{Type: "array", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &str}, XListType: ptr.To("set")}
	object := func(props map[string]apiextensionsv1.JSONSchemaProps, required ...string) apiextensionsv1.JSONSchemaProps {
		return apiextensionsv1.JSONSchemaProps{Type: "object", Properties: props, Required: required}
	}
	listOf := func(item apiextensionsv1.JSONSchemaProps, listType string, keys ...string) apiextensionsv1.JSONSchemaProps {
		return apiextensionsv1.JSONSchemaProps{Type: "array", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &item}, XListType: &listType, XListMapKeys: keys}
	}
	quantity := apiextensionsv1.JSONSchemaProps{
		XIntOrString: true,
		AnyOf:        []apiextensionsv1.JSONSchemaProps{{Type: "integer"}, {Type: "string"}},
		Pattern:      `^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`,
	}
	resources := apiextensionsv1.JSONSchemaProps{Type: "object", AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{Allows: true, Schema: &quantity}}
	labelSelector := object(map[string]apiextensionsv1.JSONSchemaProps{
		"matchLabels": {Type: "object", AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{Allows: true, Schema: &str}},
		"matchExpressions": listOf(object(map[string]apiextensionsv1.JSONSchemaProps{
			"key": str, "operator": str, "values": listOf(str, "atomic"),
		}, "key", "operator"), "atomic"),
	})
	labelSelector.XMapType = ptr.To("atomic")

	spec := object(map[string]apiextensionsv1.JSONSchemaProps{
		"clusters":        stringSet,
		"clusterSelector": labelSelector,
		"telemetry": object(map[string]apiextensionsv1.JSONSchemaProps{
			"thanosQueryURL": str,
			"clusterLabel":   str,
			"clusterMapping": listOf(object(map[string]apiextensionsv1.JSONSchemaProps{
				"cluster": str, "thanosCluster": str, "istioClusterID": str,
			}, "cluster"), "map", "cluster"),
		}, "thanosQueryURL"),
		"mesh": object(map[string]apiextensionsv1.JSONSchemaProps{
			"networks": listOf(object(map[string]apiextensionsv1.JSONSchemaProps{
				"name":     str,
				"clusters": stringSet,
				"gateways": listOf(object(map[string]apiextensionsv1.JSONSchemaProps{
					"address": str, "port": integer,
				}, "address"), "atomic"),
			}, "name", "clusters"), "map", "name"),
		}),
		"batch": object(map[string]apiextensionsv1.JSONSchemaProps{
			"defaultQueue": str, "defaultPriorityClassName": str,
			"preemption": {Type: "string", Enum: []apiextensionsv1.JSON{{Raw: []byte(`"Never"`)}, {Raw: []byte(`"LowerPriority"`)}}},
		}),
	})
	status := object(map[string]apiextensionsv1.JSONSchemaProps{
		"matchedClusters": integer,
		"readyClusters":   integer,
		"missingClusters": stringSet,
		"members": listOf(object(map[string]apiextensionsv1.JSONSchemaProps{
			"name": str, "ready": boolean, "reason": str, "allocatable": resources, "allocated": resources,
		}, "name", "ready"), "map", "name"),
		"allocatable": resources,
		"allocated":   resources,
		"conditions": listOf(object(map[string]apiextensionsv1.JSONSchemaProps{
			"type": str, "status": str, "reason": str, "message": str,
			"lastTransitionTime": {Type: "string", Format: "date-time"},
			"observedGeneration": {Type: "integer", Format: "int64"},
		}, "type", "status", "lastTransitionTime", "reason", "message"), "map", "type"),
	})

	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: crdName},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: crdGroup,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "benchfleets", Singular: "benchfleet", Kind: "BenchFleet", ListKind: "BenchFleetList"},
			Scope: apiextensionsv1.ClusterScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1alpha1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: ptr.To(object(map[string]apiextensionsv1.JSONSchemaProps{
					"apiVersion": str, "kind": str, "metadata": {Type: "object"}, "spec": spec, "status": status,
				}, "spec"))},
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
				AdditionalPrinterColumns: []apiextensionsv1.CustomResourceColumnDefinition{
					{Name: "Ready", Type: "integer", JSONPath: ".status.readyClusters"},
					{Name: "Missing", Type: "string", JSONPath: ".status.missingClusters"},
					{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
				},
			}},
		},
	}
}
