package clients

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The client-program protocol. A client program gets the server and its
// work through the environment:
//
//	PGHOST, PGPORT, PGUSER, PGDATABASE  where basalt serve listens
//	BASALT_QUERIES                      folder of the TPC-H qNN.sql files
//	BASALT_OUT                          folder the program writes into
//
// and reports on stdout, one line per check:
//
//	CHECK <name> ok
//	CHECK <name> FAIL <one-line message>
//
// It also writes BASALT_OUT/tables.txt (the tables of schema public as the
// client sees them, one a line), BASALT_OUT/columns.txt (lineitem's columns
// as "name type", the type in format_type's spelling, in column order) and
// BASALT_OUT/tpch/qNN.csv (header, then one row a line, RFC 4180, NULL as an
// empty field) or qNN.err (the error) for each query. Other output goes to
// stderr and is shown when the test fails.

// expectedTables are the tables `basalt gen tpch` writes.
var expectedTables = []string{"customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"}

// expectedLineitem is lineitem's columns with the PostgreSQL types the
// generator's Parquet types map to (int32 -> integer, DECIMAL(15,2) ->
// numeric(15,2), string -> text, date -> date).
var expectedLineitem = []string{
	"l_orderkey integer", "l_partkey integer", "l_suppkey integer", "l_linenumber integer",
	"l_quantity numeric(15,2)", "l_extendedprice numeric(15,2)", "l_discount numeric(15,2)", "l_tax numeric(15,2)",
	"l_returnflag text", "l_linestatus text",
	"l_shipdate date", "l_commitdate date", "l_receiptdate date",
	"l_shipinstruct text", "l_shipmode text", "l_comment text",
}

// fixture is the server every client test shares.
type fixture struct {
	bin      string // the basalt binary
	data     string // TPC-H SF 0.01
	queries  string // storage/tpchgen/queries
	expected string // qNN.csv from `basalt query --format csv`
	host     string
	port     string
	srv      *exec.Cmd
	srvLog   *syncWriter
	err      error
}

var (
	fixOnce sync.Once
	fix     fixture
	tmpRoot string
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopServe(fix.srv)
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

// server returns the shared fixture, building and starting it on first use.
func server(t *testing.T) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix.err = fix.start() })
	if fix.err != nil {
		t.Fatalf("client test fixture: %v\nserver log:\n%s", fix.err, fix.log())
	}
	return &fix
}

func (f *fixture) log() string {
	if f.srvLog == nil {
		return ""
	}
	return f.srvLog.String()
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

func (f *fixture) start() error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmpRoot, err = os.MkdirTemp("", "basalt-clients-")
	if err != nil {
		return err
	}
	f.bin = filepath.Join(tmpRoot, "basalt")
	build := exec.Command("go", "build", "-o", f.bin, "./cmd/basalt")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	f.data = filepath.Join(tmpRoot, "tpch")
	if out, err := exec.Command(f.bin, "gen", "tpch", "--sf", "0.01", "--out", f.data).CombinedOutput(); err != nil {
		return fmt.Errorf("basalt gen tpch: %v\n%s", err, out)
	}
	f.queries = filepath.Join(root, "storage", "tpchgen", "queries")
	f.expected = filepath.Join(tmpRoot, "expected")
	if err := os.MkdirAll(f.expected, 0o755); err != nil {
		return err
	}
	for _, q := range tpchQueries() {
		out, err := exec.Command(f.bin, "query", "--data", f.data, "--format", "csv", "-f", filepath.Join(f.queries, q+".sql")).Output()
		if err != nil {
			return fmt.Errorf("basalt query %s: %v", q, errText(err))
		}
		if err := os.WriteFile(filepath.Join(f.expected, q+".csv"), out, 0o644); err != nil {
			return err
		}
	}
	if targetPostgres() {
		return f.loadPostgres()
	}
	return f.serve()
}

// serve starts basalt serve on a free port and waits for its ready line.
func (f *fixture) serve() error {
	var err error
	f.srv, f.srvLog, f.host, f.port, err = startServe(f.bin, f.data, nil)
	return err
}

