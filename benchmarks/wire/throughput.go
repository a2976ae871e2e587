package wire

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Throughput is one read of a whole result.
type Throughput struct {
	Server  string
	Format  string // text or binary
	Rows    int64
	Bytes   int64 // bytes the client received for the query, protocol included
	Elapsed time.Duration
}

func (t Throughput) RowsPerSec() float64 { return float64(t.Rows) / t.Elapsed.Seconds() }
func (t Throughput) MBPerSec() float64 {
	return float64(t.Bytes) / (1 << 20) / t.Elapsed.Seconds()
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func connectCounting(ctx context.Context, dsn string, n *atomic.Int64) (*pgconn.PgConn, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: c, n: n}, nil
	}
	return pgconn.ConnectConfig(ctx, cfg)
}

// ReadAll runs query with the extended protocol, asking for every result
// column in format (0 text, 1 binary), and reads every row without
// decoding it: what is timed is the server and the wire, not the client.
func ReadAll(ctx context.Context, server, dsn, query string, format int16) (Throughput, error) {
	t := Throughput{Server: server, Format: map[int16]string{0: "text", 1: "binary"}[format]}
	var n atomic.Int64
	conn, err := connectCounting(ctx, dsn, &n)
	if err != nil {
		return t, err
	}
	defer conn.Close(context.Background())
	n.Store(0)
	start := time.Now()
	rr := conn.ExecParams(ctx, query, nil, nil, nil, []int16{format})
	for rr.NextRow() {
		t.Rows++
	}
	if _, err := rr.Close(); err != nil {
		return t, err
	}
	t.Elapsed = time.Since(start)
	t.Bytes = n.Load()
	return t, nil
}

// StartPostgres starts a throwaway PostgreSQL cluster in dir with
// scripts/start-postgres.sh (reusing the cluster a previous run left there)
// and returns its DSN and a function that stops it.
func StartPostgres(ctx context.Context, dir string) (dsn string, stop func(), err error) {
	root, err := RepoRoot()
	if err != nil {
		return "", nil, err
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	// The script's output goes to files, not pipes: the postmaster keeps
	// an inherited descriptor of the script's open, so waiting for EOF on
	// a pipe would wait for PostgreSQL to exit.
	out, err := os.CreateTemp("", "start-postgres-out")
	if err != nil {
		return "", nil, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	errOut, err := os.CreateTemp("", "start-postgres-err")
	if err != nil {
		return "", nil, err
	}
	defer os.Remove(errOut.Name())
	defer errOut.Close()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "start-postgres.sh"))
	cmd.Env = append(os.Environ(), fmt.Sprintf("PGPORT=%d", port), "PGDATA_DIR="+dir)
	cmd.Stdout, cmd.Stderr = out, errOut
	if err := cmd.Run(); err != nil {
		msg, _ := os.ReadFile(errOut.Name())
		return "", nil, fmt.Errorf("start-postgres.sh: %v\n%s", err, msg)
	}
	dsnText, err := os.ReadFile(out.Name())
	if err != nil {
		return "", nil, err
	}
	stop = func() {
		bin, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
		if len(bin) == 0 {
			return
		}
		pgctl := bin[len(bin)-1] + " -D " + filepath.Join(dir, "data") + " -m fast stop"
		c := exec.Command("sh", "-c", pgctl)
		if os.Getuid() == 0 {
			c = exec.Command("su", "postgres", "-s", "/bin/sh", "-c", pgctl)
		}
		_ = c.Run()
	}
	return strings.TrimSpace(string(dsnText)), stop, nil
}

