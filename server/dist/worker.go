package dist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/exchange"
	evalexpr "github.com/basaltdb/basalt/exec/expr"
	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/planner/physical"
	"github.com/basaltdb/basalt/planner/plancodec"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Membership is what the scheduler needs of the cluster's member list
// (server/cluster's Node through an adapter).
type Membership interface {
	// Self is this node.
	Self() Node
	// Alive lists the members that take tasks now, this node included.
	Alive() []Node
	// Gone reports whether the member named name is known dead or gone.
	Gone(name string) bool
}

// Node is a member that runs tasks.
type Node struct {
	Name       string
	FlightAddr string
}

// WorkerConfig configures a node's worker.
type WorkerConfig struct {
	Service *exchange.Service // where tasks register their output streams
	Client  *exchange.Client  // to read other tasks' streams
	Tables  plancodec.Tables  // this node's catalog
	Members Membership
	// Parallelism is the streams per task (GOMAXPROCS when 0).
	Parallelism int
	Alloc       memory.Allocator
	Logf        func(format string, args ...any)
}

// How long a finished task's counters stay for system.tasks and EXPLAIN
// ANALYZE.
const keepFinished = 10 * time.Minute

// Worker runs the tasks other nodes (and this one) send it.
type Worker struct {
	cfg WorkerConfig

	mu      sync.Mutex
	tasks   map[string][]*task // by exchange query id
	running sync.WaitGroup
	leaving bool // Drain was called: new tasks are refused
	stop    chan struct{}
	stopped sync.Once
}

type task struct {
	spec   *TaskSpec
	cancel context.CancelFunc
	sender *exchange.Sender
	outs   []*exchange.Outbound

	mu   sync.Mutex
	info TaskInfo
}

// NewWorker registers the worker's actions with cfg.Service.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Alloc == nil {
		cfg.Alloc = memory.DefaultAllocator
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	w := &Worker{cfg: cfg, tasks: map[string][]*task{}, stop: make(chan struct{})}
	cfg.Service.Handle(actionRunTasks, w.runTasks)
	cfg.Service.Handle(actionTaskStats, w.taskStats)
	cfg.Service.Handle(actionPing, func(context.Context, []byte) ([]byte, error) { return []byte(cfg.Members.Self().Name), nil })
	cfg.Service.OnCancel(w.cancelQuery)
	go w.watchCoordinators()
	return w
}

