package pgwire

import (
	"crypto/tls"
	"errors"
	"net"
	"time"
)

// errClientGone cancels a statement whose client has disconnected.
var errClientGone = errors.New("client disconnected")

// peerCheckEvery is how often a running statement checks that its client
// is still connected (PostgreSQL's client_connection_check_interval, which
// is off there by default; here a query that produces no rows for minutes
// would otherwise run on for nobody).
const peerCheckEvery = time.Second

// watchPeer cancels a running statement with errClientGone once the client
// has closed its connection, which is otherwise noticed only when rows are
// written. It returns the function that stops watching.
func (c *conn) watchPeer(cancel func(error)) (stop func()) {
	raw := c.nc
	if tc, ok := raw.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if !canPeek(raw) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(peerCheckEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if peerClosed(raw) {
					cancel(errClientGone)
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// canPeek reports whether peerClosed can look at nc's socket.
func canPeek(nc net.Conn) bool {
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}
