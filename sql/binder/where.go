package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"sort"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// splitAnd splits an AST condition on top-level ANDs.
func splitAnd(e ast.ExprNode) []ast.ExprNode {
	switch n := e.(type) {
	case *ast.BinaryOperationExpr:
		if n.Op == opcode.LogicAnd {
			return append(splitAnd(n.L), splitAnd(n.R)...)
		}
	case *ast.ParenthesesExpr:
		if inner := splitAnd(n.Expr); len(inner) > 1 {
			return inner
		}
	}
	return []ast.ExprNode{e}
}

// bindWhere binds a WHERE clause over cur. Plain conjuncts become a Filter;
// EXISTS and IN subqueries become semi or anti joins; conjuncts that refer to
// an enclosing query are returned as correlation predicates.
func (b *Binder) bindWhere(cur logical.Node, sc *scope, where ast.ExprNode) (logical.Node, []expr.Expr, error) {
	var conds, corr []expr.Expr
	type subJoin struct {
		q    *boundQuery
		kind logical.JoinKind
		lhs  expr.Expr // IN's left operand, nil for EXISTS
	}
	var joins []subJoin
	for _, c := range splitAnd(where) {
		c = unparen(c)
		not := false
		if u, ok := c.(*ast.UnaryOperationExpr); ok && (u.Op == opcode.Not || u.Op == opcode.Not2) {
			inner := unparen(u.V)
			switch inner.(type) {
			case *ast.ExistsSubqueryExpr, *ast.PatternInExpr:
				c, not = inner, true
			}
		}
		switch n := c.(type) {
		case *ast.ExistsSubqueryExpr:
			sub, ok := n.Sel.(*ast.SubqueryExpr)
			if !ok {
				break
			}
			q, err := b.bindResultSet(sub.Query, sc)
			if err != nil {
				return nil, nil, err
			}
			kind := logical.Semi
			if n.Not != not {
				kind = logical.Anti
			}
			joins = append(joins, subJoin{q: q, kind: kind})
			continue
		case *ast.PatternInExpr:
			if n.Sel == nil {
				break
			}
			sub, ok := n.Sel.(*ast.SubqueryExpr)
			if !ok {
				break
			}
			lhs, err := b.bindExpr(n.Expr, &exprCtx{sc: sc, clause: "WHERE"})
			if err != nil {
				return nil, nil, err
			}
			q, err := b.bindResultSet(sub.Query, sc)
			if err != nil {
				return nil, nil, err
			}
			if q.nOut != 1 {
				return nil, nil, sqlerr.New(sqlerr.SyntaxError, "subquery has too many columns")
			}
			kind := logical.Semi
			if n.Not != not {
				kind = logical.AntiNullAware
			}
			joins = append(joins, subJoin{q: q, kind: kind, lhs: lhs})
			continue
		}
		e, err := b.bindExpr(c, &exprCtx{sc: sc, clause: "WHERE"})
		if err != nil {
			return nil, nil, err
		}
		if e, err = b.coerce(e, types.BoolT, "WHERE"); err != nil {
			return nil, nil, err
		}
		if hasOuter(e) {
			corr = append(corr, e)
			continue
		}
		conds = append(conds, e)
	}
	// Plain conjuncts filter first, then semi and anti joins, then the
	// conjuncts that need a scalar subquery joined in: the cheap reductions
	// shrink the input before a subquery's join (TPC-H Q20's IN on part
	// trims partsupp before the correlated sum over lineitem is joined).
	var plain, withSub []expr.Expr
	for _, c := range conds {
		if contains(c, func(x expr.Expr) bool { _, ok := x.(*subqueryRef); return ok }) {
			withSub = append(withSub, c)
		} else {
			plain = append(plain, c)
		}
	}
	var err error
	if len(plain) > 0 {
		cur = &logical.Filter{Input: cur, Cond: expr.And(plain...)}
	}
	for _, j := range joins {
		width := len(cur.Schema())
		if j.q.agg && j.lhs == nil {
			// EXISTS over an aggregate without GROUP BY: the subquery has
			// exactly one row for every outer row, whatever it matches.
			if j.kind == logical.Anti {
				cur = &logical.Filter{Input: cur, Cond: &expr.Const{Value: false, T: types.BoolT}}
			}
			continue
		}
		var cs []expr.Expr
		kind := j.kind
		if j.lhs != nil {
			rt := j.q.plan.Schema()[0].T
			sub := &expr.ColRef{Idx: width, T: rt, Name: "subquery"}
			eq, err := b.binary("=", j.lhs, sub)
			if err != nil {
				return nil, nil, err
			}
			if kind == logical.AntiNullAware && len(j.q.corr) > 0 {
				// Correlated NOT IN: the NULL rules apply within each outer
				// row's own subquery rows. A row is dropped when one of them
				// equals x, is NULL, or x is NULL; with none it is kept.
				kind = logical.Anti
				eq = expr.Or(expr.Or(eq,
					&expr.Call{Fn: "is null", Args: []expr.Expr{sub}, T: types.BoolT}),
					&expr.Call{Fn: "is null", Args: []expr.Expr{j.lhs}, T: types.BoolT})
			}
			cs = append(cs, eq)
		}
		for _, c := range j.q.corr {
			rc, err := pullUp(c, width)
			if err != nil {
				return nil, nil, err
			}
			cs = append(cs, rc)
		}
		cond := expr.And(cs...)
		if cond == nil {
			cond = &expr.Const{Value: true, T: types.BoolT}
		}
		cur = &logical.Join{Left: cur, Right: j.q.plan, Kind: kind, Cond: cond}
	}
	if len(withSub) > 0 {
		if cur, err = b.attachSubqueries(cur, &withSub); err != nil {
			return nil, nil, err
		}
		cur = &logical.Filter{Input: cur, Cond: expr.And(withSub...)}
	}
	return cur, corr, nil
}

