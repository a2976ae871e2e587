package pgcatalog

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/storage"
)

// memTable wraps r as a storage table whose one split builds its rows.
// A nil view means r does not depend on the session.
func (c *Catalog) memTable(r *relation, v *View) *storage.Table {
	if v == nil {
		v = &View{c: c}
	}
	est := int64(100)
	if r.rows == nil && r.live == nil {
		est = 0
	}
	return storage.NewMemTable(r.schema, r.name, r.cols, est, func(ctx context.Context, alloc memory.Allocator) (arrow.RecordBatch, error) {
		rows, err := v.rowsOf(r)
		if err != nil {
			return nil, err
		}
		return buildBatch(alloc, r.cols, rows)
	})
}

// buildBatch turns rows of Go values into a batch of the columns' types.
// Values: nil (NULL), bool, int, int64, float64, string, []any/[]string/
// []int64 for arrays.
func buildBatch(alloc memory.Allocator, cols []storage.Column, rows [][]any) (rec arrow.RecordBatch, err error) {
	blds := make([]array.Builder, len(cols))
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		blds[i] = array.NewBuilder(alloc, c.Type.Arrow())
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type.Arrow(), Nullable: true}
	}
	defer func() {
		for _, b := range blds {
			b.Release()
		}
	}()
	for _, row := range rows {
		if len(row) != len(cols) {
			return nil, sqlerr.New(sqlerr.InternalError, "catalog row has %d values for %d columns", len(row), len(cols))
		}
		for i, v := range row {
			if err := appendValue(blds[i], v); err != nil {
				return nil, sqlerr.New(sqlerr.InternalError, "catalog column %s: %v", cols[i].Name, err)
			}
		}
	}
	arrs := make([]arrow.Array, len(cols))
	for i, b := range blds {
		arrs[i] = b.NewArray()
	}
	rec = array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(len(rows)))
	for _, a := range arrs {
		a.Release()
	}
	return rec, nil
}

func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch x := v.(type) {
	case int:
		v = int64(x)
	case int32:
		v = int64(x)
	case []string:
		l := make([]any, len(x))
		for i, s := range x {
			l[i] = s
		}
		v = l
	case []int64:
		l := make([]any, len(x))
		for i, n := range x {
			l[i] = n
		}
		v = l
	}
	switch b := b.(type) {
	case *array.BooleanBuilder:
		if x, ok := v.(bool); ok {
			b.Append(x)
			return nil
		}
	case *array.Int16Builder:
		if x, ok := v.(int64); ok {
			b.Append(int16(x))
			return nil
		}
	case *array.Int32Builder:
		if x, ok := v.(int64); ok {
			b.Append(int32(x))
			return nil
		}
	case *array.Int64Builder:
		if x, ok := v.(int64); ok {
			b.Append(x)
			return nil
		}
	case *array.Float32Builder:
		if x, ok := v.(float64); ok {
			b.Append(float32(x))
			return nil
		}
	case *array.Float64Builder:
		if x, ok := v.(float64); ok {
			b.Append(x)
			return nil
		}
	case *array.StringBuilder:
		if x, ok := v.(string); ok {
			b.Append(x)
			return nil
		}
	case *array.TimestampBuilder:
		if x, ok := v.(int64); ok {
			b.Append(arrow.Timestamp(x))
			return nil
		}
	case *array.ListBuilder:
		if xs, ok := v.([]any); ok {
			b.Append(true)
			for _, x := range xs {
				if err := appendValue(b.ValueBuilder(), x); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return fmt.Errorf("value %v (%T) does not fit %T", v, v, b)
}
