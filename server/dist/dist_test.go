package dist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/storage/tpchgen"
)

var (
	dataOnce sync.Once
	dataDir  string
	dataErr  error
)

// tpch generates a small TPC-H set once per test binary.
func tpch(t *testing.T) string {
	t.Helper()
	dataOnce.Do(func() {
		dataDir, dataErr = os.MkdirTemp("", "basalt-dist-*")
		if dataErr == nil {
			dataErr = tpchgen.Generate(context.Background(), 0.01, dataDir, nil)
		}
	})
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	return dataDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dataDir != "" {
		os.RemoveAll(dataDir)
	}
	os.Exit(code)
}

// rowsOf runs sql and returns its rows as text lines (sorted when sorted).
func rowsOf(t *testing.T, e *engine.Engine, sql string) ([]string, error) {
	t.Helper()
	res, err := e.Query(context.Background(), sql)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out []string
	for {
		b, err := res.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, lines(b, res.Columns)...)
	}
}

func lines(b arrow.RecordBatch, cols []engine.Column) []string {
	var out []string
	for r := 0; r < int(b.NumRows()); r++ {
		fs := make([]string, b.NumCols())
		for c := range fs {
			v, null := pgtext.Format(b.Column(c), r, cols[c].Type)
			if null {
				v = "NULL"
			}
			fs[c] = v
		}
		out = append(out, strings.Join(fs, "|"))
	}
	return out
}

func TestTPCHOnThreeNodes(t *testing.T) {
	lc, local := threeNodes(t)
	nodes := lc.Nodes
	for q := 1; q <= tpchgen.NumQueries; q++ {
		t.Run(tpchgen.QueryName(q), func(t *testing.T) {
			sql := tpchgen.Query(q)
			want, err := rowsOf(t, local, sql)
			if err != nil {
				t.Fatal(err)
			}
			got, err := rowsOf(t, nodes[1].Engine, sql)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.ToLower(sql), "order by") {
				sort.Strings(want)
				sort.Strings(got)
			}
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Fatalf("distributed answer differs:\nwant %d rows:\n%s\ngot %d rows:\n%s", len(want), head(want), len(got), head(got))
			}
		})
	}
	out, err := rowsOf(t, nodes[1].Engine, "EXPLAIN ANALYZE "+tpchgen.Query(3))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(out, "\n")
	for _, n := range nodes {
		if !strings.Contains(text, "node="+n.Name) {
			t.Errorf("EXPLAIN ANALYZE shows no task on %s:\n%s", n.Name, text)
		}
	}
	t.Log(text)
}

// threeNodes starts a local 3-node cluster over the test data, and an
// engine of one node alone over the same data for reference answers.
func threeNodes(t *testing.T) (*LocalCluster, *engine.Engine) {
	t.Helper()
	dir := tpch(t)
	lc, err := StartLocal(context.Background(), dir, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lc.Close() })
	local, err := engine.Open(context.Background(), engine.Config{DataDir: dir, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	return lc, local
}

func head(s []string) string {
	if len(s) > 10 {
		s = s[:10]
	}
	return strings.Join(s, "\n")
}

// TestNodeLostBeforeMembershipKnows: a node whose exchange is gone while
// membership still lists it alive (a kill -9 not yet detected) fails the
// first attempt; the coordinator finds it unreachable and runs the query
// again on the others, with the right answer.
func TestNodeLostBeforeMembershipKnows(t *testing.T) {
	lc, local := threeNodes(t)
	sql := tpchgen.Query(18)
	want, err := rowsOf(t, local, sql)
	if err != nil {
		t.Fatal(err)
	}
	lc.Nodes[2].svc.Close() // membership still says alive
	got, err := rowsOf(t, lc.Nodes[1].Engine, sql)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Fatalf("answer after a lost node differs:\nwant %s\ngot %s", head(want), head(got))
	}
	q, err := rowsOf(t, lc.Nodes[1].Engine, "select attempts, tasks_rerun > 0, nodes, state from system.queries order by started desc limit 1")
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0] != "2|t|n2,n1|finished" {
		t.Fatalf("system.queries: %v, want one row 2|t|n2,n1|finished", q)
	}
	// The next query leaves the lost node out from the start.
	if _, err := rowsOf(t, lc.Nodes[1].Engine, sql); err != nil {
		t.Fatal(err)
	}
	q, err = rowsOf(t, lc.Nodes[1].Engine, "select attempts, nodes from system.queries order by started desc limit 1")
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0] != "1|n2,n1" {
		t.Fatalf("system.queries after: %v, want 1|n2,n1", q)
	}
}

