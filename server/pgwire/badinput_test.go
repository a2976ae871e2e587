package pgwire_test

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/server/pgwire"
)

// endless is a query whose result never ends in a test's lifetime (27
// billion rows), so only the server stopping it frees its goroutines.
const endless = "select a.x, b.x, c.x from big a, big b, big c"

// rawSession dials addr and completes a trust startup.
func rawSession(t *testing.T, addr string) (net.Conn, *pgproto3.Frontend) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u", "database": "basalt"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, fe)
	return nc, fe
}

// untilReady collects the messages up to ReadyForQuery.
func untilReady(t *testing.T, fe *pgproto3.Frontend) []pgproto3.BackendMessage {
	t.Helper()
	var got []pgproto3.BackendMessage
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatalf("after %d messages: %v", len(got), err)
		}
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			cp := *e
			m = &cp
		}
		got = append(got, m)
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			return got
		}
	}
}

// errorCodes lists the SQLSTATEs among msgs.
func errorCodes(msgs []pgproto3.BackendMessage) []string {
	var codes []string
	for _, m := range msgs {
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			codes = append(codes, e.Code)
		}
	}
	return codes
}

// fatalOrClosed reads until the connection ends and returns the SQLSTATE of
// the last ErrorResponse ("" when the server just closed).
func fatalOrClosed(t *testing.T, nc net.Conn) string {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	fe := pgproto3.NewFrontend(nc, io.Discard)
	code := ""
	for {
		m, err := fe.Receive()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server neither answered nor closed the connection")
			}
			return code
		}
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			code = e.Code
		}
	}
}

func stillServes(t *testing.T, addr string) {
	t.Helper()
	c := connect(t, addr, pgx.QueryExecModeExec)
	var n int64
	if err := c.QueryRow(context.Background(), "select count(*) from t").Scan(&n); err != nil || n != nRows {
		t.Fatalf("a good client after bad input: %v %d", err, n)
	}
	c.Close(context.Background())
}

func TestBadStartup(t *testing.T) {
	addr := startServerCfg(t, nil, func(c *pgwire.Config) { c.StartupTimeout = 500 * time.Millisecond })
	cases := []struct {
		name string
		in   []byte
		want string // SQLSTATE of the FATAL error, "" for a plain close
	}{
		{"protocol 2.0", []byte{0, 0, 0, 8, 0, 2, 0, 0}, "0A000"},
		{"protocol 4.0", []byte{0, 0, 0, 8, 0, 4, 0, 0}, "0A000"},
		{"random bytes", []byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8}, ""},
		{"zero length", []byte{0, 0, 0, 0}, ""},
		{"huge length", []byte{0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0}, ""},
		{"truncated", []byte{0, 0, 0, 20, 0, 3, 0, 0, 'u', 's'}, ""},
		{"no terminator", append([]byte{0, 0, 0, 12, 0, 3, 0, 0}, "user"...), "08P01"},
		{"no user", []byte{0, 0, 0, 9, 0, 3, 0, 0, 0}, "28000"},
		{"password before startup", []byte{'p', 0, 0, 0, 8, 'a', 'b', 'c', 0}, ""},
		{"silence", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.Write(c.in)
			if c.in != nil {
				nc.(*net.TCPConn).CloseWrite()
			}
			// "silence" ends by the startup deadline, the others at once.
			if got := fatalOrClosed(t, nc); got != c.want {
				t.Errorf("SQLSTATE %q, want %q", got, c.want)
			}
			stillServes(t, addr)
		})
	}
}

