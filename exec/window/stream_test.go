package window

import (
	"context"
	"errors"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Columns of genInput.
const (
	gID = iota
	gP
	gO
	gV // int64, some NULL
	gF // float64, some NULL
	gD // numeric(38,2)
	gB // bool, some NULL
	gS // text, some NULL
	gK // int64 constant 3 (a lag offset)
)

// genInput builds n rows in shuffled order: partition 0 holds most of them
// (far more than a 64KB budget), the rest are spread over small partitions.
// o has ties (about 20 rows share a value in partition 0).
func genInput(t testing.TB, alloc memory.Allocator, n int, seed int64) *source {
	t.Helper()
	r := rand.New(rand.NewSource(seed))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "p", Type: arrow.PrimitiveTypes.Int64},
		{Name: "o", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "d", Type: &arrow.Decimal128Type{Precision: 38, Scale: 2}},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	perm := r.Perm(n)
	src := &source{schema: schema}
	bld := array.NewRecordBuilder(alloc, schema)
	defer bld.Release()
	for i, id := range perm {
		p := int64(0)
		if id%10 >= 7 {
			p = int64(1 + id%37)
		}
		bld.Field(gID).(*array.Int64Builder).Append(int64(id))
		bld.Field(gP).(*array.Int64Builder).Append(p)
		bld.Field(gO).(*array.Int64Builder).Append(int64(r.Intn(n / 20)))
		if r.Intn(10) == 0 {
			bld.Field(gV).AppendNull()
			bld.Field(gF).AppendNull()
			bld.Field(gB).AppendNull()
			bld.Field(gS).AppendNull()
		} else {
			bld.Field(gV).(*array.Int64Builder).Append(int64(r.Intn(2000) - 1000))
			bld.Field(gF).(*array.Float64Builder).Append(r.Float64()*1000 - 500)
			bld.Field(gB).(*array.BooleanBuilder).Append(r.Intn(50) != 0)
			bld.Field(gS).(*array.StringBuilder).Append("s" + strconv.Itoa(r.Intn(100000)))
		}
		bld.Field(gD).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(r.Intn(1000000) - 500000)))
		bld.Field(gK).(*array.Int64Builder).Append(3)
		if (i+1)%3000 == 0 || i == n-1 {
			src.batches = append(src.batches, bld.NewRecordBatch())
		}
	}
	return src
}

type streamCase struct {
	name  string
	part  []int
	order []ops.SortKey
	funcs []Func
}

