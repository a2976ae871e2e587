package ops

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
)

// Unnest is unnest(array) in FROM: for each input row it emits one row per
// element of the row's array (column col), with the input columns repeated,
// then the element ("unnest", the array's element type) and, WITH
// ORDINALITY, the element's 1-based position ("ordinality", int8). A NULL
// or empty array produces no rows, as in PostgreSQL (so a LATERAL unnest
// drops such rows, like an inner join).
//
// Output is built with index vectors: the input row and element of each
// output row are gathered with one take per column, in batches of at most
// exec.BatchSize rows even when one array is larger than that.
type Unnest struct {
	input    exec.Operator
	col      int
	ordinal  bool
	dropIn   bool // NewUnnestValues: emit only the element (and ordinality)
	alloc    memory.Allocator
	schema   *arrow.Schema
	cur      arrow.RecordBatch // retained input batch being expanded
	offs     []int32
	row, pos int32 // next element: row's element pos (0-based)
	out      arrow.RecordBatch
	done     bool
}

var _ exec.Operator = (*Unnest)(nil)

// NewUnnest expands the array column col of input's batches.
func NewUnnest(input exec.Operator, col int, withOrdinality bool, alloc memory.Allocator) (*Unnest, error) {
	in := input.Schema()
	if col < 0 || col >= in.NumFields() {
		return nil, internalErr("unnest column %d of %d", col, in.NumFields())
	}
	lt, ok := in.Field(col).Type.(*arrow.ListType)
	if !ok {
		return nil, internalErr("unnest over %s", in.Field(col).Type)
	}
	fields := append([]arrow.Field(nil), in.Fields()...)
	fields = append(fields, arrow.Field{Name: "unnest", Type: lt.Elem(), Nullable: true})
	if withOrdinality {
		fields = append(fields, arrow.Field{Name: "ordinality", Type: arrow.PrimitiveTypes.Int64})
	}
	return &Unnest{input: input, col: col, ordinal: withOrdinality, alloc: alloc, schema: arrow.NewSchema(fields, nil)}, nil
}

// NewUnnestValues is unnest of a constant array in FROM (select * from
// unnest('{1,2}'::int[])): arr is a one-row list array (retained while the
// operator lives); the output has only the element column and, WITH
// ORDINALITY, the ordinality column.
func NewUnnestValues(arr arrow.Array, withOrdinality bool, alloc memory.Allocator) (*Unnest, error) {
	if arr.Len() != 1 {
		return nil, internalErr("unnest of %d constant rows", arr.Len())
	}
	src := &oneBatch{schema: arrow.NewSchema([]arrow.Field{{Name: "array", Type: arr.DataType(), Nullable: true}}, nil), col: arr}
	arr.Retain()
	u, err := NewUnnest(src, 0, withOrdinality, alloc)
	if err != nil {
		arr.Release()
		return nil, err
	}
	u.dropIn = true
	u.schema = arrow.NewSchema(u.schema.Fields()[1:], nil)
	return u, nil
}

// Schema implements exec.Operator.
func (u *Unnest) Schema() *arrow.Schema { return u.schema }

// Open implements exec.Operator.
func (u *Unnest) Open(ctx context.Context) error { return exec.Open(ctx, u.input) }

// Close implements exec.Operator.
func (u *Unnest) Close() error {
	u.release()
	if u.cur != nil {
		u.cur.Release()
		u.cur = nil
	}
	u.done = true
	return u.input.Close()
}

func (u *Unnest) release() {
	if u.out != nil {
		u.out.Release()
		u.out = nil
	}
}

// Next implements exec.Operator.
func (u *Unnest) Next(ctx context.Context) (arrow.RecordBatch, error) {
	u.release()
	for !u.done {
		if u.cur == nil {
			b, err := exec.Next(ctx, u.input)
			if errors.Is(err, io.EOF) {
				u.done = true
				break
			}
			if err != nil {
				return nil, err
			}
			la, ok := b.Column(u.col).(*array.List)
			if !ok {
				return nil, internalErr("unnest over %s", b.Column(u.col).DataType())
			}
			b.Retain()
			u.cur, u.offs, u.row, u.pos = b, listOffsets(la), 0, 0
		}
		if b := u.expand(); b != nil {
			u.out = b
			return b, nil
		}
		u.cur.Release()
		u.cur = nil
	}
	return nil, io.EOF
}

// expand emits up to exec.BatchSize output rows from the current input
// batch, or nil when it is used up.
func (u *Unnest) expand() arrow.RecordBatch {
	la := u.cur.Column(u.col).(*array.List)
	n := int32(u.cur.NumRows())
	var rows, elems []int32
	var ords []int64
	for u.row < n && len(rows) < exec.BatchSize {
		if la.IsNull(int(u.row)) {
			u.row, u.pos = u.row+1, 0
			continue
		}
		lo, hi := u.offs[u.row], u.offs[u.row+1]
		for ; lo+u.pos < hi && len(rows) < exec.BatchSize; u.pos++ {
			rows = append(rows, u.row)
			elems = append(elems, lo+u.pos)
			if u.ordinal {
				ords = append(ords, int64(u.pos)+1)
			}
		}
		if lo+u.pos >= hi {
			u.row, u.pos = u.row+1, 0
		}
	}
	if len(rows) == 0 {
		return nil
	}
	cols := make([]arrow.Array, 0, u.schema.NumFields())
	if !u.dropIn {
		for c := 0; c < int(u.cur.NumCols()); c++ {
			cols = append(cols, take(u.alloc, u.cur.Column(c), rows))
		}
	}
	cols = append(cols, take(u.alloc, la.ListValues(), elems))
	if u.ordinal {
		cols = append(cols, fixedArray(u.alloc, arrow.PrimitiveTypes.Int64, ords, nil))
	}
	return newBatch(u.schema, cols, len(rows))
}

// oneBatch is a source of one single-column batch (NewUnnestValues).
type oneBatch struct {
	schema *arrow.Schema
	col    arrow.Array
	out    arrow.RecordBatch
	sent   bool
}

func (o *oneBatch) Schema() *arrow.Schema      { return o.schema }
func (o *oneBatch) Open(context.Context) error { return nil }

func (o *oneBatch) Next(context.Context) (arrow.RecordBatch, error) {
	if o.sent || o.col == nil {
		return nil, io.EOF
	}
	o.sent = true
	o.out = array.NewRecordBatch(o.schema, []arrow.Array{o.col}, int64(o.col.Len()))
	return o.out, nil
}

func (o *oneBatch) Close() error {
	if o.out != nil {
		o.out.Release()
		o.out = nil
	}
	if o.col != nil {
		o.col.Release()
		o.col = nil
	}
	return nil
}
