package binder

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// windowCall is a window function met while binding, before the Window
// node exists; its expressions are bound over the FROM scope (aggregates as
// aggRefs) and mapped after aggregation.
type windowCall struct {
	fn        logical.WindowFunc
	partition []expr.Expr
	order     []logical.SortKey
}

// windowRef stands for the i-th window call's value.
type windowRef struct {
	i int
	t types.T
}

func (w *windowRef) Type() types.T  { return w.t }
func (w *windowRef) String() string { return "window" }

var rankingFuncs = map[string]types.T{
	"row_number": types.Int64T, "rank": types.Int64T, "dense_rank": types.Int64T,
	"percent_rank": types.Float64T, "cume_dist": types.Float64T, "ntile": types.Int32T,
}

func (b *Binder) bindWindow(n *ast.WindowFuncExpr, ctx *exprCtx) (expr.Expr, error) {
	if ctx.windows == nil {
		return nil, sqlerr.New(sqlerr.WindowingError, "window functions are not allowed in %s", ctx.clause)
	}
	// The front carries EXCLUDE as a leading PARTITION BY __pg_exclude(mode).
	own := n.Spec
	exclude := ""
	if own.PartitionBy != nil && len(own.PartitionBy.Items) > 0 {
		if f, ok := own.PartitionBy.Items[0].Expr.(*ast.FuncCallExpr); ok && f.FnName.L == "__pg_exclude" && len(f.Args) == 1 {
			exclude, _ = constString(f.Args[0])
			pb := *own.PartitionBy
			pb.Items = pb.Items[1:]
			own.PartitionBy = &pb
			if len(pb.Items) == 0 {
				own.PartitionBy = nil
			}
		}
	}
	spec, err := b.resolveWindowSpec(&own, ctx.named)
	if err != nil {
		return nil, err
	}
	// Arguments and keys may use aggregates but not other window functions.
	inner := &exprCtx{sc: ctx.sc, aggs: ctx.aggs, groupings: ctx.groupings, clause: "window function calls"}
	name := strings.ToLower(n.Name)
	args := n.Args
	if len(args) == 1 {
		// The front's carrier for aggregates TiDB does not take before OVER.
		if f, ok := args[0].(*ast.FuncCallExpr); ok && f.FnName.L == "__pg_winagg" && len(f.Args) >= 1 {
			name, _ = constString(f.Args[0])
			args = f.Args[1:]
		}
	}
	call := &windowCall{fn: logical.WindowFunc{Name: name}}
	for _, a := range args {
		x, err := b.bindExpr(a, inner)
		if err != nil {
			return nil, err
		}
		if !isParamRef(x) {
			// A parameter waits for windowType: lag(x, $1) is integer.
			x = finishUnknown(x)
		}
		call.fn.Args = append(call.fn.Args, x)
	}
	if spec.PartitionBy != nil {
		for _, it := range spec.PartitionBy.Items {
			x, err := b.bindExpr(it.Expr, inner)
			if err != nil {
				return nil, err
			}
			call.partition = append(call.partition, finishUnknown(x))
		}
	}
	if spec.OrderBy != nil {
		for _, it := range spec.OrderBy.Items {
			ex, _, nf, explicit := unwrapNullsMarker(it.Expr)
			x, err := b.bindExpr(ex, inner)
			if err != nil {
				return nil, err
			}
			k := logical.SortKey{E: finishUnknown(x), Desc: it.Desc, NullsFirst: it.Desc}
			if explicit {
				k.NullsFirst = nf
			}
			call.order = append(call.order, k)
		}
	}
	if spec.Frame != nil {
		f, err := b.bindFrame(spec.Frame, inner)
		if err != nil {
			return nil, err
		}
		if exclude != "no others" {
			f.Exclude = exclude
		}
		call.fn.Frame = f
	}
	if err := b.windowType(call, n.Distinct); err != nil {
		return nil, err
	}
	if err := b.finishParamArgs(call); err != nil {
		return nil, err
	}
	*ctx.windows = append(*ctx.windows, call)
	return &windowRef{i: len(*ctx.windows) - 1, t: call.fn.T}, nil
}

