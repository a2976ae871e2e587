package ops

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/spill"
)

// Spilling hash aggregation.
//
// Single and Final mode: when the budget refuses the table's growth, the
// groups already in memory stay and keep receiving their rows, while rows
// of any other group are written, by key hash, to spillFanOut partition
// files. A group is therefore wholly in memory or wholly in one partition,
// which keeps DISTINCT aggregates and every accumulator correct without
// merging states. Once the input ends the in-memory groups are emitted and
// freed, then each partition is aggregated the same way, re-partitioning
// with fresh hash bits if it still does not fit, up to maxSpillLevel levels;
// past that the query fails with 53200.
//
// Partial mode never spills: emitting the partial states early and starting
// a fresh table is always correct, since the Final aggregate merges states
// of one group however many there are.

// aggSpill is the spilling state of a HashAggregate.
type aggSpill struct {
	dir     *spill.Dir
	parts   *partitionWriter // non-nil while the current round spills
	level   int              // 0: the operator's input; L: a level-L partition
	todo    []aggPart        // partitions waiting to be aggregated
	file    *spill.File      // partition being aggregated
	reader  *spill.Reader
	srcDone bool  // the current round's source is exhausted
	cap     int64 // table bytes when spilling began; growth past it is refused
	h       []uint64
	sel     []int32
	flushes int64 // Partial mode: early emissions
}

type aggPart struct {
	f     *spill.File
	level int
}

func (s *aggSpill) close() error {
	s.parts.abort()
	s.parts = nil
	if s.reader != nil {
		s.reader.Close()
		s.reader = nil
	}
	s.todo = nil
	s.file = nil
	if s.dir != nil {
		return s.dir.Close()
	}
	return nil
}

// SpillStats reports what the aggregate wrote to disk (files and bytes) and,
// in Partial mode, how often it emitted its states early.
func (a *HashAggregate) SpillStats() (files, bytes, flushes int64) {
	if a.sp.dir != nil {
		files, bytes = a.sp.dir.Files(), a.sp.dir.BytesWritten()
	}
	return files, bytes, a.sp.flushes
}

// nextRound is called when the current groups are all emitted (or none
// were consumed yet): it consumes the next source into the table, or
// reports done when nothing is left.
func (a *HashAggregate) nextRound(ctx context.Context) (done bool, err error) {
	if !a.consumed {
		if err := a.consumeRound(ctx); err != nil {
			return false, err
		}
		a.consumed = true
		return false, nil
	}
	if a.mode == AggPartial && !a.sp.srcDone {
		// Flushed early: emit done, go on with a fresh table.
		a.resetGroups()
		a.consumed = false
		return false, nil
	}
	if a.sp.reader != nil {
		a.sp.reader.Close()
		a.sp.reader = nil
		a.sp.file.Remove()
		a.sp.file = nil
	}
	if len(a.sp.todo) == 0 {
		return true, nil
	}
	// Last in, first out: finishing a partition's sub-partitions before
	// its siblings keeps the fewest files on disk.
	p := a.sp.todo[len(a.sp.todo)-1]
	a.sp.todo = a.sp.todo[:len(a.sp.todo)-1]
	a.resetGroups()
	r, err := p.f.Open(a.alloc)
	if err != nil {
		p.f.Remove()
		return false, err
	}
	a.sp.file, a.sp.reader, a.sp.level = p.f, r, p.level
	a.sp.srcDone = false
	a.consumed = false
	return false, nil
}

// resetGroups drops the table and states for a fresh round.
func (a *HashAggregate) resetGroups() {
	a.table = newGroupTable(a.keyTypes)
	for i, spec := range a.aggs {
		acc, err := newAccumulator(spec, a.argTypes[i])
		if err != nil {
			panic(err) // it was built from the same arguments in the constructor
		}
		a.accs[i] = acc
		if a.distinct[i] != nil {
			a.distinct[i] = newGroupTable([]arrow.DataType{arrow.PrimitiveTypes.Int32, a.argTypes[i]})
		}
	}
	a.groups, a.emitted = 0, 0
	a.res.resize(0)
}

// nextInput returns the current round's next batch.
func (a *HashAggregate) nextInput(ctx context.Context) (arrow.RecordBatch, error) {
	if a.sp.reader == nil {
		return exec.Next(ctx, a.input)
	}
	if err := ctx.Err(); err != nil {
		return nil, exec.Canceled(err)
	}
	return a.sp.reader.Next()
}

// consumeRound aggregates the current source until it ends or, in Partial
// mode, until the budget asks for an early flush.
func (a *HashAggregate) consumeRound(ctx context.Context) error {
	for {
		b, err := a.nextInput(ctx)
		if err == io.EOF {
			a.sp.srcDone = true
			break
		}
		if err != nil {
			return err
		}
		if a.sp.parts != nil {
			if err := a.addSpilling(b); err != nil {
				return err
			}
			continue
		}
		err = a.addBatch(b)
		if err == nil {
			continue
		}
		if !isMemLimit(err) {
			return err
		}
		switch {
		case a.mode == AggPartial:
			a.sp.flushes++
			return nil
		case len(a.groupCols) > 0 && a.sp.level < maxSpillLevel:
			// The batch is in the table; the rows of new groups from now
			// on go to disk.
			if a.sp.dir == nil {
				a.sp.dir = spill.NewDir()
			}
			a.sp.parts = newPartitionWriter(a.sp.dir, a.input.Schema(), a.alloc, a.sp.level)
			a.sp.cap = a.stateBytes()
		default:
			return err
		}
	}
	if len(a.groupCols) == 0 && a.groups == 0 {
		// A global aggregate yields one row even over no input.
		a.groups = 1
		for _, acc := range a.accs {
			acc.grow(1)
		}
	}
	if a.sp.parts != nil {
		files, err := a.sp.parts.finish()
		a.sp.parts = nil
		if err != nil {
			return err
		}
		for _, f := range files {
			if f != nil {
				a.sp.todo = append(a.sp.todo, aggPart{f: f, level: a.sp.level + 1})
			}
		}
	}
	return nil
}

