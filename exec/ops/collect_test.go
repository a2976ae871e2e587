package ops

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// pgCell prints a cell as psql -At does for the types these tests use.
func pgCell(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	switch x := a.(type) {
	case *array.List:
		start, end := x.ValueOffsets(i)
		var parts []string
		for j := int(start); j < int(end); j++ {
			if x.ListValues().IsNull(j) {
				parts = append(parts, "NULL")
				continue
			}
			parts = append(parts, pgCell(x.ListValues(), j))
		}
		return "{" + strings.Join(parts, ",") + "}"
	case *array.Float64:
		return pgFloat(x.Value(i))
	case *array.Boolean:
		if x.Value(i) {
			return "t"
		}
		return "f"
	case *array.String:
		return x.Value(i)
	}
	return cellStr(a, i)
}

func drainPG(t *testing.T, op exec.Operator) ([]string, error) {
	t.Helper()
	var rows []string
	err := exec.Drain(context.Background(), op, func(b arrow.RecordBatch) error {
		if b.NumRows() == 0 || b.NumRows() > exec.BatchSize {
			return fmt.Errorf("batch of %d rows", b.NumRows())
		}
		if !b.Schema().Equal(op.Schema()) {
			return fmt.Errorf("batch schema %s != %s", b.Schema(), op.Schema())
		}
		for i := 0; i < int(b.NumRows()); i++ {
			var cells []string
			for _, c := range b.Columns() {
				cells = append(cells, pgCell(c, i))
			}
			rows = append(rows, strings.Join(cells, "|"))
		}
		return nil
	})
	return rows, err
}

// collectFixture is
//
//	with t(g,x,s,n,f,iv,flag) as (values
//	  (1,'b',',',3,1.5::float8,interval '1 day',true),(1,NULL,',',NULL,NULL,NULL,true),
//	  (1,'a',';',1,2.5,'1 mon',false),(1,'b',NULL,3,0.5,'2 days 3 hours',true),
//	  (2,'z','-',7,10,'1 hour',true),(2,'y','-',7,20,NULL,NULL),
//	  (3,NULL,',',NULL,NULL,NULL,false))
//
// split into two batches.
func collectFixture(alloc memory.Allocator) (*arrow.Schema, []arrow.RecordBatch) {
	schema := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, arrow.BinaryTypes.String,
		arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.MonthDayNanoInterval,
		arrow.FixedWidthTypes.Boolean)
	const h = int64(3600e9)
	rows := [][]any{
		{int32(1), "b", ",", int32(3), 1.5, arrow.MonthDayNanoInterval{Days: 1}, true},
		{int32(1), nil, ",", nil, nil, nil, true},
		{int32(1), "a", ";", int32(1), 2.5, arrow.MonthDayNanoInterval{Months: 1}, false},
		{int32(1), "b", nil, int32(3), 0.5, arrow.MonthDayNanoInterval{Days: 2, Nanoseconds: 3 * h}, true},
		{int32(2), "z", "-", int32(7), 10.0, arrow.MonthDayNanoInterval{Nanoseconds: h}, true},
		{int32(2), "y", "-", int32(7), 20.0, nil, nil},
		{int32(3), nil, ",", nil, nil, nil, false},
	}
	var batches []arrow.RecordBatch
	for _, part := range [][][]any{rows[:3], rows[3:]} {
		bld := array.NewRecordBuilder(alloc, schema)
		for _, r := range part {
			for c, v := range r {
				f := bld.Field(c)
				if v == nil {
					f.AppendNull()
					continue
				}
				switch b := f.(type) {
				case *array.Int32Builder:
					b.Append(v.(int32))
				case *array.StringBuilder:
					b.Append(v.(string))
				case *array.Float64Builder:
					b.Append(v.(float64))
				case *array.MonthDayNanoIntervalBuilder:
					b.Append(v.(arrow.MonthDayNanoInterval))
				case *array.BooleanBuilder:
					b.Append(v.(bool))
				}
			}
		}
		batches = append(batches, bld.NewRecordBatch())
		bld.Release()
	}
	return schema, batches
}

const (
	cG = iota
	cX
	cS
	cN
	cF
	cIV
	cFlag
)

