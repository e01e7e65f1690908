// Package validation checks FleetQueue objects (internal version) and reports every problem
// with the exact field path, so that the API server can answer 422 Unprocessable Entity.
package validation

import (
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"kurator.dev/kurator/pkg/apis/batch"
	fleetvalidation "kurator.dev/kurator/pkg/apis/fleet/validation"
)

// MaxWeight is the largest weight of a fleet queue.
const MaxWeight = 1000

// ValidateFleetQueueName checks the name of a FleetQueue: a DNS subdomain, as the
// annotation batch.kurator.dev/queue and a fleet's spec.batch.defaultQueue require.
var ValidateFleetQueueName = apimachineryvalidation.NameIsDNSSubdomain

// supportedPreemptionPolicies are the values spec.preemption.policy accepts.
var supportedPreemptionPolicies = []string{string(batch.PreemptNever), string(batch.PreemptLowerPriority)}

// ValidateFleetQueue checks a FleetQueue about to be created.
func ValidateFleetQueue(q *batch.FleetQueue) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&q.ObjectMeta, false, ValidateFleetQueueName, field.NewPath("metadata"))
	return append(allErrs, ValidateFleetQueueSpec(&q.Spec, field.NewPath("spec"))...)
}

// ValidateFleetQueueUpdate checks an update of a FleetQueue. Every spec field may change.
func ValidateFleetQueueUpdate(newQueue, oldQueue *batch.FleetQueue) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newQueue.ObjectMeta, &oldQueue.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateFleetQueueSpec(&newQueue.Spec, field.NewPath("spec"))...)
}

// ValidateFleetQueueStatusUpdate checks an update through the status subresource. The status
// is computed by the server and never stored, so only the metadata is checked.
func ValidateFleetQueueStatusUpdate(newQueue, oldQueue *batch.FleetQueue) field.ErrorList {
	return apimachineryvalidation.ValidateObjectMetaUpdate(&newQueue.ObjectMeta, &oldQueue.ObjectMeta, field.NewPath("metadata"))
}

// ValidateFleetQueueSpec checks the spec of a defaulted FleetQueue.
func ValidateFleetQueueSpec(spec *batch.FleetQueueSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if spec.Weight < 1 || spec.Weight > MaxWeight {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("weight"), spec.Weight,
			fmt.Sprintf("must be between 1 and %d: the queue's share among queues of equal priority", MaxWeight)))
	}
	allErrs = append(allErrs, validateResources(spec.Capability, fldPath.Child("capability"))...)
	allErrs = append(allErrs, validateResources(spec.Guarantee, fldPath.Child("guarantee"))...)
	allErrs = append(allErrs, validateGuarantee(spec.Guarantee, spec.Capability, fldPath.Child("guarantee"))...)
	allErrs = append(allErrs, validateDeadline(&spec.Deadline, fldPath.Child("deadline"))...)
	allErrs = append(allErrs, validatePreemption(&spec.Preemption, fldPath.Child("preemption"))...)
	allErrs = append(allErrs, validateVolcanoQueues(spec.VolcanoQueues, fldPath.Child("volcanoQueues"))...)
	return allErrs
}

// validateResources checks resource names and that no quantity is negative, in name order.
func validateResources(list corev1.ResourceList, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, name := range sortedNames(list) {
		q := list[name]
		p := fldPath.Key(string(name))
		for _, msg := range utilvalidation.IsQualifiedName(string(name)) {
			allErrs = append(allErrs, field.Invalid(p, string(name), "must be a resource name such as cpu, memory or nvidia.com/gpu: "+msg))
		}
		if q.Sign() < 0 {
			allErrs = append(allErrs, field.Invalid(p, q.String(), "must not be negative"))
		}
	}
	return allErrs
}

