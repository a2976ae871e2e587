package window

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// SQLSTATEs PostgreSQL raises from window evaluation that sqlerr does not
// name yet.
const (
	codeWindowingError        = "42P20"
	codeNullValueNotAllowed   = "22004"
	codeInvalidPrecedingSize  = "22013"
	codeInvalidNtileGroups    = "22014"
	codeInvalidArgumentForNth = "22016"
)

func internalErr(format string, args ...any) error {
	return &sqlerr.Error{Code: sqlerr.InternalError, Message: "internal error: " + fmt.Sprintf(format, args...)}
}

// validity returns arr's validity bitmap and bit offset, or nil when arr has
// no NULLs, so loops can skip the test.
func validity(arr arrow.Array) ([]byte, int) {
	if arr.NullN() == 0 {
		return nil, 0
	}
	if arr.DataType().ID() == arrow.NULL {
		return make([]byte, bitutil.BytesForBits(int64(arr.Len()))), 0
	}
	return arr.NullBitmapBytes(), arr.Data().Offset()
}

func isValid(bits []byte, off, i int) bool {
	return bits == nil || bitutil.BitIsSet(bits, off+i)
}

// fixedValues views the data buffer of a fixed-width array as []T, adjusted
// for the array's offset. T must have the array's byte width.
func fixedValues[T any](arr arrow.Array) []T {
	n := arr.Len()
	if n == 0 {
		return nil
	}
	bufs := arr.Data().Buffers()
	if len(bufs) < 2 || bufs[1] == nil || bufs[1].Len() == 0 {
		return make([]T, n)
	}
	b := bufs[1].Bytes()
	var zero T
	all := unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/int(unsafe.Sizeof(zero)))
	off := arr.Data().Offset()
	return all[off : off+n]
}

// binaryValues returns the offsets and data buffer of a String or Binary
// array: row i is data[offs[i]:offs[i+1]].
func binaryValues(arr arrow.Array) ([]int32, []byte) {
	var offs []int32
	switch a := arr.(type) {
	case *array.String:
		offs = a.ValueOffsets()
	case *array.Binary:
		offs = a.ValueOffsets()
	default:
		panic(fmt.Sprintf("binaryValues on %s", arr.DataType()))
	}
	bufs := arr.Data().Buffers()
	var data []byte
	if len(bufs) > 2 && bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	return offs, data
}

// byteWidth is the storage width of a fixed-width engine type; 0 otherwise.
func byteWidth(dt arrow.DataType) int {
	switch dt.ID() {
	case arrow.INT16:
		return 2
	case arrow.INT32, arrow.FLOAT32, arrow.DATE32:
		return 4
	case arrow.INT64, arrow.FLOAT64, arrow.TIME64, arrow.TIMESTAMP:
		return 8
	case arrow.DECIMAL128, arrow.INTERVAL_MONTH_DAY_NANO:
		return 16
	}
	return 0
}

func newBuf(alloc memory.Allocator, n int) *memory.Buffer {
	b := memory.NewResizableBuffer(alloc)
	b.Resize(n)
	clear(b.Bytes())
	return b
}

