// Package app is the command line of kurator-apiserver, the aggregated apiserver that serves
// kurator's API groups inside Karmada.
package app

import (
	"context"

	"github.com/spf13/cobra"

	"kurator.dev/kurator/pkg/component"
)

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
	}
	return component.Command(ctx, cmd, o, o.Logs, o.AddFlags)
}
