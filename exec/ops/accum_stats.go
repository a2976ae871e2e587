package ops

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// Statistical aggregates: var_samp, var_pop, stddev_samp, stddev_pop.
//
// PostgreSQL computes them exactly for integer and numeric input (numeric
// running sums of x and x²) and with the Youngs-Cramer algorithm for float
// input; Basalt does the same so results agree digit for digit:
//
//   - int2/int4/int8/numeric(s) input: exact moments n, Σx (128-bit, at the
//     input scale s) and Σx² (320-bit unsigned, scale 2s). The final value is
//     (n·Σx² − (Σx)²) / (n·(n−1)) (or / n² for the population forms), divided
//     and square-rooted in exact integer arithmetic and rounded half away
//     from zero to the result scale. PostgreSQL picks the result's display
//     scale per value (about 16 significant digits); a Basalt column has one
//     scale, so the result is numeric at AggSpec.Result.Scale, which the
//     binder sets to StatsScale(s) = max(16, min(2s, 32)): 16 decimals as
//     PostgreSQL shows for variances in [1, 10000), more for inputs whose
//     squares carry more.
//   - float4/float8 input: float8 state (N, Σx, Sxx) updated and merged with
//     exactly PostgreSQL's float8_accum / float8_combine formulas; double
//     result.
//
// Partial state layout (PartialSchema):
//
//	exact:  sum numeric(38,s) | sumsq binary (40 bytes, little-endian 320-bit) | count int8
//	float:  sum float8        | sxx float8                                     | count float8
//
// The first state column's type tells a Final operator which form it
// merges (and, for numeric, the input scale). A count of −1 marks a group
// whose state overflowed, so the error survives the exchange and the Final
// operator reports it.
//
// var_samp/stddev_samp of fewer than two rows and every form over no rows
// are NULL; var_pop/stddev_pop of one row is 0.

// StatsScale is the scale of var_*/stddev_* over integer (s = 0) or
// numeric(s) input; see above.
func StatsScale(inputScale int32) int32 { return max(16, min(2*inputScale, 32)) }

// newStatsAcc builds a var/stddev accumulator over input (or, in Final
// mode, first-state-column) type arg.
func newStatsAcc(spec AggSpec, arg arrow.DataType) (accumulator, bool) {
	sample := spec.Fn == AggVarSamp || spec.Fn == AggStddevSamp
	sqrt := spec.Fn == AggStddevSamp || spec.Fn == AggStddevPop
	var scale int32
	switch arg.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
	case arrow.DECIMAL128:
		scale = arg.(*arrow.Decimal128Type).Scale
	case arrow.FLOAT32, arrow.FLOAT64:
		return &floatMomentsAcc{sample: sample, sqrt: sqrt}, true
	default:
		return nil, false
	}
	res := StatsScale(scale)
	if spec.Result.Kind == types.Numeric {
		res = spec.Result.Scale
	}
	return &exactMomentsAcc{sample: sample, sqrt: sqrt, scale: scale, resScale: res}, true
}

// ---- exact moments ----

type u320 [5]uint64

type exactMomentsAcc struct {
	sample, sqrt bool
	scale        int32 // input scale
	resScale     int32
	n            []int64 // -1: overflowed
	sxHi         []int64
	sxLo         []uint64
	sxx          []u320
}

func (a *exactMomentsAcc) grow(n int) {
	a.n = growZero(a.n, n)
	a.sxHi = growZero(a.sxHi, n)
	a.sxLo = growZero(a.sxLo, n)
	a.sxx = growZero(a.sxx, n)
}

// addSx adds the signed 128-bit x to group g's sum, marking overflow.
func (a *exactMomentsAcc) addSx(g int32, xh int64, xl uint64) {
	lo, c := bits.Add64(a.sxLo[g], xl, 0)
	hi := a.sxHi[g] + xh + int64(c)
	// Signed overflow: both operands had the same sign and the result not.
	if (a.sxHi[g] >= 0) == (xh >= 0) && (hi >= 0) != (xh >= 0) {
		a.n[g] = -1
	}
	a.sxHi[g], a.sxLo[g] = hi, lo
}

// addAt adds the 128-bit h:l to s starting at limb pos.
func (s *u320) addAt(pos int, h, l uint64) {
	var c uint64
	s[pos], c = bits.Add64(s[pos], l, 0)
	s[pos+1], c = bits.Add64(s[pos+1], h, c)
	for i := pos + 2; c != 0 && i < len(s); i++ {
		s[i], c = bits.Add64(s[i], 0, c)
	}
}

