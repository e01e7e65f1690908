package localup

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// certValidity is how long generated leaf certificates are valid; the CAs live ten years.
const certValidity = 365 * 24 * time.Hour

// CA is a certificate authority kept on disk as <name>.crt and <name>.key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// CertFile and KeyFile are the PEM files of the CA.
	CertFile, KeyFile string
}

// KeyPair is a certificate and key on disk.
type KeyPair struct {
	CertFile, KeyFile string
}

// CertSpec describes a leaf certificate.
type CertSpec struct {
	CommonName   string
	Organization []string
	DNSNames     []string
	IPs          []net.IP
	Usages       []x509.ExtKeyUsage
}

// LoopbackServing returns a serving certificate spec for a loopback server reachable as
// localhost and 127.0.0.1, and as each extra DNS name (e.g. the Service name an aggregated
// apiserver or webhook is verified against).
func LoopbackServing(cn string, dnsNames ...string) CertSpec {
	return CertSpec{
		CommonName: cn,
		DNSNames:   append([]string{"localhost"}, dnsNames...),
		IPs:        []net.IP{net.ParseIP("127.0.0.1")},
		Usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
}

// Client returns a client certificate spec for a user and its groups.
func Client(user string, groups ...string) CertSpec {
	return CertSpec{CommonName: user, Organization: groups, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
}

// LoadOrCreateCA loads the CA <dir>/<name>.{crt,key} or creates it when absent.
func LoadOrCreateCA(dir, name, cn string) (*CA, error) {
	ca := &CA{CertFile: filepath.Join(dir, name+".crt"), KeyFile: filepath.Join(dir, name+".key")}
	if exists(ca.CertFile) && exists(ca.KeyFile) {
		certs, err := certutil.CertsFromFile(ca.CertFile)
		if err != nil {
			return nil, fmt.Errorf("reading CA certificate %s: %w", ca.CertFile, err)
		}
		key, err := keyutil.PrivateKeyFromFile(ca.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("reading CA key %s: %w", ca.KeyFile, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("CA key %s cannot sign", ca.KeyFile)
		}
		ca.Cert, ca.Key = certs[0], signer
		return ca, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key of CA %s: %w", name, err)
	}
	cert, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: cn}, key)
	if err != nil {
		return nil, fmt.Errorf("self-signing CA %s: %w", name, err)
	}
	if err := writeKeyPair(ca.CertFile, ca.KeyFile, cert.Raw, key); err != nil {
		return nil, err
	}
	ca.Cert, ca.Key = cert, key
	return ca, nil
}

// CertPEM returns the CA certificate in PEM form (a caBundle).
func (ca *CA) CertPEM() ([]byte, error) {
	return os.ReadFile(ca.CertFile)
}

// Ensure returns the key pair <dir>/<name>.{crt,key}, issuing it when absent or when the
// existing certificate was not issued by this CA.
func (ca *CA) Ensure(dir, name string, spec CertSpec) (KeyPair, error) {
	kp := KeyPair{CertFile: filepath.Join(dir, name+".crt"), KeyFile: filepath.Join(dir, name+".key")}
	if exists(kp.CertFile) && exists(kp.KeyFile) {
		if certs, err := certutil.CertsFromFile(kp.CertFile); err == nil && certs[0].CheckSignatureFrom(ca.Cert) == nil &&
			time.Now().Before(certs[0].NotAfter) {
			return kp, nil
		}
	}
	der, key, err := ca.Issue(spec)
	if err != nil {
		return kp, fmt.Errorf("issuing certificate %s: %w", name, err)
	}
	return kp, writeKeyPair(kp.CertFile, kp.KeyFile, der, key)
}

// Issue signs a new leaf certificate with a fresh P-256 key.
func (ca *CA) Issue(spec CertSpec) ([]byte, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).SetInt64(math.MaxInt64))
	if err != nil {
		return nil, nil, fmt.Errorf("generating serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: spec.CommonName, Organization: spec.Organization},
		DNSNames:     spec.DNSNames,
		IPAddresses:  spec.IPs,
		NotBefore:    now.Add(-5 * time.Minute).UTC(),
		NotAfter:     now.Add(certValidity).UTC(),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  spec.Usages,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("signing certificate %q: %w", spec.CommonName, err)
	}
	return der, key, nil
}

// EnsureServiceAccountKey returns the service-account signing key <dir>/<name>.key and its
// public half <dir>/<name>.pub, generating them when absent.
func EnsureServiceAccountKey(dir, name string) (KeyPair, error) {
	kp := KeyPair{CertFile: filepath.Join(dir, name+".pub"), KeyFile: filepath.Join(dir, name+".key")}
	if exists(kp.CertFile) && exists(kp.KeyFile) {
		return kp, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return kp, fmt.Errorf("generating service-account key %s: %w", name, err)
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return kp, fmt.Errorf("encoding service-account key %s: %w", name, err)
	}
	pubPEM, err := encodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		return kp, fmt.Errorf("encoding service-account public key %s: %w", name, err)
	}
	if err := keyutil.WriteKey(kp.KeyFile, keyPEM); err != nil {
		return kp, fmt.Errorf("writing %s: %w", kp.KeyFile, err)
	}
	if err := os.WriteFile(kp.CertFile, pubPEM, 0o600); err != nil {
		return kp, fmt.Errorf("writing %s: %w", kp.CertFile, err)
	}
	return kp, nil
}

func writeKeyPair(certFile, keyFile string, der []byte, key crypto.Signer) error {
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return fmt.Errorf("encoding key %s: %w", keyFile, err)
	}
	if err := certutil.WriteCert(certFile, encodeCertPEM(der)); err != nil {
		return fmt.Errorf("writing %s: %w", certFile, err)
	}
	if err := keyutil.WriteKey(keyFile, keyPEM); err != nil {
		return fmt.Errorf("writing %s: %w", keyFile, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil || !errors.Is(err, os.ErrNotExist)
}

func encodeCertPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: certutil.CertificateBlockType, Bytes: der})
}

func encodePublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