func streamCases() []streamCase {
	byOID := []ops.SortKey{{Col: gO}, {Col: gID}}
	byO := []ops.SortKey{{Col: gO, Desc: true, NullsFirst: true}}
	byOdescID := []ops.SortKey{{Col: gO, Desc: true, NullsFirst: true}, {Col: gID}}
	rowsUC := mustFrame("rows up cr")
	// Float sums depend on the order of rows, so they only run under a
	// total order (a spilled sort orders peers differently).
	return []streamCase{
		{"ranking", []int{gP}, byO, []Func{
			{Name: "rank"}, {Name: "dense_rank"},
		}},
		{"row_number_lag", []int{gP}, byOID, []Func{
			{Name: "row_number"},
			{Name: "lag", Args: []int{gV}},
			{Name: "lag", Args: []int{gS, gK}},
			{Name: "lag", Args: []int{gV, gK, gID}},
		}},
		{"rows_aggregates", []int{gP}, byOID, []Func{
			{Name: "count_star", Frame: rowsUC},
			{Name: "count", Args: []int{gV}, Frame: rowsUC},
			{Name: "sum", Args: []int{gV}, Frame: rowsUC},
			{Name: "sum", Args: []int{gF}, Frame: rowsUC},
			{Name: "avg", Args: []int{gD}, Frame: rowsUC},
			{Name: "avg", Args: []int{gF}, Frame: rowsUC},
			{Name: "min", Args: []int{gS}, Frame: rowsUC},
			{Name: "max", Args: []int{gF}, Frame: rowsUC},
			{Name: "bool_and", Args: []int{gB}, Frame: rowsUC},
			{Name: "var_samp", Args: []int{gV}, Frame: rowsUC},
			{Name: "stddev_pop", Args: []int{gF}, Frame: rowsUC},
		}},
		{"range_aggregates", []int{gP}, byO, []Func{
			{Name: "count_star", Frame: DefaultFrame},
			{Name: "sum", Args: []int{gV}, Frame: DefaultFrame},
			{Name: "sum", Args: []int{gD}, Frame: DefaultFrame},
			{Name: "avg", Args: []int{gD}, Frame: DefaultFrame},
			{Name: "min", Args: []int{gV}, Frame: DefaultFrame},
			{Name: "max", Args: []int{gS}, Frame: mustFrame("groups up cr")},
			{Name: "bool_or", Args: []int{gB}, Frame: DefaultFrame},
		}},
		{"first_value", []int{gP}, byOID, []Func{
			{Name: "first_value", Args: []int{gS}, Frame: DefaultFrame},
			{Name: "first_value", Args: []int{gV}, Frame: mustFrame("rows up 2f")},
			{Name: "sum", Args: []int{gV}, Frame: DefaultFrame},
		}},
		{"margins", []int{gP}, byOID, []Func{
			{Name: "lead", Args: []int{gV}},
			{Name: "lead", Args: []int{gS, gK}},
			{Name: "lead", Args: []int{gV, gK, gID}},
			{Name: "lag", Args: []int{gD}},
			{Name: "sum", Args: []int{gV}, Frame: mustFrame("rows 3p 2f")},
			{Name: "sum", Args: []int{gF}, Frame: mustFrame("rows 1f 3f")},
			{Name: "min", Args: []int{gS}, Frame: mustFrame("rows 5p cr")},
			{Name: "max", Args: []int{gV}, Frame: mustFrame("rows 2p 2f xcur")},
			{Name: "last_value", Args: []int{gV}, Frame: mustFrame("rows cr 2f")},
			{Name: "nth_value", Args: []int{gS, gK}, Frame: mustFrame("rows 2p 4f")},
			{Name: "count", Args: []int{gV}, Frame: mustFrame("rows 2p 2f xgroup")},
			{Name: "row_number"},
		}},
		// Ties with look-ahead: rows wait both for lead's next rows and for
		// their peer group's end. Every value here is the same for any
		// order of peers (lead(k, k, k) is 3 always: it exercises waiting).
		{"margins_peers", []int{gP}, byO, []Func{
			{Name: "rank"},
			{Name: "sum", Args: []int{gV}, Frame: DefaultFrame},
			{Name: "lead", Args: []int{gK, gK, gK}},
		}},
		// Whole-partition totals: spooled to disk, two passes.
		{"spool_totals", []int{gP}, byOID, []Func{
			{Name: "ntile", Args: []int{gK}},
			{Name: "percent_rank"},
			{Name: "cume_dist"},
			{Name: "last_value", Args: []int{gS}, Frame: mustFrame("rows up uf")},
			{Name: "sum", Args: []int{gV}, Frame: mustFrame("range up uf")},
			{Name: "count_star", Frame: mustFrame("rows up uf")},
			{Name: "avg", Args: []int{gD}, Frame: mustFrame("groups up uf")},
			{Name: "min", Args: []int{gS}, Frame: mustFrame("rows up uf")},
			{Name: "bool_or", Args: []int{gB}, Frame: mustFrame("rows up uf")},
			{Name: "row_number"},
			{Name: "lag", Args: []int{gV}},
			{Name: "lead", Args: []int{gS, gK}},
			{Name: "sum", Args: []int{gV}, Frame: mustFrame("rows 2p 2f")},
			{Name: "sum", Args: []int{gD}, Frame: DefaultFrame},
		}},
		{"spool_peers", []int{gP}, byO, []Func{
			{Name: "percent_rank"},
			{Name: "cume_dist"},
			{Name: "rank"},
			{Name: "sum", Args: []int{gV}, Frame: DefaultFrame},
			{Name: "max", Args: []int{gS}, Frame: mustFrame("groups up uf")},
		}},
		{"spool_no_order", []int{gP}, nil, []Func{
			{Name: "count_star", Frame: DefaultFrame},
			{Name: "sum", Args: []int{gV}, Frame: DefaultFrame},
			{Name: "avg", Args: []int{gD}, Frame: DefaultFrame},
			{Name: "bool_and", Args: []int{gB}, Frame: DefaultFrame},
		}},
		{"spool_one_partition", nil, byOdescID, []Func{
			{Name: "ntile", Args: []int{gK}},
			{Name: "cume_dist"},
			{Name: "last_value", Args: []int{gID}, Frame: mustFrame("rows up uf")},
			{Name: "dense_rank"},
		}},
		{"one_partition", nil, byOdescID, []Func{
			{Name: "rank"},
			{Name: "sum", Args: []int{gV}, Frame: DefaultFrame},
			{Name: "max", Args: []int{gS}, Frame: DefaultFrame},
			{Name: "lag", Args: []int{gD}},
		}},
		{"no_keys", nil, nil, []Func{
			{Name: "row_number"},
			{Name: "lag", Args: []int{gS, gK}},
			{Name: "sum", Args: []int{gD}, Frame: rowsUC},
			{Name: "first_value", Args: []int{gID}, Frame: rowsUC},
		}},
	}
}

