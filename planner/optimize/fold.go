package optimize

import (
	"github.com/basaltdb/basalt/exec/expr"
	"github.com/basaltdb/basalt/planner/logical"
	sqlexpr "github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
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
			out[i] = unwrapCastCompare(f)
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
		c.Cond = unwrapCastCompare(f)
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
		c.Cond = unwrapCastCompare(c.Cond)
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
	case *logical.TableFunc:
		// generate_series(1, array_upper(current_schemas(false), 1)):
		// arguments that fold to constants are what the operator takes.
		c := *x
		if c.Args, err = fold(x.Args); err != nil {
			return nil, err
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

// unwrapCastCompare rewrites a comparison of a widened column with a
// constant into a comparison of the column itself, so the kernel skips the
// cast and the scan can prune row groups on the column's own statistics:
// date_col::timestamp < '1995-01-01 00:00' becomes date_col < '1995-01-01',
// int4_col::int8 = 5 becomes int4_col = 5.
func unwrapCastCompare(e sqlexpr.Expr) sqlexpr.Expr {
	return sqlexpr.Rewrite(e, func(x sqlexpr.Expr) sqlexpr.Expr {
		call, ok := x.(*sqlexpr.Call)
		if !ok || len(call.Args) != 2 {
			return x
		}
		op := call.Fn
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return x
		}
		cast, okc := call.Args[0].(*sqlexpr.Cast)
		k, okk := call.Args[1].(*sqlexpr.Const)
		if !okc || !okk {
			cast, okc = call.Args[1].(*sqlexpr.Cast)
			k, okk = call.Args[0].(*sqlexpr.Const)
			op = flipOp(op)
		}
		if !okc || !okk || k.Value == nil {
			return x
		}
		from := cast.Arg.Type()
		switch {
		case from.Kind == types.Date && cast.T.Kind == types.Timestamp:
			us, ok := k.Value.(int64)
			if !ok {
				return x
			}
			const day = int64(86400_000_000)
			floor := us / day
			if us%day != 0 && us < 0 {
				floor--
			}
			exact := us == floor*day
			ceil := floor
			if !exact {
				ceil++
			}
			var d int64
			switch op {
			case "<", ">=":
				d = ceil
			case "<=", ">":
				d = floor
			case "=":
				if !exact {
					return x
				}
				d = floor
			}
			return &sqlexpr.Call{Fn: op, Args: []sqlexpr.Expr{cast.Arg, &sqlexpr.Const{Value: int32(d), T: types.DateT}}, T: types.BoolT}
		case from.IsInteger() && cast.T.IsInteger():
			v, ok := k.Value.(int64)
			if !ok || !fits(v, from.Kind) {
				return x
			}
			return &sqlexpr.Call{Fn: op, Args: []sqlexpr.Expr{cast.Arg, &sqlexpr.Const{Value: v, T: from}}, T: types.BoolT}
		}
		return x
	})
}

func fits(v int64, k types.Kind) bool {
	switch k {
	case types.Int16:
		return v >= -1<<15 && v < 1<<15
	case types.Int32:
		return v >= -1<<31 && v < 1<<31
	}
	return true
}

func flipOp(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}
