package pgfront

import (
	"strings"
	"testing"
)

func TestNullsOrder(t *testing.T) {
	cases := map[string]string{
		"select a from t order by a nulls first":                "__pg_nulls_first(a)",
		"select a from t order by a desc nulls last, b":         "__pg_nulls_last(a) desc, b",
		"select a from t order by a + 1 asc nulls last":         "__pg_nulls_last(a+1) asc",
		"select a from t order by b, lower(c) desc nulls first": "b, __pg_nulls_first(lower(c)) desc",
	}
	for in, want := range cases {
		st, err := Parse(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if !strings.Contains(st[0].Rewritten, want) {
			t.Errorf("%s: rewritten %q, want it to contain %q", in, st[0].Rewritten, want)
		}
	}
}
