package ops

import (
	"context"
	"fmt"
	mbits "math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/arrowutil"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Predicate evaluates a boolean expression over a batch. The result is a
// Boolean array of b's length; NULL counts as false. exec/expr's Evaluator
// satisfies it.
type Predicate interface {
	Eval(ctx context.Context, b arrow.RecordBatch, alloc memory.Allocator) (arrow.Array, error)
}

// Evaluator computes one output column of a projection from a batch. The
// caller releases the returned array.
type Evaluator interface {
	Eval(ctx context.Context, b arrow.RecordBatch, alloc memory.Allocator) (arrow.Array, error)
}

// internalErr builds an XX000 error: these are planner/executor bugs, not
// user mistakes.
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

// take gathers arr[idx[k]] into a new array of len(idx) rows; an index of -1
// yields NULL (outer-join padding). It handles every type the engine stores.
func take(alloc memory.Allocator, arr arrow.Array, idx []int32) arrow.Array {
	n := len(idx)
	dt := arr.DataType()
	if dt.ID() == arrow.NULL {
		return array.NewNull(n)
	}
	srcBits, srcOff := validity(arr)
	padded := false
	if srcBits == nil {
		for _, i := range idx {
			if i < 0 {
				padded = true
				break
			}
		}
	}
	// Without NULLs in the source or padding the result needs no bitmap.
	var valid *memory.Buffer
	nulls := 0
	if srcBits != nil || padded {
		valid = newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
		vb := valid.Bytes()
		for k, i := range idx {
			if i >= 0 && isValid(srcBits, srcOff, int(i)) {
				bitutil.SetBit(vb, k)
			} else {
				nulls++
			}
		}
	}
	switch byteWidth(dt) {
	case 2:
		return makeArray(dt, n, []*memory.Buffer{valid, takeFixed[uint16](alloc, arr, idx)}, nulls)
	case 4:
		return makeArray(dt, n, []*memory.Buffer{valid, takeFixed[uint32](alloc, arr, idx)}, nulls)
	case 8:
		return makeArray(dt, n, []*memory.Buffer{valid, takeFixed[uint64](alloc, arr, idx)}, nulls)
	case 16:
		return makeArray(dt, n, []*memory.Buffer{valid, takeFixed[[2]uint64](alloc, arr, idx)}, nulls)
	}
	switch dt.ID() {
	case arrow.BOOL:
		src := arr.(*array.Boolean)
		data := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
		db := data.Bytes()
		for k, i := range idx {
			if i >= 0 && src.Value(int(i)) {
				bitutil.SetBit(db, k)
			}
		}
		return makeArray(dt, n, []*memory.Buffer{valid, data}, nulls)
	case arrow.STRING, arrow.BINARY:
		offs, data := binaryValues(arr)
		total := 0
		for _, i := range idx {
			if i >= 0 {
				total += int(offs[i+1] - offs[i])
			}
		}
		ob := newBuf(alloc, 4*(n+1))
		o := unsafe.Slice((*int32)(unsafe.Pointer(&ob.Bytes()[0])), n+1)
		db := newBuf(alloc, total)
		d := db.Bytes()
		pos := int32(0)
		for k, i := range idx {
			o[k] = pos
			if i >= 0 {
				pos += int32(copy(d[pos:], data[offs[i]:offs[i+1]]))
			}
		}
		o[n] = pos
		return makeArray(dt, n, []*memory.Buffer{valid, ob, db}, nulls)
	case arrow.LIST:
		// Arrays: new offsets from the taken rows' lengths, then one take of
		// the child elements those rows span, so nested values stay columnar.
		la := arr.(*array.List)
		offs := listOffsets(la)
		total := 0
		for _, i := range idx {
			if i >= 0 {
				total += int(offs[i+1] - offs[i])
			}
		}
		ob := newBuf(alloc, 4*(n+1))
		o := unsafe.Slice((*int32)(unsafe.Pointer(&ob.Bytes()[0])), n+1)
		cidx := make([]int32, 0, total)
		for k, i := range idx {
			o[k] = int32(len(cidx))
			if i >= 0 {
				for j := offs[i]; j < offs[i+1]; j++ {
					cidx = append(cidx, j)
				}
			}
		}
		o[n] = int32(len(cidx))
		child := take(alloc, la.ListValues(), cidx)
		if nulls == 0 && valid != nil {
			valid.Release()
			valid = nil
		}
		d := array.NewData(dt, n, []*memory.Buffer{valid, ob}, []arrow.ArrayData{child.Data()}, nulls, 0)
		ob.Release()
		if valid != nil {
			valid.Release()
		}
		child.Release()
		a := array.MakeFromData(d)
		d.Release()
		return a
	}
	panic(fmt.Sprintf("take: unsupported type %s", dt))
}

// listOffsets returns the n+1 offsets of a list array's rows, already
// shifted by the array's own offset (they index its child directly).
func listOffsets(la *array.List) []int32 {
	n := la.Len()
	offs := la.Offsets()
	if len(offs) == 0 {
		return make([]int32, n+1)
	}
	o := la.Data().Offset()
	return offs[o : o+n+1]
}

func takeFixed[T any](alloc memory.Allocator, arr arrow.Array, idx []int32) *memory.Buffer {
	src := fixedValues[T](arr)
	var zero T
	buf := newBuf(alloc, len(idx)*int(unsafe.Sizeof(zero)))
	if len(idx) == 0 {
		return buf
	}
	dst := unsafe.Slice((*T)(unsafe.Pointer(&buf.Bytes()[0])), len(idx))
	for k, i := range idx {
		if i >= 0 {
			dst[k] = src[i]
		}
	}
	return buf
}

// takeBatch gathers rows idx of every column of b into a new batch of schema.
func takeBatch(alloc memory.Allocator, schema *arrow.Schema, b arrow.RecordBatch, idx []int32) arrow.RecordBatch {
	cols := make([]arrow.Array, b.NumCols())
	for c := range cols {
		cols[c] = take(alloc, b.Column(c), idx)
	}
	return newBatch(schema, cols, len(idx))
}

// newBatch wraps cols into a batch and drops the caller's references to them.
func newBatch(schema *arrow.Schema, cols []arrow.Array, n int) arrow.RecordBatch {
	b := array.NewRecordBatch(schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return b
}

// maskIndexes returns the rows of a Boolean mask that are true (NULL is
// false), reusing buf.
func maskIndexes(mask arrow.Array, buf []int32) ([]int32, error) {
	m, ok := mask.(*array.Boolean)
	if !ok {
		return nil, internalErr("predicate returned %s, not boolean", mask.DataType())
	}
	bits, off := validity(m)
	buf = buf[:0]
	n := m.Len()
	voff := m.Data().Offset()
	vals := m.Data().Buffers()[1].Bytes()
	if bits == nil && voff%8 == 0 && n > 0 {
		// Whole bytes of the value bitmap at a time: skip all-false bytes,
		// append every row of all-true ones.
		vals = vals[voff/8 : voff/8+(n+7)/8]
		for bi, v := range vals {
			base := int32(bi * 8)
			if v == 0xff && int(base)+8 <= n {
				buf = append(buf, base, base+1, base+2, base+3, base+4, base+5, base+6, base+7)
				continue
			}
			for ; v != 0; v &= v - 1 {
				if i := base + int32(mbits.TrailingZeros8(v)); int(i) < n {
					buf = append(buf, i)
				}
			}
		}
		return buf, nil
	}
	for i := 0; i < n; i++ {
		if m.Value(i) && isValid(bits, off, i) {
			buf = append(buf, int32(i))
		}
	}
	return buf, nil
}

// concatBatches concatenates batches of one schema column by column. The
// result has one array per column (an empty array when there are no batches).
func concatBatches(alloc memory.Allocator, schema *arrow.Schema, batches []arrow.RecordBatch) ([]arrow.Array, int, error) {
	cols := make([]arrow.Array, schema.NumFields())
	rows := 0
	for _, b := range batches {
		rows += int(b.NumRows())
	}
	for c := range cols {
		if len(batches) == 0 {
			cols[c] = array.MakeArrayOfNull(alloc, schema.Field(c).Type, 0)
			continue
		}
		if len(batches) == 1 {
			cols[c] = batches[0].Column(c)
			cols[c].Retain()
			continue
		}
		parts := make([]arrow.Array, len(batches))
		for i, b := range batches {
			parts[i] = b.Column(c)
		}
		a, err := array.Concatenate(parts, alloc)
		if err != nil {
			for _, x := range cols[:c] {
				x.Release()
			}
			return nil, 0, internalErr("concatenate: %v", err)
		}
		cols[c] = a
	}
	return cols, rows, nil
}

// batchBytes estimates the memory a batch holds, for budget reservations.
func batchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		n += arrayBytes(c)
	}
	return n
}

