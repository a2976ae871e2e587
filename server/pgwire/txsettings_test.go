package pgwire_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestSessionStatements runs the session and transaction statements
// clients send, one simple query each, and compares command tags, rows,
// errors and the transaction status with what PostgreSQL 15 answered to
// the same sequence: SET's transactional behaviour (ROLLBACK undoes it,
// SET LOCAL ends with the block, ROLLBACK TO a savepoint undoes what came
// after it), transaction characteristics, savepoints, AND CHAIN, custom
// settings, LISTEN.
func TestSessionStatements(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol).PgConn()
	run := func(sql string) string {
		res, err := c.Exec(context.Background(), sql).ReadAll()
		var out []string
		for _, r := range res {
			s := r.CommandTag.String()
			for _, row := range r.Rows {
				var cells []string
				for _, v := range row {
					cells = append(cells, string(v))
				}
				s += " [" + strings.Join(cells, ",") + "]"
			}
			out = append(out, s)
		}
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			out = append(out, fmt.Sprintf("ERR %s %s pos=%d", pe.Code, pe.Message, pe.Position))
		} else if err != nil {
			out = append(out, "ERR "+err.Error())
		}
		return strings.Join(out, " | ") + fmt.Sprintf(" {%c}", c.TxStatus())
	}
	steps := []struct{ sql, want string }{
		{"show search_path", "SHOW [\"$user\", public] {I}"},
		{"set search_path to default", "SET {I}"},
		{"set session statement_timeout = 100", "SET {I}"},
		{"show statement_timeout", "SHOW [100ms] {I}"},
		{"set time zone 'UTC'", "SET {I}"},
		{"show timezone", "SHOW [UTC] {I}"},
		{"set time zone local", "SET {I}"},
		{"set names 'UTF8'", "SET {I}"},
		{"show client_encoding", "SHOW [UTF8] {I}"},
		{"reset all", "RESET {I}"},
		{"set session characteristics as transaction isolation level serializable", "SET {I}"},
		{"show default_transaction_isolation", "SHOW [serializable] {I}"},
		{"set session characteristics as transaction read only, isolation level read committed", "SET {I}"},
		{"show default_transaction_read_only", "SHOW [on] {I}"},
		{"reset all", "RESET {I}"},
		{"begin isolation level repeatable read read only", "BEGIN {T}"},
		{"show transaction_isolation", "SHOW [repeatable read] {T}"},
		{"show transaction_read_only", "SHOW [on] {T}"},
		{"commit", "COMMIT {I}"},
		{"start transaction read write", "START TRANSACTION {T}"},
		{"savepoint s1", "SAVEPOINT {T}"},
		{"select 1", "SELECT 1 [1] {T}"},
		{"release savepoint s1", "RELEASE {T}"},
		{"savepoint s2", "SAVEPOINT {T}"},
		{"show nosuch", "ERR 42704 unrecognized configuration parameter \"nosuch\" pos=0 {E}"},
		{"rollback to savepoint s2", "ROLLBACK {T}"},
		{"select 2", "SELECT 1 [2] {T}"},
		{"rollback to s2", "ROLLBACK {T}"},
		{"release s2", "RELEASE {T}"},
		{"release s2", "ERR 3B001 savepoint \"s2\" does not exist pos=0 {E}"},
		{"end", "ROLLBACK {I}"},
		{"abort", "ROLLBACK {I}"},
		{"begin work", "BEGIN {T}"},
		{"set local statement_timeout = '5s'", "SET {T}"},
		{"show statement_timeout", "SHOW [5s] {T}"},
		{"commit", "COMMIT {I}"},
		{"show statement_timeout", "SHOW [0] {I}"},
		{"begin", "BEGIN {T}"},
		{"set local application_name = 'loc'", "SET {T}"},
		{"show application_name", "SHOW [loc] {T}"},
		{"rollback", "ROLLBACK {I}"},
		{"show application_name", "SHOW [] {I}"},
		{"begin", "BEGIN {T}"},
		{"set application_name = 'sess'", "SET {T}"},
		{"rollback", "ROLLBACK {I}"},
		{"show application_name", "SHOW [] {I}"},
		{"set transaction isolation level serializable", "SET {I}"},
		{"begin; set transaction isolation level serializable; show transaction_isolation; commit", "BEGIN | SET | SHOW [serializable] | COMMIT {I}"},
		{"deallocate all", "DEALLOCATE ALL {I}"},
		{"deallocate nosuch", "ERR 26000 prepared statement \"nosuch\" does not exist pos=0 {I}"},
		{"listen foo", "LISTEN {I}"},
		{"unlisten *", "UNLISTEN {I}"},
		{"discard plans", "DISCARD PLANS {I}"},
		{"discard temp", "DISCARD TEMP {I}"},
		{"discard sequences", "DISCARD SEQUENCES {I}"},
		{"set transaction_isolation = 'serializable'", "SET {I}"},
		{"set statement_timeout = default", "SET {I}"},
		{"set datestyle to 'ISO, MDY'", "SET {I}"},
		{"set extra_float_digits = 3", "SET {I}"},
		{"set xyz.abc = 'custom'", "SET {I}"},
		{"show xyz.abc", "SHOW [custom] {I}"},
		{"select current_setting('xyz.abc')", "SELECT 1 [custom] {I}"},
		{"set role none", "SET {I}"},
		{"reset role", "RESET {I}"},
		{"set session authorization default", "SET {I}"},
		{"commit and chain", "ERR 25P01 COMMIT AND CHAIN can only be used in transaction blocks pos=0 {I}"},
		{"select 1 from", "ERR 42601 syntax error at end of input pos=14 {I}"},
		{"select pg_catalog.sum(1)", "SELECT 1 [1] {I}"},
		{"begin", "BEGIN {T}"},
		{"select set_config('application_name', 'cfg', true)", "SELECT 1 [cfg] {T}"},
		{"show application_name", "SHOW [cfg] {T}"},
		{"savepoint a", "SAVEPOINT {T}"},
		{"set application_name = 'in_a'", "SET {T}"},
		{"set local search_path = pg_catalog", "SET {T}"},
		{"rollback to a", "ROLLBACK {T}"},
		{"show application_name", "SHOW [cfg] {T}"},
		{"show search_path", "SHOW [\"$user\", public] {T}"},
		{"commit", "COMMIT {I}"},
		{"show application_name", "SHOW [] {I}"},
		{"set abc.def = 'x'", "SET {I}"},
		{"select current_setting('abc.def'), current_setting('abc.nope', true)", "SELECT 1 [x,] {I}"},
		{"reset abc.def", "RESET {I}"},
		{"show abc.def", "SHOW [] {I}"},
		{"commit and chain", "ERR 25P01 COMMIT AND CHAIN can only be used in transaction blocks pos=0 {I}"},
		{"rollback and chain", "ERR 25P01 ROLLBACK AND CHAIN can only be used in transaction blocks pos=0 {I}"},
		{"set session authorization 'somebody'", "ERR 42501 permission denied to set session authorization pos=0 {I}"},
	}
	for _, s := range steps {
		if got := run(s.sql); got != s.want {
			t.Errorf("%s\n got  %s\n want %s", s.sql, got, s.want)
		}
	}
}

