package ops

import (
	"hash/maphash"
	"math"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Key columns (GROUP BY keys, join keys, DISTINCT values) are kept in typed
// growable stores. A batch column is compared against a store through a
// view that holds the batch's typed slices, so hashing and equality are tight
// loops per type rather than one boxed value per cell.

// nullHash is the hash of a NULL key cell; all NULLs are one group.
const nullHash = 0x9e3779b97f4a7c15

// mix64 is a 64-bit finalizer (from splitmix64) spreading integer keys over
// the table.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// combine folds one column's hash into the running row hash.
func combine(h, c uint64) uint64 { return mix64(h*31 + c) }

var strSeed = maphash.MakeSeed()

// keyStore holds the distinct key values of one column, one per group (or
// one per build row for joins).
type keyStore interface {
	// view binds a batch column of the store's type for hashing, comparing
	// and appending. Views never modify the store except through appendRow,
	// so read-only views of one store may be used concurrently.
	view(arr arrow.Array) keyView
	// array returns rows [from, to) as an Arrow array of the column's type.
	array(alloc memory.Allocator, from, to int) arrow.Array
	// bytes is the memory the store holds.
	bytes() int64
	// isNull reports whether stored row g is NULL.
	isNull(g int) bool
}

type keyView interface {
	// hash writes (first) or folds the hash of each row into h.
	hash(h []uint64, first bool)
	// eq clears ok[k] unless batch row rows[k] equals stored row cand[k]
	// (NULL equals NULL: grouping semantics; joins drop NULL keys first).
	eq(rows, cand []int32, ok []bool)
	// appendRow adds batch row i to the store.
	appendRow(i int)
	// appendAll adds every row of the batch column to the store.
	appendAll()
	// nulls marks rows that are NULL (sets null[i] = true), for joins.
	nulls(null []bool)
}

// newKeyStore returns a store for columns of type dt.
func newKeyStore(dt arrow.DataType) keyStore {
	switch dt.ID() {
	case arrow.NULL:
		return &nullStore{}
	case arrow.BOOL:
		return &fixedStore[uint8]{dt: dt, hashf: func(v uint8) uint64 { return mix64(uint64(v) + 1) }}
	case arrow.INT16:
		return &fixedStore[uint16]{dt: dt, hashf: func(v uint16) uint64 { return mix64(uint64(v)) }}
	case arrow.INT32, arrow.DATE32:
		return &fixedStore[uint32]{dt: dt, hashf: func(v uint32) uint64 { return mix64(uint64(v)) }}
	case arrow.FLOAT32:
		return &fixedStore[uint32]{dt: dt, hashf: func(v uint32) uint64 { return mix64(uint64(v)) }, norm: normFloat32}
	case arrow.INT64, arrow.TIME64, arrow.TIMESTAMP:
		return &fixedStore[uint64]{dt: dt, hashf: mix64}
	case arrow.FLOAT64:
		return &fixedStore[uint64]{dt: dt, hashf: mix64, norm: normFloat64}
	case arrow.DECIMAL128:
		return &fixedStore[[2]uint64]{dt: dt, hashf: func(v [2]uint64) uint64 { return mix64(v[0] ^ mix64(v[1])) }}
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return &intervalStore{dt: dt}
	case arrow.STRING, arrow.BINARY:
		return &bytesStore{dt: dt, offs: []int{0}}
	case arrow.LIST:
		return newListStore(dt)
	}
	panic("unsupported key type " + dt.String())
}

// normFloat64 makes SQL-equal doubles bit-equal: -0 = 0 and NaN = NaN, as in
// PostgreSQL's float comparison and hashing.
func normFloat64(b uint64) uint64 {
	f := math.Float64frombits(b)
	if f == 0 {
		return 0
	}
	if f != f {
		return 0x7ff8000000000001
	}
	return b
}

func normFloat32(b uint32) uint32 {
	f := math.Float32frombits(b)
	if f == 0 {
		return 0
	}
	if f != f {
		return 0x7fc00001
	}
	return b
}

// fixedStore stores fixed-width keys as raw bits of width T. Floats are
// stored normalized (norm) so bit equality is SQL equality.
type fixedStore[T comparable] struct {
	dt    arrow.DataType
	vals  []T
	null  []bool
	hashf func(T) uint64
	norm  func(T) T
}

func (s *fixedStore[T]) bytes() int64 {
	var z T
	return int64(cap(s.vals))*int64(unsafe.Sizeof(z)) + int64(cap(s.null))
}

func (s *fixedStore[T]) isNull(g int) bool { return s.null[g] }

type fixedView[T comparable] struct {
	s    *fixedStore[T]
	vals []T
	bits []byte
	off  int
}

func (s *fixedStore[T]) view(arr arrow.Array) keyView {
	v := &fixedView[T]{s: s}
	v.bits, v.off = validity(arr)
	if arr.DataType().ID() == arrow.BOOL {
		// Booleans are bit-packed; unpack once per batch so the loops below
		// stay uniform.
		b := arr.(*array.Boolean)
		vals := make([]T, b.Len())
		for i := range vals {
			if b.Value(i) {
				*(*uint8)(unsafe.Pointer(&vals[i])) = 1
			}
		}
		v.vals = vals
	} else {
		v.vals = fixedValues[T](arr)
		if s.norm != nil {
			nv := make([]T, len(v.vals))
			for i, x := range v.vals {
				nv[i] = s.norm(x)
			}
			v.vals = nv
		}
	}
	return v
}

func (v *fixedView[T]) hash(h []uint64, first bool) {
	hf := v.s.hashf
	for i, x := range v.vals {
		c := uint64(nullHash)
		if isValid(v.bits, v.off, i) {
			c = hf(x)
		}
		if first {
			h[i] = c
		} else {
			h[i] = combine(h[i], c)
		}
	}
}

func (v *fixedView[T]) eq(rows, cand []int32, ok []bool) {
	sv, sn := v.s.vals, v.s.null
	if v.bits == nil {
		for k, r := range rows {
			g := cand[k]
			ok[k] = ok[k] && !sn[g] && v.vals[r] == sv[g]
		}
		return
	}
	for k, r := range rows {
		g := cand[k]
		valid := isValid(v.bits, v.off, int(r))
		if valid {
			ok[k] = ok[k] && !sn[g] && v.vals[r] == sv[g]
		} else {
			ok[k] = ok[k] && sn[g]
		}
	}
}

func (v *fixedView[T]) appendRow(i int) {
	valid := isValid(v.bits, v.off, i)
	var x T
	if valid {
		x = v.vals[i]
	}
	v.s.vals = append(v.s.vals, x)
	v.s.null = append(v.s.null, !valid)
}

func (v *fixedView[T]) appendAll() {
	for i := range v.vals {
		v.appendRow(i)
	}
}

func (v *fixedView[T]) nulls(null []bool) {
	if v.bits == nil {
		return
	}
	for i := range v.vals {
		if !isValid(v.bits, v.off, i) {
			null[i] = true
		}
	}
}

func (s *fixedStore[T]) array(alloc memory.Allocator, from, to int) arrow.Array {
	n := to - from
	valid := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	vb := valid.Bytes()
	nulls := 0
	for k := 0; k < n; k++ {
		if s.null[from+k] {
			nulls++
		} else {
			bitutil.SetBit(vb, k)
		}
	}
	if s.dt.ID() == arrow.BOOL {
		data := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
		db := data.Bytes()
		for k := 0; k < n; k++ {
			if *(*uint8)(unsafe.Pointer(&s.vals[from+k])) != 0 {
				bitutil.SetBit(db, k)
			}
		}
		return makeArray(s.dt, n, []*memory.Buffer{valid, data}, nulls)
	}
	var z T
	data := newBuf(alloc, n*int(unsafe.Sizeof(z)))
	if n > 0 {
		copy(unsafe.Slice((*T)(unsafe.Pointer(&data.Bytes()[0])), n), s.vals[from:to])
	}
	return makeArray(s.dt, n, []*memory.Buffer{valid, data}, nulls)
}

// intervalStore keeps intervals; PostgreSQL compares intervals by their total
// span with 30-day months and 24-hour days ('1 mon' = '30 days'), so equality
// and hashing use that span while the stored value stays the first one seen.
type intervalStore struct {
	dt   arrow.DataType
	vals []arrow.MonthDayNanoInterval
	null []bool
}

// intervalSpan is an interval's total length in nanoseconds as a 128-bit
// integer (hi, lo).
func intervalSpan(v arrow.MonthDayNanoInterval) (int64, uint64) {
	days := int64(v.Months)*30 + int64(v.Days)
	const nsPerDay = 86400 * 1e9
	// days*nsPerDay as signed 128-bit.
	neg := days < 0
	ud := uint64(days)
	if neg {
		ud = uint64(-days)
	}
	hi, lo := bits.Mul64(ud, nsPerDay)
	if neg {
		lo = ^lo + 1
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	// add sign-extended nanoseconds
	ns := v.Nanoseconds
	var c uint64
	lo, c = bits.Add64(lo, uint64(ns), 0)
	ext := uint64(0)
	if ns < 0 {
		ext = ^uint64(0)
	}
	hi, _ = bits.Add64(hi, ext, c)
	return int64(hi), lo
}

func (s *intervalStore) bytes() int64      { return int64(cap(s.vals))*16 + int64(cap(s.null)) }
func (s *intervalStore) isNull(g int) bool { return s.null[g] }

type intervalView struct {
	s    *intervalStore
	vals []arrow.MonthDayNanoInterval
	bits []byte
	off  int
}

func (s *intervalStore) view(arr arrow.Array) keyView {
	v := &intervalView{s: s, vals: fixedValues[arrow.MonthDayNanoInterval](arr)}
	v.bits, v.off = validity(arr)
	return v
}

func (v *intervalView) hash(h []uint64, first bool) {
	for i, x := range v.vals {
		c := uint64(nullHash)
		if isValid(v.bits, v.off, i) {
			hi, lo := intervalSpan(x)
			c = mix64(lo ^ mix64(uint64(hi)))
		}
		if first {
			h[i] = c
		} else {
			h[i] = combine(h[i], c)
		}
	}
}

func (v *intervalView) eq(rows, cand []int32, ok []bool) {
	for k, r := range rows {
		g := cand[k]
		if !isValid(v.bits, v.off, int(r)) {
			ok[k] = ok[k] && v.s.null[g]
			continue
		}
		if v.s.null[g] {
			ok[k] = false
			continue
		}
		ah, al := intervalSpan(v.vals[r])
		bh, bl := intervalSpan(v.s.vals[g])
		ok[k] = ok[k] && ah == bh && al == bl
	}
}

func (v *intervalView) appendRow(i int) {
	valid := isValid(v.bits, v.off, i)
	var x arrow.MonthDayNanoInterval
	if valid {
		x = v.vals[i]
	}
	v.s.vals = append(v.s.vals, x)
	v.s.null = append(v.s.null, !valid)
}

func (v *intervalView) appendAll() {
	for i := range v.vals {
		v.appendRow(i)
	}
}

func (v *intervalView) nulls(null []bool) {
	for i := range v.vals {
		if !isValid(v.bits, v.off, i) {
			null[i] = true
		}
	}
}

func (s *intervalStore) array(alloc memory.Allocator, from, to int) arrow.Array {
	n := to - from
	valid := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	vb := valid.Bytes()
	nulls := 0
	for k := 0; k < n; k++ {
		if s.null[from+k] {
			nulls++
		} else {
			bitutil.SetBit(vb, k)
		}
	}
	data := newBuf(alloc, n*16)
	if n > 0 {
		copy(unsafe.Slice((*arrow.MonthDayNanoInterval)(unsafe.Pointer(&data.Bytes()[0])), n), s.vals[from:to])
	}
	return makeArray(s.dt, n, []*memory.Buffer{valid, data}, nulls)
}

// bytesStore keeps text and bytea keys in one byte arena. Text compares by
// bytes, which is also its C-collation equality.
type bytesStore struct {
	dt   arrow.DataType
	data []byte
	offs []int
	null []bool
	// stable hashes with a process-independent function (for partitioning
	// across nodes) instead of the faster seeded maphash.
	stable bool
}

func (s *bytesStore) bytes() int64 {
	return int64(cap(s.data)) + int64(cap(s.offs))*8 + int64(cap(s.null))
}
func (s *bytesStore) isNull(g int) bool  { return s.null[g] }
func (s *bytesStore) get(g int32) []byte { return s.data[s.offs[g]:s.offs[g+1]] }

type bytesView struct {
	s    *bytesStore
	offs []int32
	data []byte
	bits []byte
	off  int
	n    int
}

func (s *bytesStore) view(arr arrow.Array) keyView {
	v := &bytesView{s: s, n: arr.Len()}
	v.offs, v.data = binaryValues(arr)
	v.bits, v.off = validity(arr)
	return v
}

func (v *bytesView) get(i int32) []byte { return v.data[v.offs[i]:v.offs[i+1]] }

func (v *bytesView) hash(h []uint64, first bool) {
	stable := v.s.stable
	for i := 0; i < v.n; i++ {
		c := uint64(nullHash)
		if isValid(v.bits, v.off, i) {
			if stable {
				c = stableBytesHash(v.get(int32(i)))
			} else {
				c = maphash.Bytes(strSeed, v.get(int32(i)))
			}
		}
		if first {
			h[i] = c
		} else {
			h[i] = combine(h[i], c)
		}
	}
}

func (v *bytesView) eq(rows, cand []int32, ok []bool) {
	for k, r := range rows {
		if !ok[k] {
			continue
		}
		g := cand[k]
		if !isValid(v.bits, v.off, int(r)) {
			ok[k] = v.s.null[g]
			continue
		}
		ok[k] = !v.s.null[g] && string(v.get(r)) == string(v.s.get(g))
	}
}

func (v *bytesView) appendRow(i int) {
	valid := isValid(v.bits, v.off, i)
	if valid {
		v.s.data = append(v.s.data, v.get(int32(i))...)
	}
	v.s.offs = append(v.s.offs, len(v.s.data))
	v.s.null = append(v.s.null, !valid)
}

func (v *bytesView) appendAll() {
	for i := 0; i < v.n; i++ {
		v.appendRow(i)
	}
}

func (v *bytesView) nulls(null []bool) {
	for i := 0; i < v.n; i++ {
		if !isValid(v.bits, v.off, i) {
			null[i] = true
		}
	}
}

func (s *bytesStore) array(alloc memory.Allocator, from, to int) arrow.Array {
	n := to - from
	valid := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	vb := valid.Bytes()
	nulls := 0
	for k := 0; k < n; k++ {
		if s.null[from+k] {
			nulls++
		} else {
			bitutil.SetBit(vb, k)
		}
	}
	ob := newBuf(alloc, 4*(n+1))
	o := unsafe.Slice((*int32)(unsafe.Pointer(&ob.Bytes()[0])), n+1)
	base := s.offs[from]
	for k := 0; k <= n; k++ {
		o[k] = int32(s.offs[from+k] - base)
	}
	db := newBuf(alloc, s.offs[to]-base)
	copy(db.Bytes(), s.data[base:s.offs[to]])
	return makeArray(s.dt, n, []*memory.Buffer{valid, ob, db}, nulls)
}

// nullStore is the key store of an untyped NULL column: every row is NULL.
type nullStore struct{ n int }

func (s *nullStore) bytes() int64    { return 0 }
func (s *nullStore) isNull(int) bool { return true }
func (s *nullStore) view(arr arrow.Array) keyView {
	return &nullView{s: s, n: arr.Len()}
}
func (s *nullStore) array(_ memory.Allocator, from, to int) arrow.Array {
	return array.NewNull(to - from)
}

type nullView struct {
	s *nullStore
	n int
}

func (v *nullView) hash(h []uint64, first bool) {
	for i := 0; i < v.n; i++ {
		if first {
			h[i] = nullHash
		} else {
			h[i] = combine(h[i], nullHash)
		}
	}
}
func (v *nullView) eq([]int32, []int32, []bool) {}
func (v *nullView) appendRow(int)               { v.s.n++ }
func (v *nullView) appendAll()                  { v.s.n += v.n }
func (v *nullView) nulls(null []bool) {
	for i := 0; i < v.n; i++ {
		null[i] = true
	}
}

// groupTable maps multi-column keys to dense group ids 0..n-1 with open
// addressing on the 64-bit row hash; candidate slots are confirmed with a
// typed key comparison over the whole batch at once.
type groupTable struct {
	keys      []keyStore
	slotHash  []uint64
	slotGroup []int32 // -1 = empty
	mask      uint64
	groupHash []uint64
	n         int

	// single marks a table keyed by one fixed-width column of at most 8
	// bytes (the common GROUP BY on one integer or date). It then uses
	// sslots instead of slotHash/slotGroup/groupHash: each slot holds the
	// raw key bits next to the group id, so a probe touches one cache line
	// and compares the key in place with no second lookup in the key store.
	// The NULL group lives outside the slots in nullGroup (-1 = none yet).
	single    bool
	sslots    []singleSlot
	nullGroup int32

	// scratch reused across batches
	h, pos          []uint64
	pending, next   []int32
	candRows, cands []int32
	ok              []bool
}

func newGroupTable(types []arrow.DataType) *groupTable {
	t := &groupTable{nullGroup: -1}
	for _, dt := range types {
		t.keys = append(t.keys, newKeyStore(dt))
	}
	if len(t.keys) == 1 {
		switch t.keys[0].(type) {
		case *fixedStore[uint8], *fixedStore[uint16], *fixedStore[uint32], *fixedStore[uint64]:
			t.single = true
		}
	}
	t.resize(1024)
	return t
}

// singleSlot is a slot of a single-key table; gid1 is the group id plus
// one, so a zeroed slot is empty.
type singleSlot struct {
	key  uint64
	gid1 int32
}

// numSlots is the table's current slot count.
func (t *groupTable) numSlots() int {
	if t.single {
		return len(t.sslots)
	}
	return len(t.slotGroup)
}

func (t *groupTable) resize(slots int) {
	t.mask = uint64(slots - 1)
	if t.single {
		old := t.sslots
		t.sslots = make([]singleSlot, slots)
		for _, sl := range old {
			if sl.gid1 == 0 {
				continue
			}
			p := mix64(sl.key) & t.mask
			for t.sslots[p].gid1 != 0 {
				p = (p + 1) & t.mask
			}
			t.sslots[p] = sl
		}
		return
	}
	t.slotHash = make([]uint64, slots)
	t.slotGroup = make([]int32, slots)
	for i := range t.slotGroup {
		t.slotGroup[i] = -1
	}
	for g, h := range t.groupHash {
		p := h & t.mask
		for t.slotGroup[p] >= 0 {
			p = (p + 1) & t.mask
		}
		t.slotHash[p] = h
		t.slotGroup[p] = int32(g)
	}
}

func (t *groupTable) bytes() int64 {
	n := int64(len(t.slotHash))*12 + int64(cap(t.groupHash))*8 + int64(len(t.sslots))*16
	for _, k := range t.keys {
		n += k.bytes()
	}
	return n
}

// find assigns a group id to each of the n rows of cols, creating groups for
// new keys. If isNew is not nil, isNew[i] reports whether row i created its
// group.
func (t *groupTable) find(cols []arrow.Array, n int, out []int32, isNew []bool) {
	// Keep the load factor under 1/2 even if every row is a new group, so
	// no rehash happens while slots of pending rows are in flight.
	for (t.n+n)*2 > t.numSlots() {
		t.resize(t.numSlots() * 2)
	}
	views := make([]keyView, len(cols))
	for k, c := range cols {
		views[k] = t.keys[k].view(c)
	}
	if t.single {
		switch v := views[0].(type) {
		case *fixedView[uint8]:
			findSingle(t, v, n, out, isNew)
		case *fixedView[uint16]:
			findSingle(t, v, n, out, isNew)
		case *fixedView[uint32]:
			findSingle(t, v, n, out, isNew)
		case *fixedView[uint64]:
			findSingle(t, v, n, out, isNew)
		}
		return
	}
	t.h = grow(t.h, n)
	t.pos = grow(t.pos, n)
	h, pos := t.h, t.pos
	if len(views) == 0 {
		clear(h)
	}
	for k, v := range views {
		v.hash(h, k == 0)
	}
	t.pending = t.pending[:0]
	for i := 0; i < n; i++ {
		pos[i] = h[i] & t.mask
		t.pending = append(t.pending, int32(i))
		if isNew != nil {
			isNew[i] = false
		}
	}
	pending := t.pending
	for len(pending) > 0 {
		candRows, cands := t.candRows[:0], t.cands[:0]
		for _, i := range pending {
			p := pos[i]
			hi := h[i]
			for {
				g := t.slotGroup[p]
				if g < 0 {
					g = int32(t.n)
					t.n++
					for _, v := range views {
						v.appendRow(int(i))
					}
					t.groupHash = append(t.groupHash, hi)
					t.slotHash[p] = hi
					t.slotGroup[p] = g
					out[i] = g
					if isNew != nil {
						isNew[i] = true
					}
					break
				}
				if t.slotHash[p] == hi {
					candRows = append(candRows, i)
					cands = append(cands, g)
					pos[i] = p
					break
				}
				p = (p + 1) & t.mask
			}
		}
		t.candRows, t.cands = candRows, cands
		if len(candRows) == 0 {
			break
		}
		t.ok = growBool(t.ok, len(candRows))
		ok := t.ok
		for k := range ok {
			ok[k] = true
		}
		for _, v := range views {
			v.eq(candRows, cands, ok)
		}
		next := t.next[:0]
		for k, i := range candRows {
			if ok[k] {
				out[i] = cands[k]
			} else {
				pos[i] = (pos[i] + 1) & t.mask
				next = append(next, i)
			}
		}
		// swap buffers so pending and next never alias
		t.next = t.pending
		t.pending = next
		pending = next
	}
}

// findSingle is find for a single-key table: linear probing on the key's
// mixed bits, confirming a slot by the raw key stored in it. Runs of equal
// keys (input sorted or clustered on the key, as lineitem is on
// l_orderkey) reuse the previous row's group without probing.
func findSingle[T uint8 | uint16 | uint32 | uint64](t *groupTable, v *fixedView[T], n int, out []int32, isNew []bool) {
	s := v.s
	slots, mask := t.sslots, t.mask
	newGroup := func(x T, null bool) int32 {
		g := int32(t.n)
		t.n++
		s.vals = append(s.vals, x)
		s.null = append(s.null, null)
		return g
	}
	if isNew != nil {
		clear(isNew[:n])
	}
	lastKey, lastG := uint64(0), int32(-1)
	for i := 0; i < n; i++ {
		if v.bits != nil && !isValid(v.bits, v.off, i) {
			if t.nullGroup < 0 {
				t.nullGroup = newGroup(0, true)
				if isNew != nil {
					isNew[i] = true
				}
			}
			out[i] = t.nullGroup
			continue
		}
		x := v.vals[i]
		k := uint64(x)
		if k == lastKey && lastG >= 0 {
			out[i] = lastG
			continue
		}
		p := mix64(k) & mask
		var g int32
		for {
			sl := &slots[p]
			if sl.gid1 == 0 {
				g = newGroup(x, false)
				sl.key, sl.gid1 = k, g+1
				if isNew != nil {
					isNew[i] = true
				}
				break
			}
			if sl.key == k {
				g = sl.gid1 - 1
				break
			}
			p = (p + 1) & mask
		}
		out[i] = g
		lastKey, lastG = k, g
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func growBool(s []bool, n int) []bool { return grow(s, n) }
