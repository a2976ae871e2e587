package expr

import (
	"context"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/pgkeywords"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// rowNode runs a function row by row, appending each result to a builder
// of the result type. It serves the string-heavy functions (regular
// expressions, formatting, arrays of text) where the per-value work dwarfs
// a closure call; arguments are still read from typed arrays.
type rowNode struct {
	fn     string
	args   []node
	t      types.T
	strict bool // a NULL argument gives NULL without calling f
	fails  bool // f can raise an error
	f      func(a rowArgs, i int, bld array.Builder) error
}

func (n *rowNode) typ() types.T { return n.t }
func (n *rowNode) mayFail() bool {
	if n.fails {
		return true
	}
	for _, a := range n.args {
		if a.mayFail() {
			return true
		}
	}
	return false
}

func (n *rowNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	arrs, err := evalArgs(ec, b, n.args)
	if err != nil {
		return nil, err
	}
	defer releaseAll(arrs)
	ra := rowArgs{arrs: arrs, now: ec.now}
	bld := array.NewBuilder(ec.alloc, n.t.Arrow())
	defer bld.Release()
	bld.Reserve(rows)
	for i := 0; i < rows; i++ {
		if n.strict {
			null := false
			for _, a := range arrs {
				if a.IsNull(i) {
					null = true
					break
				}
			}
			if null {
				bld.AppendNull()
				continue
			}
		}
		if err := n.f(ra, i, bld); err != nil {
			return nil, err
		}
	}
	return bld.NewArray(), nil
}

func (r rowArgs) f64(k, i int) float64 {
	switch a := r.arrs[k].(type) {
	case *array.Float64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	}
	return float64(r.i64(k, i))
}

func (r rowArgs) ts(k, i int) int64 {
	switch a := r.arrs[k].(type) {
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Time64:
		return int64(a.Value(i))
	case *array.Date32:
		return int64(a.Value(i))
	}
	return r.i64(k, i)
}

func (r rowArgs) iv(k, i int) types.IntervalValue {
	return ivOf(r.arrs[k].(*array.MonthDayNanoInterval).Value(i))
}

// list returns the elements of a list value as text, with NULL flags.
func (r rowArgs) list(k, i int, elem types.T) ([]string, []bool) {
	l := r.arrs[k].(*array.List)
	s, e := l.ValueOffsets(i)
	vals := l.ListValues()
	out := make([]string, 0, e-s)
	nulls := make([]bool, 0, e-s)
	for j := int(s); j < int(e); j++ {
		if vals.IsNull(j) {
			out = append(out, "")
			nulls = append(nulls, true)
			continue
		}
		out = append(out, string(pgtext.AppendValue(nil, vals, j, elem)))
		nulls = append(nulls, false)
	}
	return out, nulls
}

func appendText(bld array.Builder, s string) { bld.(*array.StringBuilder).Append(s) }

// appendTextList appends one text[] value.
func appendTextList(bld array.Builder, vals []string, nulls []bool) {
	lb := bld.(*array.ListBuilder)
	lb.Append(true)
	vb := lb.ValueBuilder().(*array.StringBuilder)
	for j, v := range vals {
		if nulls != nil && nulls[j] {
			vb.AppendNull()
			continue
		}
		vb.Append(v)
	}
}

// broadcastList repeats a one-row list array n times.
func broadcastList(alloc memory.Allocator, one *array.List, n int) (arrow.Array, error) {
	s, e := one.ValueOffsets(0)
	k := int(e - s)
	idx := make([]int32, 0, n*k)
	for i := 0; i < n; i++ {
		for j := int(s); j < int(e); j++ {
			idx = append(idx, int32(j))
		}
	}
	ib := array.NewInt32Builder(alloc)
	defer ib.Release()
	ib.AppendValues(idx, nil)
	ia := ib.NewArray()
	defer ia.Release()
	child, err := compute.TakeArray(compute.WithAllocator(context.Background(), alloc), one.ListValues(), ia)
	if err != nil {
		return nil, fmt.Errorf("broadcasting an array constant: %w", err)
	}
	defer child.Release()
	offBuf, offs := newFixed[int32](alloc, n+1)
	for i := range offs {
		offs[i] = int32(i * k)
	}
	data := array.NewData(one.DataType(), n, []*memory.Buffer{nil, offBuf}, []arrow.ArrayData{child.Data()}, 0, 0)
	offBuf.Release()
	out := array.MakeFromData(data)
	data.Release()
	return out, nil
}

// regexCache compiles each distinct (pattern, flags) once per node: the
// pattern is nearly always a constant.
type regexCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

const codeInvalidRegex = "2201B"

// get translates a PostgreSQL advanced regular expression to Go's RE2
// syntax (which shares the common subset) and compiles it.
func (c *regexCache) get(pat string, icase bool) (*regexp.Regexp, error) {
	key := pat
	if icase {
		key = "i\x00" + pat
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if re, ok := c.m[key]; ok {
		return re, nil
	}
	src := translateRegex(pat)
	if icase {
		src = "(?i)" + src
	}
	// PostgreSQL's regexes are POSIX leftmost-longest only for
	// alternations; RE2's Perl semantics give the same answers for the
	// usual patterns and keep non-greedy quantifiers working.
	re, err := regexp.Compile(src)
	if err != nil {
		msg := err.Error()
		if e, ok := err.(*syntax.Error); ok {
			msg = e.Code.String()
		}
		return nil, sqlerr.New(codeInvalidRegex, "invalid regular expression: %s", msg)
	}
	if c.m == nil {
		c.m = map[string]*regexp.Regexp{}
	}
	if len(c.m) > 1000 {
		clear(c.m)
	}
	c.m[key] = re
	return re, nil
}

// translateRegex rewrites the ARE escapes RE2 spells differently: \m \M \y
// word boundaries and \Y.
func translateRegex(p string) string {
	if !strings.Contains(p, `\`) && !strings.Contains(p, "[[:<:]]") && !strings.Contains(p, "[[:>:]]") {
		return p
	}
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		if strings.HasPrefix(p[i:], "[[:<:]]") || strings.HasPrefix(p[i:], "[[:>:]]") {
			sb.WriteString(`\b`)
			i += 6
			continue
		}
		if p[i] == '\\' && i+1 < len(p) {
			switch p[i+1] {
			case 'm', 'M', 'y':
				sb.WriteString(`\b`)
			case 'Y':
				sb.WriteString(`\B`)
			default:
				sb.WriteByte('\\')
				sb.WriteByte(p[i+1])
			}
			i++
			continue
		}
		sb.WriteByte(p[i])
	}
	return sb.String()
}

// regexFlags reads regexp_replace/regexp_match flags.
func regexFlags(fn, flags string) (global, icase bool, err error) {
	for _, c := range flags {
		switch c {
		case 'g':
			global = true
		case 'i':
			icase = true
		case 'c':
			icase = false
		case 'n', 'p', 'w', 's', 't':
			// newline-sensitivity and syntax variants: the defaults
			// serve the common cases.
		default:
			return false, false, sqlerr.New(sqlerr.InvalidParameterValue, "invalid regular expression option: \"%c\"", c)
		}
	}
	if global && (fn == "regexp_match" || fn == "regexp_like") {
		return false, false, sqlerr.New(sqlerr.InvalidParameterValue, "%s() does not support the \"global\" option", fn)
	}
	return global, icase, nil
}

// expandReplacement builds regexp_replace's substitution: \1..\9 are the
// groups, \& the whole match, \\ a backslash.
func expandReplacement(dst []byte, rep, s string, m []int) []byte {
	for i := 0; i < len(rep); i++ {
		c := rep[i]
		if c != '\\' || i+1 == len(rep) {
			dst = append(dst, c)
			continue
		}
		d := rep[i+1]
		switch {
		case d >= '1' && d <= '9':
			g := int(d - '0')
			if 2*g+1 < len(m) && m[2*g] >= 0 {
				dst = append(dst, s[m[2*g]:m[2*g+1]]...)
			}
			i++
		case d == '&':
			dst = append(dst, s[m[0]:m[1]]...)
			i++
		case d == '\\':
			dst = append(dst, '\\')
			i++
		default:
			dst = append(dst, '\\')
		}
	}
	return dst
}

// quoteIdent quotes an identifier when PostgreSQL would: anything but a
// lower-case identifier, and every keyword that is not unreserved.
func quoteIdent(s string) string {
	ok := s != ""
	for i := 0; i < len(s) && ok; i++ {
		c := s[i]
		ok = c >= 'a' && c <= 'z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '$')
	}
	if ok {
		if k, isKw := pgkeywords.Lookup(s); !isKw || k.Cat == 'U' {
			return s
		}
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteLiteral is quote_literal: single quotes doubled, and an E” string
// with doubled backslashes when there are any.
func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// pgFormat is format(): %s, %I, %L with optional n$ positions and width
// (the - flag left-aligns), %% a percent sign.
func pgFormat(a rowArgs, i int, argT []types.T) (string, error) {
	f := a.str(0, i)
	var sb strings.Builder
	next := 1
	badFmt := func(msg string) error { return sqlerr.New(sqlerr.InvalidParameterValue, "%s", msg) }
	for k := 0; k < len(f); k++ {
		c := f[k]
		if c != '%' {
			sb.WriteByte(c)
			continue
		}
		k++
		if k >= len(f) {
			return "", badFmt("unterminated format() type specifier")
		}
		if f[k] == '%' {
			sb.WriteByte('%')
			continue
		}
		// Optional argument position n$, flag -, width.
		pos := 0
		j := k
		for j < len(f) && f[j] >= '0' && f[j] <= '9' {
			j++
		}
		if j < len(f) && f[j] == '$' && j > k {
			fmt.Sscan(f[k:j], &pos)
			k = j + 1
		}
		left := false
		if k < len(f) && f[k] == '-' {
			left = true
			k++
		}
		width := 0
		j = k
		for j < len(f) && f[j] >= '0' && f[j] <= '9' {
			j++
		}
		if j > k {
			fmt.Sscan(f[k:j], &width)
			k = j
		}
		if k >= len(f) {
			return "", badFmt("unterminated format() type specifier")
		}
		arg := next
		if pos > 0 {
			arg = pos
		}
		next = arg + 1
		if arg >= len(a.arrs) {
			return "", badFmt("too few arguments for format()")
		}
		null := a.null(arg, i)
		var v string
		if !null {
			v = string(pgtext.AppendValue(nil, a.arrs[arg], i, argT[arg]))
		}
		switch f[k] {
		case 's':
		case 'I':
			if null {
				return "", sqlerr.New(codeNullNotAllowed, "null values cannot be formatted as an SQL identifier")
			}
			v = quoteIdent(v)
		case 'L':
			if null {
				v = "NULL"
			} else {
				v = quoteLiteral(v)
			}
		default:
			return "", badFmt(fmt.Sprintf("unrecognized format() type specifier \"%c\"", f[k]))
		}
		if pad := width - len([]rune(v)); pad > 0 {
			if left {
				v += strings.Repeat(" ", pad)
			} else {
				v = strings.Repeat(" ", pad) + v
			}
		}
		sb.WriteString(v)
	}
	return sb.String(), nil
}
