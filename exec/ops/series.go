package ops

import (
	"context"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// GenerateSeries is generate_series(start, stop[, step]) in FROM: one
// column named "generate_series" of type t, produced in batches of
// exec.BatchSize, so a LIMIT above it stops an endless series early.
//
// PostgreSQL's semantics:
//   - int4, int8, numeric: start, start+step, ... while <= stop (>= stop
//     for a negative step); empty when start is already past stop. Integer
//     series end quietly where the next value would overflow.
//   - timestamp, timestamptz with an interval step: each value is the
//     previous one plus step (so Jan 31 + 1 month is Feb 29, then Mar 29),
//     with the step's direction taken from comparing it to a zero interval
//     (30-day months, 24-hour days). Time zone: timestamptz arithmetic is
//     in UTC, as everywhere in the engine.
//   - a NULL argument (nil) gives no rows; a zero step fails with 22023
//     "step size cannot equal zero" when the series starts.
type GenerateSeries struct {
	t                 types.T
	schema            *arrow.Schema
	alloc             memory.Allocator
	start, stop, step any

	started bool
	done    bool
	// current value, by kind
	i64  int64
	dec  decimal128.Num
	out  arrow.RecordBatch
	sign int
}

var _ exec.Operator = (*GenerateSeries)(nil)

// NewGenerateSeries builds the generator. Values use expr.Const's
// representation: int64 for int4/int8 (an int4 series needs int4 bounds),
// decimal128.Num unscaled at t.Scale for numeric (the binder picks t's
// scale as max(start's, step's), PostgreSQL's display scale of the values),
// int64 microseconds for timestamp/timestamptz with a types.IntervalValue
// step. The two-argument form passes step int64(1) (or 1 at t.Scale); nil
// is SQL NULL.
func NewGenerateSeries(start, stop, step any, t types.T, alloc memory.Allocator) (*GenerateSeries, error) {
	g := &GenerateSeries{t: t, alloc: alloc, start: start, stop: stop, step: step}
	g.schema = arrow.NewSchema([]arrow.Field{{Name: "generate_series", Type: t.Arrow(), Nullable: false}}, nil)
	typeOK := func(v any, want func(any) bool) bool { return v == nil || want(v) }
	isInt := func(v any) bool { _, ok := v.(int64); return ok }
	isDec := func(v any) bool { _, ok := v.(decimal128.Num); return ok }
	isIv := func(v any) bool { _, ok := v.(types.IntervalValue); return ok }
	var ok bool
	switch t.Kind {
	case types.Int32, types.Int64:
		ok = typeOK(start, isInt) && typeOK(stop, isInt) && typeOK(step, isInt)
		if ok && t.Kind == types.Int32 {
			for _, v := range []any{start, stop, step} {
				if x, isI := v.(int64); isI && x != int64(int32(x)) {
					return nil, internalErr("int4 generate_series argument %d out of range", x)
				}
			}
		}
	case types.Numeric:
		ok = typeOK(start, isDec) && typeOK(stop, isDec) && typeOK(step, isDec)
	case types.Timestamp, types.TimestampTZ:
		ok = typeOK(start, isInt) && typeOK(stop, isInt) && typeOK(step, isIv)
	default:
		return nil, internalErr("generate_series over %s", t)
	}
	if !ok {
		return nil, internalErr("generate_series(%T, %T, %T) for %s", start, stop, step, t)
	}
	return g, nil
}

// Schema implements exec.Operator.
func (g *GenerateSeries) Schema() *arrow.Schema { return g.schema }

// Open implements exec.Operator.
func (g *GenerateSeries) Open(context.Context) error { return nil }

// Close implements exec.Operator.
func (g *GenerateSeries) Close() error {
	if g.out != nil {
		g.out.Release()
		g.out = nil
	}
	g.done = true
	return nil
}

func (g *GenerateSeries) begin() error {
	g.started = true
	if g.start == nil || g.stop == nil || g.step == nil {
		g.done = true
		return nil
	}
	stepZero := sqlerr.New(sqlerr.InvalidParameterValue, "step size cannot equal zero")
	switch g.t.Kind {
	case types.Int32, types.Int64:
		if g.step.(int64) == 0 {
			return stepZero
		}
		g.i64 = g.start.(int64)
	case types.Numeric:
		s := g.step.(decimal128.Num)
		if s.Sign() == 0 {
			return stepZero
		}
		g.dec = g.start.(decimal128.Num)
	default:
		iv := g.step.(types.IntervalValue)
		g.sign = intervalCmp(arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000}, arrow.MonthDayNanoInterval{})
		if g.sign == 0 {
			return stepZero
		}
		g.i64 = g.start.(int64)
		if g.i64 == pgtext.TimestampNoBegin || g.i64 == pgtext.TimestampNoEnd {
			return sqlerr.New(sqlerr.InvalidParameterValue, "start value cannot be infinity")
		}
	}
	return nil
}

