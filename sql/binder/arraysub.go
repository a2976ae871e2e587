package binder

import (
	"sort"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// bindArraySub binds ARRAY(subquery) (the front's __pg_array_sub): the
// subquery's one column collected into an array, in the subquery's ORDER
// BY order, '{}' when it has no rows.
func (b *Binder) bindArraySub(n *ast.FuncCallExpr, ctx *exprCtx) (expr.Expr, error) {
	if len(n.Args) != 1 {
		return nil, sqlerr.New(sqlerr.SyntaxError, "ARRAY() takes one subquery")
	}
	sub, ok := n.Args[0].(*ast.SubqueryExpr)
	if !ok {
		return nil, sqlerr.New(sqlerr.SyntaxError, "ARRAY() takes a subquery")
	}
	q, err := b.bindResultSet(sub.Query, ctx.sc)
	if err != nil {
		return nil, err
	}
	if q.nOut != 1 {
		return nil, sqlerr.New(sqlerr.SyntaxError, "subquery must return only one column")
	}
	et := q.plan.Schema()[0].T
	if et.Kind == types.Array {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "ARRAY() of an array-valued subquery (a multidimensional array) is not supported")
	}
	if et.Kind == types.Unknown {
		et = types.TextT
	}
	return &subqueryRef{q: q, t: types.ArrayOf(et), kind: subArray}, nil
}

