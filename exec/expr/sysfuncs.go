package expr

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// compileSysFunc builds the kernels of the system functions clients call
// per row: parse_ident, the encoding-name functions, array_ndims and
// array_dims over one-dimensional arrays, clock_timestamp, timeofday and
// pg_sleep.
func compileSysFunc(fn string, args []node, t types.T) (node, bool, error) {
	row := func(strict, fails bool, f func(a rowArgs, i int, bld array.Builder) error) (node, bool, error) {
		return &rowNode{fn: fn, args: args, t: t, strict: strict, fails: fails, f: f}, true, nil
	}
	switch fn {
	case "parse_ident":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			strict := len(args) < 2 || a.arrs[1].(*array.Boolean).Value(i)
			parts, err := parseIdent(a.str(0, i), strict)
			if err != nil {
				return err
			}
			appendTextList(bld, parts, nil)
			return nil
		})
	case "similar_to_escape":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			esc := "\\"
			if len(args) == 2 {
				esc = a.str(1, i)
			}
			re, err := similarToRegex(a.str(0, i), esc)
			if err != nil {
				return err
			}
			appendText(bld, re)
			return nil
		})
	case "pg_encoding_to_char":
		return row(true, false, func(a rowArgs, i int, bld array.Builder) error {
			n := a.i64(0, i)
			name := ""
			if n >= 0 && n < int64(len(encodingNames)) {
				name = encodingNames[n]
			}
			appendText(bld, name)
			return nil
		})
	case "pg_char_to_encoding":
		return row(true, false, func(a rowArgs, i int, bld array.Builder) error {
			bld.(*array.Int32Builder).Append(charToEncoding(a.str(0, i)))
			return nil
		})
	case "array_ndims", "array_dims":
		return row(true, false, func(a rowArgs, i int, bld array.Builder) error {
			s, e := a.arrs[0].(*array.List).ValueOffsets(i)
			// Basalt's arrays are one-dimensional with lower bound 1; an
			// empty array has no dimensions, so both functions give NULL.
			switch {
			case e == s:
				bld.AppendNull()
			case fn == "array_ndims":
				bld.(*array.Int32Builder).Append(1)
			default:
				appendText(bld, "[1:"+strconv.FormatInt(e-s, 10)+"]")
			}
			return nil
		})
	case "clock_timestamp":
		return row(false, false, func(a rowArgs, i int, bld array.Builder) error {
			bld.(*array.TimestampBuilder).Append(arrow.Timestamp(time.Now().UnixMicro()))
			return nil
		})
	case "timeofday":
		return row(false, false, func(a rowArgs, i int, bld array.Builder) error {
			appendText(bld, time.Now().UTC().Format("Mon Jan 02 15:04:05.000000 2006 MST"))
			return nil
		})
	case "pg_sleep":
		return &sleepNode{arg: args[0]}, true, nil
	case expr.Slice:
		return &arrayFnNode{args: args, t: t, f: func(ec *evalCtx, n int, a []arrow.Array) (arrow.Array, error) {
			offs, child, err := listOf(a[0])
			if err != nil {
				return nil, err
			}
			out := make([]int32, n+1)
			var idx []int32
			valid := newBitmap(ec.alloc, n, true)
			nulls := 0
			for i := 0; i < n; i++ {
				out[i] = int32(len(idx))
				if a[0].IsNull(i) || a[1].IsNull(i) || a[2].IsNull(i) {
					bitutil.ClearBit(valid.Bytes(), i)
					nulls++
					continue
				}
				// Bounds outside the array are clamped to it; a slice
				// that misses it is the empty array.
				lo, hi := max(i32At(a[1], i), 1), min(i32At(a[2], i), int64(offs[i+1]-offs[i]))
				for k := lo; k <= hi; k++ {
					idx = append(idx, offs[i]+int32(k)-1)
				}
			}
			out[n] = int32(len(idx))
			elems, err := takeIdx(ec, child, idx, nil, 0)
			if err != nil {
				valid.Release()
				return nil, err
			}
			defer elems.Release()
			return newListArr(ec.alloc, t, out, elems, valid, nulls), nil
		}}, true, nil
	}
	return nil, false, nil
}

