package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// bindSetOpr binds UNION [ALL] chains (left-associative, as written).
func (b *Binder) bindSetOpr(n *ast.SetOprStmt, parent *scope) (*boundQuery, error) {
	if err := b.pushCTEs(n.With, parent); err != nil {
		return nil, err
	}
	defer b.popCTEs()
	q, err := b.bindSetList(n.SelectList, parent)
	if err != nil {
		return nil, err
	}
	cur := q.plan
	if n.OrderBy != nil {
		var keys []logical.SortKey
		s := cur.Schema()
		for _, it := range n.OrderBy.Items {
			ex, _, nf, explicit := unwrapNullsMarker(it.Expr)
			idx := -1
			switch e := ex.(type) {
			case *ast.PositionExpr:
				idx = e.N - 1
			case *ast.ColumnNameExpr:
				for i, name := range q.names {
					if name == e.Name.Name.O && idx < 0 {
						idx = i
					}
				}
			}
			if idx < 0 || idx >= len(s) {
				return nil, sqlerr.New(sqlerr.FeatureNotSupported, "ORDER BY on a UNION must name an output column")
			}
			k := logical.SortKey{E: &expr.ColRef{Idx: idx, T: s[idx].T, Name: s[idx].Name}, Desc: it.Desc, NullsFirst: it.Desc}
			if explicit {
				k.NullsFirst = nf
			}
			keys = append(keys, k)
		}
		cur = &logical.Sort{Input: cur, Keys: keys}
	}
	if n.Limit != nil {
		if cur, err = b.bindLimit(cur, n.Limit); err != nil {
			return nil, err
		}
	}
	q.plan = cur
	return q, nil
}

func (b *Binder) bindSetList(l *ast.SetOprSelectList, parent *scope) (*boundQuery, error) {
	if l.With != nil {
		if err := b.pushCTEs(l.With, parent); err != nil {
			return nil, err
		}
		defer b.popCTEs()
	}
	var acc *boundQuery
	for _, s := range l.Selects {
		var q *boundQuery
		var op *ast.SetOprType
		var err error
		switch sel := s.(type) {
		case *ast.SelectStmt:
			op = sel.AfterSetOperator
			q, err = b.bindSelect(sel, parent)
		case *ast.SetOprSelectList:
			op = sel.AfterSetOperator
			q, err = b.bindSetList(sel, parent)
		default:
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "set operand not supported: %T", s)
		}
		if err != nil {
			return nil, err
		}
		if len(q.corr) > 0 {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "correlated set operation is not supported yet")
		}
		if len(q.plan.Schema()) > q.nOut {
			// Record fields carried for an enclosing query: a set
			// operation's columns are its visible ones.
			q.plan, q.fields = trimTo(q.plan, q.nOut), nil
		}
		if acc == nil {
			acc = q
			continue
		}
		if op == nil {
			return nil, sqlerr.New(sqlerr.SyntaxError, "missing set operator")
		}
		if acc.nOut != q.nOut {
			return nil, sqlerr.New(sqlerr.SyntaxError, "each %s query must have the same number of columns", op.String())
		}
		var plan logical.Node
		switch *op {
		case ast.Union, ast.UnionAll:
			if plan, err = b.union(acc, q); err != nil {
				return nil, err
			}
			if *op == ast.Union {
				plan = distinct(plan)
			}
		case ast.Intersect, ast.Except:
			if plan, err = b.intersectExcept(acc.plan, q.plan, acc.names, *op == ast.Intersect); err != nil {
				return nil, err
			}
		case ast.IntersectAll, ast.ExceptAll:
			// Number the copies of each row on both sides; the n-th copy
			// survives INTERSECT ALL when both sides have it and EXCEPT ALL
			// when only the left does.
			w := len(acc.plan.Schema())
			numbered, err := b.intersectExcept(numberCopies(acc.plan), numberCopies(q.plan), append(append([]string(nil), acc.names...), "copy"), *op == ast.IntersectAll)
			if err != nil {
				return nil, err
			}
			plan = trimTo(numbered, w)
		default:
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "%s is not supported yet", op.String())
		}
		untyped := make([]bool, acc.nOut)
		params := make([][]*paramRef, acc.nOut)
		for i := range untyped {
			untyped[i] = at(acc.untyped, i) && at(q.untyped, i)
			if untyped[i] {
				params[i] = append(paramsAt(acc, i), paramsAt(q, i)...)
			}
		}
		acc = &boundQuery{plan: plan, names: acc.names, nOut: acc.nOut, untyped: untyped, untypedParams: params}
	}
	if l.OrderBy != nil || l.Limit != nil {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "ORDER BY/LIMIT inside a parenthesised set operand is not supported yet")
	}
	return acc, nil
}

func at(flags []bool, i int) bool { return i < len(flags) && flags[i] }

func paramsAt(q *boundQuery, i int) []*paramRef {
	if i < len(q.untypedParams) {
		return q.untypedParams[i]
	}
	return nil
}

