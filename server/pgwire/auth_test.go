package pgwire_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/server/pgwire"
)

// logBuf collects the server's log lines.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// startServerCfg serves the fixtures on ln (a loopback listener when nil)
// with the configuration mod sets.
func startServerCfg(t *testing.T, ln net.Listener, mod func(*pgwire.Config)) string {
	t.Helper()
	dir := t.TempDir()
	writeFixtures(t, dir)
	eng, err := engine.Open(context.Background(), engine.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	cfg := pgwire.Config{Engine: eng, Logf: t.Logf}
	if mod != nil {
		mod(&cfg)
	}
	srv := pgwire.New(cfg)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, pgwire.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
		eng.Close()
	})
	return ln.Addr().String()
}

// connectDSN connects with pgx and reports the error instead of failing.
func connectDSN(t *testing.T, dsn string) (*pgx.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err == nil {
		t.Cleanup(func() { c.Close(context.Background()) })
	}
	return c, err
}

func selectOne(t *testing.T, c *pgx.Conn) {
	t.Helper()
	var n int
	if err := c.QueryRow(context.Background(), "select 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("select 1: %v %d", err, n)
	}
}

// selfSignedCert writes a certificate for 127.0.0.1 and localhost and its
// key to dir.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func psqlPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed (apt-get install postgresql-client)")
	}
	return p
}

// runPsql runs one command with psql on a connection string; env adds
// variables such as PGPASSWORD.
func runPsql(t *testing.T, conninfo, command string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(psqlPath(t), "-X", "-A", "-t", "-w", "-d", conninfo, "-c", command)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PGPASSWORD=", "PGSSLMODE=", "PGGSSENCMODE=disable")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestTLS(t *testing.T) {
	certFile, keyFile := selfSignedCert(t, t.TempDir())
	tc, err := pgwire.LoadTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := startServerCfg(t, nil, func(c *pgwire.Config) { c.TLS = tc })
	host, port, _ := net.SplitHostPort(addr)

	for _, mode := range []string{"require", "verify-full", "prefer", "disable"} {
		dsn := fmt.Sprintf("postgres://u@%s/basalt?sslmode=%s&sslrootcert=%s", addr, mode, certFile)
		c, err := connectDSN(t, dsn)
		if err != nil {
			t.Fatalf("sslmode=%s: %v", mode, err)
		}
		_, isTLS := c.PgConn().Conn().(*tls.Conn)
		if isTLS != (mode != "disable") {
			t.Errorf("sslmode=%s: TLS %v", mode, isTLS)
		}
		selectOne(t, c)
	}

	out, err := runPsql(t, fmt.Sprintf("host=%s port=%s user=u dbname=basalt sslmode=require", host, port), `\conninfo`)
	if err != nil || !strings.Contains(out, "SSL connection") {
		t.Errorf("psql sslmode=require: %v: %s", err, out)
	}
	out, err = runPsql(t, fmt.Sprintf("host=%s port=%s user=u dbname=basalt sslmode=disable", host, port), "select 41+1")
	if err != nil || out != "42\n" {
		t.Errorf("psql sslmode=disable: %v: %q", err, out)
	}
}

func TestNoTLS(t *testing.T) {
	addr := startServer(t)
	if _, err := connectDSN(t, "postgres://u@"+addr+"/basalt?sslmode=require"); err == nil || !strings.Contains(err.Error(), "refused TLS") {
		t.Errorf("sslmode=require without a certificate: %v", err)
	}
	c, err := connectDSN(t, "postgres://u@"+addr+"/basalt?sslmode=prefer")
	if err != nil {
		t.Fatal(err)
	}
	selectOne(t, c)

	// A GSS encryption request is refused with 'N' and startup goes on.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	nc.Write([]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30})
	var b [1]byte
	if _, err := nc.Read(b[:]); err != nil || b[0] != 'N' {
		t.Fatalf("GSSENCRequest: %v %q", err, b[:])
	}
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u", "database": "basalt"}})
	fe.Flush()
	waitReady(t, fe)
}

