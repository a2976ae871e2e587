package window

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// The streaming path. When every function of a window needs only the rows
// before each row (and the rest of the row's peer group), the operator never
// holds a whole partition: it computes each sorted input batch as soon as it
// arrives, carrying across batches
//   - a few context rows: the last emitted rows, enough for lag's offset and
//     at least one so partition and peer breaks show at the batch's start;
//   - the row counters of the last emitted row (row_number, rank,
//     dense_rank);
//   - each aggregate's running state (sums and counts carried as they are,
//     so float sums accumulate in exactly the in-memory order) and, for
//     min/max and first_value, the last row's value;
//   - the rows of the unfinished last peer group when some frame ends with
//     the current row's peers (RANGE/GROUPS ... CURRENT ROW): their value is
//     only known once the group ends.
// So the memory used is a batch plus one peer group, however large the
// partition.

// marginal reports whether the function's value at a row depends only on
// the rows at most behind rows before it and ahead rows after it in its
// partition (lead's look-ahead is read from its offset column at run time).
// Such functions are computed over the rows at hand, context and look-ahead
// included, like whole partitions.
func (c *compiled) marginal() (ok bool, behind, ahead int64) {
	fr := c.f.Frame
	switch c.f.Name {
	case "lead":
		return true, 0, 0
	case "first_value", "last_value", "nth_value":
	default:
		switch c.agg {
		case aggNone:
			return false, 0, 0
		}
	}
	if fr.Mode != Rows {
		return false, 0, 0
	}
	off := func(b Bound, want BoundKind) (int64, bool) {
		switch b.Kind {
		case CurrentRow:
			return 0, true
		case Preceding, Following:
			n, _ := asInt64(b.Offset)
			if b.Kind == want {
				return n, true
			}
			return 0, true
		}
		return 0, false
	}
	b, ok1 := off(fr.Start, Preceding)
	a, ok2 := off(fr.End, Following)
	if !ok1 || !ok2 {
		return false, 0, 0
	}
	return true, b, a
}

// streamable reports whether the function can be computed in one pass in
// window order, and whether it needs the current row's whole peer group.
func (c *compiled) streamable(hasOrder bool) (ok, peers bool) {
	fr := c.f.Frame
	if ok, _, _ := c.marginal(); ok {
		return true, false
	}
	switch c.f.Name {
	case "row_number", "rank", "dense_rank", "lag":
		return true, false
	case "first_value":
		// The frame holds the partition's first row whenever it is not
		// empty; ending at or after the current row it never is.
		return fr.Start.Kind == UnboundedPreceding && fr.Exclude == ExcludeNoOthers && fr.End.Kind != Preceding, false
	}
	switch c.agg {
	case aggCountStar, aggCount, aggSumInt, aggSum128, aggAvg128, aggSumFloat, aggAvgFloat,
		aggMin, aggMax, aggBoolAnd, aggBoolOr, aggVarExact, aggVarFloat:
	default:
		return false, false
	}
	if fr.Start.Kind != UnboundedPreceding || fr.End.Kind != CurrentRow || fr.Exclude != ExcludeNoOthers {
		return false, false
	}
	switch fr.Mode {
	case Rows:
		return true, false
	default:
		// Without ORDER BY every row of the partition is a peer: the frame
		// is the whole partition.
		return hasOrder, true
	}
}

// streamer is the streaming path's state.
type streamer struct {
	w        *Window
	holdBack bool // some frame ends with the current peer group
	keep     int  // context rows to keep (the largest lag offset seen, >= 1)
	ahead    int  // rows to read past the last emitted one (frame ends, lead)

	ctx  []arrow.Array // the last emitted rows' input columns (nil at start)
	ctxN int
	held []arrow.Array // read, not emitted rows: the unfinished peer group
	hN   int

	lastRN, lastRank, lastDense int64 // counters of the last emitted row

	// The spooling path's second pass: the partition's totals and which
	// functions use them (see spool.go).
	tot     *partTotals
	whole   []int
	ntileAt []int64 // per ntile: position where its buckets start, -1 before
	ntileN  []int64 // per ntile: its number of buckets

	states []aggState    // per function: running aggregate state
	last   []arrow.Array // per function: min/max of the last row, or its partition's first value (1 row)
}

