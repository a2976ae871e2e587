package plancodec

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// decoder reads what encoder wrote. Every method returns an error on
// input that ends early or holds an impossible value; counts are checked
// against the bytes left (each element takes at least one byte) before a
// slice is made, so corrupt input cannot ask for a huge allocation.
type decoder struct {
	buf    []byte
	tables Tables
	strs   []string
	ctes   []*logical.CTE
	depth  int
}

func (d *decoder) byte() (byte, error) {
	if len(d.buf) == 0 {
		return 0, corrupt("input ends early")
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b, nil
}

func (d *decoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		return 0, corrupt("bad unsigned varint")
	}
	d.buf = d.buf[n:]
	return v, nil
}

func (d *decoder) varint() (int64, error) {
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		return 0, corrupt("bad varint")
	}
	d.buf = d.buf[n:]
	return v, nil
}

// int reads a varint that must fit an int32: plan integers (column
// positions, row groups, stage numbers) are all small.
func (d *decoder) int() (int, error) {
	v, err := d.varint()
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, corrupt("integer %d out of range", v)
	}
	return int(v), nil
}

func (d *decoder) int32() (int32, error) {
	v, err := d.int()
	return int32(v), err
}

// count reads a number of elements each taking at least per bytes.
func (d *decoder) count(per int) (int, error) {
	v, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if v > uint64(len(d.buf)/per) {
		return 0, corrupt("count %d exceeds the %d bytes left", v, len(d.buf))
	}
	return int(v), nil
}

func (d *decoder) bool() (bool, error) {
	b, err := d.byte()
	if err != nil {
		return false, err
	}
	if b > 1 {
		return false, corrupt("bad boolean %d", b)
	}
	return b == 1, nil
}

