package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/spill"
)

// External merge sort. Sort buffers input while its reservation grows; when
// the budget refuses, the buffered rows are sorted and written to disk as a
// run, and buffering starts again. At the end the runs are merged k ways
// (in several passes when there are more than the fan-in) with the same
// typed comparators the in-memory sort uses.

// defaultMergeFanIn bounds how many runs one merge pass reads at once: each
// open run holds one batch in memory.
const defaultMergeFanIn = 32

// isMemLimit reports whether err is the budget refusing a reservation, the
// one error spilling operators recover from.
func isMemLimit(err error) bool { return errors.Is(err, exec.ErrMemoryLimit) }

// sortBytes is what Sort reserves for a buffered batch: the batch, room for
// the concatenated copy made before sorting, and the sort's per-row scratch
// (normalized key, index pair and final index).
func sortBytes(b arrow.RecordBatch) int64 {
	return 2*batchBytes(b) + 28*b.NumRows()
}

// writeSortedRun sorts cols (rows rows) and writes them to a new file of dir.
func writeSortedRun(dir *spill.Dir, schema *arrow.Schema, alloc memory.Allocator, cols []arrow.Array, rows int, keys []SortKey) (*spill.File, error) {
	idx := sortIndices(cols, keys, rows)
	w, err := dir.Create(schema, alloc)
	if err != nil {
		return nil, err
	}
	for pos := 0; pos < rows; pos += exec.BatchSize {
		end := min(rows, pos+exec.BatchSize)
		b := takeCols(alloc, schema, cols, idx[pos:end])
		err := w.Write(b)
		b.Release()
		if err != nil {
			w.Abort()
			return nil, err
		}
	}
	return w.Finish()
}

// runCursor is one sorted run being merged.
type runCursor struct {
	file *spill.File
	r    *spill.Reader
	b    arrow.RecordBatch // current batch, retained; nil when exhausted
	row  int
	gen  int // bumped when b changes, invalidating cached comparators
	slot int // index of b among the output's sources, -1 if not yet used
}

func (c *runCursor) advance() error {
	if c.b != nil {
		c.b.Release()
		c.b = nil
	}
	for {
		b, err := c.r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if b.NumRows() == 0 {
			continue
		}
		b.Retain()
		c.b, c.row, c.slot = b, 0, -1
		c.gen++
		return nil
	}
}

type cachedCmp struct {
	gi, gj int
	cmp    rowCmp
}

// merger merges sorted runs into batches of at most exec.BatchSize rows.
type merger struct {
	schema *arrow.Schema
	keys   []SortKey
	alloc  memory.Allocator
	res    *reservation
	base   int64 // reservation held outside the merge

	cursors []*runCursor
	heap    []int // cursor indexes, smallest row on top
	cache   []cachedCmp
}

func newMerger(schema *arrow.Schema, keys []SortKey, alloc memory.Allocator, res *reservation, runs []*spill.File) (*merger, error) {
	m := &merger{schema: schema, keys: keys, alloc: alloc, res: res, base: res.held}
	k := len(runs)
	m.cache = make([]cachedCmp, k*k)
	for i := range m.cache {
		m.cache[i].gi = -1
	}
	for _, f := range runs {
		r, err := f.Open(alloc)
		if err != nil {
			m.close()
			return nil, err
		}
		c := &runCursor{file: f, r: r, slot: -1}
		m.cursors = append(m.cursors, c)
		if err := c.advance(); err != nil {
			m.close()
			return nil, err
		}
	}
	if err := m.account(); err != nil {
		m.close()
		return nil, err
	}
	for i, c := range m.cursors {
		if c.b != nil {
			m.heap = append(m.heap, i)
		}
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return m, nil
}

// account reserves the batches the cursors hold.
func (m *merger) account() error {
	n := m.base
	for _, c := range m.cursors {
		if c.b != nil {
			n += batchBytes(c.b)
		}
	}
	return m.res.resize(n)
}

func (m *merger) compare(i, j int) int {
	ci, cj := m.cursors[i], m.cursors[j]
	e := &m.cache[i*len(m.cursors)+j]
	if e.gi != ci.gen || e.gj != cj.gen || e.cmp == nil {
		e.cmp = multiCmp(ci.b.Columns(), cj.b.Columns(), m.keys)
		e.gi, e.gj = ci.gen, cj.gen
	}
	return e.cmp(ci.row, cj.row)
}

// less orders cursors by their current rows, then by run number so equal
// rows keep the order of the runs (runs are written in input order).
func (m *merger) less(a, b int) bool {
	if c := m.compare(a, b); c != 0 {
		return c < 0
	}
	return a < b
}

func (m *merger) down(i int) {
	h := m.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		s := l
		if r := l + 1; r < len(h) && m.less(h[r], h[l]) {
			s = r
		}
		if !m.less(h[s], h[i]) {
			return
		}
		h[i], h[s] = h[s], h[i]
		i = s
	}
}

