package pgwire_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/server/pgwire"
)

// execAll runs sql with the simple protocol and returns each statement's
// rows (text, "NULL" for NULL) and tags, or the first error.
func execAll(t *testing.T, c *pgconn.PgConn, sql string) ([][]string, []string, error) {
	t.Helper()
	res, err := c.Exec(context.Background(), sql).ReadAll()
	var rows [][]string
	var tags []string
	for _, r := range res {
		tags = append(tags, r.CommandTag.String())
		for _, row := range r.Rows {
			var vals []string
			for _, v := range row {
				if v == nil {
					vals = append(vals, "NULL")
				} else {
					vals = append(vals, string(v))
				}
			}
			rows = append(rows, vals)
		}
	}
	return rows, tags, err
}

func flat(rows [][]string) string {
	var parts []string
	for _, r := range rows {
		parts = append(parts, strings.Join(r, ","))
	}
	return strings.Join(parts, " ")
}

func TestCursors(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol).PgConn()
	steps := []struct {
		sql, rows, tags, code string
	}{
		{sql: "declare c cursor for select id from t order by id", code: "25P01"},
		{sql: "begin", tags: "BEGIN"},
		{sql: `DECLARE "c" NO SCROLL CURSOR WITHOUT HOLD FOR select id, s from t where id < 20 order by id`, tags: "DECLARE CURSOR"},
		{sql: "fetch 2 from c", rows: "0,sa 1,sb", tags: "FETCH 2"},
		{sql: "fetch forward 2 in c", rows: "2,sc 3,NULL", tags: "FETCH 2"},
		{sql: "fetch c", rows: "4,se", tags: "FETCH 1"},
		{sql: "move 3 c", tags: "MOVE 3"},
		{sql: "fetch next from c", rows: "8,si", tags: "FETCH 1"},
		{sql: "fetch relative 2 from c", rows: "10,sk", tags: "FETCH 1"},
		{sql: "fetch absolute 13 from c", rows: "12,sm", tags: "FETCH 1"},
		{sql: "move forward all in c", tags: "MOVE 7"},
		{sql: "fetch c", tags: "FETCH 0"},
		{sql: "fetch all c", tags: "FETCH 0"},
		{sql: "declare c cursor for select 1", code: "42P03"},
		{sql: "rollback", tags: "ROLLBACK"},
		{sql: "begin; declare d cursor for select id from t order by id; fetch 0 from d; fetch 1 from d", rows: "0", tags: "BEGIN DECLARE CURSOR FETCH 0 FETCH 1"},
		{sql: "fetch prior from d", code: "55000"},
		{sql: "fetch d", code: "25P02"},
		{sql: "rollback", tags: "ROLLBACK"},
		{sql: "fetch d", code: "34000"},
		{sql: "begin; declare d cursor for select id from t order by id; fetch 2 d", rows: "0 1", tags: "BEGIN DECLARE CURSOR FETCH 2"},
		{sql: "fetch absolute 1 from d", code: "55000"},
		{sql: "rollback"},
		{sql: "begin; declare d cursor for select id from t order by id; fetch 1 d; fetch relative 0 d", code: "55000"},
		{sql: "rollback"},
		{sql: "begin; declare d cursor for select 1; move backward all in d; fetch last from d", code: "55000"},
		{sql: "rollback"},
		{sql: "begin; declare d scroll no scroll cursor for select 1", code: "42P11"},
		{sql: "rollback"},
		// COMMIT closes cursors without HOLD and keeps the others.
		{sql: "begin; declare h cursor with hold for select id from t where id >= 4990 order by id; declare n cursor for select 1; fetch 2 from h; commit",
			rows: "4990 4991", tags: "BEGIN DECLARE CURSOR DECLARE CURSOR FETCH 2 COMMIT"},
		{sql: "fetch n", code: "34000"},
		{sql: "fetch 3 h", rows: "4992 4993 4994", tags: "FETCH 3"},
		{sql: "close h", tags: "CLOSE CURSOR"},
		{sql: "close h", code: "34000"},
		// ROLLBACK drops a WITH HOLD cursor it declared; a held one declared
		// outside a transaction block stays.
		{sql: "declare h2 cursor with hold for select id from t where id < 3 order by id", tags: "DECLARE CURSOR"},
		{sql: "begin; declare h3 cursor with hold for select 1; rollback", tags: "BEGIN DECLARE CURSOR ROLLBACK"},
		{sql: "fetch h3", code: "34000"},
		{sql: "begin; declare b binary scroll cursor for select 1", tags: "BEGIN DECLARE CURSOR"},
		{sql: "select name, statement, is_holdable, is_binary, is_scrollable, creation_time <= now() from pg_cursors order by name",
			rows: "b,declare b binary scroll cursor for select 1,f,t,t,t h2,declare h2 cursor with hold for select id from t where id < 3 order by id,t,f,f,t"},
		{sql: "rollback; select count(*) from pg_catalog.pg_cursors", rows: "1", tags: "ROLLBACK SELECT 1"},
		// ROLLBACK TO closes the cursors declared since the savepoint;
		// RELEASE hands them to the enclosing level.
		{sql: "begin; declare a cursor for select 1; savepoint s; declare b cursor for select 2; savepoint s2; declare c cursor for select 3; release s2; rollback to s; select name from pg_cursors where name <> 'h2' order by 1; commit",
			rows: "a"},
		{sql: "begin; savepoint s; declare b cursor for select 2; release s; savepoint t; rollback to t; select name from pg_cursors where name <> 'h2' order by 1; commit",
			rows: "b"},
		{sql: "fetch all h2", rows: "0 1 2", tags: "FETCH 3"},
		// A Query of several statements is one implicit transaction.
		{sql: "declare i cursor for select id from t where id < 2 order by id; fetch all from i", rows: "0 1", tags: "DECLARE CURSOR FETCH 2"},
		{sql: "fetch i", code: "34000"},
		{sql: "close all", tags: "CLOSE CURSOR ALL"},
		{sql: "fetch h2", code: "34000"},
		{sql: "fetch 99999999999 from h2", code: "42601"},
	}
	for _, s := range steps {
		rows, tags, err := execAll(t, c, s.sql)
		if s.code != "" {
			if sqlState(err) != s.code {
				t.Errorf("%s: error %v, want %s", s.sql, err, s.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", s.sql, err)
			continue
		}
		if got := flat(rows); got != s.rows {
			t.Errorf("%s: rows %q, want %q", s.sql, got, s.rows)
		}
		if got := strings.Join(tags, " "); s.tags != "" && got != s.tags {
			t.Errorf("%s: tags %q, want %q", s.sql, got, s.tags)
		}
	}
}

// TestCursorExtended fetches from cursors through pgx's extended protocol
// (Describe of FETCH, binary results) and a BINARY cursor.
func TestCursorExtended(t *testing.T) {
	addr := startServer(t)
	ctx := context.Background()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			c := connect(t, addr, mode)
			tx, err := c.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, "declare c binary cursor for select id, n, d, array[id, null] as a from t where id between 10 and 14 order by id"); err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := 0; i < 3; i++ {
				rows, err := tx.Query(ctx, "fetch 2 from c")
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var id int64
					var n float64
					var d time.Time
					var a []*int64
					if err := rows.Scan(&id, &n, &d, &a); err != nil {
						t.Fatal(err)
					}
					if len(a) != 2 || a[0] == nil || *a[0] != id || a[1] != nil {
						t.Errorf("array %v", a)
					}
					got = append(got, fmt.Sprintf("%d/%g/%s", id, n, d.Format("2006-01-02")))
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				if tag := rows.CommandTag().String(); tag != fmt.Sprintf("FETCH %d", min(2, 5-2*i)) {
					t.Errorf("tag %q", tag)
				}
			}
			// DECLARE with parameters (pgx binds them in the extended modes).
			if _, err := tx.Exec(ctx, "declare p cursor for select id from t where id < $1 and s <> $2 order by id", 4, "sb"); err != nil {
				t.Fatal(err)
			}
			var ids []int64
			rows, err := tx.Query(ctx, "fetch all from p")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			if rows.Err() != nil || fmt.Sprint(ids) != "[0 2]" {
				t.Errorf("parameterised cursor: %v %v", ids, rows.Err())
			}
			want := "10/-489.9/2020-01-11 11/-488.89/2020-01-12 12/-487.88/2020-01-13 13/-486.87/2020-01-14 14/-485.86/2020-01-15"
			if s := strings.Join(got, " "); s != want {
				t.Errorf("got %s\nwant %s", s, want)
			}
		})
	}
}