// newStreamer returns a streamer when every function of w can stream.
func newStreamer(w *Window) *streamer {
	s := &streamer{w: w, keep: 1}
	for _, c := range w.funcs {
		ok, peers := c.streamable(len(w.orderBy) > 0)
		if !ok {
			return nil
		}
		s.holdBack = s.holdBack || peers
		if ok, behind, ahead := c.marginal(); ok {
			if behind > 1<<30 || ahead > 1<<30 {
				// Rows that could never fit: leave it to the whole-
				// partition path (which fails only if the partition is
				// too large).
				return nil
			}
			s.keep = max(s.keep, int(behind)+1)
			s.ahead = max(s.ahead, int(ahead))
		}
	}
	s.states = make([]aggState, len(w.funcs))
	s.last = make([]arrow.Array, len(w.funcs))
	return s
}

func (s *streamer) release() {
	releaseArrays(s.ctx)
	releaseArrays(s.held)
	releaseArrays(s.last)
	s.ctx, s.held, s.ctxN, s.hN = nil, nil, 0, 0
	for i := range s.last {
		s.last[i] = nil
	}
}

// heldBytes is what the streamer keeps between batches.
func (s *streamer) heldBytes() int64 {
	var n int64
	for _, a := range s.ctx {
		n += arrayBytes(a)
	}
	for _, a := range s.held {
		n += arrayBytes(a)
	}
	for _, a := range s.last {
		if a != nil {
			n += arrayBytes(a)
		}
	}
	return n
}

// copyRows copies rows [i, j) of each column, so what is kept does not pin
// the buffers of a whole batch.
func copyRows(alloc memory.Allocator, cols []arrow.Array, i, j int) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(cols))
	for c, a := range cols {
		sl := array.NewSlice(a, int64(i), int64(j))
		cp, err := array.Concatenate([]arrow.Array{sl}, alloc)
		sl.Release()
		if err != nil {
			releaseArrays(out)
			return nil, internalErr("concatenate: %v", err)
		}
		out[c] = cp
	}
	return out, nil
}

