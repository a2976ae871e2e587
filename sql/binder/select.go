package binder

import (
	"math"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// selectItem is one output column before projection.
type selectItem struct {
	name string
	e    expr.Expr // bound over the FROM scope (aggregates as aggRef)
}

func (b *Binder) bindSelect(sel *ast.SelectStmt, parent *scope) (*boundQuery, error) {
	lift := b.liftOuter
	b.liftOuter = false
	if err := b.pushCTEs(sel.With, parent); err != nil {
		return nil, err
	}
	defer b.popCTEs()
	if sel.Kind == ast.SelectStmtKindValues {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "VALUES lists are not supported yet")
	}

	// FROM
	var cur logical.Node
	var sc *scope
	if sel.From != nil && sel.From.TableRefs != nil {
		var err error
		cur, sc, err = b.bindFrom(sel.From.TableRefs, parent)
		if err != nil {
			return nil, err
		}
	} else {
		cur = &logical.Values{Rows: [][]expr.Expr{{}}}
		sc = &scope{}
	}
	sc.parent = parent
	sc.plan = cur

	// WHERE: subquery predicates become joins; correlated conjuncts are
	// lifted out for the enclosing query to join on.
	var corr []expr.Expr
	if sel.Where != nil {
		var err error
		cur, corr, err = b.bindWhere(cur, sc, sel.Where)
		if err != nil {
			return nil, err
		}
	}
	// A correlated set-returning function in FROM ran for the distinct
	// outer values; each row matches the outer rows with its values.
	for _, c := range sc.cols {
		if c.corrOf > 0 {
			corr = append(corr, &expr.Call{Fn: "=", Args: []expr.Expr{
				&expr.ColRef{Idx: c.idx, T: c.t, Name: c.name},
				&expr.OuterRef{Depth: 1, Idx: c.corrOf - 1, T: c.t, Name: c.name}}, T: types.BoolT})
		}
	}

	// SELECT list (aggregates collected as aggRefs).
	var aggs []*expr.AggCall
	var groupings []*groupingRef
	var windows []*windowCall
	named := map[string]*ast.WindowSpec{}
	for i := range sel.WindowSpecs {
		named[sel.WindowSpecs[i].Name.L] = &sel.WindowSpecs[i]
	}
	var srfs []*logical.SetFunc
	ctx := &exprCtx{sc: sc, aggs: &aggs, groupings: &groupings, windows: &windows, srfs: &srfs, named: named, clause: "SELECT"}
	var items []selectItem
	fields := sel.Fields.Fields
	var distinctOn []ast.ExprNode
	if len(fields) > 0 {
		if f, ok := fields[0].Expr.(*ast.FuncCallExpr); ok && f.FnName.L == "__pg_distinct_on" {
			distinctOn = f.Args
			fields = fields[1:]
		}
	}
	for _, f := range fields {
		if f.WildCard != nil {
			tbl := f.WildCard.Table.O
			n := 0
			cols := sc.cols
			if tbl == "" && len(sc.merged) > 0 {
				cols = starOrder(sc)
			}
			for _, c := range cols {
				if c.hidden || c.corrOf > 0 || (tbl != "" && c.table != tbl) {
					continue
				}
				items = append(items, selectItem{name: c.name, e: &expr.ColRef{Idx: c.idx, T: c.t, Name: qualified(c.table, c.name)}})
				n++
			}
			if tbl != "" && n == 0 {
				return nil, sqlerr.New(sqlerr.UndefinedTable, "missing FROM-clause entry for table %q", tbl)
			}
			continue
		}
		e, err := b.bindExpr(f.Expr, ctx)
		if err != nil {
			return nil, err
		}
		name := f.AsName.O
		if name == "" {
			name = columnName(f.Expr)
		}
		items = append(items, selectItem{name: name, e: e})
	}

	// GROUP BY
	var groups []expr.Expr
	var sets [][]int // grouping sets as indexes into groups; nil for a plain GROUP BY
	if sel.GroupBy != nil {
		exprSets, marker, err := b.groupingSets(sel.GroupBy.Items, sc, items)
		if err != nil {
			return nil, err
		}
		index := map[string]int{}
		for _, set := range exprSets {
			var idx []int
			for _, g := range set {
				k := exprKey(g)
				i, ok := index[k]
				if !ok {
					i = len(groups)
					index[k] = i
					groups = append(groups, g)
				}
				idx = append(idx, i)
			}
			sets = append(sets, idx)
		}
		if !marker {
			sets = nil
		}
	}
	var having expr.Expr
	if sel.Having != nil {
		h, err := b.bindExpr(sel.Having.Expr, &exprCtx{sc: sc, aggs: &aggs, groupings: &groupings, clause: "HAVING"})
		if err != nil {
			return nil, err
		}
		if having, err = b.coerce(h, types.BoolT, "HAVING"); err != nil {
			return nil, err
		}
	}

	// ORDER BY items are bound now (they may add aggregates) and placed later.
	type orderItem struct {
		out  int // output column, or -1
		e    expr.Expr
		desc bool
		nf   bool
	}
	var order []orderItem
	if sel.OrderBy != nil {
		for _, it := range sel.OrderBy.Items {
			oi := orderItem{out: -1, desc: it.Desc, nf: it.Desc}
			ex, desc, nf, explicit := unwrapNullsMarker(it.Expr)
			if explicit {
				oi.nf = nf
			}
			_ = desc
			if idx, ok := outputRef(ex, items); ok {
				if idx < 0 || idx >= len(items) {
					return nil, sqlerr.New(sqlerr.InvalidColumnReference, "ORDER BY position %d is not in select list", idx+1)
				}
				oi.out = idx
			} else {
				e, err := b.bindExpr(ex, &exprCtx{sc: sc, aggs: &aggs, groupings: &groupings, windows: &windows, named: named, clause: "ORDER BY"})
				if err != nil {
					return nil, err
				}
				oi.e = e
			}
			order = append(order, oi)
		}
	}

	aggregated := len(aggs) > 0 || len(groups) > 0 || having != nil || len(groupings) > 0 || sets != nil
	// GROUPING() arguments must be grouping expressions.
	groupingCalls := make([][]int, len(groupings))
	for gi, g := range groupings {
		for _, a := range g.args {
			found := -1
			for i, ge := range groups {
				if exprKey(ge) == exprKey(a) {
					found = i
				}
			}
			if found < 0 {
				return nil, sqlerr.New(sqlerr.GroupingError, "arguments to GROUPING must be grouping expressions of the associated query level")
			}
			groupingCalls[gi] = append(groupingCalls[gi], found)
		}
	}
	q := &boundQuery{}
	nExtra := 0
	if len(corr) > 0 && aggregated {
		if len(groups) > 0 || having != nil {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "correlated subquery with GROUP BY or HAVING is not supported yet")
		}
		// Each correlated equality inner = outer becomes a grouping key.
		for i, c := range corr {
			inner, outer, ok := splitCorrEquality(c)
			if !ok {
				return nil, sqlerr.New(sqlerr.FeatureNotSupported, "correlated aggregate subquery needs equality correlation, got %s", c)
			}
			groups = append(groups, inner)
			// Refer to the key through its output column, placed after the items.
			corr[i] = &expr.Call{Fn: c.(*expr.Call).Fn, Args: []expr.Expr{&expr.ColRef{Idx: len(items) + i, T: inner.Type()}, outer}, T: types.BoolT}
		}
		q.agg = true
		nExtra = len(corr)
	}

	// Aggregate
	var post func(expr.Expr) (expr.Expr, error)
	if aggregated {
		var err error
		if cur, err = b.attachSubqueries(cur, &groups); err != nil {
			return nil, err
		}
		for i := range aggs {
			if cur, err = b.attachSubqueries(cur, &aggs[i].Args); err != nil {
				return nil, err
			}
		}
		if sets != nil || len(groupingCalls) > 0 {
			if sets == nil {
				all := make([]int, len(groups))
				for i := range all {
					all[i] = i
				}
				sets = [][]int{all}
			}
			cur = b.buildGroupingSets(cur, groups, sets, aggs, groupingCalls)
		} else {
			agg := &logical.Aggregate{Input: cur, Groups: groups, Aggs: aggs}
			for i, g := range groups {
				agg.Out = append(agg.Out, logical.Column{Name: exprName(g, i), T: g.Type(), Nullable: true})
			}
			for _, a := range aggs {
				agg.Out = append(agg.Out, logical.Column{Name: a.Fn, T: a.T, Nullable: a.Fn != "count" && a.Fn != "count_star"})
			}
			cur = agg
		}
		post = func(e expr.Expr) (expr.Expr, error) { return toPostAgg(e, groups, len(aggs), sc) }
		if having != nil {
			h, err := post(having)
			if err != nil {
				return nil, err
			}
			hs := []expr.Expr{h}
			if cur, err = b.attachSubqueries(cur, &hs); err != nil {
				return nil, err
			}
			cur = &logical.Filter{Input: cur, Cond: hs[0]}
		}
	} else {
		post = func(e expr.Expr) (expr.Expr, error) {
			if contains(e, func(x expr.Expr) bool { _, ok := x.(*aggRef); return ok }) {
				return nil, sqlerr.New(sqlerr.GroupingError, "aggregate functions are not allowed here")
			}
			return e, nil
		}
	}

	// Window functions run after aggregation and HAVING.
	if len(windows) > 0 {
		if len(corr) > 0 {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "window functions in a correlated subquery are not supported yet")
		}
		var cols []int
		var err error
		if cur, cols, err = b.buildWindows(cur, windows, post); err != nil {
			return nil, err
		}
		base := post
		post = func(e expr.Expr) (expr.Expr, error) {
			e, err := base(e)
			if err != nil {
				return nil, err
			}
			return mapExpr(e, func(x expr.Expr) (expr.Expr, bool, error) {
				if w, ok := x.(*windowRef); ok {
					return &expr.ColRef{Idx: cols[w.i], T: w.t, Name: windows[w.i].fn.Name}, true, nil
				}
				return x, false, nil
			})
		}
	}

	// Set-returning functions of the select list run after windows, as
	// PostgreSQL's ProjectSet does.
	if len(srfs) > 0 {
		if len(corr) > 0 {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "set-returning functions in a correlated subquery are not supported yet")
		}
		var err error
		if cur, post, err = b.buildProjectSet(cur, srfs, post); err != nil {
			return nil, err
		}
	}

	// Projection: visible items, correlation keys, hidden ORDER BY columns.
	proj := &logical.Project{}
	for _, it := range items {
		e, err := post(it.e)
		if err != nil {
			return nil, err
		}
		// SELECT $1 makes $1 text unless another use typed it; in a UNION
		// branch the other branches decide (untypedParams).
		var fresh []*paramRef
		if r, ok := e.(*paramRef); ok && r.slot().Kind == types.Unknown {
			fresh = []*paramRef{r}
		}
		proj.Exprs = append(proj.Exprs, finishUnknown(e))
		proj.Out = append(proj.Out, logical.Column{Name: it.name, T: finishUnknown(e).Type(), Nullable: true})
		q.names = append(q.names, it.name)
		_, isConst := e.(*expr.Const)
		q.untyped = append(q.untyped, isConst && e.Type().Kind == types.Unknown || fresh != nil)
		q.untypedParams = append(q.untypedParams, fresh)
	}
	nLifted := 0
	if lift && !aggregated {
		var err error
		if nLifted, err = liftOuterItems(q, proj, cur); err != nil {
			return nil, err
		}
	}
	nLifted += b.carryRecordFields(q, items, proj)
	if q.agg {
		for i := 0; i < nExtra; i++ {
			g := &expr.ColRef{Idx: len(groups) - nExtra + i, T: groups[len(groups)-nExtra+i].Type()}
			proj.Exprs = append(proj.Exprs, g)
			proj.Out = append(proj.Out, logical.Column{Name: "corr", T: g.T, Nullable: true})
		}
	} else if len(corr) > 0 {
		// Non-aggregated correlated subquery: carry every inner column the
		// correlated predicates read, and re-point them at the projection.
		remap := map[int]int{}
		for _, c := range corr {
			for idx := range expr.Columns(c) {
				if _, ok := remap[idx]; !ok {
					remap[idx] = len(proj.Exprs)
					t := cur.Schema()[idx].T
					proj.Exprs = append(proj.Exprs, &expr.ColRef{Idx: idx, T: t})
					proj.Out = append(proj.Out, logical.Column{Name: "corr", T: t, Nullable: true})
				}
			}
		}
		for i, c := range corr {
			corr[i] = expr.Rewrite(c, func(x expr.Expr) expr.Expr {
				if r, ok := x.(*expr.ColRef); ok {
					return &expr.ColRef{Idx: remap[r.Idx], T: r.T, Name: r.Name}
				}
				return x
			})
		}
	}
	nVisible := len(items)
	var sortKeys []logical.SortKey
	for _, o := range order {
		idx := o.out
		if idx < 0 {
			e, err := post(o.e)
			if err != nil {
				return nil, err
			}
			// Reuse a visible column computing the same expression.
			for i := 0; i < nVisible; i++ {
				if exprKey(proj.Exprs[i]) == exprKey(e) {
					idx = i
				}
			}
			if idx < 0 {
				if sel.Distinct {
					return nil, sqlerr.New(sqlerr.InvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
				}
				idx = len(proj.Exprs)
				proj.Exprs = append(proj.Exprs, finishUnknown(e))
				proj.Out = append(proj.Out, logical.Column{Name: "order", T: e.Type(), Nullable: true})
			}
		}
		sortKeys = append(sortKeys, logical.SortKey{E: &expr.ColRef{Idx: idx, T: proj.Out[idx].T, Name: proj.Out[idx].Name}, Desc: o.desc, NullsFirst: o.nf})
	}
	var err error
	if cur, err = b.attachSubqueries(cur, &proj.Exprs); err != nil {
		return nil, err
	}
	for i := range proj.Out {
		proj.Out[i].T = proj.Exprs[i].Type()
	}
	// DISTINCT ON keys become (hidden) projection columns.
	var onCols []int
	for _, k := range distinctOn {
		idx, ok := outputRef(k, items)
		if ok && (idx < 0 || idx >= len(items)) {
			return nil, sqlerr.New(sqlerr.InvalidColumnReference, "SELECT DISTINCT ON position %d is not in select list", idx+1)
		}
		if !ok {
			e, err := b.bindExpr(k, &exprCtx{sc: sc, aggs: &aggs, groupings: &groupings, clause: "DISTINCT ON"})
			if err != nil {
				return nil, err
			}
			if e, err = post(e); err != nil {
				return nil, err
			}
			idx = -1
			for i := range proj.Exprs {
				if exprKey(proj.Exprs[i]) == exprKey(e) {
					idx = i
				}
			}
			if idx < 0 {
				idx = len(proj.Exprs)
				proj.Exprs = append(proj.Exprs, finishUnknown(e))
				proj.Out = append(proj.Out, logical.Column{Name: "distinct", T: e.Type(), Nullable: true})
			}
		}
		onCols = append(onCols, idx)
	}
	if len(distinctOn) > 0 {
		// PostgreSQL: the leftmost ORDER BY items must be the DISTINCT ON keys.
		for i, c := range onCols {
			if i < len(sortKeys) {
				if r := sortKeys[i].E.(*expr.ColRef); r.Idx != c && len(sortKeys) > 0 {
					ok := false
					for _, c2 := range onCols {
						if r.Idx == c2 {
							ok = true
						}
					}
					if !ok {
						return nil, sqlerr.New(sqlerr.InvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
					}
				}
			}
		}
	}
	proj.Input = cur
	cur = proj

	if len(onCols) > 0 {
		// The first row of each DISTINCT ON group in ORDER BY order.
		s := cur.Schema()
		w := &logical.Window{Input: cur, Order: sortKeys,
			Funcs: []logical.WindowFunc{{Name: "row_number", T: types.Int64T}}}
		for _, c := range onCols {
			w.Partition = append(w.Partition, &expr.ColRef{Idx: c, T: s[c].T})
		}
		rn := &expr.ColRef{Idx: len(s), T: types.Int64T, Name: "row_number"}
		cur = trimTo(&logical.Filter{Input: w, Cond: &expr.Call{Fn: "=", Args: []expr.Expr{rn, &expr.Const{Value: int64(1), T: types.Int64T}}, T: types.BoolT}}, len(s))
	}
	if sel.Distinct {
		cur = distinct(cur)
	}
	if len(sortKeys) > 0 {
		cur = &logical.Sort{Input: cur, Keys: sortKeys}
	}
	if sel.Limit != nil {
		if len(corr) > 0 {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "LIMIT in a correlated subquery is not supported yet")
		}
		if cur, err = b.bindLimit(cur, sel.Limit); err != nil {
			return nil, err
		}
	}
	if len(proj.Exprs) > nVisible+nExtra+nLifted && !q.agg && len(corr) == 0 {
		cur = trimTo(cur, nVisible+nLifted)
	} else if q.agg && len(proj.Exprs) > nVisible+nExtra {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "ORDER BY in a correlated subquery is not supported")
	}
	q.plan = cur
	q.nOut = nVisible
	q.corr = corr
	if q.agg {
		q.countCols = make([]bool, nVisible)
		for i := 0; i < nVisible; i++ {
			if r, ok := proj.Exprs[i].(*expr.ColRef); ok && r.Idx >= len(groups) && r.Idx-len(groups) < len(aggs) {
				a := aggs[r.Idx-len(groups)]
				q.countCols[i] = a.Fn == "count" || a.Fn == "count_star"
			}
		}
		q.count = len(items) == 1 && q.countCols[0]
	}
	return q, nil
}

