// Package exec defines the physical operator contract and what every query
// shares at run time (its memory budget). Operators live in sub-packages:
// exec/expr compiles bound expressions into vectorized kernels, exec/ops holds
// the operators. exec imports sql/types, sql/expr, sql/sqlerr and Arrow, never
// the planner or storage.
package exec

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// BatchSize is the number of rows operators aim for in one batch.
const BatchSize = 8192

// Operator is a pull-based physical operator.
//
//   - Open prepares the operator and opens its children.
//   - Next returns the next batch, or io.EOF at the end. The batch is valid
//     until the next call to Next or Close; a consumer that keeps it calls
//     Retain (and later Release). Next never returns an empty batch.
//   - Close releases everything the operator holds. It is idempotent and safe
//     without Open.
//
// Once Next has returned an error other than io.EOF nobody calls it again.
type Operator interface {
	Open(ctx context.Context) error
	Next(ctx context.Context) (arrow.RecordBatch, error)
	Close() error
	Schema() *arrow.Schema
}

// Next calls op.Next, turning a panic into an internal error and checking
// cancellation first, so one bad operator fails its query and nothing else.
func Next(ctx context.Context, op Operator) (b arrow.RecordBatch, err error) {
	if err := ctx.Err(); err != nil {
		return nil, Canceled(err)
	}
	defer func() {
		if r := recover(); r != nil {
			b = nil
			err = &sqlerr.Error{Code: sqlerr.InternalError, Message: fmt.Sprintf("internal error in %T: %v", op, r), Detail: string(debug.Stack())}
		}
	}()
	return op.Next(ctx)
}

// Open calls op.Open with the same panic protection as Next.
func Open(ctx context.Context, op Operator) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &sqlerr.Error{Code: sqlerr.InternalError, Message: fmt.Sprintf("internal error in %T: %v", op, r), Detail: string(debug.Stack())}
		}
	}()
	return op.Open(ctx)
}

// Canceled maps a context error to SQLSTATE 57014.
func Canceled(err error) error {
	if err == context.DeadlineExceeded {
		return &sqlerr.Error{Code: sqlerr.QueryCanceled, Message: "canceling statement due to statement timeout", Err: err}
	}
	return &sqlerr.Error{Code: sqlerr.QueryCanceled, Message: "canceling statement due to user request", Err: err}
}

// Drain reads op to the end, calling f on each batch. It opens and closes op.
func Drain(ctx context.Context, op Operator, f func(arrow.RecordBatch) error) error {
	defer op.Close()
	if err := Open(ctx, op); err != nil {
		return err
	}
	for {
		b, err := Next(ctx, op)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := f(b); err != nil {
			return err
		}
	}
}

// Memory is a query's memory budget. Blocking operators reserve what they
// hold before they hold it; streaming operators do not reserve.
type Memory struct {
	limit  int64 // 0 = unlimited
	used   atomic.Int64
	peak   atomic.Int64
	parent *Memory
}

// Child returns an account that draws on m's budget and keeps its own
// usage and peak, so EXPLAIN ANALYZE can show what each operator held.
func (m *Memory) Child() *Memory {
	if m == nil {
		return nil
	}
	return &Memory{parent: m}
}

// NewMemory returns a budget of limit bytes (0 for no limit).
func NewMemory(limit int64) *Memory { return &Memory{limit: limit} }

// ErrMemoryLimit is wrapped by the error Reserve returns when refused.
var ErrMemoryLimit = fmt.Errorf("memory limit exceeded")

// Reserve takes n bytes from the budget or refuses with SQLSTATE 53200.
func (m *Memory) Reserve(n int64) error {
	if m == nil {
		return nil
	}
	if m.parent != nil {
		if err := m.parent.Reserve(n); err != nil {
			return err
		}
	}
	u := m.used.Add(n)
	if m.limit > 0 && u > m.limit {
		m.used.Add(-n)
		return &sqlerr.Error{Code: sqlerr.OutOfMemory, Message: fmt.Sprintf("out of memory: query needs more than its limit of %d bytes", m.limit), Err: ErrMemoryLimit}
	}
	for {
		p := m.peak.Load()
		if u <= p || m.peak.CompareAndSwap(p, u) {
			break
		}
	}
	return nil
}

// Release returns n bytes to the budget.
func (m *Memory) Release(n int64) {
	if m != nil {
		m.used.Add(-n)
		if m.parent != nil {
			m.parent.Release(n)
		}
	}
}

// Used is the number of bytes reserved now.
func (m *Memory) Used() int64 { return m.used.Load() }

// Peak is the most bytes ever reserved at once.
func (m *Memory) Peak() int64 { return m.peak.Load() }

// Limit is the budget in bytes, 0 if unlimited.
func (m *Memory) Limit() int64 { return m.limit }
