package window

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

type aggKind uint8

const (
	aggNone aggKind = iota
	aggCountStar
	aggCount
	aggSumInt   // sum(int2/int4) -> int8
	aggSum128   // sum(int8) -> numeric(38,0), sum(numeric) -> numeric
	aggSumFloat // sum(real) -> real, sum(double) -> double
	aggAvg128   // avg(int*/numeric) -> numeric
	aggAvgFloat // avg(real/double) -> double
	aggMin
	aggMax
	aggBoolAnd
	aggBoolOr
	aggVarExact // variance family over int*/numeric -> numeric
	aggVarFloat // variance family over real/double -> double
	aggStringAgg
)

// defaultScale is the scale of avg and variance results when the planner
// gives no result type (PostgreSQL's usual display for such quotients).
const defaultScale = 16

func compileAgg(f Func, args []arrow.DataType) (aggKind, arrow.DataType, error) {
	resScale := f.Result.Scale
	if f.Result.Kind == types.Unknown {
		resScale = defaultScale
	}
	undefined := func() error {
		t := "no arguments"
		if len(args) > 0 {
			t = args[0].String()
		}
		return sqlerr.New(sqlerr.UndefinedFunction, "window function %s does not accept %s", f.Name, t)
	}
	if f.Name == "count_star" {
		if len(args) != 0 {
			return 0, nil, undefined()
		}
		return aggCountStar, arrow.PrimitiveTypes.Int64, nil
	}
	if f.Name == "string_agg" {
		if len(args) != 2 || (args[0].ID() != arrow.STRING && args[0].ID() != arrow.BINARY) || !arrow.TypeEqual(args[0], args[1]) {
			return 0, nil, undefined()
		}
		return aggStringAgg, args[0], nil
	}
	if len(args) != 1 {
		return 0, nil, internalErr("aggregate %s takes one argument, got %d", f.Name, len(args))
	}
	a := args[0]
	id := a.ID()
	isInt := id == arrow.INT16 || id == arrow.INT32 || id == arrow.INT64
	isFloat := id == arrow.FLOAT32 || id == arrow.FLOAT64
	switch f.Name {
	case "count":
		return aggCount, arrow.PrimitiveTypes.Int64, nil
	case "sum":
		switch {
		case id == arrow.INT16 || id == arrow.INT32:
			return aggSumInt, arrow.PrimitiveTypes.Int64, nil
		case id == arrow.INT64:
			return aggSum128, &arrow.Decimal128Type{Precision: 38, Scale: 0}, nil
		case id == arrow.DECIMAL128:
			return aggSum128, a, nil
		case isFloat:
			return aggSumFloat, a, nil
		}
	case "avg":
		switch {
		case isInt || id == arrow.DECIMAL128:
			return aggAvg128, &arrow.Decimal128Type{Precision: 38, Scale: resScale}, nil
		case isFloat:
			return aggAvgFloat, arrow.PrimitiveTypes.Float64, nil
		}
	case "min", "max":
		if id == arrow.NULL {
			return aggMin, a, nil
		}
		if _, ok := rowLess(array.MakeArrayOfNull(memory.DefaultAllocator, a, 0)); ok {
			if f.Name == "min" {
				return aggMin, a, nil
			}
			return aggMax, a, nil
		}
	case "bool_and", "bool_or":
		if id == arrow.BOOL {
			if f.Name == "bool_and" {
				return aggBoolAnd, a, nil
			}
			return aggBoolOr, a, nil
		}
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		switch {
		case isInt || id == arrow.DECIMAL128:
			return aggVarExact, &arrow.Decimal128Type{Precision: 38, Scale: resScale}, nil
		case isFloat:
			return aggVarFloat, arrow.PrimitiveTypes.Float64, nil
		}
	default:
		return 0, nil, sqlerr.New(sqlerr.UndefinedFunction, "window function %s does not exist", f.Name)
	}
	return 0, nil, undefined()
}

// aggState is one aggregate's running state over a partition's frames.
// result is called once for every row of the chunk, in row order, and
// appends that row's value.
type aggState interface {
	reset()
	add(i int)
	result()
	build(alloc memory.Allocator) (arrow.Array, error)
}

// remover states can take out any row they hold (exact, order-free states).
type remover interface{ remove(i int) }

// fifoRemover states can take out the oldest row they hold (min/max's deque).
type fifoRemover interface{ removeOldest(i int) }

