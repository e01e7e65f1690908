package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"kurator.dev/kurator/pkg/estimator"
)

// kuratorUpTencent is the vc-scheduler configuration kurator-up writes for a member with the
// capacity plugin and preemption.
const kuratorUpTencent = `actions: "enqueue, allocate, preempt, reclaim, backfill"
tiers:
- plugins:
  - name: priority
  - name: gang
    enablePreemptable: false
  - name: conformance
- plugins:
  - name: overcommit
  - name: drf
    enablePreemptable: false
  - name: predicates
  - name: capacity
  - name: nodeorder
  - name: binpack
`

func TestVolcanoConfig(t *testing.T) {
	cases := []struct {
		name string
		conf string
		want estimator.Config
	}{
		{
			name: "kurator-up member with capacity and preemption",
			conf: kuratorUpTencent,
			want: estimator.Config{QueuePlugin: estimator.QueuePluginCapacity, Preempt: true, Reclaim: true, OvercommitFactor: 1.2,
				PreemptKeepsMinAvailable: false, ReclaimKeepsMinAvailable: true, DefaultQueue: "default"},
		},
		{
			name: "proportion without the overcommit plugin",
			conf: `actions: "enqueue, allocate, backfill"
tiers:
- plugins: [{name: priority}, {name: gang}, {name: conformance}]
- plugins: [{name: drf}, {name: predicates}, {name: proportion}, {name: nodeorder}, {name: binpack}]
`,
			want: estimator.Config{QueuePlugin: estimator.QueuePluginProportion, PreemptKeepsMinAvailable: true, ReclaimKeepsMinAvailable: true, DefaultQueue: "default"},
		},
		{
			name: "overcommit factor argument",
			conf: `actions: "enqueue, allocate"
tiers:
- plugins:
  - name: overcommit
    arguments:
      overcommit-factor: 1.5
  - name: proportion
`,
			want: estimator.Config{QueuePlugin: estimator.QueuePluginProportion, OvercommitFactor: 1.5, DefaultQueue: "default"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := volcanoConfig([]byte(tc.conf), estimator.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			if got.QueuePlugin != tc.want.QueuePlugin || got.Preempt != tc.want.Preempt || got.Reclaim != tc.want.Reclaim ||
				got.OvercommitFactor != tc.want.OvercommitFactor || got.PreemptKeepsMinAvailable != tc.want.PreemptKeepsMinAvailable ||
				got.ReclaimKeepsMinAvailable != tc.want.ReclaimKeepsMinAvailable || got.DefaultQueue != tc.want.DefaultQueue {
				t.Errorf("config = %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := volcanoConfig([]byte("tiers: [[["), estimator.DefaultConfig()); err == nil {
		t.Error("a malformed configuration parsed")
	}
}

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	o := NewOptions()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := o.Complete(); err != nil {
		return o, err
	}
	return o, o.Validate()
}

func TestOptions(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "volcano-scheduler.yaml")
	if err := os.WriteFile(conf, []byte(kuratorUpTencent), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := parse(t, "--cluster-name=tencent", "--scheduler-conf="+conf, "--overcommit-factor=1", "--namespace-queue=ml=training")
	if err != nil {
		t.Fatal(err)
	}
	c := o.EstimatorConfig()
	if c.QueuePlugin != estimator.QueuePluginCapacity || !c.Preempt || c.OvercommitFactor != 1 || c.NamespaceQueues["ml"] != "training" {
		t.Errorf("file plus flags = %+v; want capacity, preempt, factor 1 (flag wins), ml -> training", c)
	}
	o, err = parse(t, "--cluster-name=m", "--volcano-actions=enqueue, allocate, preempt", "--queue-plugin=capacity")
	if err != nil {
		t.Fatal(err)
	}
	if c := o.EstimatorConfig(); !c.Preempt || c.Reclaim || c.QueuePlugin != estimator.QueuePluginCapacity {
		t.Errorf("flags only = %+v; want capacity with preempt and no reclaim", c)
	}
	for _, bad := range [][]string{
		{},
		{"--cluster-name=m", "--queue-plugin=drf"},
		{"--cluster-name=m", "--grpc-auth-cert-file=x"},
		{"--cluster-name=m", "--bind-address=localhost"},
		{"--cluster-name=m", "--volcano=maybe"},
		{"--cluster-name=m", "--metrics-bind-address=8080"},
		{"--cluster-name=m", "--scheduler-conf=" + filepath.Join(dir, "missing.yaml")},
	} {
		if _, err := parse(t, bad...); err == nil {
			t.Errorf("%s: accepted", strings.Join(bad, " "))
		}
	}
}
