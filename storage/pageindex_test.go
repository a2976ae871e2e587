package storage

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pqa "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/parquet-go/parquet-go"
)

// The page-index fixture: row i of each column is a function of i, so every
// row read back can be checked against its key, which catches a column
// that skipped to the wrong row.
const pageRows = 20000

func pgG(i int) (int32, bool)  { return int32(i / 7), i%11 != 0 }
func pgS(i int) string         { return fmt.Sprintf("key-%06d", i) }
func pgL(i int) string         { return fmt.Sprintf("a-rather-long-shared-prefix-%06d", i) }
func pgC(i int) string         { return fmt.Sprintf("comment %d %s", i*7919%100003, string(rune('a'+i%26))) }
func pgD(i int) int32          { return int32(10000 + i/50) }
func pgM(i int) decimal128.Num { return dec(int64(i) * 3) }
func pgF(i int) float64 {
	if i%997 == 0 {
		return math.NaN()
	}
	return float64(i % 1000)
}

// writePageIndexArrow writes the fixture with arrow-go: small pages (the
// size is checked every 100 values), a page index unless index is false.
func writePageIndexArrow(t testing.TB, path string, index bool) {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "g", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "l", Type: arrow.BinaryTypes.String},
		{Name: "c", Type: arrow.BinaryTypes.String},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32},
		{Name: "m", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for i := range pageRows {
		rb.Field(0).(*array.Int64Builder).Append(int64(i))
		if g, ok := pgG(i); ok {
			rb.Field(1).(*array.Int32Builder).Append(g)
		} else {
			rb.Field(1).AppendNull()
		}
		rb.Field(2).(*array.StringBuilder).Append(pgS(i))
		rb.Field(3).(*array.StringBuilder).Append(pgL(i))
		rb.Field(4).(*array.StringBuilder).Append(pgC(i))
		rb.Field(5).(*array.Date32Builder).Append(arrow.Date32(pgD(i)))
		rb.Field(6).(*array.Decimal128Builder).Append(pgM(i))
		rb.Field(7).(*array.Float64Builder).Append(pgF(i))
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()
	writeArrow(t, path, rec, []pqa.WriterProperty{
		pqa.WithMaxRowGroupLength(8000), pqa.WithDataPageSize(1024), pqa.WithBatchSize(100),
		pqa.WithCompression(compress.Codecs.Snappy), pqa.WithPageIndexEnabled(index),
		pqa.WithDictionaryDefault(false), pqa.WithDictionaryFor("c", true),
	})
}

type pgRow struct {
	K int64  `parquet:"k"`
	G *int32 `parquet:"g,optional"`
	S string `parquet:"s"`
	L string `parquet:"l"`
	C string `parquet:"c,dict"`
}

// writePageIndexParquetGo writes the columns k, g, s, l, c with parquet-go,
// which writes a page index by default and cuts its byte-array bounds to 16
// bytes (column l's values are longer).
func writePageIndexParquetGo(t testing.TB, path string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewGenericWriter[pgRow](f, parquet.PageBufferSize(1024), parquet.MaxRowsPerRowGroup(8000))
	rows := make([]pgRow, pageRows)
	for i := range rows {
		rows[i] = pgRow{K: int64(i), S: pgS(i), L: pgL(i), C: pgC(i)}
		if g, ok := pgG(i); ok {
			rows[i].G = &g
		}
	}
	for i := 0; i < len(rows); i += 1000 {
		if _, err := w.Write(rows[i : i+1000]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// pageCase is a conjunction of predicates with the same test in Go.
type pageCase struct {
	name  string
	preds func(tbl *Table) []Predicate
	match func(i int) bool
	// most is the most rows ReadWhere may return when the file has a
	// page index (0: no bound), to see that pages were skipped.
	most int
}

func pageCases(t *testing.T, arrowCols bool) []pageCase {
	col := func(tbl *Table, name string) int { return colIndex(t, tbl, name) }
	cases := []pageCase{
		{"point", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "k"), "=", int64(12345)}} },
			func(i int) bool { return i == 12345 }, 1},
		{"first row", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "k"), "=", int64(0)}} },
			func(i int) bool { return i == 0 }, 1},
		{"last row", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "k"), "=", int64(pageRows - 1)}} },
			func(i int) bool { return i == pageRows-1 }, 1},
		{"absent", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "k"), "=", int64(pageRows + 5)}} },
			func(i int) bool { return false }, 0},
		{"range across row groups", func(tbl *Table) []Predicate {
			return []Predicate{{col(tbl, "k"), ">=", int64(7990)}, {col(tbl, "k"), "<", int64(8020)}}
		}, func(i int) bool { return i >= 7990 && i < 8020 }, 30},
		{"range and null", func(tbl *Table) []Predicate {
			return []Predicate{{col(tbl, "k"), "<=", int64(500)}, {col(tbl, "g"), "is null", nil}}
		}, func(i int) bool { _, ok := pgG(i); return i <= 500 && !ok }, 500},
		{"not null on unsorted", func(tbl *Table) []Predicate {
			return []Predicate{{col(tbl, "g"), "is not null", nil}, {col(tbl, "k"), ">", int64(19990)}}
		}, func(i int) bool { _, ok := pgG(i); return i > 19990 && ok }, 9},
		{"nullable equality", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "g"), "=", int64(300)}} },
			func(i int) bool { g, ok := pgG(i); return ok && g == 300 }, 7},
		{"string point", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "s"), "=", pgS(4321)}} },
			func(i int) bool { return i == 4321 }, 1},
		{"string range", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "s"), ">", pgS(19990)}} },
			func(i int) bool { return i > 19990 }, 9},
		{"long string point", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "l"), "=", pgL(15000)}} },
			func(i int) bool { return i == 15000 }, 1},
		{"long string above cut bound", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "l"), ">=", pgL(19999)}} },
			func(i int) bool { return i >= 19999 }, 1},
		{"unselective", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "k"), ">=", int64(0)}} },
			func(i int) bool { return true }, 0},
	}
	if arrowCols {
		cases = append(cases,
			pageCase{"date", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "d"), "=", pgD(777)}} },
				func(i int) bool { return pgD(i) == pgD(777) }, 50},
			pageCase{"decimal", func(tbl *Table) []Predicate { return []Predicate{{col(tbl, "m"), "<", pgM(40)}} },
				func(i int) bool { return i < 40 }, 40},
			pageCase{"float NaN", func(tbl *Table) []Predicate {
				return []Predicate{{col(tbl, "f"), ">", 998.5}, {col(tbl, "k"), "<", int64(3000)}}
			}, func(i int) bool { return i < 3000 && (math.IsNaN(pgF(i)) || pgF(i) > 998.5) }, 0},
		)
	}
	return cases
}

