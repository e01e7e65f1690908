package computedstatus

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"kurator.dev/kurator/pkg/apis/fleet"
)

// fleetKind is a Kind over the Fleet types; the tests need none of its functions.
var fleetKind = Kind[*fleet.Fleet, fleet.FleetSpec, fleet.FleetStatus]{Name: "Fleet"}

func TestGetAttrsAndMatcher(t *testing.T) {
	f := &fleet.Fleet{ObjectMeta: metav1.ObjectMeta{Name: "prod", Labels: map[string]string{"env": "prod"}}}
	l, fs, err := fleetKind.GetAttrs(f)
	if err != nil || l.Get("env") != "prod" || len(fs) != 1 || fs.Get("metadata.name") != "prod" {
		t.Errorf("GetAttrs = %v, %v, %v; want env=prod and metadata.name=prod", l, fs, err)
	}
	if _, _, err := fleetKind.GetAttrs(&fleet.FleetList{}); err == nil || err.Error() != "expected a Fleet, got *fleet.FleetList" {
		t.Errorf("GetAttrs of a list: error %v", err)
	}
	match := fleetKind.Matcher(labels.SelectorFromSet(labels.Set{"env": "prod"}), fields.OneTermEqualSelector("metadata.name", "prod"))
	if ok, err := match.Matches(f); !ok || err != nil {
		t.Errorf("Matcher does not select its fleet: %v, %v", ok, err)
	}
}

func TestConvertToTable(t *testing.T) {
	columns := []metav1.TableColumnDefinition{{Name: "Name", Type: "string", Format: "name"}}
	var rowOf []*fleet.Fleet
	row := func(f *fleet.Fleet) metav1.TableRow {
		rowOf = append(rowOf, f)
		return metav1.TableRow{Cells: []interface{}{f.Name}}
	}
	remaining := int64(4)
	list := &fleet.FleetList{
		ListMeta: metav1.ListMeta{ResourceVersion: "9", Continue: "next", RemainingItemCount: &remaining},
		Items:    []fleet.Fleet{{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}}},
	}
	table, err := ConvertToTable[*fleet.Fleet, *fleet.FleetList](list, nil, "Fleet", columns, row)
	if err != nil {
		t.Fatal(err)
	}
	if len(table.ColumnDefinitions) != 1 || len(table.Rows) != 2 || table.ResourceVersion != "9" || table.Continue != "next" || *table.RemainingItemCount != 4 {
		t.Errorf("table of a list = %+v", table)
	}
	if len(rowOf) != 2 || rowOf[0] != &list.Items[0] || rowOf[1] != &list.Items[1] {
		t.Error("the rows were not made of the list's own items")
	}

	_, err = ConvertToTable[*fleet.Fleet, *fleet.FleetList](&metav1.Status{}, nil, "Fleet", columns, row)
	if want := "cannot convert *v1.Status to a table: expected a Fleet or a FleetList"; err == nil || err.Error() != want {
		t.Errorf("converting a Status: error %v, want %q", err, want)
	}
}