// sleepNode is pg_sleep(seconds): it waits once per row and gives up with
// 57014 when the statement is cancelled or times out.
type sleepNode struct{ arg node }

func (n *sleepNode) typ() types.T  { return types.TextT }
func (n *sleepNode) mayFail() bool { return true }
func (n *sleepNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	secs, err := n.arg.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer secs.Release()
	bld := array.NewStringBuilder(ec.alloc)
	defer bld.Release()
	f := secs.(*array.Float64)
	ctx := ec.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	for i := 0; i < f.Len(); i++ {
		if f.IsNull(i) {
			bld.AppendNull()
			continue
		}
		if d := f.Value(i); d > 0 {
			timer := time.NewTimer(time.Duration(d * float64(time.Second)))
			select {
			case <-ctx.Done():
				timer.Stop()
				if ctx.Err() == context.DeadlineExceeded {
					return nil, &sqlerr.Error{Code: sqlerr.QueryCanceled, Message: "canceling statement due to statement timeout", Err: ctx.Err()}
				}
				return nil, &sqlerr.Error{Code: sqlerr.QueryCanceled, Message: "canceling statement due to user request", Err: ctx.Err()}
			case <-timer.C:
			}
		}
		bld.Append("")
	}
	return bld.NewArray(), nil
}

// parseIdent splits a qualified identifier as PostgreSQL's parse_ident
// does: quoted parts keep their case ("" is a quote), unquoted ones are
// lower-cased and truncated to 63 bytes; non-strict parsing stops at the
// first character after an identifier that is not a dot.
func parseIdent(s string, strict bool) ([]string, error) {
	bad := func(detail string) error {
		return &sqlerr.Error{Code: sqlerr.InvalidParameterValue,
			Message: "string is not a valid identifier: \"" + s + "\"", Detail: detail}
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' }
	isStart := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80 }
	isCont := func(c byte) bool { return isStart(c) || c >= '0' && c <= '9' || c == '$' }
	var out []string
	p := 0
	for p < len(s) && isSpace(s[p]) {
		p++
	}
	afterDot := false
	for {
		missing := true
		switch {
		case p < len(s) && s[p] == '"':
			var sb strings.Builder
			q := p + 1
			for {
				end := strings.IndexByte(s[q:], '"')
				if end < 0 {
					return nil, bad("String has unclosed double quotes.")
				}
				sb.WriteString(s[q : q+end])
				q += end + 1
				if q < len(s) && s[q] == '"' {
					sb.WriteByte('"')
					q++
					continue
				}
				break
			}
			if sb.Len() == 0 {
				return nil, bad("Quoted identifier must not be empty.")
			}
			out = append(out, sb.String())
			p = q
			missing = false
		case p < len(s) && isStart(s[p]):
			q := p + 1
			for q < len(s) && isCont(s[q]) {
				q++
			}
			name := strings.Map(func(r rune) rune {
				if r >= 'A' && r <= 'Z' {
					return r + 'a' - 'A'
				}
				return r
			}, s[p:q])
			if len(name) > 63 {
				name = truncateUTF8(name, 63)
			}
			out = append(out, name)
			p = q
			missing = false
		}
		if missing {
			switch {
			case p < len(s) && s[p] == '.':
				return nil, bad("No valid identifier before \".\".")
			case afterDot:
				return nil, bad("No valid identifier after \".\".")
			}
			return nil, bad("")
		}
		for p < len(s) && isSpace(s[p]) {
			p++
		}
		switch {
		case p < len(s) && s[p] == '.':
			afterDot = true
			p++
			for p < len(s) && isSpace(s[p]) {
				p++
			}
		case p >= len(s):
			return out, nil
		default:
			if strict {
				return nil, bad("")
			}
			return out, nil
		}
	}
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// encodingNames are PostgreSQL's encodings by number (pg_enc).
var encodingNames = []string{"SQL_ASCII", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004", "UTF8",
	"MULE_INTERNAL", "LATIN1", "LATIN2", "LATIN3", "LATIN4", "LATIN5", "LATIN6", "LATIN7", "LATIN8", "LATIN9",
	"LATIN10", "WIN1256", "WIN1258", "WIN866", "WIN874", "KOI8R", "WIN1251", "WIN1252", "ISO_8859_5",
	"ISO_8859_6", "ISO_8859_7", "ISO_8859_8", "WIN1250", "WIN1253", "WIN1254", "WIN1255", "WIN1257", "KOI8U",
	"SJIS", "BIG5", "GBK", "UHC", "GB18030", "JOHAB", "SHIFT_JIS_2004"}

// encodingAliases are the other names pg_char_to_encoding accepts, in
// PostgreSQL's cleaned form (lower case, letters and digits only).
var encodingAliases = map[string]string{
	"abc": "WIN1258", "alt": "WIN866", "iso88591": "LATIN1", "iso88592": "LATIN2", "iso88593": "LATIN3",
	"iso88594": "LATIN4", "iso88599": "LATIN5", "iso885910": "LATIN6", "iso885913": "LATIN7",
	"iso885914": "LATIN8", "iso885915": "LATIN9", "iso885916": "LATIN10", "koi8": "KOI8R",
	"mskanji": "SJIS", "shiftjis": "SJIS", "tcvn": "WIN1258", "tcvn5712": "WIN1258", "unicode": "UTF8",
	"vscii": "WIN1258", "win": "WIN1251", "win932": "SJIS", "win936": "GBK", "win949": "UHC", "win950": "BIG5",
	"windows932": "SJIS", "windows936": "GBK", "windows949": "UHC", "windows950": "BIG5",
}

// charToEncoding is pg_char_to_encoding: -1 for an unknown name.
func charToEncoding(name string) int32 {
	var sb strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
		}
	}
	clean := sb.String()
	if a, ok := encodingAliases[clean]; ok {
		clean = strings.ToLower(strings.ReplaceAll(a, "_", ""))
	}
	if strings.HasPrefix(clean, "windows") {
		clean = "win" + clean[len("windows"):]
	}
	for i, e := range encodingNames {
		if strings.ToLower(strings.ReplaceAll(e, "_", "")) == clean {
			return int32(i)
		}
	}
	return -1
}

