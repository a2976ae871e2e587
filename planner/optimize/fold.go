package optimize

import (
	"github.com/basaltdb/basalt/exec/expr"
	"github.com/basaltdb/basalt/planner/logical"
	sqlexpr "github.com/basaltdb/basalt/sql/expr"
)

// FoldConstants evaluates every constant sub-expression once at plan time,
// so that literals such as date '1998-12-01' - interval '90 days' reach the
// kernels and the Parquet pruning as plain constants.
func FoldConstants(n logical.Node) (logical.Node, error) {
	n, err := mapChildren(n, FoldConstants)
	if err != nil {
		return nil, err
	}
	fold := func(es []sqlexpr.Expr) ([]sqlexpr.Expr, error) {
		out := make([]sqlexpr.Expr, len(es))
		for i, e := range es {
			f, err := expr.Fold(e)
			if err != nil {
				return nil, err
			}
			out[i] = f
		}
		return out, nil
	}
	switch x := n.(type) {
	case *logical.Filter:
		c := *x
		f, err := expr.Fold(x.Cond)
		if err != nil {
			return nil, err
		}
		c.Cond = f
		return &c, nil
	case *logical.Project:
		c := *x
		if c.Exprs, err = fold(x.Exprs); err != nil {
			return nil, err
		}
		return &c, nil
	case *logical.Join:
		if x.Cond == nil {
			return x, nil
		}
		c := *x
		if c.Cond, err = expr.Fold(x.Cond); err != nil {
			return nil, err
		}
		return &c, nil
	case *logical.Aggregate:
		c := *x
		if c.Groups, err = fold(x.Groups); err != nil {
			return nil, err
		}
		c.Aggs = make([]*sqlexpr.AggCall, len(x.Aggs))
		for i, a := range x.Aggs {
			ac := *a
			if ac.Args, err = fold(a.Args); err != nil {
				return nil, err
			}
			c.Aggs[i] = &ac
		}
		return &c, nil
	case *logical.Values:
		c := *x
		c.Rows = make([][]sqlexpr.Expr, len(x.Rows))
		for i, r := range x.Rows {
			if c.Rows[i], err = fold(r); err != nil {
				return nil, err
			}
		}
		return &c, nil
	}
	return n, nil
}
