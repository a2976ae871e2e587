package ops

import (
	"math"
	"math/big"
	"math/bits"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// accumulator holds one aggregate's state for every group, indexed by the
// dense group id, and updates it a whole batch at a time.
type accumulator interface {
	// grow makes room for n groups.
	grow(n int)
	// update folds raw input rows into their groups (arr is nil for count(*)).
	update(gids []int32, arr arrow.Array)
	// merge folds partial-state columns (in stateTypes order) into groups.
	merge(gids []int32, state []arrow.Array)
	// final returns the aggregate's value for groups [from, to).
	final(alloc memory.Allocator, from, to int) (arrow.Array, error)
	// partial returns the state columns for groups [from, to).
	partial(alloc memory.Allocator, from, to int) []arrow.Array
	stateTypes() []arrow.DataType
	bytes() int64
}

// newAccumulator builds the state for spec over input values of type arg
// (nil for count(*)).
func newAccumulator(spec AggSpec, arg arrow.DataType) (accumulator, error) {
	switch spec.Fn {
	case AggCountStar:
		return &countAcc{star: true}, nil
	case AggCount:
		return &countAcc{}, nil
	case AggSum:
		switch arg.ID() {
		case arrow.INT16, arrow.INT32:
			return &sumIntAcc{}, nil
		case arrow.INT64:
			return &sum128Acc{out: &arrow.Decimal128Type{Precision: 38, Scale: 0}}, nil
		case arrow.DECIMAL128:
			return &sum128Acc{out: arg}, nil
		case arrow.FLOAT32:
			return &sumFloatAcc[float32]{dt: arg}, nil
		case arrow.FLOAT64:
			return &sumFloatAcc[float64]{dt: arg}, nil
		}
	case AggAvg:
		switch arg.ID() {
		case arrow.INT16, arrow.INT32, arrow.INT64:
			return &avgAcc{sum: sum128Acc{out: &arrow.Decimal128Type{Precision: 38, Scale: 0}}, resScale: spec.Result.Scale}, nil
		case arrow.DECIMAL128:
			return &avgAcc{sum: sum128Acc{out: arg}, resScale: spec.Result.Scale}, nil
		case arrow.FLOAT32, arrow.FLOAT64:
			return &avgFloatAcc{}, nil
		}
	case AggMin, AggMax:
		return newMinMax(arg, spec.Fn == AggMax)
	case AggVarSamp, AggVarPop, AggStddevSamp, AggStddevPop:
		if acc, ok := newStatsAcc(spec, arg); ok {
			return acc, nil
		}
	case AggBoolAnd, AggBoolOr:
		if acc, ok := newBoolAcc(spec, arg); ok {
			return acc, nil
		}
	}
	return nil, sqlerr.New(sqlerr.UndefinedFunction, "aggregate %s does not accept type %s", spec.Fn, arg)
}

func int64Array(alloc memory.Allocator, vals []int64, null []bool) arrow.Array {
	return fixedArray(alloc, arrow.PrimitiveTypes.Int64, vals, null)
}

// fixedArray builds a fixed-width array of type dt from vals; null may be nil.
func fixedArray[T any](alloc memory.Allocator, dt arrow.DataType, vals []T, null []bool) arrow.Array {
	n := len(vals)
	valid := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	vb := valid.Bytes()
	nulls := 0
	for i := 0; i < n; i++ {
		if null != nil && null[i] {
			nulls++
		} else {
			bitutil.SetBit(vb, i)
		}
	}
	var z T
	data := newBuf(alloc, n*int(unsafe.Sizeof(z)))
	if n > 0 {
		copy(unsafe.Slice((*T)(unsafe.Pointer(&data.Bytes()[0])), n), vals)
	}
	return makeArray(dt, n, []*memory.Buffer{valid, data}, nulls)
}

// notSeen converts a "seen" vector into a null vector for fixedArray.
func notSeen(seen []bool) []bool {
	out := make([]bool, len(seen))
	for i, s := range seen {
		out[i] = !s
	}
	return out
}

// ---- count ----

type countAcc struct {
	star   bool
	counts []int64
}

func (a *countAcc) grow(n int) { a.counts = growZero(a.counts, n) }
func (a *countAcc) update(gids []int32, arr arrow.Array) {
	c := a.counts
	if a.star || arr.NullN() == 0 {
		for _, g := range gids {
			c[g]++
		}
		return
	}
	bits, off := validity(arr)
	for i, g := range gids {
		if isValid(bits, off, i) {
			c[g]++
		}
	}
}
func (a *countAcc) merge(gids []int32, state []arrow.Array) {
	v := fixedValues[int64](state[0])
	bits, off := validity(state[0])
	for i, g := range gids {
		if isValid(bits, off, i) {
			a.counts[g] += v[i]
		}
	}
}
func (a *countAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	return int64Array(alloc, a.counts[from:to], nil), nil
}
func (a *countAcc) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	return []arrow.Array{int64Array(alloc, a.counts[from:to], nil)}
}
func (a *countAcc) stateTypes() []arrow.DataType { return []arrow.DataType{arrow.PrimitiveTypes.Int64} }
func (a *countAcc) bytes() int64                 { return int64(cap(a.counts)) * 8 }

