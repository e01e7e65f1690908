// Command kurator-apiserver serves kurator's API groups as an aggregated apiserver of Karmada.
package main

import (
	"os"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"kurator.dev/kurator/pkg/apiserver/app"
)

func main() {
	ctx := genericapiserver.SetupSignalContext()
	os.Exit(cli.Run(app.NewAPIServerCommand(ctx)))
}
