package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/types"
)

const benchRows = 1 << 20

// benchInput is 1M rows: int64 key with card distinct values, int32 value,
// numeric(_,2) value, float64 value, text key with card distinct values.
func benchInput(card int) (*arrow.Schema, []arrow.RecordBatch) {
	alloc := memory.NewGoAllocator()
	s := schemaOf(arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32, types.NumericT(0, 2).Arrow(), arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String)
	rng := rand.New(rand.NewPCG(1, uint64(card)))
	var out []arrow.RecordBatch
	for done := 0; done < benchRows; done += exec.BatchSize {
		cols := make([]arrow.Array, 5)
		for c, f := range s.Fields() {
			cols[c] = genArray(alloc, f.Type, exec.BatchSize, card, 0, rng)
		}
		out = append(out, newBatch(s, cols, exec.BatchSize))
	}
	return s, out
}

func benchBytes(bs []arrow.RecordBatch) int64 {
	var n int64
	for _, b := range bs {
		n += batchBytes(b)
	}
	return n
}

func BenchmarkHashAggregate(b *testing.B) {
	aggs := []AggSpec{
		{Fn: AggCountStar, Arg: -1, Result: types.Int64T},
		{Fn: AggSum, Arg: 1, Result: types.Int64T},
		{Fn: AggSum, Arg: 2, Result: types.NumericT(0, 2)},
		{Fn: AggAvg, Arg: 3, Result: types.Float64T},
		{Fn: AggMax, Arg: 1, Result: types.Int32T},
	}
	for _, tc := range []struct {
		name  string
		card  int
		group []int
	}{
		{"int64key/10groups", 10, []int{0}},
		{"int64key/100kgroups", 100000, []int{0}},
		{"textkey/1kgroups", 1000, []int{4}},
		{"int64+text/1kgroups", 1000, []int{0, 4}},
		{"global", 10, nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, batches := benchInput(tc.card)
			defer releaseBatches(batches)
			b.SetBytes(benchBytes(batches))
			b.ReportAllocs()
			for b.Loop() {
				agg, err := NewHashAggregate(newSource(s, batches...), tc.group, aggs, AggSingle, nil, nil, memory.DefaultAllocator)
				if err != nil {
					b.Fatal(err)
				}
				if err := exec.Drain(b.Context(), agg, func(arrow.RecordBatch) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkHashJoin(b *testing.B) {
	for _, tc := range []struct {
		name      string
		buildRows int
		key       int
		kind      JoinKind
	}{
		{"inner/int64/build100k", 100000, 0, JoinInner},
		{"inner/text/build100k", 100000, 4, JoinInner},
		{"semi/int64/build100k", 100000, 0, JoinSemi},
		{"left/int64/build1M", benchRows, 0, JoinLeft},
	} {
		b.Run(tc.name, func(b *testing.B) {
			// Probe keys span twice the build keys: half the probe rows match.
			s, probe := benchInput(2 * tc.buildRows)
			defer releaseBatches(probe)
			alloc := memory.NewGoAllocator()
			bs := s
			var build []arrow.RecordBatch
			for done := 0; done < tc.buildRows; done += exec.BatchSize {
				n := min(exec.BatchSize, tc.buildRows-done)
				cols := make([]arrow.Array, 5)
				for c, f := range bs.Fields() {
					ib := array.NewBuilder(alloc, f.Type)
					switch bb := ib.(type) {
					case *array.Int64Builder:
						for i := 0; i < n; i++ {
							bb.Append((int64(done+i) - int64(2*tc.buildRows)/3) * 1000003)
						}
					default:
						ib.Release()
						cols[c] = genArray(alloc, f.Type, n, 2*tc.buildRows, 0, rand.New(rand.NewPCG(uint64(done), 1)))
						continue
					}
					cols[c] = ib.NewArray()
					ib.Release()
				}
				build = append(build, newBatch(bs, cols, n))
			}
			defer releaseBatches(build)
			b.SetBytes(benchBytes(probe))
			b.ReportAllocs()
			for b.Loop() {
				hb := NewHashBuild(newSource(bs, build...), []int{tc.key}, nil, memory.DefaultAllocator)
				j, err := NewHashJoin(newSource(s, probe...), hb, []int{tc.key}, tc.kind, nil, false, memory.DefaultAllocator)
				if err != nil {
					b.Fatal(err)
				}
				if err := exec.Drain(b.Context(), j, func(arrow.RecordBatch) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSort(b *testing.B) {
	s, batches := benchInput(1 << 30)
	defer releaseBatches(batches)
	b.SetBytes(benchBytes(batches))
	for b.Loop() {
		op := NewSort(newSource(s, batches...), []SortKey{{Col: 0}}, nil, memory.DefaultAllocator)
		if err := exec.Drain(b.Context(), op, func(arrow.RecordBatch) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
