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
		if strings.EqualFold(sp.Name, "session_authorization") {
			// Only the connected user may be assumed: Basalt has no
			// superusers.
			if !sp.Default && (len(sp.Args) != 1 || sp.Args[0] != c.sess.user) {
				return sqlerr.New(codeInsufficientPrivilege, "permission denied to set session authorization")
			}
			break
		}
		if _, err := c.setParam(sp.Name, strings.Join(sp.Args, ", "), sp.Local, sp.Default); err != nil {
			return err
		}
	case pgfront.SpecialReset:
		if strings.EqualFold(sp.Name, "all") {
			c.resetAll()
		} else if _, err := c.setParam(sp.Name, "", false, true); err != nil {
			return err
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
		if sp.Name == "start" {
			tag = "START TRANSACTION"
		}
		if c.tx != 'I' {
			c.notice(codeActiveSQLTransaction, "there is already a transaction in progress")
			if err := c.applyModes(sp.Args, false); err != nil {
				return err
			}
			break
		}
		if err := c.beginTx(sp.Args); err != nil {
			c.endTx(false)
			return err
		}
		c.tx = 'T'
	case pgfront.SpecialCommit, pgfront.SpecialRollback:
		if sp.Chain && c.tx == 'I' {
			return sqlerr.New(codeNoActiveSQLTransaction, "%s AND CHAIN can only be used in transaction blocks", sp.Kind)
		}
		commit := sp.Kind == pgfront.SpecialCommit && c.tx != 'E'
		switch {
		case c.tx == 'I':
			c.notice(codeNoActiveSQLTransaction, "there is no transaction in progress")
		case !commit:
			tag = "ROLLBACK"
		}
		// AND CHAIN starts the next block with this one's characteristics.
		modes := []string{"isolation", "level"}
		modes = append(modes, strings.Fields(c.sess.values["transaction_isolation"])...)
		modes = append(modes, "read", map[string]string{"on": "only", "off": "write"}[c.sess.values["transaction_read_only"]])
		c.endTransaction(commit)
		c.endTx(commit)
		c.tx = 'I'
		if sp.Chain {
			if err := c.beginTx(modes); err != nil {
				return err
			}
			c.tx = 'T'
		}
	case pgfront.SpecialSavepoint:
		if c.tx == 'I' {
			return sqlerr.New(codeNoActiveSQLTransaction, "%s can only be used in transaction blocks", sp.Kind)
		}
		c.addSavepoint(sp.Name)
	case pgfront.SpecialRelease, pgfront.SpecialRollbackTo:
		if c.tx == 'I' {
			return sqlerr.New(codeNoActiveSQLTransaction, "%s can only be used in transaction blocks", sp.Kind)
		}
		if sp.Kind == pgfront.SpecialRelease {
			if err := c.releaseSavepoint(sp.Name); err != nil {
				return err
			}
			c.savepointCursors(false)
			break
		}
		if err := c.rollbackToSavepoint(sp.Name); err != nil {
			return err
		}
		c.savepointCursors(true)
		c.tx = 'T'
		tag = "ROLLBACK"
	case pgfront.SpecialSetTransaction:
		tag = "SET"
		if c.tx == 'I' {
			c.notice(codeNoActiveSQLTransaction, "SET TRANSACTION can only be used in transaction blocks")
			break
		}
		if err := c.applyModes(sp.Args, false); err != nil {
			return err
		}
	case pgfront.SpecialSetSessionCharacteristics:
		tag = "SET"
		if err := c.applyModes(sp.Args, true); err != nil {
			return err
		}
	case pgfront.SpecialListen, pgfront.SpecialUnlisten:
		// Accepted: Basalt has no NOTIFY, so a listener never hears
		// anything, which is what it would hear from an idle PostgreSQL.
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