// trimTo projects away columns after the first n.
func trimTo(n logical.Node, width int) logical.Node {
	s := n.Schema()
	p := &logical.Project{Input: n}
	for i := 0; i < width; i++ {
		p.Exprs = append(p.Exprs, &expr.ColRef{Idx: i, T: s[i].T, Name: s[i].Name})
		p.Out = append(p.Out, s[i])
	}
	return p
}

// distinct groups by every column.
func distinct(n logical.Node) logical.Node {
	s := n.Schema()
	a := &logical.Aggregate{Input: n}
	for i, c := range s {
		a.Groups = append(a.Groups, &expr.ColRef{Idx: i, T: c.T, Name: c.Name})
		a.Out = append(a.Out, c)
	}
	return a
}

func (b *Binder) bindLimit(cur logical.Node, l *ast.Limit) (logical.Node, error) {
	lim := &logical.Limit{Input: cur, Count: -1}
	eval := func(e ast.ExprNode, what string) (int64, error) {
		be, err := b.bindExpr(e, &exprCtx{sc: &scope{}, clause: what})
		if err != nil {
			return 0, err
		}
		if isParamRef(be) {
			// LIMIT $1 is bigint, as in PostgreSQL.
			if be, err = b.coerce(be, types.Int64T, what); err != nil {
				return 0, err
			}
		}
		if p, ok := be.(*expr.Param); ok {
			// Described, not run: the count is not known yet.
			if !p.T.IsInteger() {
				return 0, sqlerr.New(sqlerr.DatatypeMismatch, "argument of %s must be type bigint, not type %s", what, p.T)
			}
			return -1, nil
		}
		c, ok := be.(*expr.Const)
		if !ok {
			if cast, ok2 := be.(*expr.Cast); ok2 {
				c, ok = cast.Arg.(*expr.Const)
			}
		}
		if !ok {
			return 0, sqlerr.New(sqlerr.FeatureNotSupported, "%s must be a constant", what)
		}
		switch v := c.Value.(type) {
		case nil:
			return -1, nil
		case decimal128.Num:
			// LIMIT ALL arrives as the largest unsigned integer.
			if v.Sign() > 0 && v.Cmp(decimal128.FromI64(math.MaxInt64)) > 0 {
				return -1, nil
			}
		case int64:
			if v < 0 {
				if what == "OFFSET" {
					return 0, sqlerr.New(sqlerr.InvalidOffsetCount, "OFFSET must not be negative")
				}
				return 0, sqlerr.New(sqlerr.InvalidRowCount, "LIMIT must not be negative")
			}
			return v, nil
		}
		return 0, sqlerr.New(sqlerr.DatatypeMismatch, "argument of %s must be type bigint", what)
	}
	var err error
	if l.Count != nil {
		if lim.Count, err = eval(l.Count, "LIMIT"); err != nil {
			return nil, err
		}
	}
	if l.Offset != nil {
		if lim.Offset, err = eval(l.Offset, "OFFSET"); err != nil {
			return nil, err
		}
		if lim.Offset < 0 {
			lim.Offset = 0
		}
	}
	return lim, nil
}

