package binder

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/pgkeywords"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// srfRef stands for the i-th set-returning function of a select list; the
// ProjectSet built after windows gives it a column.
type srfRef struct {
	i   int
	t   types.T
	ord bool // the function's ordinality column rather than its value
}

func (s *srfRef) Type() types.T  { return s.t }
func (s *srfRef) String() string { return fmt.Sprintf("srf#%d", s.i) }

// isSetFunc reports whether name is a set-returning function Basalt runs in
// a select list.
func isSetFunc(name string) bool {
	return name == "generate_series" || name == "unnest" || name == "generate_subscripts"
}

// typeSetFuncAs is typeSetFunc for every set-returning function: fn is the
// one that runs (generate_subscripts is a generate_series over the array's
// bounds).
func (b *Binder) typeSetFuncAs(name string, args []expr.Expr) (fn string, out []expr.Expr, t types.T, err error) {
	if name != "generate_subscripts" {
		out, t, err = b.typeSetFunc(name, args)
		return name, out, t, err
	}
	if len(args) != 2 && len(args) != 3 {
		return "", nil, types.T{}, sqlerr.New(sqlerr.UndefinedFunction, "function generate_subscripts with %d arguments does not exist", len(args))
	}
	arr := args[0]
	if arr.Type().Kind != types.Array {
		return "", nil, types.T{}, sqlerr.New(sqlerr.UndefinedFunction, "function generate_subscripts(%s, %s) does not exist", arr.Type(), args[1].Type())
	}
	dim, ok := constArg(args[1])
	if !ok {
		return "", nil, types.T{}, sqlerr.New(sqlerr.FeatureNotSupported, "generate_subscripts with a non-constant dimension is not supported")
	}
	reverse := false
	if len(args) == 3 {
		r, null, err := constBoolArg(args[2], name)
		if err != nil {
			return "", nil, types.T{}, err
		}
		reverse = r && !null
	}
	// Arrays are one-dimensional with lower bound 1; int2vector and
	// oidvector start at 0. Another dimension has no subscripts.
	lo := int64(1)
	if arr.Type().IsVector() {
		lo = 0
	}
	card, err := b.callFuncBound("cardinality", []expr.Expr{arr})
	if err != nil {
		return "", nil, types.T{}, err
	}
	hi, err := b.binary("-", card, &expr.Const{Value: 1 - lo, T: types.Int32T})
	if err != nil {
		return "", nil, types.T{}, err
	}
	if d, isInt := dim.(int64); !isInt || d != 1 {
		hi = &expr.Const{T: types.Int32T}
	}
	start, step := expr.Expr(&expr.Const{Value: lo, T: types.Int32T}), int64(1)
	if reverse {
		start, hi, step = hi, start, -1
	}
	return "generate_series", []expr.Expr{start, hi, &expr.Const{Value: step, T: types.Int32T}}, types.Int32T, nil
}

// bindScalarFromFunc binds a function that returns one value, called in
// FROM ("FROM string_to_array(...) s"): one row with the value in a
// column named after the alias.
func (b *Binder) bindScalarFromFunc(name string, f *ast.FuncCallExpr, parent *scope, alias string) (logical.Node, error) {
	call := &ast.FuncCallExpr{FnName: ast.NewCIStr(name), Args: f.Args[1:]}
	x, err := b.bindExpr(call, &exprCtx{sc: &scope{parent: parent}, clause: "FROM"})
	if err != nil {
		return nil, err
	}
	if hasOuterRef([]expr.Expr{x}) {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "function %s in FROM reading the enclosing query is not supported", name)
	}
	x = finishUnknown(x)
	col := alias
	if col == "" {
		col = name
	}
	return &logical.Project{Input: &logical.Values{Rows: [][]expr.Expr{{}}}, Exprs: []expr.Expr{x},
		Out: logical.Schema{{Name: col, T: x.Type(), Nullable: true}}}, nil
}

