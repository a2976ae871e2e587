package window

import (
	"math"
	"math/bits"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/sql/types"
)

// chunk is a run of whole partitions in window order, with the partition
// and peer-group structure every function needs.
type chunk struct {
	cols    []arrow.Array
	n       int
	orderBy []ops.SortKey
	// parts[p] is the first row of partition p; parts[len-1] == n.
	parts []int32
	// grp[i] is row i's peer group (rows equal on the ORDER BY keys within
	// a partition); grpStart[g] is the first row of group g, with a final
	// entry n. Groups never span partitions.
	grp      []int32
	grpStart []int32
	// partGrp[p] is the first group of partition p, with a final entry of
	// the number of groups.
	partGrp []int32
}

func newChunk(cols []arrow.Array, n int, partitionBy []int, orderBy []ops.SortKey) *chunk {
	ch := &chunk{cols: cols, n: n, orderBy: orderBy}
	brk := make([]bool, n)
	for _, c := range partitionBy {
		markBreaks(cols[c], brk)
	}
	ch.parts = append(ch.parts, 0)
	for i := 1; i < n; i++ {
		if brk[i] {
			ch.parts = append(ch.parts, int32(i))
		}
	}
	if n == 0 {
		ch.parts = ch.parts[:0]
	}
	for _, k := range orderBy {
		markBreaks(cols[k.Col], brk)
	}
	ch.grp = make([]int32, n)
	g := int32(-1)
	p := 0
	for i := 0; i < n; i++ {
		if p < len(ch.parts) && int(ch.parts[p]) == i {
			ch.partGrp = append(ch.partGrp, g+1)
			p++
			g++
			ch.grpStart = append(ch.grpStart, int32(i))
		} else if brk[i] {
			g++
			ch.grpStart = append(ch.grpStart, int32(i))
		}
		ch.grp[i] = g
	}
	ch.parts = append(ch.parts, int32(n))
	ch.grpStart = append(ch.grpStart, int32(n))
	ch.partGrp = append(ch.partGrp, g+1)
	return ch
}

// numParts is the number of partitions in the chunk.
func (ch *chunk) numParts() int { return len(ch.parts) - 1 }

// frames holds each row's frame [start, end) (end may be below start: an
// empty frame) and the frame's EXCLUDE clause.
type frames struct {
	start, end []int32
	exclude    Exclude
}

// excluded returns the rows EXCLUDE removes for row i as [xs, xe), and
// whether row i itself stays (EXCLUDE TIES).
func (ch *chunk) excluded(ex Exclude, i int) (xs, xe int, keepCur bool) {
	switch ex {
	case ExcludeCurrentRow:
		return i, i + 1, false
	case ExcludeGroup:
		g := ch.grp[i]
		return int(ch.grpStart[g]), int(ch.grpStart[g+1]), false
	case ExcludeTies:
		g := ch.grp[i]
		return int(ch.grpStart[g]), int(ch.grpStart[g+1]), true
	}
	return i, i, false
}

// segments returns row i's frame as at most three ordered row ranges:
// [a0,a1), the current row if cur, and [b0,b1).
func (ch *chunk) segments(fr *frames, i int) (a0, a1 int, cur bool, b0, b1 int) {
	s, e := int(fr.start[i]), int(fr.end[i])
	if e < s {
		e = s
	}
	if fr.exclude == ExcludeNoOthers {
		return s, e, false, e, e
	}
	xs, xe, keep := ch.excluded(fr.exclude, i)
	a0, a1 = s, min(e, xs)
	if a1 < a0 {
		a1 = a0
	}
	b0, b1 = max(s, xe), e
	if b1 < b0 {
		b0 = b1
	}
	cur = keep && i >= s && i < e
	return
}

func clampAdd(i int, n int64, lo, hi int) int {
	v := int64(i) + n
	if n > 0 && v < int64(i) { // overflow
		return hi
	}
	if v < int64(lo) {
		return lo
	}
	if v > int64(hi) {
		return hi
	}
	return int(v)
}

// computeFrames computes every row's frame under fr.
func (ch *chunk) computeFrames(fr Frame, rk *rangeKey) *frames {
	out := &frames{start: make([]int32, ch.n), end: make([]int32, ch.n), exclude: fr.Exclude}
	for p := 0; p < ch.numParts(); p++ {
		ps, pe := int(ch.parts[p]), int(ch.parts[p+1])
		ch.bound(fr.Mode, fr.Start, true, p, ps, pe, rk, out.start)
		ch.bound(fr.Mode, fr.End, false, p, ps, pe, rk, out.end)
	}
	return out
}