// TestBinaryArrays decodes arrays sent in binary by the extended protocol.
func TestBinaryArrays(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeCacheStatement)
	ctx := context.Background()
	var (
		ints  []int32
		strs  []*string
		big   []*int64
		empty []int32
		nums  []float64
		bools []bool
	)
	err := c.QueryRow(ctx, `select array[1, 2, 3]::int[], array['a', null, 'é,"x"', ''], array[9223372036854775807, null, -1]::bigint[],
		cast('{}' as int[]), array[1.5, -2.25], array[true, false]`).Scan(&ints, &strs, &big, &empty, &nums, &bools)
	if err != nil {
		t.Fatal(err)
	}
	str := func(p *string) string {
		if p == nil {
			return "NULL"
		}
		return *p
	}
	if fmt.Sprint(ints) != "[1 2 3]" || len(strs) != 4 || str(strs[0]) != "a" || strs[1] != nil || str(strs[2]) != `é,"x"` || str(strs[3]) != "" ||
		len(big) != 3 || *big[0] != 9223372036854775807 || big[1] != nil || *big[2] != -1 || len(empty) != 0 ||
		fmt.Sprint(nums) != "[1.5 -2.25]" || fmt.Sprint(bools) != "[true false]" {
		t.Errorf("got %v %v %v %v %v %v", ints, strs, big, empty, nums, bools)
	}
	// A column of arrays: NULL arrays and arrays from a table.
	rows, err := c.Query(ctx, "select case when i is null then null else array[i, id::int] end from t where id < 5 order by id")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var a []int32
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(a))
	}
	if rows.Err() != nil || strings.Join(got, " ") != "[0 0] [1 1] [2 2] [] [4 4]" {
		t.Errorf("got %v (%v)", got, rows.Err())
	}
}

