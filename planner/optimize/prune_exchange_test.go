package optimize_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/planner/optimize"
)

// PruneForExchange drops the columns only a scan's filter reads right
// above the scan, and the plan's answer stays the same.
func TestPruneForExchange(t *testing.T) {
	for _, sql := range []string{
		"select d1.id, sum(fact.v) from fact join d1 on fact.d1 = d1.id where d1.label like '%_1%' and fact.d3 < 5 group by d1.id",
		"select d2, count(*) from fact where v > 50 group by d2",
		"select id from d2 where label <> 'x' order by id",
	} {
		plan := optimized(t, sql)
		pruned, err := optimize.PruneForExchange(plan)
		if err != nil {
			t.Fatal(err)
		}
		// No scan above which a Project is missing keeps a column its
		// consumers do not read: every scan with filter-only columns sits
		// under a Project now.
		logical.Walk(pruned, func(n logical.Node) {
			p, ok := n.(*logical.Project)
			if !ok {
				return
			}
			if s, ok := p.Input.(*logical.Scan); ok && len(p.Exprs) >= len(s.Cols) {
				t.Errorf("%s: projection over %s keeps all its columns", sql, s.Table.Name)
			}
		})
		var found bool
		logical.Walk(pruned, func(n logical.Node) {
			if p, ok := n.(*logical.Project); ok {
				if _, ok := p.Input.(*logical.Scan); ok {
					found = true
				}
			}
		})
		if !found {
			t.Errorf("%s: no scan lost its filter-only columns:\n%s", sql, logical.Format(pruned))
		}
		want, got := run(t, plan), run(t, pruned)
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Errorf("%s: pruned plan returns\n%v\nwant\n%v", sql, got, want)
		}
	}
}
