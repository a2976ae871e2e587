package pgwire

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/sql/types"
)

// arrayBinaryEncoder writes PostgreSQL's binary array (array_send) for a
// one-dimensional array column: ndim, a has-NULLs flag, the element type's
// OID, then per dimension its length and lower bound (1), then each element
// as a length (-1 for NULL) and its binary form. An empty array has no
// dimensions.
func arrayBinaryEncoder(a *array.List, t types.T) valueEncoder {
	elemT := t.ElemType()
	values := a.ListValues()
	elem := binaryEncoder(values, elemT)
	if elem == nil {
		return nil
	}
	oid := elemT.OID()
	be := binary.BigEndian
	return func(dst []byte, i int) []byte {
		lo, hi := a.ValueOffsets(i)
		if lo == hi {
			dst = be.AppendUint32(dst, 0)
			dst = be.AppendUint32(dst, 0)
			return be.AppendUint32(dst, oid)
		}
		hasNull := uint32(0)
		for j := lo; j < hi; j++ {
			if values.IsNull(int(j)) {
				hasNull = 1
				break
			}
		}
		dst = be.AppendUint32(dst, 1)
		dst = be.AppendUint32(dst, hasNull)
		dst = be.AppendUint32(dst, oid)
		dst = be.AppendUint32(dst, uint32(hi-lo))
		dst = be.AppendUint32(dst, 1)
		for j := int(lo); j < int(hi); j++ {
			if values.IsNull(j) {
				dst = be.AppendUint32(dst, math.MaxUint32)
				continue
			}
			lp := len(dst)
			dst = append(dst, 0, 0, 0, 0)
			dst = elem(dst, j)
			be.PutUint32(dst[lp:], uint32(len(dst)-lp-4))
		}
		return dst
	}
}
