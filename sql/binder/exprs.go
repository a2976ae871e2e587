package binder

import (
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// exprCtx is where an expression is bound: its scope, whether aggregates
// may appear (aggs non-nil), and the clause name for error messages.
type exprCtx struct {
	sc        *scope
	aggs      *[]*expr.AggCall
	groupings *[]*groupingRef
	windows   *[]*windowCall
	srfs      *[]*logical.SetFunc // set-returning functions of a select list
	named     map[string]*ast.WindowSpec
	clause    string
}

// bindScalar binds a condition that may not contain aggregates.
func (b *Binder) bindScalar(e ast.ExprNode, sc *scope, clause string) (expr.Expr, error) {
	x, err := b.bindExpr(e, &exprCtx{sc: sc, clause: clause})
	if err != nil {
		return nil, err
	}
	return b.coerce(x, types.BoolT, clause)
}

var binaryOps = map[opcode.Op]string{
	opcode.LogicAnd: "and", opcode.LogicOr: "or",
	opcode.GE: ">=", opcode.LE: "<=", opcode.EQ: "=", opcode.NE: "<>", opcode.LT: "<", opcode.GT: ">",
	opcode.Plus: "+", opcode.Minus: "-", opcode.Mul: "*", opcode.Div: "/", opcode.Mod: "%",
	opcode.IntDiv: "/", opcode.NullEQ: "is not distinct from",
	// Bitwise operators on integers (pgjdbc's getIndexInfo reads
	// indoption[i] & 1). The front passes & | << >> through.
	opcode.And: "&", opcode.Or: "|", opcode.LeftShift: "<<", opcode.RightShift: ">>",
}

func (b *Binder) bindExpr(e ast.ExprNode, ctx *exprCtx) (expr.Expr, error) {
	switch n := e.(type) {
	case *ast.ParenthesesExpr:
		return b.bindExpr(n.Expr, ctx)
	case *test_driver.ValueExpr:
		if n.Type.GetFlag()&mysql.IsBooleanFlag != 0 && n.Kind() == test_driver.KindInt64 {
			// TRUE and FALSE: TiDB reads them as the integers 1 and 0.
			return &expr.Const{Value: n.GetInt64() != 0, T: types.BoolT}, nil
		}
		return constFromDatum(&n.Datum)
	case *test_driver.ParamMarkerExpr:
		// $n where the grammar wants a bare number (LIMIT $n): the front
		// set the marker's value to n.
		return b.bindParam(n.GetInt64())
	case *ast.ColumnNameExpr:
		e, err := ctx.sc.resolve(n.Name.Table.O, n.Name.Name.O)
		if err == nil && e.Type().Variant == types.Record {
			return b.recordColumn(ctx.sc, n.Name.Table.O, n.Name.Name.O, e)
		}
		return e, err
	case *ast.BinaryOperationExpr:
		op, ok := binaryOps[n.Op]
		if !ok {
			return nil, sqlerr.New(sqlerr.UndefinedFunction, "operator does not exist: %s", n.Op.String())
		}
		l, err := b.bindExpr(n.L, ctx)
		if err != nil {
			return nil, err
		}
		r, err := b.bindExpr(n.R, ctx)
		if err != nil {
			return nil, err
		}
		return b.binary(op, l, r)
	case *ast.UnaryOperationExpr:
		v, err := b.bindExpr(n.V, ctx)
		if err != nil {
			return nil, err
		}
		switch n.Op {
		case opcode.Plus:
			return v, nil
		case opcode.Minus:
			if c, ok := v.(*expr.Const); ok {
				if neg, ok := negateConst(c); ok {
					return neg, nil
				}
			}
			return b.unary("neg", v)
		case opcode.Not, opcode.Not2:
			return b.unary("not", v)
		case opcode.BitNeg:
			return b.unary("~", v)
		}
		return nil, sqlerr.New(sqlerr.UndefinedFunction, "operator does not exist: %s", n.Op.String())
	case *ast.IsNullExpr:
		v, err := b.bindExpr(n.Expr, ctx)
		if err != nil {
			return nil, err
		}
		fn := "is null"
		if n.Not {
			fn = "is not null"
		}
		if !isParamRef(v) {
			// PostgreSQL leaves $1 IS NULL without a type (42P18 unless
			// another use types it); a literal is text.
			v = finishUnknown(v)
		}
		return &expr.Call{Fn: fn, Args: []expr.Expr{v}, T: types.BoolT}, nil
	case *ast.IsTruthExpr:
		v, err := b.bindExpr(n.Expr, ctx)
		if err != nil {
			return nil, err
		}
		if v, err = b.coerce(v, types.BoolT, "IS TRUE"); err != nil {
			return nil, err
		}
		fn := "is true"
		if n.True == 0 {
			fn = "is false"
		}
		if n.Not {
			fn = strings.Replace(fn, "is ", "is not ", 1)
		}
		return &expr.Call{Fn: fn, Args: []expr.Expr{v}, T: types.BoolT}, nil
	case *ast.BetweenExpr:
		x, err := b.bindExpr(n.Expr, ctx)
		if err != nil {
			return nil, err
		}
		lo, err := b.bindExpr(n.Left, ctx)
		if err != nil {
			return nil, err
		}
		hi, err := b.bindExpr(n.Right, ctx)
		if err != nil {
			return nil, err
		}
		if n.Not {
			a, err := b.binary("<", x, lo)
			if err != nil {
				return nil, err
			}
			c, err := b.binary(">", x, hi)
			if err != nil {
				return nil, err
			}
			return b.binary("or", a, c)
		}
		a, err := b.binary(">=", x, lo)
		if err != nil {
			return nil, err
		}
		c, err := b.binary("<=", x, hi)
		if err != nil {
			return nil, err
		}
		return b.binary("and", a, c)
	case *ast.PatternLikeOrIlikeExpr:
		x, err := b.bindExpr(n.Expr, ctx)
		if err != nil {
			return nil, err
		}
		p, err := b.bindExpr(n.Pattern, ctx)
		if err != nil {
			return nil, err
		}
		op := "like"
		if !n.IsLike {
			op = "ilike"
		}
		if n.Not {
			op = "not " + op
		}
		call, err := b.binary(op, x, p)
		if err != nil {
			return nil, err
		}
		if n.Escape != '\\' {
			if c, ok := call.(*expr.Call); ok {
				esc := ""
				if n.Escape != 0 {
					esc = string(rune(n.Escape))
				}
				c.Args = append(c.Args, &expr.Const{Value: esc, T: types.TextT})
			}
		}
		return call, nil
	case *ast.PatternRegexpExpr:
		x, err := b.bindExpr(n.Expr, ctx)
		if err != nil {
			return nil, err
		}
		p, err := b.bindExpr(n.Pattern, ctx)
		if err != nil {
			return nil, err
		}
		op := "~"
		if n.Not {
			op = "!~"
		}
		return b.binary(op, x, p)
	case *ast.PatternInExpr:
		if n.Sel != nil {
			sub, ok := n.Sel.(*ast.SubqueryExpr)
			if !ok {
				return nil, sqlerr.New(sqlerr.FeatureNotSupported, "IN over %T is not supported", n.Sel)
			}
			lhs, err := b.bindExpr(n.Expr, ctx)
			if err != nil {
				return nil, err
			}
			q, err := b.bindResultSet(sub.Query, ctx.sc)
			if err != nil {
				return nil, err
			}
			if q.nOut != 1 {
				return nil, sqlerr.New(sqlerr.SyntaxError, "subquery has too many columns")
			}
			return &subqueryRef{q: q, t: types.BoolT, kind: subIn, lhs: lhs, not: n.Not}, nil
		}
		x, err := b.bindExpr(n.Expr, ctx)
		if err != nil {
			return nil, err
		}
		list := make([]expr.Expr, len(n.List))
		all := []expr.Expr{x}
		for i, it := range n.List {
			if list[i], err = b.bindExpr(it, ctx); err != nil {
				return nil, err
			}
			all = append(all, list[i])
		}
		t, err := commonType(all, "IN")
		if err != nil {
			return nil, err
		}
		if x, err = b.coerce(x, t, "IN"); err != nil {
			return nil, err
		}
		for i := range list {
			if list[i], err = b.coerce(list[i], t, "IN"); err != nil {
				return nil, err
			}
		}
		return &expr.InList{Arg: x, List: list, Negated: n.Not}, nil
	case *ast.CaseExpr:
		return b.bindCase(n, ctx)
	case *ast.AggregateFuncExpr:
		return b.bindAggregate(n, ctx)
	case *ast.WindowFuncExpr:
		return b.bindWindow(n, ctx)
	case *ast.FuncCallExpr:
		return b.bindFunc(n, ctx)
	case *ast.SubqueryExpr:
		b.liftOuter = true
		q, err := b.bindResultSet(n.Query, ctx.sc)
		b.liftOuter = false
		if err != nil {
			return nil, err
		}
		if q.nOut != 1 {
			return nil, sqlerr.New(sqlerr.SyntaxError, "subquery must return only one column")
		}
		if q.lifted != nil && q.lifted[0] != nil {
			return &subqueryRef{q: q, t: q.lifted[0].Type()}, nil
		}
		return &subqueryRef{q: q, t: q.plan.Schema()[0].T}, nil
	case *ast.ExistsSubqueryExpr:
		sub, ok := n.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "EXISTS over %T is not supported", n.Sel)
		}
		q, err := b.bindResultSet(sub.Query, ctx.sc)
		if err != nil {
			return nil, err
		}
		return &subqueryRef{q: q, t: types.BoolT, kind: subExists, not: n.Not}, nil
	case *ast.CompareSubqueryExpr:
		// x = ANY (s) is x IN (s); x <> ALL (s) is x NOT IN (s).
		sub, ok := n.R.(*ast.SubqueryExpr)
		if ok && ((n.Op == opcode.EQ && !n.All) || (n.Op == opcode.NE && n.All)) {
			return b.bindExpr(&ast.PatternInExpr{Expr: n.L, Sel: sub, Not: n.All}, ctx)
		}
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "ANY/ALL subqueries other than = ANY and <> ALL are not supported yet")
	case *ast.PositionExpr:
		return &expr.Const{Value: int64(n.N), T: types.Int32T}, nil
	case *ast.DefaultExpr:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "DEFAULT is not allowed here")
	}
	return nil, sqlerr.New(sqlerr.FeatureNotSupported, "expression not supported: %T", e)
}

