// Package optimize rewrites logical plans. Each rule is a small named
// rewrite; Optimize runs them in order and can record the plan after each
// for EXPLAIN VERBOSE.
package optimize

import (
	"fmt"

	"github.com/basaltdb/basalt/planner/logical"
)

// Rule is one named rewrite of a whole plan.
type Rule struct {
	Name  string
	Apply func(logical.Node) (logical.Node, error)
}

// Rules is the default rule order.
var Rules = []Rule{
	{"fold_constants", FoldConstants},
	{"push_down_predicates", PushDownPredicates},
	{"push_semi_joins", PushSemiJoins},
	{"reorder_joins", ReorderJoins},
	{"push_down_predicates_again", PushDownPredicates},
	{"reduce_aggregate_joins", ReduceAggregateJoins},
	{"prune_columns", PruneColumns},
}

// Step is the plan after one rule.
type Step struct {
	Rule string
	Plan logical.Node
}

// Optimize runs every rule, checking that none changes the plan's output
// types. With trace set it returns the plan after each rule.
func Optimize(n logical.Node, trace bool) (logical.Node, []Step, error) {
	// Shared CTEs are optimised once each, on their own (inner ones first).
	for _, c := range logical.CTEs(n) {
		p, _, err := Optimize(c.Plan, false)
		if err != nil {
			return nil, nil, err
		}
		c.Plan = p
	}
	var steps []Step
	want := n.Schema()
	for _, r := range Rules {
		out, err := r.Apply(n)
		if err != nil {
			return nil, nil, err
		}
		got := out.Schema()
		if len(got) != len(want) {
			return nil, nil, fmt.Errorf("optimizer rule %s changed the output width from %d to %d", r.Name, len(want), len(got))
		}
		for i := range got {
			if !got[i].T.Equal(want[i].T) {
				return nil, nil, fmt.Errorf("optimizer rule %s changed column %d from %s to %s", r.Name, i, want[i].T, got[i].T)
			}
		}
		n = out
		if trace {
			steps = append(steps, Step{Rule: r.Name, Plan: n})
		}
	}
	return n, steps, nil
}

// mapChildren rebuilds n with f applied to each child.
func mapChildren(n logical.Node, f func(logical.Node) (logical.Node, error)) (logical.Node, error) {
	ch := n.Children()
	if len(ch) == 0 {
		return n, nil
	}
	out := make([]logical.Node, len(ch))
	for i, c := range ch {
		var err error
		if out[i], err = f(c); err != nil {
			return nil, err
		}
	}
	return n.WithChildren(out), nil
}
