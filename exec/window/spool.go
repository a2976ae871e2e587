package window

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/spill"
)

// The spooling path. Functions that need a whole partition's totals before
// the first row's value (ntile, percent_rank, cume_dist, aggregates and
// first/last_value over frames spanning the whole partition) cannot stream.
// When the budget cannot hold the partitions, the operator writes each
// partition to a spill file while counting its rows and running the
// aggregates over it (first pass), then reads the file back through a
// streamer that knows those totals (second pass). Memory stays a batch, a
// peer group and a row per function; the files are removed as each
// partition ends and by Close in any case.

// Whole-partition kinds of a function.
const (
	wholeNone  = iota
	wholeTotal // ntile, percent_rank, cume_dist: need the row count
	wholeAgg   // an aggregate or first_value over the whole partition
	wholeLast  // last_value over the whole partition
)

// wholeKind says how the function uses whole-partition totals.
func (c *compiled) wholeKind(hasOrder bool) int {
	switch c.f.Name {
	case "ntile", "percent_rank", "cume_dist":
		return wholeTotal
	}
	fr := c.f.Frame
	if fr.Exclude != ExcludeNoOthers || fr.Start.Kind != UnboundedPreceding {
		return wholeNone
	}
	whole := fr.End.Kind == UnboundedFollowing || (fr.Mode != Rows && fr.End.Kind == CurrentRow && !hasOrder)
	if !whole {
		return wholeNone
	}
	switch c.f.Name {
	case "last_value":
		return wholeLast
	case "first_value":
		return wholeAgg
	}
	running := *c
	running.f.Frame = Frame{Mode: Rows, Start: Bound{Kind: UnboundedPreceding}, End: Bound{Kind: CurrentRow}}
	if ok, _ := running.streamable(hasOrder); ok && c.agg != aggNone {
		return wholeAgg
	}
	return wholeNone
}

// spoolable reports whether every function either streams or needs only
// whole-partition totals.
func spoolable(w *Window) bool {
	for _, c := range w.funcs {
		if ok, _ := c.streamable(len(w.orderBy) > 0); ok {
			continue
		}
		if c.wholeKind(len(w.orderBy) > 0) == wholeNone {
			return false
		}
	}
	return true
}

// partTotals is what the first pass learns about a partition.
type partTotals struct {
	rows  int64
	whole []arrow.Array // per function: its value over the partition (1 row), or nil
}

// spooler drives the two passes, partition by partition.
type spooler struct {
	w         *Window
	dir       *spill.Dir
	queue     []arrow.RecordBatch // rows read but not yet spooled, in order
	inputDone bool                // the input has ended (and is closed)

	// first pass
	wr      *spill.Writer
	aux     *Window // running versions of the whole-partition aggregates
	tot     *partTotals
	lastRow []arrow.Array // the last spooled row's input columns

	// second pass
	file   *spill.File
	rd     *spill.Reader
	replay *streamer
	cur    arrow.RecordBatch // the spilled batch being replayed
	curOff int64
}

func newSpooler(w *Window, queue []arrow.RecordBatch) *spooler {
	return &spooler{w: w, dir: spill.NewDir(), queue: queue}
}

func (sp *spooler) close() error {
	releaseBatches(sp.queue)
	sp.queue = nil
	releaseArrays(sp.lastRow)
	sp.lastRow = nil
	sp.endFirstPass()
	if sp.wr != nil {
		sp.wr.Abort()
		sp.wr = nil
	}
	if sp.cur != nil {
		sp.cur.Release()
		sp.cur = nil
	}
	if sp.rd != nil {
		sp.rd.Close()
		sp.rd = nil
	}
	if sp.replay != nil {
		sp.replay.release()
		sp.replay = nil
	}
	sp.releaseTotals()
	return sp.dir.Close()
}

