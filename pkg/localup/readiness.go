package localup

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// httpProbe returns a readiness check that passes when GET url answers 200. With a CA file
// the server certificate is verified against it.
func httpProbe(url, caFile string) func(context.Context) error {
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	if caFile != "" {
		client.Transport = &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			RootCAs:    lazyPool(caFile),
		}}
	}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
		}
		return nil
	}
}

// lazyPool reads a CA file into a pool; an unreadable file gives an empty pool, so the probe
// fails with a certificate error that names the problem instead of crashing.
func lazyPool(caFile string) *x509.CertPool {
	pool := x509.NewCertPool()
	if data, err := os.ReadFile(caFile); err == nil {
		pool.AppendCertsFromPEM(data)
	}
	return pool
}

// apiserverProbe passes once an apiserver behind a kubeconfig answers /readyz.
func apiserverProbe(kubeconfig string) func(context.Context) error {
	return func(ctx context.Context) error {
		clients, err := NewClients(kubeconfig)
		if err != nil {
			return err
		}
		body, err := clients.Kube.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("GET /readyz: %w: %s", err, strings.TrimSpace(string(body)))
		}
		return nil
	}
}

// tlsProbe passes once a TLS server on addr completes a handshake verified against the CA.
func tlsProbe(addr, caFile string) func(context.Context) error {
	return func(ctx context.Context) error {
		d := tls.Dialer{Config: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: lazyPool(caFile), ServerName: "localhost"}}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("TLS handshake with %s: %w", addr, err)
		}
		return conn.Close()
	}
}
