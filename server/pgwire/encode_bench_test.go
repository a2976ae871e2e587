package pgwire

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/types"
)

// BenchmarkTextNumeric encodes a batch of numeric(15,2) values as text, the
// shape of lineitem's four numeric columns.
func BenchmarkTextNumeric(b *testing.B) {
	bld := array.NewDecimal128Builder(memory.DefaultAllocator, &arrow.Decimal128Type{Precision: 38, Scale: 2})
	for i := 0; i < 8192; i++ {
		bld.Append(decimal128.FromI64(int64(i*7919) % 10000000))
	}
	arr := bld.NewArray()
	defer arr.Release()
	t := types.T{Kind: types.Numeric, Precision: 15, Scale: 2}
	buf := make([]byte, 0, 1<<20)
	for b.Loop() {
		enc := encoderFor(arr, t, 0)
		buf = buf[:0]
		for i := 0; i < arr.Len(); i++ {
			buf = enc(buf, i)
		}
	}
}
