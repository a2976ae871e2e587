package pgtext

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

func syntaxErr(typ, s string) *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", typ, s)
}

func datetimeSyntaxErr(typ, s string) *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidDatetimeFormat, "invalid input syntax for type %s: \"%s\"", typ, s)
}

func fieldOverflow(s string) *sqlerr.Error {
	return sqlerr.New(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
}

// trimSpace trims the ASCII white space PostgreSQL's input functions skip.
func trimSpace(s string) string {
	return strings.Trim(s, " \t\n\r\v\f")
}

// ParseBool parses PostgreSQL's boolean input: any unique prefix of true,
// false, yes, no, on, off (on/off need two letters), or 1/0, case-insensitive.
func ParseBool(s string) (bool, error) {
	v := strings.ToLower(trimSpace(s))
	if v != "" {
		switch {
		case strings.HasPrefix("true", v), strings.HasPrefix("yes", v), v == "1", len(v) >= 2 && strings.HasPrefix("on", v):
			return true, nil
		case strings.HasPrefix("false", v), strings.HasPrefix("no", v), v == "0", len(v) >= 2 && strings.HasPrefix("off", v):
			return false, nil
		}
	}
	return false, syntaxErr("boolean", s)
}

// ParseInt parses an integer of the given kind (Int16, Int32 or Int64),
// accepting PostgreSQL 16's forms: sign, decimal, 0x/0o/0b prefixes and
// underscores between digits.
func ParseInt(s string, kind types.Kind) (int64, error) {
	name := types.T{Kind: kind}.String()
	v := trimSpace(s)
	neg := false
	if v != "" && (v[0] == '+' || v[0] == '-') {
		neg = v[0] == '-'
		v = v[1:]
	}
	base := uint64(10)
	if len(v) > 2 && v[0] == '0' {
		switch v[1] {
		case 'x', 'X':
			base, v = 16, v[2:]
		case 'o', 'O':
			base, v = 8, v[2:]
		case 'b', 'B':
			base, v = 2, v[2:]
		}
	}
	if v == "" {
		return 0, syntaxErr(name, s)
	}
	var u uint64
	overflow := false
	prevDigit := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '_' {
			if !prevDigit || i == len(v)-1 {
				return 0, syntaxErr(name, s)
			}
			prevDigit = false
			continue
		}
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, syntaxErr(name, s)
		}
		if d >= base {
			return 0, syntaxErr(name, s)
		}
		prevDigit = true
		hi, lo := bits.Mul64(u, base)
		lo, carry := bits.Add64(lo, d, 0)
		if hi != 0 || carry != 0 {
			overflow = true
		}
		u = lo
	}
	var lim uint64
	switch kind {
	case types.Int16:
		lim = math.MaxInt16
	case types.Int32:
		lim = math.MaxInt32
	default:
		lim = math.MaxInt64
	}
	if overflow || u > lim+boolU(neg) {
		return 0, sqlerr.New(sqlerr.NumericValueOutOfRange, "value \"%s\" is out of range for type %s", s, name)
	}
	if neg {
		return int64(-u), nil
	}
	return int64(u), nil
}

func boolU(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// ParseFloat parses double precision input, including Infinity and NaN.
func ParseFloat(s string) (float64, error) {
	return parseFloat(s, 64, "double precision")
}

// ParseFloat32 parses real input.
func ParseFloat32(s string) (float32, error) {
	f, err := parseFloat(s, 32, "real")
	return float32(f), err
}

func parseFloat(s string, bitSize int, name string) (float64, error) {
	v := trimSpace(s)
	switch strings.ToLower(v) {
	case "nan":
		return math.NaN(), nil
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	}
	if v == "" || strings.ContainsAny(v, "xXpP_") || strings.EqualFold(v, "+nan") || strings.EqualFold(v, "-nan") {
		return 0, syntaxErr(name, s)
	}
	f, err := strconv.ParseFloat(v, bitSize)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, sqlerr.New(sqlerr.NumericValueOutOfRange, "\"%s\" is out of range for type %s", v, name)
		}
		return 0, syntaxErr(name, s)
	}
	return f, nil
}

// pow10Big caches 10^i as big.Int for the slow numeric path.
var pow10Big = func() []*big.Int {
	out := make([]*big.Int, 80)
	ten := big.NewInt(10)
	out[0] = big.NewInt(1)
	for i := 1; i < len(out); i++ {
		out[i] = new(big.Int).Mul(out[i-1], ten)
	}
	return out
}()

