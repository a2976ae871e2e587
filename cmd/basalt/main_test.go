package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/test/slt"
)

var (
	dataOnce sync.Once
	dataDir  string
	dataErr  error
	binOnce  sync.Once
	binPath  string
	binErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if dataDir != "" {
		os.RemoveAll(dataDir)
	}
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func data(t *testing.T) string {
	t.Helper()
	dataOnce.Do(func() {
		dataDir, dataErr = os.MkdirTemp("", "cli-test-")
		if dataErr == nil {
			dataErr = slt.WriteParquet(dataDir, slt.Fixtures())
		}
	})
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	return dataDir
}

func queryOut(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := queryCmd(context.Background(), append([]string{"--data", data(t)}, args...), &out)
	return out.String(), err
}

func TestCSV(t *testing.T) {
	out, err := queryOut(t, "--format", "csv", `select id, s as "a,b", v from strs where id in (2, 4, 5, 6) order by id`)
	if err != nil {
		t.Fatal(err)
	}
	want := "id,\"a,b\",v\n2,Hello World,ABC\n4,,\n5,it's,O'Brien\n6,\"  padded  \",x\n"
	if out != want {
		t.Errorf("csv:\n%q\nwant\n%q", out, want)
	}
	// Quotes and newlines inside values are quoted per RFC 4180 and read back.
	out, err = queryOut(t, "--format", "csv", `select 'say "hi"' as q, E'two\nlines' as nl, null::text as n`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "q,nl,n\n\"say \"\"hi\"\"\",\"two\nlines\",\n") {
		t.Errorf("csv quoting: %q", out)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != `say "hi"` || recs[1][1] != "two\nlines" || recs[1][2] != "" {
		t.Errorf("csv does not read back: %q %v", recs, err)
	}
}

func TestJSONAndTable(t *testing.T) {
	out, err := queryOut(t, "--format", "json", "select id, name, salary, manager_id from emp where id in (1, 2) order by id")
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("json %q: %v", out, err)
	}
	if len(rows) != 2 || rows[0]["name"] != "Alice" || rows[0]["manager_id"] != nil || rows[1]["salary"] != 85000.0 {
		t.Errorf("json rows %v", rows)
	}
	out, err = queryOut(t, "select id, name from dept order by id")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 7 || !strings.Contains(lines[0], "id") || !strings.HasPrefix(lines[1], "----+") ||
		!strings.Contains(lines[2], " 10 | Engineering") || lines[6] != "(4 rows)" {
		t.Errorf("table:\n%s", out)
	}
}

func TestScriptFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "q.sql")
	os.WriteFile(f, []byte("select count(*) as c from dept;\n-- comment\nselect 'a;b' as s;\n"), 0o644)
	out, err := queryOut(t, "--format", "csv", "-f", f)
	if err != nil {
		t.Fatal(err)
	}
	if out != "c\n4\ns\na;b\n" {
		t.Errorf("-f output %q", out)
	}
}

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"": 0, "1024": 1024, "512MB": 512 << 20, "4GiB": 4 << 30, "64kb": 64 << 10, "1 GB": 1 << 30, "10B": 10} {
		got, err := ParseSize(s)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"12XB", "MB", "-", "1.5GB", "abc"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) accepted", s)
		}
	}
	if _, err := queryOut(t, "--memory-limit", "3 parsecs", "select 1"); err == nil {
		t.Error("bad --memory-limit accepted")
	}
	if out, err := queryOut(t, "--memory-limit", "64MB", "--format", "csv", "select count(*) from big"); err != nil || out != "count\n3000\n" {
		t.Errorf("--memory-limit 64MB: %q %v", out, err)
	}
}

func TestQueryErrors(t *testing.T) {
	cases := []struct{ sql, code, msg string }{
		{"select from where", sqlerr.SyntaxError, "at character"},
		{"select * from nosuch", sqlerr.UndefinedTable, "nosuch"},
		{"select nosuch from emp", sqlerr.UndefinedColumn, "nosuch"},
		{"select nosuch_fn(1)", sqlerr.UndefinedFunction, "nosuch_fn"},
		{"select * from emp where name", sqlerr.DatatypeMismatch, ""},
		{"select 1 + 'a'::text", sqlerr.UndefinedFunction, ""},
		{"select 1/0", sqlerr.DivisionByZero, "division by zero"},
		{"select 2147483647 + 1", sqlerr.NumericValueOutOfRange, "out of range"},
	}
	for _, c := range cases {
		_, err := queryOut(t, c.sql)
		if got := sqlerr.Code(err); got != c.code {
			t.Errorf("%s: %v (SQLSTATE %s), want %s", c.sql, err, got, c.code)
			continue
		}
		line := errorLine(err)
		if strings.Contains(line, "\n") || !strings.Contains(line, "SQLSTATE "+c.code) || !strings.Contains(line, c.msg) {
			t.Errorf("%s: error line %q", c.sql, line)
		}
	}
}