func arrayBytes(a arrow.Array) int64 {
	var n int64
	for _, buf := range a.Data().Buffers() {
		if buf != nil {
			n += int64(buf.Len())
		}
	}
	return n
}

// reservation tracks what one operator has reserved from the query budget so
// it can grow it step by step and give it all back on Close.
type reservation struct {
	mem  *exec.Memory
	held int64
}

// grow reserves n more bytes.
func (r *reservation) grow(n int64) error {
	if n <= 0 {
		return nil
	}
	if err := r.mem.Reserve(n); err != nil {
		return err
	}
	r.held += n
	return nil
}

// resize moves the reservation to total bytes.
func (r *reservation) resize(total int64) error {
	if total > r.held {
		return r.grow(total - r.held)
	}
	r.mem.Release(r.held - total)
	r.held = total
	return nil
}

func (r *reservation) releaseAll() {
	r.mem.Release(r.held)
	r.held = 0
}

// releaseAll releases every non-nil batch.
func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		if b != nil {
			b.Release()
		}
	}
}

func releaseArrays(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// nullableFields copies fields marking them nullable (outer-join padding).
func nullableFields(fs []arrow.Field) []arrow.Field {
	out := make([]arrow.Field, len(fs))
	for i, f := range fs {
		f.Nullable = true
		out[i] = f
	}
	return out
}

// nullArray is an all-NULL array of type dt.
func nullArray(alloc memory.Allocator, dt arrow.DataType, n int) arrow.Array {
	return array.MakeArrayOfNull(alloc, dt, n)
}

// newBatchRetained wraps cols into a batch; the caller keeps its references.
func newBatchRetained(schema *arrow.Schema, cols []arrow.Array, n int) arrow.RecordBatch {
	return array.NewRecordBatch(schema, cols, int64(n))
}