// push computes the rows of b (nil at the end of the input) that can be
// computed now and makes them the Window's current chunk (possibly empty).
func (s *streamer) push(b arrow.RecordBatch) error {
	w := s.w
	in := w.input.Schema()
	eof := b == nil
	K := s.ctxN
	n := K + s.hN
	if b != nil {
		n += int(b.NumRows())
	}
	if n == K {
		return nil
	}
	all := make([]arrow.Array, in.NumFields())
	defer func() { releaseArrays(all) }()
	for c := range all {
		var parts []arrow.Array
		if s.ctx != nil {
			parts = append(parts, s.ctx[c])
		}
		if s.held != nil {
			parts = append(parts, s.held[c])
		}
		if b != nil {
			parts = append(parts, b.Column(c))
		}
		if len(parts) == 1 {
			parts[0].Retain()
			all[c] = parts[0]
			continue
		}
		a, err := array.Concatenate(parts, w.alloc)
		if err != nil {
			return internalErr("concatenate: %v", err)
		}
		all[c] = a
	}
	var allSz int64
	for _, a := range all {
		allSz += arrayDataBytes(a)
	}
	w.pendSz = s.heldBytes() + allSz
	if err := w.reserve(); err != nil {
		return err
	}
	if err := s.leadAhead(all, K, n); err != nil {
		return err
	}
	end := n
	if !eof {
		// Rows whose look-ahead has not arrived wait (a partition ending
		// before it would do too; waiting is simpler and as correct).
		end = max(K, n-s.ahead)
	}
	// The peer group of row end-1 may go on past end (at n: not known
	// yet); then only the rows before it are done.
	if s.holdBack && !eof && end > K && (end == n || sameRow(w.alloc, all, w.partitionBy, w.orderBy, end-1, end)) {
		head := make([]arrow.Array, len(all))
		for c, a := range all {
			head[c] = array.NewSlice(a, 0, int64(end))
		}
		ch := newChunk(head, end, w.partitionBy, w.orderBy)
		releaseArrays(head)
		// Context rows end a complete group, so this is at least K.
		end = max(K, int(ch.grpStart[len(ch.grpStart)-2]))
	}
	if end == K {
		// All new rows are one unfinished peer group: keep reading.
		held, err := copyRows(w.alloc, all, K, n)
		if err != nil {
			return err
		}
		releaseArrays(s.held)
		s.held, s.hN = held, n-K
		w.pendSz = s.heldBytes()
		return w.reserve()
	}
	ecols := make([]arrow.Array, len(all))
	for c, a := range all {
		ecols[c] = array.NewSlice(a, 0, int64(end))
	}
	defer releaseArrays(ecols)
	out, err := s.compute(ecols, end, K, all, n)
	if err != nil {
		return err
	}
	w.chunkCols, w.chunkN, w.pos = out, end-K, 0
	w.chunkSz = 0
	for _, a := range out {
		w.chunkSz += arrayDataBytes(a)
	}
	// Keep the context and held rows; the batch and the concatenation go.
	keep := min(end, s.keep)
	ctx, err := copyRows(w.alloc, all, end-keep, end)
	if err != nil {
		return err
	}
	releaseArrays(s.ctx)
	s.ctx, s.ctxN = ctx, keep
	releaseArrays(s.held)
	s.held, s.hN = nil, 0
	if end < n {
		if s.held, err = copyRows(w.alloc, all, end, n); err != nil {
			return err
		}
		s.hN = n - end
	}
	w.pendSz = s.heldBytes()
	return w.reserve()
}

// compute evaluates every function over the rows [K, n) of cols, rows
// [0, K) being context already emitted, and returns the output columns of
// rows [K, n).
//
// Functions with bounded margins (lead, ROWS frames with offsets) see all
// rows read, allCols (allN rows): the look-ahead past n included.
func (s *streamer) compute(cols []arrow.Array, n, K int, allCols []arrow.Array, allN int) ([]arrow.Array, error) {
	w := s.w
	alloc := w.alloc
	ch := newChunk(cols, n, w.partitionBy, w.orderBy)
	var mch *chunk // the chunk of all rows, built when needed
	// cont: the partition of row K continues the one of the last emitted
	// row (it started in the context rows).
	contEnd := 0 // rows [K, contEnd) continue the previous partition
	for p := 0; p < ch.numParts(); p++ {
		ps, pe := int(ch.parts[p]), int(ch.parts[p+1])
		if ps < K && pe > K {
			contEnd = pe
		}
	}
	m := n - K
	rn := make([]int64, m)
	rank := make([]int64, m)
	dense := make([]int64, m)
	for p := 0; p < ch.numParts(); p++ {
		ps, pe := int(ch.parts[p]), int(ch.parts[p+1])
		if pe <= K {
			continue
		}
		for i := max(ps, K); i < pe; i++ {
			g := ch.grp[i]
			if ps < K {
				gl := ch.grp[K-1]
				rn[i-K] = s.lastRN + int64(i-(K-1))
				dense[i-K] = s.lastDense + int64(g-gl)
				if g == gl {
					rank[i-K] = s.lastRank
				} else {
					rank[i-K] = s.lastRN + int64(int(ch.grpStart[g])-(K-1))
				}
				continue
			}
			rn[i-K] = int64(i - ps + 1)
			rank[i-K] = int64(int(ch.grpStart[g]) - ps + 1)
			dense[i-K] = int64(g - ch.partGrp[p] + 1)
		}
	}
	out := make([]arrow.Array, 0, w.schema.NumFields())
	fail := func(err error) ([]arrow.Array, error) {
		releaseArrays(out)
		return nil, err
	}
	for _, a := range cols {
		out = append(out, array.NewSlice(a, int64(K), int64(n)))
	}
	for fi, c := range w.funcs {
		var res arrow.Array
		var err error
		if s.whole != nil && s.whole[fi] != wholeNone {
			res, err := s.wholeValue(fi, c, ch, K, rn, rank)
			if err != nil {
				return fail(err)
			}
			out = append(out, res)
			continue
		}
		if ok, _, _ := c.marginal(); ok {
			if mch == nil {
				mch = newChunk(allCols, allN, w.partitionBy, w.orderBy)
			}
			full, err := c.eval(mch, alloc)
			if err != nil {
				return fail(err)
			}
			out = append(out, array.NewSlice(full, int64(K), int64(n)))
			full.Release()
			continue
		}
		switch c.f.Name {
		case "row_number":
			res = fixedArray(alloc, c.out, rn, nil)
		case "rank":
			res = fixedArray(alloc, c.out, rank, nil)
		case "dense_rank":
			res = fixedArray(alloc, c.out, dense, nil)
		case "lag":
			res, err = s.lag(c, ch, K, contEnd, rn)
		case "first_value":
			res, err = s.firstValue(fi, c, ch, K, contEnd)
		default:
			res, err = s.aggregate(fi, c, ch, K, contEnd)
		}
		if err != nil {
			return fail(err)
		}
		out = append(out, res)
	}
	s.lastRN, s.lastRank, s.lastDense = rn[m-1], rank[m-1], dense[m-1]
	return out, nil
}

