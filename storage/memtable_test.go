package storage

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/types"
)

func TestMemTable(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	cols := []Column{{Name: "id", Type: types.Int64T}, {Name: "name", Type: types.TextT, Nullable: true}}
	calls := 0
	tbl := NewMemTable("pg_catalog", "things", cols, 5, func(ctx context.Context, a memory.Allocator) (arrow.RecordBatch, error) {
		calls++
		ib := array.NewInt64Builder(a)
		defer ib.Release()
		sb := array.NewStringBuilder(a)
		defer sb.Release()
		for i := range 5 {
			ib.Append(int64(i))
			sb.Append(string(rune('a' + i)))
		}
		ia, sa := ib.NewArray(), sb.NewArray()
		defer ia.Release()
		defer sa.Release()
		return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "name", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{ia, sa}, 5), nil
	})
	if !tbl.InMemory() || tbl.RowCount() != 5 || len(tbl.Splits()) != 1 {
		t.Fatalf("table: inMemory=%v rows=%d splits=%d", tbl.InMemory(), tbl.RowCount(), len(tbl.Splits()))
	}
	// Pruning never drops the one split; statistics are unknown.
	if got := tbl.Prune(tbl.Splits(), []Predicate{{Column: 0, Op: "=", Value: int64(99)}}); len(got) != 1 {
		t.Fatalf("pruned to %d splits", len(got))
	}
	if st := tbl.ColumnStats(0); st.HasMinMax {
		t.Fatalf("stats of an in-memory table: %+v", st)
	}
	r, err := tbl.Read(context.Background(), tbl.Splits()[0], []int{1}, alloc, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.NumCols() != 1 || b.NumRows() > 2 {
			t.Fatalf("batch %d cols %d rows", b.NumCols(), b.NumRows())
		}
		for i := 0; i < int(b.NumRows()); i++ {
			got = append(got, b.Column(0).(*array.String).Value(i))
		}
		b.Release()
	}
	if len(got) != 5 || got[0] != "a" || got[4] != "e" || calls != 1 {
		t.Fatalf("rows %v, calls %d", got, calls)
	}
	if _, err := tbl.Read(context.Background(), tbl.Splits()[0], []int{7}, alloc, 2); err == nil {
		t.Fatal("column out of range accepted")
	}
}
