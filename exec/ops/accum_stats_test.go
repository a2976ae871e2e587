package ops

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// statsAggs are var/stddev (exact for int and numeric, float for float)
// and bool_and/bool_or over x (column 1) and x > 2 (column 2).
func statsAggs(x types.T) []AggSpec {
	res := types.Float64T
	if !x.IsFloat() {
		res = types.NumericT(0, StatsScale(x.Scale))
	}
	var out []AggSpec
	for _, fn := range []AggFunc{AggVarSamp, AggVarPop, AggStddevSamp, AggStddevPop} {
		out = append(out, AggSpec{Fn: fn, Arg: 1, Result: res})
	}
	return append(out,
		AggSpec{Fn: AggBoolAnd, Arg: 2, Result: types.BoolT},
		AggSpec{Fn: AggBoolOr, Arg: 2, Result: types.BoolT})
}

// statsBatch builds (g int4, x, x > 2) rows; x values are decimal strings
// or "" for NULL.
func statsBatch(t *testing.T, alloc memory.Allocator, xt types.T, g []int32, xs []string) arrow.RecordBatch {
	t.Helper()
	schema := schemaOf(arrow.PrimitiveTypes.Int32, xt.Arrow(), arrow.FixedWidthTypes.Boolean)
	gb := array.NewInt32Builder(alloc)
	defer gb.Release()
	gb.AppendValues(g, nil)
	xb := array.NewBuilder(alloc, xt.Arrow())
	defer xb.Release()
	bb := array.NewBooleanBuilder(alloc)
	defer bb.Release()
	for _, s := range xs {
		if s == "" {
			xb.AppendNull()
			bb.AppendNull()
			continue
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("bad value %q", s)
		}
		bb.Append(r.Cmp(big.NewRat(2, 1)) > 0)
		f, _ := r.Float64()
		switch b := xb.(type) {
		case *array.Int16Builder:
			b.Append(int16(r.Num().Int64()))
		case *array.Int32Builder:
			b.Append(int32(r.Num().Int64()))
		case *array.Int64Builder:
			b.Append(r.Num().Int64())
		case *array.Float32Builder:
			b.Append(float32(f))
		case *array.Float64Builder:
			b.Append(f)
		case *array.Decimal128Builder:
			n, err := decimal128.FromString(s, 38, xt.Scale)
			if err != nil {
				t.Fatal(err)
			}
			b.Append(n)
		}
	}
	cols := []arrow.Array{gb.NewArray(), xb.NewArray(), bb.NewArray()}
	return newBatch(schema, cols, len(g))
}

// runAgg runs a Single aggregate and a two-phase one (one Partial per
// batch, gathered, then Final) and returns both results, sorted.
func runAgg(t *testing.T, alloc memory.Allocator, batches []arrow.RecordBatch, groupCols []int, aggs []AggSpec) (single, twoPhase []string, err error) {
	t.Helper()
	schema := batches[0].Schema()
	agg, err := NewHashAggregate(newSource(schema, batches...), groupCols, aggs, AggSingle, nil, nil, alloc)
	if err != nil {
		t.Fatal(err)
	}
	single, err = collectPG(agg)
	if err != nil {
		return nil, nil, err
	}
	var partials []exec.Operator
	for _, b := range batches {
		pa, err := NewHashAggregate(newSource(schema, b), groupCols, aggs, AggPartial, nil, nil, alloc)
		if err != nil {
			t.Fatal(err)
		}
		partials = append(partials, pa)
	}
	final, err := NewHashAggregate(NewGather(partials...), groupCols, aggs, AggFinal, nil, nil, alloc)
	if err != nil {
		t.Fatal(err)
	}
	twoPhase, err = collectPG(final)
	return sorted(single), sorted(twoPhase), err
}

