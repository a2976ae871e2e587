package ops

import (
	"context"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/spill"
)

// Grace hash join.
//
// When the budget refuses the build, HashBuild writes what it buffered and
// the rest of its input to spillFanOut partition files by key hash and
// frees its memory. Each probe instance then writes its whole probe input
// to its own partition files by the same hash. The last instance to finish
// (the build's active count, as for the in-memory tail) joins partition by
// partition: partition p's build rows become an ordinary HashBuild probed
// by one HashJoin over partition p's probe files (so a partition that still
// does not fit spills again, with fresh hash bits, up to maxSpillLevel
// levels; beyond that the join fails with 53200). The other instances end
// with no output, so the spilled path runs on one probe instance.
//
// Rows can only match within a partition and NULL keys never match, so
// every join kind keeps its meaning per partition, except the global rules
// of NOT IN, handled here: a NULL build key (build on the right) empties
// the result, so probing is skipped; a NULL probe key drops its row since a
// spilled build is never empty; with the build on the left, a NULL probe
// key empties the result and a NULL build key survives only an empty probe
// side, which the sub-joins learn through probeRowsFloor. NOT IN with a
// residual or several keys compares NULLs with every row and never spills.

// buildSpill is HashBuild's spilling state; the fields after spilled are
// read-only once the build has run, except those under probeMu.
type buildSpill struct {
	noSpill bool // set by NewHashJoin for joins that cannot be partitioned
	// keepNullKeys is set by NewHashJoin when unmatched build rows are
	// output. Build rows with a NULL key match nothing, so they are either
	// not written at all or, when kept, spread over the partitions by a
	// counter rather than by their (all equal) hash, which would put them
	// in one partition that no re-partitioning could split.
	keepNullKeys bool
	nullSpread   uint64
	level        int
	dir          *spill.Dir
	ownDir       bool

	spilled    bool
	buildParts [spillFanOut]*spill.File
	// probeRowsFloor is added to the probe row count a NOT IN with the
	// build on the left checks: a sub-join sees one partition's probe rows
	// but must decide on all of them.
	probeRowsFloor int64

	probeMu    sync.Mutex
	probeParts [spillFanOut][]*spill.File
}

func (s *buildSpill) close() {
	if s.ownDir && s.dir != nil {
		s.dir.Close()
	}
}

// SpillStats reports the files and bytes the join wrote to disk, its
// partitions of every level included (0, 0 if it ran in memory).
func (b *HashBuild) SpillStats() (files, bytes int64) {
	if b.sp.dir == nil {
		return 0, 0
	}
	return b.sp.dir.Files(), b.sp.dir.BytesWritten()
}

func (b *HashBuild) canSpill(err error) bool {
	return isMemLimit(err) && !b.sp.noSpill && b.sp.level < maxSpillLevel
}

// dropTable frees a partly built in-memory table before spilling.
func (b *HashBuild) dropTable() {
	releaseArrays(b.cols)
	b.cols, b.rows = nil, 0
	b.keyStore, b.hashes = nil, nil
}

