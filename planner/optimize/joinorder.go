package optimize

import (
	"math/bits"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

// ReorderJoins rebuilds each cluster of inner joins as a left-deep tree:
// it starts from the largest input (the probe side that streams) and adds,
// one at a time, the smallest input connected to what is joined so far, so
// hash tables are built on small inputs and no cross product is formed while
// a join predicate could avoid it. A projection restores the column order.
func ReorderJoins(n logical.Node) (logical.Node, error) {
	j, ok := n.(*logical.Join)
	if !ok || (j.Kind != logical.Inner && j.Kind != logical.Cross) {
		return mapChildren(n, ReorderJoins)
	}
	var leaves []logical.Node
	var offsets []int
	var preds []expr.Expr
	width := 0
	var flatten func(n logical.Node, base int)
	flatten = func(n logical.Node, base int) {
		if j, ok := n.(*logical.Join); ok && (j.Kind == logical.Inner || j.Kind == logical.Cross) {
			lw := len(j.Left.Schema())
			flatten(j.Left, base)
			flatten(j.Right, base+lw)
			for _, c := range expr.Conjuncts(j.Cond) {
				preds = append(preds, shift(c, base))
			}
			return
		}
		leaves = append(leaves, n)
		offsets = append(offsets, base)
		width = max(width, base+len(n.Schema()))
	}
	flatten(j, 0)
	for i, l := range leaves {
		var err error
		if leaves[i], err = ReorderJoins(l); err != nil {
			return nil, err
		}
	}
	if len(leaves) < 3 {
		// Two inputs: nothing to reorder; the physical planner picks the
		// build side.
		return n.WithChildren([]logical.Node{leaves[0], leaves[1]}), nil
	}
	leafOf := func(col int) int {
		for i := len(offsets) - 1; i >= 0; i-- {
			if col >= offsets[i] {
				return i
			}
		}
		return 0
	}
	predLeaves := make([]map[int]bool, len(preds))
	for i, p := range preds {
		predLeaves[i] = map[int]bool{}
		for c := range expr.Columns(p) {
			predLeaves[i][leafOf(c)] = true
		}
	}
	est := make([]float64, len(leaves))
	for i, l := range leaves {
		est[i] = Estimate(l)
	}
	g := &joinGraph{leaves: leaves, offsets: offsets, preds: preds, est: est, leafOf: leafOf}
	g.predSets = make([]uint64, len(preds))
	g.sel = make([]float64, len(preds))
	for i, p := range preds {
		for l := range predLeaves[i] {
			g.predSets[i] |= 1 << l
		}
		g.sel[i] = g.predSelectivity(p)
	}
	var tree *jtree
	if len(leaves) <= maxDPLeaves {
		tree = g.dp()
	} else {
		tree = g.greedy()
	}
	cur, order := g.build(tree)
	// New positions of the original columns.
	newPos := make([]int, width)
	pos := 0
	for _, li := range order {
		w := len(leaves[li].Schema())
		for k := 0; k < w; k++ {
			newPos[offsets[li]+k] = pos + k
		}
		pos += w
	}
	for pi, p := range preds {
		if g.predSets[pi] == 0 {
			// Predicates on no leaf at all (constants).
			cur = &logical.Filter{Input: cur, Cond: expr.Remap(p, func(i int) int { return newPos[i] })}
		}
	}
	s := cur.Schema()
	proj := &logical.Project{Input: cur}
	for i := 0; i < width; i++ {
		c := s[newPos[i]]
		proj.Exprs = append(proj.Exprs, &expr.ColRef{Idx: newPos[i], T: c.T, Name: c.Name})
		proj.Out = append(proj.Out, c)
	}
	return proj, nil
}

// maxDPLeaves bounds exhaustive join enumeration (3^n splits).
const maxDPLeaves = 10

// joinGraph is a flattened cluster of inner joins: its inputs (leaves) and
// the predicates between them, over the cluster's original column space.
type joinGraph struct {
	leaves   []logical.Node
	offsets  []int
	preds    []expr.Expr
	predSets []uint64 // leaves each predicate reads
	sel      []float64
	est      []float64
	leafOf   func(int) int
	cards    map[uint64]float64
}

// jtree is a join tree over leaf sets.
type jtree struct {
	leaf        int // -1 for a join
	left, right *jtree
	set         uint64
	card, cost  float64
	cross       bool // contains a join with no predicate
}

// better prefers trees without cross products, then the cheaper one: a
// cross product is only right when estimates are, and they are guesses.
func (t *jtree) better(o *jtree) bool {
	if o == nil {
		return true
	}
	if t.cross != o.cross {
		return !t.cross
	}
	return t.cost < o.cost
}

// predSelectivity: an equality between columns of two inputs keeps
// 1/max(ndv) of the pairs; anything else a fixed guess.
func (g *joinGraph) predSelectivity(p expr.Expr) float64 {
	call, ok := p.(*expr.Call)
	if !ok || call.Fn != "=" {
		return selectivity(p)
	}
	d := 1.0
	for _, a := range call.Args {
		c := colOf(a)
		if c == nil {
			return selectivity(p)
		}
		l := g.leafOf(c.Idx)
		d = max(d, ndv(g.leaves[l], c.Idx-g.offsets[l]))
	}
	return 1 / d
}

func isEquality(e expr.Expr) bool {
	c, ok := e.(*expr.Call)
	return ok && c.Fn == "="
}

func colOf(e expr.Expr) *expr.ColRef {
	switch x := e.(type) {
	case *expr.ColRef:
		return x
	case *expr.Cast:
		return colOf(x.Arg)
	}
	return nil
}

// card estimates the rows of joining the leaves in set.
func (g *joinGraph) card(set uint64) float64 {
	if c, ok := g.cards[set]; ok {
		return c
	}
	c := 1.0
	for i := range g.leaves {
		if set&(1<<i) != 0 {
			c *= g.est[i]
		}
	}
	// Several equalities between the same two inputs are usually one
	// composite key (partsupp's), not independent filters: count the most
	// selective one only.
	pairSel := map[uint64]float64{}
	for pi, ps := range g.predSets {
		if ps == 0 || ps&set != ps || ps&(ps-1) == 0 {
			continue
		}
		if isEquality(g.preds[pi]) && bits.OnesCount64(ps) == 2 {
			if cur, ok := pairSel[ps]; !ok || g.sel[pi] < cur {
				pairSel[ps] = g.sel[pi]
			}
			continue
		}
		c *= g.sel[pi]
	}
	for _, sel := range pairSel {
		c *= sel
	}
	c = max(c, 1)
	if g.cards == nil {
		g.cards = map[uint64]float64{}
	}
	g.cards[set] = c
	return c
}

func (g *joinGraph) leafTree(i int) *jtree {
	return &jtree{leaf: i, set: 1 << i, card: g.est[i]}
}

// join makes a join of a and b, the larger input on the probe (left) side.
func (g *joinGraph) join(a, b *jtree) *jtree {
	if b.card > a.card {
		a, b = b, a
	}
	set := a.set | b.set
	card := g.card(set)
	// C_out plus the cost of building the hash table on the smaller side.
	return &jtree{leaf: -1, left: a, right: b, set: set, card: card, cost: a.cost + b.cost + card + b.card,
		cross: a.cross || b.cross || !g.connects(a.set, b.set)}
}

func (g *joinGraph) connects(a, b uint64) bool {
	for _, ps := range g.predSets {
		if ps&a != 0 && ps&b != 0 && ps&^(a|b) == 0 {
			return true
		}
	}
	return false
}

// dp finds the cheapest bushy join tree by enumerating every split of every
// subset of leaves, preferring splits joined by a predicate.
func (g *joinGraph) dp() *jtree {
	n := len(g.leaves)
	full := uint64(1)<<n - 1
	best := make([]*jtree, full+1)
	for i := 0; i < n; i++ {
		best[1<<i] = g.leafTree(i)
	}
	for set := uint64(1); set <= full; set++ {
		if set&(set-1) == 0 {
			continue
		}
		for a := (set - 1) & set; a > 0; a = (a - 1) & set {
			b := set ^ a
			if a < b || best[a] == nil || best[b] == nil {
				continue
			}
			if t := g.join(best[a], best[b]); t.better(best[set]) {
				best[set] = t
			}
		}
	}
	return best[full]
}

// greedy builds a left-deep tree for clusters too large for dp: it starts
// from the largest input and adds the input that keeps the result smallest,
// preferring connected ones.
func (g *joinGraph) greedy() *jtree {
	start := 0
	for i := range g.leaves {
		if g.est[i] > g.est[start] {
			start = i
		}
	}
	cur := g.leafTree(start)
	for cur.set != uint64(1)<<len(g.leaves)-1 {
		var best *jtree
		bestConnected := false
		for i := range g.leaves {
			if cur.set&(1<<i) != 0 {
				continue
			}
			t := g.join(cur, g.leafTree(i))
			c := g.connects(cur.set, 1<<i)
			if best == nil || (c && !bestConnected) || (c == bestConnected && t.card < best.card) {
				best, bestConnected = t, c
			}
		}
		cur = best
	}
	return cur
}

// build turns a join tree into plan nodes; order lists the leaves in output
// column order.
func (g *joinGraph) build(t *jtree) (logical.Node, []int) {
	if t.leaf >= 0 {
		n := g.leaves[t.leaf]
		var own []expr.Expr
		for pi, ps := range g.predSets {
			if ps == 1<<t.leaf {
				off := g.offsets[t.leaf]
				own = append(own, expr.Remap(g.preds[pi], func(i int) int { return i - off }))
			}
		}
		if len(own) > 0 {
			n = &logical.Filter{Input: n, Cond: expr.And(own...)}
		}
		return n, []int{t.leaf}
	}
	l, lo := g.build(t.left)
	r, ro := g.build(t.right)
	order := append(append([]int(nil), lo...), ro...)
	pos := map[int]int{}
	p := 0
	for _, li := range order {
		pos[li] = p
		p += len(g.leaves[li].Schema())
	}
	var conds []expr.Expr
	for pi, ps := range g.predSets {
		if ps == 0 || ps&t.set != ps || ps&t.left.set == ps || ps&t.right.set == ps {
			continue
		}
		conds = append(conds, expr.Remap(g.preds[pi], func(i int) int {
			li := g.leafOf(i)
			return pos[li] + i - g.offsets[li]
		}))
	}
	kind := logical.Inner
	if len(conds) == 0 {
		kind = logical.Cross
	}
	return &logical.Join{Left: l, Right: r, Kind: kind, Cond: expr.And(conds...)}, order
}

// ndv estimates the distinct values of column col of n: integer and date
// columns are bounded by their min..max range from Parquet statistics, and
// everything by the row count.
func ndv(n logical.Node, col int) float64 {
	rows := Estimate(n)
	switch x := n.(type) {
	case *logical.Scan:
		tc := x.Cols[col]
		t := x.Table.Columns[tc].Type
		if !t.IsInteger() && t.Kind != types.Date {
			return rows
		}
		st := x.Table.ColumnStats(tc)
		if !st.HasMinMax {
			return rows
		}
		lo, ok1 := asInt(st.Min)
		hi, ok2 := asInt(st.Max)
		if !ok1 || !ok2 {
			return rows
		}
		return min(float64(hi-lo+1), float64(x.Table.RowCount()))
	case *logical.Filter:
		return min(ndv(x.Input, col), rows)
	case *logical.Project:
		if c, ok := x.Exprs[col].(*expr.ColRef); ok {
			return min(ndv(x.Input, c.Idx), rows)
		}
	case *logical.Join:
		lw := len(x.Left.Schema())
		if col < lw {
			return min(ndv(x.Left, col), rows)
		}
		return min(ndv(x.Right, col-lw), rows)
	case *logical.Aggregate:
		if col < len(x.Groups) {
			if c, ok := x.Groups[col].(*expr.ColRef); ok {
				return min(ndv(x.Input, c.Idx), rows)
			}
		}
	case *logical.CTEScan:
		return ndv(x.CTE.Plan, col)
	case *logical.Sort:
		return ndv(x.Input, col)
	case *logical.Limit:
		return min(ndv(x.Input, col), rows)
	}
	return rows
}

// joinSelectivity is the fraction of pairs a join's condition keeps: each
// column equality keeps 1/max(ndv) of them.
func joinSelectivity(j *logical.Join) float64 {
	lw := len(j.Left.Schema())
	sel, eqSel := 1.0, 1.0
	for _, c := range expr.Conjuncts(j.Cond) {
		call, ok := c.(*expr.Call)
		if !ok || call.Fn != "=" {
			sel *= selectivity(c)
			continue
		}
		a, b := colOf(call.Args[0]), colOf(call.Args[1])
		if a == nil || b == nil {
			sel *= selectivity(c)
			continue
		}
		if a.Idx > b.Idx {
			a, b = b, a
		}
		if a.Idx >= lw || b.Idx < lw {
			sel *= selectivity(c)
			continue
		}
		// As in joinGraph.card: the most selective equality only.
		eqSel = min(eqSel, 1/max(1, ndv(j.Left, a.Idx), ndv(j.Right, b.Idx-lw)))
	}
	return sel * eqSel
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	}
	return 0, false
}

