package ops

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Filter passes the rows of its input where pred is true.
type Filter struct {
	input exec.Operator
	pred  Predicate
	alloc memory.Allocator
	out   arrow.RecordBatch
	idx   []int32
}

var _ exec.Operator = (*Filter)(nil)

// NewFilter keeps the rows of input for which pred is true (NULL is false).
func NewFilter(input exec.Operator, pred Predicate, alloc memory.Allocator) *Filter {
	return &Filter{input: input, pred: pred, alloc: alloc}
}

func (f *Filter) Schema() *arrow.Schema          { return f.input.Schema() }
func (f *Filter) Open(ctx context.Context) error { return exec.Open(ctx, f.input) }

func (f *Filter) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if f.out != nil {
		f.out.Release()
		f.out = nil
	}
	for {
		b, err := exec.Next(ctx, f.input)
		if err != nil {
			return nil, err
		}
		mask, err := f.pred.Eval(ctx, b, f.alloc)
		if err != nil {
			return nil, err
		}
		if mask.Len() != int(b.NumRows()) {
			mask.Release()
			return nil, internalErr("filter predicate returned %d rows for %d", mask.Len(), b.NumRows())
		}
		f.idx, err = maskIndexes(mask, f.idx)
		mask.Release()
		if err != nil {
			return nil, err
		}
		switch len(f.idx) {
		case 0:
			continue // never return an empty batch
		case int(b.NumRows()):
			b.Retain()
			f.out = b
		default:
			f.out = takeBatch(f.alloc, b.Schema(), b, f.idx)
		}
		return f.out, nil
	}
}

func (f *Filter) Close() error {
	if f.out != nil {
		f.out.Release()
		f.out = nil
	}
	return f.input.Close()
}

// Project computes one output column per evaluator.
type Project struct {
	input  exec.Operator
	exprs  []Evaluator
	schema *arrow.Schema
	alloc  memory.Allocator
	out    arrow.RecordBatch
}

var _ exec.Operator = (*Project)(nil)

// NewProject evaluates exprs over each input batch; outSchema has one field
// per expression.
func NewProject(input exec.Operator, exprs []Evaluator, outSchema *arrow.Schema, alloc memory.Allocator) (*Project, error) {
	if outSchema.NumFields() != len(exprs) {
		return nil, internalErr("project: %d expressions, %d output fields", len(exprs), outSchema.NumFields())
	}
	return &Project{input: input, exprs: exprs, schema: outSchema, alloc: alloc}, nil
}

func (p *Project) Schema() *arrow.Schema          { return p.schema }
func (p *Project) Open(ctx context.Context) error { return exec.Open(ctx, p.input) }

func (p *Project) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if p.out != nil {
		p.out.Release()
		p.out = nil
	}
	b, err := exec.Next(ctx, p.input)
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, len(p.exprs))
	for i, e := range p.exprs {
		c, err := e.Eval(ctx, b, p.alloc)
		if err != nil {
			releaseArrays(cols)
			return nil, err
		}
		cols[i] = c
		if c.Len() != int(b.NumRows()) || !arrow.TypeEqual(c.DataType(), p.schema.Field(i).Type) {
			releaseArrays(cols)
			return nil, internalErr("project column %d: got %d rows of %s, want %d of %s", i, c.Len(), c.DataType(), b.NumRows(), p.schema.Field(i).Type)
		}
	}
	p.out = newBatch(p.schema, cols, int(b.NumRows()))
	return p.out, nil
}

func (p *Project) Close() error {
	if p.out != nil {
		p.out.Release()
		p.out = nil
	}
	return p.input.Close()
}

// Values yields one fixed batch (SELECT without FROM, VALUES lists).
type Values struct {
	batch arrow.RecordBatch
	done  bool
}

var _ exec.Operator = (*Values)(nil)

// NewValues makes an operator yielding the given columns as one batch. It
// retains the columns; the caller keeps its own references.
func NewValues(schema *arrow.Schema, cols []arrow.Array) (*Values, error) {
	if len(cols) != schema.NumFields() {
		return nil, internalErr("values: %d columns for %d fields", len(cols), schema.NumFields())
	}
	rows := 1
	if len(cols) > 0 {
		rows = cols[0].Len()
	}
	for i, c := range cols {
		if c.Len() != rows || !arrow.TypeEqual(c.DataType(), schema.Field(i).Type) {
			return nil, internalErr("values column %d does not match the schema", i)
		}
	}
	// arrow's NewRecordBatch retains the columns.
	return &Values{batch: newBatchRetained(schema, cols, rows)}, nil
}

func (v *Values) Schema() *arrow.Schema      { return v.batch.Schema() }
func (v *Values) Open(context.Context) error { return nil }
func (v *Values) Next(context.Context) (arrow.RecordBatch, error) {
	if v.done || v.batch.NumRows() == 0 {
		return nil, io.EOF
	}
	v.done = true
	return v.batch, nil
}
func (v *Values) Close() error {
	if v.batch != nil {
		v.batch.Release()
		v.batch = nil
	}
	return nil
}

