package clients

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// psql is driven from Go: each check runs psql 15 with -X (no ~/.psqlrc)
// and the meta-commands a user types, and reads what psql prints.

// runPsql runs psql with args and returns its stdout and stderr.
func runPsql(f *fixture, r *recorder, bin string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-X", "-v", "ON_ERROR_STOP=1"}, args...)...)
	cmd.Env = f.env(r, os.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// unalignedRows splits psql's unaligned output (-A -F '|' -t) into rows.
func unalignedRows(out string) [][]string {
	var rows [][]string
	for _, l := range nonEmptyLines(out) {
		rows = append(rows, strings.Split(l, "|"))
	}
	return rows
}

func TestClientsPsql(t *testing.T) {
	bin := requireTool(t, "psql")
	if v, err := exec.Command(bin, "--version").Output(); err == nil {
		t.Logf("%s", bytes.TrimSpace(v))
	}
	f := server(t)
	r := f.proxy(t, "psql")
	// check runs psql and hands its output to judge, which returns "" or
	// what is wrong.
	check := func(name string, judge func(stdout string) string, args ...string) {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, err := runPsql(f, r, bin, args...)
			if err != nil {
				gapOrFail(t, "psql/"+name, fmt.Sprintf("psql %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr)))
				return
			}
			if msg := judge(stdout); msg != "" {
				gapOrFail(t, "psql/"+name, fmt.Sprintf("%s\npsql printed:\n%s", msg, stdout))
				return
			}
			passed(t, "psql/"+name)
		})
	}
	hasRow := func(first ...string) func(string) string {
		return func(out string) string {
			for _, r := range unalignedRows(out) {
				if len(r) >= len(first) && strings.Join(r[:len(first)], "|") == strings.Join(first, "|") {
					return ""
				}
			}
			return fmt.Sprintf("no row starting %q", strings.Join(first, "|"))
		}
	}

	check("list_databases", hasRow("basalt"), "-A", "-t", "-F", "|", "-c", `\l`)
	check("list_schemas", hasRow("public"), "-A", "-t", "-F", "|", "-c", `\dn`)
	check("tables", func(out string) string {
		var got []string
		for _, r := range unalignedRows(out) {
			// Schema|Name|Type|Owner
			if len(r) >= 3 && r[0] == "public" && r[2] == "table" {
				got = append(got, r[1])
			}
		}
		if strings.Join(got, ",") != strings.Join(expectedTables, ",") {
			return fmt.Sprintf("\\dt lists %v, want %v", got, expectedTables)
		}
		return ""
	}, "-A", "-t", "-F", "|", "-c", `\dt`)
	columns := func(out string) string {
		var got []string
		for _, r := range unalignedRows(out) {
			// Column|Type|Collation|Nullable|Default[|Storage|...]
			if len(r) >= 5 && strings.HasPrefix(r[0], "l_") {
				got = append(got, r[0]+" "+r[1])
			}
		}
		if strings.Join(got, "\n") != strings.Join(expectedLineitem, "\n") {
			return fmt.Sprintf("columns:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(expectedLineitem, "\n"))
		}
		return ""
	}
	check("columns", func(out string) string {
		if !strings.Contains(out, `Table "public.lineitem"`) {
			return `no title Table "public.lineitem"`
		}
		return columns(out)
	}, "-A", "-F", "|", "-c", `\d lineitem`)
	check("describe_plus", func(out string) string {
		if !strings.Contains(out, "Storage") {
			return `\d+ shows no Storage column`
		}
		return columns(out)
	}, "-A", "-F", "|", "-c", `\d+ lineitem`)
	check("expanded", func(out string) string {
		for _, want := range []string{"-[ RECORD 1 ]", "l_orderkey   | 1", "l_linenumber | 1", "l_shipmode   | TRUCK"} {
			if !strings.Contains(out, want) {
				return fmt.Sprintf("expanded output lacks %q", want)
			}
		}
		return ""
	}, "-c", `\x on`, "-c", "select l_orderkey, l_linenumber, l_shipmode from lineitem where l_orderkey = 1 and l_linenumber = 1")
	check("timing", func(out string) string {
		if !regexp.MustCompile(`(?m)^Time: [0-9.]+ ms`).MatchString(out) {
			return "no Time: line"
		}
		if !strings.Contains(out, "60175") {
			return "no count"
		}
		return ""
	}, "-c", `\timing on`, "-c", "select count(*) from lineitem")

	copyFile := filepath.Join(t.TempDir(), "nation.txt")
	check("copy_to_file", func(string) string {
		b, err := os.ReadFile(copyFile)
		if err != nil {
			return err.Error()
		}
		lines := nonEmptyLines(string(b))
		if len(lines) != 25 || lines[0] != "0\tALGERIA\t0" || lines[24] != "24\tUNITED STATES\t1" {
			return fmt.Sprintf("file holds %d lines %q", len(lines), lines)
		}
		return ""
	}, "-c", `\copy (select n_nationkey, n_name, n_regionkey from nation order by n_nationkey) to '`+copyFile+`'`)
	csvFile := filepath.Join(t.TempDir(), "region.csv")
	check("copy_to_file_csv", func(string) string {
		b, err := os.ReadFile(csvFile)
		if err != nil {
			return err.Error()
		}
		want := "r_regionkey,r_name\n0,AFRICA\n1,AMERICA\n2,ASIA\n3,EUROPE\n4,MIDDLE EAST\n"
		if string(b) != want {
			return fmt.Sprintf("file holds %q, want %q", b, want)
		}
		return ""
	}, "-c", `\copy (select r_regionkey, r_name from region order by 1) to '`+csvFile+`' with (format csv, header)`)

	t.Run("cancel", func(t *testing.T) { psqlCancel(t, f, r, bin) })

	// The TPC-H answers through psql's own CSV output.
	out := t.TempDir()
	for _, q := range tpchQueries() {
		stdout, stderr, err := runPsql(f, r, bin, "--csv", "-f", filepath.Join(f.queries, q+".sql"))
		if err != nil {
			os.WriteFile(filepath.Join(out, q+".err"), []byte(stderr+err.Error()), 0o644)
			continue
		}
		os.WriteFile(filepath.Join(out, q+".csv"), []byte(stdout), 0o644)
	}
	compareTPCH(t, "psql", "tpch", f, out)
}

// psqlCancel runs a long query and sends psql SIGINT, as Ctrl-C does: psql
// sends a CancelRequest, and the server must end the query with 57014.
func psqlCancel(t *testing.T, f *fixture, r *recorder, bin string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A cross join of lineitem with itself counts 3.6e9 rows: far longer
	// than the test waits.
	cmd := exec.CommandContext(ctx, bin, "-X", "-c", "select count(*) from lineitem a, lineitem b where a.l_quantity + b.l_quantity > 0")
	cmd.Env = f.env(r, os.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	took := time.Since(start)
	msg := ""
	switch {
	case err == nil:
		msg = fmt.Sprintf("the query finished instead of being canceled: %s", stdout.String())
	case !strings.Contains(stderr.String(), "canceling statement due to user request"):
		msg = fmt.Sprintf("psql: %v: %s", err, strings.TrimSpace(stderr.String()))
	case took > 10*time.Second:
		msg = fmt.Sprintf("the cancel took %v", took)
	}
	if msg != "" {
		gapOrFail(t, "psql/cancel", msg)
		return
	}
	passed(t, "psql/cancel")
	// The connection of another client still works after the cancel.
	if out, stderr, err := runPsql(f, r, bin, "-A", "-t", "-c", "select count(*) from nation"); err != nil || strings.TrimSpace(out) != "25" {
		t.Errorf("after the cancel: %q %v %s", out, err, stderr)
	}
}
