// Command kurator-up runs a real Karmada fleet on one machine: a Karmada control plane,
// simulated member clusters with Volcano, and Prometheus/Thanos telemetry.
package main

import (
	"os"

	"kurator.dev/kurator/pkg/localup/app"
)

func main() {
	if err := app.NewCommand().Execute(); err != nil {
		os.Exit(app.ExitCode(err))
	}
}
