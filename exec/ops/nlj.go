package ops

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
)

// NestedLoopJoin joins without equality keys (non-equi conditions, cross
// joins): the right side is buffered, and each left batch is paired with it
// in chunks of at most exec.BatchSize pairs, filtered by the residual.
type NestedLoopJoin struct {
	left, right exec.Operator
	kind        JoinKind
	residual    Predicate
	schema      *arrow.Schema
	pairSchema  *arrow.Schema
	alloc       memory.Allocator
	res         reservation

	built   bool
	rcols   []arrow.Array
	rrows   int
	cur     arrow.RecordBatch
	li, rj  int
	matched []bool
	queue   []arrow.RecordBatch
	out     arrow.RecordBatch
}

var _ exec.Operator = (*NestedLoopJoin)(nil)

// NewNestedLoopJoin joins left and right; kind is Inner, Left, Semi, Anti or
// Cross; residual (nil = always true) sees left ++ right columns.
func NewNestedLoopJoin(left, right exec.Operator, kind JoinKind, residual Predicate, mem *exec.Memory, alloc memory.Allocator) (*NestedLoopJoin, error) {
	switch kind {
	case JoinInner, JoinLeft, JoinSemi, JoinAnti, JoinCross:
	default:
		return nil, internalErr("nested loop join does not run %s joins", kind)
	}
	return &NestedLoopJoin{
		left: left, right: right, kind: kind, residual: residual, alloc: alloc,
		schema:     joinSchema(left.Schema(), right.Schema(), kind),
		pairSchema: joinSchema(left.Schema(), right.Schema(), JoinInner),
		res:        reservation{mem: mem},
	}, nil
}

func (n *NestedLoopJoin) Schema() *arrow.Schema { return n.schema }

func (n *NestedLoopJoin) Open(ctx context.Context) error {
	if err := exec.Open(ctx, n.right); err != nil {
		return err
	}
	return exec.Open(ctx, n.left)
}

func (n *NestedLoopJoin) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if n.out != nil {
		n.out.Release()
		n.out = nil
	}
	if !n.built {
		cols, rows, err := bufferAll(ctx, n.right, n.alloc, &n.res)
		if err != nil {
			return nil, err
		}
		n.rcols, n.rrows, n.built = cols, rows, true
	}
	for {
		if len(n.queue) > 0 {
			n.out = n.queue[0]
			n.queue = n.queue[1:]
			return n.out, nil
		}
		if n.cur == nil {
			b, err := exec.Next(ctx, n.left)
			if err != nil {
				return nil, err // io.EOF included
			}
			b.Retain()
			n.cur, n.li, n.rj = b, 0, 0
			n.matched = growBool(n.matched, int(b.NumRows()))
			clear(n.matched)
		}
		if err := n.step(ctx); err != nil {
			return nil, err
		}
	}
}

func (n *NestedLoopJoin) step(ctx context.Context) error {
	rows := int(n.cur.NumRows())
	semi := n.kind == JoinSemi || n.kind == JoinAnti
	var lidx, ridx []int32
	for n.li < rows && len(lidx) < exec.BatchSize {
		if semi && n.matched[n.li] {
			n.li, n.rj = n.li+1, 0
			continue
		}
		for n.rj < n.rrows && len(lidx) < exec.BatchSize {
			lidx = append(lidx, int32(n.li))
			ridx = append(ridx, int32(n.rj))
			n.rj++
		}
		if n.rj >= n.rrows {
			n.li, n.rj = n.li+1, 0
		}
	}
	if len(lidx) > 0 {
		pairs := n.pairs(lidx, ridx)
		if n.residual != nil {
			keep, err := evalMask(ctx, n.residual, pairs, n.alloc)
			if err != nil {
				pairs.Release()
				return err
			}
			if len(keep) < len(lidx) {
				kl := make([]int32, len(keep))
				for k, r := range keep {
					kl[k] = lidx[r]
				}
				lidx = kl
				if !semi && len(keep) > 0 {
					f := takeBatch(n.alloc, n.schema, pairs, keep)
					pairs.Release()
					pairs = f
				}
			}
		}
		for _, l := range lidx {
			n.matched[l] = true
		}
		if semi || len(lidx) == 0 {
			pairs.Release()
		} else {
			n.queue = append(n.queue, pairs)
		}
	}
	if n.li >= rows {
		// The batch is done: emit what depends on whole-row match status.
		var out []int32
		for i := 0; i < rows; i++ {
			switch n.kind {
			case JoinLeft, JoinAnti:
				if !n.matched[i] {
					out = append(out, int32(i))
				}
			case JoinSemi:
				if n.matched[i] {
					out = append(out, int32(i))
				}
			}
		}
		if len(out) > 0 {
			if n.kind == JoinLeft {
				pad := make([]int32, len(out))
				for k := range pad {
					pad[k] = -1 // NULL right side
				}
				n.queue = append(n.queue, n.pairs(out, pad))
			} else {
				n.queue = append(n.queue, takeBatch(n.alloc, n.schema, n.cur, out))
			}
		}
		n.cur.Release()
		n.cur = nil
	}
	return nil
}

// pairs gathers left ++ right columns for (lidx[k], ridx[k]); -1 in ridx
// pads the right side with NULLs.
func (n *NestedLoopJoin) pairs(lidx, ridx []int32) arrow.RecordBatch {
	cols := make([]arrow.Array, 0, n.pairSchema.NumFields())
	for _, c := range n.cur.Columns() {
		cols = append(cols, take(n.alloc, c, lidx))
	}
	for _, c := range n.rcols {
		cols = append(cols, take(n.alloc, c, ridx))
	}
	schema := n.schema
	if n.kind == JoinSemi || n.kind == JoinAnti {
		schema = n.pairSchema
	}
	return newBatch(schema, cols, len(lidx))
}

func (n *NestedLoopJoin) Close() error {
	if n.out != nil {
		n.out.Release()
		n.out = nil
	}
	if n.cur != nil {
		n.cur.Release()
		n.cur = nil
	}
	releaseBatches(n.queue)
	n.queue = nil
	releaseArrays(n.rcols)
	n.rcols = nil
	n.res.releaseAll()
	e1 := n.right.Close()
	e2 := n.left.Close()
	if e1 != nil {
		return e1
	}
	return e2
}
