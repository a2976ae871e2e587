package optimize

import (
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

// ReduceAggregateJoins adds a semi join below an aggregate that is joined
// to a much smaller input on its group keys: only the groups that input can
// meet are worth computing. A decorrelated subquery such as TPC-H Q17's
// avg(l_quantity) per part then aggregates the lineitems of the two hundred
// parts the outer query kept, not all six million. The small input is
// computed once more for the filter, so the rule only fires when it is
// estimated well below the aggregate's input.
func ReduceAggregateJoins(n logical.Node) (logical.Node, error) {
	n, err := mapChildren(n, ReduceAggregateJoins)
	if err != nil {
		return nil, err
	}
	j, ok := n.(*logical.Join)
	if !ok || (j.Kind != logical.Left && j.Kind != logical.Inner) {
		return n, nil
	}
	lw := len(j.Left.Schema())
	// Pairs (outer column, aggregate group) from equalities in the condition.
	var outerCols, groupIdx []int
	for _, c := range expr.Conjuncts(j.Cond) {
		call, ok := c.(*expr.Call)
		if !ok || call.Fn != "=" {
			continue
		}
		a, b := colOf(call.Args[0]), colOf(call.Args[1])
		if a == nil || b == nil || !call.Args[0].Type().Equal(call.Args[1].Type()) {
			continue
		}
		if a.Idx >= lw {
			a, b = b, a
		}
		if a.Idx >= lw || b.Idx < lw {
			continue
		}
		if _, isCol := call.Args[0].(*expr.ColRef); !isCol {
			continue
		}
		if _, isCol := call.Args[1].(*expr.ColRef); !isCol {
			continue
		}
		outerCols = append(outerCols, a.Idx)
		groupIdx = append(groupIdx, b.Idx-lw)
	}
	if len(outerCols) == 0 {
		return n, nil
	}
	agg, groupCols, rebuild := findAggregate(j.Right, groupIdx)
	if agg == nil {
		return n, nil
	}
	src, srcCols := keySource(j.Left, outerCols)
	if src == nil || Estimate(src) > reduceRatio*Estimate(agg.Input) {
		return n, nil
	}
	// Semi join the aggregate's input with the keys' source.
	inW := len(agg.Input.Schema())
	var conds []expr.Expr
	for i, gc := range groupCols {
		g := agg.Groups[gc].(*expr.ColRef)
		st := src.Schema()[srcCols[i]].T
		conds = append(conds, &expr.Call{Fn: "=", Args: []expr.Expr{
			&expr.ColRef{Idx: g.Idx, T: g.T, Name: g.Name},
			&expr.ColRef{Idx: inW + srcCols[i], T: st},
		}, T: types.BoolT})
	}
	na := *agg
	na.Input = &logical.Join{Left: agg.Input, Right: src, Kind: logical.Semi, Cond: expr.And(conds...)}
	c := *j
	c.Right = rebuild(&na)
	return &c, nil
}

// reduceRatio: the keys' source must be estimated at most this fraction of
// the aggregate's input.
const reduceRatio = 0.5

// findAggregate looks through projections for the aggregate computing n's
// columns cols; every one must be a plain group column. rebuild puts a
// changed aggregate back in place.
func findAggregate(n logical.Node, cols []int) (*logical.Aggregate, []int, func(*logical.Aggregate) logical.Node) {
	switch x := n.(type) {
	case *logical.Aggregate:
		for _, c := range cols {
			if c >= len(x.Groups) {
				return nil, nil, nil
			}
			if _, ok := x.Groups[c].(*expr.ColRef); !ok {
				return nil, nil, nil
			}
		}
		return x, cols, func(a *logical.Aggregate) logical.Node { return a }
	case *logical.Project:
		inner := make([]int, len(cols))
		for i, c := range cols {
			r, ok := x.Exprs[c].(*expr.ColRef)
			if !ok {
				return nil, nil, nil
			}
			inner[i] = r.Idx
		}
		agg, gc, rebuild := findAggregate(x.Input, inner)
		if agg == nil {
			return nil, nil, nil
		}
		return agg, gc, func(a *logical.Aggregate) logical.Node {
			p := *x
			p.Input = rebuild(a)
			return &p
		}
	}
	return nil, nil, nil
}

// keySource finds a small subtree of n that produces (a superset of) the
// values of n's columns cols: it follows inner joins to the side holding
// every column and stops at a scan, filter or semi join, whose reductions
// it keeps.
func keySource(n logical.Node, cols []int) (logical.Node, []int) {
	switch x := n.(type) {
	case *logical.Project:
		inner := make([]int, len(cols))
		for i, c := range cols {
			r, ok := x.Exprs[c].(*expr.ColRef)
			if !ok {
				return nil, nil
			}
			inner[i] = r.Idx
		}
		return keySource(x.Input, inner)
	case *logical.Join:
		if x.Kind != logical.Inner && x.Kind != logical.Cross {
			if x.Kind == logical.Semi || x.Kind == logical.Anti || x.Kind == logical.AntiNullAware {
				return x, cols
			}
			return nil, nil
		}
		lw := len(x.Left.Schema())
		left, right := true, true
		for _, c := range cols {
			if c < lw {
				right = false
			} else {
				left = false
			}
		}
		switch {
		case left:
			return keySource(x.Left, cols)
		case right:
			shifted := make([]int, len(cols))
			for i, c := range cols {
				shifted[i] = c - lw
			}
			return keySource(x.Right, shifted)
		}
		return nil, nil
	case *logical.Scan, *logical.Filter:
		return x, cols
	}
	return nil, nil
}