func TestBadMessages(t *testing.T) {
	addr := startServer(t)
	t.Run("unknown statement and portal", func(t *testing.T) {
		_, fe := rawSession(t, addr)
		fe.SendBind(&pgproto3.Bind{PreparedStatement: "nosuch"})
		fe.SendSync(&pgproto3.Sync{})
		fe.SendDescribe(&pgproto3.Describe{ObjectType: 'S', Name: "nosuch"})
		fe.SendSync(&pgproto3.Sync{})
		fe.SendDescribe(&pgproto3.Describe{ObjectType: 'P', Name: "nosuch"})
		fe.SendSync(&pgproto3.Sync{})
		fe.SendExecute(&pgproto3.Execute{Portal: "nosuch"})
		fe.SendSync(&pgproto3.Sync{})
		fe.Flush()
		for _, want := range []string{"26000", "26000", "34000", "34000"} {
			if got := errorCodes(untilReady(t, fe)); len(got) != 1 || got[0] != want {
				t.Errorf("got %v, want %s", got, want)
			}
		}
		// The connection is still usable.
		fe.SendQuery(&pgproto3.Query{String: "select 1"})
		fe.Flush()
		if codes := errorCodes(untilReady(t, fe)); len(codes) != 0 {
			t.Errorf("select 1 after errors: %v", codes)
		}
	})
	t.Run("65535 parameters", func(t *testing.T) {
		_, fe := rawSession(t, addr)
		oids := make([]uint32, 65535)
		params := make([][]byte, 65535)
		for i := range oids {
			oids[i] = 23
			params[i] = []byte("7")
		}
		fe.SendParse(&pgproto3.Parse{Query: "select $1 + $65535", ParameterOIDs: oids})
		fe.SendBind(&pgproto3.Bind{Parameters: params})
		fe.SendExecute(&pgproto3.Execute{})
		fe.SendSync(&pgproto3.Sync{})
		fe.Flush()
		msgs := untilReady(t, fe)
		var row string
		for _, m := range msgs {
			if d, ok := m.(*pgproto3.DataRow); ok {
				row = string(d.Values[0])
			}
		}
		if row != "14" {
			t.Errorf("result %q, errors %v", row, errorCodes(msgs))
		}
	})
	t.Run("unknown message type", func(t *testing.T) {
		nc, _ := rawSession(t, addr)
		nc.Write([]byte{'z', 0, 0, 0, 4})
		if got := fatalOrClosed(t, nc); got != "08P01" {
			t.Errorf("SQLSTATE %q, want 08P01", got)
		}
	})
	t.Run("message too long", func(t *testing.T) {
		nc, _ := rawSession(t, addr)
		// A Query claiming 1 GB: refused before the server reads (or
		// allocates) its body.
		nc.Write([]byte{'Q', 0x3f, 0xff, 0xff, 0xff, 's', 'e', 'l'})
		if got := fatalOrClosed(t, nc); got != "08P01" {
			t.Errorf("SQLSTATE %q, want 08P01", got)
		}
	})
	t.Run("negative length", func(t *testing.T) {
		nc, _ := rawSession(t, addr)
		nc.Write([]byte{'Q', 0xff, 0xff, 0xff, 0xf0})
		if got := fatalOrClosed(t, nc); got != "08P01" {
			t.Errorf("SQLSTATE %q, want 08P01", got)
		}
	})
	t.Run("truncated message", func(t *testing.T) {
		nc, _ := rawSession(t, addr)
		msg := []byte{'Q', 0, 0, 0, 100}
		nc.Write(append(msg, "select 1"...))
		nc.(*net.TCPConn).CloseWrite()
		fatalOrClosed(t, nc)
	})
	t.Run("garbage after startup", func(t *testing.T) {
		nc, _ := rawSession(t, addr)
		junk := make([]byte, 4096)
		for i := range junk {
			junk[i] = byte(i*7919 + i>>3)
		}
		nc.Write(junk)
		fatalOrClosed(t, nc)
	})
	t.Run("bind with a short parameter", func(t *testing.T) {
		_, fe := rawSession(t, addr)
		fe.SendParse(&pgproto3.Parse{Query: "select $1::int8", ParameterOIDs: []uint32{20}})
		fe.SendBind(&pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{1, 2, 3}}})
		fe.SendExecute(&pgproto3.Execute{})
		fe.SendSync(&pgproto3.Sync{})
		fe.Flush()
		if got := errorCodes(untilReady(t, fe)); len(got) != 1 {
			t.Errorf("errors %v, want one", got)
		}
	})
	stillServes(t, addr)
}

