package pgwire_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/test/slt"
)

func copyOut(t *testing.T, c *pgconn.PgConn, sql string) (string, string, error) {
	t.Helper()
	var buf bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tag, err := c.CopyTo(ctx, &buf, sql)
	return buf.String(), tag.String(), err
}

// copyStatements run on Basalt and PostgreSQL over the slt fixtures; their
// output must match byte for byte.
var copyStatements = []string{
	"COPY (select * from nums order by id) TO STDOUT",
	"copy (select * from nums order by id) to stdout with csv header",
	"copy (select * from nums order by id) to stdout (format csv, header, force_quote *, delimiter ';', null 'NULL')",
	"copy (select * from nums order by id) to stdout (format binary)",
	"copy (select * from strs order by id) to stdout (header)",
	"copy (select * from strs order by id) to stdout (format csv, header true, quote '''', escape '\\')",
	"copy (select * from strs order by id) to stdout (format binary)",
	"copy (select id, s, v from strs order by id) to stdout with csv force quote s, v",
	"copy (select * from times order by id) to stdout",
	"copy (select * from times order by id) to stdout (format csv)",
	"copy (select * from times order by id) to stdout (format binary)",
	`copy (select id, s || E'\t|\\\n\r\b\f' || v as "we|ird", '' as e, '\.' as dot, '\N' as n from strs order by id) to stdout (header, delimiter '|')`,
	`copy (select id, s || E',"\n' || v as "a,b", '' as e, '\.' as dot from strs order by id) to stdout (format csv, header)`,
	`copy (select '\.' as dot) to stdout (format csv)`,
	`copy (select s from strs where id = 3) to stdout (format csv, null '')`,
	"copy (select x, y from (values (1, 'a'), (2, null)) v(x, y) order by x) to stdout (format csv, null 'x', force_quote (y))",
	"copy (select * from nums where id < 0) to stdout (format binary)",
	"copy (select * from nums where id < 0) to stdout (format csv, header)",
	"copy (select array[1, 2, null] as a, array['x', 'y z', null, ''] as b, array[1.5, 2.5] as c) to stdout",
	"copy (select array[1, 2, null] as a, array['x', 'y z', null, ''] as b, array[1.5, 2.5] as c) to stdout (format csv)",
	"copy (select array[1, 2, null] as a, array['x', 'y z', null, ''] as b) to stdout (format binary)",
	"copy times to stdout",
	"copy (select 1 as one) to stdin",
	"copy (select null as n, 1 as one) to stdout",
	"copy (select null as n, 1 as one) to stdout (format csv, header)",
	"copy (select null as n, 1 as one) to stdout (format binary)",
	`copy (select interval '1 year 2 mons 3 days 04:05:06.789' as i, interval '-1 day' as j, 'NaN'::float8 as n, '-Infinity'::float8 as m,
		'infinity'::date as d, 12345678901234.5678::numeric as big, 0.0001::numeric as small, -0.5::numeric as neg, true as b, 'x'::bytea as byt) to stdout`,
	`copy (select interval '1 year 2 mons 3 days 04:05:06.789' as i, interval '-1 day' as j, 'NaN'::float8 as n, '-Infinity'::float8 as m,
		'infinity'::date as d, 12345678901234.5678::numeric as big, 0.0001::numeric as small, -0.5::numeric as neg, true as b, 'x'::bytea as byt) to stdout (format binary)`,
	`copy (select array['a\b', E'c	d', 'e"f', 'g,h', 'NULL'] as t, array[date '2024-02-29'] as d) to stdout`,
	`copy (select array['a\b', E'c	d', 'e"f', 'g,h', 'NULL'] as t, array[date '2024-02-29'] as d) to stdout (format csv, header)`,
	`copy (select array['a\b', E'c	d', 'e"f', 'g,h'] as t, array[date '2024-02-29'] as d, array[1.25, null, 10000.25] as n) to stdout (format binary)`,
	"copy dim (label, k) to stdout (format csv, header)",
	"copy empty_t to stdout (format csv, header)",
	"copy binary times to stdout",
	"copy dept to stdout with delimiter as ',' null as 'none' csv header force quote *",
}