// growZero extends s to n elements, zeroing new ones.
func growZero[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		old := len(s)
		s = s[:n]
		clear(s[old:])
		return s
	}
	ns := make([]T, n, max(n, 2*cap(s)))
	copy(ns, s)
	return ns
}

// ---- sum of int2/int4: int8 result ----

type sumIntAcc struct {
	sums []int64
	seen []bool
}

func (a *sumIntAcc) grow(n int) { a.sums = growZero(a.sums, n); a.seen = growZero(a.seen, n) }
func (a *sumIntAcc) update(gids []int32, arr arrow.Array) {
	switch arr.DataType().ID() {
	case arrow.INT16:
		sumInto(a.sums, a.seen, gids, fixedValues[int16](arr), arr)
	case arrow.INT32:
		sumInto(a.sums, a.seen, gids, fixedValues[int32](arr), arr)
	default:
		sumInto(a.sums, a.seen, gids, fixedValues[int64](arr), arr)
	}
}

func sumInto[T int16 | int32 | int64](sums []int64, seen []bool, gids []int32, v []T, arr arrow.Array) {
	bits, off := validity(arr)
	if bits == nil {
		for i, g := range gids {
			sums[g] += int64(v[i])
			seen[g] = true
		}
		return
	}
	for i, g := range gids {
		if isValid(bits, off, i) {
			sums[g] += int64(v[i])
			seen[g] = true
		}
	}
}
func (a *sumIntAcc) merge(gids []int32, state []arrow.Array) { a.update(gids, state[0]) }
func (a *sumIntAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	return int64Array(alloc, a.sums[from:to], notSeen(a.seen[from:to])), nil
}
func (a *sumIntAcc) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	r, _ := a.final(alloc, from, to)
	return []arrow.Array{r}
}
func (a *sumIntAcc) stateTypes() []arrow.DataType {
	return []arrow.DataType{arrow.PrimitiveTypes.Int64}
}
func (a *sumIntAcc) bytes() int64 { return int64(cap(a.sums)) * 9 }

// ---- 128-bit sums: sum(int8) and sum(numeric) ----

type sum128Acc struct {
	out  arrow.DataType // Decimal128 with the scale of the input
	hi   []int64
	lo   []uint64
	seen []bool
}

func (a *sum128Acc) grow(n int) {
	a.hi = growZero(a.hi, n)
	a.lo = growZero(a.lo, n)
	a.seen = growZero(a.seen, n)
}

func (a *sum128Acc) update(gids []int32, arr arrow.Array) {
	bits, off := validity(arr)
	hi, lo, seen := a.hi, a.lo, a.seen
	switch arr.DataType().ID() {
	case arrow.INT16:
		add128Int(hi, lo, seen, gids, fixedValues[int16](arr), bits, off)
	case arrow.INT32:
		add128Int(hi, lo, seen, gids, fixedValues[int32](arr), bits, off)
	case arrow.INT64:
		add128Int(hi, lo, seen, gids, fixedValues[int64](arr), bits, off)
	case arrow.DECIMAL128:
		v := fixedValues[[2]uint64](arr)
		if bits == nil {
			// No NULLs: no validity test in the loop.
			for i, g := range gids {
				x := v[i]
				var c uint64
				lo[g], c = bits64Add(lo[g], x[0])
				hi[g] += int64(x[1]) + int64(c)
				seen[g] = true
			}
			return
		}
		for i, g := range gids {
			if !isValid(bits, off, i) {
				continue
			}
			var c uint64
			lo[g], c = bits64Add(lo[g], v[i][0])
			hi[g] += int64(v[i][1]) + int64(c)
			seen[g] = true
		}
	}
}

