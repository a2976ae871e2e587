package binder

import (
	"fmt"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// SQLSTATEs of parameter binding.
const (
	undefinedParameter = "42P02"
	ambiguousFunction  = "42725"
)

// MaxParams is the most parameters a statement may have: the wire
// protocol counts them in 16 bits.
const MaxParams = 65535

// Params are the $n parameters of a statement (the front writes $n as
// __pg_param(n), or as a numbered "?" marker where the grammar wants a
// bare number).
//
// A statement is bound twice. Described (Infer set), parameters bind as
// typed expr.Param placeholders; one whose type is Unknown takes the type
// its context asks for, as an untyped literal does and as PostgreSQL
// infers it, and the type is written back to Types, which grows to the
// highest $n used. Run, every parameter has a type and a value and binds
// as a constant, so constant folding and row-group pruning treat it like
// a literal.
type Params struct {
	// Types holds each parameter's type; Unknown: infer it (Infer only).
	Types []types.T
	// Values holds each value as PostgreSQL text; nil is NULL.
	Values []*string
	// Infer binds for a description: no values, types inferred.
	Infer bool
}

// paramRef is a parameter of still unknown type while a statement is
// described. It takes the type its context coerces it to (coerce), or
// text where nothing asks (finishUnknown), as PostgreSQL resolves an
// unknown-typed parameter; that first type is the parameter's from then
// on. It never outlives binding: an unresolved parameter fails the
// description with 42P18.
type paramRef struct {
	n int
	p *Params
}

func (r *paramRef) Type() types.T    { return types.UnknownT }
func (r *paramRef) String() string   { return fmt.Sprintf("$%d", r.n) }
func isParamRef(e expr.Expr) bool    { _, ok := e.(*paramRef); return ok }
func (r *paramRef) slot() *types.T   { return &r.p.Types[r.n-1] }
func (r *paramRef) bound() expr.Expr { return &expr.Param{N: r.n, T: *r.slot()} }

// settle gives the parameter type t unless an earlier use typed it.
func (r *paramRef) settle(t types.T) {
	if s := r.slot(); s.Kind == types.Unknown {
		*s = paramType(t)
	}
}

// bindParam binds $n.
func (b *Binder) bindParam(n int64) (expr.Expr, error) {
	p := b.Params
	if p == nil || n < 1 || n > MaxParams || (!p.Infer && int(n) > len(p.Types)) {
		return nil, sqlerr.New(undefinedParameter, "there is no parameter $%d", n)
	}
	for int(n) > len(p.Types) {
		p.Types = append(p.Types, types.UnknownT)
	}
	t := p.Types[n-1]
	if p.Infer {
		if t.Kind == types.Unknown {
			return &paramRef{n: int(n), p: p}, nil
		}
		return &expr.Param{N: int(n), T: t}, nil
	}
	if t.Kind == types.Unknown {
		// Run without a description: nothing inferred the type, so the
		// value is text, PostgreSQL's type for an unconstrained parameter.
		t = types.TextT
	}
	if int(n) > len(p.Values) {
		return nil, sqlerr.New(sqlerr.InternalError, "no value for parameter $%d", n)
	}
	v := p.Values[n-1]
	switch {
	case v == nil:
		return &expr.Const{T: t}, nil
	case t.Kind == types.Array:
		// expr.Const has no array encoding; a cast of the text folds (and
		// x = ANY of it expands to an IN list when binding).
		return &expr.Cast{Arg: &expr.Const{Value: *v, T: types.TextT}, T: t}, nil
	}
	val, vt, err := pgtext.ParseConst(*v, t)
	if err != nil {
		return nil, err
	}
	return &expr.Const{Value: val, T: vt}, nil
}

// resolveParam gives an unknown-typed parameter the type t its context
// asks for. A parameter already typed by an earlier use keeps that type and
// is coerced to t as any typed expression would be.
func (b *Binder) resolveParam(r *paramRef, t types.T, clause string) (expr.Expr, error) {
	r.settle(t)
	x := r.bound()
	if x.Type().Kind == t.Kind {
		x.(*expr.Param).T = t
		return x, nil
	}
	return b.coerce(x, t, clause)
}

// paramType is the type a parameter gets from a context of type t: the
// type without a numeric typmod, as PostgreSQL reports numeric (its value
// keeps its own scale).
func paramType(t types.T) types.T {
	switch {
	case t.Kind == types.Numeric:
		return types.NumericT(0, 0)
	case t.Kind == types.Array && t.Elem == types.Numeric:
		return types.ArrayOf(types.NumericT(0, 0))
	}
	return t
}

// paramOperandType is the type a parameter takes as an operand of op next
// to an operand of type known: known itself when the operator exists over
// two of it, as PostgreSQL tries first; otherwise the first of a few
// preferred types the operator takes (interval * $1 is interval * float8).
func paramOperandType(op string, known types.T, right bool) types.T {
	if _, _, _, err := expr.ResolveBinary(op, known, known); err == nil {
		return known
	}
	for _, c := range []types.T{types.Float64T, types.Int32T, types.TextT, types.IntervalT} {
		l, r := known, c
		if !right {
			l, r = c, known
		}
		if _, _, _, err := expr.ResolveBinary(op, l, r); err == nil {
			return c
		}
	}
	return known
}

// describing reports whether the statement is bound to be described, not
// run: binding must then have no effects.
func (b *Binder) describing() bool { return b.Params != nil && b.Params.Infer }

// checkParams ends a description: every parameter up to the highest used
// must have a type, from Parse or inferred.
func (b *Binder) checkParams() error {
	if b.Params == nil || !b.Params.Infer {
		return nil
	}
	for i, t := range b.Params.Types {
		if t.Kind == types.Unknown {
			return sqlerr.New(sqlerr.IndeterminateDatatype, "could not determine data type of parameter $%d", i+1)
		}
	}
	return nil
}
