// Package expr compiles bound expressions (sql/expr) into vectorized
// kernels over Arrow arrays. A compiled Evaluator turns a record batch into
// one result array; each kernel loops over typed slices and validity
// bitmaps, broadcasting constants without materialising them. Semantics are
// PostgreSQL's: three-valued logic, integer overflow and division by zero
// are errors (22003, 22012), CASE/COALESCE/AND/OR evaluate operands only
// for the rows that need them.
//
// It imports exec's siblings sql/expr, sql/types, sql/pgtext, sql/sqlerr
// and Arrow; never the planner or storage.
package expr

import (
	"context"
	"fmt"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	cexec "github.com/apache/arrow-go/v18/arrow/compute/exec"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// node is one compiled expression. eval returns an array of b.NumRows()
// rows of Arrow type typ().Arrow(); the caller releases it.
type node interface {
	eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error)
	typ() types.T
	// mayFail reports whether evaluating the node can raise an error for
	// some row; lazy operators use it to decide whether they must evaluate
	// an operand only on the rows that need it.
	mayFail() bool
}

// evalCtx carries what one Eval call needs.
type evalCtx struct {
	ctx   context.Context
	alloc memory.Allocator
	now   int64 // µs since epoch, the statement's now()
}

// Evaluator is a compiled expression.
type Evaluator struct {
	root node
	t    types.T
	now  int64
}

type nowKey struct{}

// WithNow returns a context whose now()/current_timestamp is t, so every
// expression of one statement sees the same value.
func WithNow(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, nowKey{}, t)
}

// Compile checks that every node of e can be executed and builds its
// kernels. OuterRef and Param are errors: the planner replaces them first.
func Compile(e expr.Expr) (*Evaluator, error) {
	n, err := compile(e)
	if err != nil {
		return nil, err
	}
	return &Evaluator{root: n, t: e.Type(), now: time.Now().UnixMicro()}, nil
}

// Type is the type of the values Eval returns.
func (ev *Evaluator) Type() types.T { return ev.t }

// Eval evaluates the expression over b. The result has b.NumRows() rows and
// Arrow type ev.Type().Arrow(); the caller releases it.
func (ev *Evaluator) Eval(ctx context.Context, b arrow.RecordBatch, alloc memory.Allocator) (arrow.Array, error) {
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	ec := &evalCtx{ctx: cexec.WithAllocator(ctx, alloc), alloc: alloc, now: ev.now}
	if t, ok := ctx.Value(nowKey{}).(time.Time); ok {
		ec.now = t.UnixMicro()
	}
	out, err := ev.root.eval(ec, b)
	if err != nil {
		return nil, err
	}
	if out.Len() != int(b.NumRows()) {
		out.Release()
		return nil, internalErr("expression %T returned %d rows for a batch of %d", ev.root, out.Len(), b.NumRows())
	}
	return out, nil
}

func internalErr(format string, args ...any) error {
	return sqlerr.New(sqlerr.InternalError, "internal error: "+format, args...)
}

func compile(e expr.Expr) (node, error) {
	switch e := e.(type) {
	case *expr.ColRef:
		return &colNode{idx: e.Idx, t: e.T}, nil
	case *expr.Const:
		return newConstNode(e)
	case *expr.Cast:
		arg, err := compile(e.Arg)
		if err != nil {
			return nil, err
		}
		return compileCast(arg, e.T)
	case *expr.Case:
		return compileCase(e)
	case *expr.InList:
		return compileInList(e)
	case *expr.Call:
		if e.Fn == expr.NativeFn {
			return compileNative(e)
		}
		args := make([]node, len(e.Args))
		for i, a := range e.Args {
			n, err := compile(a)
			if err != nil {
				return nil, err
			}
			args[i] = n
		}
		n, err := compileCall(e, args)
		if err != nil {
			return nil, err
		}
		return foldNode(n, e, args), nil
	case *expr.OuterRef:
		return nil, internalErr("outer reference %s reached the executor", e)
	case *expr.Param:
		return nil, internalErr("parameter $%d reached the executor unbound", e.N)
	case nil:
		return nil, internalErr("nil expression")
	}
	return nil, internalErr("cannot compile expression %T", e)
}