func bits64Add(a, b uint64) (uint64, uint64) { return bits.Add64(a, b, 0) }

func add128Int[T int16 | int32 | int64](hi []int64, lo []uint64, seen []bool, gids []int32, v []T, vb []byte, off int) {
	for i, g := range gids {
		if !isValid(vb, off, i) {
			continue
		}
		x := int64(v[i])
		var c uint64
		lo[g], c = bits.Add64(lo[g], uint64(x), 0)
		hi[g] += x>>63 + int64(c)
		seen[g] = true
	}
}

func (a *sum128Acc) merge(gids []int32, state []arrow.Array) { a.update(gids, state[0]) }

// maxNumeric is 10^38-1, the largest magnitude a numeric column holds.
var maxNumeric = decimal128.GetMaxValue(38)

func (a *sum128Acc) values(from, to int) ([]decimal128.Num, []bool, error) {
	vals := make([]decimal128.Num, to-from)
	for k := range vals {
		g := from + k
		n := decimal128.New(a.hi[g], a.lo[g])
		if a.seen[g] && (n.Greater(maxNumeric) || n.Less(maxNumeric.Negate())) {
			return nil, nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "numeric field overflow")
		}
		vals[k] = n
	}
	return vals, notSeen(a.seen[from:to]), nil
}

func (a *sum128Acc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	vals, null, err := a.values(from, to)
	if err != nil {
		return nil, err
	}
	return fixedArray(alloc, a.out, vals, null), nil
}
func (a *sum128Acc) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	vals := make([]decimal128.Num, to-from)
	for k := range vals {
		vals[k] = decimal128.New(a.hi[from+k], a.lo[from+k])
	}
	return []arrow.Array{fixedArray(alloc, a.out, vals, notSeen(a.seen[from:to]))}
}
func (a *sum128Acc) stateTypes() []arrow.DataType { return []arrow.DataType{a.out} }
func (a *sum128Acc) bytes() int64                 { return int64(cap(a.hi)) * 17 }

// ---- float sums ----

type sumFloatAcc[T float32 | float64] struct {
	dt   arrow.DataType
	sums []T
	seen []bool
}

func (a *sumFloatAcc[T]) grow(n int) { a.sums = growZero(a.sums, n); a.seen = growZero(a.seen, n) }
func (a *sumFloatAcc[T]) update(gids []int32, arr arrow.Array) {
	v := fixedValues[T](arr)
	bits, off := validity(arr)
	for i, g := range gids {
		if isValid(bits, off, i) {
			a.sums[g] += v[i]
			a.seen[g] = true
		}
	}
}
func (a *sumFloatAcc[T]) merge(gids []int32, state []arrow.Array) { a.update(gids, state[0]) }
func (a *sumFloatAcc[T]) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	return fixedArray(alloc, a.dt, a.sums[from:to], notSeen(a.seen[from:to])), nil
}
func (a *sumFloatAcc[T]) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	r, _ := a.final(alloc, from, to)
	return []arrow.Array{r}
}
func (a *sumFloatAcc[T]) stateTypes() []arrow.DataType { return []arrow.DataType{a.dt} }
func (a *sumFloatAcc[T]) bytes() int64                 { return int64(cap(a.sums)) * 9 }

// ---- avg of integers and numerics: exact 128-bit sum and a count ----

type avgAcc struct {
	sum      sum128Acc
	counts   []int64
	resScale int32
}

func (a *avgAcc) grow(n int) { a.sum.grow(n); a.counts = growZero(a.counts, n) }
func (a *avgAcc) update(gids []int32, arr arrow.Array) {
	a.sum.update(gids, arr)
	bits, off := validity(arr)
	if bits == nil {
		for _, g := range gids {
			a.counts[g]++
		}
		return
	}
	for i, g := range gids {
		if isValid(bits, off, i) {
			a.counts[g]++
		}
	}
}
func (a *avgAcc) merge(gids []int32, state []arrow.Array) {
	a.sum.update(gids, state[0])
	v := fixedValues[int64](state[1])
	for i, g := range gids {
		a.counts[g] += v[i]
	}
}

func (a *avgAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	inScale := a.sum.out.(*arrow.Decimal128Type).Scale
	vals := make([]decimal128.Num, to-from)
	null := make([]bool, to-from)
	for k := range vals {
		g := from + k
		if a.counts[g] == 0 {
			null[k] = true
			continue
		}
		vals[k] = divRound(a.sum.hi[g], a.sum.lo[g], a.counts[g], a.resScale-inScale)
	}
	return fixedArray(alloc, &arrow.Decimal128Type{Precision: 38, Scale: a.resScale}, vals, null), nil
}

