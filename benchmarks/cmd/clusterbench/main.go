// Command clusterbench measures the cost of distribution: the 22 TPC-H
// queries on one `basalt serve` and on a 3-node cluster of `basalt serve`
// processes on this machine (127.0.0.1 ports, the second and third joining
// the first, a cluster key, --distribute-min-bytes 0 so every query that
// can distribute does), sent to the second node. It prints a markdown table
// (recorded in benchmarks/README.md) of the CPU seconds of the single
// server and of all three nodes together, the bytes the nodes exchanged
// (system.tasks), the wall times and whether the answers match, then the
// geometric mean of the CPU ratios and the exchange's loopback throughput
// from exec/exchange's BenchmarkLoopback.
//
//	go run ./cmd/clusterbench [-data DIR] [-sf 1] [-runs 3] [-compression lz4|none|zstd|s2] [-queries 1,9,18] [-explain 9,18]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/basaltdb/basalt/benchmarks/cluster"
	"github.com/basaltdb/basalt/benchmarks/wire"
	"github.com/basaltdb/basalt/storage/tpchgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "clusterbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	sf := flag.Float64("sf", 1, "TPC-H scale factor of generated data")
	data := flag.String("data", "", "TPC-H data directory; generated when it has no lineitem (default /tmp/basalt-tpch-sf<sf>)")
	bin := flag.String("bin", "", "basalt binary (default: built from this checkout)")
	runs := flag.Int("runs", 3, "measured runs per query and target, after one warm-up; CPU is the median, wall time the best")
	nodes := flag.Int("nodes", 3, "cluster size")
	comp := flag.String("compression", "lz4", "--exchange-compression of the nodes: none, lz4, zstd or s2")
	minBytes := flag.String("distribute-min-bytes", "0", "--distribute-min-bytes of the nodes")
	queries := flag.String("queries", "", "comma-separated query numbers (default all 22)")
	explain := flag.String("explain", "", "comma-separated query numbers to print EXPLAIN ANALYZE of, run on the cluster")
	loopback := flag.Bool("loopback", true, "also run exec/exchange's BenchmarkLoopback")
	benchtime := flag.String("benchtime", "5x", "-benchtime of BenchmarkLoopback")
	timeout := flag.Duration("timeout", 5*time.Minute, "bound on each query's runs")
	flag.Parse()
	if *runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	if *nodes < 2 {
		return errors.New("-nodes must be at least 2")
	}
	qs, err := parseQueries(*queries)
	if err != nil {
		return err
	}
	xs, err := parseQueries(*explain)
	if err != nil {
		return err
	}
	if *explain == "" {
		xs = nil
	}
	if *data == "" {
		*data = filepath.Join(os.TempDir(), "basalt-tpch-sf"+strconv.FormatFloat(*sf, 'f', -1, 64))
	}
	if *bin == "" {
		dir, err := os.MkdirTemp("", "clusterbench")
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
	root, err := wire.RepoRoot()
	if err != nil {
		return err
	}

	single, err := cluster.StartNode(cluster.NodeConfig{Bin: *bin, Data: *data, Name: "single"})
	if err != nil {
		return err
	}
	defer single.Stop()
	cl, err := cluster.StartCluster(ctx, *bin, *data, *nodes, "clusterbench key",
		"--distribute-min-bytes", *minBytes, "--exchange-compression", *comp)
	if err != nil {
		return err
	}
	defer cl.Stop()
	sconn, err := single.Connect(ctx)
	if err != nil {
		return err
	}
	defer sconn.Close(context.Background())
	coord := cl.Nodes[1]
	cconn, err := coord.Connect(ctx)
	if err != nil {
		return err
	}
	defer cconn.Close(context.Background())
	singleT := cluster.Target{Conn: sconn, PIDs: []int{single.PID}}
	clusterT := cluster.Target{Conn: cconn, PIDs: cl.PIDs(), Clustered: true}

	const idleSpan = 3 * time.Second
	idle, err := idleCPU(ctx, cl.PIDs(), idleSpan)
	if err != nil {
		return err
	}

	fmt.Printf("TPC-H SF %g (%s), %d-node cluster vs one node, queries sent to %s, --exchange-compression %s, --distribute-min-bytes %s\n",
		*sf, *data, *nodes, coord.Name, *comp, *minBytes)
	fmt.Printf("commit %s, %d cores, %s, load average at start: %s\n\n", commit(root), runtime.NumCPU(),
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), loadavg())
	fmt.Printf("CPU: user+system seconds of the processes (one server; all %d nodes summed), median of %d runs after a warm-up;\n", *nodes, *runs)
	fmt.Printf("wall: best of the runs. Bytes: wire bytes all tasks sent (system.tasks), as the streams carry them.\n")
	fmt.Printf("The idle cluster (gossip, timers) uses %.0f ms of CPU per second, all nodes together.\n\n", float64(idle)/float64(time.Millisecond)/idleSpan.Seconds())
	fmt.Println("| query | CPU 1 node s | CPU cluster s | overhead | bytes exchanged | stages / tasks | wall 1 node ms | wall cluster ms | match |")
	fmt.Println("|---|--:|--:|--:|--:|--:|--:|--:|---|")
	var results []cluster.Result
	var failed []string
	for _, q := range qs {
		qctx, cancel := context.WithTimeout(ctx, *timeout)
		r, err := cluster.Measure(qctx, tpchgen.QueryName(q), tpchgen.Query(q), singleT, clusterT, *runs)
		cancel()
		if err != nil {
			fmt.Printf("| %s | error: %s | | | | | | | |\n", tpchgen.QueryName(q), strings.Join(strings.Fields(err.Error()), " "))
			failed = append(failed, tpchgen.QueryName(q))
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		results = append(results, r)
		printRow(r)
	}
	fmt.Printf("\nGeometric mean of cluster CPU / one-node CPU over %d queries: **%.2f** (target: at most 1.25)", len(results), cluster.Geomean(results))
	var bytes int64
	mismatches := 0
	for _, r := range results {
		bytes += r.Exchange.Bytes
		if r.Mismatch != "" {
			mismatches++
		}
	}
	fmt.Printf("; %s exchanged in all; %d answers differ from one node's", mb(bytes), mismatches)
	if len(failed) > 0 {
		fmt.Printf("; failed: %s", strings.Join(failed, ", "))
	}
	fmt.Printf(". Load average at the end: %s.\n\n", loadavg())
	for _, r := range results {
		if r.Mismatch != "" {
			fmt.Printf("- %s differs: %s\n", r.Name, r.Mismatch)
		}
	}

	for _, q := range xs {
		rows, _, err := cluster.Execute(ctx, clusterT, "EXPLAIN ANALYZE "+tpchgen.Query(q))
		if err != nil {
			return fmt.Errorf("EXPLAIN ANALYZE %s: %w", tpchgen.QueryName(q), err)
		}
		fmt.Printf("EXPLAIN ANALYZE %s on %s:\n\n```\n%s\n```\n\n", tpchgen.QueryName(q), coord.Name, strings.Join(rows, "\n"))
	}

	if *loopback {
		// The cluster idles meanwhile; stop it anyway so the benchmark has
		// the cores to itself.
		cl.Stop()
		single.Stop()
		ls, out, err := cluster.RunLoopback(ctx, root, *benchtime)
		if err != nil {
			return err
		}
		fmt.Fprint(os.Stderr, out)
		fmt.Printf("Exchange throughput over loopback (`go test ./exec/exchange -bench Loopback -benchtime %s`: one stream of 1M mixed rows; MB/s of uncompressed Arrow buffers), load average %s:\n\n", *benchtime, loadavg())
		fmt.Println("| compression | MB/s | MB per CPU second | ratio | allocated per 1M rows |")
		fmt.Println("|---|--:|--:|--:|--:|")
		for _, l := range ls {
			perCPU := "-"
			if l.MBpsCPU > 0 {
				perCPU = fmt.Sprintf("%.0f", l.MBpsCPU)
			}
			fmt.Printf("| %s | %.0f | %s | %.1f | %s |\n", l.Compression, l.MBps, perCPU, l.Ratio, mb(l.BytesPerOp))
		}
	}
	if len(failed) > 0 || mismatches > 0 {
		return fmt.Errorf("%d queries failed, %d answers differ", len(failed), mismatches)
	}
	return nil
}