// Expected values below come from PostgreSQL 15 (see each comment for the
// query shape); numeric results are PostgreSQL's exact value rounded to
// StatsScale, because a Basalt column has one scale where PostgreSQL picks
// one per value.
func TestStatsAggregatesPostgres(t *testing.T) {
	alloc := checked(t)
	// with t(g,x) as (values (1,1),(1,2),(1,3),(1,4),(2,5),(2,NULL),(3,NULL),
	//   (4,7),(4,7),(5,-3),(5,10),(5,1000000),(5,-2147483648))
	// select g, var_samp(x), var_pop(x), stddev_samp(x), stddev_pop(x),
	//   bool_and(x>2), bool_or(x>2) from t group by g
	g := []int32{1, 1, 1, 1, 2, 2, 3, 4, 4, 5, 5, 5, 5}
	xs := []string{"1", "2", "3", "4", "5", "", "", "7", "7", "-3", "10", "1000000", "-2147483648"}
	exact := []string{
		"1|1.6666666666666667|1.2500000000000000|1.2909944487358056|1.1180339887498948|false|true",
		"2|NULL|0.0000000000000000|NULL|0.0000000000000000|true|true",
		"3|NULL|NULL|NULL|NULL|NULL|NULL",
		"4|0.0000000000000000|0.0000000000000000|0.0000000000000000|0.0000000000000000|true|true",
		"5|1153279671052411264.2500000000000000|864959753289308448.1875000000000000|1073908595.2968303085244847|930032124.8695167778051076|false|true",
	}
	// The same over x::float8 (PostgreSQL prints shortest round-trip floats).
	float := []string{
		"1|1.6666666666666667|1.25|1.2909944487358056|1.118033988749895|false|true",
		"2|NULL|0|NULL|0|true|true",
		"3|NULL|NULL|NULL|NULL|NULL|NULL",
		"4|0|0|0|0|true|true",
		"5|1.1532796710524111e+18|8.649597532893084e+17|1073908595.2968302|930032124.8695167|false|true",
	}
	for _, xt := range []types.T{types.Int32T, types.Int64T, types.NumericT(0, 0)} {
		t.Run(xt.String(), func(t *testing.T) {
			b1 := statsBatch(t, alloc, xt, g[:7], xs[:7])
			b2 := statsBatch(t, alloc, xt, g[7:], xs[7:])
			defer b1.Release()
			defer b2.Release()
			s, p, err := runAgg(t, alloc, []arrow.RecordBatch{b1, b2}, []int{0}, statsAggs(xt))
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, "single", s, exact)
			sameRows(t, "two-phase", p, exact)
		})
	}
	t.Run("float8", func(t *testing.T) {
		b1 := statsBatch(t, alloc, types.Float64T, g, xs)
		defer b1.Release()
		s, _, err := runAgg(t, alloc, []arrow.RecordBatch{b1}, []int{0}, statsAggs(types.Float64T))
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, "single", s, float)
	})
	t.Run("int2 small", func(t *testing.T) {
		b := statsBatch(t, alloc, types.Int16T, g[:9], xs[:9])
		defer b.Release()
		s, p, err := runAgg(t, alloc, []arrow.RecordBatch{b}, []int{0}, statsAggs(types.Int16T))
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, "single", s, exact[:4])
		sameRows(t, "two-phase", p, exact[:4])
	})
	// with t(g,x) as (values (1,1.5),(1,2.25),(1,3.125),(2,1234567.891),
	//   (2,-0.001),(2,99999.999),(2,NULL)) ... PostgreSQL's exact moments
	//   divided at scale 60 and rounded to 16.
	t.Run("numeric(3)", func(t *testing.T) {
		xt := types.NumericT(10, 3)
		b1 := statsBatch(t, alloc, xt, []int32{1, 2, 1}, []string{"1.5", "1234567.891", "2.25"})
		b2 := statsBatch(t, alloc, xt, []int32{2, 1, 2, 2}, []string{"-0.001", "3.125", "99999.999", ""})
		defer b1.Release()
		defer b2.Release()
		want := []string{
			"1|0.6614583333333333|0.4409722222222222|0.8133008873309640|0.6640573937712178|false|true",
			"2|470233696919.1078880000000000|313489131279.4052586666666667|685735.8798539769334942|559901.0013202380929161|false|true",
		}
		s, p, err := runAgg(t, alloc, []arrow.RecordBatch{b1, b2}, []int{0}, statsAggs(xt))
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, "single", s, want)
		sameRows(t, "two-phase", p, want)
	})
	// select var_samp(x::float4), stddev_pop(x::float4) from (values (0.1),(0.2),(0.3)) t(x)
	t.Run("float4", func(t *testing.T) {
		b := statsBatch(t, alloc, types.Float32T, []int32{1, 1, 1}, []string{"0.1", "0.2", "0.3"})
		defer b.Release()
		s, _, err := runAgg(t, alloc, []arrow.RecordBatch{b}, nil, statsAggs(types.Float32T))
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Split(s[0], "|")
		if f[0] != "0.010000001043081314" || f[3] != "0.08164966235113413" {
			t.Fatalf("float4 moments: %v", f)
		}
	})
}

