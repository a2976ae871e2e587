package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// noLeaks fails t if goroutines started during the test outlive it.
func noLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("goroutine leak: %d before, %d after", before, n)
		}
	})
}

// pullAll drains every output from its own goroutine, as a Gather would;
// stop[p] > 0 closes output p after that many batches. It fails the test if
// the outputs do not finish in time (a deadlock).
func pullAll(t *testing.T, outs []exec.Operator, stop []int) ([][]string, []error) {
	t.Helper()
	rows := make([][]string, len(outs))
	errs := make([]error, len(outs))
	var wg sync.WaitGroup
	for p, o := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer o.Close()
			ctx := context.Background()
			if err := exec.Open(ctx, o); err != nil {
				errs[p] = err
				return
			}
			for n := 0; stop == nil || stop[p] == 0 || n < stop[p]; n++ {
				b, err := exec.Next(ctx, o)
				if err == io.EOF {
					return
				}
				if err != nil {
					errs[p] = err
					// Nobody calls Next after an error; a second call
					// must not hand out rows either.
					if b, err := o.Next(ctx); b != nil || err == nil {
						errs[p] = fmt.Errorf("rows after the error %v", errs[p])
					}
					return
				}
				if b.NumRows() == 0 || b.NumRows() > exec.BatchSize {
					errs[p] = fmt.Errorf("batch of %d rows", b.NumRows())
					return
				}
				if !b.Schema().Equal(o.Schema()) {
					errs[p] = fmt.Errorf("batch schema %s != %s", b.Schema(), o.Schema())
					return
				}
				rows[p] = append(rows[p], rowsOf([]arrow.RecordBatch{b})...)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("outputs did not finish: deadlock")
	}
	return rows, errs
}

// splitInputs deals batches round-robin to k sources.
func splitInputs(s *arrow.Schema, b []arrow.RecordBatch, k int) []exec.Operator {
	var ins []exec.Operator
	for p := 0; p < k; p++ {
		var part []arrow.RecordBatch
		for i := p; i < len(b); i += k {
			part = append(part, b[i])
		}
		ins = append(ins, newSource(s, part...))
	}
	return ins
}

// keyOf is the key cells of a formatted row.
func keyOf(row string, keys []int) string {
	cells := strings.Split(row, "|")
	var k []string
	for _, c := range keys {
		k = append(k, cells[c])
	}
	return strings.Join(k, "|")
}

// checkPartitioned checks that the outputs hold exactly want and that no
// key appears on two outputs.
func checkPartitioned(t *testing.T, what string, got [][]string, want []string, keys []int) {
	t.Helper()
	var all []string
	where := map[string]int{}
	for p, rows := range got {
		all = append(all, rows...)
		for _, r := range rows {
			k := keyOf(r, keys)
			if q, ok := where[k]; ok && q != p {
				t.Fatalf("%s: key %q on outputs %d and %d", what, k, q, p)
			}
			where[k] = p
		}
	}
	sameRows(t, what, sorted(all), sorted(want))
	if len(got) > 1 && len(where) > 4*len(got) {
		// With many keys, every output gets some.
		for p, rows := range got {
			if len(rows) == 0 {
				t.Fatalf("%s: output %d of %d got no rows over %d keys", what, p, len(got), len(where))
			}
		}
	}
}

func TestRepartitionKeyTypes(t *testing.T) {
	noLeaks(t)
	alloc := checked(t)
	for _, ty := range allTypes {
		s := schemaOf(ty.Arrow(), arrow.PrimitiveTypes.Int64)
		rng := rand.New(rand.NewPCG(7, uint64(ty.Arrow().ID())))
		b := genBatches(alloc, s, 12000, 60, 10, rng)
		want := rowsOf(b)
		for _, n := range []int{1, 3, 4} {
			outs := NewRepartition(splitInputs(s, b, 3), []int{0}, n, alloc)
			if len(outs) != n {
				t.Fatalf("%d outputs, want %d", len(outs), n)
			}
			got, errs := pullAll(t, outs, nil)
			if err := errors.Join(errs...); err != nil {
				t.Fatalf("%s: %v", ty, err)
			}
			checkPartitioned(t, fmt.Sprintf("%s n=%d", ty, n), got, want, []int{0})
		}
		releaseBatches(b)
	}
}

