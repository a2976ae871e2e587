package expr

import (
	"strings"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// This file is the operator and function catalog: which argument types each
// operator and function accepts, which casts the binder must insert, and the
// result type. It follows PostgreSQL's resolution rules closely enough that
// results have PostgreSQL's types; the executor (exec/expr) implements one
// kernel per name below and trusts these types.
//
// Numeric result scales are static (a Decimal128 column has one scale),
// where PostgreSQL picks them per value:
//   - + - %: max(s1, s2)
//   - *: s1 + s2 (at most 38)
//   - /: max(s1, s2, DivScale). PostgreSQL gives at least 16 significant
//     digits, which for quotients below 1 is 20 decimals (1.0/3 =
//     0.33333333333333333333); we always use 20, so quotients >= 1 print
//     more digits than PostgreSQL would.
//   - round/trunc(numeric, n): scale n when n is a constant (ResolveCall),
//     otherwise the input's scale.
//   - extract: scale 0 for integral fields, 6 for second, epoch, julian
//     (ResolveCall; ResolveFunction alone cannot see the field and says 0).
//
// Function names the executor knows besides the SQL-visible ones:
//   "neg", "not" (unary), "is null", "is not null", "is true", "is not true",
//   "is false", "is not false", "is unknown", "is not unknown" (one argument,
//   never NULL).

// DivScale is the minimum scale of a numeric quotient.
const DivScale = 16

// NumericLiteralScale caps the scale of a numeric produced by resolution.
const maxScale = types.MaxNumericPrecision

func undefinedOperator(op string, l, r types.T) error {
	return &sqlerr.Error{
		Code:    sqlerr.UndefinedFunction,
		Message: "operator does not exist: " + l.String() + " " + op + " " + r.String(),
		Hint:    "No operator matches the given name and argument types. You might need to add explicit type casts.",
	}
}

func undefinedUnary(op string, t types.T) error {
	sym := op
	switch op {
	case "neg":
		sym = "-"
	case "not":
		sym = "NOT"
	}
	return &sqlerr.Error{
		Code:    sqlerr.UndefinedFunction,
		Message: "operator does not exist: " + sym + " " + t.String(),
		Hint:    "No operator matches the given name and argument type. You might need to add an explicit type cast.",
	}
}

func undefinedFunction(name string, args []types.T) error {
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

// IsComparison reports whether op is one of = <> < <= > >=.
func IsComparison(op string) bool {
	switch op {
	case "=", "<>", "<", "<=", ">", ">=", "is distinct from", "is not distinct from":
		return true
	}
	return false
}

// temporalRank orders date < timestamp < timestamptz for comparisons.
func temporalRank(k types.Kind) int {
	switch k {
	case types.Date:
		return 1
	case types.Timestamp:
		return 2
	case types.TimestampTZ:
		return 3
	}
	return 0
}

// CommonType returns the type values of ts are all cast to when they meet in
// a comparison, CASE, COALESCE, IN list or UNION: unknowns take the others'
// type (text if all are unknown), numbers promote, date < timestamp <
// timestamptz. ok is false when the types cannot be matched.
func CommonType(ts ...types.T) (types.T, bool) {
	var out types.T
	have := false
	for _, t := range ts {
		if t.Kind == types.Unknown {
			continue
		}
		if !have {
			out, have = t, true
			if out.Kind == types.Numeric {
				out = types.NumericT(0, t.Scale)
			}
			continue
		}
		switch {
		case out.Kind == types.Text && t.Kind == types.Text && !out.IsJSON() && !t.IsJSON():
			out = CommonString(out, t)
		case (out.Variant == types.Oid || out.IsReg()) && t.Variant == types.NoVariant && (t.Kind == types.Int16 || t.Kind == types.Int32):
			// int2 and int4 cast to oid implicitly (CASE ... typelem ... ELSE 0 is oid).
		case (t.Variant == types.Oid || t.IsReg()) && out.Variant == types.NoVariant && (out.Kind == types.Int16 || out.Kind == types.Int32):
			out = t
		case out.Identical(t):
		case out.Kind == t.Kind && out.Kind != types.Numeric && out.Variant != t.Variant:
			// oid and int8 ...: the plain type.
			if out.Kind != types.Text {
				out = out.Plain()
			}
		case out.IsNumeric() && t.IsNumeric():
			out = types.CommonNumeric(out, t)
		case temporalRank(out.Kind) > 0 && temporalRank(t.Kind) > 0:
			if temporalRank(t.Kind) > temporalRank(out.Kind) {
				out = t
			}
		default:
			return types.UnknownT, false
		}
	}
	if !have {
		return types.TextT, true
	}
	return out, true
}

// CommonString is the type two string types (text, varchar, bpchar, name,
// "char") meet as, the first met first. They cast to each other
// implicitly, so PostgreSQL keeps the first, except that varchar and bpchar
// go to name and name not back (only by assignment). A length stays only
// when both have it: varchar(3) and varchar(5) meet as varchar.
func CommonString(first, next types.T) types.T {
	if first.Variant == next.Variant {
		if first.Precision != next.Precision {
			first.Precision = 0
		}
		return first
	}
	if next.Variant == types.Name && (first.Variant == types.Varchar || first.Variant == types.Bpchar) {
		return next
	}
	first.Precision = 0
	return first
}

// arithOperand maps unknown to the other side's type for arithmetic.
func fillUnknown(l, r types.T) (types.T, types.T) {
	switch {
	case l.Kind == types.Unknown && r.Kind == types.Unknown:
		return types.TextT, types.TextT
	case l.Kind == types.Unknown:
		return r, r
	case r.Kind == types.Unknown:
		return l, l
	}
	return l, r
}

// bitInteger reports whether t takes the bitwise operators: smallint,
// integer and bigint (an int2vector element too), not oid or the reg*
// types, which PostgreSQL does not cast to integers implicitly.
func bitInteger(t types.T) bool {
	return t.IsInteger() && t.Variant != types.Oid && t.Variant != types.Xid && !t.IsReg()
}

// ResolveBinary types `l op r` by PostgreSQL's rules. It returns the types
// the two operands must be cast to and the result type, or a 42883 error.
func ResolveBinary(op string, l, r types.T) (lt, rt, ret types.T, err error) {
	op = strings.ToLower(op)
	switch op {
	case "and", "or":
		if (l.Kind == types.Bool || l.Kind == types.Unknown) && (r.Kind == types.Bool || r.Kind == types.Unknown) {
			return types.BoolT, types.BoolT, types.BoolT, nil
		}
		if l.Kind != types.Bool && l.Kind != types.Unknown {
			return l, r, ret, sqlerr.New(sqlerr.DatatypeMismatch, "argument of %s must be type boolean, not type %s", strings.ToUpper(op), l)
		}
		return l, r, ret, sqlerr.New(sqlerr.DatatypeMismatch, "argument of %s must be type boolean, not type %s", strings.ToUpper(op), r)
	case "||":
		if l.Kind == types.Bytea && r.Kind == types.Bytea {
			return types.ByteaT, types.ByteaT, types.ByteaT, nil
		}
		// text || anything (not both non-text): PostgreSQL's anytextcat.
		if l.Kind == types.Text || r.Kind == types.Text || l.Kind == types.Unknown || r.Kind == types.Unknown {
			return types.TextT, types.TextT, types.TextT, nil
		}
		return l, r, ret, undefinedOperator(op, l, r)
	case "~", "~*", "!~", "!~*":
		// POSIX regular expression match: text only, as in PostgreSQL.
		l2, r2 := fillUnknown(l, r)
		if l2.Kind == types.Text && r2.Kind == types.Text {
			return types.TextT, types.TextT, types.BoolT, nil
		}
		return l, r, ret, undefinedOperator(op, l, r)
	case "like", "not like", "ilike", "not ilike":
		l2, r2 := fillUnknown(l, r)
		if l2.Kind == types.Text && r2.Kind == types.Text {
			return types.TextT, types.TextT, types.BoolT, nil
		}
		sym := map[string]string{"like": "~~", "not like": "!~~", "ilike": "~~*", "not ilike": "!~~*"}[op]
		return l, r, ret, undefinedOperator(sym, l, r)
	}
	if IsComparison(op) {
		if (l.Kind == types.Text && l.Variant == types.Json || r.Kind == types.Text && r.Variant == types.Json) && !strings.HasPrefix(op, "is ") {
			// json has no comparison operators (jsonb has). IS [NOT]
			// DISTINCT FROM is left alone: PostgreSQL reads it against
			// NULL as IS [NOT] NULL.
			return l, r, ret, undefinedOperator(op, l, r)
		}
		if l.Kind == types.Unknown && r.Kind == types.Unknown {
			return types.TextT, types.TextT, types.BoolT, nil
		}
		c, ok := CommonType(l, r)
		if !ok {
			return l, r, ret, undefinedOperator(op, l, r)
		}
		return c, c, types.BoolT, nil
	}
	switch op {
	case "+", "-", "*", "/", "%":
	case "&", "|", "#":
		// PostgreSQL has these for int2, int4 and int8 pairs; mixed
		// widths meet at the wider type by the implicit casts.
		l2, r2 := fillUnknown(l, r)
		if !bitInteger(l2) || !bitInteger(r2) {
			return l, r, ret, undefinedOperator(op, l, r)
		}
		c := types.CommonNumeric(l2.Plain(), r2.Plain())
		return c, c, c, nil
	case "<<", ">>":
		// int2/int4/int8 shifted by an int4 count keep their type.
		l2, r2 := l, r
		if l2.Kind == types.Unknown {
			l2 = types.Int32T
		}
		if r2.Kind == types.Unknown || r2.Kind == types.Int16 {
			r2 = types.Int32T
		}
		if !bitInteger(l2) || !bitInteger(r2) || r2.Kind != types.Int32 {
			return l, r, ret, undefinedOperator(op, l, r)
		}
		return l2.Plain(), r2.Plain(), l2.Plain(), nil
	default:
		return l, r, ret, undefinedOperator(op, l, r)
	}
	if lt, rt, ret, ok := resolveTemporalArith(op, l, r); ok {
		return lt, rt, ret, nil
	}
	l2, r2 := fillUnknown(l, r)
	if !l2.IsNumeric() || !r2.IsNumeric() {
		return l, r, ret, undefinedOperator(op, l, r)
	}
	c := types.CommonNumeric(l2, r2)
	switch c.Kind {
	case types.Float32, types.Float64:
		if op == "%" {
			return l, r, ret, undefinedOperator(op, l, r)
		}
		if l2.Kind == types.Float32 && r2.Kind == types.Float32 {
			return types.Float32T, types.Float32T, types.Float32T, nil
		}
		return types.Float64T, types.Float64T, types.Float64T, nil
	case types.Numeric:
		s1, s2 := numScale(l2), numScale(r2)
		switch op {
		case "+", "-", "%":
			t := types.NumericT(0, max(s1, s2))
			return t, t, t, nil
		case "*":
			return types.NumericT(0, s1), types.NumericT(0, s2), types.NumericT(0, min(s1+s2, maxScale)), nil
		case "/":
			return types.NumericT(0, s1), types.NumericT(0, s2), types.NumericT(0, min(max(s1, s2, DivScale), maxScale)), nil
		}
	}
	return c, c, c, nil
}

// numScale is the scale a number type has once cast to numeric.
func numScale(t types.T) int32 {
	if t.Kind == types.Numeric {
		return t.Scale
	}
	return 0
}

// resolveTemporalArith handles date/time arithmetic.
func resolveTemporalArith(op string, l, r types.T) (lt, rt, ret types.T, ok bool) {
	lk, rk := l.Kind, r.Kind
	// An unknown literal next to a date/time is taken as an interval for +
	// and -, the reading PostgreSQL's resolution picks first.
	if op == "+" || op == "-" {
		if temporalOrInterval(lk) && rk == types.Unknown {
			rk, r = types.Interval, types.IntervalT
		} else if temporalOrInterval(rk) && lk == types.Unknown && op == "+" {
			lk, l = types.Interval, types.IntervalT
		}
	}
	I, D, TS, TZ, TM, IV, F := types.Int32T, types.DateT, types.TimestampT, types.TimestampTZT, types.TimeT, types.IntervalT, types.Float64T
	switch op {
	case "+":
		switch {
		case lk == types.Date && (r.IsInteger()):
			return D, I, D, true
		case l.IsInteger() && rk == types.Date:
			return I, D, D, true
		case lk == types.Date && rk == types.Interval:
			return TS, IV, TS, true
		case lk == types.Interval && rk == types.Date:
			return IV, TS, TS, true
		case lk == types.Date && rk == types.Time:
			return D, TM, TS, true
		case lk == types.Time && rk == types.Date:
			return TM, D, TS, true
		case lk == types.Timestamp && rk == types.Interval:
			return TS, IV, TS, true
		case lk == types.Interval && rk == types.Timestamp:
			return IV, TS, TS, true
		case lk == types.TimestampTZ && rk == types.Interval:
			return TZ, IV, TZ, true
		case lk == types.Interval && rk == types.TimestampTZ:
			return IV, TZ, TZ, true
		case lk == types.Interval && rk == types.Interval:
			return IV, IV, IV, true
		case lk == types.Time && rk == types.Interval:
			return TM, IV, TM, true
		case lk == types.Interval && rk == types.Time:
			return IV, TM, TM, true
		}
	case "-":
		switch {
		case lk == types.Date && r.IsInteger():
			return D, I, D, true
		case lk == types.Date && rk == types.Date:
			return D, D, I, true
		case lk == types.Date && rk == types.Interval:
			return TS, IV, TS, true
		case lk == types.Timestamp && rk == types.Interval:
			return TS, IV, TS, true
		case lk == types.TimestampTZ && rk == types.Interval:
			return TZ, IV, TZ, true
		case lk == types.Interval && rk == types.Interval:
			return IV, IV, IV, true
		case lk == types.Time && rk == types.Interval:
			return TM, IV, TM, true
		case lk == types.Time && rk == types.Time:
			return TM, TM, IV, true
		case temporalRank(lk) >= 2 && temporalRank(rk) >= 1 || temporalRank(lk) >= 1 && temporalRank(rk) >= 2:
			c := TS
			if lk == types.TimestampTZ || rk == types.TimestampTZ {
				c = TZ
			}
			return c, c, IV, true
		}
	case "*":
		switch {
		case lk == types.Interval && (r.IsNumeric() || rk == types.Unknown):
			return IV, F, IV, true
		case (l.IsNumeric() || lk == types.Unknown) && rk == types.Interval:
			return F, IV, IV, true
		}
	case "/":
		if lk == types.Interval && (r.IsNumeric() || rk == types.Unknown) {
			return IV, F, IV, true
		}
	}
	return l, r, ret, false
}

func temporalOrInterval(k types.Kind) bool {
	return k == types.Date || k == types.Timestamp || k == types.TimestampTZ || k == types.Time || k == types.Interval
}

// ResolveUnary types a unary operator: "neg" (numbers, interval), "not"
// (boolean).
func ResolveUnary(op string, t types.T) (at, ret types.T, err error) {
	switch strings.ToLower(op) {
	case "neg", "-":
		if t.Kind == types.Unknown {
			return types.Float64T, types.Float64T, nil
		}
		if t.IsNumeric() || t.Kind == types.Interval {
			if t.Kind == types.Numeric {
				t = types.NumericT(0, t.Scale)
			}
			return t, t, nil
		}
	case "+":
		if t.IsNumeric() || t.Kind == types.Interval {
			return t, t, nil
		}
	case "~":
		if bitInteger(t) {
			return t.Plain(), t.Plain(), nil
		}
	case "not":
		if t.Kind == types.Bool || t.Kind == types.Unknown {
			return types.BoolT, types.BoolT, nil
		}
		return t, t, sqlerr.New(sqlerr.DatatypeMismatch, "argument of NOT must be type boolean, not type %s", t)
	}
	return t, t, undefinedUnary(op, t)
}

// extractFieldScale is the scale of extract(field from ...) in PostgreSQL 14+.
func extractFieldScale(field string) (int32, bool) {
	switch strings.ToLower(field) {
	case "second", "seconds", "epoch", "julian":
		return 6, true
	case "millisecond", "milliseconds":
		return 3, true
	case "microsecond", "microseconds", "minute", "minutes", "hour", "hours", "day", "days", "month", "months",
		"year", "years", "quarter", "week", "dow", "isodow", "doy", "decade", "century", "millennium",
		"isoyear", "timezone", "timezone_hour", "timezone_minute":
		return 0, true
	}
	return 0, false
}

// ResolveCall is ResolveFunction with the argument expressions at hand, so
// constant arguments can shape the result type as they do in PostgreSQL:
// extract's field picks its scale and round/trunc(numeric, n) have scale n.
// The binder should prefer it.
func ResolveCall(name string, args []Expr) (argTypes []types.T, ret types.T, err error) {
	ts := make([]types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	argTypes, ret, err = ResolveFunction(name, ts)
	if err != nil {
		return
	}
	switch strings.ToLower(name) {
	case "extract":
		if c, ok := args[0].(*Const); ok {
			if s, ok := c.Value.(string); ok {
				if sc, ok := extractFieldScale(s); ok {
					ret = types.NumericT(0, sc)
				} else {
					return nil, ret, sqlerr.New(sqlerr.InvalidParameterValue, "unit \"%s\" not recognized for type %s", strings.ToLower(s), ts[1])
				}
			}
		}
	case "round", "trunc":
		if len(args) == 2 && ret.Kind == types.Numeric {
			if c, ok := args[1].(*Const); ok {
				if n, ok := c.Value.(int64); ok {
					ret = types.NumericT(0, int32(max(0, min(n, int64(maxScale)))))
				}
			}
		}
	}
	return argTypes, ret, nil
}

func allKind(ts []types.T, ok func(types.T) bool) bool {
	for _, t := range ts {
		if !ok(t) {
			return false
		}
	}
	return true
}

func isTextish(t types.T) bool { return t.Kind == types.Text || t.Kind == types.Unknown }
func isIntish(t types.T) bool  { return t.IsInteger() || t.Kind == types.Unknown }

func repeatT(t types.T, n int) []types.T {
	out := make([]types.T, n)
	for i := range out {
		out[i] = t
	}
	return out
}

// floatOrNumeric picks the variant of a math function that exists for both
// double precision and numeric: numeric args stay numeric, everything else
// (integers included, float8 being the preferred type) becomes float8.
func floatOrNumeric(t types.T) types.T {
	if t.Kind == types.Numeric {
		return types.NumericT(0, t.Scale)
	}
	return types.Float64T
}

// ResolveFunction types a call of a scalar function by name. It returns the
// types the arguments must be cast to and the result type, or 42883.
func ResolveFunction(name string, args []types.T) (argTypes []types.T, ret types.T, err error) {
	name = strings.ToLower(name)
	n := len(args)
	fail := func() ([]types.T, types.T, error) { return nil, types.UnknownT, undefinedFunction(name, args) }
	switch name {
	case "coalesce", "greatest", "least", "nullif":
		if n == 0 || (name == "nullif" && n != 2) {
			return fail()
		}
		c, ok := CommonType(args...)
		if !ok {
			return nil, c, sqlerr.New(sqlerr.DatatypeMismatch, "%s types %s and %s cannot be matched", strings.ToUpper(name), args[0], firstOther(args))
		}
		return repeatT(c, n), c, nil
	case "is null", "is not null", "is unknown", "is not unknown":
		if n != 1 {
			return fail()
		}
		t := args[0]
		if t.Kind == types.Unknown {
			t = types.TextT
		}
		return []types.T{t}, types.BoolT, nil
	case "is true", "is not true", "is false", "is not false":
		if n != 1 || !(args[0].Kind == types.Bool || args[0].Kind == types.Unknown) {
			return fail()
		}
		return []types.T{types.BoolT}, types.BoolT, nil
	case "abs":
		if n != 1 || !(args[0].IsNumeric() || args[0].Kind == types.Unknown) {
			return fail()
		}
		t := args[0]
		if t.Kind == types.Unknown {
			t = types.Float64T
		}
		if t.Kind == types.Numeric {
			t = types.NumericT(0, t.Scale)
		}
		return []types.T{t}, t, nil
	case "round", "trunc":
		switch {
		case n == 1 && (args[0].IsNumeric() || args[0].Kind == types.Unknown):
			t := floatOrNumeric(args[0])
			if t.Kind == types.Numeric {
				return []types.T{t}, types.NumericT(0, 0), nil
			}
			return []types.T{t}, t, nil
		case n == 2 && (args[0].IsNumeric() || args[0].Kind == types.Unknown) && isIntish(args[1]):
			// Only numeric has the two-argument form; PostgreSQL casts
			// integers to numeric (not float8) here.
			t := types.NumericT(0, numScale(args[0]))
			if args[0].IsFloat() {
				return fail()
			}
			return []types.T{t, types.Int32T}, t, nil
		}
		return fail()
	case "ceil", "ceiling", "floor":
		if n != 1 || !(args[0].IsNumeric() || args[0].Kind == types.Unknown) {
			return fail()
		}
		t := floatOrNumeric(args[0])
		if t.Kind == types.Numeric {
			return []types.T{t}, types.NumericT(0, 0), nil
		}
		return []types.T{t}, t, nil
	case "sign":
		if n != 1 || !(args[0].IsNumeric() || args[0].Kind == types.Unknown) {
			return fail()
		}
		t := floatOrNumeric(args[0])
		if t.Kind == types.Numeric {
			return []types.T{t}, types.NumericT(0, 0), nil
		}
		return []types.T{t}, t, nil
	case "sqrt", "cbrt", "exp", "ln", "log10", "log", "degrees", "radians", "sin", "cos", "tan", "asin", "acos", "atan":
		// numeric variants are computed in float8: results are float8.
		if name == "log" && n == 2 {
			if allKind(args, func(t types.T) bool { return t.IsNumeric() || t.Kind == types.Unknown }) {
				return []types.T{types.Float64T, types.Float64T}, types.Float64T, nil
			}
			return fail()
		}
		if n != 1 || !(args[0].IsNumeric() || args[0].Kind == types.Unknown) {
			return fail()
		}
		return []types.T{types.Float64T}, types.Float64T, nil
	case "power", "pow", "atan2":
		if n != 2 || !allKind(args, func(t types.T) bool { return t.IsNumeric() || t.Kind == types.Unknown }) {
			return fail()
		}
		return []types.T{types.Float64T, types.Float64T}, types.Float64T, nil
	case "mod":
		if n != 2 {
			return fail()
		}
		a, b, r, err := ResolveBinary("%", args[0], args[1])
		if err != nil {
			return fail()
		}
		return []types.T{a, b}, r, nil
	case "pi", "random":
		if n != 0 {
			return fail()
		}
		return nil, types.Float64T, nil
	case "upper", "lower", "initcap", "reverse", "md5":
		if n != 1 || !isTextish(args[0]) {
			if n == 1 && name == "md5" && args[0].Kind == types.Bytea {
				return []types.T{types.ByteaT}, types.TextT, nil
			}
			return fail()
		}
		return []types.T{types.TextT}, types.TextT, nil
	case "length", "char_length", "character_length", "octet_length", "bit_length":
		if n != 1 {
			return fail()
		}
		if args[0].Kind == types.Bytea && (name == "length" || name == "octet_length") {
			return []types.T{types.ByteaT}, types.Int32T, nil
		}
		if !isTextish(args[0]) {
			return fail()
		}
		return []types.T{types.TextT}, types.Int32T, nil
	case "substring", "substr":
		if name == "substring" && n == 2 && isTextish(args[0]) && isTextish(args[1]) {
			// substring(text, text) is PostgreSQL's regex form, and an
			// untyped literal picks it (the string category is preferred).
			return []types.T{types.TextT, types.TextT}, types.TextT, nil
		}
		if (n == 2 || n == 3) && isTextish(args[0]) && allKind(args[1:], isIntish) {
			return append([]types.T{types.TextT}, repeatT(types.Int32T, n-1)...), types.TextT, nil
		}
		return fail()
	case "__pg_position", "strpos", "position":
		if n == 2 && allKind(args, isTextish) {
			return []types.T{types.TextT, types.TextT}, types.Int32T, nil
		}
		return fail()
	case "trim", "btrim", "ltrim", "rtrim":
		if (n == 1 || n == 2) && allKind(args, isTextish) {
			return repeatT(types.TextT, n), types.TextT, nil
		}
		return fail()
	case "replace", "translate":
		if n == 3 && allKind(args, isTextish) {
			return repeatT(types.TextT, 3), types.TextT, nil
		}
		return fail()
	case "concat":
		if n == 0 {
			return fail()
		}
		return repeatT(types.TextT, n), types.TextT, nil
	case "concat_ws":
		if n < 1 || !isTextish(args[0]) {
			return fail()
		}
		return repeatT(types.TextT, n), types.TextT, nil
	case "left", "right", "repeat":
		if n == 2 && isTextish(args[0]) && isIntish(args[1]) {
			return []types.T{types.TextT, types.Int32T}, types.TextT, nil
		}
		return fail()
	case "lpad", "rpad":
		if (n == 2 || n == 3) && isTextish(args[0]) && isIntish(args[1]) && (n == 2 || isTextish(args[2])) {
			out := []types.T{types.TextT, types.Int32T}
			if n == 3 {
				out = append(out, types.TextT)
			}
			return out, types.TextT, nil
		}
		return fail()
	case "starts_with":
		if n == 2 && allKind(args, isTextish) {
			return []types.T{types.TextT, types.TextT}, types.BoolT, nil
		}
		return fail()
	case "split_part":
		if n == 3 && isTextish(args[0]) && isTextish(args[1]) && isIntish(args[2]) {
			return []types.T{types.TextT, types.TextT, types.Int32T}, types.TextT, nil
		}
		return fail()
	case "to_hex":
		if n == 1 && isIntish(args[0]) {
			if args[0].Kind == types.Int64 {
				return []types.T{types.Int64T}, types.TextT, nil
			}
			return []types.T{types.Int32T}, types.TextT, nil
		}
		return fail()
	case "date_part", "extract":
		if n != 2 || !isTextish(args[0]) {
			return fail()
		}
		src := args[1]
		switch src.Kind {
		case types.Date, types.Timestamp, types.TimestampTZ, types.Time, types.Interval:
		case types.Unknown:
			src = types.TimestampTZT
		default:
			return fail()
		}
		if name == "extract" {
			return []types.T{types.TextT, src}, types.NumericT(0, 0), nil
		}
		return []types.T{types.TextT, src}, types.Float64T, nil
	case "date_trunc":
		if n != 2 || !isTextish(args[0]) {
			return fail()
		}
		switch args[1].Kind {
		case types.Timestamp, types.TimestampTZ, types.Interval:
			return []types.T{types.TextT, args[1]}, args[1], nil
		case types.Date, types.Unknown:
			// date promotes to timestamptz, PostgreSQL's preferred type.
			return []types.T{types.TextT, types.TimestampTZT}, types.TimestampTZT, nil
		}
		return fail()
	case "make_date":
		if n == 3 && allKind(args, isIntish) {
			return repeatT(types.Int32T, 3), types.DateT, nil
		}
		return fail()
	case "now", "current_timestamp", "transaction_timestamp", "statement_timestamp", "localtimestamp", "current_date":
		if n != 0 {
			return fail()
		}
		switch name {
		case "current_date":
			return nil, types.DateT, nil
		case "localtimestamp":
			return nil, types.TimestampT, nil
		}
		return nil, types.TimestampTZT, nil
	}
	if argTypes, ret, ok := resolveArray(name, args); ok {
		return argTypes, ret, nil
	}
	if argTypes, ret, ok := resolveMore(name, args); ok {
		return argTypes, ret, nil
	}
	if argTypes, ret, ok := resolveSys(name, args); ok {
		return argTypes, ret, nil
	}
	return fail()
}

func firstOther(ts []types.T) types.T {
	for _, t := range ts[1:] {
		if t.Kind != types.Unknown && !t.Equal(ts[0]) {
			return t
		}
	}
	return ts[len(ts)-1]
}

// CanCast reports whether PostgreSQL allows an explicit cast from one type
// to the other.
func CanCast(from, to types.T) bool {
	if from.Kind == to.Kind && from.Kind != types.Array || from.Kind == types.Unknown {
		return true
	}
	if to.IsJSON() && !from.IsJSON() {
		// json and jsonb are read from text only (PostgreSQL has no
		// int -> json cast: to_json does that).
		return from.Kind == types.Text
	}
	// Every type has text I/O, so casts to and from text always exist.
	if from.Kind == types.Text || to.Kind == types.Text {
		return true
	}
	if from.IsNumeric() && to.IsNumeric() {
		return true
	}
	if from.Kind == types.Array && to.Kind == types.Array {
		return CanCast(from.ElemType(), to.ElemType())
	}
	switch from.Kind {
	case types.Bool:
		return to.Kind == types.Int32
	case types.Int32:
		return to.Kind == types.Bool
	case types.Date:
		return to.Kind == types.Timestamp || to.Kind == types.TimestampTZ
	case types.Timestamp, types.TimestampTZ:
		return to.Kind == types.Date || to.Kind == types.Time || to.Kind == types.Timestamp || to.Kind == types.TimestampTZ
	case types.Time:
		return to.Kind == types.Interval
	case types.Interval:
		return to.Kind == types.Time
	}
	return false
}

// isNum reports whether t is a number or an untyped literal.
func isNum(t types.T) bool { return t.IsNumeric() || t.Kind == types.Unknown }

// isTimestampish reports whether t can be passed where PostgreSQL takes a
// timestamp: a timestamp, or a date or literal it promotes.
func tsArg(t types.T) (types.T, bool) {
	switch t.Kind {
	case types.Timestamp, types.TimestampTZ:
		return t, true
	case types.Date, types.Unknown:
		// date promotes to timestamptz, PostgreSQL's preferred type.
		return types.TimestampTZT, true
	}
	return t, false
}

// intOrNumeric is the integer variant (int or bigint) of gcd/lcm for
// integer arguments, numeric otherwise.
func intOrNumeric(args []types.T) (types.T, bool) {
	k := types.Int32
	for _, a := range args {
		switch {
		case a.Kind == types.Int64:
			if k == types.Int32 {
				k = types.Int64
			}
		case a.Kind == types.Numeric:
			k = types.Numeric
		case a.IsInteger() || a.Kind == types.Unknown:
		default:
			return types.UnknownT, false
		}
	}
	if k == types.Numeric {
		s := int32(0)
		for _, a := range args {
			s = max(s, numScale(a))
		}
		return types.NumericT(0, s), true
	}
	return types.T{Kind: k}, true
}

// resolveMore types the functions of PostgreSQL's library added for issue 3:
// date/time constructors and formatting, regular expressions, arrays of
// text, and the less common math functions. ok is false for names or
// argument lists it does not know.
func resolveMore(name string, args []types.T) (argTypes []types.T, ret types.T, ok bool) {
	n := len(args)
	F, I, T := types.Float64T, types.Int32T, types.TextT
	textArr := types.ArrayOf(types.TextT)
	switch name {
	case "json_build_object", "json_build_array", "jsonb_build_object", "jsonb_build_array", "to_json", "to_jsonb":
		// (variadic) "any": each argument keeps its type, which decides
		// how it is written; literals are text. The executor checks
		// json_build_object's pairs, as PostgreSQL does at run time.
		if strings.HasPrefix(name, "to_") && n != 1 {
			return nil, T, false
		}
		out := make([]types.T, n)
		for i, a := range args {
			if a.Kind == types.Unknown {
				a = T
			}
			out[i] = a
		}
		if strings.HasPrefix(name, "jsonb") || name == "to_jsonb" {
			return out, types.JsonbT, true
		}
		return out, types.JsonT, true
	case "json_object_field", "json_object_field_text", "json_array_element", "json_array_element_text",
		"jsonb_object_field", "jsonb_object_field_text", "jsonb_array_element", "jsonb_array_element_text":
		// The functions behind -> and ->>.
		jt := types.JsonT
		if strings.HasPrefix(name, "jsonb") {
			jt = types.JsonbT
		}
		if n != 2 || !(args[0].Identical(jt) || args[0].Kind == types.Unknown) {
			return nil, T, false
		}
		ret := jt
		if strings.HasSuffix(name, "_text") {
			ret = T
		}
		if strings.Contains(name, "_object_field") {
			if isTextish(args[1]) {
				return []types.T{jt, T}, ret, true
			}
			return nil, T, false
		}
		if isIntish(args[1]) {
			return []types.T{jt, I}, ret, true
		}
	case "cot":
		if n == 1 && isNum(args[0]) {
			return []types.T{F}, F, true
		}
	case "div":
		if n == 2 && allKind(args, isNum) && !args[0].IsFloat() && !args[1].IsFloat() {
			s := max(numScale(args[0]), numScale(args[1]))
			t := types.NumericT(0, s)
			return []types.T{t, t}, types.NumericT(0, 0), true
		}
	case "width_bucket":
		if n == 4 && allKind(args[:3], isNum) && isIntish(args[3]) {
			if args[0].Kind == types.Numeric || args[1].Kind == types.Numeric || args[2].Kind == types.Numeric {
				c, _ := CommonType(args[:3]...)
				c = types.NumericT(0, c.Scale)
				return []types.T{c, c, c, I}, I, true
			}
			return []types.T{F, F, F, I}, I, true
		}
	case "gcd", "lcm":
		if n == 2 {
			if t, ok := intOrNumeric(args); ok {
				return []types.T{t, t}, t, true
			}
		}
	case "factorial":
		if n == 1 && isIntish(args[0]) {
			return []types.T{types.Int64T}, types.NumericT(0, 0), true
		}
	case "ascii":
		if n == 1 && isTextish(args[0]) {
			return []types.T{T}, I, true
		}
	case "chr":
		if n == 1 && isIntish(args[0]) {
			return []types.T{I}, T, true
		}
	case "quote_ident", "quote_literal", "quote_nullable":
		if n == 1 && isTextish(args[0]) {
			return []types.T{T}, T, true
		}
		if n == 1 && name != "quote_ident" {
			// quote_literal(anyelement) quotes the value's text form.
			return []types.T{T}, T, true
		}
	case "format":
		if n >= 1 && isTextish(args[0]) {
			// Arguments keep their types: format prints each with its
			// output function (true is t, as PostgreSQL prints it).
			out := make([]types.T, n)
			out[0] = T
			for i, a := range args[1:] {
				if a.Kind == types.Unknown {
					a = T
				}
				out[i+1] = a
			}
			return out, T, true
		}
	case "encode":
		if n == 2 && args[0].Kind == types.Bytea && isTextish(args[1]) {
			return []types.T{types.ByteaT, T}, T, true
		}
	case "decode":
		if n == 2 && allKind(args, isTextish) {
			return []types.T{T, T}, types.ByteaT, true
		}
	case "substring_regex":
		if n == 2 && allKind(args, isTextish) {
			return []types.T{T, T}, T, true
		}
	case "regexp_replace":
		if (n == 3 || n == 4) && allKind(args, isTextish) {
			return repeatT(T, n), T, true
		}
	case "regexp_like":
		if (n == 2 || n == 3) && allKind(args, isTextish) {
			return repeatT(T, n), types.BoolT, true
		}
	case "regexp_match":
		if (n == 2 || n == 3) && allKind(args, isTextish) {
			return repeatT(T, n), textArr, true
		}
	case "string_to_array":
		if (n == 2 || n == 3) && allKind(args, isTextish) {
			return repeatT(T, n), textArr, true
		}
	case "array_to_string":
		if (n == 2 || n == 3) && args[0].Kind == types.Array && allKind(args[1:], isTextish) {
			return append([]types.T{args[0]}, repeatT(T, n-1)...), T, true
		}
	case "make_time":
		if n == 3 && isIntish(args[0]) && isIntish(args[1]) && isNum(args[2]) {
			return []types.T{I, I, F}, types.TimeT, true
		}
	case "make_timestamp", "make_timestamptz":
		if n == 6 && allKind(args[:5], isIntish) && isNum(args[5]) {
			r := types.TimestampT
			if name == "make_timestamptz" {
				r = types.TimestampTZT
			}
			return []types.T{I, I, I, I, I, F}, r, true
		}
	case "make_interval":
		// years, months, weeks, days, hours, mins (int), secs (float8);
		// trailing ones default to 0.
		if n <= 7 && allKind(args, isNum) {
			out := repeatT(I, n)
			for i, a := range args {
				if i < 6 && !isIntish(a) {
					return nil, ret, false
				}
			}
			if n == 7 {
				out[6] = F
			}
			return out, types.IntervalT, true
		}
	case "justify_days", "justify_hours", "justify_interval":
		if n == 1 && (args[0].Kind == types.Interval || args[0].Kind == types.Unknown) {
			return []types.T{types.IntervalT}, types.IntervalT, true
		}
	case "age":
		if n == 1 || n == 2 {
			t := types.TimestampT
			for _, a := range args {
				switch a.Kind {
				case types.TimestampTZ:
					t = types.TimestampTZT
				case types.Timestamp, types.Date, types.Unknown:
				default:
					return nil, ret, false
				}
			}
			if args[0].Kind == types.Date || args[0].Kind == types.Unknown {
				if n == 1 || args[1].Kind != types.Timestamp {
					// date alone promotes to timestamptz.
					t = types.TimestampTZT
				}
			}
			return repeatT(t, n), types.IntervalT, true
		}
	case "isfinite":
		if n == 1 {
			switch args[0].Kind {
			case types.Date, types.Timestamp, types.TimestampTZ, types.Interval:
				return []types.T{args[0]}, types.BoolT, true
			}
		}
	case "date_bin":
		if n == 3 && args[0].Kind == types.Interval || n == 3 && args[0].Kind == types.Unknown {
			t, ok := tsArg(args[1])
			if ok && (args[2].Kind == types.Unknown || args[2].Kind == t.Kind || args[2].Kind == types.Date) {
				if args[1].Kind == types.Unknown && args[2].Kind == types.Timestamp {
					t = types.TimestampT
				}
				return []types.T{types.IntervalT, t, t}, t, true
			}
		}
	case "to_char":
		if n == 2 && isTextish(args[1]) {
			switch a := args[0]; {
			case a.Kind == types.Timestamp || a.Kind == types.TimestampTZ || a.Kind == types.Interval:
				return []types.T{a, T}, T, true
			case a.Kind == types.Date:
				return []types.T{types.TimestampTZT, T}, T, true
			case a.Kind == types.Int16:
				return []types.T{I, T}, T, true
			case a.IsNumeric():
				if a.Kind == types.Numeric {
					a = types.NumericT(0, a.Scale)
				}
				return []types.T{a, T}, T, true
			}
		}
	case "to_date":
		if n == 2 && allKind(args, isTextish) {
			return []types.T{T, T}, types.DateT, true
		}
	case "to_timestamp":
		if n == 2 && allKind(args, isTextish) {
			return []types.T{T, T}, types.TimestampTZT, true
		}
		if n == 1 && isNum(args[0]) {
			return []types.T{F}, types.TimestampTZT, true
		}
	}
	return nil, ret, false
}

// Internal functions over arrays that SQL syntax, not a name, reaches; the
// binder emits them as Calls.
const (
	// Subscript is arr[i]: __pg_subscript(arr anyarray, i int4) returns the
	// element type, NULL when i is out of range (arrays are 1-based).
	Subscript = "__pg_subscript"
	// AnyOp and AllOp are x op ANY (arr) / x op ALL (arr) over an array
	// value: Args [x, arr, Const{op as text}] with op one of = <> < <= > >=,
	// x cast to arr's element type; the result is boolean in SQL's
	// three-valued logic.
	AnyOp = "__any"
	AllOp = "__all"
)

// resolveArray types PostgreSQL's functions over one-dimensional arrays
// (anyarray / anycompatible: an unknown array literal takes its element
// type from the other argument and vice versa). ok is false for names or
// argument lists it does not know.
func resolveArray(name string, args []types.T) (argTypes []types.T, ret types.T, ok bool) {
	n := len(args)
	I := types.Int32T
	isArr := func(t types.T) bool { return t.Kind == types.Array }
	// elemAndArray finds the common element type of an array argument and
	// element arguments.
	elemAndArray := func(arr types.T, elems ...types.T) (types.T, types.T, bool) {
		ts := append([]types.T(nil), elems...)
		switch arr.Kind {
		case types.Array:
			ts = append(ts, arr.ElemType())
		case types.Unknown:
		default:
			return types.T{}, types.T{}, false
		}
		e, ok := CommonType(ts...)
		if !ok || e.Kind == types.Array {
			return types.T{}, types.T{}, false
		}
		if arr.Kind == types.Unknown && allKind(elems, func(t types.T) bool { return t.Kind == types.Unknown }) {
			return types.T{}, types.T{}, false
		}
		return e, types.ArrayOf(e), true
	}
	switch name {
	case "cardinality":
		if n == 1 && isArr(args[0]) {
			return args, I, true
		}
	case "array_length", "array_lower", "array_upper":
		if n == 2 && isArr(args[0]) && isIntish(args[1]) {
			return []types.T{args[0], I}, I, true
		}
	case Subscript:
		if n == 2 && isArr(args[0]) && isIntish(args[1]) {
			return []types.T{args[0], I}, args[0].ElemType(), true
		}
	case "array_position", "array_positions":
		if n == 2 || (n == 3 && name == "array_position" && isIntish(args[2])) {
			if e, a, ok := elemAndArray(args[0], args[1]); ok {
				at := []types.T{a, e}
				if n == 3 {
					at = append(at, I)
				}
				if name == "array_positions" {
					return at, types.ArrayOf(I), true
				}
				return at, I, true
			}
		}
	case "array_remove", "array_append":
		if n == 2 {
			if e, a, ok := elemAndArray(args[0], args[1]); ok {
				return []types.T{a, e}, a, true
			}
		}
	case "array_replace":
		if n == 3 {
			if e, a, ok := elemAndArray(args[0], args[1], args[2]); ok {
				return []types.T{a, e, e}, a, true
			}
		}
	case "array_prepend":
		if n == 2 {
			if e, a, ok := elemAndArray(args[1], args[0]); ok {
				return []types.T{e, a}, a, true
			}
		}
	case "array_cat":
		if n == 2 && (isArr(args[0]) || isArr(args[1])) {
			var elems []types.T
			for _, t := range args {
				switch t.Kind {
				case types.Array:
					elems = append(elems, t.ElemType())
				case types.Unknown:
				default:
					return nil, types.T{}, false
				}
			}
			if e, ok := CommonType(elems...); ok {
				a := types.ArrayOf(e)
				return []types.T{a, a}, a, true
			}
		}
	case AnyOp, AllOp:
		if n == 3 && args[2].Kind == types.Text {
			if e, a, ok := elemAndArray(args[1], args[0]); ok {
				return []types.T{e, a, types.TextT}, types.BoolT, true
			}
		}
	}
	return nil, types.T{}, false
}
