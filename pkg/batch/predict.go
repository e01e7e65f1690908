package batch

import (
	"fmt"
	"sort"
	"time"
)

// Prediction is a job's predicted start and finish, for the fleet queue's view.
type Prediction struct {
	Job     JobKey
	Cluster string
	Start   time.Time
	Finish  time.Time
	// Known is false when the job is not predicted to start while the work the fleet
	// queue knows of ends (Reason says why).
	Known  bool
	Reason string
}

// Predict forecasts when each job starts and finishes: running and dispatched jobs end
// after their runtime estimates; queued jobs, in queue order, each take the earliest time
// at or after now (and their backoff) at which some member can start them given what ran
// and was predicted before them, without delaying a job predicted earlier (conservative
// backfilling over the estimator's admission model). Ties go to the tightest fit, then
// the member name. Fleet-queue capabilities and preemption are not forecast.
func Predict(in Input) []Prediction {
	c := newCycle(&in)
	order := Order(c.now, c.p, c.queues, c.jobs, nil)
	out := make([]Prediction, 0, len(order))
	for _, i := range order {
		j := &c.jobs[i]
		switch {
		case j.State.Phase == PhaseFinished:
			continue
		case c.requeued[j.JobKey]:
			out = append(out, Prediction{Job: j.JobKey, Reason: "requeued after its dispatch timed out"})
		case j.State.Phase == PhaseRunning:
			out = append(out, Prediction{Job: j.JobKey, Cluster: j.State.Cluster, Start: j.State.Since, Finish: c.finish(j), Known: true})
		case j.State.Phase == PhaseDispatched:
			out = append(out, Prediction{Job: j.JobKey, Cluster: j.State.Cluster, Start: c.now, Finish: c.finish(j), Known: true})
		default:
			out = append(out, c.predictQueued(j))
		}
	}
	return out
}

func (c *cycle) predictQueued(j *Job) Prediction {
	pr := Prediction{Job: j.JobKey}
	if probs := ValidateJob(j, c.queues); len(probs) > 0 {
		pr.Reason = probs[0].Message
		return pr
	}
	earliest := c.now
	if j.NotBefore.After(earliest) {
		earliest = j.NotBefore
	}
	var best *reservation
	var bestSets int32
	for _, ms := range c.members {
		if !j.allows(ms.m.Name) {
			continue
		}
		if ok, _ := c.fitsEmpty(ms, j); !ok {
			continue
		}
		times := append([]time.Time{earliest}, c.endTimes(ms)...)
		sort.Slice(times, func(a, b int) bool { return times[a].Before(times[b]) })
		for _, t := range times {
			if t.Before(earliest) {
				continue
			}
			if best != nil && t.After(best.at) {
				break
			}
			e := c.estimate(ms, j, c.viewAt(ms, t, nil, nil))
			if !startable(e) || c.blockingReservation(ms, j, t) != nil {
				continue
			}
			if best == nil || t.Before(best.at) || e.SetsWithoutPreemption < bestSets {
				best = &reservation{job: j, shape: c.shape(j), queue: c.queues[j.Queue], member: ms, at: t, until: t.Add(c.p.runtime(j))}
				bestSets = e.SetsWithoutPreemption
			}
			break
		}
	}
	if best == nil {
		pr.Reason = "no member is predicted to fit it once the work the fleet queue knows of ends"
		return pr
	}
	c.reservations = append(c.reservations, *best)
	pr.Cluster, pr.Start, pr.Finish, pr.Known = best.member.m.Name, best.at, best.until, true
	pr.Reason = fmt.Sprintf("predicted to start on %s", best.member.m.Name)
	return pr
}
