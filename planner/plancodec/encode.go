package plancodec

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

type encoder struct {
	buf     []byte
	strs    map[string]int        // strings written so far, by first-occurrence index
	ctes    map[*logical.CTE]int  // CTEs written so far, by completion order
	writing map[*logical.CTE]bool // CTEs whose plan is being written (a cycle guard)
}

func newEncoder() *encoder {
	return &encoder{strs: map[string]int{}, ctes: map[*logical.CTE]int{}, writing: map[*logical.CTE]bool{}}
}

func (e *encoder) byte(b byte)      { e.buf = append(e.buf, b) }
func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) varint(v int64)   { e.buf = binary.AppendVarint(e.buf, v) }
func (e *encoder) int(v int)        { e.varint(int64(v)) }
func (e *encoder) count(n int)      { e.uvarint(uint64(n)) }

func (e *encoder) bool(b bool) {
	if b {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

// str writes a string the first time as 0, length, bytes, and after that
// as its index + 1: plans repeat column names, qualifiers and function
// names in every node's schema.
func (e *encoder) str(s string) {
	if i, ok := e.strs[s]; ok {
		e.uvarint(uint64(i) + 1)
		return
	}
	e.strs[s] = len(e.strs)
	e.uvarint(0)
	e.count(len(s))
	e.buf = append(e.buf, s...)
}

// typ writes a type as its kind and a bitmask of the other fields that
// are not zero, then those fields: most types are one kind byte and a zero.
func (e *encoder) typ(t types.T) {
	var mask byte
	if t.Precision != 0 {
		mask |= 1
	}
	if t.Scale != 0 {
		mask |= 2
	}
	if t.Elem != 0 {
		mask |= 4
	}
	if t.Variant != 0 {
		mask |= 8
	}
	e.byte(byte(t.Kind))
	e.byte(mask)
	if mask&1 != 0 {
		e.varint(int64(t.Precision))
	}
	if mask&2 != 0 {
		e.varint(int64(t.Scale))
	}
	if mask&4 != 0 {
		e.byte(byte(t.Elem))
	}
	if mask&8 != 0 {
		e.byte(byte(t.Variant))
	}
}

func (e *encoder) schema(s logical.Schema) {
	e.count(len(s))
	for _, c := range s {
		e.str(c.Name)
		e.str(c.Table)
		e.typ(c.T)
		e.bool(c.Nullable)
	}
}

func (e *encoder) exprs(es []expr.Expr) error {
	e.count(len(es))
	for _, x := range es {
		if err := e.expr(x); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) sortKeys(ks []logical.SortKey) error {
	e.count(len(ks))
	for _, k := range ks {
		if err := e.expr(k.E); err != nil {
			return err
		}
		e.bool(k.Desc)
		e.bool(k.NullsFirst)
	}
	return nil
}

func (e *encoder) children(ns []logical.Node) error {
	e.count(len(ns))
	for _, c := range ns {
		if err := e.node(c); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) node(n logical.Node) error {
	switch n := n.(type) {
	case *logical.Scan:
		if n.Table == nil {
			return sqlerr.New(sqlerr.InternalError, "plancodec: scan without a table")
		}
		if n.Table.InMemory() {
			return notShippable("table %s is in memory on this node", n.Table.Name)
		}
		e.byte(tagScan)
		e.str(n.Table.Name)
		e.str(n.Alias)
		e.count(len(n.Cols))
		for _, c := range n.Cols {
			e.int(c)
		}
		if err := e.exprs(n.Filters); err != nil {
			return err
		}
		e.schema(n.Out)
		e.bool(n.Assigned)
		e.count(len(n.Splits))
		for _, s := range n.Splits {
			e.str(s.File)
			e.int(s.RowGroup)
		}
	case *logical.Values:
		e.byte(tagValues)
		e.count(len(n.Rows))
		for _, r := range n.Rows {
			if err := e.exprs(r); err != nil {
				return err
			}
		}
		e.schema(n.Out)
	case *logical.Filter:
		e.byte(tagFilter)
		if err := e.expr(n.Cond); err != nil {
			return err
		}
		return e.node(n.Input)
	case *logical.Project:
		e.byte(tagProject)
		if err := e.exprs(n.Exprs); err != nil {
			return err
		}
		e.schema(n.Out)
		return e.node(n.Input)
	case *logical.Aggregate:
		e.byte(tagAggregate)
		e.byte(byte(n.Phase))
		if err := e.exprs(n.Groups); err != nil {
			return err
		}
		e.count(len(n.Aggs))
		for _, a := range n.Aggs {
			if err := e.agg(a); err != nil {
				return err
			}
		}
		e.schema(n.Out)
		return e.node(n.Input)
	case *logical.Join:
		e.byte(tagJoin)
		e.byte(byte(n.Kind))
		if err := e.expr(n.Cond); err != nil {
			return err
		}
		if err := e.node(n.Left); err != nil {
			return err
		}
		return e.node(n.Right)
	case *logical.Sort:
		e.byte(tagSort)
		if err := e.sortKeys(n.Keys); err != nil {
			return err
		}
		return e.node(n.Input)
	case *logical.Limit:
		e.byte(tagLimit)
		e.varint(n.Offset)
		e.varint(n.Count)
		return e.node(n.Input)
	case *logical.Union:
		e.byte(tagUnion)
		e.schema(n.Out)
		return e.children(n.Inputs)
	case *logical.EnforceSingleRow:
		e.byte(tagEnforceSingleRow)
		return e.node(n.Input)
	case *logical.CTEScan:
		e.byte(tagCTEScan)
		e.str(n.Alias)
		return e.cte(n.CTE)
	case *logical.Window:
		e.byte(tagWindow)
		if err := e.exprs(n.Partition); err != nil {
			return err
		}
		if err := e.sortKeys(n.Order); err != nil {
			return err
		}
		e.count(len(n.Funcs))
		for _, f := range n.Funcs {
			e.str(f.Name)
			if err := e.exprs(f.Args); err != nil {
				return err
			}
			e.typ(f.T)
			e.bool(f.Frame != nil)
			if f.Frame != nil {
				e.str(f.Frame.Mode)
				e.str(f.Frame.Exclude)
				for _, b := range []logical.WindowBound{f.Frame.Start, f.Frame.End} {
					e.str(b.Kind)
					if err := e.expr(b.Offset); err != nil {
						return err
					}
				}
			}
		}
		return e.node(n.Input)
	case *logical.TableFunc:
		e.byte(tagTableFunc)
		e.str(n.Name)
		if err := e.exprs(n.Args); err != nil {
			return err
		}
		e.schema(n.Out)
	case *logical.ProjectSet:
		e.byte(tagProjectSet)
		e.count(len(n.Funcs))
		for _, f := range n.Funcs {
			e.str(f.Name)
			if err := e.exprs(f.Args); err != nil {
				return err
			}
			e.typ(f.T)
			e.bool(f.Ordinality)
		}
		e.schema(n.Out)
		return e.node(n.Input)
	case *logical.Remote:
		e.byte(tagRemote)
		e.int(n.Stage)
		e.schema(n.Out)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(n.Rows))
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(n.Largest))
		e.str(n.How)
	default:
		return sqlerr.New(sqlerr.InternalError, "plancodec: cannot encode plan node %T", n)
	}
	return nil
}

// cte writes a CTE's plan at its first reference and its number after
// that. A CTE is numbered once its plan is written, so the CTEs its plan
// reads get the lower numbers, and the decoder, numbering the same way,
// can never meet a reference to a CTE it is still reading.
func (e *encoder) cte(c *logical.CTE) error {
	if c == nil {
		return sqlerr.New(sqlerr.InternalError, "plancodec: CTE scan without a CTE")
	}
	if i, ok := e.ctes[c]; ok {
		e.uvarint(uint64(i) + 1)
		return nil
	}
	if e.writing[c] {
		return sqlerr.New(sqlerr.InternalError, "plancodec: CTE %s reads itself", c.Name)
	}
	e.writing[c] = true
	e.uvarint(0)
	e.str(c.Name)
	if err := e.node(c.Plan); err != nil {
		return err
	}
	delete(e.writing, c)
	e.ctes[c] = len(e.ctes)
	return nil
}

func (e *encoder) agg(a *expr.AggCall) error {
	if a == nil {
		return sqlerr.New(sqlerr.InternalError, "plancodec: nil aggregate call")
	}
	e.str(a.Fn)
	if err := e.exprs(a.Args); err != nil {
		return err
	}
	e.bool(a.Distinct)
	if err := e.expr(a.Filter); err != nil {
		return err
	}
	e.count(len(a.Order))
	for _, o := range a.Order {
		if err := e.expr(o.E); err != nil {
			return err
		}
		e.bool(o.Desc)
		e.bool(o.NullsFirst)
	}
	e.bool(a.WithinGroup)
	e.typ(a.T)
	return nil
}

// expr writes an expression; nil (an absent optional one) is exprNil.
func (e *encoder) expr(x expr.Expr) error {
	switch x := x.(type) {
	case nil:
		e.byte(exprNil)
	case *expr.ColRef:
		e.byte(exprColRef)
		e.int(x.Idx)
		e.typ(x.T)
		e.str(x.Name)
	case *expr.Const:
		e.byte(exprConst)
		e.typ(x.T)
		return e.value(x.Value, x.T)
	case *expr.Call:
		e.byte(exprCall)
		e.str(x.Fn)
		e.typ(x.T)
		return e.exprs(x.Args)
	case *expr.Cast:
		e.byte(exprCast)
		e.typ(x.T)
		return e.expr(x.Arg)
	case *expr.Case:
		e.byte(exprCase)
		e.typ(x.T)
		e.count(len(x.Whens))
		for _, w := range x.Whens {
			if err := e.expr(w.Cond); err != nil {
				return err
			}
			if err := e.expr(w.Result); err != nil {
				return err
			}
		}
		return e.expr(x.Else)
	case *expr.InList:
		e.byte(exprInList)
		e.bool(x.Negated)
		if err := e.expr(x.Arg); err != nil {
			return err
		}
		return e.exprs(x.List)
	case *expr.OuterRef:
		// Decorrelation removes these before optimisation; written anyway
		// so a plan that still has one fails where it runs, with the
		// executor's own message.
		e.byte(exprOuterRef)
		e.int(x.Depth)
		e.int(x.Idx)
		e.typ(x.T)
		e.str(x.Name)
	case *expr.Param:
		e.byte(exprParam)
		e.int(x.N)
		e.typ(x.T)
	default:
		return sqlerr.New(sqlerr.InternalError, "plancodec: cannot encode expression %T", x)
	}
	return nil
}

// value writes a constant in the Go type expr.Const holds it in; the
// decoder gives back exactly that type (an Int32 constant may hold an
// int64, a Date one an int32).
func (e *encoder) value(v any, t types.T) error {
	switch v := v.(type) {
	case nil:
		e.byte(valNull)
	case bool:
		if v {
			e.byte(valTrue)
		} else {
			e.byte(valFalse)
		}
	case int64:
		e.byte(valInt64)
		e.varint(v)
	case float64:
		// The bits, so NaN, -0 and the infinities come back as they were.
		e.byte(valFloat64)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
	case decimal128.Num:
		e.byte(valDecimal)
		e.varint(v.HighBits())
		e.uvarint(v.LowBits())
	case string:
		// Literal strings are not interned: they rarely repeat, and an
		// index per literal would only grow the encoder's map.
		e.byte(valString)
		e.count(len(v))
		e.buf = append(e.buf, v...)
	case []byte:
		e.byte(valBytes)
		e.count(len(v))
		e.buf = append(e.buf, v...)
	case int32:
		e.byte(valInt32)
		e.varint(int64(v))
	case types.IntervalValue:
		e.byte(valInterval)
		e.varint(int64(v.Months))
		e.varint(int64(v.Days))
		e.varint(v.Micros)
	case *expr.Native:
		return notShippable("function %s runs on this node's catalog", v.Name)
	default:
		return sqlerr.New(sqlerr.InternalError, "plancodec: cannot encode a constant of Go type %T (type %s)", v, t)
	}
	return nil
}

func notShippable(format string, args ...any) error {
	return sqlerr.Wrap(sqlerr.FeatureNotSupported, ErrNotShippable, "%s", fmt.Sprintf(format, args...))
}
