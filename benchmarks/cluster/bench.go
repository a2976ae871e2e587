package cluster

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Run is one execution of a query.
type Run struct {
	CPU  time.Duration // user+system CPU of every measured process
	Wall time.Duration
	// Uncollected: tasks of the query still showed as running in
	// system.tasks 2 s after its last row.
	Uncollected bool
}

// Target is where a query runs: a connection to the node that takes it and
// the processes whose CPU counts.
type Target struct {
	Conn *pgx.Conn
	PIDs []int
	// Clustered targets wait, inside the measured span, until the
	// coordinator has collected its tasks' counters from the nodes, so the
	// work a query leaves behind counts against it and not the next run.
	Clustered bool
}

// Execute runs sql on t and returns the answer (rows as text, columns
// joined by '|', NULL as "NULL") and what it cost.
func Execute(ctx context.Context, t Target, sql string) ([]string, Run, error) {
	before, err := CPU(t.PIDs...)
	if err != nil {
		return nil, Run{}, err
	}
	start := time.Now()
	rows, err := t.Conn.Query(ctx, sql)
	if err != nil {
		return nil, Run{}, err
	}
	var out []string
	for rows.Next() {
		vals := rows.RawValues()
		fs := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				fs[i] = "NULL"
			} else {
				fs[i] = string(v)
			}
		}
		out = append(out, strings.Join(fs, "|"))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, Run{}, err
	}
	wall := time.Since(start)
	run := Run{Wall: wall}
	if t.Clustered {
		if _, err := waitCollected(ctx, t.Conn, 2*time.Second); errors.Is(err, errNotCollected) {
			// The coordinator fetches the counters once, after the last
			// row; when that misses a node its tasks stay "running" in
			// system.tasks for good. Note it rather than fail the run.
			run.Uncollected = true
		} else if err != nil {
			return nil, Run{}, err
		}
	}
	after, err := CPU(t.PIDs...)
	if err != nil {
		return nil, Run{}, err
	}
	run.CPU = after - before
	return out, run, nil
}

// Exchange is what system.queries and system.tasks say about the newest
// distributed query of a coordinator.
type Exchange struct {
	QueryID  string
	Text     string
	Stages   int64
	Tasks    int64 // of the last attempt, the root stage's included
	Attempts int64
	Nodes    int64 // distinct nodes that ran tasks
	Bytes    int64 // wire bytes every task sent (compressed when the stream is)
}

// errNotCollected means tasks still showed as running when the wait ended.
var errNotCollected = errors.New("tasks still running in system.tasks")

