package pgwire_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestResultShapes checks the type OIDs and typmods of result columns that
// clients read from RowDescription, as PostgreSQL 15 reports them (checked
// with psql against a real server), and the values in text and binary:
// the session functions are name, casts to varchar(n)/char(n) keep n as the
// typmod n+4, character(n) is padded with spaces on output, and what the
// string types meet as (|| is text, CASE with a text ELSE is text).
func TestResultShapes(t *testing.T) {
	addr := startServer(t)
	type col struct {
		oid    uint32
		typmod int32
		value  string
	}
	cases := []struct {
		sql  string
		want []col
	}{
		{`SELECT current_database(), current_catalog, current_schema(), session_user, current_user, user, current_role`,
			[]col{{19, -1, "basalt"}, {19, -1, "basalt"}, {19, -1, "public"}, {19, -1, ""}, {19, -1, ""}, {19, -1, ""}, {19, -1, ""}}},
		{`SELECT 'x'::varchar(60), CAST('abcdef' AS VARCHAR(3)), 'x'::varchar, 'a'::char(3), 'abc'::char, 'ab  '::bpchar(4)`,
			[]col{{1043, 64, "x"}, {1043, 7, "abc"}, {1043, -1, "x"}, {1042, 7, "a  "}, {1042, 5, "a"}, {1042, 8, "ab  "}}},
		{`SELECT 'a'::varchar(4) || 'b', 'a'::char(3) || 'b', length('a'::char(3)), 'a'::char(3) = 'a  '::char(3)`,
			[]col{{25, -1, "ab"}, {25, -1, "ab"}, {23, -1, "1"}, {16, -1, "t"}}},
		{`SELECT CASE WHEN true THEN 'a'::varchar(3) ELSE 'b'::text END, coalesce('a'::varchar(3), 'b'::varchar(3))`,
			[]col{{25, -1, "a"}, {1043, 7, "a"}}},
		{`SELECT x FROM (SELECT 'a'::varchar(3) AS x UNION ALL SELECT 'bb'::varchar(5)) s ORDER BY x LIMIT 1`,
			[]col{{1043, -1, "a"}}},
		{`SELECT x FROM (SELECT 'a'::varchar(3) AS x UNION ALL SELECT 'bb'::varchar(3)) s ORDER BY x LIMIT 1`,
			[]col{{1043, 7, "a"}}},
		// max(bpchar(3)) is bpchar with typmod -1 in PostgreSQL, its value
		// padded; Basalt pads by the length, so it keeps it (7).
		{`SELECT min(x), max(x::char(3)), string_agg(x, ','), mode() WITHIN GROUP (ORDER BY x) FROM (SELECT 'a'::varchar(3) AS x) s`,
			[]col{{25, -1, "a"}, {1042, 7, "a  "}, {25, -1, "a"}, {1043, -1, "a"}}},
		{`SELECT is_nullable FROM information_schema.columns WHERE table_name = 't' AND is_nullable = 'NO' LIMIT 1`,
			[]col{{1043, 7, "NO"}}},
		{`SELECT CASE WHEN c.relname = 't' THEN t.typelem ELSE 0 END FROM pg_class c, pg_type t WHERE t.typname = '_int4' AND c.relname = 't'`,
			[]col{{26, -1, "23"}}},
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		c := connect(t, addr, mode)
		user := c.Config().User
		for _, tc := range cases {
			rows, err := c.Query(context.Background(), tc.sql)
			if err != nil {
				t.Fatalf("mode %v: %s: %v", mode, tc.sql, err)
			}
			fds := rows.FieldDescriptions()
			if len(fds) != len(tc.want) {
				rows.Close()
				t.Fatalf("mode %v: %s: %d columns, want %d", mode, tc.sql, len(fds), len(tc.want))
			}
			for i, fd := range fds {
				if fd.DataTypeOID != tc.want[i].oid || fd.TypeModifier != tc.want[i].typmod {
					t.Errorf("mode %v: %s: column %d (%s) is %d/%d, want %d/%d", mode, tc.sql, i+1, fd.Name,
						fd.DataTypeOID, fd.TypeModifier, tc.want[i].oid, tc.want[i].typmod)
				}
			}
			if !rows.Next() {
				t.Fatalf("mode %v: %s: no row (%v)", mode, tc.sql, rows.Err())
			}
			raw := rows.RawValues()
			for i, w := range tc.want {
				want := w.value
				if w.oid == 19 && want == "" {
					want = user
				}
				got := string(raw[i])
				if fds[i].Format == 1 && w.oid == 16 {
					got = map[string]string{"\x01": "t", "\x00": "f"}[got]
				}
				if fds[i].Format == 1 && w.oid == 23 {
					continue // an int4 in binary; its OID is checked above
				}
				if got != want {
					t.Errorf("mode %v: %s: column %d is %q, want %q", mode, tc.sql, i+1, got, want)
				}
			}
			rows.Close()
		}
		c.Close(context.Background())
	}
}

// TestSearchPath checks that SET search_path changes where unqualified
// names are found and what current_schema(s) say, as in PostgreSQL:
// pg_catalog is searched first unless the path lists it, and schemas that
// do not exist ("$user", nosuch) are skipped.
func TestSearchPath(t *testing.T) {
	addr := startServer(t)
	ctx := context.Background()
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	defer c.Close(ctx)
	one := func(sql string) string {
		t.Helper()
		var s string
		if err := c.QueryRow(ctx, sql).Scan(&s); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return s
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	steps := []struct{ sql, want string }{
		{`SELECT current_schema() || ' ' || current_schemas(true)::text`, "public {pg_catalog,public}"},
		{`SELECT 'information_schema.tables'::regclass::text`, "information_schema.tables"},
		{`SET search_path TO information_schema, nosuch, public`, ""},
		{`SELECT current_schema() || ' ' || current_schemas(true)::text || ' ' || current_schemas(false)::text`,
			"information_schema {pg_catalog,information_schema,public} {information_schema,public}"},
		{`SELECT count(*)::text FROM tables WHERE table_name = 't'`, "1"},
		{`SELECT count(*)::text FROM t WHERE false`, "0"},
		{`SELECT 'information_schema.tables'::regclass::text`, "tables"},
		{`SELECT pg_table_is_visible('information_schema.tables'::regclass)::text`, "true"},
		{`SET search_path TO public, pg_catalog`, ""},
		{`SELECT current_schemas(true)::text`, "{public,pg_catalog}"},
		{`SELECT pg_table_is_visible('information_schema.tables'::regclass)::text`, "false"},
		{`RESET search_path`, ""},
		{`SELECT current_schema()`, "public"},
	}
	for _, s := range steps {
		if s.want == "" {
			exec(s.sql)
			continue
		}
		if got := one(s.sql); got != s.want {
			t.Errorf("%s: got %q, want %q", s.sql, got, s.want)
		}
	}
	exec(`SET search_path = ''`)
	if got := one(`SELECT coalesce(current_schema(), 'NULL') || ' ' || current_schemas(true)::text`); got != "NULL {pg_catalog}" {
		t.Errorf("empty path: current_schema(s) %q", got)
	}
	one(`SELECT count(*)::text FROM pg_class`)
	_, err := c.Exec(ctx, `SELECT * FROM t`)
	if code := sqlState(err); code != "42P01" {
		t.Errorf("t off the path: error %v, want 42P01", err)
	}
	if got := one(`SELECT count(*)::text FROM public.t WHERE false`); got != "0" {
		t.Errorf("public.t off the path: %q", got)
	}
}
