package benchmarks

// E, S, A and R shorten the column rules in the table below.
const (
	E = Exact
	S = Sum
	A = Avg
	R = Ratio
)

func asc(cols ...int) []OrderKey {
	out := make([]OrderKey, len(cols))
	for i, c := range cols {
		out[i] = OrderKey{Col: c}
	}
	return out
}

// TPCHSpecs holds the comparison rule of each output column of TPC-H query
// n at index n-1, and its ORDER BY keys, read off the query texts in
// storage/tpchgen/queries.
var TPCHSpecs = [22]Spec{
	// Q1: flag, status, 4 sums, 3 averages, count.
	{Kinds: []Kind{E, E, S, S, S, S, A, A, A, E}, Order: asc(0, 1)},
	// Q2: s_acctbal desc, n_name, s_name, p_partkey.
	{Kinds: []Kind{E, E, E, E, E, E, E, E}, Order: []OrderKey{{0, true}, {2, false}, {1, false}, {3, false}}},
	// Q3: revenue desc, o_orderdate.
	{Kinds: []Kind{E, S, E, E}, Order: []OrderKey{{1, true}, {2, false}}},
	// Q4
	{Kinds: []Kind{E, E}, Order: asc(0)},
	// Q5: revenue desc.
	{Kinds: []Kind{E, S}, Order: []OrderKey{{1, true}}},
	// Q6
	{Kinds: []Kind{S}},
	// Q7
	{Kinds: []Kind{E, E, E, S}, Order: asc(0, 1, 2)},
	// Q8: mkt_share is a ratio.
	{Kinds: []Kind{E, R}, Order: asc(0)},
	// Q9: nation, o_year desc.
	{Kinds: []Kind{E, E, S}, Order: []OrderKey{{0, false}, {1, true}}},
	// Q10: revenue desc.
	{Kinds: []Kind{E, E, S, E, E, E, E, E}, Order: []OrderKey{{2, true}}},
	// Q11: value desc.
	{Kinds: []Kind{E, S}, Order: []OrderKey{{1, true}}},
	// Q12: the line counts are sums of 0/1, which a SUM rule allows to drift
	// by 100; they are exact in any engine that adds integers correctly.
	{Kinds: []Kind{E, E, E}, Order: asc(0)},
	// Q13: custdist desc, c_count desc.
	{Kinds: []Kind{E, E}, Order: []OrderKey{{1, true}, {0, true}}},
	// Q14
	{Kinds: []Kind{R}},
	// Q15
	{Kinds: []Kind{E, E, E, E, S}, Order: asc(0)},
	// Q16: supplier_cnt desc, p_brand, p_type, p_size.
	{Kinds: []Kind{E, E, E, E}, Order: []OrderKey{{3, true}, {0, false}, {1, false}, {2, false}}},
	// Q17: sum(...) / 7.0.
	{Kinds: []Kind{S}},
	// Q18: o_totalprice desc, o_orderdate.
	{Kinds: []Kind{E, E, E, E, E, S}, Order: []OrderKey{{4, true}, {3, false}}},
	// Q19
	{Kinds: []Kind{S}},
	// Q20
	{Kinds: []Kind{E, E}, Order: asc(0)},
	// Q21: numwait desc, s_name.
	{Kinds: []Kind{E, E}, Order: []OrderKey{{1, true}, {0, false}}},
	// Q22
	{Kinds: []Kind{E, E, S}, Order: asc(0)},
}
