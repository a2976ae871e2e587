package storage

import "github.com/basaltdb/basalt/sql/types"

// KeyRange is what a split's statistics say about an integer or date
// column: its smallest and largest value, or that it holds only NULLs.
type KeyRange struct {
	Min, Max int64
	AllNull  bool
	// MayHaveNull is false only when the statistics count no NULL.
	MayHaveNull bool
}

// SplitKeyRange reads the range of column col (an index into t.Columns)
// in split s from the row group's statistics. ok is false when they do not
// tell (no statistics, a column that is not an integer or a date, a
// partition column, an unreadable file): then nothing may be assumed about
// where the split's values lie.
func (t *Table) SplitKeyRange(s Split, col int) (r KeyRange, ok bool) {
	if t.err != nil || s.RowGroup < 0 || t.mem != nil || col < 0 || col >= len(t.Columns) {
		return r, false
	}
	c := &t.Columns[col]
	switch c.Type.Kind {
	case types.Int16, types.Int32, types.Int64, types.Date:
	default:
		return r, false
	}
	if c.Partition {
		return r, false
	}
	f, err := t.fileOf(s)
	if err != nil || f.err != nil {
		return r, false
	}
	md := f.pf.Metadata()
	if s.RowGroup >= len(md.RowGroups) {
		return r, false
	}
	rg := &md.RowGroups[s.RowGroup]
	if f.colLeaf[col] < 0 || f.leaves[f.colLeaf[col]].allNull {
		return KeyRange{AllNull: true, MayHaveNull: true}, true
	}
	l := &f.leaves[f.colLeaf[col]]
	cr := chunkRange(l, c.Type, &rg.Columns[l.index].MetaData, rg.NumRows)
	if cr.nullsKnown && cr.nulls >= cr.rows {
		return KeyRange{AllNull: true, MayHaveNull: true}, true
	}
	if !cr.hasMinMax {
		return r, false
	}
	lo, ok1 := asInt64(cr.min)
	hi, ok2 := asInt64(cr.max)
	if !ok1 || !ok2 || lo > hi {
		return r, false
	}
	return KeyRange{Min: lo, Max: hi, MayHaveNull: !cr.nullsKnown || cr.nulls > 0}, true
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	}
	return 0, false
}
