package expr

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// col describes a test column: its type and its values as PostgreSQL text
// ("NULL" for NULL), parsed with pgtext so tests read like SQL.
type col struct {
	t    types.T
	vals []string
}

func mkBatch(t *testing.T, alloc memory.Allocator, cols ...col) arrow.RecordBatch {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	n := 0
	for i, c := range cols {
		fields[i] = arrow.Field{Name: string(rune('a' + i)), Type: c.t.Arrow(), Nullable: true}
		b := array.NewStringBuilder(alloc)
		for _, v := range c.vals {
			if v == "NULL" {
				b.AppendNull()
			} else {
				b.Append(v)
			}
		}
		s := b.NewArray()
		b.Release()
		ec := &evalCtx{ctx: context.Background(), alloc: alloc}
		a, err := castArray(ec, s, types.TextT, c.t)
		s.Release()
		if err != nil {
			t.Fatalf("building column %d: %v", i, err)
		}
		arrs[i] = a
		n = len(c.vals)
	}
	rb := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(n))
	releaseAll(arrs)
	return rb
}

func ref(i int, t types.T) *expr.ColRef { return &expr.ColRef{Idx: i, T: t} }

func lit(v any, t types.T) *expr.Const { return &expr.Const{Value: v, T: t} }

func num(s string, scale int32) *expr.Const {
	v, err := pgtext.ParseNumeric(s, scale)
	if err != nil {
		panic(err)
	}
	return &expr.Const{Value: v, T: types.NumericT(0, scale)}
}

func call(fn string, t types.T, args ...expr.Expr) *expr.Call {
	return &expr.Call{Fn: fn, Args: args, T: t}
}

// binop builds l op r through the catalog, inserting the casts it asks for,
// as the binder does.
func binop(t *testing.T, op string, l, r expr.Expr) expr.Expr {
	t.Helper()
	lt, rt, ret, err := expr.ResolveBinary(op, l.Type(), r.Type())
	if err != nil {
		t.Fatalf("resolve %s %s %s: %v", l.Type(), op, r.Type(), err)
	}
	return &expr.Call{Fn: op, Args: []expr.Expr{castTo(l, lt), castTo(r, rt)}, T: ret}
}

func fn(t *testing.T, name string, args ...expr.Expr) expr.Expr {
	t.Helper()
	ats, ret, err := expr.ResolveCall(name, args)
	if err != nil {
		t.Fatalf("resolve %s: %v", name, err)
	}
	cast := make([]expr.Expr, len(args))
	for i, a := range args {
		cast[i] = castTo(a, ats[i])
	}
	return &expr.Call{Fn: name, Args: cast, T: ret}
}

func castTo(e expr.Expr, t types.T) expr.Expr {
	if e.Type().Equal(t) && !(t.Kind == types.Numeric && t.Precision != e.Type().Precision && t.Precision != 0) {
		return e
	}
	return &expr.Cast{Arg: e, T: t}
}

// evalStrings evaluates e over b and renders the result as text.
func evalStrings(t *testing.T, alloc memory.Allocator, e expr.Expr, b arrow.RecordBatch) ([]string, error) {
	t.Helper()
	ev, err := Compile(e)
	if err != nil {
		return nil, err
	}
	out, err := ev.Eval(context.Background(), b, alloc)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	if !arrow.TypeEqual(out.DataType(), ev.Type().Arrow()) {
		t.Fatalf("%s: result type %s, want %s", e, out.DataType(), ev.Type().Arrow())
	}
	res := make([]string, out.Len())
	for i := range res {
		s, null := pgtext.Format(out, i, ev.Type())
		if null {
			s = "NULL"
		}
		res[i] = s
	}
	return res, nil
}

type evalCase struct {
	name string
	e    func(t *testing.T) expr.Expr
	want string // comma-separated expected text, or "ERR:<sqlstate>"
}

func runCases(t *testing.T, cols []col, cases []evalCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer alloc.AssertSize(t, 0)
			b := mkBatch(t, alloc, cols...)
			defer b.Release()
			got, err := evalStrings(t, alloc, c.e(t), b)
			if strings.HasPrefix(c.want, "ERR:") {
				if err == nil {
					t.Fatalf("got %v, want error %s", got, c.want)
				}
				if code := sqlerr.Code(err); code != c.want[4:] {
					t.Fatalf("error %q has SQLSTATE %s, want %s", err, code, c.want[4:])
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if g := strings.Join(got, ","); g != c.want {
				t.Fatalf("got  %s\nwant %s", g, c.want)
			}
		})
	}
}

