package ops

import (
	"container/heap"
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/spill"
)

// Sort buffers its whole input, sorts an index vector with typed comparators
// and emits the rows in order in batches of at most exec.BatchSize.
type Sort struct {
	input exec.Operator
	keys  []SortKey
	alloc memory.Allocator
	res   reservation

	sorted bool
	cols   []arrow.Array
	idx    []int32
	pos    int
	out    arrow.RecordBatch

	// Spilling (external merge sort): the buffered batches, sorted runs on
	// disk, and the merge over them once the input is drained.
	pending []arrow.RecordBatch
	dir     *spill.Dir
	runs    []*spill.File
	merge   *merger
	fanIn   int
}

var _ exec.Operator = (*Sort)(nil)

// NewSort sorts input by keys, reserving what it buffers from mem.
func NewSort(input exec.Operator, keys []SortKey, mem *exec.Memory, alloc memory.Allocator) *Sort {
	return &Sort{input: input, keys: keys, alloc: alloc, res: reservation{mem: mem}, fanIn: defaultMergeFanIn}
}

// SpillStats reports how much the sort wrote to disk: sorted runs and
// their total size in bytes (both 0 when it ran in memory).
func (s *Sort) SpillStats() (files, bytes int64) {
	if s.dir == nil {
		return 0, 0
	}
	return s.dir.Files(), s.dir.BytesWritten()
}

// Schema implements exec.Operator.
func (s *Sort) Schema() *arrow.Schema { return s.input.Schema() }

// Open implements exec.Operator.
func (s *Sort) Open(ctx context.Context) error { return exec.Open(ctx, s.input) }

// bufferAll drains input into concatenated columns, reserving memory for
// both the batches and the concatenated copy.
func bufferAll(ctx context.Context, input exec.Operator, alloc memory.Allocator, res *reservation) ([]arrow.Array, int, error) {
	var batches []arrow.RecordBatch
	defer func() { releaseBatches(batches) }()
	var held int64
	for {
		b, err := exec.Next(ctx, input)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		n := batchBytes(b)
		if err := res.grow(n); err != nil {
			return nil, 0, err
		}
		held += n
		b.Retain()
		batches = append(batches, b)
	}
	if len(batches) > 1 {
		// Concatenation briefly holds both copies.
		if err := res.grow(held); err != nil {
			return nil, 0, err
		}
	}
	cols, rows, err := concatBatches(alloc, input.Schema(), batches)
	if err != nil {
		return nil, 0, err
	}
	if len(batches) > 1 {
		res.resize(res.held - held)
	}
	return cols, rows, nil
}

// Next implements exec.Operator.
func (s *Sort) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.out != nil {
		s.out.Release()
		s.out = nil
	}
	if !s.sorted {
		if err := s.consume(ctx); err != nil {
			return nil, err
		}
		s.sorted = true
	}
	if s.merge != nil {
		b, err := s.merge.next(ctx)
		if err != nil {
			return nil, err
		}
		s.out = b
		return b, nil
	}
	if s.pos >= len(s.idx) {
		return nil, io.EOF
	}
	end := min(len(s.idx), s.pos+exec.BatchSize)
	s.out = takeCols(s.alloc, s.Schema(), s.cols, s.idx[s.pos:end])
	s.pos = end
	return s.out, nil
}

// takeCols gathers rows idx of cols into a batch of schema.
func takeCols(alloc memory.Allocator, schema *arrow.Schema, cols []arrow.Array, idx []int32) arrow.RecordBatch {
	out := make([]arrow.Array, len(cols))
	for c, a := range cols {
		out[c] = take(alloc, a, idx)
	}
	return newBatch(schema, out, len(idx))
}

// Close implements exec.Operator.
func (s *Sort) Close() error {
	if s.out != nil {
		s.out.Release()
		s.out = nil
	}
	releaseArrays(s.cols)
	s.cols = nil
	s.idx = nil
	releaseBatches(s.pending)
	s.pending = nil
	if s.merge != nil {
		s.merge.close()
		s.merge = nil
	}
	s.runs = nil
	var derr error
	if s.dir != nil {
		derr = s.dir.Close()
	}
	s.res.releaseAll()
	if err := s.input.Close(); err != nil {
		return err
	}
	return derr
}

// consume drains the input. While the budget allows it buffers batches
// (reserving room for the sort as well, see sortBytes); when refused it
// writes the buffer as a sorted run and goes on. Without runs the rows are
// sorted in memory as before; with runs the last buffer becomes a run too
// and a merger streams the result.
func (s *Sort) consume(ctx context.Context) error {
	for {
		b, err := exec.Next(ctx, s.input)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		need := sortBytes(b)
		err = s.res.grow(need)
		if err != nil && isMemLimit(err) && len(s.pending) > 0 {
			if err = s.spillPending(); err == nil {
				err = s.res.grow(need)
			}
		}
		if err != nil {
			if !isMemLimit(err) {
				return err
			}
			// Nothing buffered and still refused: the budget is held
			// elsewhere. This one batch (held by the input anyway) becomes
			// a run of its own.
			if err := s.spillRun(b.Columns(), int(b.NumRows())); err != nil {
				return err
			}
			continue
		}
		b.Retain()
		s.pending = append(s.pending, b)
	}
	if len(s.runs) == 0 {
		cols, rows, err := concatBatches(s.alloc, s.input.Schema(), s.pending)
		releaseBatches(s.pending)
		s.pending = nil
		if err != nil {
			return err
		}
		s.cols = cols
		s.idx = sortIndices(cols, s.keys, rows)
		var held int64
		for _, c := range cols {
			held += arrayBytes(c)
		}
		// Keep what stays: the columns and the index.
		return s.res.resize(held + 4*int64(rows))
	}
	if err := s.spillPending(); err != nil {
		return err
	}
	m, err := mergeRuns(ctx, s.dir, s.input.Schema(), s.keys, s.alloc, &s.res, s.runs, s.fanIn)
	if err != nil {
		return err
	}
	s.merge = m
	return nil
}

