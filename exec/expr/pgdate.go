package expr

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

const usPerDayI = pgtext.MicrosPerDay

// clockMicros checks and combines h:m:s as make_time/make_timestamp do.
func clockMicros(h, m int64, s float64) (int64, bool) {
	if h < 0 || h > 24 || m < 0 || m > 59 || s < 0 || s > 60 || math.IsNaN(s) {
		return 0, false
	}
	us := h*pgtext.MicrosPerHour + m*pgtext.MicrosPerMinute + int64(math.RoundToEven(s*1e6))
	return us, us <= usPerDayI
}

func fmtSec(s float64) string { return string(pgtext.AppendFloat64(nil, s)) }

// civilDays checks y-m-d (y < 0 is BC, there is no year 0).
func civilDays(y, m, d int64) (int64, bool) {
	if y == 0 || m < 1 || m > 12 || d < 1 {
		return 0, false
	}
	if y < 0 {
		y++
	}
	if d > int64(pgtext.DaysInMonth(y, int(m))) {
		return 0, false
	}
	return pgtext.DaysFromCivil(y, int(m), int(d)), true
}

// tmFields is a timestamp broken into PostgreSQL's struct pg_tm fields.
type tmFields struct {
	year, mon, mday, hour, min, sec, usec int64
}

func splitTS(ts int64) tmFields {
	days, us := floorDivMod(ts, usPerDayI)
	y, m, d := pgtext.CivilFromDays(days)
	return tmFields{year: y, mon: int64(m), mday: int64(d), hour: us / pgtext.MicrosPerHour,
		min: us / pgtext.MicrosPerMinute % 60, sec: us / pgtext.MicrosPerSecond % 60, usec: us % pgtext.MicrosPerSecond}
}

// age is PostgreSQL's timestamp_age: a field-by-field difference, borrowing
// from the next larger field, months borrowing the length of the month of
// the earlier operand.
func age(t1, t2 int64) types.IntervalValue {
	a, b := splitTS(t1), splitTS(t2)
	f := tmFields{a.year - b.year, a.mon - b.mon, a.mday - b.mday, a.hour - b.hour, a.min - b.min, a.sec - b.sec, a.usec - b.usec}
	neg := t1 < t2
	if neg {
		f = tmFields{-f.year, -f.mon, -f.mday, -f.hour, -f.min, -f.sec, -f.usec}
	}
	for f.usec < 0 {
		f.usec += 1e6
		f.sec--
	}
	for f.sec < 0 {
		f.sec += 60
		f.min--
	}
	for f.min < 0 {
		f.min += 60
		f.hour--
	}
	for f.hour < 0 {
		f.hour += 24
		f.mday--
	}
	for f.mday < 0 {
		ref := b
		if neg {
			ref = a
		}
		f.mday += int64(pgtext.DaysInMonth(ref.year, int(ref.mon)))
		f.mon--
	}
	for f.mon < 0 {
		f.mon += 12
		f.year--
	}
	if neg {
		f = tmFields{-f.year, -f.mon, -f.mday, -f.hour, -f.min, -f.sec, -f.usec}
	}
	return types.IntervalValue{Months: int32(f.year*12 + f.mon), Days: int32(f.mday),
		Micros: f.hour*pgtext.MicrosPerHour + f.min*pgtext.MicrosPerMinute + f.sec*pgtext.MicrosPerSecond + f.usec}
}

func justifyHours(v types.IntervalValue) types.IntervalValue {
	v.Days += int32(v.Micros / usPerDayI)
	v.Micros %= usPerDayI
	if v.Days > 0 && v.Micros < 0 {
		v.Micros += usPerDayI
		v.Days--
	} else if v.Days < 0 && v.Micros > 0 {
		v.Micros -= usPerDayI
		v.Days++
	}
	return v
}

func justifyDays(v types.IntervalValue) types.IntervalValue {
	v.Months += v.Days / 30
	v.Days %= 30
	if v.Months > 0 && v.Days < 0 {
		v.Days += 30
		v.Months--
	} else if v.Months < 0 && v.Days > 0 {
		v.Days -= 30
		v.Months++
	}
	return v
}