// aggregate evaluates an aggregate over every row's frame. The state tracks
// the rows [cs, ce) it holds and moves with the frame: frames only grow or
// slide forward, so a state that can drop its oldest rows never restarts,
// and a growing frame never needs removal. States that can do neither (float
// sums, string_agg) restart when the frame start moves, as PostgreSQL does.
func (c *compiled) aggregate(ch *chunk, fr *frames, alloc memory.Allocator) (arrow.Array, error) {
	st := c.newAggState(ch)
	c.aggregateInto(ch, fr, st, 0)
	return st.build(alloc)
}

// aggregateInto runs st over the chunk's frames. Rows before skip are
// context already computed (the streaming path): they get no result, a
// partition ending by skip is passed over, and in the partition holding row
// skip st already holds rows [partition start, skip) and is not reset.
func (c *compiled) aggregateInto(ch *chunk, fr *frames, st aggState, skip int) {
	rem, canRemove := st.(remover)
	fifo, canFifo := st.(fifoRemover)
	if canRemove && !canFifo {
		canFifo, fifo = true, removeOldest{rem}
	}
	for p := 0; p < ch.numParts(); p++ {
		ps, pe := int(ch.parts[p]), int(ch.parts[p+1])
		if pe <= skip {
			continue
		}
		cs, ce := ps, ps
		first := ps
		if ps < skip {
			ce, first = skip, skip
		} else {
			st.reset()
		}
		held := true
		for i := first; i < pe; i++ {
			s, e := int(fr.start[i]), int(fr.end[i])
			if e < s {
				e = s
			}
			if fr.exclude != ExcludeNoOthers && !canRemove {
				// Non-removable state with holes in the frame: restart
				// over the frame's segments, in row order.
				a0, a1, cur, b0, b1 := ch.segments(fr, i)
				st.reset()
				for r := a0; r < a1; r++ {
					st.add(r)
				}
				if cur {
					st.add(i)
				}
				for r := b0; r < b1; r++ {
					st.add(r)
				}
				st.result()
				held = false
				continue
			}
			switch {
			case held && s == cs && e >= ce:
				for r := ce; r < e; r++ {
					st.add(r)
				}
			case held && canFifo && s >= cs && s <= ce && e >= ce:
				for r := ce; r < e; r++ {
					st.add(r)
				}
				for r := cs; r < s; r++ {
					fifo.removeOldest(r)
				}
			default:
				st.reset()
				for r := s; r < e; r++ {
					st.add(r)
				}
			}
			cs, ce, held = s, e, true
			if fr.exclude == ExcludeNoOthers {
				st.result()
				continue
			}
			xs, xe, keep := ch.excluded(fr.exclude, i)
			xs, xe = max(xs, s), min(xe, e)
			for r := xs; r < xe; r++ {
				if !(keep && r == i) {
					rem.remove(r)
				}
			}
			st.result()
			for r := xs; r < xe; r++ {
				if !(keep && r == i) {
					st.add(r)
				}
			}
		}
	}
}

type removeOldest struct{ r remover }

func (f removeOldest) removeOldest(i int) { f.r.remove(i) }

func (c *compiled) newAggState(ch *chunk) aggState {
	var col arrow.Array
	if len(c.f.Args) > 0 {
		col = ch.cols[c.f.Args[0]]
	}
	switch c.agg {
	case aggCountStar:
		return &countState{star: true}
	case aggCount:
		bm, off := validity(col)
		return &countState{bm: bm, off: off}
	case aggSumInt:
		return &sumIntState{vals: int64Values(col), valid: validFn(col)}
	case aggSum128:
		return &sum128State{vals: decValues(col), valid: validFn(col), out: c.out}
	case aggAvg128:
		inScale := int32(0)
		if d, ok := col.DataType().(*arrow.Decimal128Type); ok {
			inScale = d.Scale
		}
		outScale := c.out.(*arrow.Decimal128Type).Scale
		return &sum128State{vals: decValues(col), valid: validFn(col), out: c.out, avg: true, shift: outScale - inScale}
	case aggSumFloat:
		return &floatState{vals: float64Values(col), valid: validFn(col), out: c.out, sum: true}
	case aggAvgFloat:
		return &floatState{vals: float64Values(col), valid: validFn(col), out: c.out}
	case aggMin, aggMax:
		less, _ := rowLess(col)
		return &minMaxState{col: col, valid: validFn(col), less: less, isMax: c.agg == aggMax}
	case aggBoolAnd, aggBoolOr:
		return &boolState{col: col.(*array.Boolean), valid: validFn(col), and: c.agg == aggBoolAnd}
	case aggVarExact:
		inScale := int32(0)
		if d, ok := col.DataType().(*arrow.Decimal128Type); ok {
			inScale = d.Scale
		}
		return newVarExact(c.f.Name, decValues(col), validFn(col), inScale, c.out)
	case aggVarFloat:
		return &varFloatState{vals: float64Values(col), valid: validFn(col), fn: c.f.Name}
	case aggStringAgg:
		return &stringAggState{val: col, delim: ch.cols[c.f.Args[1]], dt: c.out, vvalid: validFn(col), dvalid: validFn(ch.cols[c.f.Args[1]])}
	}
	panic("unknown aggregate")
}

