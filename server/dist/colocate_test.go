package dist

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/test/slt"
)

// keyedTables are two tables written in key order over several files and
// row groups, with NULL keys in some files and one file whose range
// overlaps its neighbours', so co-located joins and aggregates meet
// NULLs, shared buckets and unmatched rows.
func keyedTables() []*slt.Table {
	cols := func(v string) []slt.Column {
		return []slt.Column{{Name: "k", SQLType: "bigint", Type: types.Int64T}, {Name: v, SQLType: "bigint", Type: types.Int64T}}
	}
	a := &slt.Table{Name: "ka", Columns: cols("v"), Files: 6, RowGroupRows: 250}
	b := &slt.Table{Name: "kb", Columns: cols("w"), Files: 5, RowGroupRows: 300}
	nk := &slt.Table{Name: "kn", Columns: cols("x"), Files: 4}
	for i := int64(0); i < 3000; i++ {
		var k any = i / 2
		if i%97 == 0 {
			k = nil
		}
		a.Rows = append(a.Rows, []any{k, i})
	}
	for i := int64(0); i < 3000; i++ {
		k := i/3 + 200 // keys 200..1199: some of a's have no match, some of b's neither
		if i == 1500 {
			k = 650 // out of order: its row group's range spans its neighbours'
		}
		b.Rows = append(b.Rows, []any{k, i})
	}
	for i := int64(0); i < 1000; i++ {
		nk.Rows = append(nk.Rows, []any{i, i % 7})
	}
	return []*slt.Table{a, b, nk}
}

func TestColocatedShapes(t *testing.T) {
	dir, err := os.MkdirTemp("", "basalt-colo-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := slt.WriteParquet(dir, keyedTables()); err != nil {
		t.Fatal(err)
	}
	lc, err := StartLocal(context.Background(), dir, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	local, err := engine.Open(context.Background(), engine.Config{DataDir: dir, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sql string
		// colocated: no stage hashes or broadcasts (every join and
		// aggregate runs where its rows are read).
		colocated bool
	}{
		{`select count(*), sum(v), sum(w) from ka join kb on ka.k = kb.k`, true},
		{`select count(*), count(kb.k), sum(v) from ka left join kb on ka.k = kb.k`, true},
		{`select count(*), count(ka.k) from ka right join kb on ka.k = kb.k`, true},
		{`select count(*), count(ka.k), count(kb.k) from ka full join kb on ka.k = kb.k`, true},
		{`select count(*) from ka where not exists (select 1 from kb where kb.k = ka.k)`, true},
		{`select count(*) from ka where exists (select 1 from kb where kb.k = ka.k)`, true},
		// ka.k has NULLs, a group of their own found in every split.
		{`select k, count(*), sum(v) from ka group by k order by k nulls first`, false},
		{`select kb.k, count(*) from ka join kb on ka.k = kb.k group by kb.k order by 1`, true},
		{`select k, count(*) from kn group by k having count(*) > 0 order by k limit 5`, true},
		{`select kb.k, count(distinct v) from ka join kb on ka.k = kb.k join kn on kn.k = ka.k group by kb.k order by 1 limit 10`, true},
		// NOT IN needs every key of kb in one place.
		{`select count(*) from ka where k not in (select k from kb)`, false},
	} {
		want, err := rowsOf(t, local, c.sql)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rowsOf(t, lc.Nodes[1].Engine, c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if !strings.Contains(c.sql, "order by") {
			sort.Strings(want)
			sort.Strings(got)
		}
		if strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Errorf("%s\nwant %d rows:\n%s\ngot %d rows:\n%s", c.sql, len(want), head(want), len(got), head(got))
		}
		plan, err := rowsOf(t, lc.Nodes[1].Engine, "explain "+c.sql)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		moved := strings.Contains(text, "hash by") || strings.Contains(text, "broadcast")
		if !strings.Contains(text, "Remote stage") || moved == c.colocated {
			t.Errorf("%s: co-located %v expected, plan:\n%s", c.sql, c.colocated, text)
		}
	}
}
