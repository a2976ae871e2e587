package main

// Helpers of the multi-process cluster tests (dist_*_test.go): TPC-H data
// shared by the test binary, single-node reference answers, clusters of
// basalt serve processes on loopback ports, answers compared by value,
// EXPLAIN ANALYZE and system.queries read back.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/basaltdb/basalt/storage/tpchgen"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// distKey is the cluster key of the test clusters.
const distKey = "dist-test-key"

// distEnv gives failure detection fast enough for a test yet slow enough
// that a loaded 2-core machine running SF1 queries does not suspect live
// nodes.
var distEnv = []string{"BASALT_GOSSIP_INTERVAL=200ms"}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts several basalt serve processes over TPC-H data")
	}
}

// clusterSF is the TPC-H scale factor of the cluster tests:
// $BASALT_CLUSTER_SF (CI: 1), else 0.01 so go test ./cmd/basalt stays fast.
func clusterSF(t *testing.T) float64 {
	t.Helper()
	s := os.Getenv("BASALT_CLUSTER_SF")
	if s == "" {
		return 0.01
	}
	sf, err := strconv.ParseFloat(s, 64)
	if err != nil || sf <= 0 {
		t.Fatalf("BASALT_CLUSTER_SF=%q: want a positive scale factor", s)
	}
	return sf
}

// queryTimeout bounds one query: minutes at SF1 on two loaded cores.
func queryTimeout(t *testing.T) time.Duration {
	return time.Duration(max(1, clusterSF(t))*5) * time.Minute
}

var tpchTables = []string{"nation", "region", "supplier", "customer", "part", "partsupp", "orders", "lineitem"}

func hasTPCH(dir string) bool {
	for _, tb := range tpchTables {
		if m, _ := filepath.Glob(filepath.Join(dir, tb, "*.parquet")); len(m) == 0 {
			return false
		}
	}
	return true
}

var (
	tpchOnce sync.Once
	tpchDir  string
	tpchErr  error
)

// tpchData returns the TPC-H directory every node reads: $BASALT_TPCH_DIR
// when it holds the tables (else generated into it, and kept), or data
// generated once per test binary next to the built binary, whose folder
// TestMain removes.
func tpchData(t *testing.T) string {
	t.Helper()
	bin := binary(t)
	tpchOnce.Do(func() {
		sf := clusterSF(t)
		tpchDir = os.Getenv("BASALT_TPCH_DIR")
		if tpchDir == "" {
			tpchDir = filepath.Join(filepath.Dir(bin), fmt.Sprintf("tpch-sf%v", sf))
		}
		if hasTPCH(tpchDir) {
			t.Logf("reusing the TPC-H tables in %s", tpchDir)
			return
		}
		if tpchErr = os.MkdirAll(tpchDir, 0o755); tpchErr != nil {
			return
		}
		start := time.Now()
		tpchErr = tpchgen.Generate(context.Background(), sf, tpchDir, nil)
		t.Logf("TPC-H sf %v generated into %s in %s", sf, tpchDir, time.Since(start).Round(time.Millisecond))
	})
	if tpchErr != nil {
		t.Fatalf("TPC-H data: %v", tpchErr)
	}
	return tpchDir
}

// A distQuery is a statement the cluster tests run and compare with one
// node's answer.
type distQuery struct{ name, sql string }

func tpchQuery(n int) distQuery { return distQuery{tpchgen.QueryName(n), tpchgen.Query(n)} }

// extraQueries move rows between nodes at any scale factor; at SF 0.01
// (the cut tables' keys only partly match) several TPC-H queries have
// empty answers. Float aggregates check the comparison's tolerance.
var extraQueries = []distQuery{
	{"join_group", "select o_orderpriority, count(*) as n, sum(l_extendedprice) as price from orders join lineitem on l_orderkey = o_orderkey group by o_orderpriority order by o_orderpriority"},
	{"many_groups_topn", "select l_suppkey, count(*) as n, avg(l_quantity) as q from lineitem group by l_suppkey order by n desc, l_suppkey limit 20"},
	{"count_distinct", "select count(distinct l_partkey) as parts, count(*) as n from lineitem"},
	{"join_group_topn", "select ps_partkey, sum(ps_supplycost * ps_availqty) as v from partsupp join supplier on s_suppkey = ps_suppkey group by ps_partkey order by v desc, ps_partkey limit 10"},
	{"float_aggs", "select l_returnflag, stddev(l_quantity) as s, var_pop(l_discount::float8) as v, sum(l_tax::float8) as t from lineitem group by l_returnflag order by l_returnflag"},
	{"anti_join", "select count(*) as n from orders where not exists (select 1 from lineitem where l_orderkey = o_orderkey and l_quantity > 45)"},
	{"all_orders", "select o_orderkey, o_custkey, o_totalprice, o_orderdate from orders where o_orderkey % 7 = 3 order by o_orderkey"},
}

