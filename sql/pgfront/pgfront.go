// Package pgfront is Basalt's PostgreSQL dialect front. It lexes
// PostgreSQL text, rewrites the constructs the TiDB (MySQL) grammar lacks
// into text that grammar parses — exact MySQL equivalents where they exist,
// calls of reserved __pg_* marker functions otherwise — and runs the TiDB
// parser on the result. Statements the grammar lacks entirely (SHOW, SET,
// RESET, DISCARD, transaction control) are parsed here into a Special.
// Every statement keeps an offset map back to the user's text so that errors
// point where the user wrote the construct.
//
// The marker functions the binder must recognise are:
//
//	__pg_cast(x, 'type')           x::type, CAST(x AS type), type 'literal'
//	__pg_interval('1 month')       interval constants
//	__pg_interval(x, 'unit')       MySQL-style INTERVAL x unit with a non-constant x
//	__pg_extract('field', x)       extract(field FROM x)
//	__pg_position(a, b)            position(a IN b)
//	__pg_pow(a, b)                 a ^ b
//	__pg_json_get(j, k)            j -> k
//	__pg_json_get_text(j, k)       j ->> k
//	__pg_param(n)                  $n
//
// Other rewrites keep TiDB syntax with PostgreSQL meaning: a <=> b for
// IS NOT DISTINCT FROM, ILIKE as TiDB's ILIKE, trim(BOTH c FROM s) with
// PostgreSQL's character-set semantics, LIMIT 18446744073709551615 for "no
// limit". Unquoted identifiers reach TiDB lower-cased (PostgreSQL folds
// them); quoted ones keep their case.
//
// pgfront imports only sql/sqlerr of the project and the TiDB parser.
package pgfront

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	// The test driver supplies the literal value types of the AST.
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Statement is one SQL statement of the input.
type Statement struct {
	Text      string       // the user's original text of this statement
	Start     int          // byte offset of Text in the whole input
	Rewritten string       // what was handed to the TiDB parser ("" for a Special)
	AST       ast.StmtNode // nil when Special != nil
	Special   *Special     // statements the TiDB grammar lacks, parsed by the front
	Offsets   *OffsetMap   // maps byte offsets in Rewritten to the whole input
	// ColumnAliases holds the column lists of "AS t(a, b)" in FROM, keyed
	// by the lower-cased table alias; TiDB has no syntax for them, so the
	// binder renames the columns of t.
	ColumnAliases map[string][]string
}

// SQLMode is the TiDB SQL mode the front's output is written for: ANSI
// double-quoted identifiers, || as concatenation, and backslash as an
// ordinary character in '...' (the front decodes E” strings itself).
const SQLMode = mysql.ModeANSIQuotes | mysql.ModePipesAsConcat | mysql.ModeNoBackslashEscapes

var parsers = sync.Pool{New: func() any {
	p := parser.New()
	p.SetSQLMode(SQLMode)
	return p
}}

// Parse runs the front and the TiDB parser. It returns one Statement per
// SQL statement in text (empty statements are skipped). Errors are
// *sqlerr.Error: 42601 with PostgreSQL's message and a 1-based character
// Position in text, or 42883 for a call of a reserved marker function or an
// operator the engine does not have.
func Parse(text string) ([]Statement, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	var stmts []Statement
	begin := 0
	for i, t := range toks {
		if t.kind != tokEOF && !t.isPunct(";") {
			continue
		}
		if i > begin {
			st, err := parseOne(text, toks[begin:i], t)
			if err != nil {
				return nil, err
			}
			stmts = append(stmts, st)
		}
		begin = i + 1
	}
	return stmts, nil
}

