package expr

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// This file holds the kernels of PostgreSQL's array functions over
// one-dimensional arrays (Arrow lists). They are vectorized the same way:
// each row's elements are addressed through the list offsets, per-element
// work (comparisons, gathers) runs once over the flattened child array with
// the existing typed kernels (compareArrays, take), and only the per-row
// reduction walks the offsets. No cell is boxed.

// listOf returns a list array's per-row offsets (n+1, already shifted by the
// array's offset, indexing its child directly) and the child.
func listOf(a arrow.Array) ([]int32, arrow.Array, error) {
	la, ok := a.(*array.List)
	if !ok {
		return nil, nil, internalErr("array function over %s", a.DataType())
	}
	n := la.Len()
	offs := la.Offsets()
	if len(offs) == 0 {
		return make([]int32, n+1), la.ListValues(), nil
	}
	o := la.Data().Offset()
	return offs[o : o+n+1], la.ListValues(), nil
}

// int32Array wraps idx (with optional validity, nulls counted) as an Int32
// array for compute.TakeArray.
func int32Array(alloc memory.Allocator, idx []int32, valid *memory.Buffer, nulls int) arrow.Array {
	buf, v := newFixed[int32](alloc, len(idx))
	copy(v, idx)
	return finish(arrow.PrimitiveTypes.Int32, len(idx), buf, valid, nulls)
}

// takeIdx gathers src[idx] (nil valid: no NULL indexes).
func takeIdx(ec *evalCtx, src arrow.Array, idx []int32, valid *memory.Buffer, nulls int) (arrow.Array, error) {
	ia := int32Array(ec.alloc, idx, valid, nulls)
	defer ia.Release()
	out, err := compute.TakeArray(compute.WithAllocator(ec.ctx, ec.alloc), src, ia)
	if err != nil {
		return nil, fmt.Errorf("array gather: %w", err)
	}
	return out, nil
}

// newList wraps per-row offsets and a child into a list array of type t.
func newListArr(alloc memory.Allocator, t types.T, offs []int32, child arrow.Array, valid *memory.Buffer, nulls int) arrow.Array {
	n := len(offs) - 1
	ob, o := newFixed[int32](alloc, n+1)
	copy(o, offs)
	if valid != nil && nulls == 0 {
		valid.Release()
		valid = nil
	}
	data := array.NewData(t.Arrow(), n, []*memory.Buffer{valid, ob}, []arrow.ArrayData{child.Data()}, nulls, 0)
	ob.Release()
	if valid != nil {
		valid.Release()
	}
	out := array.MakeFromData(data)
	data.Release()
	return out
}

// elemCmp compares every element of the n lists in l with the value of its
// row in x (x has n rows): out[j] is elem op x (or, distinct, IS [NOT]
// DISTINCT FROM), for j indexing the child from offs[0]. elemLeft puts the
// element on the left (x op elem otherwise).
func elemCmp(ec *evalCtx, op cmpOp, offs []int32, child, x arrow.Array, distinct, elemLeft bool) (*array.Boolean, error) {
	n := len(offs) - 1
	lo, hi := int(offs[0]), int(offs[n])
	rowOf := make([]int32, hi-lo)
	for i := 0; i < n; i++ {
		for j := offs[i]; j < offs[i+1]; j++ {
			rowOf[int(j)-lo] = int32(i)
		}
	}
	xs, err := takeIdx(ec, x, rowOf, nil, 0)
	if err != nil {
		return nil, err
	}
	defer xs.Release()
	elems := array.NewSlice(child, int64(lo), int64(hi))
	defer elems.Release()
	var res arrow.Array
	if elemLeft {
		res, err = compareArrays(ec.alloc, op, elems, xs, hi-lo, distinct)
	} else {
		res, err = compareArrays(ec.alloc, op, xs, elems, hi-lo, distinct)
	}
	if err != nil {
		return nil, err
	}
	return res.(*array.Boolean), nil
}

