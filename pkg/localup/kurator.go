package localup

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// KuratorGroupVersions are the API group versions kurator-apiserver serves, each registered
// with its own APIService in the Karmada apiserver.
var KuratorGroupVersions = []struct{ Group, Version string }{
	{"fleet.kurator.dev", "v1alpha1"},
}

func (e *Env) kuratorAPIServer() *Process {
	kc := e.Layout.KarmadaKubeconfig()
	serving := e.PKI.Serving["kurator-apiserver"]
	port := e.Ports.KuratorAPIServer
	return &Process{
		Name:   "kurator-apiserver",
		Binary: e.Layout.Tool("kurator-apiserver"),
		Args: []string{
			"--kubeconfig=" + kc,
			"--authentication-kubeconfig=" + kc,
			"--authorization-kubeconfig=" + kc,
			"--etcd-servers=http://" + Addr(e.Ports.EtcdClient),
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(port),
			"--tls-cert-file=" + serving.CertFile,
			"--tls-private-key-file=" + serving.KeyFile,
			// Given explicitly, so it starts even while the Karmada apiserver is away.
			"--client-ca-file=" + e.PKI.CA.CertFile,
			"--requestheader-client-ca-file=" + e.PKI.FrontProxy.CertFile,
			"--requestheader-allowed-names=front-proxy-client",
		},
		Env:   []string{"GOMEMLIMIT=" + apiserverMemLimit},
		Ports: []int{port},
		Ready: httpProbe("https://"+Addr(port)+"/readyz", e.PKI.CA.CertFile),
	}
}

// startKurator starts kurator-apiserver and registers its API groups with Karmada.
func (e *Env) startKurator(ctx context.Context) error {
	if err := e.run(ctx, e.kuratorAPIServer()); err != nil {
		return err
	}
	c, err := NewClients(e.Layout.KarmadaKubeconfig())
	if err != nil {
		return err
	}
	caBundle, err := e.PKI.CA.CertPEM()
	if err != nil {
		return err
	}
	for _, gv := range KuratorGroupVersions {
		if err := RegisterAPIService(ctx, c, "kurator-apiserver", e.Ports.KuratorAPIServer, gv.Group, gv.Version, caBundle, 1000, 15); err != nil {
			return fmt.Errorf("registering %s/%s: %w", gv.Group, gv.Version, err)
		}
	}
	for _, gv := range KuratorGroupVersions {
		if err := WaitAPIServiceAvailable(ctx, c, gv.Version+"."+gv.Group, time.Minute); err != nil {
			return err
		}
	}
	return nil
}