// outputRef reports whether an ORDER BY expression names a select-list
// column: a position number or a bare output name.
func outputRef(e ast.ExprNode, items []selectItem) (int, bool) {
	switch n := e.(type) {
	case *ast.PositionExpr:
		return n.N - 1, true
	case *ast.ColumnNameExpr:
		if n.Name.Table.O != "" {
			return 0, false
		}
		for i, it := range items {
			if it.name == n.Name.Name.O {
				return i, true
			}
		}
	}
	return 0, false
}

func (b *Binder) bindGroupItem(e ast.ExprNode, sc *scope, items []selectItem) (expr.Expr, error) {
	switch n := e.(type) {
	case *ast.PositionExpr:
		if n.N < 1 || n.N > len(items) {
			return nil, sqlerr.New(sqlerr.InvalidColumnReference, "GROUP BY position %d is not in select list", n.N)
		}
		if r, ok := items[n.N-1].e.(*paramRef); ok {
			// SELECT $1 ... GROUP BY 1: a grouping key is text.
			return finishUnknown(r), nil
		}
		return items[n.N-1].e, nil
	case *ast.ColumnNameExpr:
		if n.Name.Table.O == "" {
			if c, err := sc.lookup("", n.Name.Name.O); err == nil && c == nil {
				for _, it := range items {
					if it.name == n.Name.Name.O {
						return it.e, nil
					}
				}
			}
		}
	}
	g, err := b.bindExpr(e, &exprCtx{sc: sc, clause: "GROUP BY"})
	if err != nil {
		return nil, err
	}
	return finishUnknown(g), nil
}

