package expr

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

func divisionByZero() error { return sqlerr.New(sqlerr.DivisionByZero, "division by zero") }

func outOfRange(t types.T) error {
	switch t.Kind {
	case types.Int16:
		return sqlerr.New(sqlerr.NumericValueOutOfRange, "smallint out of range")
	case types.Int32:
		return sqlerr.New(sqlerr.NumericValueOutOfRange, "integer out of range")
	case types.Int64:
		return sqlerr.New(sqlerr.NumericValueOutOfRange, "bigint out of range")
	case types.Numeric:
		return sqlerr.New(sqlerr.NumericValueOutOfRange, "value overflows numeric format")
	case types.Float32, types.Float64:
		return sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
	case types.Interval:
		return sqlerr.New(sqlerr.DatetimeFieldOverflow, "interval out of range")
	case types.Date:
		return sqlerr.New(sqlerr.DatetimeFieldOverflow, "date out of range")
	}
	return sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range")
}

// arithNode is l op r for numbers of one kind (the binder cast both sides).
type arithNode struct {
	op   string
	l, r node
	t    types.T
}

func (a *arithNode) typ() types.T { return a.t }
func (a *arithNode) mayFail() bool {
	return true // overflow is possible for every kind
}

func (a *arithNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	n := int(b.NumRows())
	l, r, err := operands2(ec, b, a.l, a.r)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	defer r.Release()
	valid, nulls := validity(ec.alloc, n, l, r)
	lm, rm := stride(l, n), stride(r, n)
	dt := a.t.Arrow()
	switch a.t.Kind {
	case types.Int16:
		return intArith(ec.alloc, a.op, a.t, dt, values[int16](l), values[int16](r), lm, rm, n, valid, nulls, math.MinInt16, math.MaxInt16)
	case types.Int32:
		return intArith(ec.alloc, a.op, a.t, dt, values[int32](l), values[int32](r), lm, rm, n, valid, nulls, math.MinInt32, math.MaxInt32)
	case types.Int64:
		return intArith(ec.alloc, a.op, a.t, dt, values[int64](l), values[int64](r), lm, rm, n, valid, nulls, math.MinInt64, math.MaxInt64)
	case types.Float32:
		return floatArith(ec.alloc, a.op, a.t, dt, values[float32](l), values[float32](r), lm, rm, n, valid, nulls)
	case types.Float64:
		return floatArith(ec.alloc, a.op, a.t, dt, values[float64](l), values[float64](r), lm, rm, n, valid, nulls)
	case types.Numeric:
		return numericArith(ec.alloc, a.op, a.t, l, r, lm, rm, n, valid, nulls)
	}
	releaseBuf(valid)
	return nil, internalErr("arithmetic %s on %s", a.op, a.t)
}

func releaseBuf(b *memory.Buffer) {
	if b != nil {
		b.Release()
	}
}

type signed interface{ ~int16 | ~int32 | ~int64 }

// intArith is integer arithmetic with PostgreSQL's overflow and division
// errors; rows that are NULL never raise.
func intArith[T signed](alloc memory.Allocator, op string, t types.T, dt arrow.DataType, l, r []T, lm, rm, n int, valid *memory.Buffer, nulls int, minV, maxV int64) (arrow.Array, error) {
	buf, out := newFixed[T](alloc, n)
	fail := func(err error) (arrow.Array, error) {
		buf.Release()
		releaseBuf(valid)
		return nil, err
	}
	if nulls == n {
		return finish(dt, n, buf, valid, nulls), nil
	}
	wide := maxV == math.MaxInt64
	switch op {
	case "+":
		for i := 0; i < n; i++ {
			x, y := l[i&lm], r[i&rm]
			s := x + y
			if (y > 0 && s < x) || (y < 0 && s > x) {
				if isValid(valid, i) {
					return fail(outOfRange(t))
				}
			}
			out[i] = s
		}
	case "-":
		for i := 0; i < n; i++ {
			x, y := l[i&lm], r[i&rm]
			s := x - y
			if (y < 0 && s < x) || (y > 0 && s > x) {
				if isValid(valid, i) {
					return fail(outOfRange(t))
				}
			}
			out[i] = s
		}
	case "*":
		if !wide {
			for i := 0; i < n; i++ {
				p := int64(l[i&lm]) * int64(r[i&rm])
				if p < minV || p > maxV {
					if isValid(valid, i) {
						return fail(outOfRange(t))
					}
				}
				out[i] = T(p)
			}
			break
		}
		for i := 0; i < n; i++ {
			x, y := int64(l[i&lm]), int64(r[i&rm])
			p := x * y
			if x != 0 && (p/x != y || (x == -1 && y == math.MinInt64)) {
				if isValid(valid, i) {
					return fail(outOfRange(t))
				}
			}
			out[i] = T(p)
		}
	case "/":
		for i := 0; i < n; i++ {
			x, y := l[i&lm], r[i&rm]
			switch {
			case y == 0:
				if isValid(valid, i) {
					return fail(divisionByZero())
				}
				out[i] = 0
			case y == -1:
				if int64(x) == minV {
					if isValid(valid, i) {
						return fail(outOfRange(t))
					}
				}
				out[i] = -x
			default:
				out[i] = x / y
			}
		}
	case "%":
		for i := 0; i < n; i++ {
			x, y := l[i&lm], r[i&rm]
			switch {
			case y == 0:
				if isValid(valid, i) {
					return fail(divisionByZero())
				}
				out[i] = 0
			case y == -1:
				out[i] = 0
			default:
				out[i] = x % y
			}
		}
	default:
		return fail(internalErr("integer operator %s", op))
	}
	return finish(dt, n, buf, valid, nulls), nil
}

