package ops

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/types"
)

// SetFunc is one set-returning function of a ProjectSet: "generate_series"
// (2 or 3 argument columns) or "unnest" (one list column), producing
// values of type T.
type SetFunc struct {
	Name string
	Args []int // input columns holding the arguments
	T    types.T
	// Ordinality adds an int8 column numbering the function's values
	// within each input row from 1 (NULL where padded).
	Ordinality bool
}

// ProjectSet runs set-returning functions of a select list, PostgreSQL 10+
// style: for each input row every function yields a set, the row repeats
// as often as the longest set and shorter sets are padded with NULLs; a
// row whose sets are all empty yields nothing. The output is the first
// keep input columns followed by one column per function. Sets are read in
// chunks, so a huge series never sits in memory whole, and an output batch
// never spans two input batches.
type ProjectSet struct {
	input  exec.Operator
	keep   int
	funcs  []SetFunc
	schema *arrow.Schema
	alloc  memory.Allocator

	cur     arrow.RecordBatch // retained input batch
	row     int               // current input row
	cursors []setCursor       // the current row's sets; nil entries are exhausted
	ordinal []int64           // values each function gave for the current row so far
	out     arrow.RecordBatch
	done    bool
}

var _ exec.Operator = (*ProjectSet)(nil)

// NewProjectSet builds the operator over input; the functions' argument
// columns come after the keep pass-through columns or among them.
func NewProjectSet(input exec.Operator, keep int, funcs []SetFunc, alloc memory.Allocator) (*ProjectSet, error) {
	in := input.Schema()
	if keep > in.NumFields() {
		return nil, internalErr("ProjectSet keeps %d of %d columns", keep, in.NumFields())
	}
	fields := append([]arrow.Field(nil), in.Fields()[:keep]...)
	for _, f := range funcs {
		for _, a := range f.Args {
			if a < 0 || a >= in.NumFields() {
				return nil, internalErr("ProjectSet argument column %d of %d", a, in.NumFields())
			}
		}
		switch f.Name {
		case "unnest":
			if len(f.Args) != 1 {
				return nil, internalErr("unnest with %d arguments", len(f.Args))
			}
			if _, ok := in.Field(f.Args[0]).Type.(*arrow.ListType); !ok {
				return nil, internalErr("unnest over %s", in.Field(f.Args[0]).Type)
			}
		case "generate_series":
			if len(f.Args) != 2 && len(f.Args) != 3 {
				return nil, internalErr("generate_series with %d arguments", len(f.Args))
			}
		default:
			return nil, internalErr("set-returning function %s", f.Name)
		}
		fields = append(fields, arrow.Field{Name: f.Name, Type: f.T.Arrow(), Nullable: true})
		if f.Ordinality {
			fields = append(fields, arrow.Field{Name: "ordinality", Type: arrow.PrimitiveTypes.Int64, Nullable: true})
		}
	}
	return &ProjectSet{input: input, keep: keep, funcs: funcs, alloc: alloc, schema: arrow.NewSchema(fields, nil)}, nil
}

// Schema implements exec.Operator.
func (p *ProjectSet) Schema() *arrow.Schema { return p.schema }

// Open implements exec.Operator.
func (p *ProjectSet) Open(ctx context.Context) error { return exec.Open(ctx, p.input) }

// Close implements exec.Operator.
func (p *ProjectSet) Close() error {
	p.releaseRow()
	if p.cur != nil {
		p.cur.Release()
		p.cur = nil
	}
	if p.out != nil {
		p.out.Release()
		p.out = nil
	}
	p.done = true
	return p.input.Close()
}

func (p *ProjectSet) releaseRow() {
	for _, c := range p.cursors {
		if c != nil {
			c.close()
		}
	}
	p.cursors = nil
}