// makeArray builds an array over freshly allocated buffers, taking over the
// caller's references.
func makeArray(dt arrow.DataType, n int, bufs []*memory.Buffer, nulls int) arrow.Array {
	if nulls == 0 && bufs[0] != nil {
		bufs[0].Release()
		bufs[0] = nil
	}
	d := array.NewData(dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	a := array.MakeFromData(d)
	d.Release()
	return a
}

// fixedArray builds a fixed-width array of dt from vals; null may be nil.
func fixedArray[T any](alloc memory.Allocator, dt arrow.DataType, vals []T, null []bool) arrow.Array {
	n := len(vals)
	var valid *memory.Buffer
	nulls := 0
	if null != nil {
		valid = newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
		vb := valid.Bytes()
		for i := 0; i < n; i++ {
			if null[i] {
				nulls++
			} else {
				bitutil.SetBit(vb, i)
			}
		}
	}
	var z T
	data := newBuf(alloc, n*int(unsafe.Sizeof(z)))
	if n > 0 {
		copy(unsafe.Slice((*T)(unsafe.Pointer(&data.Bytes()[0])), n), vals)
	}
	return makeArray(dt, n, []*memory.Buffer{valid, data}, nulls)
}

// boolArray builds a Boolean array; null may be nil.
func boolArray(alloc memory.Allocator, vals []bool, null []bool) arrow.Array {
	n := len(vals)
	valid := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	data := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	nulls := 0
	for i, v := range vals {
		if null != nil && null[i] {
			nulls++
			continue
		}
		bitutil.SetBit(valid.Bytes(), i)
		if v {
			bitutil.SetBit(data.Bytes(), i)
		}
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{valid, data}, nulls)
}

// take2 gathers rows from two arrays of one type: idx[k] >= 0 takes a[idx[k]],
// idx[k] == -1 yields NULL and idx[k] <= -2 takes b[-idx[k]-2] (lag/lead's
// default, evaluated at the current row). b may be nil when no index asks
// for it.
func take2(alloc memory.Allocator, a, b arrow.Array, idx []int32) (arrow.Array, error) {
	n := len(idx)
	dt := a.DataType()
	if dt.ID() == arrow.NULL {
		return array.NewNull(n), nil
	}
	ab, ao := validity(a)
	var bb []byte
	var bo int
	if b != nil {
		bb, bo = validity(b)
	}
	valid := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	vb := valid.Bytes()
	nulls := 0
	for k, i := range idx {
		ok := false
		switch {
		case i >= 0:
			ok = isValid(ab, ao, int(i))
		case i <= -2:
			ok = isValid(bb, bo, int(-i-2))
		}
		if ok {
			bitutil.SetBit(vb, k)
		} else {
			nulls++
		}
	}
	switch byteWidth(dt) {
	case 2:
		return makeArray(dt, n, []*memory.Buffer{valid, takeFixed[uint16](alloc, a, b, idx)}, nulls), nil
	case 4:
		return makeArray(dt, n, []*memory.Buffer{valid, takeFixed[uint32](alloc, a, b, idx)}, nulls), nil
	case 8:
		return makeArray(dt, n, []*memory.Buffer{valid, takeFixed[uint64](alloc, a, b, idx)}, nulls), nil
	case 16:
		return makeArray(dt, n, []*memory.Buffer{valid, takeFixed[[2]uint64](alloc, a, b, idx)}, nulls), nil
	}
	switch dt.ID() {
	case arrow.BOOL:
		sa := a.(*array.Boolean)
		var sb *array.Boolean
		if b != nil {
			sb = b.(*array.Boolean)
		}
		data := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
		db := data.Bytes()
		for k, i := range idx {
			if (i >= 0 && sa.Value(int(i))) || (i <= -2 && sb.Value(int(-i-2))) {
				bitutil.SetBit(db, k)
			}
		}
		return makeArray(dt, n, []*memory.Buffer{valid, data}, nulls), nil
	case arrow.STRING, arrow.BINARY:
		aoffs, adata := binaryValues(a)
		var boffs []int32
		var bdata []byte
		if b != nil {
			boffs, bdata = binaryValues(b)
		}
		total := 0
		for _, i := range idx {
			if i >= 0 {
				total += int(aoffs[i+1] - aoffs[i])
			} else if i <= -2 {
				j := -i - 2
				total += int(boffs[j+1] - boffs[j])
			}
		}
		ob := newBuf(alloc, 4*(n+1))
		o := unsafe.Slice((*int32)(unsafe.Pointer(&ob.Bytes()[0])), n+1)
		dbuf := newBuf(alloc, total)
		d := dbuf.Bytes()
		pos := int32(0)
		for k, i := range idx {
			o[k] = pos
			if i >= 0 {
				pos += int32(copy(d[pos:], adata[aoffs[i]:aoffs[i+1]]))
			} else if i <= -2 {
				j := -i - 2
				pos += int32(copy(d[pos:], bdata[boffs[j]:boffs[j+1]]))
			}
		}
		o[n] = pos
		return makeArray(dt, n, []*memory.Buffer{valid, ob, dbuf}, nulls), nil
	}
	valid.Release()
	return nil, sqlerr.New(sqlerr.FeatureNotSupported, "window function over type %s is not supported", dt)
}

func takeFixed[T any](alloc memory.Allocator, a, b arrow.Array, idx []int32) *memory.Buffer {
	sa := fixedValues[T](a)
	var sb []T
	if b != nil {
		sb = fixedValues[T](b)
	}
	var zero T
	buf := newBuf(alloc, len(idx)*int(unsafe.Sizeof(zero)))
	if len(idx) == 0 {
		return buf
	}
	dst := unsafe.Slice((*T)(unsafe.Pointer(&buf.Bytes()[0])), len(idx))
	for k, i := range idx {
		if i >= 0 {
			dst[k] = sa[i]
		} else if i <= -2 {
			dst[k] = sb[-i-2]
		}
	}
	return buf
}

func arrayBytes(a arrow.Array) int64 {
	var n int64
	for _, buf := range a.Data().Buffers() {
		if buf != nil {
			n += int64(buf.Len())
		}
	}
	for _, c := range a.Data().Children() {
		for _, buf := range c.Buffers() {
			if buf != nil {
				n += int64(buf.Len())
			}
		}
	}
	return n
}

func releaseArrays(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}
