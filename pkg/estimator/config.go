package estimator

import (
	"fmt"
	"strings"
)

// QueuePlugin names the Volcano plugin that decides queue admission in a member.
type QueuePlugin string

const (
	// QueuePluginProportion is Volcano's proportion plugin: a queue is capped at its
	// deserved share, computed by a weighted water-fill of the cluster over the requests of
	// the queues that have jobs.
	QueuePluginProportion QueuePlugin = "proportion"
	// QueuePluginCapacity is Volcano's capacity plugin: a queue may borrow up to its real
	// capability; spec.deserved only decides what can be reclaimed from it.
	QueuePluginCapacity QueuePlugin = "capacity"
	// QueuePluginNone means the member runs no Volcano queue plugin (or no Volcano): only
	// node fit is estimated.
	QueuePluginNone QueuePlugin = "none"
)

// DefaultOvercommitFactor is the overcommit plugin's default overcommit-factor.
const DefaultOvercommitFactor = 1.2

// Config is the per-member Volcano configuration that changes admission. The zero value is
// not useful; start from DefaultConfig.
type Config struct {
	// QueuePlugin is the queue admission plugin of the member's vc-scheduler.
	QueuePlugin QueuePlugin
	// Preempt is true when the vc-scheduler runs the preempt action (evicting lower-priority
	// preemptable pods of the same queue).
	Preempt bool
	// Reclaim is true when the vc-scheduler runs the reclaim action (evicting preemptable
	// pods of other, reclaimable queues that are above their deserved share).
	Reclaim bool
	// OvercommitFactor is the overcommit plugin's overcommit-factor; 0 means the member
	// does not run the overcommit plugin. Volcano replaces factors below 1 by 1.2.
	OvercommitFactor float64
	// PreemptKeepsMinAvailable is true when the gang plugin takes part in choosing preempt
	// victims (its enablePreemptable is not false): a victim job then keeps minAvailable
	// pods. When false, preempt may evict every lower-priority preemptable pod.
	PreemptKeepsMinAvailable bool
	// ReclaimKeepsMinAvailable is the same for reclaim (the gang plugin's
	// enableReclaimable).
	ReclaimKeepsMinAvailable bool
	// DefaultQueue is the queue of PodGroups without spec.queue (vc-scheduler
	// --default-queue) and of requests whose namespace maps to no queue. Empty means such
	// requests are not Volcano workloads: only node fit is estimated for them.
	DefaultQueue string
	// NamespaceQueues maps a namespace to the Volcano queue its workloads are submitted to.
	// It takes precedence over the namespace's scheduling.volcano.sh/queue-name annotation.
	NamespaceQueues map[string]string
}

// DefaultConfig is Volcano v1.14's default scheduler configuration: proportion, enqueue +
// allocate + backfill (no preemption), overcommit with factor 1.2, gang choosing victims,
// default queue "default".
func DefaultConfig() Config {
	return Config{
		QueuePlugin:              QueuePluginProportion,
		OvercommitFactor:         DefaultOvercommitFactor,
		PreemptKeepsMinAvailable: true,
		ReclaimKeepsMinAvailable: true,
		DefaultQueue:             "default",
	}
}

// effectiveOvercommitFactor is the factor Volcano actually uses (0 = plugin disabled).
func (c Config) effectiveOvercommitFactor() float64 {
	if c.OvercommitFactor == 0 {
		return 0
	}
	if c.OvercommitFactor < 1 {
		return DefaultOvercommitFactor
	}
	return c.OvercommitFactor
}

// Validate checks the configuration and says which field is wrong and how to fix it.
func (c Config) Validate() error {
	switch c.QueuePlugin {
	case QueuePluginProportion, QueuePluginCapacity, QueuePluginNone:
	default:
		return fmt.Errorf("queue plugin %q is not supported: use %q, %q or %q", c.QueuePlugin,
			QueuePluginProportion, QueuePluginCapacity, QueuePluginNone)
	}
	if c.OvercommitFactor < 0 {
		return fmt.Errorf("overcommit factor %v is negative: use 0 to disable the overcommit plugin or a value >= 1", c.OvercommitFactor)
	}
	for ns, q := range c.NamespaceQueues {
		if strings.TrimSpace(ns) == "" || strings.TrimSpace(q) == "" {
			return fmt.Errorf("namespace queue mapping %q=%q is incomplete: write namespace=queue", ns, q)
		}
	}
	return nil
}