// addSquare adds (h:l)² for the unsigned 128-bit magnitude h:l.
func (s *u320) addSquare(h, l uint64) {
	p1, p0 := bits.Mul64(l, l)
	s.addAt(0, p1, p0)
	if h == 0 {
		return
	}
	q1, q0 := bits.Mul64(h, l)
	s.addAt(1, q1, q0)
	s.addAt(1, q1, q0)
	r1, r0 := bits.Mul64(h, h)
	s.addAt(2, r1, r0)
}

func (s *u320) add(o *u320) {
	var c uint64
	for i := range s {
		s[i], c = bits.Add64(s[i], o[i], c)
	}
}

func (s *u320) big() *big.Int {
	w := make([]big.Word, 0, 5*(64/bits.UintSize))
	for _, x := range s {
		if bits.UintSize == 64 {
			w = append(w, big.Word(x))
		} else {
			w = append(w, big.Word(uint32(x)), big.Word(x>>32))
		}
	}
	return new(big.Int).SetBits(w)
}

func (a *exactMomentsAcc) update(gids []int32, arr arrow.Array) {
	vb, off := validity(arr)
	switch arr.DataType().ID() {
	case arrow.INT16:
		momentsSmall(a, gids, fixedValues[int16](arr), vb, off)
	case arrow.INT32:
		momentsSmall(a, gids, fixedValues[int32](arr), vb, off)
	case arrow.INT64:
		v := fixedValues[int64](arr)
		for i, g := range gids {
			if !isValid(vb, off, i) {
				continue
			}
			x := v[i]
			if a.n[g] >= 0 {
				a.n[g]++
			}
			a.addSx(g, x>>63, uint64(x))
			m := uint64(x)
			if x < 0 {
				m = -m
			}
			a.sxx[g].addSquare(0, m)
		}
	case arrow.DECIMAL128:
		v := fixedValues[decimal128.Num](arr)
		for i, g := range gids {
			if !isValid(vb, off, i) {
				continue
			}
			x := v[i]
			if a.n[g] >= 0 {
				a.n[g]++
			}
			a.addSx(g, x.HighBits(), x.LowBits())
			m := x.Abs()
			a.sxx[g].addSquare(uint64(m.HighBits()), m.LowBits())
		}
	}
}

// momentsSmall is the int2/int4 loop: x² fits in 64 bits.
func momentsSmall[T int16 | int32](a *exactMomentsAcc, gids []int32, v []T, vb []byte, off int) {
	for i, g := range gids {
		if !isValid(vb, off, i) {
			continue
		}
		x := int64(v[i])
		if a.n[g] >= 0 {
			a.n[g]++
		}
		a.addSx(g, x>>63, uint64(x))
		var c uint64
		s := &a.sxx[g]
		s[0], c = bits.Add64(s[0], uint64(x*x), 0)
		for j := 1; c != 0 && j < len(s); j++ {
			s[j], c = bits.Add64(s[j], 0, c)
		}
	}
}

func (a *exactMomentsAcc) merge(gids []int32, state []arrow.Array) {
	sx := fixedValues[decimal128.Num](state[0])
	sxxOffs, sxxData := binaryValues(state[1])
	cnt := fixedValues[int64](state[2])
	sb, so := validity(state[0])
	for i, g := range gids {
		if cnt[i] == 0 {
			continue
		}
		if cnt[i] < 0 || a.n[g] < 0 {
			a.n[g] = -1
		} else {
			a.n[g] += cnt[i]
		}
		if isValid(sb, so, i) {
			a.addSx(g, sx[i].HighBits(), sx[i].LowBits())
		}
		raw := sxxData[sxxOffs[i]:sxxOffs[i+1]]
		if len(raw) == 40 {
			var o u320
			for k := range o {
				o[k] = binary.LittleEndian.Uint64(raw[8*k:])
			}
			a.sxx[g].add(&o)
		}
	}
}

func (a *exactMomentsAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	vals := make([]decimal128.Num, to-from)
	null := make([]bool, to-from)
	for k := range vals {
		g := from + k
		n := a.n[g]
		if n < 0 {
			return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "numeric field overflow")
		}
		if n == 0 || (a.sample && n == 1) {
			null[k] = true
			continue
		}
		v, err := a.value(g)
		if err != nil {
			return nil, err
		}
		vals[k] = v
	}
	return fixedArray(alloc, &arrow.Decimal128Type{Precision: 38, Scale: a.resScale}, vals, null), nil
}

