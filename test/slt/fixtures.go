package slt

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/basaltdb/basalt/sql/types"
)

// The fixture tables are defined once, here, as Go values. The same
// definition is written as Parquet for Basalt and as CREATE TABLE + INSERT
// for PostgreSQL, so both engines see exactly the same data.
//
// Cell values use these Go types (nil is NULL):
//
//	smallint int16, integer int32, bigint int64, real float32,
//	double precision float64, numeric string ("12.50"), text/varchar string,
//	boolean bool, date "2006-01-02", time "15:04:05[.ffffff]",
//	timestamp "2006-01-02 15:04:05[.ffffff]",
//	timestamptz "2006-01-02 15:04:05[.ffffff]+07", bytea []byte.

// Column is one fixture column: its name, the PostgreSQL type as written in
// CREATE TABLE, and the engine type it is stored as in Parquet.
type Column struct {
	Name    string
	SQLType string
	Type    types.T
	// Precision is numeric's declared precision, kept for the Parquet
	// DECIMAL annotation (types.T of a batch always uses 38).
	Precision int32
}

// Table is one fixture table.
type Table struct {
	Name    string
	Columns []Column
	Rows    [][]any
	// Files is how many Parquet files the rows are split into (at least 1).
	Files int
	// RowGroupRows caps the rows of one row group; 0 means one group a file.
	RowGroupRows int
	// PartitionBy names trailing columns that become key=value folders
	// instead of being stored in the files.
	PartitionBy []string
}

// col builds a Column from its PostgreSQL type name.
func col(name, sqlType string) Column {
	c := Column{Name: name, SQLType: sqlType}
	st := strings.ToLower(sqlType)
	switch {
	case st == "smallint":
		c.Type = types.Int16T
	case st == "integer":
		c.Type = types.Int32T
	case st == "bigint":
		c.Type = types.Int64T
	case st == "real":
		c.Type = types.Float32T
	case st == "double precision":
		c.Type = types.Float64T
	case strings.HasPrefix(st, "numeric("):
		var p, s int32
		if _, err := fmt.Sscanf(st, "numeric(%d,%d)", &p, &s); err != nil {
			panic("bad fixture type " + sqlType)
		}
		c.Type = types.NumericT(p, s)
		c.Precision = p
	case st == "text", strings.HasPrefix(st, "varchar("):
		c.Type = types.TextT
	case st == "boolean":
		c.Type = types.BoolT
	case st == "date":
		c.Type = types.DateT
	case st == "time":
		c.Type = types.TimeT
	case st == "timestamp":
		c.Type = types.TimestampT
	case st == "timestamptz":
		c.Type = types.TimestampTZT
	case st == "bytea":
		c.Type = types.ByteaT
	default:
		panic("unknown fixture type " + sqlType)
	}
	return c
}

func cols(cs ...Column) []Column { return cs }

// Fixtures returns every fixture table. The data is deterministic.
func Fixtures() []*Table {
	return []*Table{
		numsTable(), strsTable(), timesTable(), empTable(), deptTable(),
		emptyTable(), salesTable(), bigTable(), dimTable(), pairsTable(),
	}
}

// nums: every number type plus boolean, with negatives, duplicates, zeros
// and a NULL in every column. Two files of two row groups each.
func numsTable() *Table {
	return &Table{
		Name: "nums",
		Columns: cols(col("id", "integer"), col("si", "smallint"), col("i", "integer"), col("bi", "bigint"),
			col("r", "real"), col("d", "double precision"), col("n", "numeric(10,2)"), col("b", "boolean")),
		Rows: [][]any{
			{int32(1), int16(1), int32(10), int64(100), float32(1.5), 2.25, "10.50", true},
			{int32(2), int16(-2), int32(-20), int64(-200), float32(-0.5), -3.75, "-20.25", false},
			{int32(3), int16(3), int32(30), int64(3000000000), float32(2.5), 0.1, "30.00", true},
			{int32(4), int16(0), int32(0), int64(0), float32(0), 0.0, "0.00", false},
			{int32(5), nil, nil, nil, nil, nil, nil, nil},
			{int32(6), int16(32767), int32(2147483647), int64(9223372036854775807), float32(100.25), 1e10, "99999999.99", true},
			{int32(7), int16(-32768), int32(-2147483648), int64(-9223372036854775808), float32(-100.25), -1e-5, "-99999999.99", false},
			{int32(8), int16(3), int32(30), int64(3000000000), float32(2.5), 0.1, "30.00", true},
			{int32(9), int16(7), int32(7), int64(7), float32(7), 7.0, "7.00", nil},
			{int32(10), int16(-7), int32(-7), int64(-7), float32(-7), -7.0, "-7.00", true},
			{int32(11), int16(2), int32(5), int64(2), float32(0.125), 1.5, "0.05", false},
			{int32(12), int16(5), int32(2), int64(5), float32(3.75), 2.5, "1.25", true},
		},
		Files:        2,
		RowGroupRows: 3,
	}
}

