package window

import (
	"context"
	"errors"
	"math/rand"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

func TestEmptyInput(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	for _, part := range [][]int{nil, {cP}} {
		src := makeSource(t, alloc, litCols, nil, 4)
		w, err := New(src, part, []ops.SortKey{asc(cO)}, []Func{
			{Name: "row_number", Frame: DefaultFrame},
			{Name: "sum", Args: []int{cV}, Frame: DefaultFrame},
			{Name: "lag", Args: []int{cS}, Frame: DefaultFrame},
		}, exec.NewMemory(0), alloc)
		if err != nil {
			t.Fatal(err)
		}
		out, err := run(t, w)
		if err != nil || len(out) != 0 {
			t.Fatalf("got %v, %v; want no rows", out, err)
		}
		if w.Schema().NumFields() != len(litCols)+3 {
			t.Fatalf("schema %v", w.Schema())
		}
	}
}

func TestErrors(t *testing.T) {
	neg := Frame{Mode: Rows, Start: Bound{Kind: Preceding, Offset: int64(-1)}, End: Bound{Kind: CurrentRow}}
	null := Frame{Mode: Rows, Start: Bound{Kind: Preceding}, End: Bound{Kind: CurrentRow}}
	rangeOff := Frame{Mode: Range, Start: Bound{Kind: Preceding, Offset: int64(1)}, End: Bound{Kind: CurrentRow}}
	cases := []struct {
		name  string
		order []ops.SortKey
		fn    Func
		code  string
		atRun bool
	}{
		{"negative rows offset", []ops.SortKey{asc(cO)}, Func{Name: "count_star", Frame: neg}, codeInvalidPrecedingSize, false},
		{"null offset", []ops.SortKey{asc(cO)}, Func{Name: "count_star", Frame: null}, codeNullValueNotAllowed, false},
		{"range offset two keys", []ops.SortKey{asc(cO), asc(cID)}, Func{Name: "count_star", Frame: rangeOff}, codeWindowingError, false},
		{"range offset on text", []ops.SortKey{asc(cS)}, Func{Name: "count_star", Frame: rangeOff}, sqlerr.FeatureNotSupported, false},
		{"negative range offset", []ops.SortKey{asc(cO)}, Func{Name: "count_star", Frame: Frame{Mode: Range, Start: Bound{Kind: Preceding, Offset: int64(-2)}, End: Bound{Kind: CurrentRow}}}, codeInvalidPrecedingSize, false},
		{"groups without order", nil, Func{Name: "count_star", Frame: mustFrame("groups 1p cr")}, codeWindowingError, false},
		{"start unbounded following", []ops.SortKey{asc(cO)}, Func{Name: "count_star", Frame: mustFrame("rows uf uf")}, codeWindowingError, false},
		{"following to current", []ops.SortKey{asc(cO)}, Func{Name: "count_star", Frame: mustFrame("rows 1f cr")}, codeWindowingError, false},
		{"unknown function", nil, Func{Name: "median", Args: []int{cV}, Frame: DefaultFrame}, sqlerr.UndefinedFunction, false},
		{"sum of text", nil, Func{Name: "sum", Args: []int{cS}, Frame: DefaultFrame}, sqlerr.UndefinedFunction, false},
		{"ntile zero", []ops.SortKey{asc(cO)}, Func{Name: "ntile", Args: []int{7}, Frame: DefaultFrame}, codeInvalidNtileGroups, true},
		{"nth_value zero", []ops.SortKey{asc(cO)}, Func{Name: "nth_value", Args: []int{cS, 7}, Frame: DefaultFrame}, codeInvalidArgumentForNth, true},
	}
	cols := append(append([]col(nil), litCols...), col{"n", types.Int32T}, col{"z", types.Int32T})
	var data [][]any
	for _, r := range litRows {
		data = append(data, append(append([]any(nil), r...), 1, 0))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer alloc.AssertSize(t, 0)
			src := makeSource(t, alloc, cols, data, 4)
			w, err := New(src, nil, c.order, []Func{c.fn}, exec.NewMemory(0), alloc)
			if err == nil {
				if !c.atRun {
					w.Close()
					t.Fatalf("New accepted it")
				}
				_, err = run(t, w)
			} else {
				src.Close()
			}
			if sqlerr.Code(err) != c.code {
				t.Fatalf("got %v (%s), want SQLSTATE %s", err, sqlerr.Code(err), c.code)
			}
		})
	}
}

// bigInput builds n rows (id, p, o) with partitions of very different sizes,
// including ones larger than a batch, emitted in shuffled batches.
func bigInput(t testing.TB, alloc memory.Allocator, n int, seed int64) (*source, []int) {
	r := rand.New(rand.NewSource(seed))
	sizes := []int{1, 1, 3, 20000, 7, 9000, 1, 500}
	var part []int
	for len(part) < n {
		s := sizes[r.Intn(len(sizes))]
		p := len(part)
		for k := 0; k < s && len(part) < n; k++ {
			part = append(part, p)
		}
	}
	r.Shuffle(len(part), func(i, j int) { part[i], part[j] = part[j], part[i] })
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "p", Type: arrow.PrimitiveTypes.Int64},
		{Name: "o", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	src := &source{schema: schema}
	for start := 0; start < n; start += 5000 {
		end := min(n, start+5000)
		ids, ps, os := make([]int64, end-start), make([]int64, end-start), make([]int64, end-start)
		for i := start; i < end; i++ {
			ids[i-start], ps[i-start], os[i-start] = int64(i), int64(part[i]), int64(r.Intn(1000))
		}
		cols := []arrow.Array{
			fixedArray(alloc, arrow.PrimitiveTypes.Int64, ids, nil),
			fixedArray(alloc, arrow.PrimitiveTypes.Int64, ps, nil),
			fixedArray(alloc, arrow.PrimitiveTypes.Int64, os, nil),
		}
		src.batches = append(src.batches, array.NewRecordBatch(schema, cols, int64(end-start)))
		releaseArrays(cols)
	}
	return src, part
}

