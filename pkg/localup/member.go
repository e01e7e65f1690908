package localup

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	schedulingv1beta1 "volcano.sh/apis/pkg/apis/scheduling/v1beta1"
)

// Labels and annotations of simulated nodes.
const (
	// KwokNodeAnnotation marks nodes the member's kwok manages.
	KwokNodeAnnotation = "kwok.x-k8s.io/node"
	// NodePoolLabel names the scenario node pool of a node.
	NodePoolLabel = "kurator.dev/node-pool"
	// GPUResource is the extended resource of GPU nodes.
	GPUResource corev1.ResourceName = "nvidia.com/gpu"
)

// NodeName is the name of the i-th node of a pool in a member.
func NodeName(member, pool string, i int) string {
	return member + "-" + pool + "-" + strconv.Itoa(i)
}

// Nodes returns the Node objects of a member as the scenario sizes them.
func Nodes(m *Member) []*corev1.Node {
	var out []*corev1.Node
	for _, pool := range m.NodePools {
		for i := 0; i < pool.Count; i++ {
			name := NodeName(m.Name, pool.Name, i)
			labels := map[string]string{
				"type":                           "kwok",
				corev1.LabelHostname:             name,
				corev1.LabelOSStable:             "linux",
				corev1.LabelArchStable:           "amd64",
				corev1.LabelInstanceTypeStable:   pool.Name,
				NodePoolLabel:                    pool.Name,
				"node-role.kubernetes.io/worker": "",
				"kubernetes.io/role":             "worker",
				"node.kubernetes.io/exclude-from-external-load-balancers": "true",
			}
			if m.Region != "" {
				labels[corev1.LabelTopologyRegion] = m.Region
			}
			if m.Zone != "" {
				labels[corev1.LabelTopologyZone] = m.Zone
			}
			for k, v := range pool.Labels {
				labels[k] = v
			}
			capacity := corev1.ResourceList{
				corev1.ResourceCPU:              pool.CPU,
				corev1.ResourceMemory:           pool.Memory,
				corev1.ResourcePods:             *resource.NewQuantity(int64(pool.Pods), resource.DecimalSI),
				corev1.ResourceEphemeralStorage: resource.MustParse("500Gi"),
			}
			if pool.GPU > 0 {
				capacity[GPUResource] = *resource.NewQuantity(int64(pool.GPU), resource.DecimalSI)
			}
			out = append(out, &corev1.Node{
				TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
				ObjectMeta: metav1.ObjectMeta{
					Name:        name,
					Labels:      labels,
					Annotations: map[string]string{KwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
				},
				Spec: corev1.NodeSpec{Taints: pool.Taints},
				Status: corev1.NodeStatus{
					Capacity:    capacity,
					Allocatable: capacity.DeepCopy(),
				},
			})
		}
	}
	return out
}

// ensureNodes creates the member's nodes (with their capacity, which only a create or a
// status write can set) and applies labels and taints of existing ones.
func ensureNodes(ctx context.Context, c *Clients, m *Member) error {
	for _, node := range Nodes(m) {
		existing, err := c.Kube.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if _, err := c.Kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{FieldManager: FieldManager}); err != nil {
				return fmt.Errorf("creating node %s in %s: %w", node.Name, m.Name, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("reading node %s in %s: %w", node.Name, m.Name, err)
		}
		if err := c.Apply(ctx, node.DeepCopy()); err != nil {
			return fmt.Errorf("member %s: %w", m.Name, err)
		}
		if !resourceListEqual(existing.Status.Capacity, node.Status.Capacity) {
			patch, _ := json.Marshal(map[string]any{"status": map[string]any{
				"capacity": node.Status.Capacity, "allocatable": node.Status.Allocatable,
			}})
			if _, err := c.Kube.CoreV1().Nodes().Patch(ctx, node.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
				return fmt.Errorf("resizing node %s in %s: %w", node.Name, m.Name, err)
			}
		}
	}
	return nil
}

func resourceListEqual(a, b corev1.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v.Cmp(w) != 0 {
			return false
		}
	}
	return true
}

// Queues returns the Volcano Queues the scenario asks for in a member.
func Queues(m *Member) []*schedulingv1beta1.Queue {
	var out []*schedulingv1beta1.Queue
	for _, q := range m.Volcano.Queues {
		weight := q.Weight
		if weight == 0 {
			weight = 1
		}
		out = append(out, &schedulingv1beta1.Queue{
			TypeMeta:   metav1.TypeMeta{APIVersion: schedulingv1beta1.SchemeGroupVersion.String(), Kind: "Queue"},
			ObjectMeta: metav1.ObjectMeta{Name: q.Name},
			Spec: schedulingv1beta1.QueueSpec{
				Weight:      weight,
				Reclaimable: q.Reclaimable,
				Capability:  q.Capability,
				Deserved:    q.Deserved,
				Guarantee:   schedulingv1beta1.Guarantee{Resource: q.Guarantee},
			},
		})
	}
	return out
}

// prepareMember installs what a member needs before its controllers start: nodes and the
// Volcano CRDs.
func (e *Env) prepareMember(ctx context.Context, m *Member) error {
	c, err := NewClients(e.Layout.MemberKubeconfig(m.Name))
	if err != nil {
		return err
	}
	if err := ensureNodes(ctx, c, m); err != nil {
		return err
	}
	for _, dir := range []string{"volcano-crds", "volcano-jobflow-crds"} {
		if err := c.ApplyCRDDir(ctx, filepath.Join(e.Layout.Assets(), dir)); err != nil {
			return fmt.Errorf("member %s: installing Volcano CRDs: %w", m.Name, err)
		}
	}
	return nil
}

// applyQueues creates the scenario's Volcano queues in a member.
func (e *Env) applyQueues(ctx context.Context, m *Member) error {
	c, err := NewClients(e.Layout.MemberKubeconfig(m.Name))
	if err != nil {
		return err
	}
	for _, q := range Queues(m) {
		if err := c.Apply(ctx, q); err != nil {
			return fmt.Errorf("member %s: %w", m.Name, err)
		}
	}
	return nil
}