func constFromDatum(d *test_driver.Datum) (expr.Expr, error) {
	switch d.Kind() {
	case test_driver.KindNull:
		return &expr.Const{T: types.UnknownT}, nil
	case test_driver.KindInt64:
		v := d.GetInt64()
		if v >= -1<<31 && v < 1<<31 {
			return &expr.Const{Value: v, T: types.Int32T}, nil
		}
		return &expr.Const{Value: v, T: types.Int64T}, nil
	case test_driver.KindUint64:
		v := d.GetUint64()
		if v < 1<<63 {
			return &expr.Const{Value: int64(v), T: types.Int64T}, nil
		}
		return numericConst(strconv.FormatUint(v, 10))
	case test_driver.KindFloat32, test_driver.KindFloat64:
		return numericConst(strings.TrimSpace(formatFloatLiteral(d.GetFloat64())))
	case test_driver.KindMysqlDecimal:
		return numericConst(d.GetMysqlDecimal().String())
	case test_driver.KindString, test_driver.KindBytes:
		return &expr.Const{Value: d.GetString(), T: types.UnknownT}, nil
	}
	return nil, sqlerr.New(sqlerr.FeatureNotSupported, "literal of kind %d not supported", d.Kind())
}

func formatFloatLiteral(f float64) string { return floatFmt(f) }

