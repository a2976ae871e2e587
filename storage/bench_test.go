package storage

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pqa "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
)

// BenchmarkScanLineitemLike scans a lineitem-shaped file (keys, decimals,
// dates, low-cardinality flags and free-text comments, snappy-compressed
// dictionary pages) and reports rows per second.
func BenchmarkScanLineitemLike(b *testing.B) {
	const rows = 1 << 20
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "l_orderkey", Type: arrow.PrimitiveTypes.Int64},
		{Name: "l_quantity", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}},
		{Name: "l_extendedprice", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}},
		{Name: "l_returnflag", Type: arrow.BinaryTypes.String},
		{Name: "l_shipdate", Type: arrow.FixedWidthTypes.Date32},
		{Name: "l_comment", Type: arrow.BinaryTypes.String},
	}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	for i := range rows {
		rb.Field(0).(*array.Int64Builder).Append(int64(i / 4))
		rb.Field(1).(*array.Decimal128Builder).Append(dec(int64(i%50+1) * 100))
		rb.Field(2).(*array.Decimal128Builder).Append(dec(int64(i*7919%10000000 + 90000)))
		rb.Field(3).(*array.StringBuilder).Append([]string{"A", "N", "R"}[i%3])
		rb.Field(4).(*array.Date32Builder).Append(arrow.Date32(8000 + i%2500))
		rb.Field(5).(*array.StringBuilder).Append(fmt.Sprintf("carefully final deposits %d haggle", i*31%100003))
	}
	rec := rb.NewRecordBatch()
	rb.Release()
	dir := b.TempDir()
	writeArrow(b, filepath.Join(dir, "lineitem.parquet"), rec, []pqa.WriterProperty{
		pqa.WithMaxRowGroupLength(122880), pqa.WithCompression(compress.Codecs.Snappy),
	})
	rec.Release()
	c, err := Open(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	tbl, _ := c.Table("lineitem")
	cols := allCols(tbl)
	b.ResetTimer()
	b.ReportAllocs()
	b.SetBytes(tbl.ByteSize())
	for b.Loop() {
		n := int64(0)
		for _, s := range tbl.Splits() {
			r, err := tbl.Read(context.Background(), s, cols, mem, 8192)
			if err != nil {
				b.Fatal(err)
			}
			for {
				batch, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				n += batch.NumRows()
				batch.Release()
			}
			r.Close()
		}
		if n != rows {
			b.Fatalf("read %d rows", n)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkPointLookup reads one row by key from an orders-shaped file
// (sorted keys, 125,000-row groups, 64 KiB pages, dictionaries only where
// values repeat and a page index, as `basalt gen tpch` writes them), the way
// a scan with a pushed-down `o_orderkey = K` does: Prune, then ReadWhere
// over the surviving splits. "row-group" reads the same splits whole, as
// files without a page index are read.
func BenchmarkPointLookup(b *testing.B) {
	const rows = 500_000
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "o_orderkey", Type: arrow.PrimitiveTypes.Int32},
		{Name: "o_custkey", Type: arrow.PrimitiveTypes.Int32},
		{Name: "o_totalprice", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}},
		{Name: "o_orderdate", Type: arrow.FixedWidthTypes.Date32},
		{Name: "o_clerk", Type: arrow.BinaryTypes.String},
		{Name: "o_comment", Type: arrow.BinaryTypes.String},
	}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	for i := range rows {
		rb.Field(0).(*array.Int32Builder).Append(int32(i*4 + 1))
		rb.Field(1).(*array.Int32Builder).Append(int32(i * 7919 % 150000))
		rb.Field(2).(*array.Decimal128Builder).Append(dec(int64(i*7919%10000000 + 90000)))
		rb.Field(3).(*array.Date32Builder).Append(arrow.Date32(8000 + i%2500))
		rb.Field(4).(*array.StringBuilder).Append(fmt.Sprintf("Clerk#%09d", i%1000))
		rb.Field(5).(*array.StringBuilder).Append(fmt.Sprintf("carefully final deposits %d haggle", i*31%100003))
	}
	rec := rb.NewRecordBatch()
	rb.Release()
	dir := b.TempDir()
	writeArrow(b, filepath.Join(dir, "orders.parquet"), rec, []pqa.WriterProperty{
		pqa.WithMaxRowGroupLength(125_000), pqa.WithCompression(compress.Codecs.Snappy),
		pqa.WithDataPageSize(64 << 10), pqa.WithPageIndexEnabled(true),
		pqa.WithDictionaryDefault(false), pqa.WithDictionaryFor("o_clerk", true),
	})
	rec.Release()
	c, err := Open(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	tbl, _ := c.Table("orders")
	cols := allCols(tbl)
	for _, mode := range []string{"page-index", "row-group"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			key := 0
			for b.Loop() {
				key = (key + 7919) % rows
				preds := []Predicate{{Column: 0, Op: "=", Value: int64(key*4 + 1)}}
				read := preds
				if mode == "row-group" {
					read = nil
				}
				n := int64(0)
				for _, s := range tbl.Prune(tbl.Splits(), preds) {
					r, err := tbl.ReadWhere(context.Background(), s, cols, read, mem, 8192)
					if err != nil {
						b.Fatal(err)
					}
					for {
						batch, err := r.Next()
						if err == io.EOF {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
						n += batch.NumRows()
						batch.Release()
					}
					r.Close()
				}
				if n < 1 {
					b.Fatalf("key %d: no row", key*4+1)
				}
			}
		})
	}
}