// union casts both sides to common column types and concatenates them. A
// column that is an untyped literal or parameter on one side takes the
// other side's type.
func (b *Binder) union(lq, rq *boundQuery) (logical.Node, error) {
	l, r, names, lu, ru := lq.plan, rq.plan, lq.names, lq.untyped, rq.untyped
	ls, rs := l.Schema(), r.Schema()
	lp := &logical.Project{Input: l}
	rp := &logical.Project{Input: r}
	u := &logical.Union{}
	for i := range ls {
		le := expr.Expr(&expr.ColRef{Idx: i, T: ls[i].T, Name: ls[i].Name})
		re := expr.Expr(&expr.ColRef{Idx: i, T: rs[i].T, Name: rs[i].Name})
		lt, rt := le.Type(), re.Type()
		if at(lu, i) {
			lt = types.UnknownT
		}
		if at(ru, i) {
			rt = types.UnknownT
		}
		t, err := commonType([]expr.Expr{&expr.Const{T: lt}, &expr.Const{T: rt}}, "UNION")
		if err != nil {
			return nil, err
		}
		// Described only (a run binds typed parameters): the branch's
		// column stays text, which is never run; the parameter's type is
		// what Describe reports and what the run binds it as.
		for _, q := range []*boundQuery{lq, rq} {
			if at(q.untyped, i) {
				for _, p := range paramsAt(q, i) {
					*p.slot() = paramType(t)
				}
			}
		}
		if le, err = b.coerce(le, t, "UNION"); err != nil {
			return nil, err
		}
		if re, err = b.coerce(re, t, "UNION"); err != nil {
			return nil, err
		}
		col := logical.Column{Name: names[i], T: t, Nullable: true}
		lp.Exprs, lp.Out = append(lp.Exprs, le), append(lp.Out, col)
		rp.Exprs, rp.Out = append(rp.Exprs, re), append(rp.Out, col)
		u.Out = append(u.Out, col)
	}
	u.Inputs = []logical.Node{lp, rp}
	return u, nil
}

// intersectExcept computes INTERSECT or EXCEPT (without ALL) by tagging
// each side's rows, grouping both by every column (so NULLs compare equal,
// as set operations require) and keeping the groups seen on the left and,
// for INTERSECT, also on the right or, for EXCEPT, not on the right.
func (b *Binder) intersectExcept(l, r logical.Node, names []string, intersect bool) (logical.Node, error) {
	tag := func(n logical.Node, left bool) logical.Node {
		s := n.Schema()
		p := &logical.Project{Input: n}
		for i, c := range s {
			p.Exprs = append(p.Exprs, &expr.ColRef{Idx: i, T: c.T, Name: c.Name})
			p.Out = append(p.Out, c)
		}
		one, zero := &expr.Const{Value: int64(1), T: types.Int32T}, &expr.Const{Value: int64(0), T: types.Int32T}
		lv, rv := expr.Expr(one), expr.Expr(zero)
		if !left {
			lv, rv = zero, one
		}
		p.Exprs = append(p.Exprs, lv, rv)
		p.Out = append(p.Out, logical.Column{Name: "l", T: types.Int32T}, logical.Column{Name: "r", T: types.Int32T})
		return p
	}
	u, err := b.union(&boundQuery{plan: tag(l, true), names: append(append([]string(nil), names...), "l", "r")}, &boundQuery{plan: tag(r, false)})
	if err != nil {
		return nil, err
	}
	us := u.Schema()
	w := len(us) - 2
	agg := &logical.Aggregate{Input: u}
	for i := 0; i < w; i++ {
		agg.Groups = append(agg.Groups, &expr.ColRef{Idx: i, T: us[i].T, Name: us[i].Name})
		agg.Out = append(agg.Out, us[i])
	}
	for _, i := range []int{w, w + 1} {
		agg.Aggs = append(agg.Aggs, &expr.AggCall{Fn: "sum", Args: []expr.Expr{&expr.ColRef{Idx: i, T: types.Int32T}}, T: types.Int64T})
		agg.Out = append(agg.Out, logical.Column{Name: "n", T: types.Int64T})
	}
	zero := &expr.Const{Value: int64(0), T: types.Int64T}
	inLeft := &expr.Call{Fn: ">", Args: []expr.Expr{&expr.ColRef{Idx: w, T: types.Int64T}, zero}, T: types.BoolT}
	rightOp := ">"
	if !intersect {
		rightOp = "="
	}
	onRight := &expr.Call{Fn: rightOp, Args: []expr.Expr{&expr.ColRef{Idx: w + 1, T: types.Int64T}, zero}, T: types.BoolT}
	return trimTo(&logical.Filter{Input: agg, Cond: expr.And(inLeft, onRight)}, w), nil
}

// numberCopies appends row_number() OVER (PARTITION BY every column).
func numberCopies(n logical.Node) logical.Node {
	s := n.Schema()
	w := &logical.Window{Input: n, Funcs: []logical.WindowFunc{{Name: "row_number", T: types.Int64T}}}
	for i, c := range s {
		w.Partition = append(w.Partition, &expr.ColRef{Idx: i, T: c.T, Name: c.Name})
	}
	return w
}
