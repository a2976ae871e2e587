package expr

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

func cast(e expr.Expr, t types.T) expr.Expr { return &expr.Cast{Arg: e, T: t} }

func TestCasts(t *testing.T) {
	cols := []col{
		{txt, []string{"42", " -7 ", "NULL", "abc"}},
		{types.NumericT(10, 2), []string{"2.50", "-2.50", "NULL", "3.49"}},
		{f8, []string{"2.5", "3.5", "NULL", "-0.5"}},
		{i8, []string{"3000000000", "1", "NULL", "0"}},
		{types.TimestampT, []string{"1998-12-01 04:05:06.5", "1970-01-01 00:00:00", "NULL", "0044-03-15 12:00:00 BC"}},
		{txt, []string{"1 year 2 mons", "-1 day", "NULL", "3 days 04:05:06"}},
		{f8, []string{"0.1", "1e20", "NULL", "1.25"}},
	}
	cases := []evalCase{
		{"text to int fails", func(t *testing.T) expr.Expr { return cast(ref(0, txt), i4) }, "ERR:22P02"},
		{"text to int", func(t *testing.T) expr.Expr {
			return &expr.Case{Whens: []expr.When{{Cond: binop(t, "<>", ref(0, txt), lit("abc", txt)), Result: cast(ref(0, txt), i4)}}, T: i4}
		}, "42,-7,NULL,NULL"},
		{"numeric to int rounds half away", func(t *testing.T) expr.Expr { return cast(ref(1, types.NumericT(10, 2)), i4) }, "3,-3,NULL,3"},
		{"float to int rounds half even", func(t *testing.T) expr.Expr { return cast(ref(2, f8), i4) }, "2,4,NULL,0"},
		{"bigint to int overflow", func(t *testing.T) expr.Expr { return cast(ref(3, i8), i4) }, "ERR:22003"},
		{"bigint to smallint overflow", func(t *testing.T) expr.Expr { return cast(ref(3, i8), i2) }, "ERR:22003"},
		{"int to numeric", func(t *testing.T) expr.Expr { return cast(ref(3, i8), types.NumericT(0, 2)) }, "3000000000.00,1.00,NULL,0.00"},
		{"numeric precision overflow", func(t *testing.T) expr.Expr { return cast(ref(3, i8), types.NumericT(5, 2)) }, "ERR:22003"},
		{"numeric rescale", func(t *testing.T) expr.Expr { return cast(ref(1, types.NumericT(10, 2)), types.NumericT(10, 1)) }, "2.5,-2.5,NULL,3.5"},
		{"numeric to float", func(t *testing.T) expr.Expr { return cast(ref(1, types.NumericT(10, 2)), f8) }, "2.5,-2.5,NULL,3.49"},
		{"float to numeric", func(t *testing.T) expr.Expr { return cast(ref(6, f8), types.NumericT(0, 3)) }, "0.100,100000000000000000000.000,NULL,1.250"},
		{"float to text", func(t *testing.T) expr.Expr { return cast(ref(6, f8), txt) }, "0.1,1e+20,NULL,1.25"},
		{"timestamp to text", func(t *testing.T) expr.Expr { return cast(ref(4, types.TimestampT), txt) }, "1998-12-01 04:05:06.5,1970-01-01 00:00:00,NULL,0044-03-15 12:00:00 BC"},
		{"timestamp to date", func(t *testing.T) expr.Expr { return cast(ref(4, types.TimestampT), dte) }, "1998-12-01,1970-01-01,NULL,0044-03-15 BC"},
		{"timestamp to time", func(t *testing.T) expr.Expr { return cast(ref(4, types.TimestampT), types.TimeT) }, "04:05:06.5,00:00:00,NULL,12:00:00"},
		{"timestamptz text", func(t *testing.T) expr.Expr { return cast(ref(4, types.TimestampT), types.TimestampTZT) }, "1998-12-01 04:05:06.5+00,1970-01-01 00:00:00+00,NULL,0044-03-15 12:00:00+00 BC"},
		{"text to interval", func(t *testing.T) expr.Expr { return cast(ref(5, txt), types.IntervalT) }, "1 year 2 mons,-1 days,NULL,3 days 04:05:06"},
		{"bool to int", func(t *testing.T) expr.Expr { return cast(lit(true, bl), i4) }, "1,1,1,1"},
		{"text to bool", func(t *testing.T) expr.Expr { return cast(lit("yes", types.UnknownT), bl) }, "t,t,t,t"},
		{"bad date literal", func(t *testing.T) expr.Expr { return cast(lit("1998-13-01", types.UnknownT), dte) }, "ERR:22008"},
		{"bytea", func(t *testing.T) expr.Expr { return cast(cast(lit(`\x0102ff`, types.UnknownT), types.ByteaT), txt) }, `\x0102ff,\x0102ff,\x0102ff,\x0102ff`},
	}
	runCases(t, cols, cases)
}

