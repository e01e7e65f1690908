// Command kurator-controller-manager runs the fleet queue of Volcano Jobs submitted to
// Karmada: its admission webhook and its dispatcher.
package main

import (
	"os"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"kurator.dev/kurator/pkg/controllermanager"
)

func main() {
	ctx := genericapiserver.SetupSignalContext()
	os.Exit(cli.Run(controllermanager.NewControllerManagerCommand(ctx)))
}
