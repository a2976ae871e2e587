package optimize

import (
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
	// Greedy order: start from the largest input (it streams through every
	// hash join as the probe side) and add, each step, the connected input
	// that keeps the intermediate result smallest.
	order := []int{}
	used := make([]bool, len(leaves))
	start := 0
	for i := range leaves {
		if est[i] > est[start] {
			start = i
		}
	}
	order = append(order, start)
	used[start] = true
	curRows := est[start]
	for len(order) < len(leaves) {
		best, bestOut := -1, 0.0
		for i := range leaves {
			if used[i] || !connected(i, used, predLeaves) {
				continue
			}
			out := joinEstimate(curRows, est[i], i, used, preds, predLeaves, leaves, offsets, leafOf)
			if best < 0 || out < bestOut || (out == bestOut && est[i] < est[best]) {
				best, bestOut = i, out
			}
		}
		if best < 0 {
			for i := range leaves {
				if !used[i] && (best < 0 || est[i] < est[best]) {
					best = i
				}
			}
			bestOut = curRows * est[best]
		}
		order = append(order, best)
		used[best] = true
		curRows = max(bestOut, 1)
	}
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
	placed := make([]bool, len(preds))
	in := map[int]bool{order[0]: true}
	var cur logical.Node = leaves[order[0]]
	for _, li := range order[1:] {
		in[li] = true
		var conds []expr.Expr
		for pi, p := range preds {
			if placed[pi] {
				continue
			}
			all := true
			for l := range predLeaves[pi] {
				if !in[l] {
					all = false
				}
			}
			if all {
				placed[pi] = true
				conds = append(conds, expr.Remap(p, func(i int) int { return newPos[i] }))
			}
		}
		kind := logical.Inner
		if len(conds) == 0 {
			kind = logical.Cross
		}
		cur = &logical.Join{Left: cur, Right: leaves[li], Kind: kind, Cond: expr.And(conds...)}
	}
	for pi, p := range preds {
		if !placed[pi] {
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

// joinEstimate is |cur ⋈ leaf i| = |cur|·|i| / ndv of the most selective
// equality between them, with distinct counts from Parquet statistics.
func joinEstimate(cur, rows float64, i int, used []bool, preds []expr.Expr, predLeaves []map[int]bool, leaves []logical.Node, offsets []int, leafOf func(int) int) float64 {
	best := 1.0
	for pi, p := range preds {
		if !predLeaves[pi][i] || len(predLeaves[pi]) != 2 {
			continue
		}
		call, ok := p.(*expr.Call)
		if !ok || call.Fn != "=" {
			continue
		}
		d := 1.0
		for _, a := range call.Args {
			c, ok := a.(*expr.ColRef)
			if !ok {
				if cast, isCast := a.(*expr.Cast); isCast {
					c, ok = cast.Arg.(*expr.ColRef)
				}
			}
			if !ok {
				continue
			}
			l := leafOf(c.Idx)
			if l != i && !used[l] {
				d = 0
				break
			}
			d = max(d, ndv(leaves[l], c.Idx-offsets[l]))
		}
		best = max(best, d)
	}
	return cur * rows / best
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
	}
	return rows
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

func connected(i int, used []bool, predLeaves []map[int]bool) bool {
	for _, pl := range predLeaves {
		if !pl[i] || len(pl) < 2 {
			continue
		}
		for l := range pl {
			if l != i && used[l] {
				return true
			}
		}
	}
	return false
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
		return max(l, r)
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
