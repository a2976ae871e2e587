package exchange

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Transport settings. Fixed flow-control windows (which turn off gRPC's
// bandwidth estimation) bound what one stream has on the wire: a slow
// consumer stops its producer after about streamWindow bytes, and the
// windows are still large enough for loopback rates above 1 GB/s.
const (
	maxMessage   = 1 << 30
	streamWindow = 8 << 20
	connWindow   = 32 << 20
	writeBuffer  = 256 << 10
	readBuffer   = 256 << 10
)

// Client opens exchange calls to other nodes: one gRPC connection per node
// address, shared by all receivers and safe for concurrent use.
type Client struct {
	opts []grpc.DialOption

	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
	closed bool
}

// NewClient returns a client whose calls carry the token of clusterKey.
func NewClient(clusterKey []byte) *Client {
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage), grpc.ForceCodecV2(theWireCodec)),
		grpc.WithInitialWindowSize(streamWindow),
		grpc.WithInitialConnWindowSize(connWindow),
		grpc.WithWriteBufferSize(writeBuffer),
		grpc.WithReadBufferSize(readBuffer),
	}
	opts = append(opts, tokenCreds(Token(clusterKey))...)
	return &Client{opts: opts, conns: map[string]*grpc.ClientConn{}}
}

var errClientClosed = errors.New("exchange: client closed")

func (c *Client) flight(addr string) (flight.FlightServiceClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClientClosed
	}
	cc, ok := c.conns[addr]
	if !ok {
		var err error
		// NewClient connects lazily; a dead address fails the first call.
		if cc, err = grpc.NewClient("passthrough:///"+addr, c.opts...); err != nil {
			return nil, err
		}
		c.conns[addr] = cc
	}
	return flight.NewFlightServiceClient(cc), nil
}

// CancelQuery asks the node at addr to cancel query's streams
// (Service.CancelQuery there).
func (c *Client) CancelQuery(ctx context.Context, addr, query string) error {
	fc, err := c.flight(addr)
	if err != nil {
		return err
	}
	st, err := fc.DoAction(ctx, &flight.Action{Type: CancelAction, Body: []byte(query)})
	if err != nil {
		return fromStatus(ctx, addr, err, nil)
	}
	for {
		if _, err := st.Recv(); err != nil {
			if err == io.EOF {
				return nil
			}
			return fromStatus(ctx, addr, err, st.Trailer())
		}
	}
}

// Close closes every connection; calls in progress fail.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var errs []error
	for _, cc := range c.conns {
		errs = append(errs, cc.Close())
	}
	c.conns = nil
	return errors.Join(errs...)
}
