package main

import (
	"math/big"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// TestCompareAnswers checks the comparison the cluster tests rely on: it
// must catch what a wrong distributed answer looks like and accept only
// what may legitimately differ (ties under ORDER BY, float rounding,
// numeric scale).
func TestCompareAnswers(t *testing.T) {
	num := func(i int64, exp int32) cell {
		return toCell(pgtype.Numeric{Int: big.NewInt(i), Exp: exp, Valid: true})
	}
	ans := func(rows ...[]cell) *answer {
		return &answer{cols: []string{"k:25", "n:1700", "f:701"}, names: []string{"k", "n", "f"}, rows: rows}
	}
	row := func(k string, n cell, f float64) []cell { return []cell{toCell(k), n, toCell(f)} }
	const sql = "select k, n, f from t order by n desc limit 3"
	want := ans(row("a", num(30, 0), 0.1), row("b", num(20, 0), 0.2), row("c", num(20, 0), 1.0/3))

	for _, tc := range []struct {
		name string
		got  *answer
		bad  string // a fragment of the error; "" for equal
	}{
		{"same", ans(row("a", num(30, 0), 0.1), row("b", num(20, 0), 0.2), row("c", num(20, 0), 1.0/3)), ""},
		{"ties in any order", ans(row("a", num(30, 0), 0.1), row("c", num(20, 0), 1.0/3), row("b", num(20, 0), 0.2)), ""},
		{"numeric by value", ans(row("a", num(3000, -2), 0.1), row("b", num(2, 1), 0.2), row("c", num(20, 0), 1.0/3)), ""},
		{"float rounding", ans(row("a", num(30, 0), 0.1+1e-17), row("b", num(20, 0), 0.2), row("c", num(20, 0), 1.0/3*(1+1e-12))), ""},
		{"order broken", ans(row("b", num(20, 0), 0.2), row("a", num(30, 0), 0.1), row("c", num(20, 0), 1.0/3)), "row"},
		{"value", ans(row("a", num(30, 0), 0.1), row("b", num(21, 0), 0.2), row("c", num(20, 0), 1.0/3)), "row"},
		{"float", ans(row("a", num(30, 0), 0.1), row("b", num(20, 0), 0.2001), row("c", num(20, 0), 1.0/3)), "row"},
		{"missing row", ans(row("a", num(30, 0), 0.1), row("b", num(20, 0), 0.2)), "2 rows, want 3"},
		{"null", ans(row("a", num(30, 0), 0.1), row("b", toCell(nil), 0.2), row("c", num(20, 0), 1.0/3)), "row"},
		{"column type", &answer{cols: []string{"k:25", "n:20", "f:701"}, names: want.names, rows: want.rows}, "columns"},
	} {
		err := compareAnswers(sql, want, tc.got)
		if tc.bad == "" && err != nil || tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.bad)
		}
	}

	if _, _, err := orderColumns("select a from t order by b", []string{"a"}); err == nil {
		t.Error("ORDER BY a column not in the result: no error")
	}
	if cols, ok, err := orderColumns("select a, b from t where a in (select x from u order by x) order by b desc, a", []string{"a", "b"}); !ok || err != nil || len(cols) != 2 || cols[0] != 1 || cols[1] != 0 {
		t.Errorf("orderColumns: %v %v %v", cols, ok, err)
	}
	if statementText("-- a comment\n-- another\n  select 1") != "select 1" {
		t.Error("statementText keeps the leading comments")
	}
}
