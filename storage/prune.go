package storage

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/parquet-go/parquet-go/format"

	"github.com/basaltdb/basalt/sql/types"
)

// Predicate is a comparison of one column with a constant, as the planner
// pushes it down to the scan. Value is encoded as expr.Const.Value for the
// column's type (int64 for integers, times and timestamps; int32 days for
// dates; float64; decimal128.Num at the column's scale; string; []byte;
// bool). Op is one of "=", "<", "<=", ">", ">=", "is null", "is not null".
type Predicate struct {
	Column int // index in Table.Columns
	Op     string
	Value  any
}

// Prune keeps the splits that may hold a row satisfying all preds, judged by
// row-group min/max statistics, null counts and partition values. It is
// conservative: whatever it cannot decide is kept, so the scan's filter must
// still run.
func (t *Table) Prune(splits []Split, preds []Predicate) []Split {
	if len(preds) == 0 {
		return splits
	}
	out := make([]Split, 0, len(splits))
	for _, s := range splits {
		if t.mayMatch(s, preds) {
			out = append(out, s)
		}
	}
	return out
}

func (t *Table) mayMatch(s Split, preds []Predicate) bool {
	if t.err != nil || s.RowGroup < 0 || t.mem != nil {
		return true // keep it so that reading it reports the error
	}
	f, err := t.fileOf(s)
	if err != nil || f.err != nil {
		return true
	}
	md := f.pf.Metadata()
	if s.RowGroup >= len(md.RowGroups) {
		return true
	}
	rg := &md.RowGroups[s.RowGroup]
	if rg.NumRows == 0 {
		return false
	}
	for _, p := range preds {
		if p.Column < 0 || p.Column >= len(t.Columns) {
			continue
		}
		col := &t.Columns[p.Column]
		var r colRange
		switch {
		case col.Partition:
			v := partValueOf(t, f, p.Column)
			r = colRange{rows: 1, hasMinMax: v != nil, min: v, max: v}
			if v == nil {
				r.nulls = 1
			}
			r.nullsKnown = true
		case f.colLeaf[p.Column] < 0 || f.leaves[f.colLeaf[p.Column]].allNull:
			r = colRange{rows: rg.NumRows, nulls: rg.NumRows, nullsKnown: true}
		default:
			l := &f.leaves[f.colLeaf[p.Column]]
			r = chunkRange(l, col.Type, &rg.Columns[l.index].MetaData, rg.NumRows)
		}
		if !r.mayMatch(p, col.Type) {
			return false
		}
	}
	return true
}

func partValueOf(t *Table, f *tableFile, col int) any {
	for i, pc := range t.partCols {
		if pc == col {
			return f.partVals[i]
		}
	}
	return nil
}

// colRange is what the statistics say about a column within a row group.
type colRange struct {
	rows       int64
	nulls      int64
	nullsKnown bool
	hasMinMax  bool
	min, max   any // in the Const encoding of the column's type
	// maxIsPrefix: max may be a byte-array bound cut short, so values that
	// extend it may still lie below the real maximum.
	maxIsPrefix bool
}

func (r colRange) mayMatch(p Predicate, t types.T) bool {
	switch p.Op {
	case "is null":
		return !r.nullsKnown || r.nulls > 0
	case "is not null":
		return !r.nullsKnown || r.nulls < r.rows
	}
	if r.nullsKnown && r.nulls >= r.rows {
		return false // only NULLs: no comparison is true
	}
	if p.Value == nil {
		return false // comparison with NULL is never true
	}
	if !r.hasMinMax {
		return true
	}
	if t.IsFloat() && (p.Op == ">" || p.Op == ">=") {
		// PostgreSQL orders NaN above every number, but writers leave NaN
		// out of min/max: a row group with max 2 may still hold rows > 5.
		return true
	}
	cmin, ok1 := compareConst(p.Value, r.min, t)
	cmax, ok2 := compareConst(p.Value, r.max, t)
	if !ok1 || !ok2 {
		return true
	}
	if cmax > 0 && r.maxIsPrefix && hasPrefix(p.Value, r.max) {
		cmax = -1
	}
	switch p.Op {
	case "=":
		return cmin >= 0 && cmax <= 0
	case "<":
		return cmin > 0 // some value below v only if min < v
	case "<=":
		return cmin >= 0
	case ">":
		return cmax < 0
	case ">=":
		return cmax <= 0
	}
	return true
}