// Limit skips offset rows and passes count rows (count -1 = all), then stops
// pulling its input.
type Limit struct {
	input  exec.Operator
	offset int64
	count  int64
	out    arrow.RecordBatch
}

var _ exec.Operator = (*Limit)(nil)

// NewLimit implements OFFSET offset LIMIT count (count -1 = no limit).
func NewLimit(input exec.Operator, offset, count int64) *Limit {
	return &Limit{input: input, offset: offset, count: count}
}

func (l *Limit) Schema() *arrow.Schema          { return l.input.Schema() }
func (l *Limit) Open(ctx context.Context) error { return exec.Open(ctx, l.input) }

func (l *Limit) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if l.out != nil {
		l.out.Release()
		l.out = nil
	}
	for {
		if l.count == 0 {
			return nil, io.EOF
		}
		b, err := exec.Next(ctx, l.input)
		if err != nil {
			return nil, err
		}
		n := b.NumRows()
		if l.offset >= n {
			l.offset -= n
			continue
		}
		from := l.offset
		l.offset = 0
		to := n
		if l.count >= 0 && to-from > l.count {
			to = from + l.count
		}
		if l.count > 0 {
			l.count -= to - from
		}
		if from == 0 && to == n {
			b.Retain()
			l.out = b
		} else {
			l.out = b.NewSlice(from, to)
		}
		return l.out, nil
	}
}

func (l *Limit) Close() error {
	if l.out != nil {
		l.out.Release()
		l.out = nil
	}
	return l.input.Close()
}

// UnionAll concatenates its inputs, one after another.
type UnionAll struct {
	inputs []exec.Operator
	cur    int
	opened []bool
}

var _ exec.Operator = (*UnionAll)(nil)

// NewUnionAll concatenates inputs, which must share one schema.
func NewUnionAll(inputs ...exec.Operator) *UnionAll {
	return &UnionAll{inputs: inputs, opened: make([]bool, len(inputs))}
}

func (u *UnionAll) Schema() *arrow.Schema { return u.inputs[0].Schema() }

// Open opens the first input; the others open when reached, so an input
// never runs before it is needed.
func (u *UnionAll) Open(ctx context.Context) error {
	if len(u.inputs) == 0 {
		return nil
	}
	u.opened[0] = true
	return exec.Open(ctx, u.inputs[0])
}

func (u *UnionAll) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for u.cur < len(u.inputs) {
		in := u.inputs[u.cur]
		if !u.opened[u.cur] {
			u.opened[u.cur] = true
			if err := exec.Open(ctx, in); err != nil {
				return nil, err
			}
		}
		b, err := exec.Next(ctx, in)
		if err == io.EOF {
			in.Close()
			u.cur++
			continue
		}
		return b, err
	}
	return nil, io.EOF
}

func (u *UnionAll) Close() error {
	var first error
	for _, in := range u.inputs {
		if err := in.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// EnforceSingleRow guards a scalar subquery: it passes at most one row,
// fails with 21000 on a second, and yields one row of NULLs for none.
type EnforceSingleRow struct {
	input exec.Operator
	alloc memory.Allocator
	done  bool
	out   arrow.RecordBatch
}

var _ exec.Operator = (*EnforceSingleRow)(nil)

// NewEnforceSingleRow wraps a scalar subquery's plan.
func NewEnforceSingleRow(input exec.Operator, alloc memory.Allocator) *EnforceSingleRow {
	return &EnforceSingleRow{input: input, alloc: alloc}
}

func (e *EnforceSingleRow) Schema() *arrow.Schema          { return e.input.Schema() }
func (e *EnforceSingleRow) Open(ctx context.Context) error { return exec.Open(ctx, e.input) }

func (e *EnforceSingleRow) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if e.out != nil {
		e.out.Release()
		e.out = nil
	}
	if e.done {
		return nil, io.EOF
	}
	e.done = true
	var row arrow.RecordBatch
	defer func() {
		if row != nil {
			row.Release()
		}
	}()
	for {
		b, err := exec.Next(ctx, e.input)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if row != nil || b.NumRows() > 1 {
			return nil, sqlerr.New(sqlerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")
		}
		b.Retain()
		row = b
	}
	if row == nil {
		schema := e.Schema()
		cols := make([]arrow.Array, schema.NumFields())
		for i, f := range schema.Fields() {
			cols[i] = nullArray(e.alloc, f.Type, 1)
		}
		e.out = newBatch(schema, cols, 1)
	} else {
		e.out, row = row, nil
	}
	return e.out, nil
}

func (e *EnforceSingleRow) Close() error {
	if e.out != nil {
		e.out.Release()
		e.out = nil
	}
	return e.input.Close()
}
