// Command kurator-estimator answers Karmada's scheduler-estimator RPCs for one member
// cluster with Volcano's queue, gang and priority semantics.
package main

import (
	"os"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"kurator.dev/kurator/pkg/estimator/app"
)

func main() {
	ctx := genericapiserver.SetupSignalContext()
	os.Exit(cli.Run(app.NewEstimatorCommand(ctx)))
}
