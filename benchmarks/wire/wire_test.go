package wire

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// benchEnv skips unless BASALT_WIRE_BENCH=1: these tests build the binary,
// generate TPC-H and read whole tables, which takes minutes at SF1.
// BASALT_WIRE_SF (default 0.1) and BASALT_WIRE_DATA (default a folder per
// scale factor under the temp dir) choose the data.
func benchEnv(t *testing.T) (bin, data string, sf float64) {
	t.Helper()
	if os.Getenv("BASALT_WIRE_BENCH") != "1" {
		t.Skip("set BASALT_WIRE_BENCH=1 to run the wire benchmarks")
	}
	sf = 0.1
	if s := os.Getenv("BASALT_WIRE_SF"); s != "" {
		var err error
		if sf, err = strconv.ParseFloat(s, 64); err != nil {
			t.Fatalf("BASALT_WIRE_SF: %v", err)
		}
	}
	data = os.Getenv("BASALT_WIRE_DATA")
	if data == "" {
		data = filepath.Join(os.TempDir(), "basalt-tpch-sf"+strconv.FormatFloat(sf, 'f', -1, 64))
	}
	ctx := context.Background()
	bin, err := BuildBasalt(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureTPCH(ctx, bin, data, sf); err != nil {
		t.Fatal(err)
	}
	return bin, data, sf
}

// TestLineitemFirstRow is the acceptance check of issue 4: SELECT * FROM
// lineitem through pgx (binary and text) and psql gets its first row
// within a second, and the server's peak RSS stays well under the size of
// the result: under 512 MB, where the result is over 700 MB of text at SF1.
func TestLineitemFirstRow(t *testing.T) {
	bin, data, sf := benchEnv(t)
	const maxPeak = 512 << 20
	clients := []Client{
		PgxClient("pgx-binary", pgx.QueryExecModeCacheStatement),
		PgxClient("pgx-text", pgx.QueryExecModeSimpleProtocol),
		PsqlClient("psql", 0),
	}
	wantRows := int64(6_001_215 * sf)
	for _, c := range clients {
		t.Run(c.Name, func(t *testing.T) {
			if c.Name == "psql" {
				if _, err := os.Stat("/usr/bin/psql"); err != nil {
					t.Skip("no psql")
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			r, err := MeasureFirstRow(ctx, bin, data, "SELECT * FROM lineitem", c)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d rows, first row %v, last row %v, server RSS %s before, %s peak",
				r.Rows, r.FirstRow, r.Total, MB(r.BaseRSS), MB(r.PeakRSS))
			// Fractional scale factors cut lineitem at whole orders: allow 1%.
			if d := r.Rows - wantRows; d < -wantRows/100 || d > wantRows/100 {
				t.Errorf("read %d rows, want about %d", r.Rows, wantRows)
			}
			if r.FirstRow > time.Second {
				t.Errorf("first row after %v, want under a second", r.FirstRow)
			}
			if r.PeakRSS > maxPeak {
				t.Errorf("server peak RSS %s, want under %s", MB(r.PeakRSS), MB(maxPeak))
			}
		})
	}
}

// TestThroughputMatchesPostgres reads the table from Basalt and from a
// PostgreSQL loaded with the same rows, in text and binary, and checks
// that both servers send the same rows and bytes. It logs the throughput;
// cmd/wirebench prints the table.
func TestThroughputMatchesPostgres(t *testing.T) {
	bin, data, _ := benchEnv(t)
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) == 0 {
		t.Skip("no PostgreSQL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	srv, err := StartBasalt(bin, data)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	// Not under t.TempDir: PostgreSQL runs as the postgres user when the
	// test runs as root, and must reach the folder.
	pgDir, err := os.MkdirTemp("", "basalt-wire-pg")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(pgDir)
	dsn, stop, err := StartPostgres(ctx, pgDir)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := LoadPostgres(ctx, dsn, srv.DSN(), bin, data, "lineitem"); err != nil {
		t.Fatal(err)
	}
	for _, format := range []int16{0, 1} {
		b, err := ReadAll(ctx, "Basalt", srv.DSN(), "SELECT * FROM lineitem", format)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ReadAll(ctx, "PostgreSQL", dsn, "SELECT * FROM lineitem", format)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []Throughput{b, p} {
			t.Logf("%s %s: %d rows, %s in %v: %.0f rows/s, %.1f MB/s", x.Server, x.Format, x.Rows, MB(x.Bytes), x.Elapsed, x.RowsPerSec(), x.MBPerSec())
		}
		if b.Rows != p.Rows {
			t.Errorf("%s: Basalt sent %d rows, PostgreSQL %d", b.Format, b.Rows, p.Rows)
		}
		// Same values in the same formats make the same number of bytes
		// (the messages around the rows have the same sizes too): a
		// difference means a value is encoded differently from PostgreSQL.
		if b.Bytes != p.Bytes {
			t.Errorf("%s: Basalt sent %d bytes, PostgreSQL %d", b.Format, b.Bytes, p.Bytes)
		}
	}
}