// lag computes lag over the chunk; rows before K only serve as context. An
// offset reaching before the context rows inside the partition would need
// rows already dropped: it grows the context kept for later batches, and
// fails only when the rows it needs now are gone.
func (s *streamer) lag(c *compiled, ch *chunk, K, contEnd int, rn []int64) (arrow.Array, error) {
	if len(c.f.Args) > 1 {
		offAt := intAt(ch.cols[c.f.Args[1]])
		for i := K; i < ch.n; i++ {
			off, ok := offAt(i)
			if !ok {
				continue
			}
			if off < 0 {
				return nil, sqlerr.New(sqlerr.OutOfMemory, "lag with a negative offset over a window partition larger than the memory limit is not supported")
			}
			if off >= int64(s.keep) {
				if off > 1<<30 {
					return nil, exec.ErrMemoryLimit
				}
				s.keep = int(off) + 1
			}
			// Rows of the continued partition before the context are gone.
			if i < contEnd && int64(i) < off && rn[i-K]-1 >= off && int(ch.parts[0]) == 0 {
				return nil, sqlerr.New(sqlerr.OutOfMemory, "lag offset %d grew beyond the rows kept for a window partition larger than the memory limit", off)
			}
		}
	}
	full, err := c.lagLead(ch, s.w.alloc)
	if err != nil {
		return nil, err
	}
	defer full.Release()
	return array.NewSlice(full, int64(K), int64(ch.n)), nil
}

// withLast returns last (one row) followed by col, and the index of col's
// row 0 in it; without last, col itself.
func withLast(alloc memory.Allocator, last, col arrow.Array) (arrow.Array, int32, error) {
	if last == nil {
		col.Retain()
		return col, 0, nil
	}
	a, err := array.Concatenate([]arrow.Array{last, col}, alloc)
	if err != nil {
		return nil, 0, internalErr("concatenate: %v", err)
	}
	return a, 1, nil
}

