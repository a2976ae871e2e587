package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/types"
)

// bitNode is l op r for the bitwise operators & | # (xor) on integers of
// one width, and << >> of an integer by an int4 count. None can fail.
type bitNode struct {
	op   string
	l, r node
	t    types.T
}

func compileBitwise(op string, l, r node, t types.T) (node, error) {
	lt, rt := l.typ(), r.typ()
	if !lt.IsInteger() || !rt.IsInteger() || lt.Kind != t.Kind {
		return nil, internalErr("operands of %s are %s and %s, result %s: the binder must cast them", op, lt, rt, t)
	}
	if op == "<<" || op == ">>" {
		if rt.Kind != types.Int32 {
			return nil, internalErr("shift count of %s is %s, want integer", op, rt)
		}
	} else if rt.Kind != t.Kind {
		return nil, internalErr("operands of %s are %s and %s: the binder must cast them", op, lt, rt)
	}
	return &bitNode{op: op, l: l, r: r, t: t}, nil
}

func (n *bitNode) typ() types.T  { return n.t }
func (n *bitNode) mayFail() bool { return n.l.mayFail() || n.r.mayFail() }

func (n *bitNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	l, r, err := operands2(ec, b, n.l, n.r)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	defer r.Release()
	valid, nulls := validity(ec.alloc, rows, l, r)
	lm, rm := stride(l, rows), stride(r, rows)
	dt := n.t.Arrow()
	shift := n.op == "<<" || n.op == ">>"
	switch n.t.Kind {
	case types.Int16:
		if shift {
			return shiftInts(ec.alloc, n.op, dt, values[int16](l), values[int32](r), lm, rm, rows, valid, nulls, 31), nil
		}
		return bitInts(ec.alloc, n.op, dt, values[int16](l), values[int16](r), lm, rm, rows, valid, nulls), nil
	case types.Int32:
		if shift {
			return shiftInts(ec.alloc, n.op, dt, values[int32](l), values[int32](r), lm, rm, rows, valid, nulls, 31), nil
		}
		return bitInts(ec.alloc, n.op, dt, values[int32](l), values[int32](r), lm, rm, rows, valid, nulls), nil
	case types.Int64:
		if shift {
			return shiftInts(ec.alloc, n.op, dt, values[int64](l), values[int32](r), lm, rm, rows, valid, nulls, 63), nil
		}
		return bitInts(ec.alloc, n.op, dt, values[int64](l), values[int64](r), lm, rm, rows, valid, nulls), nil
	}
	releaseBuf(valid)
	return nil, internalErr("bitwise %s on %s", n.op, n.t)
}

func bitInts[T signed](alloc memory.Allocator, op string, dt arrow.DataType, l, r []T, lm, rm, n int, valid *memory.Buffer, nulls int) arrow.Array {
	buf, out := newFixed[T](alloc, n)
	switch op {
	case "&":
		for i := range out {
			out[i] = l[i&lm] & r[i&rm]
		}
	case "|":
		for i := range out {
			out[i] = l[i&lm] | r[i&rm]
		}
	case "#":
		for i := range out {
			out[i] = l[i&lm] ^ r[i&rm]
		}
	}
	return finish(dt, n, buf, valid, nulls)
}

// shiftInts shifts as PostgreSQL's C code does on the machines it runs on:
// smallint and integer shift as 32-bit ints and bigint as 64-bit, the
// count taken modulo the width (x86 masks it), so 1 << 32 is 1 and
// 1 << -1 is 1 << 31; >> is arithmetic. A smallint result keeps the low 16
// bits (PostgreSQL casts the int back to int16).
func shiftInts[T signed](alloc memory.Allocator, op string, dt arrow.DataType, l []T, r []int32, lm, rm, n int, valid *memory.Buffer, nulls int, mask int32) arrow.Array {
	buf, out := newFixed[T](alloc, n)
	for i := range out {
		c := uint(r[i&rm] & mask)
		if mask == 63 {
			x := int64(l[i&lm])
			if op == "<<" {
				out[i] = T(x << c)
			} else {
				out[i] = T(x >> c)
			}
			continue
		}
		x := int32(l[i&lm])
		if op == "<<" {
			out[i] = T(x << c)
		} else {
			out[i] = T(x >> c)
		}
	}
	return finish(dt, n, buf, valid, nulls)
}

// bitNotNode is ~x on an integer.
type bitNotNode struct {
	arg node
	t   types.T
}

func (n *bitNotNode) typ() types.T  { return n.t }
func (n *bitNotNode) mayFail() bool { return n.arg.mayFail() }

func (n *bitNotNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	a, err := n.arg.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	rows := a.Len()
	valid, nulls := validity(ec.alloc, rows, a)
	dt := n.t.Arrow()
	switch n.t.Kind {
	case types.Int16:
		return notInts(ec.alloc, dt, values[int16](a), rows, valid, nulls), nil
	case types.Int32:
		return notInts(ec.alloc, dt, values[int32](a), rows, valid, nulls), nil
	case types.Int64:
		return notInts(ec.alloc, dt, values[int64](a), rows, valid, nulls), nil
	}
	releaseBuf(valid)
	return nil, internalErr("~ on %s", n.t)
}

func notInts[T signed](alloc memory.Allocator, dt arrow.DataType, in []T, n int, valid *memory.Buffer, nulls int) arrow.Array {
	buf, out := newFixed[T](alloc, n)
	for i := range out {
		out[i] = ^in[i]
	}
	return finish(dt, n, buf, valid, nulls)
}
