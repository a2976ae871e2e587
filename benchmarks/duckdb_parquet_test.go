package benchmarks

// These tests prove that Basalt reads Parquet files DuckDB writes: every
// column type Basalt maps, NULLs everywhere, several row groups and files a
// table, dictionary and plain pages, hive partition folders and all three
// common codecs. DuckDB writes the files and is also the reference reader:
// Basalt's answer must equal what DuckDB reads back from the same files.
// DuckDB's Go values are spelled in PostgreSQL's text output format here, by
// code independent of Basalt's own formatter, so a formatting slip on either
// side shows up as a difference rather than cancelling out.

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/types"
)

// duckParquetCol is one column of the all-types table: the DuckDB expression
// that computes it from the row number i (a BIGINT), values at the edges of
// its range that replace it on some rows, and the PostgreSQL type Basalt must
// give it.
type duckParquetCol struct {
	name   string
	expr   string
	edges  []string // DuckDB literals; row i takes edges[k] when i % 1000 == k+1
	want   types.T
	sortOK bool // min/max are defined (PostgreSQL has none for boolean and bytea)
}

// duckParquetCols covers each DuckDB type whose Parquet form Basalt maps.
var duckParquetCols = []duckParquetCol{
	{name: "c_tinyint", expr: "((i * 7) % 256 - 128)::TINYINT", edges: []string{"(-128)::TINYINT", "127::TINYINT"}, want: types.Int16T, sortOK: true},
	{name: "c_smallint", expr: "((i * 37) % 65536 - 32768)::SMALLINT", edges: []string{"(-32768)::SMALLINT", "32767::SMALLINT"}, want: types.Int16T, sortOK: true},
	{name: "c_integer", expr: "((i * 2654435761) % 4294967296 - 2147483648)::INTEGER", edges: []string{"(-2147483648)::INTEGER", "2147483647::INTEGER"}, want: types.Int32T, sortOK: true},
	{name: "c_bigint", expr: "(i * 1234567890123 - 3000000000000000)::BIGINT", edges: []string{"(-9223372036854775808)::BIGINT", "9223372036854775807::BIGINT"}, want: types.Int64T, sortOK: true},
	{name: "c_utinyint", expr: "(i % 256)::UTINYINT", edges: []string{"255::UTINYINT", "0::UTINYINT"}, want: types.Int16T, sortOK: true},
	{name: "c_usmallint", expr: "((i * 31) % 65536)::USMALLINT", edges: []string{"65535::USMALLINT", "32768::USMALLINT"}, want: types.Int32T, sortOK: true},
	{name: "c_uinteger", expr: "((i * 2654435761) % 4294967296)::UINTEGER", edges: []string{"4294967295::UINTEGER", "2147483648::UINTEGER"}, want: types.Int64T, sortOK: true},
	// Values on both sides of 2^63 catch unsigned values read or compared
	// as signed.
	{name: "c_ubigint", expr: "CASE WHEN i % 2 = 0 THEN (i * 1000000007)::UBIGINT ELSE 9223372036854775808::UBIGINT + (i * 1000000007)::UBIGINT END", edges: []string{"18446744073709551615::UBIGINT", "9223372036854775807::UBIGINT"}, want: types.NumericT(20, 0), sortOK: true},
	{name: "c_real", expr: "(i * 0.25 - 300 + 1.0 / (i + 3))::REAL", edges: []string{"'NaN'::REAL", "'Infinity'::REAL", "'-Infinity'::REAL", "'-0.0'::REAL", "3.4028235e38::REAL", "1e-45::REAL"}, want: types.Float32T, sortOK: true},
	{name: "c_double", expr: "(i / 7.0 - 500)::DOUBLE", edges: []string{"'NaN'::DOUBLE", "'-Infinity'::DOUBLE", "1e300::DOUBLE", "'-4.9e-324'::DOUBLE", "1234567.0::DOUBLE"}, want: types.Float64T, sortOK: true},
	{name: "c_dec4_2", expr: decimalExpr(4, 2), edges: []string{"99.99::DECIMAL(4,2)", "-99.99::DECIMAL(4,2)", "0.01::DECIMAL(4,2)"}, want: types.NumericT(4, 2), sortOK: true},
	{name: "c_dec9_3", expr: decimalExpr(9, 3), edges: []string{"999999.999::DECIMAL(9,3)", "-999999.999::DECIMAL(9,3)"}, want: types.NumericT(9, 3), sortOK: true},
	{name: "c_dec18_4", expr: decimalExpr(18, 4), edges: []string{"99999999999999.9999::DECIMAL(18,4)", "-99999999999999.9999::DECIMAL(18,4)"}, want: types.NumericT(18, 4), sortOK: true},
	{name: "c_dec38_10", expr: decimalExpr(38, 10), edges: []string{"9999999999999999999999999999.9999999999::DECIMAL(38,10)", "-9999999999999999999999999999.9999999999::DECIMAL(38,10)", "-0.0000000001::DECIMAL(38,10)"}, want: types.NumericT(38, 10), sortOK: true},
	// Few distinct values: DuckDB writes dictionary pages.
	{name: "c_vdict", expr: "['alpha', 'beta', 'gamma', 'δέλτα', '', 'it''s \"quoted\"'][i % 6 + 1]", want: types.TextT, sortOK: true},
	// All distinct: DuckDB falls back to plain pages.
	{name: "c_vunique", expr: "'row-' || i::VARCHAR || '-' || repeat('x', (i % 50)::INTEGER) || '-ü'", want: types.TextT, sortOK: true},
	{name: "c_bool", expr: "i % 3 = 0", want: types.BoolT},
	{name: "c_date", expr: "DATE '1970-01-01' + ((i * 37) - 50000)::INTEGER", edges: []string{"DATE '0001-01-01'", "DATE '9999-12-31'", "DATE '1969-12-31'"}, want: types.DateT, sortOK: true},
	{name: "c_time", expr: "TIME '00:00:00' + to_microseconds((i * 7919123457) % 86400000000)", edges: []string{"TIME '23:59:59.999999'", "TIME '00:00:00'", "TIME '12:00:00.5'"}, want: types.TimeT, sortOK: true},
	{name: "c_timestamp", expr: "make_timestamp(i * 98765432101 - 200000000000000)", edges: []string{"TIMESTAMP '0001-01-01 00:00:00'", "TIMESTAMP '9999-12-31 23:59:59.999999'", "TIMESTAMP '1969-12-31 23:59:59.999999'"}, want: types.TimestampT, sortOK: true},
	{name: "c_timestamptz", expr: "make_timestamp(i * 87654321012 - 100000000000000)::TIMESTAMPTZ", edges: []string{"TIMESTAMPTZ '1900-01-01 00:00:00+00'", "TIMESTAMPTZ '2262-04-11 23:47:16.854775+00'"}, want: types.TimestampTZT, sortOK: true},
	{name: "c_timestamp_ms", expr: "make_timestamp(i * 98765432101 - 300000000000000)::TIMESTAMP_MS", edges: []string{"TIMESTAMP_MS '1969-12-31 23:59:59.999'", "TIMESTAMP_MS '2100-01-01 00:00:00.001'"}, want: types.TimestampT, sortOK: true},
	// Sub-microsecond digits, before and after 1970: Basalt must floor
	// nanoseconds to microseconds, as DuckDB's Go value does when printed.
	{name: "c_timestamp_ns", expr: "make_timestamp_ns(i * 98765432101357 - 300000000000000000)", edges: []string{"make_timestamp_ns(-1)", "make_timestamp_ns(999)", "make_timestamp_ns(-1001)"}, want: types.TimestampT, sortOK: true},
	{name: "c_timestamp_s", expr: "make_timestamp(i * 98765432101 - 400000000000000)::TIMESTAMP_S", edges: []string{"TIMESTAMP_S '1901-12-13 20:45:52'", "TIMESTAMP_S '2038-01-19 03:14:07'"}, want: types.TimestampT, sortOK: true},
	{name: "c_blob", expr: "'\\x00\\xFF\\x80'::BLOB || (i::VARCHAR)::BLOB", edges: []string{"''::BLOB", "'\\x5C\\x27'::BLOB"}, want: types.ByteaT},
	// Parquet stores intervals with millisecond precision (the legacy
	// INTERVAL FIXED[12] layout), so DuckDB reads back what it wrote, in
	// milliseconds. Non-negative only: mixed signs print differently in
	// PostgreSQL's style and this test's formatter does not model that.
	{name: "c_interval", expr: "to_months((i % 30)::INTEGER) + to_days((i % 40)::INTEGER) + to_milliseconds(i * 1234567)", edges: []string{"INTERVAL '0 seconds'", "INTERVAL '1 year 1 day'", "INTERVAL '25 hours 0.001 seconds'"}, want: types.IntervalT},
}