// TestCancelStopsEveryTask: closing a distributed query's result early
// (a client gone, a LIMIT satisfied) stops its tasks on every node.
func TestCancelStopsEveryTask(t *testing.T) {
	lc, _ := threeNodes(t)
	res, err := lc.Nodes[0].Engine.Query(context.Background(), "select l_orderkey, l_comment from lineitem")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	res.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		running := 0
		for _, n := range lc.Nodes {
			running += n.Worker.Running() + n.svc.Streams()
		}
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks and streams still running 10s after the query was closed", running)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestShapes runs plan shapes the TPC-H queries do not have on three
// nodes and one, comparing the answers.
func TestShapes(t *testing.T) {
	lc, local := threeNodes(t)
	for i, sql := range []string{
		// One CTE read by two stages: each gets its own copy.
		`with c as (select l_orderkey k, sum(l_quantity) q from lineitem group by l_orderkey)
		 select count(*), sum(q) from orders join c on o_orderkey = c.k
		 union all select count(*), sum(q) from c`,
		// Outer joins both ways, a full join, NOT IN with NULLs.
		`select count(*), count(o_orderkey) from customer left join orders on c_custkey = o_custkey`,
		`select count(*), count(c_custkey) from orders right join customer on c_custkey = o_custkey and o_totalprice > 100000`,
		`select count(*), count(p_partkey), count(ps_partkey) from part full join partsupp on p_partkey = ps_partkey and ps_availqty > 5000`,
		`select count(*) from supplier where s_nationkey not in (select case when n_regionkey = 1 then null else n_nationkey end from nation)`,
		`select count(*) from supplier where s_nationkey not in (select n_nationkey from nation where n_regionkey = 1)`,
		// DISTINCT and ordered aggregates, grouping on expressions.
		`select l_returnflag, count(distinct l_suppkey), string_agg(distinct l_linestatus, ',' order by l_linestatus) from lineitem group by l_returnflag order by 1`,
		`select extract(year from o_orderdate) y, count(*), avg(o_totalprice)::numeric(20,2) from orders group by 1 order by 1`,
		`select count(distinct l_partkey) from lineitem`,
		// Windows, limits with offsets, set operations.
		`select o_custkey, o_orderkey, rank() over (partition by o_custkey order by o_totalprice desc) from orders order by 1, 2 limit 20`,
		`select l_orderkey, l_linenumber from lineitem order by l_extendedprice desc, l_orderkey, l_linenumber limit 5 offset 7`,
		`select count(*) from (select l_orderkey from lineitem limit 1000) s`,
		`select n_name from nation intersect select n_name from nation where n_regionkey < 3 order by 1`,
		`select c_nationkey from customer except select s_nationkey from supplier order by 1`,
		// Cross join with a scalar subquery, generate_series and VALUES joined to a table.
		`select count(*) from nation, (select max(r_regionkey) m from region) r where n_regionkey = r.m`,
		`select v.k, count(*) from (values (1), (2), (3)) v(k) join orders on o_orderkey % 4 = v.k group by v.k order by 1`,
		`select g, count(l_orderkey) from generate_series(1, 3) g left join lineitem on l_linenumber = g group by g order by g`,
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want, err := rowsOf(t, local, sql)
			if err != nil {
				t.Fatal(err)
			}
			got, err := rowsOf(t, lc.Nodes[2].Engine, sql)
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(want)
			sort.Strings(got)
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Fatalf("%s\nwant %d rows:\n%s\ngot %d rows:\n%s", sql, len(want), head(want), len(got), head(got))
			}
		})
	}
}

// TestTimeoutStopsEveryTask: a statement whose context ends (a client's
// cancel, statement_timeout) fails with 57014 and every task of it, on
// every node, stops and lets go of its streams.
func TestTimeoutStopsEveryTask(t *testing.T) {
	lc, _ := threeNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// Billions of pairs: it runs until canceled.
	res, err := lc.Nodes[1].Engine.Query(ctx, "select count(*) from lineitem a join lineitem b on a.l_linenumber = b.l_linenumber")
	if err != nil {
		t.Fatal(err)
	}
	_, err = res.Next(ctx)
	res.Close()
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.QueryCanceled {
		t.Fatalf("got %v, want 57014", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		busy := 0
		for _, n := range lc.Nodes {
			busy += n.Worker.Running() + n.svc.Streams()
		}
		if busy == 0 {
			t.Logf("every task stopped %s after the timeout", 10*time.Second-time.Until(deadline))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks and streams still running 10 s after the timeout", busy)
		}
		time.Sleep(20 * time.Millisecond)
	}
	q, err := rowsOf(t, lc.Nodes[1].Engine, "select state from system.queries order by started desc limit 1")
	if err != nil || len(q) != 1 || q[0] != "canceled" {
		t.Fatalf("system.queries: %v %v, want canceled", q, err)
	}
}
