package telemetry

import (
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Sample is one value with the time it describes.
type Sample struct {
	// Value is the measurement: a fraction for utilization, milliseconds for latency,
	// requests per second for traffic.
	Value float64
	// Time is when the value was true, in Unix milliseconds; 0 means there is no sample.
	Time int64
}

// OK reports whether there is a sample.
func (s Sample) OK() bool { return s.Time != 0 }

// Age is how old the sample is at now; meaningless when !OK().
func (s Sample) Age(now time.Time) time.Duration {
	return now.Sub(time.UnixMilli(s.Time))
}

// FreshAt reports whether there is a sample no older than maxAge at now.
func (s Sample) FreshAt(now time.Time, maxAge time.Duration) bool {
	return s.Time != 0 && now.UnixMilli()-s.Time <= maxAge.Milliseconds()
}

// Flow is one edge of the service graph: requests per second from a workload in one cluster
// to a service in another (or the same) cluster.
type Flow struct {
	// SourceCluster is the Karmada name of the caller's cluster.
	SourceCluster string
	// SourceWorkload and SourceNamespace name the calling workload.
	SourceWorkload  string
	SourceNamespace string
	// DestinationCluster is the Karmada name of the callee's cluster, "" when Istio did not
	// know it (destination_cluster="unknown").
	DestinationCluster string
	// DestinationService and DestinationNamespace name the called service.
	DestinationService   string
	DestinationNamespace string
	// Rate is in requests per second; Time is when it was measured.
	Rate Sample
}

// QueryStatus is how the last attempt of one catalogue query went.
type QueryStatus struct {
	// Name is the catalogue entry: "utilization/cpu", "freshness", "latency", "requests".
	Name string
	// Query is the PromQL text.
	Query string
	// LastAttempt and LastSuccess are wall-clock times; LastSuccess is zero if the query
	// never succeeded.
	LastAttempt time.Time
	LastSuccess time.Time
	// Duration of the last attempt.
	Duration time.Duration
	// Error of the last attempt, "" if it succeeded. After a failure the query's previous
	// samples are kept (and age).
	Error string
	// Warnings returned with the last answer: Thanos reports a partial response this way.
	Warnings []string
	// Infos are the PromQL annotations of the last answer ("PromQL info: ..."), which Thanos
	// returns among the warnings; they do not make the answer partial.
	Infos []string
	// Series is the number of series accepted from the last successful answer.
	Series int
	// Dropped counts series of the last successful answer that were ignored, by reason.
	Dropped map[string]int
}

// Healthy reports whether the last attempt succeeded without warnings.
func (q *QueryStatus) Healthy() bool { return q.Error == "" && len(q.Warnings) == 0 }

// Snapshot is an immutable view of the fleet's telemetry. Clusters are addressed by a dense
// index (Index) so that readers can keep per-cluster arrays; indexes are only meaningful
// within one snapshot.
type Snapshot struct {
	// Generation increases with every refresh.
	Generation uint64
	// Time is when the snapshot was built.
	Time time.Time
	// MaxSampleAge is the staleness bound of the source's configuration.
	MaxSampleAge time.Duration
	// Clusters are the Karmada names of every cluster the snapshot knows, sorted.
	Clusters []string
	// Resources are the resources with a utilization query, in catalogue order.
	Resources []corev1.ResourceName
	// Flows is the service graph.
	Flows []Flow
	// Queries is the status of each catalogue entry, in catalogue order.
	Queries []QueryStatus
	// UnknownClusters are label values that could not be mapped to a Karmada cluster.
	UnknownClusters []string

	index       map[string]int
	utilization [][]Sample // [resource][cluster]
	latency     []Sample   // [source*len(Clusters)+destination]

	// raw keeps the parsed answers by name, so that a failed query carries them forward.
	raw rawResults

	graphOnce sync.Once
	graph     *Graph
}

// Empty returns a snapshot with no data, the one a Source holds before its first refresh.
func Empty() *Snapshot {
	return &Snapshot{index: map[string]int{}}
}

// Index returns the dense index of a Karmada cluster.
func (s *Snapshot) Index(cluster string) (int, bool) {
	i, ok := s.index[cluster]
	return i, ok
}

// ResourceIndex returns the position of a resource in Resources, or -1.
func (s *Snapshot) ResourceIndex(r corev1.ResourceName) int {
	for i, x := range s.Resources {
		if x == r {
			return i
		}
	}
	return -1
}

// Utilization returns the utilization of resource index r in cluster index c.
func (s *Snapshot) Utilization(r, c int) Sample {
	if r < 0 || r >= len(s.utilization) || c < 0 || c >= len(s.Clusters) {
		return Sample{}
	}
	return s.utilization[r][c]
}

// UtilizationOf returns the utilization of a resource in a cluster by name.
func (s *Snapshot) UtilizationOf(r corev1.ResourceName, cluster string) Sample {
	c, ok := s.index[cluster]
	if !ok {
		return Sample{}
	}
	return s.Utilization(s.ResourceIndex(r), c)
}

// Latency returns the p99 latency in milliseconds of requests from cluster index src to
// cluster index dst, as reported by the source's proxies. No sample means no traffic was
// seen between them, which is not the same as no latency.
func (s *Snapshot) Latency(src, dst int) Sample {
	n := len(s.Clusters)
	if src < 0 || dst < 0 || src >= n || dst >= n {
		return Sample{}
	}
	return s.latency[src*n+dst]
}

// LatencyOf is Latency by cluster name.
func (s *Snapshot) LatencyOf(src, dst string) Sample {
	i, ok1 := s.index[src]
	j, ok2 := s.index[dst]
	if !ok1 || !ok2 {
		return Sample{}
	}
	return s.Latency(i, j)
}

// Status returns the status of a catalogue entry by name.
func (s *Snapshot) Status(name string) (QueryStatus, bool) {
	for _, q := range s.Queries {
		if q.Name == name {
			return q, true
		}
	}
	return QueryStatus{}, false
}

// LastSuccess is the newest success of any query, zero if none ever succeeded.
func (s *Snapshot) LastSuccess() time.Time {
	var t time.Time
	for _, q := range s.Queries {
		if q.LastSuccess.After(t) {
			t = q.LastSuccess
		}
	}
	return t
}

// Problems describes what is wrong with the source, one line per failing or partial query;
// empty when every query succeeded fully.
func (s *Snapshot) Problems() []string {
	var out []string
	for _, q := range s.Queries {
		switch {
		case q.Error != "" && q.LastSuccess.IsZero():
			out = append(out, fmt.Sprintf("query %s has never succeeded: %s", q.Name, q.Error))
		case q.Error != "":
			out = append(out, fmt.Sprintf("query %s failing since its last success at %s: %s", q.Name, q.LastSuccess.UTC().Format(time.RFC3339), q.Error))
		case len(q.Warnings) > 0:
			out = append(out, fmt.Sprintf("query %s answered partially: %v", q.Name, q.Warnings))
		}
	}
	return out
}

// newSnapshot indexes parsed answers into a snapshot.
func newSnapshot(raw rawResults, resources []corev1.ResourceName) *Snapshot {
	names := map[string]bool{}
	for _, byCluster := range raw.utilization {
		for c := range byCluster {
			names[c] = true
		}
	}
	for p := range raw.latency {
		names[p.src], names[p.dst] = true, true
	}
	for _, f := range raw.flows {
		names[f.SourceCluster] = true
		if f.DestinationCluster != "" {
			names[f.DestinationCluster] = true
		}
	}
	clusters := make([]string, 0, len(names))
	for c := range names {
		clusters = append(clusters, c)
	}
	sort.Strings(clusters)
	s := &Snapshot{
		Clusters:  clusters,
		Resources: resources,
		Flows:     raw.flows,
		index:     make(map[string]int, len(clusters)),
		raw:       raw,
	}
	for i, c := range clusters {
		s.index[c] = i
	}
	s.utilization = make([][]Sample, len(resources))
	for r, res := range resources {
		row := make([]Sample, len(clusters))
		for c, v := range raw.utilization[res] {
			row[s.index[c]] = v
		}
		s.utilization[r] = row
	}
	n := len(clusters)
	s.latency = make([]Sample, n*n)
	for p, v := range raw.latency {
		s.latency[s.index[p.src]*n+s.index[p.dst]] = v
	}
	return s
}
