// Package distribute is the fragmenter: it cuts an optimised logical plan
// into stages that run on the nodes of a cluster, joined by exchanges.
//
// A stage is a plan fragment whose leaves are table scans or Remote nodes
// (the rows of other stages). A spread stage runs one task on every node:
// its scans read a share of their tables' splits each, and its Remote
// inputs deliver each task its partition of the stages below. The single
// stage at the root runs one task on the coordinator and yields the
// query's rows; other single stages hold what cannot be spread (VALUES,
// catalog tables). Each stage deals its rows to the tasks of the stage
// that reads it: all to one (gather), by a hash of key columns (the same
// ops.Partitioner the local repartition uses), or all to every task
// (broadcast).
//
// The cuts follow the plan's shape:
//   - scans, filters, projections and set-returning projections stay in
//     the stage of their input;
//   - an aggregate runs partially in its input's stage, then its partial
//     states are hash partitioned on the group keys to a stage of finals
//     (gathered to one final without groups); aggregates that must see
//     their group's rows (DISTINCT, string_agg ...) repartition raw rows
//     on the group columns, or gather;
//   - a join whose sides' splits hold overlapping key ranges only in
//     balanced buckets (tables written in key order) runs where its rows
//     are read, each task given whole buckets (colocate.go), and so does
//     an aggregate on such a column;
//   - otherwise a join brings matching rows together the way that ships
//     the fewest bytes by the estimates: broadcast a small side (when the
//     join's kind lets that side be copied), hash the other side to match
//     one already partitioned on join keys, or hash both on the keys;
//   - a stage remembers the columns its rows are hash partitioned on, so
//     an aggregate grouping on them or a join on them needs no exchange;
//   - window functions hash their input on the PARTITION BY columns;
//   - ORDER BY ... LIMIT keeps a partial top-N in every task below the
//     gather, a plain LIMIT a partial limit;
//   - sorts and the rest gather to the coordinator.
package distribute

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"strings"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/planner/optimize"
	"github.com/basaltdb/basalt/planner/physical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

// How a stage deals its rows to the tasks of its consumer.
const (
	Gather    = "gather"
	Hash      = "hash"
	Broadcast = "broadcast"
)

// Stage is one fragment of a distributed plan.
type Stage struct {
	ID int
	// Plan is the fragment; its Remote leaves name the stages it reads.
	Plan logical.Node
	// Spread stages run one task per node; the others one task on the
	// coordinator.
	Spread bool
	// How the stage deals its rows, and by which columns of Plan's output
	// when How is Hash. The root stage's rows go to the client.
	How  string
	Keys []int
	// Consumer is the stage that reads this one (-1 for the root).
	Consumer int
	// Colocated are sets of the stage's scans whose splits go to tasks
	// in buckets of overlapping key ranges (co-located joins).
	Colocated []*Colocated
}

// Plan is a query cut into stages; Stages[0] is the root.
type Plan struct {
	Stages []*Stage
}

// Options tune the cuts.
type Options struct {
	// Nodes is how many nodes spread stages run on (at least 2).
	Nodes int
	// BroadcastRows is the largest estimated row count of a join side
	// that may be broadcast rather than hash partitioned.
	BroadcastRows float64
	// SpreadSplits is how many splits a scan needs (after pruning) to run
	// on every node (DefaultSpreadSplits when 0; 1 spreads every scan):
	// a table of one row group gains nothing from tasks that read none.
	SpreadSplits int
}

// DefaultSpreadSplits leaves one-split tables (TPC-H's nation and region)
// to one task.
const DefaultSpreadSplits = 2

// DefaultBroadcastRows bounds what every node builds for a broadcast
// join: about 2M rows (TPC-H SF 1's filtered orders, not its lineitem).
const DefaultBroadcastRows = 2_000_000