// rawConn is a pgproto3 frontend after startup.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	fe *pgproto3.Frontend
}

func (r *rawConn) close() { r.nc.Close() }

func dialRaw(t *testing.T, addr string) *rawConn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u", "database": "basalt"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	r := &rawConn{t: t, nc: nc, fe: fe}
	r.until("ReadyForQuery")
	return r
}

// until reads messages up to one of type last and returns their type
// names (ParameterStatus and notices left out) and the DataRow values.
func (r *rawConn) until(last string) ([]string, []string) {
	r.t.Helper()
	var names, vals []string
	for {
		m, err := r.fe.Receive()
		if err != nil {
			r.t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.ParameterStatus, *pgproto3.NoticeResponse:
			continue
		case *pgproto3.DataRow:
			vals = append(vals, string(m.Values[0]))
		case *pgproto3.ErrorResponse:
			r.t.Logf("error %s %s", m.Code, m.Message)
		}
		n := typeName(m)
		if n == "other" {
			n = fmt.Sprintf("%T", m)
		}
		names = append(names, n)
		if n == last || (n == "ErrorResponse" && last != "ReadyForQuery") {
			return names, vals
		}
	}
}

func (r *rawConn) send(msgs ...pgproto3.FrontendMessage) {
	for _, m := range msgs {
		r.fe.Send(m)
	}
	if err := r.fe.Flush(); err != nil {
		r.t.Fatal(err)
	}
}