// arrayFnNode runs one array function; f gets the evaluated arguments (all
// b.NumRows() long).
type arrayFnNode struct {
	args  []node
	t     types.T
	fails bool
	f     func(ec *evalCtx, n int, a []arrow.Array) (arrow.Array, error)
}

func (n *arrayFnNode) typ() types.T { return n.t }
func (n *arrayFnNode) mayFail() bool {
	if n.fails {
		return true
	}
	for _, a := range n.args {
		if a.mayFail() {
			return true
		}
	}
	return false
}

func (n *arrayFnNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	arrs, err := evalArgs(ec, b, n.args)
	if err != nil {
		return nil, err
	}
	defer releaseAll(arrs)
	return n.f(ec, int(b.NumRows()), arrs)
}

// int32Result builds an int4 column from per-row values and a validity
// bitmap built by the caller.
func int32Result(alloc memory.Allocator, vals []int32, valid []bool) arrow.Array {
	n := len(vals)
	buf, v := newFixed[int32](alloc, n)
	copy(v, vals)
	vb := newBitmap(alloc, n, false)
	nulls := 0
	for i, ok := range valid {
		if ok {
			bitutil.SetBit(vb.Bytes(), i)
		} else {
			nulls++
		}
	}
	return finish(arrow.PrimitiveTypes.Int32, n, buf, vb, nulls)
}

// i32At reads an integer argument row as int64 (the catalog casts these to
// int4).
func i32At(a arrow.Array, i int) int64 {
	return int64(a.(*array.Int32).Value(i))
}