// toPostAgg rewrites an expression bound over the FROM scope to refer to the
// aggregate's output: group expressions and aggregates become columns; any
// other column reference is a grouping error.
func toPostAgg(e expr.Expr, groups []expr.Expr, nAggs int, sc *scope) (expr.Expr, error) {
	keys := make([]string, len(groups))
	for i, g := range groups {
		keys[i] = exprKey(g)
	}
	return mapExpr(e, func(x expr.Expr) (expr.Expr, bool, error) {
		k := exprKey(x)
		for i, gk := range keys {
			if gk == k {
				return &expr.ColRef{Idx: i, T: x.Type(), Name: x.String()}, true, nil
			}
		}
		switch n := x.(type) {
		case *aggRef:
			return &expr.ColRef{Idx: len(groups) + n.i, T: n.t, Name: n.String()}, true, nil
		case *groupingRef:
			return &expr.ColRef{Idx: len(groups) + nAggs + n.i, T: types.Int32T, Name: "grouping"}, true, nil
		case *expr.ColRef:
			return nil, true, sqlerr.New(sqlerr.GroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", n.Name)
		case *subqueryRef:
			if len(n.q.corr) > 0 {
				return nil, true, sqlerr.New(sqlerr.FeatureNotSupported, "correlated subquery over an aggregate is not supported yet")
			}
			if n.lhs != nil {
				lhs, err := toPostAgg(n.lhs, groups, nAggs, sc)
				if err != nil {
					return nil, true, err
				}
				c := *n
				c.lhs = lhs
				return &c, true, nil
			}
			return x, true, nil
		}
		return x, false, nil
	})
}

// splitCorrEquality splits inner = outer (either order).
func splitCorrEquality(e expr.Expr) (inner, outer expr.Expr, ok bool) {
	c, isCall := e.(*expr.Call)
	if !isCall || (c.Fn != "=" && c.Fn != "is not distinct from") {
		return nil, nil, false
	}
	l, r := c.Args[0], c.Args[1]
	if hasOuter(l) && !hasOuter(r) && !hasColRef(l) {
		return r, l, true
	}
	if hasOuter(r) && !hasOuter(l) && !hasColRef(r) {
		return l, r, true
	}
	return nil, nil, false
}

func hasColRef(e expr.Expr) bool {
	return contains(e, func(x expr.Expr) bool { _, ok := x.(*expr.ColRef); return ok })
}

// exprName names an aggregate's group column for EXPLAIN.
func exprName(e expr.Expr, i int) string {
	if c, ok := e.(*expr.ColRef); ok {
		return c.Name
	}
	return "group" + string(rune('0'+i%10))
}

// columnName is PostgreSQL's default output name for a select item.
func columnName(e ast.ExprNode) string {
	switch n := e.(type) {
	case *ast.ColumnNameExpr:
		return n.Name.Name.O
	case *ast.SubqueryExpr:
		// A scalar subquery is named after its one output column.
		if sel, ok := n.Query.(*ast.SelectStmt); ok && sel.Fields != nil && len(sel.Fields.Fields) == 1 {
			f := sel.Fields.Fields[0]
			if f.AsName.O != "" {
				return f.AsName.O
			}
			if f.Expr != nil {
				return columnName(f.Expr)
			}
		}
	case *ast.AggregateFuncExpr:
		return strings.ToLower(n.F)
	case *ast.FuncCallExpr:
		switch n.FnName.L {
		case "__pg_cast":
			if len(n.Args) == 2 {
				if inner := columnName(n.Args[0]); inner != "?column?" {
					return inner
				}
				if v, ok := constString(n.Args[1]); ok {
					// PostgreSQL names a cast after its type's last name
					// as written: int[] is int4, _text stays _text.
					lv := strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(v), "pg_catalog."), "[]")
					if lv == `"char"` {
						return "char"
					}
					if strings.HasPrefix(lv, "_") {
						return lv
					}
					if strings.HasPrefix(lv, "varchar") || strings.HasPrefix(lv, "character varying") {
						return "varchar"
					}
					if strings.HasPrefix(lv, "char") || strings.HasPrefix(lv, "bpchar") {
						return "bpchar"
					}
					if t, err := ParseTypeName(lv); err == nil {
						return pgTypeName(t)
					}
				}
			}
			return "?column?"
		case "__pg_array_sub":
			return "array"
		case "__pg_extract":
			return "extract"
		case "__pg_field":
			if len(n.Args) == 2 {
				if f, ok := constString(n.Args[1]); ok {
					return f
				}
			}
		case "__pg_interval":
			return "interval"
		case "__pg_position":
			return "position"
		case "__pg_param", "__pg_any", "__pg_all", "concat", "__pg_json_get", "__pg_json_get_text":
			// concat here is TiDB's reading of ||.
			return "?column?"
		case "__pg_subscript", "__pg_slice", "__pg_ordered", "__pg_within_group", "__pg_filter", "__pg_distinct", "__pg_nulls_first", "__pg_nulls_last":
			if len(n.Args) > 0 {
				return columnName(n.Args[0])
			}
		}
		if strings.HasPrefix(n.FnName.L, "__pg_") {
			return strings.TrimPrefix(n.FnName.L, "__pg_")
		}
		return n.FnName.L
	case *ast.WindowFuncExpr:
		if len(n.Args) == 1 {
			if f, ok := n.Args[0].(*ast.FuncCallExpr); ok && f.FnName.L == "__pg_winagg" && len(f.Args) > 0 {
				if name, ok := constString(f.Args[0]); ok {
					return name
				}
			}
		}
		return strings.ToLower(n.Name)
	case *ast.CaseExpr:
		return "case"
	case *ast.ParenthesesExpr:
		return columnName(n.Expr)
	case *ast.FuncCastExpr:
		return columnName(n.Expr)
	case *ast.ExistsSubqueryExpr:
		return "exists"
	}
	return "?column?"
}

