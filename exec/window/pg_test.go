package window

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/sql/types"
)

// The differential test runs many window definitions over random rows in
// PostgreSQL and in the operator and compares every value by row id.

var pgCols = []col{
	{"id", types.Int32T}, {"p", types.Int32T}, {"o", types.Int32T}, {"v", types.Int32T},
	{"f", types.Float64T}, {"m", types.NumericT(10, 2)}, {"s", types.TextT}, {"b", types.BoolT},
	{"d", types.DateT}, {"ts", types.TimestampT}, {"de", types.TextT}, {"k", types.Int32T}, {"bg", types.Int64T},
}

const (
	pID = iota
	pP
	pO
	pV
	pF
	pM
	pS
	pB
	pD
	pTS
	pDE
	pK
	pBG
)

func pgRows(n int, seed int64) [][]any {
	r := rand.New(rand.NewSource(seed))
	maybe := func(v any) any {
		if r.Intn(7) == 0 {
			return nil
		}
		return v
	}
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{
			i + 1,
			maybe(r.Intn(4)),
			maybe(r.Intn(12)),
			maybe(r.Intn(100) - 30),
			maybe(float64(r.Intn(40)-10) * 0.5),
			maybe(fmt.Sprintf("%d.%02d", r.Intn(50)-10, r.Intn(100))),
			maybe(string(rune('a' + r.Intn(6)))),
			maybe(r.Intn(3) != 0),
			maybe(18000 + r.Intn(90)),
			maybe(int64(1.6e15) + int64(r.Intn(200))*3600e6),
			",",
			maybe(1 + r.Intn(4)),
			maybe(r.Intn(1000)*1000000000000 - 3000000000000),
		}
	}
	return rows
}

func sqlLiteral(c col, v any) string {
	if v == nil {
		return "NULL"
	}
	switch c.t.Kind {
	case types.Text:
		return "'" + v.(string) + "'"
	case types.Float64:
		return strconv.FormatFloat(v.(float64), 'g', -1, 64)
	case types.Numeric:
		return v.(string)
	case types.Date:
		return "'" + time.Unix(int64(v.(int))*86400, 0).UTC().Format("2006-01-02") + "'::date"
	case types.Timestamp:
		return "'" + time.UnixMicro(v.(int64)).UTC().Format("2006-01-02 15:04:05") + "'::timestamp"
	}
	return fmt.Sprint(v)
}

type pgFunc struct {
	sql     string
	fn      Func
	ordered bool // result depends on the order among peers
}

func pgFuncs() []pgFunc {
	f := func(sql, name string, ordered bool, args ...int) pgFunc {
		return pgFunc{sql: sql, fn: Func{Name: name, Args: args}, ordered: ordered}
	}
	return []pgFunc{
		f("count(*)", "count_star", false),
		f("count(v)", "count", false, pV),
		f("sum(v)", "sum", false, pV),
		f("avg(v)", "avg", false, pV),
		f("min(v)", "min", false, pV),
		f("max(v)", "max", false, pV),
		f("sum(m)", "sum", false, pM),
		f("avg(m)", "avg", false, pM),
		f("min(s)", "min", false, pS),
		f("max(m)", "max", false, pM),
		f("bool_and(b)", "bool_and", false, pB),
		f("bool_or(b)", "bool_or", false, pB),
		f("sum(f)", "sum", false, pF),
		f("avg(f)", "avg", false, pF),
		f("sum(bg)", "sum", false, pBG),
		f("avg(bg)", "avg", false, pBG),
		f("max(d)", "max", false, pD),
		f("var_pop(v)", "var_pop", false, pV),
		f("stddev_samp(m)", "stddev_samp", false, pM),
		f("var_samp(f)", "var_samp", false, pF),
		f("rank()", "rank", false),
		f("dense_rank()", "dense_rank", false),
		f("percent_rank()", "percent_rank", false),
		f("cume_dist()", "cume_dist", false),
		f("row_number()", "row_number", true),
		f("ntile(3)", "ntile", true, -3),
		f("ntile(k)", "ntile", true, pK),
		f("lag(v)", "lag", true, pV),
		f("lead(v, 2, id)", "lead", true, pV, -2, pID),
		f("lag(v, k, id)", "lag", true, pV, pK, pID),
		f("first_value(v)", "first_value", true, pV),
		f("last_value(s)", "last_value", true, pS),
		f("nth_value(v, 3)", "nth_value", true, pV, -3),
		f("nth_value(s, k)", "nth_value", true, pS, pK),
		f("string_agg(s, de)", "string_agg", true, pS, pDE),
	}
}

type pgOrder struct {
	sql   string
	keys  []ops.SortKey
	total bool
}

