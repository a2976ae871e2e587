package ops

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
)

// JoinKind is the logical kind of a join. Left and right refer to the SQL
// query's sides, independent of which side a hash join builds.
type JoinKind uint8

const (
	JoinInner JoinKind = iota
	JoinLeft
	JoinRight
	JoinFull
	JoinSemi // left rows with a match; left columns only
	JoinAnti // left rows without a match; left columns only
	// JoinAntiNullAware is NOT IN: empty if the right side has a NULL key;
	// a left row with a NULL key is dropped unless the right side is empty.
	JoinAntiNullAware
	JoinCross // nested-loop only: every pair
)

func (k JoinKind) String() string {
	return [...]string{"inner", "left", "right", "full", "semi", "anti", "anti-null-aware", "cross"}[k]
}

// leftOnly reports whether the join outputs only the left side's columns.
func (k JoinKind) leftOnly() bool {
	return k == JoinSemi || k == JoinAnti || k == JoinAntiNullAware
}

// joinSchema is left ++ right (left only for semi/anti); the side an outer
// join pads with NULLs becomes nullable.
func joinSchema(left, right *arrow.Schema, kind JoinKind) *arrow.Schema {
	lf, rf := left.Fields(), right.Fields()
	if kind.leftOnly() {
		return arrow.NewSchema(lf, nil)
	}
	if kind == JoinRight || kind == JoinFull {
		lf = nullableFields(lf)
	}
	if kind == JoinLeft || kind == JoinFull {
		rf = nullableFields(rf)
	}
	return arrow.NewSchema(append(append([]arrow.Field{}, lf...), rf...), nil)
}

// HashBuild is the build side of a hash join: it drains its input once, the
// first time any probe instance needs it, and is shared read-only by every
// HashJoin probing it (one per parallel probe pipeline).
type HashBuild struct {
	input exec.Operator
	keys  []int
	alloc memory.Allocator
	res   reservation

	once sync.Once
	err  error

	// Built state, read-only after once.
	cols     []arrow.Array // build columns, concatenated
	rows     int
	keyStore []keyStore
	hashes   []uint64
	head     []int32 // bucket -> first build row, -1 = none
	next     []int32 // build row -> next row in bucket
	mask     uint64
	hasNull  bool    // some build row has a NULL key
	nullRows []int32 // build rows with a NULL in some key column

	// Shared between probe instances.
	matched      []atomic.Bool // build rows matched by some probe row
	refs         atomic.Int32  // HashJoin instances not yet closed
	active       atomic.Int32  // HashJoin instances not yet finished probing
	probeRows    atomic.Int64
	probeHasNull atomic.Bool
	closeOnce    sync.Once
	inputClosed  atomic.Bool
	inputCloseMu sync.Mutex

	// Grace hash join state (spill_join.go).
	sp buildSpill
}

// NewHashBuild prepares a build over input keyed by the given columns. The
// build runs lazily; HashJoin instances created with NewHashJoin share it.
func NewHashBuild(input exec.Operator, keys []int, mem *exec.Memory, alloc memory.Allocator) *HashBuild {
	return &HashBuild{input: input, keys: keys, alloc: alloc, res: reservation{mem: mem}}
}

// Schema is the build input's schema.
func (b *HashBuild) Schema() *arrow.Schema { return b.input.Schema() }

func (b *HashBuild) build(ctx context.Context) {
	b.once.Do(func() { b.err = b.run(ctx) })
}

func (b *HashBuild) closeInput() {
	b.inputCloseMu.Lock()
	defer b.inputCloseMu.Unlock()
	if !b.inputClosed.Load() {
		b.inputClosed.Store(true)
		b.input.Close()
	}
}