// finishParamArgs gives parameters that windowType left untyped text,
// as other untyped arguments are. Their function was typed seeing an
// unknown argument, so the call is typed again with the text.
func (b *Binder) finishParamArgs(c *windowCall) error {
	left := false
	for i, a := range c.fn.Args {
		if isParamRef(a) {
			c.fn.Args[i], left = finishUnknown(a), true
		}
	}
	if !left {
		return nil
	}
	return b.windowType(c, false)
}

// windowType checks a window call's arguments and sets its result type.
func (b *Binder) windowType(c *windowCall, distinct bool) error {
	f := &c.fn
	if distinct {
		return sqlerr.New(sqlerr.FeatureNotSupported, "DISTINCT is not implemented for window functions")
	}
	if t, ok := rankingFuncs[f.Name]; ok {
		want := 0
		if f.Name == "ntile" {
			want = 1
		}
		if len(f.Args) != want {
			return sqlerr.New(sqlerr.UndefinedFunction, "function %s with %d arguments does not exist", f.Name, len(f.Args))
		}
		if f.Name == "ntile" {
			a, err := b.coerce(f.Args[0], types.Int32T, "ntile")
			if err != nil {
				return err
			}
			f.Args[0] = a
		}
		f.T = t
		return nil
	}
	switch f.Name {
	case "lag", "lead":
		if len(f.Args) < 1 || len(f.Args) > 3 {
			return sqlerr.New(sqlerr.UndefinedFunction, "function %s with %d arguments does not exist", f.Name, len(f.Args))
		}
		f.T = f.Args[0].Type()
		if len(f.Args) >= 2 {
			a, err := b.coerce(f.Args[1], types.Int32T, f.Name)
			if err != nil {
				return err
			}
			f.Args[1] = a
		}
		if len(f.Args) == 3 {
			t, err := commonType([]expr.Expr{f.Args[0], f.Args[2]}, f.Name)
			if err != nil {
				return err
			}
			f.T = t
			for _, i := range []int{0, 2} {
				if f.Args[i], err = b.coerce(f.Args[i], t, f.Name); err != nil {
					return err
				}
			}
		}
		return nil
	case "first_value", "last_value":
		if len(f.Args) != 1 {
			return sqlerr.New(sqlerr.UndefinedFunction, "function %s with %d arguments does not exist", f.Name, len(f.Args))
		}
		f.T = f.Args[0].Type()
		return nil
	case "nth_value":
		if len(f.Args) != 2 {
			return sqlerr.New(sqlerr.UndefinedFunction, "function nth_value with %d arguments does not exist", len(f.Args))
		}
		a, err := b.coerce(f.Args[1], types.Int32T, "nth_value")
		if err != nil {
			return err
		}
		f.Args[1] = a
		f.T = f.Args[0].Type()
		return nil
	}
	// An aggregate used as a window function.
	agg := &expr.AggCall{Fn: f.Name, Args: f.Args}
	if f.Name == "count" && len(f.Args) == 1 {
		if c, ok := f.Args[0].(*expr.Const); ok && c.Value != nil {
			agg.Fn, agg.Args = "count_star", nil
		}
	}
	agg.Fn = expr.CanonicalAggregate(agg.Fn)
	ts := make([]types.T, len(agg.Args))
	for i, a := range agg.Args {
		ts[i] = a.Type()
	}
	want, t, err := expr.ResolveAggregate(agg.Fn, ts, false)
	if err != nil {
		return err
	}
	for i := range agg.Args {
		if i < len(want) {
			if agg.Args[i], err = b.coerce(agg.Args[i], want[i], agg.Fn); err != nil {
				return err
			}
		}
	}
	f.Name, f.Args, f.T = agg.Fn, agg.Args, t
	return nil
}

