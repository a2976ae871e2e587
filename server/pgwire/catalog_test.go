package pgwire_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestCatalogTypesOverWire checks that catalog columns reach clients with
// PostgreSQL's type OIDs (oid 26, name 19, "char" 18, regclass 2205) and
// values in every exec mode, including the binary ones pgx picks for oid
// and name.
func TestCatalogTypesOverWire(t *testing.T) {
	addr := startServer(t)
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeCacheDescribe} {
		c := connect(t, addr, mode)
		rows, err := c.Query(context.Background(),
			"SELECT c.oid, c.relname, c.relkind, c.oid::regclass, c.relnatts FROM pg_catalog.pg_class c WHERE c.relname IN ('t', 'pg_class') ORDER BY c.relname")
		if err != nil {
			t.Fatalf("mode %v: %v", mode, err)
		}
		fds := rows.FieldDescriptions()
		want := []uint32{26, 19, 18, 2205, 21}
		for i, fd := range fds {
			if fd.DataTypeOID != want[i] {
				t.Errorf("mode %v: column %s has type %d, want %d", mode, fd.Name, fd.DataTypeOID, want[i])
			}
		}
		var got []string
		for rows.Next() {
			var oid uint32
			var name, kind, reg string
			var natts int16
			if err := rows.Scan(&oid, &name, &kind, &reg, &natts); err != nil {
				t.Fatalf("mode %v: scan: %v", mode, err)
			}
			got = append(got, strings.Join([]string{name, kind, reg}, "/"))
			if name == "pg_class" && oid != 1259 || name == "t" && oid < 16384 {
				t.Errorf("mode %v: %s has oid %d", mode, name, oid)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("mode %v: %v", mode, err)
		}
		if strings.Join(got, ",") != "pg_class/r/pg_class,t/r/t" {
			t.Errorf("mode %v: rows %v", mode, got)
		}
		// A parameter compared with an oid column.
		var n int
		if err := c.QueryRow(context.Background(), "SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attnum > 0", "t").Scan(&n); err != nil || n != 8 {
			t.Errorf("mode %v: attributes of t: %d, %v", mode, n, err)
		}
	}
}

// TestPsqlDescribe runs psql's own \d family against the server: each
// must succeed and list the fixture tables and columns with PostgreSQL's
// type names.
func TestPsqlDescribe(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	addr := startServer(t)
	host, port, _ := strings.Cut(addr, ":")
	run := func(t *testing.T, cmd string) string {
		t.Helper()
		c := exec.Command(psql, "-X", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", "tester", "-d", "basalt", "-c", cmd)
		c.Env = append(c.Environ(), "PGCONNECT_TIMEOUT=10", "PGSSLMODE=disable")
		out, err := c.CombinedOutput()
		if err != nil || strings.Contains(string(out), "ERROR") {
			t.Fatalf("psql %s: %v\n%s", cmd, err, out)
		}
		return string(out)
	}
	cases := []struct {
		cmd  string
		want []string
	}{
		{`\dt`, []string{"public | big  | table | tester", "public | t    | table | tester"}},
		{`\dt+`, []string{"| big  | table | tester | permanent   | heap"}},
		{`\dn`, []string{"public | pg_database_owner"}},
		{`\l`, []string{"basalt | tester | UTF8"}},
		{`\dS`, []string{"pg_catalog | pg_class", "pg_catalog | pg_roles", "| view"}},
		{`\dt pg_catalog.pg_cl*`, []string{"pg_catalog | pg_class | table"}},
		{`\du`, []string{"tester"}},
		{`\df lower`, []string{"pg_catalog | lower | text             | text"}},
		{`\dv`, []string{"Did not find any relations."}},
		{`\l+`, []string{"basalt | tester | UTF8"}},
	}
	for _, tc := range cases {
		t.Run(tc.cmd, func(t *testing.T) {
			out := run(t, tc.cmd)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("psql %s: output lacks %q:\n%s", tc.cmd, w, out)
				}
			}
		})
	}
	t.Run(`\d t`, func(t *testing.T) {
		out := run(t, `\d t`)
		for _, w := range []string{`Table "public.t"`, " id     | bigint ", " n      | numeric(12,2) ", " ts     | timestamp without time zone ", " s      | text "} {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	})
	t.Run(`\d+ t`, func(t *testing.T) {
		out := run(t, `\d+ t`)
		for _, w := range []string{`Table "public.t"`, "| Storage  |", " d      | date ", "Access method: heap"} {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	})
	t.Run(`\dS+ pg_class`, func(t *testing.T) {
		out := run(t, `\dS+ pg_class`)
		for _, w := range []string{`Table "pg_catalog.pg_class"`, " relname             | name ", " relkind             | \"char\" ", " relacl              | aclitem[] "} {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	})
}

// TestEveryCatalogRelation reads every pg_catalog and information_schema
// relation whole, in text and in the binary formats pgx asks for, so no
// catalog column has a type the wire cannot carry.
func TestEveryCatalogRelation(t *testing.T) {
	addr := startServer(t)
	ctx := context.Background()
	list := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	rows, err := list.Query(ctx, "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('pg_catalog', 'information_schema') ORDER BY 1, 2")
	if err != nil {
		t.Fatal(err)
	}
	var rels []string
	for rows.Next() {
		var nsp, rel string
		if err := rows.Scan(&nsp, &rel); err != nil {
			t.Fatal(err)
		}
		rels = append(rels, nsp+"."+rel)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rels) < 90 {
		t.Fatalf("only %d catalog relations: %v", len(rels), rels)
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheDescribe} {
		c := connect(t, addr, mode)
		for _, rel := range rels {
			rows, err := c.Query(ctx, "SELECT * FROM "+rel)
			if err != nil {
				t.Errorf("mode %v: %s: %v", mode, rel, err)
				continue
			}
			for rows.Next() {
				if _, err := rows.Values(); err != nil {
					t.Errorf("mode %v: %s: %v", mode, rel, err)
					break
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				t.Errorf("mode %v: %s: %v", mode, rel, err)
			}
		}
	}
}
