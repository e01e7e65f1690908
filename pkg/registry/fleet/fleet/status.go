package fleet

import (
	"fmt"
	"sort"
	"strings"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"

	"kurator.dev/kurator/pkg/apis/fleet"
)

// Reasons a member is not ready, besides the reason of its own Ready condition.
const (
	// MemberReasonTerminating means the Karmada Cluster is being deleted.
	MemberReasonTerminating = "Terminating"
	// MemberReasonReadyConditionMissing means the Karmada Cluster has no Ready condition yet.
	MemberReasonReadyConditionMissing = "ReadyConditionMissing"
)

// maxNamesInMessage bounds how many cluster names a condition message lists.
const maxNamesInMessage = 10

// ComputeStatus computes the status of a fleet with the given spec from Karmada's Clusters.
// A cluster is a member when spec.clusters names it or spec.clusterSelector selects it.
// Named clusters that do not exist are missing. Resource sums cover the ready members only.
// The Ready condition's LastTransitionTime is the latest creation or Ready transition among
// the members (zero when there are none); ObservedGeneration is left to the caller.
//
// The clusters are only read; the result shares no memory with them.
func ComputeStatus(spec *fleet.FleetSpec, clusters []*clusterv1alpha1.Cluster) fleet.FleetStatus {
	named := sets.New(spec.Clusters...)
	selector := labels.Nothing()
	if spec.ClusterSelector != nil {
		// Validation rejects selectors that do not parse; should one be stored anyway it
		// selects nothing rather than everything.
		if s, err := metav1.LabelSelectorAsSelector(spec.ClusterSelector); err == nil {
			selector = s
		}
	}

	var (
		status   fleet.FleetStatus
		existing = sets.New[string]()
		notReady []string
		latest   metav1.Time
	)
	for _, c := range clusters {
		existing.Insert(c.Name)
		if !named.Has(c.Name) && !selector.Matches(labels.Set(c.Labels)) {
			continue
		}
		member, transition := memberStatus(c)
		status.Members = append(status.Members, member)
		if latest.Before(&transition) {
			latest = transition
		}
		if !member.Ready {
			notReady = append(notReady, fmt.Sprintf("%s (%s)", member.Name, member.Reason))
			continue
		}
		status.ReadyClusters++
		status.Allocatable = addResources(status.Allocatable, member.Allocatable)
		status.Allocated = addResources(status.Allocated, member.Allocated)
	}
	sort.Slice(status.Members, func(i, j int) bool { return status.Members[i].Name < status.Members[j].Name })
	sort.Strings(notReady)
	status.MatchedClusters = int32(len(status.Members))
	status.MissingClusters = sets.List(named.Difference(existing))
	if len(status.MissingClusters) == 0 {
		status.MissingClusters = nil
	}

	ready := metav1.Condition{Type: fleet.FleetConditionReady, LastTransitionTime: latest}
	switch {
	case len(status.MissingClusters) > 0:
		ready.Status, ready.Reason = metav1.ConditionFalse, fleet.ReasonMembersMissing
		ready.Message = fmt.Sprintf("%d named cluster(s) do not exist in Karmada: %s", len(status.MissingClusters), listNames(status.MissingClusters))
		if len(notReady) > 0 {
			ready.Message += fmt.Sprintf("; %d of %d member(s) are not ready: %s", len(notReady), status.MatchedClusters, listNames(notReady))
		}
	case status.MatchedClusters == 0:
		ready.Status, ready.Reason = metav1.ConditionFalse, fleet.ReasonNoMembers
		ready.Message = "No Karmada cluster is named in spec.clusters or selected by spec.clusterSelector"
	case len(notReady) > 0:
		ready.Status, ready.Reason = metav1.ConditionFalse, fleet.ReasonMembersNotReady
		ready.Message = fmt.Sprintf("%d of %d member(s) are not ready: %s", len(notReady), status.MatchedClusters, listNames(notReady))
	default:
		ready.Status, ready.Reason = metav1.ConditionTrue, fleet.ReasonAllMembersReady
		ready.Message = fmt.Sprintf("All %d member(s) are ready", status.MatchedClusters)
	}
	status.Conditions = []metav1.Condition{ready}
	return status
}

// UnavailableStatus is the status of every fleet while Karmada's Clusters cannot be listed:
// Ready is False, because nothing shows the fleet to be ready, with the reason
// ClusterInformationUnavailable and a message that ends with the given detail.
func UnavailableStatus(detail string) fleet.FleetStatus {
	return fleet.FleetStatus{Conditions: []metav1.Condition{{
		Type:    fleet.FleetConditionReady,
		Status:  metav1.ConditionFalse,
		Reason:  fleet.ReasonClusterInformationUnavailable,
		Message: "Karmada's Cluster objects are not available to kurator-apiserver, so membership and readiness are unknown: " + detail,
	}}}
}

// memberStatus is the status of one member and the time its readiness last changed (the
// later of its creation and its Ready condition's transition).
func memberStatus(c *clusterv1alpha1.Cluster) (fleet.FleetMemberStatus, metav1.Time) {
	m := fleet.FleetMemberStatus{Name: c.Name}
	transition := c.CreationTimestamp
	cond := meta.FindStatusCondition(c.Status.Conditions, clusterv1alpha1.ClusterConditionReady)
	if cond != nil && transition.Before(&cond.LastTransitionTime) {
		transition = cond.LastTransitionTime
	}
	switch {
	case c.DeletionTimestamp != nil:
		m.Reason = MemberReasonTerminating
		if transition.Before(c.DeletionTimestamp) {
			transition = *c.DeletionTimestamp
		}
	case cond == nil:
		m.Reason = MemberReasonReadyConditionMissing
	case cond.Status != metav1.ConditionTrue:
		m.Reason = cond.Reason
		if m.Reason == "" {
			m.Reason = "ReadyCondition" + string(cond.Status)
		}
	default:
		m.Ready = true
	}
	if rs := c.Status.ResourceSummary; rs != nil {
		m.Allocatable = copyResources(rs.Allocatable)
		m.Allocated = copyResources(rs.Allocated)
	}
	return m, transition
}

// copyResources deep-copies a resource list (Quantity caches its string form, so a shared
// list must not even be printed), dropping it when empty.
func copyResources(in corev1.ResourceList) corev1.ResourceList {
	if len(in) == 0 {
		return nil
	}
	return in.DeepCopy()
}

// addResources adds b to a, allocating a when needed, and returns a.
func addResources(a, b corev1.ResourceList) corev1.ResourceList {
	for name, q := range b {
		if a == nil {
			a = corev1.ResourceList{}
		}
		sum := a[name]
		sum.Add(q)
		a[name] = sum
	}
	return a
}

// listNames joins names for a condition message, eliding past maxNamesInMessage.
func listNames(names []string) string {
	if len(names) <= maxNamesInMessage {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxNamesInMessage], ", "), len(names)-maxNamesInMessage)
}
