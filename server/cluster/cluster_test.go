package cluster

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// logs collects a node's log lines; tests read them after the fact (the
// node logs from its own goroutines, possibly after a test ends).
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

type testNode struct {
	*Node
	log *logs
}

// newNode starts a node on a free loopback port with fast failure
// detection; join lists nodes to join through.
func newNode(t *testing.T, name string, cfg Config, join ...*testNode) (*testNode, error) {
	t.Helper()
	l := &logs{}
	cfg.Name, cfg.GossipAddr, cfg.ProbeInterval, cfg.Logf = name, "127.0.0.1:0", 100*time.Millisecond, l.logf
	if cfg.PGAddr == "" {
		cfg.PGAddr = "127.0.0.1:5432"
	}
	for _, j := range join {
		cfg.Join = append(cfg.Join, j.GossipAddr())
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNode{n, l}
	t.Cleanup(func() {
		n.Shutdown()
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, l)
		}
	})
	return tn, n.Join()
}

func mustNode(t *testing.T, name string, cfg Config, join ...*testNode) *testNode {
	t.Helper()
	n, err := newNode(t, name, cfg, join...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// states is name=state for every member n lists.
func states(n *testNode) string {
	var parts []string
	for _, m := range n.Members() {
		parts = append(parts, m.Name+"="+string(m.State))
	}
	return strings.Join(parts, " ")
}

// waitStates waits until n lists exactly want (name=state, by name).
func waitStates(t *testing.T, n *testNode, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := states(n)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s sees %q, want %q", n.Name(), got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestJoinMetadataFailureAndLeave(t *testing.T) {
	cfg := Config{Key: "s3cret", Version: "v1"}
	n1 := mustNode(t, "n1", Config{Key: "s3cret", Version: "v1", FlightAddr: "0.0.0.0:7000", Cores: 3, MemoryLimit: 1 << 30})
	n2 := mustNode(t, "n2", cfg, n1)
	n3 := mustNode(t, "n3", cfg, n1)
	all := "n1=alive n2=alive n3=alive"
	for _, n := range []*testNode{n1, n2, n3} {
		waitStates(t, n, all, 5*time.Second)
	}

	// n3's view of n1: n1's advertised metadata, the unspecified Flight
	// host replaced by n1's gossip IP.
	var seen Member
	for _, m := range n3.Members() {
		if m.Name == "n1" {
			seen = m
		}
	}
	want := Member{Meta: Meta{Name: "n1", PGAddr: "127.0.0.1:5432", FlightAddr: "127.0.0.1:7000", Cores: 3, MemoryLimit: 1 << 30,
		Version: "v1", Protocol: ProtocolVersion}, GossipAddr: n1.GossipAddr(), State: Alive}
	if seen.Meta != want.Meta || seen.GossipAddr != want.GossipAddr || seen.IsSelf || seen.JoinedAt.IsZero() {
		t.Errorf("n3 sees n1 as %+v, want %+v", seen, want)
	}
	if self := n3.Self(); !self.IsSelf || self.Name != "n3" || self.GossipAddr != n3.GossipAddr() {
		t.Errorf("n3's self: %+v", self)
	}

	// A node that stops without leaving is found dead (suspect on the way).
	if err := n2.Shutdown(); err != nil {
		t.Fatal(err)
	}
	waitStates(t, n1, "n1=alive n2=dead n3=alive", 5*time.Second)
	waitStates(t, n3, "n1=alive n2=dead n3=alive", 5*time.Second)

	// A node that leaves is left, not dead.
	if err := n3.Leave(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitStates(t, n1, "n1=alive n2=dead n3=left", 5*time.Second)
	if !n1.log.contains("node n3 is left") || !n1.log.contains("node n2 is dead") {
		t.Errorf("n1 does not log the departures:\n%s", n1.log)
	}
}

func TestSuspect(t *testing.T) {
	d := &delegate{self: "a", probe: 100 * time.Millisecond, probeTimeout: 50 * time.Millisecond, members: map[string]*member{}}
	now := time.Now()
	d.members["b"] = &member{meta: Meta{Name: "b"}, state: Alive, joined: now, since: now, lastAck: now.Add(-time.Second)}
	d.members["c"] = &member{meta: Meta{Name: "c"}, state: Alive, joined: now, since: now, lastAck: now}
	d.members["old"] = &member{meta: Meta{Name: "old"}, state: Dead, since: now.Add(-2 * forgetAfter)}
	got := map[string]State{}
	for _, m := range d.snapshot(now) {
		got[m.Name] = m.State
	}
	if len(got) != 2 || got["b"] != Suspect || got["c"] != Alive {
		t.Errorf("snapshot: %v (b unanswered for a second is suspect, c alive, old forgotten)", got)
	}
}

func TestWrongKeyRefused(t *testing.T) {
	n1 := mustNode(t, "n1", Config{Key: "right", Version: "v1"})
	for _, tc := range []struct{ name, key string }{{"wrongkey", "wrong"}, {"nokey", ""}} {
		n, err := newNode(t, tc.name, Config{Key: tc.key, Version: "v1"}, n1)
		if !errors.Is(err, ErrJoin) || !strings.Contains(err.Error(), "cluster-key") {
			t.Errorf("%s joins: %v", tc.name, err)
		}
		waitStates(t, n, tc.name+"=alive", time.Second)
	}
	// A node with the key but no key on the cluster is refused too.
	open := mustNode(t, "open", Config{Version: "v1"})
	if _, err := newNode(t, "keyed", Config{Key: "k", Version: "v1"}, open); !errors.Is(err, ErrJoin) {
		t.Errorf("keyed node joins an open cluster: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	waitStates(t, n1, "n1=alive", time.Second)
	waitStates(t, open, "open=alive", time.Second)
	if !n1.log.contains("gossip: [ERR]") {
		t.Errorf("n1 does not log the refusal:\n%s", n1.log)
	}
}

func TestJoinNobody(t *testing.T) {
	l := &logs{}
	// Hold the port the node will try to join until the node has bound its
	// own (":0"), so the kernel cannot hand the node that same port: the
	// node would then join itself and succeed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := ln.Addr().String()
	n, err := New(Config{Name: "lonely", GossipAddr: "127.0.0.1:0", Join: []string{nobody}, ProbeInterval: 100 * time.Millisecond, Logf: l.logf})
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Shutdown()
	if err := n.Join(); !errors.Is(err, ErrJoin) || !strings.Contains(err.Error(), "is the address right") {
		t.Errorf("join to a closed port: %v", err)
	}
}

func TestWrongVersionRefused(t *testing.T) {
	n1 := mustNode(t, "n1", Config{Version: "v1"})
	mustNode(t, "n2", Config{Version: "v1"}, n1)
	_, err := newNode(t, "n3", Config{Version: "v2"}, n1)
	if !errors.Is(err, ErrJoin) || !strings.Contains(err.Error(), "must run the same version") || !strings.Contains(err.Error(), "v2") {
		t.Errorf("v2 joins: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	waitStates(t, n1, "n1=alive n2=alive", time.Second)
	if !n1.log.contains(`refusing node n3`) {
		t.Errorf("n1 does not log the refusal:\n%s", n1.log)
	}
}

func TestSingleNode(t *testing.T) {
	n, err := New(Config{Name: "solo", PGAddr: "127.0.0.1:5433", Cores: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Join(); err != nil {
		t.Fatal(err)
	}
	ms := n.Members()
	if len(ms) != 1 || ms[0].Name != "solo" || ms[0].State != Alive || !ms[0].IsSelf || ms[0].GossipAddr != "" || n.GossipAddr() != "" {
		t.Errorf("single node members: %+v", ms)
	}
	if err := n.Leave(time.Second); err != nil {
		t.Error(err)
	}
	rows := n.nodesRows()
	if len(rows) != 1 || len(rows[0]) != len(nodesColumns) || rows[0][0] != "solo" || rows[0][3] != nil || rows[0][9] != true {
		t.Errorf("system.nodes rows: %v", rows)
	}
}

func TestResolveHost(t *testing.T) {
	ip := net.ParseIP("10.0.0.5")
	for in, want := range map[string]string{
		"0.0.0.0:5432": "10.0.0.5:5432", ":5432": "10.0.0.5:5432", "[::]:5432": "10.0.0.5:5432",
		"127.0.0.1:5432": "127.0.0.1:5432", "db1:5432": "db1:5432", "": "",
	} {
		if got := resolveHost(in, ip); got != want {
			t.Errorf("resolveHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMetaRoundTrip(t *testing.T) {
	m := Meta{Name: "a-very-long-node-name.example.internal:7946", PGAddr: "10.0.0.1:5432", FlightAddr: "10.0.0.1:7000",
		Cores: 64, MemoryLimit: 64 << 30, Version: BuildVersion(), Protocol: ProtocolVersion}
	b, err := m.encode()
	if err != nil || len(b) > 512 {
		t.Fatalf("encode: %d bytes, %v", len(b), err)
	}
	back, err := decodeMeta(b)
	if err != nil || back != m {
		t.Errorf("decode: %+v %v", back, err)
	}
	for _, bad := range []string{"", "{", `{"name":"x"}`} {
		if _, err := decodeMeta([]byte(bad)); err == nil {
			t.Errorf("decodeMeta(%q) accepted", bad)
		}
	}
}
