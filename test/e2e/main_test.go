// Package e2e tests kurator against a real environment started by kurator-up: a Karmada
// control plane, simulated members with Volcano, and Thanos. The suite reuses an environment
// that is already running (and leaves it running); otherwise it starts one and stops it at
// the end (set KURATOR_E2E_KEEP=1 to keep it).
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"kurator.dev/kurator/pkg/localup"
)

// env is the environment under test. KURATOR_E2E_BASE_PORT moves a new environment's ports
// (to run beside another one).
var env struct {
	layout   localup.Layout
	scenario *localup.Scenario
	ports    localup.Ports
	karmada  *localup.Clients
	members  map[string]*localup.Clients
	thanos   string
	upBinary string
	// kubectlCache is kubectl's discovery cache for this run: a user's cache can map a
	// resource name to an API that is gone (a bench's CRD), and kubectl trusts it for hours.
	kubectlCache string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.layout = localup.Layout{Output: filepath.Join(root, "_output")}
	env.upBinary = env.layout.Tool("kurator-up")
	if _, err := os.Stat(env.upBinary); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %s is missing: run `make test-e2e` (it builds the tools and kurator first)\n", env.upBinary)
		return 1
	}
	wasRunning := environmentRunning()
	scenario := filepath.Join(root, "artifacts", "localup", "scenario.yaml")
	upArgs := []string{"up", "--scenario", scenario}
	if port := os.Getenv("KURATOR_E2E_BASE_PORT"); port != "" {
		upArgs = append(upArgs, "--base-port", port)
	}
	if err := kuratorUp(root, upArgs...); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: kurator-up up failed: %v\n", err)
		if !wasRunning {
			_ = kuratorUp(root, "down")
		}
		return 1
	}
	if !wasRunning && os.Getenv("KURATOR_E2E_KEEP") == "" {
		defer func() {
			if err := kuratorUp(root, "down"); err != nil {
				fmt.Fprintf(os.Stderr, "e2e: kurator-up down: %v\n", err)
			}
		}()
	}
	if err := connect(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	if env.kubectlCache, err = os.MkdirTemp("", "kurator-e2e-kubectl-cache-"); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(env.kubectlCache) }()
	return m.Run()
}

func environmentRunning() bool {
	sup, err := localup.NewSupervisor(env.layout.StateFile(), env.layout.Logs())
	if err != nil {
		return false
	}
	for _, r := range sup.Records() {
		if localup.Alive(r) {
			return true
		}
	}
	return false
}

// kuratorUp runs kurator-up from the repository root with its output on the test log.
func kuratorUp(root string, args ...string) error {
	_, err := kuratorUpOutput(root, args...)
	return err
}

// kuratorUpOutput runs kurator-up like kuratorUp and also returns what it printed.
func kuratorUpOutput(root string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.upBinary, append([]string{"--output", env.layout.Output}, args...)...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(os.Stdout, &out), io.MultiWriter(os.Stderr, &out)
	err := cmd.Run()
	return out.String(), err
}

func connect() error {
	s, ports, err := localup.Discover(env.layout.Output)
	if err != nil {
		return err
	}
	env.scenario, env.ports = s, ports
	env.thanos = "http://" + localup.Addr(env.ports.ThanosQueryHTTP)
	if env.karmada, err = localup.NewClients(env.layout.KarmadaKubeconfig()); err != nil {
		return err
	}
	env.members = map[string]*localup.Clients{}
	for _, m := range s.Members {
		if env.members[m.Name], err = localup.NewClients(env.layout.MemberKubeconfig(m.Name)); err != nil {
			return err
		}
	}
	return nil
}

// eventually polls check until it reports done or the timeout passes, then fails the test
// with what check last saw.
func eventually(t *testing.T, timeout time.Duration, what string, check func(ctx context.Context) (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	// t.Context() is canceled before cleanups run; cleanups wait here too (bounded by timeout).
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		done, seen := check(ctx)
		cancel()
		if done {
			return
		}
		last = seen
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %s; last seen: %s", what, timeout, last)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
