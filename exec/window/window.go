// Package window is Basalt's window-function operator: it sorts its input by
// PARTITION BY and ORDER BY keys (through exec/ops.Sort), cuts the sorted rows
// into chunks of whole partitions, and computes every window function of one
// window definition over each chunk with typed loops over Arrow arrays.
//
// Semantics are PostgreSQL's: peers (rows equal on the ORDER BY keys) for the
// ranking functions and for RANGE/GROUPS frames; ROWS, RANGE and GROUPS frames
// with offsets and EXCLUDE; lag/lead with offsets and defaults; ntile and
// nth_value; aggregates over frames with NULL skipping. Aggregates avoid
// quadratic work where PostgreSQL's results allow it: growing frames
// accumulate, sliding frames remove rows from invertible states (count, exact
// sums and averages, bool_and/bool_or, numeric variance) or keep a monotonic
// deque (min/max). Aggregates PostgreSQL itself restarts for every frame
// (float sums, string_agg) are restarted too, so rounding matches.
//
// Memory: the operator reserves what it holds (the rows of the partitions it
// is computing and their results) from the query's *exec.Memory. While
// partitions fit it computes them whole. When the budget refuses (or a
// chunk would need more than a third of it) it switches, for the rest of
// the input, to
//   - streaming (stream.go) when every function can be computed in one
//     pass in window order with bounded look-behind and look-ahead:
//     row_number, rank, dense_rank, lag, lead, running aggregates (frames
//     from UNBOUNDED PRECEDING to CURRENT ROW), first_value, and any
//     function over a ROWS frame with offsets on both ends. It holds a
//     batch slice, a peer group and the frame's margins.
//   - spooling (spool.go) when the other functions need only partition
//     totals: ntile, percent_rank, cume_dist, aggregates and
//     first/last_value over the whole partition. Each partition goes to a
//     spill file while a first pass counts it and runs its aggregates; a
//     second pass streams it back.
//
// Anything else (RANGE/GROUPS offset frames, frames from UNBOUNDED
// PRECEDING to rows ahead, nth_value or EXCLUDE over a whole partition,
// string_agg over growing frames) still needs each partition in memory and
// fails with SQLSTATE 53200 when one does not fit, as does a single peer
// group larger than the budget.
//
// window imports exec, exec/ops, exec/spill, sql/types, sql/sqlerr and Arrow.
package window

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/exec/spill"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// FrameMode is how a frame's offsets count: rows, key values or peer groups.
type FrameMode uint8

const (
	Rows FrameMode = iota
	Range
	Groups
)

// BoundKind is one end of a frame.
type BoundKind uint8

const (
	UnboundedPreceding BoundKind = iota
	Preceding
	CurrentRow
	Following
	UnboundedFollowing
)

// Bound is a frame start or end. Offset is set for Preceding and Following:
// for ROWS and GROUPS an int64 count; for RANGE a value in the expr.Const
// encoding of the ORDER BY key's type (int64 for integer keys, float64 for
// float keys, decimal128.Num scaled like the key for numeric keys) or a
// types.IntervalValue for date, time and timestamp keys.
type Bound struct {
	Kind   BoundKind
	Offset any
}

// Exclude is a frame's EXCLUDE clause.
type Exclude uint8

const (
	ExcludeNoOthers Exclude = iota
	ExcludeCurrentRow
	ExcludeGroup
	ExcludeTies
)

// Frame is a window frame. Functions that ignore frames (the ranking
// functions, ntile, lag and lead) accept any Frame, the zero value included.
type Frame struct {
	Mode       FrameMode
	Start, End Bound
	Exclude    Exclude
}

// DefaultFrame is PostgreSQL's default frame: RANGE BETWEEN UNBOUNDED
// PRECEDING AND CURRENT ROW. Without ORDER BY every row of a partition is a
// peer of every other, so it covers the whole partition.
var DefaultFrame = Frame{Mode: Range, Start: Bound{Kind: UnboundedPreceding}, End: Bound{Kind: CurrentRow}}

