// Package cluster is Basalt's membership: the nodes of one cluster find
// each other by gossip (hashicorp/memberlist: SWIM failure detection and
// push/pull state exchange), each advertising what the others need to send
// it work (its Postgres and Flight addresses, cores, memory budget, Basalt
// and protocol versions), and a node refuses peers that run another
// version; with a cluster key, gossip is encrypted and nodes without the
// key cannot join. system.nodes (SystemTables) shows the member list.
//
// A node given neither a gossip address nor peers to join runs no gossip:
// it is a whole single-node cluster and opens no extra port.
//
// It imports memberlist, server/pgcatalog, storage and sql/types; the
// engine sees only the pgcatalog.SystemTable it provides.
package cluster

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// DefaultGossipPort is where a node that joins without --gossip-addr
// gossips (memberlist's usual port).
const DefaultGossipPort = 7946

// Config describes a node.
type Config struct {
	// Name is unique in the cluster; "" is hostname:gossip-port.
	Name string
	// GossipAddr is where memberlist listens (TCP and UDP). Empty with no
	// Join: no gossip (single node). Empty with Join: 0.0.0.0:7946.
	GossipAddr string
	// Join lists gossip addresses of members to join through.
	Join []string
	// PGAddr and FlightAddr are advertised to the other nodes; an
	// unspecified host (0.0.0.0, ::, "") is replaced by the node's gossip
	// IP when they read it.
	PGAddr, FlightAddr string
	Cores              int   // 0 = GOMAXPROCS
	MemoryLimit        int64 // per query; 0 = unlimited
	// Version overrides BuildVersion (tests).
	Version string
	// Key is the cluster key: gossip is encrypted with AES-256-GCM under
	// SHA-256(Key). Empty: unencrypted gossip.
	Key string
	// ProbeInterval, when set, scales memberlist's failure detection down
	// from its LAN defaults (probes every 1 s): tests use ~100 ms so a
	// dead node is noticed in about a second.
	ProbeInterval time.Duration
	// Logf receives memberlist's warnings and errors and this package's
	// notices; nil discards them.
	Logf func(format string, args ...any)
}

// State is a member's state as this node sees it.
type State string

// Member states. Suspect is derived here: memberlist does not expose its
// own suspicion, so a member memberlist still counts alive whose direct
// probes by this node have gone unanswered for a few probe rounds shows as
// suspect. Left needs the leaving node's notice (Leave sends it to every
// member before memberlist's own leave); a member gone without one is
// dead.
const (
	Alive   State = "alive"
	Suspect State = "suspect"
	Dead    State = "dead"
	Left    State = "left"
)

// Member is one node of the cluster.
type Member struct {
	Meta
	GossipAddr string // "" for a node that runs no gossip
	State      State
	IsSelf     bool
	JoinedAt   time.Time // when this node first saw it alive
	StateSince time.Time // when it entered State (suspect: when last heard from)
}

// forgetAfter is how long a dead or left member stays listed.
const forgetAfter = time.Hour

// Node is this process's membership in a cluster.
type Node struct {
	cfg   Config
	meta  Meta
	ml    *memberlist.Memberlist // nil: single node, no gossip
	d     *delegate
	start time.Time

	leaveOnce sync.Once
	leaveErr  error
}

// New starts this node's gossip listener (when the configuration asks for
// gossip) without joining anyone yet: Join does that, once the node is
// ready to be seen.
func New(cfg Config) (*Node, error) {
	if cfg.Cores <= 0 {
		cfg.Cores = runtime.GOMAXPROCS(0)
	}
	if cfg.Version == "" {
		cfg.Version = BuildVersion()
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	n := &Node{cfg: cfg, start: time.Now()}
	if cfg.GossipAddr == "" && len(cfg.Join) == 0 {
		n.meta = n.makeMeta(cfg.Name)
		if n.meta.Name == "" {
			n.meta.Name, _ = os.Hostname()
		}
		return n, nil
	}
	addr := cfg.GossipAddr
	if addr == "" {
		addr = net.JoinHostPort("0.0.0.0", strconv.Itoa(DefaultGossipPort))
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--gossip-addr %q: %v", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("--gossip-addr %q: bad port", addr)
	}
	ip, err := bindIP(host)
	if err != nil {
		return nil, fmt.Errorf("--gossip-addr %q: %v", addr, err)
	}
	name := cfg.Name
	if name == "" {
		h, _ := os.Hostname()
		name = h + ":" + portStr
	}
	n.meta = n.makeMeta(name)
	enc, err := n.meta.encode()
	if err != nil {
		return nil, err
	}
	if len(enc) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("node metadata is %d bytes, more than memberlist's %d: shorten --node-name or the addresses", len(enc), memberlist.MetaMaxSize)
	}

	mc := memberlist.DefaultLANConfig()
	mc.Name = name
	mc.BindAddr, mc.BindPort = ip.String(), port
	mc.AdvertisePort = port
	if !ip.IsUnspecified() {
		mc.AdvertiseAddr = ip.String()
	}
	if cfg.Key != "" {
		// memberlist takes a 16, 24 or 32 byte AES key; a user's string
		// of any length becomes 32 bytes through SHA-256 (AES-256).
		sum := sha256.Sum256([]byte(cfg.Key))
		mc.SecretKey = sum[:]
	}
	if p := cfg.ProbeInterval; p > 0 {
		mc.ProbeInterval = p
		mc.ProbeTimeout = p / 2
		mc.GossipInterval = p / 2
		mc.SuspicionMult = 2
		mc.PushPullInterval = 20 * p
		mc.GossipToTheDeadTime = 20 * p
		mc.TCPTimeout = max(time.Second, 10*p)
	}
	n.d = &delegate{self: name, meta: n.meta, enc: enc, logf: cfg.Logf, probe: mc.ProbeInterval, probeTimeout: mc.ProbeTimeout,
		members: map[string]*member{}, refusedLogged: map[string]bool{}}
	mc.Delegate, mc.Events, mc.Merge, mc.Alive, mc.Ping = n.d, n.d, n.d, n.d, n.d
	mc.Logger = nil
	mc.LogOutput = logWriter{cfg.Logf}
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("cannot start gossip on %s: %v", addr, err)
	}
	n.ml = ml
	return n, nil
}