// foldNode evaluates a call whose arguments are all constants once, at
// compile time. A call that fails (1/0) is kept, so the error is raised only
// if a row actually reaches it (CASE WHEN false THEN 1/0 END is fine).
func foldNode(n node, e *expr.Call, args []node) node {
	if !foldable(e.Fn, len(e.Args)) {
		return n
	}
	for _, a := range args {
		if _, ok := a.(*constNode); !ok {
			return n
		}
	}
	ec := &evalCtx{ctx: context.Background(), alloc: memory.DefaultAllocator}
	b := array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)
	defer b.Release()
	out, err := n.eval(ec, b)
	if err != nil {
		return n
	}
	return &constNode{t: n.typ(), one: out, null: out.IsNull(0)}
}

// colNode reads an input column.
type colNode struct {
	idx int
	t   types.T
}

func (c *colNode) typ() types.T  { return c.t }
func (c *colNode) mayFail() bool { return false }
func (c *colNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	if c.idx < 0 || c.idx >= int(b.NumCols()) {
		return nil, internalErr("column #%d out of range of a %d-column batch", c.idx, b.NumCols())
	}
	col := b.Column(c.idx)
	if d, ok := col.(*array.Dictionary); ok {
		// Kernels see plain arrays; decode dictionary columns once here.
		out, err := compute.TakeArray(ec.ctx, d.Dictionary(), d.Indices())
		if err != nil {
			return nil, fmt.Errorf("decoding dictionary column #%d: %w", c.idx, err)
		}
		return out, nil
	}
	if !arrow.TypeEqual(col.DataType(), c.t.Arrow()) && !(c.t.Kind == types.Numeric && col.DataType().ID() == arrow.DECIMAL128) {
		if c.t.Kind == types.Unknown && col.DataType().ID() == arrow.NULL {
			col.Retain()
			return col, nil
		}
		return nil, internalErr("column #%d has Arrow type %s, expected %s", c.idx, col.DataType(), c.t.Arrow())
	}
	col.Retain()
	return col, nil
}

// constNode is a literal. It keeps a one-row array that kernels broadcast.
type constNode struct {
	val  any
	t    types.T
	one  arrow.Array // one row, from the Go heap allocator
	null bool
}

func newConstNode(c *expr.Const) (*constNode, error) {
	t := c.T
	if t.Kind == types.Unknown && c.Value != nil {
		// An untyped literal is text until a cast gives it a type.
		t = types.TextT
	}
	one, err := scalarArray(memory.DefaultAllocator, c.Value, t)
	if err != nil {
		return nil, err
	}
	return &constNode{val: c.Value, t: c.T, one: one, null: c.Value == nil}, nil
}

func (c *constNode) typ() types.T  { return c.t }
func (c *constNode) mayFail() bool { return false }
func (c *constNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	return broadcast(ec.alloc, c.one, int(b.NumRows()))
}

// scalarArray builds a one-row array holding v (Const encoding) of type t.
func scalarArray(alloc memory.Allocator, v any, t types.T) (arrow.Array, error) {
	dt := t.Arrow()
	if v == nil {
		return array.MakeArrayOfNull(alloc, dt, 1), nil
	}
	bld := array.NewBuilder(alloc, dt)
	defer bld.Release()
	ok := true
	switch b := bld.(type) {
	case *array.BooleanBuilder:
		x, k := v.(bool)
		ok = k
		b.Append(x)
	case *array.Int16Builder:
		x, k := v.(int64)
		ok = k
		b.Append(int16(x))
	case *array.Int32Builder:
		x, k := v.(int64)
		ok = k
		b.Append(int32(x))
	case *array.Int64Builder:
		x, k := v.(int64)
		ok = k
		b.Append(x)
	case *array.Float32Builder:
		x, k := v.(float64)
		ok = k
		b.Append(float32(x))
	case *array.Float64Builder:
		x, k := v.(float64)
		ok = k
		b.Append(x)
	case *array.Decimal128Builder:
		x, k := v.(decimalNum)
		ok = k
		b.Append(x)
	case *array.StringBuilder:
		x, k := v.(string)
		ok = k
		b.Append(x)
	case *array.BinaryBuilder:
		x, k := v.([]byte)
		ok = k
		b.Append(x)
	case *array.Date32Builder:
		x, k := v.(int32)
		ok = k
		b.Append(arrow.Date32(x))
	case *array.Time64Builder:
		x, k := v.(int64)
		ok = k
		b.Append(arrow.Time64(x))
	case *array.TimestampBuilder:
		x, k := v.(int64)
		ok = k
		b.Append(arrow.Timestamp(x))
	case *array.MonthDayNanoIntervalBuilder:
		x, k := v.(types.IntervalValue)
		ok = k
		b.Append(arrow.MonthDayNanoInterval{Months: x.Months, Days: x.Days, Nanoseconds: x.Micros * 1000})
	case *array.NullBuilder:
		b.AppendNull()
	default:
		return nil, internalErr("constant of type %s not supported", t)
	}
	if !ok {
		return nil, internalErr("constant %v (%T) does not encode type %s", v, v, t)
	}
	return bld.NewArray(), nil
}

