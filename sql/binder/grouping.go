package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// groupingRef stands for GROUPING(args) until the aggregate exists.
type groupingRef struct {
	i    int
	args []expr.Expr
}

func (g *groupingRef) Type() types.T  { return types.Int32T }
func (g *groupingRef) String() string { return "grouping(...)" }

// groupingSets expands a GROUP BY list with ROLLUP, CUBE and GROUPING SETS
// into its grouping sets (each a list of expressions). ok is false for a
// plain GROUP BY.
func (b *Binder) groupingSets(items []*ast.ByItem, sc *scope, sel []selectItem) (sets [][]expr.Expr, ok bool, err error) {
	sets = [][]expr.Expr{nil}
	for _, it := range items {
		itemSets, marker, err := b.itemSets(it.Expr, sc, sel)
		if err != nil {
			return nil, false, err
		}
		ok = ok || marker
		// Cross product: every set so far with every set of this item.
		var next [][]expr.Expr
		for _, s := range sets {
			for _, is := range itemSets {
				next = append(next, append(append([]expr.Expr(nil), s...), is...))
			}
		}
		sets = next
	}
	return sets, ok, nil
}

func (b *Binder) itemSets(e ast.ExprNode, sc *scope, sel []selectItem) ([][]expr.Expr, bool, error) {
	f, isCall := e.(*ast.FuncCallExpr)
	if !isCall {
		g, err := b.bindGroupItem(e, sc, sel)
		return [][]expr.Expr{{g}}, false, err
	}
	bindAll := func(args []ast.ExprNode) ([]expr.Expr, error) {
		out := make([]expr.Expr, len(args))
		for i, a := range args {
			g, err := b.bindGroupItem(a, sc, sel)
			if err != nil {
				return nil, err
			}
			out[i] = g
		}
		return out, nil
	}
	switch f.FnName.L {
	case "__pg_rollup":
		es, err := bindAll(f.Args)
		if err != nil {
			return nil, true, err
		}
		var sets [][]expr.Expr
		for n := len(es); n >= 0; n-- {
			sets = append(sets, es[:n])
		}
		return sets, true, nil
	case "__pg_cube":
		es, err := bindAll(f.Args)
		if err != nil {
			return nil, true, err
		}
		if len(es) > 12 {
			return nil, true, sqlerr.New(sqlerr.ProgramLimitExceeded, "CUBE is limited to 12 elements")
		}
		// PostgreSQL's order: subsets by decreasing size, then by position.
		var sets [][]expr.Expr
		n := len(es)
		for size := n; size >= 0; size-- {
			for mask := (1 << n) - 1; mask >= 0; mask-- {
				if popcount(mask) != size {
					continue
				}
				var s []expr.Expr
				for i := 0; i < n; i++ {
					if mask&(1<<(n-1-i)) != 0 {
						s = append(s, es[i])
					}
				}
				sets = append(sets, s)
			}
		}
		return sets, true, nil
	case "__pg_grouping_sets":
		var sets [][]expr.Expr
		for _, a := range f.Args {
			if inner, ok := a.(*ast.FuncCallExpr); ok && inner.FnName.L == "__pg_set" {
				es, err := bindAll(inner.Args)
				if err != nil {
					return nil, true, err
				}
				sets = append(sets, es)
				continue
			}
			sub, _, err := b.itemSets(a, sc, sel)
			if err != nil {
				return nil, true, err
			}
			sets = append(sets, sub...)
		}
		return sets, true, nil
	}
	g, err := b.bindGroupItem(e, sc, sel)
	return [][]expr.Expr{{g}}, false, err
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// buildGroupingSets aggregates input once per grouping set and unions the
// results in the layout of one Aggregate over every group expression:
// groups (NULL where a set leaves them out), then aggs, then one column per
// GROUPING() call. The input is shared (computed once) through a CTE.
func (b *Binder) buildGroupingSets(input logical.Node, groups []expr.Expr, sets [][]int, aggs []*expr.AggCall, groupingCalls [][]int) logical.Node {
	var src func() logical.Node
	if len(sets) > 1 {
		cte := &logical.CTE{Name: "grouping sets input", Plan: input}
		if b.cteRefs == nil {
			b.cteRefs = map[*logical.CTE]int{}
		}
		b.cteRefs[cte] += len(sets)
		src = func() logical.Node { return &logical.CTEScan{CTE: cte} }
	} else {
		src = func() logical.Node { return input }
	}
	var out logical.Schema
	for i, g := range groups {
		out = append(out, logical.Column{Name: exprName(g, i), T: g.Type(), Nullable: true})
	}
	for _, a := range aggs {
		out = append(out, logical.Column{Name: a.Fn, T: a.T, Nullable: true})
	}
	for range groupingCalls {
		out = append(out, logical.Column{Name: "grouping", T: types.Int32T})
	}
	u := &logical.Union{Out: out}
	for _, set := range sets {
		agg := &logical.Aggregate{Input: src(), Aggs: aggs}
		pos := map[int]int{}
		for k, gi := range set {
			pos[gi] = k
			agg.Groups = append(agg.Groups, groups[gi])
			agg.Out = append(agg.Out, logical.Column{Name: out[gi].Name, T: groups[gi].Type(), Nullable: true})
		}
		for _, a := range aggs {
			agg.Out = append(agg.Out, logical.Column{Name: a.Fn, T: a.T, Nullable: true})
		}
		p := &logical.Project{Input: agg, Out: out}
		for gi, g := range groups {
			if k, ok := pos[gi]; ok {
				p.Exprs = append(p.Exprs, &expr.ColRef{Idx: k, T: g.Type()})
			} else {
				p.Exprs = append(p.Exprs, &expr.Const{T: g.Type()})
			}
		}
		for ai, a := range aggs {
			p.Exprs = append(p.Exprs, &expr.ColRef{Idx: len(set) + ai, T: a.T})
		}
		for _, call := range groupingCalls {
			// Bit i (from the left) is 1 when argument i is not grouped.
			v := int64(0)
			for _, gi := range call {
				v <<= 1
				if _, ok := pos[gi]; !ok {
					v |= 1
				}
			}
			p.Exprs = append(p.Exprs, &expr.Const{Value: v, T: types.Int32T})
		}
		u.Inputs = append(u.Inputs, p)
	}
	if len(u.Inputs) == 1 {
		return u.Inputs[0]
	}
	return u
}