func unparen(e ast.ExprNode) ast.ExprNode {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// pullUp rewrites a subquery's correlation predicate into a join condition
// over outer++subquery columns: the subquery's columns shift right by width
// and references to the outer query become its columns.
func pullUp(c expr.Expr, width int) (expr.Expr, error) {
	var err error
	out := expr.Rewrite(c, func(x expr.Expr) expr.Expr {
		switch n := x.(type) {
		case *expr.ColRef:
			return &expr.ColRef{Idx: n.Idx + width, T: n.T, Name: n.Name}
		case *expr.OuterRef:
			if n.Depth != 1 {
				err = sqlerr.New(sqlerr.FeatureNotSupported, "subquery correlated to a query two or more levels out is not supported yet")
				return x
			}
			return &expr.ColRef{Idx: n.Idx, T: n.T, Name: n.Name}
		}
		return x
	})
	return out, err
}

// attachSubqueries joins every scalar subquery in exprs into cur and
// replaces it with a reference to the joined column.
func (b *Binder) attachSubqueries(cur logical.Node, exprs *[]expr.Expr) (logical.Node, error) {
	for i, e := range *exprs {
		if !contains(e, func(x expr.Expr) bool { _, ok := x.(*subqueryRef); return ok }) {
			continue
		}
		var ferr error
		ne, err := mapExpr(e, func(x expr.Expr) (expr.Expr, bool, error) {
			s, ok := x.(*subqueryRef)
			if !ok {
				return x, false, nil
			}
			width := len(cur.Schema())
			q := s.q
			switch s.kind {
			case subExists:
				var v expr.Expr
				var err error
				cur, v, err = b.attachExists(cur, s)
				return v, true, err
			case subIn:
				var v expr.Expr
				var err error
				cur, v, err = b.attachIn(cur, s)
				return v, true, err
			case subArray:
				var v expr.Expr
				var err error
				cur, v, err = b.attachArray(cur, s)
				return v, true, err
			}
			val := expr.Expr(&expr.ColRef{Idx: width, T: s.t, Name: "subquery"})
			var lifted expr.Expr
			if q.lifted != nil && q.lifted[0] != nil {
				// The value reads outer columns: computed over the joined
				// row, NULL where the marker says no row matched.
				l, err := pullUp(q.lifted[0], width)
				if err != nil {
					return nil, true, err
				}
				marker := &expr.ColRef{Idx: width, T: types.BoolT, Name: "subquery"}
				lifted = &expr.Case{Whens: []expr.When{{Cond: &expr.Call{Fn: "is null", Args: []expr.Expr{marker}, T: types.BoolT},
					Result: &expr.Const{Value: nil, T: s.t}}}, Else: l, T: s.t}
				val = lifted
			}
			if len(q.corr) == 0 {
				right := &logical.EnforceSingleRow{Input: trimTo(q.plan, len(q.plan.Schema()))}
				if lifted == nil {
					right.Input = trimTo(q.plan, 1)
				}
				cur = &logical.Join{Left: cur, Right: right, Kind: logical.Cross}
				return val, true, nil
			}
			if !q.agg && lifted != nil {
				if v, next, ok, err := liftedLookup(cur, q, s.t); ok || err != nil {
					cur = next
					return v, true, err
				}
			}
			if !q.agg && lifted == nil {
				if v, next, ok, err := checkedLookup(cur, q, s.t); ok || err != nil {
					cur = next
					return v, true, err
				}
			}
			var cs []expr.Expr
			for _, c := range q.corr {
				rc, err := pullUp(c, width)
				if err != nil {
					return nil, true, err
				}
				cs = append(cs, rc)
			}
			cur = &logical.Join{Left: cur, Right: q.plan, Kind: logical.Left, Cond: expr.And(cs...)}
			if q.count {
				val = &expr.Call{Fn: "coalesce", Args: []expr.Expr{val, &expr.Const{Value: int64(0), T: types.Int64T}}, T: types.Int64T}
			}
			return val, true, nil
		})
		if err != nil {
			return nil, err
		}
		if ferr != nil {
			return nil, ferr
		}
		(*exprs)[i] = ne
	}
	return cur, nil
}

// attachExists joins what an EXISTS used as a value needs: for an
// uncorrelated subquery its row count, for one correlated by equalities the
// distinct correlation keys (a left join then says whether a row matched).
func (b *Binder) attachExists(cur logical.Node, s *subqueryRef) (logical.Node, expr.Expr, error) {
	width := len(cur.Schema())
	q := s.q
	if q.agg {
		// An aggregate without GROUP BY always has a row.
		return cur, &expr.Const{Value: !s.not, T: types.BoolT}, nil
	}
	if len(q.corr) == 0 {
		cnt := &logical.Aggregate{Input: q.plan, Aggs: []*expr.AggCall{{Fn: "count_star", T: types.Int64T}},
			Out: logical.Schema{{Name: "count", T: types.Int64T}}}
		cur = &logical.Join{Left: cur, Right: cnt, Kind: logical.Cross}
		op := ">"
		if s.not {
			op = "="
		}
		v := &expr.Call{Fn: op, Args: []expr.Expr{&expr.ColRef{Idx: width, T: types.Int64T, Name: "count"}, &expr.Const{Value: int64(0), T: types.Int64T}}, T: types.BoolT}
		return cur, v, nil
	}
	keys := &logical.Aggregate{Input: q.plan}
	var conds []expr.Expr
	for _, c := range q.corr {
		inner, outer, ok := splitCorrEquality(c)
		if !ok {
			return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "EXISTS used as a value needs equality correlation, got %s", c)
		}
		k := len(keys.Groups)
		keys.Groups = append(keys.Groups, inner)
		keys.Out = append(keys.Out, logical.Column{Name: "key", T: inner.Type(), Nullable: true})
		eq := &expr.Call{Fn: c.(*expr.Call).Fn, Args: []expr.Expr{&expr.ColRef{Idx: k, T: inner.Type()}, outer}, T: types.BoolT}
		pc, err := pullUp(eq, width)
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, pc)
	}
	cur = &logical.Join{Left: cur, Right: keys, Kind: logical.Left, Cond: expr.And(conds...)}
	fn := "is not null"
	if s.not {
		fn = "is null"
	}
	return cur, &expr.Call{Fn: fn, Args: []expr.Expr{&expr.ColRef{Idx: width, T: keys.Out[0].T}}, T: types.BoolT}, nil
}

