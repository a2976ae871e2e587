package expr

import (
	"testing"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

// Expected values were produced by PostgreSQL over
//
//	t(a int[], k int, s text[]) = ('{1,2,3,2}',2,'{x,NULL,y}'), ('{}',1,'{}'),
//	(NULL,3,NULL), ('{NULL,2}',NULL,'{NULL}').
func TestArrayFunctions(t *testing.T) {
	i4Arr, txtArr := types.ArrayOf(i4), types.ArrayOf(txt)
	cols := []col{
		{txt, []string{"{1,2,3,2}", "{}", "NULL", "{NULL,2}"}},
		{i4, []string{"2", "1", "3", "NULL"}},
		{txt, []string{"{x,NULL,y}", "{}", "NULL", "{NULL}"}},
	}
	a := func() expr.Expr { return cast(ref(0, txt), i4Arr) }
	k := func() expr.Expr { return ref(1, i4) }
	s := func() expr.Expr { return cast(ref(2, txt), txtArr) }
	i := func(v int64) expr.Expr { return lit(v, i4) }
	null := func() expr.Expr { return lit(nil, types.UnknownT) }
	quant := func(t *testing.T, name, op string, x, arr expr.Expr) expr.Expr {
		return fn(t, name, x, arr, lit(op, txt))
	}
	cases := []evalCase{
		{"cardinality", func(t *testing.T) expr.Expr { return fn(t, "cardinality", a()) }, "4,0,NULL,2"},
		{"array_length", func(t *testing.T) expr.Expr { return fn(t, "array_length", a(), i(1)) }, "4,NULL,NULL,2"},
		{"array_length k", func(t *testing.T) expr.Expr { return fn(t, "array_length", a(), k()) }, "NULL,NULL,NULL,NULL"},
		{"array_lower", func(t *testing.T) expr.Expr { return fn(t, "array_lower", a(), i(1)) }, "1,NULL,NULL,1"},
		{"array_upper", func(t *testing.T) expr.Expr { return fn(t, "array_upper", a(), i(1)) }, "4,NULL,NULL,2"},
		{"array_position", func(t *testing.T) expr.Expr { return fn(t, "array_position", a(), k()) }, "2,NULL,NULL,1"},
		{"array_position start", func(t *testing.T) expr.Expr { return fn(t, "array_position", a(), i(2), i(3)) }, "4,NULL,NULL,NULL"},
		{"array_position null start", func(t *testing.T) expr.Expr { return fn(t, "array_position", a(), i(2), null()) }, "ERR:22004"},
		{"array_positions", func(t *testing.T) expr.Expr { return fn(t, "array_positions", a(), k()) }, "{2,4},{},NULL,{1}"},
		{"array_positions const", func(t *testing.T) expr.Expr { return fn(t, "array_positions", a(), i(2)) }, "{2,4},{},NULL,{2}"},
		{"array_remove", func(t *testing.T) expr.Expr { return fn(t, "array_remove", a(), k()) }, "{1,3},{},NULL,{2}"},
		{"array_remove null", func(t *testing.T) expr.Expr { return fn(t, "array_remove", s(), null()) }, "{x,y},{},NULL,{}"},
		{"array_replace", func(t *testing.T) expr.Expr { return fn(t, "array_replace", a(), i(2), k()) }, "{1,2,3,2},{},NULL,{NULL,NULL}"},
		{"array_append", func(t *testing.T) expr.Expr { return fn(t, "array_append", a(), k()) }, "{1,2,3,2,2},{1},{3},{NULL,2,NULL}"},
		{"array_append text", func(t *testing.T) expr.Expr { return fn(t, "array_append", s(), u("z")) }, "{x,NULL,y,z},{z},{z},{NULL,z}"},
		{"array_prepend", func(t *testing.T) expr.Expr { return fn(t, "array_prepend", k(), a()) }, "{2,1,2,3,2},{1},{3},{NULL,NULL,2}"},
		{"array_cat", func(t *testing.T) expr.Expr { return fn(t, "array_cat", a(), a()) }, "{1,2,3,2,1,2,3,2},{},NULL,{NULL,2,NULL,2}"},
		{"array_cat null", func(t *testing.T) expr.Expr { return fn(t, "array_cat", a(), null()) }, "{1,2,3,2},{},NULL,{NULL,2}"},
		{"array_cat unknown", func(t *testing.T) expr.Expr { return fn(t, "array_cat", a(), u("{5}")) }, "{1,2,3,2,5},{5},{5},{NULL,2,5}"},
		{"subscript", func(t *testing.T) expr.Expr { return fn(t, expr.Subscript, a(), k()) }, "2,NULL,NULL,NULL"},
		{"subscript const", func(t *testing.T) expr.Expr { return fn(t, expr.Subscript, a(), i(2)) }, "2,NULL,NULL,2"},
		{"subscript text", func(t *testing.T) expr.Expr { return fn(t, expr.Subscript, s(), i(3)) }, "y,NULL,NULL,NULL"},
		{"= any", func(t *testing.T) expr.Expr { return quant(t, expr.AnyOp, "=", k(), a()) }, "t,f,NULL,NULL"},
		{"= all", func(t *testing.T) expr.Expr { return quant(t, expr.AllOp, "=", k(), a()) }, "f,t,NULL,NULL"},
		{"< any", func(t *testing.T) expr.Expr { return quant(t, expr.AnyOp, "<", k(), a()) }, "t,f,NULL,NULL"},
		{"<> all", func(t *testing.T) expr.Expr { return quant(t, expr.AllOp, "<>", k(), a()) }, "f,t,NULL,NULL"},
		{"2 = any", func(t *testing.T) expr.Expr { return quant(t, expr.AnyOp, "=", i(2), a()) }, "t,f,NULL,t"},
		{"null = any", func(t *testing.T) expr.Expr { return quant(t, expr.AnyOp, "=", null(), a()) }, "NULL,f,NULL,NULL"},
	}
	runCases(t, cols, cases)
}

func TestArrayResolveErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		args []types.T
	}{
		{"cardinality", []types.T{types.Int32T}},
		{"array_append", []types.T{types.ArrayOf(types.Int32T), types.TextT}},
		{"array_cat", []types.T{types.Int32T, types.Int32T}},
		{"array_position", []types.T{types.UnknownT, types.UnknownT}},
	} {
		if _, _, err := expr.ResolveFunction(c.name, c.args); err == nil {
			t.Errorf("%s%v resolved", c.name, c.args)
		}
	}
}