// waitReady reads until ReadyForQuery, failing on an ErrorResponse.
func waitReady(t *testing.T, fe *pgproto3.Frontend) {
	t.Helper()
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.ErrorResponse:
			t.Fatalf("error %s: %s", m.Code, m.Message)
		case *pgproto3.ReadyForQuery:
			return
		}
	}
}

// usersFile holds one user of each secret kind, all with password pw-NAME.
func testUsers(t *testing.T) *pgwire.Users {
	t.Helper()
	scram, err := pgwire.SCRAMVerifier("pw-scramuser")
	if err != nil {
		t.Fatal(err)
	}
	// md5 verifier: "md5" + md5("pw-md5user" + "md5user"), as PostgreSQL stores it.
	file := "# users\nplain:pw-plain\n\nmd5user:md5a8c1a9ff9b5c72f7e8eeb1f4ea60e4f4\nscramuser:" + scram + "\nwéird:pw-wéird\n"
	file = strings.Replace(file, "md5a8c1a9ff9b5c72f7e8eeb1f4ea60e4f4", md5Of("pw-md5user"+"md5user"), 1)
	u, err := pgwire.ParseUsers(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if u.Len() != 4 {
		t.Fatalf("%d users", u.Len())
	}
	return u
}

func TestAuthMethods(t *testing.T) {
	users := testUsers(t)
	type want struct {
		first string // the first authentication request
		ok    []string
		fail  []string // right password, yet refused (as in PostgreSQL)
	}
	cases := map[pgwire.AuthMethod]want{
		pgwire.AuthPassword: {"*pgproto3.AuthenticationCleartextPassword", []string{"plain", "md5user", "scramuser", "wéird"}, nil},
		pgwire.AuthMD5:      {"*pgproto3.AuthenticationMD5Password", []string{"plain", "md5user", "scramuser", "wéird"}, nil},
		pgwire.AuthSCRAM:    {"*pgproto3.AuthenticationSASL", []string{"plain", "scramuser", "wéird"}, []string{"md5user"}},
	}
	for method, w := range cases {
		t.Run(method.String(), func(t *testing.T) {
			logs := &logBuf{}
			addr := startServerCfg(t, nil, func(c *pgwire.Config) {
				c.Auth, c.Users, c.Logf = method, users, logs.logf
			})
			host, port, _ := net.SplitHostPort(addr)
			dsn := func(user, pw string) string {
				return fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=basalt sslmode=disable", host, port, user, pw)
			}
			if got := firstAuthRequest(t, addr, "plain"); got != w.first {
				t.Errorf("first request %s, want %s", got, w.first)
			}
			for _, u := range w.ok {
				c, err := connectDSN(t, dsn(u, "pw-"+u))
				if err != nil {
					t.Fatalf("pgx %s: %v", u, err)
				}
				selectOne(t, c)
				var cur string
				if err := c.QueryRow(context.Background(), "show session_authorization").Scan(&cur); err == nil && cur != u {
					t.Errorf("session user %q, want %q", cur, u)
				}
				out, err := runPsql(t, fmt.Sprintf("host=%s port=%s user=%s dbname=basalt sslmode=disable", host, port, u), "select 7", "PGPASSWORD=pw-"+u)
				if err != nil || out != "7\n" {
					t.Errorf("psql %s: %v %q", u, err, out)
				}
			}
			for _, u := range w.fail {
				if _, err := connectDSN(t, dsn(u, "pw-"+u)); sqlState(err) != "28P01" {
					t.Errorf("%s: %v, want 28P01", u, err)
				}
			}
			bad := []struct{ user, pw string }{{"plain", "wrong"}, {"scramuser", "pw-plain"}, {"md5user", "x"}, {"nosuch", "pw-nosuch"}, {"plain", ""}}
			for _, b := range bad {
				_, err := connectDSN(t, dsn(b.user, b.pw))
				if sqlState(err) != "28P01" || !strings.Contains(err.Error(), `password authentication failed for user "`+b.user+`"`) {
					t.Errorf("%s/%q: %v, want 28P01", b.user, b.pw, err)
				}
			}
			out, err := runPsql(t, fmt.Sprintf("host=%s port=%s user=plain dbname=basalt sslmode=disable", host, port), "select 1", "PGPASSWORD=wrong")
			if err == nil || !strings.Contains(out, "password authentication failed") {
				t.Errorf("psql wrong password: %v %q", err, out)
			}
			if !strings.Contains(logs.String(), `refused: password authentication failed for user "nosuch"`) {
				t.Errorf("refusals not logged:\n%s", logs)
			}
			// The server still serves after the refusals.
			c, err := connectDSN(t, dsn("plain", "pw-plain"))
			if err != nil {
				t.Fatal(err)
			}
			selectOne(t, c)
		})
	}
}

// firstAuthRequest starts a session and returns the type of the server's
// first authentication message.
func firstAuthRequest(t *testing.T, addr, user string) string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": user, "database": "basalt"}})
	fe.Flush()
	m, err := fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%T", m)
}