// pow10u are the powers of ten that fit in a uint64.
var pow10u = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < 20; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// divRound returns (hi:lo * 10^shift) / count rounded half away from zero,
// as PostgreSQL rounds numeric results.
func divRound(hi int64, lo uint64, count int64, shift int32) decimal128.Num {
	// Fast path: the sum fits in 64 bits and the scaled value in 128, so one
	// 128/64 division does it.
	if (hi == 0 && lo>>63 == 0) || (hi == -1 && lo>>63 == 1) {
		if shift >= 0 && shift < 19 {
			neg := hi < 0
			n := lo
			if neg {
				n = -lo
			}
			ph, pl := bits.Mul64(n, pow10u[shift])
			if ph < uint64(count) {
				q, r := bits.Div64(ph, pl, uint64(count))
				if r >= uint64(count)-r {
					q++
				}
				res := decimal128.New(0, q)
				if neg {
					res = res.Negate()
				}
				return res
			}
		}
	}
	num := decimal128.New(hi, lo).BigInt()
	den := big.NewInt(count)
	ten := big.NewInt(10)
	if shift >= 0 {
		num.Mul(num, new(big.Int).Exp(ten, big.NewInt(int64(shift)), nil))
	} else {
		den.Mul(den, new(big.Int).Exp(ten, big.NewInt(int64(-shift)), nil))
	}
	neg := num.Sign() < 0
	num.Abs(num)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	r.Lsh(r, 1)
	if r.Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return decimal128.FromBigInt(q)
}

func (a *avgAcc) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	s := a.sum.partial(alloc, from, to)
	return append(s, int64Array(alloc, a.counts[from:to], nil))
}
func (a *avgAcc) stateTypes() []arrow.DataType {
	return []arrow.DataType{a.sum.out, arrow.PrimitiveTypes.Int64}
}
func (a *avgAcc) bytes() int64 { return a.sum.bytes() + int64(cap(a.counts))*8 }

// ---- avg of floats: double sum and count, double result ----

type avgFloatAcc struct {
	sums   []float64
	counts []int64
}

func (a *avgFloatAcc) grow(n int) { a.sums = growZero(a.sums, n); a.counts = growZero(a.counts, n) }
func (a *avgFloatAcc) update(gids []int32, arr arrow.Array) {
	bits, off := validity(arr)
	if arr.DataType().ID() == arrow.FLOAT32 {
		v := fixedValues[float32](arr)
		for i, g := range gids {
			if isValid(bits, off, i) {
				a.sums[g] += float64(v[i])
				a.counts[g]++
			}
		}
		return
	}
	v := fixedValues[float64](arr)
	for i, g := range gids {
		if isValid(bits, off, i) {
			a.sums[g] += v[i]
			a.counts[g]++
		}
	}
}
func (a *avgFloatAcc) merge(gids []int32, state []arrow.Array) {
	s := fixedValues[float64](state[0])
	sb, so := validity(state[0])
	c := fixedValues[int64](state[1])
	for i, g := range gids {
		if isValid(sb, so, i) {
			a.sums[g] += s[i]
		}
		a.counts[g] += c[i]
	}
}
func (a *avgFloatAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	vals := make([]float64, to-from)
	null := make([]bool, to-from)
	for k := range vals {
		g := from + k
		if a.counts[g] == 0 {
			null[k] = true
		} else {
			vals[k] = a.sums[g] / float64(a.counts[g])
		}
	}
	return fixedArray(alloc, arrow.PrimitiveTypes.Float64, vals, null), nil
}
func (a *avgFloatAcc) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	null := make([]bool, to-from)
	for k := range null {
		null[k] = a.counts[from+k] == 0
	}
	return []arrow.Array{
		fixedArray(alloc, arrow.PrimitiveTypes.Float64, a.sums[from:to], null),
		int64Array(alloc, a.counts[from:to], nil),
	}
}
func (a *avgFloatAcc) stateTypes() []arrow.DataType {
	return []arrow.DataType{arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int64}
}
func (a *avgFloatAcc) bytes() int64 { return int64(cap(a.sums)) * 16 }

// ---- min / max ----

