package main

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	karmadaclientset "github.com/karmada-io/karmada/pkg/generated/clientset/versioned"
)

const (
	// benchLabel marks every object the bench creates.
	benchLabel = "bench.kurator.dev/throughput"
	// leaseNamespace is where Pull clusters' agents renew their Leases (Karmada's
	// util.NamespaceClusterLease).
	leaseNamespace = "karmada-cluster"
	// leaseDuration is what karmada-agent declares; Karmada's cluster controller ignores it and
	// marks a Pull cluster Unknown when its Lease has not been renewed for
	// --cluster-monitor-grace-period (40 s by default), checking every 5 s.
	leaseDuration = 40
	// renewEvery keeps well inside the grace period, as karmada-agent's 10 s does.
	renewEvery   = 10 * time.Second
	networkLabel = "topology.istio.io/network"
)

// clusterRegistry registers the fleet's clusters in Pull mode and plays their karmada-agent:
// it writes their status (Ready, resource summary, API enablements) and renews their Leases.
type clusterRegistry struct {
	kc   karmadaclientset.Interface
	kube kubernetes.Interface
	f    *fleet
}

// register creates or updates every cluster, its status and its Lease.
func (r *clusterRegistry) register(ctx context.Context) error {
	if err := ensureNamespace(ctx, r.kube, leaseNamespace); err != nil {
		return err
	}
	for i := range r.f.clusters {
		c := &r.f.clusters[i]
		cl, err := r.ensureCluster(ctx, c)
		if err != nil {
			return err
		}
		if err := r.writeStatus(ctx, c); err != nil {
			return err
		}
		if err := r.renewLease(ctx, cl); err != nil {
			return err
		}
	}
	return nil
}

func (r *clusterRegistry) ensureCluster(ctx context.Context, c *benchCluster) (*clusterv1alpha1.Cluster, error) {
	labels := map[string]string{benchLabel: "true"}
	if c.network != "" {
		labels[networkLabel] = c.network
	}
	want := &clusterv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: c.name, Labels: labels},
		Spec: clusterv1alpha1.ClusterSpec{
			SyncMode: clusterv1alpha1.Pull,
			Provider: "kurator-bench",
			Region:   c.region,
			Zones:    []string{c.zone},
		},
	}
	got, err := r.kc.ClusterV1alpha1().Clusters().Create(ctx, want, metav1.CreateOptions{})
	// A cluster of an earlier run may still be on its way out: wait, bounded, and create it again.
	for attempt := 0; apierrors.IsAlreadyExists(err) && attempt < 60; attempt++ {
		got, err = r.kc.ClusterV1alpha1().Clusters().Get(ctx, c.name, metav1.GetOptions{})
		if err == nil && got.Labels[benchLabel] != "true" {
			return nil, fmt.Errorf("cluster %s exists and was not registered by this bench (no %s label): run the bench in an environment of its own", c.name, benchLabel)
		}
		if err != nil || got.DeletionTimestamp == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
		got, err = r.kc.ClusterV1alpha1().Clusters().Create(ctx, want, metav1.CreateOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("registering cluster %s: %w", c.name, err)
	}
	return got, nil
}

// writeStatus writes what karmada-agent would: Ready, the Kubernetes version, the APIs the
// workloads need and a resource summary for Karmada's general estimator.
func (r *clusterRegistry) writeStatus(ctx context.Context, c *benchCluster) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cl, err := r.kc.ClusterV1alpha1().Clusters().Get(ctx, c.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		meta.SetStatusCondition(&cl.Status.Conditions, metav1.Condition{
			Type: clusterv1alpha1.ClusterConditionReady, Status: metav1.ConditionTrue,
			Reason: "ClusterReady", Message: "the throughput bench reports the cluster healthy",
		})
		cl.Status.KubernetesVersion = "v1.35.3"
		cl.Status.APIEnablements = []clusterv1alpha1.APIEnablement{
			{GroupVersion: "v1", Resources: []clusterv1alpha1.APIResource{{Name: "pods", Kind: "Pod"}, {Name: "services", Kind: "Service"}, {Name: "configmaps", Kind: "ConfigMap"}}},
			{GroupVersion: "apps/v1", Resources: []clusterv1alpha1.APIResource{{Name: "deployments", Kind: "Deployment"}, {Name: "statefulsets", Kind: "StatefulSet"}}},
		}
		cores := c.cores
		cl.Status.ResourceSummary = &clusterv1alpha1.ResourceSummary{
			Allocatable: corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewQuantity(cores, resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity(cores*4<<30, resource.BinarySI),
				corev1.ResourcePods:   *resource.NewQuantity(cores*10, resource.DecimalSI),
			},
			Allocated: corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewMilliQuantity(int64(float64(cores*1000)*c.cpu*0.8), resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity(int64(float64(cores*4<<30)*c.memory*0.8), resource.BinarySI),
				corev1.ResourcePods:   *resource.NewQuantity(cores*2, resource.DecimalSI),
			},
		}
		_, err = r.kc.ClusterV1alpha1().Clusters().UpdateStatus(ctx, cl, metav1.UpdateOptions{})
		return err
	})
}

// renewLease creates the cluster's Lease or moves its renewTime to now.
func (r *clusterRegistry) renewLease(ctx context.Context, cl *clusterv1alpha1.Cluster) error {
	now := metav1.NewMicroTime(time.Now())
	leases := r.kube.CoordinationV1().Leases(leaseNamespace)
	patch := fmt.Sprintf(`{"spec":{"renewTime":%q}}`, now.UTC().Format(metav1.RFC3339Micro))
	_, err := leases.Patch(ctx, cl.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	if !apierrors.IsNotFound(err) {
		if err != nil {
			return fmt.Errorf("renewing the lease of %s: %w", cl.Name, err)
		}
		return nil
	}
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{
			Name: cl.Name, Namespace: leaseNamespace, Labels: map[string]string{benchLabel: "true"},
			// As karmada-agent does: the Lease goes with its Cluster.
			OwnerReferences: []metav1.OwnerReference{{APIVersion: clusterv1alpha1.GroupVersion.String(), Kind: "Cluster", Name: cl.Name, UID: cl.UID}},
		},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(cl.Name), LeaseDurationSeconds: ptr.To[int32](leaseDuration), RenewTime: &now},
	}
	if _, err := leases.Create(ctx, lease, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating the lease of %s: %w", cl.Name, err)
	}
	return nil
}

// keepAlive renews every Lease each renewEvery and rewrites the status of a cluster that is
// no longer Ready (after a stall longer than the grace period), until ctx is done.
func (r *clusterRegistry) keepAlive(ctx context.Context) {
	t := time.NewTicker(renewEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		list, err := r.kc.ClusterV1alpha1().Clusters().List(ctx, metav1.ListOptions{LabelSelector: benchLabel + "=true"})
		if err != nil {
			if ctx.Err() == nil {
				fmt.Printf("keep-alive: listing clusters: %v\n", err)
			}
			continue
		}
		for i := range list.Items {
			cl := &list.Items[i]
			if err := r.renewLease(ctx, cl); err != nil && ctx.Err() == nil {
				fmt.Printf("keep-alive: %v\n", err)
			}
			if !meta.IsStatusConditionTrue(cl.Status.Conditions, clusterv1alpha1.ClusterConditionReady) {
				for j := range r.f.clusters {
					if r.f.clusters[j].name == cl.Name {
						if err := r.writeStatus(ctx, &r.f.clusters[j]); err != nil && ctx.Err() == nil {
							fmt.Printf("keep-alive: status of %s: %v\n", cl.Name, err)
						}
					}
				}
			}
		}
	}
}

// waitSchedulable waits until every cluster is Ready and free of Karmada's NoSchedule
// taints, which its cluster controller removes once it sees Ready.
func (r *clusterRegistry) waitSchedulable(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		list, err := r.kc.ClusterV1alpha1().Clusters().List(ctx, metav1.ListOptions{LabelSelector: benchLabel + "=true"})
		if err != nil {
			last = err.Error()
		} else {
			pending, example := 0, ""
			for _, cl := range list.Items {
				if !meta.IsStatusConditionTrue(cl.Status.Conditions, clusterv1alpha1.ClusterConditionReady) || len(cl.Spec.Taints) > 0 {
					pending++
					example = fmt.Sprintf(", e.g. %s: ready=%v taints=%v", cl.Name, meta.IsStatusConditionTrue(cl.Status.Conditions, clusterv1alpha1.ClusterConditionReady), cl.Spec.Taints)
				}
			}
			if pending == 0 && len(list.Items) == len(r.f.clusters) {
				return nil
			}
			last = fmt.Sprintf("%d of %d clusters registered, %d of them not schedulable yet%s", len(list.Items), len(r.f.clusters), pending, example)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return fmt.Errorf("clusters not schedulable after %s: %s", timeout, last)
}

// unregister deletes the clusters (Karmada removes their execution namespaces and the
// Leases go with them) and waits for them to be gone.
func (r *clusterRegistry) unregister(ctx context.Context, timeout time.Duration) error {
	sel := metav1.ListOptions{LabelSelector: benchLabel + "=true"}
	if err := r.kc.ClusterV1alpha1().Clusters().DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil {
		return fmt.Errorf("deleting the bench clusters: %w", err)
	}
	_ = r.kube.CoordinationV1().Leases(leaseNamespace).DeleteCollection(ctx, metav1.DeleteOptions{}, sel)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		list, err := r.kc.ClusterV1alpha1().Clusters().List(ctx, sel)
		if err == nil && len(list.Items) == 0 {
			return nil
		}
		time.Sleep(time.Second)
	}
	return fmt.Errorf("bench clusters still present after %s", timeout)
}

func ensureNamespace(ctx context.Context, kube kubernetes.Interface, name string) error {
	_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}