// badData is a data folder with a truncated file, a non-Parquet file and a
// table whose two files disagree on a column's type.
func badData(t *testing.T) string {
	dir := t.TempDir()
	if err := slt.WriteParquet(dir, slt.Fixtures()[8:10]); err != nil { // dim, pairs
		t.Fatal(err)
	}
	good, err := filepath.Glob(filepath.Join(dir, "dim", "*.parquet"))
	if err != nil || len(good) == 0 {
		t.Fatalf("no dim file: %v", err)
	}
	b, _ := os.ReadFile(good[0])
	os.MkdirAll(filepath.Join(dir, "trunc"), 0o755)
	os.WriteFile(filepath.Join(dir, "trunc", "part-0.parquet"), b[:len(b)/2], 0o644)
	os.MkdirAll(filepath.Join(dir, "junk"), 0o755)
	os.WriteFile(filepath.Join(dir, "junk", "notes.parquet"), []byte("this is not parquet at all, just text\n"), 0o644)
	// conflict: k is integer in one file and text in the other.
	conf := filepath.Join(dir, "conflict")
	if err := slt.WriteParquet(conf, []*slt.Table{
		{Name: "a", Files: 1, Columns: []slt.Column{{Name: "k", SQLType: "integer", Type: slt.Fixtures()[9].Columns[0].Type}}, Rows: [][]any{{int32(1)}}},
		{Name: "b", Files: 1, Columns: []slt.Column{{Name: "k", SQLType: "text", Type: slt.Fixtures()[8].Columns[1].Type}}, Rows: [][]any{{"x"}}},
	}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		d, err := os.MkdirTemp("", "basalt-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(d, "basalt")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = err
			binPath = ""
			t.Logf("%s", out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// TestBinaryContracts runs the built binary: exit status 1 and exactly one
// line on stderr, never a panic or Go stack trace.
func TestBinaryContracts(t *testing.T) {
	bin := binary(t)
	bad := badData(t)
	run := func(dir string, args ...string) (string, string, int) {
		cmd := exec.Command(bin, append([]string{"query", "--data", dir}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	out, stderr, code := run(data(t), "--format", "csv", "select k, label from dim where k < 2 order by k")
	if code != 0 || stderr != "" || out != "k,label\n0,k0\n1,k1\n" {
		t.Errorf("good query: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	cases := []struct {
		dir, sql string
		want     []string
	}{
		{data(t), "select * frm dim", []string{"42601", "at character"}},
		{data(t), "select * from nosuch", []string{"42P01"}},
		{data(t), "select nosuch from dim", []string{"42703"}},
		{data(t), "select nosuch_fn(k) from dim", []string{"42883"}},
		{data(t), "select k from dim where label", []string{"42804"}},
		{data(t), "select k / 0 from dim", []string{"22012"}},
		{data(t), "select 9223372036854775807::int8 + k from dim", []string{"22003"}},
		{bad, "select * from trunc", []string{"XX001", "trunc/part-0.parquet"}},
		{bad, "select * from junk", []string{"XX001", "junk/notes.parquet"}},
		{bad, "select * from conflict", []string{`column "k"`, "a/part-0.parquet", "b/part-0.parquet"}},
	}
	for _, c := range cases {
		_, stderr, code := run(c.dir, c.sql)
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if code != 1 || len(lines) != 1 || stderr == "" {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and one line", c.sql, code, stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q lacks %q", c.sql, stderr, w)
			}
		}
		if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, ".go:") {
			t.Errorf("%s: stack trace on stderr: %q", c.sql, stderr)
		}
	}
	// A healthy table in the same folder still answers.
	if out, stderr, code := run(bad, "--format", "csv", "select count(*) from pairs"); code != 0 || out != "count\n6\n" {
		t.Errorf("healthy table next to bad ones: exit %d %q %q", code, out, stderr)
	}
}
