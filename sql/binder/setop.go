package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
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
		switch *op {
		case ast.Union, ast.UnionAll:
		default:
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "%s is not supported yet", op.String())
		}
		plan, err := b.union(acc.plan, q.plan, acc.names)
		if err != nil {
			return nil, err
		}
		if *op == ast.Union {
			plan = distinct(plan)
		}
		acc = &boundQuery{plan: plan, names: acc.names, nOut: acc.nOut}
	}
	if l.OrderBy != nil || l.Limit != nil {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "ORDER BY/LIMIT inside a parenthesised set operand is not supported yet")
	}
	return acc, nil
}

// union casts both sides to common column types and concatenates them.
func (b *Binder) union(l, r logical.Node, names []string) (logical.Node, error) {
	ls, rs := l.Schema(), r.Schema()
	lp := &logical.Project{Input: l}
	rp := &logical.Project{Input: r}
	u := &logical.Union{}
	for i := range ls {
		le := expr.Expr(&expr.ColRef{Idx: i, T: ls[i].T, Name: ls[i].Name})
		re := expr.Expr(&expr.ColRef{Idx: i, T: rs[i].T, Name: rs[i].Name})
		t, err := commonType([]expr.Expr{le, re}, "UNION")
		if err != nil {
			return nil, err
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
