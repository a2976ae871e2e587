package binder

import (
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// SystemCatalog is what the binder asks of PostgreSQL's system catalog;
// server/pgcatalog implements it for one session and statement. Without one
// only the data tables (schema public) resolve, and the reg* types and the
// catalog functions are unknown.
type SystemCatalog interface {
	// Relation resolves a table reference. Schema "" searches the
	// session's search_path. Errors are PostgreSQL's (42P01).
	Relation(schema, name string) (*storage.Table, error)
	// SchemaExists reports whether a schema of this name exists (the
	// search path skips those that do not).
	SchemaExists(name string) bool
	// RegIn reads the text form of reg* type t (a possibly qualified and
	// quoted name, or digits) as an oid; a missing object is an error
	// (42P01, 42704, 42883, 3F000) as in PostgreSQL.
	RegIn(t types.T, text string) (int64, error)
	// RegOut is the text form of an oid of reg* type t.
	RegOut(t types.T, oid int64) string
	// Function binds a catalog function (format_type, pg_get_expr,
	// has_table_privilege ...): the types to coerce the arguments to, the
	// result type and the implementation. ok is false when name is not
	// one.
	Function(name string, args []expr.Expr) (f *expr.Native, argTypes []types.T, ret types.T, ok bool, err error)
}

// regIn converts e (text) to reg* type t: a literal once, now; anything
// else row by row.
func (b *Binder) regIn(e expr.Expr, t types.T) (expr.Expr, error) {
	if b.Sys == nil {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "type %s needs the system catalog", t)
	}
	if c, ok := e.(*expr.Const); ok {
		if c.Value == nil {
			return &expr.Const{T: t}, nil
		}
		if s, ok := c.Value.(string); ok {
			oid, err := b.Sys.RegIn(t, s)
			if err != nil {
				return nil, err
			}
			return &expr.Const{Value: oid, T: t}, nil
		}
	}
	sys := b.Sys
	f := &expr.Native{Name: t.String() + "in", Strict: true, Fn: func(a []any) (any, error) {
		return sys.RegIn(t, a[0].(string))
	}}
	return expr.NewNative(f, t, e), nil
}

// regOut converts a reg* value to its name (text); out is the result
// type: text, or the reg type's output form for a result column.
func (b *Binder) regOut(e expr.Expr, out types.T) expr.Expr {
	t := e.Type()
	if b.Sys == nil {
		return &expr.Cast{Arg: e, T: out}
	}
	sys := b.Sys
	f := &expr.Native{Name: t.String() + "out", Strict: true, Fn: func(a []any) (any, error) {
		return sys.RegOut(t, a[0].(int64)), nil
	}}
	return expr.NewNative(f, out, e)
}

// castReg handles casts to and from the reg* types; ok is false when
// neither side is one.
func (b *Binder) castReg(x expr.Expr, t types.T) (expr.Expr, bool, error) {
	xt := x.Type()
	switch {
	case t.IsReg() && (xt.Kind == types.Unknown || xt.Kind == types.Text):
		e, err := b.regIn(finishUnknown(x), t)
		return e, true, err
	case t.IsReg() && (xt.IsInteger() || xt.IsReg()):
		if xt.Identical(t) {
			return x, true, nil
		}
		return &expr.Cast{Arg: x, T: t}, true, nil
	case xt.IsReg() && t.Kind == types.Text:
		return b.regOut(x, t), true, nil
	case xt.IsReg() && t.IsInteger():
		return &expr.Cast{Arg: x, T: t}, true, nil
	case t.IsReg():
		return nil, true, sqlerr.New(sqlerr.CannotCoerce, "cannot cast type %s to %s", xt, t)
	}
	return nil, false, nil
}

// outputForm turns result columns of reg* types into their names: the
// text a client sees needs the catalog, so the plan's last step computes
// it. The column keeps its reg* type (with Text storage) so clients see
// regclass, not text, in the row description.
func (b *Binder) outputForm(bound *Bound) *Bound {
	if b.Sys == nil {
		return bound
	}
	schema := bound.Plan.Schema()
	need := false
	for _, c := range schema {
		need = need || c.T.IsReg() && c.T.Kind != types.Text
	}
	if !need {
		return bound
	}
	p := &logical.Project{Input: bound.Plan}
	for i, c := range schema {
		var e expr.Expr = &expr.ColRef{Idx: i, T: c.T, Name: c.Name}
		if c.T.IsReg() && c.T.Kind != types.Text {
			e = b.regOut(e, types.T{Kind: types.Text, Variant: c.T.Variant})
		}
		out := c
		out.T = e.Type()
		p.Exprs = append(p.Exprs, e)
		p.Out = append(p.Out, out)
	}
	return &Bound{Plan: p, Names: bound.Names}
}