// broadcast repeats the single row of one n times.
func broadcast(alloc memory.Allocator, one arrow.Array, n int) (arrow.Array, error) {
	if n == 1 {
		one.Retain()
		return one, nil
	}
	if one.IsNull(0) {
		return array.MakeArrayOfNull(alloc, one.DataType(), n), nil
	}
	switch a := one.(type) {
	case *array.Boolean:
		valid, vals := newBitmap(alloc, n, true), newBitmap(alloc, n, a.Value(0))
		return finish(one.DataType(), n, vals, valid, 0), nil
	case *array.String:
		return repeatBinary(alloc, one.DataType(), []byte(a.Value(0)), n), nil
	case *array.Binary:
		return repeatBinary(alloc, one.DataType(), a.Value(0), n), nil
	case *array.List:
		return broadcastList(alloc, a, n)
	}
	// Fixed width: copy the value bytes n times.
	w := one.DataType().(arrow.FixedWidthDataType).BitWidth() / 8
	src := one.Data().Buffers()[1].Bytes()[one.Data().Offset()*w : (one.Data().Offset()+1)*w]
	buf := memory.NewResizableBuffer(alloc)
	buf.Resize(n * w)
	dst := buf.Bytes()
	copy(dst, src)
	for filled := w; filled < len(dst); filled *= 2 {
		copy(dst[filled:], dst[:filled])
	}
	return finish(one.DataType(), n, buf, nil, 0), nil
}

func repeatBinary(alloc memory.Allocator, dt arrow.DataType, v []byte, n int) arrow.Array {
	offBuf, offs := newFixed[int32](alloc, n+1)
	for i := range offs {
		offs[i] = int32(i * len(v))
	}
	dataBuf := memory.NewResizableBuffer(alloc)
	dataBuf.Resize(n * len(v))
	d := dataBuf.Bytes()
	for i := 0; i < n; i++ {
		copy(d[i*len(v):], v)
	}
	data := array.NewData(dt, n, []*memory.Buffer{nil, offBuf, dataBuf}, nil, 0, 0)
	offBuf.Release()
	dataBuf.Release()
	out := array.MakeFromData(data)
	data.Release()
	return out
}

// values returns the typed value slice of a fixed-width array, honouring its
// offset. T must have the array's value width.
func values[T any](a arrow.Array) []T {
	d := a.Data()
	buf := d.Buffers()[1]
	if buf == nil || d.Len() == 0 {
		return nil
	}
	var z T
	bs := buf.Bytes()
	all := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(bs))), len(bs)/int(unsafe.Sizeof(z)))
	return all[d.Offset() : d.Offset()+d.Len()]
}

// newFixed allocates a value buffer of n Ts.
func newFixed[T any](alloc memory.Allocator, n int) (*memory.Buffer, []T) {
	var z T
	buf := memory.NewResizableBuffer(alloc)
	buf.Resize(n * int(unsafe.Sizeof(z)))
	bs := buf.Bytes()
	if len(bs) == 0 {
		return buf, nil
	}
	return buf, unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(bs))), n)
}

// newBitmap allocates a bitmap of n bits all set to v.
func newBitmap(alloc memory.Allocator, n int, v bool) *memory.Buffer {
	buf := memory.NewResizableBuffer(alloc)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	bs := buf.Bytes()
	fill := byte(0)
	if v {
		fill = 0xff
	}
	for i := range bs {
		bs[i] = fill
	}
	return buf
}

// finish wraps buffers into an array, taking over the caller's references.
func finish(dt arrow.DataType, n int, vals, valid *memory.Buffer, nulls int) arrow.Array {
	if valid != nil && nulls == 0 {
		valid.Release()
		valid = nil
	}
	data := array.NewData(dt, n, []*memory.Buffer{valid, vals}, nil, nulls, 0)
	vals.Release()
	if valid != nil {
		valid.Release()
	}
	out := array.MakeFromData(data)
	data.Release()
	return out
}

