package ops

import (
	"context"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/exec"
)

// Materialized runs its input once, keeps every batch, and lets any number
// of readers replay them: a WITH query that several places read.
type Materialized struct {
	input exec.Operator
	mem   *exec.Memory

	once    sync.Once
	batches []arrow.RecordBatch
	bytes   int64
	err     error

	mu      sync.Mutex
	readers int
	closed  int
}

// NewMaterialized shares input among the readers made by Reader.
func NewMaterialized(input exec.Operator, mem *exec.Memory) *Materialized {
	return &Materialized{input: input, mem: mem}
}

// Reader returns a new operator replaying the materialised rows.
func (m *Materialized) Reader() exec.Operator {
	m.mu.Lock()
	m.readers++
	m.mu.Unlock()
	return &materializedReader{m: m}
}

func (m *Materialized) fill(ctx context.Context) error {
	m.once.Do(func() {
		m.err = exec.Drain(ctx, m.input, func(b arrow.RecordBatch) error {
			n := batchBytes(b)
			if err := m.mem.Reserve(n); err != nil {
				return err
			}
			m.bytes += n
			b.Retain()
			m.batches = append(m.batches, b)
			return nil
		})
	})
	return m.err
}

// release frees the rows once the last reader has closed.
func (m *Materialized) release() {
	m.mu.Lock()
	m.closed++
	last := m.closed == m.readers
	m.mu.Unlock()
	if !last {
		return
	}
	// Make sure a later fill cannot run, then free what a fill kept.
	m.once.Do(func() {})
	for _, b := range m.batches {
		b.Release()
	}
	m.batches = nil
	m.mem.Release(m.bytes)
	m.bytes = 0
	m.input.Close()
}

type materializedReader struct {
	m      *Materialized
	i      int
	closed bool
}

var _ exec.Operator = (*materializedReader)(nil)

func (r *materializedReader) Schema() *arrow.Schema { return r.m.input.Schema() }

func (r *materializedReader) Open(ctx context.Context) error { return nil }

func (r *materializedReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := r.m.fill(ctx); err != nil {
		return nil, err
	}
	if r.i >= len(r.m.batches) {
		return nil, io.EOF
	}
	b := r.m.batches[r.i]
	r.i++
	return b, nil
}

func (r *materializedReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.m.release()
	return nil
}
