package pgwire_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/basaltdb/basalt/sql/binder"
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
	{q: "select interval '1 day' * $1", oids: []uint32{701}},
	{q: "select $1 * interval '1 day'", oids: []uint32{701}},
	{q: "select i from pt where d > current_date - $1", code: "42883"},
	{q: "select current_setting($1)", oids: []uint32{25}},
	{q: "select current_setting($1, $2)", oids: []uint32{25, 16}},
	{q: "select set_config($1, $2, $3)", oids: []uint32{25, 25, 16}},
	{q: "select $1 union select 1", oids: []uint32{23}},
	{q: "select i from pt union all select $1", oids: []uint32{23}},
	{q: "select $1 union select $2", oids: []uint32{25, 25}},
	{q: "select * from (values ($1, $2), ($3, 'a'), (4, $4)) v(a, b)", oids: []uint32{23, 25, 23, 25}},
	{q: "select $1 from pt group by 1", oids: []uint32{25}},
	{q: "select $2, count(*) from pt group by $1", oids: []uint32{25, 25}},
	{q: "select lag(i, $1) over (order by i) from pt", oids: []uint32{23}},
	{q: "select lead(i, $1, $2) over (order by i) from pt", oids: []uint32{23, 23}},
	{q: "select ntile($1) over (order by i) from pt", oids: []uint32{23}},
	{q: "select sum(i) over (order by i rows between $1 preceding and current row) from pt", oids: []uint32{20}},
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

// TestParamsExecModes runs statements with uncast parameters of every type
// through pgx in each of its exec modes: the extended modes send them with
// the types Basalt inferred (text or binary), the simple mode interpolates
// them into the text.
func TestParamsExecModes(t *testing.T) {
	addr := startParamServer(t)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	counts := []struct {
		q    string
		args []any
		want int64
		oids []uint32 // what Describe reports
	}{
		{"select count(*) from pt where i = $1", []any{int32(2)}, 1, []uint32{23}},
		{"select count(*) from pt where b = $1", []any{int64(20)}, 1, []uint32{20}},
		{"select count(*) from pt where s = $1", []any{int16(1)}, 1, []uint32{21}},
		{"select count(*) from pt where n = $1", []any{"2.25"}, 1, []uint32{1700}},
		{"select count(*) from pt where n > $1", []any{1.3}, 2, []uint32{1700}},
		{"select count(*) from pt where f = $1", []any{1.0}, 1, []uint32{701}},
		{"select count(*) from pt where r = $1", []any{float32(0.5)}, 1, []uint32{700}},
		{"select count(*) from pt where x = $1", []any{"x4"}, 1, []uint32{25}},
		{"select count(*) from pt where d = $1", []any{day(3)}, 1, []uint32{1082}},
		{"select count(*) from pt where d between $1 and $2", []any{day(2), day(3)}, 2, []uint32{1082, 1082}},
		{"select count(*) from pt where ts = $1", []any{day(3).Add(2 * time.Hour)}, 1, []uint32{1114}},
		{"select count(*) from pt where tz < $1", []any{day(3).Add(2 * time.Hour)}, 2, []uint32{1184}},
		{"select count(*) from pt where bt = $1", []any{[]byte{4, 4}}, 1, []uint32{17}},
		{"select count(*) from pt where bo = $1", []any{true}, 3, []uint32{16}},
		{"select count(*) from pt where ts + $1 > timestamp '2024-01-05'", []any{24 * time.Hour}, 1, []uint32{1186}},
		{"select count(*) from pt where i in ($1, $2)", []any{int32(0), int32(4)}, 2, []uint32{23, 23}},
		{"select count(*) from pt where x like $1", []any{"x%"}, 4, []uint32{25}},
		{"select count(*) from pt where i = any($1)", []any{[]int32{1, 2, 7}}, 2, []uint32{1007}},
		{"select count(*) from pt where i = $1", []any{nil}, 0, []uint32{23}},
		{"select count(*) from pt where b > (select min(b) from pt where i > $1)", []any{int32(1)}, 1, []uint32{23}},
		{"select count(*) from (select i from pt where i is not null order by i limit $1 offset $2) s", []any{int64(2), int64(3)}, 1, []uint32{20, 20}},
		{"select count(*) from pt where i = $1 and b = $1 * 10", []any{int32(4)}, 1, []uint32{23}},
		{"select count(*) from pt where $2 > i and i > $1", []any{int32(0), int32(4)}, 2, []uint32{23, 23}},
	}
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			c := connect(t, addr, mode)
			for _, tc := range counts {
				var n int64
				if err := c.QueryRow(ctx, tc.q, tc.args...).Scan(&n); err != nil {
					t.Errorf("%s %v: %v", tc.q, tc.args, err)
					continue
				}
				if n != tc.want {
					t.Errorf("%s %v: count %d, want %d", tc.q, tc.args, n, tc.want)
				}
				if mode == pgx.QueryExecModeSimpleProtocol {
					continue
				}
				sd, err := c.Prepare(ctx, "", tc.q)
				if err != nil {
					t.Errorf("prepare %s: %v", tc.q, err)
				} else if !reflect.DeepEqual(sd.ParamOIDs, tc.oids) {
					t.Errorf("%s: parameter OIDs %v, want %v", tc.q, sd.ParamOIDs, tc.oids)
				}
			}
			// Values come back with the inferred types.
			var (
				s   string
				num pgtype.Numeric
				dd  int32
				pad string
				def string
				cs  string
			)
			err := c.QueryRow(ctx, "select $1 || x, $2 + n, d - $3, lpad(x, $4), coalesce($5, 'def'), case when i > $6 then $7 else 'small' end from pt where i = 2",
				"a-", "0.5", day(1), int32(4), nil, int32(1), "big").Scan(&s, &num, &dd, &pad, &def, &cs)
			if err != nil {
				t.Fatal(err)
			}
			nv, _ := num.Value()
			if s != "a-x2" || nv != "2.75" || dd != 2 || pad != "  x2" || def != "def" || cs != "big" {
				t.Errorf("got %q %v %d %q %q %q", s, nv, dd, pad, def, cs)
			}
			// A value that does not read as its type fails Bind (the simple
			// protocol sends it as a literal, which fails the same way).
			var n int64
			err = c.QueryRow(ctx, "select count(*) from pt where i = $1", "abc").Scan(&n)
			if sqlState(err) != "22P02" {
				t.Errorf("bad integer: %v", err)
			}
			if err := c.QueryRow(ctx, "select count(*) from pt where i > $1", int32(0)).Scan(&n); err != nil || n != 3 {
				t.Errorf("after error: %d %v", n, err)
			}
		})
	}
}

