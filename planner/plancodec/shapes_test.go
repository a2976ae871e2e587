package plancodec_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/planner/plancodec"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// shapes exercise every plan node and constant kind the binder makes.
// Each names the node or expression it must produce, so a change in the
// binder that stops producing it fails here instead of silently dropping
// the case from the test.
var shapes = []struct {
	sql  string
	want []string // substrings of the plan's Format
}{
	{"select id, sum(salary) over (partition by dept_id order by hired rows between 1 preceding and current row), " +
		"avg(salary) over (order by id range between unbounded preceding and 2 following exclude current row), " +
		"rank() over (order by salary desc), lag(name, 1, 'none') over (order by id) from emp", []string{"Window"}},
	{"select count(*) over (order by d groups between 1 preceding and 1 following exclude ties) from big", []string{"Window"}},
	{"select g, g * 2 from generate_series(1, 10) as g", []string{"generate_series("}},
	{"select x, o from generate_series(1, 5) with ordinality as t(x, o)", []string{"generate_series"}},
	{"select id, unnest(array[id, id + 1, 3]) from dim, nums where dim.k = nums.id", []string{"ProjectSet"}},
	{"select unnest(array['a', null, 'c']), generate_series(1, 4)", []string{"ProjectSet"}},
	{"with t as (select dept_id, sum(salary) s from emp group by dept_id) " +
		"select a.dept_id, b.s from t a join t b on a.dept_id = b.dept_id where a.s > (select avg(s) from t)", []string{"CTE Scan", "computed once"}},
	{"values (1, 'a', 1.5, null), (2, 'b', 2.25, 3)", []string{"Values"}},
	{"select * from (values (interval '1 year 2 months 3 days 04:05:06.789', date '2024-02-29', time '12:34:56.5', " +
		"timestamp '2001-02-03 04:05:06', timestamptz '2001-02-03 04:05:06+02')) v(a, b, c, d, e)", []string{"Values"}},
	{"select d + interval '1 day', ts - interval '3 hours', tz, t from times where d > date '2000-01-01' - interval '1 month'", []string{"Scan times"}},
	{"select n * 1.5, n / 3.333, -n, 12345678901234567890.123456::numeric(30,6), 'NaN'::float8, '-0'::float8, " +
		"'Infinity'::float8, '-Infinity'::float4, 1e300 * 10, r from nums", []string{"Scan nums"}},
	{"select bin, bin || '\\x00ff'::bytea, decode('deadbeef', 'hex'), length(bin) from strs where bin <> '\\x'::bytea", []string{"Scan strs"}},
	{"select null::int, null::text, null::numeric(5,2), null::int[], coalesce(si, null, 0::smallint), nullif(i, 3) from nums", []string{"Scan nums"}},
	{"select array[1, 2, 3], array['x', id::text], array_length(array[s], 1), s = any(array['a', 'b']), " +
		"'{1,2}'::int[], v::varchar(5), 'x'::char(3) from strs", []string{"Scan strs"}},
	{"select * from orders o where exists (select 1 from lineitem l where l.l_orderkey = o.o_orderkey and l.l_quantity > 45) " +
		"and o.o_custkey not in (select c_custkey from customer where c_acctbal < 0)", []string{"Semi Join", "AntiNullAware Join"}},
	{"select * from dim where not exists (select 1 from pairs where pairs.a = dim.k)", []string{"Anti Join"}},
	{"select k from dim union select a from pairs intersect select b from pairs except select 99", []string{"Union All"}},
	{"select grp, string_agg(id::text, ',' order by id desc), array_agg(distinct k order by k), " +
		"percentile_cont(0.5) within group (order by x), percentile_disc(0.9) within group (order by amt desc), " +
		"mode() within group (order by k), count(*) filter (where flag), sum(amt) filter (where k > 2), array_agg(id) filter (where x > 0.5) from big group by grp", []string{"Aggregate"}},
	{"select count(distinct k), min(d), max(grp), bool_and(flag), stddev(x) from big", []string{"Aggregate"}},
	{"select id, case when salary > 1000 then 'high' when salary is null then null else 'low' end, " +
		"manager_id in (1, 2, 3), dept_id not in (4, 5), salary::int, name like 'A%' from emp order by salary desc nulls last, id limit 5 offset 1",
		[]string{"Limit", "Sort"}},
	{"select e.name, (select d.name from dept d where d.id = e.dept_id) from emp e", []string{"Join"}},
	{"select (select max(id) from emp), (select name from dept order by id limit 1)", []string{"EnforceSingleRow"}},
	{"select a, b from pairs full join dim on pairs.a = dim.k left join emp on emp.id = pairs.b right join dept on dept.id = emp.dept_id", []string{"Full Join", "Left Join"}},
	{"select * from dim cross join pairs", []string{"Join"}},
	{"select region, year, sum(qty) from sales group by rollup (region, year)", []string{"Aggregate"}},
	{"select distinct on (grp) grp, id from big order by grp, id", []string{"Scan big"}},
	{"select upper(name) || '!', extract(year from hired), to_char(hired, 'YYYY') from emp", []string{"Scan emp"}},
	{"select true, false, 'a''b', 1::smallint, 2::bigint, 3.0::real, 1::oid, 'abc'::name, '{\"a\":1}'::jsonb, '{}'::json", []string{"Values"}},
}

