// Package pgjson holds PostgreSQL's text forms of json and jsonb: input
// validation (json keeps the text as written), jsonb's normalized output
// (keys sorted by length then bytes and unique, last one winning, ", " and
// ": " separators, numbers as numeric prints them, escapes resolved), and
// escape_json's string quoting. The engine stores both types as text, so
// these are their input and output functions. It imports only sqlerr.
package pgjson

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// SQLSTATEs of json input errors.
const (
	codeInvalidText        = "22P02" // invalid_text_representation
	codeUntranslatableChar = "22P05" // untranslatable_character
)

// Kind is the kind of a JSON value.
type Kind uint8

const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// Value is a parsed JSON value. Str holds a string's decoded text, a
// number's text as written, or "true"/"false".
type Value struct {
	Kind  Kind
	Str   string
	Raw   string   // the value's text as written (json keeps it for -> and ->>)
	Elems []Value  // Array elements; Object values
	Keys  []string // Object keys, in input order
}

// Validate checks that s is valid json input, as json_in does.
func Validate(s string, typ string) error {
	_, err := Parse(s, typ)
	return err
}

// Parse reads s as json (typ names the type in errors: "json" or "jsonb").
func Parse(s, typ string) (Value, error) {
	p := &parser{s: s, typ: typ}
	p.skip()
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.skip()
	if p.i < len(p.s) {
		return Value{}, p.errToken("Expected end of input, but found \"%s\".")
	}
	return v, nil
}

// NormalizeJsonb returns jsonb's output for the json text s.
func NormalizeJsonb(s string) (string, error) {
	v, err := Parse(s, "jsonb")
	if err != nil {
		return "", err
	}
	if err := checkJsonbStrings(v); err != nil {
		return "", err
	}
	return string(AppendJsonb(nil, v)), nil
}

