package expr

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// rowArgs gives typed access to a row of evaluated arguments.
type rowArgs struct {
	arrs []arrow.Array
	now  int64 // the statement's now(), µs
}

func (r rowArgs) str(k, i int) string {
	if s, ok := r.arrs[k].(*array.String); ok {
		return s.Value(i)
	}
	return string(r.arrs[k].(*array.Binary).Value(i))
}

func (r rowArgs) i64(k, i int) int64 {
	switch a := r.arrs[k].(type) {
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Int16:
		return int64(a.Value(i))
	}
	return 0
}

func (r rowArgs) null(k, i int) bool { return r.arrs[k].IsNull(i) }

// strFunc is the per-row body of a text function; it returns the value and
// whether it is non-NULL. Strict functions never see NULL arguments.
type strFunc struct {
	strict bool
	text   func(a rowArgs, i int) (string, bool, error)
	i32    func(a rowArgs, i int) (int32, error)
	bool   func(a rowArgs, i int) (bool, error)
}

// strNode runs a text function row by row over typed string arrays.
type strNode struct {
	fn   string
	args []node
	f    strFunc
	t    types.T
}

func (n *strNode) typ() types.T { return n.t }
func (n *strNode) mayFail() bool {
	switch n.fn {
	case "repeat", "lpad", "rpad", "split_part", "substring", "substr":
		return true
	}
	for _, a := range n.args {
		if a.mayFail() {
			return true
		}
	}
	return false
}

func (n *strNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	arrs, err := evalArgs(ec, b, n.args)
	if err != nil {
		return nil, err
	}
	defer releaseAll(arrs)
	ra := rowArgs{arrs: arrs}
	anyNull := func(i int) bool {
		for _, a := range arrs {
			if a.IsNull(i) {
				return true
			}
		}
		return false
	}
	switch {
	case n.f.text != nil:
		bld := array.NewStringBuilder(ec.alloc)
		defer bld.Release()
		bld.Reserve(rows)
		for i := 0; i < rows; i++ {
			if n.f.strict && anyNull(i) {
				bld.AppendNull()
				continue
			}
			s, ok, err := n.f.text(ra, i)
			if err != nil {
				return nil, err
			}
			if !ok {
				bld.AppendNull()
				continue
			}
			bld.Append(s)
		}
		return bld.NewArray(), nil
	case n.f.i32 != nil:
		valid, nulls := validity(ec.alloc, rows, arrs...)
		buf, out := newFixed[int32](ec.alloc, rows)
		for i := range out {
			if !isValid(valid, i) {
				continue
			}
			v, err := n.f.i32(ra, i)
			if err != nil {
				buf.Release()
				releaseBuf(valid)
				return nil, err
			}
			out[i] = v
		}
		return finish(arrow.PrimitiveTypes.Int32, rows, buf, valid, nulls), nil
	default:
		valid, nulls := validity(ec.alloc, rows, arrs...)
		buf := newBitmap(ec.alloc, rows, false)
		ob := buf.Bytes()
		for i := 0; i < rows; i++ {
			if !isValid(valid, i) {
				continue
			}
			v, err := n.f.bool(ra, i)
			if err != nil {
				buf.Release()
				releaseBuf(valid)
				return nil, err
			}
			setBits(ob, i, v)
		}
		return finish(arrow.FixedWidthTypes.Boolean, rows, buf, valid, nulls), nil
	}
}

func textFn(f func(a rowArgs, i int) string) strFunc {
	return strFunc{strict: true, text: func(a rowArgs, i int) (string, bool, error) { return f(a, i), true, nil }}
}

func textFnErr(f func(a rowArgs, i int) (string, error)) strFunc {
	return strFunc{strict: true, text: func(a rowArgs, i int) (string, bool, error) {
		s, err := f(a, i)
		return s, true, err
	}}
}

// pgSubstr is substring(s from start for count) with PostgreSQL's rules on
// characters: positions before 1 shorten the count.
func pgSubstr(s string, start int64, count int64, hasCount bool) (string, error) {
	if hasCount && count < 0 {
		return "", sqlerr.New(codeSubstringError, "negative substring length not allowed")
	}
	end := int64(1 << 62)
	if hasCount {
		end = start + count
		if end < start { // overflow
			end = 1 << 62
		}
	}
	if start < 1 {
		start = 1
	}
	if end <= start {
		return "", nil
	}
	// Walk runes: byte offsets of character positions start and end.
	pos := int64(1)
	bs, be := -1, len(s)
	for off := range s {
		if pos == start {
			bs = off
		}
		if pos == end {
			be = off
			break
		}
		pos++
	}
	if bs < 0 {
		return "", nil
	}
	return s[bs:be], nil
}

