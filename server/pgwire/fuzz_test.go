package pgwire

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/server/engine"
)

// FuzzMessages feeds arbitrary byte streams to a server connection as if a
// client had sent them (startup packets, then messages) and checks that the
// connection ends without a panic or a hang, that it leaves no session
// behind, and that the server then still serves a good client. The first
// byte picks the server: trust with TLS, cleartext password, or SCRAM.
//
//	go test -run '^$' -fuzz '^FuzzMessages$' -fuzztime 20s ./server/pgwire
func FuzzMessages(f *testing.F) {
	for _, s := range fuzzSeeds() {
		for variant := byte(0); variant < 3; variant++ {
			f.Add(append([]byte{variant}, s...))
		}
	}
	env := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		fs := env.servers[int(data[0])%len(env.servers)]
		fc := newFuzzConn(data[1:])
		fs.ln.push(fc)
		select {
		case <-fc.closed:
		case <-time.After(3 * time.Second):
			// A statement from the input may legitimately run long
			// (pg_sleep, a huge series); cancel it as a client would.
			fs.cancelAll()
			select {
			case <-fc.closed:
			case <-time.After(20 * time.Second):
				t.Fatalf("the connection neither ended nor let its statement be canceled (%d bytes of input, %d read)", len(data)-1, fc.consumed())
			}
		}
		if msg := fs.panicked(); msg != "" {
			t.Fatalf("the server panicked: %s", msg)
		}
		if n := fs.sessions(); n != 0 {
			t.Fatalf("%d sessions left registered after their connections ended", n)
		}
		fs.goodClient(t)
	})
}

// fuzzEnv is one engine and three servers shared by all fuzz inputs.
type fuzzEnv struct {
	servers []*fuzzServer
}

type fuzzServer struct {
	srv  *Server
	ln   *chanListener
	user string
	pw   string
	tls  bool

	mu     sync.Mutex
	panics []string
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	eng, err := engine.Open(context.Background(), engine.Config{DataDir: f.TempDir(), Parallelism: 1})
	if err != nil {
		f.Fatal(err)
	}
	users := NewUsers()
	if err := users.Add("fuzz", "fuzz-pw"); err != nil {
		f.Fatal(err)
	}
	env := &fuzzEnv{}
	for _, v := range []struct {
		auth AuthMethod
		tls  bool
	}{{AuthTrust, true}, {AuthPassword, false}, {AuthSCRAM, false}} {
		fs := &fuzzServer{ln: newChanListener(), user: "fuzz", pw: "fuzz-pw", tls: v.tls}
		cfg := Config{Engine: eng, Auth: v.auth, Users: users, StartupTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second}
		cfg.Logf = func(format string, args ...any) {
			if line := fmt.Sprintf(format, args...); strings.Contains(line, "panic") {
				fs.mu.Lock()
				fs.panics = append(fs.panics, line)
				fs.mu.Unlock()
			}
		}
		if v.tls {
			cfg.TLS = fuzzTLS(f)
		}
		fs.srv = New(cfg)
		go fs.srv.Serve(fs.ln)
		env.servers = append(env.servers, fs)
	}
	f.Cleanup(func() {
		for _, fs := range env.servers {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			fs.srv.Shutdown(ctx)
			cancel()
		}
		eng.Close()
	})
	return env
}

func (fs *fuzzServer) panicked() string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return strings.Join(fs.panics, "\n")
}

func (fs *fuzzServer) sessions() int {
	fs.srv.mu.Lock()
	defer fs.srv.mu.Unlock()
	return len(fs.srv.conns)
}

func (fs *fuzzServer) cancelAll() {
	fs.srv.mu.Lock()
	defer fs.srv.mu.Unlock()
	for _, c := range fs.srv.conns {
		c.cancelRunning(errUserCancel)
	}
}

// goodClient connects with pgx over an in-memory pipe and runs a query.
func (fs *fuzzServer) goodClient(t *testing.T) {
	t.Helper()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://%s:%s@127.0.0.1:5432/basalt?sslmode=disable", fs.user, fs.pw))
	if err != nil {
		t.Fatal(err)
	}
	var ended []chan struct{}
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		client, server := net.Pipe()
		nc := &notifyConn{Conn: server, closed: make(chan struct{})}
		ended = append(ended, nc.closed)
		fs.ln.push(nc)
		return client, nil
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("a good client cannot connect after the input: %v", err)
	}
	var n int64
	if err := c.QueryRow(ctx, "select $1::int8 + 1", 41).Scan(&n); err != nil || n != 42 {
		t.Fatalf("a good client's query after the input: %v %d", err, n)
	}
	c.Close(ctx)
	// The next input checks that no session lingers: wait for this one.
	for _, e := range ended {
		select {
		case <-e:
		case <-ctx.Done():
			t.Fatal("the good client's connection did not end")
		}
	}
}

