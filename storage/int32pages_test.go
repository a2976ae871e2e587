package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pqa "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// int32Fixture holds INT32 columns whose neighbouring values differ by more
// than 32 bits can hold, unsigned values above MaxInt32, a required column,
// and an INT64 column with extreme deltas (still read by parquet-go).
func int32Fixture(mem memory.Allocator, n int) (arrow.RecordBatch, func(col string, i int) any) {
	want := func(col string, i int) any {
		switch col {
		case "s":
			if i%7 == 3 {
				return nil
			}
			if i%2 == 0 {
				return int64(math.MinInt32 + i)
			}
			return int64(math.MaxInt32 - i)
		case "u":
			if i%11 == 5 {
				return nil
			}
			return int64(uint32(4294967295 - i*1000))
		case "r":
			return int64(int32(i*37 - 50000))
		case "b":
			if i%5 == 1 {
				return nil
			}
			if i%2 == 0 {
				return int64(math.MinInt64 + i)
			}
			return int64(math.MaxInt64 - i)
		}
		panic(col)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "u", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
		{Name: "r", Type: arrow.PrimitiveTypes.Int32},
		{Name: "b", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	bld := array.NewRecordBuilder(mem, schema)
	defer bld.Release()
	for i := range n {
		for c, f := range schema.Fields() {
			v := want(f.Name, i)
			fb := bld.Field(c)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.Int32Builder:
				fb.Append(int32(v.(int64)))
			case *array.Uint32Builder:
				fb.Append(uint32(v.(int64)))
			case *array.Int64Builder:
				fb.Append(v.(int64))
			}
		}
	}
	return bld.NewRecordBatch(), want
}

// TestDeltaInt32Files reads DELTA_BINARY_PACKED INT32 and INT64 columns over
// data page versions, codecs, several pages and row groups.
func TestDeltaInt32Files(t *testing.T) {
	mem := memory.NewGoAllocator()
	const n = 10000
	rec, want := int32Fixture(mem, n)
	defer rec.Release()
	for _, v := range []pqa.DataPageVersion{pqa.DataPageV1, pqa.DataPageV2} {
		for _, codec := range []compress.Compression{compress.Codecs.Uncompressed, compress.Codecs.Snappy, compress.Codecs.Zstd} {
			name := fmt.Sprintf("v%d_%s", v+1, strings.ToLower(codec.String()))
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "d.parquet")
				writeArrow(t, path, rec, []pqa.WriterProperty{
					pqa.WithDictionaryDefault(false),
					pqa.WithEncoding(pqa.Encodings.DeltaBinaryPacked),
					pqa.WithDataPageVersion(v),
					pqa.WithCompression(codec),
					pqa.WithDataPageSize(2048),
					pqa.WithMaxRowGroupLength(3000),
				})
				checkRouting(t, path, map[string]bool{"s": true, "u": true, "r": true, "b": false})
				tbl := mustTable(t, openCatalog(t, dir), "d")
				cols := allCols(tbl)
				got := readAll(t, tbl, cols, 777)
				for ci, c := range cols {
					col := tbl.Columns[c].Name
					if len(got[ci]) != n {
						t.Fatalf("column %s: %d rows, want %d", col, len(got[ci]), n)
					}
					for i, g := range got[ci] {
						if w := want(col, i); g != w {
							t.Fatalf("column %s row %d: %v, want %v", col, i, g, w)
						}
					}
				}
			})
		}
	}
}

// checkRouting checks that chunkPages sends the INT32 delta chunks of the
// file to int32Pages (wantOwn) and the others to parquet-go.
func checkRouting(t *testing.T, path string, wantOwn map[string]bool) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	pf, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	leaves, _, err := fileLeaves(pf.Metadata().Schema)
	if err != nil {
		t.Fatal(err)
	}
	for rg, g := range pf.RowGroups() {
		for _, l := range leaves {
			cc := &pf.Metadata().RowGroups[rg].Columns[l.index]
			if !slices.Contains(cc.MetaData.Encoding, format.DeltaBinaryPacked) {
				t.Fatalf("column %s is not DELTA_BINARY_PACKED: %v", l.name, cc.MetaData.Encoding)
			}
			src := chunkPages(fh, g.ColumnChunks()[l.index].(*parquet.FileColumnChunk), cc, &l)
			_, own := src.(*int32Pages)
			src.Close()
			if own != wantOwn[l.name] {
				t.Errorf("column %s: read by int32Pages %v, want %v", l.name, own, wantOwn[l.name])
			}
		}
	}
}