// spillBuild partitions the buffered batches, the batch in hand (if not
// nil) and the rest of the input to disk.
func (b *HashBuild) spillBuild(ctx context.Context, batches []arrow.RecordBatch, cur arrow.RecordBatch) error {
	if b.sp.dir == nil {
		b.sp.dir, b.sp.ownDir = spill.NewDir(), true
	}
	schema := b.input.Schema()
	pw := newPartitionWriter(b.sp.dir, schema, b.alloc, b.sp.level)
	stores := make([]keyStore, len(b.keys))
	for k, c := range b.keys {
		stores[k] = newKeyStore(schema.Field(c).Type)
	}
	var h []uint64
	var null []bool
	write := func(batch arrow.RecordBatch) error {
		n := int(batch.NumRows())
		h = grow(h, n)
		null = growBool(null, n)
		clear(null)
		keys := make([]arrow.Array, len(b.keys))
		for k, c := range b.keys {
			keys[k] = batch.Column(c)
			stores[k].view(keys[k]).nulls(null)
		}
		hashKeys(stores, keys, h)
		var sel []int32
		for r, nk := range null[:n] {
			if nk {
				b.hasNull = true
				if b.sp.keepNullKeys {
					b.sp.nullSpread++
					h[r] = mix64(b.sp.nullSpread)
				} else {
					if sel == nil {
						sel = make([]int32, 0, n)
						for q := 0; q < r; q++ {
							sel = append(sel, int32(q))
						}
					}
					continue
				}
			}
			if sel != nil {
				sel = append(sel, int32(r))
			}
		}
		b.rows += n
		if sel != nil && len(sel) == 0 {
			return nil
		}
		return pw.write(batch, sel, h)
	}
	err := func() error {
		for i, batch := range batches {
			if err := write(batch); err != nil {
				return err
			}
			batch.Release()
			batches[i] = nil
		}
		b.res.releaseAll()
		if cur != nil {
			if err := write(cur); err != nil {
				return err
			}
		}
		for {
			batch, err := exec.Next(ctx, b.input)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := write(batch); err != nil {
				return err
			}
		}
	}()
	if err != nil {
		pw.abort()
		return err
	}
	files, err := pw.finish()
	if err != nil {
		return err
	}
	b.sp.buildParts = files
	b.sp.spilled = true
	return nil
}

// joinSpill is one probe instance's spilling state.
type joinSpill struct {
	written bool // this instance's probe input is on disk
	runner  bool // this instance joins the partitions
	part    int  // next partition to join
	sub     *HashJoin
	subPart int
}

func (s *joinSpill) close() {
	if s.sub != nil {
		s.sub.Close()
		s.sub = nil
	}
}

// nextSpilled is Next once the build has spilled.
func (j *HashJoin) nextSpilled(ctx context.Context) (arrow.RecordBatch, error) {
	b := j.build
	if !j.sp.written {
		if err := j.spillProbe(ctx); err != nil {
			return nil, err
		}
		j.sp.written = true
		j.finished = true
		j.sp.runner = b.active.Add(-1) == 0
	}
	if !j.sp.runner {
		return nil, io.EOF
	}
	if j.kind == JoinAntiNullAware {
		// NOT IN's global NULL rules (see the file comment).
		if (!j.buildIsLeft && b.hasNull) || (j.buildIsLeft && b.probeHasNull.Load()) {
			return nil, io.EOF
		}
	}
	for {
		if j.sp.sub != nil {
			out, err := exec.Next(ctx, j.sp.sub)
			if err != io.EOF {
				return out, err
			}
			j.sp.sub.Close()
			j.sp.sub = nil
			p := j.sp.subPart
			b.sp.buildParts[p].Remove()
			for _, f := range b.sp.probeParts[p] {
				f.Remove()
			}
			continue
		}
		if j.sp.part >= spillFanOut {
			return nil, io.EOF
		}
		p := j.sp.part
		j.sp.part++
		bf, pf := b.sp.buildParts[p], b.sp.probeParts[p]
		if len(pf) == 0 && (bf == nil || !j.buildEmits) {
			continue // nothing can come out of this partition
		}
		if bf == nil && !j.probeOuter && !(j.probeSemi() && j.kind != JoinSemi) {
			continue // no build rows and no unmatched probe rows kept
		}
		var bfiles []*spill.File
		if bf != nil {
			bfiles = []*spill.File{bf}
		}
		sb := NewHashBuild(newFileSource(b.Schema(), bfiles, b.alloc), b.keys, b.res.mem, b.alloc)
		sb.sp.level = b.sp.level + 1
		sb.sp.dir = b.sp.dir
		sb.sp.probeRowsFloor = b.probeRows.Load() + b.sp.probeRowsFloor
		sj, err := NewHashJoin(newFileSource(j.probe.Schema(), pf, j.alloc), sb, j.probeKeys, j.kind, j.residual, j.buildIsLeft, j.alloc)
		if err != nil {
			return nil, err
		}
		j.sp.sub, j.sp.subPart = sj, p
		if err := exec.Open(ctx, sj); err != nil {
			return nil, err
		}
	}
}