// Next implements exec.Operator.
func (p *ProjectSet) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if p.out != nil {
		p.out.Release()
		p.out = nil
	}
	if p.done {
		return nil, io.EOF
	}
	var rows []int32 // input row of each output row
	ords := make([][]int64, len(p.funcs))
	ordNull := make([][]bool, len(p.funcs))
	chunks := make([][]arrow.Array, len(p.funcs))
	idx := make([][]int32, len(p.funcs)) // position in the function's concatenated chunks, -1 for NULL
	base := make([]int32, len(p.funcs))
	release := func() {
		for _, cs := range chunks {
			for _, c := range cs {
				c.Release()
			}
		}
	}
	defer release()
	for len(rows) < exec.BatchSize {
		if p.cur == nil || p.row >= int(p.cur.NumRows()) {
			if len(rows) > 0 {
				break // an output batch takes its rows from one input batch
			}
			if p.cur != nil {
				p.cur.Release()
				p.cur = nil
			}
			b, err := exec.Next(ctx, p.input)
			if err == io.EOF {
				p.done = true
				return nil, io.EOF
			}
			if err != nil {
				return nil, err
			}
			b.Retain()
			p.cur, p.row = b, 0
			continue
		}
		if p.cursors == nil {
			cs, err := p.openRow()
			if err != nil {
				return nil, err
			}
			p.cursors = cs
			p.ordinal = make([]int64, len(p.funcs))
		}
		room := exec.BatchSize - len(rows)
		got := make([]int, len(p.funcs))
		longest := 0
		for k, c := range p.cursors {
			if c == nil {
				continue
			}
			arr, err := c.next(ctx, room)
			if err != nil {
				return nil, err
			}
			if arr == nil || arr.Len() == 0 {
				if arr != nil {
					arr.Release()
				}
				c.close()
				p.cursors[k] = nil
				continue
			}
			chunks[k] = append(chunks[k], arr)
			got[k] = arr.Len()
			longest = max(longest, got[k])
		}
		if longest == 0 {
			p.releaseRow()
			p.row++
			continue
		}
		for k, f := range p.funcs {
			for j := 0; j < longest; j++ {
				if j < got[k] {
					idx[k] = append(idx[k], base[k]+int32(j))
				} else {
					idx[k] = append(idx[k], -1)
				}
				if f.Ordinality {
					ords[k] = append(ords[k], p.ordinal[k]+int64(j)+1)
					ordNull[k] = append(ordNull[k], j >= got[k])
				}
			}
			base[k] += int32(got[k])
			p.ordinal[k] += int64(got[k])
		}
		for j := 0; j < longest; j++ {
			rows = append(rows, int32(p.row))
		}
	}
	cols := make([]arrow.Array, 0, p.schema.NumFields())
	for c := 0; c < p.keep; c++ {
		cols = append(cols, take(p.alloc, p.cur.Column(c), rows))
	}
	for k, f := range p.funcs {
		var src arrow.Array
		switch len(chunks[k]) {
		case 0:
			src = array.MakeArrayOfNull(p.alloc, f.T.Arrow(), 0)
		case 1:
			src = chunks[k][0]
			src.Retain()
		default:
			var err error
			if src, err = array.Concatenate(chunks[k], p.alloc); err != nil {
				for _, c := range cols {
					c.Release()
				}
				return nil, err
			}
		}
		cols = append(cols, take(p.alloc, src, idx[k]))
		src.Release()
		if f.Ordinality {
			cols = append(cols, fixedArray(p.alloc, arrow.PrimitiveTypes.Int64, ords[k], ordNull[k]))
		}
	}
	p.out = newBatch(p.schema, cols, len(rows))
	return p.out, nil
}

// setCursor reads one row's set in chunks; next returns nil or an empty
// array at the end.
type setCursor interface {
	next(ctx context.Context, max int) (arrow.Array, error)
	close()
}

func (p *ProjectSet) openRow() ([]setCursor, error) {
	cs := make([]setCursor, len(p.funcs))
	for k, f := range p.funcs {
		switch f.Name {
		case "unnest":
			l := p.cur.Column(f.Args[0]).(*array.List)
			if l.IsNull(p.row) {
				continue
			}
			s, e := l.ValueOffsets(p.row)
			cs[k] = &unnestCursor{vals: l.ListValues(), pos: s, end: e}
		case "generate_series":
			args := make([]any, 3)
			for a, col := range f.Args {
				args[a] = setArg(p.cur.Column(col), p.row)
			}
			if len(f.Args) == 2 {
				args[2] = int64(1)
				if f.T.Kind == types.Numeric {
					args[2] = decimal128.GetScaleMultiplier(int(f.T.Scale))
				}
			}
			g, err := NewGenerateSeries(args[0], args[1], args[2], f.T, p.alloc)
			if err != nil {
				for _, c := range cs {
					if c != nil {
						c.close()
					}
				}
				return nil, err
			}
			cs[k] = &seriesCursor{g: g}
		}
	}
	return cs, nil
}

// setArg reads a generate_series argument in expr.Const's encoding.
func setArg(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch x := a.(type) {
	case *array.Int16:
		return int64(x.Value(i))
	case *array.Int32:
		return int64(x.Value(i))
	case *array.Int64:
		return x.Value(i)
	case *array.Decimal128:
		return decimal128.Num(x.Value(i))
	case *array.Timestamp:
		return int64(x.Value(i))
	case *array.MonthDayNanoInterval:
		v := x.Value(i)
		return types.IntervalValue{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}
	}
	return nil
}

type unnestCursor struct {
	vals     arrow.Array
	pos, end int64
}

func (u *unnestCursor) next(_ context.Context, max int) (arrow.Array, error) {
	n := min(int64(max), u.end-u.pos)
	if n <= 0 {
		return nil, nil
	}
	out := array.NewSlice(u.vals, u.pos, u.pos+n)
	u.pos += n
	return out, nil
}

func (u *unnestCursor) close() {}

// seriesCursor reads a GenerateSeries in batches, keeping the part of a
// batch that did not fit in the caller's room for the next call.
type seriesCursor struct {
	g    *GenerateSeries
	rest arrow.Array
	eof  bool
}

func (s *seriesCursor) next(ctx context.Context, max int) (arrow.Array, error) {
	if s.rest == nil && !s.eof {
		b, err := s.g.Next(ctx)
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			return nil, err
		} else {
			s.rest = b.Column(0)
			s.rest.Retain()
		}
	}
	if s.rest == nil {
		return nil, nil
	}
	if s.rest.Len() <= max {
		out := s.rest
		s.rest = nil
		return out, nil
	}
	out := array.NewSlice(s.rest, 0, int64(max))
	tail := array.NewSlice(s.rest, int64(max), int64(s.rest.Len()))
	s.rest.Release()
	s.rest = tail
	return out, nil
}

func (s *seriesCursor) close() {
	if s.rest != nil {
		s.rest.Release()
		s.rest = nil
	}
	s.g.Close()
}