// remoteListener makes every client look as if it came from another host.
type remoteListener struct{ net.Listener }

type remoteConn struct{ net.Conn }

func (remoteConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 40000}
}

func (l remoteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return remoteConn{c}, nil
}

func remoteServer(t *testing.T, mod func(*pgwire.Config)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startServerCfg(t, remoteListener{ln}, mod)
}

func TestTrustIsLoopbackOnly(t *testing.T) {
	logs := &logBuf{}
	addr := remoteServer(t, func(c *pgwire.Config) { c.Logf = logs.logf })
	_, err := connectDSN(t, "postgres://anyone@"+addr+"/basalt?sslmode=disable")
	if sqlState(err) != "28000" || !strings.Contains(err.Error(), `host "10.1.2.3"`) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("remote client under trust: %v, want 28000", err)
	}
	if !strings.Contains(logs.String(), "connection from 10.1.2.3:40000 refused") {
		t.Errorf("refusal not logged:\n%s", logs)
	}

	// With users, clients from other hosts log in with SCRAM; loopback
	// clients are still trusted.
	users := testUsers(t)
	raddr := remoteServer(t, func(c *pgwire.Config) { c.Users = users })
	c, err := connectDSN(t, "postgres://scramuser:pw-scramuser@"+raddr+"/basalt?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	selectOne(t, c)
	if _, err := connectDSN(t, "postgres://anyone@"+raddr+"/basalt?sslmode=disable"); sqlState(err) != "28P01" {
		t.Errorf("remote client without a password: %v, want 28P01", err)
	}
	laddr := startServerCfg(t, nil, func(c *pgwire.Config) { c.Users = users })
	c, err = connectDSN(t, "postgres://anyone@"+laddr+"/basalt?sslmode=disable")
	if err != nil {
		t.Fatalf("loopback under trust with users: %v", err)
	}
	selectOne(t, c)
}