// spillProbe writes this instance's probe input to partition files.
func (j *HashJoin) spillProbe(ctx context.Context) error {
	b := j.build
	// NOT IN with a NULL on the (right) build side is empty: do not even
	// read the probe side.
	if j.kind == JoinAntiNullAware && !j.buildIsLeft && b.hasNull {
		return nil
	}
	dropNullKeys := j.kind == JoinAntiNullAware && !j.buildIsLeft
	stores := make([]keyStore, len(j.probeKeys))
	for k, c := range j.probeKeys {
		stores[k] = newKeyStore(j.probe.Schema().Field(c).Type)
	}
	pw := newPartitionWriter(b.sp.dir, j.probe.Schema(), j.alloc, b.sp.level)
	var h []uint64
	var null []bool
	var sel []int32
	err := func() error {
		for {
			pb, err := exec.Next(ctx, j.probe)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			n := int(pb.NumRows())
			b.probeRows.Add(int64(n))
			h = grow(h, n)
			null = growBool(null, n)
			clear(null)
			keys := make([]arrow.Array, len(j.probeKeys))
			for k, c := range j.probeKeys {
				keys[k] = pb.Column(c)
				stores[k].view(keys[k]).nulls(null)
			}
			hashKeys(stores, keys, h)
			anyNull := false
			for _, nk := range null[:n] {
				if nk {
					anyNull = true
					break
				}
			}
			if anyNull {
				b.probeHasNull.Store(true)
			}
			var rows []int32
			if anyNull && dropNullKeys {
				// The spilled build is not empty, so NOT IN drops a row
				// whose key is NULL.
				sel = sel[:0]
				for r := 0; r < n; r++ {
					if !null[r] {
						sel = append(sel, int32(r))
					}
				}
				if len(sel) == 0 {
					continue
				}
				rows = sel
			}
			if err := pw.write(pb, rows, h); err != nil {
				return err
			}
		}
	}()
	if err != nil {
		pw.abort()
		return err
	}
	files, err := pw.finish()
	if err != nil {
		return err
	}
	b.sp.probeMu.Lock()
	for q, f := range files {
		if f != nil {
			b.sp.probeParts[q] = append(b.sp.probeParts[q], f)
		}
	}
	b.sp.probeMu.Unlock()
	return nil
}

// fileSource is an operator reading spill files one after another.
type fileSource struct {
	schema *arrow.Schema
	files  []*spill.File
	alloc  memory.Allocator
	i      int
	r      *spill.Reader
}

func newFileSource(schema *arrow.Schema, files []*spill.File, alloc memory.Allocator) *fileSource {
	return &fileSource{schema: schema, files: files, alloc: alloc}
}

func (f *fileSource) Schema() *arrow.Schema      { return f.schema }
func (f *fileSource) Open(context.Context) error { return nil }

func (f *fileSource) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, exec.Canceled(err)
		}
		if f.r == nil {
			if f.i >= len(f.files) {
				return nil, io.EOF
			}
			r, err := f.files[f.i].Open(f.alloc)
			if err != nil {
				return nil, err
			}
			f.i++
			f.r = r
		}
		b, err := f.r.Next()
		if err == io.EOF {
			f.r.Close()
			f.r = nil
			continue
		}
		return b, err
	}
}

func (f *fileSource) Close() error {
	if f.r != nil {
		f.r.Close()
		f.r = nil
	}
	return nil
}

// SpillStats reports what the join's shared build wrote to disk (see
// HashBuild.SpillStats).
func (j *HashJoin) SpillStats() (files, bytes int64) { return j.build.SpillStats() }
