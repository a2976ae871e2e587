package pgfront

import (
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

func TestExplainOptions(t *testing.T) {
	cases := []struct {
		sql              string
		analyze, verbose bool
	}{
		{"explain select 1", false, false},
		{"explain analyze select 1", true, false},
		{"explain verbose select 1", false, true},
		{"explain analyze verbose select 1", true, true},
		{"explain (analyze, verbose) select 1", true, true},
		{"explain (analyze true, costs off) select 1", true, false},
		{"explain (verbose false, analyze) select 1", true, false},
		{"EXPLAIN (FORMAT TEXT) select 1", false, false},
	}
	for _, c := range cases {
		st, err := Parse(c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		e, ok := st[0].AST.(*ast.ExplainStmt)
		if !ok {
			t.Fatalf("%s: got %T", c.sql, st[0].AST)
		}
		if e.Analyze != c.analyze || (e.Format == "verbose") != c.verbose {
			t.Errorf("%s: analyze=%v format=%q", c.sql, e.Analyze, e.Format)
		}
	}
}