// maxNumeric is 10^38, the first magnitude a Decimal128 column cannot hold.
var maxNumeric = pow10Big[types.MaxNumericPrecision]

// splitNumeric parses a decimal literal into its digits (no leading sign),
// the number of digits after the point, the sign and the exponent.
func splitNumeric(v string) (digits string, frac int, neg bool, exp int, ok bool) {
	if v != "" && (v[0] == '+' || v[0] == '-') {
		neg = v[0] == '-'
		v = v[1:]
	}
	if i := strings.IndexAny(v, "eE"); i >= 0 {
		e, err := strconv.Atoi(v[i+1:])
		if err != nil || i+1 == len(v) {
			return "", 0, false, 0, false
		}
		exp = e
		v = v[:i]
	}
	v = strings.ReplaceAll(v, "_", "")
	dot := strings.IndexByte(v, '.')
	if dot >= 0 {
		frac = len(v) - dot - 1
		v = v[:dot] + v[dot+1:]
	}
	if v == "" {
		return "", 0, false, 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return "", 0, false, 0, false
		}
	}
	return v, frac, neg, exp, true
}

// ParseNumeric parses s and rounds it half away from zero to scale decimals,
// returning the unscaled value. Magnitudes of 10^38 or more at that scale are
// a 22003 numeric field overflow.
func ParseNumeric(s string, scale int32) (decimal128.Num, error) {
	digits, frac, neg, exp, ok := splitNumeric(trimSpace(s))
	if !ok {
		return decimal128.Num{}, syntaxErr("numeric", s)
	}
	return numericFromDigits(digits, frac-exp, neg, scale)
}

// ParseNumericAuto parses s keeping the scale the text has (at least 0), as
// PostgreSQL's unconstrained numeric does for a literal.
func ParseNumericAuto(s string) (decimal128.Num, int32, error) {
	digits, frac, neg, exp, ok := splitNumeric(trimSpace(s))
	if !ok {
		return decimal128.Num{}, 0, syntaxErr("numeric", s)
	}
	scale := int32(max(frac-exp, 0))
	if scale > types.MaxNumericPrecision {
		scale = types.MaxNumericPrecision
	}
	n, err := numericFromDigits(digits, frac-exp, neg, scale)
	return n, scale, err
}

func numericFromDigits(digits string, have int, neg bool, scale int32) (decimal128.Num, error) {
	// Fast path: few digits and no rescaling beyond int64.
	if len(digits) <= 18 && have >= 0 && int(scale)-have >= 0 && int(scale)-have <= 18-len(digits) {
		u, _ := strconv.ParseUint(digits, 10, 64)
		for i := have; i < int(scale); i++ {
			u *= 10
		}
		n := int64(u)
		if neg {
			n = -n
		}
		return decimal128.FromI64(n), nil
	}
	b, _ := new(big.Int).SetString(digits, 10)
	shift := int(scale) - have
	switch {
	case shift > 0:
		if shift >= len(pow10Big) {
			if b.Sign() == 0 {
				return decimal128.Num{}, nil
			}
			return decimal128.Num{}, NumericOverflow()
		}
		b.Mul(b, pow10Big[shift])
	case shift < 0:
		if -shift >= len(pow10Big) {
			b.SetInt64(0)
			break
		}
		d := pow10Big[-shift]
		q, r := new(big.Int).QuoRem(b, d, new(big.Int))
		r.Lsh(r, 1)
		if r.Cmp(d) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		b = q
	}
	if b.CmpAbs(maxNumeric) >= 0 {
		return decimal128.Num{}, NumericOverflow()
	}
	if neg {
		b.Neg(b)
	}
	return decimal128.FromBigInt(b), nil
}

// NumericOverflow is PostgreSQL's error for a numeric that does not fit.
func NumericOverflow() *sqlerr.Error {
	return sqlerr.New(sqlerr.NumericValueOutOfRange, "numeric field overflow")
}

var monthNames = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
	"sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
	"dec": 12, "december": 12,
}