// checkJsonbStrings refuses \u0000, which jsonb cannot hold (json keeps it
// as written).
func checkJsonbStrings(v Value) error {
	bad := func(s string) bool { return strings.IndexByte(s, 0) >= 0 }
	switch v.Kind {
	case String:
		if bad(v.Str) {
			return &sqlerr.Error{Code: codeUntranslatableChar, Message: "unsupported Unicode escape sequence",
				Detail: "\\u0000 cannot be converted to text."}
		}
	case Array, Object:
		for _, k := range v.Keys {
			if bad(k) {
				return checkJsonbStrings(Value{Kind: String, Str: k})
			}
		}
		for _, e := range v.Elems {
			if err := checkJsonbStrings(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// AppendJsonb appends v as jsonb prints it.
func AppendJsonb(dst []byte, v Value) []byte {
	switch v.Kind {
	case Null:
		return append(dst, "null"...)
	case Bool:
		return append(dst, v.Str...)
	case Number:
		return appendNumeric(dst, v.Str)
	case String:
		return Quote(dst, v.Str)
	case Array:
		dst = append(dst, '[')
		for i, e := range v.Elems {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendJsonb(dst, e)
		}
		return append(dst, ']')
	}
	keys, vals := jsonbPairs(v)
	dst = append(dst, '{')
	for i := range keys {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = Quote(dst, keys[i])
		dst = append(dst, ": "...)
		dst = AppendJsonb(dst, vals[i])
	}
	return append(dst, '}')
}

// jsonbPairs orders an object's pairs as jsonb stores them: shorter keys
// first, equal lengths by bytes, and of duplicate keys the last one.
func jsonbPairs(v Value) ([]string, []Value) {
	idx := make([]int, len(v.Keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := v.Keys[idx[a]], v.Keys[idx[b]]
		if len(ka) != len(kb) {
			return len(ka) < len(kb)
		}
		return ka < kb
	})
	keys := make([]string, 0, len(idx))
	vals := make([]Value, 0, len(idx))
	for _, i := range idx {
		if n := len(keys); n > 0 && keys[n-1] == v.Keys[i] {
			vals[n-1] = v.Elems[i] // stable sort: a later duplicate wins
			continue
		}
		keys = append(keys, v.Keys[i])
		vals = append(vals, v.Elems[i])
	}
	return keys, vals
}

// appendNumeric prints a JSON number as numeric_out would after
// numeric_in: exponents expanded, the scale kept (1.50 stays 1.50, 1e2 is
// 100, 1.5e-3 is 0.0015), no negative zero.
func appendNumeric(dst []byte, s string) []byte {
	neg := false
	if s != "" && s[0] == '-' {
		neg, s = true, s[1:]
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil {
			return append(dst, s...) // out of numeric's range anyway
		}
		exp = e
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	digits := intPart + frac
	point := len(intPart) + exp // digits before the decimal point
	scale := max(0, len(frac)-exp)
	var ip, fp string
	switch {
	case point <= 0:
		ip, fp = "0", strings.Repeat("0", -point)+digits
	case point >= len(digits):
		ip = digits + strings.Repeat("0", point-len(digits))
	default:
		ip, fp = digits[:point], digits[point:]
	}
	ip = strings.TrimLeft(ip, "0")
	if ip == "" {
		ip = "0"
	}
	if len(fp) > scale {
		fp = fp[:scale] // only zeros: scale counts every written digit
	}
	for len(fp) < scale {
		fp += "0"
	}
	if neg && strings.Trim(ip+fp, "0") != "" {
		dst = append(dst, '-')
	}
	dst = append(dst, ip...)
	if fp != "" {
		dst = append(dst, '.')
		dst = append(dst, fp...)
	}
	return dst
}

// Quote appends s as a JSON string, escaped as PostgreSQL's escape_json
// does: \" \\ \b \f \n \r \t, other control characters as \u00XX, the
// rest as is.
func Quote(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			dst = append(dst, `\"`...)
		case '\\':
			dst = append(dst, `\\`...)
		case '\b':
			dst = append(dst, `\b`...)
		case '\f':
			dst = append(dst, `\f`...)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\t':
			dst = append(dst, `\t`...)
		default:
			if c < 0x20 {
				const hex = "0123456789abcdef"
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}

// IsNumber reports whether s is a JSON number (PostgreSQL's
// IsValidJsonNumber): floats like NaN or Infinity are not, and are quoted.
func IsNumber(s string) bool {
	p := &parser{s: s}
	return p.number() == nil && p.i == len(s)
}

const maxDepth = 6400 // PostgreSQL's stack limit comes first; this bounds recursion

type parser struct {
	s   string
	i   int
	typ string
}

func (p *parser) skip() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// syntax builds PostgreSQL's json input error with a detail.
func (p *parser) syntax(detail string) error {
	return &sqlerr.Error{Code: codeInvalidText, Message: "invalid input syntax for type " + p.typ, Detail: detail}
}

// token is the offending token for a message: a run of word characters,
// or one character.
func (p *parser) token() string {
	if p.i >= len(p.s) {
		return ""
	}
	j := p.i
	for j < len(p.s) && (p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= 'A' && p.s[j] <= 'Z' || p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '_' || p.s[j] >= 0x80) {
		j++
	}
	if j == p.i {
		_, n := utf8.DecodeRuneInString(p.s[p.i:])
		j = p.i + n
	}
	return p.s[p.i:j]
}

func (p *parser) errToken(format string) error {
	if p.i >= len(p.s) {
		return p.syntax("The input string ended unexpectedly.")
	}
	return p.syntax(strings.Replace(format, "%s", p.token(), 1))
}

func (p *parser) value(depth int) (Value, error) {
	start := p.i
	v, err := p.value1(depth)
	v.Raw = p.s[start:p.i]
	return v, err
}

func (p *parser) value1(depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, &sqlerr.Error{Code: "54001", Message: "stack depth limit exceeded"}
	}
	if p.i >= len(p.s) {
		return Value{}, p.syntax("The input string ended unexpectedly.")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		v := Value{Kind: Object}
		p.skip()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return v, nil
		}
		for {
			p.skip()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return Value{}, p.errToken("Expected string, but found \"%s\".")
			}
			k, err := p.str()
			if err != nil {
				return Value{}, err
			}
			p.skip()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return Value{}, p.errToken("Expected \":\", but found \"%s\".")
			}
			p.i++
			p.skip()
			e, err := p.value(depth + 1)
			if err != nil {
				return Value{}, err
			}
			v.Keys = append(v.Keys, k)
			v.Elems = append(v.Elems, e)
			p.skip()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return v, nil
			}
			return Value{}, p.errToken("Expected \",\" or \"}\", but found \"%s\".")
		}
	case c == '[':
		p.i++
		v := Value{Kind: Array}
		p.skip()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return v, nil
		}
		for {
			p.skip()
			e, err := p.value(depth + 1)
			if err != nil {
				return Value{}, err
			}
			v.Elems = append(v.Elems, e)
			p.skip()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				return v, nil
			}
			return Value{}, p.errToken("Expected \",\" or \"]\", but found \"%s\".")
		}
	case c == '"':
		s, err := p.str()
		return Value{Kind: String, Str: s}, err
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		if err := p.number(); err != nil {
			return Value{}, err
		}
		return Value{Kind: Number, Str: p.s[start:p.i]}, nil
	}
	for _, lit := range []string{"true", "false", "null"} {
		if strings.HasPrefix(p.s[p.i:], lit) && p.token() == lit {
			p.i += len(lit)
			if lit == "null" {
				return Value{Kind: Null}, nil
			}
			return Value{Kind: Bool, Str: lit}, nil
		}
	}
	return Value{}, p.errToken("Token \"%s\" is invalid.")
}

