package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// bindJSONArrow binds j -> k and j ->> k (the front's __pg_json_get and
// __pg_json_get_text): a text key reads an object's field, an integer an
// array's element, as PostgreSQL's json and jsonb operators do.
func (b *Binder) bindJSONArrow(n *ast.FuncCallExpr, ctx *exprCtx) (expr.Expr, error) {
	op := "->"
	if n.FnName.L == "__pg_json_get_text" {
		op = "->>"
	}
	if len(n.Args) != 2 {
		return nil, sqlerr.New(sqlerr.SyntaxError, "syntax error at or near %q", op)
	}
	j, err := b.bindExpr(n.Args[0], ctx)
	if err != nil {
		return nil, err
	}
	k, err := b.bindExpr(n.Args[1], ctx)
	if err != nil {
		return nil, err
	}
	jt, kt := j.Type(), k.Type()
	prefix := ""
	switch {
	case jt.Kind == types.Text && jt.Variant == types.Json:
		prefix = "json"
	case jt.Kind == types.Text && jt.Variant == types.Jsonb:
		prefix = "jsonb"
	case jt.Kind == types.Unknown:
		// json and jsonb both match an untyped literal.
		return nil, sqlerr.New(ambiguousFunction, "operator is not unique: unknown %s %s", op, kt)
	}
	fn := ""
	switch {
	case prefix == "":
	case kt.Kind == types.Text || kt.Kind == types.Unknown:
		fn = prefix + "_object_field"
	case kt.IsInteger():
		fn = prefix + "_array_element"
	}
	if fn == "" {
		return nil, &sqlerr.Error{Code: sqlerr.UndefinedFunction,
			Message: "operator does not exist: " + jt.String() + " " + op + " " + kt.String(),
			Hint:    "No operator matches the given name and argument types. You might need to add explicit type casts."}
	}
	if op == "->>" {
		fn += "_text"
	}
	return b.callFuncBound(fn, []expr.Expr{j, k})
}

// bindJSONAgg binds json_agg(x [ORDER BY ...]) and jsonb_agg as
// '[' || string_agg(coalesce(to_json(x)::text, 'null'), ', ') || ']': the
// elements' json in their order, NULLs as null, and NULL for no rows, as
// PostgreSQL's json_agg gives; jsonb_agg's text is then normalized by the
// cast to jsonb.
func (b *Binder) bindJSONAgg(fn string, arg ast.ExprNode, distinct bool, order []ast.ExprNode, ctx *exprCtx) (expr.Expr, error) {
	if ctx.aggs == nil {
		return nil, sqlerr.New(sqlerr.GroupingError, "aggregate functions are not allowed in %s", ctx.clause)
	}
	if distinct {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "%s(DISTINCT ...) is not supported yet", fn)
	}
	inner := &exprCtx{sc: ctx.sc, clause: "aggregate function calls"}
	x, err := b.bindExpr(arg, inner)
	if err != nil {
		return nil, err
	}
	if _, isSub := x.(*subqueryRef); isSub {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "subquery inside an aggregate is not supported yet")
	}
	jt := types.JsonT
	toJSON := "to_json"
	if fn == "jsonb_agg" {
		jt, toJSON = types.JsonbT, "to_jsonb"
	}
	elem, err := b.callFuncBound(toJSON, []expr.Expr{finishUnknown(x)})
	if err != nil {
		return nil, err
	}
	text := &expr.Call{Fn: "coalesce", Args: []expr.Expr{&expr.Cast{Arg: elem, T: types.TextT}, &expr.Const{Value: "null", T: types.TextT}}, T: types.TextT}
	call := &expr.AggCall{Fn: "string_agg", Args: []expr.Expr{text, &expr.Const{Value: ", ", T: types.TextT}}, T: types.TextT}
	for _, k := range order {
		e, desc, nf, _ := aggSortKey(k)
		o, err := b.bindExpr(e, inner)
		if err != nil {
			return nil, err
		}
		call.Order = append(call.Order, expr.AggOrder{E: finishUnknown(o), Desc: desc, NullsFirst: nf})
	}
	*ctx.aggs = append(*ctx.aggs, call)
	agg := &aggRef{i: len(*ctx.aggs) - 1, t: types.TextT}
	cat := func(l, r expr.Expr) expr.Expr { return &expr.Call{Fn: "||", Args: []expr.Expr{l, r}, T: types.TextT} }
	whole := cat(cat(&expr.Const{Value: "[", T: types.TextT}, agg), &expr.Const{Value: "]", T: types.TextT})
	return &expr.Cast{Arg: whole, T: jt}, nil
}
