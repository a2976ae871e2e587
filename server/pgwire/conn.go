package pgwire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// Causes of a canceled statement.
var (
	errUserCancel = errors.New("canceling statement due to user request")
	errTimeout    = errors.New("canceling statement due to statement timeout")
)

const (
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	cancelRequestCode = 80877102
	// flushAt is how much encoded output is gathered before it is written,
	// so large results stream with bounded memory.
	flushAt = 256 << 10
	// maxMessage bounds one frontend message (PostgreSQL's own limit is 1GB).
	maxMessage = 64 << 20
)

// conn is one client connection.
type conn struct {
	srv    *Server
	nc     net.Conn
	be     *pgproto3.Backend
	out    []byte
	werr   error
	pid    uint32
	secret uint32
	sess   *session
	tx     byte     // 'I', 'T' or 'E'
	txs    *txState // the open transaction block's settings to restore

	stmts   map[string]*prepared
	portals map[string]*portal
	// skipToSync is set after an error in the extended protocol: messages
	// are discarded until Sync.
	skipToSync bool
	// implicitTx is set while a Query message of several statements runs
	// outside a transaction block: PostgreSQL runs them as one implicit
	// transaction, so DECLARE works there and its cursors end with it.
	implicitTx bool

	mu      sync.Mutex
	running context.CancelCauseFunc
	// pendingCancel holds a cancel request that came while a message was
	// being handled but no statement was running (parsing the Query,
	// between its statements, SET/SHOW): the next statement of the same
	// message takes it, as in PostgreSQL, where a cancel is only ignored
	// while the backend waits for a message.
	pendingCancel error
	idleClose     atomic.Bool
	busy          atomic.Bool
}

func (s *Server) handle(nc net.Conn) {
	c := &conn{srv: s, nc: nc, tx: 'I', stmts: map[string]*prepared{}, portals: map[string]*portal{}}
	defer nc.Close()
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logf("pgwire: connection %d: panic: %v\n%s", c.pid, r, debug.Stack())
			c.out = c.out[:0]
			c.sendError(&sqlerr.Error{Code: sqlerr.InternalError, Message: fmt.Sprintf("internal error: %v", r)}, "FATAL")
			c.flush()
		}
		c.closePortals()
	}()
	s.mu.Lock()
	s.starting[nc] = struct{}{}
	s.mu.Unlock()
	ok, err := c.startup()
	s.mu.Lock()
	delete(s.starting, nc)
	s.mu.Unlock()
	if err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			s.cfg.Logf("pgwire: startup from %s: %v", nc.RemoteAddr(), err)
		}
		return
	}
	if !ok {
		return
	}
	defer s.unregister(c)
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		c.sendError(&sqlerr.Error{Code: codeAdminShutdown, Message: "the database system is shutting down"}, "FATAL")
		c.flush()
		return
	}
	c.loop()
}

// write queues raw bytes.
func (c *conn) send(m pgproto3.BackendMessage) {
	b, err := m.Encode(c.out)
	if err != nil {
		// Only oversized fields fail to encode; report instead of dropping.
		b, _ = (&pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: sqlerr.InternalError, Message: err.Error()}).Encode(c.out)
	}
	c.out = b
}

// flush writes what is queued.
func (c *conn) flush() error {
	if c.werr != nil {
		return c.werr
	}
	if len(c.out) == 0 {
		return nil
	}
	if d := c.srv.cfg.WriteTimeout; d > 0 {
		_ = c.nc.SetWriteDeadline(time.Now().Add(d))
	}
	_, err := c.nc.Write(c.out)
	if cap(c.out) > 4*flushAt {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
	c.werr = err
	return err
}

// maybeFlush writes the output once it is large, keeping memory bounded
// and letting the client see rows while the query runs.
func (c *conn) maybeFlush() error {
	if len(c.out) >= flushAt {
		return c.flush()
	}
	return c.werr
}

func (c *conn) sendError(err error, severity string) {
	e := sqlerr.As(err)
	c.send(&pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                e.Code,
		Message:             e.Message,
		Detail:              e.Detail,
		Hint:                e.Hint,
		Position:            int32(e.Position),
	})
}