var bigTen = big.NewInt(10)

func pow10Big(e int32) *big.Int { return new(big.Int).Exp(bigTen, big.NewInt(int64(e)), nil) }

// value computes group g's result exactly, rounded to resScale.
func (a *exactMomentsAcc) value(g int) (decimal128.Num, error) {
	n := big.NewInt(a.n[g])
	sx := decimal128.New(a.sxHi[g], a.sxLo[g]).BigInt()
	num := new(big.Int).Mul(n, a.sxx[g].big())
	num.Sub(num, sx.Mul(sx, sx)) // scale 2s
	if num.Sign() <= 0 {
		return decimal128.Num{}, nil
	}
	den := new(big.Int)
	if a.sample {
		den.Mul(n, big.NewInt(a.n[g]-1))
	} else {
		den.Mul(n, n)
	}
	var q *big.Int
	if a.sqrt {
		// sqrt(num/den) at resScale+1 digits, then round the last one:
		// floor(sqrt(floor(y))) == floor(sqrt(y)), so one guard digit
		// decides the rounding exactly.
		shift := 2*(a.resScale+1) - 2*a.scale
		q = scaledQuo(num, den, shift)
		q.Sqrt(q)
		q.Add(q, big.NewInt(5))
		q.Quo(q, bigTen)
	} else {
		// Round half away from zero (num, den > 0).
		shift := a.resScale - 2*a.scale
		nn, dd := new(big.Int).Set(num), den
		if shift >= 0 {
			nn.Mul(nn, pow10Big(shift))
		} else {
			dd = new(big.Int).Mul(den, pow10Big(-shift))
		}
		r := new(big.Int)
		q, r = nn.QuoRem(nn, dd, r)
		if r.Lsh(r, 1).Cmp(dd) >= 0 {
			q.Add(q, big.NewInt(1))
		}
	}
	if q.BitLen() > 127 {
		return decimal128.Num{}, sqlerr.New(sqlerr.NumericValueOutOfRange, "numeric field overflow")
	}
	r := decimal128.FromBigInt(q)
	if r.Greater(maxNumeric) {
		return decimal128.Num{}, sqlerr.New(sqlerr.NumericValueOutOfRange, "numeric field overflow")
	}
	return r, nil
}

// scaledQuo is floor(num·10^shift / den) for positive num and den.
func scaledQuo(num, den *big.Int, shift int32) *big.Int {
	nn := new(big.Int).Set(num)
	dd := den
	if shift >= 0 {
		nn.Mul(nn, pow10Big(shift))
	} else {
		dd = new(big.Int).Mul(den, pow10Big(-shift))
	}
	return nn.Quo(nn, dd)
}

func (a *exactMomentsAcc) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	n := to - from
	sx := make([]decimal128.Num, n)
	for k := range sx {
		sx[k] = decimal128.New(a.sxHi[from+k], a.sxLo[from+k])
	}
	ob := newBuf(alloc, 4*(n+1))
	offs := fixedSlice[int32](ob, n+1)
	db := newBuf(alloc, 40*n)
	d := db.Bytes()
	for k := 0; k <= n; k++ {
		offs[k] = int32(40 * k)
	}
	for k := 0; k < n; k++ {
		for j, limb := range a.sxx[from+k] {
			binary.LittleEndian.PutUint64(d[40*k+8*j:], limb)
		}
	}
	return []arrow.Array{
		fixedArray(alloc, &arrow.Decimal128Type{Precision: 38, Scale: a.scale}, sx, nil),
		makeArray(arrow.BinaryTypes.Binary, n, []*memory.Buffer{nil, ob, db}, 0),
		int64Array(alloc, a.n[from:to], nil),
	}
}

func (a *exactMomentsAcc) stateTypes() []arrow.DataType {
	return []arrow.DataType{&arrow.Decimal128Type{Precision: 38, Scale: a.scale}, arrow.BinaryTypes.Binary, arrow.PrimitiveTypes.Int64}
}
func (a *exactMomentsAcc) bytes() int64 { return int64(cap(a.n)) * 64 }
func (a *exactMomentsAcc) resultType() arrow.DataType {
	return &arrow.Decimal128Type{Precision: 38, Scale: a.resScale}
}

// fixedSlice views the first n elements of buf as []T.
func fixedSlice[T any](buf *memory.Buffer, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&buf.Bytes()[0])), n)
}

// ---- float moments (Youngs-Cramer, as PostgreSQL's float8_accum) ----

