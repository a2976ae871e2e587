package ops

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/types"
)

// refValue reads a non-NULL cell as a value with a total order usable by
// the reference (big.Int for every exact type, float64 for floats, string
// for text and bytea).
func refValue(a arrow.Array, i int) any {
	switch x := a.(type) {
	case *array.Boolean:
		if x.Value(i) {
			return big.NewInt(1)
		}
		return big.NewInt(0)
	case *array.Int16:
		return big.NewInt(int64(x.Value(i)))
	case *array.Int32:
		return big.NewInt(int64(x.Value(i)))
	case *array.Int64:
		return big.NewInt(x.Value(i))
	case *array.Date32:
		return big.NewInt(int64(x.Value(i)))
	case *array.Time64:
		return big.NewInt(int64(x.Value(i)))
	case *array.Timestamp:
		return big.NewInt(int64(x.Value(i)))
	case *array.Decimal128:
		return x.Value(i).BigInt()
	case *array.MonthDayNanoInterval:
		v := x.Value(i)
		n := big.NewInt((int64(v.Months)*30 + int64(v.Days)) * 86400)
		n.Mul(n, big.NewInt(1e9))
		return n.Add(n, big.NewInt(v.Nanoseconds))
	case *array.Float32:
		return float64(x.Value(i))
	case *array.Float64:
		return x.Value(i)
	case *array.String:
		return x.Value(i)
	case *array.Binary:
		return string(x.Value(i))
	}
	panic(fmt.Sprintf("refValue %T", a))
}

func refLess(a, b any) bool {
	switch x := a.(type) {
	case *big.Int:
		return x.Cmp(b.(*big.Int)) < 0
	case float64:
		return x < b.(float64)
	case string:
		return x < b.(string)
	}
	panic("refLess")
}

// refAgg computes one aggregate over the given rows of arg the slow way and
// formats it as cellStr would.
func refAgg(spec AggSpec, arg arrow.Array, rows []int) string {
	if spec.Fn == AggCountStar {
		return fmt.Sprint(len(rows))
	}
	var vals []any
	seen := map[string]bool{}
	for _, r := range rows {
		if arg.IsNull(r) {
			continue
		}
		if spec.Distinct {
			k := cellStr(arg, r)
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		vals = append(vals, refValue(arg, r))
	}
	if spec.Fn == AggCount {
		return fmt.Sprint(len(vals))
	}
	if len(vals) == 0 {
		return "NULL"
	}
	var argScale int32
	if d, ok := arg.DataType().(*arrow.Decimal128Type); ok {
		argScale = d.Scale
	}
	switch spec.Fn {
	case AggSum, AggAvg:
		if f, ok := vals[0].(float64); ok {
			s := 0.0
			for _, v := range vals {
				s += v.(float64)
			}
			if spec.Fn == AggAvg {
				return fmt.Sprintf("%.6g", s/float64(len(vals)))
			}
			_ = f
			if arg.DataType().ID() == arrow.FLOAT32 {
				return fmt.Sprintf("%.5g", float32(s))
			}
			return fmt.Sprintf("%.6g", s)
		}
		s := new(big.Int)
		for _, v := range vals {
			s.Add(s, v.(*big.Int))
		}
		if spec.Fn == AggSum {
			if arg.DataType().ID() == arrow.INT16 || arg.DataType().ID() == arrow.INT32 {
				return s.String()
			}
			return decimal128.FromBigInt(s).ToString(argScale)
		}
		// avg: round(s / n) at Result.Scale, half away from zero.
		r := new(big.Rat).SetFrac(s, big.NewInt(int64(len(vals))))
		return ratString(r, argScale, spec.Result.Scale)
	case AggMin, AggMax:
		best := 0
		for i := range vals {
			if (spec.Fn == AggMin && refLess(vals[i], vals[best])) || (spec.Fn == AggMax && refLess(vals[best], vals[i])) {
				best = i
			}
		}
		// Find the row holding the winning value to format it.
		k := 0
		for _, r := range rows {
			if arg.IsNull(r) {
				continue
			}
			if spec.Distinct {
				// distinct does not change min/max
			}
			if k == best || (!refLess(vals[best], refValue(arg, r)) && !refLess(refValue(arg, r), vals[best])) {
				return cellStr(arg, r)
			}
			k++
		}
	}
	panic("refAgg")
}

// ratString formats r / 10^argScale rounded half away from zero to scale.
func ratString(r *big.Rat, argScale, scale int32) string {
	r = new(big.Rat).Mul(r, new(big.Rat).SetFrac(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(argScale)), nil)))
	neg := r.Sign() < 0
	r.Abs(r)
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Mul(m, big.NewInt(2)).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return decimal128.FromBigInt(q).ToString(scale)
}

