// Package logical holds the logical plan: small relational nodes whose
// expressions refer to their input's columns by position. The binder builds
// it, optimizer rules rewrite it, and the physical planner turns it into
// operators. Nodes carry no behaviour beyond describing themselves.
package logical

import (
	"fmt"
	"strings"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// Column is one output column of a node.
type Column struct {
	Name     string
	Table    string // qualifier the column can be referred to by ("" if none)
	T        types.T
	Nullable bool
}

// Schema is a node's ordered output columns.
type Schema []Column

// Node is a logical plan node.
type Node interface {
	Schema() Schema
	Children() []Node
	WithChildren(children []Node) Node
	String() string // one line, without children
}

// Scan reads columns Cols of a stored table, keeping rows that pass every
// filter in Filters (bound over the scan's output).
type Scan struct {
	Table   *storage.Table
	Alias   string
	Cols    []int
	Filters []expr.Expr
	Out     Schema
	// Assigned limits the scan to Splits (a distributed task's share of
	// the table); otherwise it reads every split its filters allow.
	Assigned bool
	Splits   []SplitID
}

// Values is a constant relation (SELECT without FROM, VALUES lists).
type Values struct {
	Rows [][]expr.Expr
	Out  Schema
}

// Filter keeps the rows where Cond is true.
type Filter struct {
	Input Node
	Cond  expr.Expr
}

// Project computes Exprs over its input.
type Project struct {
	Input Node
	Exprs []expr.Expr
	Out   Schema
}

// Aggregate groups by Groups and computes Aggs; output is groups then aggs.
type Aggregate struct {
	Input  Node
	Groups []expr.Expr
	Aggs   []*expr.AggCall
	Out    Schema
	Phase  AggPhase // AggWhole except in distributed plans (dist.go)
}

// JoinKind is the kind of a join.
type JoinKind int

const (
	Inner JoinKind = iota
	Left
	Right
	Full
	Cross
	Semi          // left rows with a match (EXISTS, IN)
	Anti          // left rows without a match (NOT EXISTS)
	AntiNullAware // NOT IN: any NULL key on the right empties the result
)

var joinNames = [...]string{"Inner", "Left", "Right", "Full", "Cross", "Semi", "Anti", "AntiNullAware"}

func (k JoinKind) String() string { return joinNames[k] }

// Join combines Left and Right; Cond is bound over left++right columns.
// Semi and anti joins output only the left columns.
type Join struct {
	Left, Right Node
	Kind        JoinKind
	Cond        expr.Expr
}

// SortKey is one ORDER BY item.
type SortKey struct {
	E          expr.Expr
	Desc       bool
	NullsFirst bool
}

// Sort orders its input.
type Sort struct {
	Input Node
	Keys  []SortKey
}

// Limit skips Offset rows and returns at most Count (-1: all).
type Limit struct {
	Input  Node
	Offset int64
	Count  int64
}

// Union concatenates inputs with the same column types (UNION ALL); UNION
// is an Aggregate over it.
type Union struct {
	Inputs []Node
	Out    Schema
}

// EnforceSingleRow passes at most one row and fails on a second; on empty
// input it produces one row of NULLs (a scalar subquery's value).
type EnforceSingleRow struct {
	Input Node
}

func (n *Scan) Schema() Schema             { return n.Out }
func (n *Values) Schema() Schema           { return n.Out }
func (n *Filter) Schema() Schema           { return n.Input.Schema() }
func (n *Project) Schema() Schema          { return n.Out }
func (n *Aggregate) Schema() Schema        { return n.Out }
func (n *Sort) Schema() Schema             { return n.Input.Schema() }
func (n *Limit) Schema() Schema            { return n.Input.Schema() }
func (n *Union) Schema() Schema            { return n.Out }
func (n *EnforceSingleRow) Schema() Schema { return n.Input.Schema() }

// Schema of a join: left then right; left only for semi and anti joins.
// Outer joins make the other side's columns nullable.
func (n *Join) Schema() Schema {
	l := n.Left.Schema()
	switch n.Kind {
	case Semi, Anti, AntiNullAware:
		return l
	}
	r := n.Right.Schema()
	out := make(Schema, 0, len(l)+len(r))
	for _, c := range l {
		if n.Kind == Right || n.Kind == Full {
			c.Nullable = true
		}
		out = append(out, c)
	}
	for _, c := range r {
		if n.Kind == Left || n.Kind == Full {
			c.Nullable = true
		}
		out = append(out, c)
	}
	return out
}

func (n *Scan) Children() []Node             { return nil }
func (n *Values) Children() []Node           { return nil }
func (n *Filter) Children() []Node           { return []Node{n.Input} }
func (n *Project) Children() []Node          { return []Node{n.Input} }
func (n *Aggregate) Children() []Node        { return []Node{n.Input} }
func (n *Join) Children() []Node             { return []Node{n.Left, n.Right} }
func (n *Sort) Children() []Node             { return []Node{n.Input} }
func (n *Limit) Children() []Node            { return []Node{n.Input} }
func (n *Union) Children() []Node            { return n.Inputs }
func (n *EnforceSingleRow) Children() []Node { return []Node{n.Input} }

func (n *Scan) WithChildren([]Node) Node   { c := *n; return &c }
func (n *Values) WithChildren([]Node) Node { c := *n; return &c }
func (n *Filter) WithChildren(ch []Node) Node {
	c := *n
	c.Input = ch[0]
	return &c
}
func (n *Project) WithChildren(ch []Node) Node {
	c := *n
	c.Input = ch[0]
	return &c
}
func (n *Aggregate) WithChildren(ch []Node) Node {
	c := *n
	c.Input = ch[0]
	return &c
}
func (n *Join) WithChildren(ch []Node) Node {
	c := *n
	c.Left, c.Right = ch[0], ch[1]
	return &c
}
func (n *Sort) WithChildren(ch []Node) Node {
	c := *n
	c.Input = ch[0]
	return &c
}
func (n *Limit) WithChildren(ch []Node) Node {
	c := *n
	c.Input = ch[0]
	return &c
}
func (n *Union) WithChildren(ch []Node) Node {
	c := *n
	c.Inputs = ch
	return &c
}
func (n *EnforceSingleRow) WithChildren(ch []Node) Node {
	c := *n
	c.Input = ch[0]
	return &c
}

func exprList(es []expr.Expr) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}

