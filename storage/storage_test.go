package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pqa "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

const nRows = 1000

func isNullRow(i int) bool { return i%7 == 3 }

// arrowFixture builds a record with one column of every Arrow type pqarrow
// maps to a distinct Parquet type, NULL in every 7th row.
func arrowFixture(mem memory.Allocator) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
		{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "s_req", Type: arrow.BinaryTypes.String},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "t_ms", Type: arrow.FixedWidthTypes.Time32ms, Nullable: true},
		{Name: "t_us", Type: arrow.FixedWidthTypes.Time64us, Nullable: true},
		{Name: "t_ns", Type: arrow.FixedWidthTypes.Time64ns, Nullable: true},
		{Name: "ts_ms", Type: &arrow.TimestampType{Unit: arrow.Millisecond}, Nullable: true},
		{Name: "ts_us_tz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "ts_ns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 12, Scale: 3}, Nullable: true},
		{Name: "dec_big", Type: &arrow.Decimal128Type{Precision: 30, Scale: 2}, Nullable: true},
		{Name: "nothing", Type: arrow.Null, Nullable: true},
		{Name: "nested", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range nRows {
		for c, f := range schema.Fields() {
			fb := b.Field(c)
			if f.Nullable && isNullRow(i) {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.Int8Builder:
				fb.Append(int8(i%200 - 100))
			case *array.Int16Builder:
				fb.Append(int16(i*31 - 15000))
			case *array.Int32Builder:
				fb.Append(int32(i*100003 - 50000000))
			case *array.Int64Builder:
				fb.Append(int64(i) * -1234567890123)
			case *array.Uint8Builder:
				fb.Append(uint8(i % 256))
			case *array.Uint16Builder:
				fb.Append(uint16(i * 65))
			case *array.Uint32Builder:
				fb.Append(uint32(i) * 4000000)
			case *array.Uint64Builder:
				fb.Append(uint64(i) * 17000000000000000)
			case *array.Float32Builder:
				fb.Append(float32(i) / 4)
			case *array.Float64Builder:
				fb.Append(float64(i) * -0.5)
			case *array.BooleanBuilder:
				fb.Append(i%3 == 0)
			case *array.StringBuilder:
				if f.Name == "s" {
					fb.Append(fmt.Sprintf("val-%d", i%13)) // low cardinality: dictionary pages
				} else {
					fb.Append(strings.Repeat("x", i%5) + fmt.Sprint(i))
				}
			case *array.BinaryBuilder:
				fb.Append([]byte{byte(i), byte(i >> 8), 0})
			case *array.Date32Builder:
				fb.Append(arrow.Date32(i*3 - 1000))
			case *array.Time32Builder:
				fb.Append(arrow.Time32(i * 1000))
			case *array.Time64Builder:
				if f.Name == "t_us" {
					fb.Append(arrow.Time64(int64(i) * 12345678))
				} else {
					fb.Append(arrow.Time64(int64(i) * 12345678901))
				}
			case *array.TimestampBuilder:
				switch f.Name {
				case "ts_ms":
					fb.Append(arrow.Timestamp(int64(i-500) * 86_400_123))
				case "ts_us_tz":
					fb.Append(arrow.Timestamp(int64(i) * 1_000_000_007))
				default:
					fb.Append(arrow.Timestamp(int64(i-500)*1_234_567_891 + 1))
				}
			case *array.Decimal128Builder:
				if f.Name == "dec" {
					fb.Append(decimal128.FromI64(int64(i)*1001 - 300000))
				} else {
					v := decimal128.FromI64(int64(i) - 400).Mul(decimal128.FromI64(1e18))
					fb.Append(v)
				}
			case *array.NullBuilder:
				fb.AppendNull()
			case *array.ListBuilder:
				fb.Append(true)
				fb.ValueBuilder().(*array.Int32Builder).Append(int32(i))
			default:
				panic(fmt.Sprintf("builder %T", fb))
			}
		}
	}
	return b.NewRecordBatch()
}

// arrowExpected is what each column of arrowFixture reads back as.
func arrowExpected(name string, i int) any {
	if isNullRow(i) && name != "i32" && name != "s_req" || name == "nothing" {
		return nil
	}
	switch name {
	case "i8":
		return int64(int8(i%200 - 100))
	case "i16":
		return int64(int16(i*31 - 15000))
	case "i32":
		return int64(int32(i*100003 - 50000000))
	case "i64":
		return int64(i) * -1234567890123
	case "u8":
		return int64(i % 256)
	case "u16":
		return int64(uint16(i * 65))
	case "u32":
		return int64(uint32(i) * 4000000)
	case "u64":
		return decimal128.FromU64(uint64(i) * 17000000000000000)
	case "f32":
		return float64(float32(i) / 4)
	case "f64":
		return float64(i) * -0.5
	case "b":
		return i%3 == 0
	case "s":
		return fmt.Sprintf("val-%d", i%13)
	case "s_req":
		return strings.Repeat("x", i%5) + fmt.Sprint(i)
	case "bin":
		return string([]byte{byte(i), byte(i >> 8), 0})
	case "d":
		return int32(i*3 - 1000)
	case "t_ms":
		return int64(i) * 1000 * 1000
	case "t_us":
		return int64(i) * 12345678
	case "t_ns":
		return int64(i) * 12345678901 / 1000
	case "ts_ms":
		return int64(i-500) * 86_400_123 * 1000
	case "ts_us_tz":
		return int64(i) * 1_000_000_007
	case "ts_ns":
		return floorDiv(int64(i-500)*1_234_567_891+1, 1000)
	case "dec":
		return decimal128.FromI64(int64(i)*1001 - 300000)
	case "dec_big":
		return decimal128.FromI64(int64(i) - 400).Mul(decimal128.FromI64(1e18))
	}
	panic(name)
}