// decimalExpr is a DuckDB expression for DECIMAL(p,s) values that use all p
// digits, positive and negative. It builds them as text so that no step
// rounds through a double.
func decimalExpr(p, s int) string {
	return fmt.Sprintf("CAST(CASE WHEN i %% 2 = 0 THEN '-' ELSE '' END || ((i::HUGEINT * 1234567890123456789 * 1000000007) %% 1%s)::VARCHAR || '.' || lpad(((i * 987654321) %% 1%s)::VARCHAR, %d, '0') AS DECIMAL(%d,%d))",
		strings.Repeat("0", p-s), strings.Repeat("0", s), s, p, s)
}

// duckParquetSelect returns the SELECT that computes the all-types table for
// row numbers lo <= i < hi. Every column is NULL on some rows, in a pattern
// of its own.
func duckParquetSelect(lo, hi int) string {
	var b strings.Builder
	b.WriteString("SELECT i AS id")
	for k, c := range duckParquetCols {
		val := c.expr
		if len(c.edges) > 0 {
			var e strings.Builder
			e.WriteString("CASE i % 1000")
			for j, lit := range c.edges {
				fmt.Fprintf(&e, " WHEN %d THEN %s", j+1, lit)
			}
			fmt.Fprintf(&e, " ELSE %s END", c.expr)
			val = e.String()
		}
		fmt.Fprintf(&b, ",\n  CASE WHEN (i + %d) %% %d = 0 THEN NULL ELSE %s END AS %s", k, 7+k%5, val, c.name)
	}
	fmt.Fprintf(&b, "\nFROM range(%d, %d) AS r(i) ORDER BY i", lo, hi)
	return b.String()
}