func (n *Scan) String() string {
	names := make([]string, len(n.Cols))
	for i, c := range n.Out {
		names[i] = c.Name
	}
	s := fmt.Sprintf("Scan %s", n.Table.Name)
	if n.Alias != "" && n.Alias != n.Table.Name {
		s += " AS " + n.Alias
	}
	s += " [" + strings.Join(names, ", ") + "]"
	if len(n.Filters) > 0 {
		s += " filters: " + exprList(n.Filters)
	}
	if n.Assigned {
		s += " splits: " + splitsString(n.Splits)
	}
	return s
}
func (n *Values) String() string { return fmt.Sprintf("Values (%d rows)", len(n.Rows)) }
func (n *Filter) String() string { return "Filter " + n.Cond.String() }
func (n *Project) String() string {
	return "Project " + exprList(n.Exprs)
}
func (n *Aggregate) String() string {
	aggs := make([]string, len(n.Aggs))
	for i, a := range n.Aggs {
		aggs[i] = a.String()
	}
	return fmt.Sprintf("%sAggregate groups: [%s] aggs: [%s]", n.Phase, exprList(n.Groups), strings.Join(aggs, ", "))
}
func (n *Join) String() string {
	s := n.Kind.String() + " Join"
	if n.Cond != nil {
		s += " on " + n.Cond.String()
	}
	return s
}
func (n *Sort) String() string {
	ks := make([]string, len(n.Keys))
	for i, k := range n.Keys {
		ks[i] = k.E.String()
		if k.Desc {
			ks[i] += " DESC"
		}
		if k.NullsFirst != k.Desc {
			if k.NullsFirst {
				ks[i] += " NULLS FIRST"
			} else {
				ks[i] += " NULLS LAST"
			}
		}
	}
	return "Sort " + strings.Join(ks, ", ")
}
func (n *Limit) String() string {
	return fmt.Sprintf("Limit offset=%d count=%d", n.Offset, n.Count)
}
func (n *Union) String() string            { return "Union All" }
func (n *EnforceSingleRow) String() string { return "EnforceSingleRow" }

