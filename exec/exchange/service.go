package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Compression is the body compression of the streams a node sends
// (codec.go).
type Compression int

const (
	LZ4  Compression = iota // fast, the default
	Zstd                    // a higher ratio than LZ4 at two thirds of its speed
	NoCompression
	// S2 (klauspost/compress's successor of Snappy) compresses about as
	// well as LZ4; its encoder is about 1.6 times as fast.
	S2
)

func (c Compression) String() string {
	switch c {
	case LZ4:
		return "lz4"
	case Zstd:
		return "zstd"
	case S2:
		return "s2"
	}
	return "none"
}

// ParseCompression reads a compression by name (as String writes it:
// "lz4", "zstd", "s2" or "none"); "" is the default, LZ4.
func ParseCompression(name string) (Compression, error) {
	for _, c := range []Compression{LZ4, Zstd, S2, NoCompression} {
		if name == c.String() {
			return c, nil
		}
	}
	if name == "" {
		return LZ4, nil
	}
	return 0, fmt.Errorf("exchange: unknown compression %q (want lz4, zstd, s2 or none)", name)
}

// Defaults of Config.
const (
	DefaultStreamBuffer = 4 << 20
	DefaultConsumerWait = 30 * time.Second
)

// Config configures a node's exchange service.
type Config struct {
	// ClusterKey is the secret the node's token derives from (Token).
	ClusterKey []byte
	// Compression of the streams this node sends (LZ4 when zero).
	Compression Compression
	// StreamBuffer is how many bytes one stream may queue before its
	// producer waits (DefaultStreamBuffer when 0).
	StreamBuffer int64
	// ConsumerWait is how long a DoGet waits for its stream's producer to
	// register (DefaultConsumerWait when 0): consumer tasks may start first.
	ConsumerWait time.Duration
	// Alloc allocates IPC encoding buffers (memory.DefaultAllocator if nil).
	Alloc memory.Allocator
	// Log receives refused calls (log.Default() if nil).
	Log *log.Logger
}

// How long a canceled query's id keeps refusing registrations: longer than
// any task takes to notice, short enough that the set stays small.
const tombstoneTTL = 10 * time.Minute

// sqlstateTrailer carries a producer error's SQLSTATE to the consumer.
const sqlstateTrailer = "basalt-sqlstate"

// CancelAction is the Flight action that cancels a query's streams on a
// node; its body is the query id.
const CancelAction = "basalt.cancel-query"

// Service is a node's Flight endpoint of the exchange: producers register
// output streams in it, consumers on other nodes read them with DoGet.
type Service struct {
	flight.BaseFlightServer

	cfg   Config
	auth  *authenticator
	alloc memory.Allocator

	mu         sync.Mutex
	streams    map[StreamKey]*Outbound
	tombs      map[string]tombstone
	registered chan struct{} // closed and replaced at every Register
	closed     bool
	srv        *grpc.Server
	actions    map[string]ActionFunc // actions.go
	onCancel   []func(query string)
}

type tombstone struct {
	err error
	at  time.Time
}

// NewService returns a service; Listen or Serve puts it on the network.
func NewService(cfg Config) *Service {
	if cfg.StreamBuffer <= 0 {
		cfg.StreamBuffer = DefaultStreamBuffer
	}
	if cfg.ConsumerWait <= 0 {
		cfg.ConsumerWait = DefaultConsumerWait
	}
	if cfg.Alloc == nil {
		cfg.Alloc = memory.DefaultAllocator
	}
	if cfg.Log == nil {
		cfg.Log = log.Default()
	}
	s := &Service{
		cfg:        cfg,
		auth:       &authenticator{token: Token(cfg.ClusterKey), log: cfg.Log},
		alloc:      cfg.Alloc,
		streams:    map[StreamKey]*Outbound{},
		tombs:      map[string]tombstone{},
		registered: make(chan struct{}),
	}
	s.srv = grpc.NewServer(
		grpc.ChainUnaryInterceptor(s.auth.unary),
		grpc.ChainStreamInterceptor(s.auth.stream),
		// A batch is one message; text columns can make one large.
		grpc.MaxRecvMsgSize(maxMessage),
		grpc.MaxSendMsgSize(maxMessage),
		grpc.WriteBufferSize(writeBuffer),
		grpc.InitialWindowSize(streamWindow),
		grpc.InitialConnWindowSize(connWindow),
		grpc.ForceServerCodecV2(theWireCodec),
	)
	flight.RegisterFlightServiceServer(s.srv, s)
	return s
}

// Listen serves on addr ("127.0.0.1:0" for a free port) in the background
// and returns the bound address.
func (s *Service) Listen(addr string) (net.Addr, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	go s.Serve(lis)
	return lis.Addr(), nil
}

// Serve serves on lis until Close.
func (s *Service) Serve(lis net.Listener) error {
	if err := s.srv.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// Close stops the service: calls in progress end and every registered
// stream is stopped, so its producer fails and its batches are freed.
func (s *Service) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	streams := s.streams
	s.streams = map[StreamKey]*Outbound{}
	s.mu.Unlock()
	s.srv.Stop()
	for _, o := range streams {
		o.stop(&sqlerr.Error{Code: codeAdminShutdown, Message: "terminating exchange stream: node shutting down"})
	}
}

