package exchange

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/ops"
)

// Sender is the producing end of an exchange: it reads its inputs (which
// share one schema) and deals every row to one of its outlets by the hash
// of key columns, with ops.Partitioner, so a key goes to the same partition
// number as under the local ops.Repartition. With no keys every row goes to
// outlet 0 (a gather).
//
// It is the root of a producing task and yields no rows: Next runs the
// whole input through, closes the outlets and returns io.EOF, or the first
// error (which the outlets pass on to their consumers). One goroutine per
// input opens, drains and closes it, so inputs run in parallel. A consumer
// that stops reading (ErrConsumerGone) only drops its own rows; the sender
// stops early when every consumer has gone.
type Sender struct {
	inputs []exec.Operator
	keys   []int
	outs   []Outlet
	alloc  memory.Allocator
	schema *arrow.Schema
	// broadcast sends every row to every outlet (a small join side that
	// every consuming task needs whole).
	broadcast bool

	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{}
	gone   []atomic.Bool
	left   atomic.Int32 // outlets still read
	// allGone is set once no consumer reads any more: the producers stop,
	// and their cancellation is not an error.
	allGone atomic.Bool

	mu       sync.Mutex
	err      error
	started  bool
	finished bool // outlets closed
	closed   bool

	rows atomic.Int64
}

var _ exec.Operator = (*Sender)(nil)

// NewSender sends inputs' rows to outs by the hash of columns keys.
func NewSender(inputs []exec.Operator, keys []int, outs []Outlet, alloc memory.Allocator) *Sender {
	s := &Sender{inputs: inputs, keys: keys, outs: outs, alloc: alloc, schema: inputs[0].Schema(), gone: make([]atomic.Bool, len(outs))}
	s.left.Store(int32(len(outs)))
	return s
}

// NewBroadcastSender sends every row of inputs to every one of outs.
func NewBroadcastSender(inputs []exec.Operator, outs []Outlet, alloc memory.Allocator) *Sender {
	s := NewSender(inputs, nil, outs, alloc)
	s.broadcast = true
	return s
}

// Schema implements exec.Operator (the rows it sends have it).
func (s *Sender) Schema() *arrow.Schema { return s.schema }

// Rows is the number of rows sent so far.
func (s *Sender) Rows() int64 { return s.rows.Load() }

// Open implements exec.Operator: it starts the input goroutines under a
// context that follows ctx and that Close cancels.
func (s *Sender) Open(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return nil
	}
	s.started = true
	pctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	s.done = make(chan struct{})
	s.wg.Add(len(s.inputs))
	for _, in := range s.inputs {
		go s.produce(pctx, in)
	}
	go func() {
		s.wg.Wait()
		close(s.done)
	}()
	return nil
}

// Next implements exec.Operator: it waits for every input to be sent.
func (s *Sender) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := s.Open(ctx); err != nil {
		return nil, err
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		err := exec.Canceled(ctx.Err())
		s.fail(err)
		<-s.done
		s.finish()
		return nil, err
	}
	if err := s.finish(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}

// finish closes the outlets with the outcome, once.
func (s *Sender) finish() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.finished {
		s.finished = true
		for _, o := range s.outs {
			o.Close(s.err)
		}
	}
	return s.err
}

func (s *Sender) fail(err error) {
	s.mu.Lock()
	if s.err == nil && (err != errAllGone && !s.allGone.Load()) {
		s.err = err
	}
	s.mu.Unlock()
	s.cancel()
}

// errAllGone stops a producer once no consumer reads any more.
var errAllGone = errors.New("every consumer is gone")

// send hands b to outlet q; a gone consumer only loses its rows.
func (s *Sender) send(ctx context.Context, q int, b arrow.RecordBatch) error {
	if s.gone[q].Load() {
		return nil
	}
	err := s.outs[q].Send(ctx, b)
	if errors.Is(err, ErrConsumerGone) {
		if !s.gone[q].Swap(true) && s.left.Add(-1) == 0 {
			return errAllGone
		}
		return nil
	}
	if err == nil {
		s.rows.Add(b.NumRows())
	}
	return err
}

