package pgwire

import (
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Settings follow PostgreSQL's transaction rules: a SET inside a
// transaction block is undone by ROLLBACK (and by ROLLBACK TO a savepoint
// taken before it), SET LOCAL lasts until the block ends, and each block
// starts with the session's default transaction characteristics, which
// BEGIN and SET TRANSACTION may override for that block.

const codeInvalidSavepoint = "3B001"

// txState is what a transaction block must restore when it ends.
type txState struct {
	snap    map[string]string // every setting at BEGIN
	session map[string]string // values plain SETs gave inside the block: COMMIT keeps them
	saves   []savepoint
}

type savepoint struct {
	name    string
	values  map[string]string
	session map[string]string
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// beginTx opens a transaction block with the session's defaults and then
// the modes BEGIN lists.
func (c *conn) beginTx(modes []string) error {
	c.syncTxCharacteristics()
	c.txs = &txState{snap: copyMap(c.sess.values), session: map[string]string{}}
	return c.applyModes(modes, false)
}

// endTx ends the block's settings: COMMIT keeps what plain SETs changed,
// ROLLBACK nothing.
func (c *conn) endTx(commit bool) {
	if c.txs == nil {
		return
	}
	target := copyMap(c.txs.snap)
	if commit {
		for k, v := range c.txs.session {
			target[k] = v
		}
	}
	c.txs = nil
	c.restoreSettings(target)
	c.syncTxCharacteristics()
}

// restoreSettings sets every setting to target's value, reporting the
// reported ones that change.
func (c *conn) restoreSettings(target map[string]string) {
	for k, v := range target {
		if c.sess.values[k] == v {
			continue
		}
		c.sess.values[k] = v
		if p := params[k]; p != nil && p.report {
			c.send(&pgproto3.ParameterStatus{Name: p.name, Value: v})
		}
	}
}

// syncTxCharacteristics makes the transaction characteristics shown
// outside a block those of the next block: the session defaults.
func (c *conn) syncTxCharacteristics() {
	c.sess.values["transaction_isolation"] = c.sess.values["default_transaction_isolation"]
	c.sess.values["transaction_read_only"] = c.sess.values["default_transaction_read_only"]
}

// setParam is SET, SET LOCAL, SET ... TO DEFAULT and set_config. It returns
// the value as stored.
func (c *conn) setParam(name, value string, local, toDefault bool) (string, error) {
	if local && c.txs == nil {
		// PostgreSQL warns and changes nothing: the setting would end
		// with the statement's own transaction.
		_, v, err := c.sess.get(name)
		if err != nil {
			if _, err := lookup(name); err != nil {
				return "", err
			}
		}
		c.notice(codeNoActiveSQLTransaction, "SET LOCAL can only be used in transaction blocks")
		return v, nil
	}
	var p *param
	var changed bool
	var err error
	if toDefault {
		p, changed, err = c.sess.reset(name)
	} else {
		p, changed, err = c.sess.set(name, value)
	}
	if err != nil {
		return "", err
	}
	k := strings.ToLower(p.name)
	v := c.sess.values[k]
	if c.txs != nil && !local {
		c.txs.session[k] = v
	}
	if changed {
		c.send(&pgproto3.ParameterStatus{Name: p.name, Value: v})
	}
	if c.txs == nil && strings.HasPrefix(k, "default_transaction_") {
		c.syncTxCharacteristics()
	}
	return v, nil
}

// applyModes applies transaction modes (ISOLATION LEVEL ..., READ
// ONLY|WRITE, [NOT] DEFERRABLE) to the current block, or with session to
// the session's defaults (SET SESSION CHARACTERISTICS).
func (c *conn) applyModes(w []string, session bool) error {
	set := func(name, v string) error {
		if session {
			name = "default_" + name
		}
		_, err := c.setParam(name, v, !session, false)
		return err
	}
	bad := func(i int) error {
		if i >= len(w) {
			return sqlerr.New(sqlerr.SyntaxError, "syntax error at end of input")
		}
		return sqlerr.New(sqlerr.SyntaxError, "syntax error at or near \"%s\"", w[i])
	}
	at := func(i int, s string) bool { return i < len(w) && w[i] == s }
	for i := 0; i < len(w); {
		switch {
		case at(i, "isolation") && at(i+1, "level"):
			i += 2
			var lvl string
			switch {
			case at(i, "serializable"):
				lvl, i = "serializable", i+1
			case at(i, "repeatable") && at(i+1, "read"):
				lvl, i = "repeatable read", i+2
			case at(i, "read") && at(i+1, "committed"):
				lvl, i = "read committed", i+2
			case at(i, "read") && at(i+1, "uncommitted"):
				lvl, i = "read uncommitted", i+2
			default:
				return bad(i)
			}
			if err := set("transaction_isolation", lvl); err != nil {
				return err
			}
		case at(i, "read") && (at(i+1, "only") || at(i+1, "write")):
			v := "off"
			if w[i+1] == "only" {
				v = "on"
			}
			if err := set("transaction_read_only", v); err != nil {
				return err
			}
			i += 2
		case at(i, "deferrable"):
			i++
		case at(i, "not") && at(i+1, "deferrable"):
			i += 2
		default:
			return bad(i)
		}
	}
	return nil
}

// savepoint finds the newest savepoint called name.
func (c *conn) findSavepoint(name string) (int, error) {
	if c.txs != nil {
		for i := len(c.txs.saves) - 1; i >= 0; i-- {
			if c.txs.saves[i].name == name {
				return i, nil
			}
		}
	}
	return -1, sqlerr.New(codeInvalidSavepoint, "savepoint \"%s\" does not exist", name)
}

func (c *conn) addSavepoint(name string) {
	if c.txs == nil {
		c.txs = &txState{snap: copyMap(c.sess.values), session: map[string]string{}}
	}
	c.txs.saves = append(c.txs.saves, savepoint{name: name, values: copyMap(c.sess.values), session: copyMap(c.txs.session)})
}

// rollbackToSavepoint undoes the settings made since the savepoint, which
// stays; release drops it and the ones after it.
func (c *conn) rollbackToSavepoint(name string) error {
	i, err := c.findSavepoint(name)
	if err != nil {
		return err
	}
	sp := c.txs.saves[i]
	c.txs.saves = c.txs.saves[:i+1]
	c.txs.session = copyMap(sp.session)
	c.restoreSettings(sp.values)
	return nil
}

func (c *conn) releaseSavepoint(name string) error {
	i, err := c.findSavepoint(name)
	if err != nil {
		return err
	}
	c.txs.saves = c.txs.saves[:i]
	return nil
}
