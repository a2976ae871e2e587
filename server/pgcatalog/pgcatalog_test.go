package pgcatalog

import (
	"testing"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

func testCatalog(t *testing.T) *Catalog {
	t.Helper()
	data, err := storage.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return New(data)
}

func TestFormatType(t *testing.T) {
	c := testCatalog(t)
	cases := []struct {
		oid, mod int64
		have     bool
		want     string
	}{
		{1700, 655366, true, "numeric(10,2)"}, {1043, 24, true, "character varying(20)"},
		{1042, -1, true, "bpchar"}, {1042, 5, true, "character(1)"}, {1042, 0, false, "character"},
		{23, 0, false, "integer"}, {1184, 3, true, "timestamp(3) with time zone"},
		{1083, -1, true, "time without time zone"}, {19, -1, true, "name"}, {18, -1, true, `"char"`},
		{1007, -1, true, "integer[]"}, {99999, -1, true, "???"}, {2205, -1, true, "regclass"},
		{1015, 14, true, "character varying(10)[]"}, {1231, 655366, true, "numeric(10,2)[]"},
		{22, -1, true, "int2vector"}, {701, -1, true, "double precision"},
	}
	for _, tc := range cases {
		if got := c.FormatType(tc.oid, tc.mod, tc.have); got != tc.want {
			t.Errorf("format_type(%d, %d) = %q, want %q", tc.oid, tc.mod, got, tc.want)
		}
	}
}

func TestSizePretty(t *testing.T) {
	// Outputs of PostgreSQL 15's pg_size_pretty(bigint).
	cases := map[int64]string{
		0: "0 bytes", 10239: "10239 bytes", 10240: "10 kB", 123456789: "118 MB", -20000: "-20 kB",
		1073741824: "1024 MB", 5000000000000: "4657 GB", 20971519: "20 MB", 10485759: "10 MB", 32985348833280: "30 TB",
	}
	for in, want := range cases {
		if got := SizePretty(in); got != want {
			t.Errorf("pg_size_pretty(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestRegInOut(t *testing.T) {
	v := testCatalog(t).View(nil)
	ok := []struct {
		t    types.T
		in   string
		oid  int64
		name string
	}{
		{types.RegClassT, "pg_class", 1259, "pg_class"},
		{types.RegClassT, `"pg_class"`, 1259, "pg_class"},
		{types.RegClassT, "PG_CATALOG.PG_CLASS", 1259, "pg_class"},
		{types.RegClassT, "information_schema.tables", 13425, "information_schema.tables"},
		{types.RegClassT, "-", 0, "-"},
		{types.RegClassT, "42", 42, "42"},
		{types.RegTypeT, "int4", 23, "integer"},
		{types.RegTypeT, "character varying(20)", 1043, "character varying"},
		{types.RegTypeT, "int[]", 1007, "integer[]"},
		{types.RegTypeT, "pg_catalog.timestamptz", 1184, "timestamp with time zone"},
		{types.RegNamespaceT, "public", 2200, "public"},
		{types.RegProcT, "array_in", 750, "array_in"},
	}
	for _, tc := range ok {
		oid, err := v.RegIn(tc.t, tc.in)
		if err != nil || oid != tc.oid {
			t.Errorf("%s in %q = %d, %v; want %d", tc.t, tc.in, oid, err, tc.oid)
			continue
		}
		if got := v.RegOut(tc.t, oid); got != tc.name {
			t.Errorf("%s out %d = %q, want %q", tc.t, oid, got, tc.name)
		}
	}
	bad := []struct {
		t    types.T
		in   string
		code string
	}{
		{types.RegClassT, "nosuch", sqlerr.UndefinedTable},
		{types.RegClassT, "nosuch.t", sqlerr.InvalidSchemaName},
		{types.RegClassT, `"unterminated`, sqlerr.InvalidTextRepresentation},
		{types.RegTypeT, "nosuch", sqlerr.UndefinedObject},
		{types.RegProcT, "lower", sqlerr.AmbiguousFunction},
		{types.RegProcT, "nosuch", sqlerr.UndefinedFunction},
		{types.RegNamespaceT, "nosuch", sqlerr.InvalidSchemaName},
	}
	for _, tc := range bad {
		if _, err := v.RegIn(tc.t, tc.in); sqlerr.Code(err) != tc.code {
			t.Errorf("%s in %q: err %v, want %s", tc.t, tc.in, err, tc.code)
		}
	}
}

func TestRelationsHaveProducersForTheirColumns(t *testing.T) {
	c := testCatalog(t)
	v := c.View(nil)
	for _, r := range c.rels {
		rows, err := v.rowsOf(r)
		if err != nil {
			t.Errorf("%s.%s: %v", r.schema, r.name, err)
		}
		// NOT NULL columns (the planner trusts Nullable) must be filled.
		missing := map[string]bool{}
		for _, row := range rows {
			for i, val := range row {
				if val == nil && !r.cols[i].Nullable {
					missing[r.cols[i].Name] = true
				}
			}
		}
		for name := range missing {
			t.Errorf("%s.%s: NOT NULL column %s has NULLs", r.schema, r.name, name)
		}
	}
	for name := range producers {
		schema, rel, _ := cutDot(name)
		if c.bySchema[schema][rel] == nil {
			t.Errorf("producer for unknown relation %s", name)
		}
	}
}

func cutDot(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return "", s, false
}