// Register creates the output stream key of a producing task. Rows sent to
// it are shipped to the one consumer that calls DoGet with the key.
func (s *Service) Register(key StreamKey, schema *arrow.Schema) (*Outbound, error) {
	if !key.valid() {
		return nil, errInternal("exchange: invalid stream key %s", key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, &sqlerr.Error{Code: codeAdminShutdown, Message: "exchange: node shutting down"}
	}
	if t, ok := s.tombs[key.Query]; ok {
		return nil, t.err
	}
	if _, ok := s.streams[key]; ok {
		return nil, errInternal("exchange: stream %s registered twice", key)
	}
	o := newOutbound(s, key, schema, s.cfg.StreamBuffer)
	s.streams[key] = o
	signal(&s.registered)
	return o, nil
}

// CancelQuery stops every stream of query on this node with err (a
// cancellation when nil) and refuses the query's later registrations for a
// while. Producers waiting in Send get the error, consumers too; queued
// batches are freed. The coordinator calls it (here or through
// Client.CancelQuery) when a query is canceled or fails, and when it ends,
// to free streams nobody read.
func (s *Service) CancelQuery(query string, err error) {
	if err == nil {
		err = exec.Canceled(context.Canceled)
	}
	now := time.Now()
	var stop []*Outbound
	s.mu.Lock()
	for q, t := range s.tombs {
		if now.Sub(t.at) > tombstoneTTL {
			delete(s.tombs, q)
		}
	}
	s.tombs[query] = tombstone{err: err, at: now}
	for k, o := range s.streams {
		if k.Query == query {
			stop = append(stop, o)
			delete(s.streams, k)
		}
	}
	s.mu.Unlock()
	for _, o := range stop {
		o.stop(err)
	}
	for _, fn := range s.cancelHooks() {
		fn(query)
	}
}

// Streams is the number of registered streams (for tests and monitoring).
func (s *Service) Streams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

func (s *Service) remove(o *Outbound) {
	s.mu.Lock()
	if s.streams[o.key] == o {
		delete(s.streams, o.key)
	}
	s.mu.Unlock()
}

// await finds key's stream, waiting up to ConsumerWait for its producer.
func (s *Service) await(ctx context.Context, key StreamKey) (*Outbound, error) {
	timer := time.NewTimer(s.cfg.ConsumerWait)
	defer timer.Stop()
	for {
		s.mu.Lock()
		o := s.streams[key]
		t, dead := s.tombs[key.Query]
		wait := s.registered
		s.mu.Unlock()
		switch {
		case o != nil:
			return o, nil
		case dead:
			return nil, t.err
		}
		select {
		case <-wait:
		case <-timer.C:
			return nil, status.Errorf(codes.NotFound, "exchange: no stream %s registered within %s", key, s.cfg.ConsumerWait)
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
}

// DoGet ships one registered stream to its consumer.
func (s *Service) DoGet(t *flight.Ticket, stream flight.FlightService_DoGetServer) error {
	ctx := stream.Context()
	key, err := parseTicket(t.GetTicket())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	o, err := s.await(ctx, key)
	if err != nil {
		if _, ok := status.FromError(err); ok {
			return err
		}
		return toStatus(stream, err)
	}
	if !o.attach() {
		return status.Errorf(codes.FailedPrecondition, "exchange: stream %s is already being read", key)
	}
	finished := false
	defer func() {
		if !finished {
			// The consumer went away (or the wire broke): the producer
			// must not wait for it any longer.
			o.stop(ErrConsumerGone)
		}
		s.remove(o)
	}()
	pw := &payloadWriter{s: stream, enc: bodyEncoder{codec: s.cfg.Compression.codec()}, wire: &o.wire, widths: bufferWidths(o.schema)}
	w := ipc.NewWriterWithPayloadWriter(pw, ipc.WithSchema(o.schema), ipc.WithAllocator(s.alloc))
	for {
		b, err := o.next(ctx)
		if err == io.EOF {
			if err := w.Close(); err != nil {
				return status.Errorf(codes.Unavailable, "exchange: %v", err)
			}
			finished = true
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return status.FromContextError(ctx.Err()).Err()
			}
			// The producer failed or the query was canceled: the
			// consumer gets that error.
			finished = true
			return toStatus(stream, err)
		}
		n := b.NumRows()
		err = w.Write(b)
		b.Release()
		if err != nil {
			return status.Errorf(codes.Unavailable, "exchange: sending %s: %v", key, err)
		}
		o.rows.Add(n)
	}
}

// DoAction serves CancelAction.
func (s *Service) DoAction(a *flight.Action, stream flight.FlightService_DoActionServer) error {
	switch a.GetType() {
	case CancelAction:
		q := string(a.GetBody())
		if q == "" {
			return status.Error(codes.InvalidArgument, "exchange: cancel without a query id")
		}
		s.CancelQuery(q, nil)
		return stream.Send(&flight.Result{})
	}
	if fn := s.action(a.GetType()); fn != nil {
		return s.serveAction(fn, a, stream)
	}
	return status.Errorf(codes.Unimplemented, "exchange: unknown action %q", a.GetType())
}

// toStatus turns a producer's error into the status its consumer receives,
// with the SQLSTATE in a trailer so the consumer rebuilds the same error.
func toStatus(ss grpc.ServerStream, err error) error {
	code, msg := sqlerr.InternalError, err.Error()
	var se *sqlerr.Error
	if errors.As(err, &se) {
		code, msg = se.Code, se.Message
	}
	ss.SetTrailer(metadata.Pairs(sqlstateTrailer, code))
	return status.Error(codes.Aborted, msg)
}

// SQLSTATEs for failures of the exchange itself.
const (
	codeConnectionFailure    = "08006"
	codeInvalidAuthorization = "28000"
	codeAdminShutdown        = "57P01"
)

func errInternal(format string, args ...any) error {
	return &sqlerr.Error{Code: sqlerr.InternalError, Message: fmt.Sprintf(format, args...)}
}
