package storage

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/basaltdb/basalt/sql/types"
)

// columnReader produces the next n rows of one output column.
type columnReader interface {
	read(alloc memory.Allocator, n int) (arrow.Array, error)
	// seek moves to row (of the row group, not before the next row to
	// read) so that rows before it are skipped without being copied.
	seek(row int64) error
	close()
}

// errShortChunk reports a column chunk with fewer values than its row group
// claims: the file is truncated or corrupt.
var errShortChunk = fmt.Errorf("column chunk has fewer values than its row group: %w", io.ErrUnexpectedEOF)

// pageCursor walks the data pages of one column chunk.
type pageCursor struct {
	pages  pageSource
	page   dataPage // current page; we hold one reference to it
	def    []byte   // definition levels of the page; nil for a required column
	maxDef byte
	rows   int   // rows in the current page
	pos    int   // next row of the current page
	first  int64 // row of the row group where the current page starts
	next   int64 // row where the page advance reads next starts
	// starts holds each page's first row, from the chunk's OffsetIndex,
	// when the page source can jump to a page (pageSeeker); nil otherwise.
	starts []int64
}

// pageSeeker is a page source that can jump to the page starting at a row
// without reading the pages before it (parquet-go's, given an OffsetIndex).
type pageSeeker interface {
	SeekToRow(row int64) error
}

// advance releases the current page and moves to the next non-empty one.
func (c *pageCursor) advance() (dataPage, error) {
	c.release()
	for {
		p, err := c.pages.ReadPage()
		if err == io.EOF {
			return nil, errShortChunk
		}
		if err != nil {
			return nil, err
		}
		rows := int(p.NumRows())
		if rows == 0 {
			releasePage(p)
			continue
		}
		c.page, c.rows, c.pos, c.def = p, rows, 0, nil
		c.first = c.next
		c.next += int64(rows)
		if i := c.pageOrdinal(c.first); i >= 0 && i+1 < len(c.starts) && c.starts[i+1] != c.next {
			return nil, fmt.Errorf("page at row %d has %d rows, the offset index says %d", c.first, rows, c.starts[i+1]-c.first)
		}
		if c.maxDef > 0 {
			c.def = p.DefinitionLevels()
			if len(c.def) != rows {
				return nil, fmt.Errorf("page has %d definition levels for %d rows", len(c.def), rows)
			}
		}
		return p, nil
	}
}

// pageOrdinal returns the index in starts of the page starting at row, or
// -1.
func (c *pageCursor) pageOrdinal(row int64) int {
	i, ok := slices.BinarySearch(c.starts, row)
	if !ok {
		return -1
	}
	return i
}

// reposition makes the next advance read the page holding row when the
// offset index says it lies beyond the next page: it jumps there instead of
// decompressing the pages between. Without an index it does nothing and the
// pages are read in order.
func (c *pageCursor) reposition(row int64) error {
	if len(c.starts) == 0 || row < c.next {
		return nil
	}
	s, ok := c.pages.(pageSeeker)
	if !ok {
		return nil
	}
	i, found := slices.BinarySearch(c.starts, row)
	if !found {
		i--
	}
	if i < 0 || c.starts[i] <= c.next {
		return nil // the next page in order holds row
	}
	c.release()
	if err := s.SeekToRow(c.starts[i]); err != nil {
		return err
	}
	c.next = c.starts[i]
	return nil
}

// seek positions the cursor at row: pages ending before it are skipped
// (loaded through load, which advances the cursor), and the rows of the
// page before it are passed over; skipVals is told how many non-NULL values
// that passes so the decoder can move its value position along.
func (c *pageCursor) seek(row int64, load func() error, skipVals func(k int)) error {
	for c.page == nil || row >= c.first+int64(c.rows) {
		if err := c.reposition(row); err != nil {
			return err
		}
		if err := load(); err != nil {
			return err
		}
	}
	k := int(row-c.first) - c.pos
	if k < 0 {
		return fmt.Errorf("storage: seek back to row %d from row %d", row, c.first+int64(c.pos))
	}
	if k == 0 {
		return nil
	}
	v := k
	if c.def != nil {
		v = countDefined(c.def[c.pos:c.pos+k], c.maxDef)
	}
	skipVals(v)
	c.pos += k
	return nil
}