// Fragment cuts plan into stages. It reports false when the cut would
// leave everything in the root stage: nothing is worth distributing.
func Fragment(plan logical.Node, opt Options) (*Plan, bool) {
	if opt.BroadcastRows <= 0 {
		opt.BroadcastRows = DefaultBroadcastRows
	}
	if opt.SpreadSplits <= 0 {
		opt.SpreadSplits = DefaultSpreadSplits
	}
	f := &fragmenter{opt: opt, ctes: map[*logical.CTE]*logical.CTE{}, orig: map[*logical.CTE]*logical.CTE{},
		coloJoins: map[logical.Node]*Colocated{}}
	f.stages = []*Stage{nil} // the root takes id 0
	root := f.gather(f.build(plan))
	f.stages[0] = &Stage{ID: 0, Plan: root, Consumer: -1}
	if len(f.stages) == 1 {
		return nil, false
	}
	f.oneReaderPerCTE()
	if !f.colocationKept() {
		// A planning bug, not a user's problem: one node answers right.
		return nil, false
	}
	for _, s := range f.stages {
		for _, r := range Remotes(s.Plan) {
			f.stages[r.Stage].Consumer = s.ID
		}
	}
	return &Plan{Stages: f.stages}, true
}

// Remotes lists the Remote leaves of a stage's plan, those inside the
// plans of its CTEs included.
func Remotes(n logical.Node) []*logical.Remote {
	var out []*logical.Remote
	logical.Walk(n, func(n logical.Node) {
		if r, ok := n.(*logical.Remote); ok {
			out = append(out, r)
		}
	})
	return out
}

type fragmenter struct {
	opt    Options
	stages []*Stage
	ctes   map[*logical.CTE]*logical.CTE // original -> distributed
	orig   map[*logical.CTE]*logical.CTE // distributed -> original
	// coloJoins are the joins and aggregates run where their rows are
	// read, with the co-located set each needs its stage to deal in
	// buckets.
	coloJoins map[logical.Node]*Colocated
}

// colocationKept checks that every co-located join's stage deals its
// scans in buckets of a set that contains the join's: a split dealt
// otherwise would lose matches.
func (f *fragmenter) colocationKept() bool {
	for _, s := range f.stages {
		ok := true
		logical.Walk(s.Plan, func(n logical.Node) {
			need, is := f.coloJoins[n]
			if !is {
				return
			}
			found := false
			for _, c := range s.Colocated {
				if contains(c, need) {
					found = true
				}
			}
			ok = ok && found && s.Spread
		})
		if !ok {
			return false
		}
	}
	return true
}

func contains(big, small *Colocated) bool {
	for _, m := range small.Members {
		if !big.member(m.Scan, m.Col) {
			return false
		}
	}
	return true
}

// oneReaderPerCTE gives every stage that reads a distributed CTE its own
// copy: a CTE's rows come from a stage gathered to one task, whose stream
// one consumer reads. Stages usually share nothing (TPC-H Q15 reads its
// view twice in one stage); when two do, the CTE runs twice.
func (f *fragmenter) oneReaderPerCTE() {
	owner := map[*logical.CTE]int{}
	for i := 0; i < len(f.stages); i++ { // the copies add stages
		s := f.stages[i]
		copies := map[*logical.CTE]*logical.CTE{}
		s.Plan = withCTEs(s.Plan, func(c *logical.CTE) *logical.CTE {
			o, ok := f.orig[c]
			if !ok {
				return c // a CTE of the root's own plan, not distributed
			}
			if id, seen := owner[c]; !seen || id == s.ID {
				owner[c] = s.ID
				return c
			}
			if cp, ok := copies[c]; ok {
				return cp
			}
			cp := &logical.CTE{Name: c.Name, Plan: f.gather(f.build(o.Plan))}
			f.orig[cp] = o
			owner[cp] = s.ID
			copies[c] = cp
			return cp
		})
	}
}