func atoiAll(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// parseDatePart parses the date portion: YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY,
// MM-DD-YYYY, DD-Mon-YYYY, Mon DD YYYY, YYYY-Mon-DD. bc flips the era.
func parseDatePart(v string, bc bool, orig, typ string) (int64, error) {
	var y, m, d int64
	var ok bool
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == '-' || r == '/' || r == ' ' || r == '.' || r == ',' })
	isNum := func(s string) bool { _, ok := atoiAll(s); return ok }
	switch len(fields) {
	case 1:
		if len(v) == 8 && isNum(v) {
			y, _ = atoiAll(v[:4])
			m, _ = atoiAll(v[4:6])
			d, _ = atoiAll(v[6:])
			ok = true
		}
	case 3:
		f0, f1, f2 := fields[0], fields[1], fields[2]
		switch {
		case isNum(f0) && isNum(f1) && isNum(f2):
			if len(f0) >= 3 {
				y, _ = atoiAll(f0)
				m, _ = atoiAll(f1)
				d, _ = atoiAll(f2)
			} else {
				// DateStyle MDY.
				m, _ = atoiAll(f0)
				d, _ = atoiAll(f1)
				y, _ = atoiAll(f2)
				if len(f2) <= 2 {
					y += 1900
					if y < 1970 {
						y += 100
					}
				}
			}
			ok = true
		case isNum(f0) && monthNames[strings.ToLower(f1)] != 0 && isNum(f2):
			m = int64(monthNames[strings.ToLower(f1)])
			if len(f0) >= 3 {
				y, _ = atoiAll(f0)
				d, _ = atoiAll(f2)
			} else {
				d, _ = atoiAll(f0)
				y, _ = atoiAll(f2)
			}
			ok = true
		case monthNames[strings.ToLower(f0)] != 0 && isNum(f1) && isNum(f2):
			m = int64(monthNames[strings.ToLower(f0)])
			d, _ = atoiAll(f1)
			y, _ = atoiAll(f2)
			ok = true
		}
	}
	if !ok {
		return 0, datetimeSyntaxErr(typ, orig)
	}
	if bc {
		if y == 0 {
			return 0, fieldOverflow(orig)
		}
		y = 1 - y
	} else if y == 0 {
		return 0, fieldOverflow(orig)
	}
	if m < 1 || m > 12 || d < 1 || d > int64(DaysInMonth(y, int(m))) {
		return 0, fieldOverflow(orig)
	}
	return DaysFromCivil(y, int(m), int(d)), nil
}

// stripEra removes a trailing BC/AD marker.
func stripEra(v string) (string, bool) {
	l := strings.ToLower(v)
	switch {
	case strings.HasSuffix(l, " bc"):
		return trimSpace(v[:len(v)-3]), true
	case strings.HasSuffix(l, " ad"):
		return trimSpace(v[:len(v)-3]), false
	}
	return v, false
}

// ParseDate parses date input (DateStyle ISO, MDY); a time part is ignored.
func ParseDate(s string) (int32, error) {
	v := trimSpace(s)
	switch strings.ToLower(v) {
	case "infinity", "+infinity":
		return DateNoEnd, nil
	case "-infinity":
		return DateNoBegin, nil
	case "epoch":
		return 0, nil
	}
	v, bc := stripEra(v)
	// A zone is read and ignored, also one without a time ('1995-06-30
	// +00', as pgjdbc sends dates), as PostgreSQL's date input does.
	v, _ = splitDateZone(v)
	datePart, timePart := splitDateTime(v)
	if timePart != "" {
		if _, _, err := parseClockTZ(timePart, s, "date"); err != nil {
			return 0, err
		}
	}
	days, err := parseDatePart(datePart, bc, s, "date")
	if err != nil {
		return 0, err
	}
	if days < math.MinInt32+1 || days >= math.MaxInt32 {
		return 0, sqlerr.New(sqlerr.DatetimeFieldOverflow, "date out of range: \"%s\"", s)
	}
	return int32(days), nil
}

// splitDateZone splits a date without a time from a zone field after it
// (+hh[:mm], -hhmm, Z, UTC, GMT): "1995-06-30 +00".
func splitDateZone(v string) (date, zone string) {
	j := strings.LastIndexByte(v, ' ')
	if j <= 0 || strings.IndexByte(v[:j], ':') >= 0 {
		return v, ""
	}
	tail := v[j+1:]
	switch strings.ToLower(tail) {
	case "z", "utc", "gmt":
		return trimSpace(v[:j]), tail
	}
	if len(tail) < 2 || tail[0] != '+' && tail[0] != '-' {
		return v, ""
	}
	digits := strings.Replace(tail[1:], ":", "", 1)
	if len(digits) != 1 && len(digits) != 2 && len(digits) != 4 {
		return v, ""
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return v, ""
		}
	}
	return trimSpace(v[:j]), tail
}

