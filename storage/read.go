package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// DefaultBatchRows is the batch size Read uses when maxRows is not positive.
const DefaultBatchRows = 8192

// BatchReader yields the record batches of one split.
type BatchReader interface {
	// Next returns the next batch, or io.EOF after the last. The caller
	// releases each batch.
	Next() (arrow.RecordBatch, error)
	// Close releases the reader's file handle and buffers; it is idempotent.
	Close() error
}

// ArrowSchema returns the Arrow schema of the batches Read produces for the given
// projection.
func (t *Table) ArrowSchema(columns []int) *arrow.Schema {
	fields := make([]arrow.Field, len(columns))
	for i, c := range columns {
		col := &t.Columns[c]
		fields[i] = arrow.Field{Name: col.Name, Type: col.Type.Arrow(), Nullable: col.Nullable}
	}
	return arrow.NewSchema(fields, nil)
}

// Read returns the rows of split s, projected to columns (indexes into
// t.Columns, in that order), as batches of at most maxRows rows whose
// column types are exactly t.Columns[i].Type.Arrow(). Only the projected
// columns' chunks are read. An empty projection still yields batches with
// the right row counts.
func (t *Table) Read(ctx context.Context, s Split, columns []int, alloc memory.Allocator, maxRows int) (BatchReader, error) {
	if t.err != nil {
		return nil, t.err
	}
	if maxRows <= 0 {
		maxRows = DefaultBatchRows
	}
	for _, c := range columns {
		if c < 0 || c >= len(t.Columns) {
			return nil, sqlerr.New(sqlerr.InternalError, "column index %d out of range for table %q", c, t.Name)
		}
	}
	if t.mem != nil {
		return t.readMem(ctx, columns, alloc, maxRows)
	}
	f, err := t.fileOf(s)
	if err != nil {
		return nil, err
	}
	if f.err != nil {
		return nil, f.err
	}
	md := f.pf.Metadata()
	if s.RowGroup < 0 || s.RowGroup >= len(md.RowGroups) {
		return nil, sqlerr.Wrap(sqlerr.InternalError, errNoRowGroup, "split of %q: row group %d", f.path, s.RowGroup)
	}
	r := &splitReader{
		ctx:       ctx,
		path:      f.path,
		schema:    t.ArrowSchema(columns),
		alloc:     alloc,
		remaining: md.RowGroups[s.RowGroup].NumRows,
		maxRows:   maxRows,
	}
	needFile := false
	for _, c := range columns {
		if !t.Columns[c].Partition && f.colLeaf[c] >= 0 && !f.leaves[f.colLeaf[c]].allNull {
			needFile = true
		}
	}
	if needFile {
		if r.fh, err = os.Open(f.path); err != nil {
			return nil, sqlerr.Wrap(sqlerr.IOError, err, "could not open Parquet file %q", f.path)
		}
	}
	if err := r.init(t, f, s.RowGroup, columns); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

type splitReader struct {
	// ctx is kept because the fixed BatchReader interface has no context
	// argument; Next checks it so a canceled query stops between batches.
	ctx       context.Context
	path      string
	fh        *os.File
	schema    *arrow.Schema
	cols      []columnReader
	alloc     memory.Allocator
	remaining int64
	maxRows   int
	err       error
	closed    bool
}

func (r *splitReader) init(t *Table, f *tableFile, rowGroup int, columns []int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = corruptFile(r.path, fmt.Errorf("%v", p))
		}
	}()
	var chunks []parquet.ColumnChunk
	if r.fh != nil {
		chunks = f.pf.RowGroups()[rowGroup].ColumnChunks()
	}
	for _, c := range columns {
		col := &t.Columns[c]
		if col.Partition {
			pi := 0
			for i, pc := range t.partCols {
				if pc == c {
					pi = i
				}
			}
			r.cols = append(r.cols, constColumn{t: col.Type, v: f.partVals[pi]})
			continue
		}
		li := f.colLeaf[c]
		if li < 0 || f.leaves[li].allNull {
			r.cols = append(r.cols, nullColumn{dt: col.Type.Arrow()})
			continue
		}
		l := &f.leaves[li]
		fc, ok := chunks[l.index].(*parquet.FileColumnChunk)
		if !ok {
			return sqlerr.New(sqlerr.InternalError, "unexpected column chunk type %T", chunks[l.index])
		}
		cr, err := newColumnReader(l, col.Type, chunkPages(r.fh, fc, &f.pf.Metadata().RowGroups[rowGroup].Columns[l.index], l))
		if err != nil {
			return corruptFile(r.path, err)
		}
		r.cols = append(r.cols, cr)
	}
	return nil
}

func (r *splitReader) Next() (b arrow.RecordBatch, err error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.closed {
		return nil, errors.New("storage: Next on a closed reader")
	}
	if r.remaining <= 0 {
		return nil, io.EOF
	}
	if err := r.ctx.Err(); err != nil {
		return nil, sqlerr.Wrap(sqlerr.QueryCanceled, err, "canceling statement")
	}
	n := int(min(int64(r.maxRows), r.remaining))
	arrs := make([]arrow.Array, 0, len(r.cols))
	defer func() {
		if p := recover(); p != nil {
			// parquet-go may panic on corrupt pages: fail this query only.
			err = corruptFile(r.path, fmt.Errorf("%v", p))
		}
		if err != nil {
			for _, a := range arrs {
				a.Release()
			}
			b = nil
			r.err = err
		}
	}()
	for _, c := range r.cols {
		a, err := c.read(r.alloc, n)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || !isSQLErr(err) {
				return nil, corruptFile(r.path, err)
			}
			return nil, err
		}
		arrs = append(arrs, a)
	}
	rec := array.NewRecordBatch(r.schema, arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	arrs = nil
	r.remaining -= int64(n)
	return rec, nil
}

func isSQLErr(err error) bool {
	var e *sqlerr.Error
	return errors.As(err, &e)
}

func (r *splitReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	for _, c := range r.cols {
		c.close()
	}
	r.cols = nil
	if r.fh != nil {
		err := r.fh.Close()
		r.fh = nil
		return err
	}
	return nil
}

func sliceArray(a arrow.Array, from, to int64) arrow.Array { return array.NewSlice(a, from, to) }

// arrowRecord builds a batch from arrays it takes ownership of.
func arrowRecord(schema *arrow.Schema, cols []arrow.Array, n int64) arrow.RecordBatch {
	rec := array.NewRecordBatch(schema, cols, n)
	for _, a := range cols {
		a.Release()
	}
	return rec
}