// withCTEs copies n with every CTEScan reading f(its CTE).
func withCTEs(n logical.Node, f func(*logical.CTE) *logical.CTE) logical.Node {
	if x, ok := n.(*logical.CTEScan); ok {
		c := f(x.CTE)
		if c == x.CTE {
			return x
		}
		y := *x
		y.CTE = c
		return &y
	}
	ch := n.Children()
	if len(ch) == 0 {
		return n
	}
	nc := make([]logical.Node, len(ch))
	changed := false
	for i, c := range ch {
		nc[i] = withCTEs(c, f)
		changed = changed || nc[i] != c
	}
	if !changed {
		return n
	}
	return n.WithChildren(nc)
}

// part is the open fragment being built: its plan so far and whether it
// runs spread over the nodes. keys, when set, are columns of node's output
// by whose hash the rows are partitioned over the tasks (task p holds the
// rows that ops.Partitioner deals to partition p of n): a join or
// aggregate on them needs no exchange.
type part struct {
	node   logical.Node
	spread bool
	keys   []int
	// colos are the co-located sets of the part's scans (colocate.go):
	// their splits are dealt in buckets.
	colos []*Colocated
}

// cut closes p as a stage dealing its rows by how (and keys), read by a
// Remote leaf in the consumer's fragment.
func (f *fragmenter) cut(p part, how string, keys []int) *logical.Remote {
	id := len(f.stages)
	f.stages = append(f.stages, &Stage{ID: id, Plan: p.node, Spread: p.spread, How: how, Keys: keys, Colocated: p.colos})
	return &logical.Remote{Stage: id, Out: p.node.Schema(), Rows: optimize.Estimate(p.node), Largest: largestTable(p.node), How: how}
}

// gather brings a spread part's rows to one task.
func (f *fragmenter) gather(p part) logical.Node {
	if !p.spread {
		return p.node
	}
	return f.cut(p, Gather, nil)
}

func single(n logical.Node) part { return part{node: n} }

func (f *fragmenter) build(n logical.Node) part {
	switch x := n.(type) {
	case *logical.Scan:
		if x.Table.InMemory() {
			return single(x)
		}
		return part{node: x, spread: len(physical.Splits(x)) >= f.opt.SpreadSplits}
	case *logical.Filter, *logical.ProjectSet:
		// Both keep their input's columns in place.
		in := f.build(n.Children()[0])
		return part{node: n.WithChildren([]logical.Node{in.node}), spread: in.spread, keys: in.keys, colos: in.colos}
	case *logical.Project:
		in := f.build(x.Input)
		return part{node: x.WithChildren([]logical.Node{in.node}), spread: in.spread, keys: projectKeys(in.keys, x.Exprs), colos: in.colos}
	case *logical.Aggregate:
		return f.aggregate(x)
	case *logical.Join:
		return f.join(x)
	case *logical.Limit:
		return f.limit(x)
	case *logical.Union:
		ins := make([]part, len(x.Inputs))
		all := true
		for i, c := range x.Inputs {
			ins[i] = f.build(c)
			all = all && ins[i].spread
		}
		nodes := make([]logical.Node, len(ins))
		var colos []*Colocated
		for i, in := range ins {
			colos = append(colos, in.colos...)
			if all {
				// Every spread stage has one task per node, so each
				// task can run its share of every input: together
				// they produce each row once.
				nodes[i] = in.node
			} else {
				nodes[i] = f.gather(in)
			}
		}
		if !all {
			colos = nil
		}
		return part{node: x.WithChildren(nodes), spread: all, colos: colos}
	case *logical.Window:
		return f.window(x)
	case *logical.CTEScan:
		// The CTE's plan is distributed once and gathered; every
		// CTEScan of it reads the same materialised rows at the root.
		c, ok := f.ctes[x.CTE]
		if !ok {
			c = &logical.CTE{Name: x.CTE.Name, Plan: f.gather(f.build(x.CTE.Plan))}
			f.ctes[x.CTE] = c
			f.orig[c] = x.CTE
		}
		y := *x
		y.CTE = c
		return single(&y)
	}
	// Sorts, windows, single-row checks, VALUES, table functions: on one
	// task, over gathered inputs.
	ch := n.Children()
	if len(ch) == 0 {
		return single(n)
	}
	nodes := make([]logical.Node, len(ch))
	for i, c := range ch {
		nodes[i] = f.gather(f.build(c))
	}
	return single(n.WithChildren(nodes))
}

