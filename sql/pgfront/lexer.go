package pgfront

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// tokKind classifies a token of PostgreSQL's lexical grammar.
type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokIdent          // unquoted identifier or keyword; val is lower-cased
	tokQIdent         // "quoted" identifier; val is the decoded name, case kept
	tokString         // any string constant; val is the decoded value
	tokBitStr         // B'...' or X'...'; val is the digits, raw holds the prefix
	tokNumber         // numeric constant; val is the text
	tokParam          // $n; val is n
	tokOp             // operator; val is its text
	tokPunct          // ( ) [ ] , ; . : ::
)

// token is one lexical unit with its byte span in the user's original text.
type token struct {
	kind tokKind
	val  string
	pos  int // byte offset of the first byte in the original text
	end  int // byte offset just after the token
	// nl is true when whitespace containing a newline separates this token
	// from the previous one; PostgreSQL concatenates string constants only
	// across such a break.
	nl bool
}

func (t token) is(word string) bool { return t.kind == tokIdent && t.val == word }

func (t token) isPunct(p string) bool { return t.kind == tokPunct && t.val == p }

// opChars are the characters PostgreSQL operators are made of.
const opChars = "+-*/<>=~!@#%^&|`?"

// lexer turns the whole input into tokens; it keeps offsets so that every
// later error can point into the user's text.
type lexer struct {
	src  string
	pos  int
	toks []token
}

