// Package validation checks Fleet objects (internal version) and reports every problem with
// the exact field path, so that the API server can answer 422 Unprocessable Entity.
package validation

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"kurator.dev/kurator/pkg/apis/fleet"
)

// ValidateFleetName checks the name of a Fleet: a DNS-1123 label, so that it can also be
// used as a label value and in the names of objects derived from the fleet.
var ValidateFleetName = apimachineryvalidation.NameIsDNSLabel

// supportedPreemptionPolicies are the values spec.batch.preemption accepts.
var supportedPreemptionPolicies = []string{string(fleet.PreemptNever), string(fleet.PreemptLowerPriority)}

// karmadaClusterNameMaxLength is the longest name Karmada accepts for a Cluster: it keeps 15
// of the 63 characters of a label for the prefix of the cluster's execution namespace.
const karmadaClusterNameMaxLength = 48

// IsKarmadaClusterName checks a name against the rules Karmada applies to Cluster names (a
// DNS-1123 label of at most 48 characters) and returns what is wrong with it, if anything.
// A name breaking them cannot name an existing cluster, so it is a mistake in a fleet.
func IsKarmadaClusterName(name string) []string {
	if len(name) > karmadaClusterNameMaxLength {
		return []string{fmt.Sprintf("must be no more than %d characters", karmadaClusterNameMaxLength)}
	}
	return utilvalidation.IsDNS1123Label(name)
}

// prometheusLabelName is the syntax of a Prometheus label name.
var prometheusLabelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ValidateFleet checks a Fleet about to be created.
func ValidateFleet(f *fleet.Fleet) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&f.ObjectMeta, false, ValidateFleetName, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateFleetSpec(&f.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateFleetUpdate checks an update of a Fleet. Every spec field may change.
func ValidateFleetUpdate(newFleet, oldFleet *fleet.Fleet) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newFleet.ObjectMeta, &oldFleet.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateFleetSpec(&newFleet.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateFleetStatusUpdate checks an update through the status subresource. The status
// itself is computed by the server and never stored, so only the metadata is checked.
func ValidateFleetStatusUpdate(newFleet, oldFleet *fleet.Fleet) field.ErrorList {
	return apimachineryvalidation.ValidateObjectMetaUpdate(&newFleet.ObjectMeta, &oldFleet.ObjectMeta, field.NewPath("metadata"))
}

// ValidateFleetSpec checks the spec of a Fleet.
func ValidateFleetSpec(spec *fleet.FleetSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateMembership(spec, fldPath)
	if spec.Telemetry != nil {
		allErrs = append(allErrs, validateTelemetry(spec.Telemetry, fldPath.Child("telemetry"))...)
	}
	if spec.Mesh != nil {
		allErrs = append(allErrs, validateMesh(spec.Mesh, fldPath.Child("mesh"))...)
	}
	if spec.Batch != nil {
		allErrs = append(allErrs, validateBatch(spec.Batch, fldPath.Child("batch"))...)
	}
	return allErrs
}

func validateMembership(spec *fleet.FleetSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(spec.Clusters) == 0 && spec.ClusterSelector == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("clusters"),
			"a fleet needs members: name Karmada clusters in spec.clusters or select them with spec.clusterSelector"))
	}
	allErrs = append(allErrs, validateClusterNames(spec.Clusters, fldPath.Child("clusters"), nil)...)

	if sel := spec.ClusterSelector; sel != nil {
		selPath := fldPath.Child("clusterSelector")
		if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
			allErrs = append(allErrs, field.Invalid(selPath, "{}",
				"must not be empty: an empty selector would make every cluster a member; set matchLabels or matchExpressions, or name the clusters in spec.clusters"))
		} else {
			selErrs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, selPath)
			if _, err := metav1.LabelSelectorAsSelector(sel); err != nil && len(selErrs) == 0 {
				// Should ValidateLabelSelector ever accept a selector the parser refuses, report
				// it: status computation would treat it as selecting no cluster.
				selErrs = append(selErrs, field.Invalid(selPath, metav1.FormatLabelSelector(sel), err.Error()))
			}
			allErrs = append(allErrs, selErrs...)
		}
	}
	return allErrs
}

