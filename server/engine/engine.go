// Package engine runs SQL end to end on this node: the PostgreSQL front
// parses, the binder binds, the optimizer rewrites, the physical planner
// builds operators and the result streams to the caller. The CLI and every
// server endpoint share it.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/exec"
	evalexpr "github.com/basaltdb/basalt/exec/expr"
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/planner/optimize"
	"github.com/basaltdb/basalt/planner/physical"
	"github.com/basaltdb/basalt/server/pgcatalog"
	"github.com/basaltdb/basalt/sql/binder"
	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/session"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// Config configures an engine.
type Config struct {
	DataDir     string
	MemoryLimit int64 // bytes per query; 0 = unlimited
	Parallelism int   // streams per scan; 0 = GOMAXPROCS
	// SystemTables are the relations of schema system that the server
	// provides (system.nodes from cluster membership); the engine only
	// scans them, so it needs nothing of what feeds them.
	SystemTables []pgcatalog.SystemTable
	// Catalog is the data directory's catalog when the caller opened it
	// already (a node shares it with its distributed worker); Open reads
	// DataDir otherwise.
	Catalog *storage.Catalog
	// Distributor, when set, runs the plans worth distributing across the
	// cluster (distributor.go).
	Distributor Distributor
}

// Engine is the embedded query engine over one data directory.
type Engine struct {
	cfg Config
	cat *storage.Catalog
	sys *pgcatalog.Catalog
}

// Open discovers the tables under cfg.DataDir.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	cat := cfg.Catalog
	if cat == nil {
		var err error
		if cat, err = storage.Open(ctx, cfg.DataDir); err != nil {
			return nil, err
		}
	}
	return &Engine{cfg: cfg, cat: cat, sys: pgcatalog.New(cat, cfg.SystemTables...)}, nil
}

// Catalog is the engine's table catalog.
func (e *Engine) Catalog() *storage.Catalog { return e.cat }

// Close releases the engine.
func (e *Engine) Close() error { return nil }

// Column is one result column.
type Column struct {
	Name string
	Type types.T
}

// Result streams a statement's rows.
type Result struct {
	Columns []Column
	root    exec.Operator
	mem     *exec.Memory
	cancel  context.CancelFunc
	ctx     context.Context
	opened  bool
	done    bool
	err     error

	progress func() (done, total int)
}

// Progress reports the table splits (Parquet row groups) read so far and
// the number the query will read, for progress displays.
func (r *Result) Progress() (done, total int) {
	if r.progress == nil {
		return 0, 0
	}
	return r.progress()
}

// Query runs one SQL statement.
func (e *Engine) Query(ctx context.Context, text string) (*Result, error) {
	stmts, err := pgfront.Parse(text)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, sqlerr.New(sqlerr.SyntaxError, "expected one statement, got %d", len(stmts))
	}
	return e.Run(ctx, nil, &stmts[0])
}

// Run executes a parsed statement in a session; nil means a fresh
// embedded session.
func (e *Engine) Run(ctx context.Context, sess session.Info, st *pgfront.Statement) (*Result, error) {
	return e.RunParams(ctx, sess, st, nil)
}

// Params are a statement's $n parameters: types and values (see
// binder.Params).
type Params = binder.Params

// RunParams executes a parsed statement with parameter values (nil: the
// statement has none). Each parameter's type should come from Describe, so
// the statement binds as it was described.
func (e *Engine) RunParams(ctx context.Context, sess session.Info, st *pgfront.Statement, params *Params) (*Result, error) {
	if sess == nil {
		sess = session.NewEmbedded()
	}
	if st.Special != nil {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "%s is not supported by the embedded engine", st.Special.Kind)
	}
	if params != nil && (params.Infer || len(params.Values) != len(params.Types)) {
		return nil, sqlerr.New(sqlerr.InternalError, "parameters to run need one value per type")
	}
	switch s := st.AST.(type) {
	case *ast.ExplainStmt:
		return e.explain(ctx, sess, st, s, params)
	}
	plan, names, err := e.plan(sess, st, st.AST, params)
	if err != nil {
		return nil, err
	}
	return e.start(ctx, plan, names, st.Text, nil)
}