var (
	i4  = types.Int32T
	i8  = types.Int64T
	i2  = types.Int16T
	f8  = types.Float64T
	txt = types.TextT
	bl  = types.BoolT
	dte = types.DateT
)

func TestArithmetic(t *testing.T) {
	cols := []col{
		{i4, []string{"7", "-7", "NULL", "2147483647", "0"}},
		{i4, []string{"2", "2", "3", "1", "5"}},
		{types.NumericT(15, 2), []string{"10.50", "-3.25", "NULL", "0.01", "1.00"}},
		{f8, []string{"1.5", "NaN", "2", "-0.5", "1e300"}},
		{i8, []string{"9223372036854775807", "1", "2", "3", "4"}},
		{i2, []string{"32767", "1", "NULL", "-32768", "2"}},
	}
	rows := func(s string) string { return s }
	cases := []evalCase{
		{"int add const", func(t *testing.T) expr.Expr { return binop(t, "+", ref(1, i4), lit(int64(1), i4)) }, rows("3,3,4,2,6")},
		{"int div truncates", func(t *testing.T) expr.Expr { return binop(t, "/", ref(0, i4), ref(1, i4)) }, "3,-3,NULL,2147483647,0"},
		{"int mod", func(t *testing.T) expr.Expr { return binop(t, "%", ref(0, i4), ref(1, i4)) }, "1,-1,NULL,0,0"},
		{"int overflow", func(t *testing.T) expr.Expr { return binop(t, "+", ref(0, i4), ref(1, i4)) }, "ERR:22003"},
		{"int mul overflow", func(t *testing.T) expr.Expr { return binop(t, "*", ref(0, i4), lit(int64(2), i4)) }, "ERR:22003"},
		{"bigint overflow", func(t *testing.T) expr.Expr { return binop(t, "*", ref(4, i8), lit(int64(2), i8)) }, "ERR:22003"},
		{"smallint overflow", func(t *testing.T) expr.Expr { return binop(t, "+", ref(5, i2), ref(5, i2)) }, "ERR:22003"},
		{"div by zero", func(t *testing.T) expr.Expr { return binop(t, "/", ref(1, i4), ref(0, i4)) }, "ERR:22012"},
		{"mod by zero", func(t *testing.T) expr.Expr { return binop(t, "%", ref(1, i4), lit(int64(0), i4)) }, "ERR:22012"},
		{"int mixed widths", func(t *testing.T) expr.Expr { return binop(t, "+", ref(5, i2), ref(1, i4)) }, "32769,3,NULL,-32767,7"},
		{"numeric add int", func(t *testing.T) expr.Expr { return binop(t, "+", ref(2, types.NumericT(15, 2)), ref(1, i4)) }, "12.50,-1.25,NULL,1.01,6.00"},
		{"numeric mul", func(t *testing.T) expr.Expr {
			return binop(t, "*", ref(2, types.NumericT(15, 2)), binop(t, "-", lit(int64(1), i4), num("0.05", 2)))
		}, "9.9750,-3.0875,NULL,0.0095,0.9500"},
		{"numeric div", func(t *testing.T) expr.Expr { return binop(t, "/", num("1.0", 1), ref(1, i4)) }, "0.5000000000000000,0.5000000000000000,0.3333333333333333,1.0000000000000000,0.2000000000000000"},
		{"numeric div rounding", func(t *testing.T) expr.Expr { return binop(t, "/", ref(2, types.NumericT(15, 2)), lit(int64(3), i4)) }, "3.5000000000000000,-1.0833333333333333,NULL,0.0033333333333333,0.3333333333333333"},
		{"numeric div zero", func(t *testing.T) expr.Expr { return binop(t, "/", ref(2, types.NumericT(15, 2)), ref(0, i4)) }, "ERR:22012"},
		{"numeric overflow", func(t *testing.T) expr.Expr {
			big := num("99999999999999999999999999999999999", 0)
			return binop(t, "*", big, binop(t, "*", big, ref(1, i4)))
		}, "ERR:22003"},
		{"float ops", func(t *testing.T) expr.Expr { return binop(t, "*", ref(3, f8), ref(1, i4)) }, "3,NaN,6,-0.5,5e+300"},
		{"float overflow", func(t *testing.T) expr.Expr { return binop(t, "*", ref(3, f8), lit(1e300, f8)) }, "ERR:22003"},
		{"float div zero", func(t *testing.T) expr.Expr { return binop(t, "/", ref(3, f8), lit(0.0, f8)) }, "ERR:22012"},
		{"neg", func(t *testing.T) expr.Expr { return call("neg", i4, ref(0, i4)) }, "-7,7,NULL,-2147483647,0"},
		{"neg numeric", func(t *testing.T) expr.Expr { return call("neg", types.NumericT(0, 2), ref(2, types.NumericT(15, 2))) }, "-10.50,3.25,NULL,-0.01,-1.00"},
		{"null const", func(t *testing.T) expr.Expr { return binop(t, "+", ref(0, i4), lit(nil, i4)) }, "NULL,NULL,NULL,NULL,NULL"},
	}
	runCases(t, cols, cases)
}