// numericConst parses a decimal literal into numeric with the literal's own scale.
func numericConst(s string) (expr.Expr, error) {
	scale := int32(0)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		scale = int32(len(s) - i - 1)
	}
	n, err := decimal128.FromString(s, types.MaxNumericPrecision, scale)
	if err != nil {
		// Beyond 38 digits: PostgreSQL would keep it exact; the nearest
		// type here is float8.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "numeric literal %s is out of range", s)
		}
		return &expr.Const{Value: f, T: types.Float64T}, nil
	}
	return &expr.Const{Value: n, T: types.NumericT(0, scale)}, nil
}

func negateConst(c *expr.Const) (*expr.Const, bool) {
	switch v := c.Value.(type) {
	case int64:
		// Like PostgreSQL's doNegate, -2147483648 is an integer again.
		if -v >= -1<<31 && -v < 1<<31 {
			return &expr.Const{Value: -v, T: types.Int32T}, true
		}
		return &expr.Const{Value: -v, T: c.T}, true
	case float64:
		return &expr.Const{Value: -v, T: c.T}, true
	case decimal128.Num:
		n := v.Negate()
		if c.T.Scale == 0 && n.Sign() < 0 && n.Cmp(decimal128.FromI64(math.MinInt64)) >= 0 {
			return &expr.Const{Value: int64(n.LowBits()), T: types.Int64T}, true
		}
		return &expr.Const{Value: n, T: c.T}, true
	}
	return nil, false
}

// finishUnknown gives still-untyped literals PostgreSQL's default, text.
func finishUnknown(e expr.Expr) expr.Expr {
	if c, ok := e.(*expr.Const); ok && c.T.Kind == types.Unknown {
		return &expr.Const{Value: c.Value, T: types.TextT}
	}
	if r, ok := e.(*paramRef); ok {
		r.settle(types.TextT)
		x := r.bound()
		if x.Type().Kind != types.Text {
			return &expr.Cast{Arg: x, T: types.TextT}
		}
		return x
	}
	return e
}

// coerce converts e to t: untyped literals are read as t, others cast
// implicitly where PostgreSQL would.
func (b *Binder) coerce(e expr.Expr, t types.T, clause string) (expr.Expr, error) {
	if r, ok := e.(*paramRef); ok {
		if t.Kind == types.Unknown {
			// max($1): nothing asks for a type, so text.
			return finishUnknown(r), nil
		}
		return b.resolveParam(r, t, clause)
	}
	et := e.Type()
	if t.IsReg() && (et.Kind == types.Unknown || et.Kind == types.Text) {
		return b.regIn(finishUnknown(e), t)
	}
	if et.IsReg() && t.Kind == types.Text {
		return b.regOut(e, t), nil
	}
	if et.Kind == t.Kind && (t.Kind != types.Numeric || et.Scale == t.Scale) {
		return e, nil
	}
	if c, ok := e.(*expr.Const); ok && et.Kind == types.Unknown {
		if c.Value == nil {
			return &expr.Const{T: t}, nil
		}
		return &expr.Cast{Arg: &expr.Const{Value: c.Value, T: types.TextT}, T: t}, nil
	}
	if et.Kind == types.Unknown {
		return &expr.Cast{Arg: finishUnknown(e), T: t}, nil
	}
	if t.Kind == types.Bool && et.Kind != types.Bool {
		return nil, sqlerr.New(sqlerr.DatatypeMismatch, "argument of %s must be type boolean, not type %s", clause, et)
	}
	if !expr.CanCast(et, t) {
		return nil, sqlerr.New(sqlerr.DatatypeMismatch, "%s: cannot cast type %s to %s", clause, et, t)
	}
	return &expr.Cast{Arg: e, T: t}, nil
}

func (b *Binder) binary(op string, l, r expr.Expr) (expr.Expr, error) {
	if op == "and" || op == "or" {
		var err error
		if l, err = b.coerce(l, types.BoolT, strings.ToUpper(op)); err != nil {
			return nil, err
		}
		if r, err = b.coerce(r, types.BoolT, strings.ToUpper(op)); err != nil {
			return nil, err
		}
		return &expr.Call{Fn: op, Args: []expr.Expr{l, r}, T: types.BoolT}, nil
	}
	lt, rt := l.Type(), r.Type()
	// An untyped literal takes the other operand's type.
	if lt.Kind == types.Unknown && rt.Kind != types.Unknown {
		lt = rt
		if op == "||" {
			lt = types.TextT
		} else if isParamRef(l) {
			lt = paramOperandType(op, rt, false)
		}
	} else if rt.Kind == types.Unknown && lt.Kind != types.Unknown {
		rt = lt
		if (op == "-" || op == "+") && lt.IsTemporal() && (isStringConst(r) || isParamRef(r)) {
			// PostgreSQL tries the operator over two of lt first (date -
			// '2024-01-01' and date - $1 are date - date), then the one
			// that fits: ts + '1 day' and ts + $1 take an interval.
			if _, _, _, err := expr.ResolveBinary(op, lt, lt); err != nil {
				rt = types.IntervalT
			}
		} else if op == "||" || (op == "-" || op == "+") && lt.IsTemporal() {
			rt = types.TextT
		} else if isParamRef(r) {
			rt = paramOperandType(op, lt, true)
		}
	} else if lt.Kind == types.Unknown && rt.Kind == types.Unknown {
		lt, rt = types.TextT, types.TextT
	}
	var err error
	if l, err = b.coerce(l, lt, op); err != nil {
		return nil, err
	}
	if r, err = b.coerce(r, rt, op); err != nil {
		return nil, err
	}
	if op == "||" && (lt.Kind == types.Array || rt.Kind == types.Array) {
		// Array concatenation: array_cat, array_append or array_prepend.
		fn := "array_cat"
		switch {
		case lt.Kind != types.Array:
			fn = "array_prepend"
		case rt.Kind != types.Array:
			fn = "array_append"
		}
		return b.callFuncBound(fn, []expr.Expr{l, r})
	}
	at, bt, ret, err := expr.ResolveBinary(op, lt, rt)
	if err != nil {
		return nil, err
	}
	if l, err = b.coerce(l, at, op); err != nil {
		return nil, err
	}
	if r, err = b.coerce(r, bt, op); err != nil {
		return nil, err
	}
	return &expr.Call{Fn: op, Args: []expr.Expr{l, r}, T: ret}, nil
}

