package ops

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
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

	built    bool
	rcols    []arrow.Array
	rrows    int
	rMatched []bool // right rows matched by some left row (Right, Full)
	cur      arrow.RecordBatch
	li, rj   int
	matched  []bool
	leftDone bool
	tail     int // next right row to consider for the unmatched-right tail
	queue    []arrow.RecordBatch
	out      arrow.RecordBatch
}

var _ exec.Operator = (*NestedLoopJoin)(nil)

// NewNestedLoopJoin joins left and right; residual (nil = always true) sees
// left ++ right columns. Every JoinKind is supported. For
// JoinAntiNullAware (NOT IN) the residual is the IN comparison itself: a
// left row survives only if it is false (not NULL) against every right row.
func NewNestedLoopJoin(left, right exec.Operator, kind JoinKind, residual Predicate, mem *exec.Memory, alloc memory.Allocator) (*NestedLoopJoin, error) {
	if kind > JoinCross {
		return nil, internalErr("nested loop join: unknown kind %d", kind)
	}
	return &NestedLoopJoin{
		left: left, right: right, kind: kind, residual: residual, alloc: alloc,
		schema:     joinSchema(left.Schema(), right.Schema(), kind),
		pairSchema: joinSchema(left.Schema(), right.Schema(), JoinInner),
		res:        reservation{mem: mem},
	}, nil
}

// Schema implements exec.Operator.
func (n *NestedLoopJoin) Schema() *arrow.Schema { return n.schema }

// Open implements exec.Operator.
func (n *NestedLoopJoin) Open(ctx context.Context) error {
	if err := exec.Open(ctx, n.right); err != nil {
		return err
	}
	return exec.Open(ctx, n.left)
}

func (n *NestedLoopJoin) rightOuter() bool { return n.kind == JoinRight || n.kind == JoinFull }
func (n *NestedLoopJoin) leftOuter() bool  { return n.kind == JoinLeft || n.kind == JoinFull }

// Next implements exec.Operator.
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
		if n.rightOuter() {
			n.rMatched = make([]bool, rows)
		}
	}
	for {
		if len(n.queue) > 0 {
			n.out = n.queue[0]
			n.queue = n.queue[1:]
			return n.out, nil
		}
		if n.leftDone {
			if !n.emitRightTail() {
				return nil, io.EOF
			}
			continue
		}
		if n.cur == nil {
			b, err := exec.Next(ctx, n.left)
			if err == io.EOF {
				n.leftDone = true
				continue
			}
			if err != nil {
				return nil, err
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

// emitRightTail queues unmatched right rows (Right/Full) padded with NULL
// left columns; it reports false when there are none left.
func (n *NestedLoopJoin) emitRightTail() bool {
	if !n.rightOuter() {
		return false
	}
	var rows []int32
	for n.tail < n.rrows && len(rows) < exec.BatchSize {
		if !n.rMatched[n.tail] {
			rows = append(rows, int32(n.tail))
		}
		n.tail++
	}
	if len(rows) == 0 {
		return false
	}
	cols := make([]arrow.Array, 0, n.schema.NumFields())
	for _, f := range n.left.Schema().Fields() {
		cols = append(cols, nullArray(n.alloc, f.Type, len(rows)))
	}
	for _, c := range n.rcols {
		cols = append(cols, take(n.alloc, c, rows))
	}
	n.queue = append(n.queue, newBatch(n.schema, cols, len(rows)))
	return true
}

func (n *NestedLoopJoin) step(ctx context.Context) error {
	rows := int(n.cur.NumRows())
	leftOnly := n.kind.leftOnly()
	var lidx, ridx []int32
	for n.li < rows && len(lidx) < exec.BatchSize {
		if leftOnly && n.matched[n.li] {
			n.li, n.rj = n.li+1, 0 // its fate is decided
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
			keep, err := n.match(ctx, pairs)
			if err != nil {
				pairs.Release()
				return err
			}
			if len(keep) < len(lidx) {
				kl := make([]int32, len(keep))
				kr := make([]int32, len(keep))
				for k, r := range keep {
					kl[k], kr[k] = lidx[r], ridx[r]
				}
				lidx, ridx = kl, kr
				if !leftOnly && len(keep) > 0 {
					f := takeBatch(n.alloc, n.schema, pairs, keep)
					pairs.Release()
					pairs = f
				}
			}
		}
		for _, l := range lidx {
			n.matched[l] = true
		}
		if n.rMatched != nil {
			for _, r := range ridx {
				n.rMatched[r] = true
			}
		}
		if leftOnly || len(lidx) == 0 {
			pairs.Release()
		} else {
			n.queue = append(n.queue, pairs)
		}
	}
	if n.li >= rows {
		n.endBatch(rows)
	}
	return nil
}

// match evaluates the residual over candidate pairs and returns the pairs
// that match. For NOT IN a NULL comparison also counts as a match: it
// removes the left row just as a true one does.
func (n *NestedLoopJoin) match(ctx context.Context, pairs arrow.RecordBatch) ([]int32, error) {
	if n.kind != JoinAntiNullAware {
		return evalMask(ctx, n.residual, pairs, n.alloc)
	}
	m, err := n.residual.Eval(ctx, pairs, n.alloc)
	if err != nil {
		return nil, err
	}
	defer m.Release()
	b, ok := m.(*array.Boolean)
	if !ok || b.Len() != int(pairs.NumRows()) {
		return nil, internalErr("NOT IN predicate returned %s of %d rows", m.DataType(), m.Len())
	}
	var keep []int32
	for i := 0; i < b.Len(); i++ {
		if b.IsNull(i) || b.Value(i) {
			keep = append(keep, int32(i))
		}
	}
	return keep, nil
}

// endBatch emits what depends on whole-row match status and drops the batch.
func (n *NestedLoopJoin) endBatch(rows int) {
	var out []int32
	for i := 0; i < rows; i++ {
		switch n.kind {
		case JoinLeft, JoinFull, JoinAnti, JoinAntiNullAware:
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
		if n.leftOuter() {
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
	if n.kind.leftOnly() {
		schema = n.pairSchema
	}
	return newBatch(schema, cols, len(lidx))
}

// Close implements exec.Operator.
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