// bound fills dst[ps:pe] with one end of each row's frame: for the start
// the first row in the frame, for the end one past the last.
func (ch *chunk) bound(mode FrameMode, b Bound, isStart bool, p, ps, pe int, rk *rangeKey, dst []int32) {
	g0, gEnd := int(ch.partGrp[p]), int(ch.partGrp[p+1]) // groups of the partition: [g0, gEnd)
	switch b.Kind {
	case UnboundedPreceding:
		for i := ps; i < pe; i++ {
			dst[i] = int32(ps)
		}
		return
	case UnboundedFollowing:
		for i := ps; i < pe; i++ {
			dst[i] = int32(pe)
		}
		return
	case CurrentRow:
		for i := ps; i < pe; i++ {
			switch {
			case mode == Rows && isStart:
				dst[i] = int32(i)
			case mode == Rows:
				dst[i] = int32(i + 1)
			case isStart:
				dst[i] = ch.grpStart[ch.grp[i]]
			default:
				dst[i] = ch.grpStart[ch.grp[i]+1]
			}
		}
		return
	}
	if mode == Range {
		rk.search(ch, b, isStart, ps, pe, dst)
		return
	}
	n := b.Offset.(int64)
	if b.Kind == Preceding {
		n = -n
	}
	for i := ps; i < pe; i++ {
		if mode == Rows {
			if isStart {
				dst[i] = int32(clampAdd(i, n, ps, pe))
			} else {
				dst[i] = int32(clampAdd(i+1, n, ps, pe))
			}
			continue
		}
		// GROUPS: count peer groups instead of rows.
		g := int(ch.grp[i])
		if isStart {
			dst[i] = ch.grpStart[clampAdd(g, n, g0, gEnd)]
		} else {
			dst[i] = ch.grpStart[clampAdd(g+1, n, g0, gEnd)]
		}
	}
}

// rangeKey is the ORDER BY key of a RANGE frame with offsets, in a form the
// offset can be added to: integers and date/time values as int64
// (dates as microseconds), floats as float64, numerics as decimal128.
type rangeKey struct {
	col   arrow.Array
	desc  bool
	kind  arrow.Type
	ints  []int64
	flts  []float64
	decs  []decimal128.Num
	valid func(i int) bool
}

func newRangeKey(col arrow.Array, key ops.SortKey) *rangeKey {
	rk := &rangeKey{col: col, desc: key.Desc, kind: col.DataType().ID()}
	bm, off := validity(col)
	rk.valid = func(i int) bool { return isValid(bm, off, i) }
	n := col.Len()
	switch rk.kind {
	case arrow.INT16:
		rk.ints = make([]int64, n)
		for i, v := range fixedValues[int16](col) {
			rk.ints[i] = int64(v)
		}
	case arrow.INT32:
		rk.ints = make([]int64, n)
		for i, v := range fixedValues[int32](col) {
			rk.ints[i] = int64(v)
		}
	case arrow.DATE32:
		rk.ints = make([]int64, n)
		for i, v := range fixedValues[int32](col) {
			rk.ints[i] = int64(v) * usecsPerDay
		}
	case arrow.INT64, arrow.TIME64, arrow.TIMESTAMP:
		rk.ints = fixedValues[int64](col)
	case arrow.FLOAT32:
		rk.flts = make([]float64, n)
		for i, v := range fixedValues[float32](col) {
			rk.flts[i] = float64(v)
		}
	case arrow.FLOAT64:
		rk.flts = fixedValues[float64](col)
	case arrow.DECIMAL128:
		rk.decs = fixedValues[decimal128.Num](col)
	}
	return rk
}

// Outcomes of adding an offset to a key value, in the key's ascending order.
const (
	shiftOK     = iota
	shiftBelow  // below every value (underflow)
	shiftAbove  // above every value (overflow)
	shiftAlways // PostgreSQL's in_range is true for every row (inf - inf)
)