// openDuckWriter opens an in-memory DuckDB to write and read back files.
func openDuckWriter(t *testing.T) *sql.DB {
	t.Helper()
	conn, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1) // settings are per connection
	// One thread makes DuckDB cut row groups at ROW_GROUP_SIZE (rounded up
	// to its 2048-row vectors) instead of merging threads' buffers.
	if _, err := db.Exec("SET threads = 1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// TIMESTAMPTZ casts and printing then work in UTC, Basalt's zone.
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		t.Logf("DuckDB has no TimeZone setting (no ICU): %v; its TIMESTAMPTZ is UTC anyway", err)
	}
	return db
}

func duckExec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("DuckDB: %v\n%s", err, query)
	}
}

// duckScalar runs a query of one row and one column and returns it as text.
func duckScalar(t *testing.T, db *sql.DB, query string) string {
	t.Helper()
	var v any
	if err := db.QueryRow(query).Scan(&v); err != nil {
		t.Fatalf("DuckDB: %v\n%s", err, query)
	}
	return fmt.Sprint(v)
}

// scanRowsRE finds the rows the scan operators emitted in EXPLAIN ANALYZE
// output, e.g. "[Scan alltypes x2: rows=2048 time=0.074ms]".
var scanRowsRE = regexp.MustCompile(`\[Scan \S+ x\d+: rows=(\d+)`)

// duckAllRows is the number of rows of the all-types table.
const duckAllRows = 18000