// strs: text, varchar and bytea with spaces, quotes, unicode, an empty
// string, mixed case and NULLs.
func strsTable() *Table {
	return &Table{
		Name:    "strs",
		Columns: cols(col("id", "integer"), col("s", "text"), col("v", "varchar(20)"), col("bin", "bytea")),
		Rows: [][]any{
			{int32(1), "hello", "abc", []byte{0xde, 0xad, 0xbe, 0xef}},
			{int32(2), "Hello World", "ABC", []byte{}},
			{int32(3), "", "a b c", []byte("hi")},
			{int32(4), nil, nil, nil},
			{int32(5), "it's", "O'Brien", []byte{0x00, 0x01}},
			{int32(6), "  padded  ", "x", []byte("x")},
			{int32(7), "naïve café", "Ünïcödé", []byte("é")},
			{int32(8), "日本語", "汉字", nil},
			{int32(9), "100%", "a_b", []byte("%")},
			{int32(10), "hello", "abc", []byte{0xde, 0xad, 0xbe, 0xef}},
			{int32(11), "banana", "Banana", []byte("b")},
			{int32(12), "apple", "apple pie", []byte("a")},
		},
		Files:        2,
		RowGroupRows: 4,
	}
}

// times: date, time, timestamp and timestamptz, including leap days,
// year ends, fractional seconds and a NULL in each column.
func timesTable() *Table {
	return &Table{
		Name:    "times",
		Columns: cols(col("id", "integer"), col("d", "date"), col("t", "time"), col("ts", "timestamp"), col("tz", "timestamptz")),
		Rows: [][]any{
			{int32(1), "2024-01-15", "10:30:00", "2024-01-15 10:30:00", "2024-01-15 10:30:00+00"},
			{int32(2), "2024-02-29", "23:59:59.999999", "2024-02-29 23:59:59.5", "2024-02-29 23:59:59.5+02"},
			{int32(3), "2023-12-31", "00:00:00", "2023-12-31 00:00:00", "2023-12-31 22:00:00-05"},
			{int32(4), nil, nil, nil, nil},
			{int32(5), "2000-01-01", "12:00:00.123", "2000-01-01 12:00:00.123456", "2000-01-01 00:00:00+00"},
			{int32(6), "1999-06-30", "06:15:30", "1999-06-30 06:15:30", "1999-06-30 06:15:30+00"},
			{int32(7), "2024-03-10", "18:45:00", "2024-03-10 18:45:00", "2024-03-10 18:45:00+00"},
			{int32(8), "2021-01-03", "01:02:03", "2021-01-03 01:02:03", "2021-01-03 01:02:03+00"},
			{int32(9), "1970-01-01", "00:00:01", "1970-01-01 00:00:00", "1970-01-01 00:00:00+00"},
			{int32(10), "2024-01-15", "10:30:00", "2024-01-15 10:30:00", "2024-01-15 10:30:00+00"},
		},
		Files: 1,
	}
}

// emp and dept: the join fixtures. One employee has no department, one
// department has no employees, managers form a self join.
func empTable() *Table {
	return &Table{
		Name: "emp",
		Columns: cols(col("id", "integer"), col("name", "text"), col("dept_id", "integer"),
			col("salary", "numeric(10,2)"), col("manager_id", "integer"), col("hired", "date")),
		Rows: [][]any{
			{int32(1), "Alice", int32(10), "120000.00", nil, "2015-03-01"},
			{int32(2), "Bob", int32(10), "85000.00", int32(1), "2018-07-15"},
			{int32(3), "Carol", int32(20), "95000.50", int32(1), "2019-01-10"},
			{int32(4), "Dave", int32(20), "70000.00", int32(3), "2020-11-30"},
			{int32(5), "Eve", int32(30), "65000.00", int32(3), "2021-05-05"},
			{int32(6), "Frank", nil, "50000.00", int32(2), "2022-02-14"},
			{int32(7), "Grace", int32(10), nil, int32(1), "2023-08-01"},
			{int32(8), "Heidi", int32(20), "95000.50", int32(3), nil},
		},
		Files: 2,
	}
}