func TestAgainstPostgres(t *testing.T) {
	dsn := os.Getenv("BASALT_PG_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5433/slt?sslmode=disable"
	}
	ctx := context.Background()
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, dsn)
	if err != nil {
		t.Skipf("PostgreSQL not reachable (%v)", err)
	}
	defer conn.Close(ctx)

	data := pgRows(150, 1)
	var ddl []string
	for _, c := range pgCols {
		ddl = append(ddl, c.name+" "+c.t.String())
	}
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE wt ("+strings.Join(ddl, ", ")+")"); err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, r := range data {
		lits := make([]string, len(r))
		for i, v := range r {
			lits[i] = sqlLiteral(pgCols[i], v)
		}
		vals = append(vals, "("+strings.Join(lits, ", ")+")")
	}
	if _, err := conn.Exec(ctx, "INSERT INTO wt VALUES "+strings.Join(vals, ", ")); err != nil {
		t.Fatal(err)
	}

	tieOrders := []pgOrder{
		{"o", []ops.SortKey{{Col: pO}}, false},
		{"o DESC", []ops.SortKey{{Col: pO, Desc: true, NullsFirst: true}}, false},
		{"o NULLS FIRST", []ops.SortKey{{Col: pO, NullsFirst: true}}, false},
		{"o DESC NULLS LAST", []ops.SortKey{{Col: pO, Desc: true}}, false},
	}
	totalOrders := []pgOrder{
		{"o, id", []ops.SortKey{{Col: pO}, {Col: pID}}, true},
		{"o DESC, id DESC", []ops.SortKey{{Col: pO, Desc: true, NullsFirst: true}, {Col: pID, Desc: true, NullsFirst: true}}, true},
		{"s NULLS FIRST, id", []ops.SortKey{{Col: pS, NullsFirst: true}, {Col: pID}}, true},
	}
	type frameCase struct {
		sql    string
		fr     Frame
		orders []pgOrder
	}
	var frames []frameCase
	add := func(sql, spec string, orders ...[]pgOrder) {
		var os []pgOrder
		for _, o := range orders {
			os = append(os, o...)
		}
		frames = append(frames, frameCase{sql, mustFrame(spec), os})
	}
	excl := map[string]string{"": "", " xcur": " EXCLUDE CURRENT ROW", " xgroup": " EXCLUDE GROUP", " xties": " EXCLUDE TIES"}
	for _, x := range []string{"", " xcur", " xgroup", " xties"} {
		xs := excl[x]
		add("ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"+xs, "rows up cr"+x, totalOrders)
		add("ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING"+xs, "rows 2p 1f"+x, totalOrders)
		add("ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING"+xs, "rows 3p 1p"+x, totalOrders)
		add("ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING"+xs, "rows cr uf"+x, totalOrders)
		add("RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"+xs, "range up cr"+x, tieOrders, totalOrders[:1])
		add("RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING"+xs, "range cr uf"+x, tieOrders)
		add("RANGE BETWEEN 2 PRECEDING AND 1 FOLLOWING"+xs, "range 2p 1f"+x, tieOrders)
		add("GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING"+xs, "groups 1p 1f"+x, tieOrders, totalOrders[:1])
	}
	add("ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING", "rows 1f 3f", totalOrders)
	add("ROWS BETWEEN 2 FOLLOWING AND 1 FOLLOWING", "rows 2f 1f", totalOrders)
	add("ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING", "rows up uf", totalOrders)
	add("ROWS BETWEEN 0 PRECEDING AND 0 FOLLOWING", "rows 0p 0f", totalOrders)
	add("RANGE BETWEEN 3 PRECEDING AND 1 PRECEDING", "range 3p 1p", tieOrders)
	add("RANGE BETWEEN 1 FOLLOWING AND 4 FOLLOWING", "range 1f 4f", tieOrders)
	add("RANGE BETWEEN UNBOUNDED PRECEDING AND 2 FOLLOWING EXCLUDE TIES", "range up 2f xties", tieOrders)
	add("GROUPS BETWEEN 2 PRECEDING AND 1 PRECEDING", "groups 2p 1p", tieOrders)
	add("GROUPS BETWEEN CURRENT ROW AND 2 FOLLOWING EXCLUDE GROUP", "groups cr 2f xgroup", tieOrders)
	add("GROUPS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING", "groups 1f uf", tieOrders)

	checked := 0
	for _, part := range []struct {
		sql  string
		cols []int
	}{{"", nil}, {"PARTITION BY p", []int{pP}}} {
		for _, fc := range frames {
			for _, ord := range fc.orders {
				var fns []pgFunc
				for _, f := range pgFuncs() {
					if f.ordered && !ord.total {
						continue
					}
					fns = append(fns, f)
				}
				win := fmt.Sprintf("%s ORDER BY %s %s", part.sql, ord.sql, fc.sql)
				checked += compareWithPG(t, ctx, conn, data, win, part.cols, ord.keys, fc.fr, fns)
			}
		}
		// RANGE offsets over other key types.
		type keyCase struct {
			key    string
			k      ops.SortKey
			lo, hi any
			loSQL  string
			hiSQL  string
		}
		for _, kc := range []keyCase{
			{"f", ops.SortKey{Col: pF}, 1.5, 0.5, "1.5", "0.5"},
			{"f DESC", ops.SortKey{Col: pF, Desc: true, NullsFirst: true}, 2.0, 0.0, "2", "0"},
			{"m", ops.SortKey{Col: pM}, decimal128.FromI64(250), decimal128.FromI64(0), "2.5", "0"},
			{"m DESC", ops.SortKey{Col: pM, Desc: true, NullsFirst: true}, decimal128.FromI64(1000), decimal128.FromI64(199), "10", "1.99"},
			{"d", ops.SortKey{Col: pD}, types.IntervalValue{Days: 3}, types.IntervalValue{Months: 1}, "'3 days'", "'1 month'"},
			{"d DESC", ops.SortKey{Col: pD, Desc: true, NullsFirst: true}, types.IntervalValue{Days: 10}, types.IntervalValue{Micros: 36 * 3600e6}, "'10 days'", "'36 hours'"},
			{"ts", ops.SortKey{Col: pTS}, types.IntervalValue{Micros: 12 * 3600e6}, types.IntervalValue{Days: 1}, "'12 hours'", "'1 day'"},
			{"k", ops.SortKey{Col: pK}, int64(1), int64(9223372036854775807), "1", "9223372036854775807"},
		} {
			fr := Frame{Mode: Range, Start: Bound{Kind: Preceding, Offset: kc.lo}, End: Bound{Kind: Following, Offset: kc.hi}}
			win := fmt.Sprintf("%s ORDER BY %s RANGE BETWEEN %s PRECEDING AND %s FOLLOWING", part.sql, kc.key, kc.loSQL, kc.hiSQL)
			var fns []pgFunc
			for _, f := range pgFuncs() {
				if !f.ordered {
					fns = append(fns, f)
				}
			}
			checked += compareWithPG(t, ctx, conn, data, win, part.cols, []ops.SortKey{kc.k}, fr, fns)
		}
	}
	t.Logf("compared %d values with PostgreSQL", checked)
}