// Func is one window function call.
//
// Name is one of row_number, rank, dense_rank, percent_rank, cume_dist,
// ntile, lag, lead, first_value, last_value, nth_value, or an aggregate:
// count_star, count, sum, avg, min, max, bool_and, bool_or, stddev,
// stddev_samp, stddev_pop, variance, var_samp, var_pop, string_agg.
//
// Args are input columns: lag/lead (value [, offset [, default]]), ntile (n),
// nth_value (value, n), string_agg (value, delimiter), other aggregates
// (value), count_star and the ranking functions none.
//
// Result is the type the binder computed, PostgreSQL's: bigint for
// row_number, rank, dense_rank, ntile and count; double precision for
// percent_rank and cume_dist; the value's type for lag, lead, first_value,
// last_value, nth_value, min and max; sum and avg as exec/ops.AggSpec
// documents (avg of integers and numerics takes its scale from Result);
// variance and stddev numeric (scale from Result) for integer and numeric
// input and double precision for floats; text for string_agg(text).
type Func struct {
	Name   string
	Args   []int
	Frame  Frame
	Result types.T
}

// Window computes window functions over its input. Its output is every input
// column followed by one column per Func, rows grouped by partition and
// ordered by the ORDER BY keys within each.
type Window struct {
	input       exec.Operator // the sorted input (or the raw input without keys)
	partitionBy []int
	orderBy     []ops.SortKey
	funcs       []*compiled
	schema      *arrow.Schema
	alloc       memory.Allocator
	mem         *exec.Memory

	held    int64 // bytes reserved from mem
	pending []arrow.RecordBatch
	pendN   int
	pendSz  int64
	done    bool

	chunkCols []arrow.Array // input and result columns of the chunk being emitted
	chunkN    int
	chunkSz   int64
	pos       int
	out       arrow.RecordBatch

	// Partitions are computed whole in memory until they no longer fit
	// the budget. Then, when every function can be computed in one pass in
	// window order (streamOK), stream takes over (stream.go) and holds a
	// batch and a peer group; otherwise, when every function streams or
	// needs only partition totals (spoolOK), spool does (spool.go).
	streamOK  bool
	stream    *streamer
	streamQ   []arrow.RecordBatch // rows read before switching to stream
	inputDone bool                // the input ended (and is closed) before the switch
	spoolOK   bool
	switched  bool              // stream or spool took over (tests, EXPLAIN)
	spillDir  *spill.Dir        // the spool's files (kept for SpillStats after Close)
	spool     *spooler          // set once partitions no longer fit (spool.go)
	streamIn  arrow.RecordBatch // the input batch being fed to stream in slices
	streamOff int64
	streamRow int64 // rows per slice
}

var _ exec.Operator = (*Window)(nil)

// New builds a window operator. partitionBy are input columns; orderBy the
// window's ORDER BY keys. All funcs share this one window (partitioning and
// order); each has its own frame.
func New(input exec.Operator, partitionBy []int, orderBy []ops.SortKey, funcs []Func, mem *exec.Memory, alloc memory.Allocator) (*Window, error) {
	in := input.Schema()
	for _, c := range partitionBy {
		if c < 0 || c >= in.NumFields() {
			return nil, internalErr("window partition column %d out of range", c)
		}
	}
	for _, k := range orderBy {
		if k.Col < 0 || k.Col >= in.NumFields() {
			return nil, internalErr("window order column %d out of range", k.Col)
		}
	}
	w := &Window{partitionBy: partitionBy, orderBy: orderBy, alloc: alloc, mem: mem}
	fields := append([]arrow.Field(nil), in.Fields()...)
	for _, f := range funcs {
		c, err := compile(f, in, orderBy)
		if err != nil {
			return nil, err
		}
		w.funcs = append(w.funcs, c)
		fields = append(fields, arrow.Field{Name: f.Name, Type: c.out, Nullable: true})
	}
	w.schema = arrow.NewSchema(fields, nil)
	w.streamOK = newStreamer(w) != nil
	w.spoolOK = !w.streamOK && spoolable(w)
	if len(partitionBy)+len(orderBy) > 0 {
		keys := make([]ops.SortKey, 0, len(partitionBy)+len(orderBy))
		for _, c := range partitionBy {
			keys = append(keys, ops.SortKey{Col: c})
		}
		keys = append(keys, orderBy...)
		w.input = ops.NewSort(input, keys, mem, alloc)
	} else {
		w.input = input
	}
	return w, nil
}