// rawFrontend opens a protocol-level connection past startup.
func rawFrontend(t *testing.T, addr string) (*pgproto3.Frontend, func(...string) []pgproto3.BackendMessage) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	// The deadline only keeps a hung server from hanging the test; it
	// covers every subtest on this connection, and TestParamsProtocol's
	// 65535 parameters alone take 13 s under -race on a busy 2-core
	// machine (30 s ran out there).
	nc.SetDeadline(time.Now().Add(3 * time.Minute))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u", "database": "basalt"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	// expect reads messages of the given kinds, skipping ParameterStatus;
	// the returned messages are copies, valid after the next Receive.
	expect := func(want ...string) []pgproto3.BackendMessage {
		t.Helper()
		var got []pgproto3.BackendMessage
		for _, w := range want {
			var m pgproto3.BackendMessage
			for {
				if m, err = fe.Receive(); err != nil {
					t.Fatalf("waiting for %s: %v", w, err)
				}
				if _, ok := m.(*pgproto3.ParameterStatus); !ok {
					break
				}
			}
			if typeName(m) != w {
				t.Fatalf("got %s (%+v), want %s", typeName(m), m, w)
			}
			got = append(got, copyMessage(m))
		}
		return got
	}
	expect("AuthenticationOk", "BackendKeyData", "ReadyForQuery")
	return fe, expect
}

func copyMessage(m pgproto3.BackendMessage) pgproto3.BackendMessage {
	switch m := m.(type) {
	case *pgproto3.DataRow:
		c := &pgproto3.DataRow{}
		for _, v := range m.Values {
			if v == nil {
				c.Values = append(c.Values, nil)
			} else {
				c.Values = append(c.Values, append([]byte{}, v...))
			}
		}
		return c
	case *pgproto3.ParameterDescription:
		return &pgproto3.ParameterDescription{ParameterOIDs: append([]uint32(nil), m.ParameterOIDs...)}
	case *pgproto3.RowDescription:
		c := &pgproto3.RowDescription{}
		for _, f := range m.Fields {
			f.Name = append([]byte{}, f.Name...)
			c.Fields = append(c.Fields, f)
		}
		return c
	case *pgproto3.ErrorResponse:
		c := *m
		return &c
	}
	return m
}

