// Package expr is the bound expression tree the binder produces and the
// executor compiles into vectorized kernels. Every node is fully typed: the
// binder has already inserted the casts PostgreSQL's rules ask for, so a
// kernel never guesses a type. Column references are positions in the input
// batch of the operator that evaluates the expression.
//
// It imports only sql/types and Arrow.
package expr

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/sql/types"
)

// Expr is a bound scalar expression.
type Expr interface {
	Type() types.T
	String() string
}

// ColRef is column Idx of the operator's input.
type ColRef struct {
	Idx  int
	T    types.T
	Name string // for EXPLAIN only
}

// Const is a literal. Value holds, by T.Kind:
//
//	nil for NULL (any kind)
//	bool                 Bool
//	int64                Int16, Int32, Int64, Time (µs since midnight),
//	                     Timestamp and TimestampTZ (µs since 1970-01-01 UTC)
//	float64              Float32, Float64
//	decimal128.Num       Numeric, unscaled by T.Scale
//	string               Text
//	[]byte               Bytea
//	int32                Date (days since 1970-01-01)
//	types.IntervalValue  Interval
type Const struct {
	Value any
	T     types.T
}

// Call is a scalar function or operator. Fn is one of the names in the
// function table (functions.go); the binder checked argument types and
// computed T.
type Call struct {
	Fn   string
	Args []Expr
	T    types.T
}

// Cast converts Arg to T with PostgreSQL's rules (rounding, overflow errors).
type Cast struct {
	Arg Expr
	T   types.T
}

// When is one WHEN ... THEN ... arm of a Case.
type When struct {
	Cond   Expr // boolean
	Result Expr
}

// Case is a searched CASE (the binder turns simple CASE into searched).
// Else nil means NULL.
type Case struct {
	Whens []When
	Else  Expr
	T     types.T
}

// InList is Arg [NOT] IN (List...) with SQL's three-valued logic: the
// binder already cast Arg and List to one type.
type InList struct {
	Arg     Expr
	List    []Expr
	Negated bool
}

// OuterRef is a column of an enclosing query inside a correlated subquery.
// It exists only while binding: decorrelation replaces every OuterRef before
// a plan reaches the executor.
type OuterRef struct {
	Depth int // 1 = the immediately enclosing query
	Idx   int
	T     types.T
	Name  string
}

// Param is a $n placeholder (1-based), typed by Parse or inferred.
type Param struct {
	N int
	T types.T
}

func (e *ColRef) Type() types.T   { return e.T }
func (e *Const) Type() types.T    { return e.T }
func (e *Call) Type() types.T     { return e.T }
func (e *Cast) Type() types.T     { return e.T }
func (e *Case) Type() types.T     { return e.T }
func (e *InList) Type() types.T   { return types.BoolT }
func (e *OuterRef) Type() types.T { return e.T }
func (e *Param) Type() types.T    { return e.T }

func (e *ColRef) String() string {
	if e.Name != "" {
		return e.Name
	}
	return fmt.Sprintf("#%d", e.Idx)
}

func (e *Const) String() string {
	switch v := e.Value.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case decimal128.Num:
		return v.ToString(e.T.Scale)
	case int32:
		if e.T.Kind == types.Date {
			return fmt.Sprintf("date(%d)", v)
		}
	case types.IntervalValue:
		return fmt.Sprintf("interval(%dmon %dd %dus)", v.Months, v.Days, v.Micros)
	}
	return fmt.Sprint(e.Value)
}

func (e *Call) String() string {
	if e.Fn == NativeFn && len(e.Args) > 0 {
		if c, ok := e.Args[0].(*Const); ok {
			if f, ok := c.Value.(*Native); ok {
				return (&Call{Fn: f.Name, Args: e.Args[1:], T: e.T}).String()
			}
		}
	}
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = a.String()
	}
	if isOperator(e.Fn) && len(args) == 2 {
		return "(" + args[0] + " " + e.Fn + " " + args[1] + ")"
	}
	return e.Fn + "(" + strings.Join(args, ", ") + ")"
}

