package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/basaltdb/basalt/storage/tpchgen"
)

// TestClusterTPCH is issue 5's first acceptance test: three basalt serve
// processes, the second and third joining the first, answer the 22 TPC-H
// queries through the Postgres wire on the second node exactly as one node
// does, and EXPLAIN ANALYZE shows tasks on all three. The scale factor is
// $BASALT_CLUSTER_SF (CI: 1; default 0.01).
func TestClusterTPCH(t *testing.T) {
	skipShort(t)
	dir := tpchData(t)
	var qs []distQuery
	for n := 1; n <= tpchgen.NumQueries; n++ {
		qs = append(qs, tpchQuery(n))
	}
	qs = append(qs, extraQueries...)
	want := reference(t, qs...)
	nodes := startCluster(t, dir, 3)
	conn := connectTo(t, nodes[1])

	for _, q := range qs {
		t.Run(q.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), queryTimeout(t))
			defer cancel()
			d, err := checkQuery(ctx, conn, q, want[q.name])
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("3 nodes %s, one node %s, %d rows", d.Round(time.Millisecond), want[q.name].elapsed.Round(time.Millisecond), len(want[q.name].rows))
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*queryTimeout(t))
	defer cancel()

	// What the coordinator recorded of Q22.
	st, err := lastQuery(ctx, conn, tpchgen.Query(tpchgen.NumQueries))
	if err != nil {
		t.Errorf("system.queries: %v", err)
	} else if st.coordinator != "n2" || st.state != "finished" || st.attempts != 1 || st.rerun != 0 || st.stages < 2 || st.tasks < 3 || st.errText != "" || st.finished.Before(st.started) {
		t.Errorf("system.queries row of q22 on n2: %+v", st)
	}

	// The plans: stages before the run, tasks on every node after it.
	lines, err := explainLines(ctx, conn, "EXPLAIN "+tpchgen.Query(9))
	if err != nil {
		t.Fatalf("EXPLAIN q09: %v", err)
	}
	stages := 0
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "Stage ") {
			stages++
		}
	}
	if stages < 2 {
		t.Errorf("EXPLAIN q09 shows %d stages, want several:\n%s", stages, strings.Join(lines, "\n"))
	}
	for _, q := range []int{1, 3, 9} {
		lines, err := explainLines(ctx, conn, "EXPLAIN ANALYZE "+tpchgen.Query(q))
		if err != nil {
			t.Errorf("EXPLAIN ANALYZE %s: %v", tpchgen.QueryName(q), err)
			continue
		}
		got, err := explainNodes(lines)
		if err != nil || !hasNodes(got, "n1", "n2", "n3") {
			t.Errorf("EXPLAIN ANALYZE %s: tasks on %v (%v), want n1, n2 and n3:\n%s", tpchgen.QueryName(q), got, err, strings.Join(lines, "\n"))
		}
	}

	// system.tasks lists Q1's tasks on every node; the coordinator
	// collects their final counters just after the query ends.
	if _, err := checkQuery(ctx, conn, tpchQuery(1), want["q01"]); err != nil {
		t.Fatal(err)
	}
	st, err = lastQuery(ctx, conn, tpchgen.Query(1))
	if err != nil {
		t.Fatalf("system.queries: %v", err)
	}
	if !strings.Contains(st.nodes, "n1") || !strings.Contains(st.nodes, "n3") {
		t.Errorf("q01's last attempt ran on %q, want n1, n2 and n3", st.nodes)
	}
	var tasks []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		tasks = tasks[:0]
		taskNodes := map[string]bool{}
		running, total := 0, int64(0)
		rows, err := conn.Query(ctx, "SELECT node, state, rows, bytes FROM system.tasks WHERE query_id = $1 ORDER BY stage, task", st.id)
		if err != nil {
			t.Fatalf("system.tasks: %v", err)
		}
		for rows.Next() {
			var node, state string
			var nrows, nbytes int64
			if err := rows.Scan(&node, &state, &nrows, &nbytes); err != nil {
				t.Fatal(err)
			}
			tasks = append(tasks, fmt.Sprintf("%s %s rows=%d bytes=%d", node, state, nrows, nbytes))
			taskNodes[node] = true
			total += nrows
			if state == "running" {
				running++
			} else if state != "finished" || nrows < 0 || nbytes < 0 {
				t.Fatalf("system.tasks of q01: %v", tasks)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if running == 0 {
			if !hasNodes(taskNodes, "n1", "n2", "n3") || total == 0 {
				t.Errorf("system.tasks of q01: %v, want finished tasks on n1, n2 and n3", tasks)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("system.tasks of q01 still lists running tasks 30 s after it finished: %v", tasks)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