// Describe binds a statement without running or planning it: it returns
// the type of every parameter (paramTypes gives those the client named;
// Unknown or missing ones are inferred from their use, as PostgreSQL does)
// and the result columns.
func (e *Engine) Describe(sess session.Info, st *pgfront.Statement, paramTypes []types.T) ([]types.T, []Column, error) {
	if sess == nil {
		sess = session.NewEmbedded()
	}
	if st.Special != nil {
		return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "%s is not supported by the embedded engine", st.Special.Kind)
	}
	params := &Params{Types: append([]types.T(nil), paramTypes...), Infer: true}
	node, explain := st.AST, false
	if s, ok := node.(*ast.ExplainStmt); ok {
		node, explain = s.Stmt, true
	}
	b := binder.New(e.cat, st.ColumnAliases)
	b.Session = sess
	b.Query = st.Text
	b.Params = params
	b.Sys = e.sys.View(sess)
	bound, err := b.BindQuery(node)
	if err != nil {
		return nil, nil, err
	}
	if explain {
		return params.Types, []Column{{Name: "QUERY PLAN", Type: types.TextT}}, nil
	}
	cols := make([]Column, 0, len(bound.Names))
	for i, c := range bound.Plan.Schema() {
		cols = append(cols, Column{Name: bound.Names[i], Type: c.T})
	}
	return params.Types, cols, nil
}

func (e *Engine) plan(sess session.Info, st *pgfront.Statement, node ast.StmtNode, params *Params) (logical.Node, []string, error) {
	b := binder.New(e.cat, st.ColumnAliases)
	b.Session = sess
	b.Query = st.Text
	b.Params = params
	b.Sys = e.sys.View(sess)
	bound, err := b.BindQuery(node)
	if err != nil {
		return nil, nil, err
	}
	plan, _, err := optimize.Optimize(bound.Plan, false)
	if err != nil {
		return nil, nil, err
	}
	return plan, bound.Names, nil
}

func (e *Engine) start(ctx context.Context, plan logical.Node, names []string, text string, stats *physical.Stats) (*Result, error) {
	mem := exec.NewMemory(e.cfg.MemoryLimit)
	now := time.Now()
	var root exec.Operator
	var progress func() (int, int)
	if e.cfg.Distributor != nil {
		d, err := e.cfg.Distributor.Distribute(ctx, &DistQuery{Plan: plan, Text: text, Mem: mem, Now: now, Analyze: stats != nil})
		if err != nil {
			return nil, err
		}
		root = d
	}
	if root == nil {
		p := &physical.Planner{Alloc: memory.DefaultAllocator, Mem: mem, Parallelism: e.cfg.Parallelism, Stats: stats}
		var err error
		if root, err = p.Build(plan); err != nil {
			return nil, err
		}
		progress = p.Progress
	}
	rctx, cancel := context.WithCancel(evalexpr.WithNow(ctx, now))
	r := &Result{root: root, mem: mem, cancel: cancel, ctx: rctx, progress: progress}
	for i, c := range plan.Schema() {
		r.Columns = append(r.Columns, Column{Name: names[i], Type: c.T})
	}
	return r, nil
}

// Next returns the next batch of rows, or io.EOF. The batch is valid until
// the next call.
func (r *Result) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.done {
		return nil, io.EOF
	}
	if !r.opened {
		r.opened = true
		if err := exec.Open(r.ctx, r.root); err != nil {
			r.err = err
			return nil, err
		}
	}
	b, err := exec.Next(mergeCtx(ctx, r.ctx), r.root)
	if err == io.EOF {
		r.done = true
		return nil, io.EOF
	}
	if err != nil {
		r.err = err
		return nil, err
	}
	return b, nil
}

func mergeCtx(outer, inner context.Context) context.Context {
	if outer.Done() == nil {
		return inner
	}
	if err := outer.Err(); err != nil {
		return outer
	}
	return inner
}

// PeakMemory is the most memory the query reserved at once.
func (r *Result) PeakMemory() int64 { return r.mem.Peak() }

// Reserve takes n bytes from the query's budget for rows its consumer
// keeps (a scrollable cursor's), refusing with 53200 past the limit;
// Release gives them back. Both work after Close.
func (r *Result) Reserve(n int64) error { return r.mem.Reserve(n) }

// Release returns n bytes taken by Reserve.
func (r *Result) Release(n int64) { r.mem.Release(n) }

// Close stops the query and frees what it holds.
func (r *Result) Close() error {
	if r.cancel != nil {
		r.cancel()
	}
	if r.root == nil {
		return nil
	}
	err := r.root.Close()
	r.root = nil
	return err
}

