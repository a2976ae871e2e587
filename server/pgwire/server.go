// Package pgwire serves the PostgreSQL v3 wire protocol over the embedded
// engine: startup with TLS, authentication (trust on loopback, cleartext
// password, md5, SCRAM-SHA-256), the simple and the extended query
// protocols, cancel requests, session settings and transaction status, so
// that psql, drivers and BI tools talk to Basalt as to PostgreSQL 16.
//
// Each connection runs in its own goroutine; a panic or malformed input in
// one connection ends that connection only. Results stream: rows are
// encoded batch by batch straight from the engine's Arrow batches into the
// socket buffer, which is written out whenever it grows past a few hundred
// kilobytes.
package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/basaltdb/basalt/server/engine"
)

// Config configures a Server.
type Config struct {
	Engine *engine.Engine
	// Logf, if set, receives one line per connection-level failure.
	Logf func(format string, args ...any)
	// TLS, when set, answers SSLRequest with 'S' and a TLS handshake;
	// without it the answer is 'N' and clients continue in the clear.
	TLS *tls.Config
	// Auth is how clients authenticate (AuthTrust when zero); Users are
	// the accounts the password methods check.
	Auth  AuthMethod
	Users *Users
	// StartupTimeout bounds startup and authentication, so a client that
	// connects and says nothing does not hold a connection (PostgreSQL's
	// authentication_timeout; 60 s when zero).
	StartupTimeout time.Duration
	// WriteTimeout, when positive, bounds each write to a client: one that
	// stops reading for longer is disconnected and its statement ends,
	// releasing its memory. Zero waits forever, as PostgreSQL does.
	WriteTimeout time.Duration
}

// Server accepts PostgreSQL connections.
type Server struct {
	cfg    Config
	nextID atomic.Uint32

	mu       sync.Mutex
	conns    map[uint32]*conn
	lns      map[net.Listener]struct{}
	closing  bool
	wg       sync.WaitGroup
	baseCtx  context.Context
	stopConn context.CancelFunc
	// starting holds connections still in startup, which are not in conns
	// yet, so that a forced shutdown can close them too.
	starting map[net.Conn]struct{}
	// mockKey salts the fake SCRAM exchange of unknown users.
	mockKey [32]byte
}

// New returns a server over cfg.Engine.
func New(cfg Config) *Server {
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	if cfg.StartupTimeout <= 0 {
		cfg.StartupTimeout = 60 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, conns: map[uint32]*conn{}, lns: map[net.Listener]struct{}{}, baseCtx: ctx, stopConn: cancel, starting: map[net.Conn]struct{}{}}
	_, _ = rand.Read(s.mockKey[:])
	return s
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("pgwire: server closed")

// Serve accepts connections on ln until Shutdown; it always returns a
// non-nil error (ErrServerClosed after Shutdown).
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
	}()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(nc)
		}()
	}
}

// Shutdown stops accepting connections, lets running statements finish
// until ctx ends, then cancels them and closes every connection.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for ln := range s.lns {
		ln.Close()
	}
	for _, c := range s.conns {
		c.closeWhenIdle()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.stopConn()
	s.mu.Lock()
	for _, c := range s.conns {
		c.nc.Close()
	}
	for nc := range s.starting {
		nc.Close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// register gives c a process id and secret key for cancel requests.
func (s *Server) register(c *conn) {
	var key [4]byte
	_, _ = rand.Read(key[:])
	c.secret = binary.BigEndian.Uint32(key[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		id := s.nextID.Add(1)
		if id == 0 {
			continue
		}
		if _, used := s.conns[id]; !used {
			c.pid = id
			s.conns[id] = c
			return
		}
	}
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	if s.conns[c.pid] == c {
		delete(s.conns, c.pid)
	}
	s.mu.Unlock()
}

// cancel handles a CancelRequest: the running statement of the
// connection with this key, if any, is canceled. A wrong key does nothing,
// as in PostgreSQL, so keys cannot be probed.
func (s *Server) cancel(pid uint32, secret []byte) {
	if len(secret) != 4 {
		return
	}
	s.mu.Lock()
	c := s.conns[pid]
	s.mu.Unlock()
	if c != nil && c.secret == binary.BigEndian.Uint32(secret) {
		c.cancelRunning(errUserCancel)
	}
}
