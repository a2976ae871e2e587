package dist

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/exchange"
	"github.com/basaltdb/basalt/planner/distribute"
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/planner/optimize"
	"github.com/basaltdb/basalt/planner/physical"
	"github.com/basaltdb/basalt/planner/plancodec"
	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/storage"
)

// CoordinatorConfig configures a node's coordinator.
type CoordinatorConfig struct {
	Client *exchange.Client
	// Service is this node's exchange: the root stage reads this node's
	// tasks from its queues (nil: through calls, like the others').
	Service *exchange.Service
	Members Membership
	// MemoryLimit is every task's budget (the node's --memory-limit).
	MemoryLimit int64
	Parallelism int
	Alloc       memory.Allocator
	// MinBytes: plans whose scans read fewer bytes (after pruning) run on
	// this node alone, where starting tasks elsewhere costs more than it
	// saves. 0 distributes everything that can be.
	MinBytes int64
	// Attempts is how many times a query runs before a node failure fails
	// it (DefaultAttempts when 0).
	Attempts  int
	Fragment  distribute.Options
	Logf      func(format string, args ...any)
	KeepQuery int // finished queries listed in system.queries (100 when 0)
}

// DefaultAttempts runs a query up to three times: two nodes may die.
const DefaultAttempts = 3

// Coordinator distributes this node's queries (engine.Distributor).
type Coordinator struct {
	cfg CoordinatorConfig

	seq atomic.Int64
	mu  sync.Mutex
	// down are nodes this coordinator could not reach lately, skipped
	// until membership catches up (memberlist takes seconds to declare a
	// killed node dead).
	down    map[string]time.Time
	queries []*queryRecord // oldest first
}

// How long a node that failed a call stays out of new queries unless
// membership shows it alive again later.
const downFor = 15 * time.Second