func (b *HashBuild) run(ctx context.Context) error {
	defer b.closeInput()
	if err := exec.Open(ctx, b.input); err != nil {
		return err
	}
	var batches []arrow.RecordBatch
	defer func() { releaseBatches(batches) }()
	for {
		batch, err := exec.Next(ctx, b.input)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := b.res.grow(batchBytes(batch)); err != nil {
			if b.canSpill(err) {
				return b.spillBuild(ctx, batches, batch)
			}
			return err
		}
		batch.Retain()
		batches = append(batches, batch)
	}
	schema := b.input.Schema()
	cols, rows, err := concatBatches(b.alloc, schema, batches)
	if err != nil {
		return err
	}
	b.cols, b.rows = cols, rows
	// The concatenated copy replaces the batches: account for it, then the
	// batches are released by the deferred call.
	var colBytes int64
	for _, c := range cols {
		colBytes += arrayBytes(c)
	}
	tableBytes := int64(rows) * (8 + 4 + 1)
	slots := 1
	for slots < rows*2 {
		slots <<= 1
	}
	tableBytes += int64(slots) * 4
	if err := b.res.resize(colBytes + tableBytes); err != nil {
		if b.canSpill(err) {
			b.dropTable()
			return b.spillBuild(ctx, batches, nil)
		}
		return err
	}

	null := make([]bool, rows)
	b.hashes = make([]uint64, rows)
	for k, c := range b.keys {
		st := newKeyStore(schema.Field(c).Type)
		v := st.view(cols[c])
		v.appendAll()
		v.hash(b.hashes, k == 0)
		v.nulls(null)
		b.keyStore = append(b.keyStore, st)
	}
	var keyBytes int64
	for _, st := range b.keyStore {
		keyBytes += st.bytes()
	}
	if err := b.res.grow(keyBytes); err != nil {
		if b.canSpill(err) {
			b.dropTable()
			return b.spillBuild(ctx, batches, nil)
		}
		return err
	}
	b.head = make([]int32, slots)
	for i := range b.head {
		b.head[i] = -1
	}
	b.next = make([]int32, rows)
	b.mask = uint64(slots - 1)
	// Insert in reverse so chains list build rows in input order.
	for r := rows - 1; r >= 0; r-- {
		if null[r] {
			b.hasNull = true // NULL never equals anything: not in any chain
			b.nullRows = append(b.nullRows, int32(r))
			continue
		}
		s := b.hashes[r] & b.mask
		b.next[r] = b.head[s]
		b.head[s] = int32(r)
	}
	b.matched = make([]atomic.Bool, rows)
	return nil
}

func (b *HashBuild) acquire() { b.refs.Add(1); b.active.Add(1) }

// release drops one probe instance's reference; the last frees the table.
func (b *HashBuild) release() {
	if b.refs.Add(-1) > 0 {
		return
	}
	b.closeOnce.Do(func() {
		b.closeInput()
		releaseArrays(b.cols)
		b.cols = nil
		b.keyStore = nil
		b.head, b.next, b.hashes, b.matched = nil, nil, nil, nil
		b.sp.close()
		b.res.releaseAll()
	})
}

// HashJoin probes a shared HashBuild with its own probe input.
type HashJoin struct {
	probe       exec.Operator
	build       *HashBuild
	probeKeys   []int
	kind        JoinKind
	residual    Predicate
	buildIsLeft bool
	schema      *arrow.Schema
	alloc       memory.Allocator

	probeOuter, buildOuter bool // which sides pad unmatched rows
	buildEmits             bool // unmatched/matched build rows are emitted at the end

	sp                       joinSpill // grace hash join state (spill_join.go)
	opened, closed, finished bool
	cur                      arrow.RecordBatch
	views                    []keyView
	h                        []uint64
	nullKey                  []bool
	matched                  []bool
	row                      int   // next probe row to collect
	chain                    int32 // next build row in row's chain, -2 = start
	// General NOT IN (residual or several key columns): candidate phase of
	// the current row and position within it; per-column probe NULLs.
	general bool
	phase   int
	pos     int
	colNull [][]bool
	queue   []arrow.RecordBatch
	out     arrow.RecordBatch
	tail    int // next build row for the final emission
	tailOn  bool
}

var _ exec.Operator = (*HashJoin)(nil)