// window computes window functions where their partitions' rows are:
// each PARTITION BY group whole in one task (rows hashed on the partition
// columns, unless already partitioned on some of them), or everything
// gathered when there is no PARTITION BY or it computes its keys.
func (f *fragmenter) window(x *logical.Window) part {
	in := f.build(x.Input)
	cols, ok := colRefs(x.Partition)
	if !in.spread || !ok || len(cols) == 0 {
		return single(x.WithChildren([]logical.Node{f.gather(in)}))
	}
	// The window's output keeps its input's columns in place.
	if in.keys != nil && subset(in.keys, cols) {
		return part{node: x.WithChildren([]logical.Node{in.node}), spread: true, keys: in.keys, colos: in.colos}
	}
	r := f.cut(in, Hash, cols)
	return part{node: x.WithChildren([]logical.Node{r}), spread: true, keys: cols}
}

func subset(a, b []int) bool {
	for _, k := range a {
		if !slices.Contains(b, k) {
			return false
		}
	}
	return true
}

// projectKeys maps partitioning columns through a projection: still known
// when every one is projected as a plain column.
func projectKeys(keys []int, exprs []expr.Expr) []int {
	if keys == nil {
		return nil
	}
	out := make([]int, len(keys))
	for i, k := range keys {
		out[i] = -1
		for j, e := range exprs {
			if c, ok := e.(*expr.ColRef); ok && c.Idx == k {
				out[i] = j
				break
			}
		}
		if out[i] < 0 {
			return nil
		}
	}
	return out
}

// seq is 0, 1, ..., n-1.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func (f *fragmenter) aggregate(x *logical.Aggregate) part {
	in := f.build(x.Input)
	if !in.spread {
		return single(x.WithChildren([]logical.Node{in.node}))
	}
	if set, rest, ok := f.colocateGroups(in, x.Groups); ok {
		// Splits dealt in key-range buckets of a group column: every
		// group is whole in one task.
		a := x.WithChildren([]logical.Node{in.node})
		f.coloJoins[a] = set
		return part{node: a, spread: true, colos: append(rest, set)}
	}
	if in.keys != nil {
		// Rows partitioned on columns that are all group columns: every
		// group is whole in one task, which aggregates it alone.
		groupCols, _ := colRefs(x.Groups)
		var out []int
		for _, k := range in.keys {
			j := slices.Index(groupCols, k)
			if j < 0 {
				out = nil
				break
			}
			out = append(out, j)
		}
		if out != nil {
			return part{node: x.WithChildren([]logical.Node{in.node}), spread: true, keys: out, colos: in.colos}
		}
	}
	if !physical.TwoPhase(x) {
		// Each group's rows must meet in one task: hash them there by
		// the group columns, or gather when a group key is computed.
		keys, ok := colRefs(x.Groups)
		if !ok || len(keys) == 0 {
			return single(x.WithChildren([]logical.Node{f.gather(in)}))
		}
		r := f.cut(in, Hash, keys)
		return part{node: x.WithChildren([]logical.Node{r}), spread: true, keys: seq(len(keys))}
	}
	partialOut, err := partialSchema(x)
	if err != nil {
		return single(x.WithChildren([]logical.Node{f.gather(in)}))
	}
	partial := &logical.Aggregate{Input: in.node, Groups: x.Groups, Aggs: x.Aggs, Out: partialOut, Phase: logical.AggPartial}
	final := &logical.Aggregate{Groups: x.Groups, Aggs: x.Aggs, Out: x.Out, Phase: logical.AggFinal}
	if len(x.Groups) == 0 {
		final.Input = f.cut(part{node: partial, spread: true, colos: in.colos}, Gather, nil)
		return single(final)
	}
	keys := seq(len(x.Groups))
	final.Input = f.cut(part{node: partial, spread: true, colos: in.colos}, Hash, keys)
	return part{node: final, spread: true, keys: keys}
}