func justifyInterval(v types.IntervalValue) types.IntervalValue {
	v.Days += int32(v.Micros / usPerDayI)
	v.Micros %= usPerDayI
	v.Months += v.Days / 30
	v.Days %= 30
	if v.Months > 0 && (v.Days < 0 || v.Days == 0 && v.Micros < 0) {
		v.Days += 30
		v.Months--
	} else if v.Months < 0 && (v.Days > 0 || v.Days == 0 && v.Micros > 0) {
		v.Days -= 30
		v.Months++
	}
	if v.Days > 0 && v.Micros < 0 {
		v.Micros += usPerDayI
		v.Days--
	} else if v.Days < 0 && v.Micros > 0 {
		v.Micros -= usPerDayI
		v.Days++
	}
	return v
}

func tsOutOfRange() error {
	return sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range")
}

// ivMapNode applies an interval -> interval function over the typed slice.
type ivMapNode struct {
	arg node
	f   func(types.IntervalValue) types.IntervalValue
}

func (n *ivMapNode) typ() types.T  { return types.IntervalT }
func (n *ivMapNode) mayFail() bool { return n.arg.mayFail() }
func (n *ivMapNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	a, err := n.arg.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	rows := a.Len()
	valid, nulls := validity(ec.alloc, rows, a)
	buf, out := newFixed[arrow.MonthDayNanoInterval](ec.alloc, rows)
	for i, v := range values[arrow.MonthDayNanoInterval](a) {
		out[i] = ivArrow(n.f(ivOf(v)))
	}
	return finish(types.IntervalT.Arrow(), rows, buf, valid, nulls), nil
}

// compileDateMore builds the date/time constructors, age, justify_*,
// isfinite, date_bin and the to_char/to_date/to_timestamp family.
func compileDateMore(fn string, args []node, argT []types.T, t types.T) (node, bool, error) {
	row := func(strict, fails bool, f func(a rowArgs, i int, bld array.Builder) error) (node, bool, error) {
		return &rowNode{fn: fn, args: args, t: t, strict: strict, fails: fails, f: f}, true, nil
	}
	nargs := len(args)
	switch fn {
	case "justify_days", "justify_hours", "justify_interval":
		f := map[string]func(types.IntervalValue) types.IntervalValue{
			"justify_days": justifyDays, "justify_hours": justifyHours, "justify_interval": justifyInterval}[fn]
		return &ivMapNode{arg: args[0], f: f}, true, nil
	case "make_time":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			h, m, s := a.i64(0, i), a.i64(1, i), a.f64(2, i)
			us, ok := clockMicros(h, m, s)
			if !ok {
				return sqlerr.New(sqlerr.DatetimeFieldOverflow, "time field value out of range: %d:%02d:%s", h, m, fmtSec02(s))
			}
			bld.(*array.Time64Builder).Append(arrow.Time64(us))
			return nil
		})
	case "make_timestamp", "make_timestamptz":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			y, mo, d := a.i64(0, i), a.i64(1, i), a.i64(2, i)
			days, ok := civilDays(y, mo, d)
			if !ok {
				return sqlerr.New(sqlerr.DatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, mo, d)
			}
			h, m, s := a.i64(3, i), a.i64(4, i), a.f64(5, i)
			us, ok := clockMicros(h, m, s)
			if !ok {
				return sqlerr.New(sqlerr.DatetimeFieldOverflow, "time field value out of range: %d:%02d:%s", h, m, fmtSec02(s))
			}
			bld.(*array.TimestampBuilder).Append(arrow.Timestamp(days*usPerDayI + us))
			return nil
		})
	case "make_interval":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			var f [7]float64
			for k := 0; k < nargs; k++ {
				f[k] = a.f64(k, i)
			}
			mo := f[0]*12 + f[1]
			dy := f[2]*7 + f[3]
			us := math.RoundToEven((f[4]*3600 + f[5]*60 + f[6]) * 1e6)
			if math.Abs(mo) > math.MaxInt32 || math.Abs(dy) > math.MaxInt32 || math.IsNaN(us) || math.Abs(us) > 9.2e18 {
				return sqlerr.New(sqlerr.DatetimeFieldOverflow, "interval out of range")
			}
			bld.(*array.MonthDayNanoIntervalBuilder).Append(ivArrow(types.IntervalValue{Months: int32(mo), Days: int32(dy), Micros: int64(us)}))
			return nil
		})
	case "age":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			t1, t2 := a.ts(0, i), int64(0)
			if nargs == 2 {
				t2 = a.ts(1, i)
			} else {
				// age(ts) counts from midnight of the current date.
				t1, t2 = floorDiv(a.now, usPerDayI)*usPerDayI, t1
			}
			if isInfTS(t1) || isInfTS(t2) {
				return sqlerr.New(sqlerr.DatetimeFieldOverflow, "cannot subtract infinite timestamps")
			}
			bld.(*array.MonthDayNanoIntervalBuilder).Append(ivArrow(age(t1, t2)))
			return nil
		})
	case "isfinite":
		return &isFiniteNode{arg: args[0]}, true, nil
	case "date_bin":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			st := a.iv(0, i)
			if st.Months != 0 {
				return sqlerr.New(sqlerr.FeatureNotSupported, "timestamps cannot be binned into intervals containing months or years")
			}
			stride := int64(st.Days)*usPerDayI + st.Micros
			if stride <= 0 {
				return sqlerr.New(sqlerr.DatetimeFieldOverflow, "stride must be greater than zero")
			}
			src, origin := a.ts(1, i), a.ts(2, i)
			if isInfTS(src) || isInfTS(origin) {
				return sqlerr.New(sqlerr.FeatureNotSupported, "timestamps cannot be binned into infinite intervals")
			}
			bin := floorDiv(src-origin, stride) * stride
			bld.(*array.TimestampBuilder).Append(arrow.Timestamp(origin + bin))
			return nil
		})
	case "to_timestamp":
		if nargs == 1 {
			return &epochNode{arg: args[0]}, true, nil
		}
		return compileToDate(fn, args, t)
	case "to_date":
		return compileToDate(fn, args, t)
	case "to_char":
		return compileToChar(args, argT, t)
	}
	return nil, false, nil
}

