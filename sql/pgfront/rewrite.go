package pgfront

import (
	"fmt"
	"strings"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// nodeKind says how a node of the rewrite tree is emitted.
type nodeKind uint8

const (
	nLeaf  nodeKind = iota // one token, emitted in TiDB spelling
	nGroup                 // ( ... ) or [ ... ] around kids
	nSeq                   // kids emitted with normal spacing; one operand
	nRaw                   // kids concatenated with no added spacing
	nSynth                 // literal text made by the front
)

// node is one unit of the rewrite tree: a token, a bracketed group, or a
// rewritten construct. Rewrites replace runs of nodes with one node, which
// is how "the preceding primary expression" stays one unit for "::".
type node struct {
	kind  nodeKind
	tok   token   // nLeaf; for nGroup the opening bracket
	close token   // nGroup: the closing bracket
	kids  []*node // nGroup, nSeq, nRaw
	text  string  // nSynth
	pos   int     // nSynth: original offset it stands for
	name  bool    // a (possibly qualified) name: a function call may follow
	// operand marks nodes that are complete primary expressions.
	operand bool
}

func (n *node) isWord(w string) bool    { return n.kind == nLeaf && n.tok.is(w) }
func (n *node) isPunct(p string) bool   { return n.kind == nLeaf && n.tok.isPunct(p) }
func (n *node) isOp(op string) bool     { return n.kind == nLeaf && n.tok.kind == tokOp && n.tok.val == op }
func (n *node) isParen() bool           { return n.kind == nGroup && n.tok.val == "(" }
func (n *node) leafKind(k tokKind) bool { return n.kind == nLeaf && n.tok.kind == k }

// start is the original offset a node maps to.
func (n *node) start() int {
	switch n.kind {
	case nLeaf, nGroup:
		return n.tok.pos
	case nSynth:
		return n.pos
	}
	if len(n.kids) > 0 {
		return n.kids[0].start()
	}
	return n.pos
}

func synth(text string, pos int) *node { return &node{kind: nSynth, text: text, pos: pos} }

func seqNode(kids ...*node) *node { return &node{kind: nSeq, kids: kids, operand: true} }

func rawNode(kids ...*node) *node { return &node{kind: nRaw, kids: kids, operand: true} }

// buildTree nests tokens by balanced ( ) and [ ]. toks excludes EOF.
func buildTree(src string, toks []token, eof token) ([]*node, error) {
	type frame struct {
		open token
		kids []*node
	}
	stack := []frame{{}}
	for _, t := range toks {
		if t.kind == tokPunct && (t.val == "(" || t.val == "[") {
			stack = append(stack, frame{open: t})
			continue
		}
		if t.kind == tokPunct && (t.val == ")" || t.val == "]") {
			top := stack[len(stack)-1]
			want := map[string]string{")": "(", "]": "["}[t.val]
			if len(stack) == 1 || top.open.val != want {
				return nil, syntaxErrAt(src, t)
			}
			stack = stack[:len(stack)-1]
			g := &node{kind: nGroup, tok: top.open, close: t, kids: top.kids, operand: true}
			stack[len(stack)-1].kids = append(stack[len(stack)-1].kids, g)
			continue
		}
		tc := t
		stack[len(stack)-1].kids = append(stack[len(stack)-1].kids, &node{kind: nLeaf, tok: tc})
	}
	if len(stack) > 1 {
		return nil, syntaxErrAt(src, eof)
	}
	return stack[0].kids, nil
}

// syntaxErrAt is PostgreSQL's generic parser error pointing at t.
func syntaxErrAt(src string, t token) *sqlerr.Error {
	if t.kind == tokEOF {
		return &sqlerr.Error{Code: sqlerr.SyntaxError, Message: "syntax error at end of input", Position: charPos(src, t.pos)}
	}
	return &sqlerr.Error{Code: sqlerr.SyntaxError,
		Message:  fmt.Sprintf("syntax error at or near \"%s\"", src[t.pos:t.end]),
		Position: charPos(src, t.pos)}
}

// rewriter holds what one statement's rewrite needs and collects.
type rewriter struct {
	src     string
	end     token // the token after the statement (";" or EOF), for errors at its end
	aliases map[string][]string
}

func (rw *rewriter) errAt(n *node) error {
	switch n.kind {
	case nLeaf, nGroup:
		return syntaxErrAt(rw.src, n.tok)
	}
	return syntaxErrAt(rw.src, token{kind: tokIdent, pos: n.start(), end: n.start() + 1})
}

// errAfter reports a syntax error at in[i], or at the end of the enclosing
// group when i runs past it.
func (rw *rewriter) errAfter(in []*node, i int, close *token) error {
	if i < len(in) {
		return rw.errAt(in[i])
	}
	if close != nil {
		return syntaxErrAt(rw.src, *close)
	}
	return syntaxErrAt(rw.src, rw.end)
}

// seqState is what the rewriter tracks while walking one parenthesis level.
type seqState struct {
	out    []*node
	inFrom bool // inside a FROM list, where "alias(cols)" is a column alias list
	// fromClause is set from FROM to the end of the FROM clause; inFrom is
	// cleared inside ON conditions and restored by "," and JOIN.
	fromClause bool
	// fullJoin is set between FULL JOIN and its ON, which carries the marker.
	fullJoin bool
	close    *token
}

func (s *seqState) last() *node {
	if len(s.out) == 0 {
		return nil
	}
	return s.out[len(s.out)-1]
}

func (s *seqState) pop() *node {
	n := s.out[len(s.out)-1]
	s.out = s.out[:len(s.out)-1]
	return n
}

// push appends n, merging qualified names (a . b) and calls (name (args))
// into single operand nodes.
func (s *seqState) push(n *node) {
	if l := len(s.out); l >= 2 && s.out[l-1].isPunct(".") && s.out[l-2].name &&
		(n.name || n.isOp("*")) {
		q := seqNode(s.out[l-2], s.out[l-1], n)
		q.name = n.name
		s.out = s.out[:l-2]
		s.out = append(s.out, q)
		return
	}
	if n.isParen() {
		if p := s.last(); p != nil && p.name {
			s.out[len(s.out)-1] = seqNode(p, n)
			return
		}
	}
	s.out = append(s.out, n)
}

// seq rewrites one parenthesis level. close is the group's closing token
// (nil at statement level), used for errors at the group's end.
func (rw *rewriter) seq(in []*node, close *token) ([]*node, error) {
	s := &seqState{close: close}
	for i := 0; i < len(in); {
		next, err := rw.step(s, in, i)
		if err != nil {
			return nil, err
		}
		i = next
	}
	return s.out, nil
}

// seqOperand rewrites in as one operand node.
func (rw *rewriter) seqOperand(in []*node, close *token) (*node, error) {
	if len(in) == 0 {
		return nil, rw.errAfter(in, 0, close)
	}
	out, err := rw.seq(in, close)
	if err != nil {
		return nil, err
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return seqNode(out...), nil
}

// group rewrites the contents of a parenthesised group node.
func (rw *rewriter) group(g *node) (*node, error) {
	kids, err := rw.seq(g.kids, &g.close)
	if err != nil {
		return nil, err
	}
	return &node{kind: nGroup, tok: g.tok, close: g.close, kids: kids, operand: true}, nil
}

// step rewrites the construct starting at in[i] and returns the index after it.
func (rw *rewriter) step(s *seqState, in []*node, i int) (int, error) {
	n := in[i]
	var nx *node
	if i+1 < len(in) {
		nx = in[i+1]
	}
	if n.kind == nGroup {
		g, err := rw.group(n)
		if err != nil {
			return 0, err
		}
		if l := s.last(); g.tok.val == "(" && (l == nil || !l.name) && i+2 < len(in) && in[i+1].isPunct(".") &&
			(in[i+2].leafKind(tokIdent) || in[i+2].leafKind(tokQIdent)) {
			// (expr).field: a field of a composite value.
			f := in[i+2].tok
			s.push(rawNode(synth("__pg_field(", g.tok.pos), g, synth(", "+quoteString(f.val)+")", f.pos)))
			return i + 3, nil
		}
		if g.tok.val == "[" {
			// arr[i]: an array subscript on the operand before it.
			if l := s.last(); l != nil && l.operand && !l.isWord("array") {
				colon := -1
				for j, k := range g.kids {
					if k.isPunct(":") {
						if colon >= 0 {
							return 0, rw.errAt(k)
						}
						colon = j
					}
				}
				if colon >= 0 {
					// arr[lo:hi], either bound omitted: __pg_slice(arr, lo, hi).
					arr := s.pop()
					lo, hi := g.kids[:colon], g.kids[colon+1:]
					parts := []*node{synth("__pg_slice(", n.tok.pos), arr, synth(", ", n.tok.pos)}
					if len(lo) == 0 {
						parts = append(parts, synth("1", n.tok.pos))
					} else {
						parts = append(parts, rawNode(synth("(", n.tok.pos), seqNode(lo...), synth(")", n.tok.pos)))
					}
					parts = append(parts, synth(", ", n.tok.pos))
					if len(hi) == 0 {
						parts = append(parts, synth("2147483647", n.tok.pos))
					} else {
						parts = append(parts, rawNode(synth("(", n.tok.pos), seqNode(hi...), synth(")", n.tok.pos)))
					}
					parts = append(parts, synth(")", g.close.pos))
					s.push(rawNode(parts...))
					return i + 1, nil
				}
				arr := s.pop()
				parts := []*node{synth("__pg_subscript(", n.tok.pos), arr, synth(", ", n.tok.pos)}
				parts = append(parts, g.kids...)
				parts = append(parts, synth(")", g.close.pos))
				s.push(rawNode(parts...))
				return i + 1, nil
			}
		}
		s.push(g)
		return i + 1, nil
	}
	t := n.tok
	switch t.kind {
	case tokIdent, tokQIdent:
		if nx != nil && nx.isParen() && strings.HasPrefix(strings.ToLower(t.val), "__pg_") {
			return 0, &sqlerr.Error{Code: sqlerr.UndefinedFunction,
				Message:  fmt.Sprintf("function %s does not exist", t.val),
				Position: charPos(rw.src, t.pos)}
		}
		if t.kind == tokIdent {
			return rw.word(s, in, i)
		}
		s.push(&node{kind: nLeaf, tok: t, name: true, operand: true})
		return i + 1, nil
	case tokParam:
		s.push(&node{kind: nSynth, text: "__pg_param(" + t.val + ")", pos: t.pos, operand: true})
		return i + 1, nil
	case tokString:
		if p := s.last(); p != nil && p.leafKind(tokString) {
			// 'a' 'b' on one line is an error in PostgreSQL, but MySQL would
			// concatenate them.
			return 0, rw.errAt(n)
		}
		s.push(&node{kind: nLeaf, tok: t, operand: true})
		return i + 1, nil
	case tokBitStr:
		digits, typ := t.val[1:], fmt.Sprintf("bit(%d)", len(t.val)-1)
		if t.val[0] == 'x' {
			digits, typ = "x"+digits, fmt.Sprintf("bit(%d)", 4*(len(t.val)-1))
		}
		s.push(rawNode(synth("__pg_cast("+quoteString(digits)+", "+quoteString(typ)+")", t.pos)))
		return i + 1, nil
	case tokNumber:
		if longNumber(t.val) {
			// TiDB's decimal literal holds 81 digits at most; PostgreSQL's
			// numeric has no such limit, so the binder parses the text.
			s.push(castNode(&node{kind: nLeaf, tok: token{kind: tokString, val: t.val, pos: t.pos, end: t.end}, operand: true}, "numeric", t.pos))
			return i + 1, nil
		}
		s.push(&node{kind: nLeaf, tok: t, operand: true})
		return i + 1, nil
	case tokPunct:
		if t.val == "::" {
			return rw.castSuffix(s, in, i)
		}
		if t.val == "," && s.fromClause {
			s.inFrom = true
		}
		s.push(&node{kind: nLeaf, tok: t})
		return i + 1, nil
	case tokOp:
		return rw.operator(s, in, i)
	}
	return 0, rw.errAt(n)
}

// longNumber reports whether a numeric constant has more digits than TiDB's
// literal decimals take.
func longNumber(v string) bool {
	digits := 0
	for i := 0; i < len(v) && v[i] != 'e' && v[i] != 'E'; i++ {
		if isDigit(v[i]) {
			digits++
		}
	}
	return digits > 60
}

// passOps are operators with the same meaning in both dialects.
var passOps = wordSet(`= <> != < > <= >= + - * / % || | & << >> ~`)

// anyOps are the comparisons that may take ANY/SOME/ALL (array).
var anyOps = wordSet(`= <> != < > <= >=`)

// likeOps are PostgreSQL's operator spellings of LIKE and ILIKE.
var likeOps = map[string]string{"~~": "like", "!~~": "not like", "~~*": "ilike", "!~~*": "not ilike"}

func (rw *rewriter) operator(s *seqState, in []*node, i int) (int, error) {
	t := in[i].tok
	switch {
	case t.val == "~" && s.last() != nil && s.last().operand:
		s.push(synth("regexp", t.pos))
		return i + 1, nil
	case anyOps[t.val] && i+2 < len(in) && (in[i+1].isWord("any") || in[i+1].isWord("some") || in[i+1].isWord("all")) &&
		in[i+2].isParen() && !(len(in[i+2].kids) > 0 && (in[i+2].kids[0].isWord("select") || in[i+2].kids[0].isWord("with") || in[i+2].kids[0].isWord("values"))):
		// x op ANY (array) / x op ALL (array); ANY over a subquery is TiDB's own.
		left, err := rw.popOperand(s, in[i])
		if err != nil {
			return 0, err
		}
		g, err := rw.group(in[i+2])
		if err != nil {
			return 0, err
		}
		fn := "__pg_any("
		if in[i+1].isWord("all") {
			fn = "__pg_all("
		}
		parts := []*node{synth(fn, t.pos), left, synth(", "+quoteString(t.val)+", ", t.pos)}
		parts = append(parts, g.kids...)
		parts = append(parts, synth(")", g.close.pos))
		s.push(rawNode(parts...))
		return i + 3, nil
	case passOps[t.val]:
		s.push(&node{kind: nLeaf, tok: t})
		return i + 1, nil
	case likeOps[t.val] != "":
		s.push(synth(likeOps[t.val], t.pos))
		return i + 1, nil
	case t.val == "^":
		return rw.power(s, in, i)
	case t.val == "->" || t.val == "->>":
		return rw.jsonArrow(s, in, i)
	case t.val == "~*" || t.val == "!~" || t.val == "!~*":
		// PostgreSQL's regular-expression match operators. TiDB's REGEXP
		// has the right shape; case-insensitivity is the pattern's own
		// (?i) flag, which || prepends (|| binds tighter than REGEXP).
		op := map[string]string{"~*": "regexp '(?i)' ||", "!~": "not regexp", "!~*": "not regexp '(?i)' ||"}[t.val]
		s.push(synth(op, t.pos))
		return i + 1, nil
	}
	return 0, &sqlerr.Error{Code: sqlerr.UndefinedFunction,
		Message:  fmt.Sprintf("operator does not exist: %s", t.val),
		Position: charPos(rw.src, t.pos)}
}

// popOperand removes the operand before an infix construct at in[i].
func (rw *rewriter) popOperand(s *seqState, at *node) (*node, error) {
	l := s.last()
	if l == nil || !l.operand {
		return nil, rw.errAt(at)
	}
	return s.pop(), nil
}

// power rewrites a ^ b (exponentiation in PostgreSQL, XOR in MySQL). It binds
// tighter than * and /, is left-associative, and looser than unary minus.
func (rw *rewriter) power(s *seqState, in []*node, i int) (int, error) {
	left, err := rw.popOperand(s, in[i])
	if err != nil {
		return 0, err
	}
	if l := s.last(); l != nil && (l.isOp("-") || l.isOp("+")) {
		// The sign is unary when nothing operand-like precedes it.
		if len(s.out) == 1 || !s.out[len(s.out)-2].operand {
			left = seqNode(s.pop(), left)
		}
	}
	end, err := rw.primaryEnd(in, i+1, s.close)
	if err != nil {
		return 0, err
	}
	right, err := rw.seqOperand(in[i+1:end], s.close)
	if err != nil {
		return 0, err
	}
	pos := in[i].tok.pos
	s.push(rawNode(synth("__pg_pow(", pos), left, synth(", ", pos), right, synth(")", pos)))
	return end, nil
}

// jsonArrow rewrites j -> k and j ->> k (json field or element access)
// into __pg_json_get(j, k) and __pg_json_get_text(j, k); the binder picks
// the field or element function by k's type. Chains (j -> 'a' -> 0) nest
// left to right. The right operand is one primary expression, so
// j -> 1 + 1 reads as (j -> 1) + 1 where PostgreSQL adds first.
func (rw *rewriter) jsonArrow(s *seqState, in []*node, i int) (int, error) {
	left, err := rw.popOperand(s, in[i])
	if err != nil {
		return 0, err
	}
	end, err := rw.primaryEnd(in, i+1, s.close)
	if err != nil {
		return 0, err
	}
	right, err := rw.seqOperand(in[i+1:end], s.close)
	if err != nil {
		return 0, err
	}
	pos := in[i].tok.pos
	fn := "__pg_json_get("
	if in[i].tok.val == "->>" {
		fn = "__pg_json_get_text("
	}
	s.push(rawNode(synth(fn, pos), left, synth(", ", pos), right, synth(")", pos)))
	return end, nil
}

// primaryEnd returns the index just after the primary expression starting
// at in[j]: signs, a literal, name, call, group, CASE ... END or typed
// literal, then any "::type" suffixes.
func (rw *rewriter) primaryEnd(in []*node, j int, close *token) (int, error) {
	k := j
	for k < len(in) && (in[k].isOp("-") || in[k].isOp("+")) {
		k++
	}
	if k >= len(in) {
		return 0, rw.errAfter(in, k, close)
	}
	n := in[k]
	switch {
	case n.kind == nGroup:
		k++
	case n.kind == nLeaf && n.tok.kind == tokIdent && n.tok.val == "case":
		depth := 0
		for ; k < len(in); k++ {
			if in[k].isWord("case") {
				depth++
			} else if in[k].isWord("end") {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if k >= len(in) {
			return 0, rw.errAfter(in, k, close)
		}
		k++
	case n.kind == nLeaf && (n.tok.kind == tokIdent || n.tok.kind == tokQIdent):
		if n.tok.kind == tokIdent && pgReserved[n.tok.val] && !isConstWord(n.tok.val) {
			return 0, rw.errAt(n)
		}
		k++
		if n.tok.kind == tokIdent && k < len(in) && in[k].leafKind(tokString) &&
			(typedLiteralTypes[n.tok.val] || n.tok.val == "interval") {
			k++
		}
		for k+1 < len(in) && in[k].isPunct(".") && in[k+1].kind == nLeaf &&
			(in[k+1].tok.kind == tokIdent || in[k+1].tok.kind == tokQIdent) {
			k += 2
		}
		if k < len(in) && in[k].isParen() {
			k++
		}
	case n.kind == nLeaf && (n.tok.kind == tokString || n.tok.kind == tokNumber || n.tok.kind == tokParam || n.tok.kind == tokBitStr):
		k++
	default:
		return 0, rw.errAt(n)
	}
	for k < len(in) && in[k].isPunct("::") {
		_, next, err := rw.readType(in, k+1, close)
		if err != nil {
			return 0, err
		}
		k = next
	}
	return k, nil
}

// isConstWord are reserved words that are complete expressions by themselves.
func isConstWord(w string) bool {
	switch w {
	case "true", "false", "null", "current_date", "current_time", "current_timestamp", "localtime",
		"localtimestamp", "current_user", "session_user", "user", "current_role", "current_catalog",
		"current_schema", "system_user":
		return true
	}
	return false
}

// castSuffix rewrites operand::type into __pg_cast(operand, 'type').
func (rw *rewriter) castSuffix(s *seqState, in []*node, i int) (int, error) {
	operand, err := rw.popOperand(s, in[i])
	if err != nil {
		return 0, err
	}
	typ, next, err := rw.readType(in, i+1, s.close)
	if err != nil {
		return 0, err
	}
	s.push(castNode(operand, typ, in[i].tok.pos))
	return next, nil
}

func castNode(operand *node, typ string, pos int) *node {
	return rawNode(synth("__pg_cast(", pos), operand, synth(", "+quoteString(typ)+")", pos))
}

// readType reads a PostgreSQL type name starting at in[j]: qualified and
// multi-word names, modifiers in parentheses, WITH/WITHOUT TIME ZONE, an
// interval's fields and array brackets. It returns the normalised spelling.
func (rw *rewriter) readType(in []*node, j int, close *token) (string, int, error) {
	if j >= len(in) || in[j].kind != nLeaf || (in[j].tok.kind != tokIdent && in[j].tok.kind != tokQIdent) ||
		(in[j].tok.kind == tokIdent && pgReserved[in[j].tok.val]) {
		return "", 0, rw.errAfter(in, j, close)
	}
	var sb strings.Builder
	writeName := func(t token) {
		if t.kind == tokQIdent {
			sb.WriteString(`"` + strings.ReplaceAll(t.val, `"`, `""`) + `"`)
		} else {
			sb.WriteString(t.val)
		}
	}
	first := in[j].tok
	writeName(first)
	k := j + 1
	for k+1 < len(in) && in[k].isPunct(".") && in[k+1].kind == nLeaf &&
		(in[k+1].tok.kind == tokIdent || in[k+1].tok.kind == tokQIdent) {
		sb.WriteByte('.')
		writeName(in[k+1].tok)
		k += 2
	}
	word := func(w string) bool { return k < len(in) && in[k].isWord(w) }
	if first.kind == tokIdent {
		switch first.val {
		case "double":
			if !word("precision") {
				return "", 0, rw.errAfter(in, k, close)
			}
			sb.WriteString(" precision")
			k++
		case "character", "char", "bit", "national":
			if first.val == "national" {
				if !word("character") && !word("char") {
					return "", 0, rw.errAfter(in, k, close)
				}
				sb.WriteString(" " + in[k].tok.val)
				k++
			}
			if word("varying") {
				sb.WriteString(" varying")
				k++
			}
		case "interval":
			for k < len(in) && in[k].kind == nLeaf && in[k].tok.kind == tokIdent &&
				(intervalUnits[in[k].tok.val] || in[k].tok.val == "to") {
				sb.WriteString(" " + in[k].tok.val)
				k++
			}
		}
	}
	if k < len(in) && in[k].isParen() {
		sb.WriteString(compactText(rw.src, in[k]))
		k++
	}
	if first.kind == tokIdent && (first.val == "timestamp" || first.val == "time") &&
		(word("with") || word("without")) {
		w := in[k].tok.val
		if k+2 >= len(in) || !in[k+1].isWord("time") || !in[k+2].isWord("zone") {
			return "", 0, rw.errAfter(in, k+1, close)
		}
		sb.WriteString(" " + w + " time zone")
		k += 3
	}
	for k < len(in) && in[k].kind == nGroup && in[k].tok.val == "[" {
		sb.WriteString(compactText(rw.src, in[k]))
		k++
	}
	for word("array") {
		sb.WriteString("[]")
		k++
	}
	return sb.String(), k, nil
}

// compactText is a group's original text, lower-cased, without whitespace,
// for type modifiers such as (10, 2).
func compactText(src string, g *node) string {
	txt := src[g.tok.pos:g.close.end]
	return strings.ToLower(strings.Join(strings.Fields(txt), ""))
}

func quoteString(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

// word handles an unquoted identifier or keyword at in[i].
func (rw *rewriter) word(s *seqState, in []*node, i int) (int, error) {
	n := in[i]
	w := n.tok.val
	var nx *node
	if i+1 < len(in) {
		nx = in[i+1]
	}
	callNext := nx != nil && nx.isParen()
	if callNext && (w == "lead" || w == "lag") {
		// lead(x, -n) is lag(x, n) and lag(x, -n) is lead(x, n): TiDB takes
		// only unsigned offsets.
		g := nx
		first := -1
		for k, c := range g.kids {
			if c.isPunct(",") {
				first = k
				break
			}
		}
		// The offset is the second argument: right after the first comma.
		if k := first; k >= 0 && k+2 < len(g.kids) {
			if g.kids[k+1].isOp("-") && g.kids[k+2].leafKind(tokNumber) &&
				(k+3 == len(g.kids) || g.kids[k+3].isPunct(",")) {
				other := map[string]string{"lead": "lag", "lag": "lead"}[w]
				kids := append(append([]*node(nil), g.kids[:k+1]...), g.kids[k+2:]...)
				ng := *g
				ng.kids = kids
				gg, err := rw.group(&ng)
				if err != nil {
					return 0, err
				}
				s.push(&node{kind: nLeaf, tok: token{kind: tokIdent, val: other, pos: n.tok.pos, end: n.tok.end}, name: true, operand: true})
				s.push(gg)
				return i + 2, nil
			}
		}
		// lag(x, $1): the grammar takes a "?" marker there (see
		// limitOperand), not __pg_param(1).
		if k := first; k >= 0 && k+1 < len(g.kids) && g.kids[k+1].leafKind(tokParam) && (k+2 == len(g.kids) || g.kids[k+2].isPunct(",")) {
			gg, err := rw.group(g)
			if err != nil {
				return 0, err
			}
			for j := 0; j+1 < len(gg.kids); j++ {
				if gg.kids[j].isPunct(",") {
					if p := gg.kids[j+1]; p.kind == nSynth && strings.HasPrefix(p.text, "__pg_param(") {
						p.text = "?"
					}
					break
				}
			}
			s.push(&node{kind: nLeaf, tok: n.tok, name: true, operand: true})
			s.push(gg)
			return i + 2, nil
		}
	}
	if callNext && !notCallee[w] {
		// mode and div are TiDB keywords (the binder reads __pg_mode and
		// __pg_div back); TiDB
		// takes stddev and variance for the population forms, PostgreSQL
		// for the sample forms.
		if alias, ok := map[string]string{"mode": "__pg_mode", "stddev": "stddev_samp", "variance": "var_samp", "div": "__pg_div", "cardinality": "__pg_cardinality"}[w]; ok {
			n = &node{kind: nLeaf, tok: token{kind: tokIdent, val: alias, pos: n.tok.pos, end: n.tok.end}, name: true, operand: true}
			in = append(append(append([]*node(nil), in[:i]...), n), in[i+1:]...)
			if next, ok, err := rw.aggregateCall(s, in, i); ok || err != nil {
				return next, err
			}
			s.push(n)
			return i + 1, nil
		}
		if next, ok, err := rw.aggregateCall(s, in, i); ok || err != nil {
			return next, err
		}
	}
	if w == "pg_catalog" && s.inFrom && i+3 < len(in) && in[i+1].isPunct(".") && in[i+2].leafKind(tokIdent) &&
		in[i+3].isParen() && (s.last() == nil || !s.last().operand) {
		// pg_catalog.generate_series(...) and the like in FROM: the
		// functions live in pg_catalog, so the qualifier changes nothing.
		return rw.word(s, in, i+2)
	}
	switch w {
	case "current_user", "session_user", "user", "current_role", "current_catalog", "current_schema":
		// SQL's parameterless functions: TiDB would read most of them as
		// columns, and current_user/user as MySQL's. The marker keeps the
		// PostgreSQL column name (the word itself) and meaning.
		if !callNext {
			s.push(&node{kind: nSynth, text: "__pg_" + w + "()", pos: n.tok.pos, operand: true})
			return i + 1, nil
		}
		// current_schema() and the like: a call like any other.
		s.push(&node{kind: nLeaf, tok: n.tok, name: true, operand: true})
		return i + 1, nil
	case "operator":
		if callNext {
			return rw.operatorForm(s, in, i)
		}
	case "collate":
		if l := s.last(); l != nil && l.operand {
			return rw.collate(s, in, i)
		}
	case "similar":
		if l := s.last(); nx != nil && nx.isWord("to") && l != nil && (l.operand || l.isWord("not")) {
			return rw.similarTo(s, in, i)
		}
	case "cast":
		if callNext {
			return rw.cast(s, in, i)
		}
	case "extract":
		if callNext {
			return rw.extract(s, in, i)
		}
	case "position":
		if callNext {
			return rw.position(s, in, i)
		}
	case "substring":
		if callNext {
			return rw.substring(s, in, i)
		}
	case "trim":
		if callNext {
			return rw.trim(s, in, i)
		}
	case "nulls":
		if next, ok := rw.nullsOrder(s, in, i); ok {
			return next, nil
		}
	case "explain":
		if i == 0 {
			return rw.explain(s, in)
		}
	case "values":
		if i == 0 && nx != nil && nx.isParen() {
			return rw.values(s, in)
		}
	case "distinct":
		// SELECT DISTINCT ON (a, b) ... -> SELECT __pg_distinct_on(a, b), ...
		if s.last() != nil && s.last().isWord("select") && nx != nil && nx.isWord("on") && i+2 < len(in) && in[i+2].isParen() {
			g, err := rw.group(in[i+2])
			if err != nil {
				return 0, err
			}
			s.push(synth("__pg_distinct_on", n.tok.pos))
			s.push(g)
			s.push(synth(",", n.tok.pos))
			return i + 3, nil
		}
	case "over":
		// Keep "f(x) OVER (...)" / "f(x) OVER w" one operand, so a cast or
		// operator after it applies to the whole window call.
		if call := s.last(); call != nil && call.kind == nSeq && len(call.kids) == 2 && call.kids[1].isParen() && nx != nil {
			spec := nx
			if nx.isParen() {
				g, err := rw.group(nx)
				if err != nil {
					return 0, err
				}
				spec = windowExclude(g)
			} else if nx.kind != nLeaf || nx.tok.kind != tokIdent {
				break
			}
			s.pop()
			if fn := call.kids[0]; fn.kind == nLeaf && pgOnlyAggregates[strings.ToLower(fn.tok.val)] {
				// TiDB takes OVER only after aggregates it knows: carry the
				// real one inside sum(__pg_winagg('name', args...)).
				pos := fn.tok.pos
				parts := []*node{synth("sum(__pg_winagg("+quoteString(strings.ToLower(fn.tok.val)), pos)}
				for _, k := range call.kids[1].kids {
					if len(parts) == 1 {
						parts = append(parts, synth(", ", pos))
					}
					parts = append(parts, k)
				}
				parts = append(parts, synth("))", pos))
				call = rawNode(parts...)
			}
			s.push(seqNode(call, &node{kind: nLeaf, tok: n.tok}, spec))
			return i + 2, nil
		}
	case "array":
		if nx != nil && nx.isParen() && len(nx.kids) > 0 && (nx.kids[0].isWord("select") || nx.kids[0].isWord("with") || nx.kids[0].isWord("values")) {
			// ARRAY(subquery): the binder aggregates the subquery's rows.
			g, err := rw.group(nx)
			if err != nil {
				return 0, err
			}
			s.push(rawNode(synth("__pg_array_sub(", n.tok.pos), g, synth(")", g.close.pos)))
			return i + 2, nil
		}
		if nx != nil && nx.kind == nGroup && nx.tok.val == "[" {
			g, err := rw.group(nx)
			if err != nil {
				return 0, err
			}
			parts := []*node{synth("__pg_array(", n.tok.pos)}
			parts = append(parts, g.kids...)
			parts = append(parts, synth(")", g.close.pos))
			s.push(rawNode(parts...))
			return i + 2, nil
		}
	case "within":
		if call := s.last(); call != nil && call.kind == nSeq && len(call.kids) == 2 && call.kids[1].isParen() &&
			nx != nil && nx.isWord("group") && i+2 < len(in) && in[i+2].isParen() {
			g := in[i+2]
			if len(g.kids) < 3 || !g.kids[0].isWord("order") || !g.kids[1].isWord("by") {
				return 0, rw.errAt(g)
			}
			keys, err := rw.sortKeys(g.kids[2:], &g.close)
			if err != nil {
				return 0, err
			}
			s.pop()
			pos := n.tok.pos
			parts := []*node{synth("__pg_within_group(", pos), call}
			for _, k := range keys {
				parts = append(parts, synth(", ", pos), k)
			}
			parts = append(parts, synth(")", g.close.pos))
			s.push(rawNode(parts...))
			return i + 3, nil
		}
	case "preceding", "following":
		// TiDB takes only number literals as frame offsets; other offsets
		// (interval '1 day', '1 day'::interval, expressions) go through its
		// INTERVAL expr unit form, which the binder reads as the value.
		if l := s.last(); l != nil && l.operand && !l.leafKind(tokNumber) && !l.isWord("unbounded") && !l.isWord("row") {
			off := s.pop()
			pos := n.tok.pos
			s.push(rawNode(synth("interval (", pos), off, synth(") microsecond", pos)))
		}
	case "rollup", "cube":
		if nx != nil && nx.isParen() {
			g, err := rw.group(nx)
			if err != nil {
				return 0, err
			}
			s.push(synth("__pg_"+w, n.tok.pos))
			s.push(g)
			return i + 2, nil
		}
	case "grouping":
		if nx != nil && nx.isWord("sets") && i+2 < len(in) && in[i+2].isParen() {
			return rw.groupingSets(s, in, i)
		}
	case "filter":
		if nx != nil && nx.isParen() && len(nx.kids) > 0 && nx.kids[0].isWord("where") {
			if call := s.last(); call != nil && (call.kind == nRaw || call.kind == nSeq && len(call.kids) == 2 && call.kids[1].isParen()) {
				cond, err := rw.seqOperand(nx.kids[1:], &nx.close)
				if err != nil {
					return 0, err
				}
				s.pop()
				pos := n.tok.pos
				s.push(rawNode(synth("__pg_filter(", pos), call, synth(", ", pos), cond, synth(")", pos)))
				return i + 2, nil
			}
		}
	case "concat":
		// TiDB reads `a || b` as concat(a, b); PostgreSQL's concat() skips
		// NULLs where || propagates them, so the function gets its own name.
		if callNext {
			s.push(synth("__pg_concat", n.tok.pos))
			return i + 1, nil
		}
	case "interval":
		if next, ok, err := rw.interval(s, in, i); ok || err != nil {
			return next, err
		}
	case "is":
		if next, ok, err := rw.distinctFrom(s, in, i); ok || err != nil {
			return next, err
		}
	case "limit", "offset", "fetch":
		return rw.limit(s, in, i)
	case "end":
		// Fold CASE ... END into one operand so a cast can follow it.
		for k := len(s.out) - 1; k >= 0; k-- {
			if s.out[k].isWord("case") {
				kids := append(append([]*node(nil), s.out[k:]...), n)
				s.out = append(s.out[:k], seqNode(kids...))
				return i + 1, nil
			}
		}
	case "as":
		// WITH x AS [NOT] MATERIALIZED (...): a planner hint TiDB lacks;
		// Basalt decides by the number of references.
		if k := i + 1; k < len(in) && (in[k].isWord("not") || in[k].isWord("materialized")) {
			if in[k].isWord("not") {
				k++
			}
			if k+1 < len(in) && in[k].isWord("materialized") && in[k+1].isParen() {
				s.push(&node{kind: nLeaf, tok: n.tok})
				return k + 1, nil
			}
		}
		if i+2 < len(in) && in[i+1].kind == nLeaf && isAliasName(in[i+1].tok) && in[i+2].isParen() {
			s.push(&node{kind: nLeaf, tok: n.tok})
			return rw.aliasColumns(s, in, i+1)
		}
		// After AS any keyword is a name in PostgreSQL ("AS schema", "AS
		// select", as Metabase writes); TiDB reserves many of them, so the
		// alias goes quoted (it is already folded to lower case).
		if l := s.last(); l != nil && l.operand && i+1 < len(in) && in[i+1].leafKind(tokIdent) &&
			(i+2 >= len(in) || !in[i+2].isParen()) && !in[i+1].isWord("not") && !in[i+1].isWord("materialized") {
			s.push(&node{kind: nLeaf, tok: n.tok})
			alias := in[i+1].tok
			alias.kind = tokQIdent
			s.push(&node{kind: nLeaf, tok: alias})
			return i + 2, nil
		}
	case "full":
		return rw.fullJoin(s, in, i)
	case "on":
		if s.fullJoin {
			return rw.fullJoinOn(s, in, i)
		}
		s.inFrom = false
	case "using":
		if s.fullJoin {
			return 0, &sqlerr.Error{Code: sqlerr.FeatureNotSupported,
				Message:  "FULL JOIN ... USING is not supported; use ON",
				Position: charPos(rw.src, n.tok.pos)}
		}
		s.inFrom = false
	case "from":
		s.inFrom, s.fromClause = true, true
	case "join":
		s.inFrom = true
	case "where", "group", "having", "order", "window", "union", "except", "intersect", "for", "returning", "select":
		s.inFrom, s.fromClause = false, false
	}
	if typedLiteralTypes[w] {
		if next, ok, err := rw.typedLiteral(s, in, i); ok || err != nil {
			return next, err
		}
	}
	// pg_catalog.f(...) as a FROM item is f(...): every function lives in
	// pg_catalog.
	if s.inFrom && w == "pg_catalog" && nx != nil && nx.isPunct(".") && i+3 < len(in) &&
		in[i+2].kind == nLeaf && in[i+2].tok.kind == tokIdent && in[i+3].isParen() {
		return i + 2, nil
	}
	// A set-returning function as a FROM item: "FROM generate_series(1, 3)
	// AS g(i)" becomes a derived table "(SELECT __pg_srf('name', args)) AS
	// g(i)" that the binder reads back.
	if s.inFrom && callNext && !notCallee[w] && (s.last() == nil || !s.last().operand) {
		g, err := rw.group(nx)
		if err != nil {
			return 0, err
		}
		pos := n.tok.pos
		k := i + 2
		marker := "__pg_srf("
		if k+1 < len(in) && in[k].isWord("with") && in[k+1].isWord("ordinality") {
			// WITH ORDINALITY numbers the function's rows in a second column.
			marker = "__pg_srf_ordinality("
			k += 2
		}
		parts := []*node{synth("(select "+marker+quoteString(w), pos)}
		if len(g.kids) > 0 {
			parts = append(parts, synth(", ", pos))
			parts = append(parts, g.kids...)
		}
		parts = append(parts, synth("))", g.close.pos))
		s.push(rawNode(parts...))
		if k >= len(in) || !(in[k].isWord("as") || in[k].kind == nLeaf && in[k].tok.kind == tokIdent && !clauseStop[strings.ToLower(in[k].tok.val)] && !in[k].isWord("on") && !in[k].isWord("where") && !in[k].isWord("join") && !in[k].isWord("cross") && !in[k].isWord("inner") && !in[k].isWord("left") && !in[k].isWord("right") && !in[k].isWord("natural") && !in[k].isWord("group") && !in[k].isWord("order") && !in[k].isWord("limit")) {
			s.push(synth(" as "+w, pos))
		}
		return k, nil
	}
	// "FROM tbl t(a, b)": an alias with a column list and no AS.
	if s.inFrom && callNext && isAliasName(n.tok) && !notCallee[w] && !tidbReserved[w] {
		if p := s.last(); p != nil && p.operand {
			return rw.aliasColumns(s, in, i)
		}
	}
	leaf := &node{kind: nLeaf, tok: n.tok}
	if !pgReserved[w] || isConstWord(w) {
		leaf.operand = true
		leaf.name = !isConstWord(w) && !notCallee[w]
	}
	if notCallee[w] {
		leaf.name = false
	}
	if !callNext && needsQuote(w) && !contextualKeyword(s, in, i) {
		leaf.tok.kind = tokQIdent
	}
	s.push(leaf)
	return i + 1, nil
}

// contextualKeyword reports whether a TiDB-reserved word at in[i] is used as
// a keyword by PostgreSQL's grammar in this position (window frames,
// PARTITION BY, OVER), so it must not be quoted.
func contextualKeyword(s *seqState, in []*node, i int) bool {
	w := in[i].tok.val
	var nx *node
	if i+1 < len(in) {
		nx = in[i+1]
	}
	switch w {
	case "partition":
		return nx != nil && nx.isWord("by")
	case "over":
		p := s.last()
		return p != nil && p.operand && nx != nil && (nx.isParen() || nx.leafKind(tokIdent) || nx.leafKind(tokQIdent))
	case "range", "rows", "groups":
		return nx != nil && (nx.isWord("between") || nx.isWord("unbounded") || nx.isWord("current") ||
			nx.leafKind(tokNumber) || nx.leafKind(tokParam))
	case "row":
		return nx != nil && nx.isWord("only")
	}
	return false
}

func isAliasName(t token) bool {
	if t.kind == tokQIdent {
		return true
	}
	return t.kind == tokIdent && !pgReserved[t.val]
}

// aliasColumns handles "alias (c1, c2)" in FROM: the column list goes to the
// statement's ColumnAliases and only the alias reaches TiDB.
func (rw *rewriter) aliasColumns(s *seqState, in []*node, i int) (int, error) {
	a := in[i].tok
	g := in[i+1]
	var cols []string
	expectName := true
	for _, k := range g.kids {
		if expectName {
			if k.kind != nLeaf || (k.tok.kind != tokIdent && k.tok.kind != tokQIdent) ||
				(k.tok.kind == tokIdent && pgReserved[k.tok.val]) {
				return 0, rw.errAt(k)
			}
			cols = append(cols, k.tok.val)
		} else if !k.isPunct(",") {
			return 0, rw.errAt(k)
		}
		expectName = !expectName
	}
	if expectName {
		return 0, syntaxErrAt(rw.src, g.close)
	}
	key := strings.ToLower(a.val)
	if rw.aliases == nil {
		rw.aliases = make(map[string][]string)
	}
	rw.aliases[key] = cols
	leaf := &node{kind: nLeaf, tok: a}
	if a.kind == tokIdent && needsQuote(a.val) {
		leaf.tok.kind = tokQIdent
	}
	s.out = append(s.out, leaf)
	return i + 2, nil
}

// splitTop splits a group's kids at top-level occurrences of word w (or at
// "," when w is ",").
func splitAt(kids []*node, pred func(*node) bool) [][]*node {
	var parts [][]*node
	cur := []*node{}
	for _, k := range kids {
		if pred(k) {
			parts = append(parts, cur)
			cur = []*node{}
			continue
		}
		cur = append(cur, k)
	}
	return append(parts, cur)
}

func indexWord(kids []*node, w string) int {
	for i, k := range kids {
		if k.isWord(w) {
			return i
		}
	}
	return -1
}

// cast rewrites CAST(x AS type) into __pg_cast(x, 'type').
func (rw *rewriter) cast(s *seqState, in []*node, i int) (int, error) {
	g := in[i+1]
	as := -1
	for k := len(g.kids) - 1; k >= 0; k-- {
		if g.kids[k].isWord("as") {
			as = k
			break
		}
	}
	if as < 0 {
		return 0, rw.errAfter(g.kids, len(g.kids), &g.close)
	}
	operand, err := rw.seqOperand(g.kids[:as], &g.kids[as].tok)
	if err != nil {
		return 0, err
	}
	typ, next, err := rw.readType(g.kids, as+1, &g.close)
	if err != nil {
		return 0, err
	}
	if next != len(g.kids) {
		return 0, rw.errAt(g.kids[next])
	}
	s.push(castNode(operand, typ, in[i].tok.pos))
	return i + 2, nil
}

// extract rewrites extract(field FROM x) into __pg_extract('field', x).
func (rw *rewriter) extract(s *seqState, in []*node, i int) (int, error) {
	g := in[i+1]
	k := g.kids
	if len(k) == 0 {
		return 0, syntaxErrAt(rw.src, g.close)
	}
	if k[0].kind != nLeaf || (k[0].tok.kind != tokIdent && k[0].tok.kind != tokString) {
		return 0, rw.errAt(k[0])
	}
	if len(k) < 2 || !k[1].isWord("from") {
		return 0, rw.errAfter(k, 1, &g.close)
	}
	operand, err := rw.seqOperand(k[2:], &g.close)
	if err != nil {
		return 0, err
	}
	pos := in[i].tok.pos
	field := strings.ToLower(k[0].tok.val)
	s.push(rawNode(synth("__pg_extract("+quoteString(field)+", ", pos), operand, synth(")", g.close.pos)))
	return i + 2, nil
}

// position rewrites position(a IN b) into __pg_position(a, b).
func (rw *rewriter) position(s *seqState, in []*node, i int) (int, error) {
	g := in[i+1]
	at := indexWord(g.kids, "in")
	if at < 0 {
		return 0, rw.errAfter(g.kids, len(g.kids), &g.close)
	}
	a, err := rw.seqOperand(g.kids[:at], &g.kids[at].tok)
	if err != nil {
		return 0, err
	}
	b, err := rw.seqOperand(g.kids[at+1:], &g.close)
	if err != nil {
		return 0, err
	}
	pos := in[i].tok.pos
	s.push(rawNode(synth("__pg_position(", pos), a, synth(", ", pos), b, synth(")", g.close.pos)))
	return i + 2, nil
}

// substring normalises substring(x FROM a FOR b), (x FROM a), (x FOR b) and
// (x, a, b) into substring(x, a, b).
func (rw *rewriter) substring(s *seqState, in []*node, i int) (int, error) {
	g := in[i+1]
	kids := g.kids
	pos := in[i].tok.pos
	var args []*node
	from, forAt := indexWord(kids, "from"), indexWord(kids, "for")
	switch {
	case from >= 0 || forAt >= 0:
		endX := len(kids)
		for _, p := range []int{from, forAt} {
			if p >= 0 && p < endX {
				endX = p
			}
		}
		x, err := rw.seqOperand(kids[:endX], &kids[endX].tok)
		if err != nil {
			return 0, err
		}
		args = append(args, x)
		var start, count []*node
		if from >= 0 {
			stop := len(kids)
			if forAt > from {
				stop = forAt
			}
			start = kids[from+1 : stop]
		}
		if forAt >= 0 {
			stop := len(kids)
			if from > forAt {
				stop = from
			}
			count = kids[forAt+1 : stop]
		}
		if from >= 0 {
			a, err := rw.seqOperand(start, &g.close)
			if err != nil {
				return 0, err
			}
			args = append(args, a)
		} else {
			args = append(args, synth("1", pos))
		}
		if forAt >= 0 {
			b, err := rw.seqOperand(count, &g.close)
			if err != nil {
				return 0, err
			}
			args = append(args, b)
		}
	default:
		for _, part := range splitAt(kids, func(n *node) bool { return n.isPunct(",") }) {
			a, err := rw.seqOperand(part, &g.close)
			if err != nil {
				return 0, err
			}
			args = append(args, a)
		}
	}
	parts := []*node{synth("substring(", pos)}
	for k, a := range args {
		if k > 0 {
			parts = append(parts, synth(", ", pos))
		}
		parts = append(parts, a)
	}
	parts = append(parts, synth(")", g.close.pos))
	s.push(rawNode(parts...))
	return i + 2, nil
}

// trim rewrites PostgreSQL's trim forms into TiDB's
// trim(BOTH|LEADING|TRAILING chars FROM str).
func (rw *rewriter) trim(s *seqState, in []*node, i int) (int, error) {
	g := in[i+1]
	kids := g.kids
	pos := in[i].tok.pos
	mode := "both"
	if len(kids) > 0 && (kids[0].isWord("both") || kids[0].isWord("leading") || kids[0].isWord("trailing")) {
		mode = kids[0].tok.val
		kids = kids[1:]
	}
	var chars, str []*node
	if f := indexWord(kids, "from"); f >= 0 {
		chars = kids[:f]
		rest := splitAt(kids[f+1:], func(n *node) bool { return n.isPunct(",") })
		str = rest[0]
		if len(rest) == 2 && len(chars) == 0 {
			chars = rest[1]
		} else if len(rest) > 1 {
			return 0, rw.errAt(kids[f+1+len(rest[0])])
		}
	} else {
		parts := splitAt(kids, func(n *node) bool { return n.isPunct(",") })
		if len(parts) > 2 {
			return 0, rw.errAt(kids[len(parts[0])+len(parts[1])+1])
		}
		str = parts[0]
		if len(parts) == 2 {
			chars = parts[1]
		}
	}
	x, err := rw.seqOperand(str, &g.close)
	if err != nil {
		return 0, err
	}
	c := synth("' '", pos)
	if len(chars) > 0 {
		if c, err = rw.seqOperand(chars, &g.close); err != nil {
			return 0, err
		}
	}
	s.push(rawNode(synth("trim("+mode+" ", pos), c, synth(" from ", pos), x, synth(")", g.close.pos)))
	return i + 2, nil
}

// interval rewrites interval constants: interval '1 month', interval '3' day,
// interval(p) '...', and MySQL's interval n unit, into __pg_interval('...').
// A non-constant MySQL form becomes __pg_interval(expr, 'unit').
func (rw *rewriter) interval(s *seqState, in []*node, i int) (int, bool, error) {
	pos := in[i].tok.pos
	k := i + 1
	if k+1 < len(in) && in[k].isParen() && in[k+1].leafKind(tokString) {
		k++ // interval(p) '...': the precision only rounds seconds.
	}
	units := func(j int) (string, int) {
		var ws []string
		for j < len(in) && in[j].kind == nLeaf && in[j].tok.kind == tokIdent &&
			(intervalUnits[in[j].tok.val] || (in[j].tok.val == "to" && len(ws) > 0)) {
			ws = append(ws, in[j].tok.val)
			j++
		}
		return strings.Join(ws, " "), j
	}
	if k < len(in) && in[k].leafKind(tokString) {
		v := in[k].tok.val
		u, next := units(k + 1)
		if u != "" {
			v += " " + u
		}
		s.push(rawNode(synth("__pg_interval("+quoteString(v)+")", pos)))
		return next, true, nil
	}
	if k >= len(in) || (in[k].isParen() && !hasUnitAfter(in, k+1)) {
		return 0, false, nil
	}
	end, err := rw.primaryEnd(in, k, s.close)
	if err != nil {
		return 0, false, nil // not an interval expression; leave it to the parser
	}
	u, next := units(end)
	if u == "" {
		return 0, false, nil
	}
	if end == k+1 && in[k].leafKind(tokNumber) {
		s.push(rawNode(synth("__pg_interval("+quoteString(in[k].tok.val+" "+u)+")", pos)))
		return next, true, nil
	}
	x, err := rw.seqOperand(in[k:end], s.close)
	if err != nil {
		return 0, false, err
	}
	s.push(rawNode(synth("__pg_interval(", pos), x, synth(", "+quoteString(u)+")", pos)))
	return next, true, nil
}

func hasUnitAfter(in []*node, j int) bool {
	return j < len(in) && in[j].kind == nLeaf && in[j].tok.kind == tokIdent && intervalUnits[in[j].tok.val]
}

// typedLiteral rewrites "type 'string'" constants (date '1998-12-01',
// timestamp with time zone '...') into __pg_cast('...', 'type').
func (rw *rewriter) typedLiteral(s *seqState, in []*node, i int) (int, bool, error) {
	typ, next, err := rw.readType(in, i, s.close)
	if err != nil || next >= len(in) || !in[next].leafKind(tokString) {
		return 0, false, nil
	}
	lit := &node{kind: nLeaf, tok: in[next].tok, operand: true}
	s.push(castNode(lit, typ, in[i].tok.pos))
	return next + 1, true, nil
}

// distinctFrom rewrites a IS [NOT] DISTINCT FROM b into (a) <=> (b) forms.
// IS binds looser than comparison operators, so both operands extend to the
// nearest boolean connective or clause keyword.
func (rw *rewriter) distinctFrom(s *seqState, in []*node, i int) (int, bool, error) {
	k := i + 1
	not := k < len(in) && in[k].isWord("not")
	if not {
		k++
	}
	if k+1 >= len(in) || !in[k].isWord("distinct") || !in[k+1].isWord("from") {
		return 0, false, nil
	}
	k += 2
	start := len(s.out)
	for start > 0 {
		p := s.out[start-1]
		if p.isPunct(",") || (p.kind == nLeaf && p.tok.kind == tokIdent && leftStop[p.tok.val]) {
			break
		}
		start--
	}
	if start == len(s.out) {
		return 0, false, rw.errAt(in[i])
	}
	left := seqNode(append([]*node(nil), s.out[start:]...)...)
	s.out = s.out[:start]
	end := k
	for end < len(in) {
		p := in[end]
		if p.isPunct(",") || p.isPunct(";") || (p.kind == nLeaf && p.tok.kind == tokIdent && clauseStop[p.tok.val]) {
			break
		}
		end++
	}
	right, err := rw.seqOperand(in[k:end], s.close)
	if err != nil {
		return 0, false, err
	}
	pos := in[i].tok.pos
	// IS NOT DISTINCT FROM is MySQL's <=>; IS DISTINCT FROM its negation.
	head, tail := "((", "))"
	if !not {
		head, tail = "(not ((", ")))"
	}
	s.push(rawNode(synth(head, pos), left, synth(") <=> (", pos), right, synth(tail, pos)))
	return end, true, nil
}

// maxLimit stands for "no limit" when only OFFSET is given: TiDB needs a
// LIMIT before OFFSET.
const maxLimit = "18446744073709551615"

// limit normalises any order of LIMIT n|ALL, OFFSET m [ROW|ROWS] and
// FETCH FIRST|NEXT [n] ROW|ROWS ONLY into LIMIT n [OFFSET m].
func (rw *rewriter) limit(s *seqState, in []*node, i int) (int, error) {
	pos := in[i].tok.pos
	var count, offset *node
	stop := func(j int) int {
		for j < len(in) {
			p := in[j]
			if p.isPunct(";") || (p.kind == nLeaf && p.tok.kind == tokIdent &&
				(p.tok.val == "limit" || p.tok.val == "offset" || p.tok.val == "fetch" || p.tok.val == "for" ||
					p.tok.val == "union" || p.tok.val == "except" || p.tok.val == "intersect" ||
					p.tok.val == "row" || p.tok.val == "rows")) {
				break
			}
			j++
		}
		return j
	}
	k := i
	for k < len(in) && in[k].kind == nLeaf && in[k].tok.kind == tokIdent {
		w := in[k].tok.val
		switch w {
		case "limit":
			if count != nil {
				return 0, rw.errAt(in[k])
			}
			if k+1 < len(in) && in[k+1].isWord("all") {
				count = synth(maxLimit, in[k].tok.pos)
				k += 2
				continue
			}
			e := stop(k + 1)
			for j := k + 1; j < e; j++ {
				if in[j].isPunct(",") {
					return 0, &sqlerr.Error{Code: sqlerr.SyntaxError, Message: "LIMIT #,# syntax is not supported",
						Hint: "Use separate LIMIT and OFFSET clauses.", Position: charPos(rw.src, in[k].tok.pos)}
				}
			}
			x, err := rw.limitOperand(in[k+1:e], s.close)
			if err != nil {
				return 0, err
			}
			count, k = x, e
		case "offset":
			if offset != nil {
				return 0, rw.errAt(in[k])
			}
			e := stop(k + 1)
			x, err := rw.limitOperand(in[k+1:e], s.close)
			if err != nil {
				return 0, err
			}
			offset, k = x, e
			if k < len(in) && (in[k].isWord("row") || in[k].isWord("rows")) {
				k++
			}
		case "fetch":
			if count != nil {
				return 0, rw.errAt(in[k])
			}
			if k+1 >= len(in) || !(in[k+1].isWord("first") || in[k+1].isWord("next")) {
				return 0, rw.errAfter(in, k+1, s.close)
			}
			e := stop(k + 2)
			if e == k+2 {
				count = synth("1", in[k].tok.pos)
			} else {
				x, err := rw.limitOperand(in[k+2:e], s.close)
				if err != nil {
					return 0, err
				}
				count = x
			}
			if e >= len(in) || !(in[e].isWord("row") || in[e].isWord("rows")) {
				return 0, rw.errAfter(in, e, s.close)
			}
			if e+1 >= len(in) || !in[e+1].isWord("only") {
				return 0, rw.errAfter(in, e+1, s.close)
			}
			k = e + 2
		default:
			goto done
		}
	}
done:
	if count == nil {
		count = synth(maxLimit, pos)
	}
	parts := []*node{synth("limit", pos), count}
	if offset != nil {
		parts = append(parts, synth("offset", pos), offset)
	}
	s.out = append(s.out, seqNode(parts...))
	s.inFrom, s.fromClause = false, false
	return k, nil
}

// limitOperand rewrites a LIMIT, OFFSET or FETCH count. The TiDB grammar
// takes only a number or a "?" marker there, so a lone $n becomes "?":
// after parsing, the front sets each marker's value to its parameter
// number (numberMarkers), read back from the user's text.
func (rw *rewriter) limitOperand(in []*node, close *token) (*node, error) {
	if len(in) == 1 && in[0].kind == nLeaf && in[0].tok.kind == tokParam {
		return synth("?", in[0].tok.pos), nil
	}
	if len(in) == 1 && in[0].kind == nLeaf && in[0].tok.kind == tokString && isUnsigned(in[0].tok.val) {
		// LIMIT '10' (clients that interpolate values quote them): an
		// unknown literal read as bigint, as PostgreSQL does.
		return synth(in[0].tok.val, in[0].tok.pos), nil
	}
	return rw.seqOperand(in, close)
}

func isUnsigned(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// fullJoin rewrites FULL [OUTER] JOIN into LEFT JOIN; its ON condition gets
// the __pg_full_join() marker so the binder builds the full outer join.
func (rw *rewriter) fullJoin(s *seqState, in []*node, i int) (int, error) {
	k := i + 1
	if k < len(in) && in[k].isWord("outer") {
		k++
	}
	if k >= len(in) || !in[k].isWord("join") {
		return 0, rw.errAfter(in, k, s.close)
	}
	pos := in[i].tok.pos
	s.push(synth("left join", pos))
	s.fullJoin = true
	s.inFrom = true
	return k + 1, nil
}

// joinStop ends a join condition.
var joinStop = wordSet(`where group having order limit offset fetch window union except intersect join
inner left right full cross natural on using for returning`)

func (rw *rewriter) fullJoinOn(s *seqState, in []*node, i int) (int, error) {
	s.fullJoin = false
	end := i + 1
	for end < len(in) && !in[end].isPunct(",") && !in[end].isPunct(";") &&
		!(in[end].kind == nLeaf && in[end].tok.kind == tokIdent && joinStop[in[end].tok.val]) {
		end++
	}
	cond, err := rw.seqOperand(in[i+1:end], s.close)
	if err != nil {
		return 0, err
	}
	pos := in[i].tok.pos
	s.push(rawNode(synth("on __pg_full_join() and (", pos), cond, synth(")", pos)))
	return end, nil
}

// nullsOrder rewrites "item [ASC|DESC] NULLS FIRST|LAST" in an ORDER BY into
// "__pg_nulls_first(item) [ASC|DESC]", which the binder reads back.
func (rw *rewriter) nullsOrder(s *seqState, in []*node, i int) (int, bool) {
	if i+1 >= len(in) || !(in[i+1].isWord("first") || in[i+1].isWord("last")) {
		return 0, false
	}
	end := len(s.out)
	var dir *node
	if end > 0 && (s.out[end-1].isWord("asc") || s.out[end-1].isWord("desc")) {
		dir = s.out[end-1]
		end--
	}
	start := end
	for start > 0 {
		p := s.out[start-1]
		if p.isPunct(",") || p.isWord("by") {
			break
		}
		start--
	}
	if start == end {
		return 0, false
	}
	item := append([]*node(nil), s.out[start:end]...)
	marker := "__pg_nulls_first("
	if in[i+1].isWord("last") {
		marker = "__pg_nulls_last("
	}
	pos := in[i].tok.pos
	s.out = s.out[:start]
	kids := append([]*node{synth(marker, pos)}, item...)
	kids = append(kids, synth(")", pos))
	s.push(rawNode(kids...))
	if dir != nil {
		s.push(dir)
	}
	return i + 2, true
}

// explain reads PostgreSQL's EXPLAIN options, "EXPLAIN ANALYZE VERBOSE" and
// "EXPLAIN (ANALYZE, VERBOSE false, COSTS off)", into TiDB's
// "EXPLAIN [ANALYZE] [FORMAT='verbose']". Options Basalt has no use for
// (COSTS, BUFFERS, TIMING, SUMMARY, FORMAT TEXT) are accepted and ignored.
func (rw *rewriter) explain(s *seqState, in []*node) (int, error) {
	analyze, verbose := false, false
	k := 1
	on := func(n *node) bool {
		return !(n.isWord("false") || n.isWord("off") || (n.leafKind(tokNumber) && n.tok.val == "0"))
	}
	if k < len(in) && in[k].isParen() {
		// Options are words separated by commas, each with an optional value.
		var opt string
		set := func(val bool) {
			switch opt {
			case "analyze":
				analyze = val
			case "verbose":
				verbose = val
			}
		}
		for _, c := range in[k].kids {
			switch {
			case c.isPunct(","):
				opt = ""
			case opt == "" && c.kind == nLeaf && c.tok.kind == tokIdent:
				opt = strings.ToLower(c.tok.val)
				set(true)
			case opt != "":
				set(on(c))
			}
		}
		k++
	} else {
		for k < len(in) && (in[k].isWord("analyze") || in[k].isWord("verbose")) {
			if in[k].isWord("analyze") {
				analyze = true
			} else {
				verbose = true
			}
			k++
		}
	}
	head := "explain"
	if analyze {
		head += " analyze"
	}
	if verbose {
		head += " format = 'verbose'"
	}
	s.push(synth(head, in[0].tok.pos))
	return k, nil
}

// values turns a VALUES list, at the start of a statement or of a
// parenthesised query, into SELECT ... UNION ALL SELECT ..., naming the
// columns column1, column2 ... as PostgreSQL does; the binder unifies the
// rows' types as for any UNION.
func (rw *rewriter) values(s *seqState, in []*node) (int, error) {
	k := 1
	width := -1
	first := true
	for k < len(in) && in[k].isParen() {
		g, err := rw.group(in[k])
		if err != nil {
			return 0, err
		}
		var items [][]*node
		var cur []*node
		for _, c := range g.kids {
			if c.isPunct(",") {
				items = append(items, cur)
				cur = nil
				continue
			}
			cur = append(cur, c)
		}
		items = append(items, cur)
		if width >= 0 && len(items) != width {
			return 0, &sqlerr.Error{Code: sqlerr.SyntaxError, Message: "VALUES lists must all be the same length",
				Position: charPos(rw.src, in[k].tok.pos)}
		}
		width = len(items)
		pos := in[k].tok.pos
		head := "select "
		if !first {
			head = " union all select "
		}
		s.push(synth(head, pos))
		for j, it := range items {
			if len(it) == 0 {
				return 0, rw.errAt(in[k])
			}
			if j > 0 {
				s.push(synth(", ", pos))
			}
			s.push(rawNode(it...))
			if first {
				s.push(synth(fmt.Sprintf(" as column%d", j+1), pos))
			}
		}
		first = false
		k++
		if k < len(in) && in[k].isPunct(",") && k+1 < len(in) && in[k+1].isParen() {
			k++
		}
	}
	return k, nil
}

// groupingSets rewrites GROUPING SETS ((a, b), a, ()) into
// __pg_grouping_sets(__pg_set(a, b), __pg_set(a), __pg_set()); nested
// ROLLUP/CUBE inside stay markers for the binder.
func (rw *rewriter) groupingSets(s *seqState, in []*node, i int) (int, error) {
	g := in[i+2]
	pos := in[i].tok.pos
	parts := []*node{synth("__pg_grouping_sets(", pos)}
	var item []*node
	flush := func() error {
		if len(item) == 0 {
			return rw.errAt(g)
		}
		if len(parts) > 1 {
			parts = append(parts, synth(", ", pos))
		}
		if len(item) == 1 && item[0].isParen() {
			inner, err := rw.group(item[0])
			if err != nil {
				return err
			}
			parts = append(parts, synth("__pg_set", pos), inner)
		} else {
			out, err := rw.seq(item, &g.close)
			if err != nil {
				return err
			}
			if len(out) > 0 && (out[0].isWord("rollup") || out[0].isWord("cube")) || len(out) > 0 && out[0].kind == nSynth {
				parts = append(parts, out...)
			} else {
				parts = append(parts, synth("__pg_set(", pos))
				parts = append(parts, out...)
				parts = append(parts, synth(")", pos))
			}
		}
		item = nil
		return nil
	}
	for _, c := range g.kids {
		if c.isPunct(",") {
			if err := flush(); err != nil {
				return 0, err
			}
			continue
		}
		item = append(item, c)
	}
	if len(g.kids) > 0 {
		if err := flush(); err != nil {
			return 0, err
		}
	}
	parts = append(parts, synth(")", g.close.pos))
	s.push(rawNode(parts...))
	return i + 3, nil
}

// pgOnlyAggregates are aggregates TiDB's grammar does not accept before OVER.
var pgOnlyAggregates = map[string]bool{"string_agg": true, "array_agg": true, "bool_and": true, "bool_or": true, "every": true}

// tidbAggregates are the aggregates TiDB's grammar knows (DISTINCT and
// its own ORDER BY rules apply to them there).
var tidbAggregates = map[string]bool{
	"count": true, "sum": true, "avg": true, "min": true, "max": true, "group_concat": true,
	"std": true, "stddev": true, "stddev_pop": true, "stddev_samp": true, "variance": true,
	"var_pop": true, "var_samp": true, "bit_and": true, "bit_or": true, "bit_xor": true,
	"json_arrayagg": true, "json_objectagg": true, "approx_count_distinct": true,
	"approx_percentile": true,
}

// aggregateCall rewrites aggregate calls the TiDB grammar rejects:
// "f(args ORDER BY k DESC)" becomes "__pg_ordered(f(args), __pg_desc(k))"
// and "f(DISTINCT x)" for aggregates TiDB does not know becomes
// "__pg_distinct(f(x))".
func (rw *rewriter) aggregateCall(s *seqState, in []*node, i int) (int, bool, error) {
	name := strings.ToLower(in[i].tok.val)
	g := in[i+1]
	orderAt := -1
	for k := 0; k+1 < len(g.kids); k++ {
		if g.kids[k].isWord("order") && g.kids[k+1].isWord("by") {
			orderAt = k
			break
		}
	}
	distinct := len(g.kids) > 0 && g.kids[0].isWord("distinct") && !tidbAggregates[name]
	if orderAt < 0 && !distinct {
		return 0, false, nil
	}
	args := g.kids
	var keys []*node
	if orderAt >= 0 {
		var err error
		if keys, err = rw.sortKeys(g.kids[orderAt+2:], &g.close); err != nil {
			return 0, true, err
		}
		args = g.kids[:orderAt]
	}
	pos := in[i].tok.pos
	var call []*node
	call = append(call, synth(name+"(", pos))
	if distinct {
		args = args[1:]
	}
	if len(args) > 0 {
		out, err := rw.seq(args, &g.close)
		if err != nil {
			return 0, true, err
		}
		call = append(call, out...)
	}
	call = append(call, synth(")", g.close.pos))
	expr := rawNode(call...)
	if distinct {
		expr = rawNode(synth("__pg_distinct(", pos), expr, synth(")", pos))
	}
	if len(keys) > 0 {
		parts := []*node{synth("__pg_ordered(", pos), expr}
		for _, k := range keys {
			parts = append(parts, synth(", ", pos), k)
		}
		parts = append(parts, synth(")", g.close.pos))
		expr = rawNode(parts...)
	}
	s.push(expr)
	return i + 2, true, nil
}

// sortKeys rewrites a list "k1 [ASC|DESC] [NULLS FIRST|LAST], ..." into one
// operand per key: DESC wraps it in __pg_desc(...), NULLS in
// __pg_nulls_first/last(...).
func (rw *rewriter) sortKeys(toks []*node, close *token) ([]*node, error) {
	var out []*node
	var item []*node
	flush := func() error {
		if len(item) == 0 {
			return rw.errAfter(toks, len(toks), close)
		}
		desc, nulls := false, ""
		for len(item) > 0 {
			last := item[len(item)-1]
			switch {
			case last.isWord("asc"):
				item = item[:len(item)-1]
				continue
			case last.isWord("desc"):
				desc = true
				item = item[:len(item)-1]
				continue
			case (last.isWord("first") || last.isWord("last")) && len(item) >= 2 && item[len(item)-2].isWord("nulls"):
				nulls = last.tok.val
				item = item[:len(item)-2]
				continue
			}
			break
		}
		e, err := rw.seqOperand(item, close)
		if err != nil {
			return err
		}
		pos := item[0].tok.pos
		if nulls != "" {
			e = rawNode(synth("__pg_nulls_"+strings.ToLower(nulls)+"(", pos), e, synth(")", pos))
		}
		if desc {
			e = rawNode(synth("__pg_desc(", pos), e, synth(")", pos))
		}
		out = append(out, e)
		item = nil
		return nil
	}
	for _, t := range toks {
		if t.isPunct(",") {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		item = append(item, t)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// windowExclude moves a frame's EXCLUDE clause, which TiDB's grammar lacks,
// into a leading PARTITION BY item __pg_exclude('mode') the binder takes
// back out.
func windowExclude(g *node) *node {
	kids := g.kids
	at := -1
	for k, c := range kids {
		if c.isWord("exclude") {
			at = k
		}
	}
	if at < 0 || at+1 >= len(kids) {
		return g
	}
	var mode string
	end := at + 2
	switch {
	case kids[at+1].isWord("current") && at+2 < len(kids) && kids[at+2].isWord("row"):
		mode, end = "current row", at+3
	case kids[at+1].isWord("group"):
		mode = "group"
	case kids[at+1].isWord("ties"):
		mode = "ties"
	case kids[at+1].isWord("no") && at+2 < len(kids) && kids[at+2].isWord("others"):
		mode, end = "no others", at+3
	default:
		return g
	}
	rest := append(append([]*node(nil), kids[:at]...), kids[end:]...)
	pos := kids[at].tok.pos
	marker := synth("__pg_exclude("+quoteString(mode)+")", pos)
	var out []*node
	insert := 0
	if len(rest) > 0 && rest[0].kind == nLeaf && rest[0].tok.kind == tokIdent &&
		!rest[0].isWord("partition") && !rest[0].isWord("order") && !rest[0].isWord("rows") &&
		!rest[0].isWord("range") && !rest[0].isWord("groups") {
		insert = 1 // a base window name stays first
	}
	out = append(out, rest[:insert]...)
	if insert < len(rest) && rest[insert].isWord("partition") && insert+1 < len(rest) && rest[insert+1].isWord("by") {
		out = append(out, rest[insert], rest[insert+1], marker, synth(",", pos))
		out = append(out, rest[insert+2:]...)
	} else {
		out = append(out, synth("partition by ", pos), marker, synth(" ", pos))
		out = append(out, rest[insert:]...)
	}
	c := *g
	c.kids = out
	return &c
}

// operatorForm reads OPERATOR([schema.]op), PostgreSQL's qualified spelling
// of an infix operator that psql and drivers use in catalog queries
// (OPERATOR(pg_catalog.~)), and rewrites it as the bare operator. Only
// pg_catalog's operators exist.
func (rw *rewriter) operatorForm(s *seqState, in []*node, i int) (int, error) {
	g := in[i+1]
	kids := g.kids
	if len(kids) == 3 && kids[1].isPunct(".") {
		sch := kids[0]
		if sch.kind != nLeaf || (sch.tok.kind != tokIdent && sch.tok.kind != tokQIdent) {
			return 0, rw.errAt(sch)
		}
		if sch.tok.val != "pg_catalog" {
			return 0, &sqlerr.Error{Code: sqlerr.InvalidSchemaName,
				Message:  fmt.Sprintf("schema \"%s\" does not exist", sch.tok.val),
				Position: charPos(rw.src, in[i].tok.pos)}
		}
		kids = kids[2:]
	}
	if len(kids) != 1 || kids[0].kind != nLeaf || kids[0].tok.kind != tokOp {
		if len(kids) == 0 {
			return 0, syntaxErrAt(rw.src, g.close)
		}
		return 0, rw.errAt(kids[0])
	}
	op := kids[0].tok
	op.pos, op.end = in[i].tok.pos, g.close.end
	// The operator takes the place of OPERATOR(...) so that everything
	// operator() looks at after it (ANY (...), the right operand) lines up.
	in2 := make([]*node, 0, len(in)-1)
	in2 = append(in2, in[:i]...)
	in2 = append(in2, &node{kind: nLeaf, tok: op})
	in2 = append(in2, in[i+2:]...)
	next, err := rw.operator(s, in2, i)
	if err != nil {
		return 0, err
	}
	return next + 1, nil
}

// collate reads "COLLATE name" after an operand. Basalt compares text
// bytewise, which is PostgreSQL's C collation, so the collations that mean
// exactly that (C, POSIX, ucs_basic, default under a C database) are
// dropped; any other is an unknown collation, as on a server that lacks it.
func (rw *rewriter) collate(s *seqState, in []*node, i int) (int, error) {
	k := i + 1
	var parts []token
	for k < len(in) && in[k].kind == nLeaf && (in[k].tok.kind == tokIdent || in[k].tok.kind == tokQIdent) {
		parts = append(parts, in[k].tok)
		k++
		if k+1 < len(in) && in[k].isPunct(".") {
			k++
			continue
		}
		break
	}
	if len(parts) == 0 || len(parts) > 2 {
		return 0, rw.errAfter(in, k, s.close)
	}
	if p := parts[0]; p.kind == tokIdent && pgReserved[p.val] {
		return 0, syntaxErrAt(rw.src, p)
	}
	name := parts[len(parts)-1].val
	if len(parts) == 2 && parts[0].val != "pg_catalog" {
		return 0, &sqlerr.Error{Code: sqlerr.InvalidSchemaName,
			Message:  fmt.Sprintf("schema \"%s\" does not exist", parts[0].val),
			Position: charPos(rw.src, in[i].tok.pos)}
	}
	// Collation names are case-sensitive: "C", not c.
	switch name {
	case "C", "POSIX", "default", "ucs_basic":
		return k, nil
	}
	return 0, &sqlerr.Error{Code: sqlerr.UndefinedObject,
		Message:  fmt.Sprintf("collation \"%s\" for encoding \"UTF8\" does not exist", name),
		Position: charPos(rw.src, in[i].tok.pos)}
}

// similarTo rewrites "a [NOT] SIMILAR TO p [ESCAPE e]" into a regular
// expression match, "a [NOT] REGEXP __pg_similar(p [, e])": the binder
// turns the pattern into PostgreSQL's regular expression with
// similar_to_escape.
func (rw *rewriter) similarTo(s *seqState, in []*node, i int) (int, error) {
	pos := in[i].tok.pos
	end, err := rw.primaryEnd(in, i+2, s.close)
	if err != nil {
		return 0, err
	}
	pat, err := rw.seqOperand(in[i+2:end], s.close)
	if err != nil {
		return 0, err
	}
	parts := []*node{synth("__pg_similar(", pos), pat}
	if end < len(in) && in[end].isWord("escape") {
		e2, err := rw.primaryEnd(in, end+1, s.close)
		if err != nil {
			return 0, err
		}
		esc, err := rw.seqOperand(in[end+1:e2], s.close)
		if err != nil {
			return 0, err
		}
		parts = append(parts, synth(", ", pos), esc)
		end = e2
	}
	parts = append(parts, synth(")", pos))
	s.push(synth("regexp", pos))
	s.push(rawNode(parts...))
	return end, nil
}
