package batch

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"kurator.dev/kurator/pkg/estimator"
)

// jobShape is what admission needs of a job, computed once per cycle.
type jobShape struct {
	components []estimator.Component
	// minResources is the PodGroup minResources Volcano's job controller will write.
	minResources corev1.ResourceList
	// requests is what all the job's pods request (what it holds when fully running).
	requests corev1.ResourceList
	// gang is what the gang (minAvailable pods of every task) requests.
	gang corev1.ResourceList
}

func shapeOf(j *Job) *jobShape {
	s := &jobShape{requests: corev1.ResourceList{}, gang: corev1.ResourceList{}}
	specs := make([]estimator.TaskSpec, 0, len(j.Tasks))
	var sumMin int32
	for i := range j.Tasks {
		t := &j.Tasks[i]
		s.components = append(s.components, estimator.Component{
			Name: t.Name, Replicas: t.minAvailable(), Requests: t.Requests,
			NodeSelector: t.NodeSelector, NodeAffinity: t.NodeAffinity, Tolerations: t.Tolerations,
		})
		addScaled(s.requests, t.Requests, t.Replicas)
		addScaled(s.gang, t.Requests, t.minAvailable())
		usage := t.Requests.DeepCopy()
		if usage == nil {
			usage = corev1.ResourceList{}
		}
		usage[corev1.ResourcePods] = *resource.NewQuantity(1, resource.DecimalSI)
		specs = append(specs, estimator.TaskSpec{Name: t.Name, Replicas: t.Replicas, MinAvailable: t.MinAvailable, Priority: t.Priority, Usage: usage})
		sumMin += t.minAvailable()
	}
	minAvail := j.MinAvailable
	if minAvail <= 0 {
		minAvail = sumMin
	}
	s.minResources = estimator.PodGroupMinResources(specs, minAvail)
	return s
}

// request is the estimator request for the job in member, with assumed in-flight work.
func (s *jobShape) request(j *Job, q *FleetQueue, member string, assumed []estimator.Workload) estimator.Request {
	prio := j.Priority
	req := estimator.Request{
		Namespace:    j.Namespace,
		Priority:     &prio,
		Components:   s.components,
		MinResources: s.minResources,
		JobRequests:  s.requests,
		Assumed:      assumed,
		// Best fit compares how many copies fit; more than this tells nothing.
		MaxSets: maxSetsCompared,
	}
	req.Queue = volcanoQueueOf(j, q, member)
	return req
}

// workload is the job as an assumed (in-flight) workload of member.
func (s *jobShape) workload(j *Job, q *FleetQueue, member string) estimator.Workload {
	w := estimator.Workload{Namespace: j.Namespace, Components: s.components}
	w.Queue = volcanoQueueOf(j, q, member)
	return w
}

// maxSetsCompared bounds the copies counted for best fit.
const maxSetsCompared = 16

func addScaled(dst, src corev1.ResourceList, n int32) {
	for name, q := range src {
		v := q.DeepCopy()
		if n != 1 {
			v = *resource.NewMilliQuantity(q.MilliValue()*int64(n), q.Format)
		}
		if cur, ok := dst[name]; ok {
			cur.Add(v)
			dst[name] = cur
		} else {
			dst[name] = v
		}
	}
}

func subList(dst, src corev1.ResourceList) {
	for name, q := range src {
		if cur, ok := dst[name]; ok {
			cur.Sub(q)
			dst[name] = cur
		}
	}
}

// fitsWithin reports whether have+add <= limit on every resource limit names, and the
// first resource that does not.
func fitsWithin(have, add, limit corev1.ResourceList) (bool, corev1.ResourceName) {
	for name, l := range limit {
		sum := have[name].DeepCopy()
		sum.Add(add[name])
		if sum.Cmp(l) > 0 {
			return false, name
		}
	}
	return true, ""
}

// atLeast reports whether have >= floor on every resource floor names, and the first
// resource that is below.
func atLeast(have, floor corev1.ResourceList) (bool, corev1.ResourceName) {
	for name, f := range floor {
		if h := have[name]; h.Cmp(f) < 0 {
			return false, name
		}
	}
	return true, ""
}

// RequestFor is the estimator request of job j of fleet queue q in member: one copy of
// its gang in the member's Volcano queue, with its PodGroup minResources. Schedule asks
// exactly this (plus in-flight work) before releasing a job.
func RequestFor(j *Job, q *FleetQueue, member string) estimator.Request {
	return shapeOf(j).request(j, q, member, nil)
}

// MinResources is the PodGroup minResources Volcano's job controller will write for j.
func MinResources(j *Job) corev1.ResourceList {
	return shapeOf(j).minResources.DeepCopy()
}