// similarToRegex is PostgreSQL's similar_to_escape: a SQL regular
// expression (SIMILAR TO) as a POSIX one anchored at both ends. % and _
// are .* and ., groups do not capture, ., ^, $ and \ are literal, the
// escape character quotes the next one, and escape-" splits the pattern
// into the parts substring(... SIMILAR ...) uses.
func similarToRegex(pat, esc string) (string, error) {
	if utf8.RuneCountInString(esc) > 1 {
		return "", &sqlerr.Error{Code: "22025", Message: "invalid escape string",
			Hint: "Escape string must be empty or one character."}
	}
	e, _ := utf8.DecodeRuneInString(esc)
	if esc == "" {
		e = -1
	}
	var sb strings.Builder
	sb.WriteString("^(?:")
	afterEscape, inClass, quotes := false, false, 0
	for _, c := range pat {
		switch {
		case afterEscape:
			if c == '"' && !inClass {
				switch quotes {
				case 0:
					sb.WriteString("){1,1}?(")
				case 1:
					sb.WriteString("){1,1}(?:")
				default:
					return "", &sqlerr.Error{Code: "2201B", Message: "SQL regular expression may not contain more than two escape-double-quote separators"}
				}
				quotes++
			} else {
				sb.WriteByte('\\')
				sb.WriteRune(c)
			}
			afterEscape = false
		case c == e:
			afterEscape = true
		case inClass:
			if c == '\\' {
				sb.WriteByte('\\')
			}
			sb.WriteRune(c)
			if c == ']' {
				inClass = false
			}
		case c == '[':
			sb.WriteRune(c)
			inClass = true
		case c == '%':
			sb.WriteString(".*")
		case c == '_':
			sb.WriteByte('.')
		case c == '(':
			sb.WriteString("(?:")
		case c == '\\' || c == '.' || c == '^' || c == '$':
			sb.WriteByte('\\')
			sb.WriteRune(c)
		default:
			sb.WriteRune(c)
		}
	}
	sb.WriteString(")$")
	return sb.String(), nil
}