func (c *pageCursor) release() {
	if c.page != nil {
		releasePage(c.page)
		c.page = nil
	}
}

func (c *pageCursor) close() {
	c.release()
	if c.pages != nil {
		c.pages.Close()
		c.pages = nil
	}
}

// countDefined counts the levels equal to max (the non-NULL values).
func countDefined(levels []byte, max byte) int {
	n := 0
	for _, l := range levels {
		if l == max {
			n++
		}
	}
	return n
}

// validity builds an Arrow validity bitmap lazily: most batches of most
// columns have no NULLs and then carry no bitmap at all.
type validity struct {
	buf   *memory.Buffer
	nulls int
}

func (v *validity) clear(alloc memory.Allocator, n, i int) {
	if v.buf == nil {
		v.buf = memory.NewResizableBuffer(alloc)
		v.buf.Resize(int(bitutil.BytesForBits(int64(n))))
		b := v.buf.Bytes()
		for j := range b {
			b[j] = 0xff
		}
	}
	bitutil.ClearBit(v.buf.Bytes(), i)
	v.nulls++
}

// fixedColumn decodes a column whose Arrow representation is a fixed-width
// value of Go type T (integers, floats, Decimal128, intervals, booleans as
// bytes). A plain page's non-NULL values are turned into a dense []T (an
// alias of the page memory when no conversion is needed); a dictionary page
// gathers from the dictionary, converted once per column chunk. Values are
// written densely into the output buffer, then spread out around the NULLs.
type fixedColumn[T any] struct {
	cur   pageCursor
	dt    arrow.DataType
	alias func(encoding.Values) []T               // set when page values are already T
	conv  func(encoding.Values, []T) ([]T, error) // otherwise: convert into the given scratch
	bools bool                                    // T is bool: pack into a bitmap on output

	vals    []T     // dense non-NULL values of the current plain page
	idx     []int32 // or the dictionary indexes of a dictionary page
	vpos    int
	scratch []T

	dict     parquet.Dictionary
	dictVals []T
	out      []T // output scratch for booleans
}

func (c *fixedColumn[T]) close() { c.cur.close() }

func (c *fixedColumn[T]) seek(row int64) error {
	return c.cur.seek(row, c.load, func(k int) { c.vpos += k })
}

func (c *fixedColumn[T]) convert(v encoding.Values, dst []T) ([]T, error) {
	if c.alias != nil {
		return c.alias(v), nil
	}
	return c.conv(v, dst)
}

func (c *fixedColumn[T]) load() error {
	p, err := c.cur.advance()
	if err != nil {
		return err
	}
	data := p.Data()
	c.vpos = 0
	if d := p.Dictionary(); d != nil {
		if d != c.dict {
			// A fresh slice: dictionary values outlive the page scratch.
			if c.dictVals, err = c.convert(d.Page().Data(), nil); err != nil {
				return err
			}
			c.dict = d
		}
		// Indexes are checked once here so the gather in read needs no
		// bounds logic of its own.
		idx := data.Int32()
		nd := uint(len(c.dictVals))
		for _, x := range idx {
			if uint(x) >= nd {
				return fmt.Errorf("dictionary index %d out of range [0,%d)", x, nd)
			}
		}
		c.idx, c.vals = idx, nil
		return nil
	}
	c.idx = nil
	if c.alias != nil {
		c.vals = c.alias(data)
		return nil
	}
	if c.vals, err = c.conv(data, c.scratch[:0]); err != nil {
		return err
	}
	c.scratch = c.vals[:0]
	return nil
}