func isInfTS(v int64) bool { return v == pgtext.TimestampNoBegin || v == pgtext.TimestampNoEnd }

// fmtSec02 prints seconds as PostgreSQL's field errors do (05.5).
func fmtSec02(s float64) string {
	out := fmtSec(s)
	if s >= 0 && s < 10 {
		out = "0" + out
	}
	return out
}

// isFiniteNode is isfinite() over the typed values: intervals are always
// finite in PostgreSQL 15.
type isFiniteNode struct{ arg node }

func (n *isFiniteNode) typ() types.T  { return types.BoolT }
func (n *isFiniteNode) mayFail() bool { return n.arg.mayFail() }
func (n *isFiniteNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	a, err := n.arg.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	rows := a.Len()
	valid, nulls := validity(ec.alloc, rows, a)
	buf := newBitmap(ec.alloc, rows, false)
	out := buf.Bytes()
	switch n.arg.typ().Kind {
	case types.Interval:
		for i := 0; i < rows; i++ {
			setBits(out, i, true)
		}
	case types.Date:
		for i, d := range values[int32](a) {
			setBits(out, i, d != pgtext.DateNoBegin && d != pgtext.DateNoEnd)
		}
	case types.Timestamp, types.TimestampTZ:
		for i, v := range values[int64](a) {
			setBits(out, i, !isInfTS(v))
		}
	}
	return finish(arrow.FixedWidthTypes.Boolean, rows, buf, valid, nulls), nil
}

// epochNode is to_timestamp(double precision): seconds since 1970 to
// timestamptz, rounded to microseconds; ±Infinity map to ±infinity.
type epochNode struct{ arg node }

func (n *epochNode) typ() types.T  { return types.TimestampTZT }
func (n *epochNode) mayFail() bool { return true }
func (n *epochNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	a, err := n.arg.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	rows := a.Len()
	valid, nulls := validity(ec.alloc, rows, a)
	buf, out := newFixed[int64](ec.alloc, rows)
	for i, s := range values[float64](a) {
		if !isValid(valid, i) {
			continue
		}
		switch {
		case math.IsNaN(s):
			buf.Release()
			releaseBuf(valid)
			return nil, sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp cannot be NaN")
		case math.IsInf(s, 1):
			out[i] = pgtext.TimestampNoEnd
		case math.IsInf(s, -1):
			out[i] = pgtext.TimestampNoBegin
		default:
			v := math.RoundToEven(s * 1e6)
			// PostgreSQL's range starts in 4714 BC and ends in 294277 AD.
			if v < -210866803200e6 || v >= 9224318016000e6 {
				buf.Release()
				releaseBuf(valid)
				return nil, sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", fmtSec(s))
			}
			out[i] = int64(v)
		}
	}
	return finish(types.TimestampTZT.Arrow(), rows, buf, valid, nulls), nil
}