// compileArrayFunc builds the kernels of the array functions and the
// internal __pg_subscript, __any and __all. ok is false for other names.
func compileArrayFunc(fn string, args []node, t types.T) (node, bool, error) {
	mk := func(fails bool, f func(ec *evalCtx, n int, a []arrow.Array) (arrow.Array, error)) (node, bool, error) {
		return &arrayFnNode{args: args, t: t, fails: fails, f: f}, true, nil
	}
	switch fn {
	case "cardinality", "array_length", "array_lower", "array_upper":
		return mk(false, func(ec *evalCtx, n int, a []arrow.Array) (arrow.Array, error) {
			offs, _, err := listOf(a[0])
			if err != nil {
				return nil, err
			}
			vals, valid := make([]int32, n), make([]bool, n)
			for i := 0; i < n; i++ {
				if a[0].IsNull(i) {
					continue
				}
				l := offs[i+1] - offs[i]
				if fn == "cardinality" {
					vals[i], valid[i] = l, true
					continue
				}
				// A one-dimensional array has only dimension 1; an empty
				// array has no dimensions at all.
				if a[1].IsNull(i) || i32At(a[1], i) != 1 || l == 0 {
					continue
				}
				valid[i] = true
				switch fn {
				case "array_lower":
					vals[i] = 1
				default:
					vals[i] = l
				}
			}
			return int32Result(ec.alloc, vals, valid), nil
		})
	case "array_position", "array_positions":
		return mk(true, func(ec *evalCtx, n int, a []arrow.Array) (arrow.Array, error) {
			offs, child, err := listOf(a[0])
			if err != nil {
				return nil, err
			}
			// PostgreSQL searches with IS NOT DISTINCT FROM: NULL finds NULL.
			eq, err := elemCmp(ec, opEq, offs, child, a[1], true, true)
			if err != nil {
				return nil, err
			}
			defer eq.Release()
			base := offs[0]
			if fn == "array_positions" {
				var pos []int32
				out := make([]int32, n+1)
				valid := newBitmap(ec.alloc, n, true)
				nulls := 0
				for i := 0; i < n; i++ {
					out[i] = int32(len(pos))
					if a[0].IsNull(i) {
						bitutil.ClearBit(valid.Bytes(), i)
						nulls++
						continue
					}
					for j := offs[i]; j < offs[i+1]; j++ {
						if eq.Value(int(j - base)) {
							pos = append(pos, j-offs[i]+1)
						}
					}
				}
				out[n] = int32(len(pos))
				child := int32Array(ec.alloc, pos, nil, 0)
				defer child.Release()
				return newListArr(ec.alloc, t, out, child, valid, nulls), nil
			}
			vals, valid := make([]int32, n), make([]bool, n)
			for i := 0; i < n; i++ {
				if a[0].IsNull(i) {
					continue
				}
				start := int32(1)
				if len(a) == 3 {
					if a[2].IsNull(i) {
						return nil, sqlerr.New(sqlerr.NullValueNotAllowed, "initial position must not be null")
					}
					start = max(int32(i32At(a[2], i)), 1)
				}
				for j := offs[i] + start - 1; j < offs[i+1]; j++ {
					if eq.Value(int(j - base)) {
						vals[i], valid[i] = j-offs[i]+1, true
						break
					}
				}
			}
			return int32Result(ec.alloc, vals, valid), nil
		})
	case "array_remove", "array_replace":
		return mk(false, func(ec *evalCtx, n int, a []arrow.Array) (arrow.Array, error) {
			offs, child, err := listOf(a[0])
			if err != nil {
				return nil, err
			}
			eq, err := elemCmp(ec, opEq, offs, child, a[1], true, true)
			if err != nil {
				return nil, err
			}
			defer eq.Release()
			base := offs[0]
			out := make([]int32, n+1)
			var idx []int32
			src := child
			if fn == "array_replace" {
				// Gather from [child elements..., replacement per row...].
				cs := array.NewSlice(child, int64(base), int64(offs[n]))
				defer cs.Release()
				all, err := array.Concatenate([]arrow.Array{cs, a[2]}, ec.alloc)
				if err != nil {
					return nil, fmt.Errorf("array_replace: %w", err)
				}
				defer all.Release()
				src = all
			}
			m := offs[n] - base
			for i := 0; i < n; i++ {
				out[i] = int32(len(idx))
				if a[0].IsNull(i) {
					continue
				}
				for j := offs[i]; j < offs[i+1]; j++ {
					match := eq.Value(int(j - base))
					switch {
					case fn == "array_remove" && match:
					case fn == "array_remove":
						idx = append(idx, j)
					case match:
						idx = append(idx, m+int32(i))
					default:
						idx = append(idx, j-base)
					}
				}
			}
			out[n] = int32(len(idx))
			elems, err := takeIdx(ec, src, idx, nil, 0)
			if err != nil {
				return nil, err
			}
			defer elems.Release()
			valid, nulls := validity(ec.alloc, n, a[0])
			return newListArr(ec.alloc, t, out, elems, valid, nulls), nil
		})
	case "array_append", "array_prepend", "array_cat":
		return mk(false, func(ec *evalCtx, n int, a []arrow.Array) (arrow.Array, error) {
			return concatLists(ec, fn, t, n, a)
		})
	case expr.Subscript:
		return mk(false, func(ec *evalCtx, n int, a []arrow.Array) (arrow.Array, error) {
			offs, child, err := listOf(a[0])
			if err != nil {
				return nil, err
			}
			idx := make([]int32, n)
			valid := newBitmap(ec.alloc, n, false)
			nulls := 0
			for i := 0; i < n; i++ {
				if a[0].IsValid(i) && a[1].IsValid(i) {
					k := i32At(a[1], i)
					if k >= 1 && k <= int64(offs[i+1]-offs[i]) {
						idx[i] = offs[i] + int32(k) - 1
						bitutil.SetBit(valid.Bytes(), i)
						continue
					}
				}
				nulls++
			}
			return takeIdx(ec, child, idx, valid, nulls)
		})
	case expr.AnyOp, expr.AllOp:
		if len(args) != 3 {
			return nil, true, internalErr("%s expects (value, array, operator)", fn)
		}
		c, ok := args[2].(*constNode)
		if !ok || c.one.IsNull(0) {
			return nil, true, internalErr("%s needs a constant operator", fn)
		}
		opName := c.one.(*array.String).Value(0)
		op, ok := cmpOps[opName]
		if !ok {
			return nil, true, internalErr("%s with operator %q", fn, opName)
		}
		all := fn == expr.AllOp
		args = args[:2]
		return mk(false, func(ec *evalCtx, n int, a []arrow.Array) (arrow.Array, error) {
			return quantified(ec, op, all, n, a[0], a[1])
		})
	}
	return nil, false, nil
}

