package physical

import (
	"context"

	"github.com/basaltdb/basalt/exec"
	evalexpr "github.com/basaltdb/basalt/exec/expr"
	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// collectAggregate plans a query whose aggregates include one that needs its
// group's rows (string_agg, array_agg, percentile_*, mode, or a FILTER that
// must drop rows): one CollectAggregate computes every aggregate, in Single
// mode over the gathered input.
func (p *Planner) collectAggregate(x *logical.Aggregate, in []exec.Operator) ([]exec.Operator, error) {
	var exprs []expr.Expr
	var pre logical.Schema
	col := func(e expr.Expr) int {
		exprs = append(exprs, e)
		pre = append(pre, logical.Column{Name: "a", T: e.Type()})
		return len(exprs) - 1
	}
	groupCols := make([]int, len(x.Groups))
	for i, g := range x.Groups {
		groupCols[i] = col(g)
	}
	specs := make([]ops.CollectSpec, len(x.Aggs))
	for i, a := range x.Aggs {
		spec := ops.CollectSpec{Distinct: a.Distinct, Result: a.T, Arg: -1, Sep: -1, Filter: -1}
		if a.Filter != nil {
			spec.HasFilter = true
			spec.Filter = col(a.Filter)
		}
		if !a.WithinGroup {
			for _, o := range a.Order {
				spec.OrderBy = append(spec.OrderBy, ops.SortKey{Col: col(o.E), Desc: o.Desc, NullsFirst: o.NullsFirst})
			}
		}
		if cf, ok := collectFuncs[a.Fn]; ok {
			spec.Fn = cf
			switch a.Fn {
			case "string_agg":
				spec.Arg, spec.Sep = col(a.Args[0]), col(a.Args[1])
			case "array_agg":
				spec.Arg = col(a.Args[0])
			case "mode":
				spec.Arg = col(a.Args[0])
				spec.OrderBy = withinKey(a, spec.Arg)
			case "percentile_cont", "percentile_disc":
				f, err := evalexpr.Fold(&expr.Cast{Arg: a.Args[0], T: types.Float64T})
				if err != nil {
					return nil, err
				}
				c, ok := f.(*expr.Const)
				if !ok {
					return nil, sqlerr.New(sqlerr.FeatureNotSupported, "%s needs a constant fraction", a.Fn)
				}
				if c.Value == nil {
					spec.FractionNull = true
				} else {
					spec.Fraction = c.Value.(float64)
				}
				spec.Arg = col(a.Args[1])
				spec.OrderBy = withinKey(a, spec.Arg)
			}
		} else {
			fn, ok := aggFuncs[a.Fn]
			if !ok {
				return nil, sqlerr.New(sqlerr.UndefinedFunction, "aggregate %s is not supported yet", a.Fn)
			}
			spec.Fn = ops.CollectPlain
			spec.Plain = ops.AggSpec{Fn: fn, Arg: -1, Distinct: a.Distinct, Result: a.T}
			if len(a.Args) > 0 {
				spec.Plain.Arg = col(a.Args[0])
			}
		}
		specs[i] = spec
	}
	proj, err := p.project(in, exprs, ArrowSchema(pre), x)
	if err != nil {
		return nil, err
	}
	m := p.Mem.Child()
	agg, err := ops.NewCollectAggregate(p.gather(proj, x.Input), groupCols, specs, ArrowSchema(x.Out), m, p.Alloc)
	if err != nil {
		return nil, err
	}
	return []exec.Operator{p.trackMem(agg, "CollectAggregate", x, m)}, nil
}

// withinKey is the direction of an ordered-set aggregate's WITHIN GROUP key.
func withinKey(a *expr.AggCall, arg int) []ops.SortKey {
	if len(a.Order) == 0 {
		return nil
	}
	return []ops.SortKey{{Col: arg, Desc: a.Order[0].Desc, NullsFirst: a.Order[0].NullsFirst}}
}

// tableFunc runs generate_series over constant (folded) arguments.
func (p *Planner) tableFunc(x *logical.TableFunc) ([]exec.Operator, error) {
	if x.Name == "unnest" {
		ev, err := evalexpr.Compile(x.Args[0])
		if err != nil {
			return nil, err
		}
		row := oneRow()
		defer row.Release()
		arr, err := ev.Eval(context.Background(), row, p.Alloc)
		if err != nil {
			return nil, err
		}
		defer arr.Release()
		u, err := ops.NewUnnestValues(arr, false, p.Alloc)
		if err != nil {
			return nil, err
		}
		return []exec.Operator{p.track(u, "Unnest", x)}, nil
	}
	vals := make([]any, 3)
	t := x.Out[0].T
	for i, a := range x.Args {
		f, err := evalexpr.Fold(a)
		if err != nil {
			return nil, err
		}
		c, ok := f.(*expr.Const)
		if !ok {
			// Arguments that do not fold (a function of a constant the
			// folder leaves alone) are computed at run time, over one row.
			return p.projectSet(&logical.ProjectSet{Input: &logical.Values{Rows: [][]expr.Expr{{}}},
				Funcs: []logical.SetFunc{{Name: x.Name, Args: x.Args, T: t}}, Out: x.Out})
		}
		vals[i] = c.Value
	}
	if len(x.Args) == 2 {
		vals[2] = int64(1)
		if t.Kind == types.Numeric {
			one, _ := evalexpr.Fold(&expr.Cast{Arg: &expr.Const{Value: int64(1), T: types.Int32T}, T: t})
			vals[2] = one.(*expr.Const).Value
		}
	}
	g, err := ops.NewGenerateSeries(vals[0], vals[1], vals[2], t, p.Alloc)
	if err != nil {
		return nil, err
	}
	return []exec.Operator{p.track(g, "GenerateSeries", x)}, nil
}
