// Command wirebench measures `basalt serve` over the Postgres wire protocol
// and prints markdown tables (recorded in benchmarks/README.md):
//
//   - firstrow: SELECT * FROM lineitem through pgx (binary and text) and
//     psql, each against a fresh server: time to the first row, time to
//     the last, and the server's RSS before the query and at its peak
//     (VmHWM).
//
//   - throughput: the same result read with pgx's pgconn in text and binary
//     formats from Basalt and from a real PostgreSQL serving the same rows
//     from a table (loaded through COPY from the CSV `basalt query` writes),
//     measured one after the other in this run: rows/s and MB/s.
//
//     go run ./cmd/wirebench -sf 1 [-data DIR] [-only firstrow|throughput] [-runs 3] [-pg-dsn DSN]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/basaltdb/basalt/benchmarks/wire"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "wirebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	sf := flag.Float64("sf", 1, "TPC-H scale factor of generated data")
	data := flag.String("data", "", "TPC-H data directory; generated when it has no lineitem (default /tmp/basalt-tpch-sf<sf>)")
	bin := flag.String("basalt", "", "basalt binary (default: built from this checkout)")
	only := flag.String("only", "", "run only firstrow or throughput")
	runs := flag.Int("runs", 3, "throughput runs per server and format; the best counts")
	table := flag.String("table", "lineitem", "table to read whole")
	pgDSN := flag.String("pg-dsn", "", "PostgreSQL to compare with (default: a throwaway cluster in -pg-dir)")
	pgDir := flag.String("pg-dir", filepath.Join(os.TempDir(), "basalt-wirebench-pg"), "folder of the throwaway PostgreSQL cluster; kept between runs so the table loads once")
	psqlFetch := flag.Int("psql-fetch-count", 0, "also run psql with this FETCH_COUNT (reads through a cursor)")
	flag.Parse()
	if *runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	if *data == "" {
		*data = filepath.Join(os.TempDir(), "basalt-tpch-sf"+strconv.FormatFloat(*sf, 'f', -1, 64))
	}
	if *bin == "" {
		dir, err := os.MkdirTemp("", "wirebench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if *bin, err = wire.BuildBasalt(ctx, dir); err != nil {
			return err
		}
	}
	if err := wire.EnsureTPCH(ctx, *bin, *data, *sf); err != nil {
		return err
	}
	query := "SELECT * FROM " + *table
	fmt.Printf("`%s` on TPC-H SF %g (%s), %d cores, %s\n\n", query, *sf, *data, runtime.NumCPU(), time.Now().UTC().Format("2006-01-02"))
	if *only == "" || *only == "firstrow" {
		if err := firstRow(ctx, *bin, *data, query, *psqlFetch); err != nil {
			return err
		}
	}
	if *only == "" || *only == "throughput" {
		if err := throughput(ctx, *bin, *data, *table, query, *pgDSN, *pgDir, *runs); err != nil {
			return err
		}
	}
	return nil
}

func firstRow(ctx context.Context, bin, data, query string, psqlFetch int) error {
	clients := []wire.Client{
		wire.PgxClient("pgx (cache statement: binary)", pgx.QueryExecModeCacheStatement),
		wire.PgxClient("pgx (simple protocol: text)", pgx.QueryExecModeSimpleProtocol),
		wire.PsqlClient("psql", 0),
	}
	if psqlFetch > 0 {
		clients = append(clients, wire.PsqlClient(fmt.Sprintf("psql FETCH_COUNT=%d", psqlFetch), psqlFetch))
	}
	fmt.Println("| client | rows | first row | last row | server RSS before | server peak RSS | client peak RSS |")
	fmt.Println("|---|--:|--:|--:|--:|--:|--:|")
	for _, c := range clients {
		r, err := wire.MeasureFirstRow(ctx, bin, data, query, c)
		if err != nil {
			fmt.Printf("| %s | error: %s | | | | | |\n", c.Name, strings.Join(strings.Fields(err.Error()), " "))
			continue
		}
		crss := "-"
		if r.ClientRSS > 0 {
			crss = wire.MB(r.ClientRSS)
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %s | %s |\n", r.Client, r.Rows, ms(r.FirstRow), sec(r.Total),
			wire.MB(r.BaseRSS), wire.MB(r.PeakRSS), crss)
	}
	fmt.Println()
	return nil
}

func throughput(ctx context.Context, bin, data, table, query, pgDSN, pgDir string, runs int) error {
	srv, err := wire.StartBasalt(bin, data)
	if err != nil {
		return err
	}
	defer srv.Stop()
	if pgDSN == "" {
		dsn, stop, err := wire.StartPostgres(ctx, pgDir)
		if err != nil {
			return err
		}
		defer stop()
		pgDSN = dsn
	}
	fmt.Fprintf(os.Stderr, "wirebench: loading %s into PostgreSQL (once per -pg-dir)\n", table)
	if err := wire.LoadPostgres(ctx, pgDSN, srv.DSN(), bin, data, table); err != nil {
		return fmt.Errorf("loading PostgreSQL: %w", err)
	}
	servers := []struct{ name, dsn string }{{"Basalt", srv.DSN()}, {"PostgreSQL 15", pgDSN}}
	fmt.Printf("pgconn, extended protocol, all columns in one format, best of %d runs; MB/s counts every byte the client received.\n\n", runs)
	fmt.Println("| server | format | rows | MB received | seconds | rows/s | MB/s |")
	fmt.Println("|---|---|--:|--:|--:|--:|--:|")
	for _, format := range []int16{0, 1} {
		for _, s := range servers {
			var best wire.Throughput
			for i := 0; i < runs; i++ {
				t, err := wire.ReadAll(ctx, s.name, s.dsn, query, format)
				if err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
				if i == 0 || t.Elapsed < best.Elapsed {
					best = t
				}
			}
			fmt.Printf("| %s | %s | %d | %.0f | %.2f | %.0f | %.1f |\n", best.Server, best.Format, best.Rows,
				float64(best.Bytes)/(1<<20), best.Elapsed.Seconds(), best.RowsPerSec(), best.MBPerSec())
		}
	}
	fmt.Println()
	if !srv.Alive() {
		return fmt.Errorf("basalt serve exited:\n%s", srv.Log())
	}
	return nil
}

func ms(d time.Duration) string  { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
func sec(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