// NewCoordinator returns a coordinator.
func NewCoordinator(cfg CoordinatorConfig) *Coordinator {
	if cfg.Alloc == nil {
		cfg.Alloc = memory.DefaultAllocator
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.KeepQuery <= 0 {
		cfg.KeepQuery = 100
	}
	return &Coordinator{cfg: cfg, down: map[string]time.Time{}}
}

var _ engine.Distributor = (*Coordinator)(nil)

// plan decides whether q's plan is distributed and cuts it.
func (c *Coordinator) plan(plan logical.Node) (*distribute.Plan, bool) {
	if len(c.nodes()) < 2 {
		return nil, false
	}
	if plancodec.Shippable(plan) != nil {
		return nil, false
	}
	if c.cfg.MinBytes > 0 && scanBytes(plan) < c.cfg.MinBytes {
		return nil, false
	}
	opt := c.cfg.Fragment
	opt.Nodes = len(c.nodes())
	// Columns only a scan's filter reads would travel between nodes.
	if p, err := optimize.PruneForExchange(plan); err == nil {
		plan = p
	}
	return distribute.Fragment(plan, opt)
}

// scanBytes sums the bytes the plan's scans read.
func scanBytes(n logical.Node) int64 {
	var sum int64
	logical.Walk(n, func(n logical.Node) {
		if s, ok := n.(*logical.Scan); ok && !s.Table.InMemory() {
			for _, sp := range physical.Splits(s) {
				sum += sp.Bytes
			}
		}
	})
	return sum
}

// Explain implements engine.Distributor.
func (c *Coordinator) Explain(plan logical.Node) []string {
	dp, ok := c.plan(plan)
	if !ok {
		return nil
	}
	return dp.Format()
}

// Distribute implements engine.Distributor.
func (c *Coordinator) Distribute(ctx context.Context, q *engine.DistQuery) (exec.Operator, error) {
	dp, ok := c.plan(q.Plan)
	if !ok {
		return nil, nil
	}
	rec := &queryRecord{ID: newQueryID(c.cfg.Members.Self().Name), Coordinator: c.cfg.Members.Self().Name,
		Text: q.Text, State: "running", Started: time.Now(), Stages: len(dp.Stages)}
	c.remember(rec)
	return &queryOp{c: c, q: q, dp: dp, rec: rec, schema: physical.ArrowSchema(q.Plan.Schema())}, nil
}

func newQueryID(node string) string {
	var b [6]byte
	rand.Read(b[:])
	return node + "-" + hex.EncodeToString(b[:])
}

func (c *Coordinator) remember(r *queryRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries = append(c.queries, r)
	// Drop the oldest finished queries beyond the limit.
	for len(c.queries) > c.cfg.KeepQuery {
		i := 0
		for i < len(c.queries) && c.queries[i].state() == "running" {
			i++
		}
		if i == len(c.queries) {
			break
		}
		c.queries = append(c.queries[:i], c.queries[i+1:]...)
	}
}

// nodes lists the members to run an attempt on, minus those this
// coordinator found unreachable lately; self first.
func (c *Coordinator) nodes() []Node {
	self := c.cfg.Members.Self()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []Node{self}
	for _, n := range c.cfg.Members.Alive() {
		if n.Name == self.Name || n.FlightAddr == "" {
			continue
		}
		if t, ok := c.down[n.Name]; ok && time.Since(t) < downFor {
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out[1:], func(i, j int) bool { return out[1+i].Name < out[1+j].Name })
	return out
}

func (c *Coordinator) markDown(name string) {
	c.mu.Lock()
	c.down[name] = time.Now()
	c.mu.Unlock()
}

// queryOp is a distributed query's root operator: it launches an attempt's
// tasks, runs the root stage here, and on a node failure before any row
// reached the client runs the query again on the nodes still alive.
type queryOp struct {
	c      *Coordinator
	q      *engine.DistQuery
	dp     *distribute.Plan
	rec    *queryRecord
	schema *arrow.Schema

	att       *attempt
	delivered bool
	closed    bool
	rows      int64     // returned to the client
	started   time.Time // of the attempt that answers
}

// attempt is one run of the query's stages on a set of nodes.
type attempt struct {
	n     int
	query string // exchange query id
	nodes []Node
	tasks [][]Node // per stage, the node of each task
	root  exec.Operator
}

func (o *queryOp) Schema() *arrow.Schema { return o.schema }

func (o *queryOp) Open(ctx context.Context) error {
	if o.att != nil {
		return nil
	}
	return o.launch(ctx, 1)
}

// launch starts attempt n: every task on its node, then the root stage
// here. A node that cannot be reached makes the next attempt.
func (o *queryOp) launch(ctx context.Context, n int) error {
	for ; ; n++ {
		nodes := o.c.nodes()
		att := &attempt{n: n, query: fmt.Sprintf("%s.%d", o.rec.ID, n), nodes: nodes}
		o.att = att
		o.started = time.Now()
		o.rec.startAttempt(n, nodes)
		err := o.start(ctx, att)
		if err == nil {
			return nil
		}
		o.abort(att)
		if !o.retryable(ctx, err, n) {
			o.rec.finish(outcome(ctx, err), err)
			return err
		}
		o.c.cfg.Logf("query %s: attempt %d failed (%v); running it again on the live nodes", o.rec.ID, n, err)
	}
}

// retryable reports whether err came from a node that is gone and the
// query may run again: some node of the attempt no longer answers.
func (o *queryOp) retryable(ctx context.Context, err error, n int) bool {
	if ctx.Err() != nil || n >= o.c.cfg.Attempts || o.delivered {
		return false
	}
	var se *sqlerr.Error
	if !errors.As(err, &se) || (se.Code != sqlerr.ConnectionFailure && se.Code != sqlerr.AdminShutdown) {
		return false
	}
	lost := false
	for _, node := range o.att.nodes {
		if node.Name == o.c.cfg.Members.Self().Name {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		_, perr := o.c.cfg.Client.DoAction(pctx, node.FlightAddr, actionPing, nil)
		cancel()
		if perr != nil || o.c.cfg.Members.Gone(node.Name) {
			o.c.markDown(node.Name)
			lost = true
		}
	}
	return lost
}

// outcome is the state a query that stopped with err ends in.
func outcome(ctx context.Context, err error) string {
	if ctx.Err() != nil || isCanceled(err) {
		return "canceled"
	}
	return "failed"
}

func (o *queryOp) start(ctx context.Context, att *attempt) error {
	stages := o.dp.Stages
	att.tasks = make([][]Node, len(stages))
	self := o.c.cfg.Members.Self()
	for i, s := range stages {
		if s.Spread {
			att.tasks[i] = att.nodes
		} else {
			att.tasks[i] = []Node{self}
		}
	}
	inputs := func(plan logical.Node) map[int][]Source {
		m := map[int][]Source{}
		for _, r := range distribute.Remotes(plan) {
			for t, node := range att.tasks[r.Stage] {
				m[r.Stage] = append(m[r.Stage], Source{Task: t, Addr: node.FlightAddr})
			}
		}
		return m
	}
	var specs []*TaskSpec
	var dest []Node
	for _, s := range stages[1:] {
		plans, err := taskPlans(s, len(att.tasks[s.ID]))
		if err != nil {
			return err
		}
		in := inputs(s.Plan)
		for t, plan := range plans {
			b, err := plancodec.Encode(plan)
			if err != nil {
				return err
			}
			specs = append(specs, &TaskSpec{Query: att.query, Coordinator: self.Name, Stage: s.ID, Task: t, Plan: b,
				How: s.How, Keys: s.Keys, Partitions: len(att.tasks[s.Consumer]), Inputs: in, Partition: t,
				Now: o.q.Now.UnixMicro(), MemoryLimit: o.c.cfg.MemoryLimit})
			dest = append(dest, att.tasks[s.ID][t])
		}
	}
	o.rec.addTasks(specs, dest)
	// Start every task at once, each node's in one call; consumers wait
	// for their producers' streams (exchange.Config.ConsumerWait).
	byNode := map[string][]*TaskSpec{}
	addr := map[string]string{}
	for i, spec := range specs {
		byNode[dest[i].Name] = append(byNode[dest[i].Name], spec)
		addr[dest[i].Name] = dest[i].FlightAddr
	}
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for name, list := range byNode {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, err := json.Marshal(list)
			if err == nil {
				_, err = o.c.cfg.Client.DoAction(ctx, addr[name], actionRunTasks, body)
			}
			if err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("starting %d tasks on %s: %w", len(list), name, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	p := &physical.Planner{Alloc: o.c.cfg.Alloc, Mem: o.q.Mem, Parallelism: o.c.cfg.Parallelism,
		Remote: receivers(o.c.cfg.Client, o.c.cfg.Service, self.FlightAddr, inputs(stages[0].Plan), att.query, 0, o.c.cfg.Alloc)}
	root, err := p.Build(stages[0].Plan)
	if err != nil {
		return err
	}
	att.root = root
	return exec.Open(ctx, root)
}

// abort stops an attempt everywhere: the root here, the tasks and streams
// on every node of the attempt.
func (o *queryOp) abort(att *attempt) {
	if att.root != nil {
		att.root.Close()
		att.root = nil
	}
	o.c.cancelEverywhere(att)
}

func (c *Coordinator) cancelEverywhere(att *attempt) {
	c.eachNode(att, func(ctx context.Context, node Node) {
		c.cfg.Client.CancelQuery(ctx, node.FlightAddr, att.query)
	})
}

// eachNode calls f for every node of an attempt at once, each with two
// seconds, and waits for all: cleanup and statistics must not hang on a
// dead node.
func (c *Coordinator) eachNode(att *attempt, f func(context.Context, Node)) {
	var wg sync.WaitGroup
	for _, node := range att.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			f(ctx, node)
		}()
	}
	wg.Wait()
}

func (o *queryOp) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if o.att == nil {
		if err := o.Open(ctx); err != nil {
			return nil, err
		}
	}
	for {
		if o.att.root == nil {
			return nil, io.EOF
		}
		b, err := exec.Next(ctx, o.att.root)
		if err == nil {
			if b.NumRows() > 0 {
				o.delivered = true
				o.rows += b.NumRows()
			}
			return b, nil
		}
		if err == io.EOF {
			o.rec.finish("finished", nil)
			return nil, io.EOF
		}
		att := o.att
		o.abort(att)
		if !o.retryable(ctx, err, att.n) {
			o.rec.finish(outcome(ctx, err), err)
			return nil, err
		}
		o.c.cfg.Logf("query %s: attempt %d lost a node (%v); running it again on the live nodes", o.rec.ID, att.n, err)
		if err := o.launch(ctx, att.n+1); err != nil {
			return nil, err
		}
	}
}

func (o *queryOp) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	if o.att == nil {
		o.rec.finish("canceled", nil)
		return nil
	}
	var err error
	if o.att.root != nil {
		err = o.att.root.Close()
		o.att.root = nil
	}
	if o.rec.state() == "running" {
		o.rec.finish("canceled", nil)
	}
	// Free the streams nobody read (an early Close, a LIMIT) everywhere,
	// then keep the tasks' counters for system.tasks.
	att := o.att
	go func() {
		o.c.collect(o.rec, att)
		o.c.cancelEverywhere(att)
	}()
	return err
}

// Report implements engine.Reporter.
func (o *queryOp) Report(ctx context.Context) []string {
	if o.att == nil {
		return nil
	}
	o.c.collect(o.rec, o.att)
	infos := o.rec.taskInfos()
	var out []string
	if o.att.n > 1 {
		out = append(out, fmt.Sprintf("Attempts: %d (tasks rerun: %d)", o.att.n, o.rec.snapshot().TasksRerun))
	}
	for _, s := range o.dp.Stages {
		out = append(out, s.Header())
		for _, l := range strings.Split(strings.TrimRight(logical.Format(s.Plan), "\n"), "\n") {
			out = append(out, "    "+l)
		}
		if s.ID == 0 {
			out = append(out, fmt.Sprintf("  task 0 node=%s (coordinator) rows=%d time=%.3fms", o.c.cfg.Members.Self().Name, o.rows,
				float64(time.Since(o.started).Microseconds())/1000))
			continue
		}
		for _, ti := range infos {
			if ti.Stage == s.ID && ti.Query == o.att.query {
				out = append(out, "  "+ti.String())
			}
		}
	}
	return out
}

// collect fetches the counters of an attempt's tasks from their nodes.
func (c *Coordinator) collect(rec *queryRecord, att *attempt) {
	// Tasks finish their bookkeeping a moment after their last rows
	// arrive: ask again briefly while some still say running.
	for try := 0; ; try++ {
		var mu sync.Mutex
		var all []TaskInfo
		c.eachNode(att, func(ctx context.Context, node Node) {
			b, err := c.cfg.Client.DoAction(ctx, node.FlightAddr, actionTaskStats, []byte(att.query))
			if err != nil {
				return
			}
			var infos []TaskInfo
			if json.Unmarshal(b, &infos) == nil {
				mu.Lock()
				all = append(all, infos...)
				mu.Unlock()
			}
		})
		rec.update(all)
		running := false
		for _, t := range all {
			running = running || t.State == "running"
		}
		if !running || try == 20 {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// taskPlans gives each task of stage s its plan: a spread stage's scans
// each read a share of their splits, balanced by bytes; the scans of a
// co-located set read whole buckets of overlapping key ranges.
func taskPlans(s *distribute.Stage, tasks int) ([]logical.Node, error) {
	if !s.Spread {
		return []logical.Node{s.Plan}, nil
	}
	shares := map[*logical.Scan][][]storage.SplitID{}
	for _, set := range s.Colocated {
		buckets, ok := set.Buckets()
		if !ok {
			return nil, sqlerr.New(sqlerr.InternalError, "stage %d: the statistics its co-located join was planned on are gone", s.ID)
		}
		load := make([]int64, tasks)
		sort.SliceStable(buckets, func(i, j int) bool { return buckets[i].Bytes > buckets[j].Bytes })
		for _, m := range set.Members {
			shares[m.Scan] = make([][]storage.SplitID, tasks)
		}
		for _, b := range buckets {
			t := lightest(load)
			for scan, ids := range b.Splits {
				shares[scan][t] = append(shares[scan][t], ids...)
			}
			load[t] += max(b.Bytes, 1)
		}
	}
	logical.Walk(s.Plan, func(n logical.Node) {
		if x, ok := n.(*logical.Scan); ok && shares[x] == nil {
			shares[x] = share(physical.Splits(x), tasks)
		}
	})
	out := make([]logical.Node, tasks)
	for t := range out {
		out[t] = withSplits(s.Plan, func(x *logical.Scan) *logical.Scan {
			y := *x
			y.Assigned, y.Splits = true, shares[x][t]
			if y.Splits == nil {
				y.Splits = []storage.SplitID{}
			}
			return &y
		})
	}
	return out, nil
}

// lightest is the task with the least load.
func lightest(load []int64) int {
	best := 0
	for t := range load {
		if load[t] < load[best] {
			best = t
		}
	}
	return best
}

// share deals splits to n tasks, the largest first to the task with the
// fewest bytes so far.
func share(splits []storage.Split, n int) [][]storage.SplitID {
	sort.SliceStable(splits, func(i, j int) bool { return splits[i].Bytes > splits[j].Bytes })
	out := make([][]storage.SplitID, n)
	load := make([]int64, n)
	for _, s := range splits {
		best := lightest(load)
		out[best] = append(out[best], s.ID())
		load[best] += max(s.Bytes, 1)
	}
	return out
}

// withSplits copies plan with every scan replaced by f(scan).
func withSplits(n logical.Node, f func(*logical.Scan) *logical.Scan) logical.Node {
	if s, ok := n.(*logical.Scan); ok {
		return f(s)
	}
	ch := n.Children()
	if len(ch) == 0 {
		return n
	}
	nc := make([]logical.Node, len(ch))
	for i, c := range ch {
		nc[i] = withSplits(c, f)
	}
	return n.WithChildren(nc)
}