func TestNullRowsDoNotRaise(t *testing.T) {
	// Division by a zero that sits in a NULL row must not fail.
	cols := []col{{i4, []string{"1", "NULL"}}, {i4, []string{"1", "0"}}}
	runCases(t, cols, []evalCase{
		{"null row", func(t *testing.T) expr.Expr { return binop(t, "/", ref(1, i4), ref(0, i4)) }, "1,NULL"},
	})
}

func TestComparisons(t *testing.T) {
	cols := []col{
		{i4, []string{"1", "2", "NULL", "4"}},
		{i4, []string{"1", "3", "3", "NULL"}},
		{txt, []string{"apple", "banana", "NULL", "cherry"}},
		{types.NumericT(15, 2), []string{"0.05", "0.06", "0.07", "NULL"}},
		{dte, []string{"1998-12-01", "1994-01-01", "1995-06-17", "NULL"}},
		{f8, []string{"NaN", "1", "2", "NULL"}},
		{i8, []string{"1", "5", "NULL", "4"}},
	}
	cases := []evalCase{
		{"eq", func(t *testing.T) expr.Expr { return binop(t, "=", ref(0, i4), ref(1, i4)) }, "t,f,NULL,NULL"},
		{"lt const", func(t *testing.T) expr.Expr { return binop(t, "<", ref(0, i4), lit(int64(2), i4)) }, "t,f,NULL,f"},
		{"const ge col", func(t *testing.T) expr.Expr { return binop(t, ">=", lit(int64(2), i4), ref(0, i4)) }, "t,t,NULL,f"},
		{"int4 vs int8", func(t *testing.T) expr.Expr { return binop(t, "<>", ref(0, i4), ref(6, i8)) }, "f,t,NULL,f"},
		{"text", func(t *testing.T) expr.Expr { return binop(t, ">", ref(2, txt), lit("b", types.UnknownT)) }, "f,t,NULL,t"},
		{"numeric between", func(t *testing.T) expr.Expr {
			return call("and", bl, binop(t, ">=", ref(3, types.NumericT(15, 2)), num("0.05", 2)), binop(t, "<=", ref(3, types.NumericT(15, 2)), num("0.06", 2)))
		}, "t,t,f,NULL"},
		{"numeric vs int", func(t *testing.T) expr.Expr { return binop(t, "<", ref(3, types.NumericT(15, 2)), lit(int64(1), i4)) }, "t,t,t,NULL"},
		{"date const", func(t *testing.T) expr.Expr { return binop(t, "<", ref(4, dte), lit(int32(9131), dte)) }, "f,t,f,NULL"},
		{"date vs string", func(t *testing.T) expr.Expr {
			return binop(t, ">=", ref(4, dte), &expr.Cast{Arg: lit("1995-01-01", types.UnknownT), T: dte})
		}, "t,f,t,NULL"},
		{"float NaN equals NaN", func(t *testing.T) expr.Expr { return binop(t, "=", ref(5, f8), lit(nanF(), f8)) }, "t,f,f,NULL"},
		{"NaN greatest", func(t *testing.T) expr.Expr { return binop(t, ">", ref(5, f8), lit(1e300, f8)) }, "t,f,f,NULL"},
		{"is distinct", func(t *testing.T) expr.Expr { return binop(t, "is distinct from", ref(0, i4), ref(1, i4)) }, "f,t,t,t"},
		{"is not distinct", func(t *testing.T) expr.Expr { return binop(t, "is not distinct from", ref(0, i4), lit(nil, i4)) }, "f,f,t,f"},
		{"in list", func(t *testing.T) expr.Expr {
			return &expr.InList{Arg: ref(2, txt), List: []expr.Expr{lit("apple", txt), lit("cherry", txt)}}
		}, "t,f,NULL,t"},
		{"not in with null", func(t *testing.T) expr.Expr {
			return &expr.InList{Arg: ref(0, i4), List: []expr.Expr{lit(int64(1), i4), lit(nil, i4)}, Negated: true}
		}, "f,NULL,NULL,NULL"},
		{"in columns", func(t *testing.T) expr.Expr {
			return &expr.InList{Arg: ref(0, i4), List: []expr.Expr{ref(1, i4), lit(int64(4), i4)}}
		}, "t,f,NULL,t"},
	}
	runCases(t, cols, cases)
}

