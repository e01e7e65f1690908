package telemetry

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	promconfig "github.com/prometheus/common/config"
)

// NewAPI returns a Prometheus HTTP API client for a defaulted Config: authentication, TLS and
// headers from the configuration, and Thanos's partial_response, dedup and replicaLabels[]
// parameters added to every query.
func NewAPI(c *Config) (promv1.API, error) {
	hc := promconfig.DefaultHTTPClientConfig
	if a := c.Auth; a != nil {
		if a.BearerTokenFile != "" {
			hc.Authorization = &promconfig.Authorization{Type: "Bearer", CredentialsFile: a.BearerTokenFile}
		}
		if a.Username != "" {
			hc.BasicAuth = &promconfig.BasicAuth{Username: a.Username, PasswordFile: a.PasswordFile}
		}
	}
	if t := c.TLS; t != nil {
		hc.TLSConfig = promconfig.TLSConfig{
			CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
			ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify,
		}
	}
	if len(c.Headers) > 0 {
		hc.HTTPHeaders = &promconfig.Headers{Headers: map[string]promconfig.Header{}}
		for k, v := range c.Headers {
			hc.HTTPHeaders.Headers[k] = promconfig.Header{Values: []string{v}}
		}
	}
	if err := hc.Validate(); err != nil {
		return nil, fmt.Errorf("telemetry HTTP client configuration: %w", err)
	}
	rt, err := promconfig.NewRoundTripperFromConfig(hc, "kurator-telemetry")
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client for %s: %w", c.URL, err)
	}
	client, err := api.NewClient(api.Config{Address: c.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("building the query client for %s: %w", c.URL, err)
	}
	params := url.Values{}
	if c.PartialResponse != nil {
		params.Set("partial_response", strconv.FormatBool(*c.PartialResponse))
	}
	if c.Dedup != nil {
		params.Set("dedup", strconv.FormatBool(*c.Dedup))
	}
	for _, l := range c.ReplicaLabels {
		params.Add("replicaLabels[]", l)
	}
	return promv1.NewAPI(&thanosClient{Client: client, params: params}), nil
}

// thanosClient adds Thanos's query parameters to every URL. The Prometheus client copies the
// URL's query into the form it POSTs (or the GET it falls back to), so plain Prometheus
// servers simply ignore them.
type thanosClient struct {
	api.Client
	params url.Values
}

// URL implements api.Client.
func (c *thanosClient) URL(ep string, args map[string]string) *url.URL {
	u := c.Client.URL(ep, args)
	if len(c.params) == 0 {
		return u
	}
	q := u.Query()
	for k, vs := range c.params {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u
}
