package pgfront

// SpecialKind names a statement the front parses itself because the TiDB
// grammar lacks it (or gives it MySQL meaning).
type SpecialKind string

// Special statement kinds.
const (
	SpecialShow                      SpecialKind = "SHOW"     // Name; "all" for SHOW ALL
	SpecialSet                       SpecialKind = "SET"      // Name, Args (values), Local, Default (SET x TO DEFAULT)
	SpecialReset                     SpecialKind = "RESET"    // Name; "all" for RESET ALL
	SpecialDiscard                   SpecialKind = "DISCARD"  // Name: all, plans, sequences, temp
	SpecialBegin                     SpecialKind = "BEGIN"    // Args: transaction modes; Name "start" for START TRANSACTION
	SpecialCommit                    SpecialKind = "COMMIT"   // COMMIT, END; Chain
	SpecialRollback                  SpecialKind = "ROLLBACK" // ROLLBACK, ABORT; Chain
	SpecialListen                    SpecialKind = "LISTEN"   // Name: the channel
	SpecialUnlisten                  SpecialKind = "UNLISTEN" // Name: the channel, "*" for all
	SpecialSavepoint                 SpecialKind = "SAVEPOINT"
	SpecialRelease                   SpecialKind = "RELEASE"     // Name: the savepoint
	SpecialRollbackTo                SpecialKind = "ROLLBACK TO" // Name: the savepoint
	SpecialSetTransaction            SpecialKind = "SET TRANSACTION"
	SpecialSetSessionCharacteristics SpecialKind = "SET SESSION CHARACTERISTICS"
	SpecialDeallocate                SpecialKind = "DEALLOCATE" // Name; "all"
	SpecialCopy                      SpecialKind = "COPY"       // Copy, Query
	SpecialDeclare                   SpecialKind = "DECLARE"    // Name, Cursor, Query
	SpecialFetch                     SpecialKind = "FETCH"      // Name, Fetch
	SpecialMove                      SpecialKind = "MOVE"       // Name, Fetch
	SpecialClose                     SpecialKind = "CLOSE"      // Name; "" for CLOSE ALL
)

// Special is a statement parsed by the front. Identifiers are folded as
// PostgreSQL does, string constants decoded.
type Special struct {
	Kind  SpecialKind
	Name  string   // the parameter, savepoint or object the statement names
	Args  []string // values (SET) or words of transaction modes (BEGIN, SET TRANSACTION)
	Local bool     // SET LOCAL
	// Default is SET x TO DEFAULT (and SET TIME ZONE LOCAL): the setting
	// goes back to its default, reported as SET.
	Default bool
	Chain   bool // COMMIT/ROLLBACK AND CHAIN

	// Query is the statement COPY and DECLARE run: the user's query, or for
	// COPY table a SELECT the front wrote (Copy.Table says so).
	Query  *Statement
	Copy   *CopySpec   // COPY
	Cursor *CursorSpec // DECLARE
	Fetch  *FetchSpec  // FETCH, MOVE
}

