package distribute

import (
	"sort"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/planner/physical"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/storage"
)

// Co-located joins. Tables written in key order (TPC-H's orders and
// lineitem by order key, any fact table sorted on its id) have row groups
// whose key ranges barely overlap. Grouping the splits of both sides of an
// equi-join into buckets of overlapping key ranges (from the row groups'
// min/max statistics) puts every pair of matching rows in one bucket;
// giving each task whole buckets of both tables, the join runs where the
// rows are read and nothing is exchanged.

// Member is a scan of a co-located set and the table column (an index
// into its table's columns) the set's buckets are cut on.
type Member struct {
	Scan *logical.Scan
	Col  int
}

// Colocated is a set of scans whose splits are dealt to tasks in buckets
// of overlapping key ranges, so that equal keys of every member are read
// by the same task.
type Colocated struct {
	Members []Member
}

// Bucket is splits of a Colocated set's members whose key ranges overlap
// (a connected run of ranges), with their bytes.
type Bucket struct {
	Splits map[*logical.Scan][]storage.SplitID
	Bytes  int64
}

// Buckets cuts the set's splits into buckets. ok is false when some
// split's key range is unknown. Splits holding only NULL keys match no
// key: each forms a bucket of its own.
func (c *Colocated) Buckets() (out []Bucket, ok bool) {
	type span struct {
		scan  *logical.Scan
		split storage.Split
		r     storage.KeyRange
	}
	var spans []span
	for _, m := range c.Members {
		for _, s := range physical.Splits(m.Scan) {
			r, ok := m.Scan.Table.SplitKeyRange(s, m.Col)
			if !ok {
				return nil, false
			}
			if r.AllNull {
				out = append(out, Bucket{Splits: map[*logical.Scan][]storage.SplitID{m.Scan: {s.ID()}}, Bytes: s.Bytes})
				continue
			}
			spans = append(spans, span{m.Scan, s, r})
		}
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].r.Min < spans[j].r.Min })
	var cur *Bucket
	var hi int64
	for _, sp := range spans {
		if cur == nil || sp.r.Min > hi {
			out = append(out, Bucket{Splits: map[*logical.Scan][]storage.SplitID{}})
			cur = &out[len(out)-1]
			hi = sp.r.Max
		}
		cur.Splits[sp.scan] = append(cur.Splits[sp.scan], sp.split.ID())
		cur.Bytes += sp.split.Bytes
		hi = max(hi, sp.r.Max)
	}
	return out, true
}

// member finds the member whose scan column col is.
func (c *Colocated) member(s *logical.Scan, col int) bool {
	for _, m := range c.Members {
		if m.Scan == s && m.Col == col {
			return true
		}
	}
	return false
}

// traceCol follows output column idx of a part's plan down to the scan
// column it passes through unchanged: the scan and the table column. It
// stops at anything that computes or reorders rows across tasks.
func traceCol(n logical.Node, idx int) (*logical.Scan, int, bool) {
	switch x := n.(type) {
	case *logical.Scan:
		if x.Table.InMemory() || idx < 0 || idx >= len(x.Cols) {
			return nil, 0, false
		}
		return x, x.Cols[idx], true
	case *logical.Filter:
		return traceCol(x.Input, idx)
	case *logical.ProjectSet:
		if idx < len(x.Input.Schema()) {
			return traceCol(x.Input, idx)
		}
	case *logical.Project:
		if c, ok := x.Exprs[idx].(*expr.ColRef); ok {
			return traceCol(x.Input, c.Idx)
		}
	case *logical.Join:
		// Inside an open part a join's other side is a broadcast or a
		// co-located side. A side the join NULL-extends does not keep
		// its values (NULL is a group of its own for an aggregate).
		lw := len(x.Left.Schema())
		if idx < lw {
			if x.Kind != logical.Right && x.Kind != logical.Full {
				return traceCol(x.Left, idx)
			}
			return nil, 0, false
		}
		switch x.Kind {
		case logical.Inner, logical.Cross:
			return traceCol(x.Right, idx-lw)
		}
	}
	return nil, 0, false
}

