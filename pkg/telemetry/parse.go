package telemetry

import (
	"fmt"
	"math"

	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
)

// Reasons for dropping a series, the keys of QueryStatus.Dropped.
const (
	DropNaN             = "not a number"
	DropInfinite        = "infinite"
	DropOutOfRange      = "out of range"
	DropMissingLabel    = "missing label"
	DropUnknownCluster  = "unknown cluster"
	DropUnknownDest     = "destination cluster unknown"
	DropDuplicate       = "duplicate cluster"
	DropNoTraffic       = "no traffic"
	DropNegativeLatency = "negative latency"
)

// utilizationSlack is how far outside [0, 1] a utilization may be and still be clamped:
// irate over counters overshoots a little; a value of 37 means a query answering percent.
const utilizationSlack = 0.05

type clusterPair struct{ src, dst string }

// rawResults are parsed answers keyed by Karmada name, before indexing.
type rawResults struct {
	utilization map[corev1.ResourceName]map[string]Sample
	freshness   map[string]int64
	latency     map[clusterPair]Sample
	flows       []Flow
}

// parsed is the outcome of parsing one answer.
type parsed struct {
	series  int
	dropped map[string]int
	unknown map[string]bool
}

func (p *parsed) drop(reason string) {
	if p.dropped == nil {
		p.dropped = map[string]int{}
	}
	p.dropped[reason]++
}

func (p *parsed) unknownName(v string) {
	if p.unknown == nil {
		p.unknown = map[string]bool{}
	}
	p.unknown[v] = true
	p.drop(DropUnknownCluster)
}

func asVector(v model.Value) (model.Vector, error) {
	switch x := v.(type) {
	case model.Vector:
		return x, nil
	case nil:
		return nil, fmt.Errorf("the answer has no result")
	default:
		return nil, fmt.Errorf("the answer is a %s; the query must return an instant vector (one series per cluster)", v.Type())
	}
}

func sampleTime(s *model.Sample) int64 {
	if t := int64(s.Timestamp); t != 0 {
		return t
	}
	return 1 // a zero timestamp would read as "no sample"
}

// parseUtilization reads one value in [0, 1] per cluster label value.
func parseUtilization(v model.Value, clusterLabel string, names *Names) (map[string]Sample, parsed, error) {
	var p parsed
	vec, err := asVector(v)
	if err != nil {
		return nil, p, err
	}
	out := make(map[string]Sample, len(vec))
	for _, s := range vec {
		x := float64(s.Value)
		label, ok := s.Metric[model.LabelName(clusterLabel)]
		switch {
		case !ok || label == "":
			p.drop(DropMissingLabel)
			continue
		case math.IsNaN(x):
			p.drop(DropNaN)
			continue
		case math.IsInf(x, 0):
			p.drop(DropInfinite)
			continue
		case x < -utilizationSlack || x > 1+utilizationSlack:
			p.drop(DropOutOfRange)
			continue
		}
		name, ok := names.FromThanos(string(label))
		if !ok {
			p.unknownName(string(label))
			continue
		}
		x = math.Min(1, math.Max(0, x))
		if prev, dup := out[name]; dup {
			// Two series for one cluster: the query does not aggregate by the cluster label.
			// Keep the higher, the cautious reading.
			p.drop(DropDuplicate)
			x = math.Max(x, prev.Value)
		} else {
			p.series++
		}
		out[name] = Sample{Value: x, Time: sampleTime(s)}
	}
	return out, p, nil
}

// parseFreshness reads the Unix time (seconds) of the newest sample per cluster label value.
func parseFreshness(v model.Value, clusterLabel string, names *Names) (map[string]int64, parsed, error) {
	var p parsed
	vec, err := asVector(v)
	if err != nil {
		return nil, p, err
	}
	out := make(map[string]int64, len(vec))
	for _, s := range vec {
		x := float64(s.Value)
		label, ok := s.Metric[model.LabelName(clusterLabel)]
		switch {
		case !ok || label == "":
			p.drop(DropMissingLabel)
			continue
		case math.IsNaN(x) || math.IsInf(x, 0) || x <= 0:
			p.drop(DropOutOfRange)
			continue
		}
		name, ok := names.FromThanos(string(label))
		if !ok {
			p.unknownName(string(label))
			continue
		}
		ms := int64(x * 1000)
		if prev, dup := out[name]; dup {
			p.drop(DropDuplicate)
			ms = max(ms, prev)
		} else {
			p.series++
		}
		out[name] = ms
	}
	return out, p, nil
}