// TestCursorAsPortal executes a DECLAREd cursor by name with Execute row
// limits, interleaved with FETCH.
func TestCursorAsPortal(t *testing.T) {
	r := dialRaw(t, startServer(t))
	r.send(&pgproto3.Query{String: "begin; declare c cursor for select id from t order by id"})
	r.until("ReadyForQuery")
	r.send(&pgproto3.Describe{ObjectType: 'P', Name: "c"}, &pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Sync{})
	names, vals := r.until("ReadyForQuery")
	if strings.Join(names, " ") != "RowDescription DataRow DataRow PortalSuspended ReadyForQuery" || strings.Join(vals, " ") != "0 1" {
		t.Fatalf("got %v %v", names, vals)
	}
	r.send(&pgproto3.Query{String: "fetch 2 from c"})
	if _, vals := r.until("ReadyForQuery"); strings.Join(vals, " ") != "2 3" {
		t.Fatalf("fetch after Execute: %v", vals)
	}
	// Bind cannot reuse a cursor's name.
	r.send(&pgproto3.Parse{Query: "select 1"}, &pgproto3.Bind{DestinationPortal: "c"}, &pgproto3.Sync{})
	if names, _ := r.until("ReadyForQuery"); names[1] != "ErrorResponse" {
		t.Fatalf("bind over a cursor: %v", names)
	}
}

// TestSuspendedPortalMemory runs a large query through Execute with a row
// limit, as pgjdbc's setFetchSize does, and checks that the suspended
// portal holds only a batch, not the result.
func TestSuspendedPortalMemory(t *testing.T) {
	r := dialRaw(t, startServer(t))
	const total = 4_000_000
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r.send(&pgproto3.Query{String: "begin"})
	r.until("ReadyForQuery")
	r.send(&pgproto3.Parse{Name: "big", Query: fmt.Sprintf("select g, g * 2 as h from generate_series(1, %d) as s(g)", total)},
		&pgproto3.Bind{PreparedStatement: "big", DestinationPortal: "C_1"},
		&pgproto3.Execute{Portal: "C_1", MaxRows: 1000}, &pgproto3.Sync{})
	names, vals := r.until("ReadyForQuery")
	if len(vals) != 1000 || vals[0] != "1" || names[len(names)-2] != "PortalSuspended" {
		t.Fatalf("first fetch: %d rows, %v", len(vals), names[len(names)-3:])
	}
	for i := 0; i < 3; i++ {
		r.send(&pgproto3.Execute{Portal: "C_1", MaxRows: 1000}, &pgproto3.Sync{})
		if _, vals := r.until("ReadyForQuery"); len(vals) != 1000 || vals[0] != fmt.Sprint(1001+1000*i) {
			t.Fatalf("fetch %d: %d rows from %v", i, len(vals), vals[:1])
		}
	}
	var during runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&during)
	// The whole result is 64 MB as Arrow columns and more as DataRows.
	if grow := int64(during.HeapAlloc) - int64(before.HeapAlloc); grow > 16<<20 {
		t.Errorf("heap grew by %d MB while the portal was suspended", grow>>20)
	}
	r.send(&pgproto3.Execute{Portal: "C_1"}, &pgproto3.Sync{})
	n := 0
	for {
		m, err := r.fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.(*pgproto3.DataRow); ok {
			n++
			continue
		}
		if cc, ok := m.(*pgproto3.CommandComplete); ok {
			if string(cc.CommandTag) != fmt.Sprintf("SELECT %d", total-4000) {
				t.Errorf("tag %s", cc.CommandTag)
			}
			continue
		}
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			break
		}
		t.Fatalf("unexpected %T", m)
	}
	if n != total-4000 {
		t.Errorf("rest: %d rows", n)
	}
}