var arrowTypes = map[string]types.T{
	"i8": types.Int16T, "i16": types.Int16T, "i32": types.Int32T, "i64": types.Int64T,
	"u8": types.Int16T, "u16": types.Int32T, "u32": types.Int64T, "u64": types.NumericT(20, 0),
	"f32": types.Float32T, "f64": types.Float64T, "b": types.BoolT, "s": types.TextT, "s_req": types.TextT,
	"bin": types.ByteaT, "d": types.DateT, "t_ms": types.TimeT, "t_us": types.TimeT, "t_ns": types.TimeT,
	"ts_ms": types.TimestampT, "ts_us_tz": types.TimestampTZT, "ts_ns": types.TimestampT,
	"dec": types.NumericT(12, 3), "dec_big": types.NumericT(30, 2), "nothing": types.TextT,
}

func TestReadArrowWrittenTypes(t *testing.T) {
	configs := []struct {
		name  string
		props []pqa.WriterProperty
	}{
		{"dict-v1", []pqa.WriterProperty{pqa.WithDictionaryDefault(true), pqa.WithDataPageVersion(pqa.DataPageV1)}},
		{"plain-v2", []pqa.WriterProperty{pqa.WithDictionaryDefault(false), pqa.WithDataPageVersion(pqa.DataPageV2)}},
		{"dict-v2-intdecimal", []pqa.WriterProperty{pqa.WithDictionaryDefault(true), pqa.WithDataPageVersion(pqa.DataPageV2), pqa.WithStoreDecimalAsInteger(true)}},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			rec := arrowFixture(mem)
			props := append([]pqa.WriterProperty{pqa.WithMaxRowGroupLength(300), pqa.WithDataPageSize(512)}, cfg.props...)
			writeArrow(t, filepath.Join(dir, "all_types.parquet"), rec, props)
			rec.Release()

			c := openCatalog(t, dir)
			tbl := mustTable(t, c, "all_types")
			if got := len(tbl.Splits()); got != 4 {
				t.Fatalf("%d splits, want 4 row groups", got)
			}
			if tbl.RowCount() != nRows {
				t.Fatalf("RowCount %d", tbl.RowCount())
			}
			if tbl.ByteSize() <= 0 {
				t.Fatalf("ByteSize %d", tbl.ByteSize())
			}
			if _, ok := tbl.Column("nested"); ok {
				t.Fatalf("nested list column should be skipped")
			}
			if len(tbl.Columns) != len(arrowTypes) {
				t.Fatalf("%d columns, want %d: %+v", len(tbl.Columns), len(arrowTypes), tbl.Columns)
			}
			for _, col := range tbl.Columns {
				want, ok := arrowTypes[col.Name]
				if !ok || col.Type != want {
					t.Errorf("column %s: type %v, want %v", col.Name, col.Type, want)
				}
			}
			if tbl.Columns[colIndex(t, tbl, "i32")].Nullable || !tbl.Columns[colIndex(t, tbl, "s")].Nullable {
				t.Errorf("nullability wrong: %+v", tbl.Columns)
			}
			got := readAll(t, tbl, allCols(tbl), 128)
			for ci, col := range tbl.Columns {
				if len(got[ci]) != nRows {
					t.Fatalf("column %s: %d values", col.Name, len(got[ci]))
				}
				for i := range nRows {
					if want := arrowExpected(col.Name, i); !reflect.DeepEqual(got[ci][i], want) {
						t.Fatalf("column %s row %d: got %#v, want %#v", col.Name, i, got[ci][i], want)
					}
				}
			}
			// A projection in another order reads the same values.
			proj := []int{colIndex(t, tbl, "s"), colIndex(t, tbl, "i64")}
			got = readAll(t, tbl, proj, 0)
			for i := range nRows {
				if got[0][i] != arrowExpected("s", i) || got[1][i] != arrowExpected("i64", i) {
					t.Fatalf("projected row %d: %v %v", i, got[0][i], got[1][i])
				}
			}
		})
	}
}

