package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// nextInRanges is Next when the page index narrowed the row group to ranges.
// Each batch covers at most maxRows rows of one range. The predicate columns
// are read for all of them and the predicates evaluated; the other columns
// are then read only for the rows from the first match to the last, and a
// batch with no match is skipped without reading them at all. Their page
// cursors jump over the pages between (the offset index), so a point lookup
// decompresses about one page per column.
func (r *splitReader) nextInRanges() (b arrow.RecordBatch, err error) {
	arrs := make([]arrow.Array, len(r.cols))
	defer func() {
		if p := recover(); p != nil {
			// parquet-go may panic on corrupt pages: fail this query only.
			err = corruptFile(r.path, fmt.Errorf("%v", p))
		}
		if err != nil {
			releaseAll(arrs)
			b = nil
			r.err = err
		}
	}()
	wrap := func(err error) error {
		if errors.Is(err, io.ErrUnexpectedEOF) || !isSQLErr(err) {
			return corruptFile(r.path, err)
		}
		return err
	}
	for r.ri < len(r.ranges) {
		if err := r.ctx.Err(); err != nil {
			return nil, sqlerr.Wrap(sqlerr.QueryCanceled, err, "canceling statement")
		}
		rr := r.ranges[r.ri]
		r.pos = max(r.pos, rr.from)
		if r.pos >= rr.to {
			r.ri++
			continue
		}
		start := r.pos
		n := int(min(int64(r.maxRows), rr.to-start))
		r.pos += int64(n)
		lo, hi := 0, n
		if len(r.evals) > 0 {
			for i, c := range r.cols {
				if !r.isPred[i] {
					continue
				}
				if err := c.seek(start); err != nil {
					return nil, wrap(err)
				}
				a, err := c.read(r.alloc, n)
				if err != nil {
					return nil, wrap(err)
				}
				arrs[i] = a
			}
			lo, hi = r.matchWindow(arrs, n)
			if lo >= hi {
				releaseAll(arrs)
				continue
			}
			if lo > 0 || hi < n {
				for i, a := range arrs {
					if a != nil {
						arrs[i] = array.NewSlice(a, int64(lo), int64(hi))
						a.Release()
					}
				}
			}
		}
		for i, c := range r.cols {
			if arrs[i] != nil {
				continue
			}
			if err := c.seek(start + int64(lo)); err != nil {
				return nil, wrap(err)
			}
			a, err := c.read(r.alloc, hi-lo)
			if err != nil {
				return nil, wrap(err)
			}
			arrs[i] = a
		}
		rec := array.NewRecordBatch(r.schema, arrs, int64(hi-lo))
		releaseAll(arrs)
		return rec, nil
	}
	return nil, io.EOF
}

func releaseAll(arrs []arrow.Array) {
	for i, a := range arrs {
		if a != nil {
			a.Release()
			arrs[i] = nil
		}
	}
}

// matchWindow evaluates r.evals over the n rows of the predicate columns in
// arrs and returns the rows [lo, hi) from the first row satisfying all of
// them to the last (lo == hi: none does).
func (r *splitReader) matchWindow(arrs []arrow.Array, n int) (lo, hi int) {
	r.mask = grow(r.mask, n)
	mask := r.mask
	for i := range mask {
		mask[i] = true
	}
	for _, e := range r.evals {
		evalPredicate(mask, arrs[e.col], e.p)
	}
	lo, hi = 0, n
	for lo < n && !mask[lo] {
		lo++
	}
	for hi > lo && !mask[hi-1] {
		hi--
	}
	return lo, hi
}