// partialSchema is the logical form of ops.PartialSchema for x: group
// columns, then each aggregate's state columns.
func partialSchema(x *logical.Aggregate) (logical.Schema, error) {
	s, pre, err := physical.PartialSchema(x)
	if err != nil {
		return nil, err
	}
	out := make(logical.Schema, 0, s.NumFields())
	for i, fd := range s.Fields() {
		c := logical.Column{Name: fd.Name, Nullable: true}
		if i < len(x.Groups) {
			c = x.Out[i]
			out = append(out, c)
			continue
		}
		t, err := stateType(fd.Type, x, pre)
		if err != nil {
			return nil, err
		}
		c.T = t
		out = append(out, c)
	}
	return out, nil
}

// stateType is the PostgreSQL type of a partial state column of batch
// type dt: an aggregate argument's own type when it matches (min and max
// keep their argument's type, varchar or a domain included), else the
// type dt maps back to.
func stateType(dt arrow.DataType, x *logical.Aggregate, pre logical.Schema) (types.T, error) {
	for _, c := range pre[len(x.Groups):] {
		if arrow.TypeEqual(c.T.Arrow(), dt) {
			return c.T, nil
		}
	}
	return types.FromArrow(dt)
}

// colRefs returns the column indexes of es when every one is a column.
func colRefs(es []expr.Expr) ([]int, bool) {
	out := make([]int, len(es))
	for i, e := range es {
		c, ok := e.(*expr.ColRef)
		if !ok {
			return nil, false
		}
		out[i] = c.Idx
	}
	return out, true
}

// equiKeys splits a join condition's column = column conjuncts into left
// and right key columns (right ones relative to the right input).
func equiKeys(x *logical.Join) (lk, rk []int) {
	lw := len(x.Left.Schema())
	for _, c := range expr.Conjuncts(x.Cond) {
		call, ok := c.(*expr.Call)
		if !ok || call.Fn != "=" {
			continue
		}
		a, oka := call.Args[0].(*expr.ColRef)
		b, okb := call.Args[1].(*expr.ColRef)
		if !oka || !okb || !a.T.Equal(b.T) {
			continue
		}
		if a.Idx >= lw && b.Idx < lw {
			a, b = b, a
		}
		if a.Idx < lw && b.Idx >= lw {
			lk = append(lk, a.Idx)
			rk = append(rk, b.Idx-lw)
		}
	}
	return lk, rk
}