// bindSetFunc binds generate_series/unnest in a select list: the arguments
// over the row, the call collected for the ProjectSet.
func (b *Binder) bindSetFunc(name string, n *ast.FuncCallExpr, ctx *exprCtx) (expr.Expr, error) {
	if ctx.srfs == nil {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "set-returning functions are not allowed in %s", ctx.clause)
	}
	// Arguments are bound without the collector: PostgreSQL nests SRFs in
	// further ProjectSets, which Basalt does not build.
	inner := *ctx
	inner.srfs = nil
	inner.clause = "arguments of a set-returning function"
	var args []expr.Expr
	for _, a := range n.Args {
		x, err := b.bindExpr(a, &inner)
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	fn, args, t, err := b.typeSetFuncAs(name, args)
	if err != nil {
		return nil, err
	}
	*ctx.srfs = append(*ctx.srfs, &logical.SetFunc{Name: fn, Args: args, T: t})
	return &srfRef{i: len(*ctx.srfs) - 1, t: t}, nil
}

// typeSetFunc checks and coerces the arguments of generate_series and
// unnest and returns the type of their values, as PostgreSQL types them:
// integers stay integer, any numeric argument makes numeric, timestamps
// step by an interval; unnest yields the array's element type.
func (b *Binder) typeSetFunc(name string, args []expr.Expr) ([]expr.Expr, types.T, error) {
	if name == "unnest" {
		if len(args) != 1 {
			return nil, types.T{}, sqlerr.New(sqlerr.FeatureNotSupported, "unnest of several arrays is not supported yet")
		}
		x := args[0]
		if x.Type().Kind == types.Unknown {
			return nil, types.T{}, sqlerr.New(sqlerr.UndefinedFunction, "function unnest(unknown) is not unique")
		}
		if x.Type().Kind != types.Array {
			return nil, types.T{}, sqlerr.New(sqlerr.UndefinedFunction, "function unnest(%s) does not exist", x.Type())
		}
		return args, x.Type().ElemType(), nil
	}
	if len(args) < 2 || len(args) > 3 {
		return nil, types.T{}, sqlerr.New(sqlerr.UndefinedFunction, "function generate_series with %d arguments does not exist", len(args))
	}
	bounds := args[:2]
	t, err := commonType(bounds, "generate_series")
	if err != nil {
		return nil, types.T{}, err
	}
	switch {
	case t.Kind == types.Int16:
		t = types.Int32T
	case t.Kind == types.Date || t.Kind == types.Timestamp:
		t = types.TimestampT
	case t.Kind == types.TimestampTZ, t.IsInteger():
	case t.Kind == types.Numeric || t.IsFloat():
		if len(args) == 3 && args[2].Type().Kind == types.Numeric {
			t = types.NumericT(0, max(t.Scale, args[2].Type().Scale))
		} else {
			t = types.NumericT(0, t.Scale)
		}
	default:
		return nil, types.T{}, sqlerr.New(sqlerr.UndefinedFunction, "function generate_series(%s, %s) does not exist", bounds[0].Type(), bounds[1].Type())
	}
	for i := range bounds {
		if args[i], err = b.coerce(args[i], t, "generate_series"); err != nil {
			return nil, types.T{}, err
		}
	}
	if len(args) == 3 {
		st := t
		if t.IsTemporal() {
			st = types.IntervalT
		}
		if args[2], err = b.coerce(args[2], st, "generate_series"); err != nil {
			return nil, types.T{}, err
		}
	} else if t.IsTemporal() {
		return nil, types.T{}, sqlerr.New(sqlerr.UndefinedFunction, "function generate_series(%s, %s) does not exist", t, t)
	}
	return args, t, nil
}

