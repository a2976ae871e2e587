package optimize_test

import (
	"strings"
	"testing"

	"github.com/basaltdb/basalt/planner/logical"
)

// An OR over both sides of a join gives the smaller side the OR of what
// each branch asks of it, and the answer does not change.
func TestSideDisjunction(t *testing.T) {
	sql := `select fact.id from fact, d1
		where fact.d1 = d1.id and ((d1.label = 'd1_3' and fact.v > 10) or (d1.label = 'd1_7' and fact.v < 50))`
	sameRows(t, sql, false)
	plan := optimized(t, sql)
	found := false
	logical.Walk(plan, func(n logical.Node) {
		if s, ok := n.(*logical.Scan); ok && s.Table.Name == "d1" {
			for _, f := range s.Filters {
				if strings.Contains(f.String(), "d1_3") && strings.Contains(f.String(), "d1_7") && !strings.Contains(f.String(), "fact") {
					found = true
				}
			}
		}
	})
	if !found {
		t.Errorf("d1 is not filtered by the labels of both branches:\n%s", logical.Format(plan))
	}
	// A branch that asks nothing of a side derives nothing for it.
	sameRows(t, `select fact.id from fact, d1 where fact.d1 = d1.id and (d1.label = 'd1_3' or fact.v < 5)`, false)
}
