// Package pgtext is PostgreSQL's text input and output for every type in
// sql/types: what the wire protocol sends in text format, what the CLI prints
// and what casts to and from text produce. Output matches PostgreSQL 16 with
// DateStyle ISO, MDY, IntervalStyle postgres and TimeZone UTC. Parse errors
// are *sqlerr.Error values with PostgreSQL's SQLSTATEs and messages.
//
// It imports sql/types, sql/sqlerr and Arrow only.
package pgtext

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/sql/types"
)

// Special values PostgreSQL uses for infinite dates and timestamps.
const (
	DateNoBegin      = math.MinInt32
	DateNoEnd        = math.MaxInt32
	TimestampNoBegin = math.MinInt64
	TimestampNoEnd   = math.MaxInt64
)

// MicrosPerDay etc. are the units timestamps and times are kept in.
const (
	MicrosPerSecond = 1_000_000
	MicrosPerMinute = 60 * MicrosPerSecond
	MicrosPerHour   = 60 * MicrosPerMinute
	MicrosPerDay    = 24 * MicrosPerHour
)

// Format returns the PostgreSQL text of row i of arr, which holds values of t.
func Format(arr arrow.Array, i int, t types.T) (s string, isNull bool) {
	if arr.IsNull(i) {
		return "", true
	}
	return string(AppendValue(nil, arr, i, t)), false
}

// AppendValue appends the PostgreSQL text of row i of arr to dst. The caller
// has checked that the row is not NULL.
func AppendValue(dst []byte, arr arrow.Array, i int, t types.T) []byte {
	if d, ok := arr.(*array.Dictionary); ok {
		return AppendValue(dst, d.Dictionary(), d.GetValueIndex(i), t)
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return AppendBool(dst, a.Value(i))
	case *array.Int16:
		return strconv.AppendInt(dst, int64(a.Value(i)), 10)
	case *array.Int32:
		return strconv.AppendInt(dst, int64(a.Value(i)), 10)
	case *array.Int64:
		return strconv.AppendInt(dst, a.Value(i), 10)
	case *array.Float32:
		return AppendFloat32(dst, a.Value(i))
	case *array.Float64:
		return AppendFloat64(dst, a.Value(i))
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return AppendNumeric(dst, a.Value(i), scale)
	case *array.String:
		if n := t.Length(); n > 0 && t.Variant == types.Bpchar {
			return AppendBpchar(dst, a.Value(i), n)
		}
		return append(dst, a.Value(i)...)
	case *array.LargeString:
		return append(dst, a.Value(i)...)
	case *array.Binary:
		return AppendBytea(dst, a.Value(i))
	case *array.LargeBinary:
		return AppendBytea(dst, a.Value(i))
	case *array.Date32:
		return AppendDate(dst, int32(a.Value(i)))
	case *array.Time64:
		return AppendTime(dst, int64(a.Value(i)))
	case *array.Timestamp:
		if t.Kind == types.TimestampTZ || (t.Kind != types.Timestamp && a.DataType().(*arrow.TimestampType).TimeZone != "") {
			return AppendTimestampTZ(dst, int64(a.Value(i)))
		}
		return AppendTimestamp(dst, int64(a.Value(i)))
	case *array.MonthDayNanoInterval:
		v := a.Value(i)
		return AppendInterval(dst, types.IntervalValue{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000})
	case *array.List:
		return AppendArray(dst, a, i, t)
	}
	// Not an engine type; fall back to Arrow's own rendering.
	return append(dst, arr.ValueStr(i)...)
}

// AppendBpchar appends the output of a character(n) value: v (kept
// without trailing spaces, see types.Bpchar) padded with spaces to n
// characters, as PostgreSQL stores and prints it.
func AppendBpchar(dst []byte, v string, n int) []byte {
	dst = append(dst, v...)
	for c := utf8.RuneCountInString(v); c < n; c++ {
		dst = append(dst, ' ')
	}
	return dst
}

