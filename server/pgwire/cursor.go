package pgwire

import (
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgfront"
	sqlsession "github.com/basaltdb/basalt/sql/session"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// A cursor is a portal made by DECLARE, as in PostgreSQL: it lives in
// conn.portals under its name, so the extended protocol can Describe,
// Execute and Close it too, and Bind cannot reuse its name.
//
// Cursors stream: rows are produced as FETCH asks for them and a cursor
// holds one batch and its query's operators, never the whole result. So a
// cursor scans forward only unless declared SCROLL (scroll.go keeps the
// rows such a cursor has read); a fetch that would move backward fails
// with PostgreSQL's NO SCROLL error. (PostgreSQL lets a cursor declared
// without either word scroll when its plan can run backward; Basalt's
// plans cannot.) A WITH HOLD cursor keeps streaming after COMMIT where
// PostgreSQL would materialise the rest of its rows.
type cursor struct {
	decl    string // the DECLARE statement, for pg_cursors
	binary  bool
	created time.Time
	hold    bool
	// saves is how many savepoints were open at DECLARE: rolling back to
	// one of them closes the cursor.
	saves  int
	scroll *scrollBuf // SCROLL cursors keep the rows they read
	// inTx is set while the transaction that declared the cursor is open:
	// its rollback drops even a WITH HOLD cursor.
	inTx bool
}

const (
	codeObjectNotInPrerequisiteState = "55000"
	codeInvalidCursorDefinition      = "42P11"
)

func errBackward() error {
	return &sqlerr.Error{Code: codeObjectNotInPrerequisiteState, Message: "cursor can only scan forward",
		Hint: "Declare it with SCROLL option to enable backward scan."}
}

func errNoCursor(name string) error {
	return sqlerr.New(codeInvalidCursorName, "cursor \"%s\" does not exist", name)
}

// fetchColumns returns the columns FETCH from the named cursor returns and
// the result formats to use: the Bind's when given, else binary for a
// BINARY cursor. An unknown cursor has no columns; FETCH reports it.
func (c *conn) fetchColumns(name string, formats []int16) ([]engine.Column, []int16) {
	p := c.portals[name]
	if p == nil || p.st == nil || p.st.Special != nil {
		return nil, formats
	}
	if formats == nil && p.cur != nil {
		formats = p.formats
	}
	return p.cols, formats
}

// runCursor runs DECLARE, FETCH, MOVE and CLOSE; fp is the statement's
// own portal (FETCH sends rows in its formats).
func (c *conn) runCursor(fp *portal) error {
	sp := fp.st.Special
	switch sp.Kind {
	case pgfront.SpecialDeclare:
		return c.declare(sp, fp.st.Text, fp.params)
	case pgfront.SpecialClose:
		if sp.Name == "" {
			for k, p := range c.portals {
				if p.cur != nil {
					p.close()
					delete(c.portals, k)
				}
			}
			c.send(&pgproto3.CommandComplete{CommandTag: []byte("CLOSE CURSOR ALL")})
			return nil
		}
		p := c.portals[sp.Name]
		if p == nil || sp.Name == "" {
			return errNoCursor(sp.Name)
		}
		p.close()
		delete(c.portals, sp.Name)
		c.send(&pgproto3.CommandComplete{CommandTag: []byte("CLOSE CURSOR")})
		return nil
	}
	p := c.portals[sp.Name]
	if p == nil || p.st == nil || p.st.Special != nil || p == fp {
		return errNoCursor(sp.Name)
	}
	move := sp.Kind == pgfront.SpecialMove
	cols, formats := fp.cols, fp.formats
	if len(cols) != len(p.cols) {
		// The FETCH was bound before the cursor existed, so it has no
		// columns of its own: send the cursor's.
		cols, formats = p.cols, p.formats
	}
	tag := "FETCH "
	if move {
		tag = "MOVE "
	}
	if p.cur != nil && p.cur.scroll != nil {
		e := &scrollEmitter{c: c, s: p.cur.scroll, cols: cols, formats: formats, send: !move}
		n, err := c.scrollFetch(p, sp.Fetch, e)
		if err != nil {
			return err
		}
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag + strconv.FormatInt(n, 10))})
		return nil
	}
	var sink rowSink
	if move {
		sink = func(arrow.RecordBatch, int, int) {}
	} else {
		sink = func(rec arrow.RecordBatch, from, to int) {
			c.out = appendDataRows(c.out, rec, cols, formats, from, to)
		}
	}
	n, err := c.fetch(p, sp.Fetch, sink, move)
	if err != nil {
		return err
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag + strconv.FormatInt(n, 10))})
	return nil
}