func deptTable() *Table {
	return &Table{
		Name:    "dept",
		Columns: cols(col("id", "integer"), col("name", "text"), col("budget", "bigint")),
		Rows: [][]any{
			{int32(10), "Engineering", int64(1000000)},
			{int32(20), "Sales", int64(500000)},
			{int32(30), "Marketing", nil},
			{int32(40), "Legal", int64(200000)},
		},
		Files: 1,
	}
}

// empty_t: a table with columns but no rows (aggregates over empty input).
func emptyTable() *Table {
	return &Table{
		Name:    "empty_t",
		Columns: cols(col("id", "integer"), col("v", "text"), col("n", "numeric(10,2)"), col("d", "double precision")),
		Files:   1,
	}
}

// sales: partitioned by year (inferred bigint) and region (text) folders,
// with one NULL region (__HIVE_DEFAULT_PARTITION__).
func salesTable() *Table {
	t := &Table{
		Name: "sales",
		Columns: cols(col("id", "bigint"), col("product", "text"), col("qty", "integer"), col("price", "numeric(8,2)"),
			col("year", "bigint"), col("region", "text")),
		PartitionBy:  []string{"year", "region"},
		Files:        1,
		RowGroupRows: 2,
	}
	products := []string{"widget", "gadget", "doohickey", "gizmo"}
	regions := []any{"east", "west", "north", nil}
	id := int64(1)
	for y := int64(2022); y <= 2024; y++ {
		for ri, r := range regions {
			if r == nil && y != 2023 {
				continue
			}
			n := 2 + (int(y)+ri)%3
			for k := 0; k < n; k++ {
				p := products[(int(id)*3+k)%len(products)]
				var qty any = int32((id*7)%13 + 1)
				if id%11 == 0 {
					qty = nil
				}
				price := fmt.Sprintf("%d.%02d", 5+(id*17)%90, (id*29)%100)
				t.Rows = append(t.Rows, []any{id, p, qty, price, y, r})
				id++
			}
		}
	}
	return t
}

