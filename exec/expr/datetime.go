package expr

import (
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

const usPerDay = pgtext.MicrosPerDay

// temporalNode is date/time arithmetic. The kernel is a per-row function on
// the two operands' raw values, chosen once at compile time.
type temporalNode struct {
	op   string
	l, r node
	t    types.T
}

func compileTemporalArith(op string, l, r node, t types.T) (node, error) {
	lk, rk := l.typ().Kind, r.typ().Kind
	ok := false
	switch op {
	case "+":
		ok = (lk == types.Date && rk == types.Int32) || (lk == types.Int32 && rk == types.Date) ||
			(isTS(lk) && rk == types.Interval) || (lk == types.Interval && isTS(rk)) ||
			(lk == types.Interval && rk == types.Interval) || (lk == types.Time && rk == types.Interval) ||
			(lk == types.Interval && rk == types.Time) || (lk == types.Date && rk == types.Time) || (lk == types.Time && rk == types.Date)
	case "-":
		ok = (lk == types.Date && rk == types.Int32) || (lk == types.Date && rk == types.Date) ||
			(isTS(lk) && rk == types.Interval) || (lk == types.Interval && rk == types.Interval) ||
			(lk == types.Time && rk == types.Interval) || (isTS(lk) && isTS(rk)) || (lk == types.Time && rk == types.Time)
	case "*":
		ok = (lk == types.Interval && rk == types.Float64) || (lk == types.Float64 && rk == types.Interval)
	case "/":
		ok = lk == types.Interval && rk == types.Float64
	}
	if !ok {
		return nil, internalErr("no kernel for %s %s %s", l.typ(), op, r.typ())
	}
	return &temporalNode{op: op, l: l, r: r, t: t}, nil
}

func isTS(k types.Kind) bool { return k == types.Timestamp || k == types.TimestampTZ }

func (n *temporalNode) typ() types.T  { return n.t }
func (n *temporalNode) mayFail() bool { return true }

func ivOf(v arrow.MonthDayNanoInterval) types.IntervalValue {
	return types.IntervalValue{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}
}

func ivArrow(v types.IntervalValue) arrow.MonthDayNanoInterval {
	return arrow.MonthDayNanoInterval{Months: v.Months, Days: v.Days, Nanoseconds: v.Micros * 1000}
}

// addMonths adds months to a timestamp, clamping the day to the length of
// the resulting month (Jan 31 + 1 month = Feb 28/29), as PostgreSQL does.
func addMonths(ts int64, months int32) (int64, bool) {
	if months == 0 {
		return ts, true
	}
	days, tod := floorDivMod(ts, usPerDay)
	y, m, d := pgtext.CivilFromDays(days)
	total := y*12 + int64(m-1) + int64(months)
	ny := floorDiv(total, 12)
	nm := int(total-ny*12) + 1
	if dim := pgtext.DaysInMonth(ny, nm); d > dim {
		d = dim
	}
	nd := pgtext.DaysFromCivil(ny, nm, d)
	if nd > math.MaxInt64/usPerDay-1 || nd < math.MinInt64/usPerDay+1 {
		return 0, false
	}
	return nd*usPerDay + tod, true
}

func floorDiv(a, b int64) int64 {
	q, _ := floorDivMod(a, b)
	return q
}

// tsPlusInterval is timestamp + interval: months, then days, then time.
func tsPlusInterval(ts int64, v types.IntervalValue) (int64, bool) {
	if ts == pgtext.TimestampNoBegin || ts == pgtext.TimestampNoEnd {
		return ts, true
	}
	ts, ok := addMonths(ts, v.Months)
	if !ok {
		return 0, false
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

func negIv(v types.IntervalValue) types.IntervalValue {
	return types.IntervalValue{Months: -v.Months, Days: -v.Days, Micros: -v.Micros}
}

// ivMul multiplies an interval by a float the way PostgreSQL's interval_mul
// does: fractional months spill into days (30 a month), fractional days
// into time.
func ivMul(v types.IntervalValue, f float64) (types.IntervalValue, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return v, false
	}
	mo := float64(v.Months) * f
	dy := float64(v.Days) * f
	if math.Abs(mo) > math.MaxInt32 || math.Abs(dy) > math.MaxInt32 {
		return v, false
	}
	out := types.IntervalValue{Months: int32(mo), Days: int32(dy)}
	monthRemDays := tsRound((mo - float64(out.Months)) * 30)
	secRem := tsRound((dy - float64(out.Days) + monthRemDays - math.Trunc(monthRemDays)) * 86400)
	if math.Abs(secRem) >= 86400 {
		out.Days += int32(secRem / 86400)
		secRem -= math.Trunc(secRem/86400) * 86400
	}
	out.Days += int32(monthRemDays)
	t := math.RoundToEven(float64(v.Micros)*f + secRem*1e6)
	if math.Abs(t) > 9.2e18 {
		return v, false
	}
	out.Micros = int64(t)
	return out, true
}

// tsRound rounds to microsecond precision in seconds (PostgreSQL's TSROUND).
func tsRound(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }

func (n *temporalNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	l, r, err := operands2(ec, b, n.l, n.r)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	defer r.Release()
	valid, nulls := validity(ec.alloc, rows, l, r)
	lm, rm := stride(l, rows), stride(r, rows)
	lk, rk := n.l.typ().Kind, n.r.typ().Kind
	dt := n.t.Arrow()
	failed := func(err error) (arrow.Array, error) {
		releaseBuf(valid)
		return nil, err
	}
	// Normalise commutative forms so the interval/int is on the right.
	if n.op == "+" && (lk == types.Int32 || lk == types.Interval && rk != types.Interval || lk == types.Time && rk == types.Date) {
		l, r, lm, rm, lk, rk = r, l, rm, lm, rk, lk
	}
	if n.op == "*" && lk == types.Float64 {
		l, r, lm, rm, lk, rk = r, l, rm, lm, rk, lk
	}
	switch {
	case lk == types.Date && rk == types.Int32:
		ld, rd := values[int32](l), values[int32](r)
		buf, out := newFixed[int32](ec.alloc, rows)
		for i := range out {
			x, y := int64(ld[i&lm]), int64(rd[i&rm])
			if n.op == "-" {
				y = -y
			}
			s := x + y
			if (s <= math.MinInt32 || s >= math.MaxInt32) && isValid(valid, i) {
				buf.Release()
				return failed(sqlerr.New(sqlerr.DatetimeFieldOverflow, "date out of range"))
			}
			out[i] = int32(s)
		}
		return finish(dt, rows, buf, valid, nulls), nil
	case lk == types.Date && rk == types.Date:
		ld, rd := values[int32](l), values[int32](r)
		buf, out := newFixed[int32](ec.alloc, rows)
		for i := range out {
			s := int64(ld[i&lm]) - int64(rd[i&rm])
			if (s < math.MinInt32 || s > math.MaxInt32) && isValid(valid, i) {
				buf.Release()
				return failed(outOfRange(types.Int32T))
			}
			out[i] = int32(s)
		}
		return finish(dt, rows, buf, valid, nulls), nil
	case lk == types.Date && rk == types.Time:
		ld, rt := values[int32](l), values[int64](r)
		buf, out := newFixed[int64](ec.alloc, rows)
		for i := range out {
			out[i] = int64(ld[i&lm])*usPerDay + rt[i&rm]
		}
		return finish(dt, rows, buf, valid, nulls), nil
	case isTS(lk) && rk == types.Interval:
		lt, ri := values[int64](l), values[arrow.MonthDayNanoInterval](r)
		buf, out := newFixed[int64](ec.alloc, rows)
		for i := range out {
			v := ivOf(ri[i&rm])
			if n.op == "-" {
				v = negIv(v)
			}
			s, ok := tsPlusInterval(lt[i&lm], v)
			if !ok && isValid(valid, i) {
				buf.Release()
				return failed(sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range"))
			}
			out[i] = s
		}
		return finish(dt, rows, buf, valid, nulls), nil
	case isTS(lk) && isTS(rk):
		lt, rt := values[int64](l), values[int64](r)
		buf, out := newFixed[arrow.MonthDayNanoInterval](ec.alloc, rows)
		for i := range out {
			d := lt[i&lm] - rt[i&rm]
			// PostgreSQL justifies whole days out of the time part.
			days := d / usPerDay
			out[i] = ivArrow(types.IntervalValue{Days: int32(days), Micros: d - days*usPerDay})
		}
		return finish(dt, rows, buf, valid, nulls), nil
	case lk == types.Time && rk == types.Interval:
		lt, ri := values[int64](l), values[arrow.MonthDayNanoInterval](r)
		buf, out := newFixed[int64](ec.alloc, rows)
		for i := range out {
			us := ri[i&rm].Nanoseconds / 1000
			if n.op == "-" {
				us = -us
			}
			_, out[i] = floorDivMod(lt[i&lm]+us%usPerDay, usPerDay)
		}
		return finish(dt, rows, buf, valid, nulls), nil
	case lk == types.Time && rk == types.Time:
		lt, rt := values[int64](l), values[int64](r)
		buf, out := newFixed[arrow.MonthDayNanoInterval](ec.alloc, rows)
		for i := range out {
			out[i] = arrow.MonthDayNanoInterval{Nanoseconds: (lt[i&lm] - rt[i&rm]) * 1000}
		}
		return finish(dt, rows, buf, valid, nulls), nil
	case lk == types.Interval && rk == types.Interval:
		li, ri := values[arrow.MonthDayNanoInterval](l), values[arrow.MonthDayNanoInterval](r)
		buf, out := newFixed[arrow.MonthDayNanoInterval](ec.alloc, rows)
		for i := range out {
			x, y := li[i&lm], ri[i&rm]
			if n.op == "-" {
				y = arrow.MonthDayNanoInterval{Months: -y.Months, Days: -y.Days, Nanoseconds: -y.Nanoseconds}
			}
			mo, dy, ns := int64(x.Months)+int64(y.Months), int64(x.Days)+int64(y.Days), x.Nanoseconds/1000+y.Nanoseconds/1000
			if (mo > math.MaxInt32 || mo < math.MinInt32 || dy > math.MaxInt32 || dy < math.MinInt32) && isValid(valid, i) {
				buf.Release()
				return failed(outOfRange(types.IntervalT))
			}
			out[i] = arrow.MonthDayNanoInterval{Months: int32(mo), Days: int32(dy), Nanoseconds: ns * 1000}
		}
		return finish(dt, rows, buf, valid, nulls), nil
	case lk == types.Interval && rk == types.Float64:
		li, rf := values[arrow.MonthDayNanoInterval](l), values[float64](r)
		buf, out := newFixed[arrow.MonthDayNanoInterval](ec.alloc, rows)
		for i := range out {
			f := rf[i&rm]
			if n.op == "/" {
				if f == 0 {
					if isValid(valid, i) {
						buf.Release()
						return failed(divisionByZero())
					}
					continue
				}
				f = 1 / f
			}
			v, ok := ivMul(ivOf(li[i&lm]), f)
			if !ok && isValid(valid, i) {
				buf.Release()
				return failed(outOfRange(types.IntervalT))
			}
			out[i] = ivArrow(v)
		}
		return finish(dt, rows, buf, valid, nulls), nil
	}
	releaseBuf(valid)
	return nil, internalErr("no kernel for %s %s %s", n.l.typ(), n.op, n.r.typ())
}

// dateFuncNode is a function whose kernel runs row by row over typed
// slices: extract, date_part, date_trunc, make_date.
type dateFuncNode struct {
	fn    string
	args  []node
	t     types.T
	field string // constant field name, lower case; "" if per-row
}

func compileDateFunc(fn string, args []node, t types.T) (node, bool, error) {
	switch fn {
	case "extract", "date_part", "date_trunc":
		if len(args) != 2 {
			return nil, true, internalErr("%s with %d arguments", fn, len(args))
		}
		n := &dateFuncNode{fn: fn, args: args, t: t}
		if c, ok := args[0].(*constNode); ok && !c.null {
			n.field = strings.ToLower(c.one.(*array.String).Value(0))
			// Validate once so a bad unit fails at compile time.
			if fn == "date_trunc" {
				if _, ok := truncUnit(n.field); !ok {
					return nil, true, sqlerr.New(sqlerr.InvalidParameterValue, "unit \"%s\" not recognized for type %s", n.field, args[1].typ())
				}
			} else if _, err := extractValue(n.field, args[1].typ().Kind, 0, arrow.MonthDayNanoInterval{}); err != nil {
				return nil, true, err
			}
		}
		return n, true, nil
	case "make_date":
		if len(args) != 3 {
			return nil, true, internalErr("make_date with %d arguments", len(args))
		}
		return &dateFuncNode{fn: fn, args: args, t: t}, true, nil
	case "now", "current_timestamp", "transaction_timestamp", "statement_timestamp", "localtimestamp", "current_date":
		return &nowNode{t: t}, true, nil
	}
	return nil, false, nil
}

func (n *dateFuncNode) typ() types.T  { return n.t }
func (n *dateFuncNode) mayFail() bool { return true }

// nowNode is the statement's current time.
type nowNode struct{ t types.T }

func (n *nowNode) typ() types.T  { return n.t }
func (n *nowNode) mayFail() bool { return false }
func (n *nowNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	var v any = ec.now
	if n.t.Kind == types.Date {
		v = int32(floorDiv(ec.now, usPerDay))
	}
	one, err := scalarArray(ec.alloc, v, n.t)
	if err != nil {
		return nil, err
	}
	defer one.Release()
	return broadcast(ec.alloc, one, int(b.NumRows()))
}

func unsupportedUnit(field string, k types.Kind) error {
	if !knownUnits[field] {
		return sqlerr.New(sqlerr.InvalidParameterValue, "unit \"%s\" not recognized for type %s", field, types.T{Kind: k})
	}
	return sqlerr.New(sqlerr.FeatureNotSupported, "unit \"%s\" not supported for type %s", field, types.T{Kind: k})
}

// extractValue computes extract(field from v) scaled by 10^6 ("µ-units"),
// so fractional fields (second, epoch) stay exact. raw is the date (days),
// time or timestamp (µs) value; iv the interval.
func extractValue(field string, k types.Kind, raw int64, iv arrow.MonthDayNanoInterval) (int64, error) {
	const M = 1_000_000
	switch k {
	case types.Interval:
		months := int64(iv.Months)
		us := iv.Nanoseconds / 1000
		switch field {
		case "year", "years":
			return months / 12 * M, nil
		case "month", "months", "mon", "mons":
			return months % 12 * M, nil
		case "day", "days":
			return int64(iv.Days) * M, nil
		case "hour", "hours":
			return us / pgtext.MicrosPerHour * M, nil
		case "minute", "minutes":
			return us / pgtext.MicrosPerMinute % 60 * M, nil
		case "second", "seconds":
			return us % pgtext.MicrosPerMinute, nil
		case "millisecond", "milliseconds":
			return us % pgtext.MicrosPerMinute * 1000, nil
		case "microsecond", "microseconds":
			return us % pgtext.MicrosPerMinute * M, nil
		case "quarter":
			return (months%12/3 + 1) * M, nil
		case "decade":
			return months / 120 * M, nil
		case "century":
			return months / 1200 * M, nil
		case "millennium":
			return months / 12000 * M, nil
		case "epoch":
			// A year is 365.25 days, a month 30 days.
			secs := float64(months/12)*365.25*86400 + float64(months%12)*30*86400 + float64(iv.Days)*86400
			return int64(secs)*M + us, nil
		}
		return 0, unsupportedUnit(field, k)
	case types.Time:
		switch field {
		case "hour", "hours":
			return raw / pgtext.MicrosPerHour * M, nil
		case "minute", "minutes":
			return raw / pgtext.MicrosPerMinute % 60 * M, nil
		case "second", "seconds":
			return raw % pgtext.MicrosPerMinute, nil
		case "millisecond", "milliseconds":
			return raw % pgtext.MicrosPerMinute * 1000, nil
		case "microsecond", "microseconds":
			return raw % pgtext.MicrosPerMinute * M, nil
		case "epoch":
			return raw, nil
		}
		return 0, unsupportedUnit(field, k)
	}
	var days, tod int64
	if k == types.Date {
		days = raw
		switch field {
		case "hour", "hours", "minute", "minutes", "second", "seconds", "millisecond", "milliseconds", "microsecond", "microseconds", "timezone", "timezone_hour", "timezone_minute":
			return 0, unsupportedUnit(field, k)
		}
	} else {
		days, tod = floorDivMod(raw, usPerDay)
	}
	y, m, d := pgtext.CivilFromDays(days)
	switch field {
	case "year", "years":
		if y <= 0 {
			return (y - 1) * M, nil
		}
		return y * M, nil
	case "month", "months", "mon", "mons":
		return int64(m) * M, nil
	case "day", "days":
		return int64(d) * M, nil
	case "hour", "hours":
		return tod / pgtext.MicrosPerHour * M, nil
	case "minute", "minutes":
		return tod / pgtext.MicrosPerMinute % 60 * M, nil
	case "second", "seconds":
		return tod % pgtext.MicrosPerMinute, nil
	case "millisecond", "milliseconds":
		return tod % pgtext.MicrosPerMinute * 1000, nil
	case "microsecond", "microseconds":
		return tod % pgtext.MicrosPerMinute * M, nil
	case "quarter":
		return int64((m-1)/3+1) * M, nil
	case "dow":
		_, w := floorDivMod(days+4, 7) // 1970-01-01 was a Thursday
		return w * M, nil
	case "isodow":
		_, w := floorDivMod(days+3, 7)
		return (w + 1) * M, nil
	case "doy":
		return (days - pgtext.DaysFromCivil(y, 1, 1) + 1) * M, nil
	case "week":
		_, wk := isoWeek(days)
		return wk * M, nil
	case "isoyear":
		iy, _ := isoWeek(days)
		if iy <= 0 {
			iy--
		}
		return iy * M, nil
	case "decade":
		return floorDiv(y, 10) * M, nil
	case "century":
		if y > 0 {
			return ((y + 99) / 100) * M, nil
		}
		return -((99 - (y - 1)) / 100) * M, nil
	case "millennium":
		if y > 0 {
			return ((y + 999) / 1000) * M, nil
		}
		return -((999 - (y - 1)) / 1000) * M, nil
	case "epoch":
		if k == types.Date {
			return days * 86400 * M, nil
		}
		return raw, nil
	case "julian":
		return (days+2440588)*M + tod*M/usPerDay, nil
	case "timezone", "timezone_hour", "timezone_minute":
		if k == types.TimestampTZ {
			return 0, nil
		}
	}
	return 0, unsupportedUnit(field, k)
}

// isoWeek returns the ISO 8601 year and week of a day.
func isoWeek(days int64) (int64, int64) {
	_, wd := floorDivMod(days+3, 7) // 0 = Monday
	thursday := days - wd + 3
	y, _, _ := pgtext.CivilFromDays(thursday)
	jan1 := pgtext.DaysFromCivil(y, 1, 1)
	return y, (thursday-jan1)/7 + 1
}

// truncUnit normalises a date_trunc unit.
func truncUnit(u string) (string, bool) {
	switch u {
	case "microsecond", "microseconds":
		return "microseconds", true
	case "millisecond", "milliseconds":
		return "milliseconds", true
	case "second", "seconds":
		return "second", true
	case "minute", "minutes":
		return "minute", true
	case "hour", "hours":
		return "hour", true
	case "day", "days":
		return "day", true
	case "week", "weeks":
		return "week", true
	case "month", "months":
		return "month", true
	case "quarter":
		return "quarter", true
	case "year", "years":
		return "year", true
	case "decade", "decades":
		return "decade", true
	case "century", "centuries":
		return "century", true
	case "millennium", "millennia":
		return "millennium", true
	}
	return "", false
}

func truncTS(unit string, ts int64) int64 {
	days, tod := floorDivMod(ts, usPerDay)
	switch unit {
	case "microseconds":
		return ts
	case "milliseconds":
		return days*usPerDay + tod/1000*1000
	case "second":
		return days*usPerDay + tod/pgtext.MicrosPerSecond*pgtext.MicrosPerSecond
	case "minute":
		return days*usPerDay + tod/pgtext.MicrosPerMinute*pgtext.MicrosPerMinute
	case "hour":
		return days*usPerDay + tod/pgtext.MicrosPerHour*pgtext.MicrosPerHour
	case "day":
		return days * usPerDay
	case "week":
		_, wd := floorDivMod(days+3, 7)
		return (days - wd) * usPerDay
	}
	y, m, _ := pgtext.CivilFromDays(days)
	switch unit {
	case "month":
	case "quarter":
		m = (m-1)/3*3 + 1
	case "year":
		m = 1
	case "decade":
		y, m = floorDiv(y, 10)*10, 1
	case "century":
		m = 1
		if y > 0 {
			y = (y-1)/100*100 + 1
		} else {
			y = -((-y)/100)*100 - 99
		}
	case "millennium":
		m = 1
		if y > 0 {
			y = (y-1)/1000*1000 + 1
		} else {
			y = -((-y)/1000)*1000 - 999
		}
	}
	return pgtext.DaysFromCivil(y, m, 1) * usPerDay
}

func truncInterval(unit string, v arrow.MonthDayNanoInterval) arrow.MonthDayNanoInterval {
	us := v.Nanoseconds / 1000
	switch unit {
	case "microseconds":
	case "milliseconds":
		us = us / 1000 * 1000
	case "second":
		us = us / pgtext.MicrosPerSecond * pgtext.MicrosPerSecond
	case "minute":
		us = us / pgtext.MicrosPerMinute * pgtext.MicrosPerMinute
	case "hour":
		us = us / pgtext.MicrosPerHour * pgtext.MicrosPerHour
	default:
		us = 0
		switch unit {
		case "day", "week":
		case "month":
			v.Days = 0
		case "quarter":
			v.Days, v.Months = 0, v.Months/3*3
		case "year":
			v.Days, v.Months = 0, v.Months/12*12
		case "decade":
			v.Days, v.Months = 0, v.Months/120*120
		case "century":
			v.Days, v.Months = 0, v.Months/1200*1200
		case "millennium":
			v.Days, v.Months = 0, v.Months/12000*12000
		}
	}
	v.Nanoseconds = us * 1000
	return v
}

func (n *dateFuncNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	args, err := evalArgs(ec, b, n.args)
	if err != nil {
		return nil, err
	}
	defer releaseAll(args)
	valid, nulls := validity(ec.alloc, rows, args...)
	dt := n.t.Arrow()
	fail := func(err error) (arrow.Array, error) {
		releaseBuf(valid)
		return nil, err
	}
	if n.fn == "make_date" {
		ys, ms, ds := values[int32](args[0]), values[int32](args[1]), values[int32](args[2])
		buf, out := newFixed[int32](ec.alloc, rows)
		for i := range out {
			if !isValid(valid, i) {
				continue
			}
			y, m, d := int64(ys[i]), int(ms[i]), int(ds[i])
			if y < 0 {
				y++ // year -1 is 1 BC, astronomical 0
			}
			if ys[i] == 0 || m < 1 || m > 12 || d < 1 || d > pgtext.DaysInMonth(y, m) {
				buf.Release()
				return fail(sqlerr.New(sqlerr.DatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", ys[i], ms[i], ds[i]))
			}
			out[i] = int32(pgtext.DaysFromCivil(y, m, d))
		}
		return finish(dt, rows, buf, valid, nulls), nil
	}
	fields := args[0].(*array.String)
	field := func(i int) string {
		if n.field != "" {
			return n.field
		}
		return strings.ToLower(fields.Value(i))
	}
	src := args[1]
	k := n.args[1].typ().Kind
	raw := func(i int) int64 {
		switch k {
		case types.Date:
			return int64(src.(*array.Date32).Value(i))
		case types.Interval:
			return 0
		}
		return values[int64](src)[i]
	}
	ivAt := func(i int) arrow.MonthDayNanoInterval {
		if k == types.Interval {
			return values[arrow.MonthDayNanoInterval](src)[i]
		}
		return arrow.MonthDayNanoInterval{}
	}
	switch n.fn {
	case "extract", "date_part":
		var buf *memory.Buffer
		var fout []float64
		var dout []decimal128.Num
		if n.fn == "date_part" {
			buf, fout = newFixed[float64](ec.alloc, rows)
		} else {
			buf, dout = newFixed[decimal128.Num](ec.alloc, rows)
		}
		for i := 0; i < rows; i++ {
			if !isValid(valid, i) {
				continue
			}
			if k == types.Date && raw(i) == pgtext.DateNoBegin || k == types.Date && raw(i) == pgtext.DateNoEnd {
				continue
			}
			v, err := extractValue(field(i), k, raw(i), ivAt(i))
			if err != nil {
				buf.Release()
				return fail(err)
			}
			if fout != nil {
				fout[i] = float64(v) / 1e6
			} else {
				d, _ := decRescale(decimal128.FromI64(v), 6, n.t.Scale)
				dout[i] = d
			}
		}
		return finish(dt, rows, buf, valid, nulls), nil
	case "date_trunc":
		if k == types.Interval {
			buf, out := newFixed[arrow.MonthDayNanoInterval](ec.alloc, rows)
			for i := range out {
				if !isValid(valid, i) {
					continue
				}
				u, ok := truncUnit(field(i))
				if !ok {
					buf.Release()
					return fail(sqlerr.New(sqlerr.InvalidParameterValue, "unit \"%s\" not recognized for type interval", field(i)))
				}
				out[i] = truncInterval(u, ivAt(i))
			}
			return finish(dt, rows, buf, valid, nulls), nil
		}
		buf, out := newFixed[int64](ec.alloc, rows)
		for i := range out {
			if !isValid(valid, i) {
				continue
			}
			u, ok := truncUnit(field(i))
			if !ok {
				buf.Release()
				return fail(sqlerr.New(sqlerr.InvalidParameterValue, "unit \"%s\" not recognized for type %s", field(i), n.args[1].typ()))
			}
			ts := raw(i)
			if k == types.Date {
				ts *= usPerDay
			}
			if ts == pgtext.TimestampNoBegin || ts == pgtext.TimestampNoEnd {
				out[i] = ts
				continue
			}
			out[i] = truncTS(u, ts)
		}
		return finish(dt, rows, buf, valid, nulls), nil
	}
	return fail(internalErr("date function %s", n.fn))
}

// knownUnits are the field names PostgreSQL recognises at all; others are
// 22023 rather than "not supported for this type" (0A000).
var knownUnits = func() map[string]bool {
	m := map[string]bool{}
	for _, u := range strings.Fields(`microsecond microseconds millisecond milliseconds second seconds minute minutes
		hour hours day days week weeks month months mon mons quarter year years decade decades century centuries
		millennium millennia dow isodow doy isoyear epoch julian timezone timezone_hour timezone_minute`) {
		m[u] = true
	}
	return m
}()