func validFn(col arrow.Array) func(i int) bool {
	bm, off := validity(col)
	if bm == nil {
		return func(int) bool { return true }
	}
	return func(i int) bool { return isValid(bm, off, i) }
}

func int64Values(col arrow.Array) []int64 {
	switch col.DataType().ID() {
	case arrow.INT16:
		v := fixedValues[int16](col)
		out := make([]int64, len(v))
		for i, x := range v {
			out[i] = int64(x)
		}
		return out
	case arrow.INT32:
		v := fixedValues[int32](col)
		out := make([]int64, len(v))
		for i, x := range v {
			out[i] = int64(x)
		}
		return out
	}
	return fixedValues[int64](col)
}

func decValues(col arrow.Array) []decimal128.Num {
	if col.DataType().ID() == arrow.DECIMAL128 {
		return fixedValues[decimal128.Num](col)
	}
	v := int64Values(col)
	out := make([]decimal128.Num, len(v))
	for i, x := range v {
		out[i] = decimal128.FromI64(x)
	}
	return out
}

func float64Values(col arrow.Array) []float64 {
	if col.DataType().ID() == arrow.FLOAT32 {
		v := fixedValues[float32](col)
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	return fixedValues[float64](col)
}

// ---- count ----

type countState struct {
	star bool
	bm   []byte
	off  int
	n    int64
	out  []int64
}

func (s *countState) reset() { s.n = 0 }
func (s *countState) add(i int) {
	if s.star || isValid(s.bm, s.off, i) {
		s.n++
	}
}
func (s *countState) remove(i int) {
	if s.star || isValid(s.bm, s.off, i) {
		s.n--
	}
}
func (s *countState) result() { s.out = append(s.out, s.n) }
func (s *countState) build(alloc memory.Allocator) (arrow.Array, error) {
	return fixedArray(alloc, arrow.PrimitiveTypes.Int64, s.out, nil), nil
}

// ---- sum(int2/int4) ----

type sumIntState struct {
	vals  []int64
	valid func(int) bool
	sum   int64
	n     int64
	out   []int64
	null  []bool
}

func (s *sumIntState) reset() { s.sum, s.n = 0, 0 }
func (s *sumIntState) add(i int) {
	if s.valid(i) {
		s.sum += s.vals[i]
		s.n++
	}
}
func (s *sumIntState) remove(i int) {
	if s.valid(i) {
		s.sum -= s.vals[i]
		s.n--
	}
}
func (s *sumIntState) result() {
	s.out = append(s.out, s.sum)
	s.null = append(s.null, s.n == 0)
}
func (s *sumIntState) build(alloc memory.Allocator) (arrow.Array, error) {
	return fixedArray(alloc, arrow.PrimitiveTypes.Int64, s.out, s.null), nil
}

// ---- exact sums and averages over int8 and numeric ----

// maxNumeric is 10^38-1, the largest magnitude a numeric column holds.
var maxNumeric = decimal128.GetMaxValue(38)

type sum128State struct {
	vals  []decimal128.Num
	valid func(int) bool
	out   arrow.DataType
	avg   bool
	shift int32 // avg: result scale minus input scale
	sum   decimal128.Num
	n     int64
	res   []decimal128.Num
	null  []bool
	err   error
}

func (s *sum128State) reset() { s.sum, s.n = decimal128.Num{}, 0 }
func (s *sum128State) add(i int) {
	if s.valid(i) {
		s.sum = s.sum.Add(s.vals[i])
		s.n++
	}
}
func (s *sum128State) remove(i int) {
	if s.valid(i) {
		s.sum = s.sum.Sub(s.vals[i])
		s.n--
	}
}
func (s *sum128State) result() {
	if s.n == 0 {
		s.res = append(s.res, decimal128.Num{})
		s.null = append(s.null, true)
		return
	}
	v := s.sum
	if s.avg {
		v = divRound(v, s.n, s.shift)
	} else if v.Greater(maxNumeric) || v.Less(maxNumeric.Negate()) {
		s.err = sqlerr.New(sqlerr.NumericValueOutOfRange, "numeric field overflow")
	}
	s.res = append(s.res, v)
	s.null = append(s.null, false)
}
func (s *sum128State) build(alloc memory.Allocator) (arrow.Array, error) {
	if s.err != nil {
		return nil, s.err
	}
	return fixedArray(alloc, s.out, s.res, s.null), nil
}

var pow10u = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < 20; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// divRound returns sum*10^shift / count rounded half away from zero, as
// PostgreSQL rounds numeric quotients.
func divRound(sum decimal128.Num, count int64, shift int32) decimal128.Num {
	hi, lo := sum.HighBits(), sum.LowBits()
	if ((hi == 0 && lo>>63 == 0) || (hi == -1 && lo>>63 == 1)) && shift >= 0 && shift < 19 {
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
	return decimal128.FromBigInt(ratRound(sum.BigInt(), big.NewInt(count), shift))
}

// ratRound returns num*10^shift/den rounded half away from zero.
func ratRound(num, den *big.Int, shift int32) *big.Int {
	num = new(big.Int).Set(num)
	den = new(big.Int).Set(den)
	ten := big.NewInt(10)
	if shift >= 0 {
		num.Mul(num, new(big.Int).Exp(ten, big.NewInt(int64(shift)), nil))
	} else {
		den.Mul(den, new(big.Int).Exp(ten, big.NewInt(int64(-shift)), nil))
	}
	neg := (num.Sign() < 0) != (den.Sign() < 0)
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
	return q
}

// ---- float sums and averages (PostgreSQL restarts these: no inverse) ----

type floatState struct {
	vals  []float64
	valid func(int) bool
	out   arrow.DataType
	sum   bool
	s32   float32 // sum(real) accumulates in single precision, like float4pl
	s64   float64
	n     int64
	res   []float64
	null  []bool
}

func (s *floatState) reset() { s.s32, s.s64, s.n = 0, 0, 0 }
func (s *floatState) add(i int) {
	if s.valid(i) {
		s.s32 += float32(s.vals[i])
		s.s64 += s.vals[i]
		s.n++
	}
}
func (s *floatState) result() {
	v := s.s64
	switch {
	case s.n == 0:
		v = 0
	case !s.sum:
		v = s.s64 / float64(s.n)
	case s.out.ID() == arrow.FLOAT32:
		v = float64(s.s32)
	}
	s.res = append(s.res, v)
	s.null = append(s.null, s.n == 0)
}
func (s *floatState) build(alloc memory.Allocator) (arrow.Array, error) {
	if s.out.ID() == arrow.FLOAT32 {
		v := make([]float32, len(s.res))
		for i, x := range s.res {
			v[i] = float32(x)
		}
		return fixedArray(alloc, s.out, v, s.null), nil
	}
	return fixedArray(alloc, s.out, s.res, s.null), nil
}

// ---- min / max: a monotonic deque of row indexes ----

type minMaxState struct {
	col   arrow.Array
	valid func(int) bool
	less  func(i, j int) bool
	isMax bool
	dq    []int32
	head  int
	idx   []int32
}

func (s *minMaxState) reset() { s.dq, s.head = s.dq[:0], 0 }
func (s *minMaxState) add(i int) {
	if s.less == nil || !s.valid(i) {
		return
	}
	// Drop rows the new one beats: they can never be the answer again
	// while the new row is in the frame, and it leaves after them.
	for len(s.dq) > s.head {
		b := int(s.dq[len(s.dq)-1])
		if (s.isMax && s.less(i, b)) || (!s.isMax && s.less(b, i)) {
			break
		}
		s.dq = s.dq[:len(s.dq)-1]
	}
	if s.head > 4096 && s.head > len(s.dq)/2 {
		s.dq = s.dq[:copy(s.dq, s.dq[s.head:])]
		s.head = 0
	}
	s.dq = append(s.dq, int32(i))
}
func (s *minMaxState) removeOldest(i int) {
	if len(s.dq) > s.head && int(s.dq[s.head]) == i {
		s.head++
	}
}
func (s *minMaxState) result() {
	if len(s.dq) > s.head {
		s.idx = append(s.idx, s.dq[s.head])
	} else {
		s.idx = append(s.idx, -1)
	}
}
func (s *minMaxState) build(alloc memory.Allocator) (arrow.Array, error) {
	return take2(alloc, s.col, nil, s.idx)
}

// ---- bool_and / bool_or: counts of true and false inputs ----

type boolState struct {
	col       *array.Boolean
	valid     func(int) bool
	and       bool
	nt, nf    int64
	res, null []bool
}

func (s *boolState) reset() { s.nt, s.nf = 0, 0 }
func (s *boolState) add(i int) {
	if s.valid(i) {
		if s.col.Value(i) {
			s.nt++
		} else {
			s.nf++
		}
	}
}
func (s *boolState) remove(i int) {
	if s.valid(i) {
		if s.col.Value(i) {
			s.nt--
		} else {
			s.nf--
		}
	}
}
func (s *boolState) result() {
	if s.and {
		s.res = append(s.res, s.nf == 0)
	} else {
		s.res = append(s.res, s.nt > 0)
	}
	s.null = append(s.null, s.nt+s.nf == 0)
}
func (s *boolState) build(alloc memory.Allocator) (arrow.Array, error) {
	return boolArray(alloc, s.res, s.null), nil
}

// ---- variance and standard deviation ----

// varExactState keeps exact sums of x and x² for integer and numeric input,
// so rows can be removed without error.
type varExactState struct {
	vals    []decimal128.Num
	valid   func(int) bool
	inScale int32
	out     arrow.DataType
	pop     bool
	sqrt    bool
	n       int64
	sx, sxx big.Int
	tmp     big.Int
	x       big.Int
	res     []decimal128.Num
	null    []bool
}

func newVarExact(name string, vals []decimal128.Num, valid func(int) bool, inScale int32, out arrow.DataType) *varExactState {
	return &varExactState{vals: vals, valid: valid, inScale: inScale, out: out,
		pop: name == "var_pop" || name == "stddev_pop", sqrt: name == "stddev" || name == "stddev_samp" || name == "stddev_pop"}
}

func (s *varExactState) reset() { s.n = 0; s.sx.SetInt64(0); s.sxx.SetInt64(0) }
func (s *varExactState) setX(i int) {
	v := s.vals[i]
	if v.HighBits() == 0 && v.LowBits()>>63 == 0 || v.HighBits() == -1 && v.LowBits()>>63 == 1 {
		s.x.SetInt64(int64(v.LowBits()))
	} else {
		s.x.Set(v.BigInt())
	}
}
func (s *varExactState) add(i int) {
	if !s.valid(i) {
		return
	}
	s.setX(i)
	s.n++
	s.sx.Add(&s.sx, &s.x)
	s.sxx.Add(&s.sxx, s.tmp.Mul(&s.x, &s.x))
}
func (s *varExactState) remove(i int) {
	if !s.valid(i) {
		return
	}
	s.setX(i)
	s.n--
	s.sx.Sub(&s.sx, &s.x)
	s.sxx.Sub(&s.sxx, s.tmp.Mul(&s.x, &s.x))
}
func (s *varExactState) result() {
	if s.n == 0 || (!s.pop && s.n == 1) {
		s.res = append(s.res, decimal128.Num{})
		s.null = append(s.null, true)
		return
	}
	// var = (n*Sxx - Sx²) / (n*n) or / (n*(n-1)), at scale 2*inScale.
	n := big.NewInt(s.n)
	num := new(big.Int).Mul(n, &s.sxx)
	num.Sub(num, new(big.Int).Mul(&s.sx, &s.sx))
	den := new(big.Int).Set(n)
	if s.pop {
		den.Mul(den, n)
	} else {
		den.Mul(den, big.NewInt(s.n-1))
	}
	scale := s.out.(*arrow.Decimal128Type).Scale
	var q *big.Int
	if !s.sqrt {
		q = ratRound(num, den, scale-2*s.inScale)
	} else {
		// sqrt(num/den / 10^(2 inScale)) at scale+1 digits, then rounded.
		t := ratFloor(num, den, 2*(scale+1)-2*s.inScale)
		r := new(big.Int).Sqrt(t)
		q = r.Add(r, big.NewInt(5))
		q.Quo(q, big.NewInt(10))
	}
	s.res = append(s.res, decimal128.FromBigInt(q))
	s.null = append(s.null, false)
}
func (s *varExactState) build(alloc memory.Allocator) (arrow.Array, error) {
	return fixedArray(alloc, s.out, s.res, s.null), nil
}

// ratFloor returns floor(num*10^shift/den) for non-negative num, den.
func ratFloor(num, den *big.Int, shift int32) *big.Int {
	num = new(big.Int).Set(num)
	den = new(big.Int).Set(den)
	ten := big.NewInt(10)
	if shift >= 0 {
		num.Mul(num, new(big.Int).Exp(ten, big.NewInt(int64(shift)), nil))
	} else {
		den.Mul(den, new(big.Int).Exp(ten, big.NewInt(int64(-shift)), nil))
	}
	if num.Sign() < 0 {
		return big.NewInt(0)
	}
	return num.Quo(num, den)
}

// varFloatState is PostgreSQL's float8_accum (Youngs-Cramer), step for
// step, so results round the same way.
type varFloatState struct {
	vals       []float64
	valid      func(int) bool
	fn         string
	n, sx, sxx float64
	res        []float64
	null       []bool
}

func (s *varFloatState) reset() { s.n, s.sx, s.sxx = 0, 0, 0 }
func (s *varFloatState) add(i int) {
	if !s.valid(i) {
		return
	}
	x := s.vals[i]
	oldN := s.n
	s.n++
	s.sx += x
	if oldN > 0 {
		tmp := x*s.n - s.sx
		s.sxx += tmp * tmp / (s.n * oldN)
		if math.IsInf(s.sx, 0) || math.IsInf(s.sxx, 0) {
			s.sxx = math.NaN()
		}
	} else if math.IsNaN(x) || math.IsInf(x, 0) {
		s.sxx = math.NaN()
	}
}
func (s *varFloatState) result() {
	pop := s.fn == "var_pop" || s.fn == "stddev_pop"
	if s.n == 0 || (!pop && s.n == 1) {
		s.res = append(s.res, 0)
		s.null = append(s.null, true)
		return
	}
	var v float64
	if pop {
		v = s.sxx / s.n
	} else {
		v = s.sxx / (s.n - 1)
	}
	if s.fn == "stddev" || s.fn == "stddev_samp" || s.fn == "stddev_pop" {
		v = math.Sqrt(v)
	}
	s.res = append(s.res, v)
	s.null = append(s.null, false)
}
func (s *varFloatState) build(alloc memory.Allocator) (arrow.Array, error) {
	return fixedArray(alloc, arrow.PrimitiveTypes.Float64, s.res, s.null), nil
}

// ---- string_agg ----

type stringAggState struct {
	val, delim     arrow.Array
	dt             arrow.DataType
	vvalid, dvalid func(int) bool
	cur            []byte
	any            bool
	offs           []int32
	data           []byte
	null           []bool
}

func (s *stringAggState) reset() { s.cur, s.any = s.cur[:0], false }
func (s *stringAggState) add(i int) {
	if !s.vvalid(i) {
		return
	}
	vo, vd := binaryValues(s.val)
	if s.any && s.dvalid(i) {
		do, dd := binaryValues(s.delim)
		s.cur = append(s.cur, dd[do[i]:do[i+1]]...)
	}
	s.cur = append(s.cur, vd[vo[i]:vo[i+1]]...)
	s.any = true
}
func (s *stringAggState) result() {
	s.offs = append(s.offs, int32(len(s.data)))
	if len(s.data)+len(s.cur) > math.MaxInt32 {
		s.null = nil // build reports the overflow
		s.data = nil
		return
	}
	s.data = append(s.data, s.cur...)
	s.null = append(s.null, !s.any)
}
func (s *stringAggState) build(alloc memory.Allocator) (arrow.Array, error) {
	if len(s.null) != len(s.offs) {
		return nil, sqlerr.New(sqlerr.ProgramLimitExceeded, "string_agg results exceed 2 GB in one batch")
	}
	n := len(s.offs)
	b := array.NewBinaryBuilder(alloc, s.dt.(arrow.BinaryDataType))
	defer b.Release()
	b.ReserveData(len(s.data))
	b.Reserve(n)
	for k := 0; k < n; k++ {
		if s.null[k] {
			b.AppendNull()
			continue
		}
		end := int32(len(s.data))
		if k+1 < n {
			end = s.offs[k+1]
		}
		b.Append(s.data[s.offs[k]:end])
	}
	return b.NewArray(), nil
}