// copyErrors are COPY statements both must reject with the same SQLSTATE
// and message.
var copyErrors = []string{
	"copy (select 1) to stdout (format xml)",
	"copy (select 1) to stdout (delimiter 'ab')",
	"copy (select 1) to stdout (format binary, delimiter 'a')",
	"copy (select 1) to stdout (format binary, null 'a')",
	"copy (select 1) to stdout (format binary, header)",
	"copy (select 1) to stdout (quote '\"')",
	"copy (select 1) to stdout (escape '\"')",
	"copy (select 1) to stdout (force_quote *)",
	"copy (select 1) to stdout (format csv, force_not_null (x))",
	"copy (select 1) to stdout (format csv, force_null (x))",
	"copy (select 1) to stdout (header match)",
	"copy (select 1) to stdout (bogus)",
	"copy (select 1) to stdout (header 'x')",
	"copy (select 1) to stdout (format text, format csv)",
	"copy (select 1) to stdout (delimiter '\\')",
	"copy (select 1) to stdout (delimiter 'a')",
	"copy (select 1) to stdout (format csv, delimiter ',', quote ',')",
	"copy (select 1) to stdout (null E'a\\nb')",
	"copy (select 1) to stdout (delimiter ',', null 'x,y')",
	"copy (select 1) to stdout (format csv, null 'a\"')",
	"copy (select 1) to stdout (encoding 'bogus')",
	"copy (select 1) to stdout (format csv, quote 'ab')",
	"copy (select 1) to stdout (format csv, escape 'ab')",
	"copy (select 1) to stdout (format csv, delimiter '\"')",
	"copy (select 1 as a) to stdout (format csv, force_quote a)",
	"copy (select 1 as a) to stdout (format csv, force_quote (b))",
	"copy (select 1 as a) to stdout (format csv, force_quote (a, a))",
	"copy (select 1) from stdin",
	"copy nosuch to stdout",
	"copy nums (zz) to stdout",
	"copy nums (id, id) to stdout",
	"copy nums to stdout (format csv, force_quote (zz))",
	"copy nums (id) to stdout (format csv, force_quote (si))",
	"copy (select 1/0) to stdout",
}

// TestCopyMatchesPostgres compares COPY TO STDOUT with a real PostgreSQL
// serving the same rows (BASALT_PG_DSN; skipped without it).
func TestCopyMatchesPostgres(t *testing.T) {
	dsn := os.Getenv("BASALT_PG_DSN")
	if dsn == "" {
		t.Skip("BASALT_PG_DSN is not set")
	}
	ctx := context.Background()
	tables := slt.Fixtures()
	dir := t.TempDir()
	if err := slt.WriteParquet(dir, tables); err != nil {
		t.Fatal(err)
	}
	ref, err := slt.SetupPostgres(ctx, dsn, tables)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Drop(ctx)
	pg, err := pgconn.ConnectConfig(ctx, ref.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	if _, err := pg.Exec(ctx, "SET TimeZone = 'UTC'").ReadAll(); err != nil {
		t.Fatal(err)
	}
	addr := serveDir(t, dir)
	bc := connect(t, addr, pgx.QueryExecModeSimpleProtocol).PgConn()
	for _, sql := range copyStatements {
		want, wantTag, err := copyOut(t, pg, sql)
		if err != nil {
			t.Fatalf("PostgreSQL: %s: %v", sql, err)
		}
		got, gotTag, err := copyOut(t, bc, sql)
		if err != nil {
			t.Errorf("%s: %v", sql, err)
			continue
		}
		if got != want || gotTag != wantTag {
			t.Errorf("%s:\n got %q %s\nwant %q %s", sql, got, gotTag, want, wantTag)
		}
	}
	for _, sql := range copyErrors {
		_, _, perr := copyOut(t, pg, sql)
		_, _, berr := copyOut(t, bc, sql)
		var pe, be *pgconn.PgError
		if !errors.As(perr, &pe) {
			t.Fatalf("PostgreSQL: %s: %v", sql, perr)
		}
		if !errors.As(berr, &be) {
			t.Errorf("%s: got %v, want %s %s", sql, berr, pe.Code, pe.Message)
			continue
		}
		if be.Code != pe.Code || be.Message != pe.Message {
			t.Errorf("%s: got %s %q, want %s %q", sql, be.Code, be.Message, pe.Code, pe.Message)
		}
	}
	// psql's \copy sends COPY ... TO STDOUT and writes the file itself.
	psql, err := exec.LookPath("psql")
	if err != nil {
		return
	}
	host, port, _ := net.SplitHostPort(addr)
	for i, cmd := range []string{
		`\copy (select * from strs order by id) to '%s' with (format csv, header)`,
		`\copy (select * from times order by id) to '%s'`,
		`\copy times to '%s' binary`,
	} {
		bf := filepath.Join(t.TempDir(), "basalt.out")
		pf := filepath.Join(t.TempDir(), "pg.out")
		out, err := exec.Command(psql, "-X", "-h", host, "-p", port, "-U", "u", "-d", "basalt", "-c", strings.ReplaceAll(cmd, "%s", bf)).CombinedOutput()
		if err != nil {
			t.Fatalf("psql against Basalt: %s: %v: %s", cmd, err, out)
		}
		pout, err := exec.Command(psql, "-X", "-d", ref.DSN(), "-c", strings.ReplaceAll(cmd, "%s", pf)).CombinedOutput()
		if err != nil {
			t.Fatalf("psql against PostgreSQL: %s: %v: %s", cmd, err, pout)
		}
		b, _ := os.ReadFile(bf)
		p, _ := os.ReadFile(pf)
		if !bytes.Equal(b, p) || !strings.HasPrefix(string(out), "COPY ") {
			t.Errorf("\\copy %d: Basalt %q (%s), PostgreSQL %q", i, b, out, p)
		}
	}
}

// countingWriter counts the bytes and lines COPY writes.
type countingWriter struct{ bytes, lines int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.bytes += len(p)
	w.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// cancelOnFirstWrite counts like countingWriter and calls fire once, when
// the first bytes arrive.
type cancelOnFirstWrite struct {
	countingWriter
	fire func()
}

func (w *cancelOnFirstWrite) Write(p []byte) (int, error) {
	if w.fire != nil && len(p) > 0 {
		w.fire()
		w.fire = nil
	}
	return w.countingWriter.Write(p)
}

// TestCopyLarge streams a large COPY and checks the server's heap stays
// far below the size of the result.
func TestCopyLarge(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol).PgConn()
	const total = 3_000_000
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapAlloc)
			}
		}
	}()
	var w countingWriter
	tag, err := c.CopyTo(context.Background(), &w, fmt.Sprintf("copy (select g, 'row ' || g as s from generate_series(1, %d) as x(g)) to stdout (format csv)", total))
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	if tag.String() != fmt.Sprintf("COPY %d", total) || w.lines != total {
		t.Fatalf("tag %s, %d lines", tag, w.lines)
	}
	// The CSV is ~50 MB; the client side keeps nothing, so the heap holds
	// the server's batches and buffers only.
	t.Logf("heap grew by %d MB for a %d MB COPY", (int64(peak)-int64(before.HeapAlloc))>>20, w.bytes>>20)
	if grow := int64(peak) - int64(before.HeapAlloc); grow > int64(w.bytes)/2 {
		t.Errorf("heap grew by %d MB for a %d MB COPY", grow>>20, w.bytes>>20)
	}
}