// Next implements exec.Operator.
func (g *GenerateSeries) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if g.out != nil {
		g.out.Release()
		g.out = nil
	}
	if !g.started {
		if err := g.begin(); err != nil {
			return nil, err
		}
	}
	if g.done {
		return nil, io.EOF
	}
	var col arrow.Array
	var n int
	var err error
	switch g.t.Kind {
	case types.Int32:
		vals := intSeries(g, int32(g.stop.(int64)), int32(g.step.(int64)), math.MinInt32, math.MaxInt32)
		n, col = len(vals), fixedArray(g.alloc, g.schema.Field(0).Type, vals, nil)
	case types.Int64:
		vals := intSeries(g, g.stop.(int64), g.step.(int64), math.MinInt64, math.MaxInt64)
		n, col = len(vals), fixedArray(g.alloc, g.schema.Field(0).Type, vals, nil)
	case types.Numeric:
		vals := g.numericSeries()
		n, col = len(vals), fixedArray(g.alloc, g.schema.Field(0).Type, vals, nil)
	default:
		var vals []int64
		vals, err = g.timestampSeries()
		n, col = len(vals), fixedArray(g.alloc, g.schema.Field(0).Type, vals, nil)
	}
	if err != nil {
		col.Release()
		return nil, err
	}
	if n == 0 {
		col.Release()
		g.done = true
		return nil, io.EOF
	}
	g.out = newBatch(g.schema, []arrow.Array{col}, n)
	return g.out, nil
}

// intSeries produces the next batch of an integer series; the current
// value lives in g.i64. Where the next value would overflow the series
// ends (generate_series_step_int4 sets its step to 0 there).
func intSeries[T int32 | int64](g *GenerateSeries, stop, step T, lo, hi int64) []T {
	vals := make([]T, 0, exec.BatchSize)
	cur := T(g.i64)
	for len(vals) < exec.BatchSize {
		if (step > 0 && cur > stop) || (step < 0 && cur < stop) {
			g.done = true
			break
		}
		vals = append(vals, cur)
		if overflowAdd(int64(cur), int64(step), lo, hi) {
			g.done = true
			break
		}
		cur += step
	}
	g.i64 = int64(cur)
	return vals
}

// overflowAdd reports whether a+b leaves [lo, hi] (or overflows int64).
func overflowAdd(a, b, lo, hi int64) bool {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return true
	}
	return s < lo || s > hi
}

func (g *GenerateSeries) numericSeries() []decimal128.Num {
	stop, step := g.stop.(decimal128.Num), g.step.(decimal128.Num)
	pos := step.Sign() > 0
	vals := make([]decimal128.Num, 0, exec.BatchSize)
	cur := g.dec
	for len(vals) < exec.BatchSize {
		if (pos && cur.Greater(stop)) || (!pos && cur.Less(stop)) {
			g.done = true
			break
		}
		vals = append(vals, cur)
		next := cur.Add(step)
		// Past the largest numeric(38) value the series cannot continue
		// (and the 128-bit sum may wrap); stop was within range, so it has
		// been passed.
		if next.Greater(maxNumeric) || next.Less(maxNumeric.Negate()) || (pos && next.Less(cur)) || (!pos && next.Greater(cur)) {
			g.done = true
			break
		}
		cur = next
	}
	g.dec = cur
	return vals
}

func (g *GenerateSeries) timestampSeries() ([]int64, error) {
	stop := g.stop.(int64)
	step := g.step.(types.IntervalValue)
	vals := make([]int64, 0, exec.BatchSize)
	cur := g.i64
	for len(vals) < exec.BatchSize {
		if (g.sign > 0 && cur > stop) || (g.sign < 0 && cur < stop) {
			g.done = true
			break
		}
		vals = append(vals, cur)
		next, ok := tsAddInterval(cur, step)
		if !ok {
			return vals, sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range")
		}
		cur = next
	}
	g.i64 = cur
	return vals, nil
}

const usPerDay = 86400 * 1_000_000

// tsAddInterval is timestamp + interval as PostgreSQL computes it: months
// first (clamping the day to the month's length), then days, then time.
func tsAddInterval(ts int64, v types.IntervalValue) (int64, bool) {
	if v.Months != 0 {
		days := ts / usPerDay
		tod := ts % usPerDay
		if tod < 0 {
			days--
			tod += usPerDay
		}
		y, m, d := pgtext.CivilFromDays(days)
		total := y*12 + int64(m-1) + int64(v.Months)
		ny := total / 12
		if total%12 < 0 {
			ny--
		}
		nm := int(total-ny*12) + 1
		if dim := pgtext.DaysInMonth(ny, nm); d > dim {
			d = dim
		}
		nd := pgtext.DaysFromCivil(ny, nm, d)
		if nd > math.MaxInt64/usPerDay-1 || nd < math.MinInt64/usPerDay+1 {
			return 0, false
		}
		ts = nd*usPerDay + tod
	}
	d := int64(v.Days) * usPerDay
	s := ts + d
	if (d > 0 && s < ts) || (d < 0 && s > ts) {
		return 0, false
	}
	r := s + v.Micros
	if (v.Micros > 0 && r < s) || (v.Micros < 0 && r > s) {
		return 0, false
	}
	return r, true
}