// pgFloat prints f as PostgreSQL's float8out does: shortest round-trip
// digits, exponent form below 1e-4 and from 1e15.
func pgFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	e := math.Floor(math.Log10(math.Abs(f)))
	if e < -4 || e >= 15 {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// collectPG drains op formatting floats as PostgreSQL does.
func collectPG(op exec.Operator) ([]string, error) {
	var rows []string
	err := exec.Drain(context.Background(), op, func(b arrow.RecordBatch) error {
		if b.NumRows() == 0 {
			return fmt.Errorf("empty batch")
		}
		for i := 0; i < int(b.NumRows()); i++ {
			var cells []string
			for _, c := range b.Columns() {
				if f, ok := c.(*array.Float64); ok && c.IsValid(i) {
					cells = append(cells, pgFloat(f.Value(i)))
					continue
				}
				cells = append(cells, cellStr(c, i))
			}
			rows = append(rows, strings.Join(cells, "|"))
		}
		return nil
	})
	return rows, err
}

func TestStatsAggregatesFloatEdges(t *testing.T) {
	alloc := checked(t)
	for _, tc := range []struct {
		xs   []string
		want string // var_samp|var_pop, or an error code
	}{
		// select var_samp(x), var_pop(x) from (values ('1e308'::float8),('-1e308'::float8)) t(x)
		{[]string{"1e308", "-1e308"}, sqlerr.NumericValueOutOfRange},
		// ... ('inf'::float8),('1') -> NaN|NaN; ('nan'),('1') -> NaN|NaN
		{[]string{"inf", "1"}, "NaN|NaN"},
		{[]string{"nan", "1"}, "NaN|NaN"},
	} {
		schema := schemaOf(arrow.PrimitiveTypes.Float64)
		fb := array.NewFloat64Builder(alloc)
		for _, s := range tc.xs {
			f, _ := strconv.ParseFloat(s, 64)
			fb.Append(f)
		}
		b := newBatch(schema, []arrow.Array{fb.NewArray()}, len(tc.xs))
		fb.Release()
		aggs := []AggSpec{{Fn: AggVarSamp, Arg: 0, Result: types.Float64T}, {Fn: AggVarPop, Arg: 0, Result: types.Float64T}}
		// One Partial per row so the merge formulas run too.
		b0, b1 := b.NewSlice(0, 1), b.NewSlice(1, 2)
		s, p, err := runAgg(t, alloc, []arrow.RecordBatch{b0, b1}, nil, aggs)
		b0.Release()
		b1.Release()
		b.Release()
		if tc.want == sqlerr.NumericValueOutOfRange {
			var se *sqlerr.Error
			if !errors.As(err, &se) || se.Code != tc.want {
				t.Fatalf("%v: want %s, got %v", tc.xs, tc.want, err)
			}
			if s != nil {
				t.Fatalf("%v: single mode should fail first", tc.xs)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, fmt.Sprint(tc.xs), s, []string{tc.want})
		sameRows(t, fmt.Sprint(tc.xs), p, []string{tc.want})
	}
}

// int8 extremes: the variance exceeds numeric(38,16); PostgreSQL returns
// 85070591730234615847396907784232501257 (its scale is 0 there).
func TestStatsAggregatesOverflow(t *testing.T) {
	alloc := checked(t)
	b := statsBatch(t, alloc, types.Int64T, []int32{1, 1, 1}, []string{"9223372036854775807", "-9223372036854775807", "5"})
	defer b.Release()
	_, _, err := runAgg(t, alloc, []arrow.RecordBatch{b}, nil, statsAggs(types.Int64T)[:1])
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.NumericValueOutOfRange {
		t.Fatalf("want numeric field overflow, got %v", err)
	}
	// At scale 0 (a planner may ask for it) the same input fits exactly.
	aggs := []AggSpec{{Fn: AggVarSamp, Arg: 1, Result: types.NumericT(0, 0)}}
	s, p, err := runAgg(t, alloc, []arrow.RecordBatch{b}, nil, aggs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"85070591730234615847396907784232501257"}
	sameRows(t, "single", s, want)
	sameRows(t, "two-phase", p, want)
}

// refMoments is the exact reference: var/stddev of vals (as rationals)
// rounded half away from zero to scale.
func refMoments(vals []*big.Rat, fn AggFunc, scale int32) string {
	n := int64(len(vals))
	sample := fn == AggVarSamp || fn == AggStddevSamp
	if n == 0 || (sample && n == 1) {
		return "NULL"
	}
	mean := new(big.Rat)
	for _, v := range vals {
		mean.Add(mean, v)
	}
	mean.Quo(mean, big.NewRat(n, 1))
	ss := new(big.Rat)
	for _, v := range vals {
		d := new(big.Rat).Sub(v, mean)
		ss.Add(ss, d.Mul(d, d))
	}
	d := n
	if sample {
		d = n - 1
	}
	ss.Quo(ss, big.NewRat(d, 1))
	if fn == AggStddevSamp || fn == AggStddevPop {
		// floor(sqrt(v·10^(2s+2))) then round the guard digit.
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(2*scale+2)), nil)
		x := new(big.Rat).Mul(ss, new(big.Rat).SetInt(p))
		q := new(big.Int).Quo(x.Num(), x.Denom())
		q.Sqrt(q)
		q.Add(q, big.NewInt(5))
		q.Quo(q, big.NewInt(10))
		return decimal128.FromBigInt(q).ToString(scale)
	}
	return ratString(ss, 0, scale)
}