// splitDateTime splits "date[ T]time" into its two parts.
func splitDateTime(v string) (string, string) {
	if i := strings.IndexAny(v, "Tt"); i > 0 && i+1 < len(v) && v[i+1] >= '0' && v[i+1] <= '9' && v[i-1] >= '0' && v[i-1] <= '9' {
		return v[:i], v[i+1:]
	}
	// The time part starts at the first field containing a colon.
	if i := strings.IndexByte(v, ':'); i >= 0 {
		j := strings.LastIndexByte(v[:i], ' ')
		if j < 0 {
			return "", v
		}
		return trimSpace(v[:j]), trimSpace(v[j+1:])
	}
	return v, ""
}

// parseClockTZ parses HH:MM[:SS[.ffffff]] with an optional zone suffix and
// returns µs since midnight and the zone offset in seconds east of UTC.
func parseClockTZ(v, orig, typ string) (micros int64, offset int64, err error) {
	v = trimSpace(v)
	// Zone suffix: Z, UTC, GMT, or +hh[:mm], -hh[:mm].
	l := strings.ToLower(v)
	for _, z := range []string{"utc", "gmt", "z"} {
		if strings.HasSuffix(l, z) {
			v = trimSpace(v[:len(v)-len(z)])
			l = l[:len(v)]
			break
		}
	}
	if i := strings.LastIndexAny(v, "+-"); i > 0 {
		zone := v[i+1:]
		sign := int64(1)
		if v[i] == '-' {
			sign = -1
		}
		var hh, mm, ss int64
		var ok bool
		parts := strings.Split(zone, ":")
		switch {
		case len(parts) == 1 && len(zone) <= 2:
			hh, ok = atoiAll(zone)
		case len(parts) == 1 && len(zone) == 4:
			hh, ok = atoiAll(zone[:2])
			if ok {
				mm, ok = atoiAll(zone[2:])
			}
		case len(parts) == 2 || len(parts) == 3:
			hh, ok = atoiAll(parts[0])
			if ok {
				mm, ok = atoiAll(parts[1])
			}
			if ok && len(parts) == 3 {
				ss, ok = atoiAll(parts[2])
			}
		}
		if !ok || hh > 15 || mm > 59 || ss > 59 {
			return 0, 0, datetimeSyntaxErr(typ, orig)
		}
		offset = sign * (hh*3600 + mm*60 + ss)
		v = trimSpace(v[:i])
	}
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, datetimeSyntaxErr(typ, orig)
	}
	h, ok1 := atoiAll(parts[0])
	m, ok2 := atoiAll(parts[1])
	if !ok1 || !ok2 {
		return 0, 0, datetimeSyntaxErr(typ, orig)
	}
	var sec, frac int64
	if len(parts) == 3 {
		sp := parts[2]
		fs := ""
		if i := strings.IndexByte(sp, '.'); i >= 0 {
			sp, fs = sp[:i], sp[i+1:]
		}
		var ok bool
		if sec, ok = atoiAll(sp); !ok {
			return 0, 0, datetimeSyntaxErr(typ, orig)
		}
		if fs != "" {
			// Round to microseconds.
			digits := fs
			for len(digits) < 7 {
				digits += "0"
			}
			f7, ok := atoiAll(digits[:7])
			if !ok {
				return 0, 0, datetimeSyntaxErr(typ, orig)
			}
			for i := 7; i < len(digits); i++ {
				if digits[i] < '0' || digits[i] > '9' {
					return 0, 0, datetimeSyntaxErr(typ, orig)
				}
			}
			frac = (f7 + 5) / 10
		}
	}
	if m > 59 || sec > 60 || h > 24 {
		return 0, 0, fieldOverflow(orig)
	}
	micros = h*MicrosPerHour + m*MicrosPerMinute + sec*MicrosPerSecond + frac
	if micros > MicrosPerDay {
		return 0, 0, fieldOverflow(orig)
	}
	return micros, offset, nil
}

// ParseTime parses time without time zone input (a zone is ignored).
func ParseTime(s string) (int64, error) {
	v := trimSpace(s)
	if strings.EqualFold(v, "allballs") {
		return 0, nil
	}
	d, t := splitDateTime(v)
	if d != "" && t != "" {
		v = t
	}
	micros, _, err := parseClockTZ(v, s, "time")
	return micros, err
}

