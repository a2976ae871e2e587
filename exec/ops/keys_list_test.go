package ops

import (
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// GROUP BY over an array column, as PostgreSQL groups it: equal length and
// pairwise equal elements, NULL elements equal to NULL, all NULL arrays one
// group, '{}' distinct from NULL.
func TestGroupByArrays(t *testing.T) {
	alloc := checked(t)
	rows := [][]*int32{{ip(1), ip(2)}, {ip(1), ip(2)}, nil, {}, {nil}, {nil}, {ip(1), nil}, nil, {}, {ip(2), ip(1)}, {ip(1)}, {ip(1), ip(2)}}
	full := intLists(alloc, append([][]*int32{{ip(9)}}, rows...))
	defer full.Release()
	lists := newSlice(full, 1, full.Len()) // exercise the array offset
	defer lists.Release()
	// A second key column: (array, int) pairs group jointly.
	ints := fixedArray(alloc, arrow.PrimitiveTypes.Int32, []int32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2}, nil)
	defer ints.Release()
	for _, multi := range []bool{false, true} {
		cols := []arrow.Array{lists}
		types := []arrow.DataType{lists.DataType()}
		want := []int32{0, 0, 1, 2, 3, 3, 4, 1, 2, 5, 6, 0}
		if multi {
			cols = append(cols, ints)
			types = append(types, ints.DataType())
			want[11] = 7
		}
		gt := newGroupTable(types)
		out := make([]int32, lists.Len())
		gt.find(cols, lists.Len(), out, nil)
		if !slices.Equal(out, want) {
			t.Fatalf("multi=%v groups %v want %v", multi, out, want)
		}
		// A second batch finds the stored groups again.
		gt.find(cols, lists.Len(), out, nil)
		if !slices.Equal(out, want) {
			t.Fatalf("multi=%v second batch groups %v want %v", multi, out, want)
		}
		keys := gt.keys[0].array(alloc, 0, gt.n)
		var got []string
		for i := 0; i < keys.Len(); i++ {
			got = append(got, pgCell(keys, i))
		}
		keys.Release()
		wantKeys := []string{"{1,2}", "", "{}", "{NULL}", "{1,NULL}", "{2,1}", "{1}"}
		if multi {
			wantKeys = append(wantKeys, "{1,2}")
		}
		if !slices.Equal(got, wantKeys) {
			t.Fatalf("keys %q want %q", got, wantKeys)
		}
	}
}

// Float elements compare as SQL values: -0 = 0.
func TestGroupByFloatArrays(t *testing.T) {
	alloc := checked(t)
	b := array.NewListBuilder(alloc, arrow.PrimitiveTypes.Float64)
	defer b.Release()
	vb := b.ValueBuilder().(*array.Float64Builder)
	for _, v := range []float64{0, negZero(), 1.5} {
		b.Append(true)
		vb.Append(v)
	}
	lists := b.NewArray()
	defer lists.Release()
	gt := newGroupTable([]arrow.DataType{lists.DataType()})
	out := make([]int32, 3)
	gt.find([]arrow.Array{lists}, 3, out, nil)
	if !slices.Equal(out, []int32{0, 0, 1}) {
		t.Fatalf("groups %v", out)
	}
}

func negZero() float64 {
	z := 0.0
	return -z
}