func (e *Cast) String() string { return e.Arg.String() + "::" + e.T.String() }

func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range e.Whens {
		fmt.Fprintf(&b, " WHEN %s THEN %s", w.Cond, w.Result)
	}
	if e.Else != nil {
		fmt.Fprintf(&b, " ELSE %s", e.Else)
	}
	b.WriteString(" END")
	return b.String()
}

func (e *InList) String() string {
	items := make([]string, len(e.List))
	for i, a := range e.List {
		items[i] = a.String()
	}
	not := ""
	if e.Negated {
		not = "NOT "
	}
	return fmt.Sprintf("%s %sIN (%s)", e.Arg, not, strings.Join(items, ", "))
}

func (e *OuterRef) String() string { return fmt.Sprintf("outer(%s)", e.Name) }
func (e *Param) String() string    { return fmt.Sprintf("$%d", e.N) }

func isOperator(fn string) bool {
	switch fn {
	case "+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">=", "and", "or", "||", "like", "not like", "ilike", "not ilike", "is distinct from", "is not distinct from":
		return true
	}
	return false
}

// Children returns the direct sub-expressions of e.
func Children(e Expr) []Expr {
	switch e := e.(type) {
	case *Call:
		return e.Args
	case *Cast:
		return []Expr{e.Arg}
	case *Case:
		out := make([]Expr, 0, 2*len(e.Whens)+1)
		for _, w := range e.Whens {
			out = append(out, w.Cond, w.Result)
		}
		if e.Else != nil {
			out = append(out, e.Else)
		}
		return out
	case *InList:
		return append([]Expr{e.Arg}, e.List...)
	}
	return nil
}

// Rewrite returns e with f applied bottom-up: children first, then the node.
// f returns its argument unchanged to keep a node.
func Rewrite(e Expr, f func(Expr) Expr) Expr {
	switch n := e.(type) {
	case *Call:
		args := make([]Expr, len(n.Args))
		for i, a := range n.Args {
			args[i] = Rewrite(a, f)
		}
		c := *n
		c.Args = args
		return f(&c)
	case *Cast:
		c := *n
		c.Arg = Rewrite(n.Arg, f)
		return f(&c)
	case *Case:
		c := *n
		c.Whens = make([]When, len(n.Whens))
		for i, w := range n.Whens {
			c.Whens[i] = When{Cond: Rewrite(w.Cond, f), Result: Rewrite(w.Result, f)}
		}
		if n.Else != nil {
			c.Else = Rewrite(n.Else, f)
		}
		return f(&c)
	case *InList:
		c := *n
		c.Arg = Rewrite(n.Arg, f)
		c.List = make([]Expr, len(n.List))
		for i, a := range n.List {
			c.List[i] = Rewrite(a, f)
		}
		return f(&c)
	}
	return f(e)
}

// Walk calls f on e and every sub-expression, pre-order, until f returns false.
func Walk(e Expr, f func(Expr) bool) bool {
	if !f(e) {
		return false
	}
	for _, c := range Children(e) {
		if !Walk(c, f) {
			return false
		}
	}
	return true
}

// Columns returns the set of input columns e reads.
func Columns(e Expr) map[int]bool {
	out := map[int]bool{}
	Walk(e, func(x Expr) bool {
		if c, ok := x.(*ColRef); ok {
			out[c.Idx] = true
		}
		return true
	})
	return out
}

// Conjuncts splits e on top-level ANDs.
func Conjuncts(e Expr) []Expr {
	if c, ok := e.(*Call); ok && c.Fn == "and" {
		var out []Expr
		for _, a := range c.Args {
			out = append(out, Conjuncts(a)...)
		}
		return out
	}
	if e == nil {
		return nil
	}
	return []Expr{e}
}

// And joins conjuncts with AND; nil for none.
func And(es ...Expr) Expr {
	var out Expr
	for _, e := range es {
		if e == nil {
			continue
		}
		if out == nil {
			out = e
			continue
		}
		out = &Call{Fn: "and", Args: []Expr{out, e}, T: types.BoolT}
	}
	return out
}