// Estimate guesses a node's output rows from Parquet row counts and fixed
// selectivities; it only needs to rank inputs, not be exact.
func Estimate(n logical.Node) float64 {
	switch x := n.(type) {
	case *logical.Scan:
		r := float64(x.Table.RowCount())
		for _, f := range x.Filters {
			r *= selectivity(f)
		}
		return max(r, 1)
	case *logical.Filter:
		r := Estimate(x.Input)
		for _, c := range expr.Conjuncts(x.Cond) {
			r *= selectivity(c)
		}
		return max(r, 1)
	case *logical.Join:
		l, r := Estimate(x.Left), Estimate(x.Right)
		switch x.Kind {
		case logical.Semi, logical.Anti, logical.AntiNullAware:
			return l * 0.5
		case logical.Cross:
			return l * r
		}
		out := l * r * joinSelectivity(x)
		switch x.Kind {
		case logical.Left:
			out = max(out, l)
		case logical.Right:
			out = max(out, r)
		case logical.Full:
			out = max(out, l+r)
		}
		return max(out, 1)
	case *logical.Aggregate:
		if len(x.Groups) == 0 {
			return 1
		}
		return max(Estimate(x.Input)*0.1, 1)
	case *logical.Limit:
		if x.Count >= 0 {
			return min(float64(x.Count), Estimate(x.Input))
		}
	case *logical.Values:
		return float64(len(x.Rows))
	case *logical.EnforceSingleRow:
		return 1
	case *logical.Remote:
		return max(x.Rows, 1)
	case *logical.CTEScan:
		return Estimate(x.CTE.Plan)
	case *logical.Union:
		s := 0.0
		for _, in := range x.Inputs {
			s += Estimate(in)
		}
		return s
	}
	ch := n.Children()
	if len(ch) == 1 {
		return Estimate(ch[0])
	}
	return 1000
}

func selectivity(e expr.Expr) float64 {
	switch x := e.(type) {
	case *expr.Call:
		switch x.Fn {
		case "=":
			return 0.1
		case "<", "<=", ">", ">=":
			return 0.4
		case "and":
			return selectivity(x.Args[0]) * selectivity(x.Args[1])
		case "or":
			return min(1, selectivity(x.Args[0])+selectivity(x.Args[1]))
		case "like":
			return 0.1
		case "<>", "not like":
			return 0.9
		}
	case *expr.InList:
		return min(1, 0.1*float64(len(x.List)))
	}
	return 0.5
}
