package slt

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/basaltdb/basalt/sql/pgtext"
)

// parquetRows reads a fixture table back from its Parquet files (with
// partition values from the folder names) and formats every cell as
// PostgreSQL text, giving one sorted line a row. It also reports the number
// of files and row groups, to check the layout the suite relies on.
func parquetRows(t *testing.T, tbl *Table) (rows []string, files, rowGroups int) {
	t.Helper()
	root := filepath.Join(dataDir, tbl.Name)
	var raw [][]string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		files++
		part := map[string]string{}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, seg := range strings.Split(rel, string(filepath.Separator)) {
			if k, v, ok := strings.Cut(seg, "="); ok {
				part[k] = v
			}
		}
		pf, err := file.OpenParquetFile(path, false)
		if err != nil {
			return err
		}
		defer pf.Close()
		rowGroups += pf.NumRowGroups()
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			return err
		}
		tab, err := fr.ReadTable(context.Background())
		if err != nil {
			return err
		}
		defer tab.Release()
		tr := array.NewTableReader(tab, 1<<20)
		defer tr.Release()
		for tr.Next() {
			rec := tr.RecordBatch()
			for i := 0; i < int(rec.NumRows()); i++ {
				vals := make([]string, len(tbl.Columns))
				for ci, c := range tbl.Columns {
					if tbl.isPartition(c.Name) {
						v := part[c.Name]
						vals[ci] = FormatValue(v, v == "__HIVE_DEFAULT_PARTITION__")
						continue
					}
					idx := rec.Schema().FieldIndices(c.Name)
					if len(idx) != 1 {
						t.Fatalf("%s: column %s missing in %s", tbl.Name, c.Name, path)
					}
					vals[ci] = FormatValue(pgtext.Format(rec.Column(idx[0]), i, c.Type))
				}
				raw = append(raw, vals)
			}
		}
		return tr.Err()
	})
	if err != nil {
		t.Fatalf("%s: %v", tbl.Name, err)
	}
	return FinishRows(raw, "rowsort"), files, rowGroups
}

// TestFixtureLayout checks that the Parquet files hold every row and have
// the shapes the suite means to exercise: several files, several row
// groups, partition folders and an empty table.
func TestFixtureLayout(t *testing.T) {
	for _, tbl := range Fixtures() {
		rows, files, groups := parquetRows(t, tbl)
		if len(rows) != len(tbl.Rows) {
			t.Errorf("%s: %d rows in Parquet, %d defined", tbl.Name, len(rows), len(tbl.Rows))
		}
		if files < tbl.Files {
			t.Errorf("%s: %d files, want at least %d", tbl.Name, files, tbl.Files)
		}
		if tbl.RowGroupRows > 0 && len(tbl.Rows) > tbl.RowGroupRows*files && groups <= files {
			t.Errorf("%s: %d row groups in %d files, want several a file", tbl.Name, groups, files)
		}
	}
}

// TestFixturesMatchPostgres checks that Basalt's Parquet data and
// PostgreSQL's tables hold the same values, printed the same way; without
// this, a disagreement in the suite could be a fixture bug.
func TestFixturesMatchPostgres(t *testing.T) {
	dsn := os.Getenv("BASALT_PG_DSN")
	if dsn == "" {
		t.Skip("BASALT_PG_DSN not set: fixtures not compared with PostgreSQL")
	}
	ctx := context.Background()
	tables := Fixtures()
	pg, err := SetupPostgres(ctx, dsn, tables)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Drop(ctx)
	s, err := pg.Session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	for _, tbl := range tables {
		names := make([]string, len(tbl.Columns))
		for i, c := range tbl.Columns {
			names[i] = c.Name
		}
		r := &Record{Kind: Query, SQL: "SELECT " + strings.Join(names, ", ") + " FROM " + tbl.Name, Sort: "rowsort"}
		o := s.Run(ctx, r)
		if o.Err != nil {
			t.Fatalf("%s: %v", tbl.Name, o.Err)
		}
		got, _, _ := parquetRows(t, tbl)
		if !equalLines(o.Rows, got) {
			t.Errorf("%s: Parquet and PostgreSQL disagree (expected = PostgreSQL, got = Parquet):\n%s", tbl.Name, diffLines(o.Rows, got))
		}
	}
}
