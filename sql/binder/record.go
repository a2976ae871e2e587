package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// Records. Basalt has no composite types in batches; a record value is a
// "row" call over its fields (its text form, "(1,2)", is what a client
// sees), and the binder keeps each field an expression of its own, so
// (rec).field picks the call's argument. A record column of a derived
// table carries its fields as extra columns of the subquery, and a
// reference to it is a row call over those. The record clients use is
// information_schema._pg_expandarray(arr): (x, n) per element (pgjdbc's
// getPrimaryKeys selects it whole AS KEYS and reads (result.KEYS).x).

// RowFn is the executor's record constructor: the text "(a,b)" of its
// arguments, quoted as record_out does.
const RowFn = "row"

// recordFields places a record column's fields: names and offsets from
// the column's own position in the plan.
type recordFields struct {
	names []string
	off   []int
	types []types.T
}

// newRecord builds a record value over vals named names.
func (b *Binder) newRecord(names []string, vals []expr.Expr) *expr.Call {
	c := &expr.Call{Fn: RowFn, Args: vals, T: types.RecordT}
	if b.recordNames == nil {
		b.recordNames = map[*expr.Call][]string{}
	}
	b.recordNames[c] = names
	return c
}

// expandArrayRecord binds information_schema._pg_expandarray(arr) as a
// whole value: the record (x, n) of unnest(arr) WITH ORDINALITY.
func (b *Binder) expandArrayRecord(f *ast.FuncCallExpr, ctx *exprCtx) (expr.Expr, error) {
	x, err := b.bindSetFunc("unnest", f, ctx)
	if err != nil {
		return nil, err
	}
	ref := x.(*srfRef)
	(*ctx.srfs)[ref.i].Ordinality = true
	return b.newRecord([]string{"x", "n"}, []expr.Expr{ref, expandArrayN(ref)}), nil
}

// isExpandArray reports whether f is information_schema._pg_expandarray.
func isExpandArray(f *ast.FuncCallExpr) bool {
	return f.FnName.L == "_pg_expandarray" && f.Schema.L == "information_schema"
}

// recordColumn turns a reference to a record column (e, a ColRef or
// OuterRef) into a row call over its field columns.
func (b *Binder) recordColumn(s *scope, table, name string, e expr.Expr) (expr.Expr, error) {
	for sc := s; sc != nil; sc = sc.parent {
		c, err := sc.lookup(table, name)
		if err != nil || c == nil {
			continue
		}
		if c.fields == nil {
			return e, nil
		}
		vals := make([]expr.Expr, len(c.fields))
		for k := range c.fields {
			t := c.fieldTypes[k]
			switch r := e.(type) {
			case *expr.ColRef:
				vals[k] = &expr.ColRef{Idx: r.Idx + c.fieldOff[k], T: t, Name: r.Name + "." + c.fields[k]}
			case *expr.OuterRef:
				vals[k] = &expr.OuterRef{Depth: r.Depth, Idx: r.Idx + c.fieldOff[k], T: t, Name: r.Name + "." + c.fields[k]}
			default:
				return e, nil
			}
		}
		return b.newRecord(c.fields, vals), nil
	}
	return e, nil
}

// fieldOf selects a field of a bound record value.
func (b *Binder) fieldOf(rec expr.Expr, field string) (expr.Expr, error) {
	c, ok := rec.(*expr.Call)
	names := b.recordNames[c]
	if !ok || names == nil {
		return nil, sqlerr.New(sqlerr.WrongObjectType, "column notation .%s applied to type %s, which is not a composite type", field, rec.Type())
	}
	for k, n := range names {
		if n == field {
			return c.Args[k], nil
		}
	}
	return nil, sqlerr.New(sqlerr.UndefinedColumn, "column \"%s\" not found in data type record", field)
}

// carryRecordFields appends the fields of the select list's record items
// to the projection, after the visible items and the lifted columns, so
// that a derived table's scope can reach them (scopeCol.fields). It
// returns how many columns it added.
func (b *Binder) carryRecordFields(q *boundQuery, items []selectItem, proj *logical.Project) int {
	added := 0
	for i, it := range items {
		c, ok := it.e.(*expr.Call)
		names := b.recordNames[c]
		if !ok || names == nil {
			continue
		}
		pc, ok := proj.Exprs[i].(*expr.Call)
		if !ok || pc.Fn != RowFn || len(pc.Args) != len(names) {
			continue
		}
		if q.fields == nil {
			q.fields = make([]*recordFields, len(items))
		}
		rf := &recordFields{names: names}
		for _, a := range pc.Args {
			rf.off = append(rf.off, len(proj.Exprs)-i)
			rf.types = append(rf.types, a.Type())
			proj.Exprs = append(proj.Exprs, a)
			proj.Out = append(proj.Out, logical.Column{Name: "field", T: a.Type(), Nullable: true})
			added++
		}
		q.fields[i] = rf
	}
	return added
}