// startServe runs `basalt serve` on a free loopback port with extra flags
// and environment, and returns once it printed its ready line. The log
// buffer gathers its stdout and stderr.
func startServe(bin, data string, env []string, extra ...string) (*exec.Cmd, *syncWriter, string, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, "", "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	host, port, _ := net.SplitHostPort(addr)
	logw := &syncWriter{}
	cmd := exec.Command(bin, append([]string{"serve", "--data", data, "--pg-addr", addr}, extra...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logw
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, "", "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, "", "", err
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			logw.Write([]byte(sc.Text() + "\n"))
			if !sent && strings.Contains(sc.Text(), "ready") {
				ready <- true
				sent = true
			}
		}
		if !sent {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			return cmd, logw, host, port, fmt.Errorf("basalt serve exited before it was ready")
		}
		return cmd, logw, host, port, nil
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return cmd, logw, host, port, fmt.Errorf("basalt serve did not print ready within 60s")
	}
}

// stopServe ends a server the way Ctrl-C does, killing it if it lingers.
func stopServe(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// syncWriter is a server's log: its stderr and the stdout reader write to
// it while a failing test may read it.
type syncWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return fmt.Sprintf("%v: %s", err, bytes.TrimSpace(ee.Stderr))
	}
	return err.Error()
}

func tpchQueries() []string {
	qs := make([]string, 22)
	for i := range qs {
		qs[i] = fmt.Sprintf("q%02d", i+1)
	}
	return qs
}

// proxy puts a recorder between one client test and the server; the
// statements that failed are logged when the test ends.
func (f *fixture) proxy(t *testing.T, client string) *recorder {
	t.Helper()
	r := newRecorder(t, net.JoinHostPort(f.host, f.port))
	t.Cleanup(func() { r.report(t, client) })
	return r
}

// env is the environment a client program runs in: it connects through
// the recorder r.
func (f *fixture) env(r *recorder, out string) []string {
	return append(os.Environ(),
		"PGHOST="+f.host, "PGPORT="+r.port(), "PGUSER=basalt_test", "PGDATABASE=basalt",
		"PGAPPNAME=basalt-clients", "PGSSLMODE=disable", "PGGSSENCMODE=disable", "PGCONNECT_TIMEOUT=10",
		"BASALT_QUERIES="+f.queries, "BASALT_OUT="+out,
	)
}

// requireTool returns the path of a client runtime. A missing runtime
// skips the test locally and fails it in CI, where .ci/run installs all.
func requireTool(t *testing.T, name string, candidates ...string) string {
	t.Helper()
	for _, c := range append([]string{name}, candidates...) {
		if filepath.IsAbs(c) {
			if _, err := os.Stat(c); err == nil {
				return c
			}
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	missing(t, name+" is not installed")
	return ""
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI must install every client: see .ci/run)", why)
	}
	t.Skipf("%s; skipped locally (CI installs it: see .ci/run)", why)
}

// runClient runs one client program and turns its report into subtests:
// one per CHECK line, tables, columns, and one per TPC-H query.
func runClient(t *testing.T, client string, f *fixture, timeout time.Duration, name string, args ...string) *recorder {
	t.Helper()
	out := t.TempDir()
	rec := f.proxy(t, client)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = f.env(rec, out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	checks := parseChecks(stdout.String())
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				gapOrFail(t, client+"/"+c.name, c.msg)
				return
			}
			passed(t, client+"/"+c.name)
		})
	}
	if runErr != nil {
		// A program that dies still reports what it checked; its exit
		// status is a failure of its own.
		t.Errorf("%s %s: %v\nstderr:\n%s\nstdout:\n%s", name, strings.Join(args, " "), runErr, tail(stderr.String(), 4000), tail(stdout.String(), 4000))
		return rec
	}
	if t.Failed() {
		t.Logf("%s stderr:\n%s", client, tail(stderr.String(), 4000))
	}
	compareOutputs(t, client, f, out)
	return rec
}