func compareWithPG(t *testing.T, ctx context.Context, conn *pgx.Conn, data [][]any, win string, part []int, keys []ops.SortKey, fr Frame, fns []pgFunc) int {
	t.Helper()
	var sel []string
	for _, f := range fns {
		sel = append(sel, "("+f.sql+" OVER w)::text")
	}
	q := "SELECT id, " + strings.Join(sel, ", ") + " FROM wt WINDOW w AS (" + win + ") ORDER BY id"
	rows, err := conn.Query(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var want [][]string
	for rows.Next() {
		vs, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		r := make([]string, len(vs))
		for i, v := range vs {
			r[i] = pgText(v)
		}
		want = append(want, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}

	// Constant arguments (negative Args) become extra input columns.
	cols := slices.Clone(pgCols)
	in := make([][]any, len(data))
	for i := range data {
		in[i] = slices.Clone(data[i])
	}
	consts := map[int]int{}
	funcs := make([]Func, len(fns))
	for i, f := range fns {
		fn := f.fn
		fn.Frame = fr
		fn.Args = slices.Clone(fn.Args)
		for a, c := range fn.Args {
			if c < 0 {
				if _, ok := consts[c]; !ok {
					consts[c] = len(cols)
					cols = append(cols, col{fmt.Sprintf("c%d", -c), types.Int32T})
					for r := range in {
						in[r] = append(in[r], -c)
					}
				}
				fn.Args[a] = consts[c]
			}
		}
		funcs[i] = fn
	}
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	// Shuffle the input so the operator's own sort does the work.
	r := rand.New(rand.NewSource(int64(len(q))))
	r.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	src := makeSource(t, alloc, cols, in, 17)
	w, err := New(src, part, keys, funcs, exec.NewMemory(0), alloc)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	got, err := run(t, w)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	slices.SortFunc(got, func(a, b []string) int {
		x, _ := strconv.Atoi(a[0])
		y, _ := strconv.Atoi(b[0])
		return x - y
	})
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, PostgreSQL %d", q, len(got), len(want))
	}
	n, bad := 0, 0
	for i := range want {
		for j, f := range fns {
			g := got[i][len(cols)+j]
			if !sameValue(g, want[i][j+1]) {
				if bad < 5 {
					t.Errorf("WINDOW (%s) %s, id %s: got %s, PostgreSQL %s", win, f.sql, want[i][0], g, want[i][j+1])
				}
				bad++
			}
			n++
		}
	}
	return n
}

func pgText(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int32:
		return strconv.Itoa(int(x))
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	if n, ok := v.(interface{ Value() (any, error) }); ok {
		s, _ := n.Value()
		if str, ok := s.(string); ok {
			return str
		}
	}
	return fmt.Sprint(v)
}
