package estimator

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
)

// WorkloadRef names a workload in the member.
type WorkloadRef struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
}

// volcanoJobGroup is the API group of Volcano Jobs.
const volcanoJobGroup = "batch.volcano.sh"

// UnschedulableReplicas counts the replicas of a workload that have been unschedulable for
// at least threshold at time now (Karmada's descheduler moves them elsewhere):
//
//   - pods of the workload (for a Deployment, pods of its ReplicaSets) whose PodScheduled
//     condition has been False with reason Unschedulable for threshold;
//   - for a Volcano Job whose PodGroup has been Pending and Unschedulable for threshold
//     (Volcano creates no pods before the queue admits the job), the pods the gang is
//     still missing: minMember minus its existing pods.
func (s *Store) UnschedulableReplicas(ref WorkloadRef, threshold time.Duration, now time.Time) int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	group := ref.APIVersion
	if i := strings.Index(group, "/"); i >= 0 {
		group = group[:i]
	} else {
		group = ""
	}
	owns := func(o metav1.OwnerReference) bool {
		if o.Name == "" {
			return false
		}
		if ref.Kind == "Deployment" && group == "apps" {
			return o.Kind == "ReplicaSet" && s.rsOwners[podKey(ref.Namespace, o.Name)] == ref.Name
		}
		return o.Kind == ref.Kind && o.Name == ref.Name && ownerGroup(o.APIVersion) == group
	}
	stuck := func(since time.Time) bool { return !since.IsZero() && now.Sub(since) >= threshold }
	var count, existing int32
	for _, p := range s.pods {
		if p.namespace != ref.Namespace || !owns(p.owner) {
			continue
		}
		if !p.status.terminal() {
			existing++
		}
		if p.status == statusPending && stuck(p.unschedulableSince) {
			count++
		}
	}
	if group == volcanoJobGroup && ref.Kind == "Job" {
		for key, j := range s.jobs {
			if j.pg == nil || !strings.HasPrefix(key, ref.Namespace+"/") || !owns(j.pg.owner) {
				continue
			}
			if j.pg.phase == schedulingv1beta1.PodGroupPending && stuck(j.pg.unschedulableSince) && j.pg.minMember > existing {
				count += j.pg.minMember - existing
			}
		}
	}
	return count
}

func ownerGroup(apiVersion string) string {
	if i := strings.Index(apiVersion, "/"); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}
