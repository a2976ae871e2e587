package benchmarks

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
)

// Kind says how a result column is compared, following TPC-H's answer rules
// (specification 2.1.3.5), with the reference engine's value v standing in
// for the validation output.
type Kind uint8

const (
	// Auto is for columns no rule names: text exactly, integers exactly,
	// other numbers within a relative 1e-9 (plain float noise).
	Auto Kind = iota
	// Exact is for singleton column values and COUNT results: they must
	// match exactly (numbers by value, so 17 equals 17.00).
	Exact
	// Sum is for SUM results: within $100 of v.
	Sum
	// Avg is for AVG results: rounded to 1/100, within 1% of v.
	Avg
	// Ratio is for ratios: rounded to 1/100, within 1% of v.
	Ratio
)

// OrderKey is one ORDER BY key of a query, by output column position.
type OrderKey struct {
	Col  int
	Desc bool
}

// Spec describes a query's answer for comparison: a Kind a column (missing
// ones are Auto) and the ORDER BY keys; with no keys row order is free.
type Spec struct {
	Kinds []Kind
	Order []OrderKey
}

func (s Spec) kind(col int) Kind {
	if col < len(s.Kinds) {
		return s.Kinds[col]
	}
	return Auto
}

// Compare checks got against the reference answer want. With ORDER BY keys,
// the rows must come in the same order as far as the keys go: the key
// columns must match position by position and got must be sorted by them;
// rows whose keys tie may come in any order, as SQL allows. Without keys
// the rows are compared as multisets. The error lists the first
// differences.
func Compare(want, got *Result, spec Spec) error {
	if len(want.Columns) != len(got.Columns) {
		return fmt.Errorf("got %d columns %v, want %d %v", len(got.Columns), got.Columns, len(want.Columns), want.Columns)
	}
	if len(want.Rows) != len(got.Rows) {
		return fmt.Errorf("got %d rows, want %d%s", len(got.Rows), len(want.Rows), sample(want, got))
	}
	var diffs []string
	addDiff := func(format string, args ...any) {
		if len(diffs) < 10 {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	// Fast path, and the whole check for order-sensitive keys: position by
	// position.
	posMismatch := false
	for r := range want.Rows {
		for c := range want.Columns {
			if !valuesMatch(want.Rows[r][c], got.Rows[r][c], spec.kind(c)) {
				posMismatch = true
				if isOrderKey(spec, c) {
					addDiff("row %d column %s: got %s, want %s (ORDER BY key)", r+1, got.Columns[c], got.Rows[r][c], want.Rows[r][c])
				}
			}
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%d+ differences:\n  %s", len(diffs), strings.Join(diffs, "\n  "))
	}
	if !posMismatch {
		return nil
	}
	// Some non-key column differs at its position: allow rows with tied
	// keys to be permuted, and check the rest as a multiset.
	for r := 1; r < len(got.Rows) && len(spec.Order) > 0; r++ {
		if orderCmp(got.Rows[r-1], got.Rows[r], spec) > 0 {
			addDiff("rows %d and %d are out of ORDER BY order: %v then %v", r, r+1, got.Rows[r-1], got.Rows[r])
		}
	}
	w, g := sortedRows(want.Rows, spec), sortedRows(got.Rows, spec)
	for r := range w {
		for c := range want.Columns {
			if !valuesMatch(w[r][c], g[r][c], spec.kind(c)) {
				addDiff("row %v: column %s got %s, want %s (row of the reference: %v)", g[r], got.Columns[c], g[r][c], w[r][c], w[r])
				break
			}
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%d+ differences:\n  %s", len(diffs), strings.Join(diffs, "\n  "))
	}
	return nil
}

func isOrderKey(spec Spec, col int) bool {
	for _, k := range spec.Order {
		if k.Col == col {
			return true
		}
	}
	return false
}

// sample shows the first rows of both answers for a row count mismatch.
func sample(want, got *Result) string {
	var b strings.Builder
	for i := 0; i < 3; i++ {
		if i < len(want.Rows) {
			fmt.Fprintf(&b, "\n  want row %d: %v", i+1, want.Rows[i])
		}
		if i < len(got.Rows) {
			fmt.Fprintf(&b, "\n  got  row %d: %v", i+1, got.Rows[i])
		}
	}
	return b.String()
}

// valuesMatch applies the column's rule to the reference value w and the
// tested value g.
func valuesMatch(w, g Value, k Kind) bool {
	if w.Null || g.Null {
		return w.Null == g.Null
	}
	if w.S == g.S {
		return true
	}
	wr, wok := parseRat(w.S)
	gr, gok := parseRat(g.S)
	if !wok || !gok {
		// Not both numbers: text, dates and the like match exactly,
		// except float specials, which are spelled alike in both.
		return false
	}
	switch k {
	case Exact:
		return wr.Cmp(gr) == 0
	case Sum:
		d := new(big.Rat).Sub(wr, gr)
		return d.Abs(d).Cmp(big.NewRat(100, 1)) <= 0
	case Avg, Ratio:
		wf, _ := wr.Float64()
		gf, _ := gr.Float64()
		tol := 0.01 * math.Abs(wf)
		return math.Abs(round2(gf)-wf) <= tol || math.Abs(round2(gf)-round2(wf)) <= tol ||
			math.Abs(gf-wf) <= tol
	default:
		if wr.Cmp(gr) == 0 {
			return true
		}
		if wr.IsInt() && gr.IsInt() {
			return false
		}
		wf, _ := wr.Float64()
		gf, _ := gr.Float64()
		return math.Abs(wf-gf) <= 1e-9*math.Max(math.Abs(wf), math.Abs(gf))
	}
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// parseRat reads a number exactly; it accepts what both engines print for
// integers, numerics and floats (including exponents).
func parseRat(s string) (*big.Rat, bool) {
	if s == "" {
		return nil, false
	}
	c := s[0]
	if !(c >= '0' && c <= '9') && c != '-' && c != '+' && c != '.' {
		return nil, false
	}
	if r, ok := new(big.Rat).SetString(s); ok {
		return r, true
	}
	return nil, false
}

// orderCmp compares two rows by the ORDER BY keys; tolerance-free, since
// it checks one engine's output against itself.
func orderCmp(a, b []Value, spec Spec) int {
	for _, k := range spec.Order {
		c := cmpValues(a[k.Col], b[k.Col])
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// cmpValues orders values as PostgreSQL does by default: numbers by value,
// text by bytes (the C collation), NULLs last.
func cmpValues(a, b Value) int {
	switch {
	case a.Null && b.Null:
		return 0
	case a.Null:
		return 1
	case b.Null:
		return -1
	}
	ar, aok := parseRat(a.S)
	br, bok := parseRat(b.S)
	if aok && bok {
		return ar.Cmp(br)
	}
	return strings.Compare(a.S, b.S)
}

// sortedRows orders rows canonically for multiset comparison: by the
// columns compared exactly (text, integers, Exact numbers) first, then by
// the approximate ones, so rows that should pair up land at the same index.
func sortedRows(rows [][]Value, spec Spec) [][]Value {
	out := append([][]Value(nil), rows...)
	if len(out) == 0 {
		return out
	}
	ncol := len(out[0])
	var exact, approx []int
	for c := 0; c < ncol; c++ {
		switch spec.kind(c) {
		case Sum, Avg, Ratio:
			approx = append(approx, c)
		default:
			exact = append(exact, c)
		}
	}
	cols := append(exact, approx...)
	sort.SliceStable(out, func(i, j int) bool {
		for _, c := range cols {
			if d := cmpValues(out[i][c], out[j][c]); d != 0 {
				return d < 0
			}
		}
		return false
	})
	return out
}
