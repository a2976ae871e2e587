package ops

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zeebo/xxh3"
)

// Partitioner decides which of n partitions each row of a batch belongs
// to, by a hash of key columns with SQL equality (NULLs together, -0 = 0,
// NaN = NaN, '1 mon' = '30 days'). It is the one rule for placing rows:
// the local Repartition and the exchange between nodes both use it, so a
// key lands on the same partition number whichever of them moved it.
//
// The hash is stable across processes: text and bytea keys are hashed with
// xxh3, not with the per-process seeded hash of the operators' hash tables,
// because producers on different nodes must send one key to one place.
type Partitioner struct {
	keys   []int
	n      int
	stores []keyStore

	h     []uint64
	part  []int32
	rows  []int32
	count []int32
	fill  []int32
}

// NewPartitioner returns a partitioner of batches of schema over key
// columns keys into n partitions (n < 1 counts as 1). With no key columns
// every row goes to partition 0, since all rows then share the empty key.
func NewPartitioner(schema *arrow.Schema, keys []int, n int) *Partitioner {
	if n < 1 {
		n = 1
	}
	p := &Partitioner{keys: keys, n: n, count: make([]int32, n+1), fill: make([]int32, n)}
	p.stores = make([]keyStore, len(keys))
	for k, c := range keys {
		p.stores[k] = newStableKeyStore(schema.Field(c).Type)
	}
	return p
}

// N is the number of partitions.
func (p *Partitioner) N() int { return p.n }

// Trivial reports whether every row goes to partition 0 (one partition or
// no keys), so callers can pass batches through without splitting.
func (p *Partitioner) Trivial() bool { return p.n == 1 || len(p.keys) == 0 }

// Split sorts the row numbers of b by partition: partition q's rows are
// rows[bounds[q]:bounds[q+1]], in input order. Both slices are reused by the
// next call.
func (p *Partitioner) Split(b arrow.RecordBatch) (rows, bounds []int32) {
	n := int(b.NumRows())
	clear(p.count)
	if p.Trivial() {
		p.rows = grow(p.rows, n)
		for i := range p.rows {
			p.rows[i] = int32(i)
		}
		for q := 1; q <= p.n; q++ {
			p.count[q] = int32(n)
		}
		return p.rows, p.count
	}
	p.h = grow(p.h, n)
	for k, c := range p.keys {
		p.stores[k].view(b.Column(c)).hash(p.h, k == 0)
	}
	// Counting sort of the row numbers by partition.
	p.part = grow(p.part, n)
	for i, x := range p.h[:n] {
		q := partitionOf(x, p.n)
		p.part[i] = int32(q)
		p.count[q+1]++
	}
	for q := 1; q <= p.n; q++ {
		p.count[q] += p.count[q-1]
	}
	p.rows = grow(p.rows, n)
	copy(p.fill, p.count[:p.n])
	for i, q := range p.part[:n] {
		p.rows[p.fill[q]] = int32(i)
		p.fill[q]++
	}
	return p.rows, p.count
}

// newStableKeyStore is newKeyStore with byte-string hashing (text, bytea,
// and the canonical encoding of arrays) that does not depend on the
// process. Every other key type already hashes its value bits.
func newStableKeyStore(dt arrow.DataType) keyStore {
	s := newKeyStore(dt)
	stabilize(s)
	return s
}

func stabilize(s keyStore) {
	switch s := s.(type) {
	case *bytesStore:
		s.stable = true
	case *listStore:
		s.enc.stable = true
		stabilize(s.elems)
	}
}

// stableBytesHash is the process-independent hash of a byte-string key.
func stableBytesHash(b []byte) uint64 { return xxh3.Hash(b) }

// TakeBatch gathers rows idx of every column of b into a new batch of
// schema; the caller owns it.
func TakeBatch(alloc memory.Allocator, schema *arrow.Schema, b arrow.RecordBatch, idx []int32) arrow.RecordBatch {
	return takeBatch(alloc, schema, b, idx)
}

// ConcatBatches concatenates batches of one schema into a new batch the
// caller owns; the inputs keep their own references.
func ConcatBatches(alloc memory.Allocator, schema *arrow.Schema, batches []arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols, rows, err := concatBatches(alloc, schema, batches)
	if err != nil {
		return nil, err
	}
	return newBatch(schema, cols, rows), nil
}

// BatchBytes is the size of the buffers a batch references, the measure
// memory budgets and exchange queues count in.
func BatchBytes(b arrow.RecordBatch) int64 { return batchBytes(b) }