func TestInt96Timestamps(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true}}, nil)
	b := array.NewTimestampBuilder(mem, schema.Field(0).Type.(*arrow.TimestampType))
	vals := []int64{0, -1, 1_700_000_000_123_456_789, -86_400_000_000_001, 1}
	for i, v := range vals {
		if i == 3 {
			b.AppendNull()
		}
		b.Append(arrow.Timestamp(v))
	}
	arr := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
	arr.Release()
	dir := t.TempDir()
	writeArrow(t, filepath.Join(dir, "legacy.parquet"), rec, nil, pqarrow.WithDeprecatedInt96Timestamps(true))
	rec.Release()

	tbl := mustTable(t, openCatalog(t, dir), "legacy")
	if tbl.Columns[0].Type != types.TimestampT {
		t.Fatalf("INT96 column type %v", tbl.Columns[0].Type)
	}
	got := readAll(t, tbl, []int{0}, 0)[0]
	want := []any{int64(0), int64(-1), int64(1_700_000_000_123_456), nil, floorDiv(-86_400_000_000_001, 1000), int64(0)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// beBytes encodes v as an n-byte big-endian two's complement integer.
func beBytes(v int64, n int) []byte {
	b := make([]byte, n)
	x := big.NewInt(v)
	if v < 0 {
		x.Add(x, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	x.FillBytes(b)
	return b
}

func TestReadParquetGoWrittenTypes(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{
		"a_dec32":   parquet.Optional(parquet.Decimal(2, 9, parquet.Int32Type)),
		"b_dec64":   parquet.Decimal(3, 18, parquet.Int64Type),
		"c_decflba": parquet.Optional(parquet.Decimal(4, 30, parquet.FixedLenByteArrayType(13))),
		"d_decba":   parquet.Decimal(2, 20, parquet.ByteArrayType),
		"e_str":     parquet.Optional(parquet.Encoded(parquet.String(), &parquet.RLEDictionary)),
		"f_ts_ms":   parquet.Timestamp(parquet.Millisecond),
		"g_time_ns": parquet.Time(parquet.Nanosecond),
		"h_u16":     parquet.Uint(16),
		"i_u32":     parquet.Optional(parquet.Uint(32)),
		"j_enum":    parquet.Enum(),
		"k_json":    parquet.JSON(),
		"l_date":    parquet.Date(),
		"m_i8":      parquet.Int(8),
		"n_flba":    parquet.Optional(parquet.Leaf(parquet.FixedLenByteArrayType(3))),
	})
	const n = 700
	var rows [][]any
	for i := range n {
		v := int64(i) - 350
		nullable := func(x any) any {
			if isNullRow(i) {
				return nil
			}
			return x
		}
		rows = append(rows, []any{
			nullable(parquet.Int32Value(int32(v * 1001))),
			parquet.Int64Value(v * 1_000_000_007),
			nullable(parquet.FixedLenByteArrayValue(beBytes(v*123456789012345, 13))),
			parquet.ByteArrayValue(beBytes(v*98765, 4+i%5)),
			nullable(parquet.ByteArrayValue([]byte(fmt.Sprintf("s%d", i%5)))),
			parquet.Int64Value(v * 3_600_001),
			parquet.Int64Value(int64(i) * 1_000_000_001),
			parquet.Int32Value(int32(i * 90)),
			nullable(parquet.Int32Value(int32(uint32(i) * 6_000_000))),
			parquet.ByteArrayValue([]byte("e" + fmt.Sprint(i%3))),
			parquet.ByteArrayValue([]byte(fmt.Sprintf(`{"k":%d}`, i))),
			parquet.Int32Value(int32(v * 40)),
			parquet.Int32Value(int32(int8(i))),
			nullable(parquet.FixedLenByteArrayValue([]byte{byte(i), 1, 2})),
		})
	}
	dir := t.TempDir()
	writeParquetGo(t, filepath.Join(dir, "pgo", "part-0.parquet"), schema, rows[:400], parquet.MaxRowsPerRowGroup(150), parquet.PageBufferSize(256))
	writeParquetGo(t, filepath.Join(dir, "pgo", "sub", "part-1.parquet"), schema, rows[400:], parquet.MaxRowsPerRowGroup(150), parquet.DataPageVersion(1))

	tbl := mustTable(t, openCatalog(t, dir), "pgo")
	wantTypes := []types.T{
		types.NumericT(9, 2), types.NumericT(18, 3), types.NumericT(30, 4), types.NumericT(20, 2),
		types.TextT, types.TimestampTZT, types.TimeT, types.Int32T, types.Int64T, types.TextT, types.TextT,
		types.DateT, types.Int16T, types.ByteaT,
	}
	for i, col := range tbl.Columns {
		if col.Type != wantTypes[i] {
			t.Errorf("column %s: %v, want %v", col.Name, col.Type, wantTypes[i])
		}
	}
	if len(tbl.Splits()) != 5 {
		t.Errorf("%d splits, want 3+2 row groups", len(tbl.Splits()))
	}
	got := readAll(t, tbl, allCols(tbl), 100)
	for i := range n {
		v := int64(i) - 350
		nullable := func(x any) any {
			if isNullRow(i) {
				return nil
			}
			return x
		}
		want := []any{
			nullable(dec(v * 1001)),
			dec(v * 1_000_000_007),
			nullable(dec(v * 123456789012345)),
			dec(v * 98765),
			nullable(fmt.Sprintf("s%d", i%5)),
			v * 3_600_001 * 1000,
			int64(i) * 1_000_000_001 / 1000,
			int64(i * 90),
			nullable(int64(uint32(i) * 6_000_000)),
			"e" + fmt.Sprint(i%3),
			fmt.Sprintf(`{"k":%d}`, i),
			int32(v * 40),
			int64(int8(i)),
			nullable(string([]byte{byte(i), 1, 2})),
		}
		for c := range want {
			if !reflect.DeepEqual(got[c][i], want[c]) {
				t.Fatalf("row %d column %s: got %#v, want %#v", i, tbl.Columns[c].Name, got[c][i], want[c])
			}
		}
	}
}

func TestPartitionsAndSchemaMerge(t *testing.T) {
	dir := t.TempDir()
	mem := memory.NewGoAllocator()
	mk := func(fields []arrow.Field, build func(b *array.RecordBuilder)) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
		defer b.Release()
		build(b)
		return b.NewRecordBatch()
	}
	recA := mk([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "name", Type: arrow.BinaryTypes.String}}, func(b *array.RecordBuilder) {
		b.Field(0).(*array.Int32Builder).AppendValues([]int32{1, 2}, nil)
		b.Field(1).(*array.StringBuilder).AppendValues([]string{"a", "b"}, nil)
	})
	recB := mk([]arrow.Field{{Name: "extra", Type: arrow.PrimitiveTypes.Float32}, {Name: "id", Type: arrow.PrimitiveTypes.Int64}}, func(b *array.RecordBuilder) {
		b.Field(0).(*array.Float32Builder).AppendValues([]float32{1.5}, nil)
		b.Field(1).(*array.Int64Builder).AppendValues([]int64{1 << 40}, nil)
	})
	ev := filepath.Join(dir, "Events")
	writeArrow(t, filepath.Join(ev, "year=2023", "day=2023-01-05", "region=eu", "a.parquet"), recA, nil)
	writeArrow(t, filepath.Join(ev, "year=2024", "day=2024-02-29", "region=__HIVE_DEFAULT_PARTITION__", "b.parquet"), recB, nil)
	writeArrow(t, filepath.Join(dir, "flat.parquet"), recA, nil)
	writeArrow(t, filepath.Join(ev, "_temporary", "x.parquet"), recB, nil) // ignored
	if err := os.WriteFile(filepath.Join(ev, "year=2023", "_SUCCESS"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	recA.Release()
	recB.Release()

	c := openCatalog(t, dir)
	var names []string
	for _, tb := range c.Tables() {
		names = append(names, tb.Name)
	}
	if !reflect.DeepEqual(names, []string{"Events", "empty", "flat"}) {
		t.Fatalf("tables %v", names)
	}
	tbl := mustTable(t, c, "events") // case-insensitive fallback
	if tbl.Name != "Events" || tbl.Schema != "public" {
		t.Fatalf("got table %q.%q", tbl.Schema, tbl.Name)
	}
	want := []Column{
		{Name: "id", Type: types.Int64T, Nullable: false},
		{Name: "name", Type: types.TextT, Nullable: true},
		{Name: "extra", Type: types.Float32T, Nullable: true},
		{Name: "year", Type: types.Int64T, Partition: true},
		{Name: "day", Type: types.DateT, Partition: true},
		{Name: "region", Type: types.TextT, Nullable: true, Partition: true},
	}
	if !reflect.DeepEqual(tbl.Columns, want) {
		t.Fatalf("columns\n got %+v\nwant %+v", tbl.Columns, want)
	}
	if tbl.RowCount() != 3 || len(tbl.Files()) != 2 {
		t.Fatalf("rows %d files %v", tbl.RowCount(), tbl.Files())
	}
	got := readAll(t, tbl, allCols(tbl), 0)
	d1, _ := parseDate("2023-01-05")
	d2, _ := parseDate("2024-02-29")
	wantCols := [][]any{
		{int64(1), int64(2), int64(1 << 40)},
		{"a", "b", nil},
		{nil, nil, 1.5},
		{int64(2023), int64(2023), int64(2024)},
		{d1, d1, d2},
		{"eu", "eu", nil},
	}
	if !reflect.DeepEqual(got, wantCols) {
		t.Fatalf("got %v\nwant %v", got, wantCols)
	}
	// Partition pruning.
	day := colIndex(t, tbl, "day")
	region := colIndex(t, tbl, "region")
	if s := tbl.Prune(tbl.Splits(), []Predicate{{Column: day, Op: ">", Value: d1}}); len(s) != 1 || !strings.HasSuffix(s[0].File, "b.parquet") {
		t.Fatalf("day > 2023-01-05 kept %v", s)
	}
	if s := tbl.Prune(tbl.Splits(), []Predicate{{Column: region, Op: "is null"}}); len(s) != 1 {
		t.Fatalf("region is null kept %v", s)
	}
	if s := tbl.Prune(tbl.Splits(), []Predicate{{Column: region, Op: "=", Value: "us"}}); len(s) != 0 {
		t.Fatalf("region = us kept %v", s)
	}
	// A column missing from a file reads NULL there: "name is not null" drops b.parquet.
	if s := tbl.Prune(tbl.Splits(), []Predicate{{Column: colIndex(t, tbl, "name"), Op: "is not null"}}); len(s) != 1 {
		t.Fatalf("name is not null kept %v", s)
	}

	empty := mustTable(t, c, "empty")
	if len(empty.Columns) != 0 || len(empty.Splits()) != 0 || empty.RowCount() != 0 {
		t.Fatalf("empty table: %+v", empty)
	}
	flat := mustTable(t, c, "flat")
	if len(flat.Columns) != 2 || flat.Columns[0].Type != types.Int32T {
		t.Fatalf("flat columns %+v", flat.Columns)
	}
}

func TestPartitionTypeInference(t *testing.T) {
	cases := []struct {
		vals []string
		want types.T
	}{
		{[]string{"1", "-20", "300"}, types.Int64T},
		{[]string{"2020-01-01", "1999-12-31"}, types.DateT},
		{[]string{"2020-01-01", "12"}, types.TextT},
		{[]string{"2020-02-30"}, types.TextT},
		{[]string{"abc"}, types.TextT},
		{nil, types.TextT},
	}
	for _, c := range cases {
		if got := inferPartitionType(c.vals); got != c.want {
			t.Errorf("%v: %v, want %v", c.vals, got, c.want)
		}
	}
	kv := partitionsOf("/d/t", "/d/t/a=1/plain/b=x%2Fy/f.parquet")
	if !reflect.DeepEqual(kv, []partKV{{key: "a", value: "1"}, {key: "b", value: "x/y"}}) {
		t.Errorf("partitionsOf: %+v", kv)
	}
}

func TestPruneStatistics(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "x", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "sometimes", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond}},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	for i := range 500 {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("k%03d", i))
		if i < 100 { // row group 0 is all NULL
			b.Field(2).(*array.Int32Builder).AppendNull()
		} else {
			b.Field(2).(*array.Int32Builder).Append(int32(i))
		}
		b.Field(3).(*array.Decimal128Builder).Append(dec(int64(i) * 150))
		b.Field(4).(*array.Float64Builder).Append(float64(i) / 10)
		b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(i) * 1000))
	}
	rec := b.NewRecordBatch()
	b.Release()
	dir := t.TempDir()
	writeArrow(t, filepath.Join(dir, "nums.parquet"), rec, []pqa.WriterProperty{pqa.WithMaxRowGroupLength(100)})
	rec.Release()
	tbl := mustTable(t, openCatalog(t, dir), "nums")
	all := tbl.Splits()
	if len(all) != 5 {
		t.Fatalf("%d splits", len(all))
	}
	rowGroups := func(ss []Split) []int {
		out := []int{}
		for _, s := range ss {
			out = append(out, s.RowGroup)
		}
		return out
	}
	x, s, some, amount, f, ts := 0, 1, 2, 3, 4, 5
	cases := []struct {
		preds []Predicate
		want  []int
	}{
		{[]Predicate{{Column: x, Op: "=", Value: int64(250)}}, []int{2}},
		{[]Predicate{{Column: x, Op: "<", Value: int64(100)}}, []int{0}},
		{[]Predicate{{Column: x, Op: "<=", Value: int64(100)}}, []int{0, 1}},
		{[]Predicate{{Column: x, Op: ">", Value: int64(399)}}, []int{4}},
		{[]Predicate{{Column: x, Op: ">=", Value: int64(399)}}, []int{3, 4}},
		{[]Predicate{{Column: x, Op: ">", Value: int64(499)}}, []int{}},
		{[]Predicate{{Column: x, Op: "=", Value: nil}}, []int{}},
		{[]Predicate{{Column: x, Op: ">", Value: int64(150)}, {Column: x, Op: "<", Value: int64(250)}}, []int{1, 2}},
		{[]Predicate{{Column: s, Op: "=", Value: "k305"}}, []int{3}},
		{[]Predicate{{Column: s, Op: "<", Value: "k1"}}, []int{0}},
		{[]Predicate{{Column: some, Op: "is not null"}}, []int{1, 2, 3, 4}},
		{[]Predicate{{Column: some, Op: "is null"}}, []int{0}},
		{[]Predicate{{Column: some, Op: "<", Value: int64(1000)}}, []int{1, 2, 3, 4}},
		{[]Predicate{{Column: x, Op: "is null"}}, []int{}},
		{[]Predicate{{Column: amount, Op: "=", Value: dec(150 * 420)}}, []int{4}},
		{[]Predicate{{Column: amount, Op: "<", Value: dec(150 * 100)}}, []int{0}},
		{[]Predicate{{Column: f, Op: "<", Value: 10.0}}, []int{0}},
		{[]Predicate{{Column: f, Op: ">=", Value: 45.0}}, []int{0, 1, 2, 3, 4}}, // NaN sorts above all in PostgreSQL
		{[]Predicate{{Column: ts, Op: "<", Value: int64(50_000_000)}}, []int{0}},
		{[]Predicate{{Column: ts, Op: ">", Value: int64(298_000_000)}}, []int{2, 3, 4}},
		{[]Predicate{{Column: x, Op: "=", Value: "wrong encoding"}}, []int{0, 1, 2, 3, 4}},
	}
	for _, c := range cases {
		if got := rowGroups(tbl.Prune(all, c.preds)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: kept row groups %v, want %v", c.preds, got, c.want)
		}
	}
	// The kept split reads exactly its own rows.
	kept := tbl.Prune(all, []Predicate{{Column: x, Op: "=", Value: int64(250)}})
	r, err := tbl.Read(context.Background(), kept[0], []int{x}, mem, 0)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if batch.NumRows() != 100 || batch.Column(0).(*array.Int64).Value(0) != 200 {
		t.Fatalf("split 2 read %d rows starting at %d", batch.NumRows(), batch.Column(0).(*array.Int64).Value(0))
	}
	batch.Release()
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
	r.Close()
	r.Close() // idempotent

	st := tbl.ColumnStats(x)
	if !st.HasMinMax || st.Min != int64(0) || st.Max != int64(499) || st.NullCount != 0 {
		t.Errorf("ColumnStats(x) = %+v", st)
	}
	st = tbl.ColumnStats(some)
	if st.NullCount != 100 || st.Min != int64(100) {
		t.Errorf("ColumnStats(sometimes) = %+v", st)
	}
}

