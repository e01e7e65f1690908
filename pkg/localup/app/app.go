// Package app is the command line of kurator-up.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"kurator.dev/kurator/pkg/localup"
	"kurator.dev/kurator/pkg/localup/exporter"
)

// DefaultScenario is the scenario `up` starts when none is given.
const DefaultScenario = "artifacts/localup/scenario.yaml"

// DefaultSchedulerProfile is the profile kurator-scheduler runs with when none is given.
const DefaultSchedulerProfile = "artifacts/scheduler/default.yaml"

// errInterrupted marks an `up` stopped by Ctrl-C.
var errInterrupted = errors.New("interrupted")

// ExitCode maps an error to the process exit code (130 after Ctrl-C, 1 otherwise).
func ExitCode(err error) int {
	if errors.Is(err, errInterrupted) {
		return 130
	}
	return 1
}

// NewCommand returns the kurator-up command.
func NewCommand() *cobra.Command {
	opts := localup.Options{Out: os.Stdout}
	output := "_output"
	root := &cobra.Command{
		Use:   "kurator-up",
		Short: "Run a real Karmada fleet with Volcano and Thanos on this machine",
		Long: `kurator-up starts etcd, a Karmada control plane (kube-apiserver, Karmada's aggregated
apiserver, webhook, controller-manager and scheduler), simulated member clusters (a real
kube-apiserver each, kube-controller-manager, kube-scheduler, kwok fake nodes, Volcano) and
per-member Prometheus with Thanos sidecars behind one Thanos Query, all as local processes.
The binaries come from the pinned modules under hack/tools (` + "`make tools`" + `).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			abs, err := filepath.Abs(output)
			if err != nil {
				return fmt.Errorf("resolving --output %s: %w", output, err)
			}
			opts.Layout = localup.Layout{Output: abs}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("locating the kurator-up binary: %w", err)
			}
			opts.Self = self
			return nil
		},
	}
	root.PersistentFlags().StringVar(&output, "output", output, "directory of binaries, state, kubeconfigs and logs")

	up := &cobra.Command{
		Use:   "up",
		Short: "Start the environment (again): whatever is not running is started",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err := localup.Up(ctx, opts)
			if err != nil && ctx.Err() != nil {
				fmt.Fprintln(os.Stderr, "kurator-up: interrupted; stopped what this run started")
				return errInterrupted
			}
			return report(err)
		},
	}
	up.Flags().StringVar(&opts.ScenarioPath, "scenario", DefaultScenario, "scenario file describing the members")
	up.Flags().StringVar(&opts.SchedulerProfile, "scheduler-profile", DefaultSchedulerProfile, "kurator-scheduler profile (KubeSchedulerConfiguration); its Thanos URL is pointed at this environment")
	up.Flags().IntVar(&opts.BasePort, "base-port", 0, "first loopback port to use, overriding the scenario's basePort (to run a second environment)")

	down := &cobra.Command{
		Use:   "down",
		Short: "Stop every process of the environment and remove its data",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return report(localup.Down(opts)) },
	}
	var check bool
	status := &cobra.Command{
		Use:   "status",
		Short: "Show the processes, their memory and the Karmada clusters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if check {
				return localup.CheckRunning(opts)
			}
			return report(localup.Status(cmd.Context(), opts))
		},
	}
	status.Flags().BoolVar(&check, "check", false, "only check: exit 0 when every process of the environment runs, 1 otherwise")
	var kill bool
	stopCmd := &cobra.Command{
		Use:   "stop PROCESS...",
		Short: "Stop named processes (with --kill: SIGKILL, as a crash); `up` starts them again",
		Args:  cobra.MinimumNArgs(1),
		RunE:  func(_ *cobra.Command, args []string) error { return report(localup.Stop(opts, args, kill)) },
	}
	stopCmd.Flags().BoolVar(&kill, "kill", false, "send SIGKILL instead of a graceful stop")

	scenario := &cobra.Command{Use: "scenario", Short: "Change the scenario of the running environment"}
	scenario.AddCommand(&cobra.Command{
		Use:   "apply FILE",
		Short: "Apply a scenario file: utilization, mesh latency and traffic change live; nodes and queues are updated",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return report(localup.ApplyScenario(cmd.Context(), opts, args[0]))
		},
	})

	envCmd := &cobra.Command{
		Use:   "env",
		Short: "Print shell exports that point tests and tools at the running environment",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, ports, err := localup.Discover(opts.Layout.Output)
			if err != nil {
				return report(err)
			}
			fmt.Printf("export KURATOR_OUTPUT=%q\n", opts.Layout.Output)
			fmt.Printf("export KURATOR_KARMADA_KUBECONFIG=%q\n", opts.Layout.KarmadaKubeconfig())
			fmt.Printf("export KURATOR_THANOS_URL=%q\n", "http://"+localup.Addr(ports.ThanosQueryHTTP))
			return nil
		},
	}

	root.AddCommand(up, down, status, stopCmd, scenario, envCmd, newExporterCommand())
	return root
}

func report(err error) error {
	if err != nil {
		fmt.Fprintf(os.Stderr, "kurator-up: error: %v\n", err)
	}
	return err
}

func newExporterCommand() *cobra.Command {
	var scenarioPath, listen string
	cmd := &cobra.Command{
		Use:    "exporter",
		Short:  "Serve the synthetic telemetry of a scenario (run by `up`)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := exporter.New(scenarioPath, time.Now)
			if err != nil {
				return report(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go e.Watch(time.Second, ctx.Done())
			srv := &http.Server{Addr: listen, Handler: e.Handler(), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-ctx.Done()
				shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(shutdown)
			}()
			klog.InfoS("Serving synthetic telemetry", "address", listen, "scenario", scenarioPath)
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return report(fmt.Errorf("serving on %s: %w", listen, err))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&scenarioPath, "scenario", "", "scenario file to serve (re-read when it changes)")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:30032", "address to listen on")
	return cmd
}