// TestCopyCancelAndDisconnect: a cancel request stops a COPY with 57014
// and the connection goes on; a client that leaves mid-COPY does not stop
// the server.
func TestCopyCancelAndDisconnect(t *testing.T) {
	addr := startServer(t)
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol).PgConn()
	// Cancel once rows arrive, so the COPY runs for sure: a cancel on a
	// timer could reach the server before it read the statement (under
	// load), be ignored as in PostgreSQL, and leave a billion rows to copy.
	canceled := make(chan error, 1)
	w := &cancelOnFirstWrite{fire: func() {
		go func() { canceled <- c.CancelRequest(context.Background()) }()
	}}
	_, err := c.CopyTo(context.Background(), w, "copy (select g from generate_series(1, 1000000000) as s(g)) to stdout")
	if sqlState(err) != "57014" || w.lines == 0 {
		t.Fatalf("canceled COPY: %v after %d lines, want 57014", err, w.lines)
	}
	if err := <-canceled; err != nil {
		t.Fatal(err)
	}
	if rows, _, err := execAll(t, c, "select 1"); err != nil || flat(rows) != "1" {
		t.Fatalf("after cancel: %v %v", rows, err)
	}
	r := dialRaw(t, addr)
	r.send(&pgproto3.Query{String: "copy (select g from generate_series(1, 1000000000) as s(g)) to stdout (format csv)"})
	for i := 0; i < 100; i++ {
		if _, err := r.fe.Receive(); err != nil {
			t.Fatal(err)
		}
	}
	r.close()
	c2 := connect(t, addr, pgx.QueryExecModeSimpleProtocol).PgConn()
	if rows, _, err := execAll(t, c2, "select count(*) from t"); err != nil || flat(rows) != "5000" {
		t.Fatalf("after a client left mid-COPY: %v %v", rows, err)
	}
}