func TestZeroColumnProjection(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := arrowFixture(mem)
	dir := t.TempDir()
	writeArrow(t, filepath.Join(dir, "t.parquet"), rec, []pqa.WriterProperty{pqa.WithMaxRowGroupLength(333)})
	rec.Release()
	tbl := mustTable(t, openCatalog(t, dir), "t")
	var total int64
	for _, s := range tbl.Splits() {
		r, err := tbl.Read(context.Background(), s, nil, mem, 100)
		if err != nil {
			t.Fatal(err)
		}
		for {
			b, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.NumCols() != 0 || b.NumRows() == 0 || b.NumRows() > 100 {
				t.Fatalf("batch %d cols %d rows", b.NumCols(), b.NumRows())
			}
			total += b.NumRows()
			b.Release()
		}
		r.Close()
	}
	if total != nRows {
		t.Fatalf("counted %d rows", total)
	}
}

func TestBadFilesAndConflicts(t *testing.T) {
	dir := t.TempDir()
	mem := memory.NewGoAllocator()
	intRec := func(name string, vals ...int32) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: name, Type: arrow.PrimitiveTypes.Int32}}, nil))
		defer b.Release()
		b.Field(0).(*array.Int32Builder).AppendValues(vals, nil)
		return b.NewRecordBatch()
	}
	strRec := func(name string, vals ...string) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: name, Type: arrow.BinaryTypes.String}}, nil))
		defer b.Release()
		b.Field(0).(*array.StringBuilder).AppendValues(vals, nil)
		return b.NewRecordBatch()
	}
	good := intRec("v", 1, 2, 3)
	writeArrow(t, filepath.Join(dir, "good.parquet"), good, nil)
	writeArrow(t, filepath.Join(dir, "broken", "ok.parquet"), good, nil)
	writeArrow(t, filepath.Join(dir, "broken", "bad.parquet"), good, nil)
	data, err := os.ReadFile(filepath.Join(dir, "broken", "bad.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken", "bad.parquet"), data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "junk"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junk", "x.parquet"), []byte("this is not parquet at all, just text"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tiny.parquet"), []byte("PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeArrow(t, filepath.Join(dir, "conflict", "a.parquet"), good, nil)
	sr := strRec("v", "x")
	writeArrow(t, filepath.Join(dir, "conflict", "b.parquet"), sr, nil)
	sr.Release()
	good.Release()

	c := openCatalog(t, dir)
	if got := readAll(t, mustTable(t, c, "good"), []int{0}, 0)[0]; !reflect.DeepEqual(got, []any{int64(1), int64(2), int64(3)}) {
		t.Fatalf("good table read %v", got)
	}
	for _, tc := range []struct{ table, file string }{{"broken", "bad.parquet"}, {"junk", "x.parquet"}, {"tiny", "tiny.parquet"}} {
		tbl, ok := c.Table(tc.table)
		if !ok {
			t.Fatalf("table %s missing", tc.table)
		}
		e := wantCode(t, tbl.Err(), sqlerr.DataCorrupted, sqlerr.IOError)
		if !strings.Contains(e.Message, tc.file) {
			t.Errorf("%s: error %q does not name %s", tc.table, e.Message, tc.file)
		}
		// Every split fails, the broken file's too (a scan must not skip it).
		splits := tbl.Splits()
		if len(splits) == 0 {
			t.Fatalf("%s: no splits", tc.table)
		}
		for _, s := range tbl.Prune(splits, []Predicate{{Column: 0, Op: "=", Value: int64(1)}}) {
			_, err := tbl.Read(context.Background(), s, nil, mem, 0)
			wantCode(t, err, sqlerr.DataCorrupted, sqlerr.IOError)
		}
	}
	conflict, _ := c.Table("conflict")
	e := wantCode(t, conflict.Err(), sqlerr.DatatypeMismatch)
	for _, s := range []string{`"v"`, "a.parquet", "b.parquet", "integer", "text"} {
		if !strings.Contains(e.Message, s) {
			t.Errorf("conflict error %q does not mention %s", e.Message, s)
		}
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "does-not-exist")); err == nil {
		t.Fatal("Open of a missing directory succeeded")
	} else {
		wantCode(t, err, sqlerr.IOError)
	}
}