func TestParseUsersErrors(t *testing.T) {
	for _, in := range []string{
		"nocolon\n",
		"a:x\na:y\n",
		"a:\n",
		":pw\n",
		"a:SCRAM-SHA-256$4096:c2FsdA==$bad\n",
		"a:SCRAM-SHA-256$0:c2FsdA==$" + strings.Repeat("A", 43) + "=:" + strings.Repeat("A", 43) + "=\n",
	} {
		if _, err := pgwire.ParseUsers(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	for _, m := range []string{"trust", "password", "md5", "scram-sha-256", "SCRAM-SHA-256"} {
		if _, err := pgwire.ParseAuthMethod(m); err != nil {
			t.Error(err)
		}
	}
	if _, err := pgwire.ParseAuthMethod("ident"); err == nil {
		t.Error("ident accepted")
	}
}

// TestVerifiersFromPostgres logs in with verifiers PostgreSQL 15 made
// itself (SET password_encryption; CREATE ROLE ... PASSWORD; SELECT
// rolpassword FROM pg_authid), so our SCRAM and md5 derivations, and the
// normalisation of a non-ASCII password, match PostgreSQL's.
func TestVerifiersFromPostgres(t *testing.T) {
	const file = `u:SCRAM-SHA-256$4096:68lSGpp1Brc9wHK8BgDFsA==$SMLz8zWmOV7PbYYNTljp1rkTcfs13Y7DVXZEkVf13Ak=:/+psQlQswj+HuLAwWnzW1bZMPn8MWmp7uNO5QKsMgt8=
wé:SCRAM-SHA-256$4096:QW1kfaU1vFnDBOpI8UsyZA==$JzhPD19f7YH2vaJu3M32Y6mFS3sFPGSqicZCfjJ4KL0=:Psk/8zlNu82cCdpkWz11RNkWFMlss/apsb2562VPqoA=
m:md59481550baa7fdb3c87867e4e94c3383c
`
	users, err := pgwire.ParseUsers(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	logins := []struct {
		user, pw string
		methods  []pgwire.AuthMethod
	}{
		{"u", "basalt", []pgwire.AuthMethod{pgwire.AuthSCRAM, pgwire.AuthMD5, pgwire.AuthPassword}},
		{"wé", "pässwörd", []pgwire.AuthMethod{pgwire.AuthSCRAM, pgwire.AuthPassword}},
		{"m", "pw-m", []pgwire.AuthMethod{pgwire.AuthMD5, pgwire.AuthPassword}},
	}
	for _, method := range []pgwire.AuthMethod{pgwire.AuthSCRAM, pgwire.AuthMD5, pgwire.AuthPassword} {
		addr := startServerCfg(t, nil, func(c *pgwire.Config) { c.Auth, c.Users = method, users })
		host, port, _ := net.SplitHostPort(addr)
		for _, l := range logins {
			for _, m := range l.methods {
				if m != method {
					continue
				}
				c, err := connectDSN(t, fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=basalt sslmode=disable", host, port, l.user, l.pw))
				if err != nil {
					t.Errorf("%s %s: %v", method, l.user, err)
					continue
				}
				selectOne(t, c)
				out, err := runPsql(t, fmt.Sprintf("host=%s port=%s user=%s dbname=basalt sslmode=disable", host, port, l.user), "select 1", "PGPASSWORD="+l.pw)
				if err != nil || out != "1\n" {
					t.Errorf("psql %s %s: %v %q", method, l.user, err, out)
				}
			}
		}
	}
}

func md5Of(s string) string {
	sum := md5.Sum([]byte(s))
	return "md5" + hex.EncodeToString(sum[:])
}

// TestSCRAMOverTLS: over TLS, clients that could bind channels say so
// ("y,," in the GS2 header) since the server offers no SCRAM-SHA-256-PLUS;
// the exchange must accept that, and refuse a client that insists on
// channel binding.
func TestSCRAMOverTLS(t *testing.T) {
	certFile, keyFile := selfSignedCert(t, t.TempDir())
	tc, err := pgwire.LoadTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	users := testUsers(t)
	addr := startServerCfg(t, nil, func(c *pgwire.Config) { c.TLS, c.Auth, c.Users = tc, pgwire.AuthSCRAM, users })
	host, port, _ := net.SplitHostPort(addr)
	c, err := connectDSN(t, "postgres://scramuser:pw-scramuser@"+addr+"/basalt?sslmode=require")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Error("not TLS")
	}
	selectOne(t, c)
	if _, err := connectDSN(t, "postgres://scramuser:wrong@"+addr+"/basalt?sslmode=require"); sqlState(err) != "28P01" {
		t.Errorf("wrong password over TLS: %v", err)
	}
	if _, err := connectDSN(t, "postgres://scramuser:pw-scramuser@"+addr+"/basalt?sslmode=require&channel_binding=require"); err == nil {
		t.Error("channel_binding=require accepted without SCRAM-SHA-256-PLUS")
	}
	out, err := runPsql(t, fmt.Sprintf("host=%s port=%s user=scramuser dbname=basalt sslmode=require", host, port), `select 3`, "PGPASSWORD=pw-scramuser")
	if err != nil || out != "3\n" {
		t.Errorf("psql over TLS with SCRAM: %v %q", err, out)
	}
}