// SpillStats reports the files and bytes written to disk by the window's
// sort and by spooling partitions (EXPLAIN ANALYZE shows them).
func (w *Window) SpillStats() (files, bytes int64) {
	if s, ok := w.input.(*ops.Sort); ok {
		files, bytes = s.SpillStats()
	}
	if w.spillDir != nil {
		files += w.spillDir.Files()
		bytes += w.spillDir.BytesWritten()
	}
	return files, bytes
}

// Schema implements exec.Operator.
func (w *Window) Schema() *arrow.Schema { return w.schema }

// Open implements exec.Operator.
func (w *Window) Open(ctx context.Context) error { return exec.Open(ctx, w.input) }

// reserve moves the reservation to what the operator now holds.
func (w *Window) reserve() error {
	total := w.pendSz + w.chunkSz
	if total > w.held {
		if err := w.mem.Reserve(total - w.held); err != nil {
			return err
		}
	} else {
		w.mem.Release(w.held - total)
	}
	w.held = total
	return nil
}

// Next implements exec.Operator.
func (w *Window) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if w.out != nil {
		w.out.Release()
		w.out = nil
	}
	for w.pos >= w.chunkN {
		w.dropChunk()
		if w.done {
			return nil, io.EOF
		}
		if err := w.fill(ctx); err != nil {
			return nil, err
		}
	}
	end := min(w.chunkN, w.pos+exec.BatchSize)
	cols := make([]arrow.Array, len(w.chunkCols))
	for i, c := range w.chunkCols {
		cols[i] = array.NewSlice(c, int64(w.pos), int64(end))
	}
	w.out = array.NewRecordBatch(w.schema, cols, int64(end-w.pos))
	releaseArrays(cols)
	w.pos = end
	return w.out, nil
}

func (w *Window) dropChunk() {
	releaseArrays(w.chunkCols)
	w.chunkCols, w.chunkN, w.chunkSz, w.pos = nil, 0, 0, 0
}

// fill reads sorted input until it holds at least a batch's worth of whole
// partitions (or the input ends) and computes them into the current chunk.
func (w *Window) fill(ctx context.Context) error {
	if w.stream != nil {
		return w.streamFill(ctx)
	}
	if w.spool != nil {
		return w.spool.fill(ctx)
	}
	for {
		b, err := exec.Next(ctx, w.input)
		if err == io.EOF {
			w.done = true
			// Everything is read: let the sort give back what it holds
			// while the last chunk is computed (Close is idempotent).
			if err := w.input.Close(); err != nil {
				return err
			}
			if w.pendN == 0 {
				return nil
			}
			batches := w.pending
			w.pending, w.pendN = nil, 0
			return w.compute(batches, w.pendSz)
		}
		if err != nil {
			return err
		}
		b.Retain()
		sz := batchBytes(b)
		w.pendSz += sz
		err = w.reserve()
		// Switch paths before a chunk too large for the budget: computing
		// it needs about twice what it holds.
		if (w.streamOK || w.spoolOK) && (errors.Is(err, exec.ErrMemoryLimit) || (err == nil && w.mem.Limit() > 0 && 3*w.pendSz > w.mem.Limit())) {
			w.pending = append(w.pending, b)
			if err := w.switchPath(nil); err != nil {
				return err
			}
			return w.fill(ctx)
		}
		if err != nil {
			b.Release()
			w.pendSz -= sz
			return err
		}
		cut := -1
		if len(w.partitionBy) > 0 && w.pendN+int(b.NumRows()) >= exec.BatchSize {
			cut, err = w.lastPartitionStart(b)
			if err != nil {
				b.Release()
				return err
			}
		}
		if cut <= 0 && !(cut == 0 && w.pendN > 0) {
			w.pending = append(w.pending, b)
			w.pendN += int(b.NumRows())
			continue
		}
		// Rows before cut complete every pending partition; the rest of b
		// starts the next chunk.
		head := b.NewSlice(0, int64(cut))
		tail := b.NewSlice(int64(cut), b.NumRows())
		b.Release()
		batches := append(w.pending, head)
		w.pending = []arrow.RecordBatch{tail}
		w.pendN = int(tail.NumRows())
		// The tail shares b's buffers: count all of b as pending until the
		// chunk is computed, then the tail's share.
		tailSz := batchBytes(tail) * tail.NumRows() / max(1, b.NumRows())
		chunkSz := w.pendSz - tailSz
		w.pendSz = tailSz
		return w.compute(batches, chunkSz)
	}
}

