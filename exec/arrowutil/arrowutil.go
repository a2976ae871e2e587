// Package arrowutil holds the small views over Arrow arrays that operators
// share: validity bitmaps, typed value slices, string offsets, and building
// arrays from raw buffers. It imports only Arrow.
package arrowutil

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Validity returns the validity bitmap of arr and its bit offset, or nil when
// arr has no nulls (so loops can skip the check entirely). Null arrays have
// no bitmap; they get an all-zero one, which callers read as "all null".
func Validity(arr arrow.Array) ([]byte, int) {
	if arr.NullN() == 0 {
		return nil, 0
	}
	if arr.DataType().ID() == arrow.NULL {
		return make([]byte, bitutil.BytesForBits(int64(arr.Len()))), 0
	}
	return arr.NullBitmapBytes(), arr.Data().Offset()
}

// IsValid reports whether row i is not null given Validity's result.
func IsValid(bits []byte, off, i int) bool {
	return bits == nil || bitutil.BitIsSet(bits, off+i)
}

// FixedValues views the data buffer of a fixed-width array as []T, already
// adjusted for the array's offset. T must have the array's byte width.
func FixedValues[T any](arr arrow.Array) []T {
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

// BinaryValues returns the offsets (one more than rows, already offset by the
// array's slice offset) and the whole data buffer of a String or Binary array,
// so row i is data[offs[i]:offs[i+1]].
func BinaryValues(arr arrow.Array) ([]int32, []byte) {
	var offs []int32
	switch a := arr.(type) {
	case *array.String:
		offs = a.ValueOffsets()
	case *array.Binary:
		offs = a.ValueOffsets()
	default:
		panic(fmt.Sprintf("BinaryValues on %s", arr.DataType()))
	}
	bufs := arr.Data().Buffers()
	var data []byte
	if len(bufs) > 2 && bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	return offs, data
}

// ByteWidth is the storage width of a fixed-width engine type in bytes; 0 for
// the variable-width, boolean and null types.
func ByteWidth(dt arrow.DataType) int {
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

// NewBuf allocates a zeroed buffer of n bytes from alloc.
func NewBuf(alloc memory.Allocator, n int) *memory.Buffer {
	b := memory.NewResizableBuffer(alloc)
	b.Resize(n)
	clear(b.Bytes())
	return b
}

// MakeArray builds an array from freshly allocated buffers, taking over the
// caller's references to them; a validity buffer is dropped when nulls is 0.
func MakeArray(dt arrow.DataType, n int, bufs []*memory.Buffer, nulls int) arrow.Array {
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
