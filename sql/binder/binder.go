// Package binder turns a parsed statement (TiDB AST after the PostgreSQL
// front) into a typed logical plan: it resolves names against the catalog
// and scopes, applies PostgreSQL's typing rules, recognises the front's
// marker functions, and decorrelates subqueries into joins so no subquery
// is ever re-run per outer row.
//
// It imports sql/*, planner/logical and storage (for table handles).
package binder

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/session"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// Catalog is what the binder needs of the table catalog.
type Catalog interface {
	Table(name string) (*storage.Table, bool)
}

// Bound is a bound query: its plan and output column names.
type Bound struct {
	Plan  logical.Node
	Names []string
}

// Binder binds one statement.
type Binder struct {
	cat Catalog
	// ColumnAliases are derived-table column lists the front removed from
	// the text, keyed by the table alias.
	ColumnAliases map[string][]string
	// Session answers current_user, current_setting and the like; nil
	// binds them as an embedded session would.
	Session session.Info
	// Query is the statement's text, for current_query().
	Query string
	// Params are the statement's $n parameters; nil: it has none.
	Params *Params
	// Sys is PostgreSQL's system catalog (pg_catalog, information_schema,
	// the reg* types, catalog functions); nil for data tables only.
	Sys     SystemCatalog
	ctes    []map[string]*cteDef
	cteRefs map[*logical.CTE]int
	// liftOuter asks the next bindSelect (a scalar subquery's) to lift
	// select-list items that read the enclosing query (liftOuterItems).
	liftOuter bool
	// recordNames are the field names of the record values (row calls)
	// bound so far (record.go).
	recordNames map[*expr.Call][]string
}

type cteDef struct {
	cte   *logical.CTE
	names []string
}

// New returns a binder over cat.
func New(cat Catalog, columnAliases map[string][]string) *Binder {
	return &Binder{cat: cat, ColumnAliases: columnAliases, Session: session.NewEmbedded()}
}

// boundQuery is a bound (sub)query. For a correlated subquery, Corr holds
// the correlated predicates that were lifted out of its WHERE: they refer to
// the query's output columns (ColRef) and the enclosing query's (OuterRef).
type boundQuery struct {
	plan  logical.Node
	names []string
	nOut  int // visible output columns; extra columns after them serve Corr
	corr  []expr.Expr
	agg   bool // an aggregate without GROUP BY: exactly one row per correlation key
	// untyped marks output columns that are bare NULL or string literals:
	// a UNION takes their type from its other branches, as PostgreSQL does.
	untyped []bool
	// untypedParams lists, per untyped column, the parameters it alone
	// typed (as text, for now): a UNION gives them the other side's type.
	untypedParams [][]*paramRef
	count         bool // its single output is a bare count(): NULL means 0 after an outer join
	// lifted holds, per visible column, an item that reads the enclosing
	// query (nil for the others): the column itself is a non-NULL marker
	// and the item is computed above the join (liftOuterItems).
	lifted []expr.Expr
	// fields describe, per visible column, the fields of a record column
	// (nil for others): carried as extra columns (record.go).
	fields []*recordFields
	// countCols marks the outputs that are bare count()s.
	countCols []bool
}

// BindQuery binds a SELECT or set operation.
func (b *Binder) BindQuery(stmt ast.StmtNode) (*Bound, error) {
	rs, ok := stmt.(ast.ResultSetNode)
	if !ok {
		if cmd := writeCommand(stmt); cmd != "" {
			// Basalt only reads: answer writes as PostgreSQL does in a
			// read-only transaction, which clients such as pgbench (its
			// TRUNCATE of pgbench_history) report and carry on from.
			return nil, sqlerr.New(codeReadOnlyTransaction, "cannot execute %s in a read-only transaction", cmd)
		}
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "statement not supported: %T", stmt)
	}
	q, err := b.bindResultSet(rs, nil)
	if err != nil {
		return nil, err
	}
	if len(q.corr) > 0 {
		return nil, sqlerr.New(sqlerr.InternalError, "unexpected correlation at top level")
	}
	if err := b.checkParams(); err != nil {
		return nil, err
	}
	if len(q.plan.Schema()) > q.nOut {
		// Columns that carry record fields are for enclosing queries.
		q.plan = trimTo(q.plan, q.nOut)
	}
	return b.outputForm(&Bound{Plan: b.inlineCTEs(q.plan, map[*logical.CTE]bool{}), Names: q.names}), nil
}