// runSorted runs a window and returns its rows rendered and sorted (peers
// may come out in any order, and their values do not depend on it).
func runSorted(t *testing.T, w *Window) ([]string, error) {
	t.Helper()
	rows, err := run(t, w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, "|")
	}
	slices.Sort(out)
	return out, err
}

// spillDirIsEmpty points spill files at a fresh directory and returns a
// check that nothing is left in it.
func spillDirIsEmpty(t *testing.T) func() {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return func() {
		t.Helper()
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 0 {
			t.Fatalf("spill files left behind: %v", ents)
		}
	}
}

func TestStreamingMatchesInMemory(t *testing.T) {
	const n = 200000
	for _, tc := range streamCases() {
		t.Run(tc.name, func(t *testing.T) {
			alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer alloc.AssertSize(t, 0)
			empty := spillDirIsEmpty(t)

			// The reference: the whole-partition path without a limit.
			w, err := New(genInput(t, alloc, n, 7), tc.part, tc.order, tc.funcs, exec.NewMemory(0), alloc)
			if err != nil {
				t.Fatal(err)
			}
			if !w.streamOK && !w.spoolOK {
				t.Fatal("the case neither streams nor spools")
			}
			want, err := runSorted(t, w)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != n {
				t.Fatalf("%d rows, want %d", len(want), n)
			}
			// The same path under testLimit cannot hold partition 0.
			mem := exec.NewMemory(testLimit)
			w, err = New(genInput(t, alloc, n, 7), tc.part, tc.order, tc.funcs, mem, alloc)
			if err != nil {
				t.Fatal(err)
			}
			w.streamOK, w.spoolOK = false, false
			if _, err := runSorted(t, w); sqlerr.Code(err) != sqlerr.OutOfMemory {
				t.Fatalf("in-memory path under testLimit: %v, want 53200", err)
			}

			mem = exec.NewMemory(testLimit)
			w, err = New(genInput(t, alloc, n, 7), tc.part, tc.order, tc.funcs, mem, alloc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := runSorted(t, w)
			if err != nil {
				t.Fatal(err)
			}
			if !w.switched {
				t.Fatal("neither streamed nor spooled")
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("row %d:\n got %s\nwant %s", i, got[i], want[i])
				}
			}
			if mem.Used() != 0 {
				t.Fatalf("%d bytes still reserved", mem.Used())
			}
			empty()
		})
	}
}