// unwrapNullsMarker recognises the front's __pg_nulls_first/last(x) in ORDER BY.
func unwrapNullsMarker(e ast.ExprNode) (inner ast.ExprNode, desc, nullsFirst, explicit bool) {
	if f, ok := e.(*ast.FuncCallExpr); ok && len(f.Args) == 1 {
		switch f.FnName.L {
		case "__pg_nulls_first", "__pg_nulls_last":
			inner := f.Args[0]
			// ORDER BY 1 NULLS FIRST: TiDB reads a bare 1 as a position only
			// outside the marker, so restore it.
			if v, ok := inner.(*test_driver.ValueExpr); ok && v.Kind() == test_driver.KindInt64 {
				inner = &ast.PositionExpr{N: int(v.GetInt64())}
			}
			return inner, false, f.FnName.L == "__pg_nulls_first", true
		}
	}
	return e, false, false, false
}

// starOrder lists a scope's columns for SELECT *: columns merged by USING
// first, in USING order, then the rest in FROM order.
func starOrder(sc *scope) []scopeCol {
	first := map[int]bool{}
	var out []scopeCol
	for _, m := range sc.merged {
		for _, c := range sc.cols {
			if c.idx == m && !c.hidden && !first[m] {
				first[m] = true
				out = append(out, c)
			}
		}
	}
	for _, c := range sc.cols {
		if !first[c.idx] {
			out = append(out, c)
		}
	}
	return out
}