// inlineCTEs replaces reads of a CTE used once by its plan, so rules can
// push filters into it; CTEs read more than once stay shared and run once.
func (b *Binder) inlineCTEs(n logical.Node, done map[*logical.CTE]bool) logical.Node {
	if s, ok := n.(*logical.CTEScan); ok {
		if b.cteRefs[s.CTE] <= 1 {
			return b.inlineCTEs(s.CTE.Plan, done)
		}
		if !done[s.CTE] {
			done[s.CTE] = true
			s.CTE.Plan = b.inlineCTEs(s.CTE.Plan, done)
		}
		return n
	}
	ch := n.Children()
	if len(ch) == 0 {
		return n
	}
	out := make([]logical.Node, len(ch))
	for i, c := range ch {
		out[i] = b.inlineCTEs(c, done)
	}
	return n.WithChildren(out)
}

func (b *Binder) bindResultSet(rs ast.ResultSetNode, parent *scope) (*boundQuery, error) {
	switch n := rs.(type) {
	case *ast.SelectStmt:
		return b.bindSelect(n, parent)
	case *ast.SetOprStmt:
		b.liftOuter = false
		return b.bindSetOpr(n, parent)
	case *ast.SubqueryExpr:
		return b.bindResultSet(n.Query, parent)
	}
	return nil, sqlerr.New(sqlerr.FeatureNotSupported, "query form not supported: %T", rs)
}

func (b *Binder) pushCTEs(w *ast.WithClause, parent *scope) error {
	frame := map[string]*cteDef{}
	b.ctes = append(b.ctes, frame)
	if w == nil {
		return nil
	}
	if w.IsRecursive {
		return sqlerr.New(sqlerr.FeatureNotSupported, "WITH RECURSIVE is not supported yet")
	}
	for _, c := range w.CTEs {
		q, err := b.bindResultSet(c.Query.Query, parent)
		if err != nil {
			return err
		}
		if len(q.corr) > 0 {
			return sqlerr.New(sqlerr.FeatureNotSupported, "correlated CTE is not supported")
		}
		names := q.names
		if len(c.ColNameList) > 0 {
			if len(c.ColNameList) > len(names) {
				return sqlerr.New(sqlerr.SyntaxError, "WITH query %q has %d columns available but %d columns specified", c.Name.O, len(names), len(c.ColNameList))
			}
			names = append([]string(nil), names...)
			for i, n := range c.ColNameList {
				names[i] = n.O
			}
		}
		frame[c.Name.O] = &cteDef{cte: &logical.CTE{Name: c.Name.O, Plan: q.plan}, names: names}
	}
	return nil
}

func (b *Binder) popCTEs() { b.ctes = b.ctes[:len(b.ctes)-1] }

func (b *Binder) lookupCTE(name string) *cteDef {
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if d, ok := b.ctes[i][name]; ok {
			return d
		}
	}
	return nil
}

// ---- FROM ----

func (b *Binder) bindFrom(n ast.ResultSetNode, parent *scope) (logical.Node, *scope, error) {
	switch t := n.(type) {
	case *ast.TableSource:
		return b.bindTableSource(t, parent)
	case *ast.Join:
		return b.bindJoin(t, parent)
	}
	return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "FROM item not supported: %T", n)
}