type float interface{ ~float32 | ~float64 }

// floatArith is float arithmetic: division by zero raises 22012 and a finite
// computation that overflows to infinity raises 22003, as in PostgreSQL.
func floatArith[T float](alloc memory.Allocator, op string, t types.T, dt arrow.DataType, l, r []T, lm, rm, n int, valid *memory.Buffer, nulls int) (arrow.Array, error) {
	buf, out := newFixed[T](alloc, n)
	fail := func(err error) (arrow.Array, error) {
		buf.Release()
		releaseBuf(valid)
		return nil, err
	}
	if nulls == n {
		return finish(dt, n, buf, valid, nulls), nil
	}
	switch op {
	case "+":
		for i := range out {
			out[i] = l[i&lm] + r[i&rm]
		}
	case "-":
		for i := range out {
			out[i] = l[i&lm] - r[i&rm]
		}
	case "*":
		for i := range out {
			out[i] = l[i&lm] * r[i&rm]
		}
	case "/":
		for i := range out {
			y := r[i&rm]
			if y == 0 {
				if isValid(valid, i) {
					return fail(divisionByZero())
				}
				out[i] = 0
				continue
			}
			out[i] = l[i&lm] / y
		}
	default:
		return fail(internalErr("float operator %s", op))
	}
	for i, v := range out {
		if math.IsInf(float64(v), 0) && !math.IsInf(float64(l[i&lm]), 0) && !math.IsInf(float64(r[i&rm]), 0) && isValid(valid, i) {
			return fail(outOfRange(t))
		}
	}
	return finish(dt, n, buf, valid, nulls), nil
}

// Decimal128 helpers. Values are unscaled integers; magnitudes must stay
// below 10^38 (PostgreSQL would allow more, but the column cannot hold it).

var (
	pow10Num  [39]decimal128.Num
	pow10BigI [80]*big.Int
	maxDecBig *big.Int
)

func init() {
	for i := range pow10Num {
		pow10Num[i] = decimal128.GetScaleMultiplier(i)
	}
	pow10BigI[0] = big.NewInt(1)
	for i := 1; i < len(pow10BigI); i++ {
		pow10BigI[i] = new(big.Int).Mul(pow10BigI[i-1], big.NewInt(10))
	}
	maxDecBig = pow10BigI[38]
}

// fits64 reports whether a Decimal128 is an int64.
func fits64(v decimal128.Num) bool {
	lo := v.LowBits()
	return v.HighBits() == int64(lo)>>63
}

// inRange reports whether |v| < 10^38.
func inRange(v decimal128.Num) bool {
	if fits64(v) {
		return true
	}
	return v.Abs().Less(pow10Num[38]) && v.HighBits() != math.MinInt64
}

func bigToNum(b *big.Int) (decimal128.Num, bool) {
	if b.CmpAbs(maxDecBig) >= 0 {
		return decimal128.Num{}, false
	}
	return decimal128.FromBigInt(b), true
}

// mul64 multiplies two int64s into a Decimal128 exactly.
func mul64(x, y int64) decimal128.Num {
	neg := (x < 0) != (y < 0)
	ux, uy := uint64(x), uint64(y)
	if x < 0 {
		ux = -ux
	}
	if y < 0 {
		uy = -uy
	}
	hi, lo := bits.Mul64(ux, uy)
	v := decimal128.New(int64(hi), lo)
	if neg {
		v = v.Negate()
	}
	return v
}

