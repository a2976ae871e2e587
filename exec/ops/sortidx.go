package ops

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// keyIdx is a row with its first sort key normalized to a uint64 whose
// unsigned order is the key's order, so the sort compares packed integers
// and touches the columns only on ties (a cache-friendly normalized-key
// sort).
type keyIdx struct {
	k uint64
	i int32
}

// normKeys fills k[i] with the order-preserving normalized first key of each
// row, and reports whether equal normalized keys mean equal values (false
// for text, where only an 8-byte prefix is kept). ok is false for types
// without a normalized form.
func normKeys(a arrow.Array, k []uint64) (exact, ok bool) {
	switch a.DataType().ID() {
	case arrow.INT16:
		for i, v := range fixedValues[int16](a) {
			k[i] = uint64(int64(v)) ^ 1<<63
		}
	case arrow.INT32, arrow.DATE32:
		for i, v := range fixedValues[int32](a) {
			k[i] = uint64(int64(v)) ^ 1<<63
		}
	case arrow.INT64, arrow.TIME64, arrow.TIMESTAMP:
		for i, v := range fixedValues[int64](a) {
			k[i] = uint64(v) ^ 1<<63
		}
	case arrow.FLOAT32:
		for i, v := range fixedValues[float32](a) {
			k[i] = normFloatKey(float64(v))
		}
	case arrow.FLOAT64:
		for i, v := range fixedValues[float64](a) {
			k[i] = normFloatKey(v)
		}
	case arrow.BOOL:
		b := a.(*array.Boolean)
		for i := range k {
			if b.Value(i) {
				k[i] = 1
			} else {
				k[i] = 0
			}
		}
	case arrow.STRING, arrow.BINARY:
		offs, data := binaryValues(a)
		var buf [8]byte
		for i := range k {
			s := data[offs[i]:offs[i+1]]
			if len(s) >= 8 {
				k[i] = binary.BigEndian.Uint64(s)
			} else {
				buf = [8]byte{}
				copy(buf[:], s)
				k[i] = binary.BigEndian.Uint64(buf[:])
			}
		}
		return false, true
	default:
		return false, false
	}
	return true, true
}

// normFloatKey maps a float to a uint64 with the same order, NaN above +Inf
// and -0 equal to 0, as PostgreSQL orders floats.
func normFloatKey(f float64) uint64 {
	if f != f {
		return math.MaxUint64
	}
	if f == 0 {
		f = 0
	}
	b := math.Float64bits(f)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// sortIndices returns the order of the n rows of cols under keys.
func sortIndices(cols []arrow.Array, keys []SortKey, n int) []int32 {
	full := multiCmp(cols, cols, keys)
	idx := make([]int32, n)
	if len(keys) == 0 || n == 0 {
		for i := range idx {
			idx[i] = int32(i)
		}
		return idx
	}
	first := cols[keys[0].Col]
	norm := make([]uint64, n)
	exact, ok := normKeys(first, norm)
	if !ok {
		for i := range idx {
			idx[i] = int32(i)
		}
		slices.SortFunc(idx, func(a, b int32) int { return full(int(a), int(b)) })
		return idx
	}
	// Ties on an exact first key only need the remaining keys.
	tie := full
	if exact {
		if len(keys) > 1 {
			tie = multiCmp(cols, cols, keys[1:])
		} else {
			tie = func(int, int) int { return 0 }
		}
	}
	bits, off := validity(first)
	var vals []keyIdx
	var nulls []int32
	desc := keys[0].Desc
	for i := 0; i < n; i++ {
		if !isValid(bits, off, i) {
			nulls = append(nulls, int32(i))
			continue
		}
		k := norm[i]
		if desc {
			k = ^k
		}
		vals = append(vals, keyIdx{k, int32(i)})
	}
	// A text prefix reversed for DESC still orders prefixes correctly; on
	// equal prefixes full() decides with the real direction.
	slices.SortFunc(vals, func(a, b keyIdx) int {
		if a.k != b.k {
			return cmp.Compare(a.k, b.k)
		}
		return tie(int(a.i), int(b.i))
	})
	if len(keys) > 1 {
		rest := multiCmp(cols, cols, keys[1:])
		slices.SortFunc(nulls, func(a, b int32) int { return rest(int(a), int(b)) })
	}
	idx = idx[:0]
	if keys[0].NullsFirst {
		idx = append(idx, nulls...)
	}
	for _, v := range vals {
		idx = append(idx, v.i)
	}
	if !keys[0].NullsFirst {
		idx = append(idx, nulls...)
	}
	return idx
}