// setLast keeps row i of a as function fi's carried value.
func (s *streamer) setLast(fi int, a arrow.Array, i int) error {
	cp, err := copyRows(s.w.alloc, []arrow.Array{a}, i, i+1)
	if err != nil {
		return err
	}
	if s.last[fi] != nil {
		s.last[fi].Release()
	}
	s.last[fi] = cp[0]
	return nil
}

// firstValue is the partition's first row: carried for the continued
// partition, its first row for partitions starting here.
func (s *streamer) firstValue(fi int, c *compiled, ch *chunk, K, contEnd int) (arrow.Array, error) {
	val := ch.cols[c.f.Args[0]]
	src, base, err := withLast(s.w.alloc, s.last[fi], val)
	if err != nil {
		return nil, err
	}
	defer src.Release()
	idx := make([]int32, ch.n-K)
	lastStart := int32(-1)
	for p := 0; p < ch.numParts(); p++ {
		ps, pe := int(ch.parts[p]), int(ch.parts[p+1])
		if pe <= K {
			continue
		}
		start := base + int32(ps)
		if ps < K {
			start = 0 // the carried value
		} else {
			lastStart = int32(ps)
		}
		for i := max(ps, K); i < pe; i++ {
			idx[i-K] = start
		}
	}
	_ = contEnd
	res, err := take2(s.w.alloc, src, nil, idx)
	if err != nil {
		return nil, err
	}
	if lastStart >= 0 {
		if err := s.setLast(fi, val, int(lastStart)); err != nil {
			res.Release()
			return nil, err
		}
	}
	return res, nil
}

// aggregate runs the function's carried state over the new rows. min and
// max start afresh each batch and are combined with the last row's result.
func (s *streamer) aggregate(fi int, c *compiled, ch *chunk, K, contEnd int) (arrow.Array, error) {
	alloc := s.w.alloc
	st := c.newAggState(ch)
	minMax := c.agg == aggMin || c.agg == aggMax
	if old := s.states[fi]; old != nil && !minMax {
		carryAgg(st, old)
	}
	fr := ch.computeFrames(c.f.Frame, nil)
	c.aggregateInto(ch, fr, st, K)
	s.states[fi] = st
	res, err := st.build(alloc)
	if err != nil {
		return nil, err
	}
	// Outputs were accumulated for this batch only.
	clearOut(st)
	if minMax {
		if contEnd > K && s.last[fi] != nil {
			comb, err := combineMinMax(alloc, s.last[fi], res, contEnd-K, c.agg == aggMax)
			res.Release()
			if err != nil {
				return nil, err
			}
			res = comb
		}
		if err := s.setLast(fi, res, res.Len()-1); err != nil {
			res.Release()
			return nil, err
		}
	}
	return res, nil
}

// combineMinMax returns local with its first k rows replaced by the better of
// them and last (NULL meaning no value yet).
func combineMinMax(alloc memory.Allocator, last, local arrow.Array, k int, isMax bool) (arrow.Array, error) {
	all, err := array.Concatenate([]arrow.Array{last, local}, alloc)
	if err != nil {
		return nil, internalErr("concatenate: %v", err)
	}
	defer all.Release()
	less, _ := rowLess(all)
	idx := make([]int32, local.Len())
	for i := range idx {
		idx[i] = int32(i + 1)
		if i >= k || all.IsNull(0) {
			continue
		}
		if all.IsNull(i+1) || less == nil ||
			(isMax && less(i+1, 0)) || (!isMax && less(0, i+1)) {
			idx[i] = 0
		}
	}
	return take2(alloc, all, nil, idx)
}

// carryAgg moves old's running totals into st, a state over the next batch.
func carryAgg(st, old aggState) {
	switch d := st.(type) {
	case *countState:
		d.n = old.(*countState).n
	case *sumIntState:
		o := old.(*sumIntState)
		d.sum, d.n = o.sum, o.n
	case *sum128State:
		o := old.(*sum128State)
		d.sum, d.n = o.sum, o.n
	case *floatState:
		o := old.(*floatState)
		d.s32, d.s64, d.n = o.s32, o.s64, o.n
	case *boolState:
		o := old.(*boolState)
		d.nt, d.nf = o.nt, o.nf
	case *varExactState:
		o := old.(*varExactState)
		d.n = o.n
		d.sx.Set(&o.sx)
		d.sxx.Set(&o.sxx)
	case *varFloatState:
		o := old.(*varFloatState)
		d.n, d.sx, d.sxx = o.n, o.sx, o.sxx
	}
}

