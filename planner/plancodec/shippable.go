package plancodec

import (
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
)

// Shippable reports, with an error wrapping ErrNotShippable, why n cannot
// run on another node: it scans an in-memory table (pg_catalog, whose rows
// this node builds) or calls a Go function bound from this node's catalog.
// It walks the plan without encoding it; Encode makes the same checks.
func Shippable(n logical.Node) error {
	seen := map[*logical.CTE]bool{}
	var walk func(logical.Node) error
	walk = func(n logical.Node) error {
		switch n := n.(type) {
		case *logical.Scan:
			if n.Table != nil && n.Table.InMemory() {
				return notShippable("table %s is in memory on this node", n.Table.Name)
			}
		case *logical.CTEScan:
			if n.CTE != nil && !seen[n.CTE] {
				seen[n.CTE] = true
				if err := walk(n.CTE.Plan); err != nil {
					return err
				}
			}
		}
		if err := nodeExprs(n, checkExpr); err != nil {
			return err
		}
		for _, c := range n.Children() {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(n)
}

// checkExpr fails on a constant holding a *expr.Native (the first argument
// of every expr.NativeFn call).
func checkExpr(x expr.Expr) error {
	var err error
	expr.Walk(x, func(x expr.Expr) bool {
		if c, ok := x.(*expr.Const); ok {
			if f, ok := c.Value.(*expr.Native); ok {
				err = notShippable("function %s runs on this node's catalog", f.Name)
				return false
			}
		}
		return true
	})
	return err
}

// nodeExprs calls f on each expression n holds itself (not its children's),
// stopping at the first error.
func nodeExprs(n logical.Node, f func(expr.Expr) error) error {
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
			if a == nil {
				continue
			}
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
		if x == nil {
			continue
		}
		if err := f(x); err != nil {
			return err
		}
	}
	return nil
}
