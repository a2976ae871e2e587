package expr

import (
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// This file is to_char, to_date and to_timestamp(text, format): the
// template patterns of PostgreSQL's formatting.c that reports and ETL
// queries use. Templates are parsed once per distinct format string.

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// dtPatterns are the date/time template patterns, longest first so that
// HH24 wins over HH and YYYY over YY.
var dtPatterns = []string{
	"A.M.", "a.m.", "P.M.", "p.m.", "HH24", "HH12", "IYYY", "YYYY", "SSSS", "MONTH", "Month", "month",
	"Y,YYY", "YYY", "IYY", "DDD", "DAY", "Day", "day", "MON", "Mon", "mon", "AM", "am", "PM", "pm",
	"HH", "MI", "SS", "MS", "US", "YY", "IY", "MM", "DD", "DY", "Dy", "dy", "ID", "IW", "WW", "CC",
	"TZ", "tz", "OF", "Y", "I", "D", "W", "J", "Q",
}

// casedPatterns print names whose case follows the pattern's.
var casedPatterns = map[string]bool{"MONTH": true, "MON": true, "DAY": true, "DY": true, "AM": true, "PM": true, "A.M.": true, "P.M.": true, "TZ": true}

type dtTok struct {
	lit string // literal text when pat == ""
	pat string
	fm  bool // FM: no padding
}

func parseDTFormat(f string) []dtTok {
	var out []dtTok
	lit := func(s string) {
		if n := len(out); n > 0 && out[n-1].pat == "" {
			out[n-1].lit += s
			return
		}
		out = append(out, dtTok{lit: s})
	}
	for i := 0; i < len(f); {
		fm := false
		if strings.HasPrefix(f[i:], "FM") || strings.HasPrefix(f[i:], "fm") {
			fm = true
			i += 2
		}
		matched := false
		for _, p := range dtPatterns {
			if strings.HasPrefix(f[i:], p) {
				out = append(out, dtTok{pat: p, fm: fm})
				i += len(p)
				matched = true
				break
			}
		}
		if !matched {
			// Numeric patterns are case-insensitive (hh24, mi, yyyy);
			// names keep their case variants above.
			up := strings.ToUpper(f[i:min(len(f), i+5)])
			for _, p := range dtPatterns {
				if p == strings.ToUpper(p) && !casedPatterns[p] && strings.HasPrefix(up, p) {
					out = append(out, dtTok{pat: p, fm: fm})
					i += len(p)
					matched = true
					break
				}
			}
		}
		if matched {
			continue
		}
		if fm {
			continue
		}
		switch f[i] {
		case '"':
			j := i + 1
			var sb strings.Builder
			for j < len(f) && f[j] != '"' {
				if f[j] == '\\' && j+1 < len(f) {
					j++
				}
				sb.WriteByte(f[j])
				j++
			}
			lit(sb.String())
			i = j + 1
		case '\\':
			if i+1 < len(f) {
				lit(f[i+1 : i+2])
				i += 2
			} else {
				lit("\\")
				i++
			}
		default:
			lit(f[i : i+1])
			i++
		}
	}
	return out
}

// padNum is printf("%0*d", width, v): the width counts the sign.
func padNum(v int64, width int, fm bool) string {
	s := strconv.FormatInt(abs64(v), 10)
	if v < 0 {
		width--
	}
	if !fm && len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	if v < 0 {
		s = "-" + s
	}
	return s
}

// padSigned widens the field by one for negative values, as to_char does
// for MM, HH24, MI and SS of intervals.
func padSigned(v int64, width int, fm bool) string {
	if v < 0 {
		width++
	}
	return padNum(v, width, fm)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func caseName(name, pat string, fm bool, short bool) string {
	if short {
		name = name[:3]
	}
	switch {
	case pat == strings.ToUpper(pat):
		name = strings.ToUpper(name)
	case pat == strings.ToLower(pat):
		name = strings.ToLower(name)
	}
	if !fm && !short && len(name) < 9 {
		name += strings.Repeat(" ", 9-len(name))
	}
	return name
}

// dtValue is what to_char formats: a timestamp's fields, or an interval's.
type dtValue struct {
	f        tmFields
	days     int64 // days since 2000-01-01... epoch days for timestamps
	interval bool
	tz       bool
}

func formatDT(toks []dtTok, v dtValue) string {
	var sb strings.Builder
	f := v.f
	// BC years print as positive numbers (year 0 is 1 BC).
	year := f.year
	if !v.interval && year <= 0 {
		year = 1 - year
	}
	hour12 := f.hour % 12
	if hour12 == 0 {
		hour12 = 12
	}
	dow := int((v.days%7 + 7 + 4) % 7) // 1970-01-01 was a Thursday
	doy := int64(0)
	if !v.interval {
		doy = v.days - pgtext.DaysFromCivil(f.year, 1, 1) + 1
	}
	for _, t := range toks {
		if t.pat == "" {
			sb.WriteString(t.lit)
			continue
		}
		fm := t.fm
		switch t.pat {
		case "YYYY":
			sb.WriteString(padNum(year, 4, fm))
		case "Y,YYY":
			s := padNum(year, 4, fm)
			sb.WriteString(s[:len(s)-3] + "," + s[len(s)-3:])
		case "YYY":
			sb.WriteString(padNum(year%1000, 3, fm))
		case "YY":
			sb.WriteString(padNum(year%100, 2, fm))
		case "Y":
			sb.WriteString(padNum(year%10, 1, fm))
		case "IYYY", "IYY", "IY", "I":
			_, iy := isoWeekYear(v.days)
			w := len(t.pat)
			mod := int64(math.Pow10(w))
			sb.WriteString(padNum(iy%mod, w, fm))
		case "MM":
			sb.WriteString(padSigned(f.mon, 2, fm))
		case "MONTH", "Month", "month", "MON", "Mon", "mon":
			if f.mon >= 1 && f.mon <= 12 {
				sb.WriteString(caseName(monthNames[f.mon-1], t.pat, fm, len(t.pat) == 3))
			}
		case "DAY", "Day", "day", "DY", "Dy", "dy":
			sb.WriteString(caseName(dayNames[dow], t.pat, fm, len(t.pat) == 2))
		case "DDD":
			sb.WriteString(padNum(doy, 3, fm))
		case "DD":
			sb.WriteString(padNum(f.mday, 2, fm))
		case "D":
			sb.WriteString(strconv.Itoa(dow + 1))
		case "ID":
			d := dow
			if d == 0 {
				d = 7
			}
			sb.WriteString(strconv.Itoa(d))
		case "W":
			sb.WriteString(strconv.FormatInt((f.mday-1)/7+1, 10))
		case "WW":
			sb.WriteString(padNum((doy-1)/7+1, 2, fm))
		case "IW":
			w, _ := isoWeekYear(v.days)
			sb.WriteString(padNum(w, 2, fm))
		case "Q":
			if !v.interval || f.mon > 0 {
				sb.WriteString(strconv.FormatInt((f.mon-1)/3+1, 10))
			}
		case "CC":
			c := (year + 99) / 100
			if v.interval {
				c = year / 100
			}
			if !v.interval && f.year <= 0 {
				c = -c
			}
			sb.WriteString(padNum(c, 2, fm))
		case "J":
			sb.WriteString(strconv.FormatInt(v.days+2440588, 10))
		case "HH24":
			sb.WriteString(padSigned(f.hour, 2, fm))
		case "HH12", "HH":
			h := hour12
			if v.interval {
				h = f.hour % 12
			}
			sb.WriteString(padSigned(h, 2, fm))
		case "MI":
			sb.WriteString(padSigned(f.min, 2, fm))
		case "SS":
			sb.WriteString(padSigned(f.sec, 2, fm))
		case "SSSS":
			sb.WriteString(strconv.FormatInt(f.hour*3600+f.min*60+f.sec, 10))
		case "MS":
			sb.WriteString(padNum(f.usec/1000, 3, false))
		case "US":
			sb.WriteString(padNum(f.usec, 6, false))
		case "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.":
			s := "AM"
			if f.hour%24 >= 12 {
				s = "PM"
			}
			if strings.Contains(t.pat, ".") {
				s = s[:1] + "." + s[1:] + "."
			}
			if t.pat == strings.ToLower(t.pat) {
				s = strings.ToLower(s)
			}
			sb.WriteString(s)
		case "TZ":
			if v.tz {
				sb.WriteString("UTC")
			}
		case "tz":
			if v.tz {
				sb.WriteString("utc")
			}
		case "OF":
			if v.tz {
				sb.WriteString("+00")
			}
		}
	}
	return sb.String()
}

// isoWeekYear returns the ISO week number and ISO year of an epoch day.
func isoWeekYear(days int64) (int64, int64) {
	y, w := isoWeek(days)
	return w, y
}

func compileToChar(args []node, argT []types.T, t types.T) (node, bool, error) {
	cache := &fmtCache[[]dtTok]{}
	ncache := &fmtCache[*numFormat]{}
	k := argT[0].Kind
	return &rowNode{fn: "to_char", args: args, t: t, strict: true, fails: true, f: func(a rowArgs, i int, bld array.Builder) error {
		f := a.str(1, i)
		switch k {
		case types.Timestamp, types.TimestampTZ:
			ts := a.ts(0, i)
			if isInfTS(ts) {
				bld.AppendNull()
				return nil
			}
			days, _ := floorDivMod(ts, usPerDayI)
			toks := cache.get(f, parseDTFormat)
			appendText(bld, formatDT(toks, dtValue{f: splitTS(ts), days: days, tz: k == types.TimestampTZ}))
		case types.Interval:
			v := a.iv(0, i)
			us := v.Micros
			fl := tmFields{year: int64(v.Months) / 12, mon: int64(v.Months) % 12, mday: int64(v.Days),
				hour: us / pgtext.MicrosPerHour, min: us / pgtext.MicrosPerMinute % 60,
				sec: us / pgtext.MicrosPerSecond % 60, usec: us % pgtext.MicrosPerSecond}
			appendText(bld, formatDT(cache.get(f, parseDTFormat), dtValue{f: fl, interval: true}))
		default:
			nf := ncache.get(f, parseNumFormat)
			var s string
			switch k {
			case types.Numeric:
				s = string(pgtext.AppendNumeric(nil, decOf(a, 0, i), decScale(a.arrs[0])))
			case types.Float64, types.Float32:
				x := a.f64(0, i)
				if math.IsNaN(x) || math.IsInf(x, 0) {
					appendText(bld, nf.overflow())
					return nil
				}
				s = strconv.FormatFloat(x, 'f', -1, 64)
				if k == types.Float32 {
					s = strconv.FormatFloat(x, 'f', -1, 32)
				}
			default:
				s = strconv.FormatInt(a.i64(0, i), 10)
			}
			appendText(bld, nf.format(s, k == types.Float64 || k == types.Float32))
		}
		return nil
	}}, true, nil
}

// fmtCache keeps the parsed form of the last format strings seen. An
// Evaluator may be shared by parallel streams, hence the lock.
type fmtCache[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

func (c *fmtCache[T]) get(f string, parse func(string) T) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[f]; ok {
		return v
	}
	if c.m == nil || len(c.m) > 64 {
		c.m = map[string]T{}
	}
	v := parse(f)
	c.m[f] = v
	return v
}

// numFormat is a parsed numeric template: digit positions (9 or 0) before
// and after the decimal point, group separators, and sign placement.
type numFormat struct {
	toks     []byte // '9', '0', '.', ',', or 'x' for literal
	lits     []string
	intDig   int
	fracDig  int
	fm       bool
	hasPoint bool
	sign     byte // 0 default, 'S' leading/trailing S, 'M' MI, 'P' PR
	signLead bool
}

func parseNumFormat(f string) *numFormat {
	nf := &numFormat{}
	seenPoint := false
	up := strings.ToUpper(f)
	for i := 0; i < len(f); i++ {
		switch {
		case strings.HasPrefix(up[i:], "FM"):
			nf.fm = true
			i++
		case f[i] == '9' || f[i] == '0':
			nf.toks = append(nf.toks, f[i])
			nf.lits = append(nf.lits, "")
			if seenPoint {
				nf.fracDig++
			} else {
				nf.intDig++
			}
		case (f[i] == '.' || up[i] == 'D') && !seenPoint:
			seenPoint = true
			nf.hasPoint = true
			nf.toks = append(nf.toks, '.')
			nf.lits = append(nf.lits, "")
		case f[i] == ',' || up[i] == 'G':
			nf.toks = append(nf.toks, ',')
			nf.lits = append(nf.lits, "")
		case up[i] == 'S':
			nf.sign = 'S'
			nf.signLead = len(nf.toks) == 0
		case strings.HasPrefix(up[i:], "MI"):
			nf.sign = 'M'
			nf.signLead = len(nf.toks) == 0
			i++
		case strings.HasPrefix(up[i:], "PR"):
			nf.sign = 'P'
			i++
		case up[i] == 'L':
			// The currency symbol of the C locale is a space.
			nf.toks = append(nf.toks, 'x')
			nf.lits = append(nf.lits, " ")
		default:
			nf.toks = append(nf.toks, 'x')
			nf.lits = append(nf.lits, f[i:i+1])
		}
	}
	return nf
}

func (nf *numFormat) overflow() string {
	var sb strings.Builder
	if (nf.sign == 0 || nf.signLead) && !nf.fm {
		sb.WriteByte(' ')
	}
	for k, c := range nf.toks {
		switch c {
		case '9', '0':
			sb.WriteByte('#')
		case 'x':
			sb.WriteString(nf.lits[k])
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// format renders the decimal text s (optionally signed) through the
// template, rounding half away from zero to the template's decimals.
// A float keeps its sign when it rounds to zero (-0.00), as C's printf
// does; a numeric zero has none.
func (nf *numFormat) format(s string, isFloat bool) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	// Round to fracDig digits, half away from zero, on the digit string.
	if len(fp) > nf.fracDig {
		roundUp := fp[nf.fracDig] >= '5'
		fp = fp[:nf.fracDig]
		if roundUp {
			digits := []byte(ip + fp)
			k := len(digits) - 1
			for k >= 0 {
				if digits[k] == '9' {
					digits[k] = '0'
					k--
					continue
				}
				digits[k]++
				break
			}
			if k < 0 {
				digits = append([]byte{'1'}, digits...)
			}
			ip, fp = string(digits[:len(digits)-len(fp)]), string(digits[len(digits)-len(fp):])
		}
	}
	for len(fp) < nf.fracDig {
		fp += "0"
	}
	ip = strings.TrimLeft(ip, "0")
	if len(ip) > nf.intDig {
		return nf.overflow()
	}
	if ip == "" && fp == strings.Repeat("0", len(fp)) && !isFloat {
		neg = false
	}
	if ip == "" && !nf.hasPoint {
		// A template without decimals prints a zero in its last digit.
		ip = "0"
	}
	// Integer positions: right-align ip under the digit tokens.
	var body strings.Builder
	lead := nf.intDig - len(ip) // digit positions before the first digit
	started := false
	di, fi := 0, 0
	afterPoint := false
	signDone := false
	putSign := func() {
		if signDone || nf.sign != 0 {
			return
		}
		signDone = true
		if neg {
			body.WriteByte('-')
		} else if !nf.fm {
			body.WriteByte(' ')
		}
	}
	// With a 0 in the integer part, zeros are printed from that position on.
	zeroFrom := nf.intDig
	pos := 0
	for _, c := range nf.toks {
		if c == '0' && pos < nf.intDig {
			zeroFrom = min(zeroFrom, pos)
		}
		if c == '0' || c == '9' {
			pos++
		}
	}
	pos = 0
	for k, c := range nf.toks {
		switch {
		case c == 'x':
			body.WriteString(nf.lits[k])
		case c == '.':
			afterPoint = true
			if !started {
				putSign()
				started = true
			}
			body.WriteByte('.')
		case c == ',':
			if started {
				body.WriteByte(',')
			} else if !nf.fm {
				body.WriteByte(' ')
			}
		case !afterPoint:
			if pos < lead {
				if pos >= zeroFrom {
					if !started {
						putSign()
						started = true
					}
					body.WriteByte('0')
				} else if !nf.fm {
					body.WriteByte(' ')
				}
			} else {
				if !started {
					putSign()
					started = true
				}
				body.WriteByte(ip[di])
				di++
			}
			pos++
		default:
			body.WriteByte(fp[fi])
			fi++
		}
	}
	out := body.String()
	if nf.fm && nf.fracDig > 0 {
		// FM drops trailing zeros of 9 positions in the fraction.
		trim := 0
		for k := len(nf.toks) - 1; k >= 0 && nf.toks[k] == '9' && trim < len(out) && out[len(out)-1-trim] == '0'; k-- {
			trim++
		}
		out = out[:len(out)-trim]
	}
	if !started && nf.sign == 0 {
		putSign()
		out = body.String()
	}
	switch nf.sign {
	case 'S':
		sg := "+"
		if neg {
			sg = "-"
		}
		if nf.signLead {
			out = insertSign(out, sg)
		} else {
			out += sg
		}
	case 'M':
		sg := " "
		if neg {
			sg = "-"
		} else if nf.fm {
			sg = ""
		}
		if nf.signLead {
			out = sg + out
		} else {
			out += sg
		}
	case 'P':
		if neg {
			out = insertSign(out, "<") + ">"
		} else if !nf.fm {
			out = " " + out + " "
		}
	}
	return out
}

// insertSign puts sg just before the first non-space character.
func insertSign(s, sg string) string {
	k := len(s) - len(strings.TrimLeft(s, " "))
	return s[:k] + sg + s[k:]
}

// compileToDate builds to_date and to_timestamp(text, format).
func compileToDate(fn string, args []node, t types.T) (node, bool, error) {
	cache := &fmtCache[[]dtTok]{}
	return &rowNode{fn: fn, args: args, t: t, strict: true, fails: true, f: func(a rowArgs, i int, bld array.Builder) error {
		ts, err := parseWithFormat(a.str(0, i), cache.get(a.str(1, i), parseDTFormat), t.Kind == types.Date)
		if err != nil {
			return err
		}
		if t.Kind == types.Date {
			d, _ := floorDivMod(ts, usPerDayI)
			bld.(*array.Date32Builder).Append(arrow.Date32(d))
		} else {
			bld.(*array.TimestampBuilder).Append(arrow.Timestamp(ts))
		}
		return nil
	}}, true, nil
}

func badValue(v, pat string) error {
	return sqlerr.New(sqlerr.InvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", v, pat)
}

// parseWithFormat reads s by the template: numeric fields take their
// pattern's width when the next token abuts them, otherwise every digit;
// literals skip one input character each; spaces are skipped.
func parseWithFormat(s string, toks []dtTok, dateOnly bool) (int64, error) {
	year, mon, day, doy := int64(-1), int64(1), int64(1), int64(-1)
	var hour, minute, sec, usec int64
	pm, ampm := false, false
	yearDigits := 0
	pos := 0
	skipSpace := func() {
		for pos < len(s) && s[pos] == ' ' {
			pos++
		}
	}
	for k, t := range toks {
		if t.pat == "" {
			for range t.lit {
				if pos < len(s) {
					pos++
				}
			}
			continue
		}
		abut := k+1 < len(toks) && toks[k+1].pat != ""
		readNum := func(width int) (int64, error) {
			skipSpace()
			st := pos
			if pos < len(s) && (s[pos] == '-' || s[pos] == '+') && t.pat[0] == 'Y' {
				pos++
			}
			for pos < len(s) && s[pos] >= '0' && s[pos] <= '9' && (!abut || pos-st < width) {
				pos++
			}
			if pos == st {
				rest := s[st:]
				if len(rest) > width {
					rest = rest[:width]
				}
				if rest == "" {
					return 0, sqlerr.New(sqlerr.InvalidDatetimeFormat, "source string too short for \"%s\" formatting field", t.pat)
				}
				return 0, badValue(rest, t.pat)
			}
			v, err := strconv.ParseInt(s[st:pos], 10, 64)
			if err != nil {
				return 0, badValue(s[st:pos], t.pat)
			}
			return v, nil
		}
		readName := func(names []string, short bool) (int64, error) {
			skipSpace()
			for n, name := range names {
				if short {
					name = name[:3]
				}
				if len(s)-pos >= len(name) && strings.EqualFold(s[pos:pos+len(name)], name) {
					pos += len(name)
					return int64(n), nil
				}
			}
			rest := s[pos:]
			return 0, sqlerr.New(sqlerr.InvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", rest, t.pat)
		}
		var err error
		switch t.pat {
		case "YYYY", "IYYY":
			st := pos
			year, err = readNum(4)
			yearDigits = pos - st
		case "YYY", "IYY":
			year, err = readNum(3)
			if err == nil && year < 100 {
				year += 2000
			} else if year < 1000 {
				year += 1000
			}
		case "YY", "IY":
			year, err = readNum(2)
			if year < 70 {
				year += 2000
			} else if year < 100 {
				year += 1900
			}
		case "Y", "I":
			year, err = readNum(1)
			year += 2000
		case "MM":
			mon, err = readNum(2)
		case "DD":
			day, err = readNum(2)
		case "DDD":
			doy, err = readNum(3)
		case "HH24":
			hour, err = readNum(2)
		case "HH", "HH12":
			hour, err = readNum(2)
			if err == nil && (hour < 1 || hour > 12) {
				return 0, sqlerr.New(sqlerr.InvalidDatetimeFormat, "hour \"%d\" is invalid for the 12-hour clock", hour)
			}
			ampm = ampm || false
		case "MI":
			minute, err = readNum(2)
		case "SS":
			sec, err = readNum(2)
		case "MS":
			var v int64
			st := pos
			v, err = readNum(3)
			for d := pos - st; d < 3 && err == nil; d++ {
				v *= 10
			}
			usec += v * 1000
		case "US":
			var v int64
			st := pos
			v, err = readNum(6)
			for d := pos - st; d < 6 && err == nil; d++ {
				v *= 10
			}
			usec += v
		case "MONTH", "Month", "month":
			var m int64
			m, err = readName(monthNames, false)
			mon = m + 1
		case "MON", "Mon", "mon":
			var m int64
			m, err = readName(monthNames, true)
			mon = m + 1
		case "DAY", "Day", "day":
			_, err = readName(dayNames, false)
		case "DY", "Dy", "dy":
			_, err = readName(dayNames, true)
		case "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.":
			skipSpace()
			w := len(t.pat)
			if len(s)-pos < w {
				return 0, badValue(s[pos:], t.pat)
			}
			v := strings.ToUpper(s[pos : pos+w])
			switch strings.ReplaceAll(v, ".", "") {
			case "AM":
				pm = false
			case "PM":
				pm = true
			default:
				return 0, sqlerr.New(sqlerr.InvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", v, t.pat)
			}
			ampm = true
			pos += w
		case "TZ", "tz", "OF":
			return 0, sqlerr.New(sqlerr.FeatureNotSupported, "formatting field \"%s\" is only supported in to_char", t.pat)
		default:
			// D, ID, W, WW, IW, Q, CC, J, SSSS: read and ignore.
			_, err = readNum(len(t.pat))
		}
		if err != nil {
			return 0, err
		}
	}
	_ = yearDigits
	if ampm {
		if hour == 12 {
			hour = 0
		}
		if pm {
			hour += 12
		}
	}
	if year < 0 {
		year = 1
	}
	y := year
	if y <= 0 {
		// Year 0 is taken as 1 BC, as PostgreSQL reads it.
		y = year
	}
	if doy >= 0 {
		mon, day = 1, 1
	}
	if mon < 1 || mon > 12 || day < 1 || day > int64(pgtext.DaysInMonth(y, int(mon))) ||
		hour > 24 || minute > 59 || sec > 60 {
		return 0, sqlerr.New(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
	}
	days := pgtext.DaysFromCivil(y, int(mon), int(day))
	if doy >= 0 {
		days += doy - 1
	}
	if dateOnly {
		return days * usPerDayI, nil
	}
	return days*usPerDayI + hour*pgtext.MicrosPerHour + minute*pgtext.MicrosPerMinute + sec*pgtext.MicrosPerSecond + usec, nil
}