func (c *fixedColumn[T]) read(alloc memory.Allocator, n int) (arrow.Array, error) {
	var zero T
	width := int(unsafe.Sizeof(zero))
	var buf *memory.Buffer
	var dst []T
	if c.bools {
		c.out = grow(c.out, n)
		dst = c.out[:n]
	} else {
		buf = memory.NewResizableBuffer(alloc)
		buf.Resize(n * width)
		dst = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
	}
	var valid validity
	fail := func(err error) (arrow.Array, error) {
		if buf != nil {
			buf.Release()
		}
		if valid.buf != nil {
			valid.buf.Release()
		}
		return nil, err
	}
	maxDef := c.cur.maxDef
	for filled := 0; filled < n; {
		if c.cur.page == nil || c.cur.pos == c.cur.rows {
			if err := c.load(); err != nil {
				return fail(err)
			}
		}
		m := min(n-filled, c.cur.rows-c.cur.pos)
		k := m
		var def []byte
		if c.cur.def != nil {
			def = c.cur.def[c.cur.pos : c.cur.pos+m]
			k = countDefined(def, maxDef)
		}
		if c.idx != nil {
			if c.vpos+k > len(c.idx) {
				return fail(fmt.Errorf("page has fewer values than its definition levels say"))
			}
			dv, out := c.dictVals, dst[filled:filled+k]
			for j, x := range c.idx[c.vpos : c.vpos+k] {
				out[j] = dv[x]
			}
		} else {
			if c.vpos+k > len(c.vals) {
				return fail(fmt.Errorf("page has fewer values than its definition levels say"))
			}
			copy(dst[filled:filled+k], c.vals[c.vpos:c.vpos+k])
		}
		c.vpos += k
		if k < m {
			// Spread the k dense values to their rows, back to front so
			// no value is overwritten before it moves.
			j := filled + k - 1
			for i := m - 1; i >= 0; i-- {
				if def[i] == maxDef {
					dst[filled+i] = dst[j]
					j--
				} else {
					dst[filled+i] = zero
					valid.clear(alloc, n, filled+i)
				}
			}
		}
		c.cur.pos += m
		filled += m
	}
	if c.bools {
		buf = memory.NewResizableBuffer(alloc)
		buf.Resize(int(bitutil.BytesForBits(int64(n))))
		packBools(buf.Bytes(), any(dst).([]bool))
	}
	data := array.NewData(c.dt, n, []*memory.Buffer{valid.buf, buf}, nil, valid.nulls, 0)
	arr := array.MakeFromData(data)
	data.Release()
	buf.Release()
	if valid.buf != nil {
		valid.buf.Release()
	}
	return arr, nil
}

