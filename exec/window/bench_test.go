package window

import (
	"context"
	"io"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/ops"
)

// replay re-emits shared batches on every run without releasing them.
type replay struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	pos     int
}

func (s *replay) Schema() *arrow.Schema      { return s.schema }
func (s *replay) Open(context.Context) error { s.pos = 0; return nil }
func (s *replay) Close() error               { return nil }
func (s *replay) Next(context.Context) (arrow.RecordBatch, error) {
	if s.pos >= len(s.batches) {
		return nil, io.EOF
	}
	s.pos++
	return s.batches[s.pos-1], nil
}

// benchInput is 1M rows (p int64 with 1000 partitions, o int64, v int32, f float64).
func benchInput(b *testing.B) *replay {
	const n = 1 << 20
	r := rand.New(rand.NewSource(1))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "p", Type: arrow.PrimitiveTypes.Int64}, {Name: "o", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Int32}, {Name: "f", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	src := &replay{schema: schema}
	alloc := memory.DefaultAllocator
	for start := 0; start < n; start += exec.BatchSize {
		m := min(exec.BatchSize, n-start)
		p, o, v, f := make([]int64, m), make([]int64, m), make([]int32, m), make([]float64, m)
		for i := range p {
			p[i], o[i], v[i], f[i] = int64(r.Intn(1000)), int64(r.Intn(100000)), int32(r.Intn(1000)), r.Float64()
		}
		cols := []arrow.Array{
			fixedArray(alloc, schema.Field(0).Type, p, nil), fixedArray(alloc, schema.Field(1).Type, o, nil),
			fixedArray(alloc, schema.Field(2).Type, v, nil), fixedArray(alloc, schema.Field(3).Type, f, nil),
		}
		src.batches = append(src.batches, array.NewRecordBatch(schema, cols, int64(m)))
		releaseArrays(cols)
	}
	b.Cleanup(func() {
		for _, x := range src.batches {
			x.Release()
		}
	})
	return src
}

func BenchmarkWindow1M(b *testing.B) {
	src := benchInput(b)
	cases := []struct {
		name  string
		part  []int
		order []ops.SortKey
		funcs []Func
	}{
		{"rank_rownumber", []int{0}, []ops.SortKey{{Col: 1}}, []Func{
			{Name: "row_number", Frame: DefaultFrame}, {Name: "rank", Frame: DefaultFrame}}},
		{"running_sum", []int{0}, []ops.SortKey{{Col: 1}}, []Func{
			{Name: "sum", Args: []int{2}, Frame: DefaultFrame}, {Name: "sum", Args: []int{3}, Frame: DefaultFrame}}},
		{"sliding_rows_10", []int{0}, []ops.SortKey{{Col: 1}}, []Func{
			{Name: "sum", Args: []int{2}, Frame: mustFrame("rows 10p cr")},
			{Name: "avg", Args: []int{2}, Frame: mustFrame("rows 10p 10f")},
			{Name: "max", Args: []int{3}, Frame: mustFrame("rows 10p 10f")}}},
		{"range_offset", []int{0}, []ops.SortKey{{Col: 1}}, []Func{
			{Name: "count_star", Frame: Frame{Mode: Range, Start: Bound{Kind: Preceding, Offset: int64(500)}, End: Bound{Kind: Following, Offset: int64(500)}}}}},
		{"lag_lead", []int{0}, []ops.SortKey{{Col: 1}}, []Func{
			{Name: "lag", Args: []int{3}, Frame: DefaultFrame}, {Name: "lead", Args: []int{2}, Frame: DefaultFrame}}},
		{"whole_partition", []int{0}, nil, []Func{
			{Name: "sum", Args: []int{2}, Frame: DefaultFrame}, {Name: "count_star", Frame: DefaultFrame}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(1<<20) * 28)
			for range b.N {
				w, err := New(src, c.part, c.order, c.funcs, exec.NewMemory(0), memory.DefaultAllocator)
				if err != nil {
					b.Fatal(err)
				}
				rows := 0
				if err := exec.Drain(context.Background(), w, func(r arrow.RecordBatch) error {
					rows += int(r.NumRows())
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				if rows != 1<<20 {
					b.Fatalf("%d rows", rows)
				}
			}
		})
	}
}