// validateGuarantee checks that the guarantee does not exceed the capability of any resource
// both name.
func validateGuarantee(guarantee, capability corev1.ResourceList, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, name := range sortedNames(guarantee) {
		g := guarantee[name]
		if c, ok := capability[name]; ok && g.Cmp(c) > 0 {
			allErrs = append(allErrs, field.Invalid(fldPath.Key(string(name)), g.String(),
				fmt.Sprintf("must not exceed spec.capability[%s] (%s): a queue cannot be guaranteed more than it may hold", name, c.String())))
		}
	}
	return allErrs
}

func sortedNames(list corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(list))
	for n := range list {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	return names
}

func validateDeadline(d *batch.DeadlinePolicy, fldPath *field.Path) field.ErrorList {
	allErrs := validateDuration(d.SlackThreshold, fldPath.Child("slackThreshold"), false)
	allErrs = append(allErrs, validateDuration(d.DispatchTimeout, fldPath.Child("dispatchTimeout"), true)...)
	backoffPath := fldPath.Child("backoff")
	allErrs = append(allErrs, validateDuration(d.Backoff.Base, backoffPath.Child("base"), true)...)
	allErrs = append(allErrs, validateDuration(d.Backoff.Max, backoffPath.Child("max"), true)...)
	if b, m := d.Backoff.Base, d.Backoff.Max; b != nil && m != nil && b.Duration > 0 && m.Duration < b.Duration {
		allErrs = append(allErrs, field.Invalid(backoffPath.Child("max"), m.Duration.String(),
			fmt.Sprintf("must be at least spec.deadline.backoff.base (%s)", b.Duration)))
	}
	return allErrs
}

// validateDuration checks a defaulted duration: set, not negative, and positive if required.
func validateDuration(d *metav1.Duration, fldPath *field.Path, positive bool) field.ErrorList {
	switch {
	case d == nil:
		return field.ErrorList{field.Required(fldPath, "a duration such as 5m")}
	case d.Duration < 0:
		return field.ErrorList{field.Invalid(fldPath, d.Duration.String(), "must not be negative")}
	case positive && d.Duration == 0:
		return field.ErrorList{field.Invalid(fldPath, d.Duration.String(), "must be positive, such as "+(3*time.Minute).String())}
	}
	return nil
}

func validatePreemption(p *batch.PreemptionPolicy, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch p.Policy {
	case batch.PreemptNever, batch.PreemptLowerPriority:
	case "":
		allErrs = append(allErrs, field.Required(fldPath.Child("policy"), `one of "Never" or "LowerPriority"`))
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("policy"), p.Policy, supportedPreemptionPolicies))
	}
	return append(allErrs, validateDuration(p.Cooldown, fldPath.Child("cooldown"), false)...)
}

func validateVolcanoQueues(mappings []batch.VolcanoQueueMapping, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(mappings) == 0 {
		return field.ErrorList{field.Required(fldPath, `at least one entry; {cluster: "*", queue: default} puts the jobs in every member's default Volcano queue`)}
	}
	seen := map[string]bool{}
	for i, m := range mappings {
		idxPath := fldPath.Index(i)
		clusterPath := idxPath.Child("cluster")
		switch m.Cluster {
		case "":
			allErrs = append(allErrs, field.Required(clusterPath, `a Karmada cluster name, or "*" for every member no other entry names`))
		case batch.AllClusters:
		default:
			for _, msg := range fleetvalidation.IsKarmadaClusterName(m.Cluster) {
				allErrs = append(allErrs, field.Invalid(clusterPath, m.Cluster, `must be "*" or a valid Karmada cluster name: `+msg))
			}
		}
		if m.Cluster != "" {
			if seen[m.Cluster] {
				allErrs = append(allErrs, field.Duplicate(clusterPath, m.Cluster))
			}
			seen[m.Cluster] = true
		}
		queuePath := idxPath.Child("queue")
		if m.Queue == "" {
			allErrs = append(allErrs, field.Required(queuePath, "the name of a Volcano queue in the member, for example default"))
		} else {
			for _, msg := range utilvalidation.IsDNS1123Subdomain(m.Queue) {
				allErrs = append(allErrs, field.Invalid(queuePath, m.Queue, "must be a Volcano queue name: "+msg))
			}
		}
	}
	return allErrs
}