// TestManyPartitions runs partitions larger and smaller than a batch through
// the chunking and checks each row against a direct computation.
func TestManyPartitions(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	const n = 60000
	src, part := bigInput(t, alloc, n, 3)
	size := map[int]int{}
	for _, p := range part {
		size[p]++
	}
	w, err := New(src, []int{1}, []ops.SortKey{{Col: 2}, {Col: 0}}, []Func{
		{Name: "row_number", Frame: DefaultFrame},
		{Name: "count_star", Frame: mustFrame("rows up uf")},
		{Name: "sum", Args: []int{2}, Frame: mustFrame("rows 3p cr")},
		{Name: "max", Args: []int{2}, Frame: mustFrame("rows 2p 2f")},
	}, exec.NewMemory(0), alloc)
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	prevP, pos := int64(-1), 0
	var window []int64 // o of the partition so far
	seen := map[int64]bool{}
	var pending [][2]int64 // (row index in partition, max) to check once o values after are known
	err = exec.Drain(context.Background(), w, func(b arrow.RecordBatch) error {
		p := b.Column(1).(*array.Int64).Int64Values()
		o := b.Column(2).(*array.Int64).Int64Values()
		rn := b.Column(3).(*array.Int64).Int64Values()
		cnt := b.Column(4).(*array.Int64).Int64Values()
		sum := b.Column(5).(*array.Decimal128) // sum(int8) is numeric
		mx := b.Column(6).(*array.Int64).Int64Values()
		for i := range p {
			rows++
			if p[i] != prevP {
				if seen[p[i]] {
					t.Fatalf("partition %d split", p[i])
				}
				checkMax(t, window, pending)
				seen[p[i]], prevP, pos, window, pending = true, p[i], 0, window[:0], pending[:0]
			}
			pos++
			window = append(window, o[i])
			if rn[i] != int64(pos) || cnt[i] != int64(size[int(p[i])]) {
				t.Fatalf("partition %d row %d: row_number %d count %d (size %d)", p[i], pos, rn[i], cnt[i], size[int(p[i])])
			}
			var s int64
			for k := max(0, len(window)-4); k < len(window); k++ {
				s += window[k]
			}
			if sum.Value(i) != decimal128.FromI64(s) {
				t.Fatalf("partition %d row %d: sum %s want %d", p[i], pos, sum.ValueStr(i), s)
			}
			pending = append(pending, [2]int64{int64(pos - 1), mx[i]})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkMax(t, window, pending)
	if rows != n {
		t.Fatalf("%d rows, want %d", rows, n)
	}
}

func checkMax(t *testing.T, window []int64, pending [][2]int64) {
	for _, pm := range pending {
		i := int(pm[0])
		m := window[i]
		for k := max(0, i-2); k <= min(len(window)-1, i+2); k++ {
			m = max(m, window[k])
		}
		if pm[1] != m {
			t.Fatalf("row %d: max %d want %d", i, pm[1], m)
		}
	}
}

func TestMemoryLimit(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	empty := spillDirIsEmpty(t)
	// Without keys there is no sort (which may spill): the one partition
	// is larger than the budget. count(*) over it spools the partition
	// and counts it first.
	src, _ := bigInput(t, alloc, 60000, 4)
	mem := exec.NewMemory(64 << 10)
	w, err := New(src, nil, nil, []Func{{Name: "count_star", Frame: DefaultFrame}}, mem, alloc)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := run(t, w)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if len(rows) != 60000 || rows[0][3] != "60000" || rows[59999][3] != "60000" {
		t.Fatalf("%d rows, first %v", len(rows), rows[0])
	}
	if mem.Used() != 0 {
		t.Fatalf("%d bytes still reserved", mem.Used())
	}
	// A frame from the partition's start to a row ahead neither streams
	// nor needs only totals: the partition must fit, and does not.
	src, _ = bigInput(t, alloc, 60000, 4)
	w, err = New(src, nil, nil, []Func{{Name: "count_star", Frame: mustFrame("rows up 1f")}}, mem, alloc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = run(t, w)
	w.Close()
	if !errors.Is(err, exec.ErrMemoryLimit) || sqlerr.Code(err) != sqlerr.OutOfMemory {
		t.Fatalf("got %v, want 53200", err)
	}
	if mem.Used() != 0 {
		t.Fatalf("%d bytes still reserved", mem.Used())
	}
	empty()
}

func TestOutputNames(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	src := makeSource(t, alloc, litCols, litRows, 8)
	w, err := New(src, nil, nil, []Func{{Name: "avg", Args: []int{cV}, Frame: DefaultFrame, Result: types.NumericT(0, 16)}}, nil, alloc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	f := w.Schema().Field(len(litCols))
	if f.Name != "avg" || !arrow.TypeEqual(f.Type, &arrow.Decimal128Type{Precision: 38, Scale: 16}) {
		t.Fatalf("field %v", f)
	}
	if _, err := New(src, nil, nil, []Func{{Name: "count_star", Frame: DefaultFrame, Result: types.Int32T}}, nil, alloc); err == nil {
		t.Fatal("a wrong planner result type was accepted")
	}
	_ = strconv.Itoa
}