func isStringConst(e expr.Expr) bool {
	c, ok := e.(*expr.Const)
	if !ok {
		return false
	}
	_, isStr := c.Value.(string)
	return isStr
}

func (b *Binder) unary(op string, v expr.Expr) (expr.Expr, error) {
	if op == "not" {
		v, err := b.coerce(v, types.BoolT, "NOT")
		if err != nil {
			return nil, err
		}
		return &expr.Call{Fn: "not", Args: []expr.Expr{v}, T: types.BoolT}, nil
	}
	if isParamRef(v) {
		// Many types have a prefix minus; PostgreSQL will not pick one.
		return nil, sqlerr.New(ambiguousFunction, "operator is not unique: - unknown")
	}
	if v.Type().Kind == types.Unknown {
		v = &expr.Cast{Arg: finishUnknown(v), T: types.Float64T}
	}
	at, ret, err := expr.ResolveUnary(op, v.Type())
	if err != nil {
		return nil, err
	}
	if v, err = b.coerce(v, at, op); err != nil {
		return nil, err
	}
	return &expr.Call{Fn: op, Args: []expr.Expr{v}, T: ret}, nil
}

// commonType is the type a set of expressions (CASE results, IN lists,
// UNION columns) resolves to, following PostgreSQL's UNION/CASE rules.
func commonType(es []expr.Expr, what string) (types.T, error) {
	t := types.UnknownT
	for _, e := range es {
		et := e.Type()
		switch {
		case et.Kind == types.Unknown:
		case t.Kind == types.Unknown:
			t = et
		case t.Kind == types.Text && et.Kind == types.Text && !t.IsJSON() && !et.IsJSON():
			t = expr.CommonString(t, et)
		case t.Identical(et):
		case (t.Variant == types.Oid || t.IsReg()) && et.Variant == types.NoVariant && (et.Kind == types.Int16 || et.Kind == types.Int32):
			// int2 and int4 cast to oid implicitly: CASE ... THEN typelem ELSE 0 END is oid.
		case (et.Variant == types.Oid || et.IsReg()) && t.Variant == types.NoVariant && (t.Kind == types.Int16 || t.Kind == types.Int32):
			t = et
		case t.IsNumeric() && et.IsNumeric():
			t = types.CommonNumeric(t, et)
		case t.Kind == et.Kind:
			if t.Variant != et.Variant && t.Kind != types.Text {
				t = t.Plain()
			}
			// name and text cast to each other implicitly, so PostgreSQL
			// keeps the first one's type (coalesce(relname, 'x'::text) is name).
		case (t.Kind == types.Date || t.Kind == types.Timestamp || t.Kind == types.TimestampTZ) &&
			(et.Kind == types.Date || et.Kind == types.Timestamp || et.Kind == types.TimestampTZ):
			if t.Kind == types.TimestampTZ || et.Kind == types.TimestampTZ {
				t = types.TimestampTZT
			} else {
				t = types.TimestampT
			}
		default:
			return t, sqlerr.New(sqlerr.DatatypeMismatch, "%s types %s and %s cannot be matched", what, t, et)
		}
	}
	if t.Kind == types.Unknown {
		t = types.TextT
	}
	return t, nil
}