// TestPsycopg2NamedCursor uses psycopg2's server-side cursors, which send
// DECLARE "name" CURSOR WITHOUT HOLD FOR ..., FETCH FORWARD n FROM "name"
// and CLOSE "name".
func TestPsycopg2NamedCursor(t *testing.T) {
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import psycopg2").Run(); err != nil {
		t.Skip("psycopg2 is not installed (apt-get install python3-psycopg2)")
	}
	addr := startServer(t)
	host, port, _ := net.SplitHostPort(addr)
	script := `
import sys, psycopg2
conn = psycopg2.connect(host=sys.argv[1], port=int(sys.argv[2]), user="u", dbname="basalt")
cur = conn.cursor(name="named one")
cur.itersize = 700
cur.execute("select id, s from t where id < %s order by id", (2500,))
n = 0; total = 0; nulls = 0
for row in cur:
    n += 1; total += row[0]
    if row[1] is None: nulls += 1
cur.close()
held = conn.cursor(name="held", withhold=True)
held.execute("select id from t order by id")
first = held.fetchmany(3)
conn.commit()
more = held.fetchmany(2)
held.close()
with conn.cursor(name="scrolly") as c2:
    c2.execute("select 1")
    print(c2.fetchone()[0])
print(n, total, nulls, [r[0] for r in first], [r[0] for r in more])
conn.close()
`
	out, err := exec.Command(python, "-c", script, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("psycopg2: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "1\n2500 3123750 250 [0, 1, 2] [3, 4]" {
		t.Errorf("psycopg2 printed %q", got)
	}
}

// TestCopyExtended runs COPY through Parse/Bind/Execute, which PostgreSQL
// allows: the portal describes as NoData and Execute streams the copy.
func TestCopyExtended(t *testing.T) {
	r := dialRaw(t, startServer(t))
	r.send(&pgproto3.Parse{Query: "copy (select id, s from t where id < 3 order by id) to stdout (format csv)"},
		&pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	var names []string
	var data []string
	for {
		m, err := r.fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.CopyData:
			data = append(data, string(m.Data))
		case *pgproto3.CommandComplete:
			names = append(names, string(m.CommandTag))
			continue
		}
		names = append(names, strings.TrimPrefix(fmt.Sprintf("%T", m), "*pgproto3."))
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	if got := strings.Join(names, " "); got != "ParseComplete BindComplete NoData CopyOutResponse CopyData CopyData CopyData CopyDone COPY 3 ReadyForQuery" {
		t.Errorf("messages %s", got)
	}
	if got := strings.Join(data, ""); got != "0,sa\n1,sb\n2,sc\n" {
		t.Errorf("data %q", got)
	}
}

// TestPortalLifetime checks that named portals end with their transaction
// as in PostgreSQL: at Sync outside a transaction block, at COMMIT inside
// one; WITH HOLD cursors stay.
func TestPortalLifetime(t *testing.T) {
	r := dialRaw(t, startServer(t))
	r.send(&pgproto3.Parse{Name: "s", Query: "select id from t order by id"},
		&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "P"},
		&pgproto3.Execute{Portal: "P", MaxRows: 1}, &pgproto3.Sync{})
	if names, _ := r.until("ReadyForQuery"); strings.Join(names, " ") != "ParseComplete BindComplete DataRow PortalSuspended ReadyForQuery" {
		t.Fatalf("got %v", names)
	}
	r.send(&pgproto3.Execute{Portal: "P", MaxRows: 1}, &pgproto3.Sync{})
	if names, _ := r.until("ReadyForQuery"); names[0] != "ErrorResponse" {
		t.Fatalf("portal outlived its implicit transaction: %v", names)
	}
	r.send(&pgproto3.Query{String: "begin; declare h cursor with hold for select 7"})
	r.until("ReadyForQuery")
	r.send(&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "P"},
		&pgproto3.Execute{Portal: "P", MaxRows: 1}, &pgproto3.Sync{},
		&pgproto3.Execute{Portal: "P", MaxRows: 1}, &pgproto3.Sync{})
	names, vals := r.until("ReadyForQuery")
	if strings.Join(names, " ") != "BindComplete DataRow PortalSuspended ReadyForQuery" {
		t.Fatalf("got %v", names)
	}
	if names, vals2 := r.until("ReadyForQuery"); strings.Join(names, " ") != "DataRow PortalSuspended ReadyForQuery" || vals[0] != "0" || vals2[0] != "1" {
		t.Fatalf("inside a transaction: %v %v %v", names, vals, vals2)
	}
	r.send(&pgproto3.Query{String: "commit"})
	r.until("ReadyForQuery")
	r.send(&pgproto3.Execute{Portal: "P"}, &pgproto3.Sync{})
	if names, _ := r.until("ReadyForQuery"); names[0] != "ErrorResponse" {
		t.Fatalf("portal outlived COMMIT: %v", names)
	}
	r.send(&pgproto3.Query{String: "fetch h"})
	if _, vals := r.until("ReadyForQuery"); len(vals) != 1 || vals[0] != "7" {
		t.Fatalf("held cursor: %v", vals)
	}
}

