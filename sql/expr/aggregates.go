package expr

import (
	"strings"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// This file is the aggregate catalog: which aggregates exist, which
// argument types each accepts (and which casts the binder must insert), and
// the result type, following PostgreSQL. The executor (exec/ops
// HashAggregate and CollectAggregate) trusts these types.
//
// Numeric result scales are static, where PostgreSQL picks them per value:
//   - avg over integers: 16; over numeric(s): max(s, 16).
//   - var_samp, var_pop, stddev_samp, stddev_pop (and variance, stddev) over
//     integers: 16; over numeric(s): max(16, min(2s, 32)). exec/ops computes
//     them exactly and rounds to this scale (ops.StatsScale is the same
//     function).
//
// Ordered-set aggregates take their direct arguments first and then the
// WITHIN GROUP (ORDER BY x) expression:
//
//	percentile_cont(f) WITHIN GROUP (ORDER BY x)  -> args [f, x]
//	percentile_disc(f) WITHIN GROUP (ORDER BY x)  -> args [f, x]
//	mode() WITHIN GROUP (ORDER BY x)              -> args [x]

// avgScale is the scale of avg() over integers and narrower numerics.
const avgScale = 16

// statsScale is the scale of var/stddev over integer (0) or numeric(s)
// input.
func statsScale(s int32) int32 { return max(16, min(2*s, 32)) }

// aggregateKinds classifies every aggregate name.
var aggregateKinds = map[string]aggKind{
	"count": plainAgg, "count_star": plainAgg, "sum": plainAgg, "avg": plainAgg,
	"min": plainAgg, "max": plainAgg,
	"var_samp": plainAgg, "variance": plainAgg, "var_pop": plainAgg,
	"stddev": plainAgg, "stddev_samp": plainAgg, "stddev_pop": plainAgg,
	"bool_and": plainAgg, "bool_or": plainAgg, "every": plainAgg,
	"string_agg": collectAgg, "array_agg": collectAgg,
	// The binder rewrites these over string_agg (binder/json.go).
	"json_agg": collectAgg, "jsonb_agg": collectAgg,
	"percentile_cont": orderedSetAgg, "percentile_disc": orderedSetAgg, "mode": orderedSetAgg,
}

type aggKind uint8

const (
	notAgg        aggKind = iota
	plainAgg              // HashAggregate computes it (Single/Partial/Final)
	collectAgg            // needs the row values of its group (CollectAggregate), may have ORDER BY
	orderedSetAgg         // needs WITHIN GROUP (ORDER BY x); CollectAggregate
)

// IsAggregate reports whether name (lower case) is an aggregate function.
func IsAggregate(name string) bool { return aggregateKinds[name] != notAgg }

// IsOrderedSetAggregate reports whether name requires WITHIN GROUP
// (percentile_cont, percentile_disc, mode). PostgreSQL rejects a call
// without it with 42809 "WITHIN GROUP is required for ordered-set aggregate
// <name>", and WITHIN GROUP on any other aggregate with 42809 "<name> is not
// an ordered-set aggregate, so it cannot have WITHIN GROUP".
func IsOrderedSetAggregate(name string) bool { return aggregateKinds[name] == orderedSetAgg }

// NeedsCollect reports whether the aggregate needs the values of its whole
// group, so a query using it is planned with one CollectAggregate (Single
// mode) instead of a HashAggregate. Any plain aggregate with its own ORDER
// BY is computed by HashAggregate and ignores the ORDER BY (the result does
// not depend on order).
func NeedsCollect(name string) bool {
	k := aggregateKinds[name]
	return k == collectAgg || k == orderedSetAgg
}

// CanonicalAggregate maps an aggregate's aliases to one name: variance ->
// var_samp, stddev -> stddev_samp, every -> bool_and.
func CanonicalAggregate(name string) string {
	switch name {
	case "variance":
		return "var_samp"
	case "stddev":
		return "stddev_samp"
	case "every":
		return "bool_and"
	}
	return name
}

func polymorphicUnknown() error {
	return sqlerr.New(sqlerr.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
}

func undefinedAggregate(name string, args []types.T) error {
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = a.String()
	}
	return &sqlerr.Error{
		Code:    sqlerr.UndefinedFunction,
		Message: "function " + name + "(" + strings.Join(names, ", ") + ") does not exist",
		Hint:    "No function matches the given name and argument types. You might need to add explicit type casts.",
	}
}

// ResolveAggregate type-checks aggregate name (lower case) over argument
// types args and returns the types the binder must cast each argument to
// (equal to args where no cast is needed) and the result type. count(*) is
// "count_star" with no arguments (or "count" with none). An unknown name or
// unsupported argument types fail with 42883 and PostgreSQL's message.
//
// Untyped literals (types.Unknown) resolve as PostgreSQL's unknown does:
// text for string_agg, boolean for bool_and/bool_or, double for a
// percentile fraction and for percentile_cont's ordering value; mode and
// percentile_disc fail (42804) and array_agg is ambiguous (42725).
func ResolveAggregate(name string, args []types.T, distinct bool) (argTypes []types.T, ret types.T, err error) {
	kind := aggregateKinds[name]
	if kind == notAgg {
		return nil, types.T{}, undefinedAggregate(name, args)
	}
	if kind == orderedSetAgg && distinct {
		return nil, types.T{}, sqlerr.New(sqlerr.SyntaxError, "DISTINCT is not allowed in ordered-set aggregate %s", name)
	}
	fail := func() ([]types.T, types.T, error) { return nil, types.T{}, undefinedAggregate(name, args) }
	same := func(t types.T) ([]types.T, types.T, error) { return args, t, nil }
	switch name {
	case "count_star":
		if len(args) != 0 {
			return fail()
		}
		return same(types.Int64T)
	case "count":
		if len(args) > 1 {
			return fail()
		}
		return same(types.Int64T)
	case "mode":
		if len(args) != 1 {
			return fail()
		}
		t := args[0]
		if t.Kind == types.Unknown {
			return nil, types.T{}, polymorphicUnknown()
		}
		if t.Kind == types.Text {
			t.Precision = 0 // mode(varchar(3)) is varchar
		}
		return []types.T{t}, t, nil
	case "string_agg":
		if len(args) != 2 {
			return fail()
		}
		t := args[0]
		if t.Kind == types.Unknown {
			t = args[1]
		}
		if t.Kind == types.Unknown {
			t = types.TextT
		}
		if t.Kind != types.Text && t.Kind != types.Bytea {
			return fail()
		}
		for _, a := range args {
			if a.Kind != types.Unknown && a.Kind != t.Kind {
				return fail()
			}
		}
		if t.Kind == types.Text {
			// string_agg(text, text): varchar, bpchar and name arguments
			// are read as text.
			t = types.TextT
		}
		return []types.T{t, t}, t, nil
	case "percentile_cont", "percentile_disc":
		if len(args) != 2 {
			return fail()
		}
		f, x := args[0], args[1]
		if f.Kind != types.Unknown && !f.IsNumeric() {
			return fail()
		}
		if name == "percentile_disc" {
			if x.Kind == types.Unknown {
				return nil, types.T{}, polymorphicUnknown()
			}
			if x.Kind == types.Array {
				return fail()
			}
			return []types.T{types.Float64T, x}, x, nil
		}
		switch {
		case x.IsNumeric() || x.Kind == types.Unknown:
			x = types.Float64T
		case x.Kind == types.Interval:
		default:
			return fail()
		}
		return []types.T{types.Float64T, x}, x, nil
	}
	if len(args) != 1 {
		return fail()
	}
	t := args[0]
	switch name {
	case "sum":
		switch t.Kind {
		case types.Int16, types.Int32:
			return same(types.Int64T)
		case types.Int64:
			return same(types.NumericT(0, 0))
		case types.Numeric:
			return same(types.NumericT(0, t.Scale))
		case types.Float32, types.Float64, types.Interval:
			return same(t)
		}
	case "avg":
		switch t.Kind {
		case types.Int16, types.Int32, types.Int64:
			return same(types.NumericT(0, avgScale))
		case types.Numeric:
			return same(types.NumericT(0, max(t.Scale, avgScale)))
		case types.Float32, types.Float64:
			return same(types.Float64T)
		case types.Interval:
			return same(t)
		}
	case "min", "max":
		if t.Kind == types.Text && !t.IsJSON() {
			// PostgreSQL has min/max for text and bpchar only: varchar,
			// name and "char" arguments make text. bpchar(n) stays
			// bpchar(n) (PostgreSQL reports no length but prints the
			// value padded, which here only the length does).
			if t.Variant == types.Bpchar {
				return same(t)
			}
			return same(types.TextT)
		}
		return same(t)
	case "var_samp", "variance", "var_pop", "stddev", "stddev_samp", "stddev_pop":
		switch t.Kind {
		case types.Int16, types.Int32, types.Int64:
			return same(types.NumericT(0, statsScale(0)))
		case types.Numeric:
			return same(types.NumericT(0, statsScale(t.Scale)))
		case types.Float32, types.Float64:
			return same(types.Float64T)
		}
	case "bool_and", "bool_or", "every":
		if t.Kind == types.Bool || t.Kind == types.Unknown {
			return []types.T{types.BoolT}, types.BoolT, nil
		}
	case "array_agg":
		switch t.Kind {
		case types.Array:
			return nil, types.T{}, sqlerr.New(sqlerr.FeatureNotSupported, "array_agg of arrays (multidimensional arrays) is not supported")
		case types.Unknown:
			return nil, types.T{}, &sqlerr.Error{
				Code:    "42725", // ambiguous_function
				Message: "function array_agg(unknown) is not unique",
				Hint:    "Could not choose a best candidate function. You might need to add explicit type casts.",
			}
		}
		// Polymorphic results keep the type, not its length:
		// array_agg(varchar(3)) is varchar[].
		t.Precision = 0
		return same(types.ArrayOf(t))
	}
	return fail()
}
