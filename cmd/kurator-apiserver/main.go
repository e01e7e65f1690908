// Command kurator-apiserver serves kurator's API groups as an aggregated apiserver of Karmada.
package main

import (
	"os"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"kurator.dev/kurator/pkg/apiserver/app"
	estimatorserver "kurator.dev/kurator/pkg/estimator/server"
)

func main() {
	// Karmada's scheduler-estimator messages carry Kubernetes types that gRPC's protobuf
	// codec can only handle in binaries built with kubernetes_protomessage_one_more_release;
	// this codec works however the binary is built.
	estimatorserver.RegisterCodec()
	ctx := genericapiserver.SetupSignalContext()
	os.Exit(cli.Run(app.NewAPIServerCommand(ctx)))
}
