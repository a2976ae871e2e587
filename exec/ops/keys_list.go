package ops

import (
	"encoding/binary"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Array (list) key columns, for GROUP BY, DISTINCT and joins over arrays.
// Two arrays are equal when they have the same length and their elements
// are pairwise equal, NULL elements equal to each other (PostgreSQL's
// array_eq and hash_array). Each batch column is encoded once into one
// canonical byte string per row (element NULL flags, normalized values), so
// hashing and comparison reuse the byte-key store's tight loops; the
// elements themselves are kept in a store of the element type so the keys
// can be output as arrays again.

type listStore struct {
	dt    arrow.DataType
	enc   *bytesStore // canonical encoding per row, NULL for a NULL array
	elems keyStore    // the elements of all rows, in order
	offs  []int32     // row g's elements are elems[offs[g]:offs[g+1]]
}

func newListStore(dt arrow.DataType) *listStore {
	return &listStore{
		dt:    dt,
		enc:   &bytesStore{dt: arrow.BinaryTypes.Binary, offs: []int{0}},
		elems: newKeyStore(dt.(*arrow.ListType).Elem()),
		offs:  []int32{0},
	}
}

func (s *listStore) bytes() int64 {
	return s.enc.bytes() + s.elems.bytes() + int64(cap(s.offs))*4
}

func (s *listStore) isNull(g int) bool { return s.enc.isNull(g) }

type listView struct {
	s     *listStore
	enc   keyView
	elems keyView
	offs  []int32
	n     int
}

func (s *listStore) view(arr arrow.Array) keyView {
	la := arr.(*array.List)
	return &listView{
		s:     s,
		enc:   s.enc.view(encodeLists(la)),
		elems: s.elems.view(la.ListValues()),
		offs:  listOffsets(la),
		n:     la.Len(),
	}
}

func (v *listView) hash(h []uint64, first bool)      { v.enc.hash(h, first) }
func (v *listView) eq(rows, cand []int32, ok []bool) { v.enc.eq(rows, cand, ok) }
func (v *listView) nulls(null []bool)                { v.enc.nulls(null) }

func (v *listView) appendRow(i int) {
	v.enc.appendRow(i)
	if !v.s.enc.isNull(len(v.s.offs) - 1) {
		for j := v.offs[i]; j < v.offs[i+1]; j++ {
			v.elems.appendRow(int(j))
		}
	}
	v.s.offs = append(v.s.offs, v.s.offs[len(v.s.offs)-1]+v.rowLen(i))
}

// rowLen is the number of elements row i contributes (none when NULL).
func (v *listView) rowLen(i int) int32 {
	if v.s.enc.isNull(len(v.s.offs) - 1) {
		return 0
	}
	return v.offs[i+1] - v.offs[i]
}

func (v *listView) appendAll() {
	for i := 0; i < v.n; i++ {
		v.appendRow(i)
	}
}

func (s *listStore) array(alloc memory.Allocator, from, to int) arrow.Array {
	n := to - from
	child := s.elems.array(alloc, int(s.offs[from]), int(s.offs[to]))
	defer child.Release()
	ob := newBuf(alloc, 4*(n+1))
	o := fixedValuesBuf[int32](ob, n+1)
	for k := 0; k <= n; k++ {
		o[k] = s.offs[from+k] - s.offs[from]
	}
	valid := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	nulls := 0
	for k := 0; k < n; k++ {
		if s.enc.isNull(from + k) {
			nulls++
		} else {
			bitutil.SetBit(valid.Bytes(), k)
		}
	}
	if nulls == 0 {
		valid.Release()
		valid = nil
	}
	d := array.NewData(s.dt, n, []*memory.Buffer{valid, ob}, []arrow.ArrayData{child.Data()}, nulls, 0)
	ob.Release()
	if valid != nil {
		valid.Release()
	}
	a := array.MakeFromData(d)
	d.Release()
	return a
}

// fixedValuesBuf views a freshly allocated buffer as n Ts.
func fixedValuesBuf[T any](b *memory.Buffer, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b.Bytes()[0])), n)
}

// encodeLists encodes each row of la canonically: per element a 0 (NULL)
// or 1 byte followed by the value (fixed-width little endian with -0 and
// NaN normalized for floats, intervals as their span, text and bytea
// length-prefixed). The result is a Go-allocated Binary array (NULL where
// the array is NULL), garbage collected with the view that uses it.
func encodeLists(la *array.List) arrow.Array {
	n := la.Len()
	offs := listOffsets(la)
	child := la.ListValues()
	dt := child.DataType()
	cbits, coff := validity(child)
	var put func(buf []byte, j int) []byte
	switch dt.ID() {
	case arrow.NULL:
		put = func(buf []byte, j int) []byte { return buf }
	case arrow.BOOL:
		b := child.(*array.Boolean)
		put = func(buf []byte, j int) []byte {
			if b.Value(j) {
				return append(buf, 1)
			}
			return append(buf, 0)
		}
	case arrow.FLOAT64:
		vals := fixedValues[uint64](child)
		put = func(buf []byte, j int) []byte { return binary.LittleEndian.AppendUint64(buf, normFloat64(vals[j])) }
	case arrow.FLOAT32:
		vals := fixedValues[uint32](child)
		put = func(buf []byte, j int) []byte { return binary.LittleEndian.AppendUint32(buf, normFloat32(vals[j])) }
	case arrow.INTERVAL_MONTH_DAY_NANO:
		vals := fixedValues[arrow.MonthDayNanoInterval](child)
		put = func(buf []byte, j int) []byte {
			hi, lo := intervalSpan(vals[j])
			return binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(buf, uint64(hi)), lo)
		}
	case arrow.STRING, arrow.BINARY:
		bo, bd := binaryValues(child)
		put = func(buf []byte, j int) []byte {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(bo[j+1]-bo[j]))
			return append(buf, bd[bo[j]:bo[j+1]]...)
		}
	default:
		w := byteWidth(dt)
		if w == 0 {
			panic("unsupported array element key type " + dt.String())
		}
		var data []byte
		if buf := child.Data().Buffers()[1]; buf != nil {
			data = buf.Bytes()
		}
		base := child.Data().Offset() * w
		put = func(buf []byte, j int) []byte { return append(buf, data[base+j*w:base+(j+1)*w]...) }
	}
	b := array.NewBinaryBuilder(memory.DefaultAllocator, arrow.BinaryTypes.Binary)
	defer b.Release()
	b.Reserve(n)
	var buf []byte
	for i := 0; i < n; i++ {
		if la.IsNull(i) {
			b.AppendNull()
			continue
		}
		buf = buf[:0]
		for j := offs[i]; j < offs[i+1]; j++ {
			if !isValid(cbits, coff, int(j)) {
				buf = append(buf, 0)
				continue
			}
			buf = put(append(buf, 1), int(j))
		}
		b.Append(buf)
	}
	return b.NewArray()
}
