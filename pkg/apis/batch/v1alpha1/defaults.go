package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Defaults of FleetQueueSpec.
const (
	DefaultWeight          int32 = 1
	DefaultSlackThreshold        = 10 * time.Minute
	DefaultDispatchTimeout       = 3 * time.Minute
	DefaultBackoffBase           = 30 * time.Second
	DefaultBackoffMax            = 10 * time.Minute
	DefaultCooldown              = 5 * time.Minute
)

func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}

// SetDefaults_FleetQueueSpec defaults the weight to 1 and the Volcano queues to every
// member's default queue.
func SetDefaults_FleetQueueSpec(obj *FleetQueueSpec) { //nolint:revive // defaulter-gen finds defaulting functions by this name
	if obj.Weight == 0 {
		obj.Weight = DefaultWeight
	}
	if len(obj.VolcanoQueues) == 0 {
		obj.VolcanoQueues = []VolcanoQueueMapping{{Cluster: AllClusters, Queue: DefaultVolcanoQueue}}
	}
}

// SetDefaults_DeadlinePolicy defaults the slack threshold to 10m and the dispatch timeout to 3m.
func SetDefaults_DeadlinePolicy(obj *DeadlinePolicy) { //nolint:revive // defaulter-gen finds defaulting functions by this name
	defaultDuration(&obj.SlackThreshold, DefaultSlackThreshold)
	defaultDuration(&obj.DispatchTimeout, DefaultDispatchTimeout)
}

// SetDefaults_BackoffPolicy defaults the backoff to 30s doubling up to 10m.
func SetDefaults_BackoffPolicy(obj *BackoffPolicy) { //nolint:revive // defaulter-gen finds defaulting functions by this name
	defaultDuration(&obj.Base, DefaultBackoffBase)
	defaultDuration(&obj.Max, DefaultBackoffMax)
}

// SetDefaults_PreemptionPolicy defaults the policy to Never and the cooldown to 5m.
func SetDefaults_PreemptionPolicy(obj *PreemptionPolicy) { //nolint:revive // defaulter-gen finds defaulting functions by this name
	if obj.Policy == "" {
		obj.Policy = PreemptNever
	}
	defaultDuration(&obj.Cooldown, DefaultCooldown)
}

func defaultDuration(d **metav1.Duration, v time.Duration) {
	if *d == nil {
		*d = &metav1.Duration{Duration: v}
	}
}
