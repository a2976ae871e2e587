package exchange

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/exec"
)

// LocalReceiver reads a stream registered in this node's own Service
// straight from its queue: a consumer on the producer's node skips the
// IPC encoding, the gRPC call and the decoding, and shares the
// producer's batches. It behaves as a Receiver otherwise (waits for the
// producer to register, gets its error, stops it when closed early).
type LocalReceiver struct {
	svc    *Service
	key    StreamKey
	schema *arrow.Schema

	o      *Outbound
	cur    arrow.RecordBatch
	done   bool
	failed bool
	rows   atomic.Int64
}

var _ exec.Operator = (*LocalReceiver)(nil)

// NewLocalReceiver reads stream key of this node's service s; its batches
// have schema (the plan's, whose types the stream must have).
func (s *Service) NewLocalReceiver(key StreamKey, schema *arrow.Schema) *LocalReceiver {
	return &LocalReceiver{svc: s, key: key, schema: schema}
}

// Schema implements exec.Operator.
func (r *LocalReceiver) Schema() *arrow.Schema { return r.schema }

// Rows is the number of rows read so far.
func (r *LocalReceiver) Rows() int64 { return r.rows.Load() }

// Open implements exec.Operator: it finds the stream, waiting for its
// producer as a remote consumer's call would.
func (r *LocalReceiver) Open(ctx context.Context) error {
	if r.o != nil || r.done {
		return nil
	}
	o, err := r.svc.await(ctx, r.key)
	if err != nil {
		r.failed = true
		if ctx.Err() != nil {
			return exec.Canceled(ctx.Err())
		}
		return err
	}
	if !o.attach() {
		r.failed = true
		return errInternal("exchange: stream %s is already being read", r.key)
	}
	if err := sameTypes(o.schema, r.schema); err != nil {
		r.failed = true
		o.stop(ErrConsumerGone)
		r.svc.remove(o)
		return errInternal("exchange: stream %s: %v", r.key, err)
	}
	r.o = o
	return nil
}

// Next implements exec.Operator.
func (r *LocalReceiver) Next(ctx context.Context) (arrow.RecordBatch, error) {
	r.release()
	if r.done || r.failed {
		return nil, io.EOF
	}
	if r.o == nil {
		if err := r.Open(ctx); err != nil {
			return nil, err
		}
	}
	for {
		b, err := r.o.next(ctx)
		if err == io.EOF {
			r.finish()
			return nil, io.EOF
		}
		if err != nil {
			r.failed = true
			if ctx.Err() != nil {
				return nil, exec.Canceled(ctx.Err())
			}
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		r.rows.Add(b.NumRows())
		r.o.rows.Add(b.NumRows())
		if !b.Schema().Equal(r.schema) {
			r.cur = array.NewRecordBatch(r.schema, b.Columns(), b.NumRows())
			b.Release()
		} else {
			r.cur = b
		}
		return r.cur, nil
	}
}

func (r *LocalReceiver) release() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

// finish unregisters a stream read to its end.
func (r *LocalReceiver) finish() {
	r.done = true
	if r.o != nil {
		r.svc.remove(r.o)
	}
}

// Close implements exec.Operator: a stream not read to its end is stopped,
// so its producer does not wait for this consumer any more.
func (r *LocalReceiver) Close() error {
	r.release()
	if r.o != nil && !r.done {
		r.o.stop(ErrConsumerGone)
		r.svc.remove(r.o)
	}
	r.done = true
	return nil
}
