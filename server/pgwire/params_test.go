package pgwire_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgconn"
)

// ptColumns is table pt: one column of each type parameters are inferred
// from, as PostgreSQL DDL (for the comparison with a real PostgreSQL).
const ptDDL = `create temp table pt (i int4, b int8, s int2, n numeric(15,2), f float8, r real,
	x text, d date, ts timestamp, tz timestamptz, bt bytea, bo bool)`

// ptRows is pt's contents: row k has i = k, b = 10k, s = k, n = k + 0.25,
// f = k / 2, r = k / 4, x = "x<k>", d = 2024-01-0<k+1>, ts = d at k:00,
// tz the same instant, bt = {k, k}, bo = k is even; row 3 is all NULL.
const ptRows = 5

func ptSQLRows() string {
	return `insert into pt select k, 10*k, k, k + 0.25, k / 2.0, k / 4.0, 'x' || k,
	date '2024-01-01' + k, timestamp '2024-01-01' + k * interval '1 day 1 hour',
	timestamptz '2024-01-01 00:00:00+00' + k * interval '1 day 1 hour',
	decode(lpad(to_hex(k), 2, '0') || lpad(to_hex(k), 2, '0'), 'hex'), k % 2 = 0
	from generate_series(0, 4) k where k <> 3; insert into pt (i) values (null)`
}

// writeParamFixture writes pt as Parquet.
func writeParamFixture(t *testing.T, dir string) {
	t.Helper()
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "b", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "n", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "r", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "x", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "tz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "bt", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "bo", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	bld := array.NewRecordBuilder(mem, schema)
	defer bld.Release()
	for k := 0; k < ptRows; k++ {
		if k == 3 {
			for i := range schema.NumFields() {
				bld.Field(i).AppendNull()
			}
			continue
		}
		micros := (int64(19723+k)*86400 + int64(k)*3600) * 1_000_000 // 2024-01-01 + k days, k hours
		bld.Field(0).(*array.Int32Builder).Append(int32(k))
		bld.Field(1).(*array.Int64Builder).Append(int64(10 * k))
		bld.Field(2).(*array.Int16Builder).Append(int16(k))
		bld.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(k)*100 + 25))
		bld.Field(4).(*array.Float64Builder).Append(float64(k) / 2)
		bld.Field(5).(*array.Float32Builder).Append(float32(k) / 4)
		bld.Field(6).(*array.StringBuilder).Append(fmt.Sprintf("x%d", k))
		bld.Field(7).(*array.Date32Builder).Append(arrow.Date32(19723 + k))
		bld.Field(8).(*array.TimestampBuilder).Append(arrow.Timestamp(micros))
		bld.Field(9).(*array.TimestampBuilder).Append(arrow.Timestamp(micros))
		bld.Field(10).(*array.BinaryBuilder).Append([]byte{byte(k), byte(k)})
		bld.Field(11).(*array.BooleanBuilder).Append(k%2 == 0)
	}
	rec := bld.NewRecordBatch()
	defer rec.Release()
	writeParquet(t, filepath.Join(dir, "pt.parquet"), rec, 2)
}

func startParamServer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFixtures(t, dir)
	writeParamFixture(t, dir)
	return serveDir(t, dir)
}

