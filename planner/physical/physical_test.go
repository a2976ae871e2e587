package physical_test

import (
	"context"
	"errors"
	"io"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/planner/optimize"
	"github.com/basaltdb/basalt/planner/physical"
	"github.com/basaltdb/basalt/sql/binder"
	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/storage"
	"github.com/basaltdb/basalt/test/slt"
)

func plan(t *testing.T, cat *storage.Catalog, sql string) logical.Node {
	t.Helper()
	stmts, err := pgfront.Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	b, err := binder.New(cat, stmts[0].ColumnAliases).BindQuery(stmts[0].AST)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	p, _, err := optimize.Optimize(b.Plan, false)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runPlan builds n with the given parallelism and returns its rows as text.
func runPlan(t *testing.T, n logical.Node, par int, stats *physical.Stats) []string {
	t.Helper()
	mem := exec.NewMemory(0)
	p := &physical.Planner{Alloc: memory.DefaultAllocator, Mem: mem, Parallelism: par, Stats: stats}
	root, err := p.Build(n)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ctx := context.Background()
	if err := exec.Open(ctx, root); err != nil {
		t.Fatal(err)
	}
	if got, want := root.Schema().NumFields(), len(n.Schema()); got != want {
		t.Fatalf("operator schema has %d fields, plan %d", got, want)
	}
	var rows []string
	for {
		b, err := exec.Next(ctx, root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < int(b.NumRows()); r++ {
			var cells []string
			for c, col := range n.Schema() {
				s, null := pgtext.Format(b.Column(c), r, col.T)
				if null {
					s = "NULL"
				}
				cells = append(cells, s)
			}
			rows = append(rows, strings.Join(cells, "|"))
		}
	}
	if err := root.Close(); err != nil {
		t.Fatal(err)
	}
	if mem.Used() != 0 {
		t.Errorf("%d bytes still reserved after Close", mem.Used())
	}
	return rows
}

func TestParallelStreams(t *testing.T) {
	dir := t.TempDir()
	if err := slt.WriteParquet(dir, slt.Fixtures()); err != nil {
		t.Fatal(err)
	}
	cat, err := storage.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"select grp, count(*), sum(amt), min(x), max(d) from big group by grp",
		"select b.id, d.label from big b join dim d on b.k = d.k where b.id < 500",
		"select b.id, d.label from big b full join dim d on b.k = d.k",
		"select a, b from pairs where a not in (select k from dim where k > 3)",
		"select id, amt from big order by amt desc, id limit 10 offset 5",
		"select k from big union select k from dim",
		"select count(*) from big",
	} {
		n := plan(t, cat, sql)
		st := physical.NewStats()
		r1 := runPlan(t, n, 1, nil)
		r4 := runPlan(t, n, 4, st)
		if !strings.Contains(sql, "order by") {
			sort.Strings(r1)
			sort.Strings(r4)
		}
		if strings.Join(r1, "\n") != strings.Join(r4, "\n") || len(r1) == 0 {
			t.Errorf("%s: parallelism 1 gives %d rows, 4 gives %d", sql, len(r1), len(r4))
		}
		// The scan of big (three files, several row groups) runs as several
		// streams whose rows add up to the table, minus pushed filters.
		var scanRows int64
		var instances int
		walk(n, func(x logical.Node) {
			if s, ok := x.(*logical.Scan); ok && s.Table.Name == "big" && len(s.Filters) == 0 {
				for _, o := range st.For(x) {
					scanRows += o.Rows.Load()
					instances++
				}
			}
		})
		if instances > 0 && (scanRows != 3000 || instances < 2) {
			t.Errorf("%s: big scanned as %d streams, %d rows", sql, instances, scanRows)
		}
	}
}

func walk(n logical.Node, f func(logical.Node)) {
	f(n)
	for _, c := range n.Children() {
		walk(c, f)
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }
