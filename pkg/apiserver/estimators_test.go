package apiserver

import (
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	estimatorclient "github.com/karmada-io/karmada/pkg/estimator/client"
)

// clusterList is a fixed, synced ClusterLister.
type clusterList []*clusterv1alpha1.Cluster

func (l clusterList) HasSynced() bool                           { return true }
func (l clusterList) List() ([]*clusterv1alpha1.Cluster, error) { return l, nil }

// TestEstimatorConnectionsBackOff: a cluster without an estimator Service is tried again
// after Resync, then after twice that, up to five minutes, rather than on every pass; a
// Pull cluster is left out when the options say so, and a cluster that goes is forgotten.
func TestEstimatorConnectionsBackOff(t *testing.T) {
	o := NewEstimatorOptions()
	o.Enabled, o.DisableInPullMode = true, true
	now := time.Unix(1_700_000_000, 0)
	clusters := clusterList{
		{ObjectMeta: metav1.ObjectMeta{Name: "push"}, Spec: clusterv1alpha1.ClusterSpec{SyncMode: clusterv1alpha1.Push}},
		{ObjectMeta: metav1.ObjectMeta{Name: "pull"}, Spec: clusterv1alpha1.ClusterSpec{SyncMode: clusterv1alpha1.Pull}},
	}
	calls := 0
	c := &estimatorConnections{o: o, clusters: clusters, cache: estimatorclient.NewSchedulerEstimatorCache(),
		connected: map[string]bool{}, failed: map[string]*failedConnection{}, now: func() time.Time { return now },
		connect: func(info estimatorclient.SchedulerEstimatorServiceInfo) error {
			calls++
			if info.Name != "push" || info.Namespace != "karmada-system" || info.NamePrefix != "karmada-scheduler-estimator" {
				t.Errorf("connecting to %+v", info)
			}
			return errors.New("no estimator answers")
		}}

	var attempts []int // passes (one per simulated second) that tried to connect
	for s := 0; s <= 200; s++ {
		before := calls
		c.reconcile(t.Context())
		if calls > before {
			attempts = append(attempts, s)
		}
		now = now.Add(time.Second)
	}
	// Resync 15s: tries at 0, 15 (+15), 45 (+30), 105 (+60), 225 (+120: after the window).
	want := []int{0, 15, 45, 105}
	if len(attempts) != len(want) {
		t.Fatalf("attempts at %v s; want %v", attempts, want)
	}
	for i := range want {
		if attempts[i] != want[i] {
			t.Fatalf("attempts at %v s; want %v", attempts, want)
		}
	}
	if f := c.failed["push"]; f == nil || f.err == "" || f.delay != 2*time.Minute {
		t.Errorf("failed[push] = %+v; want the error kept and the next delay 2m", f)
	}
	if _, ok := c.failed["pull"]; ok {
		t.Error("the Pull cluster was tried though the options leave Pull clusters out")
	}
	for i := 0; i < 10; i++ {
		c.failed["push"].next = now
		c.reconcile(t.Context())
	}
	if d := c.failed["push"].delay; d != maxRetryDelay {
		t.Errorf("delay after many failures = %s; want it capped at %s", d, maxRetryDelay)
	}

	c.clusters = clusterList{}
	c.reconcile(t.Context())
	if len(c.failed) != 0 {
		t.Errorf("failed = %v after the cluster went; want it forgotten", c.failed)
	}
}