func newMinMax(dt arrow.DataType, isMax bool) (accumulator, error) {
	switch dt.ID() {
	case arrow.INT16:
		return &minMaxAcc[int16]{dt: dt, isMax: isMax, less: func(a, b int16) bool { return a < b }}, nil
	case arrow.INT32, arrow.DATE32:
		return &minMaxAcc[int32]{dt: dt, isMax: isMax, less: func(a, b int32) bool { return a < b }}, nil
	case arrow.INT64, arrow.TIME64, arrow.TIMESTAMP:
		return &minMaxAcc[int64]{dt: dt, isMax: isMax, less: func(a, b int64) bool { return a < b }}, nil
	case arrow.FLOAT32:
		return &minMaxAcc[float32]{dt: dt, isMax: isMax, less: func(a, b float32) bool { return floatLess(float64(a), float64(b)) }}, nil
	case arrow.FLOAT64:
		return &minMaxAcc[float64]{dt: dt, isMax: isMax, less: floatLess}, nil
	case arrow.DECIMAL128:
		return &minMaxAcc[decimal128.Num]{dt: dt, isMax: isMax, less: func(a, b decimal128.Num) bool { return a.Less(b) }}, nil
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return &minMaxAcc[arrow.MonthDayNanoInterval]{dt: dt, isMax: isMax, less: func(a, b arrow.MonthDayNanoInterval) bool { return intervalCmp(a, b) < 0 }}, nil
	case arrow.BOOL:
		return &boolMinMax{isMax: isMax}, nil
	case arrow.STRING, arrow.BINARY:
		return &bytesMinMax{dt: dt, isMax: isMax}, nil
	case arrow.NULL:
		return &nullAcc{}, nil
	}
	return nil, sqlerr.New(sqlerr.UndefinedFunction, "min/max does not accept type %s", dt)
}

// floatLess orders floats as PostgreSQL does: NaN above every other value.
func floatLess(a, b float64) bool {
	if math.IsNaN(a) {
		return false
	}
	return math.IsNaN(b) || a < b
}

func intervalCmp(a, b arrow.MonthDayNanoInterval) int {
	ah, al := intervalSpan(a)
	bh, bl := intervalSpan(b)
	switch {
	case ah < bh:
		return -1
	case ah > bh:
		return 1
	case al < bl:
		return -1
	case al > bl:
		return 1
	}
	return 0
}

type minMaxAcc[T any] struct {
	dt    arrow.DataType
	isMax bool
	less  func(a, b T) bool
	vals  []T
	seen  []bool
}

func (a *minMaxAcc[T]) grow(n int) { a.vals = growZero(a.vals, n); a.seen = growZero(a.seen, n) }
func (a *minMaxAcc[T]) update(gids []int32, arr arrow.Array) {
	v := fixedValues[T](arr)
	bits, off := validity(arr)
	less := a.less
	for i, g := range gids {
		if !isValid(bits, off, i) {
			continue
		}
		x := v[i]
		if !a.seen[g] {
			a.vals[g] = x
			a.seen[g] = true
		} else if a.isMax {
			if less(a.vals[g], x) {
				a.vals[g] = x
			}
		} else if less(x, a.vals[g]) {
			a.vals[g] = x
		}
	}
}
func (a *minMaxAcc[T]) merge(gids []int32, state []arrow.Array) { a.update(gids, state[0]) }
func (a *minMaxAcc[T]) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	return fixedArray(alloc, a.dt, a.vals[from:to], notSeen(a.seen[from:to])), nil
}
func (a *minMaxAcc[T]) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	r, _ := a.final(alloc, from, to)
	return []arrow.Array{r}
}
func (a *minMaxAcc[T]) stateTypes() []arrow.DataType { return []arrow.DataType{a.dt} }
func (a *minMaxAcc[T]) bytes() int64 {
	var z T
	return int64(cap(a.vals))*int64(unsafe.Sizeof(z)) + int64(cap(a.seen))
}

// boolMinMax: min is bool_and, max is bool_or (false < true).
type boolMinMax struct {
	isMax bool
	vals  []bool
	seen  []bool
}