func TestDates(t *testing.T) {
	iv := types.IntervalT
	ts := types.TimestampT
	cols := []col{
		{dte, []string{"1998-12-01", "2000-01-31", "NULL", "2001-01-31"}},
		{ts, []string{"1998-12-01 10:30:00", "2000-02-29 23:59:59.999999", "NULL", "2001-01-31 00:00:00"}},
		{iv, []string{"1 month", "1 year", "NULL", "-1 day 02:00:00"}},
		{i4, []string{"90", "-1", "3", "NULL"}},
	}
	cases := []evalCase{
		{"date minus int", func(t *testing.T) expr.Expr { return binop(t, "-", ref(0, dte), lit(int64(90), i4)) }, "1998-09-02,1999-11-02,NULL,2000-11-02"},
		{"date plus col", func(t *testing.T) expr.Expr { return binop(t, "+", ref(0, dte), ref(3, i4)) }, "1999-03-01,2000-01-30,NULL,NULL"},
		{"int plus date", func(t *testing.T) expr.Expr { return binop(t, "+", ref(3, i4), ref(0, dte)) }, "1999-03-01,2000-01-30,NULL,NULL"},
		{"date minus date", func(t *testing.T) expr.Expr {
			return binop(t, "-", ref(0, dte), cast(lit("1998-01-01", types.UnknownT), dte))
		}, "334,760,NULL,1126"},
		{"date plus month clamps", func(t *testing.T) expr.Expr {
			return binop(t, "+", ref(0, dte), cast(lit("1 month", types.UnknownT), iv))
		}, "1999-01-01 00:00:00,2000-02-29 00:00:00,NULL,2001-02-28 00:00:00"},
		{"date minus interval unknown", func(t *testing.T) expr.Expr {
			return binop(t, "-", ref(0, dte), lit("3 months", types.UnknownT))
		}, "1998-09-01 00:00:00,1999-10-31 00:00:00,NULL,2000-10-31 00:00:00"},
		{"ts plus interval col", func(t *testing.T) expr.Expr { return binop(t, "+", ref(1, ts), ref(2, iv)) }, "1999-01-01 10:30:00,2001-02-28 23:59:59.999999,NULL,2001-01-30 02:00:00"},
		{"ts minus ts", func(t *testing.T) expr.Expr {
			return binop(t, "-", ref(1, ts), cast(lit("1998-11-30 00:00:00", types.UnknownT), ts))
		}, "1 day 10:30:00,456 days 23:59:59.999999,NULL,793 days"},
		{"interval times", func(t *testing.T) expr.Expr { return binop(t, "*", ref(2, iv), lit(1.5, f8)) }, "1 mon 15 days,1 year 6 mons,NULL,-1 days -09:00:00"},
		{"interval div zero", func(t *testing.T) expr.Expr { return binop(t, "/", ref(2, iv), lit(0.0, f8)) }, "ERR:22012"},
		{"interval compare", func(t *testing.T) expr.Expr {
			return binop(t, ">", ref(2, iv), cast(lit("30 days", types.UnknownT), iv))
		}, "f,t,NULL,f"},
		{"extract year", func(t *testing.T) expr.Expr { return fn(t, "extract", lit("year", txt), ref(0, dte)) }, "1998,2000,NULL,2001"},
		{"extract second", func(t *testing.T) expr.Expr { return fn(t, "extract", lit("second", txt), ref(1, ts)) }, "0.000000,59.999999,NULL,0.000000"},
		{"extract dow", func(t *testing.T) expr.Expr { return fn(t, "extract", lit("dow", txt), ref(0, dte)) }, "2,1,NULL,3"},
		{"extract epoch", func(t *testing.T) expr.Expr { return fn(t, "extract", lit("epoch", txt), ref(1, ts)) }, "912508200.000000,951868799.999999,NULL,980899200.000000"},
		{"extract hour from date fails", func(t *testing.T) expr.Expr {
			return call("extract", types.NumericT(0, 0), lit("hour", txt), ref(0, dte))
		}, "ERR:0A000"},
		{"extract interval month", func(t *testing.T) expr.Expr { return fn(t, "extract", lit("month", txt), ref(2, iv)) }, "1,0,NULL,0"},
		{"date_part", func(t *testing.T) expr.Expr { return fn(t, "date_part", lit("quarter", txt), ref(0, dte)) }, "4,1,NULL,1"},
		{"date_part week", func(t *testing.T) expr.Expr { return fn(t, "date_part", lit("week", txt), ref(0, dte)) }, "49,5,NULL,5"},
		{"date_trunc", func(t *testing.T) expr.Expr { return fn(t, "date_trunc", lit("month", txt), ref(1, ts)) }, "1998-12-01 00:00:00,2000-02-01 00:00:00,NULL,2001-01-01 00:00:00"},
		{"date_trunc week", func(t *testing.T) expr.Expr { return fn(t, "date_trunc", lit("week", txt), ref(1, ts)) }, "1998-11-30 00:00:00,2000-02-28 00:00:00,NULL,2001-01-29 00:00:00"},
		{"date_trunc date", func(t *testing.T) expr.Expr { return fn(t, "date_trunc", lit("year", txt), ref(0, dte)) }, "1998-01-01 00:00:00+00,2000-01-01 00:00:00+00,NULL,2001-01-01 00:00:00+00"},
		{"make_date", func(t *testing.T) expr.Expr {
			return fn(t, "make_date", lit(int64(2024), i4), lit(int64(2), i4), ref(3, i4))
		}, "ERR:22008"},
		{"make_date ok", func(t *testing.T) expr.Expr {
			return fn(t, "make_date", lit(int64(2024), i4), lit(int64(2), i4), lit(int64(29), i4))
		}, "2024-02-29,2024-02-29,2024-02-29,2024-02-29"},
	}
	runCases(t, cols, cases)
}