// settle waits until the process has at most want goroutines and reports
// whether it got there.
func settle(want int, within time.Duration) (int, bool) {
	deadline := time.Now().Add(within)
	for {
		n := runtime.NumGoroutine()
		if n <= want {
			return n, true
		}
		if time.Now().After(deadline) {
			return n, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDisconnectMidResult: a client that goes away while rows stream
// ends its statement: the engine's goroutines stop and its memory is
// released with them.
func TestDisconnectMidResult(t *testing.T) {
	addr := startServer(t)
	stillServes(t, addr)
	base, _ := settle(0, 200*time.Millisecond)
	nc, fe := rawSession(t, addr)
	fe.SendQuery(&pgproto3.Query{String: endless})
	fe.Flush()
	got := 0
	for got < 20000 {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.DataRow:
			got++
		case *pgproto3.ErrorResponse:
			t.Fatalf("%s: %s", m.Code, m.Message)
		}
	}
	if n := runtime.NumGoroutine(); n <= base {
		t.Fatalf("%d goroutines while the query runs, %d before: the check below would prove nothing", n, base)
	}
	nc.Close()
	if n, ok := settle(base, 15*time.Second); !ok {
		t.Errorf("%d goroutines 15 s after the client left, %d before it came: the statement still runs", n, base)
	}
	stillServes(t, addr)
}

// TestDisconnectWhileComputing: a client that leaves while its statement
// computes without sending rows (a long aggregate) also ends it: the
// server notices the closed socket instead of running on for nobody.
func TestDisconnectWhileComputing(t *testing.T) {
	addr := startServer(t)
	stillServes(t, addr)
	base, _ := settle(0, 200*time.Millisecond)
	for _, extended := range []bool{false, true} {
		nc, fe := rawSession(t, addr)
		q := "select count(*) from big a, big b, big c"
		if extended {
			fe.SendParse(&pgproto3.Parse{Query: q})
			fe.SendBind(&pgproto3.Bind{})
			fe.SendExecute(&pgproto3.Execute{})
			fe.SendSync(&pgproto3.Sync{})
		} else {
			fe.SendQuery(&pgproto3.Query{String: q})
		}
		fe.Flush()
		time.Sleep(300 * time.Millisecond)
		if n := runtime.NumGoroutine(); n <= base {
			t.Fatalf("%d goroutines while the query runs, %d before", n, base)
		}
		nc.Close()
		if n, ok := settle(base, 15*time.Second); !ok {
			t.Fatalf("extended %v: %d goroutines 15 s after the client left, %d before: the statement still runs", extended, n, base)
		}
	}
	stillServes(t, addr)
}

// TestClientNeverReads: a client that sends a big query and never reads
// fills its socket; other clients are served meanwhile, and the write
// deadline ends the stuck statement.
func TestClientNeverReads(t *testing.T) {
	addr := startServerCfg(t, nil, func(c *pgwire.Config) { c.WriteTimeout = 500 * time.Millisecond })
	stillServes(t, addr)
	base, _ := settle(0, 200*time.Millisecond)
	nc, fe := rawSession(t, addr)
	fe.SendQuery(&pgproto3.Query{String: endless})
	fe.Flush()
	start := time.Now()
	stillServes(t, addr)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("another client waited %v", d)
	}
	if n, ok := settle(base, 15*time.Second); !ok {
		t.Errorf("%d goroutines 15 s after the client stopped reading, %d before: the statement still runs", n, base)
	}
	// The stuck client finds its connection closed once it drains what the
	// kernel still holds.
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := io.Copy(io.Discard, nc)
	t.Logf("read %d bytes", n)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		t.Errorf("reading the stuck connection: %v", err)
	}
	stillServes(t, addr)
}
