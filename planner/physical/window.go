package physical

import (
	"github.com/basaltdb/basalt/exec"
	evalexpr "github.com/basaltdb/basalt/exec/expr"
	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/exec/window"
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// window runs one Window node: the input is gathered, its partition keys,
// order keys and function arguments are projected into columns, the window
// operator sorts and computes, and a projection keeps the input's columns
// and the results.
func (p *Planner) window(x *logical.Window) ([]exec.Operator, error) {
	in, err := p.streams(x.Input)
	if err != nil {
		return nil, err
	}
	s := x.Input.Schema()
	var exprs []expr.Expr
	pre := append(logical.Schema(nil), s...)
	for i, c := range s {
		exprs = append(exprs, &expr.ColRef{Idx: i, T: c.T, Name: c.Name})
	}
	col := func(e expr.Expr) int {
		if r, ok := e.(*expr.ColRef); ok {
			return r.Idx
		}
		exprs = append(exprs, e)
		pre = append(pre, logical.Column{Name: "w", T: e.Type()})
		return len(exprs) - 1
	}
	var part []int
	for _, e := range x.Partition {
		part = append(part, col(e))
	}
	var order []ops.SortKey
	for _, k := range x.Order {
		order = append(order, ops.SortKey{Col: col(k.E), Desc: k.Desc, NullsFirst: k.NullsFirst})
	}
	var funcs []window.Func
	for _, f := range x.Funcs {
		wf := window.Func{Name: f.Name, Result: f.T, Frame: window.DefaultFrame}
		if f.Name == "ntile" {
			// The operator counts tiles in bigint; PostgreSQL's ntile is
			// integer, restored by the projection below.
			wf.Result = types.Int64T
		}
		for _, a := range f.Args {
			wf.Args = append(wf.Args, col(a))
		}
		if f.Frame != nil {
			fr, err := frame(f.Frame, x.Order)
			if err != nil {
				return nil, err
			}
			wf.Frame = fr
		}
		funcs = append(funcs, wf)
	}
	one, err := p.project([]exec.Operator{p.gather(in, x.Input)}, exprs, ArrowSchema(pre), x)
	if err != nil {
		return nil, err
	}
	m := p.Mem.Child()
	w, err := window.New(one[0], part, order, funcs, m, p.Alloc)
	if err != nil {
		return nil, err
	}
	op := p.trackMem(w, "Window", x, m)
	// Keep the input columns and the results.
	out := x.Schema()
	var keep []expr.Expr
	for i := range s {
		keep = append(keep, &expr.ColRef{Idx: i, T: s[i].T})
	}
	for i, f := range x.Funcs {
		var e expr.Expr = &expr.ColRef{Idx: len(pre) + i, T: funcs[i].Result}
		if !funcs[i].Result.Equal(f.T) {
			e = &expr.Cast{Arg: e, T: f.T}
		}
		keep = append(keep, e)
	}
	return p.project([]exec.Operator{op}, keep, ArrowSchema(out), x)
}

// frame converts a bound frame; offsets must be constants.
func frame(f *logical.WindowFrame, order []logical.SortKey) (window.Frame, error) {
	out := window.Frame{}
	switch f.Mode {
	case "rows":
		out.Mode = window.Rows
	case "range":
		out.Mode = window.Range
	case "groups":
		out.Mode = window.Groups
	}
	switch f.Exclude {
	case "current row":
		out.Exclude = window.ExcludeCurrentRow
	case "group":
		out.Exclude = window.ExcludeGroup
	case "ties":
		out.Exclude = window.ExcludeTies
	}
	bound := func(b logical.WindowBound) (window.Bound, error) {
		switch b.Kind {
		case "unbounded preceding":
			return window.Bound{Kind: window.UnboundedPreceding}, nil
		case "unbounded following":
			return window.Bound{Kind: window.UnboundedFollowing}, nil
		case "current row":
			return window.Bound{Kind: window.CurrentRow}, nil
		}
		kind := window.Preceding
		if b.Kind == "following" {
			kind = window.Following
		}
		off := b.Offset
		want := types.Int64T
		if out.Mode == window.Range {
			if len(order) != 1 {
				return window.Bound{}, sqlerr.New(sqlerr.WindowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
			}
			want = order[0].E.Type()
			if want.IsTemporal() {
				want = types.IntervalT
			}
		}
		if !off.Type().Equal(want) {
			off = &expr.Cast{Arg: off, T: want}
		}
		folded, err := evalexpr.Fold(off)
		if err != nil {
			return window.Bound{}, err
		}
		c, ok := folded.(*expr.Const)
		if !ok {
			return window.Bound{}, sqlerr.New(sqlerr.FeatureNotSupported, "window frame offsets must be constants")
		}
		if c.Value == nil {
			return window.Bound{}, sqlerr.New(sqlerr.NullValueNotAllowed, "frame starting or ending offset must not be null")
		}
		if v, ok := c.Value.(int64); ok && v < 0 {
			return window.Bound{}, sqlerr.New(sqlerr.InvalidPrecedingOrFollowingSize, "frame starting offset must not be negative")
		}
		return window.Bound{Kind: kind, Offset: c.Value}, nil
	}
	var err error
	if out.Start, err = bound(f.Start); err != nil {
		return out, err
	}
	if out.End, err = bound(f.End); err != nil {
		return out, err
	}
	return out, nil
}
