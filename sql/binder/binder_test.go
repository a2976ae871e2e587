package binder_test

import (
	"reflect"
	"testing"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

func TestNameResolution(t *testing.T) {
	cases := []struct {
		sql   string
		names []string
		types []types.T
	}{
		{"select e.name, d.name from emp e join dept d on e.dept_id = d.id",
			[]string{"name", "name"}, []types.T{types.TextT, types.TextT}},
		{"select emp.id, dept.budget from emp, dept where emp.dept_id = dept.id",
			[]string{"id", "budget"}, []types.T{types.Int32T, types.Int64T}},
		{"select x.budget as b from dept as x",
			[]string{"b"}, []types.T{types.Int64T}},
		// USING merges the key into one column, listed first.
		{"select * from emp join dept using (id)",
			[]string{"id", "name", "dept_id", "salary", "manager_id", "hired", "name", "budget"}, nil},
		{"select id from emp join dept using (id)", []string{"id"}, []types.T{types.Int32T}},
		{"select d.* from emp e join dept d on e.dept_id = d.id",
			[]string{"id", "name", "budget"}, []types.T{types.Int32T, types.TextT, types.Int64T}},
		{"select *, 1 as one from pairs", []string{"a", "b", "one"}, []types.T{types.Int32T, types.Int32T, types.Int32T}},
		{"select s.v from (select a + b as v from pairs) s", []string{"v"}, []types.T{types.Int32T}},
		{"select q.x from (select a, b from pairs) as q(x, y)", []string{"x"}, []types.T{types.Int32T}},
	}
	for _, c := range cases {
		b := mustBind(t, c.sql)
		if !reflect.DeepEqual(b.Names, c.names) {
			t.Errorf("%s: names %v, want %v", c.sql, b.Names, c.names)
		}
		if c.types != nil {
			var got []types.T
			for _, col := range b.Plan.Schema() {
				got = append(got, col.T)
			}
			if !reflect.DeepEqual(got, c.types) {
				t.Errorf("%s: types %v, want %v", c.sql, got, c.types)
			}
		}
	}
}

func TestNameErrors(t *testing.T) {
	cases := []struct{ sql, code string }{
		{"select id from emp, dept", sqlerr.AmbiguousColumn},
		{"select name from emp e join dept d on e.dept_id = d.id", sqlerr.AmbiguousColumn},
		{"select nosuch from emp", sqlerr.UndefinedColumn},
		{"select e.nosuch from emp e", sqlerr.UndefinedColumn},
		// The alias hides the table name, as in PostgreSQL.
		{"select emp.id from emp e", sqlerr.UndefinedTable},
		{"select * from nosuch", sqlerr.UndefinedTable},
		{"select x.* from emp", sqlerr.UndefinedTable},
		{"select nosuch_fn(id) from emp", sqlerr.UndefinedFunction},
		{"select abs('x'::text) from emp", sqlerr.UndefinedFunction},
		{"select 1 from emp e, dept e", sqlerr.DuplicateAlias},
		{"select 1 from emp, emp", sqlerr.DuplicateAlias},
		{"select id from emp join dept using (nosuch)", sqlerr.UndefinedColumn},
		{"select * from emp where name", sqlerr.DatatypeMismatch},
		{"select id + 'abc'::text from emp", sqlerr.UndefinedFunction},
	}
	for _, c := range cases {
		wantCode(t, c.sql, c.code)
	}
}

// projected returns the i-th expression of the plan's top Project.
func projected(t *testing.T, sql string, i int) expr.Expr {
	t.Helper()
	b := mustBind(t, sql)
	p, ok := b.Plan.(*logical.Project)
	if !ok {
		t.Fatalf("%s: top node %s, want Project", sql, b.Plan)
	}
	return p.Exprs[i]
}

func TestTyping(t *testing.T) {
	cases := []struct {
		sql  string
		want types.T
		str  string // expected rendering: shows where casts were inserted
	}{
		{"select 7/2", types.Int32T, "(7 / 2)"},
		{"select i/2 from nums", types.Int32T, "(nums.i / 2)"},
		{"select bi/si from nums", types.Int64T, "(nums.bi / nums.si::bigint)"},
		{"select n*n from nums", types.NumericT(0, 4), "(nums.n * nums.n)"},
		{"select n+n from nums", types.NumericT(0, 2), "(nums.n + nums.n)"},
		{"select d + 1 from times", types.DateT, "(times.d + 1)"},
		{"select d - 1 from times", types.DateT, "(times.d - 1)"},
		{"select d - d from times", types.Int32T, "(times.d - times.d)"},
		{"select d + interval '1 day' from times", types.TimestampT, "(times.d::timestamp without time zone + '1 day'::interval)"},
		{"select si = bi from nums", types.BoolT, "(nums.si::bigint = nums.bi)"},
		{"select i < 2.5 from nums", types.BoolT, "(nums.i::numeric < 2.5)"},
		{"select n = bi from nums", types.BoolT, "(nums.n = nums.bi::numeric)"},
		{"select r < d from nums", types.BoolT, "(nums.r::double precision < nums.d)"},
		{"select ts > d from times", types.BoolT, "(times.ts > times.d::timestamp without time zone)"},
	}
	for _, c := range cases {
		e := projected(t, c.sql, 0)
		got := e.Type()
		if got.Kind != c.want.Kind || (c.want.Kind == types.Numeric && got.Scale != c.want.Scale) {
			t.Errorf("%s: type %s, want %s", c.sql, got, c.want)
		}
		if e.String() != c.str {
			t.Errorf("%s: bound as %s, want %s", c.sql, e, c.str)
		}
	}
	wantCode(t, "select d + d from times", sqlerr.UndefinedFunction)
	wantCode(t, "select name < 1 from emp", sqlerr.UndefinedFunction)
}

func TestGroupBy(t *testing.T) {
	for _, sql := range []string{
		"select dept_id as x, count(*) from emp group by x",
		"select dept_id, count(*) from emp group by 1",
		"select dept_id, count(*) from emp group by dept_id",
		"select dept_id, count(*) from emp group by emp.dept_id",
	} {
		b := mustBind(t, sql)
		var agg *logical.Aggregate
		walkPlan(b.Plan, func(n logical.Node) {
			if a, ok := n.(*logical.Aggregate); ok {
				agg = a
			}
		})
		if agg == nil || len(agg.Groups) != 1 || agg.Groups[0].String() != "emp.dept_id" || len(agg.Aggs) != 1 || agg.Aggs[0].String() != "count(*)" {
			t.Errorf("%s: plan\n%s", sql, logical.Format(b.Plan))
		}
	}
	// An expression in the select list matches the same GROUP BY expression.
	b := mustBind(t, "select dept_id + 1, count(*) from emp group by dept_id + 1")
	if !hasLine(b.Plan, "Aggregate groups: [(emp.dept_id + 1)]") {
		t.Errorf("group by expression: plan\n%s", logical.Format(b.Plan))
	}
	mustBind(t, "select dept_id + 1 from emp group by dept_id")
	mustBind(t, "select count(*) from emp having count(*) > 1")

	for _, sql := range []string{
		"select name, count(*) from emp group by dept_id",
		"select dept_id, name from emp group by dept_id",
		"select dept_id from emp group by dept_id + 1",
		"select count(*) from emp having name = 'x'",
		"select name, count(*) from emp",
		"select dept_id, count(*) from emp group by 1 order by name",
	} {
		wantCode(t, sql, sqlerr.GroupingError)
	}
	wantCode(t, "select dept_id from emp group by 5", sqlerr.InvalidColumnReference)
	wantCode(t, "select count(*) from emp where count(*) > 1", sqlerr.GroupingError)
}

func TestSubqueryDecorrelation(t *testing.T) {
	cases := []struct {
		sql  string
		kind logical.JoinKind
	}{
		{"select * from emp e where exists (select 1 from dept d where d.id = e.dept_id)", logical.Semi},
		{"select * from emp e where not exists (select 1 from dept d where d.id = e.dept_id)", logical.Anti},
		{"select * from emp e where dept_id in (select id from dept)", logical.Semi},
		{"select * from emp e where dept_id not in (select id from dept)", logical.AntiNullAware},
		// Correlated NOT IN: an anti join whose condition carries the NULL
		// rules per outer row (x = y OR y IS NULL OR x IS NULL).
		{"select * from emp e where dept_id not in (select id from dept d where d.budget > e.salary)", logical.Anti},
	}
	for _, c := range cases {
		b := mustBind(t, c.sql)
		ks := joins(b.Plan)
		if len(ks) != 1 || ks[0] != c.kind {
			t.Errorf("%s: joins %v, want [%s]\n%s", c.sql, ks, c.kind, logical.Format(b.Plan))
		}
	}

	// A correlated scalar aggregate becomes a left join with an aggregate
	// grouped by the correlation key, not a per-row re-run.
	sql := "select name, (select max(salary) from emp e2 where e2.dept_id = e.dept_id) from emp e"
	b := mustBind(t, sql)
	j, ok := b.Plan.(*logical.Project).Input.(*logical.Join)
	if !ok || j.Kind != logical.Left {
		t.Fatalf("%s: want Left join under the Project\n%s", sql, logical.Format(b.Plan))
	}
	var agg *logical.Aggregate
	walkPlan(j.Right, func(n logical.Node) {
		if a, ok := n.(*logical.Aggregate); ok && agg == nil {
			agg = a
		}
	})
	if agg == nil || len(agg.Groups) != 1 || agg.Groups[0].String() != "e2.dept_id" {
		t.Fatalf("%s: right side must aggregate grouped by e2.dept_id\n%s", sql, logical.Format(b.Plan))
	}
	if got := b.Plan.Schema()[1].T; got != types.NumericT(10, 2) {
		t.Errorf("%s: subquery type %s", sql, got)
	}

	// Nested correlated subqueries and a correlated count still leave no
	// OuterRef behind (mustBind checks).
	mustBind(t, "select * from dept d where exists (select 1 from emp e where e.dept_id = d.id and e.salary > (select avg(salary) from emp e3 where e3.dept_id = e.dept_id))")
	mustBind(t, "select d.name, (select count(*) from emp e where e.dept_id = d.id) from dept d")
	wantCode(t, "select (select id, name from emp) from dept", sqlerr.SyntaxError)
}
