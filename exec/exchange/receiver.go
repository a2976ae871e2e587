package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Receiver is the operator that reads one stream from the node at addr: the
// consuming end of a Flight exchange. Put one per producing task under an
// ops.Gather to read a partition from all of them.
type Receiver struct {
	client *Client
	addr   string
	key    StreamKey
	schema *arrow.Schema
	alloc  memory.Allocator

	cancel context.CancelFunc // ends the call
	call   flight.FlightService_DoGetClient
	rdr    *ipc.Reader
	mr     *msgReader        // rdr's
	out    arrow.RecordBatch // a batch re-labelled with the plan's schema
	done   bool
	failed bool

	rows atomic.Int64
	wire atomic.Int64
}

var _ exec.Operator = (*Receiver)(nil)

// NewReceiver reads stream key from the node at addr. Its batches have
// schema (the plan's, which the stream must match); alloc holds decompressed
// buffers.
func NewReceiver(c *Client, addr string, key StreamKey, schema *arrow.Schema, alloc memory.Allocator) *Receiver {
	return &Receiver{client: c, addr: addr, key: key, schema: schema, alloc: alloc}
}

// Schema implements exec.Operator.
func (r *Receiver) Schema() *arrow.Schema { return r.schema }

// Rows and WireBytes are what the receiver has read so far (rows, and the
// encoded bytes on the wire), for EXPLAIN ANALYZE.
func (r *Receiver) Rows() int64      { return r.rows.Load() }
func (r *Receiver) WireBytes() int64 { return r.wire.Load() }

// Open implements exec.Operator: it starts the call, which lives until
// Close (or the end of ctx).
func (r *Receiver) Open(ctx context.Context) error {
	if r.call != nil || r.done {
		return nil
	}
	fc, err := r.client.flight(r.addr)
	if err != nil {
		return &sqlerr.Error{Code: codeConnectionFailure, Message: fmt.Sprintf("exchange: node %s: %v", r.addr, err), Err: err}
	}
	cctx, cancel := context.WithCancel(ctx)
	call, err := fc.DoGet(cctx, &flight.Ticket{Ticket: r.key.ticket()})
	if err != nil {
		cancel()
		return fromStatus(ctx, r.addr, err, nil)
	}
	r.cancel, r.call = cancel, call
	return nil
}

// Next implements exec.Operator.
func (r *Receiver) Next(ctx context.Context) (arrow.RecordBatch, error) {
	r.releaseOut()
	if r.done || r.failed {
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		r.failed = true
		return nil, exec.Canceled(err)
	}
	if r.call == nil {
		if err := r.Open(ctx); err != nil {
			r.failed = true
			return nil, err
		}
	}
	// Receiving waits on the call's context; end it if this call's ends.
	stop := context.AfterFunc(ctx, r.cancel)
	defer stop()
	if r.rdr == nil {
		r.mr = newMsgReader(r.call, r.alloc, &r.wire)
		rdr, err := ipc.NewReaderFromMessageReader(r.mr, ipc.WithAllocator(r.alloc))
		if err != nil {
			return nil, r.fail(ctx, err)
		}
		r.rdr = rdr
		if err := sameTypes(rdr.Schema(), r.schema); err != nil {
			r.failed = true
			return nil, errInternal("exchange: stream %s from %s: %v", r.key, r.addr, err)
		}
	}
	for r.rdr.Next() {
		b := r.rdr.RecordBatch()
		if b.NumRows() == 0 {
			continue
		}
		r.rows.Add(b.NumRows())
		if !b.Schema().Equal(r.schema) {
			// Same types (checked above), maybe other names or
			// metadata: present the plan's schema.
			r.releaseOut()
			r.out = array.NewRecordBatch(r.schema, b.Columns(), b.NumRows())
			return r.out, nil
		}
		return b, nil
	}
	if err := r.rdr.Err(); err != nil {
		return nil, r.fail(ctx, err)
	}
	r.done = true
	return nil, io.EOF
}

func (r *Receiver) releaseOut() {
	if r.out != nil {
		r.out.Release()
		r.out = nil
	}
}

func (r *Receiver) fail(ctx context.Context, err error) error {
	r.failed = true
	if r.mr != nil && r.mr.err != nil {
		err = r.mr.err
	}
	var tr metadata.MD
	if r.call != nil {
		tr = r.call.Trailer()
	}
	return fromStatus(ctx, r.addr, err, tr)
}