// inference lists statements with the parameter OIDs PostgreSQL 15
// reports for them (Parse with no types, then Describe), or its SQLSTATE.
var inference = []struct {
	q    string
	oids []uint32
	code string
}{
	{q: "select $1", oids: []uint32{25}},
	{q: "select $1, $2", oids: []uint32{25, 25}},
	{q: "select $2", code: "42P18"},
	{q: "select $1, $3", code: "42P18"},
	{q: "select i from pt where i = $1", oids: []uint32{23}},
	{q: "select i from pt where b = $1", oids: []uint32{20}},
	{q: "select i from pt where s = $1", oids: []uint32{21}},
	{q: "select i from pt where n = $1", oids: []uint32{1700}},
	{q: "select i from pt where f = $1", oids: []uint32{701}},
	{q: "select i from pt where r = $1", oids: []uint32{700}},
	{q: "select i from pt where x = $1", oids: []uint32{25}},
	{q: "select i from pt where d = $1", oids: []uint32{1082}},
	{q: "select i from pt where ts = $1", oids: []uint32{1114}},
	{q: "select i from pt where tz = $1", oids: []uint32{1184}},
	{q: "select i from pt where bt = $1", oids: []uint32{17}},
	{q: "select i from pt where bo = $1", oids: []uint32{16}},
	{q: "select $1 = i from pt", oids: []uint32{23}},
	{q: "select $1 + 1", oids: []uint32{23}},
	{q: "select $1 + 1.5", oids: []uint32{1700}},
	{q: "select $1 + i from pt", oids: []uint32{23}},
	{q: "select -$1", code: "42725"},
	{q: "select $1::date", oids: []uint32{1082}},
	{q: "select $1::int + $2", oids: []uint32{23, 23}},
	{q: "select i from pt limit $1", oids: []uint32{20}},
	{q: "select i from pt limit $1 offset $2", oids: []uint32{20, 20}},
	{q: "select i from pt where i in ($1, $2)", oids: []uint32{23, 23}},
	{q: "select i from pt where i between $1 and $2", oids: []uint32{23, 23}},
	{q: "select i from pt where x like $1", oids: []uint32{25}},
	{q: "select i from pt where x not like $1", oids: []uint32{25}},
	{q: "select i from pt where x ilike $1", oids: []uint32{25}},
	{q: "select i from pt where x ~ $1", oids: []uint32{25}},
	{q: "select i from pt where $1 is null", code: "42P18"},
	{q: "select case when i > $1 then $2 else 'z' end from pt", oids: []uint32{23, 25}},
	{q: "select case when $1 then 1 else 2 end", oids: []uint32{16}},
	{q: "select coalesce($1, 1)", oids: []uint32{23}},
	{q: "select coalesce($1, i) from pt", oids: []uint32{23}},
	{q: "select upper($1)", oids: []uint32{25}},
	{q: "select substr($1, $2)", oids: []uint32{25, 23}},
	{q: "select length($1)", oids: []uint32{25}},
	{q: "select round($1, 2)", oids: []uint32{1700}},
	{q: "select ts + $1 from pt", oids: []uint32{1186}},
	{q: "select d - $1 from pt", oids: []uint32{1082}},
	{q: "select $1 || 'x'", oids: []uint32{25}},
	{q: "select $1 || $2", oids: []uint32{25, 25}},
	{q: "select $1 = $2", oids: []uint32{25, 25}},
	{q: "select $1 > $2", oids: []uint32{25, 25}},
	{q: "select max($1)", oids: []uint32{25}},
	{q: "select i from pt where i = any($1)", oids: []uint32{1007}},
	{q: "select i from pt where i > (select max(i) from pt where b < $1)", oids: []uint32{20}},
	{q: "select i from pt where exists (select 1 from pt t2 where t2.i = $1)", oids: []uint32{23}},
	{q: "select i from pt where i in (select i from pt where x = $1)", oids: []uint32{25}},
	{q: "select $1 from pt order by 1", oids: []uint32{25}},
	{q: "select i from pt group by i having sum(b) > $1", oids: []uint32{1700}},
	{q: "select $1::numeric", oids: []uint32{1700}},
	{q: "select $1::text[]", oids: []uint32{1009}},
	{q: "select $1 and true", oids: []uint32{16}},
	{q: "select not $1", oids: []uint32{16}},
	{q: "select i from pt where i = $1 and b = $1", oids: []uint32{23}},
	{q: "select i from pt where x = $1 and i = $1", code: "42883"},
	{q: "select cast($1 as int)", oids: []uint32{23}},
	{q: "select greatest($1, 1)", oids: []uint32{23}},
	{q: "select nullif($1, 1)", oids: []uint32{23}},
	{q: "select $1 + interval '1 day'", oids: []uint32{1186}},
	{q: "select $1 - date '2020-01-01'", oids: []uint32{1082}},
	{q: "select $1 * 2.0", oids: []uint32{1700}},
	{q: "select $1 / 2", oids: []uint32{23}},
	{q: "select $1 % 2", oids: []uint32{23}},
	{q: "select $1 from pt union select x from pt", oids: []uint32{25}},
	{q: "select x from pt union select $1 from pt", oids: []uint32{25}},
	{q: "select i from pt where i = $1::int8", oids: []uint32{20}},
	{q: "select 1 where $1", oids: []uint32{16}},
	{q: "select 1 where $1 = 'a'", oids: []uint32{25}},
	{q: "select i from pt where n > $1 and n < $2", oids: []uint32{1700, 1700}},
	{q: "select string_agg(x, $1) from pt", oids: []uint32{25}},
	{q: "select lpad(x, $1) from pt", oids: []uint32{23}},
	{q: "select left(x, $1) from pt", oids: []uint32{23}},
	{q: "select i::text || $1 from pt", oids: []uint32{25}},
	{q: "select $1 not in (1, 2)", oids: []uint32{23}},
}

// TestParamInference checks the parameter types Basalt infers against
// PostgreSQL's, recorded in the table above; with BASALT_PG_DSN set it
// also asks that PostgreSQL, so the table stays true.
func TestParamInference(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, c *pgconn.PgConn) {
		for _, tc := range inference {
			sd, err := c.Prepare(ctx, "", tc.q, nil)
			switch {
			case tc.code != "":
				if sqlState(err) != tc.code {
					t.Errorf("%s: got %v, want SQLSTATE %s", tc.q, err, tc.code)
				}
			case err != nil:
				t.Errorf("%s: %v", tc.q, err)
			case !reflect.DeepEqual(sd.ParamOIDs, tc.oids):
				t.Errorf("%s: parameter OIDs %v, want %v", tc.q, sd.ParamOIDs, tc.oids)
			}
		}
	}
	t.Run("basalt", func(t *testing.T) {
		c := connect(t, startParamServer(t), 0)
		check(t, c.PgConn())
	})
	dsn := os.Getenv("BASALT_PG_DSN")
	if dsn == "" {
		return
	}
	t.Run("postgres", func(t *testing.T) {
		c, err := pgconn.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if err := c.Exec(ctx, ptDDL+"; "+ptSQLRows()).Close(); err != nil {
			t.Fatal(err)
		}
		check(t, c)
	})
}
