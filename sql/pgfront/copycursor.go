package pgfront

import (
	"math"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// CopySpec is a COPY statement as written. The front only checks syntax;
// the server checks the options' meaning (PostgreSQL does that at run time
// too, with its own SQLSTATEs).
type CopySpec struct {
	Table   []string // COPY table: the name's parts (schema, table); nil for COPY (query)
	Columns []string // COPY table (columns ...)
	From    bool     // COPY ... FROM
	Target  string   // "stdout", "stdin", "file" or "program"
	// Options in the order written. The old syntax (WITH CSV HEADER,
	// DELIMITER AS 'x', FORCE QUOTE *, BINARY ...) is translated to the
	// generic names: format, header, delimiter, null, quote, escape,
	// force_quote, force_not_null, force_null, encoding, freeze.
	Options []CopyOption
}

// CopyOption is one option of COPY.
type CopyOption struct {
	Name    string   // lower-cased option name
	Value   string   // the argument as text (a string, word or number)
	NoValue bool     // no argument was given
	List    []string // a parenthesised argument list (column names)
	IsList  bool     // the argument was a list
	Star    bool     // the argument was *
	Pos     int      // 1-based character position of the option's name
}

// CursorSpec holds DECLARE's options.
type CursorSpec struct {
	Binary   bool
	Scroll   bool
	NoScroll bool
	Hold     bool // WITH HOLD
}

// FetchDirection is the direction of FETCH and MOVE, as PostgreSQL's
// grammar reduces the many spellings to four.
type FetchDirection uint8

// Fetch directions.
const (
	FetchForward FetchDirection = iota
	FetchBackward
	FetchAbsolute
	FetchRelative
)

// FetchAll is the Count of FETCH ALL, FORWARD ALL and BACKWARD ALL.
const FetchAll = math.MaxInt64

// FetchSpec says how far FETCH or MOVE goes: NEXT is Forward 1, PRIOR
// Backward 1, FIRST Absolute 1, LAST Absolute -1, FORWARD -n Backward n.
type FetchSpec struct {
	Direction FetchDirection
	Count     int64
}

// copyStmt parses what follows COPY:
//
//	COPY [BINARY] table [(cols)] {TO|FROM} {STDOUT|STDIN|'file'|PROGRAM 'cmd'} [[USING] DELIMITERS 'x'] [WITH] options
//	COPY (query) TO {STDOUT|'file'|PROGRAM 'cmd'} [WITH] options
//
// where options are either a parenthesised generic list or the old words.
func (p *specialParser) copyStmt() (*Special, bool, error) {
	cs := &CopySpec{}
	sp := &Special{Kind: SpecialCopy, Copy: cs}
	if p.peek().isPunct("(") {
		open := p.i
		closeAt, err := p.matchParen(open)
		if err != nil {
			return nil, true, err
		}
		if closeAt == open+1 {
			return nil, true, syntaxErrAt(p.src, p.toks[closeAt])
		}
		q, err := p.subQuery(open+1, closeAt, p.toks[closeAt])
		if err != nil {
			return nil, true, err
		}
		sp.Query = q
		p.i = closeAt + 1
		// PostgreSQL's grammar has COPY (query) TO only.
		if !p.word("to") {
			return nil, true, syntaxErrAt(p.src, p.peek())
		}
	} else {
		if p.peek().is("binary") {
			p.i++
			cs.Options = append(cs.Options, CopyOption{Name: "format", Value: "binary", Pos: charPos(p.src, p.toks[p.i-1].pos)})
		}
		name, err := p.qualifiedName()
		if err != nil {
			return nil, true, err
		}
		cs.Table = name
		if p.peek().isPunct("(") {
			p.i++
			if cs.Columns, err = p.identList(); err != nil {
				return nil, true, err
			}
		}
		switch {
		case p.word("to"):
		case p.word("from"):
			cs.From = true
		default:
			return nil, true, syntaxErrAt(p.src, p.peek())
		}
		if sp.Query, err = tableQuery(name, cs.Columns); err != nil {
			return nil, true, err
		}
	}
	switch t := p.peek(); {
	case t.is("stdout") || t.is("stdin"):
		p.i++
		cs.Target = t.val
	case t.is("program"):
		p.i++
		if p.peek().kind != tokString {
			return nil, true, syntaxErrAt(p.src, p.peek())
		}
		p.i++
		cs.Target = "program"
	case t.kind == tokString:
		p.i++
		cs.Target = "file"
	default:
		return nil, true, syntaxErrAt(p.src, t)
	}
	if cs.Table != nil {
		// copy_delimiter: [USING] DELIMITERS 'x', before WITH.
		at := p.i
		if p.word("using") && !p.peek().is("delimiters") {
			return nil, true, syntaxErrAt(p.src, p.peek())
		}
		if p.word("delimiters") {
			t := p.peek()
			if t.kind != tokString {
				return nil, true, syntaxErrAt(p.src, t)
			}
			p.i++
			cs.Options = append(cs.Options, CopyOption{Name: "delimiter", Value: t.val, Pos: charPos(p.src, p.toks[at].pos)})
		}
	}
	_ = p.word("with")
	var err error
	if p.peek().isPunct("(") {
		err = p.genericCopyOptions(cs)
	} else {
		err = p.oldCopyOptions(cs)
	}
	if err != nil {
		return nil, true, err
	}
	return sp, true, p.done()
}

// matchParen returns the index of the ")" closing the "(" at toks[open].
func (p *specialParser) matchParen(open int) (int, error) {
	depth := 0
	for i := open; i < len(p.toks); i++ {
		switch {
		case p.toks[i].isPunct("(") || p.toks[i].isPunct("["):
			depth++
		case p.toks[i].isPunct(")") || p.toks[i].isPunct("]"):
			depth--
			if depth == 0 {
				if !p.toks[i].isPunct(")") {
					return 0, syntaxErrAt(p.src, p.toks[i])
				}
				return i, nil
			}
			if depth < 0 {
				return 0, syntaxErrAt(p.src, p.toks[i])
			}
		}
	}
	return 0, syntaxErrAt(p.src, p.end)
}

// subQuery parses toks[from:to] as the query of COPY or DECLARE; end is
// the token after it, where "syntax error at end" points.
func (p *specialParser) subQuery(from, to int, end token) (*Statement, error) {
	st, err := parseOne(p.src, p.toks[from:to], end)
	if err != nil {
		return nil, err
	}
	switch st.AST.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		return &st, nil
	}
	// SHOW, EXPLAIN, SET ... are not queries PostgreSQL's grammar takes here.
	return nil, syntaxErrAt(p.src, p.toks[from])
}

