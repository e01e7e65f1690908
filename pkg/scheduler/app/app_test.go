package app

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/component-base/cli"
)

// TestMain runs the command itself when re-executed by the integration test, so that each
// scheduler gets a process of its own (Karmada's command registers global metrics once).
func TestMain(m *testing.M) {
	if os.Getenv("KURATOR_SCHEDULER_MAIN") == "1" {
		os.Exit(cli.Run(NewCommand(signalContext())))
	}
	os.Exit(m.Run())
}

func writeProfile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(path, []byte("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"+body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCommandRejects(t *testing.T) {
	valid := writeProfile(t, "profiles:\n- schedulerName: kurator-scheduler\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"--plugins", []string{"--config", valid, "--plugins", "*"}, "--plugins cannot be used with kurator-scheduler"},
		{"scheduler name conflict", []string{"--config", valid, "--scheduler-name", "other"}, "--scheduler-name=other conflicts with profiles[0].schedulerName"},
		{"invalid profile", []string{"--config", writeProfile(t, "profiles:\n- plugins:\n    score:\n      enabled: [{name: Nope}]\n")}, "profiles[0].plugins.score.enabled[0].name"},
		{"missing profile", []string{"--config", filepath.Join(t.TempDir(), "absent.yaml")}, "reading the scheduler profile"},
		{"arguments", []string{"extra"}, "does not take any arguments"},
		{"telemetry url", []string{"--config", valid, "--telemetry-url", "thanos:9090", "--kubeconfig", writeProfile(t, "")}, "must be an http or https URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A process per run: Karmada's command applies the logging configuration once.
			cmd := exec.Command(os.Args[0], tc.args...)
			cmd.Env = append(os.Environ(), "KURATOR_SCHEDULER_MAIN=1")
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Errorf("kurator-scheduler %v: %v\n%s\nwant an error containing %q", tc.args, err, out, tc.want)
			}
		})
	}
}

func TestCommandHelp(t *testing.T) {
	cmd := NewCommand(t.Context())
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kurator-scheduler", "--config string", "--scheduler-name", "--kubeconfig"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help does not mention %q", want)
		}
	}
}
