package clustertelemetry

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	telemetryapi "kurator.dev/kurator/pkg/apis/telemetry"
)

// none is what table cells show for an unset value, as kubectl does.
const none = "<none>"

// tableColumns are the columns of `kubectl get clustertelemetry`, in the manner of `kubectl
// top`; those with Priority 1 appear with -o wide.
var tableColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: "Name of the Karmada cluster."},
	{Name: "CPU%", Type: "string", Description: "CPU utilization of the cluster's nodes."},
	{Name: "Memory%", Type: "string", Description: "Memory utilization of the cluster's nodes."},
	{Name: "GPU%", Type: "string", Description: "GPU utilization (nvidia.com/gpu)."},
	{Name: "Max-P99", Type: "string", Description: "Highest p99 latency of the requests from this cluster to a peer cluster."},
	{Name: "Age-Of-Sample", Type: "string", Description: "Age of the oldest utilization sample."},
	{Name: "Status", Type: "string", Description: "Fresh, or the reason the data is not: NoTelemetrySource, WaitingForFirstRefresh, SourceUnreachable, NoSamples, Stale, PartialResponse."},
	{Name: "Source", Type: "string", Priority: 1, Description: "Thanos Query URL the telemetry comes from."},
	{Name: "Peers", Type: "string", Priority: 1, Description: "Peer clusters with the p99 latency to each."},
}

// tableConvertor renders cluster telemetry as the rows of `kubectl get`.
type tableConvertor struct{}

// ConvertToTable converts a ClusterTelemetry or a ClusterTelemetryList into a table.
func (tableConvertor) ConvertToTable(ctx context.Context, obj runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		table.ColumnDefinitions = tableColumns
	}
	switch o := obj.(type) {
	case *telemetryapi.ClusterTelemetry:
		table.Rows = []metav1.TableRow{row(o)}
	case *telemetryapi.ClusterTelemetryList:
		table.Rows = make([]metav1.TableRow, 0, len(o.Items))
		for i := range o.Items {
			table.Rows = append(table.Rows, row(&o.Items[i]))
		}
	default:
		return nil, fmt.Errorf("cannot convert %T to a table: expected a ClusterTelemetry or a ClusterTelemetryList", obj)
	}
	return table, nil
}

func row(ct *telemetryapi.ClusterTelemetry) metav1.TableRow {
	s := &ct.Status
	var maxP99 *time.Duration
	peers := make([]string, 0, len(s.Peers))
	for _, p := range s.Peers {
		if p.P99Latency == nil {
			peers = append(peers, p.Cluster)
			continue
		}
		d := p.P99Latency.Duration
		peers = append(peers, p.Cluster+"="+latency(d))
		if maxP99 == nil || d > *maxP99 {
			maxP99 = &d
		}
	}
	maxCell, peersCell := none, none
	if maxP99 != nil {
		maxCell = latency(*maxP99)
	}
	if len(peers) > 0 {
		peersCell = strings.Join(peers, ",")
	}
	age := none
	if s.SampleAge != nil {
		age = duration.HumanDuration(s.SampleAge.Duration)
	}
	source := none
	if s.Source != nil {
		source = s.Source.URL
	}
	return metav1.TableRow{
		Object: runtime.RawExtension{Object: ct},
		Cells: []interface{}{
			ct.Name,
			percent(s.CPU),
			percent(s.Memory),
			percent(s.GPU),
			maxCell,
			age,
			status(s.Conditions),
			source,
			peersCell,
		},
	}
}

// percent formats a utilization as a whole percentage.
func percent(s *telemetryapi.UtilizationSample) string {
	if s == nil {
		return none
	}
	return fmt.Sprintf("%d%%", int64(math.Round(100*s.Fraction)))
}

// latency formats a latency to the millisecond, or to the microsecond below one.
func latency(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// status is "Fresh" when the samples are fresh, else the reason of the Fresh condition.
func status(conditions []metav1.Condition) string {
	c := meta.FindStatusCondition(conditions, telemetryapi.ConditionFresh)
	switch {
	case c == nil:
		return "Unknown"
	case c.Reason == telemetryapi.ReasonSamplesFresh:
		return "Fresh"
	default:
		return c.Reason
	}
}