// NewHashJoin builds one probe pipeline of a hash join. buildIsLeft says
// whether the build side is the query's left side. residual (may be nil) is
// the non-equi part of ON, evaluated over left ++ right columns of candidate
// pairs; it is part of the match for every kind.
func NewHashJoin(probe exec.Operator, build *HashBuild, probeKeys []int, kind JoinKind, residual Predicate, buildIsLeft bool, alloc memory.Allocator) (*HashJoin, error) {
	if len(probeKeys) != len(build.keys) {
		return nil, internalErr("hash join: %d probe keys, %d build keys", len(probeKeys), len(build.keys))
	}
	if kind == JoinCross {
		return nil, internalErr("hash join cannot run a cross join")
	}
	for i, c := range probeKeys {
		pt, bt := probe.Schema().Field(c).Type, build.Schema().Field(build.keys[i]).Type
		if !arrow.TypeEqual(pt, bt) {
			return nil, internalErr("hash join key %d: probe %s, build %s", i, pt, bt)
		}
	}
	j := &HashJoin{probe: probe, build: build, probeKeys: probeKeys, kind: kind, residual: residual, buildIsLeft: buildIsLeft, alloc: alloc, chain: -2}
	if kind == JoinAntiNullAware && (residual != nil || len(probeKeys) > 1) {
		if buildIsLeft {
			return nil, internalErr("hash join: NOT IN with a residual or several keys must build the right side")
		}
		j.general = true
		// Such a NOT IN compares NULL keys with every row, so it cannot
		// be split by key hash.
		build.sp.noSpill = true
	}
	left, right := probe.Schema(), build.Schema()
	if buildIsLeft {
		left, right = right, left
	}
	j.schema = joinSchema(left, right, kind)
	leftOuter := kind == JoinLeft || kind == JoinFull
	rightOuter := kind == JoinRight || kind == JoinFull
	if buildIsLeft {
		j.buildOuter, j.probeOuter = leftOuter, rightOuter
		j.buildEmits = leftOuter || kind.leftOnly()
	} else {
		j.probeOuter, j.buildOuter = leftOuter, rightOuter
		j.buildEmits = rightOuter
	}
	if j.buildEmits {
		build.sp.keepNullKeys = true
	}
	build.acquire()
	return j, nil
}

// Schema implements exec.Operator.
func (j *HashJoin) Schema() *arrow.Schema { return j.schema }

// Open implements exec.Operator. The build runs here (once for all
// instances), before the probe input opens.
func (j *HashJoin) Open(ctx context.Context) error {
	j.opened = true
	j.build.build(ctx)
	if j.build.err != nil {
		return j.build.err
	}
	return exec.Open(ctx, j.probe)
}

// probeSemi reports whether probe rows are emitted by match flag alone
// (semi/anti with the probe side on the left).
func (j *HashJoin) probeSemi() bool { return !j.buildIsLeft && j.kind.leftOnly() }

// Next implements exec.Operator.
func (j *HashJoin) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if j.out != nil {
		j.out.Release()
		j.out = nil
	}
	b := j.build
	if b.err != nil {
		return nil, b.err
	}
	if b.sp.spilled {
		return j.nextSpilled(ctx)
	}
	for {
		if len(j.queue) > 0 {
			j.out = j.queue[0]
			j.queue = j.queue[1:]
			return j.out, nil
		}
		if j.tailOn {
			if !j.emitTail() {
				return nil, io.EOF
			}
			continue
		}
		if j.finished {
			return nil, io.EOF
		}
		if j.cur == nil {
			// NOT IN with a NULL on the build (right) side is empty: stop
			// pulling the probe side at once.
			if j.kind == JoinAntiNullAware && !j.buildIsLeft && b.hasNull && !j.general {
				j.finish()
				continue
			}
			pb, err := exec.Next(ctx, j.probe)
			if err == io.EOF {
				j.finish()
				continue
			}
			if err != nil {
				return nil, err
			}
			pb.Retain()
			j.startBatch(pb)
		}
		if err := j.step(ctx); err != nil {
			return nil, err
		}
	}
}

// finish marks this probe instance done; the last one to finish emits the
// build rows that only the build side can decide (outer padding, or the
// build-side rows of semi/anti joins whose left side is the build).
func (j *HashJoin) finish() {
	j.finished = true
	if j.build.active.Add(-1) == 0 && j.buildEmits {
		j.tailOn = true
	}
}

