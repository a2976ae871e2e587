package replay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `-- preamble, ignored

-- name: first
-- source: somewhere
-- param: varchar public
-- param: int8 ${oid}
-- expect: row a | b
-- expect: rows 2
-- capture: x
SELECT $1, $2
-- a comment inside the statement
FROM t

-- name: second
-- skip: 42P01 relation "t" does not exist
-- compare: rows
-- ping
`

func writeSample(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.sql")
	if err := os.WriteFile(p, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseFile(t *testing.T) {
	recs, err := ParseFile(writeSample(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	a, b := recs[0], recs[1]
	if a.Name != "first" || a.Line != 3 || a.Mode != Extended || a.Capture != "x" || a.Source != "somewhere" {
		t.Errorf("first: %+v", a)
	}
	if len(a.Params) != 2 || a.Params[0] != (Param{OID: 1043, Value: "public"}) || a.Params[1] != (Param{OID: 20, Value: "${oid}"}) {
		t.Errorf("params %+v", a.Params)
	}
	if want := "SELECT $1, $2\n-- a comment inside the statement\nFROM t"; a.SQL != want {
		t.Errorf("sql %q, want %q", a.SQL, want)
	}
	if len(a.Expects) != 2 || a.Expects[0].Kind != "row" || strings.Join(a.Expects[0].Args, ",") != "a,b" {
		t.Errorf("expects %+v", a.Expects)
	}
	// A statement that is only a comment stays a statement (pgx's ping).
	if b.SQL != "-- ping" || b.Skip == "" || !b.CompareRows || b.Mode != Simple {
		t.Errorf("second: %+v", b)
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{
		"-- name: x\n-- param: nosuchtype 1\nSELECT 1\n",
		"-- name: x\n-- expect: rows many\nSELECT 1\n",
		"-- name: x\n-- mode: fancy\nSELECT 1\n",
		"-- name: x\n-- skip:\nSELECT 1\n",
		"-- name: x\n-- source: y\n\n-- name: z\nSELECT 1\n",
	} {
		p := filepath.Join(t.TempDir(), "b.sql")
		if err := os.WriteFile(p, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseFile(p); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

func TestSubstituteAndCheck(t *testing.T) {
	s, err := Substitute("WHERE oid = ${t} AND x = '${t}'", map[string]string{"t": "16384"})
	if err != nil || s != "WHERE oid = 16384 AND x = '16384'" {
		t.Fatalf("%q %v", s, err)
	}
	if _, err := Substitute("${missing}", nil); err == nil {
		t.Fatal("no error for a missing variable")
	}
	v := func(s string) *string { return &s }
	rows := [][]*string{{v("public"), v("lineitem"), v("TABLE")}, {v("x"), nil}}
	cols := []string{"schema", "name", "type"}
	for _, c := range []struct {
		e  Expect
		ok bool
	}{
		{Expect{Kind: "cell", Args: []string{"lineitem"}}, true},
		{Expect{Kind: "cell", Args: []string{"orders"}}, false},
		{Expect{Kind: "row", Args: []string{"lineitem", "TABLE"}}, true},
		{Expect{Kind: "row", Args: []string{"public", "TABLE"}}, false}, // not consecutive
		{Expect{Kind: "row", Args: []string{"x", "NULL"}}, true},
		{Expect{Kind: "rows", Args: []string{"2"}}, true},
		{Expect{Kind: "rows", Args: []string{"3"}}, false},
		{Expect{Kind: "minrows", Args: []string{"1"}}, true},
		{Expect{Kind: "columns", Args: []string{"schema", "name", "type"}}, true},
		{Expect{Kind: "columns", Args: []string{"schema", "name"}}, false},
	} {
		if got := c.e.Check(cols, rows) == ""; got != c.ok {
			t.Errorf("%+v: ok %v, want %v", c.e, got, c.ok)
		}
	}
}

func TestRewriteHeaders(t *testing.T) {
	p := writeSample(t)
	recs, err := ParseFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// The first record now fails, the second passes.
	if err := rewriteHeaders(p, recs, "skip", map[*Record]string{recs[0]: "42P01 gone"}); err != nil {
		t.Fatal(err)
	}
	again, err := ParseFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Skip != "42P01 gone" || again[1].Skip != "" {
		t.Fatalf("skips %q %q", again[0].Skip, again[1].Skip)
	}
	if again[0].SQL != recs[0].SQL || again[1].SQL != recs[1].SQL || !again[1].CompareRows {
		t.Fatal("rewriting the headers changed the statements")
	}
}