func (b *Binder) bindTableSource(ts *ast.TableSource, parent *scope) (logical.Node, *scope, error) {
	alias := ts.AsName.O
	var plan logical.Node
	var names []string
	var derived *boundQuery // a subquery in FROM: its record columns keep their fields
	switch src := ts.Source.(type) {
	case *ast.TableName:
		name := src.Name.O
		if s := src.Schema.L; s != "" && s != "public" && b.Sys == nil {
			return nil, nil, sqlerr.New(sqlerr.UndefinedTable, "relation \"%s.%s\" does not exist", src.Schema.O, name)
		}
		if alias == "" {
			alias = name
		}
		if d := b.lookupCTE(name); d != nil && src.Schema.L == "" {
			if b.cteRefs == nil {
				b.cteRefs = map[*logical.CTE]int{}
			}
			b.cteRefs[d.cte]++
			plan, names = &logical.CTEScan{CTE: d.cte}, d.names
			break
		}
		var t *storage.Table
		if b.Sys != nil {
			var err error
			if t, err = b.Sys.Relation(src.Schema.L, name); err != nil {
				return nil, nil, err
			}
		} else {
			var ok bool
			if t, ok = b.cat.Table(name); !ok {
				return nil, nil, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", name)
			}
		}
		if err := t.Err(); err != nil {
			return nil, nil, err
		}
		scan := &logical.Scan{Table: t, Alias: alias}
		for i, c := range t.Columns {
			scan.Cols = append(scan.Cols, i)
			scan.Out = append(scan.Out, logical.Column{Name: c.Name, Table: alias, T: c.Type, Nullable: c.Nullable})
		}
		plan = scan
		for _, c := range scan.Out {
			names = append(names, c.Name)
		}
	case *ast.SelectStmt, *ast.SetOprStmt:
		if sel, ok := src.(*ast.SelectStmt); ok {
			if f := srfCall(sel); f != nil {
				if name, _ := constString(f.Args[0]); name == "pg_get_keywords" {
					if len(f.Args) != 1 {
						return nil, nil, sqlerr.New(sqlerr.UndefinedFunction, "function pg_get_keywords with arguments does not exist")
					}
					plan = keywordsValues()
					for _, c := range plan.Schema() {
						names = append(names, c.Name)
					}
					break
				}
				if f.FnName.L == "__pg_srf_ordinality" {
					ps, err := b.bindOrdinalitySRF(f)
					if err != nil {
						return nil, nil, err
					}
					plan, names = ps, []string{alias, "ordinality"}
					if alias == "" {
						names[0] = ps.Funcs[0].Name
					}
					break
				}
				if name, _ := constString(f.Args[0]); !isSetFunc(name) {
					// Any other function in FROM is one row holding its value.
					p, err := b.bindScalarFromFunc(name, f, parent, alias)
					if err != nil {
						return nil, nil, err
					}
					plan, names = p, []string{alias}
					break
				}
				tf, err := b.bindTableFunc(f, parent)
				if err != nil {
					return nil, nil, err
				}
				if hasOuterRef(tf.Args) {
					return b.correlatedTableFunc(ts, tf, parent)
				}
				plan, names = tf, []string{alias}
				if alias == "" {
					names = []string{tf.Name}
				}
				break
			}
		}
		q, err := b.bindResultSet(src, nil)
		if err != nil {
			return nil, nil, err
		}
		plan, names, derived = q.plan, q.names, q
	case *ast.Join:
		return b.bindJoin(src, parent)
	default:
		return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "FROM item not supported: %T", src)
	}
	aliases := b.ColumnAliases[strings.ToLower(alias)]
	if len(aliases) == 0 {
		for _, c := range ts.ColumnNames {
			aliases = append(aliases, c.O)
		}
	}
	if len(aliases) > len(names) {
		return nil, nil, sqlerr.New(sqlerr.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, len(names), len(aliases))
	}
	names = append([]string(nil), names...)
	copy(names, aliases)
	sc := &scope{}
	for i, c := range plan.Schema() {
		if derived != nil && i >= derived.nOut {
			break // columns carrying record fields
		}
		col := scopeCol{name: names[i], table: alias, t: c.T, idx: i}
		if derived != nil && i < len(derived.fields) && derived.fields[i] != nil {
			f := derived.fields[i]
			col.fields, col.fieldOff, col.fieldTypes = f.names, f.off, f.types
		}
		sc.cols = append(sc.cols, col)
	}
	return plan, sc, nil
}

