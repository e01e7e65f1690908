// Command kurator-scheduler is Karmada's scheduler with kurator's telemetry- and mesh-aware
// plugins, configured by a KubeSchedulerConfiguration profile.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register" // JSON log format
	controllerruntime "sigs.k8s.io/controller-runtime"

	estimatorserver "kurator.dev/kurator/pkg/estimator/server"
	"kurator.dev/kurator/pkg/scheduler/app"
)

func main() {
	// Karmada's scheduler-estimator messages carry Kubernetes types that gRPC's protobuf
	// codec can only handle in binaries built with kubernetes_protomessage_one_more_release;
	// this codec works however the binary is built.
	estimatorserver.RegisterCodec()
	ctx := controllerruntime.SetupSignalHandler()
	code := cli.Run(app.NewCommand(ctx))
	logs.FlushLogs()
	os.Exit(code)
}
