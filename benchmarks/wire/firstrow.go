package wire

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// FirstRow is one client reading a whole result from a fresh server.
type FirstRow struct {
	Client    string
	FirstRow  time.Duration // query sent to first row received
	Total     time.Duration // query sent to last row received
	Rows      int64
	BaseRSS   int64 // server RSS before the query (after startup)
	PeakRSS   int64 // server VmHWM at the end of the query
	ClientRSS int64 // the client's peak RSS, where known (psql)
}

// Client reads the result of query from the server at addr.
type Client struct {
	Name string
	Run  func(ctx context.Context, addr, query string) (FirstRow, error)
}

// PgxClient reads through pgx in the given exec mode, counting rows
// without decoding them (the first row is decoded, so a value pgx cannot
// read fails the run).
func PgxClient(name string, mode pgx.QueryExecMode) Client {
	return Client{Name: name, Run: func(ctx context.Context, addr, query string) (FirstRow, error) {
		var r FirstRow
		conn, err := pgx.Connect(ctx, "postgres://bench@"+addr+"/basalt?sslmode=disable")
		if err != nil {
			return r, err
		}
		defer conn.Close(context.Background())
		start := time.Now()
		rows, err := conn.Query(ctx, query, mode)
		if err != nil {
			return r, err
		}
		defer rows.Close()
		for rows.Next() {
			if r.Rows == 0 {
				r.FirstRow = time.Since(start)
				if _, err := rows.Values(); err != nil {
					return r, fmt.Errorf("decoding the first row: %w", err)
				}
			}
			r.Rows++
		}
		if err := rows.Err(); err != nil {
			return r, err
		}
		r.Total = time.Since(start)
		return r, nil
	}}
}

// PsqlClient runs psql -c query through a Proxy that times the first
// DataRow: plain psql collects the whole result before it prints anything,
// so its own output would time the last row. fetchCount > 0 sets psql's
// FETCH_COUNT, which reads through a cursor in batches of that many rows.
func PsqlClient(name string, fetchCount int) Client {
	return Client{Name: name, Run: func(ctx context.Context, addr, query string) (FirstRow, error) {
		var r FirstRow
		px, err := NewProxy(addr)
		if err != nil {
			return r, err
		}
		host, port, _ := strings.Cut(px.Addr, ":")
		args := []string{"-X", "-q", "-A", "-t", "-o", "/dev/null", "-v", "ON_ERROR_STOP=1",
			"-h", host, "-p", port, "-U", "bench", "-d", "basalt"}
		if fetchCount > 0 {
			args = append(args, "-v", fmt.Sprintf("FETCH_COUNT=%d", fetchCount))
		}
		args = append(args, "-c", query)
		cmd := exec.CommandContext(ctx, "psql", args...)
		cmd.Env = append(os.Environ(), "PGSSLMODE=disable", "PGGSSENCMODE=disable", "PGCONNECT_TIMEOUT=10")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		r.Total = time.Since(start)
		px.Close()
		if err != nil {
			return r, fmt.Errorf("psql: %v: %s", err, strings.TrimSpace(string(out)))
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.ClientRSS = ru.Maxrss << 10
		}
		st, err := px.Stats()
		if err != nil {
			return r, err
		}
		r.FirstRow, r.Rows = st.FirstRow, st.Rows
		return r, nil
	}}
}

// MeasureFirstRow starts a fresh `basalt serve` (so its peak RSS belongs
// to this query alone), runs the client and reports the server's memory.
func MeasureFirstRow(ctx context.Context, bin, data, query string, c Client, serveArgs ...string) (FirstRow, error) {
	srv, err := StartBasalt(bin, data, serveArgs...)
	if err != nil {
		return FirstRow{}, err
	}
	defer srv.Stop()
	base, err := RSS(srv.PID)
	if err != nil {
		return FirstRow{}, err
	}
	r, err := c.Run(ctx, srv.Addr, query)
	r.Client = c.Name
	r.BaseRSS = base
	if peak, perr := PeakRSS(srv.PID); perr == nil {
		r.PeakRSS = peak
	} else if err == nil {
		err = perr
	}
	if err == nil && !srv.Alive() {
		err = fmt.Errorf("basalt serve exited:\n%s", srv.Log())
	}
	return r, err
}