func TestCollectAggregatePostgres(t *testing.T) {
	alloc := checked(t)
	schema, batches := collectFixture(alloc)
	defer releaseBatches(batches)
	aggs := []CollectSpec{
		{Fn: CollectStringAgg, Arg: cX, Sep: cS, OrderBy: []SortKey{{Col: cX, Desc: true, NullsFirst: true}}, Result: types.TextT},
		{Fn: CollectStringAgg, Arg: cX, Sep: cS, Distinct: true, Result: types.TextT}, // string_agg(distinct x, ',') below uses s
		{Fn: CollectArrayAgg, Arg: cN, OrderBy: []SortKey{{Col: cN}}, Result: types.ArrayOf(types.Int32T)},
		{Fn: CollectArrayAgg, Arg: cX, OrderBy: []SortKey{{Col: cX, NullsFirst: true}}, Result: types.ArrayOf(types.TextT)},
		{Fn: CollectArrayAgg, Arg: cN, Distinct: true, Result: types.ArrayOf(types.Int32T)},
		{Fn: CollectPercentileCont, Arg: cF, Fraction: 0.5, Result: types.Float64T},
		{Fn: CollectPercentileCont, Arg: cF, Fraction: 0.25, OrderBy: []SortKey{{Col: cF, Desc: true}}, Result: types.Float64T},
		{Fn: CollectPercentileCont, Arg: cIV, Fraction: 0.3, Result: types.IntervalT},
		{Fn: CollectPercentileDisc, Arg: cX, Fraction: 0.5, Result: types.TextT},
		{Fn: CollectMode, Arg: cN, Result: types.Int32T},
		{Fn: CollectMode, Arg: cX, OrderBy: []SortKey{{Col: cX, Desc: true}}, Result: types.TextT},
		{Fn: CollectArrayAgg, Arg: cX, OrderBy: []SortKey{{Col: cN}, {Col: cX}}, HasFilter: true, Filter: cFlag, Result: types.ArrayOf(types.TextT)},
		{Fn: CollectPlain, Plain: AggSpec{Fn: AggCountStar, Arg: -1, Result: types.Int64T}},
		{Fn: CollectPlain, Plain: AggSpec{Fn: AggSum, Arg: cN, Result: types.Int64T}},
		{Fn: CollectPlain, Plain: AggSpec{Fn: AggCount, Arg: cX, Distinct: true, Result: types.Int64T}},
		{Fn: CollectPlain, Plain: AggSpec{Fn: AggCount, Arg: cX}, HasFilter: true, Filter: cFlag},
	}
	// PostgreSQL: select g, string_agg(x, s order by x desc), string_agg(distinct x, ','),
	//   array_agg(n order by n), array_agg(x order by x nulls first), array_agg(distinct n),
	//   percentile_cont(0.5) within group (order by f),
	//   percentile_cont(0.25) within group (order by f desc),
	//   percentile_cont(0.3) within group (order by iv),
	//   percentile_disc(0.5) within group (order by x), mode() within group (order by n),
	//   mode() within group (order by x desc), array_agg(x order by n, x) filter (where flag),
	//   count(*), sum(n), count(distinct x), count(x) filter (where flag)
	// from t group by g order by g
	// (string_agg(distinct x, ',') differs from ours only by the delimiter,
	// which ours takes from s: group 1's distinct (x, s) pairs are (a,;),
	// (b,,) and (b,NULL); interval cells are months/days/ns.)
	want := []string{
		"1|bb;a|a,bb|{1,3,3,NULL}|{NULL,a,b,b}|{1,3,NULL}|1.5|2|0m1d58320000000000ns|b|3|b|{b,b,NULL}|4|7|2|2",
		"2|z-y|y-z|{7,7}|{y,z}|{7}|15|17.5|0m0d3600000000000ns|y|7|z|{z}|2|14|2|1",
		"3|||{NULL}|{NULL}|{NULL}||||||||1||0|0",
	}
	for _, groupCols := range [][]int{{cG}} {
		op, err := NewCollectAggregate(newSource(schema, batches...), groupCols, aggs, nil, exec.NewMemory(0), alloc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := drainPG(t, op)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		sameRows(t, "grouped", got, want)
	}

	// Global: select string_agg(x, s), array_agg(x), array_agg(flag),
	//   percentile_disc(0.99) within group (order by iv),
	//   percentile_cont(1) within group (order by f),
	//   percentile_disc(0) within group (order by f) from t
	global := []CollectSpec{
		{Fn: CollectStringAgg, Arg: cX, Sep: cS},
		{Fn: CollectArrayAgg, Arg: cX},
		{Fn: CollectArrayAgg, Arg: cFlag},
		{Fn: CollectPercentileDisc, Arg: cIV, Fraction: 0.99},
		{Fn: CollectPercentileCont, Arg: cF, Fraction: 1},
		{Fn: CollectPercentileDisc, Arg: cF, Fraction: 0},
		{Fn: CollectPercentileCont, Arg: cF, FractionNull: true},
	}
	op, err := NewCollectAggregate(newSource(schema, batches...), nil, global, nil, nil, alloc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := drainPG(t, op)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "global", got, []string{"b;ab-z-y|{b,NULL,a,b,z,y,NULL}|{t,t,f,t,t,NULL,f}|1m0d0ns|20|0.5|"})

	// Over no rows: select string_agg(x, s), array_agg(x),
	//   percentile_cont(0.5) within group (order by f),
	//   mode() within group (order by x), count(*) from t where false
	empty := []CollectSpec{
		{Fn: CollectStringAgg, Arg: cX, Sep: cS},
		{Fn: CollectArrayAgg, Arg: cX},
		{Fn: CollectPercentileCont, Arg: cF, Fraction: 0.5},
		{Fn: CollectMode, Arg: cX},
		{Fn: CollectPlain, Plain: AggSpec{Fn: AggCountStar, Arg: -1}},
	}
	op, err = NewCollectAggregate(newSource(schema), nil, empty, nil, nil, alloc)
	if err != nil {
		t.Fatal(err)
	}
	got, err = drainPG(t, op)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "no rows", got, []string{"||||0"})
	op, err = NewCollectAggregate(newSource(schema), []int{cG}, empty, nil, nil, alloc)
	if err != nil {
		t.Fatal(err)
	}
	if got, err = drainPG(t, op); err != nil || len(got) != 0 {
		t.Fatalf("grouped over no rows: %v %v", got, err)
	}
}

