// Command tpchbench runs the TPC-H queries on Basalt and DuckDB side by side
// over the same Parquet data and prints a markdown table of their times,
// Basalt's peak query memory and whether the answers match.
//
//	go run ./cmd/tpchbench -sf 1 [-dir DIR] [-queries 1,3,5] [-runs 3] [-memory-limit 256MB] [-threads N] [-timeout 5m]
//
// Both engines run in this process, one query at a time. Each query runs
// once on each engine to warm caches (that answer is the one compared),
// then -runs times; the best time counts.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/basaltdb/basalt/benchmarks"
	"github.com/basaltdb/basalt/storage/tpchgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "tpchbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	sf := flag.Float64("sf", 1, "TPC-H scale factor (whole numbers from 1; fractions give partly matching keys)")
	dir := flag.String("dir", "", "data directory; generated there when it has no TPC-H tables (default: a folder per sf under the temp dir)")
	queries := flag.String("queries", "", "comma-separated query numbers, e.g. 1,3,5 (default: all 22)")
	runs := flag.Int("runs", 3, "timed runs per query and engine, after one warm-up; the best counts")
	memLimit := flag.String("memory-limit", "", "memory limit per Basalt query and for DuckDB, e.g. 256MB or 4GiB (binary units)")
	threads := flag.Int("threads", 0, "worker threads of each engine (0: all cores)")
	timeout := flag.Duration("timeout", 5*time.Minute, "bound on each run of a query; a run over it counts as an error")
	flag.Parse()

	if *runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	limit, err := parseSize(*memLimit)
	if err != nil {
		return err
	}
	nums, err := parseQueries(*queries)
	if err != nil {
		return err
	}
	if *dir == "" {
		*dir = filepath.Join(os.TempDir(), "basalt-tpch-sf"+strconv.FormatFloat(*sf, 'f', -1, 64))
	}
	start := time.Now()
	if err := benchmarks.EnsureTPCH(ctx, *sf, *dir, os.Stderr); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "data: %s (ready after %s)\n", *dir, time.Since(start).Round(time.Millisecond))

	duck, err := benchmarks.OpenDuckDB(ctx, *dir, benchmarks.DuckDBConfig{Threads: *threads, MemoryLimit: limit})
	if err != nil {
		return err
	}
	defer duck.Close()
	bas, err := benchmarks.OpenBasalt(ctx, *dir, benchmarks.BasaltConfig{MemoryLimit: limit, Parallelism: *threads})
	if err != nil {
		return err
	}
	defer bas.Close()

	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	cores := *threads
	if cores == 0 {
		cores = runtime.NumCPU()
	}
	fmt.Fprintf(out, "TPC-H sf %v, %d threads, best of %d runs after a warm-up", *sf, cores, *runs)
	if limit > 0 {
		fmt.Fprintf(out, ", memory limit %s", formatBytes(limit))
	}
	fmt.Fprint(out, "\n\n| query | Basalt ms | DuckDB ms | ratio | Basalt peak memory | match |\n|---|---:|---:|---:|---:|---|\n")
	out.Flush()

	var logSum float64
	var nRatios, nMatch int
	for _, n := range nums {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r := benchQuery(ctx, timeoutEngine{duck, *timeout}, timeoutEngine{bas, *timeout}, n, *runs)
		fmt.Fprintln(out, r.row())
		out.Flush()
		if r.basErr == nil && r.duckErr == nil && r.bas > 0 && r.duck > 0 {
			logSum += math.Log(float64(r.bas) / float64(r.duck))
			nRatios++
		}
		if r.match == nil && r.basErr == nil && r.duckErr == nil {
			nMatch++
		}
		if r.match != nil {
			fmt.Fprintf(os.Stderr, "%s: answers differ: %v\n", tpchgen.QueryName(n), r.match)
		}
	}
	fmt.Fprintln(out)
	if nRatios > 0 {
		fmt.Fprintf(out, "Geometric mean of Basalt/DuckDB time over %d queries: %.2f\n", nRatios, math.Exp(logSum/float64(nRatios)))
	}
	fmt.Fprintf(out, "Answers matching DuckDB: %d of %d\n", nMatch, len(nums))
	if hwm, err := peakRSS(); err == nil {
		fmt.Fprintf(out, "Process peak RSS (VmHWM, Basalt and DuckDB together): %s\n", formatBytes(hwm))
	}
	return nil
}

