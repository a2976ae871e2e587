// Package physical turns an optimised logical plan into executable
// operators. Each logical node becomes a list of parallel streams: scans
// split a table's row groups among Parallelism instances, streaming
// operators (filter, project, hash-join probes, partial aggregates) run once
// per stream, and blocking operators gather the streams first. The gathers
// are the local exchanges; the distributed issue replaces some with Flight.
package physical

import (
	"context"
	"fmt"
	"runtime"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	evalexpr "github.com/basaltdb/basalt/exec/expr"
	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/exec/scan"
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/planner/optimize"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// Planner builds operators for one query.
type Planner struct {
	Alloc       memory.Allocator
	Mem         *exec.Memory
	Parallelism int
	// Stats collects per-operator counters for EXPLAIN ANALYZE when non-nil.
	Stats *Stats
	// Remote builds the streams of a distributed plan's Remote leaf (the
	// receivers of another stage's rows); plans without Remote leave it nil.
	Remote func(*logical.Remote) ([]exec.Operator, error)

	ctes   map[*logical.CTE]*ops.Materialized
	queues []*scan.Queue
}

// Progress sums the splits read so far over every scan of the plan.
func (p *Planner) Progress() (done, total int) {
	for _, q := range p.queues {
		d, t := q.Progress()
		done += d
		total += t
	}
	return done, total
}

// Build returns the root operator of n.
func (p *Planner) Build(n logical.Node) (exec.Operator, error) {
	if p.Parallelism <= 0 {
		p.Parallelism = runtime.GOMAXPROCS(0)
	}
	if p.Alloc == nil {
		p.Alloc = memory.DefaultAllocator
	}
	s, err := p.streams(n)
	if err != nil {
		return nil, err
	}
	return p.gather(s, n), nil
}

// BuildStreams returns n's parallel output streams without gathering them:
// a distributed task's Sender reads them all at once.
func (p *Planner) BuildStreams(n logical.Node) ([]exec.Operator, error) {
	if p.Parallelism <= 0 {
		p.Parallelism = runtime.GOMAXPROCS(0)
	}
	if p.Alloc == nil {
		p.Alloc = memory.DefaultAllocator
	}
	return p.streams(n)
}

// Splits are the splits of x's table that its filters do not rule out by
// statistics: what the scan would read, for the scheduler to share out.
func Splits(x *logical.Scan) []storage.Split {
	return x.Table.Prune(x.Table.Splits(), scanPredicates(x))
}

// ArrowSchema is the batch schema of a logical schema.
func ArrowSchema(s logical.Schema) *arrow.Schema {
	fs := make([]arrow.Field, len(s))
	for i, c := range s {
		fs[i] = arrow.Field{Name: c.Name, Type: c.T.Arrow(), Nullable: true}
	}
	return arrow.NewSchema(fs, nil)
}

func (p *Planner) gather(s []exec.Operator, n logical.Node) exec.Operator {
	if len(s) == 1 {
		return s[0]
	}
	return p.track(ops.NewGather(s...), "Gather", n)
}

func (p *Planner) streams(n logical.Node) ([]exec.Operator, error) {
	switch x := n.(type) {
	case *logical.Scan:
		return p.scan(x)
	case *logical.Values:
		return p.values(x)
	case *logical.Remote:
		if p.Remote == nil {
			return nil, fmt.Errorf("physical planner: remote stage %d outside a distributed plan", x.Stage)
		}
		s, err := p.Remote(x)
		if err != nil {
			return nil, err
		}
		for i := range s {
			s[i] = p.track(s[i], "Receive", x)
		}
		return s, nil
	case *logical.Filter:
		in, err := p.streams(x.Input)
		if err != nil {
			return nil, err
		}
		return p.filter(in, x.Cond, n)
	case *logical.Project:
		in, err := p.streams(x.Input)
		if err != nil {
			return nil, err
		}
		return p.project(in, x.Exprs, ArrowSchema(x.Out), n)
	case *logical.Aggregate:
		return p.aggregate(x)
	case *logical.Join:
		return p.join(x)
	case *logical.Sort:
		in, err := p.streams(x.Input)
		if err != nil {
			return nil, err
		}
		keys, err := sortKeys(x.Keys)
		if err != nil {
			return nil, err
		}
		m := p.Mem.Child()
		return []exec.Operator{p.trackMem(ops.NewSort(p.gather(in, x.Input), keys, m, p.Alloc), "Sort", n, m)}, nil
	case *logical.Limit:
		if s, ok := x.Input.(*logical.Sort); ok && x.Count >= 0 {
			// ORDER BY ... LIMIT: each stream keeps its best rows, a final
			// top-N merges them.
			in, err := p.streams(s.Input)
			if err != nil {
				return nil, err
			}
			keys, err := sortKeys(s.Keys)
			if err != nil {
				return nil, err
			}
			k := x.Count + x.Offset
			if len(in) > 1 {
				for i := range in {
					m := p.Mem.Child()
					in[i] = p.trackMem(ops.NewTopN(in[i], keys, k, m, p.Alloc), "PartialTopN", n, m)
				}
			}
			m := p.Mem.Child()
			top := p.trackMem(ops.NewTopN(p.gather(in, s.Input), keys, k, m, p.Alloc), "TopN", n, m)
			if x.Offset == 0 {
				return []exec.Operator{top}, nil
			}
			return []exec.Operator{ops.NewLimit(top, x.Offset, x.Count)}, nil
		}
		in, err := p.streams(x.Input)
		if err != nil {
			return nil, err
		}
		return []exec.Operator{p.track(ops.NewLimit(p.gather(in, x.Input), x.Offset, x.Count), "Limit", n)}, nil
	case *logical.Union:
		if !readsTables(x) {
			// A VALUES list (the front turns it into a UNION ALL of
			// one-row selects) or a union of other constant inputs:
			// concatenated in order, one input after the other, as
			// PostgreSQL's Append returns them. Clients rely on it
			// (psql's \gdesc reads a VALUES list without ORDER BY).
			ins := make([]exec.Operator, len(x.Inputs))
			for i, in := range x.Inputs {
				s, err := p.streams(in)
				if err != nil {
					return nil, err
				}
				ins[i] = p.gather(s, in)
			}
			return []exec.Operator{ops.NewUnionAll(ins...)}, nil
		}
		var out []exec.Operator
		for _, in := range x.Inputs {
			s, err := p.streams(in)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
		return out, nil
	case *logical.Window:
		return p.window(x)
	case *logical.TableFunc:
		return p.tableFunc(x)
	case *logical.ProjectSet:
		return p.projectSet(x)
	case *logical.CTEScan:
		if p.ctes == nil {
			p.ctes = map[*logical.CTE]*ops.Materialized{}
		}
		m, ok := p.ctes[x.CTE]
		if !ok {
			in, err := p.streams(x.CTE.Plan)
			if err != nil {
				return nil, err
			}
			m = ops.NewMaterialized(p.gather(in, x.CTE.Plan), p.Mem.Child())
			p.ctes[x.CTE] = m
		}
		return []exec.Operator{p.track(m.Reader(), "CTE Scan "+x.CTE.Name, x)}, nil
	case *logical.EnforceSingleRow:
		in, err := p.streams(x.Input)
		if err != nil {
			return nil, err
		}
		return []exec.Operator{p.track(ops.NewEnforceSingleRow(p.gather(in, x.Input), p.Alloc), "EnforceSingleRow", n)}, nil
	}
	return nil, fmt.Errorf("physical planner: unsupported node %T", n)
}

func sortKeys(keys []logical.SortKey) ([]ops.SortKey, error) {
	out := make([]ops.SortKey, len(keys))
	for i, k := range keys {
		c, ok := k.E.(*expr.ColRef)
		if !ok {
			return nil, fmt.Errorf("physical planner: sort key %s is not a column", k.E)
		}
		out[i] = ops.SortKey{Col: c.Idx, Desc: k.Desc, NullsFirst: k.NullsFirst}
	}
	return out, nil
}

func (p *Planner) filter(in []exec.Operator, cond expr.Expr, n logical.Node) ([]exec.Operator, error) {
	out := make([]exec.Operator, len(in))
	for i, s := range in {
		ev, err := evalexpr.Compile(cond)
		if err != nil {
			return nil, err
		}
		out[i] = p.track(ops.NewFilter(s, ev, p.Alloc), "Filter", n)
	}
	return out, nil
}

func (p *Planner) project(in []exec.Operator, exprs []expr.Expr, schema *arrow.Schema, n logical.Node) ([]exec.Operator, error) {
	out := make([]exec.Operator, len(in))
	for i, s := range in {
		evs := make([]ops.Evaluator, len(exprs))
		for j, e := range exprs {
			ev, err := evalexpr.Compile(e)
			if err != nil {
				return nil, err
			}
			evs[j] = ev
		}
		pr, err := ops.NewProject(s, evs, schema, p.Alloc)
		if err != nil {
			return nil, err
		}
		out[i] = p.track(pr, "Project", n)
	}
	return out, nil
}

func (p *Planner) values(x *logical.Values) ([]exec.Operator, error) {
	schema := ArrowSchema(x.Out)
	cols := make([]arrow.Array, len(x.Out))
	release := func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}
	row := oneRow()
	defer row.Release()
	for c := range x.Out {
		parts := make([]arrow.Array, 0, len(x.Rows))
		for _, r := range x.Rows {
			ev, err := evalexpr.Compile(r[c])
			if err == nil {
				var a arrow.Array
				if a, err = ev.Eval(context.Background(), row, p.Alloc); err == nil {
					parts = append(parts, a)
				}
			}
			if err != nil {
				for _, a := range parts {
					a.Release()
				}
				release()
				return nil, err
			}
		}
		col, err := array.Concatenate(parts, p.Alloc)
		for _, a := range parts {
			a.Release()
		}
		if err != nil {
			release()
			return nil, err
		}
		cols[c] = col
	}
	v, err := ops.NewValues(schema, cols)
	release()
	if err != nil {
		return nil, err
	}
	return []exec.Operator{v}, nil
}

func (p *Planner) scan(x *logical.Scan) ([]exec.Operator, error) {
	t := x.Table
	if err := t.Err(); err != nil {
		return nil, err
	}
	preds := scanPredicates(x)
	all := t.Splits()
	if x.Assigned {
		var err error
		if all, err = assigned(all, x.Splits); err != nil {
			return nil, err
		}
	}
	splits := t.Prune(all, preds)
	schema := ArrowSchema(x.Out)
	cols := append([]int(nil), x.Cols...)
	alloc := p.Alloc
	q := scan.NewQueue(len(splits))
	p.queues = append(p.queues, q)
	open := func(ctx context.Context, i int) (scan.Reader, error) {
		// The filter above the scan still runs: storage only skips pages
		// and rows the predicates rule out.
		return t.ReadWhere(ctx, splits[i], cols, preds, alloc, exec.BatchSize)
	}
	n := min(p.Parallelism, max(len(splits), 1))
	out := make([]exec.Operator, n)
	for i := range out {
		out[i] = p.track(scan.New(q, open, schema), "Scan "+t.Name, x)
	}
	if len(x.Filters) > 0 {
		return p.filter(out, expr.And(x.Filters...), x)
	}
	return out, nil
}

// assigned keeps the splits a distributed task was given. A split this
// node's catalog does not have (its files differ from the coordinator's)
// is an error, not a silent gap in the answer: the coordinator assigns
// what its own catalog lists, and nodes must see the same files.
func assigned(all []storage.Split, ids []storage.SplitID) ([]storage.Split, error) {
	want := make(map[storage.SplitID]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	out := all[:0]
	for _, s := range all {
		if want[s.ID()] {
			out = append(out, s)
		}
	}
	if len(out) != len(want) {
		return nil, sqlerr.New(sqlerr.InternalError, "this node's files differ from the coordinator's: %d of %d assigned splits found (nodes must read the same paths)", len(out), len(want))
	}
	return out, nil
}

// scanPredicates turns simple filters (column op constant) into predicates
// the storage layer checks against row-group statistics.
func scanPredicates(x *logical.Scan) []storage.Predicate {
	var out []storage.Predicate
	for _, f := range x.Filters {
		for _, c := range expr.Conjuncts(f) {
			call, ok := c.(*expr.Call)
			if !ok {
				continue
			}
			switch call.Fn {
			case "is null", "is not null":
				if col, ok := call.Args[0].(*expr.ColRef); ok {
					out = append(out, storage.Predicate{Column: x.Cols[col.Idx], Op: call.Fn})
				}
				continue
			case "=", "<", "<=", ">", ">=":
			default:
				continue
			}
			col, okc := call.Args[0].(*expr.ColRef)
			k, okk := call.Args[1].(*expr.Const)
			op := call.Fn
			if !okc || !okk {
				col, okc = call.Args[1].(*expr.ColRef)
				k, okk = call.Args[0].(*expr.Const)
				op = flip(op)
			}
			if !okc || !okk || k.Value == nil {
				continue
			}
			if !col.T.Equal(x.Table.Columns[x.Cols[col.Idx]].Type) {
				continue
			}
			out = append(out, storage.Predicate{Column: x.Cols[col.Idx], Op: op, Value: k.Value})
		}
	}
	return out
}

func flip(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}

var aggFuncs = map[string]ops.AggFunc{
	"count_star": ops.AggCountStar, "count": ops.AggCount, "sum": ops.AggSum,
	"avg": ops.AggAvg, "min": ops.AggMin, "max": ops.AggMax,
	"var_samp": ops.AggVarSamp, "var_pop": ops.AggVarPop, "stddev_samp": ops.AggStddevSamp,
	"stddev_pop": ops.AggStddevPop, "bool_and": ops.AggBoolAnd, "bool_or": ops.AggBoolOr,
}

var collectFuncs = map[string]ops.CollectFunc{
	"string_agg": ops.CollectStringAgg, "array_agg": ops.CollectArrayAgg,
	"percentile_cont": ops.CollectPercentileCont, "percentile_disc": ops.CollectPercentileDisc,
	"mode": ops.CollectMode,
}

// needsCollect reports whether an aggregate must see its group's rows.
func needsCollect(a *expr.AggCall) bool {
	_, ok := collectFuncs[a.Fn]
	return ok || a.Filter != nil
}

// aggPlan is how a hash aggregate computes x: the projection of its group
// keys and arguments into columns (exprs, with schema pre), the group
// columns of that projection and one spec per aggregate.
type aggPlan struct {
	exprs     []expr.Expr
	pre       logical.Schema
	groupCols []int
	specs     []ops.AggSpec
}

func planAggregate(x *logical.Aggregate) (aggPlan, error) {
	var ap aggPlan
	for i, g := range x.Groups {
		ap.exprs = append(ap.exprs, g)
		ap.pre = append(ap.pre, logical.Column{Name: x.Out[i].Name, T: g.Type()})
		ap.groupCols = append(ap.groupCols, i)
	}
	if ap.groupCols == nil {
		ap.groupCols = []int{}
	}
	ap.specs = make([]ops.AggSpec, len(x.Aggs))
	for i, a := range x.Aggs {
		fn, ok := aggFuncs[a.Fn]
		if !ok {
			return ap, sqlerr.New(sqlerr.UndefinedFunction, "aggregate %s is not supported yet", a.Fn)
		}
		if a.Filter != nil {
			return ap, sqlerr.New(sqlerr.FeatureNotSupported, "FILTER is not supported yet")
		}
		ap.specs[i] = ops.AggSpec{Fn: fn, Arg: -1, Distinct: a.Distinct, Result: a.T}
		if len(a.Args) > 0 {
			ap.specs[i].Arg = len(ap.exprs)
			ap.exprs = append(ap.exprs, a.Args[0])
			ap.pre = append(ap.pre, logical.Column{Name: a.Fn, T: a.Args[0].Type()})
		}
	}
	return ap, nil
}

// TwoPhase reports whether x can run as partial aggregates whose states a
// final aggregate merges (no DISTINCT, FILTER, ordered or collecting
// aggregate).
func TwoPhase(x *logical.Aggregate) bool {
	for _, a := range x.Aggs {
		if _, ok := aggFuncs[a.Fn]; !ok || a.Distinct || a.Filter != nil || len(a.Order) > 0 {
			return false
		}
	}
	return true
}

// PartialSchema is the batch schema of x's partial aggregates (group
// columns, then each aggregate's state columns; ops.PartialSchema) and
// the projected input it is derived from, whose columns after the groups
// are the aggregates' arguments.
func PartialSchema(x *logical.Aggregate) (*arrow.Schema, logical.Schema, error) {
	ap, err := planAggregate(x)
	if err != nil {
		return nil, nil, err
	}
	s, err := ops.PartialSchema(ArrowSchema(ap.pre), ap.groupCols, ap.specs)
	return s, ap.pre, err
}

func (p *Planner) aggregate(x *logical.Aggregate) ([]exec.Operator, error) {
	in, err := p.streams(x.Input)
	if err != nil {
		return nil, err
	}
	if x.Phase == logical.AggWhole {
		for _, a := range x.Aggs {
			if needsCollect(a) {
				return p.collectAggregate(x, in)
			}
		}
	}
	ap, err := planAggregate(x)
	if err != nil {
		return nil, err
	}
	exprs, pre, groupCols, specs := ap.exprs, ap.pre, ap.groupCols, ap.specs
	distinct := false
	for _, a := range x.Aggs {
		distinct = distinct || a.Distinct
	}
	out := ArrowSchema(x.Out)
	if x.Phase == logical.AggFinal {
		// The input already holds partial states in ops.PartialSchema's
		// layout, from the partial aggregates of another stage.
		return p.finalAggregate(x, in, groupCols, specs, out)
	}
	in, err = p.project(in, exprs, ArrowSchema(pre), x)
	if err != nil {
		return nil, err
	}
	if x.Phase == logical.AggWhole && (distinct || len(in) == 1) {
		m := p.Mem.Child()
		agg, err := ops.NewHashAggregate(p.gather(in, x.Input), groupCols, specs, ops.AggSingle, out, m, p.Alloc)
		if err != nil {
			return nil, err
		}
		return []exec.Operator{p.trackMem(agg, "HashAggregate", x, m)}, nil
	}
	partialSchema, err := ops.PartialSchema(ArrowSchema(pre), groupCols, specs)
	if err != nil {
		return nil, err
	}
	for i := range in {
		m := p.Mem.Child()
		a, err := ops.NewHashAggregate(in[i], groupCols, specs, ops.AggPartial, partialSchema, m, p.Alloc)
		if err != nil {
			return nil, err
		}
		in[i] = p.trackMem(a, "PartialAggregate", x, m)
	}
	if x.Phase == logical.AggPartial {
		// Another stage merges the states.
		return in, nil
	}
	return p.finalAggregate(x, in, groupCols, specs, out)
}

// finalAggregate merges the partial states of streams in.
func (p *Planner) finalAggregate(x *logical.Aggregate, in []exec.Operator, groupCols []int, specs []ops.AggSpec, out *arrow.Schema) ([]exec.Operator, error) {
	if len(groupCols) == 0 || len(in) == 1 {
		// One group (or one stream): a single Final merges the partial rows.
		m := p.Mem.Child()
		final, err := ops.NewHashAggregate(p.gather(in, x), groupCols, specs, ops.AggFinal, out, m, p.Alloc)
		if err != nil {
			return nil, err
		}
		return []exec.Operator{p.trackMem(final, "FinalAggregate", x, m)}, nil
	}
	// With many groups one Final would merge them all on one core. Hash
	// repartition the partial rows on the group columns instead, so each
	// group's partial states meet in one of len(in) Finals that run in
	// parallel. The Finals' outputs stay separate streams; the consumers
	// above gather them (Repartition needs its outputs pulled concurrently,
	// which every gather does).
	parts := ops.NewRepartition(in, groupCols, len(in), p.Alloc)
	finals := make([]exec.Operator, len(parts))
	for i, part := range parts {
		m := p.Mem.Child()
		final, err := ops.NewHashAggregate(p.track(part, "Repartition", x), groupCols, specs, ops.AggFinal, out, m, p.Alloc)
		if err != nil {
			return nil, err
		}
		finals[i] = p.trackMem(final, "FinalAggregate", x, m)
	}
	return finals, nil
}

var joinKinds = map[logical.JoinKind]ops.JoinKind{
	logical.Inner: ops.JoinInner, logical.Left: ops.JoinLeft, logical.Right: ops.JoinRight,
	logical.Full: ops.JoinFull, logical.Semi: ops.JoinSemi, logical.Anti: ops.JoinAnti,
	logical.AntiNullAware: ops.JoinAntiNullAware, logical.Cross: ops.JoinCross,
}

func (p *Planner) join(x *logical.Join) ([]exec.Operator, error) {
	lw := len(x.Left.Schema())
	ls, rs := x.Left.Schema(), x.Right.Schema()
	var lkeys, rkeys []expr.Expr
	var residual []expr.Expr
	for _, c := range expr.Conjuncts(x.Cond) {
		if call, ok := c.(*expr.Call); ok && call.Fn == "=" {
			a, b := call.Args[0], call.Args[1]
			sa, sb := sideOf(a, lw), sideOf(b, lw)
			if sa == 2 && sb == 1 {
				a, b, sa, sb = b, a, sb, sa
			}
			if sa == 1 && sb == 2 && a.Type().Equal(b.Type()) {
				lkeys = append(lkeys, a)
				rkeys = append(rkeys, expr.Remap(b, func(i int) int { return i - lw }))
				continue
			}
		}
		if k, ok := c.(*expr.Const); ok && k.Value == true {
			continue
		}
		residual = append(residual, c)
	}
	left, err := p.streams(x.Left)
	if err != nil {
		return nil, err
	}
	right, err := p.streams(x.Right)
	if err != nil {
		return nil, err
	}
	kind := joinKinds[x.Kind]
	if len(lkeys) == 0 {
		var pred ops.Predicate
		if r := expr.And(residual...); r != nil {
			ev, err := evalexpr.Compile(r)
			if err != nil {
				return nil, err
			}
			pred = ev
		}
		if kind == ops.JoinInner && pred == nil {
			kind = ops.JoinCross
		}
		m := p.Mem.Child()
		nl, err := ops.NewNestedLoopJoin(p.gather(left, x.Left), p.gather(right, x.Right), kind, pred, m, p.Alloc)
		if err != nil {
			return nil, err
		}
		return []exec.Operator{p.trackMem(nl, "NestedLoopJoin", x, m)}, nil
	}
	// Key expressions that are not plain columns are computed into extra
	// columns appended to their side.
	lcols, left, lext, err := p.keyColumns(left, ls, lkeys, x.Left)
	if err != nil {
		return nil, err
	}
	rcols, right, rext, err := p.keyColumns(right, rs, rkeys, x.Right)
	if err != nil {
		return nil, err
	}
	// Positions of the original columns in the extended join output.
	pos := func(i int) int {
		if i < lw {
			return i
		}
		return i + lext
	}
	var pred ops.Predicate
	if r := expr.And(residual...); r != nil {
		ev, err := evalexpr.Compile(expr.Remap(r, pos))
		if err != nil {
			return nil, err
		}
		pred = ev
	}
	buildLeft := false
	switch x.Kind {
	case logical.Inner:
		buildLeft = optimize.Estimate(x.Left) < optimize.Estimate(x.Right)
	case logical.Right:
		buildLeft = true
	case logical.Semi, logical.Anti:
		// A small outer side is cheaper to build: the probe marks the
		// build rows it matches and the last probe emits them (TPC-H Q4's
		// EXISTS builds the quarter's orders, not millions of lineitems).
		buildLeft = optimize.Estimate(x.Left)*4 < optimize.Estimate(x.Right)
	}
	var out []exec.Operator
	// The build's account is shown on the first probe instance.
	m := p.Mem.Child()
	probes, probeCols, build := left, lcols, ops.NewHashBuild(p.gather(right, x.Right), rcols, m, p.Alloc)
	if buildLeft {
		probes, probeCols, build = right, rcols, ops.NewHashBuild(p.gather(left, x.Left), lcols, m, p.Alloc)
	}
	for i, s := range probes {
		j, err := ops.NewHashJoin(s, build, probeCols, kind, pred, buildLeft, p.Alloc)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			out = append(out, p.trackMem(j, "HashJoin", x, m))
		} else {
			out = append(out, p.track(j, "HashJoin", x))
		}
	}
	if lext == 0 && rext == 0 {
		return out, nil
	}
	// Drop the key columns again.
	schema := x.Schema()
	var exprs []expr.Expr
	for i, c := range schema {
		exprs = append(exprs, &expr.ColRef{Idx: pos(i), T: c.T, Name: c.Name})
	}
	return p.project(out, exprs, ArrowSchema(schema), x)
}

// keyColumns returns the column index of each key on one join side, adding a
// projection that computes keys that are expressions.
func (p *Planner) keyColumns(in []exec.Operator, s logical.Schema, keys []expr.Expr, n logical.Node) ([]int, []exec.Operator, int, error) {
	cols := make([]int, len(keys))
	var extra []expr.Expr
	for i, k := range keys {
		if c, ok := k.(*expr.ColRef); ok {
			cols[i] = c.Idx
			continue
		}
		cols[i] = len(s) + len(extra)
		extra = append(extra, k)
	}
	if len(extra) == 0 {
		return cols, in, 0, nil
	}
	var exprs []expr.Expr
	ext := append(logical.Schema(nil), s...)
	for i, c := range s {
		exprs = append(exprs, &expr.ColRef{Idx: i, T: c.T, Name: c.Name})
	}
	for _, e := range extra {
		exprs = append(exprs, e)
		ext = append(ext, logical.Column{Name: "key", T: e.Type()})
	}
	out, err := p.project(in, exprs, ArrowSchema(ext), n)
	return cols, out, len(extra), err
}

// sideOf: 0 none, 1 left only, 2 right only, 3 both.
func sideOf(e expr.Expr, lw int) int {
	s := 0
	for c := range expr.Columns(e) {
		cur := 1
		if c >= lw {
			cur = 2
		}
		if s == 0 {
			s = cur
		} else if s != cur {
			return 3
		}
	}
	return s
}

var _ = types.BoolT

// projectSet runs set-returning functions of a select list per stream: a
// projection appends the functions' arguments to the input's columns, and
// ProjectSet expands each row.
func (p *Planner) projectSet(x *logical.ProjectSet) ([]exec.Operator, error) {
	in, err := p.streams(x.Input)
	if err != nil {
		return nil, err
	}
	inSchema := x.Input.Schema()
	keep := len(inSchema)
	var exprs []expr.Expr
	var cols logical.Schema
	for i, c := range inSchema {
		exprs = append(exprs, &expr.ColRef{Idx: i, T: c.T, Name: c.Name})
		cols = append(cols, c)
	}
	funcs := make([]ops.SetFunc, len(x.Funcs))
	for k, f := range x.Funcs {
		funcs[k] = ops.SetFunc{Name: f.Name, T: f.T, Ordinality: f.Ordinality}
		for _, a := range f.Args {
			funcs[k].Args = append(funcs[k].Args, len(exprs))
			exprs = append(exprs, a)
			cols = append(cols, logical.Column{Name: f.Name, T: a.Type(), Nullable: true})
		}
	}
	args, err := p.project(in, exprs, ArrowSchema(cols), x)
	if err != nil {
		return nil, err
	}
	out := make([]exec.Operator, len(args))
	for i, s := range args {
		ps, err := ops.NewProjectSet(s, keep, funcs, p.Alloc)
		if err != nil {
			return nil, err
		}
		out[i] = p.track(ps, "ProjectSet", x)
	}
	return out, nil
}

// readsTables reports whether any leaf below n scans a table (in-memory
// catalog tables included) or a shared CTE.
func readsTables(n logical.Node) bool {
	switch n.(type) {
	case *logical.Scan, *logical.CTEScan:
		return true
	}
	for _, c := range n.Children() {
		if readsTables(c) {
			return true
		}
	}
	return false
}