// streamFill feeds sorted batches to the streaming path until some rows are
// computed or the input ends.
//
// Batches are fed in slices sized to the budget (a sixteenth of it, at
// least 64 rows): what the streamer holds at once is a slice, its copy and
// its results, so small budgets work whatever the input's batch size.
func (w *Window) streamFill(ctx context.Context) error {
	for {
		if w.streamIn == nil {
			var b arrow.RecordBatch
			err := io.EOF
			queued := len(w.streamQ) > 0 // holding the queue's reference
			if queued {
				b, err = w.streamQ[0], nil
				w.streamQ = w.streamQ[1:]
			} else if !w.inputDone {
				b, err = exec.Next(ctx, w.input)
			}
			if err == io.EOF {
				w.done = true
				if err := w.input.Close(); err != nil {
					return err
				}
				return w.stream.push(nil)
			}
			if err != nil {
				return err
			}
			if b.NumRows() == 0 {
				if queued {
					b.Release()
				}
				continue
			}
			if !queued {
				b.Retain()
			}
			w.streamIn, w.streamOff, w.streamRow = b, 0, sliceRows(w.mem, b)
		} else if err := ctx.Err(); err != nil {
			return exec.Canceled(err)
		}
		b := w.streamIn
		end := min(b.NumRows(), w.streamOff+w.streamRow)
		sl := b.NewSlice(w.streamOff, end)
		w.streamOff = end
		if end == b.NumRows() {
			b.Release()
			w.streamIn = nil
		}
		err := w.stream.push(sl)
		sl.Release()
		if err != nil {
			return err
		}
		if w.chunkN > 0 {
			return nil
		}
	}
}

// lastPartitionStart returns the row of b where its last partition starts,
// counting a change from the last pending row as a start at 0, or -1 when all
// of b continues the pending partition.
func (w *Window) lastPartitionStart(b arrow.RecordBatch) (int, error) {
	n := int(b.NumRows())
	brk := make([]bool, n+1) // brk[i+1]: row i of b starts a partition
	var prev arrow.RecordBatch
	if len(w.pending) > 0 {
		prev = w.pending[len(w.pending)-1]
	}
	for _, c := range w.partitionBy {
		col := b.Column(c)
		if prev != nil {
			pc := prev.Column(c)
			last := array.NewSlice(pc, int64(pc.Len()-1), int64(pc.Len()))
			first := array.NewSlice(col, 0, 1)
			pair, err := array.Concatenate([]arrow.Array{last, first}, w.alloc)
			last.Release()
			first.Release()
			if err != nil {
				return 0, internalErr("concatenate: %v", err)
			}
			pb := make([]bool, 2)
			markBreaks(pair, pb)
			pair.Release()
			brk[1] = brk[1] || pb[1]
		}
		markBreaks(col, brk[1:])
	}
	for i := n; i >= 1; i-- {
		if brk[i] {
			return i - 1, nil
		}
	}
	return -1, nil
}

