package expr

import (
	"cmp"
	"math/bits"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/types"
)

// cmpOp is a comparison predicate on the sign of compare(a, b).
type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var cmpOps = map[string]cmpOp{"=": opEq, "<>": opNe, "!=": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe}

// cmpNode is l op r on two operands of one type; distinct selects IS [NOT]
// DISTINCT FROM, which treats NULLs as values and never returns NULL.
type cmpNode struct {
	op       cmpOp
	l, r     node
	distinct bool // IS DISTINCT FROM (op opNe) / IS NOT DISTINCT FROM (op opEq)
}

func (c *cmpNode) typ() types.T  { return types.BoolT }
func (c *cmpNode) mayFail() bool { return c.l.mayFail() || c.r.mayFail() }

func (c *cmpNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	n := int(b.NumRows())
	l, r, err := operands2(ec, b, c.l, c.r)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	defer r.Release()
	return compareArrays(ec.alloc, c.op, l, r, n, c.distinct)
}

// compareArrays compares l and r (each n rows or one broadcast row).
func compareArrays(alloc memory.Allocator, op cmpOp, l, r arrow.Array, n int, distinct bool) (arrow.Array, error) {
	valsBuf := newBitmap(alloc, n, false)
	out := valsBuf.Bytes()
	lm, rm := stride(l, n), stride(r, n)
	if l.DataType().ID() == arrow.NULL || r.DataType().ID() == arrow.NULL {
		// Untyped NULL against anything: every row is NULL (or, for
		// DISTINCT, decided by the other side's nullness below).
	} else {
		switch la := l.(type) {
		case *array.Int16:
			cmpOrdered(op, values[int16](l), values[int16](r), lm, rm, out)
		case *array.Int32, *array.Date32:
			cmpOrdered(op, values[int32](l), values[int32](r), lm, rm, out)
		case *array.Int64, *array.Time64, *array.Timestamp:
			cmpOrdered(op, values[int64](l), values[int64](r), lm, rm, out)
		case *array.Float32:
			cmpFloat(op, values[float32](l), values[float32](r), lm, rm, out)
		case *array.Float64:
			cmpFloat(op, values[float64](l), values[float64](r), lm, rm, out)
		case *array.Decimal128:
			ls, rs := decScale(l), decScale(r)
			if ls != rs {
				valsBuf.Release()
				return nil, internalErr("comparing numerics of scales %d and %d", ls, rs)
			}
			cmpDecimal(op, values[decimal128.Num](l), values[decimal128.Num](r), lm, rm, out)
		case *array.String, *array.Binary:
			lo, ld := byteValues(l)
			ro, rd := byteValues(r)
			cmpBytes(op, n, lo, ld, ro, rd, lm, rm, out)
		case *array.Boolean:
			ra := r.(*array.Boolean)
			cmpWith(op, n, lm, rm, out, func(i, j int) int { return cmpBool(la.Value(i), ra.Value(j)) })
		case *array.MonthDayNanoInterval:
			lv, rv := values[arrow.MonthDayNanoInterval](l), values[arrow.MonthDayNanoInterval](r)
			cmpWith(op, n, lm, rm, out, func(i, j int) int { return cmpInterval(lv[i], rv[j]) })
		case *array.List:
			valsBuf.Release()
			return compareLists(alloc, op, l, r, n, distinct)
		default:
			valsBuf.Release()
			return nil, internalErr("comparison of %s", l.DataType())
		}
	}
	if !distinct {
		valid, nulls := validity(alloc, n, l, r)
		return finish(arrow.FixedWidthTypes.Boolean, n, valsBuf, valid, nulls), nil
	}
	// IS [NOT] DISTINCT FROM: both NULL -> equal; one NULL -> distinct.
	if l.NullN() > 0 || r.NullN() > 0 {
		for i := 0; i < n; i++ {
			ln, rn := l.IsNull(i&lm), r.IsNull(i&rm)
			if ln || rn {
				same := ln && rn
				bitutil.SetBitTo(out, i, (op == opEq) == same)
			}
		}
	}
	return finish(arrow.FixedWidthTypes.Boolean, n, valsBuf, nil, 0), nil
}