// scrollSteps are FETCH and MOVE on a SCROLL cursor over 1..10 with the
// rows and tags PostgreSQL 15 returns for each.
var scrollSteps = []struct{ sql, rows, tag string }{
	{"fetch 3 from c", "1,2,3", "FETCH 3"},
	{"fetch prior from c", "2", "FETCH 1"},
	{"fetch backward 5 from c", "1", "FETCH 1"},
	{"fetch backward 1 from c", "", "FETCH 0"},
	{"fetch next from c", "1", "FETCH 1"},
	{"fetch relative 0 from c", "1", "FETCH 1"},
	{"fetch forward 0 from c", "1", "FETCH 1"},
	{"fetch absolute 4 from c", "4", "FETCH 1"},
	{"fetch relative 3 from c", "7", "FETCH 1"},
	{"fetch relative -2 from c", "5", "FETCH 1"},
	{"fetch absolute -1 from c", "10", "FETCH 1"},
	{"fetch next from c", "", "FETCH 0"},
	{"fetch next from c", "", "FETCH 0"},
	{"fetch prior from c", "10", "FETCH 1"},
	{"fetch absolute 0 from c", "", "FETCH 0"},
	{"fetch relative 0 from c", "", "FETCH 0"},
	{"fetch absolute 11 from c", "", "FETCH 0"},
	{"fetch backward 2 from c", "10,9", "FETCH 2"},
	{"fetch absolute -10 from c", "1", "FETCH 1"},
	{"fetch absolute -11 from c", "", "FETCH 0"},
	{"fetch next from c", "1", "FETCH 1"},
	{"fetch last from c", "10", "FETCH 1"},
	{"fetch first from c", "1", "FETCH 1"},
	{"move forward 5 in c", "", "MOVE 5"},
	{"fetch c", "7", "FETCH 1"},
	{"move backward all in c", "", "MOVE 6"},
	{"fetch forward all from c", "1,2,3,4,5,6,7,8,9,10", "FETCH 10"},
	{"move backward 3 in c", "", "MOVE 3"},
	{"fetch backward all from c", "7,6,5,4,3,2,1", "FETCH 7"},
	{"move absolute 5 in c", "", "MOVE 1"},
	{"move absolute 50 in c", "", "MOVE 0"},
	{"move relative -3 in c", "", "MOVE 1"},
	{"fetch -2 from c", "7,6", "FETCH 2"},
	{"move 0 in c", "", "MOVE 1"},
	{"fetch relative 20 from c", "", "FETCH 0"},
	{"fetch relative -20 from c", "", "FETCH 0"},
	{"fetch relative -1 from c", "", "FETCH 0"},
}