func (b *Binder) bindJoin(j *ast.Join, parent *scope) (logical.Node, *scope, error) {
	left, ls, err := b.bindFrom(j.Left, parent)
	if err != nil {
		return nil, nil, err
	}
	if j.Right == nil {
		return left, ls, nil
	}
	var right logical.Node
	var rs *scope
	var lateral *boundQuery
	if ts, ok := j.Right.(*ast.TableSource); ok && ts.Lateral {
		right, rs, lateral, err = b.bindLateral(ts, ls, parent)
	} else {
		right, rs, err = b.bindFrom(j.Right, parent)
	}
	if err != nil {
		// A function in FROM reading columns of the items to its left
		// (LATERAL, explicit or implied) expands each of their rows.
		if plan, sc, ok, serr := b.bindLateralSRF(j, left, ls, err); ok {
			return plan, sc, serr
		}
		return nil, nil, err
	}
	width := len(left.Schema())
	for _, t := range tableNames(rs) {
		if tableNames(ls)[t] != "" {
			return nil, nil, sqlerr.New(sqlerr.DuplicateAlias, "table name %q specified more than once", t)
		}
	}
	sc := concat(ls, rs, width)
	sc.parent = parent
	kind := logical.Inner
	switch j.Tp {
	case ast.LeftJoin:
		kind = logical.Left
	case ast.RightJoin:
		kind = logical.Right
	}
	var conds []expr.Expr
	if j.On != nil {
		on := j.On.Expr
		if isFullJoinMarker(on) {
			kind = logical.Full
			on = stripFullJoinMarker(on)
		}
		if on != nil {
			cond, err := b.bindScalar(on, sc, "JOIN/ON")
			if err != nil {
				return nil, nil, err
			}
			conds = append(conds, cond)
		}
	}
	using := j.Using
	if j.NaturalJoin {
		for _, lc := range ls.cols {
			if lc.hidden || lc.corrOf > 0 {
				continue
			}
			if c, _ := rs.lookup("", lc.name); c != nil {
				using = append(using, &ast.ColumnName{Name: ast.NewCIStr(lc.name)})
			}
		}
	}
	for _, u := range using {
		name := u.Name.O
		lc, err := ls.lookup("", name)
		if err != nil {
			return nil, nil, err
		}
		rc, err := rs.lookup("", name)
		if err != nil {
			return nil, nil, err
		}
		if lc == nil || rc == nil {
			return nil, nil, sqlerr.New(sqlerr.UndefinedColumn, "column %q specified in USING clause does not exist in %s table", name, map[bool]string{true: "left", false: "right"}[lc == nil])
		}
		l := expr.Expr(&expr.ColRef{Idx: lc.idx, T: lc.t, Name: name})
		r := expr.Expr(&expr.ColRef{Idx: rc.idx + width, T: rc.t, Name: name})
		eq, err := b.binary("=", l, r)
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, eq)
		// The merged column is found unqualified on the side that is kept.
		hide, keep := rc.idx+width, lc.idx
		if kind == logical.Right {
			hide, keep = lc.idx, rc.idx+width
		}
		sc.merged = append(sc.merged, keep)
		for i := range sc.cols {
			if sc.cols[i].idx == hide {
				sc.cols[i].hidden = true
			}
		}
	}
	if lateral != nil {
		for _, c := range lateral.corr {
			pc, err := pullUp(c, width)
			if err != nil {
				return nil, nil, err
			}
			conds = append(conds, pc)
		}
		if lateral.agg && kind == logical.Inner {
			// An aggregate without GROUP BY has a row for every outer row.
			kind = logical.Left
		}
	}
	cond := expr.And(conds...)
	if cond == nil && kind == logical.Inner {
		kind = logical.Cross
	}
	if cond == nil && kind != logical.Cross {
		cond = &expr.Const{Value: true, T: types.BoolT}
	}
	var out logical.Node = &logical.Join{Left: left, Right: right, Kind: kind, Cond: cond}
	if lateral != nil && lateral.agg && slices.Contains(lateral.countCols, true) {
		// count() over no rows is 0, not the NULL the outer join pads with.
		js := out.Schema()
		p := &logical.Project{Input: out, Out: js}
		for i, c := range js {
			var e expr.Expr = &expr.ColRef{Idx: i, T: c.T, Name: c.Name}
			if i >= width && i-width < len(lateral.countCols) && lateral.countCols[i-width] {
				e = &expr.Call{Fn: "coalesce", Args: []expr.Expr{e, &expr.Const{Value: int64(0), T: types.Int64T}}, T: types.Int64T}
			}
			p.Exprs = append(p.Exprs, e)
		}
		out = p
	}
	return out, sc, nil
}