// liftOuterItems handles select-list items of a subquery that read the
// enclosing query's columns, such as (SELECT json_build_object('x', a.c,
// 'y', s.v) FROM s WHERE ...): the subquery cannot compute them, since its
// rows meet the outer ones only in the join that attaches it. Each such
// item becomes a non-NULL marker column (true, NULL after the outer join
// when no row matched), and the inner columns it reads are carried right
// after the visible items; q.lifted keeps the item over those columns and
// OuterRefs, which attachSubqueries evaluates above the join. It returns
// the number of carried columns.
func liftOuterItems(q *boundQuery, proj *logical.Project, cur logical.Node) (int, error) {
	n := len(proj.Exprs)
	hasOuter := func(e expr.Expr) bool {
		return contains(e, func(x expr.Expr) bool { _, ok := x.(*expr.OuterRef); return ok })
	}
	found := false
	for _, e := range proj.Exprs {
		if hasOuter(e) {
			found = true
		}
	}
	if !found {
		return 0, nil
	}
	q.lifted = make([]expr.Expr, n)
	remap := map[int]int{}
	for i := 0; i < n; i++ {
		e := proj.Exprs[i]
		if !hasOuter(e) {
			continue
		}
		if contains(e, func(x expr.Expr) bool { _, ok := x.(*subqueryRef); return ok }) {
			return 0, sqlerr.New(sqlerr.FeatureNotSupported, "a subquery inside a correlated subquery's select list is not supported yet")
		}
		var cols []int
		for idx := range expr.Columns(e) {
			cols = append(cols, idx)
		}
		sort.Ints(cols) // a stable plan
		for _, idx := range cols {
			if _, ok := remap[idx]; !ok {
				t := cur.Schema()[idx].T
				remap[idx] = len(proj.Exprs)
				proj.Exprs = append(proj.Exprs, &expr.ColRef{Idx: idx, T: t})
				proj.Out = append(proj.Out, logical.Column{Name: "lifted", T: t, Nullable: true})
			}
		}
		q.lifted[i] = expr.Rewrite(e, func(x expr.Expr) expr.Expr {
			if r, ok := x.(*expr.ColRef); ok {
				return &expr.ColRef{Idx: remap[r.Idx], T: r.T, Name: r.Name}
			}
			return x
		})
		proj.Exprs[i] = &expr.Const{Value: true, T: types.BoolT}
		proj.Out[i].T = types.BoolT
	}
	return len(proj.Exprs) - n, nil
}