func (c *conn) notice(code, msg string) {
	c.send(&pgproto3.NoticeResponse{Severity: "WARNING", SeverityUnlocalized: "WARNING", Code: code, Message: msg})
}

func (c *conn) ready() {
	c.send(&pgproto3.ReadyForQuery{TxStatus: c.tx})
}

// startup reads the startup packets: an SSL request is answered with a
// TLS handshake when the server has a certificate and 'N' otherwise, a GSS
// encryption request with 'N', a cancel request is served and the
// connection closed. Startup and authentication must finish within
// StartupTimeout. ok reports whether a session was established.
func (c *conn) startup() (ok bool, err error) {
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.cfg.StartupTimeout))
	defer func() {
		if ok {
			_ = c.nc.SetDeadline(time.Time{})
		}
	}()
	encrypted := false
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(c.nc, hdr[:]); err != nil {
			return false, err
		}
		n := int(int32(binary.BigEndian.Uint32(hdr[:]))) - 4
		if n < 4 || n > 10000 {
			return false, fmt.Errorf("invalid length of startup packet: %d", n)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(c.nc, body); err != nil {
			return false, err
		}
		code := binary.BigEndian.Uint32(body)
		switch code {
		case sslRequestCode, gssEncRequestCode:
			if encrypted {
				// PostgreSQL refuses to negotiate inside TLS too.
				c.sendError(&sqlerr.Error{Code: codeProtocolViolation, Message: "unsupported frontend protocol: encryption negotiation inside an encrypted connection"}, "FATAL")
				return false, c.flush()
			}
			if code == sslRequestCode && c.srv.cfg.TLS != nil {
				if err := c.startTLS(); err != nil {
					return false, err
				}
				encrypted = true
				continue
			}
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return false, err
			}
			continue
		case cancelRequestCode:
			var cr pgproto3.CancelRequest
			if err := cr.Decode(body); err != nil {
				return false, err
			}
			c.srv.cancel(cr.ProcessID, cr.SecretKey)
			return false, nil
		}
		major, minor := code>>16, code&0xffff
		if major != 3 {
			c.sendError(sqlerr.New(sqlerr.FeatureNotSupported, "unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major, minor), "FATAL")
			return false, c.flush()
		}
		// Decode as 3.0; a newer minor version is answered below.
		binary.BigEndian.PutUint32(body, pgproto3.ProtocolVersion30)
		var sm pgproto3.StartupMessage
		if len(body) == 5 && body[4] == 0 {
			// No parameters at all: pgproto3 rejects this layout, PostgreSQL
			// reads it and then misses the user name.
			sm.Parameters = map[string]string{}
		} else if err := sm.Decode(body); err != nil {
			c.sendError(&sqlerr.Error{Code: codeProtocolViolation, Message: "invalid startup packet layout: " + err.Error()}, "FATAL")
			return false, c.flush()
		}
		var unknownOpts []string
		for k := range sm.Parameters {
			if strings.HasPrefix(k, "_pq_.") {
				unknownOpts = append(unknownOpts, k)
			}
		}
		if minor > 0 || len(unknownOpts) > 0 {
			c.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknownOpts})
		}
		return c.establish(sm.Parameters)
	}
}

// establish authenticates the user and reports the session's parameters.
func (c *conn) establish(p map[string]string) (bool, error) {
	user := p["user"]
	if user == "" {
		c.sendError(&sqlerr.Error{Code: "28000", Message: "no PostgreSQL user name specified in startup packet"}, "FATAL")
		return false, c.flush()
	}
	db := p["database"]
	if db == "" {
		db = user
	}
	if err := c.authenticate(user, db); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return false, nil
		}
		var ne net.Error
		if errors.As(err, &ne) {
			return false, err
		}
		c.sendError(err, "FATAL")
		return false, c.flush()
	}
	c.sess = newSession(user, db)
	for k, v := range p {
		switch k {
		case "user", "database", "replication", "options":
			continue
		}
		if strings.HasPrefix(k, "_pq_.") {
			continue
		}
		if _, _, err := c.sess.set(k, v); err != nil {
			c.sendError(err, "FATAL")
			return false, c.flush()
		}
	}
	c.srv.register(c)
	c.send(&pgproto3.AuthenticationOk{})
	for _, kv := range c.sess.reported() {
		c.send(&pgproto3.ParameterStatus{Name: kv[0], Value: kv[1]})
	}
	var key [4]byte
	binary.BigEndian.PutUint32(key[:], c.secret)
	c.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: key[:]})
	c.ready()
	return true, c.flush()
}