// number scans -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
func (p *parser) number() error {
	start := p.i
	bad := func() error {
		p.i = start
		return p.errToken("Token \"%s\" is invalid.")
	}
	digits := func() int {
		j := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		return p.i - j
	}
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return bad()
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return bad()
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return bad()
		}
	}
	// A number runs into a following word character: 12abc is one bad token.
	if p.i < len(p.s) {
		if c := p.s[p.i]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= '0' && c <= '9' {
			return bad()
		}
	}
	return nil
}

// str reads a string at p.i (on its opening quote) and returns its text.
func (p *parser) str() (string, error) {
	p.i++
	var sb strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return sb.String(), nil
		case c < 0x20:
			return "", p.syntax("Character with value 0x" + strconv.FormatInt(int64(c)|0x100, 16)[1:] + " must be escaped.")
		case c != '\\':
			sb.WriteByte(c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			break
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			sb.WriteByte(e)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.syntax("\"\\u\" must be followed by four hexadecimal digits.")
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || !strings.HasPrefix(p.s[p.i:], `\u`) {
					return "", p.syntax("Unicode low surrogate must follow a high surrogate.")
				}
				p.i += 2
				lo, ok := p.hex4()
				if !ok {
					return "", p.syntax("\"\\u\" must be followed by four hexadecimal digits.")
				}
				if lo < 0xDC00 || lo > 0xDFFF {
					return "", p.syntax("Unicode low surrogate must follow a high surrogate.")
				}
				r = utf16.DecodeRune(r, lo)
			}
			sb.WriteRune(r)
		default:
			p.i--
			return "", p.syntax("Escape sequence \"\\" + p.token() + "\" is invalid.")
		}
	}
	return "", p.syntax("The input string ended unexpectedly.")
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

// Field is the value of key in object v (of duplicate keys the last, as
// PostgreSQL's -> finds it in json); ok is false when v is not an object
// or has no such key.
func Field(v Value, key string) (Value, bool) {
	if v.Kind != Object {
		return Value{}, false
	}
	for i := len(v.Keys) - 1; i >= 0; i-- {
		if v.Keys[i] == key {
			return v.Elems[i], true
		}
	}
	return Value{}, false
}

// Element is element i of array v, counting from the end when i is
// negative; ok is false outside the array or when v is not one.
func Element(v Value, i int64) (Value, bool) {
	if v.Kind != Array {
		return Value{}, false
	}
	if i < 0 {
		i += int64(len(v.Elems))
	}
	if i < 0 || i >= int64(len(v.Elems)) {
		return Value{}, false
	}
	return v.Elems[i], true
}
