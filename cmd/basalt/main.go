// Command basalt is the one binary: the embedded query CLI, the TPC-H data
// generator and (with the server issue) the Postgres-wire server.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

const usage = `usage:
  basalt query --data DIR [--format table|csv|json] [--memory-limit SIZE] (SQL | -f FILE)
  basalt gen tpch --sf N --out DIR
  basalt serve --data DIR --pg-addr HOST:PORT [--memory-limit SIZE] [--tls-cert FILE --tls-key FILE]
               [--gossip-addr HOST:PORT] [--join HOST:PORT[,...]] [--flight-addr HOST:PORT]
               [--node-name NAME] [--cluster-key KEY] [--distribute-min-bytes SIZE]
               [--exchange-compression lz4|zstd|s2|none]
               [--auth trust|password|md5|scram-sha-256] [--users FILE | --user NAME [--password PW]]
  basalt passwd NAME < password    (prints a users-file line with a SCRAM-SHA-256 verifier)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// BASALT_CPUPROFILE=file writes a CPU profile of the command, for
	// finding hot spots with go tool pprof.
	if path := os.Getenv("BASALT_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	if err := run(ctx, os.Args[1:]); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, errorLine(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("missing command")
	}
	switch args[0] {
	case "query":
		return queryCmd(ctx, args[1:], os.Stdout)
	case "gen":
		return genCmd(ctx, args[1:])
	case "serve":
		return serveCmd(ctx, args[1:], os.Stdout)
	case "passwd":
		return passwdCmd(args[1:], os.Stdin, os.Stdout)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// errorLine renders an error as one line, PostgreSQL-style when it has a
// SQLSTATE.
func errorLine(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if e, ok := err.(*sqlerr.Error); ok || asSQL(err, &e) {
		s := "ERROR:  " + strings.ReplaceAll(e.Message, "\n", " ") + " (SQLSTATE " + e.Code + ")"
		if e.Position > 0 {
			s += fmt.Sprintf(" at character %d", e.Position)
		}
		return s
	}
	return "error: " + msg
}