type queryResult struct {
	n         int
	bas, duck time.Duration
	peak      int64
	basErr    error
	duckErr   error
	match     error
}

func (r queryResult) row() string {
	cell := func(d time.Duration, err error) string {
		if err != nil {
			return "error"
		}
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
	}
	ratio, mem, match := "", "", "yes"
	if r.basErr == nil && r.duckErr == nil && r.duck > 0 {
		ratio = strconv.FormatFloat(float64(r.bas)/float64(r.duck), 'f', 2, 64)
	}
	if r.basErr == nil {
		mem = formatBytes(r.peak)
	}
	switch {
	case r.basErr != nil:
		match = "no: " + oneLine(r.basErr.Error())
	case r.duckErr != nil:
		match = "DuckDB failed: " + oneLine(r.duckErr.Error())
	case r.match != nil:
		match = "no"
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", tpchgen.QueryName(r.n), cell(r.bas, r.basErr), cell(r.duck, r.duckErr), ratio, mem, match)
}

type engine interface {
	Query(ctx context.Context, sql string) (*benchmarks.Result, error)
}

// timeoutEngine bounds each query of an engine.
type timeoutEngine struct {
	e engine
	d time.Duration
}

func (t timeoutEngine) Query(ctx context.Context, sql string) (*benchmarks.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.e.Query(ctx, sql)
}

// benchQuery warms up both engines on query n, compares those answers and
// keeps the best of runs timed runs on each.
func benchQuery(ctx context.Context, duck, bas engine, n, runs int) queryResult {
	q := tpchgen.Query(n)
	r := queryResult{n: n}
	want, err := duck.Query(ctx, q)
	if err != nil {
		r.duckErr = err
	}
	got, err := bas.Query(ctx, q)
	if err != nil {
		r.basErr = err
	}
	if r.basErr == nil && r.duckErr == nil {
		r.match = benchmarks.Compare(want, got, benchmarks.TPCHSpecs[n-1])
	}
	best := func(e engine, peak *int64) (time.Duration, error) {
		var b time.Duration
		for i := 0; i < runs; i++ {
			res, err := e.Query(ctx, q)
			if err != nil {
				return 0, err
			}
			if i == 0 || res.Elapsed < b {
				b = res.Elapsed
			}
			if peak != nil && res.PeakMemory > *peak {
				*peak = res.PeakMemory
			}
		}
		return b, nil
	}
	if r.duckErr == nil {
		r.duck, r.duckErr = best(duck, nil)
	}
	if r.basErr == nil {
		r.peak = got.PeakMemory
		r.bas, r.basErr = best(bas, &r.peak)
	}
	return r
}

func parseQueries(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		all := make([]int, tpchgen.NumQueries)
		for i := range all {
			all[i] = i + 1
		}
		return all, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(f)), "q")
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > tpchgen.NumQueries {
			return nil, fmt.Errorf("-queries: %q is not a query number from 1 to %d", f, tpchgen.NumQueries)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseSize reads 512MB, 4GiB or a byte count; KB, MB, GB, TB are binary
// multiples, as in basalt's own --memory-limit.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToUpper(strings.TrimSpace(s[len(num):]))
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	mult := map[string]int64{"": 1, "B": 1, "KB": 1 << 10, "KIB": 1 << 10, "MB": 1 << 20, "MIB": 1 << 20,
		"GB": 1 << 30, "GIB": 1 << 30, "TB": 1 << 40, "TIB": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("invalid size unit in %q (use B, KB, MB, GB, TB or KiB, MiB, GiB, TiB)", s)
	}
	return n * mult, nil
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// peakRSS reads the process's peak resident set size from /proc.
func peakRSS() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, errors.New("VmHWM not found in /proc/self/status")
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
