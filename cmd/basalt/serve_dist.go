package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strings"
	"time"

	"github.com/basaltdb/basalt/exec/exchange"
	"github.com/basaltdb/basalt/server/cluster"
	"github.com/basaltdb/basalt/server/dist"
	"github.com/basaltdb/basalt/storage"
)

// distFlags tune distributed execution.
type distFlags struct {
	minBytes    string
	compression string
}

func (f *distFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.minBytes, "distribute-min-bytes", "16MB", "queries whose scans read less than this (after pruning) run on the node that takes them; 0 distributes every query that can be")
	fs.StringVar(&f.compression, "exchange-compression", "lz4", "compression of the Arrow streams between nodes: lz4, zstd, s2 or none")
}

// exchangeNode is this process's part in distributed execution: the
// Flight exchange service with the worker's actions, and the coordinator
// that distributes the queries clients send here.
type exchangeNode struct {
	svc    *exchange.Service
	client *exchange.Client
	worker *dist.Worker
	coord  *dist.Coordinator
}

// listenExchange opens the Flight port: --flight-addr, or a free port on
// the gossip host when only gossip was configured.
func listenExchange(f *clusterFlags, df *distFlags, key string, logf func(string, ...any)) (*exchange.Service, net.Addr, error) {
	comp, err := exchange.ParseCompression(df.compression)
	if err != nil {
		return nil, nil, fmt.Errorf("--exchange-compression: %w", err)
	}
	addr := f.flightAddr
	if addr == "" {
		host := "0.0.0.0"
		if f.gossipAddr != "" {
			if h, _, err := net.SplitHostPort(f.gossipAddr); err == nil && h != "" {
				host = h
			}
		}
		addr = net.JoinHostPort(host, "0")
	}
	if key == "" {
		logf("no --cluster-key: the exchange between nodes accepts any caller that can reach --flight-addr")
	}
	svc := exchange.NewService(exchange.Config{ClusterKey: []byte(key), Compression: comp, Log: log.New(logfWriter(logf), "", 0)})
	bound, err := svc.Listen(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--flight-addr %s: %w", addr, err)
	}
	return svc, bound, nil
}

// startDist starts the worker and coordinator over node's membership.
func startDist(svc *exchange.Service, key string, node *cluster.Node, cat *storage.Catalog, limit int64, df *distFlags, logf func(string, ...any)) (*exchangeNode, error) {
	minBytes, err := ParseSize(df.minBytes)
	if err != nil {
		return nil, fmt.Errorf("--distribute-min-bytes: %w", err)
	}
	m := members{node}
	client := exchange.NewClient([]byte(key))
	x := &exchangeNode{svc: svc, client: client}
	x.worker = dist.NewWorker(dist.WorkerConfig{Service: svc, Client: client, Tables: cat.Table, Members: m, Logf: logf})
	x.coord = dist.NewCoordinator(dist.CoordinatorConfig{Client: client, Service: svc, Members: m, MemoryLimit: limit, MinBytes: minBytes, Logf: logf})
	return x, nil
}

// stop finishes the tasks this node runs (a graceful leave must not fail
// the queries of other nodes), then closes the exchange.
func (x *exchangeNode) stop(wait time.Duration, logf func(string, ...any)) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if n := x.worker.Running(); n > 0 {
		logf("finishing %d running tasks before leaving", n)
	}
	if err := x.worker.Drain(ctx); err != nil {
		logf("stopping with %d tasks still running: %v", x.worker.Running(), err)
	}
	x.worker.Close()
	x.svc.Close()
	x.client.Close()
}

// members adapts cluster membership to the scheduler.
type members struct{ n *cluster.Node }

func (m members) Self() dist.Node {
	s := m.n.Self()
	return dist.Node{Name: s.Name, FlightAddr: s.FlightAddr}
}

func (m members) Alive() []dist.Node {
	var out []dist.Node
	for _, mb := range m.n.Members() {
		if mb.State == cluster.Alive && mb.FlightAddr != "" {
			out = append(out, dist.Node{Name: mb.Name, FlightAddr: mb.FlightAddr})
		}
	}
	return out
}

func (m members) Gone(name string) bool {
	for _, mb := range m.n.Members() {
		if mb.Name == name {
			return mb.State == cluster.Dead || mb.State == cluster.Left
		}
	}
	return false
}

// clusterKey is --cluster-key or $BASALT_CLUSTER_KEY.
func (f *clusterFlags) clusterKey() string {
	if f.key != "" {
		return f.key
	}
	return os.Getenv("BASALT_CLUSTER_KEY")
}

// clustered reports whether serve was asked to gossip.
func (f *clusterFlags) clustered() bool { return f.join != "" || f.gossipAddr != "" }

// logfWriter hands lines written to a log.Logger to logf.
type logfWriter func(string, ...any)

func (w logfWriter) Write(p []byte) (int, error) {
	w("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