// validity computes the AND of the inputs' validity bitmaps for an output of
// n rows. One-row inputs are broadcast constants: a NULL one makes every
// row NULL. It returns nil when no row is NULL.
func validity(alloc memory.Allocator, n int, ins ...arrow.Array) (*memory.Buffer, int) {
	var out *memory.Buffer
	for _, a := range ins {
		if a.NullN() == 0 {
			continue
		}
		if a.Len() != n || n == 1 {
			if a.Len() == 1 && a.IsNull(0) {
				if out != nil {
					out.Release()
				}
				return newBitmap(alloc, n, false), n
			}
			if a.Len() != n {
				continue
			}
		}
		bm := a.NullBitmapBytes()
		if out == nil {
			out = newBitmap(alloc, n, true)
			bitutil.CopyBitmap(bm, a.Data().Offset(), n, out.Bytes(), 0)
			continue
		}
		bitutil.BitmapAnd(out.Bytes(), bm, 0, int64(a.Data().Offset()), out.Bytes(), 0, int64(n))
	}
	if out == nil {
		return nil, 0
	}
	return out, n - bitutil.CountSetBits(out.Bytes(), 0, n)
}

// isValid reports whether row i is valid given an output validity bitmap.
func isValid(valid *memory.Buffer, i int) bool {
	return valid == nil || bitutil.BitIsSet(valid.Bytes(), i)
}

// evalArgs evaluates every node over b; on error it releases what it made.
func evalArgs(ec *evalCtx, b arrow.RecordBatch, ns []node) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(ns))
	for i, n := range ns {
		a, err := n.eval(ec, b)
		if err != nil {
			releaseAll(out[:i])
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// operand evaluates n, keeping constants as their one-row array so kernels
// can broadcast them.
func operand(ec *evalCtx, b arrow.RecordBatch, n node) (arrow.Array, error) {
	if c, ok := n.(*constNode); ok && b.NumRows() != 1 {
		c.one.Retain()
		return c.one, nil
	}
	return n.eval(ec, b)
}

// operands2 evaluates two operands of a binary kernel; at most one of them
// stays a broadcast one-row constant, so kernels have a full-length side.
func operands2(ec *evalCtx, b arrow.RecordBatch, ln, rn node) (arrow.Array, arrow.Array, error) {
	l, err := operand(ec, b, ln)
	if err != nil {
		return nil, nil, err
	}
	var r arrow.Array
	if _, lc := ln.(*constNode); lc {
		r, err = rn.eval(ec, b)
	} else {
		r, err = operand(ec, b, rn)
	}
	if err != nil {
		l.Release()
		return nil, nil, err
	}
	return l, r, nil
}

func releaseAll(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// stride is the index mask that broadcasts a one-row operand: i&0 == 0.
func stride(a arrow.Array, n int) int {
	if a.Len() == 1 && n != 1 {
		return 0
	}
	return -1
}

// takeBatch returns the rows idx of b. Only the columns in cols (all when
// nil) are copied; the others become NULL-typed placeholders without
// buffers, since the sub-expression evaluated on the result never reads them.
func takeBatch(ec *evalCtx, b arrow.RecordBatch, idx []int32, cols map[int]bool) (arrow.RecordBatch, error) {
	ib, iv := newFixed[int32](ec.alloc, len(idx))
	copy(iv, idx)
	indices := finish(arrow.PrimitiveTypes.Int32, len(idx), ib, nil, 0)
	defer indices.Release()
	out := make([]arrow.Array, b.NumCols())
	fields := append([]arrow.Field(nil), b.Schema().Fields()...)
	for i := range out {
		if cols != nil && !cols[i] {
			out[i] = array.NewNull(len(idx))
			fields[i] = arrow.Field{Name: fields[i].Name, Type: arrow.Null, Nullable: true}
			continue
		}
		c, err := compute.TakeArray(ec.ctx, b.Column(i), indices)
		if err != nil {
			releaseAll(out[:i])
			return nil, fmt.Errorf("selecting rows: %w", err)
		}
		out[i] = c
	}
	schema := b.Schema()
	if cols != nil {
		schema = arrow.NewSchema(fields, nil)
	}
	rb := array.NewRecordBatch(schema, out, int64(len(idx)))
	releaseAll(out)
	return rb, nil
}

// decimalNum is the Decimal128 value type.
type decimalNum = decimal128.Num
