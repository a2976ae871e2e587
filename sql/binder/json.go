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
