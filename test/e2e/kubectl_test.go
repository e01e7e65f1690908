package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Helpers that run kubectl against the Karmada apiserver, as users do.

// kubectlTimeout bounds every kubectl run.
const kubectlTimeout = 2 * time.Minute

// kubectlResult is what one kubectl run printed.
type kubectlResult struct {
	stdout, stderr string
	err            error
}

func (r kubectlResult) String() string {
	return fmt.Sprintf("err=%v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
}

// kubectl runs kubectl against the Karmada apiserver with stdin as its input.
func kubectl(t *testing.T, stdin string, args ...string) kubectlResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), kubectlTimeout)
	defer cancel()
	cmd := kubectlCommand(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return kubectlResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// kubectlCommand is kubectl against the Karmada apiserver, with the run's own discovery cache.
func kubectlCommand(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, env.layout.Tool("kubectl"),
		append([]string{"--kubeconfig", env.layout.KarmadaKubeconfig(), "--cache-dir", env.kubectlCache}, args...)...)
}

// kubectlOK runs kubectl and fails the test unless it succeeds; it returns the output.
func kubectlOK(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := kubectl(t, stdin, args...)
	if r.err != nil {
		t.Fatalf("kubectl %s failed:\n%s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// kubectlFails runs kubectl, fails the test unless kubectl fails, and returns its stderr.
func kubectlFails(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := kubectl(t, stdin, args...)
	if r.err == nil {
		t.Fatalf("kubectl %s succeeded, want an error:\n%s", strings.Join(args, " "), r)
	}
	return r.stderr
}

// requireContains fails the test unless s contains every one of wants.
func requireContains(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, s)
		}
	}
}
