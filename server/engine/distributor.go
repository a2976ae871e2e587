package engine

import (
	"context"
	"time"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/planner/logical"
)

// Distributor runs queries across a cluster (server/dist). The engine
// offers it every optimised plan; it takes the ones worth spreading over
// the nodes and leaves the rest to this node.
type Distributor interface {
	// Distribute returns the root operator of q's plan run across the
	// cluster, or nil when the plan should run on this node alone.
	Distribute(ctx context.Context, q *DistQuery) (exec.Operator, error)
	// Explain describes how plan would be distributed (its stages), or
	// returns nil when it would run on this node alone.
	Explain(plan logical.Node) []string
}

// DistQuery is a statement handed to the Distributor.
type DistQuery struct {
	Plan logical.Node
	Text string
	// Mem is the statement's memory budget (the root stage's operators
	// reserve from it; every task has a budget of the same size).
	Mem *exec.Memory
	// Now is the statement's start: now() and current_date on every node.
	Now time.Time
	// Analyze asks for per-stage statistics: the returned operator then
	// implements Reporter.
	Analyze bool
}

// Reporter is implemented by a distributed query's root operator when
// EXPLAIN ANALYZE asked for statistics: the stages with their tasks'
// nodes, rows, bytes and times, once the rows are read.
type Reporter interface {
	Report(ctx context.Context) []string
}