func TestStringsAndMath(t *testing.T) {
	cols := []col{
		{txt, []string{"hello world", "  pad  ", "NULL", "ÅngstrÖm"}},
		{i4, []string{"1", "3", "2", "-1"}},
		{types.NumericT(10, 3), []string{"2.345", "-2.345", "NULL", "0.005"}},
		{f8, []string{"2.5", "-2.5", "NULL", "16"}},
	}
	cases := []evalCase{
		{"upper", func(t *testing.T) expr.Expr { return fn(t, "upper", ref(0, txt)) }, "HELLO WORLD,  PAD  ,NULL,ÅNGSTRÖM"},
		{"length", func(t *testing.T) expr.Expr { return fn(t, "length", ref(0, txt)) }, "11,7,NULL,8"},
		{"octet_length", func(t *testing.T) expr.Expr { return fn(t, "octet_length", ref(0, txt)) }, "11,7,NULL,10"},
		{"substring", func(t *testing.T) expr.Expr { return fn(t, "substring", ref(0, txt), ref(1, i4), lit(int64(3), i4)) }, "hel,pad,NULL,Å"},
		{"substring from", func(t *testing.T) expr.Expr { return fn(t, "substr", ref(0, txt), lit(int64(7), i4)) }, "world, ,NULL,Öm"},
		{"substring negative", func(t *testing.T) expr.Expr {
			return fn(t, "substring", ref(0, txt), lit(int64(1), i4), lit(int64(-1), i4))
		}, "ERR:22011"},
		{"position", func(t *testing.T) expr.Expr { return fn(t, "strpos", ref(0, txt), lit("o", txt)) }, "5,0,NULL,0"},
		{"trim", func(t *testing.T) expr.Expr { return fn(t, "btrim", ref(0, txt)) }, "hello world,pad,NULL,ÅngstrÖm"},
		{"ltrim chars", func(t *testing.T) expr.Expr { return fn(t, "ltrim", ref(0, txt), lit("hel ", txt)) }, "o world,pad  ,NULL,ÅngstrÖm"},
		{"concat skips nulls", func(t *testing.T) expr.Expr {
			return fn(t, "concat", ref(0, txt), lit("|", txt), cast(ref(1, i4), txt))
		}, "hello world|1,  pad  |3,|2,ÅngstrÖm|-1"},
		{"concat_ws", func(t *testing.T) expr.Expr { return fn(t, "concat_ws", lit(",", txt), ref(0, txt), lit("x", txt)) }, "hello world,x,  pad  ,x,x,ÅngstrÖm,x"},
		{"pipes null", func(t *testing.T) expr.Expr { return binop(t, "||", ref(0, txt), cast(ref(1, i4), txt)) }, "hello world1,  pad  3,NULL,ÅngstrÖm-1"},
		{"left right", func(t *testing.T) expr.Expr {
			return binop(t, "||", fn(t, "left", ref(0, txt), lit(int64(2), i4)), fn(t, "right", ref(0, txt), lit(int64(-8), i4)))
		}, "herld,  ,NULL,Ån"},
		{"lpad", func(t *testing.T) expr.Expr { return fn(t, "lpad", lit("7", txt), ref(1, i4), lit("0", txt)) }, "7,007,07,"},
		{"replace", func(t *testing.T) expr.Expr { return fn(t, "replace", ref(0, txt), lit("l", txt), lit("L", txt)) }, "heLLo worLd,  pad  ,NULL,ÅngstrÖm"},
		{"split_part", func(t *testing.T) expr.Expr { return fn(t, "split_part", ref(0, txt), lit(" ", txt), ref(1, i4)) }, "hello,pad,NULL,ÅngstrÖm"},
		{"initcap reverse", func(t *testing.T) expr.Expr { return fn(t, "reverse", fn(t, "initcap", ref(0, txt))) }, "dlroW olleH,  daP  ,NULL,MÖrtsgNÅ"},
		{"starts_with", func(t *testing.T) expr.Expr { return fn(t, "starts_with", ref(0, txt), lit("he", txt)) }, "t,f,NULL,f"},
		{"md5", func(t *testing.T) expr.Expr { return fn(t, "md5", lit("abc", txt)) }, "900150983cd24fb0d6963f7d28e17f72,900150983cd24fb0d6963f7d28e17f72,900150983cd24fb0d6963f7d28e17f72,900150983cd24fb0d6963f7d28e17f72"},
		{"to_hex", func(t *testing.T) expr.Expr { return fn(t, "to_hex", ref(1, i4)) }, "1,3,2,ffffffff"},
		{"repeat", func(t *testing.T) expr.Expr { return fn(t, "repeat", lit("ab", txt), ref(1, i4)) }, "ab,ababab,abab,"},
		{"abs int", func(t *testing.T) expr.Expr { return fn(t, "abs", ref(1, i4)) }, "1,3,2,1"},
		{"round numeric", func(t *testing.T) expr.Expr { return fn(t, "round", ref(2, types.NumericT(10, 3)), lit(int64(2), i4)) }, "2.35,-2.35,NULL,0.01"},
		{"round numeric 0", func(t *testing.T) expr.Expr { return fn(t, "round", ref(2, types.NumericT(10, 3))) }, "2,-2,NULL,0"},
		{"trunc numeric", func(t *testing.T) expr.Expr { return fn(t, "trunc", ref(2, types.NumericT(10, 3)), lit(int64(1), i4)) }, "2.3,-2.3,NULL,0.0"},
		{"ceil floor numeric", func(t *testing.T) expr.Expr {
			return binop(t, "+", fn(t, "ceil", ref(2, types.NumericT(10, 3))), fn(t, "floor", ref(2, types.NumericT(10, 3))))
		}, "5,-5,NULL,1"},
		{"round float even", func(t *testing.T) expr.Expr { return fn(t, "round", ref(3, f8)) }, "2,-2,NULL,16"},
		{"sqrt", func(t *testing.T) expr.Expr { return fn(t, "sqrt", ref(3, f8)) }, "ERR:2201F"},
		{"power", func(t *testing.T) expr.Expr { return fn(t, "power", ref(3, f8), lit(int64(2), i4)) }, "6.25,6.25,NULL,256"},
		{"ln zero", func(t *testing.T) expr.Expr { return fn(t, "ln", lit(0.0, f8)) }, "ERR:2201E"},
		{"mod", func(t *testing.T) expr.Expr { return fn(t, "mod", ref(1, i4), lit(int64(2), i4)) }, "1,1,0,-1"},
		{"sign numeric", func(t *testing.T) expr.Expr { return fn(t, "sign", ref(2, types.NumericT(10, 3))) }, "1,-1,NULL,1"},
	}
	runCases(t, cols, cases)
}