// byteValues returns a text or bytea array's offsets (one per row plus one,
// already shifted by the array's offset) and its whole data buffer.
func byteValues(a arrow.Array) ([]int32, []byte) {
	var offs []int32
	switch x := a.(type) {
	case *array.String:
		offs = x.ValueOffsets()
	case *array.Binary:
		offs = x.ValueOffsets()
	}
	var data []byte
	if bufs := a.Data().Buffers(); len(bufs) > 2 && bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	return offs, data
}

// cmpBytes compares text/bytea by bytes (C collation) straight from the
// offset and data buffers: no per-row Value call or string header boxing.
// Equality against a constant (the usual filter and IN-list shape) checks
// the length first so most rows are rejected without touching the data.
func cmpBytes(op cmpOp, n int, lo []int32, ld []byte, ro []int32, rd []byte, lm, rm int, out []byte) {
	str := func(offs []int32, data []byte, i int) string {
		b, e := offs[i], offs[i+1]
		return unsafe.String(unsafe.SliceData(data[b:e]), int(e-b))
	}
	if lm == 0 && rm != 0 {
		cmpBytes(flip(op), n, ro, rd, lo, ld, rm, lm, out)
		return
	}
	if rm == 0 && (op == opEq || op == opNe) {
		c := str(ro, rd, 0)
		cl := int32(len(c))
		want := op == opEq
		for i := 0; i < n; i++ {
			b, e := lo[i&lm], lo[i&lm+1]
			eq := e-b == cl && string(ld[b:e]) == c
			setBits(out, i, eq == want)
		}
		return
	}
	for i := 0; i < n; i++ {
		setBits(out, i, apply(op, strings.Compare(str(lo, ld, i&lm), str(ro, rd, i&rm))))
	}
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// intervalKey is PostgreSQL's interval comparison value: months count as 30
// days, days as 24 hours; a 128-bit µs total.
func intervalKey(v arrow.MonthDayNanoInterval) (hi int64, lo uint64) {
	days := int64(v.Months)*30 + int64(v.Days)
	// days*MicrosPerDay fits easily in 128 bits; add micros.
	neg := days < 0
	ud := uint64(days)
	if neg {
		ud = -ud
	}
	h, l := bits.Mul64(ud, 86_400_000_000)
	d := decimal128.New(int64(h), l)
	if neg {
		d = d.Negate()
	}
	d = d.Add(decimal128.FromI64(v.Nanoseconds / 1000))
	return d.HighBits(), d.LowBits()
}

func cmpInterval(a, b arrow.MonthDayNanoInterval) int {
	ah, al := intervalKey(a)
	bh, bl := intervalKey(b)
	if ah != bh {
		return cmp.Compare(ah, bh)
	}
	return cmp.Compare(al, bl)
}

func setBits(out []byte, i int, v bool) {
	if v {
		out[i>>3] |= 1 << (uint(i) & 7)
	}
}

// cmpOrdered is the hot loop of filters: one pass per operator, with
// constants broadcast through the index masks.
func cmpOrdered[T cmp.Ordered](op cmpOp, l, r []T, lm, rm int, out []byte) {
	switch {
	case rm == 0:
		c := r[0]
		switch op {
		case opEq:
			for i, x := range l {
				setBits(out, i, x == c)
			}
		case opNe:
			for i, x := range l {
				setBits(out, i, x != c)
			}
		case opLt:
			for i, x := range l {
				setBits(out, i, x < c)
			}
		case opLe:
			for i, x := range l {
				setBits(out, i, x <= c)
			}
		case opGt:
			for i, x := range l {
				setBits(out, i, x > c)
			}
		case opGe:
			for i, x := range l {
				setBits(out, i, x >= c)
			}
		}
		return
	case lm == 0:
		// c op x == x flip(op) c
		cmpOrdered(flip(op), r, l, -1, 0, out)
		return
	}
	m := min(len(l), len(r))
	l, r = l[:m], r[:m]
	switch op {
	case opEq:
		for i := range l {
			setBits(out, i, l[i] == r[i])
		}
	case opNe:
		for i := range l {
			setBits(out, i, l[i] != r[i])
		}
	case opLt:
		for i := range l {
			setBits(out, i, l[i] < r[i])
		}
	case opLe:
		for i := range l {
			setBits(out, i, l[i] <= r[i])
		}
	case opGt:
		for i := range l {
			setBits(out, i, l[i] > r[i])
		}
	case opGe:
		for i := range l {
			setBits(out, i, l[i] >= r[i])
		}
	}
}

func flip(op cmpOp) cmpOp {
	switch op {
	case opLt:
		return opGt
	case opLe:
		return opGe
	case opGt:
		return opLt
	case opGe:
		return opLe
	}
	return op
}

func apply(op cmpOp, c int) bool {
	switch op {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

// cmpWith compares through a function, for the less common types.
func cmpWith(op cmpOp, n, lm, rm int, out []byte, f func(i, j int) int) {
	for i := 0; i < n; i++ {
		setBits(out, i, apply(op, f(i&lm, i&rm)))
	}
}

// floatCmp orders floats as PostgreSQL does: NaN equals NaN and sorts above
// every other value.
func floatCmp[T float](a, b T) int {
	an, bn := a != a, b != b
	switch {
	case an || bn:
		if an && bn {
			return 0
		}
		if an {
			return 1
		}
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat[T float](op cmpOp, l, r []T, lm, rm int, out []byte) {
	n := max(len(l), len(r))
	hasNaN := false
	for _, x := range l {
		if x != x {
			hasNaN = true
			break
		}
	}
	for _, x := range r {
		if x != x {
			hasNaN = true
			break
		}
	}
	if !hasNaN {
		cmpOrdered(op, l, r, lm, rm, out)
		return
	}
	for i := 0; i < n; i++ {
		setBits(out, i, apply(op, floatCmp(l[i&lm], r[i&rm])))
	}
}

func decCmp(a, b decimal128.Num) int {
	ah, bh := a.HighBits(), b.HighBits()
	if ah != bh {
		return cmp.Compare(ah, bh)
	}
	return cmp.Compare(a.LowBits(), b.LowBits())
}

func cmpDecimal(op cmpOp, l, r []decimal128.Num, lm, rm int, out []byte) {
	n := max(len(l), len(r))
	// Most numerics fit in 64 bits; compare those as int64 in one pass.
	if rm == 0 && lm != 0 && fits64(r[0]) {
		c := int64(r[0].LowBits())
		for i, x := range l {
			if fits64(x) {
				setBits(out, i, apply(op, cmp.Compare(int64(x.LowBits()), c)))
			} else {
				setBits(out, i, apply(op, decCmp(x, r[0])))
			}
		}
		return
	}
	for i := 0; i < n; i++ {
		setBits(out, i, apply(op, decCmp(l[i&lm], r[i&rm])))
	}
}

// inListNode is x [NOT] IN (list): true if x equals an item, NULL if not
// found but x or an item is NULL, else false.
type inListNode struct {
	arg     node
	list    []node
	negated bool
}

func (n *inListNode) typ() types.T { return types.BoolT }
func (n *inListNode) mayFail() bool {
	if n.arg.mayFail() {
		return true
	}
	for _, x := range n.list {
		if x.mayFail() {
			return true
		}
	}
	return false
}

func (in *inListNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	n := int(b.NumRows())
	x, err := in.arg.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	found := newBitmap(ec.alloc, n, false)   // some item equals x
	sawNull := newBitmap(ec.alloc, n, false) // some comparison was NULL
	defer found.Release()
	defer sawNull.Release()
	fb, nb := found.Bytes(), sawNull.Bytes()
	// Constant items of a string list are the common case (IN ('A','B')):
	// one pass per item keeps the loops simple and vectorized.
	for _, item := range in.list {
		y, err := operand(ec, b, item)
		if err != nil {
			return nil, err
		}
		eq, err := compareArrays(ec.alloc, opEq, x, y, n, false)
		y.Release()
		if err != nil {
			return nil, err
		}
		vals := eq.Data().Buffers()[1].Bytes()
		if eq.NullN() == 0 {
			for i := range fb {
				fb[i] |= vals[i]
			}
		} else {
			vb := eq.NullBitmapBytes()
			for i := range fb {
				fb[i] |= vals[i] & vb[i]
				nb[i] |= ^vb[i]
			}
		}
		eq.Release()
	}
	outBuf := newBitmap(ec.alloc, n, false)
	validBuf := newBitmap(ec.alloc, n, true)
	ob, vb := outBuf.Bytes(), validBuf.Bytes()
	for i := range ob {
		f := fb[i]
		if in.negated {
			ob[i] = ^f
		} else {
			ob[i] = f
		}
		vb[i] = f | ^nb[i]
	}
	nulls := n - bitutil.CountSetBits(vb, 0, n)
	return finish(arrow.FixedWidthTypes.Boolean, n, outBuf, validBuf, nulls), nil
}