func packBools(bitmap []byte, vals []bool) {
	for i := range bitmap {
		bitmap[i] = 0
	}
	for i, v := range vals {
		if v {
			bitutil.SetBit(bitmap, i)
		}
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

// bytesColumn decodes BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY columns into Arrow
// String or Binary arrays, writing the offsets and data buffers directly.
type bytesColumn struct {
	cur   pageCursor
	dt    arrow.DataType
	fixed bool

	// Plain page: value i is data[offs[i]:offs[i+1]].
	data []byte
	offs []uint32
	// Dictionary page: value i is dictionary entry idx[i].
	idx   []int32
	dict  parquet.Dictionary
	ddata []byte
	doffs []uint32
	nvals int
	vpos  int

	fixedOffs []uint32
}

func (c *bytesColumn) close() { c.cur.close() }

func (c *bytesColumn) seek(row int64) error {
	return c.cur.seek(row, c.load, func(k int) { c.vpos += k })
}

// byteValues returns a page's values as data+offsets; fixed-length values
// get synthesized offsets so one code path serves both physical types.
func (c *bytesColumn) byteValues(v encoding.Values, scratch []uint32) ([]byte, []uint32, error) {
	if !c.fixed {
		data, offs := v.ByteArray()
		if len(offs) == 0 {
			return nil, []uint32{0}, nil
		}
		if int(offs[len(offs)-1]) > len(data) || offs[0] > offs[len(offs)-1] {
			return nil, nil, fmt.Errorf("byte array offsets out of range")
		}
		return data, offs, nil
	}
	data, size := v.FixedLenByteArray()
	if size <= 0 {
		return nil, nil, fmt.Errorf("invalid fixed length %d", size)
	}
	n := len(data) / size
	scratch = grow(scratch, n+1)
	for i := range scratch {
		scratch[i] = uint32(i * size)
	}
	return data, scratch, nil
}

func (c *bytesColumn) load() error {
	p, err := c.cur.advance()
	if err != nil {
		return err
	}
	v := p.Data()
	c.vpos = 0
	if d := p.Dictionary(); d != nil {
		if d != c.dict {
			c.ddata, c.doffs, err = c.byteValues(d.Page().Data(), nil)
			if err != nil {
				return err
			}
			c.dict = d
		}
		c.idx = v.Int32()
		c.nvals = len(c.idx)
		for _, x := range c.idx {
			if uint(x) >= uint(len(c.doffs)-1) {
				return fmt.Errorf("dictionary index %d out of range [0,%d)", x, len(c.doffs)-1)
			}
		}
		return nil
	}
	c.idx = nil
	c.data, c.offs, err = c.byteValues(v, c.fixedOffs)
	if err != nil {
		return err
	}
	if c.fixed {
		c.fixedOffs = c.offs
	}
	c.nvals = len(c.offs) - 1
	return nil
}

func (c *bytesColumn) read(alloc memory.Allocator, n int) (arrow.Array, error) {
	offBuf := memory.NewResizableBuffer(alloc)
	offBuf.Resize((n + 1) * 4)
	outOffs := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(offBuf.Bytes()))), n+1)
	dataBuf := memory.NewResizableBuffer(alloc)
	var valid validity
	fail := func(err error) (arrow.Array, error) {
		offBuf.Release()
		dataBuf.Release()
		if valid.buf != nil {
			valid.buf.Release()
		}
		return nil, err
	}
	used := 0
	out := dataBuf.Buf()
	// grow makes room for extra more bytes; doubling keeps appends linear,
	// while an estimate (exact) reserves just what it asks for.
	grow := func(extra int, exact bool) error {
		need := used + extra
		if need > len(out) {
			if need > 1<<31-1 {
				return fmt.Errorf("more than 2GiB of string data in one batch")
			}
			if !exact {
				need = max(need, 2*len(out), 4096)
			}
			dataBuf.Reserve(need)
			out = dataBuf.Buf()
		}
		return nil
	}
	ensure := func(extra int) error { return grow(extra, false) }
	// reserve sizes the data buffer for the rest of the batch from the
	// current page's average value length, so it rarely has to grow.
	reserve := func(rows int) error {
		if c.cur.page == nil || c.nvals == 0 {
			return nil
		}
		var avg int
		if c.idx == nil {
			avg = int(c.offs[c.nvals]-c.offs[0]) / c.nvals
		} else if nd := len(c.doffs) - 1; nd > 0 {
			avg = int(c.doffs[nd]-c.doffs[0]) / nd
		}
		return grow(avg*rows+rows/8, true)
	}
	if err := reserve(n); err != nil {
		return fail(err)
	}
	outOffs[0] = 0
	maxDef := c.cur.maxDef
	for filled := 0; filled < n; {
		if c.cur.page == nil || c.cur.pos == c.cur.rows {
			if err := c.load(); err != nil {
				return fail(err)
			}
			if err := reserve(n - filled); err != nil {
				return fail(err)
			}
		}
		m := min(n-filled, c.cur.rows-c.cur.pos)
		var def []byte
		if c.cur.def != nil {
			def = c.cur.def[c.cur.pos : c.cur.pos+m]
		}
		if def == nil && c.idx == nil {
			// Required plain values are contiguous: one copy.
			if c.vpos+m > c.nvals {
				return fail(fmt.Errorf("page has fewer values than rows"))
			}
			start, end := c.offs[c.vpos], c.offs[c.vpos+m]
			if end < start {
				return fail(fmt.Errorf("byte array offsets out of order"))
			}
			if err := ensure(int(end - start)); err != nil {
				return fail(err)
			}
			copy(out[used:], c.data[start:end])
			base := int32(used) - int32(start)
			src := c.offs[c.vpos+1 : c.vpos+m+1]
			dst := outOffs[filled+1 : filled+m+1]
			for i, o := range src {
				dst[i] = base + int32(o)
			}
			used += int(end - start)
			c.vpos += m
		} else {
			for i := range m {
				if def != nil && def[i] != maxDef {
					valid.clear(alloc, n, filled+i)
					outOffs[filled+i+1] = int32(used)
					continue
				}
				if c.vpos >= c.nvals {
					return fail(fmt.Errorf("page has fewer values than its definition levels say"))
				}
				var v []byte
				if c.idx != nil {
					x := c.idx[c.vpos]
					v = c.ddata[c.doffs[x]:c.doffs[x+1]]
				} else {
					v = c.data[c.offs[c.vpos]:c.offs[c.vpos+1]]
				}
				c.vpos++
				if used+len(v) > len(out) {
					if err := ensure(len(v) + (n-filled-i)*len(v)/2); err != nil {
						return fail(err)
					}
				}
				copy(out[used:], v)
				used += len(v)
				outOffs[filled+i+1] = int32(used)
			}
		}
		c.cur.pos += m
		filled += m
	}
	dataBuf.ResizeNoShrink(used)
	data := array.NewData(c.dt, n, []*memory.Buffer{valid.buf, offBuf, dataBuf}, nil, valid.nulls, 0)
	arr := array.MakeFromData(data)
	data.Release()
	offBuf.Release()
	dataBuf.Release()
	if valid.buf != nil {
		valid.buf.Release()
	}
	return arr, nil
}

