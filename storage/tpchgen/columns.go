package tpchgen

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Column buffers collect one row group of one column as plain Go slices and
// wrap them as Arrow arrays without copying. The generator hands us one row
// at a time, so appending to a typed slice is the cheapest accumulation; the
// slices are reused (reset to length 0) after each row group is written,
// which is safe because pqarrow's Write encodes and flushes the whole row
// group before returning.
type colBuf interface {
	array() arrow.Array
	reset()
}

// i32Buf holds an INTEGER column (and, with date set, a DATE column: both
// are 32-bit in Arrow, Date32 counts days since 1970-01-01).
type i32Buf struct {
	v    []int32
	date bool
}

func (b *i32Buf) add(x int32) { b.v = append(b.v, x) }

// addDate appends a dbgen date string "YYYY-MM-DD".
func (b *i32Buf) addDate(s string) { b.v = append(b.v, parseDate(s)) }

func (b *i32Buf) array() arrow.Array {
	dt := arrow.DataType(arrow.PrimitiveTypes.Int32)
	if b.date {
		dt = arrow.FixedWidthTypes.Date32
	}
	buf := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(b.v))
	data := array.NewData(dt, len(b.v), []*memory.Buffer{nil, buf}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func (b *i32Buf) reset() { b.v = b.v[:0] }

// decBuf holds a DECIMAL(15,2) column. dbgen computes money in pennies, which
// is exactly the unscaled value of a scale-2 decimal.
type decBuf struct{ v []decimal128.Num }

func (b *decBuf) add(unscaled int64) { b.v = append(b.v, decimal128.FromI64(unscaled)) }

func (b *decBuf) array() arrow.Array {
	buf := memory.NewBufferBytes(arrow.Decimal128Traits.CastToBytes(b.v))
	data := array.NewData(moneyType, len(b.v), []*memory.Buffer{nil, buf}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func (b *decBuf) reset() { b.v = b.v[:0] }

// strBuf holds a UTF-8 text column as Arrow's offsets + bytes layout.
type strBuf struct {
	off  []int32
	data []byte
}

func (b *strBuf) add(s string) {
	if len(b.off) == 0 {
		b.off = append(b.off, 0)
	}
	b.data = append(b.data, s...)
	b.off = append(b.off, int32(len(b.data)))
}

func (b *strBuf) addByte(c byte) {
	if len(b.off) == 0 {
		b.off = append(b.off, 0)
	}
	b.data = append(b.data, c)
	b.off = append(b.off, int32(len(b.data)))
}

func (b *strBuf) array() arrow.Array {
	if len(b.off) == 0 {
		b.off = append(b.off, 0)
	}
	offs := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(b.off))
	vals := memory.NewBufferBytes(b.data)
	data := array.NewData(arrow.BinaryTypes.String, len(b.off)-1, []*memory.Buffer{nil, offs, vals}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func (b *strBuf) reset() {
	b.off = b.off[:0]
	b.data = b.data[:0]
}

// parseDate turns dbgen's fixed "YYYY-MM-DD" into days since the Unix epoch
// without going through time.Parse: lineitem alone has three dates a row.
func parseDate(s string) int32 {
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	return daysFromCivil(y, m, d)
}

// daysFromCivil is Howard Hinnant's days_from_civil for the proleptic
// Gregorian calendar.
func daysFromCivil(y, m, d int) int32 {
	if m <= 2 {
		y--
	}
	era := y / 400 // dbgen's years are all positive
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}
