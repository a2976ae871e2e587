package optimize

import (
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/expr"
)

// PruneColumns removes columns nobody reads: scans read only the Parquet
// columns the query needs, projections and aggregates drop unused outputs.
func PruneColumns(n logical.Node) (logical.Node, error) {
	return pruner{}.run(n)
}

// PruneForExchange prunes like PruneColumns and also drops, right above
// each scan, the columns only its filters read: on one node they cost
// nothing, but a distributed plan would ship them between nodes (TPC-H
// Q13's o_comment).
func PruneForExchange(n logical.Node) (logical.Node, error) {
	return pruner{filterOnly: true}.run(n)
}

type pruner struct {
	filterOnly bool // project away columns only scan filters read
}

func (p pruner) run(n logical.Node) (logical.Node, error) {
	all := make([]bool, len(n.Schema()))
	for i := range all {
		all[i] = true
	}
	out, m := p.prune(n, all)
	// The root keeps its full output; restore it if pruning reordered.
	if len(out.Schema()) == len(all) {
		identity := true
		for i, v := range m {
			if v != i {
				identity = false
			}
		}
		if identity {
			return out, nil
		}
	}
	s := out.Schema()
	proj := &logical.Project{Input: out}
	for i := range all {
		proj.Exprs = append(proj.Exprs, &expr.ColRef{Idx: m[i], T: s[m[i]].T, Name: s[m[i]].Name})
		proj.Out = append(proj.Out, s[m[i]])
	}
	return proj, nil
}

func addCols(req []bool, e expr.Expr) {
	for c := range expr.Columns(e) {
		req[c] = true
	}
}

func identityMap(n int) []int {
	m := make([]int, n)
	for i := range m {
		m[i] = i
	}
	return m
}

func allTrue(n int) []bool {
	r := make([]bool, n)
	for i := range r {
		r[i] = true
	}
	return r
}

