package pgwire

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/basaltdb/basalt/sql/binder"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// Parameters, first version: the binder has no $n placeholders yet, so
// Bind substitutes each value into the statement text as a quoted, typed
// literal ('v'::type) before the text is parsed. Quoting doubles single
// quotes (standard_conforming_strings is always on, so backslashes are
// ordinary), which makes the substitution injection-safe: a value can
// never end its literal. A parameter whose type neither Parse nor a
// "$n::type" cast gives is text, as PostgreSQL infers for an unconstrained
// parameter, and is substituted as an untyped literal the binder coerces
// from context.

// placeholder is one $n in a statement's text.
type placeholder struct {
	start, end int  // byte span of "$n"
	n          int  // 1-based parameter number
	bare       bool // follows LIMIT or OFFSET, where the grammar wants a bare number
}

// scanPlaceholders finds $n outside strings, quoted identifiers, comments
// and dollar-quoted strings, and the type of "$n::type" casts.
func scanPlaceholders(s string) (ph []placeholder, casts map[int]types.T) {
	casts = map[int]types.T{}
	lastWord := ""
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == '\'' || ch == '"':
			esc := ch == '\'' && i > 0 && (s[i-1] == 'e' || s[i-1] == 'E')
			j := i + 1
			for j < len(s) {
				if esc && s[j] == '\\' {
					j += 2
					continue
				}
				if s[j] == ch {
					if j+1 < len(s) && s[j+1] == ch {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j + 1
			lastWord = ""
		case ch == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case ch == '/' && i+1 < len(s) && s[i+1] == '*':
			depth := 0
			for i < len(s) {
				if strings.HasPrefix(s[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(s[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		case ch == '$' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' && (i == 0 || !isIdent(s[i-1])):
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(s[i+1 : j])
			if err == nil && n > 0 {
				ph = append(ph, placeholder{start: i, end: j, n: n, bare: lastWord == "limit" || lastWord == "offset"})
				if t, ok := castAfter(s[j:]); ok {
					if _, seen := casts[n]; !seen {
						casts[n] = t
					}
				}
			}
			i = j
			lastWord = ""
		case ch == '$':
			// A dollar-quoted string: $tag$ ... $tag$.
			j := i + 1
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '$' && (i == 0 || !isIdent(s[i-1])) {
				tag := s[i : j+1]
				if k := strings.Index(s[j+1:], tag); k >= 0 {
					i = j + 1 + k + len(tag)
				} else {
					i = len(s)
				}
			} else {
				i = j
			}
			lastWord = ""
		case isIdent(ch):
			j := i
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			lastWord = strings.ToLower(s[i:j])
			i = j
		default:
			if ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r' {
				lastWord = ""
			}
			i++
		}
	}
	return ph, casts
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// castAfter reads "::type" at the start of s.
func castAfter(s string) (types.T, bool) {
	s = strings.TrimLeft(s, " \t\r\n")
	if !strings.HasPrefix(s, "::") {
		return types.T{}, false
	}
	s = strings.TrimLeft(s[2:], " \t\r\n")
	var words []string
	for len(words) < 4 {
		j := 0
		for j < len(s) && (isIdent(s[j]) || s[j] == '.') {
			j++
		}
		if j == 0 {
			break
		}
		w := s[:j]
		// Take a following "(p,s)" or "[]" with the word.
		rest := s[j:]
		if strings.HasPrefix(rest, "(") {
			if k := strings.IndexByte(rest, ')'); k > 0 {
				w += rest[:k+1]
				j += k + 1
			}
		}
		if strings.HasPrefix(s[j:], "[]") {
			w += "[]"
			j += 2
		}
		words = append(words, w)
		s = strings.TrimLeft(s[j:], " \t\r\n")
		lw := strings.ToLower(words[0])
		if len(words) == 1 && lw != "double" && lw != "timestamp" && lw != "time" && lw != "character" {
			break
		}
		if len(words) == 2 && !(strings.EqualFold(words[1], "with") || strings.EqualFold(words[1], "without")) {
			break
		}
		if len(words) == 3 && strings.EqualFold(words[2], "time") {
			continue
		}
	}
	for k := len(words); k > 0; k-- {
		if t, err := binder.ParseTypeName(strings.Join(words[:k], " ")); err == nil {
			return t, true
		}
	}
	return types.T{}, false
}

// oidTypeName is the SQL type a parameter OID substitutes as; "" for
// types substituted as untyped literals.
func oidTypeName(oid uint32) string {
	switch oid {
	case 16:
		return "boolean"
	case 21:
		return "smallint"
	case 23:
		return "integer"
	case 20:
		return "bigint"
	case 700:
		return "real"
	case 701:
		return "double precision"
	case 1700:
		return "numeric"
	case 25, 1043, 1042:
		return "text"
	case 17:
		return "bytea"
	case 1082:
		return "date"
	case 1083:
		return "time"
	case 1114:
		return "timestamp"
	case 1184:
		return "timestamptz"
	case 1186:
		return "interval"
	}
	return ""
}

// paramText turns one Bind value into its PostgreSQL text.
func paramText(v []byte, format int16, oid uint32, n int) (string, error) {
	if format == 0 {
		if !utf8.Valid(v) {
			return "", sqlerr.New(codeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\" in parameter $%d", n)
		}
		if strings.IndexByte(string(v), 0) >= 0 {
			return "", sqlerr.New(codeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x00")
		}
		return string(v), nil
	}
	if format != 1 {
		return "", sqlerr.New(codeProtocolViolation, "unsupported format code: %d", format)
	}
	be := binary.BigEndian
	bad := func() (string, error) {
		return "", sqlerr.New(codeInvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
	}
	switch oid {
	case 16:
		if len(v) != 1 {
			return bad()
		}
		return string(pgtext.AppendBool(nil, v[0] != 0)), nil
	case 21:
		if len(v) != 2 {
			return bad()
		}
		return strconv.FormatInt(int64(int16(be.Uint16(v))), 10), nil
	case 23:
		if len(v) != 4 {
			return bad()
		}
		return strconv.FormatInt(int64(int32(be.Uint32(v))), 10), nil
	case 20:
		if len(v) != 8 {
			return bad()
		}
		return strconv.FormatInt(int64(be.Uint64(v)), 10), nil
	case 700:
		if len(v) != 4 {
			return bad()
		}
		return string(pgtext.AppendFloat32(nil, math.Float32frombits(be.Uint32(v)))), nil
	case 701:
		if len(v) != 8 {
			return bad()
		}
		return string(pgtext.AppendFloat64(nil, math.Float64frombits(be.Uint64(v)))), nil
	case 1700:
		s, err := numericFromBinary(v)
		if err != nil {
			return "", err
		}
		return s, nil
	case 25, 1043, 1042, 0, 705:
		return paramText(v, 0, oid, n)
	case 17:
		return string(pgtext.AppendBytea(nil, v)), nil
	case 1082:
		if len(v) != 4 {
			return bad()
		}
		return string(pgtext.AppendDate(nil, dateFromPG(int32(be.Uint32(v))))), nil
	case 1083:
		if len(v) != 8 {
			return bad()
		}
		return string(pgtext.AppendTime(nil, int64(be.Uint64(v)))), nil
	case 1114:
		if len(v) != 8 {
			return bad()
		}
		return string(pgtext.AppendTimestamp(nil, timestampFromPG(int64(be.Uint64(v))))), nil
	case 1184:
		if len(v) != 8 {
			return bad()
		}
		return string(pgtext.AppendTimestampTZ(nil, timestampFromPG(int64(be.Uint64(v))))), nil
	case 1186:
		if len(v) != 16 {
			return bad()
		}
		return string(pgtext.AppendInterval(nil, types.IntervalValue{
			Micros: int64(be.Uint64(v)), Days: int32(be.Uint32(v[8:])), Months: int32(be.Uint32(v[12:]))})), nil
	}
	return "", sqlerr.New(sqlerr.FeatureNotSupported, "binary format for parameters of type OID %d is not supported", oid)
}

// substitute writes values (nil entries: NULL) into text in place of its
// placeholders.
func substitute(text string, ph []placeholder, oids []uint32, untyped []bool, values []*string) string {
	var b strings.Builder
	last := 0
	for _, p := range ph {
		b.WriteString(text[last:p.start])
		last = p.end
		oid := oids[p.n-1]
		name := oidTypeName(oid)
		if untyped[p.n-1] {
			name = ""
		}
		v := values[p.n-1]
		switch {
		case v == nil && name == "":
			b.WriteString("NULL")
		case v == nil:
			b.WriteString("(NULL::" + name + ")")
		case p.bare && (oid == 20 || oid == 21 || oid == 23) && isInteger(*v):
			b.WriteString(*v)
		case name == "":
			b.WriteString(quote(*v))
		default:
			b.WriteString("(" + quote(*v) + "::" + name + ")")
		}
	}
	b.WriteString(text[last:])
	return b.String()
}

func isInteger(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
