// Package dist runs distributed queries: the coordinator that cuts a
// query into stages (planner/distribute), assigns the stages' tasks and
// splits to the live nodes, runs the root stage itself and reruns the
// query's work on the remaining nodes when one dies; and the worker every
// node runs, which builds a task's operators from its shipped plan
// (planner/plancodec) and streams its rows to the consumers through the
// Arrow Flight exchange (exec/exchange).
//
// Calls between nodes are Flight actions on the exchange's port, under
// the cluster key's token: run-tasks starts a node's tasks of a query,
// task-stats reports the tasks of a query, ping checks a node.
// Cancellation is the exchange's cancel action, which also stops the
// node's tasks of the query.
package dist

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Flight actions of the scheduler.
const (
	actionRunTasks  = "basalt.run-tasks" // a node's tasks of one attempt, in one call
	actionTaskStats = "basalt.task-stats"
	actionPing      = "basalt.ping"
)

// Source is one producing task a consumer reads: its task number and the
// Flight address of its node.
type Source struct {
	Task int    `json:"t"`
	Addr string `json:"a"`
}

// TaskSpec is what a node needs to run one task.
type TaskSpec struct {
	// Query is the exchange's query id: the query's id and its attempt,
	// so a rerun never meets the streams of the attempt before it.
	Query       string `json:"q"`
	Coordinator string `json:"c"` // node name, to stop the task if it dies
	Stage       int    `json:"s"`
	Task        int    `json:"t"`
	Plan        []byte `json:"p"` // plancodec
	// How the task deals its rows: to Partitions consumers, by Keys when
	// How is "hash".
	How        string `json:"h"`
	Keys       []int  `json:"k,omitempty"`
	Partitions int    `json:"n"`
	// Inputs are the producers of every stage the plan reads; the task
	// reads partition Partition of each.
	Inputs    map[int][]Source `json:"i,omitempty"`
	Partition int              `json:"pt"`
	// Now is the statement's start (now(), current_date), MemoryLimit the
	// task's budget in bytes (0: none).
	Now         int64 `json:"now"`
	MemoryLimit int64 `json:"mem,omitempty"`
}

func decodeSpecs(b []byte) ([]*TaskSpec, error) {
	var specs []*TaskSpec
	if err := json.Unmarshal(b, &specs); err != nil {
		return nil, sqlerr.New(sqlerr.ProtocolViolation, "malformed tasks: %v", err)
	}
	for _, s := range specs {
		if s == nil || s.Query == "" || s.Stage < 0 || s.Task < 0 || s.Partitions < 1 || s.Partition < 0 {
			return nil, sqlerr.New(sqlerr.ProtocolViolation, "malformed task in %s", b[:min(len(b), 80)])
		}
	}
	return specs, nil
}

// TaskInfo is a task's state and counters, as system.tasks and EXPLAIN
// ANALYZE show them.
type TaskInfo struct {
	Query    string    `json:"q"`
	Stage    int       `json:"s"`
	Task     int       `json:"t"`
	Node     string    `json:"n"`
	State    string    `json:"st"` // running, finished, failed, canceled
	Rows     int64     `json:"r"`  // rows sent (to every consumer)
	Bytes    int64     `json:"b"`  // encoded bytes sent
	Started  time.Time `json:"t0"`
	Finished time.Time `json:"t1,omitzero"`
	Error    string    `json:"e,omitempty"`
}

// Elapsed is how long the task ran (so far).
func (t TaskInfo) Elapsed() time.Duration {
	if t.Finished.IsZero() {
		return time.Since(t.Started)
	}
	return t.Finished.Sub(t.Started)
}

func (t TaskInfo) String() string {
	return fmt.Sprintf("task %d node=%s %s rows=%d bytes=%d time=%.3fms", t.Task, t.Node, t.State, t.Rows, t.Bytes, float64(t.Elapsed().Microseconds())/1000)
}