// bindLateral binds a LATERAL derived table with the FROM items to its left
// in scope; its references to them come back as correlation predicates the
// join applies (the same decorrelation as for subqueries).
func (b *Binder) bindLateral(ts *ast.TableSource, left *scope, parent *scope) (logical.Node, *scope, *boundQuery, error) {
	if sel, ok := ts.Source.(*ast.SelectStmt); ok && srfCall(sel) != nil {
		// A set-returning function in FROM reads only constants today;
		// one whose arguments come from a table to its left needs a
		// per-row generator that is not built yet.
		plan, sc, err := b.bindTableSource(ts, parent)
		if err != nil {
			if sqlerr.Code(err) == sqlerr.UndefinedColumn || sqlerr.Code(err) == sqlerr.UndefinedTable {
				return nil, nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "set-returning functions in FROM with arguments from other FROM items (LATERAL) are not supported yet")
			}
			return nil, nil, nil, err
		}
		return plan, sc, &boundQuery{plan: plan, nOut: len(plan.Schema())}, nil
	}
	outer := &scope{cols: left.cols, parent: parent}
	q, err := b.bindResultSet(ts.Source, outer)
	if err != nil {
		return nil, nil, nil, err
	}
	alias := ts.AsName.O
	names := append([]string(nil), q.names...)
	aliases := b.ColumnAliases[strings.ToLower(alias)]
	if len(aliases) == 0 {
		for _, c := range ts.ColumnNames {
			aliases = append(aliases, c.O)
		}
	}
	if len(aliases) > len(names) {
		return nil, nil, nil, sqlerr.New(sqlerr.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, len(names), len(aliases))
	}
	copy(names, aliases)
	sc := &scope{}
	schema := q.plan.Schema()
	for i := 0; i < q.nOut; i++ {
		c := scopeCol{name: names[i], table: alias, t: schema[i].T, idx: i}
		if i < len(q.fields) && q.fields[i] != nil {
			c.fields, c.fieldOff, c.fieldTypes = q.fields[i].names, q.fields[i].off, q.fields[i].types
		}
		sc.cols = append(sc.cols, c)
	}
	return q.plan, sc, q, nil
}

func isFullJoinMarker(e ast.ExprNode) bool {
	switch n := e.(type) {
	case *ast.FuncCallExpr:
		return n.FnName.L == "__pg_full_join"
	case *ast.BinaryOperationExpr:
		return isFullJoinMarker(n.L)
	}
	return false
}

// stripFullJoinMarker removes the leading __pg_full_join() conjunct.
func stripFullJoinMarker(e ast.ExprNode) ast.ExprNode {
	switch n := e.(type) {
	case *ast.FuncCallExpr:
		return nil
	case *ast.BinaryOperationExpr:
		l := stripFullJoinMarker(n.L)
		if l == nil {
			return n.R
		}
		c := *n
		c.L = l
		return &c
	}
	return e
}

// tableNames is the set of table names (aliases) a scope exposes.
func tableNames(s *scope) map[string]string {
	out := map[string]string{}
	for _, c := range s.cols {
		if c.table != "" {
			out[c.table] = c.table
		}
	}
	return out
}

// srfCall returns the front's __pg_srf('name', args...) call when sel is
// the derived table a set-returning function in FROM was rewritten to.
func srfCall(sel *ast.SelectStmt) *ast.FuncCallExpr {
	if sel.From != nil || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
		return nil
	}
	f, ok := sel.Fields.Fields[0].Expr.(*ast.FuncCallExpr)
	if !ok || (f.FnName.L != "__pg_srf" && f.FnName.L != "__pg_srf_ordinality") || len(f.Args) == 0 {
		return nil
	}
	return f
}

