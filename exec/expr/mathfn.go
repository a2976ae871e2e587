package expr

import (
	"math"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// floatFnNode applies a float8 function elementwise.
type floatFnNode struct {
	fn   string
	args []node
	f1   func(x float64) (float64, error)
	f2   func(x, y float64) (float64, error)
}

func (n *floatFnNode) typ() types.T  { return types.Float64T }
func (n *floatFnNode) mayFail() bool { return true }

func (n *floatFnNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	if len(n.args) == 0 {
		buf, out := newFixed[float64](ec.alloc, rows)
		for i := range out {
			v, _ := n.f2(0, 0)
			out[i] = v
		}
		return finish(arrow.PrimitiveTypes.Float64, rows, buf, nil, 0), nil
	}
	arrs := make([]arrow.Array, len(n.args))
	for k, a := range n.args {
		x, err := operand(ec, b, a)
		if err != nil {
			releaseAll(arrs[:k])
			return nil, err
		}
		arrs[k] = x
	}
	defer releaseAll(arrs)
	if len(arrs) == 2 && arrs[0].Len() != rows && arrs[1].Len() != rows && rows != 1 {
		// Both constants: materialise one so a side has every row.
		full, err := broadcast(ec.alloc, arrs[0], rows)
		if err != nil {
			return nil, err
		}
		arrs[0].Release()
		arrs[0] = full
	}
	valid, nulls := validity(ec.alloc, rows, arrs...)
	buf, out := newFixed[float64](ec.alloc, rows)
	x := values[float64](arrs[0])
	xm := stride(arrs[0], rows)
	var y []float64
	ym := 0
	if len(arrs) == 2 {
		y = values[float64](arrs[1])
		ym = stride(arrs[1], rows)
	}
	for i := range out {
		if !isValid(valid, i) {
			continue
		}
		var v float64
		var err error
		if y == nil {
			v, err = n.f1(x[i&xm])
		} else {
			v, err = n.f2(x[i&xm], y[i&ym])
		}
		if err != nil {
			buf.Release()
			releaseBuf(valid)
			return nil, err
		}
		out[i] = v
	}
	return finish(arrow.PrimitiveTypes.Float64, rows, buf, valid, nulls), nil
}

func logErr(x float64) error {
	if x == 0 {
		return sqlerr.New(codeInvalidArgLog, "cannot take logarithm of zero")
	}
	if x < 0 {
		return sqlerr.New(codeInvalidArgLog, "cannot take logarithm of a negative number")
	}
	return nil
}

func checkFloat(v float64, ins ...float64) (float64, error) {
	if math.IsInf(v, 0) {
		for _, x := range ins {
			if math.IsInf(x, 0) {
				return v, nil
			}
		}
		return 0, sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
	}
	return v, nil
}

var float1 = map[string]func(float64) (float64, error){
	"sqrt": func(x float64) (float64, error) {
		if x < 0 {
			return 0, sqlerr.New(codeInvalidArgPow, "cannot take square root of a negative number")
		}
		return math.Sqrt(x), nil
	},
	"cbrt": func(x float64) (float64, error) { return math.Cbrt(x), nil },
	"exp":  func(x float64) (float64, error) { return checkFloat(math.Exp(x), x) },
	"ln": func(x float64) (float64, error) {
		if err := logErr(x); err != nil {
			return 0, err
		}
		return math.Log(x), nil
	},
	"log10": func(x float64) (float64, error) {
		if err := logErr(x); err != nil {
			return 0, err
		}
		return math.Log10(x), nil
	},
	"log": func(x float64) (float64, error) {
		if err := logErr(x); err != nil {
			return 0, err
		}
		return math.Log10(x), nil
	},
	"degrees": func(x float64) (float64, error) { return x * 180 / math.Pi, nil },
	"radians": func(x float64) (float64, error) { return x * math.Pi / 180, nil },
	"sin":     func(x float64) (float64, error) { return math.Sin(x), nil },
	"cos":     func(x float64) (float64, error) { return math.Cos(x), nil },
	"tan":     func(x float64) (float64, error) { return math.Tan(x), nil },
	"asin":    func(x float64) (float64, error) { return inDomain(math.Asin(x), x) },
	"acos":    func(x float64) (float64, error) { return inDomain(math.Acos(x), x) },
	"atan":    func(x float64) (float64, error) { return math.Atan(x), nil },
}

func inDomain(v, x float64) (float64, error) {
	if math.IsNaN(v) && !math.IsNaN(x) {
		return 0, sqlerr.New(sqlerr.NumericValueOutOfRange, "input is out of range")
	}
	return v, nil
}

func pgPower(x, y float64) (float64, error) {
	if x == 0 && y < 0 {
		return 0, sqlerr.New(codeInvalidArgPow, "zero raised to a negative power is undefined")
	}
	if x < 0 && y != math.Trunc(y) && !math.IsInf(y, 0) {
		return 0, sqlerr.New(codeInvalidArgPow, "a negative number raised to a non-integer power yields a complex result")
	}
	return checkFloat(math.Pow(x, y), x, y)
}

// numFnNode is a unary function over one number column: abs, round, ceil,
// floor, trunc, sign; round/trunc may take a digits argument.
type numFnNode struct {
	fn   string
	args []node
	t    types.T
}

func (n *numFnNode) typ() types.T  { return n.t }
func (n *numFnNode) mayFail() bool { return true }

func (n *numFnNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	arrs, err := evalArgs(ec, b, n.args)
	if err != nil {
		return nil, err
	}
	defer releaseAll(arrs)
	a := arrs[0]
	valid, nulls := validity(ec.alloc, rows, arrs...)
	dt := n.t.Arrow()
	fail := func(err error) (arrow.Array, error) {
		releaseBuf(valid)
		return nil, err
	}
	switch x := n.args[0].typ(); {
	case x.IsInteger(): // abs only: the catalog sends other int args as float8/numeric
		vals := intsOf(a)
		out := make([]int64, rows)
		bad := make([]bool, rows)
		for i, v := range vals {
			if v == math.MinInt64 {
				bad[i] = true
			}
			if v < 0 {
				v = -v
			}
			out[i] = v
		}
		return putInts(ec.alloc, n.t, out, rows, valid, nulls, bad)
	case x.IsFloat():
		fs := floatsOf(a)
		var f func(float64) float64
		switch n.fn {
		case "abs":
			f = math.Abs
		case "round":
			f = math.RoundToEven // PostgreSQL's rint()
		case "ceil", "ceiling":
			f = math.Ceil
		case "floor":
			f = math.Floor
		case "trunc":
			f = math.Trunc
		case "sign":
			f = func(v float64) float64 {
				switch {
				case v > 0:
					return 1
				case v < 0:
					return -1
				}
				return 0
			}
		default:
			return fail(internalErr("float function %s", n.fn))
		}
		if n.t.Kind == types.Float32 {
			buf, out := newFixed[float32](ec.alloc, rows)
			for i, v := range fs {
				out[i] = float32(f(v))
			}
			return finish(dt, rows, buf, valid, nulls), nil
		}
		buf, out := newFixed[float64](ec.alloc, rows)
		for i, v := range fs {
			out[i] = f(v)
		}
		return finish(dt, rows, buf, valid, nulls), nil
	case x.Kind == types.Numeric:
		vals := values[decimal128.Num](a)
		s := decScale(a)
		buf, out := newFixed[decimal128.Num](ec.alloc, rows)
		for i, v := range vals {
			if !isValid(valid, i) {
				continue
			}
			var r decimal128.Num
			ok := true
			switch n.fn {
			case "abs":
				r = v.Abs()
				r, ok = decRescale(r, s, n.t.Scale)
			case "sign":
				r = decimal128.FromI64(int64(v.Sign()))
				r, ok = decRescale(r, 0, n.t.Scale)
			case "round", "trunc", "ceil", "ceiling", "floor":
				digits := int64(0)
				if len(arrs) == 2 {
					digits = int64(values[int32](arrs[1])[i])
				}
				r, ok = roundDec(n.fn, v, s, digits, n.t.Scale)
			default:
				buf.Release()
				return fail(internalErr("numeric function %s", n.fn))
			}
			if !ok {
				buf.Release()
				return fail(outOfRange(n.t))
			}
			out[i] = r
		}
		return finish(dt, rows, buf, valid, nulls), nil
	}
	return fail(internalErr("%s(%s)", n.fn, n.args[0].typ()))
}

// roundDec rounds (or truncates, ceils, floors) v at scale s to digits
// decimals, returning it at scale out.
func roundDec(fn string, v decimal128.Num, s int32, digits int64, out int32) (decimal128.Num, bool) {
	if digits >= int64(s) {
		return decRescale(v, s, out)
	}
	drop := int32(int64(s) - digits) // decimals to remove
	if drop > 38 {
		return decRescale(decimal128.Num{}, 0, out)
	}
	p := pow10Num[drop]
	q, rem := v.Div(p)
	if fits64(v) && drop <= 18 {
		x, pp := int64(v.LowBits()), int64(p.LowBits())
		q, rem = decimal128.FromI64(x/pp), decimal128.FromI64(x%pp)
	}
	switch fn {
	case "round":
		twice, _ := decAdd(rem.Abs(), rem.Abs())
		if decCmp(twice, p) >= 0 {
			q, _ = decAdd(q, decimal128.FromI64(int64(v.Sign())))
		}
	case "ceil", "ceiling":
		if rem.Sign() > 0 {
			q, _ = decAdd(q, decimal128.FromI64(1))
		}
	case "floor":
		if rem.Sign() < 0 {
			q, _ = decAdd(q, decimal128.FromI64(-1))
		}
	}
	// q is at scale digits (possibly negative): bring it to out.
	if digits < 0 {
		r, ok := decMul(q, pow10Num[min(-digits, 38)])
		if !ok {
			return r, false
		}
		return decRescale(r, 0, out)
	}
	return decRescale(q, int32(digits), out)
}

func compileMathFunc(fn string, args []node, t types.T) (node, bool, error) {
	switch fn {
	case "abs", "round", "ceil", "ceiling", "floor", "trunc", "sign":
		if len(args) < 1 || len(args) > 2 {
			return nil, true, internalErr("%s with %d arguments", fn, len(args))
		}
		if len(args) == 2 && args[0].typ().Kind != types.Numeric {
			return nil, true, internalErr("%s(%s, ...) needs numeric", fn, args[0].typ())
		}
		if fn != "abs" && args[0].typ().IsInteger() {
			return nil, true, internalErr("%s(%s): the binder must cast to float8 or numeric", fn, args[0].typ())
		}
		return &numFnNode{fn: fn, args: args, t: t}, true, nil
	case "mod":
		if len(args) != 2 {
			return nil, true, internalErr("mod with %d arguments", len(args))
		}
		return &arithNode{op: "%", l: args[0], r: args[1], t: t}, true, nil
	case "pi":
		return &floatFnNode{fn: fn, f2: func(float64, float64) (float64, error) { return math.Pi, nil }}, true, nil
	case "random":
		return &floatFnNode{fn: fn, f2: func(float64, float64) (float64, error) { return rand.Float64(), nil }}, true, nil
	case "power", "pow":
		return &floatFnNode{fn: fn, args: args, f2: pgPower}, true, nil
	case "atan2":
		return &floatFnNode{fn: fn, args: args, f2: func(y, x float64) (float64, error) { return math.Atan2(y, x), nil }}, true, nil
	case "log":
		if len(args) == 2 {
			return &floatFnNode{fn: fn, args: args, f2: func(b, x float64) (float64, error) {
				if err := logErr(b); err != nil {
					return 0, err
				}
				if err := logErr(x); err != nil {
					return 0, err
				}
				if b == 1 {
					return 0, divisionByZero()
				}
				return math.Log(x) / math.Log(b), nil
			}}, true, nil
		}
	}
	if f, ok := float1[fn]; ok {
		if len(args) != 1 {
			return nil, true, internalErr("%s with %d arguments", fn, len(args))
		}
		return &floatFnNode{fn: fn, args: args, f1: f}, true, nil
	}
	return nil, false, nil
}