func rowValues(msgs []pgproto3.BackendMessage) [][]string {
	var out [][]string
	for _, m := range msgs {
		if d, ok := m.(*pgproto3.DataRow); ok {
			var row []string
			for _, v := range d.Values {
				if v == nil {
					row = append(row, "NULL")
				} else {
					row = append(row, string(v))
				}
			}
			out = append(out, row)
		}
	}
	return out
}

func errCode(m pgproto3.BackendMessage) string {
	if e, ok := m.(*pgproto3.ErrorResponse); ok {
		return e.Code
	}
	return typeName(m)
}

// TestParamsProtocol drives Parse/Describe/Bind with parameters through a
// raw frontend.
func TestParamsProtocol(t *testing.T) {
	addr := startParamServer(t)
	fe, expect := rawFrontend(t, addr)
	txt := func(vs ...string) [][]byte {
		var out [][]byte
		for _, v := range vs {
			out = append(out, []byte(v))
		}
		return out
	}

	t.Run("jsonb binary", func(t *testing.T) {
		// jsonb's binary form is a version byte (1) and the text, both
		// ways; json's is the text. A jsonb parameter comes back
		// normalized.
		fe.Send(&pgproto3.Parse{Name: "j1", Query: "select $1::jsonb, '{\"a\" :  1}'::json", ParameterOIDs: []uint32{3802}})
		fe.Send(&pgproto3.Bind{PreparedStatement: "j1", ParameterFormatCodes: []int16{1},
			Parameters: [][]byte{append([]byte{1}, `{"b":1, "a":[true]}`...)}, ResultFormatCodes: []int16{1}})
		fe.Send(&pgproto3.Describe{ObjectType: 'P'})
		fe.Send(&pgproto3.Execute{})
		fe.Send(&pgproto3.Sync{})
		fe.Flush()
		m := expect("ParseComplete", "BindComplete", "RowDescription", "DataRow", "CommandComplete", "ReadyForQuery")
		var oids []uint32
		for _, f := range m[2].(*pgproto3.RowDescription).Fields {
			oids = append(oids, f.DataTypeOID)
		}
		if !reflect.DeepEqual(oids, []uint32{3802, 114}) {
			t.Errorf("column types %v", oids)
		}
		row := m[3].(*pgproto3.DataRow).Values
		if string(row[0]) != "\x01"+`{"a": [true], "b": 1}` || string(row[1]) != `{"a" :  1}` {
			t.Errorf("row %q", row)
		}
		// A jsonb value without its version byte is refused.
		fe.Send(&pgproto3.Bind{PreparedStatement: "j1", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{[]byte(`{}`)}})
		fe.Send(&pgproto3.Execute{})
		fe.Send(&pgproto3.Sync{})
		fe.Flush()
		if got := errCode(expect("ErrorResponse")[0]); got != "22P03" {
			t.Errorf("jsonb without version: %s", got)
		}
		expect("ReadyForQuery")
	})

	t.Run("describe", func(t *testing.T) {
		// Describe answers from Parse's binding: the division by zero the
		// query would raise shows that nothing ran.
		fe.Send(&pgproto3.Parse{Name: "d1", Query: "select i, x, 1 / (i - i) as z from pt where i = $1 and x like $2 limit $3"})
		fe.Send(&pgproto3.Describe{ObjectType: 'S', Name: "d1"})
		fe.Send(&pgproto3.Sync{})
		fe.Flush()
		m := expect("ParseComplete", "ParameterDescription", "RowDescription", "ReadyForQuery")
		if got := m[1].(*pgproto3.ParameterDescription).ParameterOIDs; !reflect.DeepEqual(got, []uint32{23, 25, 20}) {
			t.Errorf("parameters %v", got)
		}
		var cols []string
		for _, f := range m[2].(*pgproto3.RowDescription).Fields {
			cols = append(cols, fmt.Sprintf("%s:%d", f.Name, f.DataTypeOID))
		}
		if !reflect.DeepEqual(cols, []string{"i:23", "x:25", "z:23"}) {
			t.Errorf("columns %v", cols)
		}
		// Types from Parse win, the rest are inferred; a client's varchar
		// stays varchar; a statement without rows describes as NoData.
		fe.Send(&pgproto3.Parse{Name: "d2", Query: "select $1, $2 + 1, $3", ParameterOIDs: []uint32{20, 0, 1043}})
		fe.Send(&pgproto3.Describe{ObjectType: 'S', Name: "d2"})
		fe.Send(&pgproto3.Parse{Name: "d3", Query: "set application_name = 'x'"})
		fe.Send(&pgproto3.Describe{ObjectType: 'S', Name: "d3"})
		fe.Send(&pgproto3.Sync{})
		fe.Flush()
		m = expect("ParseComplete", "ParameterDescription", "RowDescription", "ParseComplete", "ParameterDescription", "NoData", "ReadyForQuery")
		if got := m[1].(*pgproto3.ParameterDescription).ParameterOIDs; !reflect.DeepEqual(got, []uint32{20, 23, 1043}) {
			t.Errorf("parameters %v", got)
		}
		// Parse binds to describe, but set_config acts only when run.
		show := func() string {
			fe.Send(&pgproto3.Query{String: "show application_name"})
			fe.Flush()
			m := expect("RowDescription", "DataRow", "CommandComplete", "ReadyForQuery")
			return string(m[1].(*pgproto3.DataRow).Values[0])
		}
		fe.Send(&pgproto3.Parse{Name: "d4", Query: "select set_config('application_name', $1, false)"})
		fe.Send(&pgproto3.Describe{ObjectType: 'S', Name: "d4"})
		fe.Send(&pgproto3.Sync{})
		fe.Flush()
		expect("ParseComplete", "ParameterDescription", "RowDescription", "ReadyForQuery")
		if got := show(); got == "set" {
			t.Errorf("application_name %q after Parse", got)
		}
		fe.Send(&pgproto3.Bind{PreparedStatement: "d4", Parameters: [][]byte{[]byte("set")}})
		fe.Send(&pgproto3.Execute{})
		fe.Send(&pgproto3.Sync{})
		fe.Flush()
		expect("BindComplete", "DataRow", "CommandComplete", "ReadyForQuery")
		if got := show(); got != "set" {
			t.Errorf("application_name %q after Execute", got)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			msgs []pgproto3.FrontendMessage
			code string
		}{
			{[]pgproto3.FrontendMessage{&pgproto3.Describe{ObjectType: 'S', Name: "nosuch"}}, "26000"},
			{[]pgproto3.FrontendMessage{&pgproto3.Describe{ObjectType: 'P', Name: "nosuch"}}, "34000"},
			{[]pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "nosuch"}}, "26000"},
			{[]pgproto3.FrontendMessage{&pgproto3.Execute{Portal: "nosuch"}}, "34000"},
			// Wrong number of values.
			{[]pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "d1", Parameters: txt("1")}}, "08P01"},
			{[]pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "d1", Parameters: txt("1", "x", "1", "2")}}, "08P01"},
			// A value that is not of its type fails Bind.
			{[]pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "d1", Parameters: txt("one", "x", "1")}}, "22P02"},
			{[]pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "d1", Parameters: txt("1", "x", "1"), ParameterFormatCodes: []int16{1}}}, "22P03"},
			// Gaps and parameters nothing types.
			{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select $1, $3"}}, "42P18"},
			{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select 1 where $1 is null"}}, "42P18"},
			{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select $65536"}}, "42601"},
			{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select $1", ParameterOIDs: []uint32{600}}}, "0A000"}, // point: no such type here
			{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select i from pt limit $1", ParameterOIDs: []uint32{25}}}, "42804"},
		} {
			for _, m := range tc.msgs {
				fe.Send(m)
			}
			fe.Send(&pgproto3.Execute{})
			fe.Send(&pgproto3.Sync{})
			fe.Flush()
			if got := errCode(expect("ErrorResponse")[0]); got != tc.code {
				t.Errorf("%+v: %s, want %s", tc.msgs[0], got, tc.code)
			}
			expect("ReadyForQuery")
		}
		// The simple protocol has no parameters.
		fe.Send(&pgproto3.Query{String: "select $1"})
		fe.Flush()
		if got := errCode(expect("ErrorResponse")[0]); got != "42P02" {
			t.Errorf("simple query with $1: %s", got)
		}
		expect("ReadyForQuery")
	})

	run := func(t *testing.T, q string, oids []uint32, values [][]byte, want [][]string) {
		t.Helper()
		fe.Send(&pgproto3.Parse{Query: q, ParameterOIDs: oids})
		fe.Send(&pgproto3.Bind{Parameters: values})
		fe.Send(&pgproto3.Execute{})
		fe.Send(&pgproto3.Sync{})
		fe.Flush()
		expect("ParseComplete", "BindComplete")
		var msgs []pgproto3.BackendMessage
		for {
			m, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := m.(*pgproto3.DataRow); !ok {
				if typeName(m) != "CommandComplete" {
					t.Fatalf("%s: got %s (%+v)", q, typeName(m), m)
				}
				break
			}
			msgs = append(msgs, copyMessage(m))
		}
		expect("ReadyForQuery")
		if got := rowValues(msgs); want == nil && len(got) == 0 || want != nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", q, got, want)
		}
	}

	t.Run("values", func(t *testing.T) {
		run(t, "select i from pt where i is not null order by i limit $1 offset $2", nil, txt("2", "1"), [][]string{{"1"}, {"2"}})
		run(t, "select i from pt order by i fetch first $1 rows only", nil, txt("1"), [][]string{{"0"}})
		// NULL: LIMIT NULL is no limit, OFFSET NULL none.
		run(t, "select count(*) from (select i from pt limit $1 offset $2) s", nil, [][]byte{nil, nil}, [][]string{{"5"}})
		run(t, "select case when i > $1 then upper($2) else lower($2) end, (select max(b) from pt where i < $3), lpad($2, $4, '*') from pt where i = $5",
			nil, txt("1", "Ab", "4", "4", "2"), [][]string{{"AB", "20", "**Ab"}})
		run(t, "select x from pt where i in (select i from pt where bo = $1 and d >= $2) order by x", nil, txt("true", "2024-01-02"), [][]string{{"x2"}, {"x4"}})
		run(t, "select coalesce($1, 'n'), $2::int is null, $3 + 1", []uint32{0, 0, 23}, [][]byte{nil, nil, nil}, [][]string{{"n", "t", "NULL"}})
		run(t, "select $1 = $1, $2::date + 1", nil, txt("a", "2024-02-28"), [][]string{{"t", "2024-02-29"}})
		run(t, "select count(*) from pt where n between $1 and $2 and tz >= $3 and ts + $4 > $5", nil,
			txt("1.25", "4.25", "2024-01-02 01:00:00+00", "1 hour", "2024-01-03"), [][]string{{"2"}})
		run(t, "select i from pt where i = any($1) order by 1", nil, txt("{4,1,NULL}"), [][]string{{"1"}, {"4"}})
		// The literal row types the VALUES column (integer); without it
		// $1 and $3 would be text, as in PostgreSQL.
		run(t, "select * from (values ($1, $2), ($3, 'a'), (0, 'z')) v(a, b) order by a", nil, txt("10", "x", "2"), [][]string{{"0", "z"}, {"2", "a"}, {"10", "x"}})
		run(t, "select i from pt where i < 2 union select $1 order by 1", nil, txt("7"), [][]string{{"0"}, {"1"}, {"7"}})
		run(t, "select $1, count(*) from pt group by 1", nil, txt("g"), [][]string{{"g", "5"}})
		run(t, "select i, lag(i, $1) over (order by i), sum(i) over (order by i rows between $2 preceding and current row) from pt where i is not null order by i", nil, txt("-1", "1"),
			[][]string{{"0", "1", "0"}, {"1", "2", "1"}, {"2", "4", "3"}, {"4", "NULL", "6"}})
		run(t, "explain select i from pt where i = $1", nil, txt("1"), nil)
	})

	t.Run("65535", func(t *testing.T) {
		var q strings.Builder
		q.WriteString("select count(*) from pt where i in (")
		values := make([][]byte, binder.MaxParams)
		for k := range values {
			if k > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "$%d", k+1)
			values[k] = []byte(strconv.Itoa(k + 1))
		}
		q.WriteString(")")
		run(t, q.String(), nil, values, [][]string{{"3"}})
	})
}
