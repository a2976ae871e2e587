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

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/exec/exchange"
	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/storage"
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

// members is a fixed member list.
type members struct {
	self Node
	mu   sync.Mutex
	all  []Node
	gone map[string]bool
}

func (m *members) Self() Node { return m.self }
func (m *members) Alive() []Node {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Node
	for _, n := range m.all {
		if !m.gone[n.Name] {
			out = append(out, n)
		}
	}
	return out
}
func (m *members) Gone(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gone[name]
}

// testNode is one node of an in-process cluster: its own exchange
// service on a loopback port, worker, coordinator and engine.
type testNode struct {
	name   string
	svc    *exchange.Service
	client *exchange.Client
	worker *Worker
	coord  *Coordinator
	eng    *engine.Engine
}

// cluster starts n nodes over the same data in this process.
func cluster(t *testing.T, dir string, n int) []*testNode {
	t.Helper()
	key := []byte("test-key")
	nodes := make([]*testNode, n)
	var all []Node
	for i := range nodes {
		svc := exchange.NewService(exchange.Config{ClusterKey: key})
		addr, err := svc.Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = &testNode{name: fmt.Sprintf("n%d", i+1), svc: svc, client: exchange.NewClient(key)}
		all = append(all, Node{Name: nodes[i].name, FlightAddr: addr.String()})
	}
	for i, tn := range nodes {
		m := &members{self: all[i], all: all, gone: map[string]bool{}}
		cat, err := storage.Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		tn.worker = NewWorker(WorkerConfig{Service: tn.svc, Client: tn.client, Tables: cat.Table, Members: m, Parallelism: 2})
		tn.coord = NewCoordinator(CoordinatorConfig{Client: tn.client, Members: m, Parallelism: 2})
		tn.eng, err = engine.Open(context.Background(), engine.Config{DataDir: dir, Parallelism: 2, Distributor: tn.coord,
			SystemTables: tn.coord.SystemTables()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			tn.worker.Close()
			tn.svc.Close()
			tn.client.Close()
		})
	}
	return nodes
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
	dir := tpch(t)
	nodes := cluster(t, dir, 3)
	local, err := engine.Open(context.Background(), engine.Config{DataDir: dir, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	for q := 1; q <= tpchgen.NumQueries; q++ {
		t.Run(tpchgen.QueryName(q), func(t *testing.T) {
			sql := tpchgen.Query(q)
			want, err := rowsOf(t, local, sql)
			if err != nil {
				t.Fatal(err)
			}
			got, err := rowsOf(t, nodes[1].eng, sql)
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
	out, err := rowsOf(t, nodes[1].eng, "EXPLAIN ANALYZE "+tpchgen.Query(3))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(out, "\n")
	for _, n := range nodes {
		if !strings.Contains(text, "node="+n.name) {
			t.Errorf("EXPLAIN ANALYZE shows no task on %s:\n%s", n.name, text)
		}
	}
	t.Log(text)
}

func head(s []string) string {
	if len(s) > 10 {
		s = s[:10]
	}
	return strings.Join(s, "\n")
}