// percentile value 2 is not between 0 and 1 (22003), raised even for a
// global aggregate over no rows, never when there are no groups.
func TestCollectPercentileRange(t *testing.T) {
	alloc := checked(t)
	schema, batches := collectFixture(alloc)
	defer releaseBatches(batches)
	specs := []CollectSpec{{Fn: CollectPercentileCont, Arg: cF, Fraction: 2}}
	for _, tc := range []struct {
		batches   []arrow.RecordBatch
		groupCols []int
		fail      bool
	}{
		{batches, nil, true},
		{nil, nil, true},
		{nil, []int{cG}, false},
		{batches, []int{cG}, true},
	} {
		op, err := NewCollectAggregate(newSource(schema, tc.batches...), tc.groupCols, specs, nil, nil, alloc)
		if err != nil {
			t.Fatal(err)
		}
		_, err = drainPG(t, op)
		var se *sqlerr.Error
		if tc.fail != (err != nil) || (err != nil && (!errors.As(err, &se) || se.Code != sqlerr.NumericValueOutOfRange || se.Message != "percentile value 2 is not between 0 and 1")) {
			t.Fatalf("%d batches, groups %v: got %v", len(tc.batches), tc.groupCols, err)
		}
	}
}

// Many groups over many batches: plain aggregates agree with HashAggregate,
// array_agg(v ORDER BY v DESC) and percentile_disc/mode with a reference.
func TestCollectAggregateRandom(t *testing.T) {
	alloc := checked(t)
	rng := rand.New(rand.NewPCG(21, 4))
	schema := schemaOf(arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String)
	batches := genBatches(alloc, schema, 30000, 12000, 8, rng)
	defer releaseBatches(batches)
	ref := concatForRef(t, alloc, schema, batches)
	defer releaseArrays(ref)

	plain := []AggSpec{
		{Fn: AggCountStar, Arg: -1, Result: types.Int64T},
		{Fn: AggSum, Arg: 1, Result: types.NumericT(0, 0)},
		{Fn: AggMax, Arg: 2, Result: types.TextT},
		{Fn: AggCount, Arg: 2, Distinct: true, Result: types.Int64T},
		{Fn: AggVarPop, Arg: 1, Result: types.NumericT(0, 16)},
	}
	var specs []CollectSpec
	for _, p := range plain {
		specs = append(specs, CollectSpec{Fn: CollectPlain, Plain: p})
	}
	specs = append(specs,
		CollectSpec{Fn: CollectArrayAgg, Arg: 1, OrderBy: []SortKey{{Col: 1, Desc: true, NullsFirst: true}}},
		CollectSpec{Fn: CollectPercentileDisc, Arg: 1, Fraction: 0.5},
		CollectSpec{Fn: CollectMode, Arg: 2},
	)
	mem := exec.NewMemory(0)
	op, err := NewCollectAggregate(newSource(schema, batches...), []int{0}, specs, nil, mem, alloc)
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, op)
	if mem.Used() != 0 {
		t.Fatalf("memory still reserved: %d", mem.Used())
	}
	ha, err := NewHashAggregate(newSource(schema, batches...), []int{0}, plain, AggSingle, nil, nil, alloc)
	if err != nil {
		t.Fatal(err)
	}
	wantPlain := map[string]string{}
	for _, r := range collect(t, ha) {
		k, _, _ := strings.Cut(r, "|")
		wantPlain[k] = r
	}
	// Reference for the collect aggregates, per group key.
	type grp struct {
		vals []int64
		null int
		strs map[string]int
	}
	groups := map[string]*grp{}
	for i := 0; i < ref[0].Len(); i++ {
		k := cellStr(ref[0], i)
		g := groups[k]
		if g == nil {
			g = &grp{strs: map[string]int{}}
			groups[k] = g
		}
		if ref[1].IsNull(i) {
			g.null++
		} else {
			g.vals = append(g.vals, ref[1].(*array.Int64).Value(i))
		}
		if ref[2].IsValid(i) {
			g.strs[ref[2].(*array.String).Value(i)]++
		}
	}
	if len(got) != len(groups) {
		t.Fatalf("%d groups, want %d", len(got), len(groups))
	}
	for _, row := range got {
		cells := strings.Split(row, "|")
		k := cells[0]
		if w := wantPlain[k]; strings.Join(cells[:len(plain)+1], "|") != w {
			t.Fatalf("plain aggregates: got %s, want %s", row, w)
		}
		g := groups[k]
		desc := slices.Clone(g.vals)
		slices.Sort(desc)
		slices.Reverse(desc)
		var parts []string
		for range g.null {
			parts = append(parts, "null")
		}
		for _, v := range desc {
			parts = append(parts, fmt.Sprint(v))
		}
		arr := "[" + strings.Join(parts, ",") + "]"
		if len(parts) == 0 {
			arr = "NULL"
		}
		disc := "NULL"
		if len(desc) > 0 {
			disc = fmt.Sprint(desc[len(desc)-1-((len(desc)+1)/2-1)])
		}
		mode, best := "NULL", 0
		for s, n := range g.strs {
			if n > best || (n == best && s < mode) {
				mode, best = s, n
			}
		}
		w := []string{arr, disc, mode}
		if !slices.Equal(cells[len(plain)+1:], w) {
			t.Fatalf("group %s: got %v, want %v", k, cells[len(plain)+1:], w)
		}
	}
}