func (e *Engine) explain(ctx context.Context, sess session.Info, st *pgfront.Statement, s *ast.ExplainStmt, params *Params) (*Result, error) {
	b := binder.New(e.cat, st.ColumnAliases)
	b.Session = sess
	b.Query = st.Text
	b.Params = params
	b.Sys = e.sys.View(sess)
	bound, err := b.BindQuery(s.Stmt)
	if err != nil {
		return nil, err
	}
	verbose := strings.EqualFold(s.Format, "verbose")
	plan, steps, err := optimize.Optimize(bound.Plan, verbose)
	if err != nil {
		return nil, err
	}
	var lines []string
	if verbose {
		lines = append(lines, "initial plan:")
		lines = append(lines, indent(logical.Format(bound.Plan))...)
		for _, step := range steps {
			lines = append(lines, "after "+step.Rule+":")
			lines = append(lines, indent(logical.Format(step.Plan))...)
		}
		lines = append(lines, "final plan:")
	}
	if !s.Analyze {
		if e.cfg.Distributor != nil {
			if stages := e.cfg.Distributor.Explain(plan); stages != nil {
				return textResult("QUERY PLAN", append(lines, stages...)), nil
			}
		}
		lines = append(lines, strings.Split(strings.TrimRight(logical.Format(plan), "\n"), "\n")...)
		return textResult("QUERY PLAN", lines), nil
	}
	stats := physical.NewStats()
	res, err := e.start(ctx, plan, bound.Names, st.Text, stats)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var rows int64
	for {
		bt, err := res.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.Close()
			return nil, err
		}
		rows += bt.NumRows()
	}
	elapsed := time.Since(start)
	peak := res.PeakMemory()
	if rep, ok := res.root.(Reporter); ok {
		lines = append(lines, rep.Report(ctx)...)
	} else {
		lines = append(lines, formatAnalyzed(plan, stats)...)
	}
	res.Close()
	lines = append(lines, fmt.Sprintf("Rows: %d  Execution Time: %.3f ms  Peak Memory: %s", rows, float64(elapsed.Microseconds())/1000, formatBytes(peak)))
	return textResult("QUERY PLAN", lines), nil
}

func indent(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		out = append(out, "  "+l)
	}
	return out
}

func formatAnalyzed(plan logical.Node, stats *physical.Stats) []string {
	var out []string
	var walk func(n logical.Node, depth int)
	walk = func(n logical.Node, depth int) {
		line := strings.Repeat("  ", depth) + n.String()
		for _, st := range groupStats(stats.For(n)) {
			mem := ""
			if st.peak > 0 {
				mem = " peak memory=" + formatBytes(st.peak)
			}
			if st.spillFiles > 0 {
				mem += fmt.Sprintf(" spilled=%d files, %s", st.spillFiles, formatBytes(st.spillBytes))
			}
			line += fmt.Sprintf("  [%s x%d: rows=%d time=%.3fms%s]", st.name, st.count, st.rows, float64(st.nanos)/1e6, mem)
		}
		out = append(out, line)
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(plan, 0)
	return out
}

type opGroup struct {
	name        string
	count       int
	rows, nanos int64
	peak        int64
	spillFiles  int64
	spillBytes  int64
}

func groupStats(ops []*physical.OpStats) []opGroup {
	var out []opGroup
	idx := map[string]int{}
	for _, o := range ops {
		i, ok := idx[o.Name]
		if !ok {
			i = len(out)
			idx[o.Name] = i
			out = append(out, opGroup{name: o.Name})
		}
		out[i].count++
		out[i].rows += o.Rows.Load()
		out[i].nanos = max(out[i].nanos, o.Nanos.Load())
		out[i].peak += o.PeakMemory()
		f, b := o.Spilled()
		out[i].spillFiles += f
		out[i].spillBytes += b
	}
	return out
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// textResult is a one-column text result held in memory.
func textResult(name string, lines []string) *Result {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	b.AppendValues(lines, nil)
	col := b.NewArray()
	schema := arrow.NewSchema([]arrow.Field{{Name: name, Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(len(lines)))
	col.Release()
	return &Result{Columns: []Column{{Name: name, Type: types.TextT}}, root: &memOp{schema: schema, rec: rec}, mem: exec.NewMemory(0), ctx: context.Background()}
}

type memOp struct {
	schema *arrow.Schema
	rec    arrow.RecordBatch
	sent   bool
}

func (m *memOp) Open(context.Context) error { return nil }
func (m *memOp) Next(context.Context) (arrow.RecordBatch, error) {
	if m.sent || m.rec == nil {
		return nil, io.EOF
	}
	m.sent = true
	return m.rec, nil
}
func (m *memOp) Close() error {
	if m.rec != nil {
		m.rec.Release()
		m.rec = nil
	}
	return nil
}
func (m *memOp) Schema() *arrow.Schema { return m.schema }