// Format prints the plan as an indented tree.
func Format(n Node) string {
	var b strings.Builder
	var walk func(Node, int)
	walk = func(n Node, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(n.String())
		b.WriteByte('\n')
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	for _, c := range CTEs(n) {
		b.WriteString("CTE " + c.Name + " (computed once):\n")
		walk(c.Plan, 1)
	}
	return b.String()
}

// CTE is a WITH query that more than one place reads: it runs once and
// every CTEScan reads its materialised rows.
type CTE struct {
	Name string
	Plan Node
}

// CTEScan reads a shared CTE. It is a leaf: rules do not rewrite the CTE's
// plan through it (the optimizer optimises each CTE's plan once, alone).
type CTEScan struct {
	CTE   *CTE
	Alias string
}

func (n *CTEScan) Schema() Schema {
	s := n.CTE.Plan.Schema()
	if n.Alias == "" {
		return s
	}
	out := make(Schema, len(s))
	for i, c := range s {
		c.Table = n.Alias
		out[i] = c
	}
	return out
}
func (n *CTEScan) Children() []Node         { return nil }
func (n *CTEScan) WithChildren([]Node) Node { c := *n; return &c }
func (n *CTEScan) String() string           { return "CTE Scan " + n.CTE.Name }

// CTEs lists the shared CTEs n reads, each once, inner ones first.
func CTEs(n Node) []*CTE {
	var out []*CTE
	seen := map[*CTE]bool{}
	var walk func(Node)
	walk = func(n Node) {
		if s, ok := n.(*CTEScan); ok && !seen[s.CTE] {
			seen[s.CTE] = true
			walk(s.CTE.Plan)
			out = append(out, s.CTE)
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(n)
	return out
}

// WindowBound is one end of a window frame. Kind is "unbounded preceding",
// "preceding", "current row", "following" or "unbounded following"; Offset
// is set for "preceding" and "following".
type WindowBound struct {
	Kind   string
	Offset expr.Expr
}

// WindowFrame is ROWS, RANGE or GROUPS between two bounds, with an EXCLUDE
// option ("", "current row", "group", "ties").
type WindowFrame struct {
	Mode       string
	Start, End WindowBound
	Exclude    string
}

// WindowFunc is one window function call; a nil Frame is PostgreSQL's
// default frame.
type WindowFunc struct {
	Name  string
	Args  []expr.Expr
	Frame *WindowFrame
	T     types.T
}

// Window computes window functions that share one PARTITION BY and ORDER
// BY; its output is its input's columns followed by one column per call.
type Window struct {
	Input     Node
	Partition []expr.Expr
	Order     []SortKey
	Funcs     []WindowFunc
}

func (n *Window) Schema() Schema {
	out := append(Schema(nil), n.Input.Schema()...)
	for _, f := range n.Funcs {
		out = append(out, Column{Name: f.Name, T: f.T, Nullable: true})
	}
	return out
}
func (n *Window) Children() []Node { return []Node{n.Input} }
func (n *Window) WithChildren(ch []Node) Node {
	c := *n
	c.Input = ch[0]
	return &c
}
func (n *Window) String() string {
	fs := make([]string, len(n.Funcs))
	for i, f := range n.Funcs {
		fs[i] = f.Name + "(" + exprList(f.Args) + ")"
	}
	keys := make([]string, len(n.Order))
	for i, k := range n.Order {
		keys[i] = k.E.String()
		if k.Desc {
			keys[i] += " DESC"
		}
	}
	return fmt.Sprintf("Window [%s] partition by [%s] order by [%s]", strings.Join(fs, ", "), exprList(n.Partition), strings.Join(keys, ", "))
}

// TableFunc is a set-returning function in FROM (generate_series) whose
// arguments are constants.
type TableFunc struct {
	Name string
	Args []expr.Expr
	Out  Schema
}

func (n *TableFunc) Schema() Schema           { return n.Out }
func (n *TableFunc) Children() []Node         { return nil }
func (n *TableFunc) WithChildren([]Node) Node { c := *n; return &c }
func (n *TableFunc) String() string           { return n.Name + "(" + exprList(n.Args) + ")" }

// ProjectSet evaluates set-returning functions in a select list
// (PostgreSQL's ProjectSet): for each input row every function yields a
// set; the row is repeated as often as the longest set, the shorter sets
// padded with NULLs, and a row whose sets are all empty disappears. The
// output is the input's columns followed by one column per function.
type ProjectSet struct {
	Input Node
	Funcs []SetFunc
	Out   Schema
}

// SetFunc is one set-returning function of a ProjectSet: generate_series
// or unnest, with arguments over the input.
type SetFunc struct {
	Name string
	Args []expr.Expr
	T    types.T
	// Ordinality adds a bigint column after the function's numbering its
	// values from 1 (WITH ORDINALITY).
	Ordinality bool
}

func (n *ProjectSet) Schema() Schema   { return n.Out }
func (n *ProjectSet) Children() []Node { return []Node{n.Input} }
func (n *ProjectSet) WithChildren(c []Node) Node {
	x := *n
	x.Input = c[0]
	return &x
}
func (n *ProjectSet) String() string {
	fs := make([]string, len(n.Funcs))
	for i, f := range n.Funcs {
		fs[i] = f.Name + "(" + exprList(f.Args) + ")"
	}
	return "ProjectSet [" + strings.Join(fs, ", ") + "]"
}