func (sp *spooler) releaseTotals() {
	if sp.tot != nil {
		releaseArrays(sp.tot.whole)
		sp.tot = nil
	}
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// endFirstPass drops the auxiliary window.
func (sp *spooler) endFirstPass() {
	if sp.aux != nil {
		sp.aux.dropChunk()
		if sp.aux.stream != nil {
			sp.aux.stream.release()
		}
		sp.aux.mem.Release(sp.aux.held)
		sp.aux = nil
	}
}

// startPartition begins the first pass over a new partition.
func (sp *spooler) startPartition() error {
	w := sp.w
	wr, err := sp.dir.Create(w.input.Schema(), w.alloc)
	if err != nil {
		return err
	}
	sp.wr = wr
	sp.tot = &partTotals{whole: make([]arrow.Array, len(w.funcs))}
	aux := &Window{input: w.input, partitionBy: w.partitionBy, orderBy: w.orderBy, alloc: w.alloc, mem: w.mem, schema: w.input.Schema()}
	for _, c := range w.funcs {
		if c.wholeKind(len(w.orderBy) > 0) != wholeAgg {
			continue
		}
		r := *c
		r.f.Frame = Frame{Mode: Rows, Start: Bound{Kind: UnboundedPreceding}, End: Bound{Kind: CurrentRow}}
		aux.funcs = append(aux.funcs, &r)
	}
	if len(aux.funcs) > 0 {
		aux.stream = newStreamer(aux)
		sp.aux = aux
	}
	return nil
}

// spoolRows writes rows of the current partition and runs the first pass
// over them.
func (sp *spooler) spoolRows(b arrow.RecordBatch) error {
	w := sp.w
	if err := sp.wr.Write(b); err != nil {
		return err
	}
	if lim := w.mem.Limit(); lim > 0 && sp.wr.Buffered() > lim/16 {
		if err := sp.wr.Flush(); err != nil {
			return err
		}
	}
	sp.tot.rows += b.NumRows()
	n := int(b.NumRows())
	cols, err := copyRows(w.alloc, b.Columns(), n-1, n)
	if err != nil {
		return err
	}
	releaseArrays(sp.lastRow)
	sp.lastRow = cols
	if sp.aux != nil {
		// In budget-sized slices, as the streaming path feeds itself.
		step := sliceRows(w.mem, b)
		for off := int64(0); off < b.NumRows(); off += step {
			sl := b.NewSlice(off, min(b.NumRows(), off+step))
			err := sp.aux.stream.push(sl)
			sl.Release()
			if err != nil {
				return err
			}
			if err := sp.takeWhole(); err != nil {
				return err
			}
		}
	}
	w.pendSz = sp.wr.Buffered()
	return w.reserve()
}

// partitionCut returns the first row of b starting a new partition (after
// the last spooled row when there is one), or -1.
func (sp *spooler) partitionCut(b arrow.RecordBatch) (int, error) {
	w := sp.w
	n := int(b.NumRows())
	if len(w.partitionBy) == 0 {
		return -1, nil
	}
	if sp.lastRow == nil {
		brk := make([]bool, n)
		for _, c := range w.partitionBy {
			markBreaks(b.Column(c), brk)
		}
		for i := 1; i < n; i++ {
			if brk[i] {
				return i, nil
			}
		}
		return -1, nil
	}
	brk := make([]bool, n+1)
	for _, c := range w.partitionBy {
		col, err := array.Concatenate([]arrow.Array{sp.lastRow[c], b.Column(c)}, w.alloc)
		if err != nil {
			return 0, internalErr("concatenate: %v", err)
		}
		markBreaks(col, brk)
		col.Release()
	}
	for i := 1; i <= n; i++ {
		if brk[i] {
			return i - 1, nil
		}
	}
	return -1, nil
}

// finishPartition ends the first pass and starts replaying the partition.
func (sp *spooler) finishPartition() error {
	w := sp.w
	f, err := sp.wr.Finish()
	sp.wr = nil
	if err != nil {
		return err
	}
	sp.endFirstPass()
	for fi, c := range w.funcs {
		if c.wholeKind(len(w.orderBy) > 0) == wholeLast {
			cp, err := copyRows(w.alloc, []arrow.Array{sp.lastRow[c.f.Args[0]]}, 0, 1)
			if err != nil {
				return err
			}
			sp.tot.whole[fi] = cp[0]
		}
	}
	releaseArrays(sp.lastRow)
	sp.lastRow = nil
	sp.file = f
	if sp.rd, err = f.Open(w.alloc); err != nil {
		return err
	}
	sp.replay = newSpoolStreamer(w, sp.tot)
	return nil
}

// fill produces the Window's next chunk in spool mode.
func (sp *spooler) fill(ctx context.Context) error {
	w := sp.w
	for {
		if err := ctx.Err(); err != nil {
			return exec.Canceled(err)
		}
		if sp.replay != nil {
			if sp.cur == nil {
				b, err := sp.rd.Next()
				if err == io.EOF {
					err = sp.replay.push(nil)
					sp.replay.release()
					sp.replay = nil
					sp.rd.Close()
					sp.rd = nil
					sp.file.Remove()
					sp.file = nil
					sp.releaseTotals()
					w.pendSz = 0
					if err != nil {
						return err
					}
					if w.chunkN > 0 {
						return nil
					}
					continue
				}
				if err != nil {
					return err
				}
				b.Retain()
				sp.cur, sp.curOff = b, 0
				w.streamRow = sliceRows(w.mem, b)
			}
			end := min(sp.cur.NumRows(), sp.curOff+w.streamRow)
			sl := sp.cur.NewSlice(sp.curOff, end)
			sp.curOff = end
			if end == sp.cur.NumRows() {
				sp.cur.Release()
				sp.cur = nil
			}
			err := sp.replay.push(sl)
			sl.Release()
			if err != nil {
				return err
			}
			if w.chunkN > 0 {
				return nil
			}
			continue
		}
		// First pass: the next input rows.
		var b arrow.RecordBatch
		if len(sp.queue) > 0 {
			b = sp.queue[0]
			sp.queue = sp.queue[1:]
		} else {
			var nb arrow.RecordBatch
			err := io.EOF
			if !sp.inputDone {
				nb, err = exec.Next(ctx, w.input)
			}
			if err == io.EOF {
				sp.inputDone = true
				if sp.wr != nil {
					if err := sp.finishPartition(); err != nil {
						return err
					}
					continue
				}
				w.done = true
				return w.input.Close()
			}
			if err != nil {
				return err
			}
			nb.Retain()
			b = nb
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		if sp.wr == nil {
			if err := sp.startPartition(); err != nil {
				b.Release()
				return err
			}
		}
		cut, err := sp.partitionCut(b)
		if err != nil {
			b.Release()
			return err
		}
		if cut < 0 {
			err = sp.spoolRows(b)
			b.Release()
			if err != nil {
				return err
			}
			continue
		}
		if cut > 0 {
			head := b.NewSlice(0, int64(cut))
			err = sp.spoolRows(head)
			head.Release()
			if err != nil {
				b.Release()
				return err
			}
		}
		tail := b.NewSlice(int64(cut), b.NumRows())
		b.Release()
		sp.queue = append([]arrow.RecordBatch{tail}, sp.queue...)
		if err := sp.finishPartition(); err != nil {
			return err
		}
	}
}

// newSpoolStreamer is the second pass's streamer over one partition whose
// totals the first pass found.
func newSpoolStreamer(w *Window, tot *partTotals) *streamer {
	s := &streamer{w: w, keep: 1, tot: tot}
	hasOrder := len(w.orderBy) > 0
	s.whole = make([]int, len(w.funcs))
	s.ntileAt = make([]int64, len(w.funcs))
	s.ntileN = make([]int64, len(w.funcs))
	for fi, c := range w.funcs {
		s.ntileAt[fi] = -1
		ok, peers := c.streamable(hasOrder)
		if !ok {
			s.whole[fi] = c.wholeKind(hasOrder)
			peers = c.f.Name == "cume_dist"
		}
		s.holdBack = s.holdBack || peers
		if ok, behind, ahead := c.marginal(); ok {
			s.keep = max(s.keep, int(behind)+1)
			s.ahead = max(s.ahead, int(ahead))
		}
	}
	s.states = make([]aggState, len(w.funcs))
	s.last = make([]arrow.Array, len(w.funcs))
	return s
}

// wholeValue computes a function that needs the partition's totals for the
// rows [K, ch.n) of the chunk; rn and rank are their counters.
func (s *streamer) wholeValue(fi int, c *compiled, ch *chunk, K int, rn, rank []int64) (arrow.Array, error) {
	alloc := s.w.alloc
	m := ch.n - K
	total := s.tot.rows
	switch s.whole[fi] {
	case wholeAgg, wholeLast:
		return take2(alloc, s.tot.whole[fi], nil, make([]int32, m))
	}
	switch c.f.Name {
	case "percent_rank":
		v := make([]float64, m)
		if total > 1 {
			for i := range v {
				v[i] = float64(rank[i]-1) / float64(total-1)
			}
		}
		return fixedArray(alloc, c.out, v, nil), nil
	case "cume_dist":
		// Every group emitted is complete (the peer group waits).
		v := make([]float64, m)
		for i := K; i < ch.n; i++ {
			last := int(ch.grpStart[ch.grp[i]+1]) - 1
			v[i-K] = float64(rn[last-K]) / float64(total)
		}
		return fixedArray(alloc, c.out, v, nil), nil
	}
	// ntile: buckets read at the first row where the argument is not NULL
	// (as the in-memory path does), sized from the partition's row count.
	arg := intAt(ch.cols[c.f.Args[0]])
	v := make([]int64, m)
	null := make([]bool, m)
	for i := K; i < ch.n; i++ {
		if s.ntileAt[fi] < 0 {
			k, ok := arg(i)
			if !ok {
				null[i-K] = true
				continue
			}
			if k <= 0 {
				return nil, windowErr(codeInvalidNtileGroups, "argument of ntile must be greater than zero")
			}
			s.ntileAt[fi], s.ntileN[fi] = rn[i-K]-1, k
		}
		r := rn[i-K] - 1 - s.ntileAt[fi]
		base, rem := total/s.ntileN[fi], total%s.ntileN[fi]
		switch {
		case base == 0:
			v[i-K] = r + 1
		case r < rem*(base+1):
			v[i-K] = r/(base+1) + 1
		default:
			v[i-K] = rem + (r-rem*(base+1))/base + 1
		}
	}
	return fixedArray(alloc, c.out, v, null), nil
}

// takeWhole keeps the last row of each running aggregate the auxiliary
// window computed: the partition's value so far.
func (sp *spooler) takeWhole() error {
	w := sp.w
	if sp.aux.chunkN == 0 {
		return nil
	}
	defer sp.aux.dropChunk()
	k := 0
	for fi, c := range w.funcs {
		if c.wholeKind(len(w.orderBy) > 0) != wholeAgg {
			continue
		}
		res := sp.aux.chunkCols[w.input.Schema().NumFields()+k]
		k++
		cp, err := copyRows(w.alloc, []arrow.Array{res}, res.Len()-1, res.Len())
		if err != nil {
			return err
		}
		if sp.tot.whole[fi] != nil {
			sp.tot.whole[fi].Release()
		}
		sp.tot.whole[fi] = cp[0]
	}
	return nil
}

// sliceRows is how many rows of b the streaming paths compute at once: a
// sixteenth of the budget (at least 64 rows), or a whole batch without one.
func sliceRows(mem *exec.Memory, b arrow.RecordBatch) int64 {
	if lim := mem.Limit(); lim > 0 {
		rowBytes := max(1, dataBytes(b)/max(1, b.NumRows()))
		return min(exec.BatchSize, max(64, lim/16/rowBytes))
	}
	return exec.BatchSize
}
