package estimator

import (
	"fmt"
	"math"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Unknown is the answer when the model cannot know (caches not synced, unknown queue,
// malformed request); Karmada reads a negative estimate as "no opinion".
const Unknown int32 = -1

// Unlimited is the bound of a gate that does not limit the answer.
const Unlimited int32 = math.MaxInt32

// Gate names one admission test of the model.
type Gate string

const (
	// GateSync means the member's objects are not all known yet.
	GateSync Gate = "CachesNotSynced"
	// GateQueueUnknown means the workload's Volcano queue does not exist in the member.
	GateQueueUnknown Gate = "QueueUnknown"
	// GateQueueState means the queue is not Open.
	GateQueueState Gate = "QueueNotOpen"
	// GateQueueCapability is the proportion/capacity enqueue test against the queue's real
	// capability.
	GateQueueCapability Gate = "QueueCapability"
	// GateOvercommit is the overcommit plugin's enqueue test.
	GateOvercommit Gate = "Overcommit"
	// GateQueueAllocate is the allocate test against the queue's deserved share
	// (proportion) or real capability (capacity).
	GateQueueAllocate Gate = "QueueAllocate"
	// GateNodes is node fit of complete gangs.
	GateNodes Gate = "NodeFit"
	// GateRequest means the request itself cannot be satisfied by any node (a resource no
	// node offers) or is malformed.
	GateRequest Gate = "Request"
)

// Component is one pod template of a workload: Replicas pods with the same requirements.
// A set is one pod of every replica of every component; a gang starts only as a whole set.
type Component struct {
	// Name of the component (a Volcano task name, for messages).
	Name string
	// Replicas is the number of pods of the component in one set (for a Volcano Job task:
	// its minAvailable).
	Replicas int32
	// Requests is the effective resource request of one pod.
	Requests corev1.ResourceList
	// NodeSelector, NodeAffinity (the required terms) and Tolerations restrict the nodes a
	// pod of the component may use.
	NodeSelector map[string]string
	NodeAffinity *corev1.NodeSelector
	Tolerations  []corev1.Toleration
	// PriorityClassName of the pods; the highest resolved value is the workload's priority
	// when Request.Priority is nil.
	PriorityClassName string
}

// Workload is an in-flight workload already placed on the member whose pods are not
// visible yet (Karmada's assumedWorkloads): one set of its components.
type Workload struct {
	Namespace  string
	Queue      string
	Components []Component
}

// Request asks how many complete sets of a workload the member can start now.
type Request struct {
	// Namespace of the workload in the member; it decides the Volcano queue when Queue is
	// empty (Config.NamespaceQueues, then the namespace's scheduling.volcano.sh/queue-name
	// annotation, then Config.DefaultQueue).
	Namespace string
	// Queue is the Volcano queue of the workload, if the caller knows it.
	Queue string
	// Priority is the workload's Volcano job priority (its PriorityClass value) used to
	// decide which pods it may preempt; nil derives it from the components.
	Priority *int32
	// Components form one set.
	Components []Component
	// MinResources overrides the PodGroup minResources of one set; nil means the sum of
	// every component's Replicas times Requests (a Volcano Job whose minAvailable is the sum
	// of its tasks' minAvailable).
	MinResources corev1.ResourceList
	// JobRequests overrides the requests of all the pods of one copy of the job (more than
	// one set when tasks have replicas beyond minAvailable); nil means one set.
	JobRequests corev1.ResourceList
	// Assumed are in-flight workloads to deduct first.
	Assumed []Workload
	// MaxSets caps the search (0: no cap).
	MaxSets int32
}

// Limit is one gate's bound on the answer.
type Limit struct {
	Gate Gate
	// Sets is the largest number of sets the gate admits (Unlimited: no bound).
	Sets int32
	// Detail says what limits it (the resources that do not fit, the queue's state, ...).
	Detail string
}

// Estimate is the model's answer.
type Estimate struct {
	// Sets is the number of complete sets the member can start now, counting capacity that
	// preempt/reclaim would free when the member enables them; Unknown when it cannot tell.
	Sets int32
	// SetsWithoutPreemption is the same answer without evicting anything.
	SetsWithoutPreemption int32
	// Queue is the Volcano queue the workload was admitted against ("" when only node fit
	// was estimated).
	Queue string
	// Priority is the workload priority used for preemption.
	Priority int32
	// Gate is the gate that binds: the one with the smallest bound (node fit on a tie,
	// else the first in evaluation order).
	Gate Gate
	// Limits lists every gate evaluated, in evaluation order.
	Limits []Limit
}

// Reason is a one-line explanation of the answer.
func (e Estimate) Reason() string {
	if len(e.Limits) == 0 {
		return string(e.Gate)
	}
	parts := make([]string, 0, len(e.Limits))
	for _, l := range e.Limits {
		bound := "unlimited"
		if l.Sets != Unlimited {
			bound = fmt.Sprint(l.Sets)
		}
		p := fmt.Sprintf("%s=%s", l.Gate, bound)
		if l.Detail != "" {
			p += " (" + l.Detail + ")"
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("%d sets, bound by %s: %s", e.Sets, e.Gate, strings.Join(parts, ", "))
}

func unknown(gate Gate, detail string) Estimate {
	return Estimate{Sets: Unknown, SetsWithoutPreemption: Unknown, Gate: gate, Limits: []Limit{{Gate: gate, Sets: Unknown, Detail: detail}}}
}
