package clients

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
)

// recorder is a TCP proxy between one client program and basalt serve that
// forwards every byte unchanged and reads along: it remembers the last
// statement text each connection sent (simple Query or Parse) and pairs each
// ErrorResponse with it. The tests print these pairs, so a failing driver
// call (pgjdbc's getColumns, psql's \d) is reported with the exact SQL the
// driver sent and the server's answer, without the driver's source at hand.
type recorder struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	failed map[string]int // "SQLSTATE message\n    statement" -> count
	// What the drivers asked for, so tests can tell that a path was taken:
	// Binds asking for a binary result column, and PortalSuspended
	// answers to Executes with a row limit.
	binaryBinds, suspended int
	wg                     sync.WaitGroup
}

func newRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln, target: target, failed: map[string]int{}}
	go r.accept()
	t.Cleanup(func() {
		ln.Close()
		r.wg.Wait()
	})
	return r
}

func (r *recorder) port() string {
	_, p, _ := net.SplitHostPort(r.ln.Addr().String())
	return p
}

func (r *recorder) accept() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.serve(c)
		}()
	}
}

const (
	sslRequestCode   = 80877103
	gssencRequstCode = 80877104
)

func (r *recorder) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", r.target)
	if err != nil {
		return
	}
	defer server.Close()
	// Startup: SSLRequest and GSSENCRequest get one byte back; anything
	// but 'N' means encryption, and then the bytes are only copied.
	for {
		msg, err := readStartup(client)
		if err != nil || writeAll(server, msg) != nil {
			return
		}
		code := binary.BigEndian.Uint32(msg[4:8])
		if code != sslRequestCode && code != gssencRequstCode {
			break
		}
		var b [1]byte
		if _, err := io.ReadFull(server, b[:]); err != nil || writeAll(client, b[:]) != nil {
			return
		}
		if b[0] != 'N' {
			go io.Copy(server, client)
			io.Copy(client, server)
			return
		}
	}
	var last struct {
		sync.Mutex
		text string
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Frontend messages: remember the statement text.
		for {
			typ, body, raw, err := readTyped(client)
			if err != nil || writeAll(server, raw) != nil {
				server.Close()
				return
			}
			var text string
			switch typ {
			case 'B':
				if bindWantsBinary(body) {
					r.mu.Lock()
					r.binaryBinds++
					r.mu.Unlock()
				}
				continue
			case 'Q':
				text = cstring(body)
			case 'P':
				if i := bytes.IndexByte(body, 0); i >= 0 {
					text = cstring(body[i+1:])
				}
			default:
				continue
			}
			last.Lock()
			last.text = text
			last.Unlock()
		}
	}()
	// Backend messages: pair errors with the statement.
	for {
		typ, body, raw, err := readTyped(server)
		if err != nil || writeAll(client, raw) != nil {
			client.Close()
			break
		}
		if typ == 's' {
			r.mu.Lock()
			r.suspended++
			r.mu.Unlock()
		}
		if typ != 'E' {
			continue
		}
		code, msg := errorFields(body)
		last.Lock()
		text := last.text
		last.Unlock()
		r.mu.Lock()
		r.failed[fmt.Sprintf("%s %s\n    %s", code, msg, oneLineSQL(text))]++
		r.mu.Unlock()
	}
	<-done
}

// report logs every failed statement once, with its count.
func (r *recorder) report(t *testing.T, client string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failed) == 0 {
		return
	}
	keys := make([]string, 0, len(r.failed))
	for k := range r.failed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "%s (x%d)\n", k, r.failed[k])
	}
	t.Logf("statements %s sent that the server answered with an error:\n%s", client, sb.String())
}

func readStartup(c net.Conn) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 8 || n > 1<<20 {
		return nil, fmt.Errorf("startup length %d", n)
	}
	msg := make([]byte, n)
	copy(msg, hdr[:])
	_, err := io.ReadFull(c, msg[4:])
	return msg, err
}

func readTyped(c net.Conn) (typ byte, body, raw []byte, err error) {
	var hdr [5]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return 0, nil, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n < 4 || n > 1<<30 {
		return 0, nil, nil, fmt.Errorf("message length %d", n)
	}
	raw = make([]byte, 1+n)
	copy(raw, hdr[:])
	if _, err := io.ReadFull(c, raw[5:]); err != nil {
		return 0, nil, nil, err
	}
	return hdr[0], raw[5:], raw, nil
}

func writeAll(c net.Conn, b []byte) error {
	_, err := c.Write(b)
	return err
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// bindWantsBinary reports whether a Bind message asks for any result
// column in binary. Layout: portal\0 statement\0 int16 n, n int16 formats,
// int16 m, m values (int32 length + bytes), int16 k, k int16 result formats.
func bindWantsBinary(b []byte) bool {
	for i := 0; i < 2; i++ {
		j := bytes.IndexByte(b, 0)
		if j < 0 {
			return false
		}
		b = b[j+1:]
	}
	u16 := func() (int, bool) {
		if len(b) < 2 {
			return 0, false
		}
		v := int(int16(binary.BigEndian.Uint16(b)))
		b = b[2:]
		return v, true
	}
	n, ok := u16()
	if !ok || n < 0 || len(b) < 2*n {
		return false
	}
	b = b[2*n:]
	m, ok := u16()
	if !ok || m < 0 {
		return false
	}
	for i := 0; i < m; i++ {
		if len(b) < 4 {
			return false
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l > 0 {
			if int(l) > len(b) {
				return false
			}
			b = b[l:]
		}
	}
	k, ok := u16()
	if !ok {
		return false
	}
	for i := 0; i < k; i++ {
		f, ok := u16()
		if !ok {
			return false
		}
		if f == 1 {
			return true
		}
	}
	return false
}

// counts returns how many Binds asked for binary results and how many
// PortalSuspended messages the server sent.
func (r *recorder) counts() (binaryBinds, suspended int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.binaryBinds, r.suspended
}

// errorFields reads the SQLSTATE (C) and message (M) of an ErrorResponse.
func errorFields(body []byte) (code, msg string) {
	for len(body) > 0 && body[0] != 0 {
		f := body[0]
		v := cstring(body[1:])
		if 1+len(v)+1 > len(body) {
			break
		}
		body = body[1+len(v)+1:]
		switch f {
		case 'C':
			code = v
		case 'M':
			msg = v
		}
	}
	return code, msg
}

func oneLineSQL(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
