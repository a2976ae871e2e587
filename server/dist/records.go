package dist

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/basaltdb/basalt/server/pgcatalog"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// queryRecord is a distributed query as system.queries and system.tasks
// list it.
type queryRecord struct {
	ID          string
	Coordinator string
	Text        string
	Started     time.Time
	Stages      int

	mu         sync.Mutex
	State      string
	Finished   time.Time
	Attempts   int
	Tasks      int // tasks of the last attempt
	TasksRerun int // tasks started by attempts after the first
	Nodes      []string
	Error      string
	tasks      []TaskInfo // of every attempt, launched state until collected
}

func (r *queryRecord) state() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.State
}

func (r *queryRecord) startAttempt(n int, nodes []Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Attempts = n
	r.Nodes = r.Nodes[:0]
	for _, node := range nodes {
		r.Nodes = append(r.Nodes, node.Name)
	}
}

func (r *queryRecord) addTasks(specs []*TaskSpec, dest []Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.Tasks = len(specs) + 1 // and the root stage's
	if r.Attempts > 1 {
		r.TasksRerun += len(specs) + 1
	}
	for i, s := range specs {
		r.tasks = append(r.tasks, TaskInfo{Query: s.Query, Stage: s.Stage, Task: s.Task, Node: dest[i].Name, State: "running", Started: now})
	}
}

// update replaces launched tasks' entries with what their nodes reported.
func (r *queryRecord) update(infos []TaskInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, in := range infos {
		for i, t := range r.tasks {
			if t.Query == in.Query && t.Stage == in.Stage && t.Task == in.Task {
				r.tasks[i] = in
			}
		}
	}
}

func (r *queryRecord) finish(state string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.State != "running" {
		return
	}
	r.State, r.Finished = state, time.Now()
	if err != nil {
		r.Error = err.Error()
	}
}

func (r *queryRecord) taskInfos() []TaskInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]TaskInfo(nil), r.tasks...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Stage != out[j].Stage {
			return out[i].Stage < out[j].Stage
		}
		return out[i].Task < out[j].Task
	})
	return out
}

// recordView is a consistent copy of a record's fields.
type recordView struct {
	State      string
	Finished   time.Time
	Attempts   int
	Tasks      int
	TasksRerun int
	Nodes      string
	Error      string
}

func (r *queryRecord) snapshot() recordView {
	r.mu.Lock()
	defer r.mu.Unlock()
	return recordView{State: r.State, Finished: r.Finished, Attempts: r.Attempts, Tasks: r.Tasks,
		TasksRerun: r.TasksRerun, Nodes: strings.Join(r.Nodes, ","), Error: r.Error}
}

func (c *Coordinator) records() []*queryRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*queryRecord(nil), c.queries...)
}

// SystemTables are system.queries (the distributed queries this node
// coordinates and coordinated lately) and system.tasks (their tasks, on
// whichever node runs them).
func (c *Coordinator) SystemTables() []pgcatalog.SystemTable {
	return []pgcatalog.SystemTable{
		{Name: "queries", Columns: queriesColumns, Rows: c.queriesRows},
		{Name: "tasks", Columns: tasksColumns, Rows: c.tasksRows},
	}
}

var queriesColumns = []storage.Column{
	{Name: "query_id", Type: types.TextT},
	{Name: "coordinator", Type: types.TextT},
	{Name: "state", Type: types.TextT},
	{Name: "query", Type: types.TextT, Nullable: true},
	{Name: "started", Type: types.TimestampTZT},
	{Name: "finished", Type: types.TimestampTZT, Nullable: true},
	{Name: "stages", Type: types.Int32T},
	{Name: "tasks", Type: types.Int32T},
	{Name: "attempts", Type: types.Int32T},
	{Name: "tasks_rerun", Type: types.Int32T},
	{Name: "nodes", Type: types.TextT},
	{Name: "error", Type: types.TextT, Nullable: true},
}

var tasksColumns = []storage.Column{
	{Name: "query_id", Type: types.TextT},
	{Name: "attempt", Type: types.Int32T},
	{Name: "stage", Type: types.Int32T},
	{Name: "task", Type: types.Int32T},
	{Name: "node", Type: types.TextT},
	{Name: "state", Type: types.TextT},
	{Name: "rows", Type: types.Int64T},
	{Name: "bytes", Type: types.Int64T},
	{Name: "started", Type: types.TimestampTZT},
	{Name: "finished", Type: types.TimestampTZT, Nullable: true},
	{Name: "error", Type: types.TextT, Nullable: true},
}

func (c *Coordinator) queriesRows() [][]any {
	var rows [][]any
	for _, r := range c.records() {
		v := r.snapshot()
		rows = append(rows, []any{r.ID, r.Coordinator, v.State, r.Text, r.Started.UnixMicro(), micros(v.Finished),
			int64(r.Stages), int64(v.Tasks), int64(v.Attempts), int64(v.TasksRerun), v.Nodes, orNull(v.Error)})
	}
	return rows
}

func (c *Coordinator) tasksRows() [][]any {
	var rows [][]any
	for _, r := range c.records() {
		for _, t := range r.taskInfos() {
			attempt := int64(1)
			if i := strings.LastIndexByte(t.Query, '.'); i >= 0 {
				if n, err := strconv.Atoi(t.Query[i+1:]); err == nil {
					attempt = int64(n)
				}
			}
			rows = append(rows, []any{r.ID, attempt, int64(t.Stage), int64(t.Task), t.Node, t.State, t.Rows, t.Bytes,
				t.Started.UnixMicro(), micros(t.Finished), orNull(t.Error)})
		}
	}
	return rows
}

func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}
