package logical

import (
	"fmt"
	"strings"

	"github.com/basaltdb/basalt/storage"
)

// The nodes and fields in this file appear only in distributed plans: the
// fragmenter (planner/distribute) cuts an optimised plan into stages, and
// each stage's plan reads the stages below it through Remote leaves.

// AggPhase says which half of a two-phase aggregation an Aggregate runs.
type AggPhase uint8

const (
	// AggWhole aggregates raw rows into final values (every plan the
	// binder and optimizer build).
	AggWhole AggPhase = iota
	// AggPartial aggregates raw rows into partial states; Out is the
	// state layout (group columns, then each aggregate's state columns,
	// as ops.PartialSchema).
	AggPartial
	// AggFinal merges partial states: Input yields an AggPartial's rows,
	// Groups and Aggs are the AggPartial's (only their count, functions
	// and result types matter here), Out the final columns.
	AggFinal
)

var phaseNames = [...]string{"", "Partial", "Final"}

func (p AggPhase) String() string { return phaseNames[p] }

// Remote is a leaf that reads the rows another stage sends to this task:
// from every task of stage Stage, the partition meant for this one.
type Remote struct {
	Stage int
	Out   Schema
	// Rows estimates how many rows arrive in all (the optimizer's estimate
	// of the plan the stage runs), so the physical planner can still
	// choose the smaller side of a join to build.
	Rows float64
	// Largest is the row count of the largest table the stage reads,
	// directly or through its own Remote leaves (the fragmenter's
	// guard against broadcasting what only estimates small).
	Largest float64
	// How is how the stage deals its rows: "gather", "hash" or
	// "broadcast" (for EXPLAIN).
	How string
}

func (n *Remote) Schema() Schema           { return n.Out }
func (n *Remote) Children() []Node         { return nil }
func (n *Remote) WithChildren([]Node) Node { c := *n; return &c }
func (n *Remote) String() string {
	return fmt.Sprintf("Remote stage %d (%s)", n.Stage, n.How)
}

// Walk calls f on n and every node below it, the plan of each shared CTE
// included (once, at its first reader).
func Walk(n Node, f func(Node)) {
	seen := map[*CTE]bool{}
	var walk func(Node)
	walk = func(n Node) {
		f(n)
		if s, ok := n.(*CTEScan); ok && !seen[s.CTE] {
			seen[s.CTE] = true
			walk(s.CTE.Plan)
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(n)
}

// SplitID names one split (a Parquet row group) of a table, the same on
// every node that reads the same files.
type SplitID = storage.SplitID

// SplitsString describes a scan's assigned splits for EXPLAIN.
func splitsString(ids []SplitID) string {
	if len(ids) <= 3 {
		s := make([]string, len(ids))
		for i, id := range ids {
			s[i] = id.String()
		}
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("%d splits", len(ids))
}