// decAdd adds with an overflow check.
func decAdd(x, y decimal128.Num) (decimal128.Num, bool) {
	if fits64(x) && fits64(y) {
		a, b := int64(x.LowBits()), int64(y.LowBits())
		s := a + b
		if !((b > 0 && s < a) || (b < 0 && s > a)) {
			return decimal128.FromI64(s), true
		}
	}
	s := x.Add(y)
	if x.Sign() == y.Sign() && s.Sign() != x.Sign() && s.Sign() != 0 {
		return s, false
	}
	return s, inRange(s)
}

func decMul(x, y decimal128.Num) (decimal128.Num, bool) {
	if fits64(x) && fits64(y) {
		p := mul64(int64(x.LowBits()), int64(y.LowBits()))
		return p, inRange(p)
	}
	return bigToNum(new(big.Int).Mul(x.BigInt(), y.BigInt()))
}

// decRescale changes the scale of v from s to t, rounding half away from
// zero when reducing.
func decRescale(v decimal128.Num, s, t int32) (decimal128.Num, bool) {
	switch {
	case t == s:
		return v, true
	case t > s:
		return decMul(v, pow10Num[t-s])
	}
	d := s - t
	if d > 38 {
		return decimal128.Num{}, true
	}
	if fits64(v) && d <= 18 {
		x := int64(v.LowBits())
		p := int64(pow10Num[d].LowBits())
		q, r := x/p, x%p
		if r >= 0 && 2*r >= p {
			q++
		} else if r < 0 && -2*r >= p {
			q--
		}
		return decimal128.FromI64(q), true
	}
	return v.ReduceScaleBy(d, true), true
}

// decDiv computes x/y (scales sx, sy) at scale rs, rounding half away from
// zero. y must not be zero.
func decDiv(x decimal128.Num, sx int32, y decimal128.Num, sy int32, rs int32) (decimal128.Num, bool) {
	k := rs - sx + sy // x is multiplied by 10^k
	if k >= 0 && k <= 19 && fits64(x) && fits64(y) {
		a, b := int64(x.LowBits()), int64(y.LowBits())
		neg := (a < 0) != (b < 0)
		ua, ub := uint64(a), uint64(b)
		if a < 0 {
			ua = -ua
		}
		if b < 0 {
			ub = -ub
		}
		var mult uint64 = 1
		if k > 0 {
			mult = pow10Num[k].LowBits()
		}
		hi, lo := bits.Mul64(ua, mult)
		q1, r1 := hi/ub, hi%ub
		q0, rem := bits.Div64(r1, lo, ub)
		if rem >= ub-rem { // 2*rem >= ub without overflow
			q0++
			if q0 == 0 {
				q1++
			}
		}
		if q1 < 1<<63 {
			v := decimal128.New(int64(q1), q0)
			if neg {
				v = v.Negate()
			}
			return v, inRange(v)
		}
		return decimal128.Num{}, false
	}
	num := x.BigInt()
	den := y.BigInt()
	if k >= 0 {
		num.Mul(num, pow10BigI[k])
	} else {
		den.Mul(den, pow10BigI[-k])
	}
	neg := num.Sign()*den.Sign() < 0
	num.Abs(num)
	den.Abs(den)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	r.Lsh(r, 1)
	if r.Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return bigToNum(q)
}

func decScale(a arrow.Array) int32 {
	if d, ok := a.DataType().(*arrow.Decimal128Type); ok {
		return d.Scale
	}
	return 0
}