func trimSet(s, chars string, left, right bool) string {
	in := func(r rune) bool { return strings.ContainsRune(chars, r) }
	if left {
		s = strings.TrimLeftFunc(s, in)
	}
	if right {
		s = strings.TrimRightFunc(s, in)
	}
	return s
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// maxStringLen bounds strings built by repeat/lpad, as PostgreSQL's 1GB
// field limit does.
const maxStringLen = 1 << 28

func pad(s string, n int64, fill string, left bool) (string, error) {
	if n <= 0 {
		return "", nil
	}
	if n > maxStringLen {
		return "", sqlerr.New(codeProgramLimit, "requested length too large")
	}
	rs := []rune(s)
	if int64(len(rs)) >= n {
		return string(rs[:n]), nil
	}
	if fill == "" {
		return s, nil
	}
	fr := []rune(fill)
	need := int(n) - len(rs)
	padding := make([]rune, need)
	for i := range padding {
		padding[i] = fr[i%len(fr)]
	}
	if left {
		return string(padding) + s, nil
	}
	return s + string(padding), nil
}

func initcap(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	// Under the C collation only ASCII letters and digits are
	// alphanumeric and only ASCII letters change case, so "naïve" becomes
	// "NaïVe" as in PostgreSQL.
	prevAlnum := false
	for _, r := range s {
		switch {
		case prevAlnum && r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case !prevAlnum && r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
		prevAlnum = r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
	}
	return b.String()
}

func compileStringFunc(fn string, args []node, t types.T) (node, bool, error) {
	var f strFunc
	nargs := len(args)
	if fn == "substring" && nargs == 2 && args[1].typ().Kind == types.Text {
		return compileMoreFunc("substring_regex", args, t)
	}
	switch fn {
	case "upper":
		f = textFn(func(a rowArgs, i int) string { return asciiCase(a.str(0, i), 'a', 'z', 'A'-'a') })
	case "lower":
		f = textFn(func(a rowArgs, i int) string { return asciiCase(a.str(0, i), 'A', 'Z', 'a'-'A') })
	case "initcap":
		f = textFn(func(a rowArgs, i int) string { return initcap(a.str(0, i)) })
	case "reverse":
		f = textFn(func(a rowArgs, i int) string {
			rs := []rune(a.str(0, i))
			for x, y := 0, len(rs)-1; x < y; x, y = x+1, y-1 {
				rs[x], rs[y] = rs[y], rs[x]
			}
			return string(rs)
		})
	case "md5":
		f = textFn(func(a rowArgs, i int) string {
			h := md5.Sum([]byte(a.str(0, i)))
			return hex.EncodeToString(h[:])
		})
	case "length", "char_length", "character_length":
		bytea := args[0].typ().Kind == types.Bytea
		f = strFunc{strict: true, i32: func(a rowArgs, i int) (int32, error) {
			if bytea {
				return int32(len(a.str(0, i))), nil
			}
			return int32(runeLen(a.str(0, i))), nil
		}}
	case "octet_length":
		f = strFunc{strict: true, i32: func(a rowArgs, i int) (int32, error) { return int32(len(a.str(0, i))), nil }}
	case "bit_length":
		f = strFunc{strict: true, i32: func(a rowArgs, i int) (int32, error) { return int32(8 * len(a.str(0, i))), nil }}
	case "substring", "substr":
		f = textFnErr(func(a rowArgs, i int) (string, error) {
			if nargs == 3 {
				return pgSubstr(a.str(0, i), a.i64(1, i), a.i64(2, i), true)
			}
			return pgSubstr(a.str(0, i), a.i64(1, i), 0, false)
		})
	case "__pg_position", "strpos", "position":
		f = strFunc{strict: true, i32: func(a rowArgs, i int) (int32, error) {
			s, sub := a.str(0, i), a.str(1, i)
			k := strings.Index(s, sub)
			if k < 0 {
				return 0, nil
			}
			return int32(runeLen(s[:k]) + 1), nil
		}}
	case "trim", "btrim", "ltrim", "rtrim":
		left, right := fn != "rtrim", fn != "ltrim"
		f = textFn(func(a rowArgs, i int) string {
			chars := " "
			if nargs == 2 {
				chars = a.str(1, i)
			}
			return trimSet(a.str(0, i), chars, left, right)
		})
	case "replace":
		f = textFn(func(a rowArgs, i int) string {
			from := a.str(1, i)
			if from == "" {
				return a.str(0, i)
			}
			return strings.ReplaceAll(a.str(0, i), from, a.str(2, i))
		})
	case "translate":
		f = textFn(func(a rowArgs, i int) string {
			from, to := []rune(a.str(1, i)), []rune(a.str(2, i))
			return strings.Map(func(r rune) rune {
				for k, c := range from {
					if c == r {
						if k < len(to) {
							return to[k]
						}
						return -1
					}
				}
				return r
			}, a.str(0, i))
		})
	case "concat":
		f = strFunc{text: func(a rowArgs, i int) (string, bool, error) {
			var sb strings.Builder
			for k := range a.arrs {
				if !a.null(k, i) {
					sb.WriteString(a.str(k, i))
				}
			}
			return sb.String(), true, nil
		}}
	case "concat_ws":
		f = strFunc{text: func(a rowArgs, i int) (string, bool, error) {
			if a.null(0, i) {
				return "", false, nil
			}
			sep := a.str(0, i)
			var sb strings.Builder
			first := true
			for k := 1; k < len(a.arrs); k++ {
				if a.null(k, i) {
					continue
				}
				if !first {
					sb.WriteString(sep)
				}
				first = false
				sb.WriteString(a.str(k, i))
			}
			return sb.String(), true, nil
		}}
	case "left", "right":
		isLeft := fn == "left"
		f = textFn(func(a rowArgs, i int) string {
			rs := []rune(a.str(0, i))
			k := a.i64(1, i)
			if k < 0 {
				k = max(int64(len(rs))+k, 0)
			}
			k = min(k, int64(len(rs)))
			if isLeft {
				return string(rs[:k])
			}
			return string(rs[int64(len(rs))-k:])
		})
	case "lpad", "rpad":
		left := fn == "lpad"
		f = textFnErr(func(a rowArgs, i int) (string, error) {
			fill := " "
			if nargs == 3 {
				fill = a.str(2, i)
			}
			return pad(a.str(0, i), a.i64(1, i), fill, left)
		})
	case "repeat":
		f = textFnErr(func(a rowArgs, i int) (string, error) {
			s, k := a.str(0, i), a.i64(1, i)
			if k <= 0 || s == "" {
				return "", nil
			}
			if int64(len(s))*k > maxStringLen {
				return "", sqlerr.New(codeProgramLimit, "requested length too large")
			}
			return strings.Repeat(s, int(k)), nil
		})
	case "starts_with":
		f = strFunc{strict: true, bool: func(a rowArgs, i int) (bool, error) {
			return strings.HasPrefix(a.str(0, i), a.str(1, i)), nil
		}}
	case "split_part":
		f = textFnErr(func(a rowArgs, i int) (string, error) {
			s, sep, k := a.str(0, i), a.str(1, i), a.i64(2, i)
			if k == 0 {
				return "", sqlerr.New(sqlerr.InvalidParameterValue, "field position must not be zero")
			}
			var parts []string
			if sep == "" {
				parts = []string{s}
				if s == "" {
					parts = nil
				}
			} else {
				parts = strings.Split(s, sep)
			}
			if k < 0 {
				k = int64(len(parts)) + k + 1
			}
			if k < 1 || k > int64(len(parts)) {
				return "", nil
			}
			return parts[k-1], nil
		})
	case "to_hex":
		f = textFn(func(a rowArgs, i int) string {
			v := a.i64(0, i)
			if args[0].typ().Kind == types.Int32 {
				return strconv.FormatUint(uint64(uint32(int32(v))), 16)
			}
			return strconv.FormatUint(uint64(v), 16)
		})
	case "||":
		f = textFn(func(a rowArgs, i int) string { return a.str(0, i) + a.str(1, i) })
		if t.Kind == types.Bytea {
			return &byteaConcatNode{args: args}, true, nil
		}
	default:
		return nil, false, nil
	}
	return &strNode{fn: fn, args: args, f: f, t: t}, true, nil
}

// byteaConcatNode is bytea || bytea.
type byteaConcatNode struct{ args []node }

func (n *byteaConcatNode) typ() types.T  { return types.ByteaT }
func (n *byteaConcatNode) mayFail() bool { return false }
func (n *byteaConcatNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	arrs, err := evalArgs(ec, b, n.args)
	if err != nil {
		return nil, err
	}
	defer releaseAll(arrs)
	l, r := arrs[0].(*array.Binary), arrs[1].(*array.Binary)
	bld := array.NewBinaryBuilder(ec.alloc, arrow.BinaryTypes.Binary)
	defer bld.Release()
	for i := 0; i < l.Len(); i++ {
		if l.IsNull(i) || r.IsNull(i) {
			bld.AppendNull()
			continue
		}
		bld.Append(append(append([]byte{}, l.Value(i)...), r.Value(i)...))
	}
	return bld.NewArray(), nil
}

// SQLSTATEs sqlerr does not name (yet).
const (
	codeSubstringError = "22011"
	codeProgramLimit   = "54000"
	codeInvalidArgPow  = "2201F"
	codeInvalidArgLog  = "2201E"
	codeNullNotAllowed = "22004"
)

// asciiCase shifts the letters lo..hi by delta and leaves every other byte:
// under the C collation PostgreSQL's upper() and lower() change only ASCII.
func asciiCase(s string, lo, hi byte, delta int) string {
	i := 0
	for i < len(s) && (s[i] < lo || s[i] > hi) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if b[i] >= lo && b[i] <= hi {
			b[i] = byte(int(b[i]) + delta)
		}
	}
	return string(b)
}
