// Package cluster measures the cost of distribution: it runs the 22 TPC-H
// queries on one `basalt serve` and on a 3-node cluster of `basalt serve`
// processes on loopback ports, and compares the CPU seconds all processes
// spent, the bytes the nodes exchanged (system.tasks) and the answers.
// cmd/clusterbench prints the tables recorded in benchmarks/README.md.
//
// On a machine with fewer cores than nodes x threads the nodes share the
// cores, so scale-out is only simulated: CPU time, not wall time, is the
// measure that means something here.
//
// The package does not link DuckDB, so it builds in seconds; it imports
// only storage/tpchgen (the queries) from the main module, and
// benchmarks/wire's process start.
package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/basaltdb/basalt/benchmarks/wire"
)

// Node is one running `basalt serve`.
type Node struct {
	Name   string
	PGAddr string // host:port of the Postgres wire protocol
	Gossip string // host:port of memberlist; "" for a lone server
	PID    int

	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

// NodeConfig says how to start a node.
type NodeConfig struct {
	Bin, Data string
	Name      string
	// Join is the gossip address of a member; "" with Clustered starts the
	// first node of a cluster.
	Join      string
	Clustered bool
	// Key is passed as $BASALT_CLUSTER_KEY (never as a flag: flags show in ps).
	Key string
	// Args are more `basalt serve` flags.
	Args []string
}

// StartNode starts `basalt serve` on free loopback ports and waits for its
// ready line.
func StartNode(cfg NodeConfig) (*Node, error) {
	pg, err := freeAddr()
	if err != nil {
		return nil, err
	}
	n := &Node{Name: cfg.Name, PGAddr: pg, done: make(chan struct{})}
	args := []string{"serve", "--data", cfg.Data, "--pg-addr", pg}
	if cfg.Clustered {
		if n.Gossip, err = freeAddr(); err != nil {
			return nil, err
		}
		flight, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args = append(args, "--gossip-addr", n.Gossip, "--flight-addr", flight, "--node-name", cfg.Name)
		if cfg.Join != "" {
			args = append(args, "--join", cfg.Join)
		}
	}
	args = append(args, cfg.Args...)
	n.cmd = exec.Command(cfg.Bin, args...)
	n.cmd.Env = os.Environ()
	if cfg.Key != "" {
		n.cmd.Env = append(n.cmd.Env, "BASALT_CLUSTER_KEY="+cfg.Key)
	}
	n.cmd.Stderr = &lockedWriter{n: n}
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := n.cmd.Start(); err != nil {
		return nil, err
	}
	n.PID = n.cmd.Process.Pid
	if wire.WaitReady(n.cmd, stdout, n.done, 60*time.Second) {
		return n, nil
	}
	n.Stop()
	return nil, fmt.Errorf("%s: basalt serve did not start:\n%s", cfg.Name, n.Log())
}

type lockedWriter struct{ n *Node }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.n.mu.Lock()
	defer w.n.mu.Unlock()
	return w.n.log.Write(p)
}

// Log returns what the node wrote to stderr.
func (n *Node) Log() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.log.String()
}

// Stop ends the node with SIGTERM (it leaves the cluster), then SIGKILL.
func (n *Node) Stop() {
	if n == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

// Connect opens a connection in the simple protocol, so every value comes
// back as text and answers compare as the server formats them.
func (n *Node) Connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig("postgres://bench@" + n.PGAddr + "/basalt?sslmode=disable")
	if err != nil {
		return nil, err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	return pgx.ConnectConfig(ctx, cfg)
}

// Cluster is a set of nodes started together; the second and later joined
// the first.
type Cluster struct {
	Nodes []*Node
}

// StartCluster starts n clustered nodes named n1..nN, the second and later
// joining the first, and waits until the second sees all of them alive.
func StartCluster(ctx context.Context, bin, data string, n int, key string, args ...string) (*Cluster, error) {
	c := &Cluster{}
	for i := 1; i <= n; i++ {
		cfg := NodeConfig{Bin: bin, Data: data, Name: fmt.Sprintf("n%d", i), Clustered: true, Key: key, Args: args}
		if i > 1 {
			cfg.Join = c.Nodes[0].Gossip
		}
		node, err := StartNode(cfg)
		if err != nil {
			c.Stop()
			return nil, err
		}
		c.Nodes = append(c.Nodes, node)
	}
	if err := c.waitAlive(ctx, n); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// waitAlive polls system.nodes on every node until each sees want alive
// members: a node that has not heard of a member yet would leave it out
// of the query's tasks.
func (c *Cluster) waitAlive(ctx context.Context, want int) error {
	deadline := time.Now().Add(30 * time.Second)
	for _, node := range c.Nodes {
		conn, err := node.Connect(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", node.Name, err)
		}
		var alive int
		for {
			err = conn.QueryRow(ctx, "select count(*) from system.nodes where state = 'alive'").Scan(&alive)
			if err != nil || alive == want || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		conn.Close(ctx)
		if err != nil {
			return fmt.Errorf("%s: system.nodes: %w", node.Name, err)
		}
		if alive != want {
			return fmt.Errorf("%s sees %d alive nodes after 30 s, want %d", node.Name, alive, want)
		}
	}
	return nil
}

// PIDs are the node processes' ids.
func (c *Cluster) PIDs() []int {
	pids := make([]int, len(c.Nodes))
	for i, n := range c.Nodes {
		pids[i] = n.PID
	}
	return pids
}

// Stop stops the nodes, the last started first.
func (c *Cluster) Stop() {
	for i := len(c.Nodes) - 1; i >= 0; i-- {
		c.Nodes[i].Stop()
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// It is 100 on every Linux build that matters; reading sysconf(_SC_CLK_TCK)
// would need cgo.
const clockTicks = 100

// CPU returns the user plus system CPU time the processes have used so far.
func CPU(pids ...int) (time.Duration, error) {
	var ticks int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, err
		}
		// The command name (field 2) is in parentheses and may hold spaces:
		// count fields after the last ')'. utime and stime are fields 14
		// and 15, i.e. the 12th and 13th after it.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			return 0, fmt.Errorf("/proc/%d/stat: no ')' in %q", pid, s)
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 13 {
			return 0, fmt.Errorf("/proc/%d/stat: %d fields after the name", pid, len(f))
		}
		for _, v := range f[11:13] {
			t, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
			}
			ticks += t
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
