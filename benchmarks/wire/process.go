// Package wire measures Basalt's Postgres wire server from the outside, the
// way clients see it: time to the first row of a large result, the server's
// peak resident memory while it streams, and rows/s and MB/s of a large
// result next to a real PostgreSQL serving the same rows from a table.
// cmd/wirebench prints the tables recorded in benchmarks/README.md; the
// tests in this package check the acceptance bounds when
// BASALT_WIRE_BENCH=1.
//
// The package does not link DuckDB, so it builds in seconds.
package wire

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// RepoRoot finds the main module's folder by walking up from the working
// directory to the go.mod that declares github.com/basaltdb/basalt.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/basaltdb/basalt\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no github.com/basaltdb/basalt go.mod above the working directory")
		}
		dir = parent
	}
}

// BuildBasalt compiles cmd/basalt into dir and returns the binary's path.
func BuildBasalt(ctx context.Context, dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "basalt")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/basalt")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/basalt: %v\n%s", err, out)
	}
	return bin, nil
}

// EnsureTPCH generates TPC-H at scale factor sf into dir unless dir already
// holds a lineitem table. It does not check the scale of data it reuses.
func EnsureTPCH(ctx context.Context, bin, dir string, sf float64) error {
	if _, err := os.Stat(filepath.Join(dir, "lineitem")); err == nil {
		return nil
	}
	cmd := exec.CommandContext(ctx, bin, "gen", "tpch", "--sf", strconv.FormatFloat(sf, 'f', -1, 64), "--out", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("basalt gen tpch: %v\n%s", err, out)
	}
	return nil
}

// Server is a running `basalt serve`.
type Server struct {
	Addr string // host:port of the Postgres wire protocol
	PID  int
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

// StartBasalt starts `bin serve --data data` on a free loopback port and
// waits until it accepts connections.
func StartBasalt(bin, data string, extraArgs ...string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), done: make(chan struct{})}
	args := append([]string{"serve", "--data", data, "--pg-addr", s.Addr}, extraArgs...)
	s.cmd = exec.Command(bin, args...)
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.cmd.Stderr = &lockedWriter{s: s}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.PID = s.cmd.Process.Pid
	if WaitReady(s.cmd, stdout, s.done, 60*time.Second) {
		return s, nil
	}
	s.Stop()
	return nil, fmt.Errorf("basalt serve did not start:\n%s", s.Log())
}

type lockedWriter struct{ s *Server }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}

// Log returns what the server wrote to stderr.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Alive reports whether the server process still runs.
func (s *Server) Alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Stop ends the server with SIGTERM (graceful shutdown), then SIGKILL.
func (s *Server) Stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// DSN is a connection string for the server.
func (s *Server) DSN() string {
	return "postgres://bench@" + s.Addr + "/basalt?sslmode=disable"
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// PeakRSS is the process's peak resident set size (VmHWM) in bytes.
func PeakRSS(pid int) (int64, error) { return procStatus(pid, "VmHWM:") }

// RSS is the process's current resident set size (VmRSS) in bytes.
func RSS(pid int) (int64, error) { return procStatus(pid, "VmRSS:") }

func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("unexpected %s line %q", field, line)
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// MB formats bytes as mebibytes.
func MB(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/(1<<20)) }

// WaitReady reads a started basalt serve's stdout until its ready line
// (true) or the end of the output or within (false). A goroutine keeps
// draining the output, waits for the process and closes done when it
// exits.
func WaitReady(cmd *exec.Cmd, stdout io.Reader, done chan struct{}, within time.Duration) bool {
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		signaled := false
		for sc.Scan() {
			if !signaled && strings.HasPrefix(sc.Text(), "basalt ready") {
				ready <- true
				signaled = true
			}
		}
		if !signaled {
			ready <- false
		}
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case ok := <-ready:
		return ok
	case <-time.After(within):
		return false
	}
}