// tableQuery writes the SELECT that COPY table [(columns)] runs.
func tableQuery(name, cols []string) (*Statement, error) {
	var sb strings.Builder
	sb.WriteString("SELECT ")
	if len(cols) == 0 {
		sb.WriteString("*")
	}
	for i, c := range cols {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(quoteIdent(c))
	}
	sb.WriteString(" FROM ")
	for i, n := range name {
		if i > 0 {
			sb.WriteString(".")
		}
		sb.WriteString(quoteIdent(n))
	}
	sts, err := Parse(sb.String())
	if err != nil {
		return nil, err
	}
	return &sts[0], nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// qualifiedName reads name or schema.name (or catalog.schema.name).
func (p *specialParser) qualifiedName() ([]string, error) {
	first, err := p.ident()
	if err != nil {
		return nil, err
	}
	name := []string{first}
	for p.peek().isPunct(".") && len(name) < 3 {
		p.i++
		part, err := p.ident()
		if err != nil {
			return nil, err
		}
		name = append(name, part)
	}
	return name, nil
}

// identList reads "a, b, c)" after an opening parenthesis.
func (p *specialParser) identList() ([]string, error) {
	var out []string
	for {
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		out = append(out, name)
		if p.peek().isPunct(")") {
			p.i++
			return out, nil
		}
		if !p.peek().isPunct(",") {
			return nil, syntaxErrAt(p.src, p.peek())
		}
		p.i++
	}
}

// genericCopyOptions reads "(name [arg], ...)" where arg is a word, string,
// signed number, * or a parenthesised list of words and strings.
func (p *specialParser) genericCopyOptions(cs *CopySpec) error {
	p.i++ // (
	for {
		t := p.peek()
		if t.kind != tokIdent && t.kind != tokQIdent {
			return syntaxErrAt(p.src, t)
		}
		p.i++
		o := CopyOption{Name: t.val, Pos: charPos(p.src, t.pos)}
		switch a := p.peek(); {
		case a.isPunct(",") || a.isPunct(")"):
			o.NoValue = true
		case a.kind == tokIdent || a.kind == tokQIdent || a.kind == tokString || a.kind == tokNumber:
			p.i++
			o.Value = a.val
		case a.kind == tokOp && (a.val == "-" || a.val == "+") && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == tokNumber:
			o.Value = strings.TrimPrefix(a.val, "+") + p.toks[p.i+1].val
			p.i += 2
		case a.kind == tokOp && a.val == "*":
			p.i++
			o.Star = true
		case a.isPunct("("):
			p.i++
			o.IsList = true
			for {
				e := p.peek()
				if e.kind != tokIdent && e.kind != tokQIdent && e.kind != tokString {
					return syntaxErrAt(p.src, e)
				}
				p.i++
				o.List = append(o.List, e.val)
				if p.peek().isPunct(",") {
					p.i++
					continue
				}
				if !p.peek().isPunct(")") {
					return syntaxErrAt(p.src, p.peek())
				}
				p.i++
				break
			}
		default:
			return syntaxErrAt(p.src, a)
		}
		cs.Options = append(cs.Options, o)
		if p.peek().isPunct(")") {
			p.i++
			return nil
		}
		if !p.peek().isPunct(",") {
			return syntaxErrAt(p.src, p.peek())
		}
		p.i++
	}
}

// oldCopyOptions reads the pre-9.0 option words, which still work.
func (p *specialParser) oldCopyOptions(cs *CopySpec) error {
	for p.i < len(p.toks) {
		t := p.peek()
		o := CopyOption{Pos: charPos(p.src, t.pos)}
		p.i++
		switch {
		case t.is("binary"):
			o.Name, o.Value = "format", "binary"
		case t.is("csv"):
			o.Name, o.Value = "format", "csv"
		case t.is("header"):
			o.Name, o.Value = "header", "true"
		case t.is("freeze"):
			o.Name, o.Value = "freeze", "true"
		case t.is("delimiter"), t.is("null"), t.is("quote"), t.is("escape"), t.is("encoding"):
			o.Name = t.val
			if t.val != "encoding" {
				_ = p.word("as")
			}
			s := p.peek()
			if s.kind != tokString {
				return syntaxErrAt(p.src, s)
			}
			p.i++
			o.Value = s.val
		case t.is("force"):
			switch {
			case p.word("quote"):
				o.Name = "force_quote"
			case p.word("not"):
				if !p.word("null") {
					return syntaxErrAt(p.src, p.peek())
				}
				o.Name = "force_not_null"
			case p.word("null"):
				o.Name = "force_null"
			default:
				return syntaxErrAt(p.src, p.peek())
			}
			if a := p.peek(); o.Name == "force_quote" && a.kind == tokOp && a.val == "*" {
				p.i++
				o.Star = true
				break
			}
			o.IsList = true
			for {
				name, err := p.ident()
				if err != nil {
					return err
				}
				o.List = append(o.List, name)
				if !p.peek().isPunct(",") {
					break
				}
				p.i++
			}
		default:
			return syntaxErrAt(p.src, t)
		}
		cs.Options = append(cs.Options, o)
	}
	return nil
}

// declare parses
//
//	DECLARE name [BINARY] [ASENSITIVE|INSENSITIVE] [[NO] SCROLL] CURSOR [{WITH|WITHOUT} HOLD] FOR query
func (p *specialParser) declare() (*Special, bool, error) {
	name, err := p.ident()
	if err != nil {
		return nil, true, err
	}
	cur := &CursorSpec{}
	for !p.word("cursor") {
		switch {
		case p.word("binary"):
			cur.Binary = true
		case p.word("insensitive"), p.word("asensitive"):
		case p.word("scroll"):
			cur.Scroll = true
		case p.word("no"):
			if !p.word("scroll") {
				return nil, true, syntaxErrAt(p.src, p.peek())
			}
			cur.NoScroll = true
		default:
			return nil, true, syntaxErrAt(p.src, p.peek())
		}
	}
	switch {
	case p.word("with"):
		if !p.word("hold") {
			return nil, true, syntaxErrAt(p.src, p.peek())
		}
		cur.Hold = true
	case p.word("without"):
		if !p.word("hold") {
			return nil, true, syntaxErrAt(p.src, p.peek())
		}
	}
	if !p.word("for") {
		return nil, true, syntaxErrAt(p.src, p.peek())
	}
	if p.i >= len(p.toks) {
		return nil, true, syntaxErrAt(p.src, p.end)
	}
	q, err := p.subQuery(p.i, len(p.toks), p.end)
	if err != nil {
		return nil, true, err
	}
	p.i = len(p.toks)
	return &Special{Kind: SpecialDeclare, Name: name, Cursor: cur, Query: q}, true, nil
}

// fetch parses what follows FETCH or MOVE:
//
//	[NEXT | PRIOR | FIRST | LAST | ABSOLUTE n | RELATIVE n | n | ALL |
//	 FORWARD [n | ALL] | BACKWARD [n | ALL]] [FROM | IN] name
func (p *specialParser) fetch(kind SpecialKind) (*Special, bool, error) {
	f := &FetchSpec{Direction: FetchForward, Count: 1}
	count := func() (int64, bool, error) {
		t := p.peek()
		neg := false
		if t.kind == tokOp && (t.val == "-" || t.val == "+") {
			neg = t.val == "-"
			if p.i+1 >= len(p.toks) || p.toks[p.i+1].kind != tokNumber {
				return 0, false, syntaxErrAt(p.src, t)
			}
			p.i++
			t = p.peek()
		}
		if t.kind != tokNumber {
			return 0, false, nil
		}
		// SignedIconst: an integer that fits int32.
		n, err := strconv.ParseInt(t.val, 10, 32)
		if err != nil {
			return 0, false, syntaxErrAt(p.src, t)
		}
		p.i++
		if neg {
			n = -n
		}
		return n, true, nil
	}
	switch {
	case p.word("next"):
	case p.word("prior"):
		f.Direction = FetchBackward
	case p.word("first"):
		f.Direction, f.Count = FetchAbsolute, 1
	case p.word("last"):
		f.Direction, f.Count = FetchAbsolute, -1
	case p.word("absolute"), p.word("relative"):
		f.Direction = FetchAbsolute
		if p.toks[p.i-1].val == "relative" {
			f.Direction = FetchRelative
		}
		n, ok, err := count()
		if err != nil {
			return nil, true, err
		}
		if !ok {
			return nil, true, syntaxErrAt(p.src, p.peek())
		}
		f.Count = n
	case p.word("all"):
		f.Count = FetchAll
	case p.word("forward"), p.word("backward"):
		if p.toks[p.i-1].val == "backward" {
			f.Direction = FetchBackward
		}
		if p.word("all") {
			f.Count = FetchAll
			break
		}
		n, ok, err := count()
		if err != nil {
			return nil, true, err
		}
		if ok {
			f.Count = n
		}
	default:
		n, ok, err := count()
		if err != nil {
			return nil, true, err
		}
		if ok {
			f.Count = n
		}
	}
	// A negative count turns FORWARD into BACKWARD and back.
	if f.Count < 0 && (f.Direction == FetchForward || f.Direction == FetchBackward) {
		f.Count = -f.Count
		f.Direction = 1 - f.Direction
	}
	_ = p.word("from") || p.word("in")
	name, err := p.ident()
	if err != nil {
		return nil, true, err
	}
	return &Special{Kind: kind, Name: name, Fetch: f}, true, p.done()
}