type floatMomentsAcc struct {
	sample, sqrt bool
	n, sx, sxx   []float64
	overflow     bool
}

func (a *floatMomentsAcc) grow(n int) {
	a.n = growZero(a.n, n)
	a.sx = growZero(a.sx, n)
	a.sxx = growZero(a.sxx, n)
}

func (a *floatMomentsAcc) update(gids []int32, arr arrow.Array) {
	vb, off := validity(arr)
	if arr.DataType().ID() == arrow.FLOAT32 {
		v := fixedValues[float32](arr)
		for i, g := range gids {
			if isValid(vb, off, i) {
				a.accum(g, float64(v[i]))
			}
		}
		return
	}
	v := fixedValues[float64](arr)
	for i, g := range gids {
		if isValid(vb, off, i) {
			a.accum(g, v[i])
		}
	}
}

func (a *floatMomentsAcc) accum(g int32, x float64) {
	n0 := a.n[g]
	if n0 < 0 {
		return // overflowed
	}
	n := n0 + 1
	sx := a.sx[g] + x
	sxx := a.sxx[g]
	if n0 > 0 {
		tmp := x*n - sx
		sxx += tmp * tmp / (n * n0)
		if math.IsInf(sx, 0) || math.IsInf(sxx, 0) {
			if !math.IsInf(a.sx[g], 0) && !math.IsInf(x, 0) {
				a.n[g] = -1
				a.overflow = true
				return
			}
			sxx = math.NaN()
		}
	} else if math.IsNaN(x) || math.IsInf(x, 0) {
		sxx = math.NaN()
	}
	a.n[g], a.sx[g], a.sxx[g] = n, sx, sxx
}

func (a *floatMomentsAcc) merge(gids []int32, state []arrow.Array) {
	sx2 := fixedValues[float64](state[0])
	sxx2 := fixedValues[float64](state[1])
	n2 := fixedValues[float64](state[2])
	for i, g := range gids {
		n1 := a.n[g]
		switch {
		case n2[i] < 0 || n1 < 0:
			a.n[g] = -1
			a.overflow = true
		case n2[i] == 0:
		case n1 == 0:
			a.n[g], a.sx[g], a.sxx[g] = n2[i], sx2[i], sxx2[i]
		default:
			n := n1 + n2[i]
			sx1, sxx1 := a.sx[g], a.sxx[g]
			tmp := sx1/n1 - sx2[i]/n2[i]
			sxx := sxx1 + sxx2[i] + n1*n2[i]*tmp*tmp/n
			if math.IsInf(sxx, 0) && !math.IsInf(sxx1, 0) && !math.IsInf(sxx2[i], 0) {
				a.n[g] = -1
				a.overflow = true
				continue
			}
			a.n[g], a.sx[g], a.sxx[g] = n, sx1+sx2[i], sxx
		}
	}
}

func (a *floatMomentsAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	if a.overflow {
		return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
	}
	vals := make([]float64, to-from)
	null := make([]bool, to-from)
	for k := range vals {
		g := from + k
		n := a.n[g]
		if n == 0 || (a.sample && n == 1) {
			null[k] = true
			continue
		}
		d := n
		if a.sample {
			d = n - 1
		}
		v := a.sxx[g] / d
		if a.sqrt {
			v = math.Sqrt(v)
		}
		vals[k] = v
	}
	return fixedArray(alloc, arrow.PrimitiveTypes.Float64, vals, null), nil
}

func (a *floatMomentsAcc) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	f := arrow.PrimitiveTypes.Float64
	return []arrow.Array{
		fixedArray(alloc, f, a.sx[from:to], nil),
		fixedArray(alloc, f, a.sxx[from:to], nil),
		fixedArray(alloc, f, a.n[from:to], nil),
	}
}

func (a *floatMomentsAcc) stateTypes() []arrow.DataType {
	f := arrow.PrimitiveTypes.Float64
	return []arrow.DataType{f, f, f}
}
func (a *floatMomentsAcc) bytes() int64               { return int64(cap(a.n)) * 24 }
func (a *floatMomentsAcc) resultType() arrow.DataType { return arrow.PrimitiveTypes.Float64 }

// ---- bool_and / bool_or ----

// newBoolAcc builds bool_and (the minimum: false < true) or bool_or (the
// maximum) over a boolean argument.
func newBoolAcc(spec AggSpec, arg arrow.DataType) (accumulator, bool) {
	if arg.ID() != arrow.BOOL {
		return nil, false
	}
	return &boolMinMax{isMax: spec.Fn == AggBoolOr}, true
}