// FormatConst formats a value in expr.Const's encoding (see sql/expr).
func FormatConst(v any, t types.T) (string, bool) {
	if v == nil {
		return "", true
	}
	var b []byte
	switch x := v.(type) {
	case bool:
		b = AppendBool(b, x)
	case int64:
		switch t.Kind {
		case types.Time:
			b = AppendTime(b, x)
		case types.Timestamp:
			b = AppendTimestamp(b, x)
		case types.TimestampTZ:
			b = AppendTimestampTZ(b, x)
		default:
			b = strconv.AppendInt(b, x, 10)
		}
	case float64:
		if t.Kind == types.Float32 {
			b = AppendFloat32(b, float32(x))
		} else {
			b = AppendFloat64(b, x)
		}
	case decimal128.Num:
		b = AppendNumeric(b, x, t.Scale)
	case string:
		return x, false
	case []byte:
		b = AppendBytea(b, x)
	case int32:
		b = AppendDate(b, x)
	case types.IntervalValue:
		b = AppendInterval(b, x)
	default:
		return fmt.Sprint(v), false
	}
	return string(b), false
}

// AppendBool appends t or f.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 't')
	}
	return append(dst, 'f')
}

// AppendFloat64 appends v as PostgreSQL's float8out does with the default
// extra_float_digits=1: the shortest representation that round-trips, in
// fixed notation when the decimal exponent is in [-4, 15), else exponential.
func AppendFloat64(dst []byte, v float64) []byte {
	return appendFloat(dst, v, 64, 15)
}

// AppendFloat32 is AppendFloat64 for real, whose fixed-notation range ends
// at exponent 6 as in PostgreSQL's float4out.
func AppendFloat32(dst []byte, v float32) []byte {
	return appendFloat(dst, float64(v), 32, 6)
}

func appendFloat(dst []byte, v float64, bits int, maxExp int) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, "NaN"...)
	case math.IsInf(v, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(v, -1):
		return append(dst, "-Infinity"...)
	case v == 0:
		if math.Signbit(v) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], v, 'e', -1, bits)
	// The decimal exponent follows the 'e'.
	exp := 0
	for j := len(e) - 1; j >= 0; j-- {
		if e[j] == 'e' {
			exp, _ = strconv.Atoi(string(e[j+1:]))
			break
		}
	}
	if exp >= -4 && exp < maxExp {
		return strconv.AppendFloat(dst, v, 'f', -1, bits)
	}
	return append(dst, e...)
}

// AppendNumeric appends an unscaled Decimal128 with exactly scale decimals.
func AppendNumeric(dst []byte, v decimal128.Num, scale int32) []byte {
	hi := v.HighBits()
	lo := v.LowBits()
	// Fast path: the value fits in an int64.
	if (hi == 0 && lo < 1<<63) || (hi == -1 && lo >= 1<<63) {
		return appendScaledInt(dst, int64(lo), scale)
	}
	return append(dst, v.ToString(scale)...)
}

func appendScaledInt(dst []byte, n int64, scale int32) []byte {
	if scale <= 0 {
		dst = strconv.AppendInt(dst, n, 10)
		for i := int32(0); i < -scale && n != 0; i++ {
			dst = append(dst, '0')
		}
		return dst
	}
	var u uint64
	if n < 0 {
		dst = append(dst, '-')
		u = uint64(-n)
	} else {
		u = uint64(n)
	}
	var buf [40]byte
	digits := strconv.AppendUint(buf[:0], u, 10)
	s := int(scale)
	if len(digits) <= s {
		dst = append(dst, '0', '.')
		for i := len(digits); i < s; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-s]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-s:]...)
}

// AppendBytea appends v in PostgreSQL's hex format, \x0102.
func AppendBytea(dst []byte, v []byte) []byte {
	dst = append(dst, '\\', 'x')
	return hex.AppendEncode(dst, v)
}

