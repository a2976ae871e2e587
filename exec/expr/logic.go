package expr

import (
	"fmt"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

// boolBits returns a boolean array's value and validity bitmaps aligned to
// bit 0 (copying only when the array is a slice at an odd offset) and a
// release function. valid is nil when nothing is NULL.
func boolBits(alloc memory.Allocator, a arrow.Array) (vals, valid []byte, release func()) {
	n := a.Len()
	off := a.Data().Offset()
	var bufs []*memory.Buffer
	release = func() {
		for _, b := range bufs {
			b.Release()
		}
	}
	if a.DataType().ID() == arrow.NULL {
		v := newBitmap(alloc, n, false)
		m := newBitmap(alloc, n, false)
		bufs = append(bufs, v, m)
		return v.Bytes(), m.Bytes(), release
	}
	src := a.Data().Buffers()[1].Bytes()
	if off%8 == 0 {
		vals = src[off/8:]
	} else {
		v := newBitmap(alloc, n, false)
		bitutil.CopyBitmap(src, off, n, v.Bytes(), 0)
		bufs = append(bufs, v)
		vals = v.Bytes()
	}
	if a.NullN() > 0 {
		vb := a.NullBitmapBytes()
		if off%8 == 0 {
			valid = vb[off/8:]
		} else {
			v := newBitmap(alloc, n, false)
			bitutil.CopyBitmap(vb, off, n, v.Bytes(), 0)
			bufs = append(bufs, v)
			valid = v.Bytes()
		}
	}
	return vals, valid, release
}

// andOrNode is AND / OR with SQL's three-valued logic. The right operand is
// evaluated only on the rows the left did not decide when it could fail
// (`b <> 0 AND a / b > 1` must not divide by zero), else on the whole batch.
type andOrNode struct {
	or    bool
	l, r  node
	rcols map[int]bool // columns the right operand reads
}

func (n *andOrNode) typ() types.T  { return types.BoolT }
func (n *andOrNode) mayFail() bool { return n.l.mayFail() || n.r.mayFail() }

func (n *andOrNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	l, err := n.l.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	lv, lvalid, lrel := boolBits(ec.alloc, l)
	defer lrel()
	// decided: rows whose result the left side fixes (false for AND, true
	// for OR). Count the undecided ones a byte at a time.
	nb := int(bitutil.BytesForBits(int64(rows)))
	undecidedBits := func(i int) byte {
		v, valid := lv[i], byte(0xff)
		if lvalid != nil {
			valid = lvalid[i]
		}
		var d byte
		if n.or {
			d = v & valid // valid true decides OR
		} else {
			d = ^v & valid // valid false decides AND
		}
		u := ^d
		if i == nb-1 && rows%8 != 0 {
			u &= byte(1)<<(rows%8) - 1
		}
		return u
	}
	count := 0
	for i := 0; i < nb; i++ {
		count += bits.OnesCount8(undecidedBits(i))
	}
	if count == 0 {
		l.Retain()
		return l, nil
	}
	var r arrow.Array
	// The right side runs only on the undecided rows when it could fail
	// there, or when so few rows are left that copying them out is cheaper
	// than evaluating it on the whole batch (a selective first conjunct of
	// a filter then spares the later ones most of the work).
	if count < rows && (n.r.mayFail() || count*3 <= rows) {
		undecided := make([]int32, 0, count)
		for i := 0; i < nb; i++ {
			for u := undecidedBits(i); u != 0; u &= u - 1 {
				undecided = append(undecided, int32(i*8+bits.TrailingZeros8(u)))
			}
		}
		sub, err := takeBatch(ec, b, undecided, n.rcols)
		if err != nil {
			return nil, err
		}
		part, err := n.r.eval(ec, sub)
		sub.Release()
		if err != nil {
			return nil, err
		}
		// Scatter the partial result back; decided rows get the neutral
		// value (true for AND, false for OR) so they do not change.
		r, err = scatterBool(ec.alloc, part, undecided, rows, !n.or)
		part.Release()
		if err != nil {
			return nil, err
		}
	} else {
		r, err = n.r.eval(ec, b)
		if err != nil {
			return nil, err
		}
	}
	defer r.Release()
	rv, rvalid, rrel := boolBits(ec.alloc, r)
	defer rrel()
	outBuf := newBitmap(ec.alloc, rows, false)
	validBuf := newBitmap(ec.alloc, rows, true)
	ob, vb := outBuf.Bytes(), validBuf.Bytes()
	for i := 0; i < nb; i++ {
		a, c := lv[i], rv[i]
		av, cv := byte(0xff), byte(0xff)
		if lvalid != nil {
			av = lvalid[i]
		}
		if rvalid != nil {
			cv = rvalid[i]
		}
		if n.or {
			// true if either is valid-true; NULL unless both valid or a true.
			t := (a & av) | (c & cv)
			ob[i] = t
			vb[i] = t | (av & cv)
		} else {
			f := (^a & av) | (^c & cv) // some side is a known false
			ob[i] = a & c &^ f
			vb[i] = f | (av & cv)
		}
	}
	nulls := rows - bitutil.CountSetBits(vb, 0, rows)
	return finish(arrow.FixedWidthTypes.Boolean, rows, outBuf, validBuf, nulls), nil
}

// scatterBool places part (one row per idx) into an n-row boolean array,
// filling other rows with fill.
func scatterBool(alloc memory.Allocator, part arrow.Array, idx []int32, n int, fill bool) (arrow.Array, error) {
	p, ok := part.(*array.Boolean)
	if !ok {
		return nil, internalErr("boolean operand returned %s", part.DataType())
	}
	vals := newBitmap(alloc, n, fill)
	valid := newBitmap(alloc, n, true)
	vb, mb := vals.Bytes(), valid.Bytes()
	nulls := 0
	for k, i := range idx {
		if p.IsNull(k) {
			bitutil.ClearBit(mb, int(i))
			nulls++
			continue
		}
		bitutil.SetBitTo(vb, int(i), p.Value(k))
	}
	return finish(arrow.FixedWidthTypes.Boolean, n, vals, valid, nulls), nil
}

// notNode is NOT.
type notNode struct{ arg node }

func (n *notNode) typ() types.T  { return types.BoolT }
func (n *notNode) mayFail() bool { return n.arg.mayFail() }
func (n *notNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	a, err := n.arg.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	rows := a.Len()
	vals, _, rel := boolBits(ec.alloc, a)
	defer rel()
	out := newBitmap(ec.alloc, rows, false)
	ob := out.Bytes()
	for i := range ob {
		ob[i] = ^vals[i]
	}
	valid, nulls := validity(ec.alloc, rows, a)
	return finish(arrow.FixedWidthTypes.Boolean, rows, out, valid, nulls), nil
}

// isNode is IS [NOT] NULL / TRUE / FALSE / UNKNOWN: never NULL.
type isNode struct {
	arg  node
	what string // "null", "true", "false"
	not  bool
}

func (n *isNode) typ() types.T  { return types.BoolT }
func (n *isNode) mayFail() bool { return n.arg.mayFail() }
func (n *isNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	a, err := n.arg.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	rows := a.Len()
	out := newBitmap(ec.alloc, rows, false)
	ob := out.Bytes()
	switch n.what {
	case "null":
		for i := 0; i < rows; i++ {
			setBits(ob, i, a.IsNull(i) != n.not)
		}
	default:
		want := n.what == "true"
		ba, ok := a.(*array.Boolean)
		for i := 0; i < rows; i++ {
			is := ok && a.IsValid(i) && ba.Value(i) == want
			setBits(ob, i, is != n.not)
		}
	}
	return finish(arrow.FixedWidthTypes.Boolean, rows, out, nil, 0), nil
}

// assembler builds a result from pieces computed on subsets of the rows
// (CASE branches, COALESCE fallbacks): each row takes one row of one piece,
// or NULL.
type assembler struct {
	n      int
	pieces []arrow.Array
	piece  []int32 // per row: piece number, -1 for NULL
	row    []int32 // per row: row within the piece
}

func newAssembler(n int) *assembler {
	a := &assembler{n: n, piece: make([]int32, n), row: make([]int32, n)}
	for i := range a.piece {
		a.piece[i] = -1
	}
	return a
}

// add records that rows idx (original row numbers) take part's rows in order.
func (a *assembler) add(part arrow.Array, idx []int32) {
	p := int32(len(a.pieces))
	a.pieces = append(a.pieces, part)
	for k, i := range idx {
		a.piece[i] = p
		a.row[i] = int32(k)
	}
}

func (a *assembler) release() { releaseAll(a.pieces) }

// build gathers the pieces into one array of type dt.
func (a *assembler) build(ec *evalCtx, dt arrow.DataType) (arrow.Array, error) {
	if len(a.pieces) == 0 {
		return array.MakeArrayOfNull(ec.alloc, dt, a.n), nil
	}
	if len(a.pieces) == 1 && a.pieces[0].Len() == a.n {
		identity := true
		for i := 0; i < a.n && identity; i++ {
			identity = a.piece[i] == 0 && a.row[i] == int32(i)
		}
		if identity {
			a.pieces[0].Retain()
			return a.pieces[0], nil
		}
	}
	all := a.pieces[0]
	if len(a.pieces) > 1 {
		var err error
		all, err = array.Concatenate(a.pieces, ec.alloc)
		if err != nil {
			return nil, fmt.Errorf("assembling result: %w", err)
		}
		defer all.Release()
	}
	starts := make([]int32, len(a.pieces))
	for i := 1; i < len(a.pieces); i++ {
		starts[i] = starts[i-1] + int32(a.pieces[i-1].Len())
	}
	ib, iv := newFixed[int32](ec.alloc, a.n)
	var valid *memory.Buffer
	nulls := 0
	for i := range iv {
		p := a.piece[i]
		if p < 0 {
			if valid == nil {
				valid = newBitmap(ec.alloc, a.n, true)
			}
			bitutil.ClearBit(valid.Bytes(), i)
			nulls++
			continue
		}
		iv[i] = starts[p] + a.row[i]
	}
	indices := finish(arrow.PrimitiveTypes.Int32, a.n, ib, valid, nulls)
	defer indices.Release()
	out, err := compute.TakeArray(ec.ctx, all, indices)
	if err != nil {
		return nil, fmt.Errorf("assembling result: %w", err)
	}
	return out, nil
}

// caseNode is a searched CASE. Each WHEN is evaluated on the rows no earlier
// WHEN took, and each THEN only on the rows its WHEN selected.
type caseNode struct {
	cols    map[int]bool // columns the CASE reads
	conds   []node
	results []node
	els     node // nil = NULL
	t       types.T
}

func compileCase(e *expr.Case) (node, error) {
	c := &caseNode{t: e.T, cols: expr.Columns(e)}
	for _, w := range e.Whens {
		cond, err := compile(w.Cond)
		if err != nil {
			return nil, err
		}
		res, err := compile(w.Result)
		if err != nil {
			return nil, err
		}
		c.conds = append(c.conds, cond)
		c.results = append(c.results, res)
	}
	if e.Else != nil {
		els, err := compile(e.Else)
		if err != nil {
			return nil, err
		}
		c.els = els
	}
	return c, nil
}

func (c *caseNode) typ() types.T { return c.t }
func (c *caseNode) mayFail() bool {
	for i := range c.conds {
		if c.conds[i].mayFail() || c.results[i].mayFail() {
			return true
		}
	}
	return c.els != nil && c.els.mayFail()
}

func (c *caseNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	n := int(b.NumRows())
	asm := newAssembler(n)
	defer asm.release()
	// rest is the sub-batch of rows still undecided; orig maps its rows to
	// the batch's.
	rest := b
	rest.Retain()
	defer func() { rest.Release() }()
	orig := make([]int32, n)
	for i := range orig {
		orig[i] = int32(i)
	}
	for k, condN := range c.conds {
		if len(orig) == 0 {
			break
		}
		cond, err := condN.eval(ec, rest)
		if err != nil {
			return nil, err
		}
		ca := cond.(*array.Boolean)
		var hit, miss []int32 // positions in rest
		for i := 0; i < ca.Len(); i++ {
			if ca.IsValid(i) && ca.Value(i) {
				hit = append(hit, int32(i))
			} else {
				miss = append(miss, int32(i))
			}
		}
		cond.Release()
		if len(hit) == 0 {
			continue
		}
		sub := rest
		if len(miss) > 0 {
			if sub, err = takeBatch(ec, rest, hit, c.cols); err != nil {
				return nil, err
			}
		} else {
			sub.Retain()
		}
		res, err := c.results[k].eval(ec, sub)
		sub.Release()
		if err != nil {
			return nil, err
		}
		origHit := make([]int32, len(hit))
		for j, h := range hit {
			origHit[j] = orig[h]
		}
		asm.add(res, origHit)
		if len(miss) == 0 {
			orig = nil
			break
		}
		next, err := takeBatch(ec, rest, miss, c.cols)
		if err != nil {
			return nil, err
		}
		rest.Release()
		rest = next
		newOrig := make([]int32, len(miss))
		for j, m := range miss {
			newOrig[j] = orig[m]
		}
		orig = newOrig
	}
	if c.els != nil && len(orig) > 0 {
		res, err := c.els.eval(ec, rest)
		if err != nil {
			return nil, err
		}
		asm.add(res, orig)
	}
	return asm.build(ec, c.t.Arrow())
}

// coalesceNode returns its first non-NULL argument, evaluating each later
// argument only on the rows still NULL.
type coalesceNode struct {
	cols map[int]bool
	args []node
	t    types.T
}

func (c *coalesceNode) typ() types.T { return c.t }
func (c *coalesceNode) mayFail() bool {
	for _, a := range c.args {
		if a.mayFail() {
			return true
		}
	}
	return false
}

func (c *coalesceNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	n := int(b.NumRows())
	asm := newAssembler(n)
	defer asm.release()
	rest := b
	rest.Retain()
	defer func() { rest.Release() }()
	orig := make([]int32, n)
	for i := range orig {
		orig[i] = int32(i)
	}
	for _, an := range c.args {
		if len(orig) == 0 {
			break
		}
		v, err := an.eval(ec, rest)
		if err != nil {
			return nil, err
		}
		if v.NullN() == 0 {
			asm.add(v, orig)
			orig = nil
			break
		}
		var hit, miss []int32
		for i := 0; i < v.Len(); i++ {
			if v.IsValid(i) {
				hit = append(hit, int32(i))
			} else {
				miss = append(miss, int32(i))
			}
		}
		if len(hit) > 0 {
			// The piece keeps all rows of v; map hit rows directly.
			p := int32(len(asm.pieces))
			asm.pieces = append(asm.pieces, v)
			for _, h := range hit {
				asm.piece[orig[h]] = p
				asm.row[orig[h]] = h
			}
		} else {
			v.Release()
		}
		if len(miss) == len(orig) {
			continue
		}
		next, err := takeBatch(ec, rest, miss, c.cols)
		if err != nil {
			return nil, err
		}
		rest.Release()
		rest = next
		newOrig := make([]int32, len(miss))
		for j, m := range miss {
			newOrig[j] = orig[m]
		}
		orig = newOrig
	}
	return asm.build(ec, c.t.Arrow())
}

// nullifNode is NULLIF(a, b): NULL where a = b, else a.
type nullifNode struct {
	a, b node
	t    types.T
}

func (n *nullifNode) typ() types.T  { return n.t }
func (n *nullifNode) mayFail() bool { return n.a.mayFail() || n.b.mayFail() }
func (n *nullifNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	a, err := n.a.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	y, err := operand(ec, b, n.b)
	if err != nil {
		return nil, err
	}
	defer y.Release()
	rows := a.Len()
	eq, err := compareArrays(ec.alloc, opEq, a, y, rows, false)
	if err != nil {
		return nil, err
	}
	defer eq.Release()
	e := eq.(*array.Boolean)
	asm := newAssembler(rows)
	defer asm.release()
	var keep []int32
	for i := 0; i < rows; i++ {
		if !(e.IsValid(i) && e.Value(i)) {
			keep = append(keep, int32(i))
		}
	}
	if len(keep) == rows {
		a.Retain()
		return a, nil
	}
	a.Retain()
	p := int32(len(asm.pieces))
	asm.pieces = append(asm.pieces, a)
	for _, i := range keep {
		asm.piece[i] = p
		asm.row[i] = i
	}
	return asm.build(ec, n.t.Arrow())
}

// greatestNode is GREATEST/LEAST: NULLs are ignored, NULL only if all are.
type greatestNode struct {
	args  []node
	least bool
	t     types.T
}

func (g *greatestNode) typ() types.T { return g.t }
func (g *greatestNode) mayFail() bool {
	for _, a := range g.args {
		if a.mayFail() {
			return true
		}
	}
	return false
}

func (g *greatestNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	args, err := evalArgs(ec, b, g.args)
	if err != nil {
		return nil, err
	}
	defer releaseAll(args)
	asm := newAssembler(rows)
	// best[i] = index of the winning argument for row i.
	best := make([]int32, rows)
	for i := range best {
		best[i] = -1
	}
	for k := range args {
		for i := 0; i < rows; i++ {
			if args[k].IsNull(i) {
				continue
			}
			if best[i] < 0 {
				best[i] = int32(k)
			}
		}
	}
	op := opGt
	if g.least {
		op = opLt
	}
	for k := 1; k < len(args); k++ {
		// Compare each candidate against the current best, argument pair
		// by argument pair, vectorized.
		for j := 0; j < k; j++ {
			better, err := compareArrays(ec.alloc, op, args[k], args[j], rows, false)
			if err != nil {
				return nil, err
			}
			bb := better.(*array.Boolean)
			for i := 0; i < rows; i++ {
				if best[i] == int32(j) && bb.IsValid(i) && bb.Value(i) {
					best[i] = int32(k)
				}
			}
			better.Release()
		}
	}
	for k, a := range args {
		a.Retain()
		asm.pieces = append(asm.pieces, a)
		_ = k
	}
	defer asm.release()
	for i := 0; i < rows; i++ {
		asm.piece[i] = best[i]
		asm.row[i] = int32(i)
	}
	return asm.build(ec, g.t.Arrow())
}
