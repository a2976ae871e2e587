package ops

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/types"
)

// source is a test operator yielding fixed batches.
type source struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	pos     int
	opened  bool
	closed  bool
	failAt  int // return errFail at this Next call (1-based); 0 = never
	calls   int
	block   bool // block in Next until ctx is done
}

var errFail = fmt.Errorf("source failed")

func newSource(schema *arrow.Schema, batches ...arrow.RecordBatch) *source {
	for _, b := range batches {
		b.Retain()
	}
	return &source{schema: schema, batches: batches}
}

func (s *source) Schema() *arrow.Schema          { return s.schema }
func (s *source) Open(ctx context.Context) error { s.opened = true; return nil }
func (s *source) Next(ctx context.Context) (arrow.RecordBatch, error) {
	s.calls++
	if s.failAt > 0 && s.calls == s.failAt {
		return nil, errFail
	}
	if s.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if s.pos >= len(s.batches) {
		return nil, io.EOF
	}
	s.pos++
	return s.batches[s.pos-1], nil
}
func (s *source) Close() error {
	if !s.closed {
		s.closed = true
		releaseBatches(s.batches)
	}
	return nil
}

// cellStr formats one cell for comparisons.
func cellStr(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch x := a.(type) {
	case *array.Decimal128:
		return x.Value(i).ToString(x.DataType().(*arrow.Decimal128Type).Scale)
	case *array.Float64:
		return fmt.Sprintf("%.6g", x.Value(i))
	case *array.Float32:
		return fmt.Sprintf("%.5g", x.Value(i))
	case *array.MonthDayNanoInterval:
		v := x.Value(i)
		return fmt.Sprintf("%dm%dd%dns", v.Months, v.Days, v.Nanoseconds)
	}
	return a.ValueStr(i)
}

// rowsOf formats every row of the batches, in order.
func rowsOf(batches []arrow.RecordBatch) []string {
	var out []string
	for _, b := range batches {
		for i := 0; i < int(b.NumRows()); i++ {
			var cells []string
			for _, c := range b.Columns() {
				cells = append(cells, cellStr(c, i))
			}
			out = append(out, strings.Join(cells, "|"))
		}
	}
	return out
}

// collect drains op and returns its rows formatted; it checks the operator
// contract (no empty batches, batch size bound).
func collect(t *testing.T, op exec.Operator) []string {
	t.Helper()
	rows, err := collectErr(op)
	if err != nil {
		t.Fatalf("drain: %v", err)
	}
	return rows
}

func collectErr(op exec.Operator) ([]string, error) {
	var rows []string
	err := exec.Drain(context.Background(), op, func(b arrow.RecordBatch) error {
		if b.NumRows() == 0 {
			return fmt.Errorf("empty batch")
		}
		if b.NumRows() > exec.BatchSize {
			return fmt.Errorf("batch of %d rows", b.NumRows())
		}
		if !b.Schema().Equal(op.Schema()) {
			return fmt.Errorf("batch schema %s != operator schema %s", b.Schema(), op.Schema())
		}
		rows = append(rows, rowsOf([]arrow.RecordBatch{b})...)
		return nil
	})
	return rows, err
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d rows, want %d\ngot:  %v\nwant: %v", what, len(got), len(want), head(got), head(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: row %d: got %q, want %q", what, i, got[i], want[i])
		}
	}
}

func head(s []string) []string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}

// allTypes are the engine's column types.
var allTypes = []types.T{
	types.BoolT, types.Int16T, types.Int32T, types.Int64T, types.Float32T, types.Float64T,
	types.NumericT(12, 2), types.TextT, types.ByteaT, types.DateT, types.TimeT, types.TimestampT,
	types.TimestampTZT, types.IntervalT,
}

