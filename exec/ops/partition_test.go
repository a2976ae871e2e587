package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/exec"
)

// The partition of a key must not depend on the process: nodes of a cluster
// partition independently and must agree. These values were computed once;
// a change to them breaks mixed-version clusters and must be deliberate.
func TestPartitionerStable(t *testing.T) {
	alloc := checked(t)
	schema := schemaOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	sb := array.NewStringBuilder(alloc)
	ib := array.NewInt64Builder(alloc)
	for i, s := range []string{"", "a", "basalt", "lineitem", "NULL"} {
		if s == "NULL" {
			sb.AppendNull()
		} else {
			sb.Append(s)
		}
		ib.Append(int64(i * 1000003))
	}
	b := newBatch(schema, []arrow.Array{sb.NewArray(), ib.NewArray()}, 5)
	defer b.Release()
	sb.Release()
	ib.Release()

	got := func(keys []int) []int32 {
		p := NewPartitioner(schema, keys, 7)
		rows, bounds := p.Split(b)
		out := make([]int32, 5)
		for q := 0; q < 7; q++ {
			for _, r := range rows[bounds[q]:bounds[q+1]] {
				out[r] = int32(q)
			}
		}
		return out
	}
	for _, tc := range []struct {
		keys []int
		want []int32
	}{
		{[]int{0}, []int32{5, 5, 2, 3, 4}},
		{[]int{1}, []int32{6, 0, 5, 2, 0}},
		{[]int{0, 1}, []int32{4, 3, 0, 1, 1}},
	} {
		if g := got(tc.keys); !equalInt32(g, tc.want) {
			t.Errorf("keys %v: partitions %v, want %v", tc.keys, g, tc.want)
		}
	}
}

func equalInt32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Repartition places every row where Partitioner says: the exchange between
// nodes uses Partitioner directly, so local and remote placement agree.
func TestRepartitionFollowsPartitioner(t *testing.T) {
	noLeaks(t)
	alloc := checked(t)
	rng := rand.New(rand.NewPCG(3, 4))
	schema := schemaOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int32)
	batches := genBatches(alloc, schema, 20000, 500, 10, rng)
	keys := []int{0, 1}
	const n = 5
	want := map[string]int{}
	p := NewPartitioner(schema, keys, n)
	for _, b := range batches {
		rs := rowsOf([]arrow.RecordBatch{b})
		rows, bounds := p.Split(b)
		for q := 0; q < n; q++ {
			for _, r := range rows[bounds[q]:bounds[q+1]] {
				want[keyOf(rs[r], keys)] = q
			}
		}
	}
	outs := NewRepartition([]exec.Operator{newSource(schema, batches...)}, keys, n, alloc)
	got, errs := pullAll(t, outs, nil)
	total := 0
	for q, rows := range got {
		if errs[q] != nil {
			t.Fatal(errs[q])
		}
		for _, row := range rows {
			total++
			k := keyOf(row, keys)
			if w, ok := want[k]; !ok || w != q {
				t.Errorf("key %s on output %d, partitioner says %d", k, q, w)
			}
		}
	}
	if total != 20000 {
		t.Fatalf("%d rows out, want 20000", total)
	}
	releaseBatches(batches)
}
