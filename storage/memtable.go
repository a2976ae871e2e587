package storage

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// RowsFunc produces all rows of an in-memory table as one record batch
// whose columns are the table's columns in order, each of exactly
// Column.Type.Arrow(). It runs once per scan (the catalog tables are small
// and some depend on the session), so it must be safe for concurrent use.
type RowsFunc func(ctx context.Context, alloc memory.Allocator) (arrow.RecordBatch, error)

// NewMemTable returns a table whose rows are produced on demand by rows
// rather than read from files: pg_catalog and information_schema are such
// tables. It has one split, so it plans through the same Scan path as a
// Parquet table (filters, joins and projections all work on it) but is
// never pruned. estRows is the row count the cost model assumes.
func NewMemTable(schema, name string, cols []Column, estRows int64, rows RowsFunc) *Table {
	t := &Table{Name: name, Schema: schema, Columns: cols, rows: estRows, mem: rows}
	t.splits = []Split{{Table: name, FileIndex: -1, RowGroup: 0, Rows: estRows}}
	return t
}

// InMemory reports whether the table's rows come from a function rather
// than Parquet files.
func (t *Table) InMemory() bool { return t.mem != nil }

// readMem projects the batch rows produces and hands it out in slices of at
// most maxRows rows.
func (t *Table) readMem(ctx context.Context, columns []int, alloc memory.Allocator, maxRows int) (BatchReader, error) {
	rec, err := t.mem(ctx, alloc)
	if err != nil {
		return nil, err
	}
	if int(rec.NumCols()) != len(t.Columns) {
		rec.Release()
		return nil, sqlerr.New(sqlerr.InternalError, "in-memory table %q produced %d columns, has %d", t.Name, rec.NumCols(), len(t.Columns))
	}
	arrs := make([]arrow.Array, len(columns))
	for i, c := range columns {
		arrs[i] = rec.Column(c)
	}
	r := &memReader{ctx: ctx, schema: t.ArrowSchema(columns), src: rec, cols: arrs, n: rec.NumRows(), maxRows: int64(maxRows)}
	return r, nil
}

type memReader struct {
	// ctx is kept because the fixed BatchReader interface has no context
	// argument (as splitReader does).
	ctx     context.Context
	schema  *arrow.Schema
	src     arrow.RecordBatch
	cols    []arrow.Array
	off, n  int64
	maxRows int64
}

func (r *memReader) Next() (arrow.RecordBatch, error) {
	if r.src == nil || r.off >= r.n {
		return nil, io.EOF
	}
	if err := r.ctx.Err(); err != nil {
		return nil, sqlerr.Wrap(sqlerr.QueryCanceled, err, "canceling statement")
	}
	end := min(r.off+r.maxRows, r.n)
	out := make([]arrow.Array, len(r.cols))
	for i, a := range r.cols {
		out[i] = sliceArray(a, r.off, end)
	}
	rec := arrowRecord(r.schema, out, end-r.off)
	r.off = end
	return rec, nil
}

func (r *memReader) Close() error {
	if r.src != nil {
		r.src.Release()
		r.src = nil
	}
	return nil
}
