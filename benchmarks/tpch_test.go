package benchmarks

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/basaltdb/basalt/storage/tpchgen"
)

// TestTPCHMatchesDuckDB runs the 22 TPC-H queries on Basalt and on DuckDB
// over the same generated data and compares the answers by TPC-H's rules.
// BASALT_TPCH_SF sets the scale factor (default 0.1; CI uses 1);
// BASALT_TPCH_DIR names a data directory to reuse, or to generate into
// when it holds no TPC-H tables yet. BASALT_TPCH_QUERY_TIMEOUT bounds each
// query on each engine (a Go duration, default 5m) so that one runaway
// plan fails its subtest instead of the whole run.
func TestTPCHMatchesDuckDB(t *testing.T) {
	if testing.Short() {
		t.Skip("generates TPC-H data; skipped in -short mode")
	}
	sf := 0.1
	if s := os.Getenv("BASALT_TPCH_SF"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("BASALT_TPCH_SF=%q: %v", s, err)
		}
		sf = v
	}
	timeout := 5 * time.Minute
	if s := os.Getenv("BASALT_TPCH_QUERY_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("BASALT_TPCH_QUERY_TIMEOUT=%q: %v", s, err)
		}
		timeout = d
	}
	dir := os.Getenv("BASALT_TPCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	ctx := context.Background()
	start := time.Now()
	if err := EnsureTPCH(ctx, sf, dir, testWriter{t}); err != nil {
		t.Fatalf("generating TPC-H sf %v into %s: %v", sf, dir, err)
	}
	t.Logf("TPC-H data in %s (sf %v) ready after %s", dir, sf, time.Since(start).Round(time.Millisecond))

	duck, err := OpenDuckDB(ctx, dir, DuckDBConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	bas, err := OpenBasalt(ctx, dir, BasaltConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer bas.Close()

	for n := 1; n <= tpchgen.NumQueries; n++ {
		t.Run(tpchgen.QueryName(n), func(t *testing.T) {
			query := tpchgen.Query(n)
			dctx, cancel := context.WithTimeout(ctx, timeout)
			want, err := duck.Query(dctx, query)
			cancel()
			if err != nil {
				t.Fatalf("DuckDB: %v", err)
			}
			bctx, cancel := context.WithTimeout(ctx, timeout)
			got, err := bas.Query(bctx, query)
			cancel()
			if err != nil {
				t.Fatalf("Basalt: %v", err)
			}
			t.Logf("%d rows; Basalt %s (peak memory %d bytes), DuckDB %s", len(got.Rows),
				got.Elapsed.Round(time.Microsecond), got.PeakMemory, want.Elapsed.Round(time.Microsecond))
			if len(want.Rows) == 0 {
				t.Logf("the reference answer is empty (expected at small fractional scale factors, whose foreign keys only partly match)")
			}
			if err := Compare(want, got, TPCHSpecs[n-1]); err != nil {
				t.Errorf("answer differs from DuckDB's: %v", err)
			}
		})
	}
}

// testWriter sends generator progress to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(trimNL(p)))
	return len(p), nil
}

func trimNL(p []byte) []byte {
	for len(p) > 0 && p[len(p)-1] == '\n' {
		p = p[:len(p)-1]
	}
	return p
}