func (j *HashJoin) startBatch(pb arrow.RecordBatch) {
	j.cur = pb
	n := int(pb.NumRows())
	b := j.build
	b.probeRows.Add(int64(n))
	j.h = grow(j.h, n)
	j.nullKey = growBool(j.nullKey, n)
	clear(j.nullKey)
	j.matched = growBool(j.matched, n)
	clear(j.matched)
	j.views = j.views[:0]
	for k, c := range j.probeKeys {
		v := b.keyStore[k].view(pb.Column(c))
		v.hash(j.h, k == 0)
		v.nulls(j.nullKey)
		j.views = append(j.views, v)
	}
	if j.general {
		j.colNull = j.colNull[:0]
		for _, v := range j.views {
			cn := make([]bool, n)
			v.nulls(cn)
			j.colNull = append(j.colNull, cn)
		}
		j.phase, j.pos = 0, 0
	}
	for _, nk := range j.nullKey[:n] {
		if nk {
			b.probeHasNull.Store(true)
			break
		}
	}
	j.row = 0
	j.chain = -2
}

// step collects up to BatchSize candidate pairs from the current probe
// batch, confirms them, and queues output.
func (j *HashJoin) step(ctx context.Context) error {
	if j.general {
		return j.stepNotIn(ctx)
	}
	b := j.build
	n := int(j.cur.NumRows())
	var prow, brow []int32
	for j.row < n && len(prow) < exec.BatchSize {
		i := j.row
		if j.nullKey[i] {
			j.row++
			continue
		}
		c := j.chain
		if c == -2 {
			c = b.head[j.h[i]&b.mask]
		}
		hi := j.h[i]
		for c >= 0 && len(prow) < exec.BatchSize {
			if b.hashes[c] == hi {
				prow = append(prow, int32(i))
				brow = append(brow, c)
			}
			c = b.next[c]
		}
		if c >= 0 {
			j.chain = c // resume this row's chain in the next step
			break
		}
		j.row++
		j.chain = -2
	}
	if len(prow) > 0 {
		ok := make([]bool, len(prow))
		for k := range ok {
			ok[k] = true
		}
		for _, v := range j.views {
			v.eq(prow, brow, ok)
		}
		w := 0
		for k := range prow {
			if ok[k] {
				prow[w], brow[w] = prow[k], brow[k]
				w++
			}
		}
		prow, brow = prow[:w], brow[:w]
	}
	if len(prow) > 0 {
		var pairs arrow.RecordBatch
		if j.residual != nil || !j.kind.leftOnly() {
			pairs = j.pairBatch(prow, brow)
		}
		if j.residual != nil {
			keep, err := evalMask(ctx, j.residual, pairs, j.alloc)
			if err != nil {
				pairs.Release()
				return err
			}
			if len(keep) < len(prow) {
				np := make([]int32, len(keep))
				nb := make([]int32, len(keep))
				for k, r := range keep {
					np[k], nb[k] = prow[r], brow[r]
				}
				if !j.kind.leftOnly() && len(keep) > 0 {
					filtered := takeBatch(j.alloc, j.schema, pairs, keep)
					pairs.Release()
					pairs = filtered
				}
				prow, brow = np, nb
			}
		}
		for _, p := range prow {
			j.matched[p] = true
		}
		if j.buildEmits {
			for _, r := range brow {
				b.matched[r].Store(true)
			}
		}
		if pairs != nil {
			if j.kind.leftOnly() || len(prow) == 0 {
				pairs.Release()
			} else {
				j.queue = append(j.queue, pairs)
			}
		}
	}
	if j.row >= n {
		j.endBatch()
	}
	return nil
}

// pairBatch gathers left ++ right columns of the pairs (probe row, build
// row), padding with NULLs where a row index is -1.
func (j *HashJoin) pairBatch(prow, brow []int32) arrow.RecordBatch {
	var cols []arrow.Array
	probeCols := func() {
		for _, c := range j.cur.Columns() {
			cols = append(cols, take(j.alloc, c, prow))
		}
	}
	buildCols := func() {
		for _, c := range j.build.cols {
			cols = append(cols, take(j.alloc, c, brow))
		}
	}
	if j.buildIsLeft {
		buildCols()
		probeCols()
	} else {
		probeCols()
		buildCols()
	}
	schema := j.schema
	if j.kind.leftOnly() {
		// The residual sees both sides even though the output is left only.
		left, right := j.probe.Schema(), j.build.Schema()
		if j.buildIsLeft {
			left, right = right, left
		}
		schema = joinSchema(left, right, JoinInner)
	}
	return newBatch(schema, cols, len(prow))
}

