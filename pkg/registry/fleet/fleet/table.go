package fleet

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	"kurator.dev/kurator/pkg/apis/fleet"
	"kurator.dev/kurator/pkg/registry/computedstatus"
)

// none and unknown are what table cells show for an unset and an unknown value, as kubectl does.
const (
	none    = "<none>"
	unknown = "<unknown>"
)

// tableColumns are the columns of `kubectl get fleets`; those with Priority 1 appear with -o wide.
var tableColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: "Name of the fleet."},
	{Name: "Ready", Type: "string", Description: "Ready members out of the existing members."},
	{Name: "Missing", Type: "integer", Description: "Clusters named in spec.clusters that do not exist in Karmada."},
	{Name: "CPU", Type: "string", Description: "CPU requested by pods out of CPU allocatable, summed over the ready members."},
	{Name: "Age", Type: "date", Description: "Time since the fleet was created."},
	{Name: "Memory", Type: "string", Priority: 1, Description: "Memory requested by pods out of memory allocatable, summed over the ready members."},
	{Name: "Selector", Type: "string", Priority: 1, Description: "Label selector of the member clusters (spec.clusterSelector)."},
	{Name: "Telemetry", Type: "string", Priority: 1, Description: "Thanos Query URL of the members' metrics (spec.telemetry.thanosQueryURL)."},
}

// tableConvertor renders fleets as the rows of `kubectl get`.
type tableConvertor struct {
	// now returns the current time, for the Age column.
	now func() time.Time
}

// ConvertToTable converts a Fleet or a FleetList into a table.
func (c tableConvertor) ConvertToTable(ctx context.Context, obj runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return computedstatus.ConvertToTable[*fleet.Fleet, *fleet.FleetList](obj, tableOptions, "Fleet", tableColumns, c.row)
}

func (c tableConvertor) row(f *fleet.Fleet) metav1.TableRow {
	s := &f.Status
	selector := none
	if f.Spec.ClusterSelector != nil {
		selector = metav1.FormatLabelSelector(f.Spec.ClusterSelector)
	}
	telemetry := none
	if f.Spec.Telemetry != nil && f.Spec.Telemetry.ThanosQueryURL != "" {
		telemetry = f.Spec.Telemetry.ThanosQueryURL
	}
	ready := fmt.Sprintf("%d/%d", s.ReadyClusters, s.MatchedClusters)
	cpu := usage(s.Allocated, s.Allocatable, corev1.ResourceCPU)
	memory := usage(s.Allocated, s.Allocatable, corev1.ResourceMemory)
	if cond := meta.FindStatusCondition(s.Conditions, fleet.FleetConditionReady); cond != nil && cond.Reason == fleet.ReasonClusterInformationUnavailable {
		// Zero members would be a lie: membership is unknown.
		ready, cpu, memory = unknown, unknown, unknown
	}
	return metav1.TableRow{
		Object: runtime.RawExtension{Object: f},
		Cells: []interface{}{
			f.Name,
			ready,
			int64(len(s.MissingClusters)),
			cpu,
			age(f.CreationTimestamp, c.now()),
			memory,
			selector,
			telemetry,
		},
	}
}

// usage formats "allocated/allocatable" of one resource.
func usage(allocated, allocatable corev1.ResourceList, name corev1.ResourceName) string {
	return quantity(allocated, name) + "/" + quantity(allocatable, name)
}

func quantity(list corev1.ResourceList, name corev1.ResourceName) string {
	q, ok := list[name]
	if !ok {
		return "0"
	}
	return q.String()
}

// age formats the time since t the way kubectl does, or <unknown> for an unset time.
func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return unknown
	}
	return duration.HumanDuration(now.Sub(t.Time))
}