// validateClusterNames checks a list of Karmada cluster names: each valid and unique. When
// seen is not nil, names must also be unique across several lists (the networks of a mesh):
// seen maps each name already used to the path where it was first used.
func validateClusterNames(names []string, fldPath *field.Path, seen map[string]*field.Path) field.ErrorList {
	var allErrs field.ErrorList
	local := sets.New[string]()
	for i, name := range names {
		idxPath := fldPath.Index(i)
		for _, msg := range IsKarmadaClusterName(name) {
			allErrs = append(allErrs, field.Invalid(idxPath, name, "must be a valid Karmada cluster name: "+msg))
		}
		if local.Has(name) {
			allErrs = append(allErrs, field.Duplicate(idxPath, name))
			continue
		}
		local.Insert(name)
		if seen != nil {
			if first, ok := seen[name]; ok {
				allErrs = append(allErrs, field.Invalid(idxPath, name,
					fmt.Sprintf("a cluster can be on only one network, and this one is already in %s", first)))
				continue
			}
			seen[name] = idxPath
		}
	}
	return allErrs
}

func validateTelemetry(t *fleet.FleetTelemetry, fldPath *field.Path) field.ErrorList {
	allErrs := validateQueryURL(t.ThanosQueryURL, fldPath.Child("thanosQueryURL"))

	labelPath := fldPath.Child("clusterLabel")
	switch {
	case t.ClusterLabel == "":
		allErrs = append(allErrs, field.Required(labelPath, "the label that names the member cluster in the metrics, usually \"cluster\""))
	case !prometheusLabelName.MatchString(t.ClusterLabel):
		allErrs = append(allErrs, field.Invalid(labelPath, t.ClusterLabel,
			"must be a Prometheus label name: a letter or '_' followed by letters, digits and '_' (regex "+prometheusLabelName.String()+")"))
	case strings.HasPrefix(t.ClusterLabel, "__"):
		allErrs = append(allErrs, field.Invalid(labelPath, t.ClusterLabel, "must not start with \"__\", which Prometheus reserves for internal labels"))
	}

	mappingPath := fldPath.Child("clusterMapping")
	clusters := map[string]bool{}
	thanosNames := map[string]bool{}
	istioIDs := map[string]bool{}
	for i, m := range t.ClusterMapping {
		idxPath := mappingPath.Index(i)
		if m.Cluster == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("cluster"), "the Karmada cluster name"))
		} else {
			for _, msg := range IsKarmadaClusterName(m.Cluster) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("cluster"), m.Cluster, "must be a valid Karmada cluster name: "+msg))
			}
			if clusters[m.Cluster] {
				allErrs = append(allErrs, field.Duplicate(idxPath.Child("cluster"), m.Cluster))
			}
			clusters[m.Cluster] = true
		}
		if m.ThanosCluster == "" && m.IstioClusterID == "" {
			allErrs = append(allErrs, field.Required(idxPath,
				"set thanosCluster, istioClusterID or both; a member whose names equal its Karmada name needs no mapping entry"))
		}
		if m.ThanosCluster != "" {
			if thanosNames[m.ThanosCluster] {
				allErrs = append(allErrs, field.Duplicate(idxPath.Child("thanosCluster"), m.ThanosCluster))
			}
			thanosNames[m.ThanosCluster] = true
			if strings.TrimSpace(m.ThanosCluster) != m.ThanosCluster {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("thanosCluster"), m.ThanosCluster, "must not begin or end with whitespace"))
			}
		}
		if m.IstioClusterID != "" {
			if istioIDs[m.IstioClusterID] {
				allErrs = append(allErrs, field.Duplicate(idxPath.Child("istioClusterID"), m.IstioClusterID))
			}
			istioIDs[m.IstioClusterID] = true
			for _, msg := range utilvalidation.IsValidLabelValue(m.IstioClusterID) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("istioClusterID"), m.IstioClusterID, msg))
			}
		}
	}
	return allErrs
}

