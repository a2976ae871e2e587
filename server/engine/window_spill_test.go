package engine_test

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// TestWindowOverMemoryLimit runs window functions over one partition far
// larger than the query's budget: the window operator streams it (after a
// spilling sort) and the answers match the unlimited run.
func TestWindowOverMemoryLimit(t *testing.T) {
	type row struct {
		X int64  `parquet:"x"`
		G int64  `parquet:"g"`
		V int64  `parquet:"v"`
		S string `parquet:"s"`
	}
	const n = 200000
	r := rand.New(rand.NewSource(1))
	rows := make([]row, n)
	for i, x := range r.Perm(n) {
		rows[i] = row{X: int64(x), G: int64(x % 3), V: int64(r.Intn(1000)), S: "v" + string(rune('a'+r.Intn(26)))}
	}
	dir := t.TempDir()
	if err := parquet.WriteFile(filepath.Join(dir, "w.parquet"), rows, parquet.MaxRowsPerRowGroup(20000)); err != nil {
		t.Fatal(err)
	}
	const sql = `select x, row_number() over (order by x) rn, rank() over (order by x) rk,
		sum(v) over (order by x) s, max(s) over (order by x) m, lag(v, 2) over (order by x) l,
		count(*) over (order by x rows between unbounded preceding and current row) c,
		lead(s, 3) over (order by x) ld, avg(v) over (order by x rows between 2 preceding and 5 following) a
		from w`
	// Functions needing each partition's totals: spooled, two passes.
	const totals = `select x, ntile(7) over p nt, cume_dist() over p cd, percent_rank() over p pr,
		last_value(x) over (p rows between unbounded preceding and unbounded following) lv,
		sum(v) over (p rows between unbounded preceding and unbounded following) s
		from w window p as (partition by g order by v, x)`
	spillDir := t.TempDir()
	t.Setenv("TMPDIR", spillDir)
	run := func(limit int64, sql string) ([]string, error) {
		e, err := engine.Open(context.Background(), engine.Config{DataDir: dir, MemoryLimit: limit, Parallelism: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		out, err := query(context.Background(), e, sql)
		slices.Sort(out)
		return out, err
	}
	want, err := run(0, sql)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != n {
		t.Fatalf("%d rows, want %d", len(want), n)
	}
	got, err := run(4<<20, sql)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("results under a 4MB limit differ: %d rows, first %q want %q", len(got), got[0], want[0])
	}
	want, err = run(0, totals)
	if err != nil {
		t.Fatal(err)
	}
	got, err = run(4<<20, totals)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != n || !slices.Equal(got, want) {
		t.Fatalf("totals under a 4MB limit differ: %d rows, want %d", len(got), len(want))
	}
	// The partition does not fit: a frame from its start to rows ahead
	// (neither streaming nor whole-partition totals) is refused under the
	// same limit.
	if _, err := run(4<<20, "select x, sum(v) over (order by x rows between unbounded preceding and 1 following) from w"); sqlerr.Code(err) != sqlerr.OutOfMemory {
		t.Fatalf("sum over rows up..1 following under 4MB: %v, want 53200", err)
	}
	if ents, _ := os.ReadDir(spillDir); len(ents) != 0 {
		t.Fatalf("spill files left behind: %v", ents)
	}
}