// search fills dst[ps:pe] for a RANGE offset bound. Rows whose key is NULL
// frame exactly their NULL peers; for other rows NULL keys lie beyond either
// end, so the search runs over the partition's non-NULL rows only.
func (rk *rangeKey) search(ch *chunk, b Bound, isStart bool, ps, pe int, dst []int32) {
	nnS, nnE := ps, pe
	for nnS < pe && !rk.valid(nnS) {
		nnS++
	}
	if nnS == pe { // all NULL
		nnS, nnE = pe, pe
	}
	for nnE > nnS && !rk.valid(nnE-1) {
		nnE--
	}
	// add: PRECEDING moves against the sort direction, FOLLOWING with it.
	sub := (b.Kind == Preceding) != rk.desc
	ptr := nnS
	for i := ps; i < pe; i++ {
		if !rk.valid(i) {
			// NULL current row: its frame is the NULL peer group.
			if isStart {
				dst[i] = ch.grpStart[ch.grp[i]]
			} else {
				dst[i] = ch.grpStart[ch.grp[i]+1]
			}
			continue
		}
		// before(r) reports whether row r's key lies before the bound in
		// the window's order (for the start) or before-or-at it (end).
		var cmp func(r int) int
		outcome := shiftOK
		switch {
		case rk.ints != nil:
			bv, o := rk.shiftInt(rk.ints[i], b.Offset, sub)
			outcome = o
			cmp = func(r int) int { return cmpInt(rk.ints[r], bv) }
		case rk.flts != nil:
			bv, o := shiftFloat(rk.flts[i], b.Offset.(float64), sub)
			outcome = o
			cmp = func(r int) int { return floatCmp(rk.flts[r], bv) }
		default:
			bv, o := shiftDec(rk.decs[i], b.Offset.(decimal128.Num), sub)
			outcome = o
			cmp = func(r int) int { return rk.decs[r].Cmp(bv) }
		}
		if rk.desc {
			switch outcome {
			case shiftBelow:
				outcome = shiftAbove
			case shiftAbove:
				outcome = shiftBelow
			}
		}
		switch outcome {
		case shiftBelow:
			dst[i] = int32(nnS)
			continue
		case shiftAbove:
			dst[i] = int32(nnE)
			continue
		case shiftAlways:
			if isStart {
				dst[i] = int32(nnS)
			} else {
				dst[i] = int32(nnE)
			}
			continue
		}
		if ptr < nnS {
			ptr = nnS
		}
		for ptr < nnE {
			c := cmp(ptr)
			if rk.desc {
				c = -c
			}
			if c < 0 || (!isStart && c == 0) {
				ptr++
				continue
			}
			break
		}
		dst[i] = int32(ptr)
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// shiftInt adds (or subtracts) the offset to an integer or date/time key.
func (rk *rangeKey) shiftInt(v int64, off any, sub bool) (int64, int) {
	switch rk.kind {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		d := off.(int64)
		if sub {
			r, borrow := bits.Sub64(uint64(v), uint64(d), 0)
			_ = borrow
			res := int64(r)
			// Signed overflow: operands of different signs and a result
			// whose sign differs from v's.
			if (v >= 0) != (d >= 0) && (res >= 0) != (v >= 0) {
				return 0, shiftBelow
			}
			return res, shiftOK
		}
		res := v + d
		if (v >= 0) == (d >= 0) && (res >= 0) != (v >= 0) {
			return 0, shiftAbove
		}
		return res, shiftOK
	case arrow.TIME64:
		iv := off.(types.IntervalValue)
		if sub {
			return v - iv.Micros, shiftOK
		}
		return v + iv.Micros, shiftOK
	}
	iv := off.(types.IntervalValue)
	if sub {
		iv = types.IntervalValue{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}
	}
	return addInterval(v, iv), shiftOK
}

// addInterval adds an interval to a timestamp in microseconds the way
// PostgreSQL's timestamp + interval does: months first (clamping the day to
// the month's length), then days, then the time part.
func addInterval(ts int64, iv types.IntervalValue) int64 {
	t := time.UnixMicro(ts).UTC()
	if iv.Months != 0 {
		y, m, d := t.Date()
		total := int(m) - 1 + int(iv.Months)
		y += floorDiv(total, 12)
		mm := time.Month(total - floorDiv(total, 12)*12 + 1)
		if dim := daysIn(y, mm); d > dim {
			d = dim
		}
		t = time.Date(y, mm, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	}
	if iv.Days != 0 {
		t = t.AddDate(0, 0, int(iv.Days))
	}
	return t.UnixMicro() + iv.Micros
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func shiftFloat(v, off float64, sub bool) (float64, int) {
	// PostgreSQL: when base and offset are infinite and the sum would be
	// NaN, in_range is true for every row.
	if math.IsInf(off, 0) && math.IsInf(v, 0) && (sub == (v > 0)) {
		return 0, shiftAlways
	}
	if sub {
		return v - off, shiftOK
	}
	return v + off, shiftOK
}

func shiftDec(v, off decimal128.Num, sub bool) (decimal128.Num, int) {
	if sub {
		off = off.Negate()
	}
	r := v.Add(off)
	vs, os, rs := v.Sign() < 0, off.Sign() < 0, r.Sign() < 0
	if vs == os && rs != vs {
		if vs {
			return r, shiftBelow
		}
		return r, shiftAbove
	}
	return r, shiftOK
}