// nullColumn is a column a file does not have (or a NULL-typed column):
// every row reads as NULL.
type nullColumn struct{ dt arrow.DataType }

func (c nullColumn) read(alloc memory.Allocator, n int) (arrow.Array, error) {
	return array.MakeArrayOfNull(alloc, c.dt, n), nil
}
func (nullColumn) close()           {}
func (nullColumn) seek(int64) error { return nil }

// constColumn repeats one partition value.
type constColumn struct {
	t types.T
	v any
}

func (c constColumn) close()           {}
func (c constColumn) seek(int64) error { return nil }

func (c constColumn) read(alloc memory.Allocator, n int) (arrow.Array, error) {
	dt := c.t.Arrow()
	if c.v == nil {
		return array.MakeArrayOfNull(alloc, dt, n), nil
	}
	switch v := c.v.(type) {
	case int64:
		return constFixed(alloc, dt, n, v), nil
	case int32:
		return constFixed(alloc, dt, n, v), nil
	case string:
		offBuf := memory.NewResizableBuffer(alloc)
		offBuf.Resize((n + 1) * 4)
		offs := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(offBuf.Bytes()))), n+1)
		dataBuf := memory.NewResizableBuffer(alloc)
		dataBuf.Resize(n * len(v))
		b := dataBuf.Bytes()
		for i := range n {
			copy(b[i*len(v):], v)
			offs[i] = int32(i * len(v))
		}
		offs[n] = int32(n * len(v))
		data := array.NewData(dt, n, []*memory.Buffer{nil, offBuf, dataBuf}, nil, 0, 0)
		arr := array.MakeFromData(data)
		data.Release()
		offBuf.Release()
		dataBuf.Release()
		return arr, nil
	}
	return nil, fmt.Errorf("unsupported partition value %T", c.v)
}