// buildProjectSet puts the select list's set-returning functions over cur
// and returns the mapping of their placeholders to its columns.
func (b *Binder) buildProjectSet(cur logical.Node, srfs []*logical.SetFunc, post func(expr.Expr) (expr.Expr, error)) (logical.Node, func(expr.Expr) (expr.Expr, error), error) {
	in := cur.Schema()
	ps := &logical.ProjectSet{Input: cur, Out: append(logical.Schema(nil), in...)}
	for _, f := range srfs {
		sf := logical.SetFunc{Name: f.Name, T: f.T}
		for _, a := range f.Args {
			x, err := post(a)
			if err != nil {
				return nil, nil, err
			}
			sf.Args = append(sf.Args, x)
		}
		sf.Ordinality = f.Ordinality
		ps.Funcs = append(ps.Funcs, sf)
		ps.Out = append(ps.Out, logical.Column{Name: f.Name, T: f.T, Nullable: true})
		if f.Ordinality {
			ps.Out = append(ps.Out, logical.Column{Name: "ordinality", T: types.Int64T, Nullable: true})
		}
	}
	// Each function's value column, then its ordinality if it has one.
	cols := make([]int, len(srfs))
	next := len(in)
	for i, f := range srfs {
		cols[i] = next
		next++
		if f.Ordinality {
			next++
		}
	}
	mapped := func(e expr.Expr) (expr.Expr, error) {
		e, err := post(e)
		if err != nil {
			return nil, err
		}
		return mapExpr(e, func(x expr.Expr) (expr.Expr, bool, error) {
			if s, ok := x.(*srfRef); ok {
				if s.ord {
					return &expr.ColRef{Idx: cols[s.i] + 1, T: s.t, Name: "ordinality"}, true, nil
				}
				return &expr.ColRef{Idx: cols[s.i], T: s.t, Name: srfs[s.i].Name}, true, nil
			}
			return x, false, nil
		})
	}
	return ps, mapped, nil
}

// keywordsValues is pg_get_keywords(): PostgreSQL's keyword list as rows.
func keywordsValues() *logical.Values {
	v := &logical.Values{Out: logical.Schema{
		{Name: "word", T: types.TextT}, {Name: "catcode", T: types.TextT}, {Name: "barelabel", T: types.BoolT},
		{Name: "catdesc", T: types.TextT}, {Name: "baredesc", T: types.TextT}}}
	for _, k := range pgkeywords.List {
		v.Rows = append(v.Rows, []expr.Expr{textConst(k.Word), textConst(string(k.Cat)),
			&expr.Const{Value: k.BareLabel, T: types.BoolT}, textConst(pgkeywords.CatDesc(k.Cat)), textConst(pgkeywords.BareDesc(k.BareLabel))})
	}
	return v
}

// bindLateralSRF binds "left, [LATERAL] f(args over left) [AS] g[(c)]"
// (comma, CROSS JOIN or INNER JOIN ... ON) as a ProjectSet over left: a
// single function in FROM drops the rows whose set is empty exactly as the
// select-list form does. ok is false when j is not that shape or the
// function reads nothing of left (bindErr, the error of binding it alone,
// stands then).
func (b *Binder) bindLateralSRF(j *ast.Join, left logical.Node, ls *scope, bindErr error) (logical.Node, *scope, bool, error) {
	switch sqlerr.Code(bindErr) {
	case sqlerr.UndefinedColumn, sqlerr.UndefinedTable, sqlerr.FeatureNotSupported:
	default:
		return nil, nil, false, nil
	}
	ts, ok := j.Right.(*ast.TableSource)
	if !ok {
		return nil, nil, false, nil
	}
	sel, ok := ts.Source.(*ast.SelectStmt)
	if !ok {
		return nil, nil, false, nil
	}
	f := srfCall(sel)
	if f == nil {
		return nil, nil, false, nil
	}
	name, _ := constString(f.Args[0])
	if !isSetFunc(name) {
		return nil, nil, false, nil
	}
	if j.Tp != ast.CrossJoin || j.Using != nil || j.NaturalJoin {
		return nil, nil, true, sqlerr.New(sqlerr.FeatureNotSupported, "outer joins with a set-returning function reading the other FROM items are not supported yet")
	}
	ctx := &exprCtx{sc: ls, clause: "FROM"}
	var args []expr.Expr
	for _, a := range f.Args[1:] {
		x, err := b.bindExpr(a, ctx)
		if err != nil {
			return nil, nil, true, err
		}
		args = append(args, x)
	}
	fn, args, t, err := b.typeSetFuncAs(name, args)
	if err != nil {
		return nil, nil, true, err
	}
	ord := f.FnName.L == "__pg_srf_ordinality"
	alias := ts.AsName.O
	cols := []string{alias}
	if ord {
		cols = append(cols, "ordinality")
	}
	if al := b.ColumnAliases[strings.ToLower(alias)]; len(al) > 0 {
		if len(al) > len(cols) {
			return nil, nil, true, sqlerr.New(sqlerr.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, len(cols), len(al))
		}
		copy(cols, al)
	}
	width := len(left.Schema())
	ps := &logical.ProjectSet{Input: left, Out: append(logical.Schema(nil), left.Schema()...),
		Funcs: []logical.SetFunc{{Name: fn, Args: args, T: t, Ordinality: ord}}}
	ps.Out = append(ps.Out, logical.Column{Name: cols[0], Table: alias, T: t, Nullable: true})
	rs := &scope{cols: []scopeCol{{name: cols[0], table: alias, t: t, idx: 0}}}
	if ord {
		ps.Out = append(ps.Out, logical.Column{Name: cols[1], Table: alias, T: types.Int64T})
		rs.cols = append(rs.cols, scopeCol{name: cols[1], table: alias, t: types.Int64T, idx: 1})
	}
	for _, tn := range tableNames(ls) {
		if tn == alias {
			return nil, nil, true, sqlerr.New(sqlerr.DuplicateAlias, "table name %q specified more than once", alias)
		}
	}
	sc := concat(ls, rs, width)
	sc.parent = ls.parent
	var plan logical.Node = ps
	if j.On != nil {
		cond, err := b.bindScalar(j.On.Expr, sc, "JOIN/ON")
		if err != nil {
			return nil, nil, true, err
		}
		plan = &logical.Filter{Input: plan, Cond: cond}
	}
	return plan, sc, true, nil
}

