package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy relays one client connection to a server and watches the protocol
// on the way: when the client sent its first Query or Parse after startup,
// when the first DataRow came back, and how many DataRows the server sent.
// It measures clients that buffer a whole result before showing any of it
// (psql without FETCH_COUNT): the server's first row is what they would
// see first if they did not.
type Proxy struct {
	Addr string
	ln   net.Listener
	up   string

	mu       sync.Mutex
	queryAt  time.Time // first 'Q' or 'P' from the client
	firstRow time.Time // first 'D' from the server
	dataRows int64
	errs     []error
	wg       sync.WaitGroup
}

// NewProxy listens on a free loopback port and relays every connection to
// upstream.
func NewProxy(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Addr: ln.Addr().String(), ln: ln, up: upstream}
	go p.accept()
	return p, nil
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.relay(c)
		}()
	}
}

func (p *Proxy) relay(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.up)
	if err != nil {
		p.fail(err)
		return
	}
	defer server.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Client to server: the startup packet has no type byte, every
		// later message has one.
		if err := p.pipe(server, client, true, func(typ byte) {
			if typ == 'Q' || typ == 'P' {
				p.mu.Lock()
				if p.queryAt.IsZero() {
					p.queryAt = time.Now()
				}
				p.mu.Unlock()
			}
		}); err != nil {
			p.fail(err)
		}
		// The client is done: let the server see EOF too.
		if tc, ok := server.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	if err := p.pipe(client, server, false, func(typ byte) {
		if typ == 'D' {
			p.mu.Lock()
			if p.firstRow.IsZero() {
				p.firstRow = time.Now()
			}
			p.dataRows++
			p.mu.Unlock()
		}
	}); err != nil {
		p.fail(err)
	}
	client.Close()
	<-done
}

// pipe copies messages from src to dst, calling seen with each message
// type. startup means the first message is untyped (length and body only).
func (p *Proxy) pipe(dst io.Writer, src io.Reader, startup bool, seen func(byte)) error {
	buf := make([]byte, 64<<10)
	var hdr [5]byte
	for {
		h := hdr[:]
		if startup {
			// The benchmarks disable SSL and GSS encryption, so the one
			// untyped packet is the StartupMessage.
			h = hdr[1:]
		}
		if _, err := io.ReadFull(src, h); err != nil {
			if err == io.EOF || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		n := int(binary.BigEndian.Uint32(hdr[1:])) - 4
		if n < 0 {
			return fmt.Errorf("proxy: bad message length %d", n+4)
		}
		if !startup {
			seen(hdr[0])
		}
		startup = false
		if _, err := dst.Write(h); err != nil {
			return err
		}
		for n > 0 {
			k := min(n, len(buf))
			if _, err := io.ReadFull(src, buf[:k]); err != nil {
				return err
			}
			if _, err := dst.Write(buf[:k]); err != nil {
				return err
			}
			n -= k
		}
	}
}

func (p *Proxy) fail(err error) {
	p.mu.Lock()
	p.errs = append(p.errs, err)
	p.mu.Unlock()
}

// Close stops listening and waits for relayed connections to end.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

// ProxyStats is what the proxy saw.
type ProxyStats struct {
	FirstRow time.Duration // first Query/Parse to first DataRow
	Rows     int64         // DataRow messages
}

// Stats returns what the proxy saw, or the first relay error.
func (p *Proxy) Stats() (ProxyStats, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.errs) > 0 {
		return ProxyStats{}, p.errs[0]
	}
	if p.queryAt.IsZero() || p.firstRow.IsZero() {
		return ProxyStats{Rows: p.dataRows}, fmt.Errorf("proxy: no query or no row seen")
	}
	return ProxyStats{FirstRow: p.firstRow.Sub(p.queryAt), Rows: p.dataRows}, nil
}