func parseOne(src string, toks []token, end token) (Statement, error) {
	first, last := toks[0], toks[len(toks)-1]
	st := Statement{Text: src[first.pos:last.end], Start: first.pos}
	sp, ok, err := parseSpecial(src, toks, end)
	if err != nil {
		return st, err
	}
	if ok {
		st.Special = sp
		st.Offsets = &OffsetMap{}
		return st, nil
	}
	tree, err := buildTree(src, toks, end)
	if err != nil {
		return st, err
	}
	rw := &rewriter{src: src, end: end}
	out, err := rw.seq(tree, nil)
	if err != nil {
		return st, err
	}
	var e emitter
	e.list(out)
	st.Rewritten = e.sb.String()
	st.Offsets = &OffsetMap{segs: e.segs}
	st.ColumnAliases = rw.aliases

	nodes, perr := tidbParse(st.Rewritten)
	if perr != nil {
		if sqlerr.Code(perr) == sqlerr.InternalError && errors.Is(perr, errParserPanic) {
			return st, perr
		}
		return st, tidbError(src, toks, end, &st, perr)
	}
	if len(nodes) != 1 {
		return st, syntaxErrAt(src, end)
	}
	st.AST = nodes[0]
	if strings.Contains(st.Rewritten, "?") {
		numberMarkers(src, &st)
	}
	return st, nil
}

// numberMarkers gives each "?" marker of st (a $n the rewriter had to
// write as "?", see limitOperand) the value n, read at the marker's
// original position. A marker not made from $n keeps the value 0, which
// the binder rejects.
func numberMarkers(src string, st *Statement) {
	st.AST.Accept(&markerVisitor{fn: func(m *test_driver.ParamMarkerExpr) {
		i := st.Offsets.Original(m.Offset)
		if i < 0 || i >= len(src) || src[i] != '$' {
			return
		}
		j := i + 1
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(src[i+1 : j]); err == nil {
			m.Datum.SetInt64(int64(n))
		}
	}})
}

type markerVisitor struct {
	fn func(*test_driver.ParamMarkerExpr)
}

func (v *markerVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if m, ok := n.(*test_driver.ParamMarkerExpr); ok {
		v.fn(m)
	}
	return n, false
}

