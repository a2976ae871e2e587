package dist

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/basaltdb/basalt/exec/exchange"
	"github.com/basaltdb/basalt/planner/distribute"
	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/storage"
)

// LocalCluster is a cluster of n nodes inside one process, each with its
// own Flight exchange on a loopback port, worker, coordinator and engine
// over the same data: the whole distributed path without processes, for
// tests (every query distributed, however small) and benchmarks.
type LocalCluster struct {
	Nodes []*LocalNode
}

// LocalNode is one node of a LocalCluster.
type LocalNode struct {
	Name        string
	Engine      *engine.Engine
	Coordinator *Coordinator
	Worker      *Worker
	Members     *StaticMembers
	svc         *exchange.Service
	client      *exchange.Client
}

// StartLocal starts n nodes over dir, distributing every query that can
// be (no minimum size); parallelism is each task's streams (0: GOMAXPROCS).
func StartLocal(ctx context.Context, dir string, n, parallelism int) (*LocalCluster, error) {
	key := []byte(fmt.Sprintf("local-%p", &n))
	lc := &LocalCluster{}
	var all []Node
	for i := 0; i < n; i++ {
		svc := exchange.NewService(exchange.Config{ClusterKey: key})
		addr, err := svc.Listen("127.0.0.1:0")
		if err != nil {
			lc.Close()
			return nil, err
		}
		node := &LocalNode{Name: fmt.Sprintf("n%d", i+1), svc: svc, client: exchange.NewClient(key)}
		lc.Nodes = append(lc.Nodes, node)
		all = append(all, Node{Name: node.Name, FlightAddr: addr.String()})
	}
	for i, node := range lc.Nodes {
		node.Members = &StaticMembers{self: all[i], all: all, gone: map[string]bool{}}
		cat, err := storage.Open(ctx, dir)
		if err != nil {
			lc.Close()
			return nil, err
		}
		node.Worker = NewWorker(WorkerConfig{Service: node.svc, Client: node.client, Tables: cat.Table, Members: node.Members, Parallelism: parallelism})
		// Every scan spreads, however small: tests see every cut.
		node.Coordinator = NewCoordinator(CoordinatorConfig{Client: node.client, Service: node.svc, Members: node.Members, Parallelism: parallelism,
			Fragment: distribute.Options{SpreadSplits: 1}})
		node.Engine, err = engine.Open(ctx, engine.Config{DataDir: dir, Catalog: cat, Parallelism: parallelism,
			Distributor: node.Coordinator, SystemTables: node.Coordinator.SystemTables()})
		if err != nil {
			lc.Close()
			return nil, err
		}
	}
	return lc, nil
}

// Close stops every node.
func (lc *LocalCluster) Close() error {
	var errs []error
	for _, node := range lc.Nodes {
		if node.Worker != nil {
			node.Worker.Close()
		}
		node.svc.Close()
		errs = append(errs, node.client.Close())
		if node.Engine != nil {
			errs = append(errs, node.Engine.Close())
		}
	}
	return errors.Join(errs...)
}

// StaticMembers is a fixed member list (LocalCluster's membership).
type StaticMembers struct {
	self Node
	mu   sync.Mutex
	all  []Node
	gone map[string]bool
}

// Self implements Membership.
func (m *StaticMembers) Self() Node { return m.self }

// Alive implements Membership.
func (m *StaticMembers) Alive() []Node {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Node
	for _, n := range m.all {
		if !m.gone[n.Name] {
			out = append(out, n)
		}
	}
	return out
}

// Gone implements Membership.
func (m *StaticMembers) Gone(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gone[name]
}