// parseLatency reads the p99 in milliseconds per (source_cluster, destination_cluster).
func parseLatency(v model.Value, names *Names) (map[clusterPair]Sample, parsed, error) {
	var p parsed
	vec, err := asVector(v)
	if err != nil {
		return nil, p, err
	}
	out := make(map[clusterPair]Sample, len(vec))
	for _, s := range vec {
		x := float64(s.Value)
		src, ok1 := s.Metric[LabelSourceCluster]
		dst, ok2 := s.Metric[LabelDestinationCluster]
		switch {
		case !ok1 || !ok2 || src == "" || dst == "":
			p.drop(DropMissingLabel)
			continue
		case dst == UnknownCluster || src == UnknownCluster:
			p.drop(DropUnknownDest)
			continue
		case math.IsNaN(x):
			// histogram_quantile of a zero rate: the pair had no requests in the window.
			p.drop(DropNoTraffic)
			continue
		case math.IsInf(x, 0):
			p.drop(DropInfinite)
			continue
		case x < 0:
			p.drop(DropNegativeLatency)
			continue
		}
		sn, ok1 := names.FromIstio(string(src))
		dn, ok2 := names.FromIstio(string(dst))
		if !ok1 {
			p.unknownName(string(src))
			continue
		}
		if !ok2 {
			p.unknownName(string(dst))
			continue
		}
		key := clusterPair{sn, dn}
		if prev, dup := out[key]; dup {
			p.drop(DropDuplicate)
			x = math.Max(x, prev.Value)
		} else {
			p.series++
		}
		out[key] = Sample{Value: x, Time: sampleTime(s)}
	}
	return out, p, nil
}

// parseRequests reads the service graph. A flow whose destination cluster Istio did not know
// is kept with an empty destination cluster: it still says who talks to whom.
func parseRequests(v model.Value, names *Names) ([]Flow, parsed, error) {
	var p parsed
	vec, err := asVector(v)
	if err != nil {
		return nil, p, err
	}
	out := make([]Flow, 0, len(vec))
	for _, s := range vec {
		x := float64(s.Value)
		m := s.Metric
		src := string(m[LabelSourceCluster])
		switch {
		case src == "" || m[LabelSourceWorkload] == "" || m[LabelDestinationServiceName] == "":
			p.drop(DropMissingLabel)
			continue
		case math.IsNaN(x):
			p.drop(DropNaN)
			continue
		case math.IsInf(x, 0) || x < 0:
			p.drop(DropOutOfRange)
			continue
		case x == 0:
			p.drop(DropNoTraffic)
			continue
		}
		sn, ok := names.FromIstio(src)
		if !ok {
			if src == UnknownCluster {
				p.drop(DropUnknownDest)
			} else {
				p.unknownName(src)
			}
			continue
		}
		dn := ""
		if dst := string(m[LabelDestinationCluster]); dst != "" && dst != UnknownCluster {
			if dn, ok = names.FromIstio(dst); !ok {
				p.unknownName(dst)
				continue
			}
		}
		p.series++
		out = append(out, Flow{
			SourceCluster:        sn,
			SourceWorkload:       string(m[LabelSourceWorkload]),
			SourceNamespace:      string(m[LabelSourceWorkloadNamespace]),
			DestinationCluster:   dn,
			DestinationService:   string(m[LabelDestinationServiceName]),
			DestinationNamespace: string(m[LabelDestinationServiceNamespace]),
			Rate:                 Sample{Value: x, Time: sampleTime(s)},
		})
	}
	return out, p, nil
}
