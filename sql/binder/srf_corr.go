package binder

import (
	"sort"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

func hasOuterRef(es []expr.Expr) bool {
	found := false
	for _, e := range es {
		expr.Walk(e, func(x expr.Expr) bool {
			if _, ok := x.(*expr.OuterRef); ok {
				found = true
			}
			return !found
		})
	}
	return found
}

// correlatedTableFunc binds a set-returning function in a subquery's FROM
// whose arguments read the enclosing query's columns (psql's
// "FROM unnest(tc.reloptions) x"). Rather than run it per outer row, it
// runs once per distinct value of those columns: a ProjectSet over the
// distinct outer values, whose rows carry the values they came from. The
// copies are visible under the outer names, so the rest of the subquery
// reads them as its own columns, and bindSelect adds the correlation
// copy = outer that the usual decorrelation joins on.
func (b *Binder) correlatedTableFunc(ts *ast.TableSource, tf *logical.TableFunc, parent *scope) (logical.Node, *scope, error) {
	if parent == nil || parent.plan == nil {
		return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "set-returning function %s in FROM with arguments from an enclosing query is not supported here", tf.Name)
	}
	keySet := map[int]*expr.OuterRef{}
	var err error
	for _, a := range tf.Args {
		expr.Walk(a, func(x expr.Expr) bool {
			if o, ok := x.(*expr.OuterRef); ok {
				if o.Depth != 1 {
					err = sqlerr.New(sqlerr.FeatureNotSupported, "subquery correlated to a query two or more levels out is not supported yet")
				}
				keySet[o.Idx] = o
			}
			return true
		})
	}
	if err != nil {
		return nil, nil, err
	}
	keys := make([]int, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	pos := map[int]int{}
	distinctKeys := &logical.Aggregate{Input: parent.plan}
	for i, k := range keys {
		pos[k] = i
		o := keySet[k]
		distinctKeys.Groups = append(distinctKeys.Groups, &expr.ColRef{Idx: k, T: o.T, Name: o.Name})
		distinctKeys.Out = append(distinctKeys.Out, logical.Column{Name: o.Name, T: o.T, Nullable: true})
	}
	args := make([]expr.Expr, len(tf.Args))
	for i, a := range tf.Args {
		args[i] = expr.Rewrite(a, func(x expr.Expr) expr.Expr {
			if o, ok := x.(*expr.OuterRef); ok {
				return &expr.ColRef{Idx: pos[o.Idx], T: o.T, Name: o.Name}
			}
			return x
		})
	}
	ft := tf.Out[0].T
	alias := ts.AsName.O
	colName := alias
	if alias == "" {
		alias, colName = tf.Name, tf.Name
	}
	if as := b.ColumnAliases[strings.ToLower(alias)]; len(as) > 0 {
		colName = as[0]
	} else if len(ts.ColumnNames) > 0 {
		colName = ts.ColumnNames[0].O
	}
	ps := &logical.ProjectSet{Input: distinctKeys, Funcs: []logical.SetFunc{{Name: tf.Name, Args: args, T: ft}},
		Out: append(append(logical.Schema(nil), distinctKeys.Out...), logical.Column{Name: colName, T: ft, Nullable: true})}
	sc := &scope{}
	for i, k := range keys {
		name, table := keySet[k].Name, ""
		for _, pc := range parent.cols {
			if pc.idx == k {
				name, table = pc.name, pc.table
				break
			}
		}
		sc.cols = append(sc.cols, scopeCol{name: name, table: table, t: keySet[k].T, idx: i, corrOf: k + 1})
	}
	sc.cols = append(sc.cols, scopeCol{name: colName, table: alias, t: ft, idx: len(keys)})
	return ps, sc, nil
}
