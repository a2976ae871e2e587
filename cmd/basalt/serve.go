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

	"github.com/basaltdb/basalt/exec/exchange"
	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/server/pgwire"
	"github.com/basaltdb/basalt/storage"
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
	var df distFlags
	df.register(fs)
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
	// A clustered node opens the Flight exchange first, so it advertises
	// the address it bound.
	var svc *exchange.Service
	if cl.clustered() {
		s, addr, err := listenExchange(&cl, &df, cl.clusterKey(), logger.Printf)
		if err != nil {
			return err
		}
		svc = s
		defer svc.Close()
		cl.flightAddr = advertised(cl.flightAddr, addr)
	}
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
	cat, err := storage.Open(ctx, *data)
	if err != nil {
		return err
	}
	ecfg := engine.Config{DataDir: *data, MemoryLimit: limit, SystemTables: node.SystemTables(), Catalog: cat}
	var xn *exchangeNode
	if svc != nil {
		if xn, err = startDist(svc, cl.clusterKey(), node, cat, limit, &df, logger.Printf); err != nil {
			return err
		}
		ecfg.Distributor = xn.coord
		ecfg.SystemTables = append(ecfg.SystemTables, xn.coord.SystemTables()...)
	}
	eng, err := engine.Open(ctx, ecfg)
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
	if xn != nil {
		// The others no longer start tasks here; finish those running.
		xn.stop(time.Minute, logger.Printf)
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

// advertised is the Flight address to advertise: the flag as given, with
// the bound port when the flag asked for any free one.
func advertised(flagAddr string, bound net.Addr) string {
	if flagAddr == "" {
		return bound.String()
	}
	host, port, err := net.SplitHostPort(flagAddr)
	if err != nil || port != "0" {
		return flagAddr
	}
	_, bport, _ := net.SplitHostPort(bound.String())
	return net.JoinHostPort(host, bport)
}
