package pgwire

import (
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// runSpecial runs the statements the front parses itself: session
// settings and transaction control. The engine is read-only, so a
// transaction block only tracks the status ReadyForQuery reports.
func (c *conn) runSpecial(p *portal) error {
	sp := p.st.Special
	if c.tx == 'E' {
		switch sp.Kind {
		case pgfront.SpecialCommit, pgfront.SpecialRollback, pgfront.SpecialRollbackTo:
		default:
			return abortedErr()
		}
	}
	switch sp.Kind {
	case pgfront.SpecialCopy:
		return c.runCopy(sp)
	case pgfront.SpecialDeclare, pgfront.SpecialFetch, pgfront.SpecialMove, pgfront.SpecialClose:
		return c.runCursor(p)
	}
	tag := string(sp.Kind)
	switch sp.Kind {
	case pgfront.SpecialShow:
		if strings.EqualFold(sp.Name, "all") {
			for _, r := range c.sess.all() {
				c.send(&pgproto3.DataRow{Values: [][]byte{[]byte(r[0]), []byte(r[1]), []byte(r[2])}})
			}
		} else {
			_, v, err := c.sess.get(sp.Name)
			if err != nil {
				return err
			}
			c.send(&pgproto3.DataRow{Values: [][]byte{[]byte(v)}})
		}
	case pgfront.SpecialSet:
		prm, changed, err := c.sess.set(sp.Name, strings.Join(sp.Args, ", "))
		if err != nil {
			return err
		}
		if changed {
			c.send(&pgproto3.ParameterStatus{Name: prm.name, Value: c.sess.values[strings.ToLower(prm.name)]})
		}
	case pgfront.SpecialReset:
		if strings.EqualFold(sp.Name, "all") {
			c.resetAll()
		} else {
			prm, changed, err := c.sess.reset(sp.Name)
			if err != nil {
				return err
			}
			if changed {
				c.send(&pgproto3.ParameterStatus{Name: prm.name, Value: prm.def})
			}
		}
	case pgfront.SpecialDiscard:
		if c.tx != 'I' {
			return sqlerr.New(codeActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
		}
		tag = "DISCARD " + strings.ToUpper(sp.Name)
		if sp.Name == "all" {
			c.resetAll()
			for k := range c.stmts {
				delete(c.stmts, k)
			}
			for k, q := range c.portals {
				if q != p {
					q.close()
					delete(c.portals, k)
				}
			}
		}
	case pgfront.SpecialBegin:
		if c.tx != 'I' {
			c.notice(codeActiveSQLTransaction, "there is already a transaction in progress")
		}
		c.tx = 'T'
	case pgfront.SpecialCommit:
		switch c.tx {
		case 'I':
			c.notice(codeNoActiveSQLTransaction, "there is no transaction in progress")
		case 'E':
			tag = "ROLLBACK"
		}
		c.endTransaction(c.tx != 'E')
		c.tx = 'I'
	case pgfront.SpecialRollback:
		if c.tx == 'I' {
			c.notice(codeNoActiveSQLTransaction, "there is no transaction in progress")
		}
		c.endTransaction(false)
		c.tx = 'I'
	case pgfront.SpecialSavepoint, pgfront.SpecialRelease, pgfront.SpecialRollbackTo:
		if c.tx == 'I' {
			return sqlerr.New(codeNoActiveSQLTransaction, "%s can only be used in transaction blocks", sp.Kind)
		}
		if sp.Kind == pgfront.SpecialRollbackTo {
			c.tx = 'T'
			tag = "ROLLBACK"
		}
	case pgfront.SpecialSetTransaction, pgfront.SpecialSetSessionCharacteristics:
		tag = "SET"
	case pgfront.SpecialDeallocate:
		if sp.Name == "all" {
			for k := range c.stmts {
				delete(c.stmts, k)
			}
			tag = "DEALLOCATE ALL"
		} else {
			if _, ok := c.stmts[sp.Name]; !ok {
				return sqlerr.New(codeInvalidSQLStatementName, "prepared statement \"%s\" does not exist", sp.Name)
			}
			delete(c.stmts, sp.Name)
		}
	default:
		return sqlerr.New(sqlerr.FeatureNotSupported, "%s is not supported", sp.Kind)
	}
	if sp.Kind == pgfront.SpecialShow {
		tag = "SHOW"
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	return nil
}

// resetAll restores every setting's default, reporting those that change.
func (c *conn) resetAll() {
	before := c.sess.reported()
	c.sess.resetAll()
	after := c.sess.reported()
	for i := range after {
		if before[i][1] != after[i][1] {
			c.send(&pgproto3.ParameterStatus{Name: after[i][0], Value: after[i][1]})
		}
	}
}