var (
	refMu      sync.Mutex
	refAnswers = map[string]*answer{}
)

// reference returns the answers of qs, by name, from a one-node basalt
// serve over the same data, each computed once per test binary. The node
// runs only while missing answers are computed, so it takes no CPU from
// the clusters.
func reference(t *testing.T, qs ...distQuery) map[string]*answer {
	t.Helper()
	refMu.Lock()
	defer refMu.Unlock()
	var missing []distQuery
	for _, q := range qs {
		if refAnswers[q.sql] == nil {
			missing = append(missing, q)
		}
	}
	if len(missing) > 0 {
		// A one-member cluster that distributes nothing: the local engine.
		solo := startServeWith(t, "solo", serveOpts{dir: tpchData(t), env: distEnv}, "--distribute-min-bytes", "1024TB")
		conn := connectTo(t, solo)
		for _, q := range missing {
			ctx, cancel := context.WithTimeout(context.Background(), queryTimeout(t))
			start := time.Now()
			a, err := runAnswer(ctx, conn, q.sql)
			cancel()
			if err != nil {
				t.Fatalf("single-node %s: %v", q.name, err)
			}
			a.elapsed = time.Since(start)
			refAnswers[q.sql] = a
		}
		conn.Close(context.Background())
		solo.cmd.Process.Kill()
	}
	out := map[string]*answer{}
	for _, q := range qs {
		out[q.name] = refAnswers[q.sql]
	}
	return out
}