// notifyConn reports when the server closes it.
type notifyConn struct {
	net.Conn
	closed chan struct{}
	once   sync.Once
}

func (c *notifyConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// fuzzConn is a client connection that sends the fuzz input and then
// reaches end of file; what the server writes is kept (up to a bound, after
// which writes fail as on a connection the client dropped).
type fuzzConn struct {
	in     *bytes.Reader
	mu     sync.Mutex
	out    int
	closed chan struct{}
	once   sync.Once
}

func newFuzzConn(in []byte) *fuzzConn {
	return &fuzzConn{in: bytes.NewReader(in), closed: make(chan struct{})}
}

var errFuzzFull = errors.New("fuzz client stopped reading")

func (c *fuzzConn) Read(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.in.Read(p)
}

func (c *fuzzConn) consumed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int(c.in.Size()) - c.in.Len()
}

func (c *fuzzConn) Write(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.out += len(p); c.out > 4<<20 {
		return 0, errFuzzFull
	}
	return len(p), nil
}

func (c *fuzzConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *fuzzConn) LocalAddr() net.Addr              { return pipeAddr{} }
func (c *fuzzConn) RemoteAddr() net.Addr             { return pipeAddr{} }
func (c *fuzzConn) SetDeadline(time.Time) error      { return nil }
func (c *fuzzConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fuzzConn) SetWriteDeadline(time.Time) error { return nil }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// chanListener hands the server connections pushed to it.
type chanListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) push(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return pipeAddr{} }

func fuzzTLS(f *testing.F) *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"fuzz"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// fuzzSeeds are well-formed conversations and near misses.
func fuzzSeeds() [][]byte {
	enc := func(msgs ...pgproto3.FrontendMessage) []byte {
		var b []byte
		for _, m := range msgs {
			var err error
			if b, err = m.Encode(b); err != nil {
				panic(err)
			}
		}
		return b
	}
	startup := func(params ...string) []byte {
		p := map[string]string{"user": "fuzz", "database": "basalt"}
		for i := 0; i+1 < len(params); i += 2 {
			p[params[i]] = params[i+1]
		}
		return enc(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: p})
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	special := func(code uint32, extra ...byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(extra)))
		b = binary.BigEndian.AppendUint32(b, code)
		return append(b, extra...)
	}
	pw := enc(&pgproto3.PasswordMessage{Password: "fuzz-pw"})
	q := func(s string) []byte { return enc(&pgproto3.Query{String: s}) }
	ext := enc(
		&pgproto3.Parse{Name: "s1", Query: "select $1::int4 + 1, $2::text", ParameterOIDs: []uint32{23, 25}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s1"},
		&pgproto3.Bind{DestinationPortal: "p1", PreparedStatement: "s1", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 7}, []byte("x")}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P', Name: "p1"},
		&pgproto3.Execute{Portal: "p1", MaxRows: 1},
		&pgproto3.Close{ObjectType: 'P', Name: "p1"},
		&pgproto3.Sync{},
		&pgproto3.Bind{PreparedStatement: "nosuch"},
		&pgproto3.Execute{Portal: "nosuch"},
		&pgproto3.Flush{},
		&pgproto3.Sync{},
	)
	scram := enc(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=rOprNGfwEbeRWgbNEkqO")},
		&pgproto3.SASLResponse{Data: []byte("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")})
	term := enc(&pgproto3.Terminate{})
	return [][]byte{
		startup(),
		cat(startup(), q("select 1; select 'a' || 'b'; ;"), term),
		cat(startup(), pw, q("select 1"), term),
		cat(startup(), scram, q("select 1")),
		cat(startup("application_name", "x", "DateStyle", "ISO", "statement_timeout", "100"), ext, term),
		cat(startup(), q("begin; select 1/0; select 1; rollback"), q("set extra_float_digits = 3; show all")),
		cat(startup(), q("select * from generate_series(1, 100000) g")),
		cat(startup(), enc(&pgproto3.CopyData{Data: []byte("x")}, &pgproto3.CopyDone{}, &pgproto3.CopyFail{Message: "no"}), q("select 1")),
		cat(special(sslRequestCode), startup(), q("select 1")),
		cat(special(gssEncRequestCode), special(sslRequestCode), startup()),
		special(cancelRequestCode, 0, 0, 0, 1, 0, 0, 0, 2),
		cat(special(3<<16|2), startup("_pq_.foo", "bar")),
		special(2 << 16),
		cat(startup(), []byte{'Q', 0, 0, 0, 4}),
		cat(startup(), []byte{'Q', 0x7f, 0, 0, 0}),
		{0, 0, 0, 9, 0, 3, 0, 0, 0},
	}
}
