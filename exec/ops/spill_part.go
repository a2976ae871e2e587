package ops

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec/spill"
)

// Hash partitioning to disk, shared by the spilling hash aggregate and the
// grace hash join. A row's partition at recursion level L is taken from
// bits of its 64-bit key hash that no earlier level used (and that the
// in-memory tables, which index by the low bits, do not use either), so
// re-partitioning a partition spreads its rows again.

const (
	spillBits     = 4
	spillFanOut   = 1 << spillBits
	maxSpillLevel = 5 // 16^5 partitions: beyond that a partition's keys do not spread
)

// spillPartition is the partition of hash h at level.
func spillPartition(h uint64, level int) int {
	return int(h>>(64-spillBits*(level+1))) & (spillFanOut - 1)
}

// hashKeys writes the hash of each row's key columns into h, with the same
// function the group tables and join builds use.
func hashKeys(stores []keyStore, cols []arrow.Array, h []uint64) {
	for k, c := range cols {
		stores[k].view(c).hash(h, k == 0)
	}
}

// partitionWriter splits batches by key hash into spillFanOut files.
type partitionWriter struct {
	dir    *spill.Dir
	schema *arrow.Schema
	alloc  memory.Allocator
	level  int
	w      [spillFanOut]*spill.Writer
	rows   [spillFanOut][]int32
}

func newPartitionWriter(dir *spill.Dir, schema *arrow.Schema, alloc memory.Allocator, level int) *partitionWriter {
	return &partitionWriter{dir: dir, schema: schema, alloc: alloc, level: level}
}

// write appends rows sel of b (every row if sel is nil) to their partitions;
// h holds the key hash of every row of b.
func (p *partitionWriter) write(b arrow.RecordBatch, sel []int32, h []uint64) error {
	for i := range p.rows {
		p.rows[i] = p.rows[i][:0]
	}
	if sel == nil {
		for r := 0; r < int(b.NumRows()); r++ {
			q := spillPartition(h[r], p.level)
			p.rows[q] = append(p.rows[q], int32(r))
		}
	} else {
		for _, r := range sel {
			q := spillPartition(h[r], p.level)
			p.rows[q] = append(p.rows[q], r)
		}
	}
	for q, rows := range p.rows {
		if len(rows) == 0 {
			continue
		}
		if p.w[q] == nil {
			w, err := p.dir.Create(p.schema, p.alloc)
			if err != nil {
				return err
			}
			p.w[q] = w
		}
		var sub arrow.RecordBatch
		if len(rows) == int(b.NumRows()) {
			// Rewrap under the file's schema: the IPC writer insists on it.
			sub = newBatchRetained(p.schema, b.Columns(), int(b.NumRows()))
		} else {
			sub = takeBatch(p.alloc, p.schema, b, rows)
		}
		err := p.w[q].Write(sub)
		sub.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// finish closes every partition; empty partitions are nil.
func (p *partitionWriter) finish() ([spillFanOut]*spill.File, error) {
	var files [spillFanOut]*spill.File
	for q, w := range p.w {
		if w == nil {
			continue
		}
		p.w[q] = nil
		f, err := w.Finish()
		if err != nil {
			p.abort()
			for _, f := range files {
				f.Remove()
			}
			return files, err
		}
		files[q] = f
	}
	return files, nil
}

// abort drops every unfinished partition file.
func (p *partitionWriter) abort() {
	if p == nil {
		return
	}
	for q, w := range p.w {
		if w != nil {
			w.Abort()
			p.w[q] = nil
		}
	}
}
