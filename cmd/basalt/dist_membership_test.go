package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/basaltdb/basalt/exec/exchange"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// TestClusterJoinLeave: a 4th node joins a running cluster and the next
// query uses it; then it leaves with SIGTERM while node 2 runs queries in
// a loop, and no query fails.
func TestClusterJoinLeave(t *testing.T) {
	skipShort(t)
	dir := tpchData(t)
	q1, q3 := tpchQuery(1), extraQueries[0] // Q3 at SF 0.01 has one row
	want := reference(t, q1, q3)
	nodes := startCluster(t, dir, 3)
	ctx, cancel := context.WithTimeout(t.Context(), 4*queryTimeout(t))
	defer cancel()
	conn, admin := connectTo(t, nodes[1]), connectTo(t, nodes[1])
	if _, err := checkQuery(ctx, conn, q3, want[q3.name]); err != nil {
		t.Fatalf("3 nodes: %v", err)
	}

	n4 := startNode(t, dir, "n4", nodes[0].gossip)
	waitNodes(t, admin, aliveList(4), 30*time.Second)
	lines, err := explainLines(ctx, conn, "EXPLAIN ANALYZE "+q1.sql)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := explainNodes(lines); err != nil || !hasNodes(got, "n1", "n2", "n3", "n4") {
		t.Errorf("EXPLAIN ANALYZE q01 after n4 joined: tasks on %v (%v), want n1 ... n4:\n%s", got, err, strings.Join(lines, "\n"))
	}
	if _, err := checkQuery(ctx, conn, q3, want[q3.name]); err != nil {
		t.Errorf("4 nodes: %v", err)
	}

	// n4 leaves while a query that uses it runs on n2.
	loop := startLoop(ctx, conn, q3, want[q3.name])
	if err := waitRunning(ctx, admin, q3.sql, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := n4.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(t, n4, time.Minute); err != nil {
		t.Errorf("n4 after SIGTERM: %v\n%s", err, n4.stderr)
	}
	waitNodes(t, admin, "n1=alive n2=alive n3=alive n4=left", 30*time.Second)
	loop.stopAfter(2)
	for i, r := range loop.wait(t, 2*queryTimeout(t)) {
		if r.afterMark && r.err == nil && strings.Contains(r.st.nodes, "n4") {
			t.Errorf("%s run %d, after n4 left, ran on %s", q3.name, i+1, r.st.nodes)
		}
	}
}

// TestClusterBadPeers: what must not get into a cluster does not. A node
// with another cluster key and a node of another version are refused with
// a clear message, both sides log it and system.nodes does not list them;
// a Flight call without the cluster's token gets Unauthenticated and is
// logged.
func TestClusterBadPeers(t *testing.T) {
	skipShort(t)
	dir := tpchData(t)
	nodes := startCluster(t, dir, 2)
	n1 := nodes[0]
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	admin := connectTo(t, nodes[1])

	// Another cluster key: refused, exits non-zero, both sides say why.
	bad := startServeWith(t, "badkey", serveOpts{dir: dir, env: distEnv, noWait: true}, "--cluster-key", "not-"+distKey, "--join", n1.gossip)
	var ee *exec.ExitError
	if err := waitExit(t, bad, time.Minute); !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(bad.stderr.String(), "cluster-key") {
		t.Errorf("node with another key: %v\n%s", err, bad.stderr)
	}
	if !waitLog(n1, 10*time.Second, "gossip: [ERR]") {
		t.Errorf("n1 does not log the refused key:\n%s", n1.stderr)
	}
	waitNodes(t, admin, aliveList(2), 10*time.Second)

	// A stranger on the Flight port: no token, or the token of another key.
	cc, err := grpc.NewClient(n1.flight, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	st, err := flight.NewFlightServiceClient(cc).DoGet(ctx, &flight.Ticket{Ticket: []byte("stranger")})
	if err == nil {
		_, err = st.Recv()
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("Flight DoGet without a token: %v, want Unauthenticated", err)
	}
	other := exchange.NewClient([]byte("not-" + distKey))
	defer other.Close()
	if err := other.CancelQuery(ctx, n1.flight, "stranger"); sqlerr.Code(err) != "28000" {
		t.Errorf("Flight action with another key's token: %v, want refused (28000)", err)
	}
	if !waitLog(n1, 10*time.Second, "exchange: refused", "no cluster token", "wrong cluster token") {
		t.Errorf("n1 does not log the refused Flight calls:\n%s", n1.stderr)
	}
	// The same call with the cluster's key goes through: the node's Flight
	// service holds the key it was started with.
	own := exchange.NewClient([]byte(distKey))
	defer own.Close()
	if err := own.CancelQuery(ctx, n1.flight, "dist-test-no-such-query"); err != nil {
		t.Errorf("Flight action with the cluster's key: %v", err)
	}

	// Another version: BASALT_VERSION makes the same binary advertise
	// one (a real upgrade is a build of another commit).
	t.Run("version", func(t *testing.T) {
		env := append(append([]string(nil), distEnv...), "BASALT_VERSION=v0.0.0-other")
		old := startServeWith(t, "oldver", serveOpts{dir: dir, env: env, noWait: true}, "--cluster-key", distKey, "--join", n1.gossip)
		if err := waitExit(t, old, time.Minute); !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(old.stderr.String(), "must run the same version") {
			t.Errorf("node of another version: %v\n%s", err, old.stderr)
		}
		if !waitLog(n1, 10*time.Second, "refusing node oldver") {
			t.Errorf("n1 does not log the refused version:\n%s", n1.stderr)
		}
		waitNodes(t, admin, aliveList(2), 10*time.Second)
	})
}