// LoadPostgres copies table from the Basalt server at basaltDSN into the
// PostgreSQL at pgDSN, with the column types Basalt reports and the rows
// the CLI writes as CSV (`basalt query --format csv`). A table that is
// already there with the same row count is kept. The table is vacuumed
// and analyzed, so PostgreSQL's scans do not set hint bits while timed.
func LoadPostgres(ctx context.Context, pgDSN, basaltDSN, bin, data, table string) error {
	b, err := pgconn.Connect(ctx, basaltDSN)
	if err != nil {
		return err
	}
	defer b.Close(context.Background())
	// Not Read(): its Result has field descriptions only when there are rows.
	rr := b.ExecParams(ctx, "SELECT * FROM "+table+" LIMIT 0", nil, nil, nil, nil)
	fields := slices.Clone(rr.FieldDescriptions())
	if _, err := rr.Close(); err != nil {
		return err
	}
	if len(fields) == 0 {
		return fmt.Errorf("%s has no columns", table)
	}
	var cols []string
	for _, f := range fields {
		tn, err := pgTypeName(f.DataTypeOID, f.TypeModifier)
		if err != nil {
			return fmt.Errorf("column %s: %w", f.Name, err)
		}
		cols = append(cols, fmt.Sprintf("%q %s", f.Name, tn))
	}
	want, err := count(ctx, b, table)
	if err != nil {
		return err
	}
	pg, err := pgconn.Connect(ctx, pgDSN)
	if err != nil {
		return err
	}
	defer pg.Close(context.Background())
	if have, err := count(ctx, pg, table); err == nil && have == want {
		return nil
	}
	ddl := fmt.Sprintf("DROP TABLE IF EXISTS %s; CREATE TABLE %s (%s)", table, table, strings.Join(cols, ", "))
	if _, err := pg.Exec(ctx, ddl).ReadAll(); err != nil {
		return err
	}
	cli := exec.CommandContext(ctx, bin, "query", "--data", data, "--format", "csv", "SELECT * FROM "+table)
	var stderr strings.Builder
	cli.Stderr = &stderr
	csv, err := cli.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cli.Start(); err != nil {
		return err
	}
	if _, err := pg.CopyFrom(ctx, csv, "COPY "+table+" FROM STDIN (FORMAT csv, HEADER true)"); err != nil {
		// The CLI may be blocked writing rows nobody reads any more.
		_ = cli.Process.Kill()
		_ = cli.Wait()
		return fmt.Errorf("COPY into PostgreSQL: %w", err)
	}
	if err := cli.Wait(); err != nil {
		return fmt.Errorf("basalt query: %v: %s", err, stderr.String())
	}
	if have, err := count(ctx, pg, table); err != nil || have != want {
		return fmt.Errorf("loaded %d rows into PostgreSQL, Basalt has %d (%v)", have, want, err)
	}
	_, err = pg.Exec(ctx, "VACUUM (FREEZE, ANALYZE) "+table).ReadAll()
	return err
}

func count(ctx context.Context, c *pgconn.PgConn, table string) (int64, error) {
	res := c.ExecParams(ctx, "SELECT count(*) FROM "+table, nil, nil, nil, nil).Read()
	if res.Err != nil {
		return 0, res.Err
	}
	if len(res.Rows) != 1 {
		return 0, fmt.Errorf("count(*) returned %d rows", len(res.Rows))
	}
	var n int64
	_, err := fmt.Sscan(string(res.Rows[0][0]), &n)
	return n, err
}

// pgTypeName is the SQL type of a result column from its OID and typmod.
func pgTypeName(oid uint32, typmod int32) (string, error) {
	switch oid {
	case 16:
		return "boolean", nil
	case 17:
		return "bytea", nil
	case 20:
		return "bigint", nil
	case 21:
		return "smallint", nil
	case 23:
		return "integer", nil
	case 25:
		return "text", nil
	case 700:
		return "real", nil
	case 701:
		return "double precision", nil
	case 1042:
		if typmod > 4 {
			return fmt.Sprintf("char(%d)", typmod-4), nil
		}
		return "char", nil
	case 1043:
		if typmod > 4 {
			return fmt.Sprintf("varchar(%d)", typmod-4), nil
		}
		return "varchar", nil
	case 1082:
		return "date", nil
	case 1083:
		return "time", nil
	case 1114:
		return "timestamp", nil
	case 1184:
		return "timestamptz", nil
	case 1186:
		return "interval", nil
	case 1700:
		if typmod >= 4 {
			m := typmod - 4
			return fmt.Sprintf("numeric(%d,%d)", m>>16, m&0xffff), nil
		}
		return "numeric", nil
	}
	return "", fmt.Errorf("no SQL name for type OID %d", oid)
}
