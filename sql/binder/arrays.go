package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// bindArray binds ARRAY[e1, ...]: the elements take their common type.
// want is the array type a surrounding cast asks for (for ARRAY[]).
func (b *Binder) bindArray(args []ast.ExprNode, want *types.T, ctx *exprCtx) (expr.Expr, error) {
	var elems []expr.Expr
	for _, a := range args {
		x, err := b.bindExpr(a, ctx)
		if err != nil {
			return nil, err
		}
		elems = append(elems, x)
	}
	var et types.T
	switch {
	case want != nil:
		et = want.ElemType()
	case len(elems) == 0:
		return nil, sqlerr.New(sqlerr.IndeterminateDatatype, "cannot determine type of empty array")
	default:
		t, err := commonType(elems, "ARRAY")
		if err != nil {
			return nil, err
		}
		et = t
	}
	if et.Kind == types.Array {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "multidimensional arrays are not supported")
	}
	for i := range elems {
		var err error
		if elems[i], err = b.coerce(elems[i], et, "ARRAY"); err != nil {
			return nil, err
		}
	}
	return &expr.Call{Fn: expr.ArrayCtor, Args: elems, T: types.ArrayOf(et)}, nil
}

// bindAnyAll binds x op ANY (array) and x op ALL (array) over an array
// whose elements are known when binding: ARRAY[...] or a constant such as
// '{1,2}'::int[]. ANY is an OR of comparisons (= ANY an IN list), ALL an
// AND, which gives SQL's NULL semantics; an empty array makes ANY false
// and ALL true.
func (b *Binder) bindAnyAll(n *ast.FuncCallExpr, all bool, ctx *exprCtx) (expr.Expr, error) {
	if len(n.Args) != 3 {
		return nil, sqlerr.New(sqlerr.SyntaxError, "syntax error in ANY/ALL")
	}
	op, _ := constString(n.Args[1])
	if op == "!=" {
		op = "<>"
	}
	x, err := b.bindExpr(n.Args[0], ctx)
	if err != nil {
		return nil, err
	}
	arr, err := b.bindExpr(n.Args[2], ctx)
	if err != nil {
		return nil, err
	}
	if isParamRef(arr) {
		// x = ANY ($1): $1 is an array of x's type.
		et := finishUnknown(x).Type()
		if et.Kind == types.Array {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "multidimensional arrays are not supported")
		}
		if arr, err = b.coerce(arr, types.ArrayOf(et), "ANY/ALL"); err != nil {
			return nil, err
		}
	}
	var elems []expr.Expr
	runtime := func() (expr.Expr, error) {
		// An array computed per row: the executor's __any/__all.
		fn := expr.AnyOp
		if all {
			fn = expr.AllOp
		}
		if arr.Type().Kind != types.Array {
			return nil, sqlerr.New(sqlerr.DatatypeMismatch, "op ANY/ALL (array) requires array on right side")
		}
		return b.callFuncBound(fn, []expr.Expr{x, arr, &expr.Const{Value: op, T: types.TextT}})
	}
	switch a := arr.(type) {
	case *expr.Call:
		if a.Fn != expr.ArrayCtor {
			return runtime()
		}
		elems = a.Args
	case *expr.Cast:
		c, ok := a.Arg.(*expr.Const)
		s, isStr := c.Value.(string)
		if !ok || !isStr || a.T.Kind != types.Array {
			return runtime()
		}
		vals, nulls, err := pgtext.ParseArray(s)
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			if nulls[i] {
				elems = append(elems, &expr.Const{T: a.T.ElemType()})
				continue
			}
			elems = append(elems, &expr.Cast{Arg: &expr.Const{Value: v, T: types.TextT}, T: a.T.ElemType()})
		}
	case *expr.Const:
		if s, ok := a.Value.(string); ok && a.T.Kind == types.Unknown {
			// x = ANY ('{a,b}'): the literal takes x's array type.
			vals, nulls, err := pgtext.ParseArray(s)
			if err != nil {
				return nil, err
			}
			for i, v := range vals {
				if nulls[i] {
					elems = append(elems, &expr.Const{T: types.UnknownT})
					continue
				}
				elems = append(elems, &expr.Const{Value: v, T: types.UnknownT})
			}
			break
		}
		return nil, sqlerr.New(sqlerr.DatatypeMismatch, "op ANY/ALL (array) requires array on right side")
	default:
		return runtime()
	}
	if len(elems) == 0 {
		return &expr.Const{Value: all, T: types.BoolT}, nil
	}
	if op == "=" && !all || op == "<>" && all {
		t, err := commonType(append([]expr.Expr{x}, elems...), "ANY")
		if err != nil {
			return nil, err
		}
		if x, err = b.coerce(x, t, "ANY"); err != nil {
			return nil, err
		}
		list := make([]expr.Expr, len(elems))
		for i, e := range elems {
			if list[i], err = b.coerce(e, t, "ANY"); err != nil {
				return nil, err
			}
		}
		return &expr.InList{Arg: x, List: list, Negated: all}, nil
	}
	var out expr.Expr
	for _, e := range elems {
		c, err := b.binary(op, x, e)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = c
			continue
		}
		join := "or"
		if all {
			join = "and"
		}
		out = &expr.Call{Fn: join, Args: []expr.Expr{out, c}, T: types.BoolT}
	}
	return out, nil
}
