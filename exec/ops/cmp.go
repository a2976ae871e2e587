package ops

import (
	"bytes"
	"cmp"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// SortKey is one ORDER BY key over an input column. PostgreSQL's defaults are
// NULLS LAST for ASC and NULLS FIRST for DESC; the planner sets NullsFirst
// explicitly.
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool
}

// rowCmp compares row i of one array with row j of another of the same type.
type rowCmp func(i, j int) int

// makeCmp returns a typed comparator of a[i] against b[j] under key's order
// (direction and NULL placement included). Text and bytea compare by bytes
// (C collation); floats put NaN above every number, as PostgreSQL does.
func makeCmp(a, b arrow.Array, key SortKey) rowCmp {
	base := valueCmp(a, b)
	ab, ao := validity(a)
	bb, bo := validity(b)
	desc := key.Desc
	nullsFirst := key.NullsFirst
	if ab == nil && bb == nil {
		if desc {
			return func(i, j int) int { return -base(i, j) }
		}
		return base
	}
	return func(i, j int) int {
		an, bn := !isValid(ab, ao, i), !isValid(bb, bo, j)
		if an || bn {
			switch {
			case an && bn:
				return 0
			case an == nullsFirst:
				return -1
			default:
				return 1
			}
		}
		c := base(i, j)
		if desc {
			return -c
		}
		return c
	}
}

func fixedCmp[T cmp.Ordered](a, b arrow.Array) rowCmp {
	av, bv := fixedValues[T](a), fixedValues[T](b)
	return func(i, j int) int { return cmp.Compare(av[i], bv[j]) }
}

// valueCmp compares non-NULL values ascending.
func valueCmp(a, b arrow.Array) rowCmp {
	switch a.DataType().ID() {
	case arrow.INT16:
		return fixedCmp[int16](a, b)
	case arrow.INT32, arrow.DATE32:
		return fixedCmp[int32](a, b)
	case arrow.INT64, arrow.TIME64, arrow.TIMESTAMP:
		return fixedCmp[int64](a, b)
	case arrow.FLOAT32:
		// cmp.Compare orders NaN below everything; PostgreSQL puts it above.
		av, bv := fixedValues[float32](a), fixedValues[float32](b)
		return func(i, j int) int { return floatCmp(float64(av[i]), float64(bv[j])) }
	case arrow.FLOAT64:
		av, bv := fixedValues[float64](a), fixedValues[float64](b)
		return func(i, j int) int { return floatCmp(av[i], bv[j]) }
	case arrow.DECIMAL128:
		av, bv := fixedValues[decimal128.Num](a), fixedValues[decimal128.Num](b)
		return func(i, j int) int { return av[i].Cmp(bv[j]) }
	case arrow.INTERVAL_MONTH_DAY_NANO:
		av, bv := fixedValues[arrow.MonthDayNanoInterval](a), fixedValues[arrow.MonthDayNanoInterval](b)
		return func(i, j int) int { return intervalCmp(av[i], bv[j]) }
	case arrow.BOOL:
		av, bv := a.(*array.Boolean), b.(*array.Boolean)
		return func(i, j int) int {
			x, y := av.Value(i), bv.Value(j)
			switch {
			case x == y:
				return 0
			case y:
				return -1
			}
			return 1
		}
	case arrow.STRING, arrow.BINARY:
		ao, ad := binaryValues(a)
		bo, bd := binaryValues(b)
		return func(i, j int) int {
			return bytes.Compare(ad[ao[i]:ao[i+1]], bd[bo[j]:bo[j+1]])
		}
	case arrow.NULL:
		return func(int, int) int { return 0 }
	case arrow.LIST:
		return listCmp(a.(*array.List), b.(*array.List))
	}
	panic("no comparison for " + a.DataType().String())
}

func floatCmp(x, y float64) int {
	xn, yn := x != x, y != y
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return cmp.Compare(x, y)
}

// multiCmp compares rows of two batches under all keys.
func multiCmp(a, b []arrow.Array, keys []SortKey) rowCmp {
	cmps := make([]rowCmp, len(keys))
	for k, key := range keys {
		cmps[k] = makeCmp(a[key.Col], b[key.Col], key)
	}
	if len(cmps) == 1 {
		return cmps[0]
	}
	return func(i, j int) int {
		for _, c := range cmps {
			if r := c(i, j); r != 0 {
				return r
			}
		}
		return 0
	}
}

// listCmp orders arrays as PostgreSQL's array_cmp does: element by element
// with the element type's order, a NULL element above any non-NULL one and
// equal to another NULL, and on a common prefix the shorter array first.
func listCmp(a, b *array.List) rowCmp {
	ao, bo := listOffsets(a), listOffsets(b)
	ac, bc := a.ListValues(), b.ListValues()
	elem := valueCmp(ac, bc)
	abits, aoff := validity(ac)
	bbits, boff := validity(bc)
	return func(i, j int) int {
		la, lb := ao[i+1]-ao[i], bo[j+1]-bo[j]
		for k := int32(0); k < min(la, lb); k++ {
			x, y := int(ao[i]+k), int(bo[j]+k)
			xn, yn := !isValid(abits, aoff, x), !isValid(bbits, boff, y)
			switch {
			case xn && yn:
				continue
			case xn:
				return 1
			case yn:
				return -1
			}
			if c := elem(x, y); c != 0 {
				return c
			}
		}
		return cmp.Compare(la, lb)
	}
}
