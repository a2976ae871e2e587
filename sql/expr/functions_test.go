package expr

import (
	"testing"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

func TestResolveBinary(t *testing.T) {
	n := func(s int32) types.T { return types.NumericT(0, s) }
	cases := []struct {
		op         string
		l, r       types.T
		lt, rt, rv types.T
	}{
		{"+", types.Int32T, types.Int32T, types.Int32T, types.Int32T, types.Int32T},
		{"/", types.Int32T, types.Int64T, types.Int64T, types.Int64T, types.Int64T},
		{"+", types.Int16T, types.Int16T, types.Int16T, types.Int16T, types.Int16T},
		{"*", types.Int32T, types.NumericT(15, 2), n(0), n(2), n(2)},
		{"+", types.NumericT(15, 2), types.NumericT(10, 4), n(4), n(4), n(4)},
		{"/", n(1), types.Int32T, n(1), n(0), n(DivScale)},
		{"-", types.Float32T, types.Float32T, types.Float32T, types.Float32T, types.Float32T},
		{"-", types.Float32T, types.Int32T, types.Float64T, types.Float64T, types.Float64T},
		{"*", n(2), types.Float64T, types.Float64T, types.Float64T, types.Float64T},
		{"+", types.Int32T, types.UnknownT, types.Int32T, types.Int32T, types.Int32T},
		{"=", types.Int32T, types.NumericT(15, 2), n(2), n(2), types.BoolT},
		{"<", types.DateT, types.TimestampT, types.TimestampT, types.TimestampT, types.BoolT},
		{"=", types.TextT, types.UnknownT, types.TextT, types.TextT, types.BoolT},
		{"+", types.DateT, types.Int32T, types.DateT, types.Int32T, types.DateT},
		{"-", types.DateT, types.DateT, types.DateT, types.DateT, types.Int32T},
		{"+", types.DateT, types.IntervalT, types.TimestampT, types.IntervalT, types.TimestampT},
		{"-", types.DateT, types.UnknownT, types.TimestampT, types.IntervalT, types.TimestampT},
		{"-", types.TimestampT, types.TimestampT, types.TimestampT, types.TimestampT, types.IntervalT},
		{"*", types.IntervalT, types.Int32T, types.IntervalT, types.Float64T, types.IntervalT},
		{"+", types.TimeT, types.IntervalT, types.TimeT, types.IntervalT, types.TimeT},
		{"||", types.TextT, types.Int32T, types.TextT, types.TextT, types.TextT},
		{"like", types.TextT, types.UnknownT, types.TextT, types.TextT, types.BoolT},
		{"and", types.BoolT, types.UnknownT, types.BoolT, types.BoolT, types.BoolT},
		{"is distinct from", types.Int32T, types.Int64T, types.Int64T, types.Int64T, types.BoolT},
	}
	for _, c := range cases {
		lt, rt, rv, err := ResolveBinary(c.op, c.l, c.r)
		if err != nil {
			t.Errorf("%s %s %s: %v", c.l, c.op, c.r, err)
			continue
		}
		if !lt.Equal(c.lt) || !rt.Equal(c.rt) || !rv.Equal(c.rv) {
			t.Errorf("%s %s %s: got (%s, %s) -> %s, want (%s, %s) -> %s", c.l, c.op, c.r, lt, rt, rv, c.lt, c.rt, c.rv)
		}
	}
	_, _, _, err := ResolveBinary("+", types.TextT, types.Int32T)
	if sqlerr.Code(err) != sqlerr.UndefinedFunction || err.Error() != "operator does not exist: text + integer" {
		t.Errorf("text + integer: %v", err)
	}
	if _, _, _, err := ResolveBinary("%", types.Float64T, types.Float64T); sqlerr.Code(err) != sqlerr.UndefinedFunction {
		t.Errorf("float %% float: %v", err)
	}
	if _, _, _, err := ResolveBinary("=", types.TextT, types.Int32T); sqlerr.Code(err) != sqlerr.UndefinedFunction {
		t.Errorf("text = int: %v", err)
	}
}

func TestResolveFunction(t *testing.T) {
	cases := []struct {
		name string
		args []types.T
		ret  types.T
	}{
		{"coalesce", []types.T{types.Int32T, types.UnknownT, types.Int64T}, types.Int64T},
		{"round", []types.T{types.Int32T}, types.Float64T},
		{"round", []types.T{types.NumericT(15, 4)}, types.NumericT(0, 0)},
		{"abs", []types.T{types.Int16T}, types.Int16T},
		{"length", []types.T{types.UnknownT}, types.Int32T},
		{"substring", []types.T{types.TextT, types.Int32T, types.Int64T}, types.TextT},
		{"extract", []types.T{types.TextT, types.DateT}, types.NumericT(0, 0)},
		{"date_part", []types.T{types.TextT, types.TimestampT}, types.Float64T},
		{"date_trunc", []types.T{types.TextT, types.TimestampT}, types.TimestampT},
		{"now", nil, types.TimestampTZT},
		{"concat", []types.T{types.TextT, types.Int32T, types.DateT}, types.TextT},
		{"mod", []types.T{types.Int32T, types.Int32T}, types.Int32T},
		{"make_date", []types.T{types.Int32T, types.Int32T, types.Int32T}, types.DateT},
	}
	for _, c := range cases {
		_, ret, err := ResolveFunction(c.name, c.args)
		if err != nil || !ret.Equal(c.ret) {
			t.Errorf("%s%v = %s, %v; want %s", c.name, c.args, ret, err, c.ret)
		}
	}
	_, _, err := ResolveFunction("foo", []types.T{types.Int32T})
	if sqlerr.Code(err) != sqlerr.UndefinedFunction || err.Error() != "function foo(integer) does not exist" {
		t.Errorf("foo(integer): %v", err)
	}
	_, ret, err := ResolveCall("extract", []Expr{&Const{Value: "second", T: types.TextT}, &ColRef{T: types.TimestampT}})
	if err != nil || ret.Scale != 6 {
		t.Errorf("extract(second) = %s, %v", ret, err)
	}
	_, ret, err = ResolveCall("round", []Expr{&ColRef{T: types.NumericT(15, 4)}, &Const{Value: int64(2), T: types.Int32T}})
	if err != nil || ret.Scale != 2 {
		t.Errorf("round(x, 2) = %s, %v", ret, err)
	}
	if _, _, err := ResolveFunction("coalesce", []types.T{types.TextT, types.Int32T}); sqlerr.Code(err) != sqlerr.DatatypeMismatch {
		t.Errorf("coalesce(text, int): %v", err)
	}
}

func TestCanCast(t *testing.T) {
	yes := [][2]types.T{{types.TextT, types.DateT}, {types.Int32T, types.TextT}, {types.NumericT(15, 2), types.Int32T}, {types.DateT, types.TimestampT}, {types.BoolT, types.Int32T}, {types.TimestampTZT, types.DateT}}
	no := [][2]types.T{{types.DateT, types.Int32T}, {types.BoolT, types.Float64T}, {types.IntervalT, types.DateT}, {types.ByteaT, types.Int32T}}
	for _, p := range yes {
		if !CanCast(p[0], p[1]) {
			t.Errorf("CanCast(%s, %s) = false", p[0], p[1])
		}
	}
	for _, p := range no {
		if CanCast(p[0], p[1]) {
			t.Errorf("CanCast(%s, %s) = true", p[0], p[1])
		}
	}
}
