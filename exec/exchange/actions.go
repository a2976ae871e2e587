package exchange

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc/status"
)

// ActionFunc serves one Flight action registered with Service.Handle: the
// request body in, one result body out. Errors reach the caller with their
// SQLSTATE, as a producer's do.
type ActionFunc func(ctx context.Context, body []byte) ([]byte, error)

// Handle serves the Flight action named typ with fn, on the same port and
// under the same token as the streams: the scheduler starts tasks and
// collects their statistics this way.
func (s *Service) Handle(typ string, fn ActionFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.actions == nil {
		s.actions = map[string]ActionFunc{}
	}
	s.actions[typ] = fn
}

// OnCancel registers fn to run (after the streams are stopped) whenever a
// query is canceled on this node, locally or by another node: the tasks
// running the query stop with it.
func (s *Service) OnCancel(fn func(query string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onCancel = append(s.onCancel, fn)
}

func (s *Service) action(typ string) ActionFunc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.actions[typ]
}

func (s *Service) cancelHooks() []func(string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]func(string){}, s.onCancel...)
}

// serveAction runs a registered action.
func (s *Service) serveAction(fn ActionFunc, a *flight.Action, stream flight.FlightService_DoActionServer) error {
	out, err := fn(stream.Context(), a.GetBody())
	if err != nil {
		if _, ok := status.FromError(err); ok {
			return err
		}
		return toStatus(stream, err)
	}
	return stream.Send(&flight.Result{Body: out})
}

// DoAction calls action typ on the node at addr and returns its result body.
func (c *Client) DoAction(ctx context.Context, addr, typ string, body []byte) ([]byte, error) {
	fc, err := c.flight(addr)
	if err != nil {
		return nil, err
	}
	st, err := fc.DoAction(ctx, &flight.Action{Type: typ, Body: body})
	if err != nil {
		return nil, fromStatus(ctx, addr, err, nil)
	}
	var out []byte
	for {
		r, err := st.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fromStatus(ctx, addr, err, st.Trailer())
		}
		out = append(out, r.GetBody()...)
	}
}
