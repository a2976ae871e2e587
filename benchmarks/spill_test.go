package benchmarks

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/basaltdb/basalt/storage/tpchgen"
)

// TestSpillMatchesDuckDB runs the TPC-H queries whose joins and aggregates
// outgrow a small budget (Q18, Q21) with a 256MB memory limit, so Basalt's
// sort, aggregate and join spill to disk, and compares the answers with
// DuckDB's. It needs BASALT_TPCH_SF >= 1 (below that nothing spills);
// BASALT_TPCH_DIR reuses or receives the data as in TestTPCHMatchesDuckDB.
func TestSpillMatchesDuckDB(t *testing.T) {
	if testing.Short() {
		t.Skip("generates TPC-H data; skipped in -short mode")
	}
	sf, _ := strconv.ParseFloat(os.Getenv("BASALT_TPCH_SF"), 64)
	if sf < 1 {
		t.Skip("set BASALT_TPCH_SF to 1 or more: smaller data fits in 256MB and does not spill")
	}
	dir := os.Getenv("BASALT_TPCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	ctx := context.Background()
	if err := EnsureTPCH(ctx, sf, dir, testWriter{t}); err != nil {
		t.Fatalf("generating TPC-H sf %v into %s: %v", sf, dir, err)
	}
	duck, err := OpenDuckDB(ctx, dir, DuckDBConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	const limit = 256 << 20
	bas, err := OpenBasalt(ctx, dir, BasaltConfig{MemoryLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	defer bas.Close()
	for _, n := range []int{18, 21} {
		t.Run(tpchgen.QueryName(n), func(t *testing.T) {
			query := tpchgen.Query(n)
			want, err := duck.Query(ctx, query)
			if err != nil {
				t.Fatalf("DuckDB: %v", err)
			}
			got, err := bas.Query(ctx, query)
			if err != nil {
				t.Fatalf("Basalt at a 256MB limit: %v", err)
			}
			t.Logf("%d rows; Basalt %s (peak memory %d bytes), DuckDB %s", len(got.Rows),
				got.Elapsed.Round(time.Millisecond), got.PeakMemory, want.Elapsed.Round(time.Millisecond))
			if got.PeakMemory > limit {
				t.Errorf("peak memory %d over the %d limit", got.PeakMemory, limit)
			}
			if err := Compare(want, got, TPCHSpecs[n-1]); err != nil {
				t.Errorf("answer differs from DuckDB's: %v", err)
			}
		})
	}
	// An aggregate over the whole of lineitem with about as many groups as
	// rows (spills), summarised by an outer aggregate so the comparison
	// stays small.
	t.Run("lineitem groups", func(t *testing.T) {
		query := `select count(*), sum(q), max(q), sum(l_partkey) from (select l_orderkey, l_partkey, sum(l_quantity) as q from lineitem group by 1, 2) t`
		want, err := duck.Query(ctx, query)
		if err != nil {
			t.Fatalf("DuckDB: %v", err)
		}
		got, err := bas.Query(ctx, query)
		if err != nil {
			t.Fatalf("Basalt at a 256MB limit: %v", err)
		}
		t.Logf("Basalt %s (peak memory %d bytes), DuckDB %s", got.Elapsed.Round(time.Millisecond), got.PeakMemory, want.Elapsed.Round(time.Millisecond))
		if err := Compare(want, got, Spec{Kinds: []Kind{Exact, Exact, Exact, Exact}}); err != nil {
			t.Errorf("answer differs from DuckDB's: %v", err)
		}
	})
}