// Drain refuses new tasks and waits until the running ones end and their
// consumers have read every row they queued (or until ctx ends): a node
// leaving the cluster finishes the work it took.
func (w *Worker) Drain(ctx context.Context) error {
	w.mu.Lock()
	w.leaving = true
	w.mu.Unlock()
	done := make(chan struct{})
	go func() {
		w.running.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for w.cfg.Service.Streams() > 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close stops watching coordinators.
func (w *Worker) Close() {
	w.stopped.Do(func() { close(w.stop) })
}

// Running is the number of tasks running on this node.
func (w *Worker) Running() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, ts := range w.tasks {
		for _, t := range ts {
			if t.snapshot().State == "running" {
				n++
			}
		}
	}
	return n
}

// runTasks starts the tasks of one attempt the coordinator gives this
// node. When one cannot start, the coordinator cancels the attempt on
// every node, which stops those started.
func (w *Worker) runTasks(ctx context.Context, body []byte) ([]byte, error) {
	specs, err := decodeSpecs(body)
	if err != nil {
		return nil, err
	}
	for _, spec := range specs {
		if err := w.start(spec); err != nil {
			return nil, fmt.Errorf("task %d of stage %d: %w", spec.Task, spec.Stage, err)
		}
	}
	return nil, nil
}

func (w *Worker) start(spec *TaskSpec) error {
	plan, err := plancodec.Decode(spec.Plan, w.cfg.Tables)
	if err != nil {
		return err
	}
	w.mu.Lock()
	leaving := w.leaving
	w.mu.Unlock()
	if leaving {
		// The coordinator takes this like a lost node: the query runs
		// again without this one.
		return sqlerr.New(sqlerr.AdminShutdown, "node %s is leaving the cluster", w.cfg.Members.Self().Name)
	}
	t := &task{spec: spec, info: TaskInfo{Query: spec.Query, Stage: spec.Stage, Task: spec.Task,
		Node: w.cfg.Members.Self().Name, State: "running", Started: time.Now()}}
	mem := exec.NewMemory(spec.MemoryLimit)
	p := &physical.Planner{Alloc: w.cfg.Alloc, Mem: mem, Parallelism: w.cfg.Parallelism,
		Remote: receivers(w.cfg.Client, w.cfg.Service, w.cfg.Members.Self().FlightAddr, spec.Inputs, spec.Query, spec.Partition, w.cfg.Alloc)}
	streams, err := p.BuildStreams(plan)
	if err != nil {
		return err
	}
	schema := streams[0].Schema()
	outs := make([]exchange.Outlet, spec.Partitions)
	for q := range outs {
		o, err := w.cfg.Service.Register(exchange.StreamKey{Query: spec.Query, Stage: int32(spec.Stage), Task: int32(spec.Task), Partition: int32(q)}, schema)
		if err != nil {
			for _, o := range t.outs {
				o.Close(err)
			}
			for _, s := range streams {
				s.Close()
			}
			return err
		}
		outs[q] = o
		t.outs = append(t.outs, o)
	}
	if spec.How == "broadcast" {
		t.sender = exchange.NewBroadcastSender(streams, outs, w.cfg.Alloc)
	} else {
		t.sender = exchange.NewSender(streams, spec.Keys, outs, w.cfg.Alloc)
	}
	tctx, cancel := context.WithCancel(evalexpr.WithNow(context.Background(), time.UnixMicro(spec.Now)))
	t.cancel = cancel
	w.mu.Lock()
	w.tasks[spec.Query] = append(w.tasks[spec.Query], t)
	w.running.Add(1)
	w.mu.Unlock()
	go w.run(tctx, t)
	return nil
}

// receivers builds a Remote leaf's streams: one receiver per producing
// task of the stage, each reading the partition meant for this task.
// Streams of tasks on this node (self, when svc is set) are read from
// svc's queues without a call.
func receivers(c *exchange.Client, svc *exchange.Service, self string, inputs map[int][]Source, query string, partition int, alloc memory.Allocator) func(*logical.Remote) ([]exec.Operator, error) {
	return func(r *logical.Remote) ([]exec.Operator, error) {
		srcs, ok := inputs[r.Stage]
		if !ok || len(srcs) == 0 {
			return nil, sqlerr.New(sqlerr.InternalError, "task reads stage %d but was given no producers for it", r.Stage)
		}
		schema := physical.ArrowSchema(r.Out)
		out := make([]exec.Operator, len(srcs))
		for i, s := range srcs {
			key := exchange.StreamKey{Query: query, Stage: int32(r.Stage), Task: int32(s.Task), Partition: int32(partition)}
			if svc != nil && s.Addr == self {
				out[i] = svc.NewLocalReceiver(key, schema)
				continue
			}
			out[i] = exchange.NewReceiver(c, s.Addr, key, schema, alloc)
		}
		return out, nil
	}
}

func (w *Worker) run(ctx context.Context, t *task) {
	defer w.running.Done()
	defer t.cancel()
	err := exec.Open(ctx, t.sender)
	if err == nil {
		_, err = exec.Next(ctx, t.sender)
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	t.sender.Close()
	t.mu.Lock()
	t.info.Finished = time.Now()
	t.info.Rows = t.sender.Rows()
	switch {
	case err == nil:
		t.info.State = "finished"
	case isCanceled(err):
		t.info.State = "canceled"
	default:
		t.info.State = "failed"
		t.info.Error = err.Error()
	}
	t.mu.Unlock()
	if err != nil && !isCanceled(err) {
		w.cfg.Logf("task %s/s%d/t%d failed: %v", t.spec.Query, t.spec.Stage, t.spec.Task, err)
	}
}

func isCanceled(err error) bool {
	var se *sqlerr.Error
	return errors.As(err, &se) && se.Code == sqlerr.QueryCanceled
}

func (t *task) snapshot() TaskInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	info := t.info
	if info.State == "running" {
		info.Rows = t.sender.Rows()
	}
	// Streams may still be shipping what a finished task queued.
	info.Bytes = 0
	for _, o := range t.outs {
		info.Bytes += o.WireBytes()
	}
	return info
}

// cancelQuery stops this node's tasks of query (the exchange's cancel
// action already stopped their streams).
func (w *Worker) cancelQuery(query string) {
	w.mu.Lock()
	ts := append([]*task(nil), w.tasks[query]...)
	w.mu.Unlock()
	for _, t := range ts {
		t.cancel()
	}
}

func (w *Worker) taskStats(_ context.Context, body []byte) ([]byte, error) {
	w.mu.Lock()
	ts := append([]*task(nil), w.tasks[string(body)]...)
	w.mu.Unlock()
	infos := make([]TaskInfo, len(ts))
	for i, t := range ts {
		infos[i] = t.snapshot()
	}
	return json.Marshal(infos)
}

// watchCoordinators cancels the tasks of queries whose coordinator died
// (nobody will read their rows or cancel them) and forgets finished tasks
// after a while.
func (w *Worker) watchCoordinators() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		var orphans []string
		w.mu.Lock()
		for q, ts := range w.tasks {
			live, old := false, true
			for _, t := range ts {
				info := t.snapshot()
				if info.State == "running" {
					live = true
				}
				if info.Finished.IsZero() || time.Since(info.Finished) < keepFinished {
					old = false
				}
			}
			if old {
				delete(w.tasks, q)
				continue
			}
			if live && w.cfg.Members.Gone(ts[0].spec.Coordinator) {
				orphans = append(orphans, q)
			}
		}
		w.mu.Unlock()
		for _, q := range orphans {
			w.cfg.Logf("canceling query %s: its coordinator is gone", q)
			w.cfg.Service.CancelQuery(q, &sqlerr.Error{Code: sqlerr.AdminShutdown, Message: "terminating task: its coordinator left the cluster"})
		}
	}
}