func TestFoldAndFilter(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	e := binop(t, "+", ref(0, i4), binop(t, "*", lit(int64(2), i4), lit(int64(3), i4)))
	f, err := Fold(e)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := f.(*expr.Call).Args[1].(*expr.Const)
	if !ok || c.Value != int64(6) {
		t.Fatalf("folded to %s", f)
	}
	// A constant that fails stays unfolded: it raises only if evaluated.
	z, err := Fold(binop(t, "/", lit(int64(1), i4), lit(int64(0), i4)))
	if err != nil {
		t.Fatalf("1/0 folded with %v", err)
	}
	if _, isConst := z.(*expr.Const); isConst {
		t.Fatalf("1/0 folded to a constant")
	}
	// A scalar over an array-typed constant (which Const cannot hold)
	// folds whole: generate_series in FROM needs such bounds as constants.
	arrT := types.ArrayOf(types.TextT)
	au, err := Fold(call("array_upper", i4, cast(lit("{a,b,c}", types.TextT), arrT), lit(int64(1), i4)))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := au.(*expr.Const); !ok || c.Value != int64(3) {
		t.Fatalf("array_upper of a constant array folded to %s", au)
	}
	// So does a CASE whose unreached branch fails.
	cs, err := Fold(&expr.Case{Whens: []expr.When{{Cond: lit(false, types.BoolT), Result: binop(t, "/", lit(int64(1), i4), lit(int64(0), i4))}}, Else: lit(int64(2), i4), T: i4})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := cs.(*expr.Const); !ok || c.Value != int64(2) {
		t.Fatalf("CASE WHEN false THEN 1/0 ELSE 2 folded to %s", cs)
	}
	// A column anywhere below keeps the expression.
	if _, ok := mustFold(t, call("array_upper", i4, cast(ref(0, types.TextT), arrT), lit(int64(1), i4))).(*expr.Const); ok {
		t.Fatal("array_upper of a column folded")
	}
	d, err := Fold(cast(lit("1998-12-01", types.UnknownT), dte))
	if err != nil || d.(*expr.Const).Value != int32(10561) {
		t.Fatalf("date literal folded to %v, %v", d, err)
	}

	b := mkBatch(t, alloc, col{i4, []string{"1", "2", "NULL", "4", "5"}}, col{txt, []string{"a", "b", "c", "d", "NULL"}})
	defer b.Release()
	ev, err := Compile(binop(t, ">", ref(0, i4), lit(int64(1), i4)))
	if err != nil {
		t.Fatal(err)
	}
	mask, err := ev.Eval(context.Background(), b, alloc)
	if err != nil {
		t.Fatal(err)
	}
	defer mask.Release()
	out, err := Filter(context.Background(), b, mask, alloc)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	if out.NumRows() != 3 {
		t.Fatalf("filtered %d rows, want 3", out.NumRows())
	}
	if got := out.Column(1).(*array.String).Value(1); got != "d" {
		t.Fatalf("row 1 col 1 = %q", got)
	}
	// An empty batch evaluates to an empty result.
	empty := mkBatch(t, alloc, col{i4, nil}, col{txt, nil})
	defer empty.Release()
	r, err := ev.Eval(context.Background(), empty, alloc)
	if err != nil || r.Len() != 0 {
		t.Fatalf("empty batch: %v, %v", r, err)
	}
	r.Release()
}