func (f *fragmenter) join(x *logical.Join) part {
	l, r := f.build(x.Left), f.build(x.Right)
	if !l.spread && !r.spread {
		return single(x.WithChildren([]logical.Node{l.node, r.node}))
	}
	estL, estR := optimize.Estimate(l.node), optimize.Estimate(r.node)
	// A side may be copied to every task only when the join never emits
	// its unmatched rows (each task would emit them again).
	var copyRight, copyLeft bool
	switch x.Kind {
	case logical.Inner, logical.Cross:
		copyRight, copyLeft = true, true
	case logical.Left, logical.Semi, logical.Anti, logical.AntiNullAware:
		copyRight = true
	case logical.Right:
		copyLeft = true
	}
	lk, rk := equiKeys(x)
	lw := len(x.Left.Schema())
	// Each way to bring matching rows together, with what it costs by
	// the estimates, in bytes: copying a side to n tasks ships it n-1
	// more times and builds its hash table on every node; hashing a side
	// ships (n-1)/n of it; a side already partitioned on join keys stays.
	// Join estimates can be far off, so a side is copied only when it is
	// also small in itself and reads no table far larger than that
	// (every node holds it).
	n := float64(max(f.opt.Nodes, 2))
	limit := f.opt.BroadcastRows
	fitR := estR <= limit && largestTable(r.node) <= 10*limit
	fitL := estL <= limit && largestTable(l.node) <= 10*limit
	bytesL, bytesR := estL*rowWidth(l.node.Schema()), estR*rowWidth(r.node.Schema())
	const (
		none = iota
		copyR
		copyL
		stayL // l stays partitioned, r hashed to match
		stayR
		hashBoth
	)
	best, cost := none, 0.0
	consider := func(way int, c float64) {
		if best == none || c < cost {
			best, cost = way, c
		}
	}
	if x.Kind != logical.AntiNullAware {
		// Matching rows already read by the same task: nothing moves.
		if set, rest, ok := f.colocate(l, r, lk, rk); ok {
			j := x.WithChildren([]logical.Node{l.node, r.node})
			f.coloJoins[j] = set
			return part{node: j, spread: true, colos: append(rest, set)}
		}
	}
	pl, pr := pairKeys(l.keys, lk, rk), pairKeys(r.keys, rk, lk)
	// NOT IN must see every right row's key (one NULL empties the
	// result), so it cannot be partitioned.
	partitionable := len(lk) > 0 && x.Kind != logical.AntiNullAware
	if partitionable {
		consider(hashBoth, (bytesL+bytesR)*(n-1)/n)
		if l.spread && pl != nil {
			consider(stayL, bytesR*(n-1)/n)
		}
		if r.spread && pr != nil {
			consider(stayR, bytesL*(n-1)/n)
		}
	}
	if l.spread && copyRight && fitR {
		consider(copyR, (bytesR+estR*buildBytes)*(n-1))
	}
	if r.spread && copyLeft && fitL {
		consider(copyL, (bytesL+estL*buildBytes)*(n-1))
	}
	switch best {
	case copyR:
		rr := f.cut(r, Broadcast, nil)
		return part{node: x.WithChildren([]logical.Node{l.node, rr}), spread: true, keys: l.keys, colos: l.colos}
	case copyL:
		ll := f.cut(l, Broadcast, nil)
		return part{node: x.WithChildren([]logical.Node{ll, r.node}), spread: true, keys: shift(r.keys, lw, x.Kind), colos: r.colos}
	case stayL:
		rr := f.cut(r, Hash, pl)
		return part{node: x.WithChildren([]logical.Node{l.node, rr}), spread: true, keys: joinKeys(x.Kind, l.keys, pl, lw), colos: l.colos}
	case stayR:
		ll := f.cut(l, Hash, pr)
		return part{node: x.WithChildren([]logical.Node{ll, r.node}), spread: true, keys: joinKeys(x.Kind, pr, r.keys, lw), colos: r.colos}
	case hashBoth:
		ll := f.cut(l, Hash, lk)
		rr := f.cut(r, Hash, rk)
		return part{node: x.WithChildren([]logical.Node{ll, rr}), spread: true, keys: joinKeys(x.Kind, lk, rk, lw)}
	}
	if l.spread && copyRight {
		rr := f.cut(r, Broadcast, nil)
		return part{node: x.WithChildren([]logical.Node{l.node, rr}), spread: true, keys: l.keys, colos: l.colos}
	}
	return single(x.WithChildren([]logical.Node{f.gather(l), f.gather(r)}))
}

// buildBytes is what building one row into a hash table costs, counted
// as bytes shipped: a broadcast side is built on every node.
const buildBytes = 16

// rowWidth estimates the bytes of one row of s in a batch (text at a
// guessed average).
func rowWidth(s logical.Schema) float64 {
	w := 0.0
	for _, c := range s {
		switch c.T.Kind {
		case types.Bool:
			w++
		case types.Int16:
			w += 2
		case types.Int32, types.Float32, types.Date:
			w += 4
		case types.Numeric, types.Interval:
			w += 16
		case types.Text, types.Bytea, types.Array:
			w += 24
		default:
			w += 8
		}
	}
	return max(w, 1)
}