// attachIn computes x [NOT] IN (subquery) as a value with SQL's
// three-valued logic: true on a match; otherwise NULL when x is NULL or the
// subquery has a NULL (and is not empty); otherwise false.
func (b *Binder) attachIn(cur logical.Node, s *subqueryRef) (logical.Node, expr.Expr, error) {
	q := s.q
	if len(q.corr) > 0 {
		return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "correlated IN used as a value is not supported yet")
	}
	sub := trimTo(q.plan, 1)
	st := sub.Schema()[0].T
	// Distinct values, left-joined on equality.
	width := len(cur.Schema())
	eq, err := b.binary("=", s.lhs, &expr.ColRef{Idx: width, T: st, Name: "subquery"})
	if err != nil {
		return nil, nil, err
	}
	cur = &logical.Join{Left: cur, Right: distinct(sub), Kind: logical.Left, Cond: eq}
	matched := &expr.ColRef{Idx: width, T: st}
	// Row and non-NULL counts of the subquery.
	counts := &logical.Aggregate{Input: sub,
		Aggs: []*expr.AggCall{{Fn: "count_star", T: types.Int64T}, {Fn: "count", Args: []expr.Expr{&expr.ColRef{Idx: 0, T: st}}, T: types.Int64T}},
		Out:  logical.Schema{{Name: "count", T: types.Int64T}, {Name: "count", T: types.Int64T}}}
	cw := width + 1
	cur = &logical.Join{Left: cur, Right: counts, Kind: logical.Cross}
	all := &expr.ColRef{Idx: cw, T: types.Int64T}
	nonNull := &expr.ColRef{Idx: cw + 1, T: types.Int64T}
	zero := &expr.Const{Value: int64(0), T: types.Int64T}
	boolC := func(v any) expr.Expr { return &expr.Const{Value: v, T: types.BoolT} }
	v := &expr.Case{T: types.BoolT, Whens: []expr.When{
		{Cond: &expr.Call{Fn: "is not null", Args: []expr.Expr{matched}, T: types.BoolT}, Result: boolC(!s.not)},
		{Cond: &expr.Call{Fn: "=", Args: []expr.Expr{all, zero}, T: types.BoolT}, Result: boolC(s.not)},
		{Cond: expr.Or(&expr.Call{Fn: "is null", Args: []expr.Expr{s.lhs}, T: types.BoolT},
			&expr.Call{Fn: ">", Args: []expr.Expr{all, nonNull}, T: types.BoolT}), Result: boolC(nil)},
	}, Else: boolC(s.not)}
	return cur, v, nil
}