func (v *markerVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

var errParserPanic = errors.New("TiDB parser panicked")

// tidbParse runs a pooled TiDB parser. A panic inside the parser (its test
// literal driver panics on some values) becomes an internal error instead
// of taking the server down; that parser is not reused.
func tidbParse(text string) (nodes []ast.StmtNode, err error) {
	p := parsers.Get().(*parser.Parser)
	defer func() {
		if r := recover(); r != nil {
			nodes = nil
			err = &sqlerr.Error{Code: sqlerr.InternalError,
				Message: fmt.Sprintf("internal error: TiDB parser panicked: %v", r), Err: errParserPanic}
			return
		}
		parsers.Put(p)
	}()
	nodes, _, err = p.ParseSQL(text)
	// ParseSQL returns the parser's own result slice, which its next call
	// overwrites in place. Once this parser is back in the pool another
	// connection's statement may be parsed into it at once, so the caller
	// gets a copy (it used to read nodes[0] after that: a data race that
	// could hand one session another session's statement).
	return slices.Clone(nodes), err
}

// tidbNear matches the TiDB parser's syntax error text.
var tidbNear = regexp.MustCompile(`(?s)^line \d+ column \d+ near "(.*)`)
var tidbTotal = regexp.MustCompile(`\(total length (\d+)\)\s*$`)

// tidbError turns a TiDB parser error into PostgreSQL's message pointing at
// the original token the parser failed on.
func tidbError(src string, toks []token, end token, st *Statement, perr error) error {
	msg := perr.Error()
	m := tidbNear.FindStringSubmatch(msg)
	if m == nil {
		// Errors raised by grammar actions (bad ESCAPE, unknown collation)
		// have no position; report them at the statement.
		return &sqlerr.Error{Code: sqlerr.SyntaxError, Message: cleanTiDBMessage(msg),
			Position: charPos(src, st.Start), Err: perr}
	}
	rw := st.Rewritten
	off := -1
	if t := tidbTotal.FindStringSubmatch(m[1]); t != nil {
		if n, err := strconv.Atoi(t[1]); err == nil && n <= len(rw) {
			off = len(rw) - n
		}
	}
	// The snippet is the rest of the text from the failing token, followed
	// by a quote and possibly more message: try each closing quote.
	for q := strings.LastIndexByte(m[1], '"'); off < 0 && q >= 0; q = strings.LastIndexByte(m[1][:q], '"') {
		if strings.HasSuffix(rw, m[1][:q]) {
			off = len(rw) - q
		}
	}
	if off < 0 || off >= len(strings.TrimRight(rw, " ")) {
		e := syntaxErrAt(src, end)
		e.Err = perr
		return e
	}
	orig := st.Offsets.Original(off)
	for _, t := range toks {
		if t.end > orig {
			e := syntaxErrAt(src, t)
			e.Err = perr
			return e
		}
	}
	e := syntaxErrAt(src, end)
	e.Err = perr
	return e
}

// cleanTiDBMessage strips TiDB's "[parser:1210]" style prefix.
func cleanTiDBMessage(msg string) string {
	if strings.HasPrefix(msg, "[") {
		if i := strings.IndexByte(msg, ']'); i > 0 {
			msg = msg[i+1:]
		}
	}
	return msg
}

// OffsetMap maps byte offsets in a statement's Rewritten text back to byte
// offsets in the whole input text.
type OffsetMap struct {
	segs []segment
}

// segment says that Rewritten[rw:] came from input[orig:orig+n].
type segment struct {
	rw, orig, n int
}

// Original returns the input byte offset that rewritten offset off stands
// for: inside copied text the exact byte, inside text the front made the
// start of the construct it replaced.
func (m *OffsetMap) Original(off int) int {
	if m == nil || len(m.segs) == 0 {
		return 0
	}
	i := sort.Search(len(m.segs), func(i int) bool { return m.segs[i].rw > off }) - 1
	if i < 0 {
		i = 0
	}
	s := m.segs[i]
	d := off - s.rw
	if d > s.n {
		d = s.n
	}
	if d < 0 {
		d = 0
	}
	return s.orig + d
}

// Position returns PostgreSQL's 1-based character position in input for a
// rewritten byte offset, as error reports need.
func (m *OffsetMap) Position(input string, off int) int {
	return charPos(input, m.Original(off))
}

// emitter writes the rewrite tree as TiDB text and records the offset map.
type emitter struct {
	sb   strings.Builder
	segs []segment
}

func (e *emitter) write(text string, orig, n int) {
	e.segs = append(e.segs, segment{rw: e.sb.Len(), orig: orig, n: n})
	e.sb.WriteString(text)
}

// list writes nodes with TiDB-safe spacing: none around ".", before "," and
// between a name and its argument list (MySQL reads "count (*)" as a column).
func (e *emitter) list(ns []*node) {
	for i, n := range ns {
		if i > 0 {
			p := ns[i-1]
			glue := n.isPunct(".") || n.isPunct(",") || p.isPunct(".") || (n.kind == nGroup && p.name)
			if !glue {
				e.sb.WriteByte(' ')
			}
		}
		e.node(n)
	}
}

func (e *emitter) node(n *node) {
	switch n.kind {
	case nLeaf:
		t := n.tok
		e.write(leafText(t), t.pos, t.end-t.pos)
	case nSynth:
		e.write(n.text, n.pos, 0)
	case nGroup:
		e.write(n.tok.val, n.tok.pos, 1)
		e.list(n.kids)
		e.write(n.close.val, n.close.pos, 1)
	case nSeq:
		e.list(n.kids)
	case nRaw:
		for _, k := range n.kids {
			e.node(k)
		}
	}
}

// leafText spells a token for TiDB.
func leafText(t token) string {
	switch t.kind {
	case tokIdent:
		if !isPlainASCIIIdent(t.val) {
			return `"` + t.val + `"`
		}
		return t.val
	case tokQIdent:
		return `"` + strings.ReplaceAll(t.val, `"`, `""`) + `"`
	case tokString:
		return quoteString(t.val)
	}
	return t.val
}

// isPlainASCIIIdent reports whether MySQL reads w unquoted as the same name.
func isPlainASCIIIdent(w string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}