// A single peer group larger than the budget cannot stream: 53200, and
// nothing left reserved.
func TestStreamingPeerGroupTooLarge(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	empty := spillDirIsEmpty(t)
	mem := exec.NewMemory(testLimit)
	// Ordered by the partition column: every row of a partition is a peer.
	w, err := New(genInput(t, alloc, 60000, 3), []int{gP}, []ops.SortKey{{Col: gP}},
		[]Func{{Name: "sum", Args: []int{gV}, Frame: DefaultFrame}}, mem, alloc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = runSorted(t, w)
	if !errors.Is(err, exec.ErrMemoryLimit) || sqlerr.Code(err) != sqlerr.OutOfMemory {
		t.Fatalf("got %v, want 53200", err)
	}
	if mem.Used() != 0 {
		t.Fatalf("%d bytes still reserved", mem.Used())
	}
	empty()
}

// Cancelling while spooling returns the context's error, frees everything
// and removes the spill files.
func TestSpoolCancel(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	empty := spillDirIsEmpty(t)
	mem := exec.NewMemory(testLimit)
	w, err := New(genInput(t, alloc, 200000, 5), []int{gP}, []ops.SortKey{{Col: gO}, {Col: gID}},
		[]Func{{Name: "ntile", Args: []int{gK}}, {Name: "cume_dist"}}, mem, alloc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if err := w.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Next(ctx, w); err != nil {
		t.Fatal(err)
	}
	if w.spool == nil || w.spool.dir.Files() == 0 {
		t.Fatal("nothing was spooled")
	}
	if files, bytes := w.SpillStats(); files < w.spool.dir.Files() || bytes <= 0 {
		t.Fatalf("SpillStats %d files %d bytes", files, bytes)
	}
	cancel()
	for err == nil {
		_, err = exec.Next(ctx, w)
	}
	if !errors.Is(err, context.Canceled) && sqlerr.Code(err) != sqlerr.QueryCanceled {
		t.Fatalf("got %v, want a cancellation", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if mem.Used() != 0 {
		t.Fatalf("%d bytes still reserved", mem.Used())
	}
	empty()
}

// Cancelling while streaming returns the context's error and frees
// everything.
func TestStreamingCancel(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	empty := spillDirIsEmpty(t)
	mem := exec.NewMemory(testLimit)
	w, err := New(genInput(t, alloc, 60000, 5), []int{gP}, []ops.SortKey{{Col: gO}, {Col: gID}},
		[]Func{{Name: "row_number"}, {Name: "sum", Args: []int{gF}, Frame: mustFrame("rows up cr")}}, mem, alloc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if err := w.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Next(ctx, w); err != nil {
		t.Fatal(err)
	}
	cancel()
	for err == nil {
		_, err = exec.Next(ctx, w)
	}
	if !errors.Is(err, context.Canceled) && sqlerr.Code(err) != sqlerr.QueryCanceled {
		t.Fatalf("got %v, want a cancellation", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if mem.Used() != 0 {
		t.Fatalf("%d bytes still reserved", mem.Used())
	}
	empty()
}

// testLimit is the budget of the streaming tests: far below partition 0 of
// genInput (about 10MB at 200K rows), above what the spilling sort in front
// of the window needs to merge its runs (batches of exec.BatchSize rows).
const testLimit = 2 << 20

// An error raised while replaying a spooled partition (ntile of a
// non-positive count) reaches the caller; files, memory and buffers are all
// given back.
func TestSpoolError(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	empty := spillDirIsEmpty(t)
	mem := exec.NewMemory(testLimit)
	// v is negative at the first row of about half the partitions.
	w, err := New(genInput(t, alloc, 200000, 9), []int{gP}, []ops.SortKey{{Col: gO}, {Col: gID}},
		[]Func{{Name: "ntile", Args: []int{gV}}}, mem, alloc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = runSorted(t, w)
	if sqlerr.Code(err) != codeInvalidNtileGroups {
		t.Fatalf("got %v, want %s", err, codeInvalidNtileGroups)
	}
	if !w.switched {
		t.Fatal("did not spool")
	}
	if mem.Used() != 0 {
		t.Fatalf("%d bytes still reserved", mem.Used())
	}
	empty()
}
