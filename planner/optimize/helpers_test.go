package optimize_test

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

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/planner/optimize"
	"github.com/basaltdb/basalt/planner/physical"
	"github.com/basaltdb/basalt/sql/binder"
	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
	"github.com/basaltdb/basalt/test/slt"
)

var (
	catOnce sync.Once
	catDir  string
	cat     *storage.Catalog
	catErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if catDir != "" {
		os.RemoveAll(catDir)
	}
	os.Exit(code)
}

func column(name string, t types.T, sqlType string) slt.Column {
	return slt.Column{Name: name, SQLType: sqlType, Type: t}
}

// starTables is a star schema whose sizes differ by an order of magnitude:
// fact (2000 rows) references d1 (200), d2 (40) and d3 (8).
func starTables() []*slt.Table {
	fact := &slt.Table{Name: "fact", Files: 2, RowGroupRows: 300, Columns: []slt.Column{
		column("id", types.Int64T, "bigint"), column("d1", types.Int32T, "integer"),
		column("d2", types.Int32T, "integer"), column("d3", types.Int32T, "integer"),
		column("v", types.Int64T, "bigint")}}
	for i := int64(0); i < 2000; i++ {
		fact.Rows = append(fact.Rows, []any{i, int32(i % 200), int32(i % 40), int32(i % 8), i * 3 % 101})
	}
	dim := func(name string, n int) *slt.Table {
		t := &slt.Table{Name: name, Files: 1, Columns: []slt.Column{
			column("id", types.Int32T, "integer"), column("label", types.TextT, "text")}}
		for i := 0; i < n; i++ {
			t.Rows = append(t.Rows, []any{int32(i), fmt.Sprintf("%s_%d", name, i)})
		}
		return t
	}
	return []*slt.Table{fact, dim("d1", 200), dim("d2", 40), dim("d3", 8)}
}

func catalog(t *testing.T) *storage.Catalog {
	t.Helper()
	catOnce.Do(func() {
		catDir, catErr = os.MkdirTemp("", "optimize-test-")
		if catErr != nil {
			return
		}
		if catErr = slt.WriteParquet(catDir, append(slt.Fixtures(), starTables()...)); catErr != nil {
			return
		}
		cat, catErr = storage.Open(context.Background(), catDir)
	})
	if catErr != nil {
		t.Fatal(catErr)
	}
	return cat
}

func bind(t *testing.T, sql string) logical.Node {
	t.Helper()
	stmts, err := pgfront.Parse(sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	b, err := binder.New(catalog(t), stmts[0].ColumnAliases).BindQuery(stmts[0].AST)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return b.Plan
}

func optimized(t *testing.T, sql string) logical.Node {
	t.Helper()
	p, _, err := optimize.Optimize(bind(t, sql), false)
	if err != nil {
		t.Fatalf("%s: optimize: %v", sql, err)
	}
	return p
}

// run executes plan and returns its rows as PostgreSQL text, NULL as "NULL".
func run(t *testing.T, plan logical.Node) []string {
	t.Helper()
	p := &physical.Planner{Alloc: memory.DefaultAllocator, Mem: exec.NewMemory(0), Parallelism: 2}
	root, err := p.Build(plan)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	defer root.Close()
	ctx := context.Background()
	if err := exec.Open(ctx, root); err != nil {
		t.Fatalf("open: %v", err)
	}
	schema := plan.Schema()
	var rows []string
	for {
		b, err := exec.Next(ctx, root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		for r := 0; r < int(b.NumRows()); r++ {
			cells := make([]string, len(schema))
			for c := range schema {
				s, null := pgtext.Format(b.Column(c), r, schema[c].T)
				if null {
					s = "NULL"
				}
				cells[c] = s
			}
			rows = append(rows, strings.Join(cells, "|"))
		}
	}
	return rows
}

// sameRows checks that the optimised plan returns what the bound plan
// returns (as a multiset unless ordered).
func sameRows(t *testing.T, sql string, ordered bool) []string {
	t.Helper()
	want := run(t, bind(t, sql))
	got := run(t, optimized(t, sql))
	if !ordered {
		sort.Strings(want)
		sort.Strings(got)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: optimised plan returns\n%s\nbound plan returns\n%s", sql, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	return got
}

func walkPlan(n logical.Node, f func(logical.Node)) {
	f(n)
	for _, c := range n.Children() {
		walkPlan(c, f)
	}
}

func scans(plan logical.Node) map[string]*logical.Scan {
	m := map[string]*logical.Scan{}
	walkPlan(plan, func(n logical.Node) {
		if s, ok := n.(*logical.Scan); ok {
			name := s.Alias
			if name == "" {
				name = s.Table.Name
			}
			m[name] = s
		}
	})
	return m
}