func TestRepartitionMultiKeyUnderGather(t *testing.T) {
	noLeaks(t)
	alloc := checked(t)
	s, b, rows := testInput(t, alloc, 30000)
	keys := []int{1, 2}
	outs := NewRepartition(splitInputs(s, b, 4), keys, 5, alloc)
	got, errs := pullAll(t, outs, nil)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	checkPartitioned(t, "multi-key", got, rows, keys)

	// The planner's shape: the outputs read under one Gather.
	sameRows(t, "gather", sorted(collect(t, NewGather(NewRepartition(splitInputs(s, b, 3), keys, 4, alloc)...))), sorted(rows))

	// No key columns: every row has the same (empty) key.
	got, errs = pullAll(t, NewRepartition(splitInputs(s, b, 2), nil, 3, alloc), nil)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if len(got[1])+len(got[2]) != 0 {
		t.Fatal("rows without keys spread over outputs")
	}
	sameRows(t, "no keys", sorted(got[0]), sorted(rows))
}

// SQL-equal values that differ in bits (-0 and 0, NaNs, '1 mon' and
// '30 days') and NULLs must land together.
func TestRepartitionSpecialValues(t *testing.T) {
	noLeaks(t)
	alloc := checked(t)
	fb := array.NewFloat64Builder(alloc)
	negNaN := math.Float64frombits(0xfff8000000000123)
	fb.AppendValues([]float64{0, math.Copysign(0, -1), math.NaN(), negNaN, 1, 2}, nil)
	fb.AppendNull()
	fb.AppendNull()
	f := fb.NewArray()
	fb.Release()
	ib := array.NewMonthDayNanoIntervalBuilder(alloc)
	ib.AppendValues([]arrow.MonthDayNanoInterval{{Months: 1}, {Days: 30}, {Days: 1}, {Nanoseconds: 86400e9}, {Months: -1, Days: 31}, {Days: 2}}, nil)
	ib.AppendNull()
	ib.AppendNull()
	iv := ib.NewArray()
	ib.Release()
	idb := array.NewInt64Builder(alloc)
	for i := range 8 {
		idb.Append(int64(i))
	}
	ids := idb.NewArray()
	idb.Release()
	s := schemaOf(arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.MonthDayNanoInterval, arrow.PrimitiveTypes.Int64)
	batch := newBatch(s, []arrow.Array{f, iv, ids}, 8)
	defer batch.Release()

	// Many outputs, so equal values landing together is no accident.
	const n = 64
	for col, groups := range [][][]int{
		{{0, 1}, {2, 3}, {6, 7}},    // float: 0 = -0, NaN = NaN, NULL
		{{0, 1}, {2, 3, 4}, {6, 7}}, // interval spans, NULL
	} {
		got, errs := pullAll(t, NewRepartition([]exec.Operator{newSource(s, batch)}, []int{col}, n, alloc), nil)
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		outOf := map[string]int{}
		for p, rows := range got {
			for _, r := range rows {
				outOf[r[strings.LastIndex(r, "|")+1:]] = p
			}
		}
		if len(outOf) != 8 {
			t.Fatalf("column %d: %d rows out, want 8", col, len(outOf))
		}
		for _, g := range groups {
			for _, id := range g[1:] {
				if outOf[fmt.Sprint(id)] != outOf[fmt.Sprint(g[0])] {
					t.Fatalf("column %d: rows %d and %d are equal keys on outputs %d and %d", col, g[0], id, outOf[fmt.Sprint(g[0])], outOf[fmt.Sprint(id)])
				}
			}
		}
	}
}

// Outputs pulled concurrently never deadlock when one of them is closed
// early, even while producers are blocked on its full channel; the others
// still get exactly their rows.
func TestRepartitionEarlyClose(t *testing.T) {
	noLeaks(t)
	alloc := checked(t)
	s, b, _ := testInput(t, alloc, 60000)
	keys := []int{0}
	ref, errs := pullAll(t, NewRepartition(splitInputs(s, b, 3), keys, 4, alloc), nil)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, stop := range [][]int{{1, 0, 0, 0}, {0, 0, 2, 0}, {1, 1, 0, 1}} {
		outs := NewRepartition(splitInputs(s, b, 3), keys, 4, alloc)
		// Let the producers fill every channel before anyone reads.
		ctx := context.Background()
		outs[0].Open(ctx)
		time.Sleep(20 * time.Millisecond)
		got, errs := pullAll(t, outs, stop)
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		for p := range outs {
			if stop[p] == 0 {
				sameRows(t, fmt.Sprintf("stop %v output %d", stop, p), sorted(got[p]), sorted(ref[p]))
			}
		}
	}

	// Closing every output while producers are blocked releases all.
	outs := NewRepartition(splitInputs(s, b, 3), keys, 3, alloc)
	ctx := context.Background()
	for _, o := range outs {
		if err := o.Open(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := outs[1].Next(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	for _, o := range outs {
		o.Close()
		o.Close() // idempotent
	}

	// Closing outputs that were never opened closes the inputs.
	ins := splitInputs(s, b, 2)
	for _, o := range NewRepartition(ins, keys, 2, alloc) {
		o.Close()
	}
	for _, in := range ins {
		if !in.(*source).closed {
			t.Fatal("input not closed")
		}
	}
}

func TestRepartitionErrors(t *testing.T) {
	noLeaks(t)
	alloc := checked(t)
	s, b, _ := testInput(t, alloc, 20000)

	// A failing input: every output reports its error once; all inputs,
	// including one blocked in Next, are closed.
	failing := newSource(s, b...)
	failing.failAt = 3
	blocked := newSource(s)
	blocked.block = true
	ins := []exec.Operator{newSource(s, b...), failing, blocked}
	_, errs := pullAll(t, NewRepartition(ins, []int{0}, 3, alloc), nil)
	for p, err := range errs {
		if !errors.Is(err, errFail) {
			t.Fatalf("output %d: want the source's error, got %v", p, err)
		}
	}
	for _, in := range ins {
		if !in.(*source).closed {
			t.Fatal("input not closed")
		}
	}

	// Cancelling a consumer's context.
	blocked = newSource(s)
	blocked.block = true
	outs := NewRepartition([]exec.Operator{blocked}, []int{0}, 2, alloc)
	cctx, cancel := context.WithCancel(context.Background())
	outs[0].Open(cctx)
	cancel()
	if _, err := exec.Next(cctx, outs[0]); sqlerr.Code(err) != sqlerr.QueryCanceled {
		t.Fatalf("want 57014, got %v", err)
	}
	// The producers ran under that context: the other output sees the
	// cancellation too rather than waiting forever.
	if _, err := outs[1].Next(context.Background()); sqlerr.Code(err) != sqlerr.QueryCanceled {
		t.Fatalf("other output: want 57014, got %v", err)
	}
	for _, o := range outs {
		o.Close()
	}
	if !blocked.closed {
		t.Fatal("input not closed")
	}
}

// Many partitions cut batches into slivers; they are sent coalesced.
func TestRepartitionCoalesces(t *testing.T) {
	noLeaks(t)
	alloc := checked(t)
	s := schemaOf(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String)
	rng := rand.New(rand.NewPCG(3, 4))
	var b []arrow.RecordBatch
	for range 32 {
		cols := []arrow.Array{
			genArray(alloc, arrow.PrimitiveTypes.Int64, exec.BatchSize, 1<<20, 5, rng),
			genArray(alloc, arrow.BinaryTypes.String, exec.BatchSize, 1<<20, 5, rng),
		}
		b = append(b, newBatch(s, cols, exec.BatchSize))
	}
	defer releaseBatches(b)
	const n = 16
	outs := NewRepartition(splitInputs(s, b, 2), []int{0}, n, alloc)
	var rows []string
	batches := 0
	g := NewGather(outs...)
	err := exec.Drain(context.Background(), g, func(x arrow.RecordBatch) error {
		batches++
		if x.NumRows() > exec.BatchSize {
			return fmt.Errorf("batch of %d rows", x.NumRows())
		}
		rows = append(rows, rowsOf([]arrow.RecordBatch{x})...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "coalesced", sorted(rows), sorted(rowsOf(b)))
	// 32 batches cut 16 ways are 512 slivers of ~512 rows; coalesced they
	// make batches of at least flushRows, but for the last one of each
	// partition and producer.
	if max := 32*exec.BatchSize/flushRows + 2*n; batches > max {
		t.Fatalf("%d batches out, want at most %d", batches, max)
	}
}

// The final phase of a grouped aggregation run per partition gives the same
// groups as one Final over everything.
func TestRepartitionParallelFinalAggregate(t *testing.T) {
	noLeaks(t)
	alloc := checked(t)
	s, b, _ := testInput(t, alloc, 40000)
	specs := []AggSpec{{Fn: AggCountStar, Arg: -1, Result: types.Int64T}, {Fn: AggMax, Arg: 0, Result: types.Int32T}}
	groups := []int{1, 2}
	build := func(parallel bool) exec.Operator {
		ins := splitInputs(s, b, 3)
		ps, err := PartialSchema(s, groups, specs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ins {
			if ins[i], err = NewHashAggregate(ins[i], groups, specs, AggPartial, ps, nil, alloc); err != nil {
				t.Fatal(err)
			}
		}
		pg := []int{0, 1}
		if !parallel {
			f, err := NewHashAggregate(NewGather(ins...), pg, specs, AggFinal, nil, nil, alloc)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		parts := NewRepartition(ins, pg, 3, alloc)
		for i := range parts {
			if parts[i], err = NewHashAggregate(parts[i], pg, specs, AggFinal, nil, nil, alloc); err != nil {
				t.Fatal(err)
			}
		}
		return NewGather(parts...)
	}
	want := sorted(collect(t, build(false)))
	if len(want) < 1000 {
		t.Fatalf("only %d groups", len(want))
	}
	sameRows(t, "parallel final", sorted(collect(t, build(true))), want)
}

// BenchmarkRepartition measures the exchange alone: 1M rows of five columns
// dealt to n outputs, each drained by its own goroutine.
func BenchmarkRepartition(b *testing.B) {
	s, in := benchInput(1 << 20)
	defer releaseBatches(in)
	for _, tc := range []struct {
		name string
		keys []int
		n    int
	}{
		{"int64key/2", []int{0}, 2},
		{"int64key/8", []int{0}, 8},
		{"int64+text/4", []int{0, 4}, 4},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(benchBytes(in))
			for range b.N {
				outs := NewRepartition(splitInputs(s, in, 2), tc.keys, tc.n, memory.DefaultAllocator)
				var wg sync.WaitGroup
				for _, o := range outs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := exec.Drain(context.Background(), o, func(arrow.RecordBatch) error { return nil }); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
			}
		})
	}
}

// BenchmarkFinalAggregate compares the final phase of a grouped aggregation
// with 1M groups split over two partial streams: one Final over a Gather
// against a Repartition feeding one Final per partition.
func BenchmarkFinalAggregate(b *testing.B) {
	alloc := memory.DefaultAllocator
	s := schemaOf(arrow.PrimitiveTypes.Int64, types.NumericT(0, 2).Arrow())
	specs := []AggSpec{{Fn: AggSum, Arg: 1, Result: types.NumericT(0, 2)}, {Fn: AggCountStar, Arg: -1, Result: types.Int64T}}
	ps, err := PartialSchema(s, []int{0}, specs)
	if err != nil {
		b.Fatal(err)
	}
	// Partial states of two streams that share half their groups.
	rng := rand.New(rand.NewPCG(5, 6))
	var streams [2][]arrow.RecordBatch
	for st := range streams {
		src := genBatches(alloc, s, 1<<20, 1<<20, 0, rng)
		agg, err := NewHashAggregate(newSource(s, src...), []int{0}, specs, AggPartial, ps, nil, alloc)
		if err != nil {
			b.Fatal(err)
		}
		releaseBatches(src)
		if err := exec.Drain(context.Background(), agg, func(x arrow.RecordBatch) error {
			x.Retain()
			streams[st] = append(streams[st], x)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	defer releaseBatches(streams[0])
	defer releaseBatches(streams[1])
	inputs := func() []exec.Operator {
		return []exec.Operator{newSource(ps, streams[0]...), newSource(ps, streams[1]...)}
	}
	run := func(b *testing.B, root exec.Operator) {
		if err := exec.Drain(context.Background(), root, func(arrow.RecordBatch) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("single", func(b *testing.B) {
		for range b.N {
			f, err := NewHashAggregate(NewGather(inputs()...), []int{0}, specs, AggFinal, nil, nil, alloc)
			if err != nil {
				b.Fatal(err)
			}
			run(b, f)
		}
	})
	b.Run("repartitioned", func(b *testing.B) {
		for range b.N {
			parts := NewRepartition(inputs(), []int{0}, 2, alloc)
			for i := range parts {
				if parts[i], err = NewHashAggregate(parts[i], []int{0}, specs, AggFinal, nil, nil, alloc); err != nil {
					b.Fatal(err)
				}
			}
			run(b, NewGather(parts...))
		}
	})
}