// parseSpecial recognises the statements of SpecialKind. ok is false for
// statements that go to the TiDB parser.
func parseSpecial(src string, toks []token, end token) (*Special, bool, error) {
	p := &specialParser{src: src, toks: toks, end: end}
	switch {
	case p.word("show"):
		return p.show()
	case p.word("set"):
		return p.set()
	case p.word("reset"):
		name, err := p.paramName()
		if err != nil {
			return nil, true, err
		}
		return &Special{Kind: SpecialReset, Name: name}, true, p.done()
	case p.word("discard"):
		t := p.peek()
		if t.kind != tokIdent || !(t.val == "all" || t.val == "plans" || t.val == "sequences" || t.val == "temp" || t.val == "temporary") {
			return nil, true, syntaxErrAt(src, t)
		}
		p.i++
		name := t.val
		if name == "temporary" {
			name = "temp"
		}
		return &Special{Kind: SpecialDiscard, Name: name}, true, p.done()
	case p.word("begin"), p.word("start"):
		if toks[0].val == "start" && !p.word("transaction") {
			return nil, true, syntaxErrAt(src, p.peek())
		}
		if toks[0].val == "begin" {
			_ = p.word("work") || p.word("transaction")
		}
		modes, err := p.rest()
		sp := &Special{Kind: SpecialBegin, Args: modes}
		if toks[0].val == "start" {
			sp.Name = "start"
		}
		return sp, true, err
	case p.word("commit"), p.word("end"):
		_ = p.word("work") || p.word("transaction")
		chain, err := p.chainEnd()
		return &Special{Kind: SpecialCommit, Chain: chain}, true, err
	case p.word("rollback"), p.word("abort"):
		_ = p.word("work") || p.word("transaction")
		if toks[0].val == "rollback" && p.word("to") {
			_ = p.word("savepoint")
			name, err := p.ident()
			if err != nil {
				return nil, true, err
			}
			return &Special{Kind: SpecialRollbackTo, Name: name}, true, p.done()
		}
		chain, err := p.chainEnd()
		return &Special{Kind: SpecialRollback, Chain: chain}, true, err
	case p.word("savepoint"):
		name, err := p.ident()
		if err != nil {
			return nil, true, err
		}
		return &Special{Kind: SpecialSavepoint, Name: name}, true, p.done()
	case p.word("release"):
		_ = p.word("savepoint")
		name, err := p.ident()
		if err != nil {
			return nil, true, err
		}
		return &Special{Kind: SpecialRelease, Name: name}, true, p.done()
	case p.word("copy"):
		return p.copyStmt()
	case p.word("declare"):
		return p.declare()
	case p.word("fetch"):
		return p.fetch(SpecialFetch)
	case p.word("move"):
		return p.fetch(SpecialMove)
	case p.word("close"):
		if p.word("all") {
			return &Special{Kind: SpecialClose}, true, p.done()
		}
		name, err := p.ident()
		if err != nil {
			return nil, true, err
		}
		return &Special{Kind: SpecialClose, Name: name}, true, p.done()
	case p.word("listen"):
		name, err := p.ident()
		if err != nil {
			return nil, true, err
		}
		return &Special{Kind: SpecialListen, Name: name}, true, p.done()
	case p.word("unlisten"):
		if t := p.peek(); t.kind == tokOp && t.val == "*" {
			p.i++
			return &Special{Kind: SpecialUnlisten, Name: "*"}, true, p.done()
		}
		name, err := p.ident()
		if err != nil {
			return nil, true, err
		}
		return &Special{Kind: SpecialUnlisten, Name: name}, true, p.done()
	case p.word("deallocate"):
		_ = p.word("prepare")
		if p.word("all") {
			return &Special{Kind: SpecialDeallocate, Name: "all"}, true, p.done()
		}
		name, err := p.ident()
		if err != nil {
			return nil, true, err
		}
		return &Special{Kind: SpecialDeallocate, Name: name}, true, p.done()
	}
	return nil, false, nil
}

type specialParser struct {
	src  string
	toks []token
	end  token
	i    int
}

func (p *specialParser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return p.end
}

func (p *specialParser) word(w string) bool {
	if t := p.peek(); t.is(w) {
		p.i++
		return true
	}
	return false
}

func (p *specialParser) done() error {
	if p.i < len(p.toks) {
		return syntaxErrAt(p.src, p.toks[p.i])
	}
	return nil
}

// chainEnd accepts COMMIT/ROLLBACK's optional AND [NO] CHAIN; chain is
// true for AND CHAIN.
func (p *specialParser) chainEnd() (chain bool, err error) {
	if p.word("and") {
		no := p.word("no")
		if !p.word("chain") {
			return false, syntaxErrAt(p.src, p.peek())
		}
		chain = !no
	}
	return chain, p.done()
}

func (p *specialParser) ident() (string, error) {
	t := p.peek()
	if t.kind != tokIdent && t.kind != tokQIdent {
		return "", syntaxErrAt(p.src, t)
	}
	p.i++
	return t.val, nil
}