// compareConst compares two constants of type t: -1, 0, +1, and false when
// they are not comparable (unexpected encodings, NaN).
func compareConst(a, b any, t types.T) (int, bool) {
	switch x := a.(type) {
	case int64:
		y, ok := b.(int64)
		if !ok {
			if y32, ok32 := b.(int32); ok32 {
				y, ok = int64(y32), true
			}
		}
		if !ok {
			return 0, false
		}
		return cmp3(x, y), true
	case int32:
		y, ok := b.(int32)
		if !ok {
			return 0, false
		}
		return cmp3(x, y), true
	case float64:
		y, ok := b.(float64)
		if !ok || math.IsNaN(x) || math.IsNaN(y) {
			return 0, false
		}
		return cmp3(x, y), true
	case decimal128.Num:
		y, ok := b.(decimal128.Num)
		if !ok {
			return 0, false
		}
		return x.Cmp(y), true
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		return cmp3(x, y), true
	case []byte:
		y, ok := b.([]byte)
		if !ok {
			return 0, false
		}
		return bytes.Compare(x, y), true
	case bool:
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		xi, yi := 0, 0
		if x {
			xi = 1
		}
		if y {
			yi = 1
		}
		return cmp3(xi, yi), true
	}
	return 0, false
}

func cmp3[T int | int32 | int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// chunkRange decodes a column chunk's statistics into the Const encoding of
// the table's column type t.
func chunkRange(l *leaf, t types.T, md *format.ColumnMetaData, rows int64) colRange {
	st := &md.Statistics
	r := colRange{rows: rows, nulls: st.NullCount}
	minB, maxB := st.MinValue, st.MaxValue
	if minB == nil || maxB == nil {
		// The deprecated fields are sorted signed, which is right only for
		// signed numbers (not strings, unsigned ints or binary decimals).
		minB, maxB = nil, nil
		if !l.unsigned && (l.phys == format.Int32 || l.phys == format.Int64 || l.phys == format.Float || l.phys == format.Double) {
			minB, maxB = st.Min, st.Max
		}
	}
	// Writers always set null_count along with min/max; without min/max a
	// zero null count may just mean "no statistics".
	r.nullsKnown = st.MinValue != nil || st.Min != nil || st.NullCount > 0
	if minB == nil || maxB == nil {
		return r
	}
	lo, ok1 := decodeStat(l, t, minB)
	hi, ok2 := decodeStat(l, t, maxB)
	if ok1 && ok2 {
		r.min, r.max, r.hasMinMax = lo, hi, true
	}
	return r
}

// decodeStat decodes one PLAIN-encoded statistics value (without the length
// prefix of byte arrays) of leaf l into the Const encoding of t.
func decodeStat(l *leaf, t types.T, b []byte) (any, bool) {
	if l.allNull {
		return nil, false
	}
	switch l.phys {
	case format.Boolean:
		if len(b) < 1 || t.Kind != types.Bool {
			return nil, false
		}
		return b[0] != 0, true
	case format.Int32:
		if len(b) != 4 {
			return nil, false
		}
		v := int32(binary.LittleEndian.Uint32(b))
		switch {
		case l.decimal:
			return decimal128.FromI64(int64(v)), t.Kind == types.Numeric
		case t.Kind == types.Date:
			return v, true
		case t.Kind == types.Time:
			return int64(v) * 1000, l.unit == unitMillis
		case t.IsInteger():
			if l.unsigned {
				return int64(uint32(v)), true
			}
			return int64(v), true
		}
	case format.Int64:
		if len(b) != 8 {
			return nil, false
		}
		v := int64(binary.LittleEndian.Uint64(b))
		switch {
		case l.decimal:
			return decimal128.FromI64(v), t.Kind == types.Numeric
		case l.unsigned:
			return decimal128.FromU64(uint64(v)), t.Kind == types.Numeric
		case t.Kind == types.Time || t.Kind == types.Timestamp || t.Kind == types.TimestampTZ:
			switch l.unit {
			case unitMillis:
				return v * 1000, true
			case unitMicros:
				return v, true
			case unitNanos:
				return floorDiv(v, 1000), true
			}
		case t.IsInteger():
			return v, true
		}
	case format.Float:
		if len(b) != 4 || !t.IsFloat() {
			return nil, false
		}
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), true
	case format.Double:
		if len(b) != 8 || !t.IsFloat() {
			return nil, false
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), true
	case format.ByteArray, format.FixedLenByteArray:
		switch {
		case l.decimal:
			if len(b) > 16 || t.Kind != types.Numeric {
				return nil, false
			}
			return bigEndianDecimal(b), true
		case t.Kind == types.Text:
			return string(b), true
		case t.Kind == types.Bytea:
			return bytes.Clone(b), true
		}
	}
	// INT96 and intervals have no usable order.
	return nil, false
}