func TestLogic(t *testing.T) {
	cols := []col{
		{bl, []string{"t", "t", "t", "f", "f", "f", "NULL", "NULL", "NULL"}},
		{bl, []string{"t", "f", "NULL", "t", "f", "NULL", "t", "f", "NULL"}},
		{i4, []string{"1", "0", "2", "0", "5", "0", "1", "1", "0"}},
	}
	cases := []evalCase{
		{"and", func(t *testing.T) expr.Expr { return call("and", bl, ref(0, bl), ref(1, bl)) }, "t,f,NULL,f,f,f,NULL,f,NULL"},
		{"or", func(t *testing.T) expr.Expr { return call("or", bl, ref(0, bl), ref(1, bl)) }, "t,t,t,t,f,NULL,t,NULL,NULL"},
		{"not", func(t *testing.T) expr.Expr { return call("not", bl, ref(0, bl)) }, "f,f,f,t,t,t,NULL,NULL,NULL"},
		{"is null", func(t *testing.T) expr.Expr { return call("is null", bl, ref(1, bl)) }, "f,f,t,f,f,t,f,f,t"},
		{"is not true", func(t *testing.T) expr.Expr { return call("is not true", bl, ref(1, bl)) }, "f,t,t,f,t,t,f,t,t"},
		{"is false", func(t *testing.T) expr.Expr { return call("is false", bl, ref(1, bl)) }, "f,t,f,f,t,f,f,t,f"},
		{"and guards division", func(t *testing.T) expr.Expr {
			return call("and", bl, binop(t, "<>", ref(2, i4), lit(int64(0), i4)), binop(t, ">", binop(t, "/", lit(int64(10), i4), ref(2, i4)), lit(int64(2), i4)))
		}, "t,f,t,f,f,f,t,t,f"},
		{"or guards division", func(t *testing.T) expr.Expr {
			return call("or", bl, binop(t, "=", ref(2, i4), lit(int64(0), i4)), binop(t, ">", binop(t, "/", lit(int64(10), i4), ref(2, i4)), lit(int64(2), i4)))
		}, "t,t,t,t,f,t,t,t,t"},
	}
	runCases(t, cols, cases)
}

