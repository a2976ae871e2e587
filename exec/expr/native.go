package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

// nativeNode calls a function the binder bound (expr.Native) row by row.
// Such functions answer catalog questions over a few hundred rows at most,
// so reading Go values per row costs nothing that matters.
type nativeNode struct {
	f    *expr.Native
	args []node
	t    types.T
}

func compileNative(e *expr.Call) (node, error) {
	if len(e.Args) == 0 {
		return nil, internalErr("native call without a function")
	}
	c, ok := e.Args[0].(*expr.Const)
	if !ok {
		return nil, internalErr("native call's first argument is %T", e.Args[0])
	}
	f, ok := c.Value.(*expr.Native)
	if !ok || f.Fn == nil {
		return nil, internalErr("native call's first argument holds %T", c.Value)
	}
	n := &nativeNode{f: f, t: e.T}
	allConst := true
	for _, a := range e.Args[1:] {
		an, err := compile(a)
		if err != nil {
			return nil, err
		}
		if _, ok := an.(*constNode); !ok {
			allConst = false
		}
		n.args = append(n.args, an)
	}
	if allConst {
		return foldNode(n, &expr.Call{Fn: f.Name}, n.args), nil
	}
	return n, nil
}

func (n *nativeNode) typ() types.T  { return n.t }
func (n *nativeNode) mayFail() bool { return true }

func (n *nativeNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	arrs, err := evalArgs(ec, b, n.args)
	if err != nil {
		return nil, err
	}
	defer releaseAll(arrs)
	bld := array.NewBuilder(ec.alloc, n.t.Arrow())
	defer bld.Release()
	bld.Reserve(rows)
	vals := make([]any, len(arrs))
rows:
	for i := 0; i < rows; i++ {
		for k, a := range arrs {
			vals[k] = goValue(a, i, n.args[k].typ())
			if vals[k] == nil && n.f.Strict {
				bld.AppendNull()
				continue rows
			}
		}
		v, err := n.f.Fn(vals)
		if err != nil {
			return nil, err
		}
		if v == nil {
			bld.AppendNull()
			continue
		}
		if !appendGo(bld, v) {
			return nil, internalErr("%s returned %v (%T) for type %s", n.f.Name, v, v, n.t)
		}
	}
	return bld.NewArray(), nil
}

// goValue reads row i of a in Const encoding (nil for NULL).
func goValue(a arrow.Array, i int, t types.T) any {
	if a.IsNull(i) {
		return nil
	}
	switch x := a.(type) {
	case *array.Boolean:
		return x.Value(i)
	case *array.Int16:
		return int64(x.Value(i))
	case *array.Int32:
		return int64(x.Value(i))
	case *array.Int64:
		return x.Value(i)
	case *array.Float32:
		return float64(x.Value(i))
	case *array.Float64:
		return x.Value(i)
	case *array.Decimal128:
		return x.Value(i)
	case *array.String:
		return x.Value(i)
	case *array.Binary:
		return append([]byte(nil), x.Value(i)...)
	case *array.Date32:
		return int32(x.Value(i))
	case *array.Time64:
		return int64(x.Value(i))
	case *array.Timestamp:
		return int64(x.Value(i))
	case *array.MonthDayNanoInterval:
		return ivOf(x.Value(i))
	case *array.List:
		s, e := x.ValueOffsets(i)
		out := make([]any, 0, e-s)
		for j := int(s); j < int(e); j++ {
			out = append(out, goValue(x.ListValues(), j, t.ElemType()))
		}
		return out
	}
	return nil
}

// appendGo appends v (Const encoding) to bld; false if v does not fit.
func appendGo(bld array.Builder, v any) bool {
	switch b := bld.(type) {
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		b.Append(x)
		return ok
	case *array.Int16Builder:
		x, ok := v.(int64)
		b.Append(int16(x))
		return ok
	case *array.Int32Builder:
		x, ok := v.(int64)
		b.Append(int32(x))
		return ok
	case *array.Int64Builder:
		x, ok := v.(int64)
		b.Append(x)
		return ok
	case *array.Float32Builder:
		x, ok := v.(float64)
		b.Append(float32(x))
		return ok
	case *array.Float64Builder:
		x, ok := v.(float64)
		b.Append(x)
		return ok
	case *array.Decimal128Builder:
		x, ok := v.(decimal128.Num)
		b.Append(x)
		return ok
	case *array.StringBuilder:
		x, ok := v.(string)
		b.Append(x)
		return ok
	case *array.BinaryBuilder:
		x, ok := v.([]byte)
		b.Append(x)
		return ok
	case *array.ListBuilder:
		xs, ok := v.([]any)
		if !ok {
			b.AppendNull()
			return false
		}
		b.Append(true)
		for _, x := range xs {
			if x == nil {
				b.ValueBuilder().AppendNull()
				continue
			}
			if !appendGo(b.ValueBuilder(), x) {
				return false
			}
		}
		return true
	}
	return false
}