// clearOut drops a state's per-row results and its references to the
// batch's columns, keeping the running totals.
func clearOut(st aggState) {
	switch d := st.(type) {
	case *countState:
		d.out, d.bm = nil, nil
	case *sumIntState:
		d.out, d.null, d.vals, d.valid = nil, nil, nil, nil
	case *sum128State:
		d.res, d.null, d.vals, d.valid = nil, nil, nil, nil
	case *floatState:
		d.res, d.null, d.vals, d.valid = nil, nil, nil, nil
	case *boolState:
		d.res, d.null, d.col, d.valid = nil, nil, nil, nil
	case *varExactState:
		d.res, d.null, d.vals, d.valid = nil, nil, nil, nil
	case *varFloatState:
		d.res, d.null, d.vals, d.valid = nil, nil, nil, nil
	case *minMaxState:
		d.idx, d.col, d.valid, d.less = nil, nil, nil, nil
	}
}

// dataBytes is the size of b's rows (a slice counts its rows only, not the
// buffers it shares with the rest of its batch).
func dataBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		n += arrayDataBytes(c)
	}
	return n
}

func arrayDataBytes(a arrow.Array) int64 {
	n := int64(a.Len())
	bm := (n + 7) / 8
	if w := byteWidth(a.DataType()); w > 0 {
		return bm + n*int64(w)
	}
	switch a.DataType().ID() {
	case arrow.BOOL:
		return 2 * bm
	case arrow.STRING, arrow.BINARY:
		if n == 0 {
			return 0
		}
		offs, _ := binaryValues(a)
		return bm + 4*(n+1) + int64(offs[n]-offs[0])
	}
	return arrayBytes(a)
}

// leadAhead grows the look-ahead to the largest lead offset among the rows
// not yet emitted, [K, n) of cols. A negative offset looks back: it is
// refused unless the context rows cover it.
func (s *streamer) leadAhead(cols []arrow.Array, K, n int) error {
	for _, c := range s.w.funcs {
		if c.f.Name != "lead" {
			continue
		}
		if len(c.f.Args) < 2 {
			s.ahead = max(s.ahead, 1)
			continue
		}
		offAt := intAt(cols[c.f.Args[1]])
		for i := K; i < n; i++ {
			off, ok := offAt(i)
			if !ok {
				continue
			}
			if off < 0 {
				return sqlerr.New(sqlerr.OutOfMemory, "lead with a negative offset over a window partition larger than the memory limit is not supported")
			}
			if off > 1<<30 {
				return exec.ErrMemoryLimit
			}
			s.ahead = max(s.ahead, int(off))
		}
	}
	return nil
}

// sameRow reports whether rows i and j are in one partition and peer group.
func sameRow(alloc memory.Allocator, cols []arrow.Array, partitionBy []int, orderBy []ops.SortKey, i, j int) bool {
	brk := make([]bool, 2)
	check := func(c int) {
		a := array.NewSlice(cols[c], int64(i), int64(i+1))
		b := array.NewSlice(cols[c], int64(j), int64(j+1))
		defer a.Release()
		defer b.Release()
		pair, err := array.Concatenate([]arrow.Array{a, b}, alloc)
		if err != nil {
			brk[1] = true
			return
		}
		markBreaks(pair, brk)
		pair.Release()
	}
	for _, c := range partitionBy {
		check(c)
	}
	for _, k := range orderBy {
		check(k.Col)
	}
	return !brk[1]
}
