// Command kurator-scheduler is Karmada's scheduler with kurator's telemetry- and mesh-aware
// plugins, configured by a KubeSchedulerConfiguration profile.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register" // JSON log format
	controllerruntime "sigs.k8s.io/controller-runtime"

	"kurator.dev/kurator/pkg/scheduler/app"
)

func main() {
	ctx := controllerruntime.SetupSignalHandler()
	code := cli.Run(app.NewCommand(ctx))
	logs.FlushLogs()
	os.Exit(code)
}