// writeDuckParquetData writes the test tables under dir:
//
//	alltypes/part-0.parquet  rows [0, 7000), zstd
//	alltypes/part-1.parquet  rows [7000, 13000), snappy
//	alltypes/part-2.parquet  rows [13000, 18000), uncompressed
//	parted/pk_int=N/pk_str=S/*.parquet (two COPYs of hive folders)
//
// Each file has several row groups; the test checks that, and that the
// dictionary and plain encodings it means to cover are really there.
func writeDuckParquetData(t *testing.T, db *sql.DB, dir string) {
	t.Helper()
	all := filepath.Join(dir, "alltypes")
	if err := os.MkdirAll(all, 0o755); err != nil {
		t.Fatal(err)
	}
	files := []struct {
		lo, hi int
		codec  string
	}{{0, 7000, "zstd"}, {7000, 13000, "snappy"}, {13000, duckAllRows, "uncompressed"}}
	for n, f := range files {
		path := filepath.Join(all, fmt.Sprintf("part-%d.parquet", n))
		duckExec(t, db, fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet, ROW_GROUP_SIZE 1000, COMPRESSION %s)",
			duckParquetSelect(f.lo, f.hi), quoteString(path), f.codec))
		groups := duckScalar(t, db, fmt.Sprintf("SELECT count(DISTINCT row_group_id) FROM parquet_metadata(%s)", quoteString(path)))
		t.Logf("%s: %s row groups, %s", path, groups, duckScalar(t, db, fmt.Sprintf("SELECT string_agg(DISTINCT row_group_num_rows::VARCHAR, ',') FROM parquet_metadata(%s)", quoteString(path))))
		if g, _ := strconv.Atoi(groups); g < 2 {
			t.Fatalf("%s has %s row groups; the test wants several", path, groups)
		}
		codec := duckScalar(t, db, fmt.Sprintf("SELECT string_agg(DISTINCT compression, ',') FROM parquet_metadata(%s)", quoteString(path)))
		if !strings.EqualFold(codec, f.codec) {
			t.Fatalf("%s is compressed with %s, want %s", path, codec, f.codec)
		}
	}
	p0 := quoteString(filepath.Join(all, "part-0.parquet"))
	for col, want := range map[string]bool{"c_vdict": true, "c_vunique": false} {
		enc := duckScalar(t, db, fmt.Sprintf("SELECT string_agg(DISTINCT encodings, ',') FROM parquet_metadata(%s) WHERE path_in_schema = '%s'", p0, col))
		if strings.Contains(enc, "DICTIONARY") != want {
			t.Fatalf("column %s has encodings %q; dictionary pages wanted: %v", col, enc, want)
		}
	}

	// The same rows in one file directly in the data folder (a table of
	// its own), written in Parquet format version 2: data page v2 and the
	// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and BYTE_STREAM_SPLIT
	// encodings DuckDB uses there.
	v2 := filepath.Join(dir, "alltypes_v2.parquet")
	duckExec(t, db, fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet, PARQUET_VERSION V2, ROW_GROUP_SIZE 4000, COMPRESSION zstd)",
		duckParquetSelect(0, duckAllRows), quoteString(v2)))
	t.Logf("%s encodings: %s", v2, duckScalar(t, db, fmt.Sprintf("SELECT string_agg(DISTINCT encodings, ',') FROM parquet_metadata(%s)", quoteString(v2))))

	// Hive partitions by an integer and a string key, including a NULL
	// of each and a string value that needs escaping in a folder name.
	parted := filepath.Join(dir, "parted")
	for n, rng := range [][2]int{{0, 3000}, {3000, 5000}} {
		duckExec(t, db, fmt.Sprintf(`COPY (
  SELECT i AS id,
    CASE WHEN i %% 5 = 4 THEN NULL ELSE i %% 5 END AS pk_int,
    [NULL, 'north', 'south', 'east west', 'a/b=c%%'][(i // 3) %% 5 + 1] AS pk_str,
    CASE WHEN i %% 9 = 0 THEN NULL ELSE i * 3 END AS val,
    CASE WHEN i %% 11 = 0 THEN NULL ELSE 'v' || (i %% 17)::VARCHAR END AS label
  FROM range(%d, %d) AS r(i) ORDER BY i
) TO %s (FORMAT parquet, PARTITION_BY (pk_int, pk_str), ROW_GROUP_SIZE 1000, COMPRESSION zstd, FILENAME_PATTERN 'copy%d_{i}', OVERWRITE_OR_IGNORE)`,
			rng[0], rng[1], quoteString(parted), n))
	}
}

