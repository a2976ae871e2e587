package cluster

import (
	"encoding/json"
	"fmt"
	"net"
	"runtime/debug"
)

// ProtocolVersion numbers the messages nodes exchange (gossip metadata now;
// plan fragments and the Flight exchange later). Nodes speaking another
// protocol are refused.
const ProtocolVersion = 1

// Meta is what a node advertises to the others through memberlist's node
// metadata (at most memberlist.MetaMaxSize bytes once encoded).
type Meta struct {
	Name        string `json:"name"`
	PGAddr      string `json:"pg,omitempty"`
	FlightAddr  string `json:"flight,omitempty"`
	Cores       int    `json:"cores"`
	MemoryLimit int64  `json:"mem,omitempty"` // bytes per query; 0 = unlimited
	Version     string `json:"version"`
	Protocol    int    `json:"proto"`
}

func (m Meta) encode() ([]byte, error) { return json.Marshal(m) }

func decodeMeta(b []byte) (Meta, error) {
	var m Meta
	if len(b) == 0 {
		return m, fmt.Errorf("no node metadata")
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("unreadable node metadata: %v", err)
	}
	if m.Version == "" || m.Protocol == 0 {
		return m, fmt.Errorf("node metadata without a version")
	}
	return m, nil
}

// compatible reports why a node advertising m cannot be in a cluster with
// a node advertising self, or nil. Until fragments have a versioned
// format, every node must run the same build: a query's stages are planned
// by one node and run by all.
func compatible(self, m Meta) error {
	if m.Protocol != self.Protocol || m.Version != self.Version {
		return fmt.Errorf("node %q runs Basalt %s (cluster protocol %d) but node %q runs Basalt %s (cluster protocol %d): every node of a cluster must run the same version",
			m.Name, m.Version, m.Protocol, self.Name, self.Version, self.Protocol)
	}
	return nil
}

// BuildVersion is this binary's Basalt version: the module version it was
// built as (devel in a checkout) and, when the build recorded it, the VCS
// revision, so two builds of different commits tell each other apart.
func BuildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" {
		v += "+" + rev[:min(12, len(rev))]
		if dirty {
			v += ".dirty"
		}
	}
	return v
}

// resolveHost replaces the unspecified host of addr (":5432",
// "0.0.0.0:5432") by ip, so peers get an address they can dial.
func resolveHost(addr string, ip net.IP) string {
	if addr == "" || ip == nil {
		return addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if h := net.ParseIP(host); host != "" && (h == nil || !h.IsUnspecified()) {
		return addr
	}
	return net.JoinHostPort(ip.String(), port)
}

func hostIP(addr string) net.IP {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	return net.ParseIP(host)
}