// Pieces smaller than minPiece rows wait per outlet until flushRows have
// gathered: with many partitions each batch splits into slivers, and every
// message costs a header, a compression frame and a flow-control round.
const (
	minPiece  = exec.BatchSize / 4
	flushRows = exec.BatchSize / 2
)

func (s *Sender) produce(ctx context.Context, in exec.Operator) {
	defer s.wg.Done()
	defer in.Close()
	n := len(s.outs)
	pend := make([][]arrow.RecordBatch, n)
	pendRows := make([]int, n)
	defer func() {
		for _, bs := range pend {
			for _, b := range bs {
				b.Release()
			}
		}
	}()
	stop := func(err error) {
		if err == errAllGone {
			s.allGone.Store(true)
		}
		s.fail(err)
	}
	flush := func(q int) error {
		bs := pend[q]
		pend[q], pendRows[q] = nil, 0
		if len(bs) == 0 {
			return nil
		}
		defer func() {
			for _, b := range bs {
				b.Release()
			}
		}()
		if s.gone[q].Load() {
			return nil
		}
		b, err := ops.ConcatBatches(s.alloc, s.schema, bs)
		if err != nil {
			return err
		}
		defer b.Release()
		return s.send(ctx, q, b)
	}
	if err := exec.Open(ctx, in); err != nil {
		stop(err)
		return
	}
	pt := ops.NewPartitioner(s.schema, s.keys, n)
	// deal sends one batch's rows to their outlets.
	deal := func(b arrow.RecordBatch, rows int) error {
		if s.broadcast {
			for q := 0; q < n; q++ {
				if err := s.send(ctx, q, b); err != nil {
					return err
				}
			}
			return nil
		}
		if pt.Trivial() {
			return s.send(ctx, 0, b)
		}
		idx, bounds := pt.Split(b)
		for q := 0; q < n; q++ {
			lo, hi := bounds[q], bounds[q+1]
			if lo == hi || s.gone[q].Load() {
				continue
			}
			if int(hi-lo) == rows {
				// The whole batch goes to one place: no copy.
				if err := s.send(ctx, q, b); err != nil {
					return err
				}
				continue
			}
			sub := ops.TakeBatch(s.alloc, s.schema, b, idx[lo:hi])
			if int(hi-lo) >= minPiece {
				err := s.send(ctx, q, sub)
				sub.Release()
				if err != nil {
					return err
				}
				continue
			}
			pend[q] = append(pend[q], sub)
			pendRows[q] += int(hi - lo)
			if pendRows[q] >= flushRows {
				if err := flush(q); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for {
		b, err := exec.Next(ctx, in)
		if err == io.EOF {
			for q := range pend {
				if err := flush(q); err != nil {
					stop(err)
					return
				}
			}
			return
		}
		if err != nil {
			stop(err)
			return
		}
		rows := int(b.NumRows())
		if rows == 0 {
			continue
		}
		if b.Schema() != s.schema && !b.Schema().Equal(s.schema) {
			// Operators of one plan may name or flag their columns
			// differently; a stream's IPC writer takes one schema.
			r := array.NewRecordBatch(s.schema, b.Columns(), b.NumRows())
			err = deal(r, rows)
			r.Release()
		} else {
			err = deal(b, rows)
		}
		if err != nil {
			stop(err)
			return
		}
	}
}

// Close implements exec.Operator: it cancels and waits for the input
// goroutines, and ends every outlet (with a cancellation unless Next had
// finished), so consumers do not wait for rows that will not come.
func (s *Sender) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	started := s.started
	s.mu.Unlock()
	if !started {
		var errs []error
		for _, in := range s.inputs {
			errs = append(errs, in.Close())
		}
		s.mu.Lock()
		if s.err == nil {
			s.err = exec.Canceled(context.Canceled)
		}
		s.mu.Unlock()
		s.finish()
		return errors.Join(errs...)
	}
	s.fail(exec.Canceled(context.Canceled))
	<-s.done
	s.finish()
	return nil
}
