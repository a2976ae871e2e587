package optimize

import (
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

// PushDownPredicates moves filter conjuncts as far down as they can go:
// through projections and aggregates (when they only read group keys), into
// the sides of joins (turning cross joins with an equality into inner joins)
// and finally into scans, where they prune row groups.
func PushDownPredicates(n logical.Node) (logical.Node, error) {
	return pushInto(n, nil), nil
}

// pushInto returns n with preds (bound over n's output) applied at or below it.
func pushInto(n logical.Node, preds []expr.Expr) logical.Node {
	preds = factorOrs(preds)
	switch x := n.(type) {
	case *logical.Filter:
		return pushInto(x.Input, append(preds, expr.Conjuncts(x.Cond)...))
	case *logical.Project:
		var down []expr.Expr
		for _, p := range preds {
			down = append(down, substitute(p, x.Exprs))
		}
		c := *x
		c.Input = pushInto(x.Input, down)
		return &c
	case *logical.Scan:
		if len(preds) == 0 {
			return x
		}
		c := *x
		c.Filters = append(append([]expr.Expr(nil), x.Filters...), preds...)
		return &c
	case *logical.Sort:
		c := *x
		c.Input = pushInto(x.Input, preds)
		return &c
	case *logical.Union:
		c := *x
		c.Inputs = make([]logical.Node, len(x.Inputs))
		for i, in := range x.Inputs {
			c.Inputs[i] = pushInto(in, preds)
		}
		return &c
	case *logical.Aggregate:
		var down, keep []expr.Expr
		for _, p := range preds {
			onlyGroups := len(x.Groups) > 0
			for idx := range expr.Columns(p) {
				if idx >= len(x.Groups) {
					onlyGroups = false
				}
			}
			if onlyGroups {
				down = append(down, substitute(p, x.Groups))
			} else {
				keep = append(keep, p)
			}
		}
		c := *x
		c.Input = pushInto(x.Input, down)
		return wrap(&c, keep)
	case *logical.Join:
		return pushJoin(x, preds)
	}
	// Limit, EnforceSingleRow, Values: filters stay above; children are
	// optimised on their own.
	out, _ := mapChildren(n, func(c logical.Node) (logical.Node, error) { return pushInto(c, nil), nil })
	return wrap(out, preds)
}

func wrap(n logical.Node, preds []expr.Expr) logical.Node {
	if len(preds) == 0 {
		return n
	}
	return &logical.Filter{Input: n, Cond: expr.And(preds...)}
}

// substitute replaces column i of p by exprs[i].
func substitute(p expr.Expr, exprs []expr.Expr) expr.Expr {
	return expr.Rewrite(p, func(e expr.Expr) expr.Expr {
		if c, ok := e.(*expr.ColRef); ok {
			return exprs[c.Idx]
		}
		return e
	})
}

type side int

const (
	sideNone side = iota
	sideLeft
	sideRight
	sideBoth
)

func sideOf(e expr.Expr, leftWidth int) side {
	s := sideNone
	for idx := range expr.Columns(e) {
		cur := sideLeft
		if idx >= leftWidth {
			cur = sideRight
		}
		if s == sideNone {
			s = cur
		} else if s != cur {
			return sideBoth
		}
	}
	return s
}

func shift(e expr.Expr, by int) expr.Expr {
	return expr.Remap(e, func(i int) int { return i + by })
}

func pushJoin(j *logical.Join, preds []expr.Expr) logical.Node {
	lw := len(j.Left.Schema())
	var left, right, cond, keep []expr.Expr
	conds := factorOrs(expr.Conjuncts(j.Cond))
	switch j.Kind {
	case logical.Inner, logical.Cross:
		// An OR over both sides still implies, for each side, the OR of
		// what each branch asks of that side alone. Filtering the smaller
		// side with it shrinks what the join builds (and what a cluster
		// broadcasts: TPC-H Q19's part brands and containers, Q7's
		// nations); on the larger side it would only add work to every
		// probe row that the join's condition does anyway.
		smallLeft := Estimate(j.Left) <= Estimate(j.Right)
		for _, p := range append(preds, conds...) {
			if sideOf(p, lw) == sideBoth {
				if d, ok := sideDisjunction(p, lw, sideLeft); ok && smallLeft {
					left = append(left, d)
				}
				if d, ok := sideDisjunction(p, lw, sideRight); ok && !smallLeft {
					right = append(right, shift(d, -lw))
				}
			}
			switch sideOf(p, lw) {
			case sideLeft:
				left = append(left, p)
			case sideRight:
				right = append(right, shift(p, -lw))
			case sideNone:
				if c, ok := p.(*expr.Const); ok && c.Value == true {
					continue
				}
				left = append(left, p)
			default:
				cond = append(cond, p)
			}
		}
	case logical.Left, logical.Semi, logical.Anti, logical.AntiNullAware:
		for _, p := range preds {
			if sideOf(p, lw) == sideLeft || j.Kind != logical.Left {
				left = append(left, p)
			} else {
				keep = append(keep, p)
			}
		}
		for _, p := range conds {
			switch sideOf(p, lw) {
			case sideRight:
				right = append(right, shift(p, -lw))
			case sideLeft:
				if j.Kind == logical.Semi {
					left = append(left, p)
				} else {
					cond = append(cond, p)
				}
			default:
				cond = append(cond, p)
			}
		}
	case logical.Right:
		for _, p := range preds {
			if sideOf(p, lw) == sideRight {
				right = append(right, shift(p, -lw))
			} else {
				keep = append(keep, p)
			}
		}
		for _, p := range conds {
			if sideOf(p, lw) == sideLeft {
				left = append(left, p)
			} else {
				cond = append(cond, p)
			}
		}
	default: // Full
		keep = preds
		cond = conds
	}
	c := *j
	c.Left = pushInto(j.Left, left)
	c.Right = pushInto(j.Right, right)
	c.Cond = expr.And(cond...)
	switch {
	case c.Kind == logical.Cross && c.Cond != nil:
		c.Kind = logical.Inner
	case c.Kind == logical.Inner && c.Cond == nil:
		c.Kind = logical.Cross
	case c.Kind != logical.Inner && c.Kind != logical.Cross && c.Cond == nil:
		c.Cond = &expr.Const{Value: true, T: types.BoolT}
	}
	return wrap(&c, keep)
}

// factorOrs adds, for each OR, the conjuncts common to all its branches
// (TPC-H Q19's join key sits in every branch of an OR).
func factorOrs(preds []expr.Expr) []expr.Expr {
	out := preds
	for _, p := range preds {
		c, ok := p.(*expr.Call)
		if !ok || c.Fn != "or" {
			continue
		}
		branches := disjuncts(p)
		common := map[string]expr.Expr{}
		for _, e := range expr.Conjuncts(branches[0]) {
			common[expr.Key(e)] = e
		}
		for _, br := range branches[1:] {
			seen := map[string]bool{}
			for _, e := range expr.Conjuncts(br) {
				seen[expr.Key(e)] = true
			}
			for k := range common {
				if !seen[k] {
					delete(common, k)
				}
			}
		}
		for _, e := range expr.Conjuncts(branches[0]) {
			if _, ok := common[expr.Key(e)]; ok {
				if !containsKey(out, e) {
					out = append(out, e)
				}
			}
		}
	}
	return out
}

func containsKey(es []expr.Expr, e expr.Expr) bool {
	k := expr.Key(e)
	for _, x := range es {
		if expr.Key(x) == k {
			return true
		}
	}
	return false
}

// sideDisjunction derives from an OR the OR, over its branches, of each
// branch's conjuncts that read only side want; false when some branch
// asks nothing of that side (the result would always be true).
func sideDisjunction(p expr.Expr, lw int, want side) (expr.Expr, bool) {
	branches := disjuncts(p)
	if len(branches) < 2 {
		return nil, false
	}
	var out expr.Expr
	for _, br := range branches {
		var mine []expr.Expr
		for _, c := range expr.Conjuncts(br) {
			if sideOf(c, lw) == want {
				mine = append(mine, c)
			}
		}
		if len(mine) == 0 {
			return nil, false
		}
		a := expr.And(mine...)
		if out == nil {
			out = a
		} else {
			out = &expr.Call{Fn: "or", Args: []expr.Expr{out, a}, T: types.BoolT}
		}
	}
	return out, true
}

func disjuncts(e expr.Expr) []expr.Expr {
	if c, ok := e.(*expr.Call); ok && c.Fn == "or" {
		return append(disjuncts(c.Args[0]), disjuncts(c.Args[1])...)
	}
	return []expr.Expr{e}
}
