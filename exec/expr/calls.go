package expr

import (
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

// compileCall picks the kernel for a function or operator call. Argument
// types are already those the catalog (sql/expr/functions.go) asked for.
func compileCall(e *expr.Call, args []node) (node, error) {
	fn := e.Fn
	want := func(k int) error {
		if len(args) != k {
			return internalErr("%s expects %d arguments, got %d", fn, k, len(args))
		}
		return nil
	}
	if len(args) == 1 && (fn == "-" || fn == "+") {
		// Unary forms spelled as the binary operator.
		if fn == "+" {
			return args[0], nil
		}
		return &negNode{arg: args[0], t: e.T}, nil
	}
	if len(args) == 1 && fn == "~" {
		return &bitNotNode{arg: args[0], t: e.T}, nil
	}
	switch fn {
	case "row":
		// The binder's record values (sql/binder/record.go).
		return compileRecord(args, e.T), nil
	case "&", "|", "#", "<<", ">>":
		if err := want(2); err != nil {
			return nil, err
		}
		return compileBitwise(fn, args[0], args[1], e.T)
	case expr.ArrayCtor:
		return compileArray(e, args)
	case expr.CheckSingleRow:
		if err := want(2); err != nil {
			return nil, err
		}
		return &singleRowNode{count: args[0], value: args[1]}, nil
	case "+", "-", "*", "/", "%":
		if err := want(2); err != nil {
			return nil, err
		}
		lt, rt := args[0].typ(), args[1].typ()
		if lt.IsNumeric() && rt.IsNumeric() && e.T.IsNumeric() {
			if lt.Kind != e.T.Kind || rt.Kind != e.T.Kind {
				return nil, internalErr("operands of %s are %s and %s, result %s: the binder must cast them", fn, lt, rt, e.T)
			}
			if e.T.Kind == types.Numeric && (fn == "+" || fn == "-" || fn == "%") {
				// Tolerate operands at other scales: bring them to the result's.
				var err error
				if args[0], err = rescaleNode(args[0], e.T.Scale); err != nil {
					return nil, err
				}
				if args[1], err = rescaleNode(args[1], e.T.Scale); err != nil {
					return nil, err
				}
			}
			return &arithNode{op: fn, l: args[0], r: args[1], t: e.T}, nil
		}
		return compileTemporalArith(fn, args[0], args[1], e.T)
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		if err := want(2); err != nil {
			return nil, err
		}
		if err := sameType(fn, args[0], args[1]); err != nil {
			return nil, err
		}
		if err := alignNumeric(args); err != nil {
			return nil, err
		}
		return &cmpNode{op: cmpOps[fn], l: args[0], r: args[1]}, nil
	case "is distinct from", "is not distinct from":
		if err := want(2); err != nil {
			return nil, err
		}
		if err := sameType(fn, args[0], args[1]); err != nil {
			return nil, err
		}
		if err := alignNumeric(args); err != nil {
			return nil, err
		}
		op := opNe
		if fn == "is not distinct from" {
			op = opEq
		}
		return &cmpNode{op: op, l: args[0], r: args[1], distinct: true}, nil
	case "and", "or":
		if len(args) < 2 {
			return nil, internalErr("%s with %d arguments", fn, len(args))
		}
		n := args[0]
		for k, a := range args[1:] {
			n = &andOrNode{or: fn == "or", l: n, r: a, rcols: expr.Columns(e.Args[k+1])}
		}
		return n, nil
	case "not":
		if err := want(1); err != nil {
			return nil, err
		}
		return &notNode{arg: args[0]}, nil
	case "neg":
		if err := want(1); err != nil {
			return nil, err
		}
		return &negNode{arg: args[0], t: e.T}, nil
	case "is null", "is not null", "is unknown", "is not unknown":
		if err := want(1); err != nil {
			return nil, err
		}
		return &isNode{arg: args[0], what: "null", not: fn == "is not null" || fn == "is not unknown"}, nil
	case "is true", "is not true", "is false", "is not false":
		if err := want(1); err != nil {
			return nil, err
		}
		what := "true"
		if fn == "is false" || fn == "is not false" {
			what = "false"
		}
		return &isNode{arg: args[0], what: what, not: fn == "is not true" || fn == "is not false"}, nil
	case "like", "not like", "ilike", "not ilike":
		if len(args) != 2 && len(args) != 3 {
			return nil, internalErr("%s with %d arguments", fn, len(args))
		}
		return compileLike(fn, args)
	case "coalesce":
		if len(args) == 0 {
			return nil, internalErr("coalesce without arguments")
		}
		return &coalesceNode{args: args, t: e.T, cols: expr.Columns(e)}, nil
	case "nullif":
		if err := want(2); err != nil {
			return nil, err
		}
		return &nullifNode{a: args[0], b: args[1], t: e.T}, nil
	case "greatest", "least":
		if len(args) == 0 {
			return nil, internalErr("%s without arguments", fn)
		}
		return &greatestNode{args: args, least: fn == "least", t: e.T}, nil
	}
	if n, ok, err := compileArrayFunc(fn, args, e.T); ok || err != nil {
		return n, err
	}
	if n, ok, err := compileStringFunc(fn, args, e.T); ok || err != nil {
		return n, err
	}
	if n, ok, err := compileMathFunc(fn, args, e.T); ok || err != nil {
		return n, err
	}
	if n, ok, err := compileDateFunc(fn, args, e.T); ok || err != nil {
		return n, err
	}
	if n, ok, err := compileMoreFunc(fn, args, e.T); ok || err != nil {
		return n, err
	}
	if n, ok, err := compileSysFunc(fn, args, e.T); ok || err != nil {
		return n, err
	}
	return nil, internalErr("function %s is not implemented by the executor", fn)
}

func sameType(fn string, l, r node) error {
	lt, rt := l.typ(), r.typ()
	if lt.Kind == types.Unknown || rt.Kind == types.Unknown {
		return nil
	}
	if !lt.Equal(rt) && !(lt.Kind == types.Numeric && rt.Kind == types.Numeric) {
		return internalErr("operands of %s are %s and %s: the binder must cast them to one type", fn, lt, rt)
	}
	return nil
}

// rescaleNode casts a numeric node to scale s if it has another.
func rescaleNode(n node, s int32) (node, error) {
	if t := n.typ(); t.Kind == types.Numeric && t.Scale != s {
		return compileCast(n, types.NumericT(0, s))
	}
	return n, nil
}

// alignNumeric brings numeric operands that meet in a comparison to one
// scale (the largest), in place.
func alignNumeric(args []node) error {
	s := int32(-1)
	for _, a := range args {
		if t := a.typ(); t.Kind == types.Numeric {
			s = max(s, t.Scale)
		} else {
			return nil
		}
	}
	for i := range args {
		var err error
		if args[i], err = rescaleNode(args[i], s); err != nil {
			return err
		}
	}
	return nil
}
