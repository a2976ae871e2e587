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
		// Inside an open part a join's other side is a broadcast or
		// a co-located side: its columns keep their values.
		lw := len(x.Left.Schema())
		if idx < lw {
			return traceCol(x.Left, idx)
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
// sets; the merged set must cut into at least one bucket per node.
func (f *fragmenter) colocate(l, r part, lk, rk []int) (*Colocated, []*Colocated, bool) {
	if len(lk) == 0 || l.keys != nil || r.keys != nil || !l.spread || !r.spread {
		return nil, nil, false
	}
	ls, lc, ok1 := traceCol(l.node, lk[0])
	rs, rc, ok2 := traceCol(r.node, rk[0])
	if !ok1 || !ok2 || ls == rs {
		return nil, nil, false
	}
	set := &Colocated{}
	var rest []*Colocated
	for _, side := range []struct {
		p    part
		scan *logical.Scan
		col  int
	}{{l, ls, lc}, {r, rs, rc}} {
		var in *Colocated
		for _, c := range side.p.colos {
			if c.member(side.scan, side.col) {
				in = c
			} else {
				rest = append(rest, c)
			}
		}
		switch {
		case in != nil:
			set.Members = append(set.Members, in.Members...)
		case !inSet(side.p.colos, side.scan) && scanCount(side.p.node) == 1:
			set.Members = append(set.Members, Member{side.scan, side.col})
		default:
			return nil, nil, false
		}
	}
	buckets, ok := set.Buckets()
	if !ok || len(buckets) < max(f.opt.Nodes, 2) {
		return nil, nil, false
	}
	// One bucket holding most of the bytes would put most of the join on
	// one node: not worth it.
	var total, largest int64
	for _, b := range buckets {
		total += b.Bytes
		largest = max(largest, b.Bytes)
	}
	if float64(largest) > 1.5*float64(total)/float64(max(f.opt.Nodes, 2)) {
		return nil, nil, false
	}
	return set, rest, true
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
