package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pqa "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// writeArrow writes rec to path with arrow-go's pqarrow writer.
func writeArrow(t testing.TB, path string, rec arrow.RecordBatch, props []pqa.WriterProperty, aprops ...pqarrow.WriterOption) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(rec.Schema(), f, pqa.NewWriterProperties(props...), pqarrow.NewArrowWriterProperties(aprops...))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteBuffered(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeParquetGo writes rows to path with parquet-go's writer. Each row lists
// the leaf values in schema order; nil is NULL.
func writeParquetGo(t *testing.T, path string, schema *parquet.Schema, rows [][]any, opts ...parquet.WriterOption) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewWriter(f, append([]parquet.WriterOption{schema}, opts...)...)
	leaves := schema.Fields()
	var prows []parquet.Row
	for _, r := range rows {
		row := make(parquet.Row, len(r))
		for i, v := range r {
			optional := leaves[i].Optional()
			def := 0
			var pv parquet.Value
			switch x := v.(type) {
			case nil:
				pv = parquet.NullValue()
			case parquet.Value:
				pv = x
			default:
				pv = parquet.ValueOf(x)
			}
			if optional && v != nil {
				def = 1
			}
			row[i] = pv.Level(0, def, i)
		}
		prows = append(prows, row)
	}
	if _, err := w.WriteRows(prows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readAll reads every split of tbl, projected to cols, and returns the
// cells column by column in the Const encoding.
func readAll(t *testing.T, tbl *Table, cols []int, maxRows int) [][]any {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	out := make([][]any, len(cols))
	for _, s := range tbl.Splits() {
		r, err := tbl.Read(context.Background(), s, cols, mem, maxRows)
		if err != nil {
			t.Fatalf("Read %v: %v", s, err)
		}
		for {
			b, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				r.Close()
				t.Fatalf("Next: %v", err)
			}
			if maxRows > 0 && b.NumRows() > int64(maxRows) {
				t.Errorf("batch of %d rows, max %d", b.NumRows(), maxRows)
			}
			for i, c := range cols {
				want := tbl.Columns[c].Type.Arrow()
				if !arrow.TypeEqual(b.Column(i).DataType(), want) {
					t.Fatalf("column %s: Arrow type %s, want %s", tbl.Columns[c].Name, b.Column(i).DataType(), want)
				}
				if b.Schema().Field(i).Name != tbl.Columns[c].Name {
					t.Fatalf("field %d named %q", i, b.Schema().Field(i).Name)
				}
				for j := 0; j < int(b.NumRows()); j++ {
					out[i] = append(out[i], cell(b.Column(i), j))
				}
			}
			b.Release()
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// cell returns one value in the Const encoding of its type.
func cell(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Decimal128:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return string(a.Value(i)) // strings compare easily in tests
	case *array.Date32:
		return int32(a.Value(i))
	case *array.Time64:
		return int64(a.Value(i))
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.MonthDayNanoInterval:
		return a.Value(i)
	}
	panic("unexpected array " + a.DataType().String())
}

func openCatalog(t *testing.T, dir string) *Catalog {
	t.Helper()
	c, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustTable(t *testing.T, c *Catalog, name string) *Table {
	t.Helper()
	tbl, ok := c.Table(name)
	if !ok {
		t.Fatalf("no table %q", name)
	}
	if err := tbl.Err(); err != nil {
		t.Fatalf("table %q: %v", name, err)
	}
	return tbl
}

func allCols(tbl *Table) []int {
	cols := make([]int, len(tbl.Columns))
	for i := range cols {
		cols[i] = i
	}
	return cols
}

func colIndex(t *testing.T, tbl *Table, name string) int {
	t.Helper()
	i, ok := tbl.Column(name)
	if !ok {
		t.Fatalf("table %q has no column %q", tbl.Name, name)
	}
	return i
}

func wantCode(t *testing.T, err error, codes ...string) *sqlerr.Error {
	t.Helper()
	var e *sqlerr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *sqlerr.Error", err, err)
	}
	for _, c := range codes {
		if e.Code == c {
			return e
		}
	}
	t.Fatalf("error code %s (%v), want one of %v", e.Code, err, codes)
	return nil
}

func dec(v int64) decimal128.Num { return decimal128.FromI64(v) }
