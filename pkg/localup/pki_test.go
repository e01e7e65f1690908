package localup

import (
	"crypto/x509"
	"os"
	"testing"

	certutil "k8s.io/client-go/util/cert"
)

func TestPKIChainsAndSANs(t *testing.T) {
	dir := t.TempDir()
	pki, err := EnsurePKI(dir, []string{"aliyun"})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(pki.CA.Cert)
	serving := pki.Serving["karmada-aggregated-apiserver"]
	certs, err := certutil.CertsFromFile(serving.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "karmada-aggregated-apiserver.karmada-system.svc"} {
		if _, err := certs[0].Verify(x509.VerifyOptions{DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("serving certificate does not verify for %s: %v", name, err)
		}
	}
	admin, err := certutil.CertsFromFile(pki.Admin.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin[0].Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("admin client certificate does not verify: %v", err)
	}
	if got := admin[0].Subject.Organization; len(got) != 1 || got[0] != "system:masters" {
		t.Errorf("admin groups = %v, want [system:masters]", got)
	}
	fp, err := certutil.CertsFromFile(pki.FrontProxyClient.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := fp[0].CheckSignatureFrom(pki.FrontProxy.Cert); err != nil {
		t.Errorf("front-proxy client not signed by the front-proxy CA: %v", err)
	}
	if err := fp[0].CheckSignatureFrom(pki.CA.Cert); err == nil {
		t.Errorf("front-proxy client must not be signed by the cluster CA")
	}
	if len(pki.MemberTokens["aliyun"]) < 32 {
		t.Errorf("member token too short: %q", pki.MemberTokens["aliyun"])
	}
}

func TestPKIIsReusedAndReissuedWhenTheCAChanges(t *testing.T) {
	dir := t.TempDir()
	first, err := EnsurePKI(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(first.Admin.CertFile)
	second, err := EnsurePKI(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(second.Admin.CertFile)
	if string(before) != string(after) {
		t.Fatal("a second EnsurePKI re-issued a valid certificate")
	}
	if !second.CA.Cert.Equal(first.CA.Cert) {
		t.Fatal("the CA was not reused")
	}
	// A new CA invalidates every leaf it did not sign.
	if err := os.Remove(first.CA.CertFile); err != nil {
		t.Fatal(err)
	}
	third, err := EnsurePKI(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := certutil.CertsFromFile(third.Admin.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := certs[0].CheckSignatureFrom(third.CA.Cert); err != nil {
		t.Fatalf("admin certificate not re-issued by the new CA: %v", err)
	}
}