// checkedLookup joins a correlated scalar subquery without aggregates (a
// lookup such as (SELECT name FROM dept d WHERE d.id = e.dept_id)) so that
// each outer row meets at most one row: the subquery is grouped by its
// correlation keys with the number of matches, and the value fails with
// 21000 where a key matched more than one row, as PostgreSQL does. It
// needs equality correlation; ok is false otherwise.
func checkedLookup(cur logical.Node, q *boundQuery, t types.T) (expr.Expr, logical.Node, bool, error) {
	width := len(cur.Schema())
	agg := &logical.Aggregate{Input: q.plan}
	var conds []expr.Expr
	for _, c := range q.corr {
		inner, outer, ok := splitCorrEquality(c)
		if !ok {
			return nil, cur, false, nil
		}
		k := len(agg.Groups)
		agg.Groups = append(agg.Groups, inner)
		agg.Out = append(agg.Out, logical.Column{Name: "key", T: inner.Type(), Nullable: true})
		conds = append(conds, &expr.Call{Fn: c.(*expr.Call).Fn, Args: []expr.Expr{&expr.ColRef{Idx: k, T: inner.Type()}, outer}, T: types.BoolT})
	}
	val := &expr.ColRef{Idx: 0, T: t}
	agg.Aggs = []*expr.AggCall{{Fn: "count_star", T: types.Int64T}, {Fn: "min", Args: []expr.Expr{val}, T: t}}
	agg.Out = append(agg.Out, logical.Column{Name: "count", T: types.Int64T}, logical.Column{Name: "value", T: t, Nullable: true})
	for i, c := range conds {
		pc, err := pullUp(c, width)
		if err != nil {
			return nil, cur, false, err
		}
		conds[i] = pc
	}
	ng := len(agg.Groups)
	next := &logical.Join{Left: cur, Right: agg, Kind: logical.Left, Cond: expr.And(conds...)}
	v := &expr.Call{Fn: expr.CheckSingleRow, Args: []expr.Expr{
		&expr.ColRef{Idx: width + ng, T: types.Int64T, Name: "matches"},
		&expr.ColRef{Idx: width + ng + 1, T: t, Name: "subquery"},
	}, T: t}
	return v, next, true, nil
}

