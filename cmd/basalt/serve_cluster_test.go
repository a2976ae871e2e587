package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// syncBuffer is a process's stderr, read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type serveProc struct {
	name   string
	pg     string
	gossip string
	flight string
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan error
}

// freePort returns a loopback address whose port was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs basalt serve on the test fixtures with fast failure
// detection; it waits for the ready line unless wantReady is false.
func startServe(t *testing.T, name string, wantReady bool, extra ...string) *serveProc {
	t.Helper()
	return startServeWith(t, name, serveOpts{noWait: !wantReady}, extra...)
}

// serveOpts are startServeWith's choices beyond the flags.
type serveOpts struct {
	dir    string   // --data; the test fixtures when empty
	bin    string   // the binary; binary(t) when empty
	env    []string // more environment, after (and so overriding) the default
	noWait bool     // do not wait for the ready line
}

// startServeWith runs basalt serve on fresh loopback ports with
// BASALT_GOSSIP_INTERVAL=100ms unless o.env says otherwise.
func startServeWith(t *testing.T, name string, o serveOpts, extra ...string) *serveProc {
	t.Helper()
	if o.dir == "" {
		o.dir = data(t)
	}
	if o.bin == "" {
		o.bin = binary(t)
	}
	p := &serveProc{name: name, pg: freePort(t), gossip: freePort(t), flight: freePort(t), stderr: &syncBuffer{}, exited: make(chan error, 1)}
	args := append([]string{"serve", "--data", o.dir, "--pg-addr", p.pg, "--gossip-addr", p.gossip, "--node-name", name,
		"--flight-addr", p.flight}, extra...)
	p.cmd = exec.Command(o.bin, args...)
	// exec keeps the last value of a repeated variable, so o.env wins.
	p.cmd.Env = append(append(os.Environ(), "BASALT_GOSSIP_INTERVAL=100ms"), o.env...)
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "ready") {
				select { // only the first ready line is awaited; never block the pipe
				case ready <- sc.Text():
				default:
				}
			}
		}
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("stderr of %s:\n%s", name, p.stderr)
		}
	})
	if o.noWait {
		return p
	}
	select {
	case line := <-ready:
		t.Logf("%s: %s", name, line)
	case err := <-p.exited:
		t.Fatalf("%s exited before ready: %v\n%s", name, err, p.stderr)
	case <-time.After(60 * time.Second): // a loaded machine opening SF1 data
		t.Fatalf("%s not ready after 60 s\n%s", name, p.stderr)
	}
	return p
}

// waitNodes polls system.nodes on conn until it reads want
// ("name=state ..." by name).
func waitNodes(t *testing.T, conn *pgx.Conn, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var got []string
		rows, err := conn.Query(context.Background(), "SELECT node_name, state FROM system.nodes ORDER BY node_name")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, state string
			if err := rows.Scan(&name, &state); err != nil {
				t.Fatal(err)
			}
			got = append(got, name+"="+state)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, " ") == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("system.nodes: %q, want %q", strings.Join(got, " "), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeCluster runs three basalt serve processes, the second and
// third joining the first, and follows them through system.nodes on the
// third: all alive, one killed (dead), one stopped with SIGTERM (left);
// a node with another cluster key fails to start.
func TestServeCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	binary(t) // build before the clock starts
	n1 := startServe(t, "n1", true, "--cluster-key", "k1")
	n2 := startServe(t, "n2", true, "--cluster-key", "k1", "--join", n1.gossip)
	t.Setenv("BASALT_CLUSTER_KEY", "k1") // the key from the environment works as the flag
	n3 := startServe(t, "n3", true, "--join", n1.gossip)
	os.Unsetenv("BASALT_CLUSTER_KEY")

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://tester@%s/basalt?sslmode=disable", n3.pg))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	waitNodes(t, conn, "n1=alive n2=alive n3=alive", 5*time.Second)

	var pgAddr, flight, gossip, version string
	var self bool
	var cores int32
	if err := conn.QueryRow(ctx, "SELECT pg_addr, flight_addr, gossip_addr, version, is_self, cores FROM system.nodes WHERE node_name = 'n1'").
		Scan(&pgAddr, &flight, &gossip, &version, &self, &cores); err != nil {
		t.Fatal(err)
	}
	if pgAddr != n1.pg || gossip != n1.gossip || !strings.HasPrefix(flight, "127.0.0.1:") || version == "" || self || cores < 1 {
		t.Errorf("n1 as n3 sees it: pg %s gossip %s flight %s version %s self %v cores %d", pgAddr, gossip, flight, version, self, cores)
	}
	var selfName string
	if err := conn.QueryRow(ctx, "SELECT node_name FROM system.nodes WHERE is_self").Scan(&selfName); err != nil || selfName != "n3" {
		t.Errorf("is_self: %q %v", selfName, err)
	}

	// A node with another key cannot join: it says so and exits non-zero,
	// and the member it tried logs the refusal.
	bad := startServe(t, "bad", false, "--cluster-key", "k2", "--join", n3.gossip)
	select {
	case err := <-bad.exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(bad.stderr.String(), "cluster-key") {
			t.Errorf("node with another key: %v\n%s", err, bad.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("node with another key still running")
	}
	if !waitLog(n3, 10*time.Second, "gossip: [ERR]") { // the log line may reach the pipe after the exit
		t.Errorf("n3 does not log the refusal:\n%s", n3.stderr)
	}

	// SIGKILL: found dead.
	if err := n2.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	waitNodes(t, conn, "n1=alive n2=dead n3=alive", 5*time.Second)

	// SIGTERM: leaves, exits 0, listed as left.
	if err := n1.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-n1.exited:
		if err != nil {
			t.Errorf("n1 after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("n1 still running 10 s after SIGTERM")
	}
	waitNodes(t, conn, "n1=left n2=dead n3=alive", 5*time.Second)
}
