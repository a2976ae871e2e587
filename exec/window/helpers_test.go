package window

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/types"
)

// source is a test operator emitting fixed batches.
type source struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	pos     int
}

func (s *source) Schema() *arrow.Schema      { return s.schema }
func (s *source) Open(context.Context) error { return nil }
func (s *source) Next(context.Context) (arrow.RecordBatch, error) {
	if s.pos >= len(s.batches) {
		return nil, io.EOF
	}
	s.pos++
	return s.batches[s.pos-1], nil
}
func (s *source) Close() error {
	for _, b := range s.batches {
		b.Release()
	}
	s.batches = nil
	return nil
}

// col describes a test column: its type and values (nil for NULL) in the
// expr.Const encoding (int64 for integers, float64, decimal given as a
// string, string, bool, int32 days for dates, int64 micros for timestamps).
type col struct {
	name string
	t    types.T
}

// makeSource builds a source over rows split into batches of batchRows.
func makeSource(t testing.TB, alloc memory.Allocator, cols []col, rows [][]any, batchRows int) *source {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.t.Arrow(), Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	src := &source{schema: schema}
	for start := 0; start < len(rows) || (start == 0 && len(rows) == 0); start += batchRows {
		end := min(len(rows), start+batchRows)
		if end == start {
			break
		}
		b := array.NewRecordBuilder(alloc, schema)
		for _, r := range rows[start:end] {
			for c, v := range r {
				appendValue(t, b.Field(c), cols[c].t, v)
			}
		}
		src.batches = append(src.batches, b.NewRecordBatch())
		b.Release()
	}
	return src
}

func appendValue(t testing.TB, fb array.Builder, ty types.T, v any) {
	if v == nil {
		fb.AppendNull()
		return
	}
	switch b := fb.(type) {
	case *array.Int16Builder:
		b.Append(int16(v.(int)))
	case *array.Int32Builder:
		b.Append(int32(v.(int)))
	case *array.Int64Builder:
		b.Append(int64(v.(int)))
	case *array.Float32Builder:
		b.Append(float32(v.(float64)))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.Decimal128Builder:
		n, err := decimal128.FromString(v.(string), 38, ty.Scale)
		if err != nil {
			t.Fatal(err)
		}
		b.Append(n)
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.Date32Builder:
		b.Append(arrow.Date32(v.(int)))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(int64)))
	default:
		t.Fatalf("appendValue: builder %T", fb)
	}
}

// run drains a window operator and renders every row as strings.
func run(t testing.TB, w *Window) ([][]string, error) {
	t.Helper()
	var out [][]string
	err := exec.Drain(context.Background(), w, func(b arrow.RecordBatch) error {
		if b.NumRows() == 0 {
			return fmt.Errorf("empty batch")
		}
		for r := 0; r < int(b.NumRows()); r++ {
			row := make([]string, b.NumCols())
			for c := range row {
				row[c] = render(b.Column(c), r)
			}
			out = append(out, row)
		}
		return nil
	})
	return out, err
}

func render(a arrow.Array, r int) string {
	if a.IsNull(r) {
		return "NULL"
	}
	switch x := a.(type) {
	case *array.Int16:
		return strconv.Itoa(int(x.Value(r)))
	case *array.Int32:
		return strconv.Itoa(int(x.Value(r)))
	case *array.Int64:
		return strconv.FormatInt(x.Value(r), 10)
	case *array.Float32:
		return strconv.FormatFloat(float64(x.Value(r)), 'g', -1, 32)
	case *array.Float64:
		return strconv.FormatFloat(x.Value(r), 'g', -1, 64)
	case *array.Decimal128:
		return x.Value(r).ToString(x.DataType().(*arrow.Decimal128Type).Scale)
	case *array.String:
		return x.Value(r)
	case *array.Boolean:
		return strconv.FormatBool(x.Value(r))
	case *array.Date32:
		return x.Value(r).FormattedString()
	case *array.Timestamp:
		return x.Value(r).ToTime(arrow.Microsecond).Format("2006-01-02 15:04:05")
	}
	return a.ValueStr(r)
}