// bindOrdinalitySRF binds "f(args) WITH ORDINALITY" in FROM over constant
// arguments: a ProjectSet over one empty row numbers the values.
func (b *Binder) bindOrdinalitySRF(f *ast.FuncCallExpr) (*logical.ProjectSet, error) {
	name, _ := constString(f.Args[0])
	if !isSetFunc(name) {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "function %s in FROM is not supported", name)
	}
	ctx := &exprCtx{sc: &scope{}, clause: "FROM"}
	var args []expr.Expr
	for _, a := range f.Args[1:] {
		x, err := b.bindExpr(a, ctx)
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	fn, args, t, err := b.typeSetFuncAs(name, args)
	if err != nil {
		return nil, err
	}
	return &logical.ProjectSet{Input: &logical.Values{Rows: [][]expr.Expr{{}}},
		Funcs: []logical.SetFunc{{Name: fn, Args: args, T: t, Ordinality: true}},
		Out:   logical.Schema{{Name: name, T: t, Nullable: true}, {Name: "ordinality", T: types.Int64T}}}, nil
}

// bindField binds (expr).field. Basalt has no composite types; the one
// composite clients select fields of is information_schema._pg_expandarray
// (arr), whose rows are (x, n): the elements and their positions, as pgjdbc
// and Metabase read index and key columns. It is unnest(arr) WITH
// ORDINALITY in the select list.
func (b *Binder) bindField(n *ast.FuncCallExpr, ctx *exprCtx) (expr.Expr, error) {
	field, _ := constString(n.Args[1])
	inner := n.Args[0]
	for {
		p, ok := inner.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		inner = p.Expr
	}
	f, ok := inner.(*ast.FuncCallExpr)
	if !ok || !isExpandArray(f) {
		// A record column (a derived table's _pg_expandarray AS keys).
		x, err := b.bindExpr(inner, ctx)
		if err != nil {
			return nil, err
		}
		return b.fieldOf(x, field)
	}
	if field != "x" && field != "n" {
		return nil, sqlerr.New(sqlerr.UndefinedColumn, "column \"%s\" not found in data type record", field)
	}
	x, err := b.bindSetFunc("unnest", f, ctx)
	if err != nil {
		return nil, err
	}
	ref := x.(*srfRef)
	if field == "x" {
		return ref, nil
	}
	(*ctx.srfs)[ref.i].Ordinality = true
	return expandArrayN(ref), nil
}

// expandArrayN is _pg_expandarray's n: the ordinality (bigint) as the
// function's declared integer.
func expandArrayN(ref *srfRef) expr.Expr {
	return &expr.Cast{Arg: &srfRef{i: ref.i, t: types.Int64T, ord: true}, T: types.Int32T}
}
