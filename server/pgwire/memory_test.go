package pgwire_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/server/pgwire"
)

// A query over the memory budget fails with 53200 and frees what it held:
// the same connection, and another one, keep running queries.
func TestMemoryLimitErrorThenNextQuery(t *testing.T) {
	dir := t.TempDir()
	writeFixtures(t, dir)
	// Small enough that a hash aggregate over distinct text keys with
	// DISTINCT cannot fit even when it spills.
	eng, err := engine.Open(context.Background(), engine.Config{DataDir: dir, MemoryLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := pgwire.New(pgwire.Config{Engine: eng, Logf: t.Logf})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, pgwire.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
		eng.Close()
	})
	addr := ln.Addr().String()
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	ctx := context.Background()
	var n int64
	err = c.QueryRow(ctx, "select count(distinct s || id::text || x::text) from t, big").Scan(&n)
	if got := sqlState(err); got != "53200" {
		t.Fatalf("over-budget query: got %v (SQLSTATE %s), want 53200", err, got)
	}
	for _, cc := range []*pgx.Conn{c, connect(t, addr, pgx.QueryExecModeSimpleProtocol)} {
		if err := cc.QueryRow(ctx, "select count(*) from t").Scan(&n); err != nil || n != nRows {
			t.Fatalf("next query: %d, %v", n, err)
		}
	}
}
