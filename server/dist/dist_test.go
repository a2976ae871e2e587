package dist

import (
	"context"
	"errors"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgtext"
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
	dir := tpch(t)
	lc, err := StartLocal(context.Background(), dir, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	nodes := lc.Nodes
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

func head(s []string) string {
	if len(s) > 10 {
		s = s[:10]
	}
	return strings.Join(s, "\n")
}