// prune returns a node producing at least the required columns of n, and
// for each of n's columns its position in the new node's output (-1 when
// dropped).
func (p pruner) prune(n logical.Node, req []bool) (logical.Node, []int) {
	remap := func(m []int) func(int) int { return func(i int) int { return m[i] } }
	switch x := n.(type) {
	case *logical.Scan:
		need := append([]bool(nil), req...)
		for _, f := range x.Filters {
			addCols(need, f)
		}
		c := &logical.Scan{Table: x.Table, Alias: x.Alias}
		m := make([]int, len(x.Cols))
		for i := range x.Cols {
			m[i] = -1
			if need[i] {
				m[i] = len(c.Cols)
				c.Cols = append(c.Cols, x.Cols[i])
				c.Out = append(c.Out, x.Out[i])
			}
		}
		for _, f := range x.Filters {
			c.Filters = append(c.Filters, expr.Remap(f, remap(m)))
		}
		if p.filterOnly && len(c.Cols) > 0 {
			// Keep only what the plan above reads.
			proj := &logical.Project{Input: c}
			pm := make([]int, len(x.Cols))
			for i := range x.Cols {
				pm[i] = -1
				if m[i] >= 0 && req[i] {
					pm[i] = len(proj.Exprs)
					proj.Exprs = append(proj.Exprs, &expr.ColRef{Idx: m[i], T: c.Out[m[i]].T, Name: c.Out[m[i]].Name})
					proj.Out = append(proj.Out, c.Out[m[i]])
				}
			}
			if len(proj.Exprs) > 0 && len(proj.Exprs) < len(c.Cols) {
				return proj, pm
			}
		}
		return c, m
	case *logical.Filter:
		need := append([]bool(nil), req...)
		addCols(need, x.Cond)
		in, m := p.prune(x.Input, need)
		return &logical.Filter{Input: in, Cond: expr.Remap(x.Cond, remap(m))}, m
	case *logical.ProjectSet:
		// Pass-through columns nobody reads are dropped below; every
		// function stays (each one decides how many rows come out).
		nIn := len(x.Input.Schema())
		need := append([]bool(nil), req[:nIn]...)
		for _, f := range x.Funcs {
			for _, a := range f.Args {
				addCols(need, a)
			}
		}
		in, m := p.prune(x.Input, need)
		c := &logical.ProjectSet{Input: in, Out: append(logical.Schema(nil), in.Schema()...)}
		out := make([]int, len(x.Out))
		copy(out, m)
		pos := nIn
		for _, f := range x.Funcs {
			nf := logical.SetFunc{Name: f.Name, T: f.T, Ordinality: f.Ordinality}
			for _, a := range f.Args {
				nf.Args = append(nf.Args, expr.Remap(a, remap(m)))
			}
			c.Funcs = append(c.Funcs, nf)
			n := 1
			if f.Ordinality {
				n = 2
			}
			for ; n > 0; n-- {
				out[pos] = len(c.Out)
				c.Out = append(c.Out, x.Out[pos])
				pos++
			}
		}
		return c, out
	case *logical.Project:
		need := make([]bool, len(x.Input.Schema()))
		for i, e := range x.Exprs {
			if req[i] {
				addCols(need, e)
			}
		}
		in, m := p.prune(x.Input, need)
		p := &logical.Project{Input: in}
		out := make([]int, len(x.Exprs))
		for i, e := range x.Exprs {
			out[i] = -1
			if req[i] {
				out[i] = len(p.Exprs)
				p.Exprs = append(p.Exprs, expr.Remap(e, remap(m)))
				p.Out = append(p.Out, x.Out[i])
			}
		}
		return p, out
	case *logical.Aggregate:
		need := make([]bool, len(x.Input.Schema()))
		for _, g := range x.Groups {
			addCols(need, g)
		}
		ng := len(x.Groups)
		var aggs []*expr.AggCall
		out := make([]int, len(x.Out))
		for i := 0; i < ng; i++ {
			out[i] = i
		}
		for i, a := range x.Aggs {
			out[ng+i] = -1
			if !req[ng+i] {
				continue
			}
			for _, arg := range a.Args {
				addCols(need, arg)
			}
			if a.Filter != nil {
				addCols(need, a.Filter)
			}
			for _, o := range a.Order {
				addCols(need, o.E)
			}
			out[ng+i] = ng + len(aggs)
			aggs = append(aggs, a)
		}
		in, m := p.prune(x.Input, need)
		c := &logical.Aggregate{Input: in}
		for _, g := range x.Groups {
			c.Groups = append(c.Groups, expr.Remap(g, remap(m)))
		}
		c.Out = append(c.Out, x.Out[:ng]...)
		for i, a := range aggs {
			ac := *a
			ac.Args = nil
			for _, arg := range a.Args {
				ac.Args = append(ac.Args, expr.Remap(arg, remap(m)))
			}
			if a.Filter != nil {
				ac.Filter = expr.Remap(a.Filter, remap(m))
			}
			ac.Order = nil
			for _, o := range a.Order {
				ac.Order = append(ac.Order, expr.AggOrder{E: expr.Remap(o.E, remap(m)), Desc: o.Desc, NullsFirst: o.NullsFirst})
			}
			c.Aggs = append(c.Aggs, &ac)
			_ = i
		}
		for i, a := range x.Aggs {
			if out[ng+i] >= 0 {
				c.Out = append(c.Out, x.Out[ng+i])
				_ = a
			}
		}
		return c, out
	case *logical.Join:
		lw := len(x.Left.Schema())
		rw := len(x.Right.Schema())
		lreq := make([]bool, lw)
		rreq := make([]bool, rw)
		copy(lreq, req[:lw])
		semi := x.Kind == logical.Semi || x.Kind == logical.Anti || x.Kind == logical.AntiNullAware
		if !semi {
			copy(rreq, req[lw:])
		}
		if x.Cond != nil {
			for c := range expr.Columns(x.Cond) {
				if c < lw {
					lreq[c] = true
				} else {
					rreq[c-lw] = true
				}
			}
		}
		l, lm := p.prune(x.Left, lreq)
		r, rm := p.prune(x.Right, rreq)
		nlw := len(l.Schema())
		full := append(append([]int(nil), lm...), make([]int, rw)...)
		for i, v := range rm {
			full[lw+i] = -1
			if v >= 0 {
				full[lw+i] = nlw + v
			}
		}
		c := &logical.Join{Left: l, Right: r, Kind: x.Kind}
		if x.Cond != nil {
			c.Cond = expr.Remap(x.Cond, remap(full))
		}
		if semi {
			return c, lm
		}
		return c, full
	case *logical.Sort:
		need := append([]bool(nil), req...)
		for _, k := range x.Keys {
			addCols(need, k.E)
		}
		in, m := p.prune(x.Input, need)
		c := &logical.Sort{Input: in}
		for _, k := range x.Keys {
			c.Keys = append(c.Keys, logical.SortKey{E: expr.Remap(k.E, remap(m)), Desc: k.Desc, NullsFirst: k.NullsFirst})
		}
		return c, m
	case *logical.Limit:
		in, m := p.prune(x.Input, req)
		c := *x
		c.Input = in
		return &c, m
	case *logical.EnforceSingleRow:
		in, m := p.prune(x.Input, req)
		return &logical.EnforceSingleRow{Input: in}, m
	case *logical.Union:
		c := *x
		c.Inputs = make([]logical.Node, len(x.Inputs))
		for i, in := range x.Inputs {
			p, m := p.prune(in, allTrue(len(in.Schema())))
			c.Inputs[i] = restore(p, m)
		}
		return &c, identityMap(len(x.Out))
	}
	// Values and anything else: keep everything, prune below with all columns.
	out, _ := mapChildren(n, func(ch logical.Node) (logical.Node, error) {
		p, m := p.prune(ch, allTrue(len(ch.Schema())))
		return restore(p, m), nil
	})
	return out, identityMap(len(n.Schema()))
}

// restore projects a pruned node back to its original column layout when
// pruning moved columns.
func restore(n logical.Node, m []int) logical.Node {
	same := len(n.Schema()) == len(m)
	for i, v := range m {
		if v != i {
			same = false
		}
	}
	if same {
		return n
	}
	s := n.Schema()
	p := &logical.Project{Input: n}
	for _, v := range m {
		p.Exprs = append(p.Exprs, &expr.ColRef{Idx: v, T: s[v].T, Name: s[v].Name})
		p.Out = append(p.Out, s[v])
	}
	return p
}