// TestFrontErrorPositions checks that what the dialect front rejects
// reaches the client as an ErrorResponse with PostgreSQL's SQLSTATE and the
// position in the client's own text (PostgreSQL 15's answers).
func TestFrontErrorPositions(t *testing.T) {
	addr := startServer(t)
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		c := connect(t, addr, mode)
		cases := []struct {
			sql, code, msg string
			pos            int32
		}{
			{`select 'a' collate "xx"`, "42704", `collation "xx" for encoding "UTF8" does not exist`, 12},
			{"select 1 +", "42601", "syntax error at end of input", 11},
			{"select n from t where x = = 1", "42601", `syntax error at or near "="`, 27},
			{"select 'a' operator(foo.=) 'b'", "3F000", `schema "foo" does not exist`, 12},
			{"select (1", "42601", "syntax error at end of input", 10},
			{"selec 1", "42601", `syntax error at or near "selec"`, 1},
			{"select 1 from t limit 1, 2", "42601", "LIMIT #,# syntax is not supported", 17},
		}
		for _, tc := range cases {
			_, err := c.Exec(context.Background(), tc.sql)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != tc.code || pe.Message != tc.msg || pe.Position != tc.pos {
				t.Errorf("%v %s: got %+v, want %s %q at %d", mode, tc.sql, err, tc.code, tc.msg, tc.pos)
			}
		}
		if _, err := c.Exec(context.Background(), "select 1"); err != nil {
			t.Fatalf("after errors: %v", err)
		}
	}
}

// TestSleepCancels checks that pg_sleep gives up with 57014 when the
// statement times out instead of holding the connection.
func TestSleepCancels(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "set statement_timeout = 200"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.Exec(ctx, "select pg_sleep(30)")
	if sqlState(err) != "57014" {
		t.Fatalf("pg_sleep under statement_timeout: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("pg_sleep took %v to cancel", d)
	}
	var s string
	if err := c.QueryRow(ctx, "select pg_sleep(0.01)::text").Scan(&s); err != nil || s != "" {
		t.Fatalf("short sleep: %q %v", s, err)
	}
}