// pgTextOfDuck spells a value DuckDB scanned into Go as PostgreSQL prints a
// value of type want. Floats are compared by value, not here.
func pgTextOfDuck(v any, want types.T) (string, error) {
	switch want.Kind {
	case types.Bool:
		if b, ok := v.(bool); ok {
			if b {
				return "t", nil
			}
			return "f", nil
		}
	case types.Int16, types.Int32, types.Int64:
		switch v.(type) {
		case int8, int16, int32, int64, uint8, uint16, uint32, uint64:
			return fmt.Sprint(v), nil
		}
	case types.Numeric:
		switch x := v.(type) {
		case duckdb.Decimal:
			return formatDecimal(x.Value, int(x.Scale)), nil
		case uint64:
			return strconv.FormatUint(x, 10), nil
		case *big.Int:
			return x.String(), nil
		}
	case types.Text:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case types.Bytea:
		if b, ok := v.([]byte); ok {
			return `\x` + hex.EncodeToString(b), nil
		}
	case types.Date, types.Time, types.Timestamp, types.TimestampTZ:
		tm, ok := v.(time.Time)
		if !ok {
			break
		}
		tm = tm.UTC()
		switch want.Kind {
		case types.Date:
			return tm.Format("2006-01-02"), nil
		case types.Time:
			return tm.Format("15:04:05.999999"), nil
		case types.Timestamp:
			// Go's layout truncates the fraction, which floors: the
			// nanosecond field is never negative.
			return tm.Format("2006-01-02 15:04:05.999999"), nil
		default:
			return tm.Format("2006-01-02 15:04:05.999999") + "+00", nil
		}
	case types.Interval:
		if iv, ok := v.(duckdb.Interval); ok {
			return pgInterval(iv)
		}
	}
	return "", fmt.Errorf("no PostgreSQL spelling of %T %v as %s", v, v, want)
}

// pgInterval spells a non-negative interval in IntervalStyle postgres:
// "1 year 2 mons 3 days 04:05:06.789", "00:00:00" when zero.
func pgInterval(iv duckdb.Interval) (string, error) {
	if iv.Months < 0 || iv.Days < 0 || iv.Micros < 0 {
		return "", fmt.Errorf("negative interval %+v", iv)
	}
	var parts []string
	unit := func(n int64, one, many string) {
		if n == 0 {
			return
		}
		if n == 1 {
			parts = append(parts, "1 "+one)
			return
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, many))
	}
	unit(int64(iv.Months/12), "year", "years")
	unit(int64(iv.Months%12), "mon", "mons")
	unit(int64(iv.Days), "day", "days")
	if iv.Micros != 0 || len(parts) == 0 {
		us := iv.Micros
		s := fmt.Sprintf("%02d:%02d:%02d", us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
		if frac := us % 1_000_000; frac != 0 {
			s += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " "), nil
}

// sameFloat says whether Basalt's text got and DuckDB's value want are the
// same floating-point number of the given width (NaN equals NaN; PostgreSQL
// spells infinities "Infinity", which ParseFloat reads).
func sameFloat(got string, want any, bits int) bool {
	g, err := strconv.ParseFloat(got, bits)
	if err != nil {
		return false
	}
	var w float64
	switch x := want.(type) {
	case float32:
		w = float64(x)
	case float64:
		w = x
	default:
		return false
	}
	if math.IsNaN(w) || math.IsNaN(g) {
		return math.IsNaN(w) && math.IsNaN(g)
	}
	// Signed zero: PostgreSQL prints -0, and the sign must survive.
	return g == w && math.Signbit(g) == math.Signbit(w)
}

// duckRows runs query on DuckDB and returns the raw Go values.
func duckRows(t *testing.T, db *sql.DB, query string) [][]any {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("DuckDB: %v\n%s", err, query)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	for rows.Next() {
		cells := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("DuckDB: %v\n%s", err, query)
		}
		out = append(out, cells)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("DuckDB: %v\n%s", err, query)
	}
	return out
}

// basaltQuery runs query on Basalt and returns the column types and the
// rows as PostgreSQL text.
func basaltQuery(t *testing.T, eng *engine.Engine, query string) ([]engine.Column, *Result) {
	t.Helper()
	ctx := context.Background()
	res, err := eng.Query(ctx, query)
	if err != nil {
		t.Fatalf("Basalt: %v\n%s", err, query)
	}
	cols := res.Columns
	res.Close()
	out, err := (&Basalt{eng: eng}).Query(ctx, query)
	if err != nil {
		t.Fatalf("Basalt: %v\n%s", err, query)
	}
	return cols, out
}

