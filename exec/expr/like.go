package expr

import (
	"regexp"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// likeMatcher is a compiled LIKE pattern.
type likeMatcher struct {
	kind int // exact, prefix, suffix, contains, regexp
	lit  string
	lit2 string // suffix for prefix%suffix
	// segs are the literal runs of a '%'-only pattern with more than one
	// inner literal (likeSegments); anchoredHead/Tail say whether the first
	// and last runs are pinned to the ends of the string.
	segs         []string
	anchoredHead bool
	anchoredTail bool
	re           *regexp.Regexp
	ci           bool
	empty        bool // the pattern is "%" only: matches everything
}

const (
	likeExact = iota
	likePrefix
	likeSuffix
	likeContains
	likePrefixSuffix
	likeSegments
	likeRegexp
	likeAll
)

// compileLikePattern turns a LIKE pattern into a matcher, with fast paths
// for the shapes filters use most ('abc%', '%abc', '%abc%').
func compileLikePattern(pat string, esc rune, hasEsc bool, ci bool) (*likeMatcher, error) {
	// Split into literal runs and wildcards.
	type tok struct {
		wild byte // 0 literal, '%' or '_'
		lit  string
	}
	var toks []tok
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, tok{lit: cur.String()})
			cur.Reset()
		}
	}
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case hasEsc && r == esc:
			if i+1 >= len(rs) {
				return nil, sqlerr.New(sqlerr.InvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			i++
			cur.WriteRune(rs[i])
		case r == '%' || r == '_':
			flush()
			if r == '%' && len(toks) > 0 && toks[len(toks)-1].wild == '%' {
				continue
			}
			toks = append(toks, tok{wild: byte(r)})
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	m := &likeMatcher{ci: ci}
	fold := func(s string) string {
		if ci {
			return strings.ToLower(s)
		}
		return s
	}
	hasUnderscore := false
	for _, t := range toks {
		if t.wild == '_' {
			hasUnderscore = true
		}
	}
	if !hasUnderscore {
		switch {
		case len(toks) == 0:
			m.kind, m.lit = likeExact, ""
			return m, nil
		case len(toks) == 1 && toks[0].wild == 0:
			m.kind, m.lit = likeExact, fold(toks[0].lit)
			return m, nil
		case len(toks) == 1:
			m.kind = likeAll
			return m, nil
		case len(toks) == 2 && toks[0].wild == 0:
			m.kind, m.lit = likePrefix, fold(toks[0].lit)
			return m, nil
		case len(toks) == 2:
			m.kind, m.lit = likeSuffix, fold(toks[1].lit)
			return m, nil
		case len(toks) == 3 && toks[0].wild == '%' && toks[2].wild == '%':
			m.kind, m.lit = likeContains, fold(toks[1].lit)
			return m, nil
		case len(toks) == 3 && toks[1].wild == '%':
			m.kind, m.lit, m.lit2 = likePrefixSuffix, fold(toks[0].lit), fold(toks[2].lit)
			return m, nil
		default:
			// Any other '%'-only pattern ('%a%b%', 'a%b%c'): the literal
			// runs must appear in order, and for '%' alone the leftmost
			// occurrence of each run is always a safe choice, so a few
			// strings.Index calls replace a backtracking regexp.
			m.kind = likeSegments
			m.anchoredHead = toks[0].wild == 0
			m.anchoredTail = toks[len(toks)-1].wild == 0
			for _, t := range toks {
				if t.wild == 0 {
					m.segs = append(m.segs, fold(t.lit))
				}
			}
			return m, nil
		}
	}
	var re strings.Builder
	re.WriteString(`(?s)^`)
	if ci {
		re.WriteString(`(?i)`)
	}
	for _, t := range toks {
		switch t.wild {
		case '%':
			re.WriteString(`.*`)
		case '_':
			re.WriteString(`.`)
		default:
			re.WriteString(regexp.QuoteMeta(t.lit))
		}
	}
	re.WriteString(`$`)
	r, err := regexp.Compile(re.String())
	if err != nil {
		return nil, internalErr("LIKE pattern %q: %v", pat, err)
	}
	m.kind, m.re = likeRegexp, r
	return m, nil
}

func (m *likeMatcher) match(s string) bool {
	if m.ci && m.kind != likeRegexp {
		s = strings.ToLower(s)
	}
	switch m.kind {
	case likeExact:
		return s == m.lit
	case likePrefix:
		return strings.HasPrefix(s, m.lit)
	case likeSuffix:
		return strings.HasSuffix(s, m.lit)
	case likeContains:
		return strings.Contains(s, m.lit)
	case likePrefixSuffix:
		return len(s) >= len(m.lit)+len(m.lit2) && strings.HasPrefix(s, m.lit) && strings.HasSuffix(s, m.lit2)
	case likeAll:
		return true
	case likeSegments:
		return m.matchSegments(s)
	}
	return m.re.MatchString(s)
}

func (m *likeMatcher) matchSegments(s string) bool {
	segs := m.segs
	if m.anchoredHead {
		if !strings.HasPrefix(s, segs[0]) {
			return false
		}
		s = s[len(segs[0]):]
		segs = segs[1:]
	}
	if m.anchoredTail {
		last := segs[len(segs)-1]
		if !strings.HasSuffix(s, last) {
			return false
		}
		s = s[:len(s)-len(last)]
		segs = segs[:len(segs)-1]
	}
	for _, seg := range segs {
		i := strings.Index(s, seg)
		if i < 0 {
			return false
		}
		s = s[i+len(seg):]
	}
	return true
}

// likeNode is [NOT] [I]LIKE with an optional ESCAPE argument.
type likeNode struct {
	str, pat, esc node
	not, ci       bool
	fixed         *likeMatcher // when pattern and escape are constants
}

func compileLike(fn string, args []node) (node, error) {
	n := &likeNode{str: args[0], pat: args[1], not: strings.HasPrefix(fn, "not "), ci: strings.HasSuffix(fn, "ilike")}
	if len(args) == 3 {
		n.esc = args[2]
	}
	if pc, ok := args[1].(*constNode); ok && !pc.null {
		esc, hasEsc := '\\', true
		if n.esc != nil {
			ec, ok := n.esc.(*constNode)
			if !ok {
				return n, nil
			}
			if ec.null {
				return n, nil
			}
			var err error
			esc, hasEsc, err = escapeRune(ec.one.(*array.String).Value(0))
			if err != nil {
				return nil, err
			}
		}
		m, err := compileLikePattern(pc.one.(*array.String).Value(0), esc, hasEsc, n.ci)
		if err != nil {
			return nil, err
		}
		n.fixed = m
	}
	return n, nil
}

func escapeRune(s string) (rune, bool, error) {
	rs := []rune(s)
	switch len(rs) {
	case 0:
		return 0, false, nil
	case 1:
		return rs[0], true, nil
	}
	return 0, false, sqlerr.New(sqlerr.InvalidEscapeSequence, "invalid escape string")
}

func (n *likeNode) typ() types.T  { return types.BoolT }
func (n *likeNode) mayFail() bool { return n.fixed == nil || n.str.mayFail() }

func (n *likeNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	sa, err := n.str.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer sa.Release()
	s := sa.(*array.String)
	out := newBitmap(ec.alloc, rows, false)
	ob := out.Bytes()
	if n.fixed != nil {
		valid, nulls := validity(ec.alloc, rows, sa)
		for i := 0; i < rows; i++ {
			setBits(ob, i, n.fixed.match(s.Value(i)) != n.not)
		}
		return finish(arrow.FixedWidthTypes.Boolean, rows, out, valid, nulls), nil
	}
	pa, err := n.pat.eval(ec, b)
	if err != nil {
		out.Release()
		return nil, err
	}
	defer pa.Release()
	p := pa.(*array.String)
	ins := []arrow.Array{sa, pa}
	var e *array.String
	if n.esc != nil {
		ea, err := n.esc.eval(ec, b)
		if err != nil {
			out.Release()
			return nil, err
		}
		defer ea.Release()
		e = ea.(*array.String)
		ins = append(ins, ea)
	}
	valid, nulls := validity(ec.alloc, rows, ins...)
	cache := map[[2]string]*likeMatcher{}
	for i := 0; i < rows; i++ {
		if !isValid(valid, i) {
			continue
		}
		escS := `\`
		if e != nil {
			escS = e.Value(i)
		}
		key := [2]string{p.Value(i), escS}
		m := cache[key]
		if m == nil {
			esc, hasEsc, err := escapeRune(escS)
			if err == nil {
				m, err = compileLikePattern(p.Value(i), esc, hasEsc, n.ci)
			}
			if err != nil {
				out.Release()
				releaseBuf(valid)
				return nil, err
			}
			cache[key] = m
		}
		setBits(ob, i, m.match(s.Value(i)) != n.not)
	}
	return finish(arrow.FixedWidthTypes.Boolean, rows, out, valid, nulls), nil
}