func TestCompileRejects(t *testing.T) {
	if _, err := Compile(&expr.OuterRef{Depth: 1, Idx: 0, T: i4}); err == nil {
		t.Fatal("OuterRef compiled")
	}
	if _, err := Compile(&expr.Param{N: 1, T: i4}); err == nil {
		t.Fatal("Param compiled")
	}
	if _, err := Compile(call("no_such_fn", i4, lit(int64(1), i4))); err == nil {
		t.Fatal("unknown function compiled")
	}
}

// benchBatch makes n rows of an int64 column and a numeric(15,2) column.
func benchBatch(n int) arrow.RecordBatch {
	alloc := memory.DefaultAllocator
	ib := array.NewInt64Builder(alloc)
	db := array.NewDecimal128Builder(alloc, &arrow.Decimal128Type{Precision: 38, Scale: 2})
	for i := 0; i < n; i++ {
		ib.Append(int64(i % 1000))
		db.Append(decFromInt(int64(i % 100000)))
	}
	ia, da := ib.NewArray(), db.NewArray()
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: ia.DataType()}, {Name: "b", Type: da.DataType()}}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{ia, da}, int64(n))
}

func BenchmarkCompareConst(b *testing.B) {
	const n = 1 << 20
	batch := benchBatch(n)
	ev, err := Compile(&expr.Call{Fn: "<", Args: []expr.Expr{ref(0, i8), lit(int64(500), i8)}, T: bl})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n * 8)
	b.ReportAllocs()
	for b.Loop() {
		out, err := ev.Eval(context.Background(), batch, memory.DefaultAllocator)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
}

