package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/server/pgwire"
)

// serveCmd runs the Postgres wire server until ctx ends (Ctrl-C) or
// SIGTERM, then shuts down gracefully: running statements get a few
// seconds to finish before they are canceled.
func serveCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	data := fs.String("data", ".", "data directory: one table per sub-folder or top-level *.parquet file")
	addr := fs.String("pg-addr", "127.0.0.1:5432", "address the Postgres wire protocol listens on")
	memLimit := fs.String("memory-limit", "", "memory limit per query, e.g. 512MB or 4GiB")
	var sec securityFlags
	sec.register(fs)
	var cl clusterFlags
	cl.register(fs)
	if err := fs.Parse(reorder(args, valueFlags(fs))); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	limit, err := ParseSize(*memLimit)
	if err != nil {
		return err
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit + limit/4 + 64<<20)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	logger := log.New(os.Stderr, "basalt: ", log.LstdFlags)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	node, err := cl.node(ln.Addr().String(), limit, logger.Printf)
	if err != nil {
		return err
	}
	// Leaving on every way out (SIGTERM, Ctrl-C, a failing server) lets the
	// other members list this node as left rather than dead.
	defer func() {
		if err := node.Leave(5 * time.Second); err != nil {
			logger.Printf("leaving the cluster: %v", err)
		}
	}()
	eng, err := engine.Open(ctx, engine.Config{DataDir: *data, MemoryLimit: limit, SystemTables: node.SystemTables()})
	if err != nil {
		return err
	}
	defer eng.Close()
	cfg := pgwire.Config{Engine: eng, Logf: logger.Printf}
	if err := sec.apply(&cfg, *addr, logger.Printf); err != nil {
		return err
	}
	srv := pgwire.New(cfg)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// Join once queries can be served: the others may send work as soon
	// as they see this node.
	if err := node.Join(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "basalt ready: Postgres wire protocol on %s (data %s)%s\n", ln.Addr(), *data, cl.describe(node))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Printf("shutting down")
	if err := node.Leave(5 * time.Second); err != nil {
		logger.Printf("leaving the cluster: %v", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, pgwire.ErrServerClosed) {
		return err
	}
	return nil
}

// valueFlags names fs's flags that take a value (all but booleans), for
// reorder.
func valueFlags(fs *flag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			m[f.Name] = true
		}
	})
	return m
}