// Random groups, NULLs and values over every exact input type: Single,
// DISTINCT and two-phase results equal the rational reference.
func TestStatsAggregatesRandom(t *testing.T) {
	alloc := checked(t)
	for _, xt := range []types.T{types.Int16T, types.Int32T, types.Int64T, types.NumericT(0, 2)} {
		t.Run(xt.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(xt.Kind)))
			schema := schemaOf(arrow.PrimitiveTypes.Int32, xt.Arrow())
			var batches []arrow.RecordBatch
			groups := map[int32][]*big.Rat{}
			dgroups := map[int32]map[string]*big.Rat{}
			for b := 0; b < 4; b++ {
				n := 500 + rng.IntN(1500)
				gb := array.NewInt32Builder(alloc)
				xb := array.NewBuilder(alloc, xt.Arrow())
				for i := 0; i < n; i++ {
					g := int32(rng.IntN(40))
					gb.Append(g)
					if rng.IntN(10) == 0 {
						xb.AppendNull()
						continue
					}
					v := int64(rng.IntN(2000)) - 700
					var r *big.Rat
					switch bb := xb.(type) {
					case *array.Int16Builder:
						bb.Append(int16(v))
						r = big.NewRat(v, 1)
					case *array.Int32Builder:
						bb.Append(int32(v * 1000))
						r = big.NewRat(v*1000, 1)
					case *array.Int64Builder:
						bb.Append(v * 1e5)
						r = big.NewRat(v*1e5, 1)
					case *array.Decimal128Builder:
						bb.Append(decimal128.FromI64(v * 7))
						r = big.NewRat(v*7, 100)
					}
					groups[g] = append(groups[g], r)
					if dgroups[g] == nil {
						dgroups[g] = map[string]*big.Rat{}
					}
					dgroups[g][r.String()] = r
				}
				cols := []arrow.Array{gb.NewArray(), xb.NewArray()}
				gb.Release()
				xb.Release()
				batches = append(batches, newBatch(schema, cols, n))
			}
			defer releaseBatches(batches)
			scale := StatsScale(xt.Scale)
			var aggs []AggSpec
			fns := []AggFunc{AggVarSamp, AggVarPop, AggStddevSamp, AggStddevPop}
			for _, distinct := range []bool{false, true} {
				for _, fn := range fns {
					aggs = append(aggs, AggSpec{Fn: fn, Arg: 1, Distinct: distinct, Result: types.NumericT(0, scale)})
				}
			}
			var want []string
			for g := int32(0); g < 40; g++ {
				if _, ok := groups[g]; !ok {
					continue
				}
				row := []string{fmt.Sprint(g)}
				for _, fn := range fns {
					row = append(row, refMoments(groups[g], fn, scale))
				}
				var dv []*big.Rat
				for _, r := range dgroups[g] {
					dv = append(dv, r)
				}
				for _, fn := range fns {
					row = append(row, refMoments(dv, fn, scale))
				}
				want = append(want, strings.Join(row, "|"))
			}
			want = sorted(want)
			agg, err := NewHashAggregate(newSource(schema, batches...), []int{0}, aggs, AggSingle, nil, nil, alloc)
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, "single+distinct", sorted(collect(t, agg)), want)
			_, p, err := runAgg(t, alloc, batches, []int{0}, aggs[:4])
			if err != nil {
				t.Fatal(err)
			}
			var want4 []string
			for _, r := range want {
				want4 = append(want4, strings.Join(strings.Split(r, "|")[:5], "|"))
			}
			sameRows(t, "two-phase", p, want4)
		})
	}
}