// big: a few thousand deterministic rows for joins and aggregates, in three
// files of several row groups. NULLs appear at different strides per column.
func bigTable() *Table {
	t := &Table{
		Name: "big",
		Columns: cols(col("id", "bigint"), col("k", "integer"), col("grp", "text"), col("x", "double precision"),
			col("amt", "numeric(12,2)"), col("d", "date"), col("flag", "boolean")),
		Files:        3,
		RowGroupRows: 500,
	}
	groups := []string{"alpha", "beta", "gamma", "delta", "epsilon"}
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for id := int64(1); id <= 3000; id++ {
		row := make([]any, 7)
		row[0] = id
		if id%97 != 0 {
			row[1] = int32((id * 7) % 20)
		}
		if id%101 != 0 {
			row[2] = groups[(id*3)%5]
		}
		if id%89 != 0 {
			// Multiples of 1/8 are exact in binary, so sums print the same
			// whatever order the engines add them in.
			row[3] = float64((id*37)%1000) / 8
		}
		if id%83 != 0 {
			cents := (id * 131) % 10000
			if id%7 == 0 {
				cents = -cents
			}
			sign := ""
			if cents < 0 {
				sign, cents = "-", -cents
			}
			row[4] = fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
		}
		row[5] = base.AddDate(0, 0, int((id*13)%1500)).Format("2006-01-02")
		if id%50 != 0 {
			row[6] = id%3 == 0
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// dim: the other side of joins with big.k: keys 0..14 (15..19 of big have
// no match), key 3 twice (a duplicate match) and key 25 matching nothing.
func dimTable() *Table {
	t := &Table{
		Name:    "dim",
		Columns: cols(col("k", "integer"), col("label", "text")),
		Files:   1,
	}
	for k := int32(0); k < 15; k++ {
		t.Rows = append(t.Rows, []any{k, fmt.Sprintf("k%d", k)})
	}
	t.Rows = append(t.Rows, []any{int32(3), "k3bis"}, []any{int32(25), "k25"}, []any{nil, "knull"})
	return t
}

// pairs: small integer pairs with NULLs for IN/NOT IN/EXISTS and 3VL.
func pairsTable() *Table {
	return &Table{
		Name:    "pairs",
		Columns: cols(col("a", "integer"), col("b", "integer")),
		Rows: [][]any{
			{int32(1), int32(1)},
			{int32(2), nil},
			{nil, int32(3)},
			{int32(4), int32(4)},
			{int32(5), int32(2)},
			{nil, nil},
		},
		Files: 1,
	}
}

// ---- Parquet ----

// WriteParquet writes every table under dir, one folder a table.
func WriteParquet(dir string, tables []*Table) error {
	for _, t := range tables {
		if err := t.writeParquet(dir); err != nil {
			return fmt.Errorf("fixture %s: %w", t.Name, err)
		}
	}
	return nil
}

func (t *Table) fileColumns() []int {
	var idx []int
	for i, c := range t.Columns {
		if !t.isPartition(c.Name) {
			idx = append(idx, i)
		}
	}
	return idx
}

func (t *Table) isPartition(name string) bool {
	for _, p := range t.PartitionBy {
		if p == name {
			return true
		}
	}
	return false
}

func (t *Table) writeParquet(dir string) error {
	root := filepath.Join(dir, t.Name)
	// Group rows by partition folder, keeping first-seen order.
	var order []string
	groups := map[string][][]any{}
	for _, r := range t.Rows {
		var parts []string
		for _, p := range t.PartitionBy {
			v := r[t.colIndex(p)]
			s := "__HIVE_DEFAULT_PARTITION__"
			if v != nil {
				s = fmt.Sprint(v)
			}
			parts = append(parts, p+"="+s)
		}
		key := filepath.Join(parts...)
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], r)
	}
	if len(t.Rows) == 0 {
		order, groups[""] = []string{""}, nil
	}
	for _, key := range order {
		folder := filepath.Join(root, key)
		if err := os.MkdirAll(folder, 0o755); err != nil {
			return err
		}
		rows := groups[key]
		files := max(t.Files, 1)
		per := (len(rows) + files - 1) / files
		for f := 0; f < files; f++ {
			lo, hi := min(f*per, len(rows)), min((f+1)*per, len(rows))
			if lo == hi && f > 0 {
				break
			}
			name := filepath.Join(folder, fmt.Sprintf("part-%d.parquet", f))
			if err := t.writeFile(name, rows[lo:hi]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *Table) colIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	panic("no column " + name)
}

// parquetArrowType is the Arrow type written to Parquet for c: the engine's
// type, but numeric keeps its declared precision so the file carries
// DECIMAL(p,s).
func parquetArrowType(c Column) arrow.DataType {
	if c.Type.Kind == types.Numeric {
		return &arrow.Decimal128Type{Precision: c.Precision, Scale: c.Type.Scale}
	}
	return c.Type.Arrow()
}

func (t *Table) writeFile(name string, rows [][]any) error {
	idx := t.fileColumns()
	fields := make([]arrow.Field, len(idx))
	for i, ci := range idx {
		fields[i] = arrow.Field{Name: t.Columns[ci].Name, Type: parquetArrowType(t.Columns[ci]), Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer f.Close()
	props := parquet.NewWriterProperties(parquet.WithStoreDecimalAsInteger(true), parquet.WithDictionaryDefault(true))
	fw, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return err
	}
	step := len(rows)
	if t.RowGroupRows > 0 {
		step = t.RowGroupRows
	}
	// Each Write call makes (at least) one row group; write an empty batch
	// for an empty table so the file still carries the schema.
	for lo := 0; lo < len(rows) || lo == 0; lo += max(step, 1) {
		hi := min(lo+step, len(rows))
		rec, err := buildRecord(schema, t.Columns, idx, rows[lo:hi])
		if err != nil {
			fw.Close()
			return err
		}
		err = fw.Write(rec)
		rec.Release()
		if err != nil {
			fw.Close()
			return err
		}
		if len(rows) == 0 {
			break
		}
	}
	return fw.Close()
}

func buildRecord(schema *arrow.Schema, columns []Column, idx []int, rows [][]any) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for fi, ci := range idx {
		c := columns[ci]
		fb := b.Field(fi)
		for _, r := range rows {
			v := r[ci]
			if v == nil {
				fb.AppendNull()
				continue
			}
			if err := appendValue(fb, c, v); err != nil {
				return nil, fmt.Errorf("column %s value %v: %w", c.Name, v, err)
			}
		}
	}
	return b.NewRecordBatch(), nil
}

func appendValue(fb array.Builder, c Column, v any) error {
	switch c.Type.Kind {
	case types.Int16:
		fb.(*array.Int16Builder).Append(v.(int16))
	case types.Int32:
		fb.(*array.Int32Builder).Append(v.(int32))
	case types.Int64:
		fb.(*array.Int64Builder).Append(v.(int64))
	case types.Float32:
		fb.(*array.Float32Builder).Append(v.(float32))
	case types.Float64:
		fb.(*array.Float64Builder).Append(v.(float64))
	case types.Numeric:
		n, err := decimal128.FromString(v.(string), c.Precision, c.Type.Scale)
		if err != nil {
			return err
		}
		fb.(*array.Decimal128Builder).Append(n)
	case types.Text:
		fb.(*array.StringBuilder).Append(v.(string))
	case types.Bytea:
		fb.(*array.BinaryBuilder).Append(v.([]byte))
	case types.Bool:
		fb.(*array.BooleanBuilder).Append(v.(bool))
	case types.Date:
		d, err := time.Parse("2006-01-02", v.(string))
		if err != nil {
			return err
		}
		fb.(*array.Date32Builder).Append(arrow.Date32(d.Unix() / 86400))
	case types.Time:
		d, err := time.Parse("15:04:05", v.(string))
		if err != nil {
			return err
		}
		micros := int64(d.Hour())*3600e6 + int64(d.Minute())*60e6 + int64(d.Second())*1e6 + int64(d.Nanosecond())/1e3
		fb.(*array.Time64Builder).Append(arrow.Time64(micros))
	case types.Timestamp:
		d, err := time.Parse("2006-01-02 15:04:05", v.(string))
		if err != nil {
			return err
		}
		fb.(*array.TimestampBuilder).Append(arrow.Timestamp(d.UnixMicro()))
	case types.TimestampTZ:
		d, err := time.Parse("2006-01-02 15:04:05-07", v.(string))
		if err != nil {
			return err
		}
		fb.(*array.TimestampBuilder).Append(arrow.Timestamp(d.UnixMicro()))
	default:
		return fmt.Errorf("unsupported fixture type %s", c.SQLType)
	}
	return nil
}

// ---- PostgreSQL ----

// PostgresSQL returns the CREATE TABLE and INSERT statements that load the
// tables into PostgreSQL (in the current search_path).
func PostgresSQL(tables []*Table) string {
	var sb strings.Builder
	for _, t := range tables {
		fmt.Fprintf(&sb, "CREATE TABLE %s (", t.Name)
		for i, c := range t.Columns {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "%s %s", c.Name, c.SQLType)
		}
		sb.WriteString(");\n")
		for lo := 0; lo < len(t.Rows); lo += 500 {
			hi := min(lo+500, len(t.Rows))
			fmt.Fprintf(&sb, "INSERT INTO %s VALUES\n", t.Name)
			for ri, r := range t.Rows[lo:hi] {
				if ri > 0 {
					sb.WriteString(",\n")
				}
				sb.WriteString("(")
				for i, v := range r {
					if i > 0 {
						sb.WriteString(", ")
					}
					sb.WriteString(pgLiteral(v))
				}
				sb.WriteString(")")
			}
			sb.WriteString(";\n")
		}
	}
	return sb.String()
}

func pgLiteral(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int16, int32, int64:
		return fmt.Sprint(x)
	case float32:
		return "'" + strconv.FormatFloat(float64(x), 'g', -1, 32) + "'"
	case float64:
		// Quoted so that PostgreSQL parses the shortest round-trip text
		// straight into the column type, as Parquet holds the same bits.
		return "'" + strconv.FormatFloat(x, 'g', -1, 64) + "'"
	case bool:
		return strconv.FormatBool(x)
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case []byte:
		return `'\x` + hex.EncodeToString(x) + "'"
	}
	panic(fmt.Sprintf("unsupported fixture value %T", v))
}