// liftedLookup is checkedLookup for a subquery whose value reads the outer
// row (q.lifted): grouped by the correlation keys, it keeps the number of
// matches and, of the one row that may match, the columns the value reads
// (min over one row is that row); the value is computed above the join and
// fails with 21000 where a key matched more than one row. ok is false
// without equality correlation or when a column's type has no min.
func liftedLookup(cur logical.Node, q *boundQuery, t types.T) (expr.Expr, logical.Node, bool, error) {
	width := len(cur.Schema())
	agg := &logical.Aggregate{Input: q.plan}
	var conds []expr.Expr
	for _, c := range q.corr {
		inner, outer, ok := splitCorrEquality(c)
		if !ok {
			return nil, cur, false, nil
		}
		k := len(agg.Groups)
		agg.Groups = append(agg.Groups, inner)
		agg.Out = append(agg.Out, logical.Column{Name: "key", T: inner.Type(), Nullable: true})
		conds = append(conds, &expr.Call{Fn: c.(*expr.Call).Fn, Args: []expr.Expr{&expr.ColRef{Idx: k, T: inner.Type()}, outer}, T: types.BoolT})
	}
	ng := len(agg.Groups)
	agg.Aggs = []*expr.AggCall{{Fn: "count_star", T: types.Int64T}}
	agg.Out = append(agg.Out, logical.Column{Name: "count", T: types.Int64T})
	var cols []int
	for idx := range expr.Columns(q.lifted[0]) {
		cols = append(cols, idx)
	}
	sort.Ints(cols)
	pos := map[int]int{}
	schema := q.plan.Schema()
	for _, idx := range cols {
		ct := schema[idx].T
		if _, rt, err := expr.ResolveAggregate("min", []types.T{ct}, false); err != nil || !rt.Identical(ct) {
			return nil, cur, false, nil
		}
		pos[idx] = ng + len(agg.Aggs)
		agg.Aggs = append(agg.Aggs, &expr.AggCall{Fn: "min", Args: []expr.Expr{&expr.ColRef{Idx: idx, T: ct}}, T: ct})
		agg.Out = append(agg.Out, logical.Column{Name: "value", T: ct, Nullable: true})
	}
	val := expr.Rewrite(q.lifted[0], func(x expr.Expr) expr.Expr {
		if r, ok := x.(*expr.ColRef); ok {
			return &expr.ColRef{Idx: pos[r.Idx], T: r.T, Name: r.Name}
		}
		return x
	})
	val, err := pullUp(val, width)
	if err != nil {
		return nil, cur, false, err
	}
	for i, c := range conds {
		if conds[i], err = pullUp(c, width); err != nil {
			return nil, cur, false, err
		}
	}
	next := &logical.Join{Left: cur, Right: agg, Kind: logical.Left, Cond: expr.And(conds...)}
	count := &expr.ColRef{Idx: width + ng, T: types.Int64T, Name: "matches"}
	v := &expr.Case{Whens: []expr.When{{Cond: &expr.Call{Fn: "is null", Args: []expr.Expr{count}, T: types.BoolT},
		Result: &expr.Const{Value: nil, T: t}}},
		Else: &expr.Call{Fn: expr.CheckSingleRow, Args: []expr.Expr{count, val}, T: t}, T: t}
	return v, next, true, nil
}
