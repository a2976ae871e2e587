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
	return t.ReadWhere(ctx, s, columns, nil, alloc, maxRows)
}

// ReadWhere is Read for a scan whose filter implies all of preds (the ones
// Prune judged the split by). When the file has a page index it reads only
// the pages that can hold a matching row: the page index's min/max narrow
// the row group to row ranges; within them, the predicate columns are read
// first, a batch at a time, and the other columns only from the first to
// the last row that satisfies preds. The rows it returns are a superset of
// the matching ones, so the scan's filter must still run; without a page
// index (DuckDB's files, most pyarrow ones) it reads what Read reads.
func (t *Table) ReadWhere(ctx context.Context, s Split, columns []int, preds []Predicate, alloc memory.Allocator, maxRows int) (BatchReader, error) {
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
	if err := r.init(t, f, s.RowGroup, columns, preds); err != nil {
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

	// With a page index: the row ranges that may match (nil: all rows in
	// order), the next of them, and the next row of the row group to read.
	ranges []rowRange
	ri     int
	pos    int64
	// evals are the predicates checked in storage, each with its column's
	// position in cols; isPred marks those columns, read before the others.
	evals  []colPred
	isPred []bool
	mask   []bool // scratch of matchWindow
}

// colPred is a predicate on output column col.
type colPred struct {
	col int
	p   Predicate
}

func (r *splitReader) init(t *Table, f *tableFile, rowGroup int, columns []int, preds []Predicate) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = corruptFile(r.path, fmt.Errorf("%v", p))
		}
	}()
	var chunks []parquet.ColumnChunk
	if r.fh != nil {
		chunks = f.pf.RowGroups()[rowGroup].ColumnChunks()
		if len(preds) > 0 {
			if ranges, narrowed := t.pageRanges(f, r.fh, rowGroup, preds); narrowed {
				r.ranges = ranges
				r.remaining = 0
				for _, rr := range ranges {
					r.remaining += rr.to - rr.from
				}
			}
		}
	}
	rows := f.pf.Metadata().RowGroups[rowGroup].NumRows
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
		cc := &f.pf.Metadata().RowGroups[rowGroup].Columns[l.index]
		pages := chunkPages(r.fh, fc, cc, l)
		var starts []int64
		if _, ok := pages.(pageSeeker); ok && r.ranges != nil {
			starts = pageStarts(r.fh, fc, cc, rows)
		}
		cr, err := newColumnReader(l, col.Type, pages, starts)
		if err != nil {
			return corruptFile(r.path, err)
		}
		r.cols = append(r.cols, cr)
	}
	if r.ranges != nil {
		r.isPred = make([]bool, len(columns))
		for _, p := range preds {
			for i, c := range columns {
				if c == p.Column && evaluable(p, t.Columns[c].Type) {
					r.evals = append(r.evals, colPred{col: i, p: p})
					r.isPred[i] = true
					break
				}
			}
		}
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
	if r.ranges != nil {
		return r.nextInRanges()
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
