package pgwire_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

func TestStartupParameters(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	pc := c.PgConn()
	want := map[string]string{
		"server_version": "16.4 (Basalt)", "server_encoding": "UTF8", "client_encoding": "UTF8",
		"DateStyle": "ISO, MDY", "TimeZone": "UTC", "integer_datetimes": "on",
		"standard_conforming_strings": "on", "application_name": "pgwire-test", "is_superuser": "off",
		"IntervalStyle": "postgres",
	}
	for k, v := range want {
		if got := pc.ParameterStatus(k); got != v {
			t.Errorf("ParameterStatus(%s) = %q, want %q", k, got, v)
		}
	}
	if pc.PID() == 0 {
		t.Error("no BackendKeyData")
	}
	var num string
	if err := c.QueryRow(context.Background(), "show server_version_num").Scan(&num); err != nil || num != "160004" {
		t.Errorf("show server_version_num = %q, %v", num, err)
	}
}

func TestSimpleQueryTypes(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	ctx := context.Background()
	rows, err := c.Query(ctx, "select id, i, s, f, n, d, ts, b from t where id in (3, 4) order by id")
	if err != nil {
		t.Fatal(err)
	}
	fds := rows.FieldDescriptions()
	wantOIDs := []uint32{20, 23, 25, 701, 1700, 1082, 1114, 16}
	for i, fd := range fds {
		if fd.DataTypeOID != wantOIDs[i] {
			t.Errorf("column %s OID %d, want %d", fd.Name, fd.DataTypeOID, wantOIDs[i])
		}
	}
	if fds[4].TypeModifier != (12<<16|2)+4 {
		t.Errorf("numeric(12,2) typmod %d", fds[4].TypeModifier)
	}
	var got []string
	for rows.Next() {
		var (
			id int64
			i  *int32
			s  *string
			f  float64
			n  pgtype.Numeric
			d  time.Time
			ts time.Time
			b  bool
		)
		if err := rows.Scan(&id, &i, &s, &f, &n, &d, &ts, &b); err != nil {
			t.Fatal(err)
		}
		nv, _ := n.Value()
		iv, sv := "NULL", "NULL"
		if i != nil {
			iv = itoa(int64(*i))
		}
		if s != nil {
			sv = *s
		}
		got = append(got, strings.Join([]string{itoa(id), iv, sv, ftoa(f), nv.(string), d.Format("2006-01-02"), ts.Format("2006-01-02 15:04:05"), btoa(b)}, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"3|NULL|NULL|0.75|-496.97|2020-01-04|2020-01-01 03:00:00|false",
		"4|4|se|1|-495.96|2020-01-05|2020-01-01 04:00:00|true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func btoa(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// rawExec runs a simple-query string and returns each statement's tag and
// rows as text.
func rawExec(t *testing.T, c *pgx.Conn, sql string) ([]*pgconn.Result, error) {
	t.Helper()
	return c.PgConn().Exec(context.Background(), sql).ReadAll()
}

func TestMultiStatementAndEmpty(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	res, err := rawExec(t, c, "select 1 as a; select count(*) from t; show DateStyle")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("%d results", len(res))
	}
	if string(res[0].Rows[0][0]) != "1" || res[0].CommandTag.String() != "SELECT 1" {
		t.Errorf("first: %q %s", res[0].Rows, res[0].CommandTag)
	}
	if string(res[1].Rows[0][0]) != "5000" {
		t.Errorf("count: %q", res[1].Rows)
	}
	if res[2].FieldDescriptions[0].Name != "DateStyle" || string(res[2].Rows[0][0]) != "ISO, MDY" || res[2].CommandTag.String() != "SHOW" {
		t.Errorf("show: %+v %q %s", res[2].FieldDescriptions, res[2].Rows, res[2].CommandTag)
	}
	// Empty query text answers EmptyQueryResponse.
	res, err = rawExec(t, c, " ; ")
	if err != nil || len(res) != 1 || res[0].CommandTag.String() != "" {
		t.Errorf("empty query: %v %v", res, err)
	}
	// Rows stream over several batches.
	res, err = rawExec(t, c, "select id, s from t")
	if err != nil || len(res[0].Rows) != 5000 || res[0].CommandTag.String() != "SELECT 5000" {
		t.Errorf("all rows: %d %v", len(res[0].Rows), err)
	}
}

func TestErrorsSkipRest(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	_, err := rawExec(t, c, "select 1; select nosuch from t; select 2")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42703" || pe.Severity != "ERROR" {
		t.Fatalf("error %v", err)
	}
	_, err = rawExec(t, c, "select 1 frm t")
	if !errors.As(err, &pe) || pe.Code != "42601" || pe.Position != 14 {
		t.Fatalf("syntax error %+v", err)
	}
	_, err = rawExec(t, c, "select 1/0")
	if sqlState(err) != "22012" {
		t.Fatalf("division: %v", err)
	}
	_, err = rawExec(t, c, "select * from nosuch")
	if sqlState(err) != "42P01" {
		t.Fatalf("undefined table: %v", err)
	}
	// The connection still works.
	var n int64
	if err := c.QueryRow(context.Background(), "select count(*) from t where b").Scan(&n); err != nil || n != 2500 {
		t.Fatalf("after errors: %d %v", n, err)
	}
}

func TestTransactionStatus(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	pc := c.PgConn()
	step := func(sql string, wantStatus byte, wantErr string) {
		t.Helper()
		_, err := pc.Exec(context.Background(), sql).ReadAll()
		if got := sqlState(err); got != wantErr {
			t.Errorf("%s: error %v, want %q", sql, err, wantErr)
		}
		if s := pc.TxStatus(); s != wantStatus {
			t.Errorf("%s: status %c, want %c", sql, s, wantStatus)
		}
	}
	step("begin", 'T', "")
	step("select 1", 'T', "")
	step("select 1/0", 'E', "22012")
	step("select 1", 'E', "25P02")
	step("commit", 'I', "")
	step("begin read only", 'T', "")
	step("rollback", 'I', "")
	step("savepoint a", 'I', "25P01")
	step("begin; select 1/0", 'E', "22012")
	step("rollback", 'I', "")
	step("commit", 'I', "")
}

func TestSetShow(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	ctx := context.Background()
	show := func(name string) string {
		t.Helper()
		var v string
		if err := c.QueryRow(ctx, "show "+name).Scan(&v); err != nil {
			t.Fatalf("show %s: %v", name, err)
		}
		return v
	}
	if _, err := c.Exec(ctx, "set application_name = 'abc'"); err != nil {
		t.Fatal(err)
	}
	if v := show("application_name"); v != "abc" {
		t.Errorf("application_name %q", v)
	}
	if c.PgConn().ParameterStatus("application_name") != "abc" {
		t.Errorf("no ParameterStatus after SET")
	}
	if _, err := c.Exec(ctx, "set statement_timeout to 1500"); err != nil {
		t.Fatal(err)
	}
	if v := show("statement_timeout"); v != "1500ms" {
		t.Errorf("statement_timeout %q", v)
	}
	if _, err := c.Exec(ctx, "reset statement_timeout"); err != nil {
		t.Fatal(err)
	}
	if v := show("statement_timeout"); v != "0" {
		t.Errorf("after reset %q", v)
	}
	_, err := c.Exec(ctx, "show no_such_thing")
	if sqlState(err) != "42704" {
		t.Errorf("unknown show: %v", err)
	}
	_, err = c.Exec(ctx, "set no_such_thing = 1")
	if sqlState(err) != "42704" {
		t.Errorf("unknown set: %v", err)
	}
	_, err = c.Exec(ctx, "set server_version = '1'")
	if sqlState(err) != "55P02" {
		t.Errorf("read-only set: %v", err)
	}
	if _, err := c.Exec(ctx, "set application_name = 'x'; discard all"); err != nil {
		t.Fatal(err)
	}
	if v := show("application_name"); v != "" {
		t.Errorf("after discard all %q", v)
	}
	res, err := rawExec(t, c, "show all")
	if err != nil || len(res[0].Rows) < 20 || len(res[0].FieldDescriptions) != 3 {
		t.Errorf("show all: %v", err)
	}
}

func TestCancelAndTimeout(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	const slow = "select count(*) from big a, big b, big c where a.x + b.x + c.x > -1"
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Exec(ctx, slow)
	if sqlState(err) != "57014" && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancel took %v", d)
	}
	// pgx closes the connection when its context ends; use a fresh one and
	// cancel through the protocol directly, once the first row is in: the
	// statement runs for sure then. A cancel on a timer could reach the
	// server before it had read the query (under load), which ignores it
	// as PostgreSQL does, and the statement then ran for hours.
	c2 := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	mrr := c2.PgConn().Exec(context.Background(), endless)
	if !mrr.NextResult() {
		t.Fatalf("no result: %v", mrr.Close())
	}
	res := mrr.ResultReader()
	if !res.NextRow() {
		_, err := res.Close()
		t.Fatalf("no first row: %v", err)
	}
	if err := c2.PgConn().CancelRequest(context.Background()); err != nil {
		t.Fatal(err)
	}
	for res.NextRow() {
	}
	_, err = res.Close()
	if cerr := mrr.Close(); err == nil {
		err = cerr
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || pe.Message != "canceling statement due to user request" {
		t.Fatalf("cancel request: %v", err)
	}
	if _, err := c2.Exec(context.Background(), "set statement_timeout = '300ms'"); err != nil {
		t.Fatal(err)
	}
	_, err = c2.Exec(context.Background(), slow)
	if !errors.As(err, &pe) || pe.Code != "57014" || pe.Message != "canceling statement due to statement timeout" {
		t.Fatalf("timeout: %v", err)
	}
	var one int
	if err := c2.QueryRow(context.Background(), "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after cancel: %v", err)
	}
}