func parseTS(s, typ string, tz bool) (int64, error) {
	v := trimSpace(s)
	switch strings.ToLower(v) {
	case "infinity", "+infinity":
		return TimestampNoEnd, nil
	case "-infinity":
		return TimestampNoBegin, nil
	case "epoch":
		return 0, nil
	}
	v, bc := stripEra(v)
	// A zone after a date without a time ("2020-01-01 +02") is midnight
	// there; one written right after the date ("2020-01-01+02") is rare
	// and not supported.
	v, zone := splitDateZone(v)
	datePart, timePart := splitDateTime(v)
	if zone != "" && timePart == "" {
		timePart = "00:00:00 " + zone
	}
	days, err := parseDatePart(datePart, bc, s, typ)
	if err != nil {
		return 0, err
	}
	var micros, offset int64
	if timePart != "" {
		micros, offset, err = parseClockTZ(timePart, s, typ)
		if err != nil {
			return 0, err
		}
	}
	if !tz {
		offset = 0
	}
	hi, lo := bits.Mul64(uint64(absI(days)), MicrosPerDay)
	if hi != 0 || lo > math.MaxInt64/2 {
		return 0, sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", s)
	}
	return days*MicrosPerDay + micros - offset*MicrosPerSecond, nil
}

func absI(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// ParseTimestamp parses timestamp without time zone input; a zone is ignored.
func ParseTimestamp(s string) (int64, error) {
	return parseTS(s, "timestamp", false)
}

// ParseTimestampTZ parses timestamptz input; without a zone the session
// zone, UTC, applies.
func ParseTimestampTZ(s string) (int64, error) {
	return parseTS(s, "timestamp with time zone", true)
}

var intervalUnits = map[string]string{
	"microsecond": "us", "microseconds": "us", "us": "us", "usec": "us", "usecs": "us", "useconds": "us", "microsecon": "us",
	"millisecond": "ms", "milliseconds": "ms", "ms": "ms", "msec": "ms", "msecs": "ms", "mseconds": "ms", "millisecon": "ms",
	"second": "s", "seconds": "s", "s": "s", "sec": "s", "secs": "s",
	"minute": "m", "minutes": "m", "m": "m", "min": "m", "mins": "m",
	"hour": "h", "hours": "h", "h": "h", "hr": "h", "hrs": "h",
	"day": "d", "days": "d", "d": "d",
	"week": "w", "weeks": "w", "w": "w",
	"month": "mon", "months": "mon", "mon": "mon", "mons": "mon",
	"year": "y", "years": "y", "y": "y", "yr": "y", "yrs": "y",
	"decade": "dec", "decades": "dec", "dec": "dec", "decs": "dec",
	"century": "c", "centuries": "c", "cent": "c", "c": "c",
	"millennium": "mil", "millennia": "mil", "mil": "mil", "mils": "mil", "millenniums": "mil",
}

// intervalAcc accumulates an interval, spilling fractions of a unit into the
// next smaller one as PostgreSQL does ('1.5 months' = 1 mon 15 days).
type intervalAcc struct {
	months, days int64
	micros       float64
}

func (a *intervalAcc) add(val float64, unit string) {
	switch unit {
	case "us":
		a.micros += val
	case "ms":
		a.micros += val * 1000
	case "s":
		a.micros += val * MicrosPerSecond
	case "m":
		a.micros += val * MicrosPerMinute
	case "h":
		a.micros += val * MicrosPerHour
	case "d", "w":
		if unit == "w" {
			val *= 7
		}
		whole := math.Trunc(val)
		a.days += int64(whole)
		a.micros += (val - whole) * MicrosPerDay
	case "mon", "y", "dec", "c", "mil":
		mult := map[string]float64{"mon": 1, "y": 12, "dec": 120, "c": 1200, "mil": 12000}[unit]
		months := val * mult
		whole := math.Trunc(months)
		a.months += int64(whole)
		fracDays := (months - whole) * 30
		wd := math.Trunc(fracDays)
		a.days += int64(wd)
		a.micros += (fracDays - wd) * MicrosPerDay
	}
}

// ParseInterval parses interval input in PostgreSQL's verbose format
// ('1 year 2 mons 3 days 04:05:06', '3 day', '-1 day', '@ 1 hour ago') and
// ISO 8601 ('P1Y2M3DT4H5M6S').
func ParseInterval(s string) (types.IntervalValue, error) {
	v := strings.ToLower(trimSpace(s))
	bad := func() (types.IntervalValue, error) {
		return types.IntervalValue{}, datetimeSyntaxErr("interval", s)
	}
	if v == "" {
		return bad()
	}
	var acc intervalAcc
	if v[0] == 'p' {
		if !parseISOInterval(v[1:], &acc) {
			return bad()
		}
		return acc.result(s)
	}
	v = strings.TrimPrefix(v, "@")
	ago := false
	if strings.HasSuffix(v, " ago") || v == "ago" {
		ago = true
		v = strings.TrimSuffix(v, "ago")
	}
	toks := strings.Fields(v)
	if len(toks) == 0 {
		return bad()
	}
	// A sign standing apart ("1 month - 1 day") belongs to the number after it.
	for i := 0; i+1 < len(toks); i++ {
		if toks[i] == "-" || toks[i] == "+" {
			toks[i+1] = toks[i] + toks[i+1]
			toks = append(toks[:i], toks[i+1:]...)
		}
	}
	var pendingNum *float64
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if strings.Contains(tok, ":") {
			if pendingNum != nil {
				// "1 02:03" means 1 day 02:03.
				acc.add(*pendingNum, "d")
				pendingNum = nil
			}
			neg := false
			if tok[0] == '-' || tok[0] == '+' {
				neg = tok[0] == '-'
				tok = tok[1:]
			}
			micros, ok := parseIntervalClock(tok)
			if !ok {
				return bad()
			}
			if neg {
				micros = -micros
			}
			acc.micros += float64(micros)
			continue
		}
		// A number possibly glued to its unit: "3days", "10s".
		j := 0
		for j < len(tok) && (tok[j] == '+' || tok[j] == '-' || tok[j] == '.' || (tok[j] >= '0' && tok[j] <= '9')) {
			j++
		}
		if j > 0 {
			if pendingNum != nil {
				return bad()
			}
			f, err := strconv.ParseFloat(tok[:j], 64)
			if err != nil {
				return bad()
			}
			if j == len(tok) {
				pendingNum = &f
				continue
			}
			unit, ok := intervalUnits[tok[j:]]
			if !ok {
				return bad()
			}
			acc.add(f, unit)
			continue
		}
		unit, ok := intervalUnits[tok]
		if !ok || pendingNum == nil {
			return bad()
		}
		acc.add(*pendingNum, unit)
		pendingNum = nil
	}
	if pendingNum != nil {
		// A bare number is seconds.
		acc.add(*pendingNum, "s")
	}
	if ago {
		acc.months, acc.days, acc.micros = -acc.months, -acc.days, -acc.micros
	}
	return acc.result(s)
}