// ColumnStats summarises one column over the whole table for the cost model.
type ColumnStats struct {
	NullCount int64 // -1 when unknown
	// Min and Max bound the non-NULL values in the Const encoding of the
	// column's type; HasMinMax is false when some file lacks statistics.
	Min, Max  any
	HasMinMax bool
}

// ColumnStats folds the row-group statistics of column col over all files.
func (t *Table) ColumnStats(col int) ColumnStats {
	out := ColumnStats{HasMinMax: true}
	if col < 0 || col >= len(t.Columns) || t.mem != nil {
		return ColumnStats{NullCount: -1}
	}
	c := &t.Columns[col]
	nullsKnown := true
	seen := false
	for _, f := range t.files {
		if f.err != nil {
			return ColumnStats{NullCount: -1}
		}
		md := f.pf.Metadata()
		for rgi := range md.RowGroups {
			rg := &md.RowGroups[rgi]
			var r colRange
			switch {
			case c.Partition:
				v := partValueOf(t, f, col)
				r = colRange{rows: rg.NumRows, hasMinMax: v != nil, min: v, max: v, nullsKnown: true}
				if v == nil {
					r.nulls = rg.NumRows
				}
			case f.colLeaf[col] < 0 || f.leaves[f.colLeaf[col]].allNull:
				r = colRange{rows: rg.NumRows, nulls: rg.NumRows, nullsKnown: true}
			default:
				l := &f.leaves[f.colLeaf[col]]
				r = chunkRange(l, c.Type, &rg.Columns[l.index].MetaData, rg.NumRows)
			}
			if !r.nullsKnown {
				nullsKnown = false
			}
			out.NullCount += r.nulls
			if r.nulls >= r.rows && r.nullsKnown {
				continue // all NULL: no bound to fold
			}
			if !r.hasMinMax {
				out.HasMinMax = false
				continue
			}
			if !seen {
				out.Min, out.Max, seen = r.min, r.max, true
				continue
			}
			if d, ok := compareConst(r.min, out.Min, c.Type); ok && d < 0 {
				out.Min = r.min
			} else if !ok {
				out.HasMinMax = false
			}
			if d, ok := compareConst(r.max, out.Max, c.Type); ok && d > 0 {
				out.Max = r.max
			} else if !ok {
				out.HasMinMax = false
			}
		}
	}
	if !nullsKnown {
		out.NullCount = -1
	}
	if !seen {
		out.HasMinMax = false
	}
	if !out.HasMinMax {
		out.Min, out.Max = nil, nil
	}
	return out
}