// ArrayCtor is the function ARRAY[e1, e2, ...] binds to; its T is the
// array type and its arguments are already cast to the element type.
const ArrayCtor = "__array"

// CheckSingleRow is the function the binder wraps around a correlated
// scalar subquery's value: __check_single_row(matches, value) returns value
// and fails with 21000 where an outer row matched more than one row.
const CheckSingleRow = "__check_single_row"

// Or joins a and b with OR.
func Or(a, b Expr) Expr { return &Call{Fn: "or", Args: []Expr{a, b}, T: types.BoolT} }

// AggCall is an aggregate function call inside an Aggregate plan node.
// Fn: count_star, count, sum, avg, min, max (more with the analytics issue).
// Args are evaluated against the aggregate's input.
type AggCall struct {
	Fn       string
	Args     []Expr
	Distinct bool
	Filter   Expr // optional FILTER (WHERE ...)
	// Order is the aggregate's own ORDER BY (string_agg(x, ',' ORDER BY y))
	// or an ordered-set aggregate's WITHIN GROUP key (whose value is also
	// the last argument).
	Order       []AggOrder
	WithinGroup bool
	T           types.T
}

// AggOrder is one ORDER BY key of an aggregate.
type AggOrder struct {
	E          Expr
	Desc       bool
	NullsFirst bool
}

func (a *AggCall) String() string {
	args := make([]string, len(a.Args))
	for i, x := range a.Args {
		args[i] = x.String()
	}
	d := ""
	if a.Distinct {
		d = "DISTINCT "
	}
	if a.Fn == "count_star" {
		return "count(*)"
	}
	return a.Fn + "(" + d + strings.Join(args, ", ") + ")"
}

// Key is a structural identity of e: two expressions with the same key
// compute the same value over the same input.
func Key(e Expr) string {
	var b strings.Builder
	var walk func(Expr)
	walk = func(e Expr) {
		switch n := e.(type) {
		case *ColRef:
			fmt.Fprintf(&b, "#%d", n.Idx)
		case *OuterRef:
			fmt.Fprintf(&b, "^%d.%d", n.Depth, n.Idx)
		case *Const:
			fmt.Fprintf(&b, "c(%s:%s)", n.String(), n.T)
		case *Call:
			b.WriteString(n.Fn + "(")
			for _, a := range n.Args {
				walk(a)
				b.WriteByte(',')
			}
			b.WriteByte(')')
		case *Cast:
			b.WriteString("cast(")
			walk(n.Arg)
			b.WriteString("::" + n.T.String() + ")")
		default:
			fmt.Fprintf(&b, "{%T[", e)
			for _, c := range Children(e) {
				walk(c)
				b.WriteByte(',')
			}
			if in, ok := e.(*InList); ok && in.Negated {
				b.WriteString("not")
			}
			b.WriteString("]}")
		}
	}
	walk(e)
	return b.String()
}

// Remap returns e with every column reference i replaced by m[i].
func Remap(e Expr, m func(int) int) Expr {
	return Rewrite(e, func(x Expr) Expr {
		if c, ok := x.(*ColRef); ok {
			return &ColRef{Idx: m(c.Idx), T: c.T, Name: c.Name}
		}
		return x
	})
}

// NativeFn is the name of a call whose first argument is a Const holding a
// *Native: a Go function the binder bound from what it alone knows (the
// system catalog: oids to names, visibility, sizes) and the executor calls
// row by row. The other arguments are ordinary expressions.
const NativeFn = "__native"

// Native is a function bound at plan time. Fn receives its arguments and
// returns its result in Const encoding (nil is NULL); it must be safe for
// concurrent use, as parallel streams share it.
type Native struct {
	Name   string
	Strict bool // a NULL argument gives NULL without calling Fn
	Fn     func(args []any) (any, error)
}

func (n *Native) String() string { return n.Name }

// NewNative builds the call of f on args with result type t.
func NewNative(f *Native, t types.T, args ...Expr) *Call {
	all := append([]Expr{&Const{Value: f, T: types.UnknownT}}, args...)
	return &Call{Fn: NativeFn, Args: all, T: t}
}