func printRow(r cluster.Result) {
	match := "yes"
	if r.Mismatch != "" {
		match = "**no**"
	}
	bytes, tasks := "local", "-"
	if r.Distributed {
		bytes = mb(r.Exchange.Bytes)
		tasks = fmt.Sprintf("%d / %d", r.Exchange.Stages, r.Exchange.Tasks)
		if r.Uncollected {
			bytes = "≥ " + bytes + " (tasks left running in system.tasks)"
		}
		if r.Exchange.Attempts > 1 {
			tasks += fmt.Sprintf(" (%d attempts)", r.Exchange.Attempts)
		}
	}
	fmt.Printf("| %s | %.2f | %.2f | %+.0f%% | %s | %s | %.0f | %.0f | %s |\n", r.Name,
		r.CPUSingle().Seconds(), r.CPUCluster().Seconds(), (r.Ratio()-1)*100, bytes, tasks,
		ms(r.WallSingle()), ms(r.WallCluster()), match)
}

// idleCPU is the CPU the processes use over d while nobody queries them.
func idleCPU(ctx context.Context, pids []int, d time.Duration) (time.Duration, error) {
	before, err := cluster.CPU(pids...)
	if err != nil {
		return 0, err
	}
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	after, err := cluster.CPU(pids...)
	return after - before, err
}

func parseQueries(s string) ([]int, error) {
	if s == "" {
		qs := make([]int, tpchgen.NumQueries)
		for i := range qs {
			qs[i] = i + 1
		}
		return qs, nil
	}
	var qs []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(strings.ToLower(f)), "q"))
		if err != nil || n < 1 || n > tpchgen.NumQueries {
			return nil, fmt.Errorf("query %q: want 1 to %d", f, tpchgen.NumQueries)
		}
		qs = append(qs, n)
	}
	return qs, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mb(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func commit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