// connectTo opens a pgx connection to p, closed when the test ends.
func connectTo(t *testing.T, p *serveProc) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://tester@%s/basalt?sslmode=disable", p.pg))
	if err != nil {
		t.Fatalf("connecting to %s: %v", p.name, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// nodeFlags are the flags of every cluster node: the key, and every query
// distributed whatever the size of its scans (the default keeps small
// ones on the node that takes them, and SF 0.01 is all small).
var nodeFlags = []string{"--cluster-key", distKey, "--distribute-min-bytes", "0"}

// startNode starts a cluster node over dir, joining the node at join
// unless join is empty.
func startNode(t *testing.T, dir, name, join string) *serveProc {
	t.Helper()
	args := nodeFlags
	if join != "" {
		args = append(append([]string(nil), nodeFlags...), "--join", join)
	}
	return startServeWith(t, name, serveOpts{dir: dir, env: distEnv}, args...)
}

// startCluster starts nodes n1 ... nN over dir, the others joining n1,
// and waits until the second node sees all of them alive.
func startCluster(t *testing.T, dir string, n int) []*serveProc {
	t.Helper()
	nodes := []*serveProc{startNode(t, dir, "n1", "")}
	for i := 2; i <= n; i++ {
		nodes = append(nodes, startNode(t, dir, fmt.Sprintf("n%d", i), nodes[0].gossip))
	}
	conn := connectTo(t, nodes[min(1, n-1)])
	waitNodes(t, conn, aliveList(n), 30*time.Second)
	conn.Close(context.Background())
	return nodes
}

// aliveList is waitNodes' form of n1 ... nN all alive.
func aliveList(n int) string {
	var s []string
	for i := 1; i <= n; i++ {
		s = append(s, fmt.Sprintf("n%d=alive", i))
	}
	return strings.Join(s, " ")
}

// waitExit waits for p to exit and returns how it ended.
func waitExit(t *testing.T, p *serveProc, within time.Duration) error {
	t.Helper()
	select {
	case err := <-p.exited:
		return err
	case <-time.After(within):
		t.Fatalf("%s still running after %s\n%s", p.name, within, p.stderr)
		return nil
	}
}

// waitLog polls p's stderr until it holds every one of subs: a line a
// node logs before it answers reaches the pipe after the answer may have.
func waitLog(p *serveProc, within time.Duration, subs ...string) bool {
	deadline := time.Now().Add(within)
	for {
		all, log := true, p.stderr.String()
		for _, s := range subs {
			all = all && strings.Contains(log, s)
		}
		if all {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An answer is a result set as the client decoded it.
type answer struct {
	cols    []string // name:type-oid
	names   []string
	rows    [][]cell
	elapsed time.Duration
}

// A cell is one value: numbers by value (numeric as an exact fraction,
// float8 with a tolerance), everything else by its Go form.
type cell struct {
	s     string
	f     float64
	float bool
}

func (c cell) String() string { return c.s }

func toCell(v any) cell {
	switch v := v.(type) {
	case nil:
		return cell{s: "NULL"}
	case float64:
		return cell{s: strconv.FormatFloat(v, 'g', 10, 64), f: v, float: true}
	case float32:
		return cell{s: strconv.FormatFloat(float64(v), 'g', 6, 32), f: float64(v), float: true}
	case pgtype.Numeric:
		switch {
		case !v.Valid:
			return cell{s: "NULL"}
		case v.NaN:
			return cell{s: "numeric NaN"}
		case v.InfinityModifier != pgtype.Finite:
			return cell{s: fmt.Sprintf("numeric %v", v.InfinityModifier)}
		}
		r := new(big.Rat).SetInt(v.Int)
		scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(math.Abs(float64(v.Exp)))), nil)
		if v.Exp >= 0 {
			r.Mul(r, new(big.Rat).SetInt(scale))
		} else {
			r.Quo(r, new(big.Rat).SetInt(scale))
		}
		return cell{s: "numeric " + r.RatString()}
	case time.Time:
		return cell{s: "time " + v.UTC().Format(time.RFC3339Nano)}
	}
	return cell{s: fmt.Sprintf("%T %v", v, v)}
}

func sameCell(a, b cell) bool {
	if a.float && b.float {
		if a.f == b.f || (math.IsNaN(a.f) && math.IsNaN(b.f)) {
			return true
		}
		return math.Abs(a.f-b.f) <= 1e-9*math.Max(math.Abs(a.f), math.Abs(b.f))
	}
	return a.float == b.float && a.s == b.s
}

// runAnswer runs sql on conn and reads its whole result.
func runAnswer(ctx context.Context, conn *pgx.Conn, sql string) (*answer, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	a := &answer{}
	for _, fd := range rows.FieldDescriptions() {
		a.cols = append(a.cols, fmt.Sprintf("%s:%d", fd.Name, fd.DataTypeOID))
		a.names = append(a.names, fd.Name)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		row := make([]cell, len(vals))
		for i, v := range vals {
			row[i] = toCell(v)
		}
		a.rows = append(a.rows, row)
	}
	return a, rows.Err()
}

// orderColumns returns the result columns the statement's top-level ORDER
// BY sorts by, in order; ok is false without one. TPC-H sorts by output
// names only, so an item that names no column is an error of the test.
func orderColumns(sql string, names []string) (cols []int, ok bool, err error) {
	l := strings.ToLower(sql)
	i := strings.LastIndex(l, "order by")
	if i < 0 {
		return nil, false, nil
	}
	rest := l[i+len("order by"):]
	if strings.Count(rest, ")") > strings.Count(rest, "(") {
		return nil, false, nil // the last ORDER BY is inside a subquery
	}
	if j := strings.Index(rest, "limit"); j >= 0 {
		rest = rest[:j]
	}
	for _, item := range strings.Split(rest, ",") {
		f := strings.Fields(item)
		if len(f) == 0 {
			return nil, false, fmt.Errorf("ORDER BY item %q", item)
		}
		k := -1
		for c, n := range names {
			if strings.EqualFold(n, f[0]) {
				k = c
			}
		}
		if k < 0 {
			return nil, false, fmt.Errorf("ORDER BY %q names no result column of %v", f[0], names)
		}
		cols = append(cols, k)
	}
	return cols, true, nil
}

func rowString(r []cell) string {
	s := make([]string, len(r))
	for i, c := range r {
		s[i] = c.s
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// compareAnswers says how got differs from want for sql: columns (names
// and types), then rows. Rows must come in want's order where the ORDER BY
// fixes it; rows that tie on every sort key may come in any order.
func compareAnswers(sql string, want, got *answer) error {
	if strings.Join(want.cols, ",") != strings.Join(got.cols, ",") {
		return fmt.Errorf("columns %v, want %v", got.cols, want.cols)
	}
	if len(got.rows) != len(want.rows) {
		return fmt.Errorf("%d rows, want %d; first rows %v, want %v", len(got.rows), len(want.rows),
			firstRows(got.rows), firstRows(want.rows))
	}
	keys, ordered, err := orderColumns(sql, want.names)
	if err != nil {
		return err
	}
	key := func(r []cell) string {
		var s []string
		for _, k := range keys {
			s = append(s, r[k].s)
		}
		return strings.Join(s, "\x00")
	}
	for lo := 0; lo < len(want.rows); {
		hi := len(want.rows)
		if ordered {
			hi = lo + 1
			for hi < len(want.rows) && key(want.rows[hi]) == key(want.rows[lo]) {
				hi++
			}
		}
		w, g := sortedRows(want.rows[lo:hi]), sortedRows(got.rows[lo:hi])
		for i := range w {
			for c := range w[i] {
				if !sameCell(w[i][c], g[i][c]) {
					return fmt.Errorf("rows %d..%d (tied on the ORDER BY keys): row %s, want %s (column %s)",
						lo+1, hi, rowString(g[i]), rowString(w[i]), want.names[c])
				}
			}
		}
		lo = hi
	}
	return nil
}

func firstRows(rows [][]cell) []string {
	var s []string
	for i := 0; i < len(rows) && i < 3; i++ {
		s = append(s, rowString(rows[i]))
	}
	return s
}

func sortedRows(rows [][]cell) [][]cell {
	out := append([][]cell(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool { return rowString(out[i]) < rowString(out[j]) })
	return out
}

// checkQuery runs q on conn and compares its answer with want.
func checkQuery(ctx context.Context, conn *pgx.Conn, q distQuery, want *answer) (time.Duration, error) {
	start := time.Now()
	got, err := runAnswer(ctx, conn, q.sql)
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("%s: %w", q.name, err)
	}
	if err := compareAnswers(q.sql, want, got); err != nil {
		return d, fmt.Errorf("%s: wrong answer: %w", q.name, err)
	}
	return d, nil
}

// explainLines runs an EXPLAIN statement and returns its lines.
func explainLines(ctx context.Context, conn *pgx.Conn, stmt string) ([]string, error) {
	rows, err := conn.Query(ctx, stmt)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		lines = append(lines, strings.Split(s, "\n")...)
	}
	return lines, rows.Err()
}

// explainNodes returns the nodes EXPLAIN ANALYZE shows tasks on and checks
// the form of the output: Stage lines, and rows=, bytes= and time= on
// every task line.
func explainNodes(lines []string) (map[string]bool, error) {
	nodes := map[string]bool{}
	stages := 0
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "Stage ") {
			stages++
		}
		i := strings.Index(l, "node=")
		if i < 0 || strings.Contains(l, "(coordinator)") {
			// The root stage's task on the coordinator has its numbers
			// on the plan's last line.
			continue
		}
		name := l[i+len("node="):]
		if j := strings.IndexFunc(name, func(r rune) bool {
			return !(r == '-' || r == '_' || r == '.' || r == ':' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		}); j >= 0 {
			name = name[:j]
		}
		nodes[name] = true
		for _, f := range []string{"rows=", "bytes=", "time="} {
			if !strings.Contains(l, f) {
				return nodes, fmt.Errorf("task line without %s: %q", f, l)
			}
		}
	}
	if stages == 0 {
		return nodes, errors.New("no line starts with Stage")
	}
	return nodes, nil
}

// hasNodes checks that nodes holds every name of want.
func hasNodes(nodes map[string]bool, want ...string) bool {
	for _, w := range want {
		if !nodes[w] {
			return false
		}
	}
	return true
}

// queryStat is a row of system.queries.
type queryStat struct {
	id, coordinator, state string
	stages, tasks          int
	attempts, rerun        int
	nodes, errText         string
	started, finished      time.Time // finished is zero while running
}

// statementText is sql as system.queries lists it: without the comment
// lines before the statement (the TPC-H files start with one).
func statementText(sql string) string {
	sql = strings.TrimSpace(sql)
	for strings.HasPrefix(sql, "--") {
		i := strings.IndexByte(sql, '\n')
		if i < 0 {
			return ""
		}
		sql = strings.TrimSpace(sql[i+1:])
	}
	return sql
}

// lastQuery reads the row of system.queries (on the node conn talks to)
// of the latest query whose text contains sql.
func lastQuery(ctx context.Context, conn *pgx.Conn, sql string) (queryStat, error) {
	sql = statementText(sql)
	var q queryStat
	var finished pgtype.Timestamptz
	err := conn.QueryRow(ctx, `SELECT query_id, coordinator, state, stages, tasks, attempts, tasks_rerun,
		coalesce(nodes, ''), coalesce(error, ''), started, finished
		FROM system.queries WHERE strpos(query, $1) > 0 ORDER BY started DESC LIMIT 1`, sql).
		Scan(&q.id, &q.coordinator, &q.state, &q.stages, &q.tasks, &q.attempts, &q.rerun, &q.nodes, &q.errText, &q.started, &finished)
	if finished.Valid {
		q.finished = finished.Time
	}
	return q, err
}

// waitRunning polls system.queries on conn until a query whose text
// contains sql runs there.
func waitRunning(ctx context.Context, conn *pgx.Conn, sql string, within time.Duration) error {
	sql = statementText(sql)
	deadline := time.Now().Add(within)
	for {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM system.queries WHERE state = 'running' AND strpos(query, $1) > 0", sql).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no running query like %.40q in system.queries after %s", sql, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// connLost reports whether err is how a client sees its server die: the
// connection broke (EOF, reset), or the server said so (class 08, 57P01).
func connLost(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01"
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection reset")
}

// A queryLoop runs one query over and over on one connection, checking
// every answer and reading each run's row of system.queries, while a test
// changes the cluster under it.
type queryLoop struct {
	q    distQuery
	done chan struct{}

	mu     sync.Mutex
	runs   []loopRun
	after  int // runs started after stopAfter
	target int // stop after this many of them; 0 before stopAfter
}

// A loopRun is one run of a queryLoop.
type loopRun struct {
	start     time.Time
	d         time.Duration
	err       error     // an error or a wrong answer
	st        queryStat // the coordinator's record of the run
	stErr     error
	afterMark bool
}

func startLoop(ctx context.Context, conn *pgx.Conn, q distQuery, want *answer) *queryLoop {
	l := &queryLoop{q: q, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for ctx.Err() == nil {
			l.mu.Lock()
			r := loopRun{start: time.Now(), afterMark: l.target > 0}
			l.mu.Unlock()
			r.d, r.err = checkQuery(ctx, conn, q, want)
			if r.err == nil {
				// Only this loop runs this text on this node, so the
				// latest row of it is this run's.
				r.st, r.stErr = lastQuery(ctx, conn, q.sql)
			}
			l.mu.Lock()
			l.runs = append(l.runs, r)
			if r.afterMark {
				l.after++
			}
			stop := r.err != nil || r.stErr != nil || (l.target > 0 && l.after >= l.target)
			l.mu.Unlock()
			if stop {
				return
			}
		}
	}()
	return l
}

// stopAfter lets the loop end once n more runs have started from now on.
func (l *queryLoop) stopAfter(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.target = n
}

// wait waits for the loop to end, fails the test on any failed run and
// returns the runs.
func (l *queryLoop) wait(t *testing.T, within time.Duration) []loopRun {
	t.Helper()
	select {
	case <-l.done:
	case <-time.After(within):
		t.Fatalf("%s loop still running after %s", l.q.name, within)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var times []time.Duration
	reran := 0
	for i, r := range l.runs {
		times = append(times, r.d.Round(time.Millisecond))
		switch {
		case r.err != nil:
			t.Errorf("%s loop, run %d: %v", l.q.name, i+1, r.err)
		case r.stErr != nil:
			t.Errorf("%s loop, run %d: system.queries: %v", l.q.name, i+1, r.stErr)
		case r.st.state != "finished" || r.st.errText != "":
			t.Errorf("%s loop, run %d answered, but system.queries says %+v", l.q.name, i+1, r.st)
		}
		reran += r.st.rerun
	}
	t.Logf("%s loop: %d runs, %d tasks rerun in all, times %v", l.q.name, len(l.runs), reran, times)
	return l.runs
}
