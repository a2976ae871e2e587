package plancodec_test

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

// TestShapesCover checks that the SQL shapes of TestShapes, all bound
// and optimised, hold every plan node (Remote aside: only the fragmenter
// makes it, TestDistributed builds it), every expression node an
// optimised plan holds, every Go type of a constant, window frames with
// offsets and exclusions, and aggregates with each of their options.
func TestShapesCover(t *testing.T) {
	cat := catalog(t)
	seen := map[string]bool{}
	note := func(s string) { seen[s] = true }
	var walkExpr func(expr.Expr)
	walkExpr = func(x expr.Expr) {
		expr.Walk(x, func(x expr.Expr) bool {
			note(fmt.Sprintf("%T", x))
			if c, ok := x.(*expr.Const); ok {
				note(fmt.Sprintf("value %T", c.Value))
			}
			return true
		})
	}
	var walk func(logical.Node)
	walk = func(n logical.Node) {
		note(fmt.Sprintf("%T", n))
		switch n := n.(type) {
		case *logical.CTEScan:
			walk(n.CTE.Plan)
		case *logical.Aggregate:
			for _, a := range n.Aggs {
				if a.Filter != nil {
					note("agg filter")
				}
				if len(a.Order) > 0 && !a.WithinGroup {
					note("agg order")
				}
				if a.WithinGroup {
					note("agg within group")
				}
				if a.Distinct {
					note("agg distinct")
				}
			}
		case *logical.Window:
			for _, f := range n.Funcs {
				if f.Frame != nil {
					note("frame " + f.Frame.Mode)
					if f.Frame.Exclude != "" {
						note("frame exclude")
					}
					if f.Frame.Start.Offset != nil || f.Frame.End.Offset != nil {
						note("frame offset")
					}
				}
			}
		case *logical.ProjectSet:
			for _, f := range n.Funcs {
				note("set " + f.Name)
			}
		}
		walkAll(n, walkExpr)
		for _, c := range n.Children() {
			walk(c)
		}
	}
	for _, s := range shapes {
		walk(plan(t, cat, s.sql))
	}
	var missing []string
	for _, w := range []string{
		"*logical.Scan", "*logical.Values", "*logical.Filter", "*logical.Project", "*logical.Aggregate",
		"*logical.Join", "*logical.Sort", "*logical.Limit", "*logical.Union", "*logical.EnforceSingleRow",
		"*logical.CTEScan", "*logical.Window", "*logical.TableFunc", "*logical.ProjectSet",
		"*expr.ColRef", "*expr.Const", "*expr.Call", "*expr.Cast", "*expr.Case", "*expr.InList",
		"value <nil>", "value bool", "value int64", "value float64", "value decimal128.Num", "value string",
		"value []uint8", "value int32", "value types.IntervalValue",
		"frame rows", "frame range", "frame groups", "frame exclude", "frame offset",
		"agg filter", "agg order", "agg within group", "agg distinct", "set unnest", "set generate_series",
	} {
		if !seen[w] {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		var all []string
		for s := range seen {
			all = append(all, s)
		}
		sort.Strings(all)
		t.Fatalf("the shapes hold no %s (they hold %s)", strings.Join(missing, ", "), strings.Join(all, ", "))
	}
}

// walkAll calls f on the expressions n holds itself.
func walkAll(n logical.Node, f func(expr.Expr)) {
	var xs []expr.Expr
	switch n := n.(type) {
	case *logical.Scan:
		xs = n.Filters
	case *logical.Values:
		for _, r := range n.Rows {
			xs = append(xs, r...)
		}
	case *logical.Filter:
		xs = []expr.Expr{n.Cond}
	case *logical.Project:
		xs = n.Exprs
	case *logical.Aggregate:
		xs = append(xs, n.Groups...)
		for _, a := range n.Aggs {
			xs = append(xs, a.Args...)
			xs = append(xs, a.Filter)
			for _, o := range a.Order {
				xs = append(xs, o.E)
			}
		}
	case *logical.Join:
		xs = []expr.Expr{n.Cond}
	case *logical.Sort:
		for _, k := range n.Keys {
			xs = append(xs, k.E)
		}
	case *logical.Window:
		xs = append(xs, n.Partition...)
		for _, k := range n.Order {
			xs = append(xs, k.E)
		}
		for _, fn := range n.Funcs {
			xs = append(xs, fn.Args...)
			if fn.Frame != nil {
				xs = append(xs, fn.Frame.Start.Offset, fn.Frame.End.Offset)
			}
		}
	case *logical.TableFunc:
		xs = n.Args
	case *logical.ProjectSet:
		for _, fn := range n.Funcs {
			xs = append(xs, fn.Args...)
		}
	}
	for _, x := range xs {
		if x != nil {
			f(x)
		}
	}
}

// TestFieldsKnown lists the fields of every type the codec writes, as the
// codec knows them: a field added to a plan node or expression fails here
// until Encode and Decode carry it (the round trips would only notice if
// a test happened to set it).
func TestFieldsKnown(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{logical.Scan{}, "Table Alias Cols Filters Out Assigned Splits"},
		{logical.Values{}, "Rows Out"},
		{logical.Filter{}, "Input Cond"},
		{logical.Project{}, "Input Exprs Out"},
		{logical.Aggregate{}, "Input Groups Aggs Out Phase"},
		{logical.Join{}, "Left Right Kind Cond"},
		{logical.SortKey{}, "E Desc NullsFirst"},
		{logical.Sort{}, "Input Keys"},
		{logical.Limit{}, "Input Offset Count"},
		{logical.Union{}, "Inputs Out"},
		{logical.EnforceSingleRow{}, "Input"},
		{logical.CTE{}, "Name Plan"},
		{logical.CTEScan{}, "CTE Alias"},
		{logical.WindowBound{}, "Kind Offset"},
		{logical.WindowFrame{}, "Mode Start End Exclude"},
		{logical.WindowFunc{}, "Name Args Frame T"},
		{logical.Window{}, "Input Partition Order Funcs"},
		{logical.TableFunc{}, "Name Args Out"},
		{logical.ProjectSet{}, "Input Funcs Out"},
		{logical.SetFunc{}, "Name Args T Ordinality"},
		{logical.Remote{}, "Stage Out Rows Largest How"},
		{logical.Column{}, "Name Table T Nullable"},
		{logical.SplitID{}, "File RowGroup"},
		{expr.ColRef{}, "Idx T Name"},
		{expr.Const{}, "Value T"},
		{expr.Call{}, "Fn Args T"},
		{expr.Cast{}, "Arg T"},
		{expr.When{}, "Cond Result"},
		{expr.Case{}, "Whens Else T"},
		{expr.InList{}, "Arg List Negated"},
		{expr.OuterRef{}, "Depth Idx T Name"},
		{expr.Param{}, "N T"},
		{expr.AggCall{}, "Fn Args Distinct Filter Order WithinGroup T"},
		{expr.AggOrder{}, "E Desc NullsFirst"},
		{types.T{}, "Kind Precision Scale Elem Variant"},
		{types.IntervalValue{}, "Months Days Micros"},
	} {
		rt, want := reflect.TypeOf(c.v), c.want
		var got []string
		for i := 0; i < rt.NumField(); i++ {
			got = append(got, rt.Field(i).Name)
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("%s has fields %s; the codec writes %s", rt, g, want)
		}
	}
}