func (a *intervalAcc) result(s string) (types.IntervalValue, error) {
	if a.months > math.MaxInt32 || a.months < math.MinInt32 || a.days > math.MaxInt32 || a.days < math.MinInt32 || math.Abs(a.micros) > 9.2e18 {
		return types.IntervalValue{}, sqlerr.New(sqlerr.DatetimeFieldOverflow, "interval field value out of range: \"%s\"", s)
	}
	return types.IntervalValue{Months: int32(a.months), Days: int32(a.days), Micros: int64(math.Round(a.micros))}, nil
}

func parseIntervalClock(tok string) (int64, bool) {
	parts := strings.Split(tok, ":")
	if len(parts) > 3 {
		return 0, false
	}
	h, ok := atoiAll(parts[0])
	if !ok {
		return 0, false
	}
	m, ok := atoiAll(parts[1])
	if !ok {
		return 0, false
	}
	var sec float64
	if len(parts) == 3 {
		f, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || f < 0 {
			return 0, false
		}
		sec = f
	}
	return h*MicrosPerHour + m*MicrosPerMinute + int64(math.Round(sec*MicrosPerSecond)), true
}

func parseISOInterval(v string, acc *intervalAcc) bool {
	inTime := false
	any := false
	for len(v) > 0 {
		if v[0] == 't' {
			inTime = true
			v = v[1:]
			continue
		}
		j := 0
		for j < len(v) && (v[j] == '-' || v[j] == '+' || v[j] == '.' || (v[j] >= '0' && v[j] <= '9')) {
			j++
		}
		if j == 0 || j == len(v) {
			return false
		}
		f, err := strconv.ParseFloat(v[:j], 64)
		if err != nil {
			return false
		}
		var unit string
		switch v[j] {
		case 'y':
			unit = "y"
		case 'm':
			if inTime {
				unit = "m"
			} else {
				unit = "mon"
			}
		case 'w':
			unit = "w"
		case 'd':
			unit = "d"
		case 'h':
			unit = "h"
		case 's':
			unit = "s"
		default:
			return false
		}
		acc.add(f, unit)
		any = true
		v = v[j+1:]
	}
	return any
}