// closeWhenIdle makes the connection end once its current statement is
// done (server shutdown). A connection blocked reading is woken at once.
func (c *conn) closeWhenIdle() {
	c.idleClose.Store(true)
	if !c.busy.Load() {
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

func (c *conn) loop() {
	c.be = pgproto3.NewBackend(c.nc, io.Discard)
	c.be.SetMaxBodyLen(maxMessage)
	for {
		if c.idleClose.Load() {
			c.sendError(&sqlerr.Error{Code: codeAdminShutdown, Message: "terminating connection due to administrator command"}, "FATAL")
			c.flush()
			return
		}
		msg, err := c.be.Receive()
		if err != nil {
			if c.idleClose.Load() {
				continue
			}
			var ne net.Error
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne) {
				return
			}
			c.sendError(&sqlerr.Error{Code: codeProtocolViolation, Message: "invalid frontend message: " + err.Error()}, "FATAL")
			c.flush()
			return
		}
		c.busy.Store(true)
		quit := c.dispatch(msg)
		c.mu.Lock()
		c.busy.Store(false)
		c.pendingCancel = nil
		c.mu.Unlock()
		if quit || c.werr != nil {
			return
		}
	}
}

// dispatch handles one message; it reports whether to close.
func (c *conn) dispatch(msg pgproto3.FrontendMessage) bool {
	if _, ok := msg.(*pgproto3.Terminate); ok {
		return true
	}
	if c.skipToSync {
		if _, ok := msg.(*pgproto3.Sync); !ok {
			return false
		}
	}
	var err error
	switch m := msg.(type) {
	case *pgproto3.Query:
		c.simpleQuery(m.String)
		c.flush()
		return false
	case *pgproto3.Parse:
		err = c.parse(m)
	case *pgproto3.Bind:
		err = c.bind(m)
	case *pgproto3.Describe:
		err = c.describe(m)
	case *pgproto3.Execute:
		err = c.execute(m)
	case *pgproto3.Close:
		err = c.closeMsg(m)
	case *pgproto3.Sync:
		c.skipToSync = false
		c.dropUnnamedPortal()
		if c.tx == 'I' {
			// Outside a transaction block Sync ends the implicit
			// transaction, and with it every portal but WITH HOLD
			// cursors (so pgjdbc fetches in batches only inside one).
			c.endTransaction(true)
		}
		c.ready()
		c.flush()
		return false
	case *pgproto3.Flush:
		c.flush()
		return false
	default:
		c.sendError(&sqlerr.Error{Code: codeProtocolViolation, Message: fmt.Sprintf("unexpected message type %T", msg)}, "FATAL")
		c.flush()
		return true
	}
	if err != nil {
		c.fail(err)
		c.skipToSync = true
	}
	return false
}

// fail reports err; an error inside a transaction block aborts it.
func (c *conn) fail(err error) {
	c.sendError(err, "ERROR")
	if c.tx == 'T' {
		c.tx = 'E'
	}
}

// simpleQuery runs every statement of a Query message in turn, stopping at
// the first error.
func (c *conn) simpleQuery(text string) {
	defer c.ready()
	failed := false
	stmts, err := pgfront.Parse(text)
	if err != nil {
		c.fail(err)
		return
	}
	if len(stmts) == 0 {
		c.send(&pgproto3.EmptyQueryResponse{})
		return
	}
	// A Query message replaces the unnamed statement and portal.
	delete(c.stmts, "")
	c.dropUnnamedPortal()
	if len(stmts) > 1 && c.tx == 'I' {
		c.implicitTx = true
		defer func() {
			c.implicitTx = false
			if c.tx == 'I' {
				c.endTransaction(!failed)
			}
		}()
	}
	for i := range stmts {
		p, err := c.newPortal("", &stmts[i], nil)
		if err == nil {
			if p.cols != nil {
				c.send(rowDescription(p.cols, p.formats))
			}
			_, err = c.run(p, 0)
			p.close()
		}
		if err != nil {
			failed = true
			c.fail(err)
			return
		}
		if c.werr != nil {
			return
		}
	}
}

// portal is a statement bound to its parameters and ready to run.
type portal struct {
	name    string
	st      *pgfront.Statement
	cols    []engine.Column // nil: the statement returns no rows
	formats []int16

	res     *engine.Result
	pending arrow.RecordBatch // the batch being sent, from row prow
	prow    int
	done    bool
	pos     int64 // rows sent so far: a cursor's position
	ctx     context.Context
	cancel  context.CancelCauseFunc
	cur     *cursor        // set for portals made by DECLARE
	params  *engine.Params // a DECLARE statement's parameter values
}

func (p *portal) close() {
	if p.cur != nil && p.cur.scroll != nil {
		p.cur.scroll.free()
	}
	if p.res != nil {
		p.res.Close()
		p.res = nil
	}
	p.pending = nil
	if p.cancel != nil {
		p.cancel(context.Canceled)
	}
}

func (c *conn) dropUnnamedPortal() {
	if p := c.portals[""]; p != nil {
		p.close()
		delete(c.portals, "")
	}
}

func (c *conn) closePortals() {
	for k, p := range c.portals {
		p.close()
		delete(c.portals, k)
	}
}

// newPortal plans st (the engine starts no work before the first batch is
// asked for) so that the portal can be described before it runs.
func (c *conn) newPortal(name string, st *pgfront.Statement, formats []int16) (*portal, error) {
	return c.newPortalWith(name, st, formats, nil)
}

// newPortalWith is newPortal for a statement with $n parameter values.
func (c *conn) newPortalWith(name string, st *pgfront.Statement, formats []int16, params *engine.Params) (*portal, error) {
	p := &portal{name: name, st: st}
	if st.Special != nil {
		p.params = params // DECLARE's, for its query
		switch st.Special.Kind {
		case pgfront.SpecialShow:
			// An unknown name fails before any RowDescription, as in
			// PostgreSQL.
			if !strings.EqualFold(st.Special.Name, "all") && c.tx != 'E' {
				if _, _, err := c.sess.get(st.Special.Name); err != nil {
					return nil, err
				}
			}
			p.cols = showColumns(st.Special.Name)
		case pgfront.SpecialFetch:
			p.cols, formats = c.fetchColumns(st.Special.Name, formats)
		}
	} else {
		if c.tx == 'E' {
			return nil, abortedErr()
		}
		p.ctx, p.cancel = context.WithCancelCause(c.srv.baseCtx)
		// Planning is part of the statement: a cancel request that
		// arrives meanwhile cancels it (it used to be dropped, so a
		// client that canceled a slow plan got the whole run).
		c.setRunning(p.cancel)
		res, err := c.srv.cfg.Engine.RunParams(p.ctx, info{c}, st, params)
		c.setRunning(nil)
		if err != nil {
			err = c.canceled(p, err)
			p.cancel(context.Canceled)
			return nil, err
		}
		p.res = res
		p.cols = res.Columns
		if p.cols == nil {
			p.cols = []engine.Column{}
		}
	}
	var err error
	if p.formats, err = resultFormats(formats, p.cols); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func abortedErr() error {
	return sqlerr.New(codeInFailedTransaction, "current transaction is aborted, commands ignored until end of transaction block")
}

func showColumns(name string) []engine.Column {
	if strings.EqualFold(name, "all") {
		return []engine.Column{{Name: "name", Type: types.TextT}, {Name: "setting", Type: types.TextT}, {Name: "description", Type: types.TextT}}
	}
	if p := params[strings.ToLower(name)]; p != nil {
		name = p.name
	}
	return []engine.Column{{Name: name, Type: types.TextT}}
}

// run sends up to maxRows rows (0: all) of p and then CommandComplete, or
// PortalSuspended when rows remain. It reports whether p is suspended.
func (c *conn) run(p *portal, maxRows int) (suspended bool, err error) {
	if p.st.Special != nil {
		if p.done {
			return false, c.commandComplete(p, 0)
		}
		p.done = true
		return false, c.runSpecial(p)
	}
	if c.tx == 'E' {
		return false, abortedErr()
	}
	if p.cur != nil && p.cur.scroll != nil {
		return c.runScroll(p, maxRows)
	}
	if p.done {
		return false, c.commandComplete(p, 0)
	}
	sent, more, err := c.pump(p, int64(maxRows), func(rec arrow.RecordBatch, from, to int) {
		c.out = appendDataRows(c.out, rec, p.cols, p.formats, from, to)
	})
	if err != nil {
		return false, err
	}
	if more {
		c.send(&pgproto3.PortalSuspended{})
		return true, nil
	}
	return false, c.commandComplete(p, sent)
}

// rowSink writes rows [from, to) of rec to the output.
type rowSink func(rec arrow.RecordBatch, from, to int)

// pump feeds up to maxRows rows (0: all) of p's query to sink, flushing as
// the output grows so that memory stays bounded. more reports that maxRows
// were sent (rows may remain); at the end of the rows p is done and its
// query closed. Execute, FETCH and COPY share it, so statement_timeout and
// cancel requests work for each.
func (c *conn) pump(p *portal, maxRows int64, sink rowSink) (sent int64, more bool, err error) {
	if p.done {
		return 0, false, nil
	}
	c.setRunning(p.cancel)
	defer c.setRunning(nil)
	defer c.watchPeer(p.cancel)()
	if d := c.sess.statementTimeout(); d > 0 {
		t := time.AfterFunc(d, func() { p.cancel(errTimeout) })
		defer t.Stop()
	}
	defer func() { p.pos += sent }()
	// Rows go to the sink in chunks of about flushAt bytes of output, so
	// the output buffer is written and reused at that size; a whole batch
	// at once grew it (allocating and copying) to the batch's size and
	// then dropped it, every batch.
	chunk := 256
	for {
		if p.pending == nil {
			b, err := p.res.Next(p.ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return sent, false, c.canceled(p, err)
			}
			p.pending, p.prow = b, 0
		}
		n := int(p.pending.NumRows()) - p.prow
		if maxRows > 0 && int64(n) > maxRows-sent {
			n = int(maxRows - sent)
		}
		n = min(n, chunk)
		before := len(c.out)
		sink(p.pending, p.prow, p.prow+n)
		if grew := len(c.out) - before; grew > 0 && n > 0 {
			chunk = max(1, flushAt/(grew/n+1))
		}
		p.prow += n
		sent += int64(n)
		if p.prow >= int(p.pending.NumRows()) {
			p.pending = nil
		}
		if err := c.maybeFlush(); err != nil {
			return sent, false, err
		}
		if err := context.Cause(p.ctx); err != nil {
			return sent, false, c.canceled(p, err)
		}
		if maxRows > 0 && sent >= maxRows {
			return sent, true, nil
		}
	}
	p.done = true
	p.res.Close()
	p.res = nil
	return sent, false, nil
}

// canceled turns the failure of a canceled statement into 57014 with
// PostgreSQL's message for its cause.
func (c *conn) canceled(p *portal, err error) error {
	switch context.Cause(p.ctx) {
	case errUserCancel:
		return &sqlerr.Error{Code: sqlerr.QueryCanceled, Message: errUserCancel.Error(), Err: err}
	case errTimeout:
		return &sqlerr.Error{Code: sqlerr.QueryCanceled, Message: errTimeout.Error(), Err: err}
	}
	return err
}

// cancelRunning cancels the running statement; while a message is being
// handled with no statement running yet, the cancel waits for the next
// one (pendingCancel); a connection waiting for a message ignores it.
func (c *conn) cancelRunning(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.running != nil:
		c.running(cause)
	case c.busy.Load():
		c.pendingCancel = cause
	}
}

// setRunning makes cancel (nil: none) the target of cancel requests, and
// hands it a cancel that was pending.
func (c *conn) setRunning(cancel context.CancelCauseFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running = cancel
	if cancel != nil && c.pendingCancel != nil {
		cancel(c.pendingCancel)
		c.pendingCancel = nil
	}
}

func (c *conn) commandComplete(p *portal, rows int64) error {
	tag := "SELECT " + fmt.Sprint(rows)
	if p.st.AST != nil {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(p.st.Text)), "EXPLAIN") {
			tag = "EXPLAIN"
		}
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	return nil
}