// validateQueryURL checks the base URL of a Prometheus-compatible query API.
func validateQueryURL(raw string, fldPath *field.Path) field.ErrorList {
	if raw == "" {
		return field.ErrorList{field.Required(fldPath, "the base URL of the Thanos Query API, for example http://thanos-query.monitoring.svc:9090")}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return field.ErrorList{field.Invalid(fldPath, raw, "must be a URL: "+unwrapURLError(err))}
	}
	var allErrs field.ErrorList
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		allErrs = append(allErrs, field.Invalid(fldPath, raw, "must be an absolute URL with scheme http or https"))
	case u.Host == "" || u.Hostname() == "":
		allErrs = append(allErrs, field.Invalid(fldPath, raw, "must have a host"))
	}
	if u.User != nil {
		allErrs = append(allErrs, field.Invalid(fldPath, "<redacted>", "must not contain user information; credentials do not belong in a fleet spec"))
	}
	if u.RawQuery != "" || u.ForceQuery {
		allErrs = append(allErrs, field.Invalid(fldPath, raw, "must not have a query; kurator adds the query parameters of each request"))
	}
	if u.Fragment != "" {
		allErrs = append(allErrs, field.Invalid(fldPath, raw, "must not have a fragment"))
	}
	return allErrs
}

// unwrapURLError drops the "parse <url>:" prefix url.Parse puts in front of its message.
func unwrapURLError(err error) string {
	if uerr, ok := err.(*url.Error); ok {
		return uerr.Err.Error()
	}
	return err.Error()
}

func validateMesh(m *fleet.FleetMesh, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	networksPath := fldPath.Child("networks")
	names := sets.New[string]()
	clusterNetwork := map[string]*field.Path{}
	for i := range m.Networks {
		n := &m.Networks[i]
		idxPath := networksPath.Index(i)
		namePath := idxPath.Child("name")
		if n.Name == "" {
			allErrs = append(allErrs, field.Required(namePath, "the Istio network name (the topology.istio.io/network label value)"))
		} else {
			for _, msg := range utilvalidation.IsValidLabelValue(n.Name) {
				allErrs = append(allErrs, field.Invalid(namePath, n.Name, msg))
			}
			if names.Has(n.Name) {
				allErrs = append(allErrs, field.Duplicate(namePath, n.Name))
			}
			names.Insert(n.Name)
		}

		clustersPath := idxPath.Child("clusters")
		if len(n.Clusters) == 0 {
			allErrs = append(allErrs, field.Required(clustersPath, "the Karmada clusters on this network"))
		}
		allErrs = append(allErrs, validateClusterNames(n.Clusters, clustersPath, clusterNetwork)...)

		for j, gw := range n.Gateways {
			gwPath := idxPath.Child("gateways").Index(j)
			allErrs = append(allErrs, validateGateway(gw, gwPath)...)
		}
	}
	return allErrs
}

func validateGateway(gw fleet.MeshGateway, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	addrPath := fldPath.Child("address")
	switch {
	case gw.Address == "":
		allErrs = append(allErrs, field.Required(addrPath, "the IP address or DNS name of the east-west gateway"))
	case net.ParseIP(gw.Address) != nil:
		// An IP address.
	case len(utilvalidation.IsDNS1123Subdomain(gw.Address)) != 0:
		allErrs = append(allErrs, field.Invalid(addrPath, gw.Address, "must be an IP address or a DNS name (a lowercase RFC 1123 subdomain)"))
	}
	for _, msg := range utilvalidation.IsValidPortNum(int(gw.Port)) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("port"), gw.Port, msg))
	}
	return allErrs
}

func validateBatch(b *fleet.FleetBatch, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if b.DefaultQueue != "" {
		for _, msg := range utilvalidation.IsDNS1123Subdomain(b.DefaultQueue) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("defaultQueue"), b.DefaultQueue, msg))
		}
	}
	if b.DefaultPriorityClassName != "" {
		for _, msg := range utilvalidation.IsDNS1123Subdomain(b.DefaultPriorityClassName) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("defaultPriorityClassName"), b.DefaultPriorityClassName, msg))
		}
	}
	switch b.Preemption {
	case fleet.PreemptNever, fleet.PreemptLowerPriority:
	case "":
		allErrs = append(allErrs, field.Required(fldPath.Child("preemption"), "one of \"Never\" or \"LowerPriority\""))
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("preemption"), b.Preemption, supportedPreemptionPolicies))
	}
	return allErrs
}