// matchRows compares Basalt's text rows with DuckDB's Go values column by
// column, as values of the types ts, and reports at most a few differences.
func matchRows(t *testing.T, what string, ts []types.T, got *Result, want [][]any) {
	t.Helper()
	if len(got.Rows) != len(want) {
		t.Errorf("%s: Basalt has %d rows, DuckDB %d", what, len(got.Rows), len(want))
		return
	}
	bad := 0
	for r := range want {
		for c, typ := range ts {
			g, w := got.Rows[r][c], want[r][c]
			ok := false
			var ws string
			switch {
			case w == nil || g.Null:
				ok = w == nil && g.Null
				ws = fmt.Sprint(w)
			case typ.Kind == types.Float32 || typ.Kind == types.Float64:
				bits := 64
				if typ.Kind == types.Float32 {
					bits = 32
				}
				ok = sameFloat(g.S, w, bits)
				ws = fmt.Sprint(w)
			default:
				s, err := pgTextOfDuck(w, typ)
				if err != nil {
					t.Fatalf("%s: row %d column %s: %v", what, r, got.Columns[c], err)
				}
				ok, ws = g.S == s, s
			}
			if !ok {
				bad++
				if bad <= 10 {
					t.Errorf("%s: row %d (%s) column %s: Basalt %q, DuckDB %q", what, r, got.Rows[r][0], got.Columns[c], g, ws)
				}
			}
		}
	}
	if bad > 10 {
		t.Errorf("%s: %d differences in all", what, bad)
	}
}

