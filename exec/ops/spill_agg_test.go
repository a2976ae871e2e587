package ops

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// Many groups under a small budget: Single and two-phase aggregation spill
// (Partial flushes early, Final partitions) and give the unlimited answer.
func TestHashAggregateSpills(t *testing.T) {
	noLeft := spillTmp(t)
	alloc := checked(t)
	schema := aggInputSchema()
	for _, tc := range []struct {
		name      string
		rows      int
		card      int
		groupCols []int
		limit     int64
	}{
		{"int key", 60000, 40000, []int{0}, 256 << 10},
		{"int and text keys", 40000, 30000, []int{0, 1}, 256 << 10},
		{"text key", 30000, 20000, []int{1}, 200 << 10},
		{"tiny budget, deep recursion", 20000, 20000, []int{0, 1}, 48 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.rows), 17))
			batches := genBatches(alloc, schema, tc.rows, tc.card, 5, rng)
			defer releaseBatches(batches)
			ref := concatForRef(t, alloc, schema, batches)
			defer releaseArrays(ref)
			want := refAggregate(ref, tc.groupCols, numericAggs)

			mem := exec.NewMemory(tc.limit)
			agg, err := NewHashAggregate(newSource(schema, batches...), tc.groupCols, numericAggs, AggSingle, nil, mem, alloc)
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, "single", sorted(collect(t, agg)), want)
			if files, bytes, _ := agg.SpillStats(); files == 0 || bytes == 0 {
				t.Fatal("single aggregate did not spill")
			}
			if mem.Used() != 0 {
				t.Fatalf("memory still reserved: %d", mem.Used())
			}
			noLeft()

			var partials []exec.Operator
			var pas []*HashAggregate
			for p := 0; p < 2; p++ {
				var part []arrow.RecordBatch
				for i := p; i < len(batches); i += 2 {
					part = append(part, batches[i])
				}
				pa, err := NewHashAggregate(newSource(schema, part...), tc.groupCols, numericAggs, AggPartial, nil, mem.Child(), alloc)
				if err != nil {
					t.Fatal(err)
				}
				partials = append(partials, pa)
				pas = append(pas, pa)
			}
			final, err := NewHashAggregate(NewGather(partials...), tc.groupCols, numericAggs, AggFinal, nil, mem.Child(), alloc)
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, "two-phase", sorted(collect(t, final)), want)
			if _, _, flushes := pas[0].SpillStats(); flushes == 0 {
				t.Fatal("partial aggregate never flushed early")
			}
			if files, _, _ := final.SpillStats(); files == 0 {
				t.Fatal("final aggregate did not spill")
			}
			if mem.Used() != 0 {
				t.Fatalf("memory still reserved: %d", mem.Used())
			}
			noLeft()
		})
	}
}

// DISTINCT aggregates stay exact when the groups are split between memory
// and partitions (a single group never is).
func TestHashAggregateSpillDistinct(t *testing.T) {
	noLeft := spillTmp(t)
	alloc := checked(t)
	for _, typ := range []types.T{types.Int64T, types.TextT, types.NumericT(12, 2), types.IntervalT} {
		t.Run(typ.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(31, uint64(typ.Kind)))
			schema := schemaOf(typ.Arrow(), typ.Arrow(), arrow.PrimitiveTypes.Int32)
			batches := genBatches(alloc, schema, 40000, 8000, 10, rng)
			defer releaseBatches(batches)
			ref := concatForRef(t, alloc, schema, batches)
			defer releaseArrays(ref)
			aggs := []AggSpec{
				{Fn: AggCountStar, Arg: -1, Result: types.Int64T},
				{Fn: AggMin, Arg: 1, Result: typ},
				{Fn: AggCount, Arg: 1, Distinct: true, Result: types.Int64T},
				{Fn: AggSum, Arg: 2, Distinct: true, Result: types.Int64T},
			}
			for _, groupCols := range [][]int{{0}, {0, 2}} {
				want := refAggregate(ref, groupCols, aggs)
				mem := exec.NewMemory(1 << 20)
				// Input clustered on the first key (as lineitem is on
				// l_orderkey): groups kept in memory when spilling starts
				// get no more rows, so their DISTINCT sets stop growing.
				in := NewSort(newSource(schema, batches...), []SortKey{{Col: 0}}, nil, alloc)
				agg, err := NewHashAggregate(in, groupCols, aggs, AggSingle, nil, mem, alloc)
				if err != nil {
					t.Fatal(err)
				}
				sameRows(t, fmt.Sprint(groupCols), sorted(collect(t, agg)), want)
				if files, _, _ := agg.SpillStats(); files == 0 {
					t.Fatal("did not spill")
				}
				if mem.Used() != 0 {
					t.Fatalf("memory still reserved: %d", mem.Used())
				}
				noLeft()
			}
		})
	}
}

// One group whose DISTINCT set alone outgrows the budget cannot be split:
// the query fails with 53200, frees everything, and the next query runs.
func TestHashAggregateSpillCannotFit(t *testing.T) {
	noLeft := spillTmp(t)
	alloc := checked(t)
	schema := schemaOf(arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64)
	rng := rand.New(rand.NewPCG(4, 4))
	batches := genBatches(alloc, schema, 60000, 1<<30, 0, rng)
	defer releaseBatches(batches)
	aggs := []AggSpec{{Fn: AggCount, Arg: 1, Distinct: true, Result: types.Int64T}}
	run := func(mem *exec.Memory) ([]string, error) {
		agg, err := NewHashAggregate(newSource(schema, batches...), nil, aggs, AggSingle, nil, mem, alloc)
		if err != nil {
			t.Fatal(err)
		}
		return collectErr(agg)
	}
	mem := exec.NewMemory(256 << 10)
	_, err := run(mem)
	if sqlerr.Code(err) != sqlerr.OutOfMemory {
		t.Fatalf("want 53200, got %v", err)
	}
	if mem.Used() != 0 {
		t.Fatalf("memory still reserved: %d", mem.Used())
	}
	noLeft()
	mem = exec.NewMemory(64 << 20)
	if got, err := run(mem); err != nil || len(got) != 1 {
		t.Fatalf("next query: %v %v", got, err)
	}
}

// Canceling while spilled partitions are being aggregated removes them.
func TestHashAggregateSpillCancel(t *testing.T) {
	noLeft := spillTmp(t)
	alloc := checked(t)
	schema := aggInputSchema()
	rng := rand.New(rand.NewPCG(6, 6))
	batches := genBatches(alloc, schema, 60000, 60000, 0, rng)
	defer releaseBatches(batches)
	mem := exec.NewMemory(256 << 10)
	agg, err := NewHashAggregate(newSource(schema, batches...), []int{0}, numericAggs, AggSingle, nil, mem, alloc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := exec.Open(ctx, agg); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := exec.Next(ctx, agg); err != nil {
			t.Fatal(err)
		}
		if agg.sp.reader != nil {
			break // now inside a partition
		}
	}
	cancel()
	if _, err := exec.Next(ctx, agg); sqlerr.Code(err) != sqlerr.QueryCanceled {
		t.Fatalf("want 57014, got %v", err)
	}
	agg.Close()
	agg.Close()
	if mem.Used() != 0 {
		t.Fatalf("memory still reserved: %d", mem.Used())
	}
	noLeft()
}
