package engine_test

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/test/slt"
)

var (
	dataOnce sync.Once
	dataDir  string
	dataErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if dataDir != "" {
		os.RemoveAll(dataDir)
	}
	os.Exit(code)
}

// data writes the fixture tables (several of them multi-file and
// multi-row-group) once per test binary.
func data(t *testing.T) string {
	t.Helper()
	dataOnce.Do(func() {
		dataDir, dataErr = os.MkdirTemp("", "engine-test-")
		if dataErr == nil {
			dataErr = slt.WriteParquet(dataDir, slt.Fixtures())
		}
	})
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	return dataDir
}

func open(t *testing.T, cfg engine.Config) *engine.Engine {
	t.Helper()
	cfg.DataDir = data(t)
	e, err := engine.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func query(ctx context.Context, e *engine.Engine, sql string) ([]string, error) {
	res, err := e.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var rows []string
	for {
		b, err := res.Next(ctx)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		for r := 0; r < int(b.NumRows()); r++ {
			cells := make([]string, len(res.Columns))
			for c, col := range res.Columns {
				s, null := pgtext.Format(b.Column(c), r, col.Type)
				if null {
					s = "NULL"
				}
				cells[c] = s
			}
			rows = append(rows, strings.Join(cells, "|"))
		}
	}
}

func mustQuery(t *testing.T, e *engine.Engine, sql string) []string {
	t.Helper()
	rows, err := query(context.Background(), e, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return rows
}

func TestParallelismSameResults(t *testing.T) {
	e1 := open(t, engine.Config{Parallelism: 1})
	e4 := open(t, engine.Config{Parallelism: 4})
	cases := []struct {
		sql     string
		ordered bool
		rows    int // -1: not checked
	}{
		{"select count(*), sum(amt), min(d), max(x), count(distinct grp) from big", true, 1},
		{"select grp, count(*), sum(amt), avg(x) from big group by grp", false, 6},
		{"select k, count(*) from big where flag group by k having count(*) > 10", false, -1},
		{"select b.id, d.label from big b join dim d on b.k = d.k", false, -1},
		{"select b.id, d.label from big b left join dim d on b.k = d.k", false, -1},
		{"select b.id, d.label from big b right join dim d on b.k = d.k", false, -1},
		{"select b.id, d.label from big b full join dim d on b.k = d.k", false, -1},
		{"select count(*) from big b where exists (select 1 from dim d where d.k = b.k)", true, 1},
		{"select count(*) from big b where not exists (select 1 from dim d where d.k = b.k)", true, 1},
		{"select count(*) from big b where k not in (select k from dim where k is not null)", true, 1},
		{"select count(*) from big b where k not in (select k from dim)", true, 1},
		{"select e.name, m.name from emp e join emp m on e.manager_id = m.id", false, 7},
		{"select id, x from big order by x desc, id", true, 3000},
		{"select id, amt from big order by amt, id limit 7 offset 13", true, 7},
		{"select id from big order by id desc limit 5", true, 5},
		{"select id from big where id % 100 = 0 limit 1000", false, 30},
		{"select id, k from big where id < 5 union all select id, qty from sales where id < 3", false, 6},
		{"select k from big union select k from dim", false, -1},
		{"select id, n, b from nums order by id", true, 12},
		{"select year, region, sum(qty) from sales group by year, region", false, -1},
	}
	for _, c := range cases {
		r1 := mustQuery(t, e1, c.sql)
		r4 := mustQuery(t, e4, c.sql)
		if c.rows >= 0 && len(r1) != c.rows {
			t.Errorf("%s: %d rows, want %d", c.sql, len(r1), c.rows)
		}
		if !c.ordered {
			sort.Strings(r1)
			sort.Strings(r4)
		}
		if strings.Join(r1, "\n") != strings.Join(r4, "\n") {
			t.Errorf("%s: parallelism 1 and 4 differ:\n%v\n%v", c.sql, head(r1), head(r4))
		}
	}
	// Spot values the fixture fixes.
	if got := mustQuery(t, e4, "select count(*) from big b where k not in (select k from dim)"); got[0] != "0" {
		t.Errorf("NOT IN with a NULL key: %v", got)
	}
	if got := mustQuery(t, e4, "select id from big order by id limit 3 offset 2"); strings.Join(got, ",") != "3,4,5" {
		t.Errorf("top-N with offset: %v", got)
	}
}

func head(r []string) []string {
	if len(r) > 10 {
		return r[:10]
	}
	return r
}

func TestExplain(t *testing.T) {
	e := open(t, engine.Config{Parallelism: 2})
	plan := mustQuery(t, e, "explain select grp, count(*) from big where k > 3 group by grp")
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "Aggregate") || !strings.Contains(text, "Scan big") || !strings.Contains(text, "filters:") {
		t.Errorf("EXPLAIN:\n%s", text)
	}
	an := mustQuery(t, e, "explain analyze select grp, count(*) from big where k > 3 group by grp")
	text = strings.Join(an, "\n")
	if !strings.Contains(text, "rows=") || !strings.Contains(text, "Rows: 6") || !strings.Contains(text, "Peak Memory") {
		t.Errorf("EXPLAIN ANALYZE:\n%s", text)
	}
	v := mustQuery(t, e, "explain format = 'verbose' select 1 + 1 from big")
	if text := strings.Join(v, "\n"); !strings.Contains(text, "after fold_constants:") || !strings.Contains(text, "final plan:") {
		t.Errorf("EXPLAIN VERBOSE:\n%s", text)
	}
}

func TestMemoryLimit(t *testing.T) {
	e := open(t, engine.Config{Parallelism: 2, MemoryLimit: 16 << 10})
	_, err := query(context.Background(), e, "select b1.id, b2.id from big b1 join big b2 on b1.grp = b2.grp order by b1.x, b2.x")
	if got := sqlerr.Code(err); got != sqlerr.OutOfMemory {
		t.Fatalf("error %v (SQLSTATE %s), want 53200", err, got)
	}
	// A query that fits still runs under the same limit.
	if got := mustQuery(t, e, "select count(*) from dim"); got[0] != "18" {
		t.Errorf("count(*) under the limit: %v", got)
	}
}

func TestCancel(t *testing.T) {
	e := open(t, engine.Config{Parallelism: 4})
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	// A cross join of 3000 x 3000 x 17 rows runs far longer than the timer.
	res, err := e.Query(ctx, "select count(*) from big a, big b, dim c where a.x + b.x + c.k > -1")
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	for err == nil {
		_, err = res.Next(ctx)
	}
	res.Close()
	if errors.Is(err, io.EOF) {
		t.Fatalf("query finished in %v before the cancel", time.Since(start))
	}
	if got := sqlerr.Code(err); got != sqlerr.QueryCanceled {
		t.Fatalf("error %v (SQLSTATE %s), want 57014", err, got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %v", d)
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after cancel, %d before\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestErrors(t *testing.T) {
	e := open(t, engine.Config{Parallelism: 2})
	for sql, code := range map[string]string{
		"select 1/0":                        sqlerr.DivisionByZero,
		"select 2147483647::int4 + 1":       sqlerr.NumericValueOutOfRange,
		"select id/(k-k) from big":          sqlerr.DivisionByZero,
		"select (select k from dim)":        sqlerr.CardinalityViolation,
		"select 1; select 2":                sqlerr.SyntaxError,
		"selec 1":                           sqlerr.SyntaxError,
		"select * from nosuch":              sqlerr.UndefinedTable,
		"select bi * 2 from nums":           sqlerr.NumericValueOutOfRange,
		"select 'x'::int":                   sqlerr.InvalidTextRepresentation,
		"select count(*) from big b, big b": sqlerr.DuplicateAlias,
	} {
		_, err := query(context.Background(), e, sql)
		if got := sqlerr.Code(err); got != code {
			t.Errorf("%s: error %v (SQLSTATE %s), want %s", sql, err, got, code)
		}
	}
}