// genArray makes n random values of dt drawn from card distinct values, with
// roughly nullPct percent NULLs.
func genArray(alloc memory.Allocator, dt arrow.DataType, n, card, nullPct int, rng *rand.Rand) arrow.Array {
	if lt, ok := dt.(*arrow.ListType); ok {
		// Arrays of 0-3 elements drawn like scalar columns (with NULLs).
		offs := make([]int32, n+1)
		valid := make([]bool, n)
		for i := 0; i < n; i++ {
			valid[i] = rng.IntN(100) >= nullPct
			offs[i+1] = offs[i]
			if valid[i] {
				offs[i+1] += int32(rng.IntN(4))
			}
		}
		elems := genArray(alloc, lt.Elem(), int(offs[n]), card, nullPct, rng)
		defer elems.Release()
		b := array.NewListBuilder(alloc, lt.Elem())
		defer b.Release()
		for i := 0; i < n; i++ {
			if !valid[i] {
				b.AppendNull()
				continue
			}
			b.Append(true)
			for k := offs[i]; k < offs[i+1]; k++ {
				if err := b.ValueBuilder().AppendValueFromString(elems.ValueStr(int(k))); err != nil {
					panic(err)
				}
			}
		}
		return b.NewArray()
	}
	b := array.NewBuilder(alloc, dt)
	defer b.Release()
	for i := 0; i < n; i++ {
		if rng.IntN(100) < nullPct {
			b.AppendNull()
			continue
		}
		v := rng.IntN(card) - card/3
		switch bb := b.(type) {
		case *array.BooleanBuilder:
			bb.Append(v%2 == 0)
		case *array.Int16Builder:
			bb.Append(int16(v))
		case *array.Int32Builder:
			bb.Append(int32(v))
		case *array.Int64Builder:
			bb.Append(int64(v) * 1000003)
		case *array.Float32Builder:
			bb.Append(float32(v) / 4)
		case *array.Float64Builder:
			bb.Append(float64(v) / 8)
		case *array.Decimal128Builder:
			bb.Append(decimal128.FromI64(int64(v) * 137))
		case *array.StringBuilder:
			bb.Append(strings.Repeat("k", (v%5+5)%5+1) + fmt.Sprint(v))
		case *array.BinaryBuilder:
			bb.Append([]byte(fmt.Sprintf("\x00b%d", v)))
		case *array.Date32Builder:
			bb.Append(arrow.Date32(v))
		case *array.Time64Builder:
			bb.Append(arrow.Time64(v * 1000))
		case *array.TimestampBuilder:
			bb.Append(arrow.Timestamp(int64(v) * 1e6))
		case *array.MonthDayNanoIntervalBuilder:
			bb.Append(arrow.MonthDayNanoInterval{Months: int32(v % 3), Days: int32(v), Nanoseconds: int64(v) * 1000})
		default:
			panic(fmt.Sprintf("genArray: %T", b))
		}
	}
	return b.NewArray()
}

// genBatches splits n random rows of the given types into batches of
// varying size.
func genBatches(alloc memory.Allocator, schema *arrow.Schema, n, card, nullPct int, rng *rand.Rand) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	for n > 0 {
		m := min(n, 1+rng.IntN(3000))
		n -= m
		cols := make([]arrow.Array, schema.NumFields())
		for c, f := range schema.Fields() {
			cols[c] = genArray(alloc, f.Type, m, card, nullPct, rng)
		}
		out = append(out, newBatch(schema, cols, m))
	}
	return out
}

func schemaOf(ts ...arrow.DataType) *arrow.Schema {
	fs := make([]arrow.Field, len(ts))
	for i, t := range ts {
		fs[i] = arrow.Field{Name: fmt.Sprintf("c%d", i), Type: t, Nullable: true}
	}
	return arrow.NewSchema(fs, nil)
}

// boxed reads row i of every column as a Go value (tests only).
func boxed(cols []arrow.Array, i int) []any {
	out := make([]any, len(cols))
	for c, a := range cols {
		if a.IsNull(i) {
			continue
		}
		out[c] = a.GetOneForMarshal(i)
	}
	return out
}

// checked returns a checked allocator asserted empty at the end of t.
func checked(t *testing.T) *memory.CheckedAllocator {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { alloc.AssertSize(t, 0) })
	return alloc
}

func newSlice(a arrow.Array, i, j int) arrow.Array { return array.NewSlice(a, int64(i), int64(j)) }