// CivilFromDays converts days since 1970-01-01 to a proleptic Gregorian
// year (astronomical: 0 is 1 BC), month and day.
func CivilFromDays(days int64) (y int64, m, d int) {
	z := days + 719468
	var era int64
	if z >= 0 {
		era = z / 146097
	} else {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// DaysFromCivil is the inverse of CivilFromDays.
func DaysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	var era int64
	if y >= 0 {
		era = y / 400
	} else {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mm := int64(m)
	var mp int64
	if mm > 2 {
		mp = mm - 3
	} else {
		mp = mm + 9
	}
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// IsLeap reports whether astronomical year y is a Gregorian leap year.
func IsLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// DaysInMonth returns the number of days of month m in year y.
func DaysInMonth(y int64, m int) int {
	switch m {
	case 2:
		if IsLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

// appendYMD appends the date part and reports whether it is BC.
func appendYMD(dst []byte, days int64) ([]byte, bool) {
	y, m, d := CivilFromDays(days)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	if y < 1000 {
		var buf [8]byte
		s := strconv.AppendInt(buf[:0], y, 10)
		for i := len(s); i < 4; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, s...)
	} else {
		dst = strconv.AppendInt(dst, y, 10)
	}
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	dst = append2(dst, d)
	return dst, bc
}

// AppendDate appends a date (days since 1970-01-01) as YYYY-MM-DD [BC].
func AppendDate(dst []byte, days int32) []byte {
	switch days {
	case DateNoBegin:
		return append(dst, "-infinity"...)
	case DateNoEnd:
		return append(dst, "infinity"...)
	}
	dst, bc := appendYMD(dst, int64(days))
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendClock appends HH:MM:SS[.ffffff] with trailing fraction zeros trimmed;
// hours may exceed 23 (intervals).
func appendClock(dst []byte, micros int64) []byte {
	h := micros / MicrosPerHour
	micros -= h * MicrosPerHour
	if h < 100 {
		dst = append2(dst, int(h))
	} else {
		dst = strconv.AppendInt(dst, h, 10)
	}
	dst = append(dst, ':')
	dst = append2(dst, int(micros/MicrosPerMinute))
	micros %= MicrosPerMinute
	dst = append(dst, ':')
	dst = append2(dst, int(micros/MicrosPerSecond))
	frac := micros % MicrosPerSecond
	if frac != 0 {
		var buf [6]byte
		for i := 5; i >= 0; i-- {
			buf[i] = byte('0' + frac%10)
			frac /= 10
		}
		n := 6
		for n > 0 && buf[n-1] == '0' {
			n--
		}
		dst = append(dst, '.')
		dst = append(dst, buf[:n]...)
	}
	return dst
}

// AppendTime appends a time of day (µs since midnight).
func AppendTime(dst []byte, micros int64) []byte { return appendClock(dst, micros) }

func floorDiv(a, b int64) (q, r int64) {
	q = a / b
	r = a % b
	if r < 0 {
		q--
		r += b
	}
	return q, r
}

func appendTS(dst []byte, micros int64, tz bool) []byte {
	switch micros {
	case TimestampNoBegin:
		return append(dst, "-infinity"...)
	case TimestampNoEnd:
		return append(dst, "infinity"...)
	}
	days, rem := floorDiv(micros, MicrosPerDay)
	dst, bc := appendYMD(dst, days)
	dst = append(dst, ' ')
	dst = appendClock(dst, rem)
	if tz {
		dst = append(dst, "+00"...)
	}
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// AppendTimestamp appends a timestamp (µs since 1970-01-01 00:00:00).
func AppendTimestamp(dst []byte, micros int64) []byte { return appendTS(dst, micros, false) }

// AppendTimestampTZ appends a timestamptz in UTC with the +00 offset.
func AppendTimestampTZ(dst []byte, micros int64) []byte { return appendTS(dst, micros, true) }

// AppendInterval appends v in IntervalStyle postgres:
// "1 year 2 mons 3 days 04:05:06", "-1 days", "00:00:00".
func AppendInterval(dst []byte, v types.IntervalValue) []byte {
	years := v.Months / 12
	mons := v.Months % 12
	isZero := true
	isBefore := false
	part := func(val int64, unit string) {
		if val == 0 {
			return
		}
		if !isZero {
			dst = append(dst, ' ')
		}
		if isBefore && val > 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, val, 10)
		dst = append(dst, ' ')
		dst = append(dst, unit...)
		if val != 1 {
			dst = append(dst, 's')
		}
		isBefore = val < 0
		isZero = false
	}
	part(int64(years), "year")
	part(int64(mons), "mon")
	part(int64(v.Days), "day")
	if v.Micros != 0 || isZero {
		if !isZero {
			dst = append(dst, ' ')
		}
		t := v.Micros
		switch {
		case t < 0:
			dst = append(dst, '-')
			t = -t
		case isBefore:
			dst = append(dst, '+')
		}
		dst = appendClock(dst, t)
	}
	return dst
}
