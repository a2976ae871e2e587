package window

import (
	"bytes"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// markBreaks sets brk[i] for every row i >= 1 whose value in col differs from
// row i-1's. NULLs equal each other (they are peers and share a partition, as
// in PostgreSQL); floats compare as PostgreSQL orders them (NaN equals NaN,
// -0 equals 0); intervals compare by their 30-day-month span.
func markBreaks(col arrow.Array, brk []bool) {
	n := col.Len()
	if n < 2 {
		return
	}
	bits, off := validity(col)
	if bits != nil {
		for i := 1; i < n; i++ {
			if isValid(bits, off, i) != isValid(bits, off, i-1) {
				brk[i] = true
			}
		}
	}
	// neq reports whether two valid rows differ; a break between a NULL and
	// a NULL row is never set because both values are ignored then.
	mark := func(neq func(i int) bool) {
		for i := 1; i < n; i++ {
			if brk[i] {
				continue
			}
			if bits != nil && !isValid(bits, off, i) {
				continue // both NULL (a NULL/value pair is already marked)
			}
			if neq(i) {
				brk[i] = true
			}
		}
	}
	switch col.DataType().ID() {
	case arrow.INT16:
		v := fixedValues[int16](col)
		mark(func(i int) bool { return v[i] != v[i-1] })
	case arrow.INT32, arrow.DATE32:
		v := fixedValues[int32](col)
		mark(func(i int) bool { return v[i] != v[i-1] })
	case arrow.INT64, arrow.TIME64, arrow.TIMESTAMP:
		v := fixedValues[int64](col)
		mark(func(i int) bool { return v[i] != v[i-1] })
	case arrow.FLOAT32:
		v := fixedValues[float32](col)
		mark(func(i int) bool { return !floatEq(float64(v[i]), float64(v[i-1])) })
	case arrow.FLOAT64:
		v := fixedValues[float64](col)
		mark(func(i int) bool { return !floatEq(v[i], v[i-1]) })
	case arrow.DECIMAL128:
		v := fixedValues[decimal128.Num](col)
		mark(func(i int) bool { return v[i] != v[i-1] })
	case arrow.INTERVAL_MONTH_DAY_NANO:
		v := fixedValues[arrow.MonthDayNanoInterval](col)
		mark(func(i int) bool { return intervalCmp(v[i], v[i-1]) != 0 })
	case arrow.BOOL:
		b := col.(*array.Boolean)
		mark(func(i int) bool { return b.Value(i) != b.Value(i-1) })
	case arrow.STRING, arrow.BINARY:
		offs, data := binaryValues(col)
		mark(func(i int) bool {
			return !bytes.Equal(data[offs[i]:offs[i+1]], data[offs[i-1]:offs[i]])
		})
	case arrow.NULL:
	default:
		mark(func(i int) bool { return !array.SliceEqual(col, int64(i), int64(i+1), col, int64(i-1), int64(i)) })
	}
}

func floatEq(a, b float64) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return a == b
}

// floatCmp orders floats as PostgreSQL does: NaN above every number.
func floatCmp(x, y float64) int {
	xn, yn := x != x, y != y
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

const usecsPerDay = 86400 * 1000000

// intervalSpan is PostgreSQL's comparison key of an interval: months count as
// 30 days; the result is normalized days and microseconds within a day.
func intervalSpan(v arrow.MonthDayNanoInterval) (days int64, micros int64) {
	days = int64(v.Months)*30 + int64(v.Days)
	us := v.Nanoseconds / 1000
	d := us / usecsPerDay
	us -= d * usecsPerDay
	if us < 0 {
		us += usecsPerDay
		d--
	}
	return days + d, us
}

func intervalCmp(a, b arrow.MonthDayNanoInterval) int {
	ad, au := intervalSpan(a)
	bd, bu := intervalSpan(b)
	switch {
	case ad < bd:
		return -1
	case ad > bd:
		return 1
	case au < bu:
		return -1
	case au > bu:
		return 1
	}
	return 0
}

// rowLess returns a comparator "row i sorts before row j" over one column
// ascending (NULLs are never passed), for min/max.
func rowLess(col arrow.Array) (func(i, j int) bool, bool) {
	switch col.DataType().ID() {
	case arrow.INT16:
		v := fixedValues[int16](col)
		return func(i, j int) bool { return v[i] < v[j] }, true
	case arrow.INT32, arrow.DATE32:
		v := fixedValues[int32](col)
		return func(i, j int) bool { return v[i] < v[j] }, true
	case arrow.INT64, arrow.TIME64, arrow.TIMESTAMP:
		v := fixedValues[int64](col)
		return func(i, j int) bool { return v[i] < v[j] }, true
	case arrow.FLOAT32:
		v := fixedValues[float32](col)
		return func(i, j int) bool { return floatCmp(float64(v[i]), float64(v[j])) < 0 }, true
	case arrow.FLOAT64:
		v := fixedValues[float64](col)
		return func(i, j int) bool { return floatCmp(v[i], v[j]) < 0 }, true
	case arrow.DECIMAL128:
		v := fixedValues[decimal128.Num](col)
		return func(i, j int) bool { return v[i].Less(v[j]) }, true
	case arrow.INTERVAL_MONTH_DAY_NANO:
		v := fixedValues[arrow.MonthDayNanoInterval](col)
		return func(i, j int) bool { return intervalCmp(v[i], v[j]) < 0 }, true
	case arrow.BOOL:
		b := col.(*array.Boolean)
		return func(i, j int) bool { return !b.Value(i) && b.Value(j) }, true
	case arrow.STRING, arrow.BINARY:
		offs, data := binaryValues(col)
		return func(i, j int) bool {
			return bytes.Compare(data[offs[i]:offs[i+1]], data[offs[j]:offs[j+1]]) < 0
		}, true
	}
	return nil, false
}

var _ = math.NaN
