package controllermanager

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"kurator.dev/kurator/pkg/estimator"
)

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	o := NewOptions()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := o.Complete(); err != nil {
		return o, err
	}
	return o, o.Validate()
}

func TestDefaultsAreValid(t *testing.T) {
	o, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	if !o.LeaderElect || o.LeaderElectResourceNamespace != "karmada-system" || o.WebhookCertName != "tls.crt" || o.WebhookKeyName != "tls.key" {
		t.Errorf("defaults %+v", o)
	}
	if got := o.VolcanoConfig("any"); got.QueuePlugin != estimator.QueuePluginProportion || got.Preempt || got.DefaultQueue != "default" {
		t.Errorf("a member without configuration gets %+v, want Volcano's defaults", got)
	}
	if o.Policy().DefaultRuntime != time.Hour {
		t.Errorf("default runtime %v", o.Policy().DefaultRuntime)
	}
}

func TestVolcanoConfigPerMember(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tencent.yaml")
	conf := "actions: \"enqueue, allocate, preempt, reclaim, backfill\"\ntiers:\n- plugins:\n  - name: gang\n  - name: capacity\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := parse(t, "--volcano-scheduler-conf=tencent="+path, "--volcano-default-queue=batch", "--default-runtime=30m")
	if err != nil {
		t.Fatal(err)
	}
	got := o.VolcanoConfig("tencent")
	if got.QueuePlugin != estimator.QueuePluginCapacity || !got.Preempt || !got.Reclaim || got.DefaultQueue != "batch" {
		t.Errorf("tencent: %+v, want capacity with preempt and reclaim, default queue batch", got)
	}
	if other := o.VolcanoConfig("aliyun"); other.QueuePlugin != estimator.QueuePluginProportion || other.DefaultQueue != "batch" {
		t.Errorf("aliyun: %+v", other)
	}
	if o.Policy().DefaultRuntime != 30*time.Minute {
		t.Errorf("policy %+v", o.Policy())
	}
}

func TestInvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--webhook-port=0"}, "--webhook-port"},
		{[]string{"--webhook-bind-address=localhost"}, "not an IP address"},
		{[]string{"--metrics-bind-address=8080"}, "--metrics-bind-address"},
		{[]string{"--cycle-interval=1s", "--min-cycle-interval=5s"}, "--min-cycle-interval"},
		{[]string{"--default-runtime=0s"}, "--default-runtime"},
		{[]string{"--leader-elect-renew-deadline=20s"}, "--leader-elect-renew-deadline"},
		{[]string{"--volcano-scheduler-conf=tencent=/does/not/exist"}, "--volcano-scheduler-conf tencent=/does/not/exist"},
	} {
		if _, err := parse(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %s", tc.args, err, tc.want)
		}
	}
}
