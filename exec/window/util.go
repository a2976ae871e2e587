package window

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec/arrowutil"
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

// The array views below are exec/arrowutil's, under this package's names.
func validity(arr arrow.Array) ([]byte, int) { return arrowutil.Validity(arr) }

func isValid(bits []byte, off, i int) bool { return arrowutil.IsValid(bits, off, i) }

func fixedValues[T any](arr arrow.Array) []T { return arrowutil.FixedValues[T](arr) }

func binaryValues(arr arrow.Array) ([]int32, []byte) { return arrowutil.BinaryValues(arr) }

func byteWidth(dt arrow.DataType) int { return arrowutil.ByteWidth(dt) }

func newBuf(alloc memory.Allocator, n int) *memory.Buffer { return arrowutil.NewBuf(alloc, n) }

func makeArray(dt arrow.DataType, n int, bufs []*memory.Buffer, nulls int) arrow.Array {
	return arrowutil.MakeArray(dt, n, bufs, nulls)
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