// paramName reads a configuration parameter name, possibly dotted, or one
// of the multi-word names PostgreSQL's grammar spells out.
func (p *specialParser) paramName() (string, error) {
	switch {
	case p.word("time"):
		if !p.word("zone") {
			return "", syntaxErrAt(p.src, p.peek())
		}
		return "timezone", nil
	case p.word("transaction"):
		if !p.word("isolation") || !p.word("level") {
			return "", syntaxErrAt(p.src, p.peek())
		}
		return "transaction_isolation", nil
	case p.word("session"):
		if !p.word("authorization") {
			return "", syntaxErrAt(p.src, p.peek())
		}
		return "session_authorization", nil
	}
	name, err := p.ident()
	if err != nil {
		return "", err
	}
	for p.peek().isPunct(".") {
		p.i++
		part, err := p.ident()
		if err != nil {
			return "", err
		}
		name += "." + part
	}
	return name, nil
}

// rest returns the remaining tokens as words (transaction modes).
func (p *specialParser) rest() ([]string, error) {
	var out []string
	for ; p.i < len(p.toks); p.i++ {
		t := p.toks[p.i]
		switch t.kind {
		case tokIdent, tokQIdent, tokString, tokNumber:
			out = append(out, t.val)
		case tokPunct:
			if t.val != "," {
				return nil, syntaxErrAt(p.src, t)
			}
		default:
			return nil, syntaxErrAt(p.src, t)
		}
	}
	return out, nil
}

func (p *specialParser) show() (*Special, bool, error) {
	name, err := p.paramName()
	if err != nil {
		return nil, true, err
	}
	return &Special{Kind: SpecialShow, Name: name}, true, p.done()
}

func (p *specialParser) set() (*Special, bool, error) {
	sp := &Special{Kind: SpecialSet}
	if p.word("session") {
		if p.peek().is("authorization") {
			p.i--
		}
		if p.word("characteristics") {
			if !p.word("as") || !p.word("transaction") {
				return nil, true, syntaxErrAt(p.src, p.peek())
			}
			modes, err := p.rest()
			return &Special{Kind: SpecialSetSessionCharacteristics, Args: modes}, true, err
		}
	} else if p.word("local") {
		sp.Local = true
	}
	if p.word("transaction") {
		modes, err := p.rest()
		return &Special{Kind: SpecialSetTransaction, Args: modes, Local: sp.Local}, true, err
	}
	switch {
	case p.word("names"):
		sp.Name = "client_encoding"
	case p.word("schema"):
		sp.Name = "search_path"
	case p.word("role"):
		sp.Name = "role"
	case p.peek().is("time"):
		p.i++
		if !p.word("zone") {
			return nil, true, syntaxErrAt(p.src, p.peek())
		}
		sp.Name = "timezone"
		if p.word("local") || p.word("default") {
			sp.Default = true
			return sp, true, p.done()
		}
	case p.peek().is("session") && p.i+1 < len(p.toks) && p.toks[p.i+1].is("authorization"):
		p.i += 2
		sp.Name = "session_authorization"
	default:
		name, err := p.paramName()
		if err != nil {
			return nil, true, err
		}
		sp.Name = name
		if !p.word("to") {
			if t := p.peek(); t.kind == tokOp && t.val == "=" {
				p.i++
			} else {
				return nil, true, syntaxErrAt(p.src, t)
			}
		}
	}
	if p.i >= len(p.toks) {
		return nil, true, syntaxErrAt(p.src, p.end)
	}
	if p.peek().is("default") && p.i+1 == len(p.toks) {
		sp.Default = true
		return sp, true, nil
	}
	for {
		t := p.peek()
		neg := ""
		if t.kind == tokOp && (t.val == "-" || t.val == "+") {
			if t.val == "-" {
				neg = "-"
			}
			p.i++
			t = p.peek()
			if t.kind != tokNumber {
				return nil, true, syntaxErrAt(p.src, t)
			}
		}
		switch t.kind {
		case tokIdent, tokQIdent, tokString, tokNumber:
			sp.Args = append(sp.Args, neg+t.val)
		default:
			return nil, true, syntaxErrAt(p.src, t)
		}
		p.i++
		if p.i >= len(p.toks) {
			return sp, true, nil
		}
		if !p.peek().isPunct(",") {
			return nil, true, syntaxErrAt(p.src, p.peek())
		}
		p.i++
	}
}
