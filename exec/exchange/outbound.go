package exchange

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/ops"
)

// ErrConsumerGone is returned by Send when the stream's consumer stopped
// reading before the end (it needs no more rows, as under a LIMIT); the
// producer may drop that destination's rows.
var ErrConsumerGone = errors.New("exchange: consumer stopped reading")

// Outlet is where a Sender puts the rows of one destination partition.
// *Outbound is the one that crosses nodes.
type Outlet interface {
	// Send queues b for the consumer, keeping its own reference, and waits
	// while the outlet is full. It fails with ErrConsumerGone when nobody
	// will read the rows, or with the query's error once it is canceled.
	Send(ctx context.Context, b arrow.RecordBatch) error
	// Close ends the stream: nil after the last batch, otherwise the
	// producer's failure, which the consumer receives instead of more rows.
	// Only the first Close counts.
	Close(err error)
}

var _ Outlet = (*Outbound)(nil)

type queued struct {
	b    arrow.RecordBatch
	size int64
}

// Outbound is one registered output stream: a queue bounded in bytes
// between the producing task and the DoGet call shipping it to the
// consumer. It is safe for several producer goroutines.
type Outbound struct {
	svc    *Service
	key    StreamKey
	schema *arrow.Schema
	limit  int64

	mu     sync.Mutex
	queue  []queued
	bytes  int64 // bytes queued now
	peak   int64 // most bytes ever queued
	closed bool  // the producer called Close
	perr   error // the producer's failure
	abort  error // set when the stream ends early (consumer gone, query canceled)
	reader bool  // a DoGet has attached
	// space is closed (and replaced) whenever room appears or the stream
	// aborts; avail whenever a batch arrives, the producer closes or the
	// stream aborts. Waiters take the current channel under mu.
	space chan struct{}
	avail chan struct{}

	rows atomic.Int64 // rows handed to the consumer's call
	wire atomic.Int64 // IPC bytes written to the wire (compressed)
}

func newOutbound(svc *Service, key StreamKey, schema *arrow.Schema, limit int64) *Outbound {
	return &Outbound{svc: svc, key: key, schema: schema, limit: limit, space: make(chan struct{}), avail: make(chan struct{})}
}

// Key is the stream's name.
func (o *Outbound) Key() StreamKey { return o.key }

// PeakQueued is the most bytes the queue ever held: at most the limit, or
// one batch when a single batch is larger.
func (o *Outbound) PeakQueued() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.peak
}

// Rows is the number of rows shipped so far; WireBytes their encoded size.
func (o *Outbound) Rows() int64      { return o.rows.Load() }
func (o *Outbound) WireBytes() int64 { return o.wire.Load() }

func signal(ch *chan struct{}) {
	close(*ch)
	*ch = make(chan struct{})
}

// Send implements Outlet.
func (o *Outbound) Send(ctx context.Context, b arrow.RecordBatch) error {
	size := ops.BatchBytes(b)
	for {
		o.mu.Lock()
		if o.abort != nil {
			err := o.abort
			o.mu.Unlock()
			return err
		}
		if o.closed {
			o.mu.Unlock()
			return errInternal("exchange: send on closed stream %s", o.key)
		}
		// An empty queue takes any batch, so one batch larger than the
		// limit still passes.
		if o.bytes == 0 || o.bytes+size <= o.limit {
			b.Retain()
			o.queue = append(o.queue, queued{b, size})
			o.bytes += size
			o.peak = max(o.peak, o.bytes)
			signal(&o.avail)
			o.mu.Unlock()
			return nil
		}
		wait := o.space
		o.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return exec.Canceled(ctx.Err())
		}
	}
}

// Close implements Outlet. A failure drops what is queued: the consumer
// gets the error next, not the rows before it.
func (o *Outbound) Close(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || o.abort != nil {
		return
	}
	o.closed = true
	if err != nil {
		o.perr = err
		o.dropQueue()
	}
	signal(&o.avail)
}

// next is the consumer side: the next queued batch (owned by the caller),
// io.EOF after the last, or the producer's error or the abort reason.
func (o *Outbound) next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		o.mu.Lock()
		if o.abort != nil {
			err := o.abort
			o.mu.Unlock()
			return nil, err
		}
		if len(o.queue) > 0 {
			q := o.queue[0]
			o.queue[0] = queued{}
			o.queue = o.queue[1:]
			o.bytes -= q.size
			signal(&o.space)
			o.mu.Unlock()
			return q.b, nil
		}
		if o.perr != nil {
			err := o.perr
			o.mu.Unlock()
			return nil, err
		}
		if o.closed {
			o.mu.Unlock()
			return nil, io.EOF
		}
		wait := o.avail
		o.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// stop ends the stream early with err (for producers) and frees the queue.
// It reports whether this call did it.
func (o *Outbound) stop(err error) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.abort != nil {
		return false
	}
	o.abort = err
	o.dropQueue()
	signal(&o.space)
	signal(&o.avail)
	return true
}

func (o *Outbound) dropQueue() {
	for _, q := range o.queue {
		q.b.Release()
	}
	o.queue = nil
	o.bytes = 0
}

// attach marks the stream as read by one call; a second reader is refused
// because rows go to exactly one consumer.
func (o *Outbound) attach() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.reader {
		return false
	}
	o.reader = true
	return true
}