// Array comparison operators, checked against PostgreSQL over pairs
// ({1,2},{1,2}) ({1,NULL},{1,NULL}) ({1},{1,2}) ({2},{1,2}) ({NULL},{1})
// (NULL,{1}) ({},{}) (NULL,NULL).
func TestArrayComparison(t *testing.T) {
	i4Arr := types.ArrayOf(i4)
	cols := []col{
		{txt, []string{"{1,2}", "{1,NULL}", "{1}", "{2}", "{NULL}", "NULL", "{}", "NULL"}},
		{txt, []string{"{1,2}", "{1,NULL}", "{1,2}", "{1,2}", "{1}", "{1}", "{}", "NULL"}},
	}
	a := func() expr.Expr { return cast(ref(0, txt), i4Arr) }
	b := func() expr.Expr { return cast(ref(1, txt), i4Arr) }
	runCases(t, cols, []evalCase{
		{"=", func(t *testing.T) expr.Expr { return binop(t, "=", a(), b()) }, "t,t,f,f,f,NULL,t,NULL"},
		{"<", func(t *testing.T) expr.Expr { return binop(t, "<", a(), b()) }, "f,f,t,f,f,NULL,f,NULL"},
		{">=", func(t *testing.T) expr.Expr { return binop(t, ">=", a(), b()) }, "t,t,f,t,t,NULL,t,NULL"},
		{"is distinct from", func(t *testing.T) expr.Expr { return binop(t, "is distinct from", a(), b()) }, "f,f,t,t,t,t,f,f"},
		{"= constant", func(t *testing.T) expr.Expr { return binop(t, "=", a(), cast(u("{1,2}"), i4Arr)) }, "t,f,f,f,f,NULL,f,NULL"},
	})
}