// TestInt32PagesMatchParquetGo reads INT32 chunks of other encodings
// (dictionary with a fallback to PLAIN mid-chunk, BYTE_STREAM_SPLIT, PLAIN)
// with int32Pages and with parquet-go, page by page: writers may mix them
// with DELTA_BINARY_PACKED pages in one chunk.
func TestInt32PagesMatchParquetGo(t *testing.T) {
	mem := memory.NewGoAllocator()
	rec, _ := int32Fixture(mem, 6000)
	defer rec.Release()
	configs := map[string][]pqa.WriterProperty{
		"dict_fallback": {pqa.WithDictionaryPageSizeLimit(4096)},
		"dict":          {},
		"byte_stream_split": {pqa.WithDictionaryDefault(false),
			pqa.WithEncoding(pqa.Encodings.ByteStreamSplit), pqa.WithDataPageVersion(pqa.DataPageV2)},
		"plain_gzip": {pqa.WithDictionaryDefault(false), pqa.WithCompression(compress.Codecs.Gzip)},
	}
	for name, props := range configs {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.parquet")
			writeArrow(t, path, rec, append(props, pqa.WithDataPageSize(2048), pqa.WithMaxRowGroupLength(2500)))
			fh, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			st, _ := fh.Stat()
			pf, err := parquet.OpenFile(fh, st.Size())
			if err != nil {
				t.Fatal(err)
			}
			leaves, _, err := fileLeaves(pf.Metadata().Schema)
			if err != nil {
				t.Fatal(err)
			}
			encs := map[format.Encoding]bool{}
			for rg, g := range pf.RowGroups() {
				for _, l := range leaves {
					if l.phys != format.Int32 {
						continue
					}
					cc := &pf.Metadata().RowGroups[rg].Columns[l.index]
					for _, e := range cc.MetaData.Encoding {
						encs[e] = true
					}
					ours := newInt32Pages(fh, cc, &l)
					theirs := filePages{g.ColumnChunks()[l.index].(*parquet.FileColumnChunk).PagesFrom(fh)}
					comparePages(t, l.name, ours, theirs, l.optional)
				}
			}
			t.Logf("encodings: %v", encs)
		})
	}
}

func comparePages(t *testing.T, col string, ours, theirs pageSource, optional bool) {
	t.Helper()
	defer ours.Close()
	defer theirs.Close()
	for page := 0; ; page++ {
		a, errA := ours.ReadPage()
		b, errB := theirs.ReadPage()
		if errA == io.EOF && errB == io.EOF {
			if page == 0 {
				t.Fatalf("column %s: no pages", col)
			}
			return
		}
		if errA != nil || errB != nil {
			t.Fatalf("column %s page %d: int32Pages %v, parquet-go %v", col, page, errA, errB)
		}
		if a.NumRows() != b.NumRows() {
			t.Fatalf("column %s page %d: %d rows, parquet-go %d", col, page, a.NumRows(), b.NumRows())
		}
		if optional && !bytes.Equal(a.DefinitionLevels(), b.DefinitionLevels()) {
			t.Fatalf("column %s page %d: definition levels differ", col, page)
		}
		// parquet-go keeps dictionary pages' indexes; resolve them.
		bd := b.Data()
		bv := bd.Int32()
		if d := b.Dictionary(); d != nil {
			dd := d.Page().Data()
			dv := dd.Int32()
			res := make([]int32, len(bv))
			for i, x := range bv {
				res[i] = dv[x]
			}
			bv = res
		}
		ad := a.Data()
		if av := ad.Int32(); !slices.Equal(av, bv) {
			t.Fatalf("column %s page %d: values differ (%d vs %d values)", col, page, len(av), len(bv))
		}
		releasePage(a)
		releasePage(b)
	}
}

// TestCorruptDeltaPage checks that a broken DELTA_BINARY_PACKED header is a
// data-corrupted error naming the file and column, not a panic or wrong rows.
func TestCorruptDeltaPage(t *testing.T) {
	mem := memory.NewGoAllocator()
	rec, _ := int32Fixture(mem, 500)
	defer rec.Release()
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.parquet")
	writeArrow(t, path, rec, []pqa.WriterProperty{
		pqa.WithDictionaryDefault(false),
		pqa.WithEncoding(pqa.Encodings.DeltaBinaryPacked),
	})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Column r is required, so its only page's values start with the delta
	// header: block size 128, 4 miniblocks, 500 values. Three miniblocks
	// cannot split a block of 128.
	hdr := binary.AppendUvarint([]byte{0x80, 0x01, 0x04}, 500)
	hdr = binary.AppendUvarint(hdr, zigzag(-50000))
	at := bytes.Index(data, hdr)
	if at < 0 {
		t.Fatal("cannot find column r's delta header")
	}
	data[at+2] = 0x03
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	tbl := mustTable(t, openCatalog(t, dir), "bad")
	r, err := tbl.Read(context.Background(), tbl.Splits()[0], []int{colIndex(t, tbl, "r")}, mem, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Next()
	if err == nil {
		t.Fatal("corrupt page read without error")
	}
	wantCode(t, err, sqlerr.DataCorrupted)
	for _, s := range []string{"bad.parquet", `column "r"`, "3 miniblocks"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
	// The other columns of the file still read.
	got := readAll(t, tbl, []int{colIndex(t, tbl, "s"), colIndex(t, tbl, "u")}, 0)
	if len(got[0]) != 500 {
		t.Errorf("%d rows of s, want 500", len(got[0]))
	}
}
