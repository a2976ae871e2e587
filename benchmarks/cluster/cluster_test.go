package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/basaltdb/basalt/benchmarks/wire"
	"github.com/basaltdb/basalt/storage/tpchgen"
)

// TestClusterBench runs what cmd/clusterbench runs, at SF 0.01 and one
// measured run per query, so CI exercises the whole harness: three
// processes form a cluster, every TPC-H query distributes over all three
// nodes, the answers match one node's, and the CPU and bytes it reports
// are real readings. BASALT_CLUSTER_BENCH_DATA reuses a data folder.
func TestClusterBench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds basalt and starts four servers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := wire.BuildBasalt(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := os.Getenv("BASALT_CLUSTER_BENCH_DATA")
	if data == "" {
		data = filepath.Join(t.TempDir(), "tpch")
	}
	if err := wire.EnsureTPCH(ctx, bin, data, 0.01); err != nil {
		t.Fatal(err)
	}
	single, err := StartNode(NodeConfig{Bin: bin, Data: data, Name: "single"})
	if err != nil {
		t.Fatal(err)
	}
	defer single.Stop()
	cl, err := StartCluster(ctx, bin, data, 3, "test key", "--distribute-min-bytes", "0", "--exchange-compression", "lz4")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cl.Stop()
		if t.Failed() {
			for _, n := range cl.Nodes {
				t.Logf("stderr of %s:\n%s", n.Name, n.Log())
			}
		}
	}()
	sconn, err := single.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sconn.Close(context.Background())
	cconn, err := cl.Nodes[1].Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cconn.Close(context.Background())
	singleT := Target{Conn: sconn, PIDs: []int{single.PID}}
	clusterT := Target{Conn: cconn, PIDs: cl.PIDs(), Clustered: true}

	var cpuSingle, cpuCluster time.Duration
	var results []Result
	local := 0
	for q := 1; q <= tpchgen.NumQueries; q++ {
		r, err := Measure(ctx, tpchgen.QueryName(q), tpchgen.Query(q), singleT, clusterT, 1)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, r)
		if r.Mismatch != "" {
			t.Errorf("%s: the cluster's answer differs: %s", r.Name, r.Mismatch)
		}
		if !r.Distributed {
			// At SF 0.01 part, partsupp, supplier, nation and region are
			// one row group each, and a one-split scan runs as one task:
			// a query reading only those has nothing to spread.
			t.Logf("%s: ran on one node (its tables are one split each at this size)", r.Name)
			local++
			continue
		}
		if r.Exchange.Nodes != 3 || r.Exchange.Bytes <= 0 || r.Exchange.Attempts != 1 {
			t.Errorf("%s: tasks on %d nodes, %d bytes, %d attempts; want 3 nodes, some bytes, 1 attempt",
				r.Name, r.Exchange.Nodes, r.Exchange.Bytes, r.Exchange.Attempts)
		}
		cpuSingle += r.CPUSingle()
		cpuCluster += r.CPUCluster()
		t.Logf("%s: %d rows, CPU %v / %v, %d bytes, %d stages", r.Name, r.Rows, r.CPUSingle(), r.CPUCluster(), r.Exchange.Bytes, r.Exchange.Stages)
	}
	if local > 4 {
		t.Errorf("%d of %d queries ran on one node; at SF 0.01 only those reading no lineitem, orders or customer may", local, tpchgen.NumQueries)
	}
	// Single queries may read under the 10 ms tick; all 22 cannot.
	if cpuSingle <= 0 || cpuCluster <= 0 {
		t.Errorf("CPU over all queries: %v on one node, %v on the cluster; want both above 0", cpuSingle, cpuCluster)
	}
	t.Logf("geomean CPU ratio at SF 0.01 (meaningless this small): %.2f", Geomean(results))
}

func TestCPUCountsThisProcess(t *testing.T) {
	pid := os.Getpid()
	before, err := CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(200 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	after, err := CPU(pid, pid)
	if err != nil {
		t.Fatal(err)
	}
	// pid twice sums twice: at least twice what it had before, plus the
	// spin (at least a few ticks even on a loaded machine).
	if after < 2*before+20*time.Millisecond {
		t.Errorf("CPU %v before, %v (counted twice) after a 200 ms spin of %d rounds", before, after, x)
	}
	if _, err := CPU(1 << 30); err == nil {
		t.Error("CPU of a pid that does not exist: no error")
	}
}

func TestDiff(t *testing.T) {
	for _, c := range []struct {
		name      string
		want, got []string
		ordered   bool
		differs   bool
	}{
		{"equal", []string{"a|1", "b|2"}, []string{"a|1", "b|2"}, true, false},
		{"unordered", []string{"a|1", "b|2"}, []string{"b|2", "a|1"}, false, false},
		{"ordered ties", []string{"a|1", "b|1"}, []string{"b|1", "a|1"}, true, false},
		{"float sum order", []string{"x|0.30000000000000004"}, []string{"x|0.3"}, false, false},
		{"float off", []string{"x|0.31"}, []string{"x|0.3"}, false, true},
		{"text off", []string{"a|1"}, []string{"b|1"}, false, true},
		{"rows", []string{"a|1"}, []string{"a|1", "a|1"}, false, true},
		{"multiset", []string{"a|1", "a|1", "b|1"}, []string{"a|1", "b|1", "b|1"}, false, true},
		{"null", []string{"NULL"}, []string{"0"}, false, true},
	} {
		if d := Diff(c.want, c.got, c.ordered); (d != "") != c.differs {
			t.Errorf("%s: Diff = %q, want differs=%v", c.name, d, c.differs)
		}
	}
}

func TestSameText(t *testing.T) {
	sql := tpchgen.Query(6)
	stored := strings.TrimSpace(sql[strings.Index(sql, "\n"):])
	if !sameText(stored, sql) {
		t.Errorf("stored text without the comment line does not match the query")
	}
	if sameText(stored, tpchgen.Query(14)) {
		t.Errorf("Q6's text matches Q14")
	}
}

func TestParseLoopback(t *testing.T) {
	out := `goos: linux
BenchmarkLoopback/none-2         	       5	 212345678 ns/op	 395.12 MB/s	         1.000 ratio	74000000 B/op	    1234 allocs/op
BenchmarkLoopback/lz4-2          	       5	 912345678 ns/op	  88.00 MB/s	       310.5 MB/cpu-s	         1.900 ratio	197000000 B/op	    5678 allocs/op
PASS
`
	ls, err := ParseLoopback(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].Compression != "none" || ls[0].MBps != 395.12 || ls[1].Compression != "lz4" ||
		ls[1].Ratio != 1.9 || ls[1].BytesPerOp != 197000000 || ls[1].MBpsCPU != 310.5 || ls[0].MBpsCPU != 0 {
		t.Errorf("parsed %+v", ls)
	}
	if _, err := ParseLoopback("PASS\n"); err == nil {
		t.Error("no benchmark lines: no error")
	}
}
