package pgwire

import (
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/binder"
	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// prepared is a statement from a Parse message, bound once to learn its
// parameter types and result columns; Bind binds it again with values.
type prepared struct {
	name  string
	st    *pgfront.Statement // nil: the empty statement
	types []types.T          // one per parameter
	oids  []uint32           // as ParameterDescription reports them
	cols  []engine.Column    // nil: the statement returns no rows
}

func (c *conn) parse(m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, dup := c.stmts[m.Name]; dup {
			return sqlerr.New(codeDuplicatePreparedStatement, "prepared statement \"%s\" already exists", m.Name)
		}
	}
	if len(m.ParameterOIDs) > binder.MaxParams {
		return sqlerr.New(codeProtocolViolation, "too many parameters: %d", len(m.ParameterOIDs))
	}
	stmts, err := pgfront.Parse(m.Query)
	if err != nil {
		return err
	}
	if len(stmts) > 1 {
		return sqlerr.New(sqlerr.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	given := make([]types.T, len(m.ParameterOIDs))
	for i, oid := range m.ParameterOIDs {
		if oid == 0 {
			continue // Unknown: to infer
		}
		t, ok := types.FromOID(oid)
		if !ok {
			return sqlerr.New(sqlerr.FeatureNotSupported, "parameters of type OID %d are not supported", oid)
		}
		given[i] = t
	}
	ps := &prepared{name: m.Name, types: given}
	switch {
	case len(stmts) == 0:
	case stmts[0].Special != nil:
		// Statements the front parses itself (SET, SHOW ...) take no
		// parameters; their columns are known without the engine.
		ps.st = &stmts[0]
		switch stmts[0].Special.Kind {
		case pgfront.SpecialShow:
			ps.cols = showColumns(stmts[0].Special.Name)
		case pgfront.SpecialFetch:
			// The cursor's columns, if it exists now (as PostgreSQL
			// describes FETCH).
			ps.cols, _ = c.fetchColumns(stmts[0].Special.Name, nil)
		case pgfront.SpecialDeclare:
			// DECLARE's query may take parameters (psycopg 3's
			// server-side cursors send them).
			if ps.types, _, err = c.srv.cfg.Engine.Describe(info{c}, stmts[0].Special.Query, given); err != nil {
				return err
			}
		}
	default:
		if c.tx == 'E' {
			return abortedErr()
		}
		ps.st = &stmts[0]
		// Binding now reports errors (unknown columns, parameters whose
		// type cannot be inferred) at Parse, as PostgreSQL does, and
		// gives Describe its answer without running anything.
		if ps.types, ps.cols, err = c.srv.cfg.Engine.Describe(info{c}, ps.st, given); err != nil {
			return err
		}
		if ps.cols == nil {
			ps.cols = []engine.Column{}
		}
		if len(ps.types) > binder.MaxParams {
			return sqlerr.New(sqlerr.ProgramLimitExceeded, "too many parameters: %d (at most %d)", len(ps.types), binder.MaxParams)
		}
	}
	ps.oids = make([]uint32, len(ps.types))
	for i, t := range ps.types {
		switch {
		case i < len(m.ParameterOIDs) && given[i].Kind != types.Unknown:
			// The client's own OID (varchar stays varchar).
			ps.oids[i] = m.ParameterOIDs[i]
		case t.Kind != types.Unknown:
			ps.oids[i] = t.OID()
		}
	}
	c.stmts[m.Name] = ps
	c.send(&pgproto3.ParseComplete{})
	return nil
}

func (c *conn) bind(m *pgproto3.Bind) error {
	ps := c.stmts[m.PreparedStatement]
	if ps == nil {
		return sqlerr.New(codeInvalidSQLStatementName, "prepared statement \"%s\" does not exist", m.PreparedStatement)
	}
	if m.DestinationPortal != "" {
		if _, dup := c.portals[m.DestinationPortal]; dup {
			return sqlerr.New(codeDuplicateCursor, "cursor \"%s\" already exists", m.DestinationPortal)
		}
	} else {
		c.dropUnnamedPortal()
	}
	if len(m.Parameters) != len(ps.types) {
		return sqlerr.New(codeProtocolViolation, "bind message supplies %d parameters, but prepared statement \"%s\" requires %d", len(m.Parameters), ps.name, len(ps.types))
	}
	if f := len(m.ParameterFormatCodes); f > 1 && f != len(m.Parameters) {
		return sqlerr.New(codeProtocolViolation, "bind message has %d parameter formats but %d parameters", f, len(m.Parameters))
	}
	values := make([]*string, len(m.Parameters))
	for i, v := range m.Parameters {
		if v == nil {
			continue
		}
		var format int16
		switch len(m.ParameterFormatCodes) {
		case 0:
		case 1:
			format = m.ParameterFormatCodes[0]
		default:
			format = m.ParameterFormatCodes[i]
		}
		s, err := paramText(v, format, ps.oids[i], i+1)
		if err != nil {
			return err
		}
		values[i] = &s
	}
	p := &portal{name: m.DestinationPortal}
	if ps.st != nil {
		var params *engine.Params
		if ps.st.Special == nil || ps.st.Special.Kind == pgfront.SpecialDeclare {
			params = &engine.Params{Types: ps.types, Values: values}
		}
		formats := append([]int16(nil), m.ResultFormatCodes...)
		var err error
		if p, err = c.newPortalWith(m.DestinationPortal, ps.st, formats, params); err != nil {
			return err
		}
	}
	c.portals[m.DestinationPortal] = p
	c.send(&pgproto3.BindComplete{})
	return nil
}

func (c *conn) describe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		ps := c.stmts[m.Name]
		if ps == nil {
			return sqlerr.New(codeInvalidSQLStatementName, "prepared statement \"%s\" does not exist", m.Name)
		}
		c.send(&pgproto3.ParameterDescription{ParameterOIDs: ps.oids})
		if ps.cols == nil {
			c.send(&pgproto3.NoData{})
			return nil
		}
		c.send(rowDescription(ps.cols, nil))
	case 'P':
		p := c.portals[m.Name]
		if p == nil {
			return sqlerr.New(codeInvalidCursorName, "portal \"%s\" does not exist", m.Name)
		}
		c.describeRows(p)
	default:
		return sqlerr.New(codeProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType)
	}
	return nil
}

func (c *conn) describeRows(p *portal) {
	if p.st == nil || p.cols == nil {
		c.send(&pgproto3.NoData{})
		return
	}
	c.send(rowDescription(p.cols, p.formats))
}

func (c *conn) execute(m *pgproto3.Execute) error {
	p := c.portals[m.Portal]
	if p == nil {
		return sqlerr.New(codeInvalidCursorName, "portal \"%s\" does not exist", m.Portal)
	}
	if p.st == nil {
		c.send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	maxRows := int(m.MaxRows)
	if m.MaxRows > 1<<31-1 {
		maxRows = 0
	}
	_, err := c.run(p, maxRows)
	return err
}

func (c *conn) closeMsg(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		delete(c.stmts, m.Name)
	case 'P':
		if p := c.portals[m.Name]; p != nil {
			p.close()
			delete(c.portals, m.Name)
		}
	default:
		return sqlerr.New(codeProtocolViolation, "invalid CLOSE message subtype %d", m.ObjectType)
	}
	c.send(&pgproto3.CloseComplete{})
	return nil
}