// attachArray joins the array an ARRAY(subquery) computes for each row of
// cur. Uncorrelated, it is one aggregate row. Correlated by any
// predicates, the subquery is joined to the distinct values of the outer
// columns it reads (so it runs once, not per row), aggregated per value,
// and joined back on those columns.
func (b *Binder) attachArray(cur logical.Node, s *subqueryRef) (logical.Node, expr.Expr, error) {
	width := len(cur.Schema())
	q := s.q
	inner, order := peelSort(q.plan)
	empty := &expr.Cast{Arg: &expr.Const{Value: "{}", T: types.TextT}, T: s.t}
	elem := func(shift int) *expr.AggCall {
		in := inner.Schema()
		a := &expr.AggCall{Fn: "array_agg", Args: []expr.Expr{&expr.ColRef{Idx: shift, T: in[0].T, Name: in[0].Name}}, T: s.t}
		for _, k := range order {
			a.Order = append(a.Order, expr.AggOrder{E: expr.Remap(k.E, func(i int) int { return i + shift }), Desc: k.Desc, NullsFirst: k.NullsFirst})
		}
		return a
	}
	if len(q.corr) == 0 {
		agg := &logical.Aggregate{Input: inner, Aggs: []*expr.AggCall{elem(0)}, Out: logical.Schema{{Name: "array", T: s.t, Nullable: true}}}
		cur = &logical.Join{Left: cur, Right: agg, Kind: logical.Cross}
		val := &expr.Call{Fn: "coalesce", Args: []expr.Expr{&expr.ColRef{Idx: width, T: s.t, Name: "array"}, empty}, T: s.t}
		return cur, val, nil
	}
	// The outer columns the correlation reads.
	keySet := map[int]types.T{}
	for _, c := range q.corr {
		var err error
		expr.Walk(c, func(x expr.Expr) bool {
			if o, ok := x.(*expr.OuterRef); ok {
				if o.Depth != 1 {
					err = sqlerr.New(sqlerr.FeatureNotSupported, "subquery correlated to a query two or more levels out is not supported yet")
				}
				keySet[o.Idx] = o.T
			}
			return true
		})
		if err != nil {
			return nil, nil, err
		}
	}
	keys := make([]int, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	pos := map[int]int{}
	distinctKeys := &logical.Aggregate{Input: cur}
	for i, k := range keys {
		pos[k] = i
		distinctKeys.Groups = append(distinctKeys.Groups, &expr.ColRef{Idx: k, T: keySet[k]})
		distinctKeys.Out = append(distinctKeys.Out, logical.Column{Name: "key", T: keySet[k], Nullable: true})
	}
	nk := len(keys)
	// A marker column tells matched inner rows from the NULLs the outer
	// join pads with, so an outer value without rows gets '{}', not {NULL}.
	innerSchema := inner.Schema()
	marked := &logical.Project{Input: inner}
	for i, c := range innerSchema {
		marked.Exprs = append(marked.Exprs, &expr.ColRef{Idx: i, T: c.T, Name: c.Name})
		marked.Out = append(marked.Out, logical.Column{Name: c.Name, T: c.T, Nullable: true})
	}
	marked.Exprs = append(marked.Exprs, &expr.Const{Value: true, T: types.BoolT})
	marked.Out = append(marked.Out, logical.Column{Name: "matched", T: types.BoolT, Nullable: true})
	var conds []expr.Expr
	for _, c := range q.corr {
		conds = append(conds, expr.Rewrite(c, func(x expr.Expr) expr.Expr {
			switch n := x.(type) {
			case *expr.ColRef:
				return &expr.ColRef{Idx: n.Idx + nk, T: n.T, Name: n.Name}
			case *expr.OuterRef:
				return &expr.ColRef{Idx: pos[n.Idx], T: n.T, Name: n.Name}
			}
			return x
		}))
	}
	joined := &logical.Join{Left: distinctKeys, Right: marked, Kind: logical.Left, Cond: expr.And(conds...)}
	a := elem(nk)
	a.Filter = &expr.Call{Fn: "is not null", Args: []expr.Expr{&expr.ColRef{Idx: nk + len(innerSchema), T: types.BoolT, Name: "matched"}}, T: types.BoolT}
	perKey := &logical.Aggregate{Input: joined, Aggs: []*expr.AggCall{a}}
	for i, k := range keys {
		perKey.Groups = append(perKey.Groups, &expr.ColRef{Idx: i, T: keySet[k]})
		perKey.Out = append(perKey.Out, logical.Column{Name: "key", T: keySet[k], Nullable: true})
	}
	perKey.Out = append(perKey.Out, logical.Column{Name: "array", T: s.t, Nullable: true})
	var back []expr.Expr
	for i, k := range keys {
		eq, err := b.binary("is not distinct from", &expr.ColRef{Idx: k, T: keySet[k]}, &expr.ColRef{Idx: width + i, T: keySet[k]})
		if err != nil {
			return nil, nil, err
		}
		back = append(back, eq)
	}
	cur = &logical.Join{Left: cur, Right: perKey, Kind: logical.Left, Cond: expr.And(back...)}
	val := &expr.Call{Fn: "coalesce", Args: []expr.Expr{&expr.ColRef{Idx: width + nk, T: s.t, Name: "array"}, empty}, T: s.t}
	return cur, val, nil
}

// peelSort takes a subquery's ORDER BY off its plan: the keys become the
// aggregate's own order.
func peelSort(n logical.Node) (logical.Node, []logical.SortKey) {
	if p, ok := n.(*logical.Project); ok {
		if srt, ok := p.Input.(*logical.Sort); ok && isIdentityPrefix(p) {
			return &logical.Project{Input: srt.Input, Exprs: p.Exprs, Out: p.Out}, remapKeys(srt.Keys, p)
		}
	}
	if srt, ok := n.(*logical.Sort); ok {
		return srt.Input, srt.Keys
	}
	return n, nil
}

// isIdentityPrefix reports whether p passes its input's first columns
// through unchanged (the binder's trimTo).
func isIdentityPrefix(p *logical.Project) bool {
	for i, e := range p.Exprs {
		if c, ok := e.(*expr.ColRef); !ok || c.Idx != i {
			return false
		}
	}
	return true
}

// remapKeys keeps the sort keys usable above a trimming projection: keys
// over trimmed-away columns cannot be, so they are kept by widening the
// projection instead.
func remapKeys(keys []logical.SortKey, p *logical.Project) []logical.SortKey {
	in := p.Input.Schema()
	for _, k := range keys {
		for idx := range expr.Columns(k.E) {
			for len(p.Exprs) <= idx {
				i := len(p.Exprs)
				p.Exprs = append(p.Exprs, &expr.ColRef{Idx: i, T: in[i].T, Name: in[i].Name})
				p.Out = append(p.Out, in[i])
			}
		}
	}
	return keys
}
