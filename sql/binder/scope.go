package binder

import (
	"fmt"
	"strings"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// scopeCol is a name visible to expressions: a column of the plan being
// built (idx is its position in that plan's output).
type scopeCol struct {
	name   string
	table  string
	t      types.T
	idx    int
	hidden bool // not expanded by *, not found unqualified (the right side of USING)
	// corrOf is 1 + the index of the enclosing query's column this one
	// copies (a correlated set-returning function in FROM carries the
	// outer values it was computed for); 0 for ordinary columns. Such a
	// column is not expanded by *.
	corrOf int
	// fields name the fields of a record column and where they are: at
	// idx + fieldOff[k] in the same plan (record.go).
	fields     []string
	fieldOff   []int
	fieldTypes []types.T
}

// scope is the set of names an expression may use; parent is the enclosing
// query's scope for correlated subqueries.
type scope struct {
	cols   []scopeCol
	parent *scope
	// merged are the positions (idx) of the columns JOIN ... USING merged,
	// which SELECT * lists first, as PostgreSQL does.
	merged []int
	// plan is the FROM clause's plan the columns index, once bound; a
	// correlated set-returning function in a subquery reads the distinct
	// outer values from it.
	plan logical.Node
}

func scopeOf(s logical.Schema, table string) *scope {
	sc := &scope{}
	for i, c := range s {
		t := c.Table
		if table != "" {
			t = table
		}
		sc.cols = append(sc.cols, scopeCol{name: c.Name, table: t, t: c.T, idx: i})
	}
	return sc
}

// concat is the scope of a join: the right side's positions follow the left's.
func concat(l, r *scope, leftWidth int) *scope {
	sc := &scope{cols: append([]scopeCol(nil), l.cols...), merged: append([]int(nil), l.merged...)}
	for _, m := range r.merged {
		sc.merged = append(sc.merged, m+leftWidth)
	}
	for _, c := range r.cols {
		c.idx += leftWidth
		sc.cols = append(sc.cols, c)
	}
	return sc
}

// lookup resolves a possibly qualified column name in this scope only.
func (s *scope) lookup(table, name string) (*scopeCol, error) {
	var found *scopeCol
	for i := range s.cols {
		c := &s.cols[i]
		if c.name != name || (table != "" && c.table != table) {
			continue
		}
		if table == "" && c.hidden {
			continue
		}
		if found != nil {
			ref := name
			if table != "" {
				ref = table + "." + name
			}
			return nil, sqlerr.New(sqlerr.AmbiguousColumn, "column reference %q is ambiguous", ref)
		}
		found = c
	}
	return found, nil
}

func (s *scope) hasTable(table string) bool {
	for _, c := range s.cols {
		if c.table == table {
			return true
		}
	}
	return false
}

// resolve finds a column in s or an enclosing scope. Outer columns become
// OuterRefs with the distance to their scope.
func (s *scope) resolve(table, name string) (expr.Expr, error) {
	depth := 0
	for sc := s; sc != nil; sc = sc.parent {
		c, err := sc.lookup(table, name)
		if err != nil {
			return nil, err
		}
		if c != nil {
			if depth == 0 {
				return &expr.ColRef{Idx: c.idx, T: c.t, Name: qualified(c.table, c.name)}, nil
			}
			return &expr.OuterRef{Depth: depth, Idx: c.idx, T: c.t, Name: qualified(c.table, c.name)}, nil
		}
		depth++
	}
	if table != "" {
		found := false
		for sc := s; sc != nil; sc = sc.parent {
			if sc.hasTable(table) {
				found = true
			}
		}
		if !found {
			return nil, sqlerr.New(sqlerr.UndefinedTable, "missing FROM-clause entry for table %q", table)
		}
		return nil, sqlerr.New(sqlerr.UndefinedColumn, "column %s.%s does not exist", table, name)
	}
	return nil, sqlerr.New(sqlerr.UndefinedColumn, "column %q does not exist", name)
}

func qualified(table, name string) string {
	if table == "" {
		return name
	}
	return table + "." + name
}

// exprKey is a structural identity of a bound expression, used to match
// GROUP BY expressions in the select list.
func exprKey(e expr.Expr) string {
	var b strings.Builder
	var walk func(expr.Expr)
	walk = func(e expr.Expr) {
		switch n := e.(type) {
		case *expr.ColRef:
			fmt.Fprintf(&b, "#%d", n.Idx)
		case *expr.OuterRef:
			fmt.Fprintf(&b, "^%d.%d", n.Depth, n.Idx)
		case *expr.Const:
			fmt.Fprintf(&b, "c(%s:%s)", n.String(), n.T)
		case *expr.Call:
			b.WriteString(n.Fn + "(")
			for _, a := range n.Args {
				walk(a)
				b.WriteByte(',')
			}
			b.WriteByte(')')
		case *expr.Cast:
			b.WriteString("cast(")
			walk(n.Arg)
			b.WriteString("::" + n.T.String() + ")")
		case *aggRef:
			fmt.Fprintf(&b, "agg%d", n.i)
		default:
			b.WriteString("{" + e.String() + "[")
			for _, c := range expr.Children(e) {
				walk(c)
				b.WriteByte(',')
			}
			b.WriteString("]}")
		}
	}
	walk(e)
	return b.String()
}

// aggRef stands for the i-th aggregate of the query while binding, before
// the aggregate node exists.
type aggRef struct {
	i int
	t types.T
}

func (a *aggRef) Type() types.T  { return a.t }
func (a *aggRef) String() string { return fmt.Sprintf("agg#%d", a.i) }

// subqueryRef stands for a scalar subquery's value until it is joined into
// the plan (attachSubqueries).
type subqueryRef struct {
	q    *boundQuery
	t    types.T
	kind subKind
	lhs  expr.Expr // IN's left operand
	not  bool      // NOT EXISTS, NOT IN
}

type subKind int

const (
	subScalar subKind = iota
	subExists
	subIn
	subArray // ARRAY(subquery)
)

func (s *subqueryRef) Type() types.T  { return s.t }
func (s *subqueryRef) String() string { return "(subquery)" }

// mapExpr rebuilds e top-down: f may replace a node (returning done=true) or
// let mapExpr descend into its children.
func mapExpr(e expr.Expr, f func(expr.Expr) (expr.Expr, bool, error)) (expr.Expr, error) {
	r, done, err := f(e)
	if err != nil || done {
		return r, err
	}
	switch n := e.(type) {
	case *expr.Call:
		c := *n
		c.Args = make([]expr.Expr, len(n.Args))
		for i, a := range n.Args {
			if c.Args[i], err = mapExpr(a, f); err != nil {
				return nil, err
			}
		}
		return &c, nil
	case *expr.Cast:
		c := *n
		if c.Arg, err = mapExpr(n.Arg, f); err != nil {
			return nil, err
		}
		return &c, nil
	case *expr.Case:
		c := *n
		c.Whens = make([]expr.When, len(n.Whens))
		for i, w := range n.Whens {
			cond, err := mapExpr(w.Cond, f)
			if err != nil {
				return nil, err
			}
			res, err := mapExpr(w.Result, f)
			if err != nil {
				return nil, err
			}
			c.Whens[i] = expr.When{Cond: cond, Result: res}
		}
		if n.Else != nil {
			if c.Else, err = mapExpr(n.Else, f); err != nil {
				return nil, err
			}
		}
		return &c, nil
	case *expr.InList:
		c := *n
		if c.Arg, err = mapExpr(n.Arg, f); err != nil {
			return nil, err
		}
		c.List = make([]expr.Expr, len(n.List))
		for i, a := range n.List {
			if c.List[i], err = mapExpr(a, f); err != nil {
				return nil, err
			}
		}
		return &c, nil
	}
	return e, nil
}

// walkAll visits e and all sub-expressions including binder placeholders.
func contains(e expr.Expr, pred func(expr.Expr) bool) bool {
	found := false
	expr.Walk(e, func(x expr.Expr) bool {
		if pred(x) {
			found = true
			return false
		}
		return true
	})
	return found
}

func hasOuter(e expr.Expr) bool {
	return contains(e, func(x expr.Expr) bool { _, ok := x.(*expr.OuterRef); return ok })
}
