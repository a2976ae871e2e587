package ops

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
)

// intLists builds an int4[] column; nil is a NULL array, and a nil *int32
// element is a NULL element.
func intLists(alloc memory.Allocator, rows [][]*int32) arrow.Array {
	b := array.NewListBuilder(alloc, arrow.PrimitiveTypes.Int32)
	defer b.Release()
	vb := b.ValueBuilder().(*array.Int32Builder)
	for _, r := range rows {
		if r == nil {
			b.AppendNull()
			continue
		}
		b.Append(true)
		for _, e := range r {
			if e == nil {
				vb.AppendNull()
			} else {
				vb.Append(*e)
			}
		}
	}
	return b.NewArray()
}

func ip(v int32) *int32 { return &v }

func TestUnnest(t *testing.T) {
	// PostgreSQL: select id, a, u, o from t, unnest(a) with ordinality u(u, o)
	// over (1,'{1,2,3,2}'), (2,'{}'), (3,NULL), (4,'{NULL,2}').
	for _, ord := range []bool{false, true} {
		t.Run(fmt.Sprint("ordinality=", ord), func(t *testing.T) {
			alloc := checked(t)
			lists := intLists(alloc, [][]*int32{{ip(1), ip(2), ip(3), ip(2)}, {}, nil, {nil, ip(2)}})
			ids := fixedArray(alloc, arrow.PrimitiveTypes.Int32, []int32{1, 2, 3, 4}, nil)
			schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: ids.DataType()}, {Name: "a", Type: lists.DataType(), Nullable: true}}, nil)
			b := newBatch(schema, []arrow.Array{ids, lists}, 4)
			src := newSource(schema, b)
			b.Release()
			u, err := NewUnnest(src, 1, ord, alloc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := drainPG(t, u)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"1|{1,2,3,2}|1|1", "1|{1,2,3,2}|2|2", "1|{1,2,3,2}|3|3", "1|{1,2,3,2}|2|4", "4|{NULL,2}||1", "4|{NULL,2}|2|2"}
			if !ord {
				for i, w := range want {
					want[i] = w[:len(w)-2]
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %q\nwant %q", got, want)
			}
		})
	}
}

func TestUnnestLargeAndSliced(t *testing.T) {
	alloc := checked(t)
	big := make([]*int32, 3*exec.BatchSize+5)
	for i := range big {
		big[i] = ip(int32(i))
	}
	full := intLists(alloc, [][]*int32{{ip(-1)}, big, nil})
	// A slice of the big row alone: NewUnnestValues must honour the list's
	// array offset, and split one array over several batches.
	lists := newSlice(full, 1, 2)
	full.Release()
	u, err := NewUnnestValues(lists, true, alloc)
	lists.Release()
	if err != nil {
		t.Fatal(err)
	}
	// Check the element and ordinality columns directly: printing the
	// repeated big array per row would dominate the test.
	var vals, ords []int64
	err = exec.Drain(context.Background(), u, func(b arrow.RecordBatch) error {
		if b.NumRows() == 0 || b.NumRows() > exec.BatchSize {
			return fmt.Errorf("batch of %d rows", b.NumRows())
		}
		for i := 0; i < int(b.NumRows()); i++ {
			vals = append(vals, int64(b.Column(0).(*array.Int32).Value(i)))
			ords = append(ords, b.Column(1).(*array.Int64).Value(i))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != len(big) {
		t.Fatalf("%d rows", len(vals))
	}
	for i := range vals {
		wantV, wantO := int64(i), int64(i+1)
		if vals[i] != wantV || ords[i] != wantO {
			t.Fatalf("row %d = %d, %d", i, vals[i], ords[i])
		}
	}
}

func TestUnnestValues(t *testing.T) {
	alloc := checked(t)
	for _, c := range []struct {
		rows [][]*int32
		ord  bool
		want []string
	}{
		// select * from unnest('{1,NULL,3}'::int[]) with ordinality
		{[][]*int32{{ip(1), nil, ip(3)}}, true, []string{"1|1", "|2", "3|3"}},
		{[][]*int32{{ip(5)}}, false, []string{"5"}},
		// unnest('{}'::int[]) and unnest(NULL::int[]) give no rows.
		{[][]*int32{{}}, false, nil},
		{[][]*int32{nil}, false, nil},
	} {
		arr := intLists(alloc, c.rows)
		u, err := NewUnnestValues(arr, c.ord, alloc)
		arr.Release()
		if err != nil {
			t.Fatal(err)
		}
		got, err := drainPG(t, u)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Fatalf("got %q want %q", got, c.want)
		}
	}
}

// ORDER BY an array column, checked against PostgreSQL:
// select a from (values ('{1,2}'::int[]),('{1}'),('{}'),('{1,NULL}'),
// ('{NULL}'),('{2}'),(NULL),('{1,2,0}'),('{-1,5}')) t(a) order by a.
func TestSortArrays(t *testing.T) {
	alloc := checked(t)
	arr := intLists(alloc, [][]*int32{{ip(1), ip(2)}, {ip(1)}, {}, {ip(1), nil}, {nil}, {ip(2)}, nil, {ip(1), ip(2), ip(0)}, {ip(-1), ip(5)}})
	s := schemaOf(arr.DataType())
	batch := newBatch(s, []arrow.Array{arr}, arr.Len())
	defer batch.Release()
	want := []string{"{}", "{-1,5}", "{1}", "{1,2}", "{1,2,0}", "{1,NULL}", "{2}", "{NULL}", "NULL"}
	got, err := drainPG(t, NewSort(newSource(s, batch), []SortKey{{Col: 0}}, nil, alloc))
	if err != nil {
		t.Fatal(err)
	}
	want[8] = ""
	if !slices.Equal(got, want) {
		t.Fatalf("sort: got %q want %q", got, want)
	}
	got, err = drainPG(t, NewTopN(newSource(s, batch), []SortKey{{Col: 0, Desc: true, NullsFirst: true}}, 3, nil, alloc))
	if err != nil {
		t.Fatal(err)
	}
	if w := []string{"", "{NULL}", "{2}"}; !slices.Equal(got, w) {
		t.Fatalf("topn desc: got %q want %q", got, w)
	}
}