// bindTableFunc types generate_series(start, stop [, step]) like
// PostgreSQL: integers stay integer, any numeric argument makes numeric,
// timestamps step by an interval.
func (b *Binder) bindTableFunc(f *ast.FuncCallExpr, parent *scope) (*logical.TableFunc, error) {
	name, _ := constString(f.Args[0])
	// Arguments may read an enclosing query's columns (OuterRef).
	ctx := &exprCtx{sc: &scope{parent: parent}, clause: "FROM"}
	if name == "generate_subscripts" {
		args, err := b.bindExprList(f.Args[1:], ctx)
		if err != nil {
			return nil, err
		}
		fn, args, t, err := b.typeSetFuncAs(name, args)
		if err != nil {
			return nil, err
		}
		return &logical.TableFunc{Name: fn, Args: args, Out: logical.Schema{{Name: name, T: t}}}, nil
	}
	if name == "unnest" {
		if len(f.Args) != 2 {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "unnest of several arrays is not supported yet")
		}
		x, err := b.bindExpr(f.Args[1], ctx)
		if err != nil {
			return nil, err
		}
		if x.Type().Kind != types.Array {
			return nil, sqlerr.New(sqlerr.UndefinedFunction, "function unnest(%s) does not exist", x.Type())
		}
		return &logical.TableFunc{Name: name, Args: []expr.Expr{x}, Out: logical.Schema{{Name: name, T: x.Type().ElemType(), Nullable: true}}}, nil
	}
	if name != "generate_series" {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "function %s in FROM is not supported", name)
	}
	args, err := b.bindExprList(f.Args[1:], ctx)
	if err != nil {
		return nil, err
	}
	if len(args) < 2 || len(args) > 3 {
		return nil, sqlerr.New(sqlerr.UndefinedFunction, "function generate_series with %d arguments does not exist", len(args))
	}
	bounds := args[:2]
	t, err := commonType(bounds, "generate_series")
	if err != nil {
		return nil, err
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
		return nil, sqlerr.New(sqlerr.UndefinedFunction, "function generate_series(%s, %s) does not exist", bounds[0].Type(), bounds[1].Type())
	}
	for i := range bounds {
		if args[i], err = b.coerce(args[i], t, "generate_series"); err != nil {
			return nil, err
		}
	}
	if len(args) == 3 {
		st := t
		if t.IsTemporal() {
			st = types.IntervalT
		}
		if args[2], err = b.coerce(args[2], st, "generate_series"); err != nil {
			return nil, err
		}
	} else if t.IsTemporal() {
		return nil, sqlerr.New(sqlerr.UndefinedFunction, "function generate_series(%s, %s) does not exist", t, t)
	}
	return &logical.TableFunc{Name: name, Args: args, Out: logical.Schema{{Name: name, T: t, Nullable: false}}}, nil
}

const codeReadOnlyTransaction = "25006"

// writeCommand is PostgreSQL's command name for a statement that writes,
// or "" for anything else.
func writeCommand(stmt ast.StmtNode) string {
	switch s := stmt.(type) {
	case *ast.InsertStmt:
		return "INSERT"
	case *ast.UpdateStmt:
		return "UPDATE"
	case *ast.DeleteStmt:
		return "DELETE"
	case *ast.TruncateTableStmt:
		return "TRUNCATE TABLE"
	case *ast.CreateTableStmt:
		return "CREATE TABLE"
	case *ast.DropTableStmt:
		if s.IsView {
			return "DROP VIEW"
		}
		return "DROP TABLE"
	case *ast.CreateViewStmt:
		return "CREATE VIEW"
	case *ast.CreateIndexStmt:
		return "CREATE INDEX"
	case *ast.DropIndexStmt:
		return "DROP INDEX"
	case *ast.AlterTableStmt:
		return "ALTER TABLE"
	case *ast.CreateDatabaseStmt:
		return "CREATE DATABASE"
	case *ast.DropDatabaseStmt:
		return "DROP DATABASE"
	}
	return ""
}

// bindExprList binds each expression of a list in one context.
func (b *Binder) bindExprList(list []ast.ExprNode, ctx *exprCtx) ([]expr.Expr, error) {
	out := make([]expr.Expr, 0, len(list))
	for _, a := range list {
		x, err := b.bindExpr(a, ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}
