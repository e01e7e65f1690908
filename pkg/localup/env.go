package localup

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Layout is where an environment keeps its files, all under one output directory.
type Layout struct {
	// Output is the root (default _output).
	Output string
}

// Bin is the directory of the pinned tools and kurator's own binaries.
func (l Layout) Bin() string { return filepath.Join(l.Output, "bin") }

// Assets holds manifests staged from the pinned modules (CRDs, webhook configuration).
func (l Layout) Assets() string { return filepath.Join(l.Output, "assets") }

// Root is kurator-up's own state.
func (l Layout) Root() string { return filepath.Join(l.Output, "localup") }

// PKI holds every certificate, key and token.
func (l Layout) PKI() string { return filepath.Join(l.Root(), "pki") }

// Config holds generated configuration files of the processes.
func (l Layout) Config() string { return filepath.Join(l.Root(), "config") }

// Data holds etcd and Prometheus data; `down` removes it.
func (l Layout) Data() string { return filepath.Join(l.Root(), "data") }

// Logs holds one log file per process.
func (l Layout) Logs() string { return filepath.Join(l.Output, "logs") }

// StateFile records the running processes.
func (l Layout) StateFile() string { return filepath.Join(l.Root(), "state.json") }

// ActiveScenario is the copy of the scenario the running environment (and its exporter) uses.
func (l Layout) ActiveScenario() string { return filepath.Join(l.Root(), "scenario.yaml") }

// KarmadaKubeconfig is the admin kubeconfig of the Karmada apiserver.
func (l Layout) KarmadaKubeconfig() string { return filepath.Join(l.Output, "karmada.config") }

// MemberKubeconfig is the admin kubeconfig of a member's apiserver.
func (l Layout) MemberKubeconfig(member string) string {
	return filepath.Join(l.Output, "members", member+".config")
}

// Tool returns the path of a binary in the bin directory.
func (l Layout) Tool(name string) string { return filepath.Join(l.Bin(), name) }

// PKI is the certificate material of an environment.
type PKI struct {
	CA         *CA
	FrontProxy *CA
	// Admin is a system:masters client certificate used by kubeconfigs and components.
	Admin KeyPair
	// FrontProxyClient is the aggregator's client certificate towards aggregated apiservers.
	FrontProxyClient KeyPair
	// ServiceAccount keys per cluster ("karmada" and each member).
	ServiceAccount map[string]KeyPair
	// Serving certificates per process name.
	Serving map[string]KeyPair
	// MemberTokens are the bearer tokens Karmada uses for each member (a static token file entry).
	MemberTokens map[string]string
}

// servingCerts lists the serving certificates and the Service DNS names each must carry
// (an aggregated apiserver is verified against <service>.<namespace>.svc).
func servingCerts(members []string) map[string][]string {
	certs := map[string][]string{
		"karmada-apiserver":               {"kubernetes", "kubernetes.default", "kubernetes.default.svc", "karmada-apiserver.karmada-system.svc"},
		"karmada-aggregated-apiserver":    {"karmada-aggregated-apiserver.karmada-system.svc"},
		"karmada-webhook":                 {"karmada-webhook.karmada-system.svc"},
		"kurator-apiserver":               {"kurator-apiserver.karmada-system.svc"},
		"kurator-webhook":                 {"kurator-webhook.karmada-system.svc"},
		"karmada-kube-controller-manager": nil,
	}
	for _, m := range members {
		certs[m+"-apiserver"] = []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc"}
		certs[m+"-controller-manager"] = nil
		certs[m+"-scheduler"] = nil
		certs[m+"-estimator"] = nil
	}
	return certs
}

// EnsurePKI creates (or reuses) every certificate, key and token of the environment.
func EnsurePKI(dir string, members []string) (*PKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	p := &PKI{ServiceAccount: map[string]KeyPair{}, Serving: map[string]KeyPair{}, MemberTokens: map[string]string{}}
	var err error
	if p.CA, err = LoadOrCreateCA(dir, "ca", "kurator-up-ca"); err != nil {
		return nil, err
	}
	if p.FrontProxy, err = LoadOrCreateCA(dir, "front-proxy-ca", "kurator-up-front-proxy-ca"); err != nil {
		return nil, err
	}
	if p.Admin, err = p.CA.Ensure(dir, "admin", Client("kurator-admin", "system:masters")); err != nil {
		return nil, err
	}
	if p.FrontProxyClient, err = p.FrontProxy.Ensure(dir, "front-proxy-client", Client("front-proxy-client")); err != nil {
		return nil, err
	}
	for name, dns := range servingCerts(members) {
		if p.Serving[name], err = p.CA.Ensure(dir, name+"-serving", LoopbackServing(name, dns...)); err != nil {
			return nil, err
		}
	}
	for _, c := range append([]string{"karmada"}, members...) {
		if p.ServiceAccount[c], err = EnsureServiceAccountKey(dir, c+"-sa"); err != nil {
			return nil, err
		}
	}
	for _, m := range members {
		if p.MemberTokens[m], err = ensureToken(filepath.Join(dir, m+"-karmada.token")); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func ensureToken(path string) (string, error) {
	if data, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(data))) >= 32 {
		return strings.TrimSpace(string(data)), nil
	}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generating token: %w", err)
	}
	token := hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return token, nil
}

// WriteKubeconfig writes an admin kubeconfig for an apiserver on a loopback port.
func WriteKubeconfig(path, contextName string, port int, p *PKI) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[contextName] = &clientcmdapi.Cluster{
		Server:               "https://" + Addr(port),
		CertificateAuthority: absPath(p.CA.CertFile),
	}
	cfg.AuthInfos[contextName] = &clientcmdapi.AuthInfo{
		ClientCertificate: absPath(p.Admin.CertFile),
		ClientKey:         absPath(p.Admin.KeyFile),
	}
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName}
	cfg.CurrentContext = contextName
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

// RESTConfig loads a kubeconfig for clients of kurator-up and the tests.
func RESTConfig(kubeconfig string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	return cfg, nil
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