func (n *Node) makeMeta(name string) Meta {
	return Meta{Name: name, PGAddr: n.cfg.PGAddr, FlightAddr: n.cfg.FlightAddr, Cores: n.cfg.Cores,
		MemoryLimit: n.cfg.MemoryLimit, Version: n.cfg.Version, Protocol: ProtocolVersion}
}

// bindIP resolves a --gossip-addr host: empty is every interface.
func bindIP(host string) (net.IP, error) {
	if host == "" {
		return net.IPv4zero, nil
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip, nil
	}
	a, err := net.ResolveIPAddr("ip", host)
	if err != nil {
		return nil, err
	}
	return a.IP, nil
}

// ErrJoin is wrapped by every error of Join.
var ErrJoin = errors.New("cannot join the cluster")

// Join contacts the members in the configuration's Join list; it succeeds
// when at least one of them takes this node in. A member that holds
// another cluster key, or runs another version, refuses: the error says
// which.
func (n *Node) Join() error {
	if n.ml == nil || len(n.cfg.Join) == 0 {
		return nil
	}
	n.d.mu.Lock()
	n.d.refusal = ""
	n.d.mu.Unlock()
	if _, err := n.ml.Join(n.cfg.Join); err != nil {
		if why := n.d.lastRefusal(); why != "" {
			return fmt.Errorf("%w through %s: %s", ErrJoin, strings.Join(n.cfg.Join, ","), why)
		}
		msg := flatten(err)
		hint := "is the address right and that node running?"
		switch {
		case strings.Contains(msg, "connection refused") || strings.Contains(msg, "timeout") || strings.Contains(msg, "no such host"):
		case n.cfg.Key != "":
			hint = "is --cluster-key the same on every node?"
		default:
			hint = "does the cluster use a --cluster-key?"
		}
		return fmt.Errorf("%w through %s: %s; %s", ErrJoin, strings.Join(n.cfg.Join, ","), msg, hint)
	}
	return nil
}

// flatten puts memberlist's multi-line multierror on one line.
func flatten(err error) string {
	s := strings.TrimSpace(err.Error())
	s = strings.ReplaceAll(s, "\n\t", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

// Name is this node's name.
func (n *Node) Name() string { return n.meta.Name }

// GossipAddr is where this node gossips ("" without gossip).
func (n *Node) GossipAddr() string {
	if n.ml == nil {
		return ""
	}
	return n.ml.LocalNode().Address()
}

// Leave tells the other members this node is going (they list it as left,
// not dead), waits up to timeout for memberlist's leave to spread, and
// stops gossip. It is safe to call more than once.
func (n *Node) Leave(timeout time.Duration) error {
	n.leaveOnce.Do(func() {
		if n.ml == nil {
			return
		}
		n.announceLeave(timeout / 2)
		if err := n.ml.Leave(timeout); err != nil {
			n.leaveErr = err
		}
		if err := n.ml.Shutdown(); err != nil && n.leaveErr == nil {
			n.leaveErr = err
		}
	})
	return n.leaveErr
}

// announceLeave sends every alive member a leaving notice over TCP, so
// that memberlist's leave (which peers cannot tell from a death) shows as
// left.
func (n *Node) announceLeave(wait time.Duration) {
	msg := append([]byte(leaveMsgPrefix), n.meta.Name...)
	var wg sync.WaitGroup
	for _, m := range n.ml.Members() {
		if m.Name == n.meta.Name {
			continue
		}
		wg.Add(1)
		go func(m *memberlist.Node) {
			defer wg.Done()
			if err := n.ml.SendReliable(m, msg); err != nil {
				n.cfg.Logf("could not tell %s this node is leaving: %v", m.Name, err)
			}
		}(m)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
	}
}

// Shutdown stops gossip without leaving: the others will find this node
// dead. For tests of failure detection and for errors before Join.
func (n *Node) Shutdown() error {
	if n.ml == nil {
		return nil
	}
	var err error
	n.leaveOnce.Do(func() { err = n.ml.Shutdown() })
	return err
}

// Self is this node as a member.
func (n *Node) Self() Member {
	m := Member{Meta: n.meta, State: Alive, IsSelf: true, JoinedAt: n.start, StateSince: n.start}
	if n.ml != nil {
		local := n.ml.LocalNode()
		m.GossipAddr = local.Address()
		m.PGAddr = resolveHost(m.PGAddr, local.Addr)
		m.FlightAddr = resolveHost(m.FlightAddr, local.Addr)
	}
	return m
}

// Members lists the cluster as this node sees it, itself included, by
// name. Dead and left members stay listed for an hour.
func (n *Node) Members() []Member {
	out := []Member{n.Self()}
	if n.d != nil {
		out = append(out, n.d.snapshot(time.Now())...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// logWriter hands memberlist's log lines to Logf, dropping its debug
// chatter.
type logWriter struct{ logf func(string, ...any) }

func (w logWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		s := string(line)
		if strings.Contains(s, "[DEBUG]") {
			continue
		}
		// memberlist's logger prefixes a timestamp of its own.
		if i := strings.Index(s, "["); i > 0 {
			s = s[i:]
		}
		w.logf("gossip: %s", s)
	}
	return len(p), nil
}

var _ io.Writer = logWriter{}