// TestDuckDBParquet writes tables with DuckDB and checks that Basalt reads
// every column with the right PostgreSQL type and the values DuckDB reads
// from the same files, that aggregates and pruned filters agree, and that
// hive partition folders become typed columns.
func TestDuckDBParquet(t *testing.T) {
	dir := t.TempDir()
	duck := openDuckWriter(t)
	writeDuckParquetData(t, duck, dir)
	allGlob := quoteString(filepath.Join(dir, "alltypes", "*.parquet"))
	partGlob := quoteString(filepath.Join(dir, "parted", "**", "*.parquet"))

	eng, err := engine.Open(context.Background(), engine.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()

	allNames := []string{"id"}
	allTypes := []types.T{types.Int64T}
	for _, c := range duckParquetCols {
		allNames = append(allNames, c.name)
		allTypes = append(allTypes, c.want)
	}

	for _, tbl := range []struct {
		name, source string
		skip         map[string]bool
	}{
		{"alltypes", allGlob, nil},
		{"alltypes_v2", quoteString(filepath.Join(dir, "alltypes_v2.parquet")), nil},
	} {
		t.Run("AllTypes/"+tbl.name, func(t *testing.T) {
			var names []string
			var ts []types.T
			for i, n := range allNames {
				if !tbl.skip[n] {
					names, ts = append(names, n), append(ts, allTypes[i])
				}
			}
			list := strings.Join(names, ", ")
			cols, got := basaltQuery(t, eng, "SELECT "+list+" FROM "+tbl.name+" ORDER BY id")
			for i, c := range cols {
				if i < len(ts) && !c.Type.Equal(ts[i]) {
					t.Errorf("column %s: Basalt type %s, want %s", c.Name, c.Type, ts[i])
				}
			}
			if len(cols) != len(ts) {
				t.Fatalf("Basalt returned %d columns, want %d", len(cols), len(ts))
			}
			want := duckRows(t, duck, fmt.Sprintf("SELECT %s FROM read_parquet(%s) ORDER BY id", list, tbl.source))
			if len(want) != duckAllRows {
				t.Fatalf("DuckDB reads %d rows back, want %d", len(want), duckAllRows)
			}
			matchRows(t, tbl.name, ts, got, want)
		})
	}

	t.Run("V2DeltaInt32", func(t *testing.T) {
		// In format version 2 DuckDB writes INT32 columns with
		// DELTA_BINARY_PACKED and works in 64 bits: for UINTEGER (INT32
		// with a UINT_32 annotation) the page's first value is the
		// unsigned number, above the int32 range, and for INTEGER with
		// values spread over the whole range the deltas do not fit in
		// 32 bits. parquet-go v0.32.0's INT32 delta decoder
		// (encoding/delta decodeInt32) rejects the first ("first value
		// out of range") and decodes the second to wrong values without
		// an error. DuckDB reads both back.
		vdir := t.TempDir()
		file := quoteString(filepath.Join(vdir, "delta32.parquet"))
		duckExec(t, duck, fmt.Sprintf(`COPY (SELECT i AS id,
  (4294967295 - i * 1000)::UINTEGER AS u,
  CASE WHEN i %% 2 = 0 THEN -2147483648 + i ELSE 2147483647 - i END::INTEGER AS s
FROM range(0, 3000) AS r(i)) TO %s (FORMAT parquet, PARQUET_VERSION V2)`, file))
		veng, err := engine.Open(context.Background(), engine.Config{DataDir: vdir})
		if err != nil {
			t.Fatal(err)
		}
		defer veng.Close()
		ctx := context.Background()
		for _, c := range []struct {
			col string
			typ types.T
		}{{"u", types.Int64T}, {"s", types.Int32T}} {
			res, err := (&Basalt{eng: veng}).Query(ctx, "SELECT id, "+c.col+" FROM delta32 ORDER BY id")
			if err != nil {
				t.Errorf("Basalt cannot read DuckDB's DELTA_BINARY_PACKED column %s: %v", c.col, err)
				continue
			}
			want := duckRows(t, duck, fmt.Sprintf("SELECT id, %s FROM read_parquet(%s) ORDER BY id", c.col, file))
			matchRows(t, "delta32."+c.col, []types.T{types.Int64T, c.typ}, res, want)
		}
	})

	t.Run("Aggregates", func(t *testing.T) {
		// count(*) and count(col) for every column; min and max where
		// PostgreSQL defines them. Basalt may answer some of these from
		// Parquet statistics, a different path from decoding pages.
		sel := []string{"count(*)"}
		aggTypes := []types.T{types.Int64T}
		for _, c := range duckParquetCols {
			sel = append(sel, "count("+c.name+")")
			aggTypes = append(aggTypes, types.Int64T)
			if c.sortOK {
				sel = append(sel, "min("+c.name+")", "max("+c.name+")")
				aggTypes = append(aggTypes, c.want, c.want)
			}
		}
		q := strings.Join(sel, ", ")
		_, got := basaltQuery(t, eng, "SELECT "+q+" FROM alltypes")
		want := duckRows(t, duck, fmt.Sprintf("SELECT %s FROM read_parquet(%s)", q, allGlob))
		matchRows(t, "aggregates", aggTypes, got, want)
	})

	t.Run("Sums", func(t *testing.T) {
		// Sums of integers and decimals print the same in both engines
		// (PostgreSQL's sum(bigint) is numeric, DuckDB's a 128-bit
		// integer; both print digits only).
		q := "sum(id), sum(c_tinyint), sum(c_smallint), sum(c_integer), sum(c_utinyint), sum(c_usmallint), sum(c_uinteger), sum(c_dec4_2), sum(c_dec9_3)"
		_, got := basaltQuery(t, eng, "SELECT "+q+" FROM alltypes")
		want := duckRows(t, duck, fmt.Sprintf("SELECT %s FROM read_parquet(%s)", q, allGlob))
		sumTypes := make([]types.T, 9)
		for i := range sumTypes {
			sumTypes[i] = types.NumericT(0, 0)
		}
		matchRows(t, "sums", sumTypes, got, want)
	})

	t.Run("PrunedFilters", func(t *testing.T) {
		// Files are sorted by id with row groups of about 1000 rows, so
		// range filters on id (and on columns that grow with it) skip
		// row groups and whole files by their statistics. The answers
		// must not change.
		filters := []string{
			"id BETWEEN 1000 AND 2000",
			"id >= 8990",
			"id < 5",
			"id = 4000",
			"id > 9000",
			"c_bigint > 0 AND c_bigint < 5000000000000000",
			"c_ubigint > 9223372036854775807",
			"c_ubigint <= 1000000007",
			"c_uinteger >= 4294967295",
			"c_utinyint > 200",
			"c_date < DATE '1970-01-01'",
			"c_timestamp >= TIMESTAMP '1990-01-01' AND c_timestamp < TIMESTAMP '1995-01-01'",
			"c_timestamp_ns < TIMESTAMP '1970-01-01'",
			"c_timestamp_ms > TIMESTAMP '2000-01-01 00:00:00.001'",
			"c_timestamptz > TIMESTAMPTZ '1985-06-01 00:00:00+00'",
			"c_dec18_4 > 0",
			"c_dec38_10 < -1000000000000000",
			"c_dec4_2 BETWEEN -1.5 AND 1.5",
			"c_vdict = 'beta'",
			"c_vunique > 'row-8'",
			"c_real > 1000",
			"c_double < -499",
			"c_time < TIME '01:00:00'",
			"c_bool",
			"c_integer IS NULL",
		}
		for _, f := range filters {
			q := "SELECT count(*), sum(id), min(id), max(id) FROM alltypes WHERE " + f
			_, got := basaltQuery(t, eng, q)
			want := duckRows(t, duck, fmt.Sprintf("SELECT count(*), sum(id), min(id), max(id) FROM read_parquet(%s) WHERE %s", allGlob, f))
			matchRows(t, f, []types.T{types.Int64T, types.NumericT(0, 0), types.Int64T, types.Int64T}, got, want)
			t.Logf("%s: %s rows", f, got.Rows[0][0])
		}

		// The id range lies in one or two of the table's ten row groups:
		// the scan must skip the rest by their statistics, not read all
		// rows and filter them.
		_, plan := basaltQuery(t, eng, "EXPLAIN ANALYZE SELECT count(*) FROM alltypes WHERE id BETWEEN 1000 AND 2000")
		var text []string
		for _, r := range plan.Rows {
			text = append(text, r[0].S)
		}
		m := scanRowsRE.FindStringSubmatch(strings.Join(text, "\n"))
		if m == nil {
			t.Fatalf("no scan row count in EXPLAIN ANALYZE output:\n%s", strings.Join(text, "\n"))
		}
		if n, _ := strconv.Atoi(m[1]); n >= duckAllRows/2 {
			t.Errorf("the scan read %d of %d rows for 1001 matches; row groups were not pruned:\n%s", n, duckAllRows, strings.Join(text, "\n"))
		}
	})

	t.Run("Partitions", func(t *testing.T) {
		pnames := []string{"id", "pk_int", "pk_str", "val", "label"}
		pts := []types.T{types.Int64T, types.Int64T, types.TextT, types.Int64T, types.TextT}
		list := strings.Join(pnames, ", ")
		cols, got := basaltQuery(t, eng, "SELECT "+list+" FROM parted ORDER BY id")
		for i, c := range cols {
			if !c.Type.Equal(pts[i]) {
				t.Errorf("column %s: Basalt type %s, want %s", c.Name, c.Type, pts[i])
			}
		}
		want := duckRows(t, duck, fmt.Sprintf("SELECT %s FROM read_parquet(%s, hive_partitioning = true) ORDER BY id", list, partGlob))
		if len(want) != 5000 {
			t.Fatalf("DuckDB reads %d rows back, want 5000", len(want))
		}
		matchRows(t, "parted", pts, got, want)
		for _, f := range []string{"pk_int = 2", "pk_int IS NULL", "pk_str = 'east west'", "pk_str = 'a/b=c%'", "pk_str IS NULL", "pk_int >= 1 AND pk_str <> 'south'", "val > 9000"} {
			q := "SELECT count(*), sum(id), count(val) FROM parted WHERE " + f
			_, got := basaltQuery(t, eng, q)
			want := duckRows(t, duck, fmt.Sprintf("SELECT count(*), sum(id), count(val) FROM read_parquet(%s, hive_partitioning = true) WHERE %s", partGlob, f))
			matchRows(t, f, []types.T{types.Int64T, types.NumericT(0, 0), types.Int64T}, got, want)
		}
	})
}