func constFixed[T any](alloc memory.Allocator, dt arrow.DataType, n int, v T) arrow.Array {
	buf := memory.NewResizableBuffer(alloc)
	buf.Resize(n * int(unsafe.Sizeof(v)))
	dst := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
	for i := range dst {
		dst[i] = v
	}
	data := array.NewData(dt, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
	arr := array.MakeFromData(data)
	data.Release()
	buf.Release()
	return arr
}

// newColumnReader picks the decoder that turns leaf l's pages into arrays of
// target (the table's type for the column, possibly wider than l's own).
// starts, when not nil, are the pages' first rows from the offset index.
func newColumnReader(l *leaf, target types.T, pages pageSource, starts []int64) (columnReader, error) {
	dt := target.Arrow()
	cur := pageCursor{pages: pages, starts: starts}
	if l.optional {
		cur.maxDef = 1
	}
	bad := func() (columnReader, error) {
		pages.Close()
		return nil, fmt.Errorf("column %q: cannot read Parquet %s as %s", l.name, l.phys, target)
	}
	switch target.Kind {
	case types.Bool:
		if l.phys != format.Boolean {
			return bad()
		}
		return &fixedColumn[bool]{cur: cur, dt: dt, bools: true, conv: unpackBools}, nil
	case types.Int16:
		if l.phys != format.Int32 {
			return bad()
		}
		return &fixedColumn[int16]{cur: cur, dt: dt, conv: func(v encoding.Values, dst []int16) ([]int16, error) {
			return convertInts(v.Int32(), dst), nil
		}}, nil
	case types.Int32:
		// Signed and unsigned 8/16-bit values both fit an int32 as stored.
		if l.phys != format.Int32 {
			return bad()
		}
		return &fixedColumn[int32]{cur: cur, dt: dt, alias: aliasInt32}, nil
	case types.Int64:
		switch {
		case l.phys == format.Int64 && !l.unsigned:
			return &fixedColumn[int64]{cur: cur, dt: dt, alias: aliasInt64}, nil
		case l.phys == format.Int32 && l.unsigned:
			return &fixedColumn[int64]{cur: cur, dt: dt, conv: func(v encoding.Values, dst []int64) ([]int64, error) {
				return convertInts(v.Uint32(), dst), nil
			}}, nil
		case l.phys == format.Int32:
			return &fixedColumn[int64]{cur: cur, dt: dt, conv: func(v encoding.Values, dst []int64) ([]int64, error) {
				return convertInts(v.Int32(), dst), nil
			}}, nil
		}
		return bad()
	case types.Float32:
		if l.phys != format.Float {
			return bad()
		}
		return &fixedColumn[float32]{cur: cur, dt: dt, alias: aliasFloat}, nil
	case types.Float64:
		switch l.phys {
		case format.Double:
			return &fixedColumn[float64]{cur: cur, dt: dt, alias: aliasDouble}, nil
		case format.Float:
			return &fixedColumn[float64]{cur: cur, dt: dt, conv: func(v encoding.Values, dst []float64) ([]float64, error) {
				src := v.Float()
				dst = grow(dst, len(src))
				for i, x := range src {
					dst[i] = float64(x)
				}
				return dst, nil
			}}, nil
		}
		return bad()
	case types.Date:
		if l.phys != format.Int32 {
			return bad()
		}
		return &fixedColumn[int32]{cur: cur, dt: dt, alias: aliasInt32}, nil
	case types.Time, types.Timestamp, types.TimestampTZ:
		conv, alias, ok := timeConv(l)
		if !ok {
			return bad()
		}
		return &fixedColumn[int64]{cur: cur, dt: dt, conv: conv, alias: alias}, nil
	case types.Numeric:
		conv, ok := decimalConv(l)
		if !ok {
			return bad()
		}
		return &fixedColumn[decimal128.Num]{cur: cur, dt: dt, conv: conv}, nil
	case types.Interval:
		if !l.interval {
			return bad()
		}
		return &fixedColumn[arrow.MonthDayNanoInterval]{cur: cur, dt: dt, conv: convertInterval}, nil
	case types.Text, types.Bytea:
		if l.phys != format.ByteArray && l.phys != format.FixedLenByteArray {
			return bad()
		}
		return &bytesColumn{cur: cur, dt: dt, fixed: l.phys == format.FixedLenByteArray}, nil
	}
	return bad()
}

type integer interface {
	~int16 | ~int32 | ~int64 | ~uint32 | ~uint64
}

func convertInts[S, D integer](src []S, dst []D) []D {
	dst = grow(dst, len(src))
	for i, x := range src {
		dst[i] = D(x)
	}
	return dst
}

func unpackBools(v encoding.Values, dst []bool) ([]bool, error) {
	bitsData := v.Boolean()
	n := len(bitsData) * 8
	dst = grow(dst, n)
	for i := range n {
		dst[i] = bitsData[i>>3]&(1<<(i&7)) != 0
	}
	return dst, nil
}

// timeConv converts TIME and TIMESTAMP values (and legacy INT96 timestamps)
// to microseconds.
func timeConv(l *leaf) (conv func(encoding.Values, []int64) ([]int64, error), alias func(encoding.Values) []int64, ok bool) {
	switch l.phys {
	case format.Int32:
		if l.unit != unitMillis {
			return nil, nil, false
		}
		return func(v encoding.Values, dst []int64) ([]int64, error) {
			src := v.Int32()
			dst = grow(dst, len(src))
			for i, x := range src {
				dst[i] = int64(x) * 1000
			}
			return dst, nil
		}, nil, true
	case format.Int64:
		switch l.unit {
		case unitMicros:
			return nil, aliasInt64, true
		case unitMillis:
			return func(v encoding.Values, dst []int64) ([]int64, error) {
				src := v.Int64()
				dst = grow(dst, len(src))
				for i, x := range src {
					dst[i] = x * 1000
				}
				return dst, nil
			}, nil, true
		case unitNanos:
			return func(v encoding.Values, dst []int64) ([]int64, error) {
				src := v.Int64()
				dst = grow(dst, len(src))
				for i, x := range src {
					dst[i] = floorDiv(x, 1000)
				}
				return dst, nil
			}, nil, true
		}
	case format.Int96:
		return func(v encoding.Values, dst []int64) ([]int64, error) {
			src := v.Int96()
			dst = grow(dst, len(src))
			for i, x := range src {
				dst[i] = int96Micros(x)
			}
			return dst, nil
		}, nil, true
	}
	return nil, nil, false
}

// julianUnixEpoch is the Julian day number of 1970-01-01.
const julianUnixEpoch = 2440588

// int96Micros decodes a legacy INT96 timestamp: nanoseconds within the day
// in the first 8 bytes, the Julian day in the last 4.
func int96Micros(x [3]uint32) int64 {
	nanos := int64(uint64(x[1])<<32 | uint64(x[0]))
	days := int64(x[2]) - julianUnixEpoch
	return days*86_400_000_000 + floorDiv(nanos, 1000)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) {
		q--
	}
	return q
}