func TestCollectAggregateMemoryLimit(t *testing.T) {
	alloc := checked(t)
	rng := rand.New(rand.NewPCG(2, 2))
	schema := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String)
	batches := genBatches(alloc, schema, 20000, 50, 0, rng)
	defer releaseBatches(batches)
	mem := exec.NewMemory(64 << 10)
	op, err := NewCollectAggregate(newSource(schema, batches...), []int{0}, []CollectSpec{{Fn: CollectArrayAgg, Arg: 1}}, nil, mem, alloc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = collectErr(op)
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.OutOfMemory {
		t.Fatalf("want out of memory, got %v", err)
	}
	if mem.Used() != 0 {
		t.Fatalf("memory still reserved after Close: %d", mem.Used())
	}
}

func TestCollectAggregatePlanErrors(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	for _, s := range []CollectSpec{
		{Fn: CollectStringAgg, Arg: 0, Sep: 1},
		{Fn: CollectStringAgg, Arg: 1, Sep: 2},
		{Fn: CollectPercentileCont, Arg: 2},
		{Fn: CollectArrayAgg, Arg: 7},
		{Fn: CollectArrayAgg, Arg: 1, Result: types.ArrayOf(types.Int32T)},
		{Fn: CollectMode, Arg: 1, OrderBy: []SortKey{{Col: 0}}},
		{Fn: CollectArrayAgg, Arg: 1, HasFilter: true, Filter: 0},
		{Fn: CollectPlain, Plain: AggSpec{Fn: AggVarPop, Arg: 1}},
	} {
		if _, err := NewCollectAggregate(schemaOnly{schema}, nil, []CollectSpec{s}, nil, nil, memory.DefaultAllocator); err == nil {
			t.Errorf("%+v: want an error", s)
		}
	}
}