// next returns the next merged batch (owned by the caller) or io.EOF.
func (m *merger) next(ctx context.Context) (arrow.RecordBatch, error) {
	if len(m.heap) == 0 {
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return nil, exec.Canceled(err)
	}
	var srcs []arrow.RecordBatch
	defer func() { releaseBatches(srcs) }()
	src := make([]int32, 0, exec.BatchSize)
	rows := make([]int32, 0, exec.BatchSize)
	for len(rows) < exec.BatchSize && len(m.heap) > 0 {
		ci := m.heap[0]
		c := m.cursors[ci]
		if c.slot < 0 {
			c.slot = len(srcs)
			c.b.Retain()
			srcs = append(srcs, c.b)
		}
		src = append(src, int32(c.slot))
		rows = append(rows, int32(c.row))
		c.row++
		if c.row >= int(c.b.NumRows()) {
			if err := c.advance(); err != nil {
				return nil, err
			}
			if c.b == nil {
				last := len(m.heap) - 1
				m.heap[0] = m.heap[last]
				m.heap = m.heap[:last]
			}
			if err := m.account(); err != nil {
				return nil, err
			}
		}
		if len(m.heap) > 0 {
			m.down(0)
		}
	}
	for _, c := range m.cursors {
		c.slot = -1
	}
	cols := make([]arrow.Array, m.schema.NumFields())
	parts := make([]arrow.Array, len(srcs))
	for col := range cols {
		for k, b := range srcs {
			parts[k] = b.Column(col)
		}
		cols[col] = interleave(m.alloc, m.schema.Field(col).Type, parts, src, rows)
	}
	return newBatch(m.schema, cols, len(rows)), nil
}

// close stops reading every run (the files stay until their Dir closes).
func (m *merger) close() {
	for _, c := range m.cursors {
		if c.b != nil {
			c.b.Release()
			c.b = nil
		}
		c.r.Close()
	}
	m.cursors = nil
	m.heap = nil
	m.res.resize(m.base)
}

// mergeRuns merges runs down to at most fanIn by writing intermediate
// merged runs, and returns a merger over what is left.
func mergeRuns(ctx context.Context, dir *spill.Dir, schema *arrow.Schema, keys []SortKey, alloc memory.Allocator, res *reservation, runs []*spill.File, fanIn int) (*merger, error) {
	if fanIn < 2 {
		fanIn = 2
	}
	// A merge holds one batch per run; when the budget refuses that,
	// merge fewer runs at a time (more passes).
	for {
		if len(runs) <= fanIn {
			m, err := newMerger(schema, keys, alloc, res, runs)
			if err != nil && isMemLimit(err) && fanIn > 2 {
				fanIn = max(2, len(runs)/2)
				continue
			}
			return m, err
		}
		var next []*spill.File
		for start := 0; start < len(runs); start += fanIn {
			group := runs[start:min(len(runs), start+fanIn)]
			if len(group) == 1 {
				next = append(next, group[0])
				continue
			}
			f, err := mergeToFile(ctx, dir, schema, keys, alloc, res, group)
			if err != nil {
				if isMemLimit(err) && fanIn > 2 {
					fanIn /= 2
					next = append(next, runs[start:]...)
					break
				}
				return nil, err
			}
			for _, g := range group {
				g.Remove()
			}
			next = append(next, f)
		}
		runs = next
	}
}

func mergeToFile(ctx context.Context, dir *spill.Dir, schema *arrow.Schema, keys []SortKey, alloc memory.Allocator, res *reservation, runs []*spill.File) (*spill.File, error) {
	m, err := newMerger(schema, keys, alloc, res, runs)
	if err != nil {
		return nil, err
	}
	defer m.close()
	w, err := dir.Create(schema, alloc)
	if err != nil {
		return nil, err
	}
	for {
		b, err := m.next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			w.Abort()
			return nil, err
		}
		err = w.Write(b)
		b.Release()
		if err != nil {
			w.Abort()
			return nil, err
		}
	}
	return w.Finish()
}