func (d *decoder) bytes() ([]byte, error) {
	n, err := d.count(1)
	if err != nil {
		return nil, err
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b, nil
}

func (d *decoder) str() (string, error) {
	ref, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if ref > 0 {
		if ref > uint64(len(d.strs)) {
			return "", corrupt("string reference %d of %d", ref, len(d.strs))
		}
		return d.strs[ref-1], nil
	}
	b, err := d.bytes()
	if err != nil {
		return "", err
	}
	s := string(b)
	d.strs = append(d.strs, s)
	return s, nil
}

func (d *decoder) typ() (types.T, error) {
	var t types.T
	k, err := d.byte()
	if err != nil {
		return t, err
	}
	mask, err := d.byte()
	if err != nil {
		return t, err
	}
	if k > byte(types.Array) || mask > 15 {
		return t, corrupt("bad type %d/%d", k, mask)
	}
	t.Kind = types.Kind(k)
	if mask&1 != 0 {
		if t.Precision, err = d.int32(); err != nil {
			return t, err
		}
	}
	if mask&2 != 0 {
		if t.Scale, err = d.int32(); err != nil {
			return t, err
		}
	}
	if mask&4 != 0 {
		b, err := d.byte()
		if err != nil {
			return t, err
		}
		if b > byte(types.Array) {
			return t, corrupt("bad element kind %d", b)
		}
		t.Elem = types.Kind(b)
	}
	// Bounds wide enough for any real type (numeric scales, varchar
	// lengths) keep a corrupt one from making EXPLAIN print a constant
	// with a billion digits.
	if t.Precision < 0 || t.Precision > maxPrecision || t.Scale < -maxScale || t.Scale > maxScale {
		return t, corrupt("bad type precision %d, scale %d", t.Precision, t.Scale)
	}
	if mask&8 != 0 {
		b, err := d.byte()
		if err != nil {
			return t, err
		}
		if b > byte(types.Record) {
			return t, corrupt("bad type variant %d", b)
		}
		t.Variant = types.Variant(b)
	}
	return t, nil
}

const (
	maxPrecision = 1 << 24 // above PostgreSQL's largest varchar(n), 10485760
	maxScale     = 1000    // PostgreSQL's numeric scale range
)

func (d *decoder) schema() (logical.Schema, error) {
	n, err := d.count(4) // two strings, a type and a flag
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	s := make(logical.Schema, n)
	for i := range s {
		c := &s[i]
		if c.Name, err = d.str(); err != nil {
			return nil, err
		}
		if c.Table, err = d.str(); err != nil {
			return nil, err
		}
		if c.T, err = d.typ(); err != nil {
			return nil, err
		}
		if c.Nullable, err = d.bool(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (d *decoder) exprs() ([]expr.Expr, error) {
	n, err := d.count(1)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]expr.Expr, n)
	for i := range out {
		if out[i], err = d.requiredExpr(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (d *decoder) sortKeys() ([]logical.SortKey, error) {
	n, err := d.count(3)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]logical.SortKey, n)
	for i := range out {
		k := &out[i]
		if k.E, err = d.requiredExpr(); err != nil {
			return nil, err
		}
		if k.Desc, err = d.bool(); err != nil {
			return nil, err
		}
		if k.NullsFirst, err = d.bool(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return corrupt("nesting deeper than %d", maxDepth)
	}
	return nil
}

func (d *decoder) node() (logical.Node, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	n, err := d.node1()
	d.depth--
	return n, err
}

func (d *decoder) node1() (logical.Node, error) {
	tag, err := d.byte()
	if err != nil {
		return nil, err
	}
	switch tag {
	case tagScan:
		return d.scan()
	case tagValues:
		n := &logical.Values{}
		rows, err := d.count(1)
		if err != nil {
			return nil, err
		}
		if rows > 0 {
			n.Rows = make([][]expr.Expr, rows)
		}
		for i := range n.Rows {
			if n.Rows[i], err = d.exprs(); err != nil {
				return nil, err
			}
		}
		if n.Out, err = d.schema(); err != nil {
			return nil, err
		}
		return n, nil
	case tagFilter:
		n := &logical.Filter{}
		if n.Cond, err = d.requiredExpr(); err != nil {
			return nil, err
		}
		if n.Input, err = d.node(); err != nil {
			return nil, err
		}
		return n, nil
	case tagProject:
		n := &logical.Project{}
		if n.Exprs, err = d.exprs(); err != nil {
			return nil, err
		}
		if n.Out, err = d.schema(); err != nil {
			return nil, err
		}
		if n.Input, err = d.node(); err != nil {
			return nil, err
		}
		return n, nil
	case tagAggregate:
		return d.aggregate()
	case tagJoin:
		n := &logical.Join{}
		k, err := d.byte()
		if err != nil {
			return nil, err
		}
		if k > byte(logical.AntiNullAware) {
			return nil, corrupt("bad join kind %d", k)
		}
		n.Kind = logical.JoinKind(k)
		if n.Cond, err = d.expr(); err != nil {
			return nil, err
		}
		if n.Left, err = d.node(); err != nil {
			return nil, err
		}
		if n.Right, err = d.node(); err != nil {
			return nil, err
		}
		return n, nil
	case tagSort:
		n := &logical.Sort{}
		if n.Keys, err = d.sortKeys(); err != nil {
			return nil, err
		}
		if n.Input, err = d.node(); err != nil {
			return nil, err
		}
		return n, nil
	case tagLimit:
		n := &logical.Limit{}
		if n.Offset, err = d.varint(); err != nil {
			return nil, err
		}
		if n.Count, err = d.varint(); err != nil {
			return nil, err
		}
		if n.Input, err = d.node(); err != nil {
			return nil, err
		}
		return n, nil
	case tagUnion:
		n := &logical.Union{}
		if n.Out, err = d.schema(); err != nil {
			return nil, err
		}
		k, err := d.count(1)
		if err != nil {
			return nil, err
		}
		if k > 0 {
			n.Inputs = make([]logical.Node, k)
		}
		for i := range n.Inputs {
			if n.Inputs[i], err = d.node(); err != nil {
				return nil, err
			}
		}
		return n, nil
	case tagEnforceSingleRow:
		n := &logical.EnforceSingleRow{}
		if n.Input, err = d.node(); err != nil {
			return nil, err
		}
		return n, nil
	case tagCTEScan:
		n := &logical.CTEScan{}
		if n.Alias, err = d.str(); err != nil {
			return nil, err
		}
		if n.CTE, err = d.cte(); err != nil {
			return nil, err
		}
		return n, nil
	case tagWindow:
		return d.window()
	case tagTableFunc:
		n := &logical.TableFunc{}
		if n.Name, err = d.str(); err != nil {
			return nil, err
		}
		if n.Args, err = d.exprs(); err != nil {
			return nil, err
		}
		if n.Out, err = d.schema(); err != nil {
			return nil, err
		}
		return n, nil
	case tagProjectSet:
		return d.projectSet()
	case tagRemote:
		n := &logical.Remote{}
		if n.Stage, err = d.int(); err != nil {
			return nil, err
		}
		if n.Out, err = d.schema(); err != nil {
			return nil, err
		}
		if len(d.buf) < 8 {
			return nil, corrupt("input ends early")
		}
		n.Rows = math.Float64frombits(binary.LittleEndian.Uint64(d.buf))
		d.buf = d.buf[8:]
		if len(d.buf) < 8 {
			return nil, corrupt("input ends early")
		}
		n.Largest = math.Float64frombits(binary.LittleEndian.Uint64(d.buf))
		d.buf = d.buf[8:]
		if n.How, err = d.str(); err != nil {
			return nil, err
		}
		return n, nil
	}
	return nil, corrupt("unknown plan node tag %d", tag)
}

func (d *decoder) scan() (logical.Node, error) {
	name, err := d.str()
	if err != nil {
		return nil, err
	}
	var t *storage.Table
	var ok bool
	if d.tables != nil {
		t, ok = d.tables(name)
	}
	if !ok || t == nil {
		return nil, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist on this node", name)
	}
	n := &logical.Scan{Table: t}
	if n.Alias, err = d.str(); err != nil {
		return nil, err
	}
	k, err := d.count(1)
	if err != nil {
		return nil, err
	}
	if k > 0 {
		n.Cols = make([]int, k)
	}
	for i := range n.Cols {
		c, err := d.int()
		if err != nil {
			return nil, err
		}
		if c < 0 || c >= len(t.Columns) {
			return nil, sqlerr.New(sqlerr.UndefinedColumn, "plan reads column %d of table %q, which has %d columns on this node", c, name, len(t.Columns))
		}
		n.Cols[i] = c
	}
	if n.Filters, err = d.exprs(); err != nil {
		return nil, err
	}
	if n.Out, err = d.schema(); err != nil {
		return nil, err
	}
	if len(n.Out) != len(n.Cols) {
		return nil, corrupt("scan of %s reads %d columns but outputs %d", name, len(n.Cols), len(n.Out))
	}
	// A scan outputs its table's columns as they are typed; a mismatch
	// means this node's files of the table differ from the coordinator's,
	// and reading them would feed operators arrays of the wrong type.
	for i, c := range n.Cols {
		if col := t.Columns[c]; col.Type != n.Out[i].T {
			return nil, sqlerr.New(sqlerr.DatatypeMismatch, "column %q of table %q is %s on this node but %s on the coordinator", col.Name, name, col.Type, n.Out[i].T)
		}
	}
	if n.Assigned, err = d.bool(); err != nil {
		return nil, err
	}
	if k, err = d.count(2); err != nil {
		return nil, err
	}
	if k > 0 {
		n.Splits = make([]logical.SplitID, k)
	}
	for i := range n.Splits {
		s := &n.Splits[i]
		if s.File, err = d.str(); err != nil {
			return nil, err
		}
		if s.RowGroup, err = d.int(); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (d *decoder) cte() (*logical.CTE, error) {
	ref, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if ref > 0 {
		if ref > uint64(len(d.ctes)) {
			return nil, corrupt("CTE reference %d of %d", ref, len(d.ctes))
		}
		return d.ctes[ref-1], nil
	}
	c := &logical.CTE{}
	if c.Name, err = d.str(); err != nil {
		return nil, err
	}
	if c.Plan, err = d.node(); err != nil {
		return nil, err
	}
	d.ctes = append(d.ctes, c)
	return c, nil
}

func (d *decoder) aggregate() (logical.Node, error) {
	n := &logical.Aggregate{}
	p, err := d.byte()
	if err != nil {
		return nil, err
	}
	if p > byte(logical.AggFinal) {
		return nil, corrupt("bad aggregate phase %d", p)
	}
	n.Phase = logical.AggPhase(p)
	if n.Groups, err = d.exprs(); err != nil {
		return nil, err
	}
	k, err := d.count(8)
	if err != nil {
		return nil, err
	}
	if k > 0 {
		n.Aggs = make([]*expr.AggCall, k)
	}
	for i := range n.Aggs {
		if n.Aggs[i], err = d.agg(); err != nil {
			return nil, err
		}
	}
	if n.Out, err = d.schema(); err != nil {
		return nil, err
	}
	if n.Input, err = d.node(); err != nil {
		return nil, err
	}
	return n, nil
}

func (d *decoder) agg() (*expr.AggCall, error) {
	a := &expr.AggCall{}
	var err error
	if a.Fn, err = d.str(); err != nil {
		return nil, err
	}
	if a.Args, err = d.exprs(); err != nil {
		return nil, err
	}
	if a.Distinct, err = d.bool(); err != nil {
		return nil, err
	}
	if a.Filter, err = d.expr(); err != nil {
		return nil, err
	}
	k, err := d.count(3)
	if err != nil {
		return nil, err
	}
	if k > 0 {
		a.Order = make([]expr.AggOrder, k)
	}
	for i := range a.Order {
		o := &a.Order[i]
		if o.E, err = d.requiredExpr(); err != nil {
			return nil, err
		}
		if o.Desc, err = d.bool(); err != nil {
			return nil, err
		}
		if o.NullsFirst, err = d.bool(); err != nil {
			return nil, err
		}
	}
	if a.WithinGroup, err = d.bool(); err != nil {
		return nil, err
	}
	if a.T, err = d.typ(); err != nil {
		return nil, err
	}
	return a, nil
}

func (d *decoder) window() (logical.Node, error) {
	n := &logical.Window{}
	var err error
	if n.Partition, err = d.exprs(); err != nil {
		return nil, err
	}
	if n.Order, err = d.sortKeys(); err != nil {
		return nil, err
	}
	k, err := d.count(5)
	if err != nil {
		return nil, err
	}
	if k > 0 {
		n.Funcs = make([]logical.WindowFunc, k)
	}
	for i := range n.Funcs {
		f := &n.Funcs[i]
		if f.Name, err = d.str(); err != nil {
			return nil, err
		}
		if f.Args, err = d.exprs(); err != nil {
			return nil, err
		}
		if f.T, err = d.typ(); err != nil {
			return nil, err
		}
		framed, err := d.bool()
		if err != nil {
			return nil, err
		}
		if !framed {
			continue
		}
		fr := &logical.WindowFrame{}
		if fr.Mode, err = d.str(); err != nil {
			return nil, err
		}
		if fr.Exclude, err = d.str(); err != nil {
			return nil, err
		}
		for _, b := range []*logical.WindowBound{&fr.Start, &fr.End} {
			if b.Kind, err = d.str(); err != nil {
				return nil, err
			}
			if b.Offset, err = d.expr(); err != nil {
				return nil, err
			}
		}
		f.Frame = fr
	}
	if n.Input, err = d.node(); err != nil {
		return nil, err
	}
	return n, nil
}

func (d *decoder) projectSet() (logical.Node, error) {
	n := &logical.ProjectSet{}
	k, err := d.count(5)
	if err != nil {
		return nil, err
	}
	if k > 0 {
		n.Funcs = make([]logical.SetFunc, k)
	}
	for i := range n.Funcs {
		f := &n.Funcs[i]
		if f.Name, err = d.str(); err != nil {
			return nil, err
		}
		if f.Args, err = d.exprs(); err != nil {
			return nil, err
		}
		if f.T, err = d.typ(); err != nil {
			return nil, err
		}
		if f.Ordinality, err = d.bool(); err != nil {
			return nil, err
		}
	}
	if n.Out, err = d.schema(); err != nil {
		return nil, err
	}
	if n.Input, err = d.node(); err != nil {
		return nil, err
	}
	return n, nil
}

// requiredExpr reads an expression that may not be absent.
func (d *decoder) requiredExpr() (expr.Expr, error) {
	x, err := d.expr()
	if err == nil && x == nil {
		return nil, corrupt("missing expression")
	}
	return x, err
}

func (d *decoder) expr() (expr.Expr, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	x, err := d.expr1()
	d.depth--
	return x, err
}

func (d *decoder) expr1() (expr.Expr, error) {
	tag, err := d.byte()
	if err != nil {
		return nil, err
	}
	switch tag {
	case exprNil:
		return nil, nil
	case exprColRef:
		x := &expr.ColRef{}
		if x.Idx, err = d.int(); err != nil {
			return nil, err
		}
		if x.T, err = d.typ(); err != nil {
			return nil, err
		}
		if x.Name, err = d.str(); err != nil {
			return nil, err
		}
		return x, nil
	case exprConst:
		x := &expr.Const{}
		if x.T, err = d.typ(); err != nil {
			return nil, err
		}
		if x.Value, err = d.value(); err != nil {
			return nil, err
		}
		return x, nil
	case exprCall:
		x := &expr.Call{}
		if x.Fn, err = d.str(); err != nil {
			return nil, err
		}
		if x.T, err = d.typ(); err != nil {
			return nil, err
		}
		if x.Args, err = d.exprs(); err != nil {
			return nil, err
		}
		return x, nil
	case exprCast:
		x := &expr.Cast{}
		if x.T, err = d.typ(); err != nil {
			return nil, err
		}
		if x.Arg, err = d.requiredExpr(); err != nil {
			return nil, err
		}
		return x, nil
	case exprCase:
		x := &expr.Case{}
		if x.T, err = d.typ(); err != nil {
			return nil, err
		}
		k, err := d.count(2)
		if err != nil {
			return nil, err
		}
		if k > 0 {
			x.Whens = make([]expr.When, k)
		}
		for i := range x.Whens {
			w := &x.Whens[i]
			if w.Cond, err = d.requiredExpr(); err != nil {
				return nil, err
			}
			if w.Result, err = d.requiredExpr(); err != nil {
				return nil, err
			}
		}
		if x.Else, err = d.expr(); err != nil {
			return nil, err
		}
		return x, nil
	case exprInList:
		x := &expr.InList{}
		if x.Negated, err = d.bool(); err != nil {
			return nil, err
		}
		if x.Arg, err = d.requiredExpr(); err != nil {
			return nil, err
		}
		if x.List, err = d.exprs(); err != nil {
			return nil, err
		}
		return x, nil
	case exprOuterRef:
		x := &expr.OuterRef{}
		if x.Depth, err = d.int(); err != nil {
			return nil, err
		}
		if x.Idx, err = d.int(); err != nil {
			return nil, err
		}
		if x.T, err = d.typ(); err != nil {
			return nil, err
		}
		if x.Name, err = d.str(); err != nil {
			return nil, err
		}
		return x, nil
	case exprParam:
		x := &expr.Param{}
		if x.N, err = d.int(); err != nil {
			return nil, err
		}
		if x.T, err = d.typ(); err != nil {
			return nil, err
		}
		return x, nil
	}
	return nil, corrupt("unknown expression tag %d", tag)
}

func (d *decoder) value() (any, error) {
	tag, err := d.byte()
	if err != nil {
		return nil, err
	}
	switch tag {
	case valNull:
		return nil, nil
	case valFalse:
		return false, nil
	case valTrue:
		return true, nil
	case valInt64:
		return d.varint()
	case valFloat64:
		if len(d.buf) < 8 {
			return nil, corrupt("input ends early")
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(d.buf))
		d.buf = d.buf[8:]
		return v, nil
	case valDecimal:
		hi, err := d.varint()
		if err != nil {
			return nil, err
		}
		lo, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		return decimal128.New(hi, lo), nil
	case valString:
		b, err := d.bytes()
		if err != nil {
			return nil, err
		}
		return string(b), nil
	case valBytes:
		b, err := d.bytes()
		if err != nil {
			return nil, err
		}
		// A copy: the plan must not pin (or alias) the message buffer.
		return append([]byte{}, b...), nil
	case valInt32:
		return d.int32()
	case valInterval:
		var iv types.IntervalValue
		if iv.Months, err = d.int32(); err != nil {
			return nil, err
		}
		if iv.Days, err = d.int32(); err != nil {
			return nil, err
		}
		if iv.Micros, err = d.varint(); err != nil {
			return nil, err
		}
		return iv, nil
	}
	return nil, corrupt("unknown constant tag %d", tag)
}