// spillPending sorts the buffered batches into a run on disk and gives
// their memory back.
func (s *Sort) spillPending() error {
	if len(s.pending) == 0 {
		return nil
	}
	cols, rows, err := concatBatches(s.alloc, s.input.Schema(), s.pending)
	releaseBatches(s.pending)
	s.pending = nil
	if err != nil {
		return err
	}
	err = s.spillRun(cols, rows)
	releaseArrays(cols)
	s.res.releaseAll()
	return err
}

func (s *Sort) spillRun(cols []arrow.Array, rows int) error {
	if s.dir == nil {
		s.dir = spill.NewDir()
	}
	f, err := writeSortedRun(s.dir, s.input.Schema(), s.alloc, cols, rows, s.keys)
	if err != nil {
		return err
	}
	s.runs = append(s.runs, f)
	return nil
}

// TopN returns the first n rows of its input under keys (ORDER BY ... LIMIT
// n) holding only about n rows plus a batch's worth: it buffers input until
// it has at least max(n, BatchSize) new rows, then keeps the n best of those
// and the previous best with a bounded heap.
type TopN struct {
	input exec.Operator
	keys  []SortKey
	n     int64
	alloc memory.Allocator
	res   reservation

	best     arrow.RecordBatch // current n best rows, unordered
	pending  []arrow.RecordBatch
	pendRows int64
	done     bool
	cols     []arrow.Array
	idx      []int32
	pos      int
	out      arrow.RecordBatch
}

var _ exec.Operator = (*TopN)(nil)

// NewTopN keeps the n first rows of input ordered by keys.
func NewTopN(input exec.Operator, keys []SortKey, n int64, mem *exec.Memory, alloc memory.Allocator) *TopN {
	return &TopN{input: input, keys: keys, n: n, alloc: alloc, res: reservation{mem: mem}}
}

// Schema implements exec.Operator.
func (t *TopN) Schema() *arrow.Schema { return t.input.Schema() }

// Open implements exec.Operator.
func (t *TopN) Open(ctx context.Context) error { return exec.Open(ctx, t.input) }

// idxHeap is a max-heap of row indexes under cmp, so the worst kept row is
// on top and is replaced by any better one.
type idxHeap struct {
	rows []int32
	cmp  rowCmp
}

func (h *idxHeap) Len() int           { return len(h.rows) }
func (h *idxHeap) Less(a, b int) bool { return h.cmp(int(h.rows[a]), int(h.rows[b])) > 0 }
func (h *idxHeap) Swap(a, b int)      { h.rows[a], h.rows[b] = h.rows[b], h.rows[a] }
func (h *idxHeap) Push(x any)         { h.rows = append(h.rows, x.(int32)) }
func (h *idxHeap) Pop() any {
	x := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return x
}

// compact merges best and pending into the n best rows.
func (t *TopN) compact() error {
	all := t.pending
	if t.best != nil {
		all = append([]arrow.RecordBatch{t.best}, all...)
	}
	cols, rows, err := concatBatches(t.alloc, t.Schema(), all)
	releaseBatches(all)
	t.best, t.pending, t.pendRows = nil, nil, 0
	if err != nil {
		return err
	}
	defer releaseArrays(cols)
	c := multiCmp(cols, cols, t.keys)
	h := &idxHeap{cmp: c}
	for r := 0; r < rows; r++ {
		if int64(h.Len()) < t.n {
			heap.Push(h, int32(r))
		} else if c(r, int(h.rows[0])) < 0 {
			h.rows[0] = int32(r)
			heap.Fix(h, 0)
		}
	}
	t.best = takeCols(t.alloc, t.Schema(), cols, h.rows)
	return t.res.resize(batchBytes(t.best))
}

// Next implements exec.Operator.
func (t *TopN) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if t.out != nil {
		t.out.Release()
		t.out = nil
	}
	if !t.done {
		if t.n <= 0 {
			t.done = true
			return nil, io.EOF
		}
		threshold := max(t.n, exec.BatchSize)
		for {
			b, err := exec.Next(ctx, t.input)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			if err := t.res.grow(batchBytes(b)); err != nil {
				return nil, err
			}
			b.Retain()
			t.pending = append(t.pending, b)
			t.pendRows += b.NumRows()
			if t.pendRows >= threshold {
				if err := t.compact(); err != nil {
					return nil, err
				}
			}
		}
		if err := t.compact(); err != nil {
			return nil, err
		}
		t.done = true
		cols := t.best.Columns()
		t.cols = cols
		t.idx = sortIndices(cols, t.keys, int(t.best.NumRows()))
	}
	if t.pos >= len(t.idx) {
		return nil, io.EOF
	}
	end := min(len(t.idx), t.pos+exec.BatchSize)
	t.out = takeCols(t.alloc, t.Schema(), t.cols, t.idx[t.pos:end])
	t.pos = end
	return t.out, nil
}

// Close implements exec.Operator.
func (t *TopN) Close() error {
	if t.out != nil {
		t.out.Release()
		t.out = nil
	}
	if t.best != nil {
		t.best.Release()
		t.best = nil
	}
	releaseBatches(t.pending)
	t.pending = nil
	t.cols = nil
	t.res.releaseAll()
	return t.input.Close()
}