// compareOutputs checks the files a client wrote: tables.txt, columns.txt
// and the TPC-H answers.
func compareOutputs(t *testing.T, client string, f *fixture, out string) {
	t.Run("tables", func(t *testing.T) {
		got, err := os.ReadFile(filepath.Join(out, "tables.txt"))
		if err != nil {
			gapOrFail(t, client+"/tables", "no tables.txt: "+readErr(out, "tables"))
			return
		}
		lines := nonEmptyLines(string(got))
		sort.Strings(lines)
		if strings.Join(lines, ",") != strings.Join(expectedTables, ",") {
			gapOrFail(t, client+"/tables", fmt.Sprintf("tables %v, want %v", lines, expectedTables))
			return
		}
		passed(t, client+"/tables")
	})
	t.Run("columns", func(t *testing.T) {
		got, err := os.ReadFile(filepath.Join(out, "columns.txt"))
		if err != nil {
			gapOrFail(t, client+"/columns", "no columns.txt: "+readErr(out, "columns"))
			return
		}
		lines := nonEmptyLines(string(got))
		if strings.Join(lines, "\n") != strings.Join(expectedLineitem, "\n") {
			gapOrFail(t, client+"/columns", fmt.Sprintf("lineitem columns:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(expectedLineitem, "\n")))
			return
		}
		passed(t, client+"/columns")
	})
	compareTPCH(t, client, "tpch", f, filepath.Join(out, "tpch"))
	// A client may run the queries another way too (pgjdbc with binary
	// results): tpch_<how>/ is compared the same way.
	more, _ := filepath.Glob(filepath.Join(out, "tpch_*"))
	for _, dir := range more {
		compareTPCH(t, client, filepath.Base(dir), f, dir)
	}
}

// compareTPCH compares dir/qNN.csv with the CLI's answers.
func compareTPCH(t *testing.T, client, sub string, f *fixture, dir string) {
	t.Run(sub, func(t *testing.T) {
		for _, q := range tpchQueries() {
			t.Run(q, func(t *testing.T) {
				name := client + "/" + sub + "/" + q
				got, err := os.ReadFile(filepath.Join(dir, q+".csv"))
				if err != nil {
					gapOrFail(t, name, "no answer: "+readErr(dir, q))
					return
				}
				want, err := os.ReadFile(filepath.Join(f.expected, q+".csv"))
				if err != nil {
					t.Fatal(err)
				}
				if msg := diffCSV(string(got), string(want)); msg != "" {
					gapOrFail(t, name, msg)
					return
				}
				passed(t, name)
			})
		}
	})
}

// readErr returns what a client wrote to dir/name.err, if anything.
func readErr(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name+".err"))
	if err != nil {
		return "(the client wrote neither " + name + " nor " + name + ".err: see its failed checks)"
	}
	return strings.TrimSpace(string(b))
}

type check struct {
	name string
	ok   bool
	msg  string
}

var checkLine = regexp.MustCompile(`^CHECK (\S+) (ok|FAIL)(?: (.*))?$`)

func parseChecks(stdout string) []check {
	var out []check
	for _, l := range strings.Split(stdout, "\n") {
		m := checkLine.FindStringSubmatch(strings.TrimRight(l, "\r"))
		if m == nil {
			continue
		}
		out = append(out, check{name: m[1], ok: m[2] == "ok", msg: m[3]})
	}
	return out
}