// quantified is x op ANY/ALL (arr) in SQL's three-valued logic: ANY is true
// if some comparison is true, else NULL if some is NULL, else false (so an
// empty array gives false even for a NULL x); ALL is the dual.
func quantified(ec *evalCtx, op cmpOp, all bool, n int, x, arr arrow.Array) (arrow.Array, error) {
	offs, child, err := listOf(arr)
	if err != nil {
		return nil, err
	}
	res, err := elemCmp(ec, op, offs, child, x, false, false)
	if err != nil {
		return nil, err
	}
	defer res.Release()
	base := offs[0]
	vals := newBitmap(ec.alloc, n, false)
	valid := newBitmap(ec.alloc, n, true)
	vb, nb := vals.Bytes(), valid.Bytes()
	nulls := 0
	for i := 0; i < n; i++ {
		if arr.IsNull(i) {
			bitutil.ClearBit(nb, i)
			nulls++
			continue
		}
		// decided is the value that settles the row (true for ANY, false
		// for ALL); otherwise a NULL comparison leaves it unknown.
		out, sawNull := all, false
		for j := offs[i]; j < offs[i+1]; j++ {
			k := int(j - base)
			if res.IsNull(k) {
				sawNull = true
				continue
			}
			if res.Value(k) != all {
				out = !all
				sawNull = false
				break
			}
		}
		switch {
		case sawNull:
			bitutil.ClearBit(nb, i)
			nulls++
		case out:
			bitutil.SetBit(vb, i)
		}
	}
	return finish(arrow.FixedWidthTypes.Boolean, n, vals, valid, nulls), nil
}

