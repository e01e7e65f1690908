// Package app is the command line of kurator-apiserver, the aggregated apiserver that serves
// kurator's API groups inside Karmada.
package app

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"
	_ "k8s.io/component-base/logs/json/register" // --logging-format=json
	"k8s.io/component-base/term"
	"k8s.io/component-base/version/verflag"
	"k8s.io/klog/v2"
)

func init() {
	utilruntime.Must(logsapi.AddFeatureGates(utilfeature.DefaultMutableFeatureGate))
}

// NewAPIServerCommand returns the kurator-apiserver command, which runs until ctx is done.
func NewAPIServerCommand(ctx context.Context) *cobra.Command {
	o := NewOptions()
	cmd := &cobra.Command{
		Use:   "kurator-apiserver",
		Short: "Serve kurator's API groups (*.kurator.dev) as an aggregated apiserver of Karmada",
		Long: `kurator-apiserver serves kurator's API groups — fleet.kurator.dev (Fleet),
telemetry.kurator.dev (ClusterTelemetry), scheduling.kurator.dev (PlacementReview) and
batch.kurator.dev (FleetQueue, BatchJob) — as an aggregated apiserver of the Karmada
apiserver: it is registered there with one APIService per group version, authenticates and
authorizes requests by delegating to the Karmada apiserver, and stores its objects in etcd
under its own prefix (/kurator by default). What it computes — fleet and fleet queue status,
cluster telemetry, batch jobs — comes from the Karmada objects it watches through
--kubeconfig and from the Thanos Query of each fleet's spec.telemetry.`,
		SilenceUsage: true,
		Args:         cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			verflag.PrintAndExitIfRequested()
			if err := logsapi.ValidateAndApply(o.Logs, utilfeature.DefaultFeatureGate); err != nil {
				return fmt.Errorf("configuring logging: %w", err)
			}
			cliflag.PrintFlags(cmd.Flags())
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			klog.InfoS("Starting kurator-apiserver")
			return o.Run(cmd.Context())
		},
	}
	cmd.SetContext(ctx)

	fss := &cliflag.NamedFlagSets{}
	o.AddFlags(fss)
	verflag.AddFlags(fss.FlagSet("global"))
	for _, fs := range fss.FlagSets {
		cmd.Flags().AddFlagSet(fs)
	}
	cols, _, _ := term.TerminalSize(cmd.OutOrStdout())
	cliflag.SetUsageAndHelpFunc(cmd, *fss, cols)
	return cmd
}