// TestScrollCursor moves a SCROLL cursor in every direction, with the
// query read ahead in small steps and its rows held against the budget.
func TestScrollCursor(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol).PgConn()
	for _, decl := range []string{
		"declare c scroll cursor for select g from generate_series(1, 10) as s(g)",
		// 2500 rows in two row groups, read by parallel scans: ordered.
		"declare c scroll cursor for select id + 1 from t where id < 10 order by id",
	} {
		if _, _, err := execAll(t, c, "begin; "+decl); err != nil {
			t.Fatal(err)
		}
		for _, s := range scrollSteps {
			rows, tags, err := execAll(t, c, s.sql)
			if err != nil {
				t.Fatalf("%s: %v", s.sql, err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r[0])
			}
			if strings.Join(got, ",") != s.rows || tags[0] != s.tag {
				t.Errorf("%s: got %v %s, want %s %s", s.sql, got, tags[0], s.rows, s.tag)
			}
		}
		execAll(t, c, "rollback")
	}
	// Backward over a large result, and Execute on the cursor's portal.
	if _, _, err := execAll(t, c, "begin; declare big scroll cursor with hold for select id from t order by id; move forward 4000 in big"); err != nil {
		t.Fatal(err)
	}
	if rows, _, err := execAll(t, c, "fetch backward 3 from big; fetch absolute 5000 from big; fetch absolute 2 from big; commit"); err != nil || flat(rows) != "3998 3997 3996 4999 1" {
		t.Errorf("big scroll: %v %v", flat(rows), err)
	}
	if rows, tags, err := execAll(t, c, "fetch last from big; move backward all in big; close big"); err != nil || flat(rows) != "4999" || tags[1] != "MOVE 4999" {
		t.Errorf("held scroll: %v %v %v", flat(rows), tags, err)
	}
}

// TestScrollCursorBudget: the rows a SCROLL cursor keeps count against the
// query's memory budget; past it FETCH fails with 53200.
func TestScrollCursorBudget(t *testing.T) {
	eng, err := engine.Open(context.Background(), engine.Config{DataDir: t.TempDir(), MemoryLimit: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := pgwire.New(pgwire.Config{Engine: eng, Logf: t.Logf})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
		eng.Close()
	})
	c := connect(t, ln.Addr().String(), pgx.QueryExecModeSimpleProtocol).PgConn()
	// 2M bigints are 16 MB kept; a forward-only cursor needs none of it.
	q := "select g from generate_series(1, 2000000) as s(g)"
	if rows, _, err := execAll(t, c, "begin; declare f cursor for "+q+"; move forward all in f; fetch forward 0 from f; rollback"); err != nil || len(rows) != 0 {
		t.Fatalf("forward-only cursor: %v %v", rows, err)
	}
	if _, _, err := execAll(t, c, "begin; declare s scroll cursor for "+q+"; fetch last from s"); sqlState(err) != "53200" {
		t.Fatalf("scroll past the budget: %v", err)
	}
	if rows, _, err := execAll(t, c, "rollback; begin; declare s scroll cursor for "+q+"; fetch absolute 1000 from s; fetch prior from s; rollback"); err != nil || flat(rows) != "1000 999" {
		t.Fatalf("scroll within the budget: %v %v", rows, err)
	}
}