func (c *conn) declare(sp *pgfront.Special, decl string, params *engine.Params) error {
	cs := sp.Cursor
	if c.tx == 'I' && !cs.Hold && !c.implicitTx {
		return sqlerr.New(codeNoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
	}
	if cs.Scroll && cs.NoScroll {
		return sqlerr.New(codeInvalidCursorDefinition, "cannot specify both SCROLL and NO SCROLL")
	}
	if _, dup := c.portals[sp.Name]; dup {
		return sqlerr.New(codeDuplicateCursor, "cursor \"%s\" already exists", sp.Name)
	}
	var formats []int16
	if cs.Binary {
		formats = []int16{1}
	}
	p, err := c.newPortalWith(sp.Name, sp.Query, formats, params)
	if err != nil {
		return err
	}
	p.cur = &cursor{decl: decl, binary: cs.Binary, created: time.Now(), hold: cs.Hold, inTx: c.tx != 'I' || c.implicitTx}
	if cs.Scroll {
		p.cur.scroll = &scrollBuf{res: p.res}
	}
	if c.txs != nil {
		p.cur.saves = len(c.txs.saves)
	}
	c.portals[sp.Name] = p
	c.send(&pgproto3.CommandComplete{CommandTag: []byte("DECLARE CURSOR")})
	return nil
}

// fetch moves p as FETCH/MOVE f says, sending the rows it returns to sink,
// and reports how many it returned (PostgreSQL's DoPortalRunFetch on a NO
// SCROLL cursor: any direction works as long as the cursor ends up moving
// forward). p.pos is the number of rows read; p.done is PostgreSQL's
// atEnd.
func (c *conn) fetch(p *portal, f *pgfront.FetchSpec, sink rowSink, move bool) (int64, error) {
	skip := func(arrow.RecordBatch, int, int) {}
	// forward reads n rows (FetchAll: the rest) into s.
	forward := func(n int64, s rowSink) (int64, error) {
		if n <= 0 || p.done {
			return 0, nil
		}
		max := n
		if n == pgfront.FetchAll {
			max = 0
		}
		got, _, err := c.pump(p, max, s)
		return got, err
	}
	atStart := p.pos == 0 && !p.done
	onRow := p.pos > 0 && !p.done
	switch f.Direction {
	case pgfront.FetchForward, pgfront.FetchBackward:
		if f.Count == 0 {
			// MOVE 0 only says whether the cursor is on a row. FETCH 0
			// re-fetches it, stepping back first; BACKWARD 0 runs the
			// executor backward even off a row.
			switch {
			case move && onRow:
				return 1, nil
			case move:
				return 0, nil
			case onRow || f.Direction == pgfront.FetchBackward:
				return 0, errBackward()
			}
			return 0, nil
		}
		if f.Direction == pgfront.FetchForward {
			return forward(f.Count, sink)
		}
		// PostgreSQL rewinds for MOVE BACKWARD ALL, which is allowed
		// where nothing has been read yet; every other backward move
		// needs SCROLL.
		if f.Count == pgfront.FetchAll && atStart && move {
			return 0, nil
		}
		return 0, errBackward()
	case pgfront.FetchAbsolute:
		switch {
		case f.Count > 0:
			pos := p.pos
			if p.done {
				pos++
			}
			if f.Count <= pos {
				return 0, errBackward()
			}
			if _, err := forward(f.Count-pos-1, skip); err != nil {
				return 0, err
			}
			return forward(1, sink)
		case f.Count < 0:
			// To the end, then back: the backward step fails.
			if _, err := forward(pgfront.FetchAll, skip); err != nil {
				return 0, err
			}
			return 0, errBackward()
		}
		if !atStart {
			return 0, errBackward()
		}
		return 0, nil
	case pgfront.FetchRelative:
		switch {
		case f.Count > 0:
			if _, err := forward(f.Count-1, skip); err != nil {
				return 0, err
			}
			return forward(1, sink)
		case f.Count < 0:
			return 0, errBackward()
		}
		return c.fetch(p, &pgfront.FetchSpec{Direction: pgfront.FetchForward}, sink, move)
	}
	return 0, sqlerr.New(sqlerr.InternalError, "internal error: unknown fetch direction %d", f.Direction)
}

// Cursors lists the connection's cursors for pg_cursors (portals made by
// Bind are not cursors there, as in PostgreSQL).
func (i info) Cursors() []sqlsession.Cursor {
	var out []sqlsession.Cursor
	for name, p := range i.c.portals {
		if p.cur == nil {
			continue
		}
		out = append(out, sqlsession.Cursor{Name: name, Statement: p.cur.decl, Holdable: p.cur.hold,
			Binary: p.cur.binary, Scrollable: p.cur.scroll != nil, Created: p.cur.created})
	}
	return out
}

// savepointCursors follows a ROLLBACK TO (rollback) or RELEASE of a
// savepoint: cursors declared after the savepoint was taken close with
// its rollback and pass to the enclosing level with its release.
func (c *conn) savepointCursors(rollback bool) {
	open := 0
	if c.txs != nil {
		open = len(c.txs.saves)
	}
	for k, p := range c.portals {
		if p.cur == nil || p.cur.saves < open || (!rollback && p.cur.saves == open) {
			continue
		}
		if rollback {
			p.close()
			delete(c.portals, k)
			continue
		}
		p.cur.saves = open
	}
}

// endTransaction closes the portals a transaction's end closes, as
// PostgreSQL's AtCommit_Portals and AtAbort_Portals do: all but WITH HOLD
// cursors, and at ROLLBACK also the WITH HOLD cursors it declared.
func (c *conn) endTransaction(commit bool) {
	for k, p := range c.portals {
		if p.cur == nil || !p.cur.hold || (!commit && p.cur.inTx) {
			p.close()
			delete(c.portals, k)
			continue
		}
		p.cur.inTx = false
	}
}