// diffCSV compares a client's CSV with the CLI's: same header, same number
// of rows in the same order, and equal values. Values are equal when their
// texts are, or when both are numbers of equal value (clients print
// numeric and float8 their own way: 0.0500 and 0.05, 1.0E10 and
// 10000000000), or floats within 1e-12 relatively (Java's Double.toString
// is not always the shortest round-trip form). It returns "" when equal.
func diffCSV(got, want string) string {
	g, err := parseCSV(got)
	if err != nil {
		return fmt.Sprintf("client CSV does not parse: %v", err)
	}
	w, err := parseCSV(want)
	if err != nil {
		return fmt.Sprintf("expected CSV does not parse: %v", err)
	}
	if len(g) == 0 || len(w) == 0 {
		return fmt.Sprintf("empty CSV (got %d lines, want %d)", len(g), len(w))
	}
	if strings.Join(g[0], ",") != strings.Join(w[0], ",") {
		return fmt.Sprintf("header %q, want %q", g[0], w[0])
	}
	if len(g) != len(w) {
		return fmt.Sprintf("%d rows, want %d", len(g)-1, len(w)-1)
	}
	for r := 1; r < len(w); r++ {
		if len(g[r]) != len(w[r]) {
			return fmt.Sprintf("row %d: %d fields, want %d", r, len(g[r]), len(w[r]))
		}
		for c := range w[r] {
			if !sameValue(g[r][c], w[r][c]) {
				return fmt.Sprintf("row %d column %s: %q, want %q\ngot row:  %q\nwant row: %q", r, w[0][c], g[r][c], w[r][c], g[r], w[r])
			}
		}
	}
	return ""
}

// parseCSV reads a result. A row holding one NULL is an empty line (as in
// PostgreSQL's COPY CSV and psql --csv), which encoding/csv skips; in a
// one-column result it is read as that row.
func parseCSV(s string) ([][]string, error) {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) > 1 && !strings.ContainsAny(lines[0], ",\"") {
		for i := 1; i < len(lines); i++ {
			if strings.TrimSuffix(lines[i], "\r") == "" {
				lines[i] = `""`
			}
		}
		s = strings.Join(lines, "\n") + "\n"
	}
	return csv.NewReader(strings.NewReader(s)).ReadAll()
}

func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	ra, okA := new(big.Rat).SetString(a)
	rb, okB := new(big.Rat).SetString(b)
	if !okA || !okB {
		return false
	}
	if ra.Cmp(rb) == 0 {
		return true
	}
	fa, _ := ra.Float64()
	fb, _ := rb.Float64()
	return math.Abs(fa-fb) <= 1e-12*math.Max(math.Abs(fa), math.Abs(fb))
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, "\r "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// Known gaps: KNOWN_GAPS.md lists checks that fail for a reason outside
// the client harness, one a line as "- `client/check`: reason". Such a
// check is skipped (with its reason and the failure) instead of failing;
// one that passes again is logged so the list can be kept current.
var (
	gapsOnce sync.Once
	gaps     map[string]string
)

var gapLine = regexp.MustCompile("^- `([^`]+)`: (.*)$")

func knownGaps() map[string]string {
	gapsOnce.Do(func() {
		gaps = map[string]string{}
		_, file, _, _ := runtime.Caller(0)
		b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "KNOWN_GAPS.md"))
		if err != nil {
			return
		}
		for _, l := range strings.Split(string(b), "\n") {
			if m := gapLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
				gaps[m[1]] = m[2]
			}
		}
	})
	return gaps
}

// knownGap returns the reason name is a known gap. A listed name may be a
// pattern of path.Match ("sqlalchemy/tpch/*", "pgx/*/tables").
func knownGap(name string) (string, bool) {
	g := knownGaps()
	if reason, ok := g[name]; ok {
		return reason, true
	}
	for pat, reason := range g {
		if ok, _ := path.Match(pat, name); ok {
			return reason, true
		}
	}
	return "", false
}

// gapOrFail fails t, or skips it when name is a known gap.
func gapOrFail(t *testing.T, name, msg string) {
	t.Helper()
	if reason, ok := knownGap(name); ok {
		t.Skipf("KNOWN GAP %s (%s): %s", name, reason, msg)
	}
	t.Errorf("%s: %s", name, msg)
}

// passed notes a known gap that no longer fails, so that KNOWN_GAPS.md can
// be kept current; it does not fail the test (the server got better).
func passed(t *testing.T, name string) {
	t.Helper()
	if _, ok := knownGap(name); ok {
		t.Logf("KNOWN GAP %s passes now: remove it from KNOWN_GAPS.md", name)
	}
}
