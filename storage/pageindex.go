package storage

import (
	"bytes"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/basaltdb/basalt/sql/types"
)

// Page-level pruning. Row-group statistics narrow a scan to row groups; a
// file's page index (a ColumnIndex with per-page min/max and null counts and
// an OffsetIndex with each page's first row and file offset, both written
// after the row groups) narrows it further to the rows of the pages that can
// match. Writers differ: Basalt's generator and parquet-go write page
// indexes, DuckDB does not and pyarrow only when asked, so every step here
// falls back to reading the whole row group.

// rowRange is the rows [from, to) of a row group.
type rowRange struct{ from, to int64 }

// maxPageIndexBytes bounds the size a footer may declare for one chunk's
// column or offset index, so a corrupt footer cannot allocate gigabytes.
const maxPageIndexBytes = 64 << 20

// chunkEncrypted reports whether a column chunk needs a key: its page index
// is encrypted too, and reading it is left to parquet-go's sequential path.
func chunkEncrypted(cc *format.ColumnChunk) bool {
	return cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0
}

// readColumnIndex decodes the ColumnIndex of column chunk cc from fh.
func readColumnIndex(fh io.ReaderAt, cc *format.ColumnChunk) (*format.ColumnIndex, error) {
	if cc.ColumnIndexOffset <= 0 || cc.ColumnIndexLength <= 0 || cc.ColumnIndexLength > maxPageIndexBytes {
		return nil, fmt.Errorf("no usable column index")
	}
	buf := make([]byte, cc.ColumnIndexLength)
	if _, err := fh.ReadAt(buf, cc.ColumnIndexOffset); err != nil {
		return nil, err
	}
	ci := new(format.ColumnIndex)
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), buf, ci); err != nil {
		return nil, err
	}
	return ci, nil
}

// pageStarts returns the first row of each data page of chunk fc in a row
// group of rows rows, from its OffsetIndex, or nil when the chunk has none or
// it does not describe a plain sequence of pages covering the row group.
// parquet-go keeps the index it reads on fc, which its page reader's
// SeekToRow needs to jump to a page without reading the ones before it.
func pageStarts(fh io.ReaderAt, fc *parquet.FileColumnChunk, cc *format.ColumnChunk, rows int64) []int64 {
	if cc.OffsetIndexOffset <= 0 || cc.OffsetIndexLength <= 0 || cc.OffsetIndexLength > maxPageIndexBytes || chunkEncrypted(cc) {
		return nil
	}
	oi, err := fc.OffsetIndexFrom(fh)
	if err != nil || oi.NumPages() == 0 {
		return nil
	}
	starts := make([]int64, oi.NumPages())
	for j := range starts {
		starts[j] = oi.FirstRowIndex(j)
		if j == 0 && starts[j] != 0 || j > 0 && starts[j] <= starts[j-1] || starts[j] >= rows {
			return nil
		}
	}
	return starts
}

// pageRanges returns the rows of row group rg that may satisfy all preds
// according to the page indexes of the predicates' columns, as sorted,
// disjoint, non-adjacent ranges, and whether it ruled out any row at all
// (false: read the whole row group as usual).
func (t *Table) pageRanges(f *tableFile, fh io.ReaderAt, rg int, preds []Predicate) ([]rowRange, bool) {
	md := f.pf.Metadata()
	numRows := md.RowGroups[rg].NumRows
	keep := []rowRange{{0, numRows}}
	narrowed := false
	chunks := f.pf.RowGroups()[rg].ColumnChunks()
	for _, p := range preds {
		if p.Column < 0 || p.Column >= len(t.Columns) || t.Columns[p.Column].Partition {
			continue // partition values were judged per row group
		}
		li := f.colLeaf[p.Column]
		if li < 0 || f.leaves[li].allNull {
			continue
		}
		l := &f.leaves[li]
		cc := &md.RowGroups[rg].Columns[l.index]
		if chunkEncrypted(cc) {
			continue
		}
		fc, ok := chunks[l.index].(*parquet.FileColumnChunk)
		if !ok {
			continue
		}
		starts := pageStarts(fh, fc, cc, numRows)
		if starts == nil {
			continue
		}
		ci, err := readColumnIndex(fh, cc)
		if err != nil || len(ci.NullPages) != len(starts) || len(ci.MinValues) != len(starts) || len(ci.MaxValues) != len(starts) {
			continue // a broken index only costs the pruning; reading reports real damage
		}
		typ := t.Columns[p.Column].Type
		var match []rowRange
		for j, from := range starts {
			to := numRows
			if j+1 < len(starts) {
				to = starts[j+1]
			}
			if !pageRange(l, typ, ci, j, to-from).mayMatch(p, typ) {
				continue
			}
			if n := len(match); n > 0 && match[n-1].to == from {
				match[n-1].to = to
			} else {
				match = append(match, rowRange{from, to})
			}
		}
		if len(match) == 1 && match[0] == (rowRange{0, numRows}) {
			continue
		}
		keep = intersectRanges(keep, match)
		narrowed = true
		if len(keep) == 0 {
			break
		}
	}
	return keep, narrowed
}

// pageRange is colRange for page j of a ColumnIndex.
func pageRange(l *leaf, t types.T, ci *format.ColumnIndex, j int, rows int64) colRange {
	r := colRange{rows: rows}
	if len(ci.NullCounts) == len(ci.NullPages) {
		r.nulls, r.nullsKnown = ci.NullCounts[j], true
	}
	if ci.NullPages[j] {
		r.nulls, r.nullsKnown = rows, true
		return r
	}
	lo, ok1 := decodeStat(l, t, ci.MinValues[j])
	hi, ok2 := decodeStat(l, t, ci.MaxValues[j])
	if ok1 && ok2 {
		r.min, r.max, r.hasMinMax = lo, hi, true
		// Writers may cut long byte-array bounds to a prefix (parquet-go
		// to 16 bytes by default). A cut min is still a lower bound; a cut
		// max may not have been rounded up, so it only bounds a prefix.
		r.maxIsPrefix = t.Kind == types.Text || t.Kind == types.Bytea
	}
	return r
}

// intersectRanges intersects two sorted lists of disjoint ranges.
func intersectRanges(a, b []rowRange) []rowRange {
	var out []rowRange
	for i, j := 0, 0; i < len(a) && j < len(b); {
		from, to := max(a[i].from, b[j].from), min(a[i].to, b[j].to)
		if from < to {
			out = append(out, rowRange{from, to})
		}
		if a[i].to < b[j].to {
			i++
		} else {
			j++
		}
	}
	return out
}

// hasPrefix reports whether constant v (a string or []byte) starts with the
// bound p of the same encoding.
func hasPrefix(v, p any) bool {
	switch x := v.(type) {
	case string:
		y, ok := p.(string)
		return ok && len(x) > len(y) && x[:len(y)] == y
	case []byte:
		y, ok := p.([]byte)
		return ok && len(x) > len(y) && bytes.Equal(x[:len(y)], y)
	}
	return false
}
