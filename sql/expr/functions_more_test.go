package expr

import (
	"testing"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// Result types as PostgreSQL 15 reports them (pg_typeof).
func TestResolveLibrary(t *testing.T) {
	U, T, I, F := types.UnknownT, types.TextT, types.Int32T, types.Float64T
	TS, TZ, IV, D := types.TimestampT, types.TimestampTZT, types.IntervalT, types.DateT
	textArr := types.ArrayOf(T)
	cases := []struct {
		name string
		args []types.T
		want types.T // Unknown: must fail with 42883
	}{
		{"regexp_replace", []types.T{T, U, U}, T},
		{"regexp_replace", []types.T{T, U, U, U}, T},
		{"regexp_match", []types.T{T, U}, textArr},
		{"regexp_like", []types.T{U, U}, types.BoolT},
		{"substring", []types.T{T, U}, T},
		{"substring", []types.T{T, I}, T},
		{"substring_regex", []types.T{T, T}, T},
		{"string_to_array", []types.T{T, U}, textArr},
		{"array_to_string", []types.T{textArr, U}, T},
		{"array_to_string", []types.T{T, U}, U},
		{"concat", nil, U},
		{"ascii", []types.T{U}, I},
		{"chr", []types.T{I}, T},
		{"format", []types.T{U, types.BoolT, I}, T},
		{"quote_literal", []types.T{types.NumericT(0, 1)}, T},
		{"quote_ident", []types.T{I}, U},
		{"gcd", []types.T{I, I}, I},
		{"gcd", []types.T{I, types.Int64T}, types.Int64T},
		{"lcm", []types.T{types.NumericT(0, 2), I}, types.NumericT(0, 2)},
		{"gcd", []types.T{F, I}, U},
		{"div", []types.T{I, I}, types.NumericT(0, 0)},
		{"factorial", []types.T{I}, types.NumericT(0, 0)},
		{"width_bucket", []types.T{F, I, I, I}, I},
		{"cot", []types.T{I}, F},
		{"make_time", []types.T{I, I, types.NumericT(0, 1)}, types.TimeT},
		{"make_timestamp", []types.T{I, I, I, I, I, I}, TS},
		{"make_timestamptz", []types.T{I, I, I, I, I, I}, TZ},
		{"make_interval", []types.T{I, I}, IV},
		{"make_interval", []types.T{I, I, I, I, I, I, F}, IV},
		{"make_interval", []types.T{F}, U},
		{"justify_days", []types.T{IV}, IV},
		{"age", []types.T{TS, TS}, IV},
		{"age", []types.T{TZ}, IV},
		{"age", []types.T{I}, U},
		{"isfinite", []types.T{D}, types.BoolT},
		{"date_bin", []types.T{IV, TS, TS}, TS},
		{"to_char", []types.T{TS, U}, T},
		{"to_char", []types.T{D, U}, T},
		{"to_char", []types.T{types.NumericT(10, 2), U}, T},
		{"to_char", []types.T{U, U}, U},
		{"to_date", []types.T{U, U}, D},
		{"to_timestamp", []types.T{U, U}, TZ},
		{"to_timestamp", []types.T{I}, TZ},
	}
	for _, c := range cases {
		_, ret, err := ResolveFunction(c.name, c.args)
		if c.want.Kind == types.Unknown {
			if sqlerr.Code(err) != sqlerr.UndefinedFunction {
				t.Errorf("%s%v: got %v, %v; want 42883", c.name, c.args, ret, err)
			}
			continue
		}
		if err != nil || !ret.Equal(c.want) {
			t.Errorf("%s%v: got %v, %v; want %v", c.name, c.args, ret, err, c.want)
		}
	}
}

func TestRegexOperators(t *testing.T) {
	for _, op := range []string{"~", "~*", "!~", "!~*"} {
		lt, rt, ret, err := ResolveBinary(op, types.TextT, types.UnknownT)
		if err != nil || lt.Kind != types.Text || rt.Kind != types.Text || ret.Kind != types.Bool {
			t.Errorf("text %s unknown: %v %v %v %v", op, lt, rt, ret, err)
		}
		if _, _, _, err := ResolveBinary(op, types.Int32T, types.TextT); sqlerr.Code(err) != sqlerr.UndefinedFunction {
			t.Errorf("integer %s text: %v, want 42883", op, err)
		}
	}
}

func TestArrayCasts(t *testing.T) {
	ia, ta, fa := types.ArrayOf(types.Int32T), types.ArrayOf(types.TextT), types.ArrayOf(types.Float64T)
	ok := [][2]types.T{{types.TextT, ia}, {ia, types.TextT}, {ia, ta}, {ia, fa}, {types.UnknownT, ia}}
	for _, c := range ok {
		if !CanCast(c[0], c[1]) {
			t.Errorf("CanCast(%s, %s) = false", c[0], c[1])
		}
	}
	bad := [][2]types.T{{ia, types.Int32T}, {types.ArrayOf(types.DateT), ia}}
	for _, c := range bad {
		if CanCast(c[0], c[1]) {
			t.Errorf("CanCast(%s, %s) = true", c[0], c[1])
		}
	}
}