// endBatch emits what depends on the whole probe batch (unmatched probe rows
// of outer joins, probe-side semi/anti rows) and drops the batch.
func (j *HashJoin) endBatch() {
	n := int(j.cur.NumRows())
	b := j.build
	var rows []int32
	switch {
	case j.probeOuter:
		for i := 0; i < n; i++ {
			if !j.matched[i] {
				rows = append(rows, int32(i))
			}
		}
		if len(rows) > 0 {
			pad := make([]int32, len(rows))
			for k := range pad {
				pad[k] = -1
			}
			j.queue = append(j.queue, j.pairBatch(rows, pad))
		}
	case j.probeSemi():
		for i := 0; i < n; i++ {
			switch j.kind {
			case JoinSemi:
				if j.matched[i] {
					rows = append(rows, int32(i))
				}
			case JoinAnti:
				if !j.matched[i] {
					rows = append(rows, int32(i))
				}
			case JoinAntiNullAware:
				// The general path pairs NULL keys explicitly, so
				// there an unmatched row is simply kept.
				if !j.matched[i] && (j.general || !j.nullKey[i] || b.rows == 0) {
					rows = append(rows, int32(i))
				}
			}
		}
		if len(rows) > 0 {
			j.queue = append(j.queue, takeBatch(j.alloc, j.schema, j.cur, rows))
		}
	}
	j.cur.Release()
	j.cur = nil
}

// emitTail queues the next chunk of build rows decided after all probing:
// unmatched build rows padded with NULLs (outer), or build-side semi/anti
// rows. It reports false when done.
func (j *HashJoin) emitTail() bool {
	b := j.build
	var rows []int32
	for j.tail < b.rows && len(rows) < exec.BatchSize {
		r := j.tail
		j.tail++
		m := b.matched[r].Load()
		switch {
		case j.buildOuter:
			if !m {
				rows = append(rows, int32(r))
			}
		case j.kind == JoinSemi:
			if m {
				rows = append(rows, int32(r))
			}
		case j.kind == JoinAnti:
			if !m {
				rows = append(rows, int32(r))
			}
		case j.kind == JoinAntiNullAware:
			// NOT IN with the build side on the left: any NULL on the
			// probe (right) side empties the result; a NULL left key only
			// survives an empty right side.
			if b.probeHasNull.Load() {
				j.tail = b.rows
				break
			}
			if !m && (!b.keyIsNull(r) || b.probeRows.Load()+b.sp.probeRowsFloor == 0) {
				rows = append(rows, int32(r))
			}
		}
	}
	if len(rows) == 0 {
		j.tailOn = j.tail < b.rows
		return j.tailOn
	}
	if j.kind.leftOnly() {
		cols := make([]arrow.Array, len(b.cols))
		for c, a := range b.cols {
			cols[c] = take(j.alloc, a, rows)
		}
		j.queue = append(j.queue, newBatch(j.schema, cols, len(rows)))
		return true
	}
	pad := make([]int32, len(rows))
	for k := range pad {
		pad[k] = -1
	}
	// pairBatch takes probe columns from j.cur; build a null probe side by
	// hand instead since no probe batch is current.
	var cols []arrow.Array
	probeSide := make([]arrow.Array, 0, j.probe.Schema().NumFields())
	for _, f := range j.probe.Schema().Fields() {
		probeSide = append(probeSide, nullArray(j.alloc, f.Type, len(rows)))
	}
	buildSide := make([]arrow.Array, len(b.cols))
	for c, a := range b.cols {
		buildSide[c] = take(j.alloc, a, rows)
	}
	if j.buildIsLeft {
		cols = append(buildSide, probeSide...)
	} else {
		cols = append(probeSide, buildSide...)
	}
	j.queue = append(j.queue, newBatch(j.schema, cols, len(rows)))
	return true
}

func (b *HashBuild) keyIsNull(r int) bool {
	for _, st := range b.keyStore {
		if st.isNull(r) {
			return true
		}
	}
	return false
}