// decimalConv converts DECIMAL values of each physical type (and unsigned
// 64-bit integers, which are numeric(20,0)) to unscaled Decimal128.
func decimalConv(l *leaf) (func(encoding.Values, []decimal128.Num) ([]decimal128.Num, error), bool) {
	switch {
	case l.phys == format.Int32 && l.decimal:
		return func(v encoding.Values, dst []decimal128.Num) ([]decimal128.Num, error) {
			src := v.Int32()
			dst = grow(dst, len(src))
			for i, x := range src {
				dst[i] = decimal128.FromI64(int64(x))
			}
			return dst, nil
		}, true
	case l.phys == format.Int64 && l.decimal:
		return func(v encoding.Values, dst []decimal128.Num) ([]decimal128.Num, error) {
			src := v.Int64()
			dst = grow(dst, len(src))
			for i, x := range src {
				dst[i] = decimal128.FromI64(x)
			}
			return dst, nil
		}, true
	case l.phys == format.Int64 && l.unsigned:
		return func(v encoding.Values, dst []decimal128.Num) ([]decimal128.Num, error) {
			src := v.Uint64()
			dst = grow(dst, len(src))
			for i, x := range src {
				dst[i] = decimal128.FromU64(x)
			}
			return dst, nil
		}, true
	case l.phys == format.FixedLenByteArray && l.decimal:
		return func(v encoding.Values, dst []decimal128.Num) ([]decimal128.Num, error) {
			data, size := v.FixedLenByteArray()
			if size <= 0 || size > 16 {
				return nil, fmt.Errorf("decimal of %d bytes", size)
			}
			n := len(data) / size
			dst = grow(dst, n)
			for i := range n {
				dst[i] = bigEndianDecimal(data[i*size : (i+1)*size])
			}
			return dst, nil
		}, true
	case l.phys == format.ByteArray && l.decimal:
		return func(v encoding.Values, dst []decimal128.Num) ([]decimal128.Num, error) {
			data, offs := v.ByteArray()
			if len(offs) == 0 {
				return dst[:0], nil
			}
			n := len(offs) - 1
			dst = grow(dst, n)
			for i := range n {
				b := data[offs[i]:offs[i+1]]
				if len(b) > 16 {
					return nil, fmt.Errorf("decimal of %d bytes", len(b))
				}
				dst[i] = bigEndianDecimal(b)
			}
			return dst, nil
		}, true
	}
	return nil, false
}