func TestShapes(t *testing.T) {
	cat := catalog(t)
	for _, s := range shapes {
		t.Run(s.sql, func(t *testing.T) {
			n := plan(t, cat, s.sql)
			f := logical.Format(n)
			for _, w := range s.want {
				if !strings.Contains(f, w) {
					t.Fatalf("plan lacks %q:\n%s", w, f)
				}
			}
			got, _ := roundTrip(t, cat, n)
			sameResults(t, n, got)
		})
	}
}

// TestSharedCTE checks that a CTE read in several places decodes as one
// *logical.CTE: the physical planner computes a CTE once per pointer.
func TestSharedCTE(t *testing.T) {
	cat := catalog(t)
	n := plan(t, cat, "with t as (select k, count(*) c from big group by k), u as (select k from t where c > 1) "+
		"select * from t join u on t.k = u.k join u u2 on u2.k = u.k union all select k, c, k, k from t")
	got, _ := roundTrip(t, cat, n)
	var scans []*logical.CTEScan
	var walk func(logical.Node)
	walk = func(n logical.Node) {
		if s, ok := n.(*logical.CTEScan); ok {
			scans = append(scans, s)
			walk(s.CTE.Plan)
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(got)
	byName := map[string]*logical.CTE{}
	for _, s := range scans {
		if p, ok := byName[s.CTE.Name]; ok && p != s.CTE {
			t.Fatalf("CTE %s decoded as two objects", s.CTE.Name)
		}
		byName[s.CTE.Name] = s.CTE
	}
	if len(byName) < 2 || len(scans) < 4 {
		t.Fatalf("want at least 2 CTEs read 4 times, plan has %d read %d times:\n%s", len(byName), len(scans), logical.Format(n))
	}
	sameResults(t, n, got)
}

func col(name, table string, t types.T) logical.Column {
	return logical.Column{Name: name, Table: table, T: t, Nullable: true}
}

// TestDistributed round-trips the fields only distributed plans have:
// Remote leaves, aggregate phases and assigned splits.
func TestDistributed(t *testing.T) {
	cat := catalog(t)
	li, ok := cat.Table("lineitem")
	if !ok {
		t.Fatal("no lineitem")
	}
	splits := li.Splits()
	if len(splits) == 0 {
		t.Fatal("lineitem has no splits")
	}
	ids := []logical.SplitID{splits[0].ID(), {File: splits[len(splits)-1].File, RowGroup: 3}, {File: "/elsewhere/x.parquet", RowGroup: 0}}
	qty := li.Columns[4]
	scan := &logical.Scan{Table: li, Alias: "l", Cols: []int{4, 0}, Out: logical.Schema{
		{Name: qty.Name, Table: "l", T: qty.Type}, {Name: li.Columns[0].Name, Table: "l", T: li.Columns[0].Type},
	}, Filters: []expr.Expr{&expr.Call{Fn: ">", Args: []expr.Expr{&expr.ColRef{Idx: 0, T: qty.Type, Name: "l_quantity"}, &expr.Const{Value: decimal128.FromI64(1000), T: qty.Type}}, T: types.BoolT}},
		Assigned: true, Splits: ids}
	partialOut := logical.Schema{col("l_orderkey", "l", types.Int64T), col("sum", "", types.NumericT(38, 2)), col("count", "", types.Int64T)}
	aggs := []*expr.AggCall{{Fn: "sum", Args: []expr.Expr{&expr.ColRef{Idx: 0, T: qty.Type}}, T: types.NumericT(38, 2)}}
	partial := &logical.Aggregate{Input: scan, Groups: []expr.Expr{&expr.ColRef{Idx: 1, T: types.Int64T}}, Aggs: aggs, Out: partialOut, Phase: logical.AggPartial}
	remote := &logical.Remote{Stage: 3, Out: partialOut, Rows: 1234.5, Largest: 6e6, How: "hash"}
	final := &logical.Aggregate{Input: remote, Groups: []expr.Expr{&expr.ColRef{Idx: 0, T: types.Int64T}}, Aggs: aggs,
		Out: logical.Schema{col("l_orderkey", "l", types.Int64T), col("sum", "", types.NumericT(38, 2))}, Phase: logical.AggFinal}
	gather := &logical.Remote{Stage: 0, Out: final.Out, Rows: math.Inf(1), How: "gather"}
	for _, n := range []logical.Node{partial, final, &logical.Union{Inputs: []logical.Node{gather, gather}, Out: final.Out}} {
		got, _ := roundTrip(t, cat, n)
		if !strings.Contains(logical.Format(got), "Remote stage") && !strings.Contains(logical.Format(got), "splits") {
			t.Fatalf("unexpected plan %s", logical.Format(got))
		}
	}
	// The assigned scan runs: it reads the first split only (the others
	// name no split this table has, or one beyond its row groups).
	got, _ := roundTrip(t, cat, &logical.Scan{Table: li, Cols: scan.Cols, Out: scan.Out, Assigned: true, Splits: ids[:1]})
	sameResults(t, &logical.Scan{Table: li, Cols: scan.Cols, Out: scan.Out, Assigned: true, Splits: ids[:1]}, got)
}

// TestConstants round-trips a constant of every Go type expr.Const holds,
// including the floats whose bits matter.
func TestConstants(t *testing.T) {
	big, _ := decimal128.FromString("-12345678901234567890123456789.123456789", 38, 9)
	vals := []*expr.Const{
		{T: types.Int32T},
		{T: types.ArrayOf(types.NumericT(10, 2))},
		{Value: true, T: types.BoolT}, {Value: false, T: types.BoolT},
		{Value: int64(math.MinInt64), T: types.Int64T}, {Value: int64(math.MaxInt64), T: types.Int64T},
		{Value: int64(-7), T: types.Int16T}, {Value: int64(1 << 40), T: types.TimestampTZT},
		{Value: math.NaN(), T: types.Float64T}, {Value: math.Copysign(0, -1), T: types.Float64T},
		{Value: math.Inf(1), T: types.Float64T}, {Value: math.Inf(-1), T: types.Float32T},
		{Value: math.SmallestNonzeroFloat64, T: types.Float64T}, {Value: 0.1, T: types.Float64T},
		{Value: big, T: types.NumericT(38, 9)}, {Value: decimal128.FromI64(-1), T: types.NumericT(0, 0)},
		{Value: decimal128.MaxDecimal128, T: types.NumericT(38, 0)},
		{Value: "", T: types.TextT}, {Value: "héllo\x00'wörld", T: types.VarcharT}, {Value: "abc", T: types.UnknownT},
		{Value: []byte{}, T: types.ByteaT}, {Value: []byte{0, 255, 1}, T: types.ByteaT},
		{Value: int32(-719528), T: types.DateT}, {Value: int32(math.MaxInt32), T: types.DateT},
		{Value: types.IntervalValue{Months: -14, Days: 3, Micros: -86400000001}, T: types.IntervalT},
		{Value: int64(26), T: types.RegClassT}, {Value: "x", T: types.T{Kind: types.Text, Precision: 10, Variant: types.Bpchar}},
	}
	row := make([]expr.Expr, len(vals))
	out := make(logical.Schema, len(vals))
	for i, v := range vals {
		row[i] = v
		out[i] = col("c", "", v.T)
	}
	n := &logical.Values{Rows: [][]expr.Expr{row}, Out: out}
	got, _ := roundTrip(t, nil, n)
	for i, x := range got.(*logical.Values).Rows[0] {
		c := x.(*expr.Const)
		if reflect.TypeOf(c.Value) != reflect.TypeOf(vals[i].Value) {
			t.Errorf("constant %d: decoded as %T, want %T", i, c.Value, vals[i].Value)
		}
	}
	// Every expression node, including the two that optimised plans do
	// not hold, and every optional part left out.
	exprs := []expr.Expr{
		&expr.OuterRef{Depth: 2, Idx: 5, T: types.TextT, Name: "o.x"},
		&expr.Param{N: 3, T: types.NumericT(12, 4)},
		&expr.Case{Whens: []expr.When{{Cond: &expr.Const{Value: true, T: types.BoolT}, Result: &expr.Param{N: 1, T: types.Int64T}}}, T: types.Int64T},
		&expr.InList{Arg: &expr.Param{N: 1, T: types.Int64T}, List: []expr.Expr{&expr.Const{Value: int64(1), T: types.Int64T}}, Negated: true},
		&expr.Cast{Arg: &expr.Const{Value: "{1,2}", T: types.TextT}, T: types.ArrayOf(types.Int32T)},
		&expr.Call{Fn: "now", T: types.TimestampTZT},
	}
	p := &logical.Project{Input: &logical.Values{Rows: [][]expr.Expr{{}}, Out: logical.Schema{}}, Exprs: exprs, Out: make(logical.Schema, len(exprs))}
	roundTrip(t, nil, p)
}

// TestNotShippable: plans bound to this node's catalog are refused, by
// Shippable and by Encode alike, with an error wrapping ErrNotShippable.
func TestNotShippable(t *testing.T) {
	native := &expr.Native{Name: "pg_table_is_visible", Strict: true, Fn: func([]any) (any, error) { return true, nil }}
	values := &logical.Values{Rows: [][]expr.Expr{{&expr.Const{Value: int64(1), T: types.Int64T}}}, Out: logical.Schema{col("x", "", types.Int64T)}}
	call := expr.NewNative(native, types.BoolT, &expr.ColRef{Idx: 0, T: types.Int64T})
	mem := storage.NewMemTable("pg_catalog", "pg_class", []storage.Column{{Name: "oid", Type: types.OidT}}, 10,
		func(context.Context, memory.Allocator) (arrow.RecordBatch, error) {
			return nil, errors.New("not read here")
		})
	cte := &logical.CTE{Name: "c", Plan: &logical.Filter{Input: values, Cond: call}}
	for name, n := range map[string]logical.Node{
		"filter":      &logical.Filter{Input: values, Cond: call},
		"deep in CTE": &logical.Project{Input: &logical.CTEScan{CTE: cte}, Exprs: []expr.Expr{&expr.ColRef{Idx: 0, T: types.Int64T}}, Out: values.Out},
		"in a case": &logical.Project{Input: values, Exprs: []expr.Expr{&expr.Case{Whens: []expr.When{{Cond: call, Result: &expr.Const{T: types.Int64T}}}, T: types.Int64T}},
			Out: values.Out},
		"aggregate filter": &logical.Aggregate{Input: values, Aggs: []*expr.AggCall{{Fn: "count_star", Filter: call, T: types.Int64T}}, Out: logical.Schema{col("count", "", types.Int64T)}},
		"in-memory table":  &logical.Scan{Table: mem, Cols: []int{0}, Out: logical.Schema{col("oid", "", types.OidT)}},
	} {
		if err := plancodec.Shippable(n); !errors.Is(err, plancodec.ErrNotShippable) {
			t.Errorf("%s: Shippable gives %v", name, err)
		}
		if _, err := plancodec.Encode(n); !errors.Is(err, plancodec.ErrNotShippable) {
			t.Errorf("%s: Encode gives %v", name, err)
		}
	}
	if err := plancodec.Shippable(values); err != nil {
		t.Errorf("plain values: %v", err)
	}
	// A constant of a Go type expr.Const does not document is an error
	// naming the type, never silently dropped.
	bad := &logical.Values{Rows: [][]expr.Expr{{&expr.Const{Value: uint16(3), T: types.Int32T}}}, Out: logical.Schema{col("x", "", types.Int32T)}}
	if _, err := plancodec.Encode(bad); err == nil || !strings.Contains(err.Error(), "uint16") {
		t.Errorf("uint16 constant: %v", err)
	}
}

// TestMissingTable: a table the receiving node lacks is a clear 42P01.
func TestMissingTable(t *testing.T) {
	cat := catalog(t)
	b, err := plancodec.Encode(plan(t, cat, "select count(*) from nation join region on n_regionkey = r_regionkey"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = plancodec.Decode(b, func(name string) (*storage.Table, bool) {
		if name == "region" {
			return nil, false
		}
		return cat.Table(name)
	})
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.UndefinedTable || !strings.Contains(se.Message, `"region"`) {
		t.Fatalf("got %v", err)
	}
}

// TestCorrupt: every truncation and many single-byte changes of a real
// plan are errors (or, for a change that still reads as a plan, a plan),
// never a panic.
func TestCorrupt(t *testing.T) {
	cat := catalog(t)
	b, err := plancodec.Encode(plan(t, cat, shapes[0].sql+" union all "+strings.Replace(shapes[0].sql, "select id,", "select id + 1,", 1)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(b); i++ {
		if _, err := plancodec.Decode(b[:i], cat.Table); !errors.Is(err, plancodec.ErrCorrupt) {
			t.Fatalf("truncated to %d of %d bytes: %v", i, len(b), err)
		}
	}
	c := append([]byte(nil), b...)
	for i := range c {
		for _, x := range []byte{0, 1, 0x7f, 0x80, 0xff, c[i] ^ 0x40} {
			old := c[i]
			c[i] = x
			if n, err := plancodec.Decode(c, cat.Table); err == nil {
				_ = logical.Format(n)
			}
			c[i] = old
		}
	}
	if _, err := plancodec.Decode(append([]byte("BPL\x63"), b[4:]...), cat.Table); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("other version: %v", err)
	}
}

// TestOtherTable: a node whose table has other columns than the
// coordinator's refuses the plan instead of reading them as planned.
func TestOtherTable(t *testing.T) {
	cat := catalog(t)
	b, err := plancodec.Encode(plan(t, cat, "select n_name, n_comment from nation"))
	if err != nil {
		t.Fatal(err)
	}
	for code, other := range map[string]*storage.Table{
		sqlerr.UndefinedColumn: {Name: "nation", Columns: []storage.Column{{Name: "n_nationkey", Type: types.Int32T}}},
		sqlerr.DatatypeMismatch: {Name: "nation", Columns: []storage.Column{{Name: "n_nationkey", Type: types.Int32T},
			{Name: "n_name", Type: types.Int64T}, {Name: "n_regionkey", Type: types.Int32T}, {Name: "n_comment", Type: types.TextT}}},
	} {
		_, err := plancodec.Decode(b, func(string) (*storage.Table, bool) { return other, true })
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Code != code {
			t.Errorf("want SQLSTATE %s, got %v", code, err)
		}
	}
}