// TestCorruptPages damages the page data of a file whose footer is intact:
// reading must fail with an error naming the file, never panic.
func TestCorruptPages(t *testing.T) {
	mem := memory.NewGoAllocator()
	rec := arrowFixture(mem)
	dir := t.TempDir()
	path := filepath.Join(dir, "c.parquet")
	writeArrow(t, path, rec, []pqa.WriterProperty{pqa.WithDictionaryDefault(false)})
	rec.Release()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tbl := mustTable(t, openCatalog(t, dir), "c")
	for seed := range 8 {
		bad := append([]byte(nil), data...)
		// Scribble over the first half of the file, past the magic bytes.
		for i := 4 + seed; i < len(bad)/2; i += 7 + seed {
			bad[i] ^= byte(0x5a + seed)
		}
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		failed := false
		for _, s := range tbl.Splits() {
			r, err := tbl.Read(context.Background(), s, allCols(tbl), mem, 0)
			if err != nil {
				failed = true
				continue
			}
			for {
				b, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					failed = true
					if !strings.Contains(err.Error(), "c.parquet") {
						t.Errorf("error %q does not name the file", err)
					}
					wantCode(t, err, sqlerr.DataCorrupted, sqlerr.IOError)
					break
				}
				b.Release()
			}
			r.Close()
		}
		if !failed {
			t.Logf("seed %d: corruption went unnoticed (checksums are optional)", seed)
		}
	}
}