// readWhere reads every split of tbl with preds (pruned first, as the
// planner does) and returns the rows as column values.
func readWhere(t *testing.T, tbl *Table, cols []int, preds []Predicate) [][]any {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	out := make([][]any, len(cols))
	for _, s := range tbl.Prune(tbl.Splits(), preds) {
		r, err := tbl.ReadWhere(context.Background(), s, cols, preds, mem, 64)
		if err != nil {
			t.Fatalf("ReadWhere %v: %v", s, err)
		}
		for {
			b, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				r.Close()
				t.Fatalf("Next: %v", err)
			}
			for i := range cols {
				for j := 0; j < int(b.NumRows()); j++ {
					out[i] = append(out[i], cell(b.Column(i), j))
				}
			}
			b.Release()
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// checkPageCases runs every case against tbl: each row returned must be the
// fixture's row for its key in every column, and the keys that satisfy the
// case must be exactly the ones expected. With a page index, at most
// c.most rows may come back.
func checkPageCases(t *testing.T, tbl *Table, arrowCols, indexed, cutBounds bool) {
	names := []string{"k", "g", "s", "l", "c"}
	if arrowCols {
		names = append(names, "d", "m", "f")
	}
	cols := make([]int, len(names))
	for i, n := range names {
		cols[i] = colIndex(t, tbl, n)
	}
	for _, c := range pageCases(t, arrowCols) {
		t.Run(c.name, func(t *testing.T) {
			out := readWhere(t, tbl, cols, c.preds(tbl))
			seen := map[int]bool{}
			for r := range out[0] {
				i := int(out[0][r].(int64))
				if seen[i] {
					t.Fatalf("row %d returned twice", i)
				}
				seen[i] = true
				var g any
				if v, ok := pgG(i); ok {
					g = int64(v)
				}
				want := []any{int64(i), g, pgS(i), pgL(i), pgC(i)}
				if arrowCols {
					want = append(want, pgD(i), pgM(i), pgF(i))
				}
				for j, w := range want {
					got := out[j][r]
					if f, ok := w.(float64); ok && math.IsNaN(f) {
						if gf, ok := got.(float64); ok && math.IsNaN(gf) {
							continue
						}
					}
					if got != w {
						t.Fatalf("row with key %d: column %s is %v, want %v", i, names[j], got, w)
					}
				}
			}
			for i := range pageRows {
				if c.match(i) && !seen[i] {
					t.Fatalf("row %d matches but was not returned", i)
				}
			}
			// parquet-go cuts column l's bounds to a prefix all rows
			// share: no page can be skipped on it.
			onL := strings.HasPrefix(c.name, "long string")
			if indexed && c.most > 0 && !(cutBounds && onL) && len(out[0]) > c.most {
				t.Errorf("returned %d rows, want at most %d: pages were not skipped", len(out[0]), c.most)
			}
		})
	}
}

func TestPageIndexArrowWriter(t *testing.T) {
	dir := t.TempDir()
	writePageIndexArrow(t, filepath.Join(dir, "t.parquet"), true)
	tbl := mustTable(t, openCatalog(t, dir), "t")
	checkPageCases(t, tbl, true, true, false)
}

func TestPageIndexParquetGoWriter(t *testing.T) {
	dir := t.TempDir()
	writePageIndexParquetGo(t, filepath.Join(dir, "t.parquet"))
	tbl := mustTable(t, openCatalog(t, dir), "t")
	checkPageCases(t, tbl, false, true, true)
}

// Without a page index (DuckDB's files) ReadWhere reads whole row groups
// and returns the same rows.
func TestPageIndexAbsent(t *testing.T) {
	dir := t.TempDir()
	writePageIndexArrow(t, filepath.Join(dir, "t.parquet"), false)
	tbl := mustTable(t, openCatalog(t, dir), "t")
	checkPageCases(t, tbl, true, false, false)
	k := colIndex(t, tbl, "k")
	out := readWhere(t, tbl, []int{k}, []Predicate{{k, "=", int64(12345)}})
	if len(out[0]) != 8000 {
		t.Errorf("without a page index: %d rows, want the whole row group of 8000", len(out[0]))
	}
}

func TestIntersectRanges(t *testing.T) {
	a := []rowRange{{0, 10}, {20, 30}, {40, 50}}
	b := []rowRange{{5, 25}, {28, 45}}
	got := intersectRanges(a, b)
	want := []rowRange{{5, 10}, {20, 25}, {28, 30}, {40, 45}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := intersectRanges(a, nil); len(got) != 0 {
		t.Errorf("with nothing: %v", got)
	}
}
