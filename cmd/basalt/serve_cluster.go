package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/basaltdb/basalt/server/cluster"
)

// clusterFlags are serve's membership options (DESIGN.md: --join,
// --gossip-addr, --flight-addr). With none of them the node is a whole
// single-node cluster and opens no gossip port.
type clusterFlags struct {
	join       string
	gossipAddr string
	flightAddr string
	nodeName   string
	key        string
}

func (f *clusterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.join, "join", "", "join a cluster through the gossip address of any member: HOST:PORT[,HOST:PORT...]")
	fs.StringVar(&f.gossipAddr, "gossip-addr", "", fmt.Sprintf("where this node gossips with the cluster, TCP and UDP (default with --join: 0.0.0.0:%d)", cluster.DefaultGossipPort))
	fs.StringVar(&f.flightAddr, "flight-addr", "", "the Arrow Flight address this node advertises for the exchange between nodes")
	fs.StringVar(&f.nodeName, "node-name", "", "this node's name, unique in the cluster (default hostname:gossip-port)")
	fs.StringVar(&f.key, "cluster-key", "", "shared secret of the cluster: gossip is encrypted with AES-256 under its SHA-256 (prefer $BASALT_CLUSTER_KEY: flags show in ps)")
}

// node starts this process's membership; pgAddr is the Postgres listener's
// address and limit the per-query memory budget, both advertised.
func (f *clusterFlags) node(pgAddr string, limit int64, logf func(string, ...any)) (*cluster.Node, error) {
	cfg := cluster.Config{Name: f.nodeName, GossipAddr: f.gossipAddr, PGAddr: pgAddr, FlightAddr: f.flightAddr,
		MemoryLimit: limit, Key: f.key, Logf: logf}
	if cfg.Key == "" {
		cfg.Key = os.Getenv("BASALT_CLUSTER_KEY")
	}
	for _, a := range strings.Split(f.join, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.Join = append(cfg.Join, a)
		}
	}
	// BASALT_GOSSIP_INTERVAL (undocumented, for tests) shortens failure
	// detection: memberlist's LAN timing takes seconds to declare a node
	// dead.
	if s := os.Getenv("BASALT_GOSSIP_INTERVAL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("BASALT_GOSSIP_INTERVAL %q: want a positive duration", s)
		}
		cfg.ProbeInterval = d
	}
	// BASALT_VERSION (undocumented, for tests) makes the node advertise
	// another version, so the refusal of mixed versions can be tested
	// with one build.
	cfg.Version = os.Getenv("BASALT_VERSION")
	if cfg.GossipAddr == "" && len(cfg.Join) == 0 && (cfg.Key != "" || f.nodeName != "") {
		logf("--cluster-key and --node-name do nothing without --gossip-addr or --join: this node is a single-node cluster")
	}
	return cluster.New(cfg)
}

// describe is the ready line's note on the cluster.
func (f *clusterFlags) describe(n *cluster.Node) string {
	if n.GossipAddr() == "" {
		return ""
	}
	alive := 0
	for _, m := range n.Members() {
		if m.State == cluster.Alive {
			alive++
		}
	}
	return fmt.Sprintf("; node %s gossiping on %s, %d alive members", n.Name(), n.GossipAddr(), alive)
}