// Float moments merged from partials agree with the single pass to
// rounding error, and the state survives empty partial groups.
func TestStatsFloatPartialMerge(t *testing.T) {
	alloc := checked(t)
	rng := rand.New(rand.NewPCG(5, 5))
	schema := schemaOf(arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Float64)
	batches := genBatches(alloc, schema, 9000, 50, 10, rng)
	defer releaseBatches(batches)
	aggs := statsAggs(types.Float64T)[:4]
	s, p, err := runAgg(t, alloc, batches, []int{0}, aggs)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != len(p) {
		t.Fatalf("%d vs %d groups", len(s), len(p))
	}
	for i := range s {
		a, b := strings.Split(s[i], "|"), strings.Split(p[i], "|")
		for j := range a {
			x, ex := strconv.ParseFloat(a[j], 64)
			y, ey := strconv.ParseFloat(b[j], 64)
			if ex != nil || ey != nil {
				if a[j] != b[j] {
					t.Fatalf("row %d col %d: %s vs %s", i, j, a[j], b[j])
				}
				continue
			}
			if math.Abs(x-y) > 1e-9*math.Max(1, math.Abs(x)) {
				t.Fatalf("row %d col %d: single %v, two-phase %v", i, j, x, y)
			}
		}
	}
}

func TestStatsPlanErrors(t *testing.T) {
	s := schemaOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32)
	for _, spec := range []AggSpec{
		{Fn: AggVarSamp, Arg: 0, Result: types.Float64T},
		{Fn: AggBoolAnd, Arg: 1, Result: types.BoolT},
		{Fn: AggStddevPop, Arg: 1, Result: types.Float64T}, // int input yields numeric
	} {
		if _, err := AggregateSchema(s, nil, []AggSpec{spec}, AggSingle); err == nil {
			t.Errorf("%s over %s: want an error", spec.Fn, s.Field(spec.Arg).Type)
		}
	}
}

// numeric(38,20) values have unscaled magnitudes above 2^64, so their
// squares use every limb of the 320-bit sum. PostgreSQL: the exact moments
// of 1.5, 2.25, 3.125, -7.00000000000000000001 divided at scale 60,
// rounded to 32.
func TestStatsWideNumeric(t *testing.T) {
	alloc := checked(t)
	xt := types.NumericT(38, 20)
	b := statsBatch(t, alloc, xt, []int32{1, 1, 1, 1}, []string{"1.5", "2.25", "3.125", "-7.00000000000000000001"})
	defer b.Release()
	aggs := []AggSpec{
		{Fn: AggVarSamp, Arg: 1, Result: types.NumericT(0, StatsScale(20))},
		{Fn: AggStddevPop, Arg: 1, Result: types.NumericT(0, StatsScale(20))},
	}
	parts := []arrow.RecordBatch{b.NewSlice(0, 2), b.NewSlice(2, 4)}
	defer releaseBatches(parts)
	s, p, err := runAgg(t, alloc, parts, nil, aggs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"22.02473958333333333337979166666667|4.06430248474446104433705105885330"}
	sameRows(t, "single", s, want)
	sameRows(t, "two-phase", p, want)
}