// resolveWindowSpec applies a reference to a named window (OVER w, or
// OVER (w ORDER BY ...)), which PostgreSQL lets add ORDER BY and a frame.
func (b *Binder) resolveWindowSpec(s *ast.WindowSpec, named map[string]*ast.WindowSpec) (*ast.WindowSpec, error) {
	ref := s.Ref.L
	if s.OnlyAlias || (ref == "" && s.Name.L != "" && s.PartitionBy == nil && s.OrderBy == nil && s.Frame == nil) {
		ref = s.Name.L
	}
	if ref == "" {
		return s, nil
	}
	base, ok := named[ref]
	if !ok {
		return nil, sqlerr.New(sqlerr.UndefinedObject, "window %q does not exist", ref)
	}
	base, err := b.resolveWindowSpec(base, named)
	if err != nil {
		return nil, err
	}
	out := *base
	if s.PartitionBy != nil && !s.OnlyAlias {
		return nil, sqlerr.New(sqlerr.WindowingError, "cannot override PARTITION BY clause of window %q", ref)
	}
	if s.OrderBy != nil {
		if base.OrderBy != nil {
			return nil, sqlerr.New(sqlerr.WindowingError, "cannot override ORDER BY clause of window %q", ref)
		}
		out.OrderBy = s.OrderBy
	}
	if s.Frame != nil {
		out.Frame = s.Frame
	}
	return &out, nil
}

func (b *Binder) bindFrame(f *ast.FrameClause, ctx *exprCtx) (*logical.WindowFrame, error) {
	out := &logical.WindowFrame{}
	switch f.Type {
	case ast.Rows:
		out.Mode = "rows"
	case ast.Ranges:
		out.Mode = "range"
	case ast.Groups:
		out.Mode = "groups"
	}
	bound := func(fb ast.FrameBound) (logical.WindowBound, error) {
		switch {
		case fb.Type == ast.CurrentRow:
			return logical.WindowBound{Kind: "current row"}, nil
		case fb.UnBounded && fb.Type == ast.Preceding:
			return logical.WindowBound{Kind: "unbounded preceding"}, nil
		case fb.UnBounded:
			return logical.WindowBound{Kind: "unbounded following"}, nil
		}
		kind := "preceding"
		if fb.Type == ast.Following {
			kind = "following"
		}
		x, err := b.bindExpr(fb.Expr, ctx)
		if err != nil {
			return logical.WindowBound{}, err
		}
		if isParamRef(x) && out.Mode != "range" {
			// ROWS/GROUPS $1 PRECEDING counts rows: bigint.
			if x, err = b.coerce(x, types.Int64T, "frame"); err != nil {
				return logical.WindowBound{}, err
			}
		}
		return logical.WindowBound{Kind: kind, Offset: finishUnknown(x)}, nil
	}
	var err error
	if out.Start, err = bound(f.Extent.Start); err != nil {
		return nil, err
	}
	if out.End, err = bound(f.Extent.End); err != nil {
		return nil, err
	}
	return out, nil
}

// buildWindows adds Window nodes for the calls over cur (post-aggregation),
// one per distinct PARTITION BY / ORDER BY, and returns the column each
// call's value lands in.
func (b *Binder) buildWindows(cur logical.Node, calls []*windowCall, post func(expr.Expr) (expr.Expr, error)) (logical.Node, []int, error) {
	cols := make([]int, len(calls))
	type group struct {
		w     *logical.Window
		calls []int
	}
	var groups []*group
	byKey := map[string]*group{}
	for i, c := range calls {
		var err error
		for j := range c.fn.Args {
			if c.fn.Args[j], err = post(c.fn.Args[j]); err != nil {
				return nil, nil, err
			}
		}
		for j := range c.partition {
			if c.partition[j], err = post(c.partition[j]); err != nil {
				return nil, nil, err
			}
		}
		for j := range c.order {
			if c.order[j].E, err = post(c.order[j].E); err != nil {
				return nil, nil, err
			}
		}
		var sb strings.Builder
		for _, p := range c.partition {
			sb.WriteString(exprKey(p) + ";")
		}
		sb.WriteString("|")
		for _, k := range c.order {
			sb.WriteString(exprKey(k.E))
			if k.Desc {
				sb.WriteString(" desc")
			}
			if k.NullsFirst {
				sb.WriteString(" nf")
			}
			sb.WriteString(";")
		}
		g, ok := byKey[sb.String()]
		if !ok {
			g = &group{w: &logical.Window{Partition: c.partition, Order: c.order}}
			byKey[sb.String()] = g
			groups = append(groups, g)
		}
		g.calls = append(g.calls, i)
		g.w.Funcs = append(g.w.Funcs, c.fn)
	}
	for _, g := range groups {
		g.w.Input = cur
		width := len(cur.Schema())
		for k, ci := range g.calls {
			cols[ci] = width + k
		}
		cur = g.w
	}
	return cur, cols, nil
}