// stateBytes is what the table and the aggregate states hold.
func (a *HashAggregate) stateBytes() int64 {
	size := a.table.bytes()
	for i, acc := range a.accs {
		size += acc.bytes()
		if a.distinct[i] != nil {
			size += a.distinct[i].bytes()
		}
	}
	return size
}

// addSpilling aggregates the rows of b whose group is in memory and writes
// the others to their partitions.
func (a *HashAggregate) addSpilling(b arrow.RecordBatch) error {
	n := int(b.NumRows())
	keys := make([]arrow.Array, len(a.groupCols))
	for i, c := range a.groupCols {
		if a.mode == AggFinal {
			c = i
		}
		keys[i] = b.Column(c)
	}
	a.gids = grow(a.gids, n)
	gids := a.gids
	a.table.lookup(keys, n, gids)
	a.sp.h = grow(a.sp.h, n)
	hashKeys(a.table.keys, keys, a.sp.h)
	var found, fgids []int32
	miss := a.sp.sel[:0]
	for r, g := range gids[:n] {
		if g >= 0 {
			found = append(found, int32(r))
			fgids = append(fgids, g)
		} else {
			miss = append(miss, int32(r))
		}
	}
	a.sp.sel = miss
	if len(found) > 0 {
		var err error
		if len(found) == n {
			err = a.accumulate(b, fgids)
		} else {
			sub := takeBatch(a.alloc, b.Schema(), b, found)
			err = a.accumulate(sub, fgids)
			sub.Release()
		}
		// The in-memory groups were already over the refused reservation.
		// Their states may still grow (text min/max, DISTINCT sets) and
		// their rows cannot go to disk, so some slack is allowed; growth
		// past it fails the query.
		if err != nil && (!isMemLimit(err) || a.stateBytes() > 2*a.sp.cap) {
			return err
		}
	}
	if len(miss) > 0 {
		return a.sp.parts.write(b, miss, a.sp.h)
	}
	return nil
}

// lookup sets out[i] to the group of row i of cols, or -1 when its key has
// no group, without adding any: find's probing, read-only.
func (t *groupTable) lookup(cols []arrow.Array, n int, out []int32) {
	views := make([]keyView, len(cols))
	for k, c := range cols {
		views[k] = t.keys[k].view(c)
	}
	if t.single {
		switch v := views[0].(type) {
		case *fixedView[uint8]:
			lookupSingle(t, v, n, out)
		case *fixedView[uint16]:
			lookupSingle(t, v, n, out)
		case *fixedView[uint32]:
			lookupSingle(t, v, n, out)
		case *fixedView[uint64]:
			lookupSingle(t, v, n, out)
		}
		return
	}
	h := make([]uint64, n)
	pos := make([]uint64, n)
	for k, v := range views {
		v.hash(h, k == 0)
	}
	pending := make([]int32, n)
	for i := range pending {
		pending[i] = int32(i)
		pos[i] = h[i] & t.mask
	}
	var candRows, cands, next []int32
	var ok []bool
	for len(pending) > 0 {
		candRows, cands = candRows[:0], cands[:0]
		for _, i := range pending {
			p := pos[i]
			for {
				g := t.slotGroup[p]
				if g < 0 {
					out[i] = -1
					break
				}
				if t.slotHash[p] == h[i] {
					candRows = append(candRows, i)
					cands = append(cands, g)
					pos[i] = p
					break
				}
				p = (p + 1) & t.mask
			}
		}
		if len(candRows) == 0 {
			break
		}
		ok = growBool(ok, len(candRows))
		for k := range ok {
			ok[k] = true
		}
		for _, v := range views {
			v.eq(candRows, cands, ok)
		}
		next = next[:0]
		for k, i := range candRows {
			if ok[k] {
				out[i] = cands[k]
			} else {
				pos[i] = (pos[i] + 1) & t.mask
				next = append(next, i)
			}
		}
		pending = append(pending[:0], next...)
	}
}

func lookupSingle[T uint8 | uint16 | uint32 | uint64](t *groupTable, v *fixedView[T], n int, out []int32) {
	slots, mask := t.sslots, t.mask
	for i := 0; i < n; i++ {
		if v.bits != nil && !isValid(v.bits, v.off, i) {
			out[i] = t.nullGroup
			continue
		}
		k := uint64(v.vals[i])
		p := mix64(k) & mask
		out[i] = -1
		for {
			sl := &slots[p]
			if sl.gid1 == 0 {
				break
			}
			if sl.key == k {
				out[i] = sl.gid1 - 1
				break
			}
			p = (p + 1) & mask
		}
	}
}