func numericArith(alloc memory.Allocator, op string, t types.T, la, ra arrow.Array, lm, rm, n int, valid *memory.Buffer, nulls int) (arrow.Array, error) {
	dt := t.Arrow()
	buf, out := newFixed[decimal128.Num](alloc, n)
	fail := func(err error) (arrow.Array, error) {
		buf.Release()
		releaseBuf(valid)
		return nil, err
	}
	if nulls == n {
		return finish(dt, n, buf, valid, nulls), nil
	}
	l, r := values[decimal128.Num](la), values[decimal128.Num](ra)
	sl, sr, so := decScale(la), decScale(ra), t.Scale
	switch op {
	case "+", "-":
		if sl != sr || sl != so {
			return fail(internalErr("numeric %s with scales %d, %d -> %d", op, sl, sr, so))
		}
		sub := op == "-"
		for i := range out {
			x, y := l[i&lm], r[i&rm]
			if sub {
				y = y.Negate()
			}
			s, ok := decAdd(x, y)
			if !ok && isValid(valid, i) {
				return fail(outOfRange(t))
			}
			out[i] = s
		}
	case "*":
		reduce := sl + sr - so
		for i := range out {
			p, ok := decMul(l[i&lm], r[i&rm])
			if ok && reduce != 0 {
				p, ok = decRescale(p, sl+sr, so)
			}
			if !ok && isValid(valid, i) {
				return fail(outOfRange(t))
			}
			out[i] = p
		}
	case "/":
		for i := range out {
			y := r[i&rm]
			if y == (decimal128.Num{}) {
				if isValid(valid, i) {
					return fail(divisionByZero())
				}
				continue
			}
			q, ok := decDiv(l[i&lm], sl, y, sr, so)
			if !ok && isValid(valid, i) {
				return fail(outOfRange(t))
			}
			out[i] = q
		}
	case "%":
		if sl != sr || sl != so {
			return fail(internalErr("numeric %% with scales %d, %d -> %d", sl, sr, so))
		}
		for i := range out {
			x, y := l[i&lm], r[i&rm]
			if y == (decimal128.Num{}) {
				if isValid(valid, i) {
					return fail(divisionByZero())
				}
				continue
			}
			if fits64(x) && fits64(y) {
				a, b := int64(x.LowBits()), int64(y.LowBits())
				if b == -1 {
					out[i] = decimal128.Num{}
				} else {
					out[i] = decimal128.FromI64(a % b)
				}
				continue
			}
			_, rem := x.Div(y)
			out[i] = rem
		}
	default:
		return fail(internalErr("numeric operator %s", op))
	}
	return finish(dt, n, buf, valid, nulls), nil
}

// negNode is unary minus.
type negNode struct {
	arg node
	t   types.T
}

func (m *negNode) typ() types.T  { return m.t }
func (m *negNode) mayFail() bool { return m.t.IsInteger() || m.arg.mayFail() }
func (m *negNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	a, err := m.arg.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	n := a.Len()
	valid, nulls := validity(ec.alloc, n, a)
	dt := m.t.Arrow()
	switch m.t.Kind {
	case types.Int16:
		return negInt(ec.alloc, m.t, dt, values[int16](a), n, valid, nulls, math.MinInt16)
	case types.Int32:
		return negInt(ec.alloc, m.t, dt, values[int32](a), n, valid, nulls, math.MinInt32)
	case types.Int64:
		return negInt(ec.alloc, m.t, dt, values[int64](a), n, valid, nulls, math.MinInt64)
	case types.Float32:
		return negSimple(ec.alloc, dt, values[float32](a), n, valid, nulls), nil
	case types.Float64:
		return negSimple(ec.alloc, dt, values[float64](a), n, valid, nulls), nil
	case types.Numeric:
		buf, out := newFixed[decimal128.Num](ec.alloc, n)
		for i, v := range values[decimal128.Num](a) {
			out[i] = v.Negate()
		}
		return finish(dt, n, buf, valid, nulls), nil
	case types.Interval:
		buf, out := newFixed[arrow.MonthDayNanoInterval](ec.alloc, n)
		for i, v := range values[arrow.MonthDayNanoInterval](a) {
			out[i] = arrow.MonthDayNanoInterval{Months: -v.Months, Days: -v.Days, Nanoseconds: -v.Nanoseconds}
		}
		return finish(dt, n, buf, valid, nulls), nil
	}
	releaseBuf(valid)
	return nil, internalErr("negation of %s", m.t)
}

func negInt[T signed](alloc memory.Allocator, t types.T, dt arrow.DataType, in []T, n int, valid *memory.Buffer, nulls int, minV int64) (arrow.Array, error) {
	buf, out := newFixed[T](alloc, n)
	for i, v := range in {
		if int64(v) == minV && isValid(valid, i) {
			buf.Release()
			releaseBuf(valid)
			return nil, outOfRange(t)
		}
		out[i] = -v
	}
	return finish(dt, n, buf, valid, nulls), nil
}

func negSimple[T float](alloc memory.Allocator, dt arrow.DataType, in []T, n int, valid *memory.Buffer, nulls int) arrow.Array {
	buf, out := newFixed[T](alloc, n)
	for i, v := range in {
		out[i] = -v
	}
	return finish(dt, n, buf, valid, nulls)
}
