// Package plancodec serialises optimised logical plans (planner/logical with
// sql/expr expressions) so a coordinator can ship a stage's plan to the node
// that runs it, and rebuilds them there.
//
// The format is a hand-written binary one: a magic and a version byte, then
// the plan tree in pre-order, integers as varints and every string after its
// first occurrence as a back-reference, so the column names and types that
// each node's schema repeats cost a byte or two. Scans name their table,
// which the receiving node resolves in its own catalog. A CTE read by several
// CTEScans is written once and decodes as one shared *logical.CTE, since the
// physical planner materialises a CTE once per pointer.
//
// Some plans only make sense on the node that bound them: calls of Go
// functions bound from the system catalog (expr.NativeFn) and scans of
// in-memory tables (pg_catalog). Encode refuses them with an error wrapping
// ErrNotShippable; Shippable checks for them without encoding.
//
// Decode trusts nothing: truncated or corrupt input yields an error, and
// every length is checked against the bytes left before anything is
// allocated.
//
// It imports planner/logical, sql/expr, sql/types, sql/sqlerr and storage.
package plancodec

import (
	"errors"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/storage"
)

// ErrNotShippable is wrapped by the error Encode and Shippable return for a
// plan that must run on the node that planned it.
var ErrNotShippable = errors.New("plan cannot run on another node")

// ErrCorrupt is wrapped by the error Decode returns for input that is not
// a plan this version wrote.
var ErrCorrupt = errors.New("corrupt serialised plan")

// Tables resolves a table name to this node's table (storage.Catalog.Table
// fits).
type Tables func(name string) (*storage.Table, bool)

// magic starts every encoded plan; version follows it and changes with any
// change to the format, so nodes of different builds refuse each other's
// plans instead of misreading them.
const (
	magic   = "BPL"
	version = 1
)

// maxDepth bounds the nesting of nodes and expressions Decode follows, so
// corrupt input cannot recurse deep enough to exhaust the stack. Real plans
// are a few dozen levels deep.
const maxDepth = 2000

// Encode serialises a logical plan for another node.
func Encode(n logical.Node) ([]byte, error) {
	e := newEncoder()
	e.buf = append(e.buf, magic...)
	e.buf = append(e.buf, version)
	if err := e.node(n); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// Decode rebuilds the plan Encode wrote; scans resolve their tables by name
// through tables.
func Decode(b []byte, tables Tables) (logical.Node, error) {
	if len(b) < len(magic)+1 || string(b[:len(magic)]) != magic {
		return nil, corrupt("missing header")
	}
	if v := b[len(magic)]; v != version {
		return nil, sqlerr.Wrap(sqlerr.InternalError, ErrCorrupt, "plan format version %d, this node reads version %d (nodes of different versions in one cluster?)", v, version)
	}
	d := &decoder{buf: b[len(magic)+1:], tables: tables}
	n, err := d.node()
	if err != nil {
		return nil, err
	}
	if len(d.buf) != 0 {
		return nil, corrupt("%d bytes after the plan", len(d.buf))
	}
	return n, nil
}

func corrupt(format string, args ...any) error {
	return sqlerr.Wrap(sqlerr.InternalError, ErrCorrupt, "plancodec: "+format, args...)
}

// Node tags. Values are part of the format: append, never renumber.
const (
	tagScan byte = iota + 1
	tagValues
	tagFilter
	tagProject
	tagAggregate
	tagJoin
	tagSort
	tagLimit
	tagUnion
	tagEnforceSingleRow
	tagCTEScan
	tagWindow
	tagTableFunc
	tagProjectSet
	tagRemote
)

// Expression tags; exprNil stands for an absent optional expression.
const (
	exprNil byte = iota
	exprColRef
	exprConst
	exprCall
	exprCast
	exprCase
	exprInList
	exprOuterRef
	exprParam
)

// Constant value tags.
const (
	valNull byte = iota
	valFalse
	valTrue
	valInt64
	valFloat64
	valDecimal
	valString
	valBytes
	valInt32
	valInterval
)