// lex tokenizes src. Errors are *sqlerr.Error with code 42601 and a 1-based
// character position, like PostgreSQL's scanner errors.
func lex(src string) ([]token, error) {
	if !utf8.ValidString(src) {
		i := 0
		for i < len(src) {
			r, n := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, &sqlerr.Error{Code: sqlerr.SyntaxError,
			Message:  fmt.Sprintf("invalid byte sequence for encoding \"UTF8\": 0x%02x", src[i]),
			Position: charPos(src, i)}
	}
	l := &lexer{src: src}
	for {
		nl, err := l.skipSpace()
		if err != nil {
			return nil, err
		}
		if l.pos >= len(src) {
			l.toks = append(l.toks, token{kind: tokEOF, pos: len(src), end: len(src), nl: nl})
			return l.toks, nil
		}
		start := l.pos
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		t.pos, t.end, t.nl = start, l.pos, nl
		// Adjacent string constants separated by a newline are one constant
		// in PostgreSQL (SQL standard continuation).
		if t.kind == tokString && len(l.toks) > 0 && nl {
			prev := &l.toks[len(l.toks)-1]
			if prev.kind == tokString && src[start] == '\'' {
				prev.val += t.val
				prev.end = t.end
				continue
			}
		}
		l.toks = append(l.toks, t)
	}
}

// charPos converts a byte offset into PostgreSQL's 1-based character position.
func charPos(src string, off int) int {
	if off > len(src) {
		off = len(src)
	}
	return utf8.RuneCountInString(src[:off]) + 1
}

func (l *lexer) errAt(off int, format string, args ...any) error {
	return &sqlerr.Error{Code: sqlerr.SyntaxError, Message: fmt.Sprintf(format, args...), Position: charPos(l.src, off)}
}

// nearText is the snippet PostgreSQL quotes in "at or near": the rest of
// the input from the failing token, for unterminated constructs.
func (l *lexer) unterminated(start int, what string) error {
	return l.errAt(start, "unterminated %s at or near \"%s\"", what, l.src[start:])
}

// skipSpace skips whitespace and comments, reporting whether a newline was seen.
func (l *lexer) skipSpace() (bool, error) {
	nl := false
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\n' || c == '\r':
			nl = true
			l.pos++
		case c == ' ' || c == '\t' || c == '\f' || c == '\v':
			l.pos++
		case c == '-' && strings.HasPrefix(l.src[l.pos:], "--"):
			for l.pos < len(l.src) && l.src[l.pos] != '\n' && l.src[l.pos] != '\r' {
				l.pos++
			}
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "/*"):
			start := l.pos
			depth := 0
			for {
				if l.pos >= len(l.src) {
					return nl, l.unterminated(start, "/* comment")
				}
				if strings.HasPrefix(l.src[l.pos:], "/*") {
					depth++
					l.pos += 2
				} else if strings.HasPrefix(l.src[l.pos:], "*/") {
					depth--
					l.pos += 2
					if depth == 0 {
						break
					}
				} else {
					l.pos++
				}
			}
		default:
			return nl, nil
		}
	}
	return nl, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentCont(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (l *lexer) peek(off int) byte {
	if l.pos+off < len(l.src) {
		return l.src[l.pos+off]
	}
	return 0
}

func (l *lexer) next() (token, error) {
	c := l.src[l.pos]
	switch {
	case (c == 'e' || c == 'E') && l.peek(1) == '\'':
		start := l.pos
		l.pos++
		v, err := l.quoted('\'', true)
		if err == nil && !utf8.ValidString(v) {
			return token{}, l.errAt(start, "invalid byte sequence for encoding \"UTF8\"")
		}
		return token{kind: tokString, val: v}, err
	case (c == 'n' || c == 'N') && l.peek(1) == '\'':
		l.pos++
		v, err := l.quoted('\'', false)
		return token{kind: tokString, val: v}, err
	case (c == 'b' || c == 'B' || c == 'x' || c == 'X') && l.peek(1) == '\'':
		l.pos++
		v, err := l.quoted('\'', false)
		pfx := "b"
		if c == 'x' || c == 'X' {
			pfx = "x"
		}
		return token{kind: tokBitStr, val: pfx + v}, err
	case (c == 'u' || c == 'U') && l.peek(1) == '&' && (l.peek(2) == '\'' || l.peek(2) == '"'):
		return l.unicodeQuoted()
	case isIdentStart(c):
		start := l.pos
		for l.pos < len(l.src) && isIdentCont(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tokIdent, val: foldIdent(l.src[start:l.pos])}, nil
	case c == '\'':
		v, err := l.quoted('\'', false)
		return token{kind: tokString, val: v}, err
	case c == '"':
		start := l.pos
		v, err := l.quoted('"', false)
		if err == nil && v == "" {
			return token{}, l.errAt(start, "zero-length delimited identifier at or near \"\"\"\"")
		}
		return token{kind: tokQIdent, val: v}, err
	case c == '$':
		return l.dollar()
	case isDigit(c) || (c == '.' && isDigit(l.peek(1))):
		return l.number()
	case c == ':':
		if l.peek(1) == ':' {
			l.pos += 2
			return token{kind: tokPunct, val: "::"}, nil
		}
		l.pos++
		return token{kind: tokPunct, val: ":"}, nil
	case strings.IndexByte("()[],;.", c) >= 0:
		l.pos++
		return token{kind: tokPunct, val: string(c)}, nil
	case strings.IndexByte(opChars, c) >= 0:
		return l.operator(), nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	return token{}, l.errAt(l.pos, "syntax error at or near \"%c\"", r)
}

// foldIdent lower-cases ASCII letters only, as PostgreSQL's downcase_identifier does.
func foldIdent(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// quoted reads a '...' or "..." body at l.pos (the opening quote), with the
// quote doubled as its escape and, for E” strings, backslash escapes.
func (l *lexer) quoted(q byte, backslash bool) (string, error) {
	start := l.pos
	if backslash {
		start-- // point at the E
	}
	l.pos++
	var sb strings.Builder
	for {
		if l.pos >= len(l.src) {
			if q == '"' {
				return "", l.unterminated(start, "quoted identifier")
			}
			return "", l.unterminated(start, "quoted string")
		}
		c := l.src[l.pos]
		switch {
		case c == q:
			if l.peek(1) == q {
				sb.WriteByte(q)
				l.pos += 2
				continue
			}
			l.pos++
			return sb.String(), nil
		case c == '\\' && backslash:
			if err := l.backslashEscape(&sb, start); err != nil {
				return "", err
			}
		default:
			sb.WriteByte(c)
			l.pos++
		}
	}
}

// backslashEscape decodes one E” escape at l.pos (the backslash).
func (l *lexer) backslashEscape(sb *strings.Builder, start int) error {
	escPos := l.pos
	l.pos++
	if l.pos >= len(l.src) {
		return l.unterminated(start, "quoted string")
	}
	c := l.src[l.pos]
	l.pos++
	switch c {
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
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v := int(c - '0')
		for i := 0; i < 2 && l.pos < len(l.src) && l.src[l.pos] >= '0' && l.src[l.pos] <= '7'; i++ {
			v = v*8 + int(l.src[l.pos]-'0')
			l.pos++
		}
		return l.writeByteEscape(sb, v&0xff, escPos)
	case 'x':
		v, n := 0, 0
		for n < 2 && l.pos < len(l.src) && isHex(l.src[l.pos]) {
			v = v*16 + hexVal(l.src[l.pos])
			l.pos++
			n++
		}
		if n == 0 {
			sb.WriteByte('x')
			return nil
		}
		return l.writeByteEscape(sb, v, escPos)
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		if l.pos+n > len(l.src) {
			return l.errAt(escPos, "invalid Unicode escape")
		}
		v, err := strconv.ParseUint(l.src[l.pos:l.pos+n], 16, 32)
		if err != nil {
			return l.errAt(escPos, "invalid Unicode escape")
		}
		l.pos += n
		return l.writeRune(sb, rune(v), escPos)
	default:
		// Any other character stands for itself (\\, \', \").
		l.pos--
		r, sz := utf8.DecodeRuneInString(l.src[l.pos:])
		sb.WriteRune(r)
		l.pos += sz
	}
	return nil
}

// writeByteEscape appends a byte escape; PostgreSQL rejects a result that is
// not valid in the server encoding, which we check when the string ends only
// for the NUL byte (the rest is rechecked by utf8 validation below).
func (l *lexer) writeByteEscape(sb *strings.Builder, v, at int) error {
	if v == 0 {
		return l.errAt(at, "invalid byte sequence for encoding \"UTF8\": 0x00")
	}
	sb.WriteByte(byte(v))
	return nil
}

func (l *lexer) writeRune(sb *strings.Builder, r rune, at int) error {
	if r == 0 || r > utf8.MaxRune || (r >= 0xD800 && r <= 0xDFFF) {
		return l.errAt(at, "invalid Unicode escape value")
	}
	sb.WriteRune(r)
	return nil
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	default:
		return int(c-'A') + 10
	}
}

// unicodeQuoted reads U&'...' or U&"..." with optional UESCAPE 'c'.
func (l *lexer) unicodeQuoted() (token, error) {
	start := l.pos
	l.pos += 2
	q := l.src[l.pos]
	raw, err := l.quoted(q, false)
	if err != nil {
		return token{}, err
	}
	esc := byte('\\')
	save := l.pos
	if _, err := l.skipSpace(); err == nil && l.pos+7 <= len(l.src) && strings.EqualFold(l.src[l.pos:l.pos+7], "uescape") {
		l.pos += 7
		if _, err := l.skipSpace(); err != nil {
			return token{}, err
		}
		if l.pos >= len(l.src) || l.src[l.pos] != '\'' {
			return token{}, l.errAt(l.pos, "UESCAPE must be followed by a simple string literal")
		}
		at := l.pos
		e, err := l.quoted('\'', false)
		if err != nil {
			return token{}, err
		}
		if len(e) != 1 || isHex(e[0]) || strings.IndexByte("+'\" \t\n\r\f", e[0]) >= 0 {
			return token{}, l.errAt(at, "invalid Unicode escape character")
		}
		esc = e[0]
	} else {
		l.pos = save
	}
	var sb strings.Builder
	for i := 0; i < len(raw); {
		if raw[i] != esc {
			sb.WriteByte(raw[i])
			i++
			continue
		}
		if i+1 < len(raw) && raw[i+1] == esc {
			sb.WriteByte(esc)
			i += 2
			continue
		}
		n, j := 4, i+1
		if j < len(raw) && raw[j] == '+' {
			n, j = 6, j+1
		}
		if j+n > len(raw) {
			return token{}, l.errAt(start, "invalid Unicode escape")
		}
		v, err := strconv.ParseUint(raw[j:j+n], 16, 32)
		if err != nil {
			return token{}, l.errAt(start, "invalid Unicode escape")
		}
		if err := l.writeRune(&sb, rune(v), start); err != nil {
			return token{}, err
		}
		i = j + n
	}
	if q == '"' {
		if sb.Len() == 0 {
			return token{}, l.errAt(start, "zero-length delimited identifier at or near \"\"\"\"")
		}
		return token{kind: tokQIdent, val: sb.String()}, nil
	}
	return token{kind: tokString, val: sb.String()}, nil
}

// dollar reads $n parameters and $tag$...$tag$ strings.
func (l *lexer) dollar() (token, error) {
	start := l.pos
	if isDigit(l.peek(1)) {
		l.pos++
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
		if l.pos < len(l.src) && isIdentCont(l.src[l.pos]) {
			return token{}, l.errAt(start, "trailing junk after parameter at or near \"%s\"", l.src[start:l.pos+1])
		}
		n, err := strconv.Atoi(l.src[start+1 : l.pos])
		if err != nil || n == 0 || n > 65535 {
			return token{}, l.errAt(start, "there is no parameter %s", l.src[start:l.pos])
		}
		return token{kind: tokParam, val: strconv.Itoa(n)}, nil
	}
	// A tag is an identifier without '$'.
	i := l.pos + 1
	for i < len(l.src) && l.src[i] != '$' && isIdentCont(l.src[i]) && !(i == l.pos+1 && isDigit(l.src[i])) {
		i++
	}
	if i >= len(l.src) || l.src[i] != '$' {
		return token{}, l.errAt(start, "syntax error at or near \"$\"")
	}
	tag := l.src[l.pos : i+1]
	body := i + 1
	end := strings.Index(l.src[body:], tag)
	if end < 0 {
		return token{}, l.unterminated(start, "dollar-quoted string")
	}
	l.pos = body + end + len(tag)
	return token{kind: tokString, val: l.src[body : body+end]}, nil
}

// number reads an integer or decimal constant with optional exponent.
func (l *lexer) number() (token, error) {
	start := l.pos
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	if l.peek(0) == '.' && l.peek(1) != '.' {
		l.pos++
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
	}
	if c := l.peek(0); c == 'e' || c == 'E' {
		j := l.pos + 1
		if j < len(l.src) && (l.src[j] == '+' || l.src[j] == '-') {
			j++
		}
		if j < len(l.src) && isDigit(l.src[j]) {
			for j < len(l.src) && isDigit(l.src[j]) {
				j++
			}
			l.pos = j
		}
	}
	if l.pos < len(l.src) && isIdentStart(l.src[l.pos]) {
		j := l.pos
		for j < len(l.src) && isIdentCont(l.src[j]) {
			j++
		}
		return token{}, l.errAt(start, "trailing junk after numeric literal at or near \"%s\"", l.src[start:j])
	}
	return token{kind: tokNumber, val: l.src[start:l.pos]}, nil
}

// operator reads the longest PostgreSQL operator at l.pos, applying the rule
// that a multi-character operator cannot end in + or - unless it contains
// one of ~ ! @ # % ^ & | ` ? (so that "a<-1" is "<" and "-1").
func (l *lexer) operator() token {
	start := l.pos
	for l.pos < len(l.src) && strings.IndexByte(opChars, l.src[l.pos]) >= 0 {
		rest := l.src[l.pos:]
		if l.pos > start && (strings.HasPrefix(rest, "--") || strings.HasPrefix(rest, "/*")) {
			break
		}
		l.pos++
	}
	op := l.src[start:l.pos]
	if len(op) > 1 && !strings.ContainsAny(op, "~!@#%^&|`?") {
		for len(op) > 1 && (op[len(op)-1] == '+' || op[len(op)-1] == '-') {
			op = op[:len(op)-1]
		}
		l.pos = start + len(op)
	}
	return token{kind: tokOp, val: op}
}
