package pgwire

import (
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// maxParams is the protocol's limit on parameters of one statement.
const maxParams = 65535

// prepared is a statement from a Parse message.
type prepared struct {
	name string
	text string
	ph   []placeholder
	oids []uint32 // one per parameter, as ParameterDescription reports it
	// untyped marks parameters whose type neither Parse nor a cast gave:
	// they are reported as text and substituted as untyped literals.
	untyped []bool
	empty   bool
}

func (c *conn) parse(m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, dup := c.stmts[m.Name]; dup {
			return sqlerr.New(codeDuplicatePreparedStatement, "prepared statement \"%s\" already exists", m.Name)
		}
	}
	ph, casts := scanPlaceholders(m.Query)
	n := len(m.ParameterOIDs)
	for _, p := range ph {
		n = max(n, p.n)
	}
	if n > maxParams {
		return sqlerr.New(codeProtocolViolation, "too many parameters: %d", n)
	}
	ps := &prepared{name: m.Name, text: m.Query, ph: ph, oids: make([]uint32, n), untyped: make([]bool, n)}
	copy(ps.oids, m.ParameterOIDs)
	for i := range ps.oids {
		if ps.oids[i] == 0 {
			ps.oids[i] = 25
			if t, ok := casts[i+1]; ok {
				ps.oids[i] = t.OID()
			} else {
				ps.untyped[i] = true
			}
		}
	}
	// Check the text now, with NULLs of the parameters' types, so that
	// syntax errors come at Parse as in PostgreSQL.
	stmts, err := pgfront.Parse(substitute(ps.text, ps.ph, ps.oids, ps.untyped, make([]*string, n)))
	if err != nil {
		return err
	}
	if len(stmts) > 1 {
		return sqlerr.New(sqlerr.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	ps.empty = len(stmts) == 0
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
	if len(m.Parameters) != len(ps.oids) {
		return sqlerr.New(codeProtocolViolation, "bind message supplies %d parameters, but prepared statement \"%s\" requires %d", len(m.Parameters), ps.name, len(ps.oids))
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
	if !ps.empty {
		stmts, err := pgfront.Parse(substitute(ps.text, ps.ph, ps.oids, ps.untyped, values))
		if err != nil {
			return err
		}
		if len(stmts) != 1 {
			return sqlerr.New(sqlerr.SyntaxError, "a parameter changed the number of statements")
		}
		formats := append([]int16(nil), m.ResultFormatCodes...)
		if p, err = c.newPortal(m.DestinationPortal, &stmts[0], formats); err != nil {
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
		if ps.empty {
			c.send(&pgproto3.NoData{})
			return nil
		}
		stmts, err := pgfront.Parse(substitute(ps.text, ps.ph, ps.oids, ps.untyped, make([]*string, len(ps.oids))))
		if err != nil {
			return err
		}
		p, err := c.newPortal("", &stmts[0], nil)
		if err != nil {
			return err
		}
		p.close()
		c.describeRows(p)
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
