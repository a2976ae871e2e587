package expr_test

import (
	"errors"
	"testing"

	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// Result types checked with pg_typeof on PostgreSQL 15 (numeric scales are
// Basalt's static ones, see aggregates.go).
func TestResolveAggregate(t *testing.T) {
	num := func(s int32) types.T { return types.NumericT(0, s) }
	n2 := types.NumericT(12, 2)
	for _, tc := range []struct {
		name     string
		args     []types.T
		wantArgs []types.T
		want     types.T
	}{
		{"count_star", nil, nil, types.Int64T},
		{"count", []types.T{types.TextT}, nil, types.Int64T},
		{"sum", []types.T{types.Int16T}, nil, types.Int64T},
		{"sum", []types.T{types.Int32T}, nil, types.Int64T},
		{"sum", []types.T{types.Int64T}, nil, num(0)},
		{"sum", []types.T{n2}, nil, num(2)},
		{"sum", []types.T{types.Float32T}, nil, types.Float32T},
		{"sum", []types.T{types.IntervalT}, nil, types.IntervalT},
		{"avg", []types.T{types.Int32T}, nil, num(16)},
		{"avg", []types.T{types.NumericT(30, 20)}, nil, num(20)},
		{"avg", []types.T{types.Float32T}, nil, types.Float64T},
		{"min", []types.T{types.TextT}, nil, types.TextT},
		{"max", []types.T{types.DateT}, nil, types.DateT},
		{"var_samp", []types.T{types.Int64T}, nil, num(16)},
		{"variance", []types.T{n2}, nil, num(16)},
		{"var_pop", []types.T{types.NumericT(30, 10)}, nil, num(20)},
		{"stddev", []types.T{types.Float32T}, nil, types.Float64T},
		{"stddev_pop", []types.T{types.Float64T}, nil, types.Float64T},
		{"bool_and", []types.T{types.BoolT}, nil, types.BoolT},
		{"every", []types.T{types.UnknownT}, []types.T{types.BoolT}, types.BoolT},
		{"bool_or", []types.T{types.BoolT}, nil, types.BoolT},
		{"string_agg", []types.T{types.TextT, types.UnknownT}, []types.T{types.TextT, types.TextT}, types.TextT},
		{"string_agg", []types.T{types.UnknownT, types.UnknownT}, []types.T{types.TextT, types.TextT}, types.TextT},
		{"string_agg", []types.T{types.ByteaT, types.ByteaT}, nil, types.ByteaT},
		{"array_agg", []types.T{n2}, nil, types.ArrayOf(n2)},
		{"array_agg", []types.T{types.TextT}, nil, types.ArrayOf(types.TextT)},
		{"percentile_cont", []types.T{num(1), types.Int16T}, []types.T{types.Float64T, types.Float64T}, types.Float64T},
		{"percentile_cont", []types.T{types.Float64T, types.IntervalT}, []types.T{types.Float64T, types.IntervalT}, types.IntervalT},
		{"percentile_disc", []types.T{num(1), types.Int16T}, []types.T{types.Float64T, types.Int16T}, types.Int16T},
		{"percentile_disc", []types.T{types.UnknownT, types.TimestampT}, []types.T{types.Float64T, types.TimestampT}, types.TimestampT},
		{"mode", []types.T{types.TextT}, nil, types.TextT},
	} {
		args, ret, err := expr.ResolveAggregate(tc.name, tc.args, false)
		if err != nil {
			t.Errorf("%s%v: %v", tc.name, tc.args, err)
			continue
		}
		want := tc.wantArgs
		if want == nil {
			want = tc.args
		}
		if len(args) != len(want) {
			t.Errorf("%s%v: arg types %v, want %v", tc.name, tc.args, args, want)
		}
		for i := range args {
			if !args[i].Equal(want[i]) {
				t.Errorf("%s%v: arg types %v, want %v", tc.name, tc.args, args, want)
			}
		}
		if !ret.Equal(tc.want) {
			t.Errorf("%s%v = %s, want %s", tc.name, tc.args, ret, tc.want)
		}
	}
}

func TestResolveAggregateErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []types.T
		distinct bool
		code     string
		msg      string
	}{
		{"foo", []types.T{types.Int32T}, false, sqlerr.UndefinedFunction, "function foo(integer) does not exist"},
		{"sum", []types.T{types.TextT}, false, sqlerr.UndefinedFunction, "function sum(text) does not exist"},
		{"string_agg", []types.T{types.Int32T, types.UnknownT}, false, sqlerr.UndefinedFunction, "function string_agg(integer, unknown) does not exist"},
		{"percentile_cont", []types.T{types.NumericT(0, 1)}, false, sqlerr.UndefinedFunction, "function percentile_cont(numeric) does not exist"},
		{"percentile_cont", []types.T{types.NumericT(0, 1), types.TextT}, false, sqlerr.UndefinedFunction, "function percentile_cont(numeric, text) does not exist"},
		{"bool_and", []types.T{types.Int32T}, false, sqlerr.UndefinedFunction, "function bool_and(integer) does not exist"},
		{"var_samp", []types.T{types.TextT}, false, sqlerr.UndefinedFunction, "function var_samp(text) does not exist"},
		{"mode", []types.T{types.UnknownT}, false, sqlerr.DatatypeMismatch, "could not determine polymorphic type because input has type unknown"},
		{"array_agg", []types.T{types.UnknownT}, false, "42725", "function array_agg(unknown) is not unique"},
		{"percentile_disc", []types.T{types.Float64T, types.Int32T}, true, sqlerr.SyntaxError, ""},
	} {
		_, _, err := expr.ResolveAggregate(tc.name, tc.args, tc.distinct)
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Code != tc.code || (tc.msg != "" && se.Message != tc.msg) {
			t.Errorf("%s%v: got %v, want %s %q", tc.name, tc.args, err, tc.code, tc.msg)
		}
	}
}

// The binder's scales and the executor's agree.
func TestStatsScaleMatchesExecutor(t *testing.T) {
	for s := int32(0); s <= 38; s++ {
		_, ret, err := expr.ResolveAggregate("var_pop", []types.T{types.NumericT(38, s)}, false)
		if err != nil {
			t.Fatal(err)
		}
		if ret.Scale != ops.StatsScale(s) {
			t.Fatalf("scale %d: binder %d, executor %d", s, ret.Scale, ops.StatsScale(s))
		}
	}
}

func TestAggregateClasses(t *testing.T) {
	if !expr.IsAggregate("every") || expr.IsAggregate("lower") {
		t.Error("IsAggregate")
	}
	if !expr.IsOrderedSetAggregate("mode") || expr.IsOrderedSetAggregate("string_agg") {
		t.Error("IsOrderedSetAggregate")
	}
	if !expr.NeedsCollect("array_agg") || !expr.NeedsCollect("percentile_cont") || expr.NeedsCollect("stddev") {
		t.Error("NeedsCollect")
	}
	if expr.CanonicalAggregate("variance") != "var_samp" || expr.CanonicalAggregate("every") != "bool_and" {
		t.Error("CanonicalAggregate")
	}
}
