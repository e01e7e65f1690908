package estimator

import (
	corev1 "k8s.io/api/core/v1"
	quotav1 "k8s.io/apiserver/pkg/quota/v1"
	resourcehelper "k8s.io/component-helpers/resource"
	batchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"
)

// VolcanoJobRequest describes one copy of a Volcano Job as the member's Volcano will see
// it, for Snapshot.Estimate: the gang is the pods whose usage is the PodGroup's
// minResources (GangComposition), each task's pods keep their template's requests and node
// restrictions; JobRequests counts every replica; the queue is spec.queue (empty: resolved
// from the namespace) and the priority spec.priorityClassName's value (when known to
// priorityOf). Webhook defaults are not applied: pass the Job as the member will store it.
func VolcanoJobRequest(job *batchv1alpha1.Job, priorityOf func(name string) (int32, bool)) Request {
	tasks := VolcanoJobTasks(job, priorityOf)
	counts := GangComposition(tasks, job.Spec.MinAvailable)
	req := Request{
		Namespace:    job.Namespace,
		Queue:        job.Spec.Queue,
		MinResources: PodGroupMinResources(tasks, job.Spec.MinAvailable),
		JobRequests:  corev1.ResourceList{},
	}
	if pc := job.Spec.PriorityClassName; pc != "" && priorityOf != nil {
		if v, ok := priorityOf(pc); ok {
			req.Priority = &v
		}
	}
	for i := range job.Spec.Tasks {
		t := &job.Spec.Tasks[i]
		spec := &t.Template.Spec
		requests := resourcehelper.PodRequests(&corev1.Pod{Spec: *spec}, resourcehelper.PodResourcesOptions{})
		req.JobRequests = quotav1.Add(req.JobRequests, timesUsage(requests, t.Replicas))
		if counts[i] == 0 {
			continue
		}
		c := Component{Name: t.Name, Replicas: counts[i], Requests: requests, NodeSelector: spec.NodeSelector,
			Tolerations: spec.Tolerations, PriorityClassName: spec.PriorityClassName}
		if a := spec.Affinity; a != nil && a.NodeAffinity != nil {
			c.NodeAffinity = a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
		}
		req.Components = append(req.Components, c)
	}
	return req
}