// refAggregate groups the rows of cols by groupCols and formats each
// output row as keys|aggs.
func refAggregate(cols []arrow.Array, groupCols []int, aggs []AggSpec) []string {
	groups := map[string][]int{}
	var order []string
	n := 0
	if len(cols) > 0 {
		n = cols[0].Len()
	}
	for r := 0; r < n; r++ {
		var ks []string
		for _, c := range groupCols {
			ks = append(ks, cellStr(cols[c], r))
		}
		k := strings.Join(ks, "|")
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	if len(groupCols) == 0 && len(order) == 0 {
		order = append(order, "")
		groups[""] = nil
	}
	var out []string
	for _, k := range order {
		var cells []string
		if len(groupCols) > 0 {
			cells = append(cells, k)
		}
		for _, a := range aggs {
			var arg arrow.Array
			if a.Arg >= 0 {
				arg = cols[a.Arg]
			}
			cells = append(cells, refAgg(a, arg, groups[k]))
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return sorted(out)
}

func concatForRef(t *testing.T, alloc memory.Allocator, schema *arrow.Schema, batches []arrow.RecordBatch) []arrow.Array {
	cols, _, err := concatBatches(alloc, schema, batches)
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

var numericAggs = func() []AggSpec {
	// columns: 0 k1 int32, 1 k2 text, 2 x int32, 3 y int64, 4 d numeric(_,2), 5 f float64, 6 s text, 7 h int16, 8 g float32
	return []AggSpec{
		{Fn: AggCountStar, Arg: -1, Result: types.Int64T},
		{Fn: AggCount, Arg: 2, Result: types.Int64T},
		{Fn: AggSum, Arg: 2, Result: types.Int64T},
		{Fn: AggSum, Arg: 3, Result: types.NumericT(0, 0)},
		{Fn: AggSum, Arg: 4, Result: types.NumericT(0, 2)},
		{Fn: AggSum, Arg: 7, Result: types.Int64T},
		{Fn: AggSum, Arg: 8, Result: types.Float32T},
		{Fn: AggAvg, Arg: 2, Result: types.NumericT(0, 16)},
		{Fn: AggAvg, Arg: 3, Result: types.NumericT(0, 4)},
		{Fn: AggAvg, Arg: 4, Result: types.NumericT(0, 6)},
		{Fn: AggAvg, Arg: 5, Result: types.Float64T},
		{Fn: AggMin, Arg: 6, Result: types.TextT},
		{Fn: AggMax, Arg: 6, Result: types.TextT},
		{Fn: AggMin, Arg: 5, Result: types.Float64T},
		{Fn: AggMax, Arg: 4, Result: types.NumericT(0, 2)},
		{Fn: AggSum, Arg: 5, Result: types.Float64T},
	}
}()

func aggInputSchema() *arrow.Schema {
	return schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32,
		arrow.PrimitiveTypes.Int64, types.NumericT(0, 2).Arrow(), arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String,
		arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Float32)
}

func TestHashAggregateRandom(t *testing.T) {
	alloc := checked(t)
	schema := aggInputSchema()
	for _, tc := range []struct {
		name      string
		rows      int
		card      int
		groupCols []int
	}{
		{"two keys", 20000, 50, []int{0, 1}},
		{"one key many groups", 30000, 20000, []int{0}},
		{"text key", 5000, 30, []int{1}},
		{"global", 10000, 100, nil},
		{"global empty", 0, 10, nil},
		{"grouped empty", 0, 10, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.rows), 7))
			batches := genBatches(alloc, schema, tc.rows, tc.card, 10, rng)
			defer releaseBatches(batches)
			ref := concatForRef(t, alloc, schema, batches)
			defer releaseArrays(ref)
			want := refAggregate(ref, tc.groupCols, numericAggs)

			mem := exec.NewMemory(0)
			agg, err := NewHashAggregate(newSource(schema, batches...), tc.groupCols, numericAggs, AggSingle, nil, mem, alloc)
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, "single", sorted(collect(t, agg)), want)
			if mem.Used() != 0 {
				t.Fatalf("memory still reserved: %d", mem.Used())
			}

			// Two-phase: three partial aggregates over parts of the input,
			// gathered, then one final aggregate.
			var partials []exec.Operator
			for p := 0; p < 3; p++ {
				var part []arrow.RecordBatch
				for i := p; i < len(batches); i += 3 {
					part = append(part, batches[i])
				}
				pa, err := NewHashAggregate(newSource(schema, part...), tc.groupCols, numericAggs, AggPartial, nil, mem, alloc)
				if err != nil {
					t.Fatal(err)
				}
				partials = append(partials, pa)
			}
			ps, err := PartialSchema(schema, tc.groupCols, numericAggs)
			if err != nil {
				t.Fatal(err)
			}
			if !ps.Equal(partials[0].Schema()) {
				t.Fatalf("PartialSchema %s != %s", ps, partials[0].Schema())
			}
			final, err := NewHashAggregate(NewGather(partials...), tc.groupCols, numericAggs, AggFinal, nil, mem, alloc)
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, "two-phase", sorted(collect(t, final)), want)
			if mem.Used() != 0 {
				t.Fatalf("memory still reserved: %d", mem.Used())
			}
		})
	}
}

