package physical

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/exec"
	evalexpr "github.com/basaltdb/basalt/exec/expr"
	"github.com/basaltdb/basalt/planner/logical"
)

// Stats collects, per logical node, what its operators did, for EXPLAIN
// ANALYZE.
type Stats struct {
	mu    sync.Mutex
	nodes map[logical.Node][]*OpStats
}

// OpStats are the counters of one operator instance.
type OpStats struct {
	Name    string
	Rows    atomic.Int64
	Batches atomic.Int64
	Nanos   atomic.Int64 // inclusive of children, summed over instances
	Mem     *exec.Memory // the operator's own account, for blocking operators
	op      exec.Operator
}

// Spilled reports the spill files and bytes the operator wrote, if it can
// spill.
func (o *OpStats) Spilled() (files, bytes int64) {
	switch s := o.op.(type) {
	case interface{ SpillStats() (int64, int64) }:
		return s.SpillStats()
	case interface{ SpillStats() (int64, int64, int64) }:
		f, b, _ := s.SpillStats()
		return f, b
	}
	return 0, 0
}

// PeakMemory is the most the operator held at once (0 if it holds nothing).
func (o *OpStats) PeakMemory() int64 {
	if o.Mem == nil {
		return 0
	}
	return o.Mem.Peak()
}

// NewStats returns an empty collector.
func NewStats() *Stats { return &Stats{nodes: map[logical.Node][]*OpStats{}} }

// For returns the operator counters recorded for n.
func (s *Stats) For(n logical.Node) []*OpStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nodes[n]
}

func (p *Planner) track(op exec.Operator, name string, n logical.Node) exec.Operator {
	return p.trackMem(op, name, n, nil)
}

// trackMem is track for an operator that reserves from its own account mem.
func (p *Planner) trackMem(op exec.Operator, name string, n logical.Node, mem *exec.Memory) exec.Operator {
	if p.Stats == nil {
		return op
	}
	st := &OpStats{Name: name, Mem: mem, op: op}
	p.Stats.mu.Lock()
	p.Stats.nodes[n] = append(p.Stats.nodes[n], st)
	p.Stats.mu.Unlock()
	return &tracked{Operator: op, st: st}
}

type tracked struct {
	exec.Operator
	st *OpStats
}

func (t *tracked) Open(ctx context.Context) error {
	start := time.Now()
	err := exec.Open(ctx, t.Operator)
	t.st.Nanos.Add(int64(time.Since(start)))
	return err
}

func (t *tracked) Next(ctx context.Context) (arrow.RecordBatch, error) {
	start := time.Now()
	b, err := exec.Next(ctx, t.Operator)
	t.st.Nanos.Add(int64(time.Since(start)))
	if b != nil {
		t.st.Rows.Add(b.NumRows())
		t.st.Batches.Add(1)
	}
	return b, err
}

// oneRow is a batch of one row and no columns, for evaluating constants.
func oneRow() arrow.RecordBatch {
	return array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)
}

var _ = evalexpr.Compile