// Close implements exec.Operator.
func (j *HashJoin) Close() error {
	if j.closed {
		return nil
	}
	j.closed = true
	if j.out != nil {
		j.out.Release()
		j.out = nil
	}
	if j.cur != nil {
		j.cur.Release()
		j.cur = nil
	}
	releaseBatches(j.queue)
	j.queue = nil
	j.sp.close()
	err := j.probe.Close()
	j.build.release()
	return err
}

// evalMask evaluates a predicate and returns the rows where it is true.
func evalMask(ctx context.Context, p Predicate, b arrow.RecordBatch, alloc memory.Allocator) ([]int32, error) {
	m, err := p.Eval(ctx, b, alloc)
	if err != nil {
		return nil, err
	}
	defer m.Release()
	if m.Len() != int(b.NumRows()) {
		return nil, internalErr("predicate returned %d rows for a batch of %d", m.Len(), b.NumRows())
	}
	return maskIndexes(m, nil)
}

// stepNotIn is the probe step of NOT IN when the single-key shortcut does
// not hold (a residual, or several key columns). A left row is removed by
// every right row of the subquery (residual true) whose comparison with it
// is true or NULL, i.e. no key column is definitely different. So each
// probe row is paired with its hash-chain rows and with the build rows that
// have a NULL key; a probe row with a NULL key is paired with every build
// row.
func (j *HashJoin) stepNotIn(ctx context.Context) error {
	b := j.build
	n := int(j.cur.NumRows())
	var prow, brow []int32
	nextRow := func() { j.row, j.phase, j.pos, j.chain = j.row+1, 0, 0, -2 }
collect:
	for j.row < n && len(prow) < exec.BatchSize {
		i := j.row
		if j.matched[i] {
			nextRow() // already removed: no need to look further
			continue
		}
		switch j.phase {
		case 0: // equal keys, through the hash chain
			if j.nullKey[i] {
				j.phase, j.pos = 2, 0
				continue
			}
			c := j.chain
			if c == -2 {
				c = b.head[j.h[i]&b.mask]
			}
			for c >= 0 && len(prow) < exec.BatchSize {
				if b.hashes[c] == j.h[i] {
					prow = append(prow, int32(i))
					brow = append(brow, c)
				}
				c = b.next[c]
			}
			if c >= 0 {
				j.chain = c
				break collect
			}
			j.phase, j.pos = 1, 0
		case 1: // build rows with a NULL key compare as NULL or false
			for j.pos < len(b.nullRows) && len(prow) < exec.BatchSize {
				prow = append(prow, int32(i))
				brow = append(brow, b.nullRows[j.pos])
				j.pos++
			}
			if j.pos < len(b.nullRows) {
				break collect
			}
			nextRow()
		case 2: // a NULL probe key compares as NULL or false with every row
			for j.pos < b.rows && len(prow) < exec.BatchSize {
				prow = append(prow, int32(i))
				brow = append(brow, int32(j.pos))
				j.pos++
			}
			if j.pos < b.rows {
				break collect
			}
			nextRow()
		}
	}
	if len(prow) > 0 {
		// Keep pairs where no key column is non-NULL on both sides and
		// different.
		keep := make([]bool, len(prow))
		for k := range keep {
			keep[k] = true
		}
		eq := make([]bool, len(prow))
		for c, v := range j.views {
			for k := range eq {
				eq[k] = true
			}
			v.eq(prow, brow, eq)
			st := b.keyStore[c]
			for k := range keep {
				if !eq[k] && !j.colNull[c][prow[k]] && !st.isNull(int(brow[k])) {
					keep[k] = false
				}
			}
		}
		w := 0
		for k := range prow {
			if keep[k] {
				prow[w], brow[w] = prow[k], brow[k]
				w++
			}
		}
		prow, brow = prow[:w], brow[:w]
	}
	if len(prow) > 0 && j.residual != nil {
		pairs := j.pairBatch(prow, brow)
		sel, err := evalMask(ctx, j.residual, pairs, j.alloc)
		pairs.Release()
		if err != nil {
			return err
		}
		np := make([]int32, len(sel))
		for k, r := range sel {
			np[k] = prow[r]
		}
		prow = np
	}
	for _, p := range prow {
		j.matched[p] = true
	}
	if j.row >= n {
		j.endBatch()
	}
	return nil
}