// Every type as a group key (with NULLs) and as a min/max argument.
func TestHashAggregateKeyTypes(t *testing.T) {
	alloc := checked(t)
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(typ.Kind)))
			schema := schemaOf(typ.Arrow(), typ.Arrow(), arrow.PrimitiveTypes.Int32)
			batches := genBatches(alloc, schema, 7000, 60, 15, rng)
			defer releaseBatches(batches)
			ref := concatForRef(t, alloc, schema, batches)
			defer releaseArrays(ref)
			aggs := []AggSpec{
				{Fn: AggCountStar, Arg: -1, Result: types.Int64T},
				{Fn: AggMin, Arg: 1, Result: typ},
				{Fn: AggMax, Arg: 1, Result: typ},
				{Fn: AggCount, Arg: 1, Distinct: true, Result: types.Int64T},
				{Fn: AggSum, Arg: 2, Distinct: true, Result: types.Int64T},
			}
			for _, groupCols := range [][]int{{0}, {0, 2}} {
				want := refAggregate(ref, groupCols, aggs)
				agg, err := NewHashAggregate(newSource(schema, batches...), groupCols, aggs, AggSingle, nil, nil, alloc)
				if err != nil {
					t.Fatal(err)
				}
				sameRows(t, fmt.Sprint(groupCols), sorted(collect(t, agg)), want)
			}
		})
	}
}

func TestHashAggregateMemoryLimit(t *testing.T) {
	alloc := checked(t)
	schema := aggInputSchema()
	rng := rand.New(rand.NewPCG(9, 9))
	batches := genBatches(alloc, schema, 20000, 20000, 0, rng)
	defer releaseBatches(batches)
	mem := exec.NewMemory(64 << 10)
	agg, err := NewHashAggregate(newSource(schema, batches...), []int{0}, numericAggs, AggSingle, nil, mem, alloc)
	if err != nil {
		t.Fatal(err)
	}
	// Over its budget the aggregate spills instead of failing.
	defer spillTmp(t)()
	want := collect(t, func() exec.Operator {
		a, _ := NewHashAggregate(newSource(schema, batches...), []int{0}, numericAggs, AggSingle, nil, nil, alloc)
		return a
	}())
	got, err := collectErr(agg)
	if err != nil || len(got) != len(want) {
		t.Fatalf("got %d groups, %v", len(got), err)
	}
	if files, _, _ := agg.SpillStats(); files == 0 {
		t.Fatal("aggregate did not spill")
	}
	if mem.Used() != 0 {
		t.Fatalf("memory still reserved after Close: %d", mem.Used())
	}
}

func TestAvgRounding(t *testing.T) {
	// avg of 1 and 2 at scale 0 is 1.5 -> 2; of -1, -2 -> -2 (half away from zero).
	for _, tc := range []struct {
		hi    int64
		lo    uint64
		count int64
		shift int32
		want  string
	}{
		{0, 3, 2, 0, "2"},
		{-1, ^uint64(2), 2, 0, "-2"}, // -3/2
		{0, 10, 3, 4, "33333"},       // 3.3333 at scale 4
		{0, 20, 3, 4, "66667"},
		{0, 1 << 62, 3, 18, ""},
	} {
		got := divRound(tc.hi, tc.lo, tc.count, tc.shift)
		want := tc.want
		if want == "" {
			n := decimal128.New(tc.hi, tc.lo).BigInt()
			n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(tc.shift)), nil))
			r := new(big.Rat).SetFrac(n, big.NewInt(tc.count))
			want = ratString(r, 0, 0)
		}
		if got.BigInt().String() != want {
			t.Errorf("divRound(%d,%d,%d,%d) = %s, want %s", tc.hi, tc.lo, tc.count, tc.shift, got.BigInt(), want)
		}
	}
}

func TestHashAggregatePlanErrors(t *testing.T) {
	s := aggInputSchema()
	for _, tc := range []struct {
		name string
		aggs []AggSpec
		mode AggMode
	}{
		{"wrong result type", []AggSpec{{Fn: AggSum, Arg: 2, Result: types.NumericT(0, 0)}}, AggSingle},
		{"distinct in partial", []AggSpec{{Fn: AggCount, Arg: 2, Distinct: true, Result: types.Int64T}}, AggPartial},
		{"sum of text", []AggSpec{{Fn: AggSum, Arg: 1, Result: types.TextT}}, AggSingle},
		{"bad column", []AggSpec{{Fn: AggMin, Arg: 99, Result: types.TextT}}, AggSingle},
	} {
		if _, err := NewHashAggregate(newSource(s), []int{0}, tc.aggs, tc.mode, nil, nil, memory.DefaultAllocator); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
