package optimize

import (
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
)

// PushSemiJoins moves a semi or anti join below an inner join when its
// condition reads only one side of it and its subquery is smaller than
// that side: TPC-H Q18's IN (orders with sum(quantity) > 300) then trims
// orders to a few dozen rows before lineitem is joined, instead of
// filtering six million joined rows afterwards. A large subquery stays on
// top, where the joins below have already reduced its probe side.
func PushSemiJoins(n logical.Node) (logical.Node, error) {
	n, err := mapChildren(n, PushSemiJoins)
	if err != nil {
		return nil, err
	}
	if j, ok := n.(*logical.Join); ok {
		return pushSemi(j), nil
	}
	return n, nil
}

// semiReduction: a subquery must be estimated smaller than the input it
// would filter to move below a join.
const semiReduction = 1.0

func pushSemi(j *logical.Join) logical.Node {
	switch j.Kind {
	case logical.Semi, logical.Anti, logical.AntiNullAware:
	default:
		return j
	}
	inner, ok := j.Left.(*logical.Join)
	if !ok || (inner.Kind != logical.Inner && inner.Kind != logical.Cross) {
		return j
	}
	lw := len(j.Left.Schema())
	ilw := len(inner.Left.Schema())
	s := sideOf(remapLeftOnly(j.Cond, lw), ilw)
	right := Estimate(j.Right)
	switch s {
	case sideLeft:
		if right >= semiReduction*Estimate(inner.Left) {
			return j
		}
		cond := expr.Remap(j.Cond, func(i int) int {
			if i < lw {
				return i
			}
			return i - lw + ilw
		})
		c := *inner
		c.Left = pushSemi(&logical.Join{Left: inner.Left, Right: j.Right, Kind: j.Kind, Cond: cond})
		return &c
	case sideRight:
		if right >= semiReduction*Estimate(inner.Right) {
			return j
		}
		rw := lw - ilw
		cond := expr.Remap(j.Cond, func(i int) int {
			if i < lw {
				return i - ilw
			}
			return i - lw + rw
		})
		c := *inner
		c.Right = pushSemi(&logical.Join{Left: inner.Right, Right: j.Right, Kind: j.Kind, Cond: cond})
		return &c
	}
	return j
}

// remapLeftOnly keeps only the references to the left input (columns below
// lw) so sideOf can tell which side of the inner join they come from.
func remapLeftOnly(e expr.Expr, lw int) expr.Expr {
	var refs []expr.Expr
	for c := range expr.Columns(e) {
		if c < lw {
			refs = append(refs, &expr.ColRef{Idx: c})
		}
	}
	if len(refs) == 0 {
		return &expr.Const{}
	}
	return &expr.Call{Fn: "cols", Args: refs}
}
