//go:build kubernetes_protomessage_one_more_release

package main

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
)

// gpuTaint keeps ordinary pods off GPU nodes.
var gpuTaint = corev1.Taint{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}

func quantities(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

// cluster is the benchmark member: nodes nodes in three zones, one in five a tainted
// 8-GPU node, and podsPerNode running pods on each (GPU nodes run two 1-GPU pods among
// them), so the member is partly busy.
type cluster struct {
	nodes  []*corev1.Node
	pods   []*corev1.Pod
	queues []*schedulingv1beta1.Queue
}

func newCluster(nodes, podsPerNode int) *cluster {
	c := &cluster{queues: []*schedulingv1beta1.Queue{{
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec:       schedulingv1beta1.QueueSpec{Weight: 1},
		Status:     schedulingv1beta1.QueueStatus{State: schedulingv1beta1.QueueStateOpen},
	}}}
	for i := 0; i < nodes; i++ {
		name := fmt.Sprintf("node-%05d", i)
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), Labels: map[string]string{
			"kubernetes.io/hostname":      name,
			"kubernetes.io/os":            "linux",
			"topology.kubernetes.io/zone": fmt.Sprintf("zone-%d", i%3),
			"node.kubernetes.io/instance": fmt.Sprintf("rack-%d", i/40),
		}}}
		gpu := i%5 == 4
		if gpu {
			n.Labels["pool"] = "gpu"
			n.Labels["nvidia.com/gpu.product"] = "NVIDIA-A100-SXM4-80GB"
			n.Spec.Taints = []corev1.Taint{gpuTaint}
			n.Status.Allocatable = quantities("cpu", "64", "memory", "512Gi", "pods", "110", "ephemeral-storage", "1Ti", "nvidia.com/gpu", "8")
		} else {
			n.Labels["pool"] = "cpu"
			n.Status.Allocatable = quantities("cpu", "32", "memory", "128Gi", "pods", "110", "ephemeral-storage", "500Gi")
		}
		n.Status.Capacity = n.Status.Allocatable
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
		c.nodes = append(c.nodes, n)
		for j := 0; j < podsPerNode; j++ {
			req := quantities("cpu", fmt.Sprintf("%dm", 250*(1+j%4)), "memory", fmt.Sprintf("%dMi", 512*(1+j%6)))
			if gpu && j < 2 {
				req = quantities("cpu", "4", "memory", "32Gi", "nvidia.com/gpu", "1")
			}
			pname := fmt.Sprintf("pod-%05d-%02d", i, j)
			c.pods = append(c.pods, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("team-%d", j%7), Name: pname, UID: types.UID("uid-" + pname)},
				Spec: corev1.PodSpec{NodeName: name, Containers: []corev1.Container{{Name: "main",
					Resources: corev1.ResourceRequirements{Requests: req}}}},
				Status: corev1.PodStatus{Phase: corev1.PodRunning},
			})
		}
	}
	return c
}
