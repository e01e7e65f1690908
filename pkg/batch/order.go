package batch

import (
	"math"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Remaining is the runtime a job still needs at now: the full estimate unless it is
// running, then the estimate minus what it has run (at least zero). A job restarted after
// an eviction needs its full runtime again.
func Remaining(j *Job, now time.Time, p *Policy) time.Duration {
	rt := p.runtime(j)
	if j.State.Phase == PhaseRunning && !j.State.Since.IsZero() {
		rt -= now.Sub(j.State.Since)
		if rt < 0 {
			rt = 0
		}
	}
	return rt
}

// Slack is deadline - now - remaining runtime; ok is false when the job has no deadline.
func Slack(j *Job, now time.Time, p *Policy) (slack time.Duration, ok bool) {
	if j.Deadline == nil {
		return 0, false
	}
	return j.Deadline.Sub(now) - Remaining(j, now, p), true
}

// orderKey is a job's position in the queue order, precomputed.
type orderKey struct {
	job       *Job
	queuePrio int32
	prio      int32
	hasDL     bool
	slack     time.Duration
	deadline  time.Time
	share     float64
}

// Order returns the indices of jobs in queue order at now (jobs of every phase are
// ordered; callers skip what they do not need).
//
// With OrderPrioritySlack: fleet queue priority (higher first), job priority (higher
// first), jobs with a deadline before jobs without, least slack, then — between jobs of
// different queues of equal priority — the queue holding less per unit of weight, then
// submission time, then namespace/name. A job whose fleet queue is unknown sorts as a
// queue of the lowest priority.
//
// With OrderEarliestDeadline: earliest deadline (jobs without one last), then submission
// time, then namespace/name.
//
// shares is the weighted share of each queue (see Shares); nil ignores it.
func Order(now time.Time, p *Policy, queues map[string]*FleetQueue, jobs []Job, shares map[string]float64) []int {
	keys := make([]orderKey, len(jobs))
	for i := range jobs {
		j := &jobs[i]
		k := orderKey{job: j, queuePrio: math.MinInt32, prio: j.Priority, share: shares[j.Queue]}
		if q, ok := queues[j.Queue]; ok {
			k.queuePrio = q.Priority
		}
		if j.Deadline != nil {
			k.hasDL = true
			k.deadline = *j.Deadline
			k.slack, _ = Slack(j, now, p)
		}
		keys[i] = k
	}
	idx := make([]int, len(jobs))
	for i := range idx {
		idx[i] = i
	}
	less := lessPrioritySlack
	if p.Order == OrderEarliestDeadline {
		less = lessEarliestDeadline
	}
	sort.SliceStable(idx, func(a, b int) bool { return less(&keys[idx[a]], &keys[idx[b]]) })
	return idx
}

func lessPrioritySlack(a, b *orderKey) bool {
	if a.queuePrio != b.queuePrio {
		return a.queuePrio > b.queuePrio
	}
	if a.prio != b.prio {
		return a.prio > b.prio
	}
	if a.hasDL != b.hasDL {
		return a.hasDL
	}
	if a.hasDL && a.slack != b.slack {
		return a.slack < b.slack
	}
	if a.job.Queue != b.job.Queue && a.share != b.share {
		return a.share < b.share
	}
	return fifo(a.job, b.job)
}

func lessEarliestDeadline(a, b *orderKey) bool {
	if a.hasDL != b.hasDL {
		return a.hasDL
	}
	if a.hasDL && !a.deadline.Equal(b.deadline) {
		return a.deadline.Before(b.deadline)
	}
	return fifo(a.job, b.job)
}

func fifo(a, b *Job) bool {
	if !a.Submitted.Equal(b.Submitted) {
		return a.Submitted.Before(b.Submitted)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// Shares is each queue's weighted dominant share: over the resources of total, the
// largest fraction its dispatched and running jobs hold, divided by the queue's weight.
func Shares(queues map[string]*FleetQueue, held map[string]corev1.ResourceList, total corev1.ResourceList) map[string]float64 {
	out := make(map[string]float64, len(queues))
	for name, q := range queues {
		h := held[name]
		var dom float64
		for res, t := range total {
			tv := t.AsApproximateFloat64()
			if tv <= 0 {
				continue
			}
			hv := h[res]
			if f := hv.AsApproximateFloat64() / tv; f > dom {
				dom = f
			}
		}
		out[name] = dom / float64(q.weight())
	}
	return out
}
