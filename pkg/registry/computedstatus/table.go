package computedstatus

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// List is the internal type of a list of objects: a pointer to the list's struct, which has
// list metadata.
type List interface {
	runtime.Object
	metav1.ListInterface
}

// ConvertToTable converts obj, an object of the kind named kind (of type T) or a list of
// them (of type L), into the table of `kubectl get`: columns as its header, unless
// tableOptions ask for no headers, and a row of each object made by row.
func ConvertToTable[T Object, L List](obj, tableOptions runtime.Object, kind string, columns []metav1.TableColumnDefinition, row func(T) metav1.TableRow) (*metav1.Table, error) {
	table := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		table.ColumnDefinitions = columns
	}
	switch o := obj.(type) {
	case T:
		table.Rows = []metav1.TableRow{row(o)}
		table.ResourceVersion = o.GetResourceVersion()
	case L:
		table.Rows = make([]metav1.TableRow, 0, meta.LenList(o))
		err := meta.EachListItem(o, func(item runtime.Object) error {
			table.Rows = append(table.Rows, row(item.(T)))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("converting the items of a %sList to table rows: %w", kind, err)
		}
		table.ResourceVersion = o.GetResourceVersion()
		table.Continue = o.GetContinue()
		table.RemainingItemCount = o.GetRemainingItemCount()
	default:
		return nil, fmt.Errorf("cannot convert %T to a table: expected a %s or a %sList", obj, kind, kind)
	}
	return table, nil
}