// colocate tries to join l and r where their rows are read: each side's
// first join key must come unchanged from a scan column, of a scan that is
// either alone in its part or a member of one of the part's co-located
// sets on that column. It returns the merged set and the parts' other
// sets.
func (f *fragmenter) colocate(l, r part, lk, rk []int) (*Colocated, []*Colocated, bool) {
	if len(lk) == 0 || l.keys != nil || r.keys != nil || !l.spread || !r.spread {
		return nil, nil, false
	}
	ls, lc, ok1 := traceCol(l.node, lk[0])
	rs, rc, ok2 := traceCol(r.node, rk[0])
	if !ok1 || !ok2 || ls == rs {
		return nil, nil, false
	}
	lm, lrest, ok1 := memberOf(l, ls, lc)
	rm, rrest, ok2 := memberOf(r, rs, rc)
	if !ok1 || !ok2 {
		return nil, nil, false
	}
	set := &Colocated{Members: append(append([]Member(nil), lm...), rm...)}
	if !f.balanced(set) {
		return nil, nil, false
	}
	return set, append(lrest, rrest...), true
}

// colocateGroups tries to aggregate a part where its rows are read: a
// group column that comes unchanged from a scan column whose splits are
// (or can be) dealt in key-range buckets keeps every group in one task.
func (f *fragmenter) colocateGroups(in part, groups []expr.Expr) (*Colocated, []*Colocated, bool) {
	if in.keys != nil || !in.spread {
		return nil, nil, false
	}
	for _, g := range groups {
		c, ok := g.(*expr.ColRef)
		if !ok {
			continue
		}
		scan, col, ok := traceCol(in.node, c.Idx)
		if !ok {
			continue
		}
		members, rest, ok := memberOf(in, scan, col)
		if !ok || mayHaveNull(scan, col) {
			// NULL is a group of its own, and NULLs lie in any split.
			continue
		}
		set := &Colocated{Members: members}
		if f.balanced(set) {
			return set, rest, true
		}
	}
	return nil, nil, false
}

// mayHaveNull reports whether any split of scan may hold a NULL in col.
func mayHaveNull(scan *logical.Scan, col int) bool {
	for _, s := range physical.Splits(scan) {
		if r, ok := scan.Table.SplitKeyRange(s, col); !ok || r.MayHaveNull {
			return true
		}
	}
	return false
}

// memberOf gives the members of the co-located set of p that scan's col
// belongs to (or scan alone, when it is the part's only scan and in no
// set) and p's other sets.
func memberOf(p part, scan *logical.Scan, col int) ([]Member, []*Colocated, bool) {
	var in *Colocated
	var rest []*Colocated
	for _, c := range p.colos {
		if c.member(scan, col) {
			in = c
		} else {
			rest = append(rest, c)
		}
	}
	switch {
	case in != nil:
		return in.Members, rest, true
	case !inSet(p.colos, scan) && scanCount(p.node) == 1:
		return []Member{{scan, col}}, rest, true
	}
	return nil, nil, false
}

// balanced reports whether set cuts into at least one bucket per node with
// no bucket holding much more than a node's share of the bytes (that
// would put most of the work on one node).
func (f *fragmenter) balanced(set *Colocated) bool {
	n := max(f.opt.Nodes, 2)
	buckets, ok := set.Buckets()
	if !ok || len(buckets) < n {
		return false
	}
	var total, largest int64
	for _, b := range buckets {
		total += b.Bytes
		largest = max(largest, b.Bytes)
	}
	return float64(largest) <= 1.5*float64(total)/float64(n)
}

// inSet reports whether scan belongs to one of sets.
func inSet(sets []*Colocated, scan *logical.Scan) bool {
	for _, c := range sets {
		for _, m := range c.Members {
			if m.Scan == scan {
				return true
			}
		}
	}
	return false
}

// scanCount counts the table scans of an open part's plan.
func scanCount(n logical.Node) int {
	c := 0
	logical.Walk(n, func(n logical.Node) {
		if _, ok := n.(*logical.Scan); ok {
			c++
		}
	})
	return c
}