// TestCursorsMatchPostgres runs every FETCH and MOVE form after several
// starting positions on NO SCROLL and SCROLL cursors, over rows and over
// none, on Basalt and on a real PostgreSQL (BASALT_PG_DSN), and compares
// rows, tags and SQLSTATEs.
func TestCursorsMatchPostgres(t *testing.T) {
	dsn := os.Getenv("BASALT_PG_DSN")
	if dsn == "" {
		t.Skip("BASALT_PG_DSN is not set")
	}
	ctx := context.Background()
	pg, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	bc := connect(t, startServer(t), pgx.QueryExecModeSimpleProtocol).PgConn()
	prefixes := []string{"", "fetch 2 from c", "fetch all from c", "move 20 in c", "fetch 10 from c", "fetch last from c; fetch prior from c"}
	stmts := []string{"fetch 0 from c", "fetch backward 0 from c", "fetch relative 0 from c", "fetch prior from c", "fetch absolute 0 from c",
		"fetch absolute 1 from c", "fetch absolute 3 from c", "fetch absolute 11 from c", "fetch absolute 12 from c", "fetch absolute -1 from c",
		"fetch absolute -10 from c", "fetch absolute -11 from c", "fetch first from c", "fetch last from c", "move backward all in c",
		"fetch backward all from c", "fetch relative 2 from c", "fetch relative -1 from c", "fetch relative -20 from c", "move absolute 5 in c",
		"move 0 in c", "fetch forward all from c", "move backward 0 in c", "fetch -1 from c", "move absolute 0 in c", "move forward 3 in c",
		"fetch backward 3 from c", "move relative -2 in c", "fetch next from c"}
	run := func(c *pgconn.PgConn, decl, prefix, stmt string) string {
		script := "begin; " + decl + "; " + prefix
		if prefix != "" {
			script += "; "
		}
		rows, tags, err := execAll(t, c, script+stmt)
		execAll(t, c, "rollback")
		if err != nil {
			return "ERROR " + sqlState(err)
		}
		// The last statement's rows close the list.
		last := tags[len(tags)-1]
		return fmt.Sprint(rows[len(rows)-min(len(rows), rowsOf(last)):], " ", last)
	}
	for _, decl := range []string{
		"declare c no scroll cursor for select g from generate_series(1, 10) as s(g)",
		"declare c scroll cursor for select g from generate_series(1, 10) as s(g)",
		"declare c no scroll cursor for select g from generate_series(1, 10) as s(g) where g > 20",
		"declare c scroll cursor for select g from generate_series(1, 10) as s(g) where g > 20",
	} {
		for _, p := range prefixes {
			for _, s := range stmts {
				want, got := run(pg, decl, p, s), run(bc, decl, p, s)
				if got != want {
					t.Errorf("%s; %s; %s:\n got %s\nwant %s", decl, p, s, got, want)
				}
			}
		}
	}
}

// rowsOf is the row count of a FETCH tag (0 for MOVE and others).
func rowsOf(tag string) int {
	var n int
	if _, err := fmt.Sscanf(tag, "FETCH %d", &n); err != nil {
		return 0
	}
	return n
}

// TestFetchBoundBeforeDeclare: a FETCH bound while its cursor did not
// exist yet still runs once the cursor does.
func TestFetchBoundBeforeDeclare(t *testing.T) {
	r := dialRaw(t, startServer(t))
	r.send(&pgproto3.Query{String: "begin"})
	r.until("ReadyForQuery")
	r.send(&pgproto3.Parse{Name: "f", Query: "fetch 2 from c"}, &pgproto3.Bind{PreparedStatement: "f", DestinationPortal: "pf"},
		&pgproto3.Parse{Name: "d", Query: "declare c cursor for select id, s from t order by id"}, &pgproto3.Bind{PreparedStatement: "d", DestinationPortal: "pd"},
		&pgproto3.Execute{Portal: "pd"}, &pgproto3.Execute{Portal: "pf"}, &pgproto3.Sync{})
	names, vals := r.until("ReadyForQuery")
	if got := strings.Join(names, " "); got != "ParseComplete BindComplete ParseComplete BindComplete CommandComplete DataRow DataRow CommandComplete ReadyForQuery" || strings.Join(vals, " ") != "0 1" {
		t.Fatalf("got %s %v", got, vals)
	}
}