// waitCollected polls until the newest query of the coordinator on conn
// has no running task (the coordinator fetches the tasks' final counters
// from the nodes after the query's last row) and returns it; ok is false
// when the node has no distributed query.
func waitCollected(ctx context.Context, conn *pgx.Conn, within time.Duration) (ok bool, err error) {
	deadline := time.Now().Add(within)
	for {
		var id string
		var running int64
		err := conn.QueryRow(ctx, `select q.query_id, sum(case when t.state = 'running' then 1 else 0 end)
			from system.queries q join system.tasks t using (query_id)
			group by q.query_id, q.started order by q.started desc limit 1`).Scan(&id, &running)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("system.tasks: %w", err)
		}
		if running == 0 {
			return true, nil
		}
		if time.Now().After(deadline) {
			return true, fmt.Errorf("query %s: %w after %v", id, errNotCollected, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// LastExchange returns the newest distributed query coordinated by the node
// on conn, with the bytes its tasks sent; ok is false when the node has
// coordinated none.
func LastExchange(ctx context.Context, conn *pgx.Conn) (Exchange, bool, error) {
	var e Exchange
	err := conn.QueryRow(ctx, `select q.query_id, q.query, q.stages, q.tasks, q.attempts,
			count(distinct t.node), coalesce(sum(t.bytes), 0)
		from system.queries q join system.tasks t using (query_id)
		group by q.query_id, q.query, q.stages, q.tasks, q.attempts, q.started
		order by q.started desc limit 1`).Scan(&e.QueryID, &e.Text, &e.Stages, &e.Tasks, &e.Attempts, &e.Nodes, &e.Bytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return Exchange{}, false, nil
	}
	if err != nil {
		return Exchange{}, false, fmt.Errorf("system.queries join system.tasks: %w", err)
	}
	return e, true, nil
}

// Result is one query measured on one node and on the cluster.
type Result struct {
	Name              string
	Single, Clustered []Run // the measured runs, warm-up excluded
	Exchange          Exchange
	Distributed       bool   // the cluster ran it as a distributed query
	Mismatch          string // "" when the cluster's answer equals the single node's
	Rows              int
	// Uncollected: in some run, system.tasks kept tasks "running" after the
	// query ended, so the bytes of the last run may be short.
	Uncollected bool
}

// CPUSingle and CPUCluster are the median CPU of the runs: CPU time moves
// less than wall time on a shared machine, and the median resists the odd
// run that a neighbour's burst slowed (cache and scheduler effects).
func (r Result) CPUSingle() time.Duration {
	return median(r.Single, func(x Run) time.Duration { return x.CPU })
}
func (r Result) CPUCluster() time.Duration {
	return median(r.Clustered, func(x Run) time.Duration { return x.CPU })
}

// WallSingle and WallCluster are the best wall times.
func (r Result) WallSingle() time.Duration  { return best(r.Single) }
func (r Result) WallCluster() time.Duration { return best(r.Clustered) }

// Ratio is cluster CPU over single-node CPU.
func (r Result) Ratio() float64 {
	// Under the 10 ms tick a time reads as 0: count it as one tick so the
	// ratio and the geometric mean stay finite (only tiny scale factors).
	tick := time.Second / clockTicks
	return float64(max(r.CPUCluster(), tick)) / float64(max(r.CPUSingle(), tick))
}

func median(runs []Run, f func(Run) time.Duration) time.Duration {
	if len(runs) == 0 {
		return 0
	}
	v := make([]time.Duration, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func best(runs []Run) time.Duration {
	var b time.Duration
	for i, r := range runs {
		if i == 0 || r.Wall < b {
			b = r.Wall
		}
	}
	return b
}

// Measure runs sql once on each target as a warm-up (those two answers are
// compared), then runs times on each, alternating, so a change in the
// machine's load hits both alike.
func Measure(ctx context.Context, name, sql string, single, cluster Target, runs int) (Result, error) {
	res := Result{Name: name}
	want, _, err := Execute(ctx, single, sql)
	if err != nil {
		return res, fmt.Errorf("%s on one node: %w", name, err)
	}
	got, _, err := Execute(ctx, cluster, sql)
	if err != nil {
		return res, fmt.Errorf("%s on the cluster: %w", name, err)
	}
	res.Rows = len(want)
	res.Mismatch = Diff(want, got, strings.Contains(strings.ToLower(sql), "order by"))
	for i := 0; i < runs; i++ {
		_, r, err := Execute(ctx, single, sql)
		if err != nil {
			return res, fmt.Errorf("%s on one node: %w", name, err)
		}
		res.Single = append(res.Single, r)
		_, r, err = Execute(ctx, cluster, sql)
		if err != nil {
			return res, fmt.Errorf("%s on the cluster: %w", name, err)
		}
		res.Clustered = append(res.Clustered, r)
		res.Uncollected = res.Uncollected || r.Uncollected
	}
	e, ok, err := LastExchange(ctx, cluster.Conn)
	if err != nil {
		return res, err
	}
	// The coordinator lists only distributed queries; a query that ran on
	// the node alone leaves the newest record an earlier query's.
	if ok && sameText(e.Text, sql) {
		res.Exchange, res.Distributed = e, true
	}
	return res, nil
}

// sameText reports whether system.queries' text is sql: the server keeps
// the statement without its comment lines and its semicolon.
func sameText(stored, sql string) bool {
	norm := func(s string) string {
		var kept []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				kept = append(kept, l)
			}
		}
		return strings.TrimSuffix(strings.Join(strings.Fields(strings.Join(kept, "\n")), " "), ";")
	}
	return norm(stored) == norm(sql)
}

// Diff compares two answers and describes the first difference, or returns
// "". Rows of a query without ORDER BY compare as multisets; numbers that
// are not equal as text must agree to 1e-9 relatively (a float sum's last
// digits depend on the order it added its inputs, which distribution
// changes). Ties under an ORDER BY may come in either order, so ordered
// answers that differ row by row are compared as multisets too.
func Diff(want, got []string, ordered bool) string {
	if len(want) != len(got) {
		return fmt.Sprintf("%d rows, want %d", len(got), len(want))
	}
	if ordered && rowsEqual(want, got) == -1 {
		return ""
	}
	w, g := sortedCopy(want), sortedCopy(got)
	if i := rowsEqual(w, g); i >= 0 {
		return fmt.Sprintf("row %q, want %q", g[i], w[i])
	}
	return ""
}

// rowsEqual returns the index of the first differing row, or -1.
func rowsEqual(want, got []string) int {
	for i := range want {
		if !rowEqual(want[i], got[i]) {
			return i
		}
	}
	return -1
}

func rowEqual(a, b string) bool {
	if a == b {
		return true
	}
	fa, fb := strings.Split(a, "|"), strings.Split(b, "|")
	if len(fa) != len(fb) {
		return false
	}
	for i := range fa {
		if fa[i] == fb[i] {
			continue
		}
		x, err1 := strconv.ParseFloat(fa[i], 64)
		y, err2 := strconv.ParseFloat(fb[i], 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if math.Abs(x-y) > 1e-9*math.Max(math.Abs(x), math.Abs(y)) {
			return false
		}
	}
	return true
}

// sortedCopy sorts rows by a key in which numbers are rounded to 9
// significant digits, so rows that rowEqual accepts sort alike.
func sortedCopy(rows []string) []string {
	type keyed struct{ key, row string }
	ks := make([]keyed, len(rows))
	for i, r := range rows {
		fs := strings.Split(r, "|")
		for j, f := range fs {
			if x, err := strconv.ParseFloat(f, 64); err == nil {
				fs[j] = strconv.FormatFloat(x, 'g', 9, 64)
			}
		}
		ks[i] = keyed{strings.Join(fs, "|"), r}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.row
	}
	return out
}

// Geomean is the geometric mean of the CPU ratios.
func Geomean(rs []Result) float64 {
	if len(rs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, r := range rs {
		s += math.Log(r.Ratio())
	}
	return math.Exp(s / float64(len(rs)))
}