// compute concatenates batches (whole partitions, in order), evaluates every
// function over them and makes the result the current chunk. It takes over
// the batches.
func (w *Window) compute(batches []arrow.RecordBatch, batchSz int64) error {
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	in := w.input.Schema()
	n := 0
	for _, b := range batches {
		n += int(b.NumRows())
	}
	cols := make([]arrow.Array, in.NumFields(), w.schema.NumFields())
	for c := range cols {
		if len(batches) == 1 {
			cols[c] = batches[0].Column(c)
			cols[c].Retain()
			continue
		}
		parts := make([]arrow.Array, len(batches))
		for i, b := range batches {
			parts[i] = b.Column(c)
		}
		a, err := array.Concatenate(parts, w.alloc)
		if err != nil {
			releaseArrays(cols)
			return internalErr("concatenate: %v", err)
		}
		cols[c] = a
	}
	w.chunkCols, w.chunkN = cols, n
	// The batches stay reserved until released; the concatenated copy and
	// the per-row frame state come on top.
	var colSz int64
	for _, c := range cols {
		colSz += arrayBytes(c)
	}
	if len(batches) == 1 {
		colSz = 0
	}
	w.chunkSz = batchSz + colSz + int64(n)*16
	if err := w.reserve(); err != nil {
		if (w.streamOK || w.spoolOK) && errors.Is(err, exec.ErrMemoryLimit) {
			return w.switchPath(batches)
		}
		return err
	}
	ch := newChunk(cols, n, w.partitionBy, w.orderBy)
	for _, f := range w.funcs {
		res, err := f.eval(ch, w.alloc)
		if err != nil {
			return err
		}
		w.chunkCols = append(w.chunkCols, res)
		w.chunkSz += arrayBytes(res)
		if err := w.reserve(); err != nil {
			return err
		}
	}
	// Once the batches are released only the chunk's columns stay held.
	w.chunkSz = 0
	for _, c := range w.chunkCols {
		w.chunkSz += arrayBytes(c)
	}
	return w.reserve()
}

// switchPath switches to the streaming or spooling path when partitions do
// not fit: batches (then the pending rows) are the rows not yet computed,
// starting with a partition.
func (w *Window) switchPath(batches []arrow.RecordBatch) error {
	queue := make([]arrow.RecordBatch, 0, len(batches)+len(w.pending))
	for _, b := range batches {
		b.Retain() // compute releases its own references
		queue = append(queue, b)
	}
	queue = append(queue, w.pending...)
	w.pending, w.pendN, w.pendSz = nil, 0, 0
	w.dropChunk()
	// The input may be finished (and closed) already; it must not be read
	// again.
	if w.streamOK {
		w.stream = newStreamer(w)
		w.streamQ = queue
		w.inputDone = w.done
	} else {
		w.spool = newSpooler(w, queue)
		w.spool.inputDone = w.done
		w.spillDir = w.spool.dir
	}
	w.done, w.switched = false, true
	return w.reserve()
}

// Close implements exec.Operator.
func (w *Window) Close() error {
	if w.out != nil {
		w.out.Release()
		w.out = nil
	}
	w.dropChunk()
	for _, b := range w.pending {
		b.Release()
	}
	w.pending, w.pendN, w.pendSz = nil, 0, 0
	if w.stream != nil {
		w.stream.release()
	}
	if w.streamIn != nil {
		w.streamIn.Release()
		w.streamIn = nil
	}
	releaseBatches(w.streamQ)
	w.streamQ = nil
	var serr error
	if w.spool != nil {
		serr = w.spool.close()
		w.spool = nil
	}
	w.mem.Release(w.held)
	w.held = 0
	if err := w.input.Close(); err != nil {
		return err
	}
	return serr
}

func batchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		n += arrayBytes(c)
	}
	return n
}

// windowErr is a user-facing error about a window clause or argument.
func windowErr(code, format string, args ...any) error {
	return sqlerr.New(code, format, args...)
}
