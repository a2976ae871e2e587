package ops

import (
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/types"
)

func TestProjectSet(t *testing.T) {
	// PostgreSQL: select id, unnest(a), generate_series(1, n) from t over
	// (1, '{1,2,3}', 1), (2, '{}', 0), (3, NULL, 2), (4, '{NULL,5}', NULL).
	alloc := checked(t)
	ids := fixedArray(alloc, arrow.PrimitiveTypes.Int32, []int32{1, 2, 3, 4}, nil)
	lists := intLists(alloc, [][]*int32{{ip(1), ip(2), ip(3)}, {}, nil, {nil, ip(5)}})
	ns := fixedArray(alloc, arrow.PrimitiveTypes.Int32, []int32{1, 0, 2, 0}, []bool{false, false, false, true})
	ones := fixedArray(alloc, arrow.PrimitiveTypes.Int32, []int32{1, 1, 1, 1}, nil)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: ids.DataType()}, {Name: "a", Type: lists.DataType(), Nullable: true},
		{Name: "one", Type: ones.DataType()}, {Name: "n", Type: ns.DataType(), Nullable: true}}, nil)
	b := newBatch(schema, []arrow.Array{ids, lists, ones, ns}, 4)
	src := newSource(schema, b)
	b.Release()
	ps, err := NewProjectSet(src, 1, []SetFunc{
		{Name: "unnest", Args: []int{1}, T: types.Int32T},
		{Name: "generate_series", Args: []int{2, 3}, T: types.Int32T},
	}, alloc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := drainPG(t, ps)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1|1|1", "1|2|", "1|3|", "3||1", "3||2", "4||", "4|5|"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// TestProjectSetLarge expands rows whose sets span several output batches
// and checks the rows stay in order and batches stay within BatchSize.
func TestProjectSetLarge(t *testing.T) {
	alloc := checked(t)
	n := int32(exec.BatchSize)
	starts := fixedArray(alloc, arrow.PrimitiveTypes.Int64, []int64{1, 1, 1}, nil)
	stops := fixedArray(alloc, arrow.PrimitiveTypes.Int64, []int64{int64(2*n + 7), 3, int64(n)}, nil)
	schema := arrow.NewSchema([]arrow.Field{{Name: "start", Type: starts.DataType()}, {Name: "stop", Type: stops.DataType()}}, nil)
	b := newBatch(schema, []arrow.Array{starts, stops}, 3)
	src := newSource(schema, b)
	b.Release()
	ps, err := NewProjectSet(src, 2, []SetFunc{{Name: "generate_series", Args: []int{0, 1}, T: types.Int64T}}, alloc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := drainPG(t, ps)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, stop := range []int{int(2*n + 7), 3, int(n)} {
		for v := 1; v <= stop; v++ {
			want = append(want, fmt.Sprintf("1|%d|%d", stop, v))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
}

func TestProjectSetErrors(t *testing.T) {
	alloc := checked(t)
	a := fixedArray(alloc, arrow.PrimitiveTypes.Int32, []int32{1}, nil)
	z := fixedArray(alloc, arrow.PrimitiveTypes.Int32, []int32{0}, nil)
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: a.DataType()}, {Name: "z", Type: z.DataType()}}, nil)
	b := newBatch(schema, []arrow.Array{a, z}, 1)
	src := newSource(schema, b)
	b.Release()
	ps, err := NewProjectSet(src, 0, []SetFunc{{Name: "generate_series", Args: []int{0, 0, 1}, T: types.Int32T}}, alloc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drainPG(t, ps); err == nil || err.Error() != "step size cannot equal zero" {
		t.Fatalf("got %v, want the zero-step error", err)
	}
	if _, err := NewProjectSet(src, 0, []SetFunc{{Name: "unnest", Args: []int{0}, T: types.Int32T}}, alloc); err == nil {
		t.Fatal("unnest over an int4 column was accepted")
	}
}

func TestProjectSetOrdinality(t *testing.T) {
	alloc := checked(t)
	lists := intLists(alloc, [][]*int32{{ip(7), nil}, nil, {ip(9)}})
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: lists.DataType(), Nullable: true}}, nil)
	b := newBatch(schema, []arrow.Array{lists}, 3)
	src := newSource(schema, b)
	b.Release()
	ps, err := NewProjectSet(src, 0, []SetFunc{{Name: "unnest", Args: []int{0}, T: types.Int32T, Ordinality: true}}, alloc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := drainPG(t, ps)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"7|1", "|2", "9|1"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
