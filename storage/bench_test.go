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