func TestDecimalTooPrecise(t *testing.T) {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "huge", Type: &arrow.Decimal256Type{Precision: 40, Scale: 2}}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	b.Field(0).(*array.Decimal256Builder).Append(decimal256.FromI64(5))
	rec := b.NewRecordBatch()
	b.Release()
	dir := t.TempDir()
	writeArrow(t, filepath.Join(dir, "wide.parquet"), rec, nil)
	rec.Release()
	tbl, ok := openCatalog(t, dir).Table("wide")
	if !ok {
		t.Fatal("table missing")
	}
	e := wantCode(t, tbl.Err(), sqlerr.FeatureNotSupported)
	if !strings.Contains(e.Message, "huge") {
		t.Fatalf("error %q does not name the column", e.Message)
	}
}

func TestIntervalAndLegacyConverted(t *testing.T) {
	// Exercise the legacy INTERVAL decoder directly: FIXED[12] months, days, millis.
	var raw []byte
	for _, v := range [][3]uint32{{1, 2, 3}, {0, 30, 86_400_000}} {
		raw = binary.LittleEndian.AppendUint32(raw, v[0])
		raw = binary.LittleEndian.AppendUint32(raw, v[1])
		raw = binary.LittleEndian.AppendUint32(raw, v[2])
	}
	got, err := convertInterval(encoding.FixedLenByteArrayValues(raw, 12), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []arrow.MonthDayNanoInterval{{Months: 1, Days: 2, Nanoseconds: 3_000_000}, {Days: 30, Nanoseconds: 86_400_000_000_000}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("intervals %v", got)
	}
	if d := bigEndianDecimal([]byte{0xff, 0x85}); d != dec(-123) {
		t.Fatalf("bigEndianDecimal(-123) = %v", d)
	}
}

// TestConcurrentReads reads every split of one file from several goroutines
// at once, as the executor's tasks do; run with -race.
func TestConcurrentReads(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := arrowFixture(mem)
	dir := t.TempDir()
	writeArrow(t, filepath.Join(dir, "t.parquet"), rec, []pqa.WriterProperty{pqa.WithMaxRowGroupLength(100)})
	rec.Release()
	tbl := mustTable(t, openCatalog(t, dir), "t")
	want := readAll(t, tbl, allCols(tbl), 0)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := make([][]any, len(tbl.Columns))
			for _, s := range tbl.Splits() {
				r, err := tbl.Read(context.Background(), s, allCols(tbl), mem, 64)
				if err != nil {
					errs <- err
					return
				}
				for {
					b, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						errs <- err
						return
					}
					for c := range got {
						for j := 0; j < int(b.NumRows()); j++ {
							got[c] = append(got[c], cell(b.Column(c), j))
						}
					}
					b.Release()
				}
				r.Close()
			}
			if !reflect.DeepEqual(got, want) {
				errs <- fmt.Errorf("concurrent read differs")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestLegacyConvertedTypes maps schema elements that carry only the
// deprecated ConvertedType annotation, as older writers produce them.
func TestLegacyConvertedTypes(t *testing.T) {
	el := func(phys format.Type, ct deprecated.ConvertedType, typeLen, prec, scale int32) *format.SchemaElement {
		e := &format.SchemaElement{Name: "c"}
		e.Type.Set(phys)
		e.ConvertedType.Set(ct)
		if typeLen > 0 {
			e.TypeLength.Set(typeLen)
		}
		if prec > 0 {
			e.Precision.Set(prec)
			e.Scale.Set(scale)
		}
		return e
	}
	cases := []struct {
		el   *format.SchemaElement
		want types.T
		ok   bool
	}{
		{el(format.ByteArray, deprecated.UTF8, 0, 0, 0), types.TextT, true},
		{el(format.ByteArray, deprecated.Json, 0, 0, 0), types.TextT, true},
		{el(format.Int64, deprecated.Decimal, 0, 15, 2), types.NumericT(15, 2), true},
		{el(format.FixedLenByteArray, deprecated.Decimal, 16, 38, 10), types.NumericT(38, 10), true},
		{el(format.Int64, deprecated.TimestampMillis, 0, 0, 0), types.TimestampTZT, true},
		{el(format.Int32, deprecated.TimeMillis, 0, 0, 0), types.TimeT, true},
		{el(format.Int64, deprecated.Uint64, 0, 0, 0), types.NumericT(20, 0), true},
		{el(format.Int32, deprecated.Uint8, 0, 0, 0), types.Int16T, true},
		{el(format.Int32, deprecated.Int8, 0, 0, 0), types.Int16T, true},
		{el(format.FixedLenByteArray, deprecated.Interval, 12, 0, 0), types.IntervalT, true},
		{el(format.Int32, deprecated.Date, 0, 0, 0), types.DateT, true},
		{el(format.Int64, deprecated.Date, 0, 0, 0), types.T{}, false}, // DATE must be INT32
	}
	for i, c := range cases {
		l, ok, err := leafOf(c.el)
		if err != nil || ok != c.ok || (ok && l.t != c.want) {
			t.Errorf("case %d: got %v ok=%v err=%v, want %v ok=%v", i, l.t, ok, err, c.want, c.ok)
		}
	}
	// DECIMAL over 38 digits is an error naming the column.
	if _, _, err := leafOf(el(format.FixedLenByteArray, deprecated.Decimal, 20, 45, 0)); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("DECIMAL(45,0): %v", err)
	}
}

func TestNameCollisionAndCancel(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := arrowFixture(mem)
	dir := t.TempDir()
	writeArrow(t, filepath.Join(dir, "t.parquet"), rec, nil)
	writeArrow(t, filepath.Join(dir, "t", "x.parquet"), rec, nil)
	writeArrow(t, filepath.Join(dir, "u.parquet"), rec, []pqa.WriterProperty{pqa.WithMaxRowGroupLength(nRows)})
	rec.Release()
	c := openCatalog(t, dir)
	tt, ok := c.Table("t")
	if !ok {
		t.Fatal("table t missing")
	}
	wantCode(t, tt.Err(), "42P07")

	u := mustTable(t, c, "u")
	ctx, cancel := context.WithCancel(context.Background())
	r, err := u.Read(ctx, u.Splits()[0], []int{0}, mem, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
	cancel()
	_, err = r.Next()
	wantCode(t, err, sqlerr.QueryCanceled)
}

func TestBigEndianDecimalSizes(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 127, -128, 255, -32769, 1 << 40, -(1 << 50), 1<<63 - 1, -1 << 63} {
		for n := 1; n <= 16; n++ {
			if n < 8 && (v >= 1<<(8*n-1) || v < -(1<<(8*n-1))) {
				continue // does not fit n bytes
			}
			if got := bigEndianDecimal(beBytes(v, n)); got != dec(v) {
				t.Errorf("%d in %d bytes: got %v", v, n, got)
			}
		}
	}
	// A value needing more than 64 bits.
	want := dec(-123456789).Mul(dec(1_000_000_000_000_000_000))
	b := want.BigInt()
	b.Add(b, new(big.Int).Lsh(big.NewInt(1), 128))
	raw := make([]byte, 16)
	b.FillBytes(raw)
	if got := bigEndianDecimal(raw[16-13:]); got != want {
		t.Errorf("13-byte value: got %v, want %v", got, want)
	}
}