func (a *boolMinMax) grow(n int) { a.vals = growZero(a.vals, n); a.seen = growZero(a.seen, n) }
func (a *boolMinMax) update(gids []int32, arr arrow.Array) {
	b := arr.(*array.Boolean)
	bits, off := validity(arr)
	for i, g := range gids {
		if !isValid(bits, off, i) {
			continue
		}
		x := b.Value(i)
		if !a.seen[g] {
			a.vals[g], a.seen[g] = x, true
		} else if a.isMax {
			a.vals[g] = a.vals[g] || x
		} else {
			a.vals[g] = a.vals[g] && x
		}
	}
}
func (a *boolMinMax) merge(gids []int32, state []arrow.Array) { a.update(gids, state[0]) }
func (a *boolMinMax) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	n := to - from
	valid := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	data := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	nulls := 0
	for k := 0; k < n; k++ {
		if !a.seen[from+k] {
			nulls++
			continue
		}
		bitutil.SetBit(valid.Bytes(), k)
		if a.vals[from+k] {
			bitutil.SetBit(data.Bytes(), k)
		}
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{valid, data}, nulls), nil
}
func (a *boolMinMax) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	r, _ := a.final(alloc, from, to)
	return []arrow.Array{r}
}
func (a *boolMinMax) stateTypes() []arrow.DataType {
	return []arrow.DataType{arrow.FixedWidthTypes.Boolean}
}
func (a *boolMinMax) bytes() int64 { return int64(cap(a.vals)) * 2 }

// bytesMinMax compares text and bytea by bytes (C collation). Winning values
// are cloned because input batches are released after each update.
type bytesMinMax struct {
	dt    arrow.DataType
	isMax bool
	vals  []string
	seen  []bool
	size  int64
}

func (a *bytesMinMax) grow(n int) { a.vals = growZero(a.vals, n); a.seen = growZero(a.seen, n) }
func (a *bytesMinMax) update(gids []int32, arr arrow.Array) {
	offs, data := binaryValues(arr)
	bits, off := validity(arr)
	for i, g := range gids {
		if !isValid(bits, off, i) {
			continue
		}
		x := unsafe.String(unsafe.SliceData(data[offs[i]:offs[i+1]]), int(offs[i+1]-offs[i]))
		if !a.seen[g] || (a.isMax && x > a.vals[g]) || (!a.isMax && x < a.vals[g]) {
			a.size += int64(len(x) - len(a.vals[g]))
			a.vals[g] = strings.Clone(x)
			a.seen[g] = true
		}
	}
}
func (a *bytesMinMax) merge(gids []int32, state []arrow.Array) { a.update(gids, state[0]) }
func (a *bytesMinMax) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	n := to - from
	valid := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	total := 0
	for _, s := range a.vals[from:to] {
		total += len(s)
	}
	ob := newBuf(alloc, 4*(n+1))
	o := unsafe.Slice((*int32)(unsafe.Pointer(&ob.Bytes()[0])), n+1)
	db := newBuf(alloc, total)
	d := db.Bytes()
	pos, nulls := 0, 0
	for k := 0; k < n; k++ {
		o[k] = int32(pos)
		if !a.seen[from+k] {
			nulls++
			continue
		}
		bitutil.SetBit(valid.Bytes(), k)
		pos += copy(d[pos:], a.vals[from+k])
	}
	o[n] = int32(pos)
	return makeArray(a.dt, n, []*memory.Buffer{valid, ob, db}, nulls), nil
}
func (a *bytesMinMax) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	r, _ := a.final(alloc, from, to)
	return []arrow.Array{r}
}
func (a *bytesMinMax) stateTypes() []arrow.DataType { return []arrow.DataType{a.dt} }
func (a *bytesMinMax) bytes() int64                 { return int64(cap(a.vals))*17 + a.size }

// nullAcc is min/max of an untyped NULL column: always NULL.
type nullAcc struct{}

func (nullAcc) grow(int)                     {}
func (nullAcc) update([]int32, arrow.Array)  {}
func (nullAcc) merge([]int32, []arrow.Array) {}
func (nullAcc) stateTypes() []arrow.DataType { return []arrow.DataType{arrow.Null} }
func (nullAcc) bytes() int64                 { return 0 }
func (nullAcc) final(_ memory.Allocator, from, to int) (arrow.Array, error) {
	return array.NewNull(to - from), nil
}
func (a nullAcc) partial(alloc memory.Allocator, from, to int) []arrow.Array {
	r, _ := a.final(alloc, from, to)
	return []arrow.Array{r}
}

// resultType is the Arrow type of an accumulator's final values.
func resultType(acc accumulator) arrow.DataType {
	switch a := acc.(type) {
	case *avgAcc:
		return &arrow.Decimal128Type{Precision: 38, Scale: a.resScale}
	case *avgFloatAcc:
		return arrow.PrimitiveTypes.Float64
	case interface{ resultType() arrow.DataType }:
		return a.resultType()
	}
	return acc.stateTypes()[0]
}