// pairKeys: when a side is partitioned on columns part that are all among
// its join keys mine, the other side's keys matching them, in part's
// order (hashing those puts every match in the same task); else nil.
func pairKeys(part, mine, other []int) []int {
	if part == nil {
		return nil
	}
	out := make([]int, len(part))
	for i, k := range part {
		j := slices.Index(mine, k)
		if j < 0 {
			return nil
		}
		out[i] = other[j]
	}
	return out
}

// joinKeys are the partitioning columns of a join's output when both
// sides are partitioned on matching keys (left ones lk, right ones rk):
// the columns of the side whose rows are never NULL-extended (the left's
// for inner, left, semi and anti joins, the right's for right joins);
// none for full joins, where either side's may be NULL.
func joinKeys(kind logical.JoinKind, lk, rk []int, lw int) []int {
	switch kind {
	case logical.Full:
		return nil
	case logical.Right:
		return shift(rk, lw, kind)
	}
	return lk
}

// shift moves a right side's partitioning columns to their place in the
// join's output (after the left's), or drops them when the output has
// only the left's columns.
func shift(keys []int, lw int, kind logical.JoinKind) []int {
	if keys == nil {
		return nil
	}
	switch kind {
	case logical.Semi, logical.Anti, logical.AntiNullAware:
		return nil
	}
	out := make([]int, len(keys))
	for i, k := range keys {
		out[i] = k + lw
	}
	return out
}

// largestTable is the row count of the largest table n scans (through
// Remote leaves too: the stage below reads it).
func largestTable(n logical.Node) float64 {
	var m float64
	switch x := n.(type) {
	case *logical.Scan:
		return float64(x.Table.RowCount())
	case *logical.Remote:
		return x.Largest
	}
	for _, c := range n.Children() {
		m = max(m, largestTable(c))
	}
	return m
}

func (f *fragmenter) limit(x *logical.Limit) part {
	if x.Count < 0 {
		return single(x.WithChildren([]logical.Node{f.gather(f.build(x.Input))}))
	}
	k := x.Count + x.Offset
	if s, ok := x.Input.(*logical.Sort); ok {
		in := f.build(s.Input)
		if !in.spread {
			return single(x.WithChildren([]logical.Node{s.WithChildren([]logical.Node{in.node})}))
		}
		// Every task keeps its best k rows; the root picks the best of
		// those.
		top := &logical.Limit{Input: s.WithChildren([]logical.Node{in.node}), Count: k}
		r := f.cut(part{node: top, spread: true, colos: in.colos}, Gather, nil)
		return single(x.WithChildren([]logical.Node{s.WithChildren([]logical.Node{r})}))
	}
	in := f.build(x.Input)
	if !in.spread {
		return single(x.WithChildren([]logical.Node{in.node}))
	}
	r := f.cut(part{node: &logical.Limit{Input: in.node, Count: k}, spread: true, colos: in.colos}, Gather, nil)
	return single(x.WithChildren([]logical.Node{r}))
}

// Format describes the stages for EXPLAIN, root first.
func (p *Plan) Format() []string {
	var out []string
	for _, s := range p.Stages {
		out = append(out, s.Header())
		for _, l := range strings.Split(strings.TrimRight(logical.Format(s.Plan), "\n"), "\n") {
			out = append(out, "  "+l)
		}
	}
	return out
}

// Header is the stage's line in EXPLAIN: where it runs and where its rows go.
func (s *Stage) Header() string {
	where := "1 task on the coordinator"
	if s.Spread {
		where = "1 task per node"
	}
	switch {
	case s.Consumer < 0 && s.ID == 0:
		return fmt.Sprintf("Stage 0: %s, rows to the client", where)
	case s.How == Hash:
		return fmt.Sprintf("Stage %d: %s, hash by %v to stage %d", s.ID, where, s.Keys, s.Consumer)
	}
	return fmt.Sprintf("Stage %d: %s, %s to stage %d", s.ID, where, s.How, s.Consumer)
}