func (b *Binder) bindCase(n *ast.CaseExpr, ctx *exprCtx) (expr.Expr, error) {
	var operand expr.Expr
	var err error
	if n.Value != nil {
		if operand, err = b.bindExpr(n.Value, ctx); err != nil {
			return nil, err
		}
	}
	c := &expr.Case{}
	var results []expr.Expr
	for _, w := range n.WhenClauses {
		cond, err := b.bindExpr(w.Expr, ctx)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			if cond, err = b.binary("=", operand, cond); err != nil {
				return nil, err
			}
		} else if cond, err = b.coerce(cond, types.BoolT, "CASE/WHEN"); err != nil {
			return nil, err
		}
		res, err := b.bindExpr(w.Result, ctx)
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, expr.When{Cond: cond, Result: res})
		results = append(results, res)
	}
	if n.ElseClause != nil {
		if c.Else, err = b.bindExpr(n.ElseClause, ctx); err != nil {
			return nil, err
		}
		// PostgreSQL resolves the ELSE result first, then the WHENs: it
		// wins among the string types (CASE ... THEN varchar ELSE text is
		// text) and comes first in a mismatch's message.
		results = append([]expr.Expr{c.Else}, results...)
	}
	if c.T, err = commonType(results, "CASE"); err != nil {
		return nil, err
	}
	for i := range c.Whens {
		if c.Whens[i].Result, err = b.coerce(c.Whens[i].Result, c.T, "CASE"); err != nil {
			return nil, err
		}
	}
	if c.Else != nil {
		if c.Else, err = b.coerce(c.Else, c.T, "CASE"); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// bindAggregateFiltered binds agg(...) FILTER (WHERE cond): the argument
// becomes CASE WHEN cond THEN arg END, which every aggregate here skips
// when NULL (count(*) turns into count of that CASE over a constant).
func (b *Binder) bindAggregateFiltered(n ast.ExprNode, cond ast.ExprNode, ctx *exprCtx) (expr.Expr, error) {
	if ctx.aggs == nil {
		return nil, sqlerr.New(sqlerr.GroupingError, "aggregate functions are not allowed in %s", ctx.clause)
	}
	ref, err := b.bindExpr(n, ctx)
	if err != nil {
		return nil, err
	}
	c, err := b.bindExpr(cond, &exprCtx{sc: ctx.sc, clause: "FILTER"})
	if err != nil {
		return nil, err
	}
	if c, err = b.coerce(c, types.BoolT, "FILTER"); err != nil {
		return nil, err
	}
	// The aggregate may sit inside the expression its call binds to
	// (json_agg is string_agg wrapped in brackets).
	var ar *aggRef
	contains(ref, func(x expr.Expr) bool {
		if r, ok := x.(*aggRef); ok && ar == nil {
			ar = r
		}
		return false
	})
	if ar == nil {
		return nil, sqlerr.New(sqlerr.SyntaxError, "FILTER specified, but it is not an aggregate function")
	}
	a := (*ctx.aggs)[ar.i]
	if a.Fn == "array_agg" {
		// array_agg keeps NULL elements, so the filter must drop rows.
		a.Filter = c
		return ref, nil
	}
	if a.Fn == "count_star" {
		a.Fn = "count"
		a.Args = []expr.Expr{&expr.Const{Value: int64(1), T: types.Int32T}}
	}
	for i, arg := range a.Args {
		a.Args[i] = &expr.Case{Whens: []expr.When{{Cond: c, Result: arg}}, T: arg.Type()}
	}
	return ref, nil
}

func (b *Binder) bindAggregate(n *ast.AggregateFuncExpr, ctx *exprCtx) (expr.Expr, error) {
	return b.bindAgg(strings.ToLower(n.F), n.Args, n.Distinct, nil, false, ctx)
}

// aggSortKey is an aggregate ORDER BY key as the front wrote it:
// __pg_desc(...) and __pg_nulls_first/last(...) around the expression.
func aggSortKey(e ast.ExprNode) (ast.ExprNode, bool, bool, bool) {
	desc := false
	if f, ok := e.(*ast.FuncCallExpr); ok && f.FnName.L == "__pg_desc" && len(f.Args) == 1 {
		desc, e = true, f.Args[0]
	}
	inner, _, nf, explicit := unwrapNullsMarker(e)
	if !explicit {
		nf = desc
	}
	return inner, desc, nf, explicit
}

// bindAggCall binds an aggregate written as a call, possibly wrapped by the
// front's __pg_distinct(...).
func (b *Binder) bindAggCall(e ast.ExprNode, order []ast.ExprNode, within bool, ctx *exprCtx) (expr.Expr, error) {
	distinct := false
	if f, ok := e.(*ast.FuncCallExpr); ok && f.FnName.L == "__pg_distinct" && len(f.Args) == 1 {
		distinct, e = true, f.Args[0]
	}
	switch n := e.(type) {
	case *ast.AggregateFuncExpr:
		return b.bindAgg(strings.ToLower(n.F), n.Args, n.Distinct || distinct, order, within, ctx)
	case *ast.FuncCallExpr:
		name := n.FnName.L
		if name == "__pg_mode" {
			name = "mode"
		}
		if !expr.IsAggregate(name) {
			if within {
				return nil, sqlerr.New(sqlerr.WrongObjectType, "WITHIN GROUP specified, but %s is not an aggregate function", name)
			}
			return nil, sqlerr.New(sqlerr.WrongObjectType, "ORDER BY specified, but %s is not an aggregate function", name)
		}
		return b.bindAgg(name, n.Args, distinct, order, within, ctx)
	}
	return nil, sqlerr.New(sqlerr.SyntaxError, "syntax error in aggregate call")
}

// bindAgg binds one aggregate call: arguments, DISTINCT, its own ORDER BY
// or WITHIN GROUP key, typed by PostgreSQL's aggregate catalog.
func (b *Binder) bindAgg(fn string, astArgs []ast.ExprNode, distinct bool, order []ast.ExprNode, within bool, ctx *exprCtx) (expr.Expr, error) {
	if ctx.aggs == nil {
		return nil, sqlerr.New(sqlerr.GroupingError, "aggregate functions are not allowed in %s", ctx.clause)
	}
	fn = expr.CanonicalAggregate(fn)
	if (fn == "json_agg" || fn == "jsonb_agg") && len(astArgs) == 1 && !within {
		return b.bindJSONAgg(fn, astArgs[0], distinct, order, ctx)
	}
	if expr.IsOrderedSetAggregate(fn) != within {
		if within {
			return nil, sqlerr.New(sqlerr.UndefinedFunction, "%s is not an ordered-set aggregate, so it cannot have WITHIN GROUP", fn)
		}
		return nil, sqlerr.New(sqlerr.UndefinedFunction, "WITHIN GROUP is required for ordered-set aggregate %s", fn)
	}
	inner := &exprCtx{sc: ctx.sc, clause: "aggregate function calls"}
	bind := func(a ast.ExprNode) (expr.Expr, error) {
		x, err := b.bindExpr(a, inner)
		if err != nil {
			return nil, err
		}
		if _, isSub := x.(*subqueryRef); isSub {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "subquery inside an aggregate is not supported yet")
		}
		return x, nil
	}
	var args []expr.Expr
	for _, a := range astArgs {
		x, err := bind(a)
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	call := &expr.AggCall{Fn: fn, Args: args, Distinct: distinct, WithinGroup: within}
	for _, k := range order {
		e, desc, nf, _ := aggSortKey(k)
		x, err := bind(e)
		if err != nil {
			return nil, err
		}
		call.Order = append(call.Order, expr.AggOrder{E: finishUnknown(x), Desc: desc, NullsFirst: nf})
	}
	if within {
		if len(call.Order) != 1 {
			return nil, sqlerr.New(sqlerr.UndefinedFunction, "function %s with %d ordering columns does not exist", fn, len(call.Order))
		}
		call.Args = append(call.Args, call.Order[0].E)
	}
	if fn == "count" && len(call.Args) == 1 && !distinct {
		if c, ok := call.Args[0].(*expr.Const); ok && c.Value != nil {
			call.Fn, call.Args = "count_star", nil
		}
	}
	if fn == "count" && len(call.Args) == 0 {
		call.Fn = "count_star"
	}
	ts := make([]types.T, len(call.Args))
	for i, a := range call.Args {
		ts[i] = a.Type()
	}
	want, t, err := expr.ResolveAggregate(call.Fn, ts, distinct)
	if err != nil {
		return nil, err
	}
	for i := range call.Args {
		if i < len(want) {
			if call.Args[i], err = b.coerce(call.Args[i], want[i], fn); err != nil {
				return nil, err
			}
		} else {
			call.Args[i] = finishUnknown(call.Args[i])
		}
	}
	if within {
		call.Order[0].E = call.Args[len(call.Args)-1]
	}
	if distinct && len(call.Order) > 0 {
		// PostgreSQL: with DISTINCT, ORDER BY may only name arguments.
		for _, o := range call.Order {
			found := false
			for _, a := range call.Args {
				if exprKey(a) == exprKey(o.E) {
					found = true
				}
			}
			if !found {
				return nil, sqlerr.New(sqlerr.InvalidColumnReference, "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list")
			}
		}
	}
	call.T = t
	*ctx.aggs = append(*ctx.aggs, call)
	return &aggRef{i: len(*ctx.aggs) - 1, t: t}, nil
}

// AvgScale is the scale of avg() over integers and narrower numerics:
// PostgreSQL shows at least 16 significant decimals for small averages.
const AvgScale = 16

func constString(e ast.ExprNode) (string, bool) {
	v, ok := e.(*test_driver.ValueExpr)
	if !ok || v.Kind() != test_driver.KindString {
		return "", false
	}
	return v.GetString(), true
}

func (b *Binder) bindFunc(n *ast.FuncCallExpr, ctx *exprCtx) (expr.Expr, error) {
	name := n.FnName.L
	if isExpandArray(n) {
		return b.expandArrayRecord(n, ctx)
	}
	switch name {
	case "__pg_array_sub":
		return b.bindArraySub(n, ctx)
	case "__pg_cast":
		if len(n.Args) != 2 {
			break
		}
		tn, ok := constString(n.Args[1])
		if !ok {
			break
		}
		t, err := ParseTypeName(tn)
		if err != nil {
			return nil, err
		}
		if t.Kind == types.Text && t.Variant != types.NoVariant && t.Variant != types.Name && !t.IsJSON() {
			return b.bindStringCast(n.Args[0], t, ctx)
		}
		if f, ok := n.Args[0].(*ast.FuncCallExpr); ok && f.FnName.L == "__pg_array" && t.Kind == types.Array {
			// ARRAY[...]::int[]: the elements take the cast's element type.
			return b.bindArray(f.Args, &t, ctx)
		}
		x, err := b.bindExpr(n.Args[0], ctx)
		if err != nil {
			return nil, err
		}
		t = unconstrainedNumeric(x, t)
		if e, ok, err := b.castReg(x, t); ok {
			return e, err
		}
		if x.Type().Kind == types.Unknown {
			return b.coerce(x, t, "CAST")
		}
		if !expr.CanCast(x.Type(), t) {
			return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast type %s to %s", x.Type(), t)
		}
		if x.Type().Identical(t) && (t.Kind != types.Numeric || t.Precision == 0) {
			return x, nil
		}
		return &expr.Cast{Arg: x, T: t}, nil
	case "__pg_param":
		if len(n.Args) == 1 {
			if v, ok := n.Args[0].(*test_driver.ValueExpr); ok && v.Kind() == test_driver.KindInt64 {
				return b.bindParam(v.GetInt64())
			}
		}
	case "__pg_interval":
		if len(n.Args) == 1 {
			if s, ok := constString(n.Args[0]); ok {
				return &expr.Cast{Arg: &expr.Const{Value: s, T: types.TextT}, T: types.IntervalT}, nil
			}
		}
		if len(n.Args) == 2 {
			// interval x unit with a computed amount: x * interval '1 unit'.
			if u, ok := constString(n.Args[1]); ok {
				x, err := b.bindExpr(n.Args[0], ctx)
				if err != nil {
					return nil, err
				}
				if x, err = b.coerce(x, types.Float64T, "interval"); err != nil {
					return nil, err
				}
				unit := &expr.Cast{Arg: &expr.Const{Value: "1 " + u, T: types.TextT}, T: types.IntervalT}
				return b.binary("*", unit, x)
			}
		}
	case "__pg_extract":
		if len(n.Args) == 2 {
			if f, ok := constString(n.Args[0]); ok {
				return b.callFunc("extract", []expr.Expr{&expr.Const{Value: strings.ToLower(f), T: types.TextT}}, n.Args[1:], ctx)
			}
		}
	case "__pg_position":
		if len(n.Args) == 2 {
			return b.callFunc("strpos", nil, []ast.ExprNode{n.Args[1], n.Args[0]}, ctx)
		}
	case "__pg_ilike", "__pg_not_ilike":
		if len(n.Args) == 2 {
			x, err := b.bindExpr(n.Args[0], ctx)
			if err != nil {
				return nil, err
			}
			p, err := b.bindExpr(n.Args[1], ctx)
			if err != nil {
				return nil, err
			}
			op := "ilike"
			if name == "__pg_not_ilike" {
				op = "not ilike"
			}
			return b.binary(op, x, p)
		}
	case "grouping":
		if ctx.groupings == nil {
			return nil, sqlerr.New(sqlerr.GroupingError, "grouping operations are not allowed in %s", ctx.clause)
		}
		g := &groupingRef{i: len(*ctx.groupings)}
		for _, a := range n.Args {
			x, err := b.bindExpr(a, &exprCtx{sc: ctx.sc, clause: "GROUPING"})
			if err != nil {
				return nil, err
			}
			g.args = append(g.args, finishUnknown(x))
		}
		if len(g.args) == 0 || len(g.args) > 31 {
			return nil, sqlerr.New(sqlerr.SyntaxError, "GROUPING must have between 1 and 31 arguments")
		}
		*ctx.groupings = append(*ctx.groupings, g)
		return g, nil
	case "__pg_filter":
		if len(n.Args) == 2 {
			if isAggregateNode(n.Args[0]) {
				return b.bindAggregateFiltered(n.Args[0], n.Args[1], ctx)
			}
			return nil, sqlerr.New(sqlerr.WrongObjectType, "FILTER specified, but %s is not an aggregate function", columnName(n.Args[0]))
		}
	case "__pg_ordered":
		if len(n.Args) >= 2 {
			return b.bindAggCall(n.Args[0], n.Args[1:], false, ctx)
		}
	case "__pg_within_group":
		if len(n.Args) >= 2 {
			return b.bindAggCall(n.Args[0], n.Args[1:], true, ctx)
		}
	case "__pg_distinct", "__pg_mode":
		return b.bindAggCall(n, nil, false, ctx)
	case "__pg_array":
		return b.bindArray(n.Args, nil, ctx)
	case "__pg_field":
		return b.bindField(n, ctx)
	case "__pg_similar":
		name = "similar_to_escape"
	case expr.Slice:
		return b.callFunc(expr.Slice, nil, n.Args, ctx)
	case "__pg_subscript":
		// arr[i]: the executor's subscript function (1-based, NULL outside).
		e, err := b.callFunc(expr.Subscript, nil, n.Args, ctx)
		if err != nil {
			return nil, err
		}
		// int2vector and oidvector count from 0.
		if c, ok := e.(*expr.Call); ok && len(c.Args) == 2 && c.Args[0].Type().IsVector() {
			one := &expr.Const{Value: int64(1), T: c.Args[1].Type()}
			if c.Args[1], err = b.binary("+", c.Args[1], one); err != nil {
				return nil, err
			}
		}
		return e, nil
	case "__pg_cardinality":
		name = "cardinality"
	case "__pg_any", "__pg_all":
		return b.bindAnyAll(n, name == "__pg_all", ctx)
	case "log":
		if len(n.Args) == 2 {
			// log(b, x) exists only for numeric in PostgreSQL; the kernel
			// computes it in double precision, shown at numeric's scale.
			x, err := b.callFunc("log", nil, n.Args, ctx)
			if err != nil {
				return nil, err
			}
			// Rounding to 14 places drops the double's last-bit noise
			// (log(10, 1000) is 2.9999999999999996 in double precision).
			r, err := b.callFuncBound("round", []expr.Expr{
				&expr.Cast{Arg: x, T: types.NumericT(0, FloatNumericScale)},
				&expr.Const{Value: int64(14), T: types.Int32T}})
			if err != nil {
				return nil, err
			}
			return &expr.Cast{Arg: r, T: types.NumericT(0, FloatNumericScale)}, nil
		}
	case "__pg_div":
		name = "div"
	case "__pg_concat":
		name = "concat"
	case "__pg_pow":
		name = "power"
	case "__pg_json_get", "__pg_json_get_text":
		return b.bindJSONArrow(n, ctx)
	case "trim":
		// TiDB: trim(str [, remstr [, direction]])
		fn := "btrim"
		var args []ast.ExprNode
		for _, a := range n.Args {
			if d, ok := a.(*ast.TrimDirectionExpr); ok {
				switch d.Direction {
				case ast.TrimLeading:
					fn = "ltrim"
				case ast.TrimTrailing:
					fn = "rtrim"
				}
				continue
			}
			args = append(args, a)
		}
		return b.callFunc(fn, nil, args, ctx)
	case "concat":
		if ctx != nil {
			// TiDB reads `a || b` as concat(a, b) under PIPES_AS_CONCAT: the
			// operator's NULL-propagating semantics. The front renames the
			// user's concat() to __pg_concat.
			if len(n.Args) == 2 {
				l, err := b.bindExpr(n.Args[0], ctx)
				if err != nil {
					return nil, err
				}
				r, err := b.bindExpr(n.Args[1], ctx)
				if err != nil {
					return nil, err
				}
				return b.binary("||", l, r)
			}
		}
	}
	switch name {
	case "__pg_current_user", "__pg_session_user", "__pg_user", "__pg_current_role", "__pg_current_catalog", "__pg_current_schema":
		// The front's spelling of SQL's parameterless functions.
		name = strings.TrimPrefix(name, "__pg_")
	}
	if strings.HasPrefix(name, "__pg_") {
		return nil, sqlerr.New(sqlerr.UndefinedFunction, "function %s does not exist", name)
	}
	if x, ok, err := b.sessionFunc(name, n, ctx); ok {
		return x, err
	}
	if isSetFunc(name) {
		return b.bindSetFunc(name, n, ctx)
	}
	if expr.IsAggregate(name) {
		return b.bindAgg(name, n.Args, false, nil, false, ctx)
	}
	return b.callFunc(name, nil, n.Args, ctx)
}

// callFuncBound resolves a named function over bound arguments.
func (b *Binder) callFuncBound(name string, bound []expr.Expr) (expr.Expr, error) {
	if b.Sys != nil {
		f, want, ret, ok, err := b.Sys.Function(name, bound)
		if err != nil {
			return nil, err
		}
		if ok {
			for i := range bound {
				if bound[i], err = b.coerce(bound[i], want[i], name); err != nil {
					return nil, err
				}
			}
			return expr.NewNative(f, ret, bound...), nil
		}
	}
	want, ret, err := expr.ResolveCall(name, bound)
	if err != nil {
		return nil, err
	}
	for i := range bound {
		if i < len(want) {
			if bound[i], err = b.coerce(bound[i], want[i], name); err != nil {
				return nil, err
			}
		} else {
			bound[i] = finishUnknown(bound[i])
		}
	}
	return &expr.Call{Fn: name, Args: bound, T: ret}, nil
}

// callFunc binds args and resolves a named function.
func (b *Binder) callFunc(name string, pre []expr.Expr, args []ast.ExprNode, ctx *exprCtx) (expr.Expr, error) {
	bound := append([]expr.Expr(nil), pre...)
	for _, a := range args {
		x, err := b.bindExpr(a, ctx)
		if err != nil {
			return nil, err
		}
		bound = append(bound, x)
	}
	return b.callFuncBound(name, bound)
}

// FloatNumericScale is the scale a float or text value gets when cast to
// plain numeric: PostgreSQL keeps each value's own scale, a batch column
// needs one, and 16 decimals hold every digit a double carries for
// ordinary magnitudes.
const FloatNumericScale = 16

// unconstrainedNumeric picks the scale of a cast to plain "numeric" from its
// operand: integers keep scale 0, numerics their scale, a string literal the
// scale it is written with.
func unconstrainedNumeric(x expr.Expr, t types.T) types.T {
	if t.Kind == types.Array && t.Elem == types.Numeric && t.Precision == 0 {
		// '{1.5, 2.25}'::numeric[]: the widest scale written.
		if c, ok := x.(*expr.Const); ok {
			if s, ok := c.Value.(string); ok {
				scale := int32(0)
				for _, part := range strings.Split(strings.Trim(strings.TrimSpace(s), "{}"), ",") {
					if i := strings.IndexByte(part, '.'); i >= 0 {
						scale = max(scale, int32(len(strings.TrimSpace(part[i+1:]))))
					}
				}
				return types.ArrayOf(types.NumericT(0, scale))
			}
		}
		e := unconstrainedNumeric(&expr.Const{T: x.Type().ElemType()}, t.ElemType())
		return types.ArrayOf(e)
	}
	if t.Kind != types.Numeric || t.Precision != 0 {
		return t
	}
	xt := x.Type()
	switch {
	case xt.IsInteger():
		return types.NumericT(0, 0)
	case xt.Kind == types.Numeric:
		return types.NumericT(0, xt.Scale)
	}
	if c, ok := x.(*expr.Const); ok {
		if s, ok := c.Value.(string); ok {
			if _, scale, err := pgtext.ParseNumericAuto(s); err == nil {
				return types.NumericT(0, scale)
			}
		}
	}
	return types.NumericT(0, FloatNumericScale)
}

// isAggregateNode reports whether e is an aggregate call in any of the
// forms the front produces.
func isAggregateNode(e ast.ExprNode) bool {
	switch n := e.(type) {
	case *ast.AggregateFuncExpr:
		return true
	case *ast.FuncCallExpr:
		switch n.FnName.L {
		case "__pg_ordered", "__pg_within_group", "__pg_distinct", "__pg_mode":
			return true
		}
		return expr.IsAggregate(n.FnName.L)
	}
	return false
}

// bindStringCast binds an explicit cast to varchar(n), character(n) or
// "char": PostgreSQL cuts the value to n characters (an explicit cast does
// not fail on overflow). character(n) keeps its value without trailing
// spaces (see types.Bpchar); output pads it. Without n, varchar and bpchar
// keep the value whole.
func (b *Binder) bindStringCast(arg ast.ExprNode, t types.T, ctx *exprCtx) (expr.Expr, error) {
	x, err := b.bindExpr(arg, ctx)
	if err != nil {
		return nil, err
	}
	switch x.Type().Kind {
	case types.Text:
	case types.Unknown:
		x = finishUnknown(x)
	default:
		if !expr.CanCast(x.Type(), types.TextT) {
			return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast type %s to %s", x.Type(), t)
		}
		x = &expr.Cast{Arg: x, T: types.TextT}
	}
	width := t.Length()
	if t.Variant == types.Char {
		// "char" is a single byte; Basalt's text stands in for it.
		width = 1
	}
	if width > 0 {
		if x, err = b.callFuncBound("left", []expr.Expr{x, &expr.Const{Value: int64(width), T: types.Int32T}}); err != nil {
			return nil, err
		}
	}
	if t.Variant == types.Bpchar && width > 0 {
		if x, err = b.callFuncBound("rtrim", []expr.Expr{x}); err != nil {
			return nil, err
		}
	}
	if x.Type().Identical(t) && x.Type().Precision == t.Precision {
		return x, nil
	}
	return &expr.Cast{Arg: x, T: t}, nil
}