// bigEndianDecimal decodes a big-endian two's complement integer of at most
// 16 bytes, sign-extending it to 128 bits.
func bigEndianDecimal(b []byte) decimal128.Num {
	n := len(b)
	if n == 0 {
		return decimal128.Num{}
	}
	// Starting from the sign-extended first byte keeps the sign through
	// the shifts.
	if n <= 8 {
		v := int64(int8(b[0]))
		for _, x := range b[1:] {
			v = v<<8 | int64(x)
		}
		return decimal128.FromI64(v)
	}
	hi := int64(int8(b[0]))
	for _, x := range b[1 : n-8] {
		hi = hi<<8 | int64(x)
	}
	return decimal128.New(hi, binary.BigEndian.Uint64(b[n-8:]))
}

// convertInterval decodes the legacy INTERVAL: three little-endian uint32s,
// months, days and milliseconds.
func convertInterval(v encoding.Values, dst []arrow.MonthDayNanoInterval) ([]arrow.MonthDayNanoInterval, error) {
	data, size := v.FixedLenByteArray()
	if size != 12 {
		return nil, fmt.Errorf("interval of %d bytes", size)
	}
	n := len(data) / 12
	dst = grow(dst, n)
	for i := range n {
		b := data[i*12:]
		dst[i] = arrow.MonthDayNanoInterval{
			Months:      int32(binary.LittleEndian.Uint32(b)),
			Days:        int32(binary.LittleEndian.Uint32(b[4:])),
			Nanoseconds: int64(binary.LittleEndian.Uint32(b[8:])) * 1_000_000,
		}
	}
	return dst, nil
}

// Page values already in the engine's representation are used in place.
func aliasInt32(v encoding.Values) []int32    { return v.Int32() }
func aliasInt64(v encoding.Values) []int64    { return v.Int64() }
func aliasFloat(v encoding.Values) []float32  { return v.Float() }
func aliasDouble(v encoding.Values) []float64 { return v.Double() }
