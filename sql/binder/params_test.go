package binder_test

import (
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/binder"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

func bindParams(t *testing.T, sql string, p *binder.Params) (*binder.Bound, error) {
	t.Helper()
	stmts, err := pgfront.Parse(sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	b := binder.New(catalog(t), stmts[0].ColumnAliases)
	b.Params = p
	return b.BindQuery(stmts[0].AST)
}

// planExprs lists every expression of plan, Limit counts aside.
func planExprs(plan logical.Node) []expr.Expr {
	var out []expr.Expr
	walkPlan(plan, func(n logical.Node) {
		for _, e := range nodeExprs(n) {
			expr.Walk(e, func(x expr.Expr) bool {
				out = append(out, x)
				return true
			})
		}
	})
	return out
}

func TestParamInference(t *testing.T) {
	cases := []struct {
		sql   string
		given []types.T
		want  []types.T
		code  string
	}{
		{sql: "select $1", want: []types.T{types.TextT}},
		{sql: "select id from emp where id = $1", want: []types.T{types.Int32T}},
		// A numeric column's typmod is not the parameter's.
		{sql: "select id from emp where salary > $1", want: []types.T{types.NumericT(0, 0)}},
		{sql: "select id from emp where hired between $1 and $2", want: []types.T{types.DateT, types.DateT}},
		{sql: "select id from emp where name like $1 limit $2 offset $3", want: []types.T{types.TextT, types.Int64T, types.Int64T}},
		{sql: "select $2 from emp where id = $1", want: []types.T{types.Int32T, types.TextT}},
		{sql: "select id from emp where id in ($1, $2) or dept_id = $1", want: []types.T{types.Int32T, types.Int32T}},
		{sql: "select hired + $1, hired - $2 from emp", want: []types.T{types.IntervalT, types.DateT}},
		{sql: "select case when id > $1 then $2 end from emp", want: []types.T{types.Int32T, types.TextT}},
		{sql: "select id from emp where dept_id = any($1)", want: []types.T{types.ArrayOf(types.Int32T)}},
		{sql: "select hired - interval '1 day' * $1 from emp", want: []types.T{types.Float64T}},
		{sql: "select current_setting($1, $2)", want: []types.T{types.TextT, types.BoolT}},
		{sql: "select id from emp where id = (select max(id) from emp where salary < $1)", want: []types.T{types.NumericT(0, 0)}},
		// Types the client gave win; a later use is coerced.
		{sql: "select $1 + 1", given: []types.T{types.Int64T}, want: []types.T{types.Int64T}},
		{sql: "select $1, $2 * 2", given: []types.T{types.Float64T}, want: []types.T{types.Float64T, types.Int32T}},
		{sql: "select $1, $3", code: sqlerr.IndeterminateDatatype},
		{sql: "select 1 where $1 is null", code: sqlerr.IndeterminateDatatype},
		{sql: "select id from emp where name = $1 and id = $1", code: sqlerr.UndefinedFunction},
		{sql: "select -$1", code: "42725"},
	}
	for _, c := range cases {
		p := &binder.Params{Types: c.given, Infer: true}
		b, err := bindParams(t, c.sql, p)
		if c.code != "" {
			if sqlerr.Code(err) != c.code {
				t.Errorf("%s: %v, want SQLSTATE %s", c.sql, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if !reflect.DeepEqual(p.Types, c.want) {
			t.Errorf("%s: types %v, want %v", c.sql, p.Types, c.want)
		}
		// Described, every parameter is a typed placeholder.
		for _, x := range planExprs(b.Plan) {
			if x.Type().Kind == types.Unknown && x.String()[0] == '$' {
				t.Errorf("%s: untyped parameter %s left in the plan", c.sql, x)
			}
		}
	}
}

func TestParamValues(t *testing.T) {
	str := func(s string) *string { return &s }
	// Run, parameters are constants of their type: the numeric keeps its
	// own scale instead of the column's.
	p := &binder.Params{Types: []types.T{types.NumericT(0, 0), types.TextT, types.Int64T, types.Int64T},
		Values: []*string{str("95000.505"), str("A%"), str("2"), nil}}
	b, err := bindParams(t, "select id from emp where salary < $1 and name like $2 limit $3 offset $4", p)
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	for _, x := range planExprs(b.Plan) {
		switch c := x.(type) {
		case *expr.Param:
			t.Errorf("placeholder %s in a run plan", c)
		case *expr.Const:
			if d, ok := c.Value.(decimal128.Num); ok {
				consts = append(consts, d.ToString(c.T.Scale))
			} else if s, ok := c.Value.(string); ok {
				consts = append(consts, s)
			}
		}
	}
	if !reflect.DeepEqual(consts, []string{"95000.505", "A%"}) {
		t.Errorf("constants %v\n%s", consts, logical.Format(b.Plan))
	}
	lim, ok := b.Plan.(*logical.Limit)
	if !ok || lim.Count != 2 || lim.Offset != 0 {
		t.Errorf("limit: %s", logical.Format(b.Plan))
	}
	// A value that is not of its type, a parameter beyond the values, and
	// a statement without parameters.
	for _, c := range []struct {
		sql  string
		p    *binder.Params
		code string
	}{
		{"select id from emp where id = $1", &binder.Params{Types: []types.T{types.Int32T}, Values: []*string{str("x")}}, sqlerr.InvalidTextRepresentation},
		{"select id from emp where hired = $1", &binder.Params{Types: []types.T{types.DateT}, Values: []*string{str("2020-02-30")}}, sqlerr.DatetimeFieldOverflow},
		{"select $2", &binder.Params{Types: []types.T{types.TextT}, Values: []*string{nil}}, "42P02"},
		{"select $1", nil, "42P02"},
	} {
		if _, err := bindParams(t, c.sql, c.p); sqlerr.Code(err) != c.code {
			t.Errorf("%s: %v, want SQLSTATE %s", c.sql, err, c.code)
		}
	}
}