// evaluable reports whether evalPredicate can check p on a column of type t
// exactly as the engine's comparison kernels would: its constant has the
// encoding the column's arrays are compared with.
func evaluable(p Predicate, t types.T) bool {
	switch p.Op {
	case "is null", "is not null":
		return true
	case "=", "<", "<=", ">", ">=":
	default:
		return false
	}
	switch p.Value.(type) {
	case int64:
		return t.IsInteger() || t.Kind == types.Time || t.Kind == types.Timestamp || t.Kind == types.TimestampTZ
	case int32:
		return t.Kind == types.Date
	case float64:
		return t.IsFloat()
	case decimal128.Num:
		return t.Kind == types.Numeric
	case string:
		return t.Kind == types.Text
	case []byte:
		return t.Kind == types.Bytea
	case bool:
		return t.Kind == types.Bool
	}
	return false
}

// evalPredicate clears mask[i] for the rows of a that do not satisfy p. NULLs
// satisfy only "is null". An array type it does not know leaves mask as is,
// which only makes the window wider.
func evalPredicate(mask []bool, a arrow.Array, p Predicate) {
	switch p.Op {
	case "is null", "is not null":
		want := p.Op == "is null"
		for i := range mask {
			if a.IsNull(i) != want {
				mask[i] = false
			}
		}
		return
	}
	// accept[c+1] says whether a row comparing c (-1, 0, +1) to the constant
	// satisfies the operator.
	var accept [3]bool
	switch p.Op {
	case "=":
		accept = [3]bool{false, true, false}
	case "<":
		accept = [3]bool{true, false, false}
	case "<=":
		accept = [3]bool{true, true, false}
	case ">":
		accept = [3]bool{false, false, true}
	case ">=":
		accept = [3]bool{false, true, true}
	}
	nulls := a.NullN() > 0
	apply := func(i, c int) {
		if !accept[c+1] || nulls && a.IsNull(i) {
			mask[i] = false
		}
	}
	switch v := p.Value.(type) {
	case int64:
		switch x := a.(type) {
		case *array.Int16:
			maskInts(mask, x.Int16Values(), v, apply)
		case *array.Int32:
			maskInts(mask, x.Int32Values(), v, apply)
		case *array.Int64:
			maskInts(mask, x.Int64Values(), v, apply)
		case *array.Timestamp:
			maskInts(mask, x.TimestampValues(), v, apply)
		case *array.Time64:
			maskInts(mask, x.Time64Values(), v, apply)
		}
	case int32:
		if x, ok := a.(*array.Date32); ok {
			maskInts(mask, x.Date32Values(), int64(v), apply)
		}
	case float64:
		switch x := a.(type) {
		case *array.Float32:
			for i, f := range x.Float32Values() {
				if mask[i] {
					apply(i, floatCmp(float64(f), v))
				}
			}
		case *array.Float64:
			for i, f := range x.Float64Values() {
				if mask[i] {
					apply(i, floatCmp(f, v))
				}
			}
		}
	case decimal128.Num:
		if x, ok := a.(*array.Decimal128); ok {
			for i, d := range x.Values() {
				if mask[i] {
					apply(i, d.Cmp(v))
				}
			}
		}
	case string:
		if x, ok := a.(*array.String); ok {
			for i := range mask {
				if mask[i] {
					apply(i, strings.Compare(x.Value(i), v))
				}
			}
		}
	case []byte:
		if x, ok := a.(*array.Binary); ok {
			for i := range mask {
				if mask[i] {
					apply(i, bytes.Compare(x.Value(i), v))
				}
			}
		}
	case bool:
		if x, ok := a.(*array.Boolean); ok {
			for i := range mask {
				if mask[i] {
					apply(i, cmpBool(x.Value(i), v))
				}
			}
		}
	}
}

func maskInts[T int16 | int32 | int64 | arrow.Timestamp | arrow.Time64 | arrow.Date32](mask []bool, vals []T, v int64, apply func(i, c int)) {
	for i, x := range vals {
		if mask[i] {
			apply(i, cmp3(int64(x), v))
		}
	}
}

// floatCmp orders floats as PostgreSQL does (and the engine's kernels): NaN
// equals NaN and sorts above every number.
func floatCmp(a, b float64) int {
	an, bn := a != a, b != b
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return cmp3(a, b)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}