func TestCaseCoalesce(t *testing.T) {
	cols := []col{
		{i4, []string{"10", "20", "30", "NULL", "50"}},
		{i4, []string{"2", "0", "NULL", "1", "0"}},
		{txt, []string{"a", "NULL", "c", "NULL", "e"}},
	}
	cases := []evalCase{
		{"guarded division", func(t *testing.T) expr.Expr {
			return &expr.Case{Whens: []expr.When{{Cond: binop(t, "<>", ref(1, i4), lit(int64(0), i4)), Result: binop(t, "/", ref(0, i4), ref(1, i4))}}, T: i4}
		}, "5,NULL,NULL,NULL,NULL"},
		{"else", func(t *testing.T) expr.Expr {
			return &expr.Case{Whens: []expr.When{
				{Cond: binop(t, ">", ref(0, i4), lit(int64(25), i4)), Result: lit("big", txt)},
				{Cond: binop(t, ">", ref(0, i4), lit(int64(15), i4)), Result: lit("mid", txt)},
			}, Else: ref(2, txt), T: txt}
		}, "a,mid,big,NULL,big"},
		{"all rows first branch", func(t *testing.T) expr.Expr {
			return &expr.Case{Whens: []expr.When{{Cond: lit(true, bl), Result: ref(0, i4)}}, T: i4}
		}, "10,20,30,NULL,50"},
		{"unguarded division fails", func(t *testing.T) expr.Expr {
			return &expr.Case{Whens: []expr.When{{Cond: binop(t, ">", ref(0, i4), lit(int64(0), i4)), Result: binop(t, "/", ref(0, i4), ref(1, i4))}}, T: i4}
		}, "ERR:22012"},
		{"coalesce", func(t *testing.T) expr.Expr { return fn(t, "coalesce", ref(2, txt), lit("z", types.UnknownT)) }, "a,z,c,z,e"},
		{"coalesce lazy", func(t *testing.T) expr.Expr {
			return fn(t, "coalesce", ref(1, i4), binop(t, "/", lit(int64(1), i4), lit(int64(0), i4)))
		}, "ERR:22012"},
		{"coalesce skips", func(t *testing.T) expr.Expr {
			// The division only runs for the row where b is NULL (c = 30).
			return fn(t, "coalesce", ref(1, i4), binop(t, "/", ref(0, i4), lit(int64(10), i4)))
		}, "2,0,3,1,0"},
		{"nullif", func(t *testing.T) expr.Expr { return fn(t, "nullif", ref(1, i4), lit(int64(0), i4)) }, "2,NULL,NULL,1,NULL"},
		{"greatest", func(t *testing.T) expr.Expr { return fn(t, "greatest", ref(0, i4), ref(1, i4), lit(int64(25), i4)) }, "25,25,30,25,50"},
		{"least", func(t *testing.T) expr.Expr { return fn(t, "least", ref(0, i4), ref(1, i4)) }, "2,0,30,1,0"},
	}
	runCases(t, cols, cases)
}

func TestLike(t *testing.T) {
	cols := []col{{txt, []string{"PROMO BRUSHED", "forest green", "NULL", "a_b%c", "Special requests"}}}
	like := func(op, pat string) func(t *testing.T) expr.Expr {
		return func(t *testing.T) expr.Expr { return binop(t, op, ref(0, txt), lit(pat, txt)) }
	}
	cases := []evalCase{
		{"prefix", like("like", "PROMO%"), "t,f,NULL,f,f"},
		{"suffix", like("like", "%green"), "f,t,NULL,f,f"},
		{"contains", like("like", "%re%"), "f,t,NULL,f,t"},
		{"prefix suffix", like("like", "S%s"), "f,f,NULL,f,t"},
		{"underscore", like("like", "forest_gree_"), "f,t,NULL,f,f"},
		{"general", like("like", "%e_%t%"), "f,t,NULL,f,t"},
		{"escape", like("like", `a\_b\%c`), "f,f,NULL,t,f"},
		{"exact", like("like", "a_b%c"), "f,f,NULL,t,f"},
		{"not like", like("not like", "%green"), "t,f,NULL,t,t"},
		{"ilike", like("ilike", "promo%"), "t,f,NULL,f,f"},
		{"ilike general", like("ilike", "%SPEC_AL%"), "f,f,NULL,f,t"},
		{"percent only", like("like", "%"), "t,t,NULL,t,t"},
		// '%'-only patterns with several literal runs take the segment path.
		{"segments", like("like", "%e%re%"), "f,t,NULL,f,t"},
		{"segments order", like("like", "%re%e%"), "f,t,NULL,f,t"},
		{"segments missing", like("like", "%green%forest%"), "f,f,NULL,f,f"},
		{"segments anchored", like("like", "S%ia%s"), "f,f,NULL,f,t"},
		{"segments overlap", like("like", "f%est%n"), "f,t,NULL,f,f"},
		{"segments no overlap", like("like", "fore%rest%"), "f,f,NULL,f,f"},
		{"not like segments", like("not like", "%special%requests%"), "t,t,NULL,t,t"},
		{"ilike segments", like("ilike", "%SPECIAL%REQUESTS%"), "f,f,NULL,f,t"},
		{"dangling escape", like("like", `abc\`), "ERR:22025"},
		{"explicit escape", func(t *testing.T) expr.Expr {
			return call("like", bl, ref(0, txt), lit("a#_b#%c", txt), lit("#", txt))
		}, "f,f,NULL,t,f"},
	}
	runCases(t, cols, cases)
}

func nanF() float64 {
	z := 0.0
	return z / z
}