// concatLists implements array_append(arr, x), array_prepend(x, arr) and
// array_cat(a1, a2): each row's result gathers its parts' elements from one
// concatenation of the lists' children and the scalar columns. A NULL array
// counts as empty; the result is NULL only when every part is a NULL array
// (array_cat(NULL, NULL)).
func concatLists(ec *evalCtx, fn string, t types.T, n int, a []arrow.Array) (arrow.Array, error) {
	type part struct {
		offs []int32 // nil for a scalar element column
		arr  arrow.Array
		base int32 // where this part's values start in the concatenation
	}
	parts := make([]part, len(a))
	srcs := make([]arrow.Array, 0, len(a))
	defer func() { releaseAll(srcs) }()
	base := int32(0)
	for k, arr := range a {
		isList := (fn == "array_append" && k == 0) || (fn == "array_prepend" && k == 1) || fn == "array_cat"
		if !isList {
			parts[k] = part{arr: arr, base: base}
			arr.Retain()
			srcs = append(srcs, arr)
			base += int32(n)
			continue
		}
		offs, child, err := listOf(arr)
		if err != nil {
			return nil, err
		}
		cs := array.NewSlice(child, int64(offs[0]), int64(offs[n]))
		srcs = append(srcs, cs)
		parts[k] = part{offs: offs, arr: arr, base: base - offs[0]}
		base += offs[n] - offs[0]
	}
	vals, err := array.Concatenate(srcs, ec.alloc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	defer vals.Release()
	out := make([]int32, n+1)
	var idx []int32
	valid := newBitmap(ec.alloc, n, false)
	nulls := 0
	for i := 0; i < n; i++ {
		out[i] = int32(len(idx))
		isNull := true
		for _, p := range parts {
			if p.offs == nil {
				idx = append(idx, p.base+int32(i))
				isNull = false
				continue
			}
			if p.arr.IsNull(i) {
				continue
			}
			isNull = false
			for j := p.offs[i]; j < p.offs[i+1]; j++ {
				idx = append(idx, p.base+j)
			}
		}
		if isNull {
			nulls++
		} else {
			bitutil.SetBit(valid.Bytes(), i)
		}
	}
	out[n] = int32(len(idx))
	elems, err := takeIdx(ec, vals, idx, nil, 0)
	if err != nil {
		valid.Release()
		return nil, err
	}
	defer elems.Release()
	return newListArr(ec.alloc, t, out, elems, valid, nulls), nil
}

// compareLists compares arrays (each n rows or one broadcast row) as
// PostgreSQL's array operators do: element by element in the element
// type's order, a NULL element above any non-NULL one and equal to another
// NULL, and on a common prefix the shorter array first. The element pairs
// of all rows are compared at once with compareArrays; only the search for
// each row's first difference walks the rows.
func compareLists(alloc memory.Allocator, op cmpOp, l, r arrow.Array, n int, distinct bool) (arrow.Array, error) {
	lm, rm := stride(l, n), stride(r, n)
	lo, lc, err := listOf(l)
	if err != nil {
		return nil, err
	}
	ro, rc, err := listOf(r)
	if err != nil {
		return nil, err
	}
	var li, ri []int32
	start := make([]int32, n+1)
	for i := 0; i < n; i++ {
		start[i] = int32(len(li))
		a, b := i&lm, i&rm
		if l.IsNull(a) || r.IsNull(b) {
			continue
		}
		for k := int32(0); k < min(lo[a+1]-lo[a], ro[b+1]-ro[b]); k++ {
			li = append(li, lo[a]+k)
			ri = append(ri, ro[b]+k)
		}
	}
	start[n] = int32(len(li))
	ec := &evalCtx{ctx: compute.WithAllocator(context.Background(), alloc), alloc: alloc}
	le, err := takeIdx(ec, lc, li, nil, 0)
	if err != nil {
		return nil, err
	}
	defer le.Release()
	re, err := takeIdx(ec, rc, ri, nil, 0)
	if err != nil {
		return nil, err
	}
	defer re.Release()
	m := len(li)
	eqA, err := compareArrays(alloc, opEq, le, re, m, true)
	if err != nil {
		return nil, err
	}
	defer eqA.Release()
	ltA, err := compareArrays(alloc, opLt, le, re, m, false)
	if err != nil {
		return nil, err
	}
	defer ltA.Release()
	eq, lt := eqA.(*array.Boolean), ltA.(*array.Boolean)
	vals := newBitmap(alloc, n, false)
	valid := newBitmap(alloc, n, true)
	nulls := 0
	for i := 0; i < n; i++ {
		a, b := i&lm, i&rm
		ln, rn := l.IsNull(a), r.IsNull(b)
		if ln || rn {
			if distinct {
				bitutil.SetBitTo(vals.Bytes(), i, (op == opEq) == (ln && rn))
			} else {
				bitutil.ClearBit(valid.Bytes(), i)
				nulls++
			}
			continue
		}
		c := 0
		for k := start[i]; k < start[i+1] && c == 0; k++ {
			if eq.Value(int(k)) {
				continue
			}
			switch {
			case le.IsNull(int(k)):
				c = 1
			case re.IsNull(int(k)):
				c = -1
			case lt.Value(int(k)):
				c = -1
			default:
				c = 1
			}
		}
		if c == 0 {
			c = cmpInt(lo[a+1]-lo[a], ro[b+1]-ro[b])
		}
		bitutil.SetBitTo(vals.Bytes(), i, apply(op, c))
	}
	return finish(arrow.FixedWidthTypes.Boolean, n, vals, valid, nulls), nil
}

func cmpInt(a, b int32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