// interleave builds an array of type dt whose row k is
// srcs[src[k]][rows[k]]: a take over several source arrays at once, used to
// assemble merged output without concatenating the sources first.
func interleave(alloc memory.Allocator, dt arrow.DataType, srcs []arrow.Array, src, rows []int32) arrow.Array {
	n := len(rows)
	if dt.ID() == arrow.NULL {
		return array.NewNull(n)
	}
	if len(srcs) == 1 {
		return take(alloc, srcs[0], rows)
	}
	if dt.ID() == arrow.LIST {
		// Arrays are rare in sorted spills: concatenate the sources and take
		// by global row rather than duplicating take's nested-offset logic.
		all, err := array.Concatenate(srcs, alloc)
		if err != nil {
			panic(fmt.Sprintf("interleave: %v", err))
		}
		defer all.Release()
		base := make([]int32, len(srcs)+1)
		for k, s := range srcs {
			base[k+1] = base[k] + int32(s.Len())
		}
		idx := make([]int32, n)
		for k := range rows {
			idx[k] = base[src[k]] + rows[k]
		}
		return take(alloc, all, idx)
	}
	type vb struct {
		bits []byte
		off  int
	}
	valid := make([]vb, len(srcs))
	anyNull := false
	for k, s := range srcs {
		valid[k].bits, valid[k].off = validity(s)
		anyNull = anyNull || valid[k].bits != nil
	}
	var vbuf *memory.Buffer
	nulls := 0
	if anyNull {
		vbuf = newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
		out := vbuf.Bytes()
		for k := range rows {
			v := valid[src[k]]
			if isValid(v.bits, v.off, int(rows[k])) {
				bitutil.SetBit(out, k)
			} else {
				nulls++
			}
		}
	}
	switch byteWidth(dt) {
	case 2:
		return makeArray(dt, n, []*memory.Buffer{vbuf, interleaveFixed[uint16](alloc, srcs, src, rows)}, nulls)
	case 4:
		return makeArray(dt, n, []*memory.Buffer{vbuf, interleaveFixed[uint32](alloc, srcs, src, rows)}, nulls)
	case 8:
		return makeArray(dt, n, []*memory.Buffer{vbuf, interleaveFixed[uint64](alloc, srcs, src, rows)}, nulls)
	case 16:
		return makeArray(dt, n, []*memory.Buffer{vbuf, interleaveFixed[[2]uint64](alloc, srcs, src, rows)}, nulls)
	}
	switch dt.ID() {
	case arrow.BOOL:
		bs := make([]*array.Boolean, len(srcs))
		for k, s := range srcs {
			bs[k] = s.(*array.Boolean)
		}
		data := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
		db := data.Bytes()
		for k := range rows {
			if bs[src[k]].Value(int(rows[k])) {
				bitutil.SetBit(db, k)
			}
		}
		return makeArray(dt, n, []*memory.Buffer{vbuf, data}, nulls)
	case arrow.STRING, arrow.BINARY:
		offs := make([][]int32, len(srcs))
		datas := make([][]byte, len(srcs))
		for k, s := range srcs {
			offs[k], datas[k] = binaryValues(s)
		}
		total := 0
		for k := range rows {
			o := offs[src[k]]
			total += int(o[rows[k]+1] - o[rows[k]])
		}
		ob := newBuf(alloc, 4*(n+1))
		o := unsafe.Slice((*int32)(unsafe.Pointer(&ob.Bytes()[0])), n+1)
		db := newBuf(alloc, total)
		d := db.Bytes()
		pos := int32(0)
		for k := range rows {
			o[k] = pos
			so, sd := offs[src[k]], datas[src[k]]
			r := rows[k]
			pos += int32(copy(d[pos:], sd[so[r]:so[r+1]]))
		}
		o[n] = pos
		return makeArray(dt, n, []*memory.Buffer{vbuf, ob, db}, nulls)
	}
	panic(fmt.Sprintf("interleave: unsupported type %s", dt))
}

func interleaveFixed[T any](alloc memory.Allocator, srcs []arrow.Array, src, rows []int32) *memory.Buffer {
	vals := make([][]T, len(srcs))
	for k, s := range srcs {
		vals[k] = fixedValues[T](s)
	}
	var zero T
	buf := newBuf(alloc, len(rows)*int(unsafe.Sizeof(zero)))
	if len(rows) == 0 {
		return buf
	}
	dst := unsafe.Slice((*T)(unsafe.Pointer(&buf.Bytes()[0])), len(rows))
	for k, r := range rows {
		dst[k] = vals[src[k]][r]
	}
	return buf
}