func BenchmarkNumericArith(b *testing.B) {
	const n = 1 << 20
	batch := benchBatch(n)
	nt := types.NumericT(0, 2)
	// b * (1 - 0.05): TPC-H's discounted price.
	e := &expr.Call{Fn: "*", T: types.NumericT(0, 4), Args: []expr.Expr{
		ref(1, nt),
		&expr.Call{Fn: "-", T: nt, Args: []expr.Expr{num("1.00", 2), num("0.05", 2)}},
	}}
	ev, err := Compile(e)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n * 16)
	b.ReportAllocs()
	for b.Loop() {
		out, err := ev.Eval(context.Background(), batch, memory.DefaultAllocator)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
}

func decFromInt(v int64) decimalNum {
	d, _ := decMul(decimal128.FromI64(v), pow10Num[0])
	return d
}

func TestNumericScalesAligned(t *testing.T) {
	cols := []col{{types.NumericT(15, 2), []string{"1.50", "2.00", "NULL"}}}
	runCases(t, cols, []evalCase{
		{"compare mixed scales", func(t *testing.T) expr.Expr {
			return call("=", bl, ref(0, types.NumericT(15, 2)), num("1.5", 1))
		}, "t,f,NULL"},
		{"in mixed scales", func(t *testing.T) expr.Expr {
			return &expr.InList{Arg: ref(0, types.NumericT(15, 2)), List: []expr.Expr{num("2", 0), num("7.125", 3)}}
		}, "f,t,NULL"},
		{"add mixed scales", func(t *testing.T) expr.Expr {
			return call("+", types.NumericT(0, 3), ref(0, types.NumericT(15, 2)), num("0.001", 3))
		}, "1.501,2.001,NULL"},
	})
}

// Kernels must honour array offsets: operators hand them sliced batches.
func TestSlicedBatch(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	full := mkBatch(t, alloc,
		col{i4, []string{"1", "NULL", "3", "4", "5", "NULL", "7", "8", "9", "10", "11"}},
		col{bl, []string{"t", "f", "NULL", "t", "f", "t", "NULL", "t", "f", "t", "t"}},
		col{txt, []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}})
	defer full.Release()
	b := full.NewSlice(3, 11)
	defer b.Release()
	e := call("or", bl,
		call("and", bl, binop(t, ">", ref(0, i4), lit(int64(4), i4)), ref(1, bl)),
		binop(t, "=", ref(2, txt), lit("d", txt)))
	got, err := evalStrings(t, alloc, e, b)
	if err != nil {
		t.Fatal(err)
	}
	// rows: 4/t/d, 5/f/e, NULL/t/f, 7/NULL/g, 8/t/h, 9/f/i, 10/t/j, 11/t/k
	want := "t,f,NULL,NULL,t,f,t,t"
	if g := strings.Join(got, ","); g != want {
		t.Fatalf("got %s want %s", g, want)
	}
	got, err = evalStrings(t, alloc, binop(t, "*", ref(0, i4), lit(int64(2), i4)), b)
	if err != nil || strings.Join(got, ",") != "8,10,NULL,14,16,18,20,22" {
		t.Fatalf("arith on slice: %v %v", got, err)
	}
}

func mustFold(t *testing.T, e expr.Expr) expr.Expr {
	t.Helper()
	f, err := Fold(e)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
