package localup

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
)

// QueryClusters runs an instant PromQL query against Thanos Query and returns the distinct
// values of the `cluster` label of the result.
func QueryClusters(ctx context.Context, thanosURL, query string) ([]string, error) {
	client, err := promapi.NewClient(promapi.Config{Address: thanosURL})
	if err != nil {
		return nil, fmt.Errorf("creating PromQL client for %s: %w", thanosURL, err)
	}
	val, _, err := promv1.NewAPI(client).Query(ctx, query, time.Now())
	if err != nil {
		return nil, fmt.Errorf("query %q against %s: %w", query, thanosURL, err)
	}
	vec, ok := val.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query %q returned %s, not a vector", query, val.Type())
	}
	clusters := sets.New[string]()
	for _, s := range vec {
		clusters.Insert(string(s.Metric["cluster"]))
	}
	return sets.List(clusters), nil
}

// waitTelemetry waits until Thanos Query returns scraped series of every member.
func (e *Env) waitTelemetry(ctx context.Context) error {
	want := e.Scenario.MemberNames()
	sort.Strings(want)
	var got []string
	var last error
	err := wait.PollUntilContextTimeout(ctx, time.Second, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		got, last = QueryClusters(ctx, e.ThanosQueryURL(), `count by (cluster) (node_memory_MemTotal_bytes)`)
		return last == nil && strings.Join(got, ",") == strings.Join(want, ","), nil
	})
	if err != nil {
		return fmt.Errorf("the Thanos Query at %s serves clusters %v, want %v (last error: %v); see %s/thanos-query.log and <member>-prometheus.log",
			e.ThanosQueryURL(), got, want, last, e.Layout.Logs())
	}
	return nil
}