// Close implements exec.Operator: it ends the call (the producer's side
// sees the consumer go) and frees the reader's buffers.
func (r *Receiver) Close() error {
	r.releaseOut()
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
	if r.rdr != nil {
		r.rdr.Release()
		r.rdr = nil
	}
	if r.call != nil {
		// Drain so the stream's resources go now rather than at GC.
		for {
			if _, err := r.call.Recv(); err != nil {
				break
			}
		}
		r.call = nil
	}
	r.done = true
	return nil
}

// sameTypes checks that a stream's columns have the plan's types.
func sameTypes(got, want *arrow.Schema) error {
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("%d columns, want %d", got.NumFields(), want.NumFields())
	}
	for i := range got.NumFields() {
		if !arrow.TypeEqual(got.Field(i).Type, want.Field(i).Type) {
			return fmt.Errorf("column %d is %s, want %s", i, got.Field(i).Type, want.Field(i).Type)
		}
	}
	return nil
}

// fromStatus turns a failed call into the error the query reports: the
// producer's own error when it sent one, a cancellation when ctx ended, a
// connection failure (08006) when the node is unreachable.
func fromStatus(ctx context.Context, addr string, err error, trailer metadata.MD) error {
	if cerr := ctx.Err(); cerr != nil {
		return exec.Canceled(cerr)
	}
	st, ok := status.FromError(err)
	if !ok {
		if errors.Is(err, errClientClosed) {
			return &sqlerr.Error{Code: codeAdminShutdown, Message: "exchange: node shutting down", Err: err}
		}
		return errInternal("exchange: reading from %s: %v", addr, err)
	}
	if states := trailer.Get(sqlstateTrailer); len(states) == 1 && st.Code() == codes.Aborted {
		return &sqlerr.Error{Code: states[0], Message: st.Message()}
	}
	switch st.Code() {
	case codes.Unavailable:
		return &sqlerr.Error{Code: codeConnectionFailure, Message: fmt.Sprintf("exchange: node %s unreachable: %s", addr, st.Message()), Err: err}
	case codes.Unauthenticated:
		return &sqlerr.Error{Code: codeInvalidAuthorization, Message: fmt.Sprintf("exchange: node %s refused this node: %s", addr, st.Message()), Err: err}
	case codes.Canceled:
		return exec.Canceled(context.Canceled)
	}
	return errInternal("exchange: node %s: %s: %s", addr, st.Code(), st.Message())
}

// msgReader is the ipc.MessageReader of a Receiver: the IPC messages of
// the call's FlightData, with compressed bodies (codec.go) decoded into
// memory from the receiver's allocator, so the query accounts for them and
// each goes back when the last array reading it is released. (A plain
// body stays in the gRPC message it arrived in, as with flight's reader.)
type msgReader struct {
	c interface {
		Recv() (*flight.FlightData, error)
	}
	alloc memory.Allocator
	wire  *atomic.Int64 // encoded bytes received
	msg   *ipc.Message  // the last message, released at the next
	refs  atomic.Int64
	// err is the call's or the decoder's error as it was, before the IPC
	// reader wrapped it into its own text.
	err error
}

var _ ipc.MessageReader = (*msgReader)(nil)

func newMsgReader(c flight.FlightService_DoGetClient, alloc memory.Allocator, wire *atomic.Int64) *msgReader {
	m := &msgReader{c: c, alloc: alloc, wire: wire}
	m.refs.Store(1)
	return m
}

func (m *msgReader) Message() (*ipc.Message, error) {
	m.releaseMsg()
	for {
		fd, err := m.c.Recv()
		if err != nil {
			m.err = err
			return nil, err
		}
		m.wire.Add(int64(len(fd.DataHeader) + len(fd.AppMetadata) + len(fd.DataBody)))
		if len(fd.DataHeader) == 0 {
			continue // no IPC message in it
		}
		var body *memory.Buffer
		if len(fd.AppMetadata) == 0 {
			body = memory.NewBufferBytes(fd.DataBody)
		} else {
			body = memory.NewResizableBuffer(m.alloc)
			_, err := decodeBody(fd.AppMetadata, fd.DataBody, func(n int) []byte {
				body.Resize(n)
				return body.Bytes()
			})
			if err != nil {
				body.Release()
				m.err = err
				return nil, err
			}
		}
		meta := memory.NewBufferBytes(fd.DataHeader)
		m.msg = ipc.NewMessage(meta, body) // takes its own references
		meta.Release()
		body.Release()
		return m.msg, nil
	}
}

func (m *msgReader) releaseMsg() {
	if m.msg != nil {
		m.msg.Release()
		m.msg = nil
	}
}

func (m *msgReader) Retain() { m.refs.Add(1) }

func (m *msgReader) Release() {
	if m.refs.Add(-1) == 0 {
		m.releaseMsg()
	}
}
