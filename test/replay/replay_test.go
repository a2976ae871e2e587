package replay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/server/pgwire"
	"github.com/basaltdb/basalt/storage/tpchgen"
)

// The environment switches of this package:
//
//	BASALT_PG_DSN         also run every record on this PostgreSQL (in a
//	                      database basalt_replay_<pid>_<ns> of its own) and compare
//	                      column names and types.
//	BASALT_REPLAY_UPDATE  run skipped records too and rewrite the "-- skip:"
//	                      headers of the .sql files from what fails now, and
//	                      the "-- shapediff:" headers when BASALT_PG_DSN is set.
//	BASALT_REPLAY_GAPS    write a markdown summary of the failures (grouped by
//	                      error) to this file; used for GAPS.md.
const tpchScale = 0.001

var (
	basaltAddr string
	tpchDir    string
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// setup writes a small TPC-H data set and serves it on a loopback port for
// the whole package.
func setup(m *testing.M) (int, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "basalt-replay-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	tpchDir = dir
	if err := tpchgen.Generate(ctx, tpchScale, dir, nil); err != nil {
		return 0, err
	}
	eng, err := engine.Open(ctx, engine.Config{DataDir: dir})
	if err != nil {
		return 0, err
	}
	defer eng.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := pgwire.New(pgwire.Config{Engine: eng, Logf: func(string, ...any) {}})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	basaltAddr = ln.Addr().String()
	code := m.Run()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return 0, err
	}
	if err := <-done; !errors.Is(err, pgwire.ErrServerClosed) {
		return 0, err
	}
	return code, nil
}

// files lists the replay files, one a tool.
func files(t *testing.T) []string {
	t.Helper()
	fs, err := filepath.Glob("*.sql")
	if err != nil || len(fs) == 0 {
		t.Fatalf("no replay files: %v", err)
	}
	sort.Strings(fs)
	return fs
}

func connectBasalt(ctx context.Context, t *testing.T, app string) *pgconn.PgConn {
	t.Helper()
	c, err := pgconn.Connect(ctx, "postgres://tester@"+basaltAddr+"/basalt?sslmode=disable&application_name="+app)
	if err != nil {
		t.Fatalf("connect to basalt: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// outcome is what one record produced: the result sets in order (a simple
// Query may hold several statements) or the first error.
type outcome struct {
	sets []set
	err  error
}

type set struct {
	fields []pgconn.FieldDescription
	rows   [][]*string
}

// first is the first result set with columns (the one expectations check).
func (o outcome) first() set {
	for _, s := range o.sets {
		if len(s.fields) > 0 {
			return s
		}
	}
	return set{}
}

// run sends one record the way its tool does.
func run(ctx context.Context, c *pgconn.PgConn, r *Record, vars map[string]string) outcome {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	text, err := Substitute(r.SQL, vars)
	if err != nil {
		return outcome{err: err}
	}
	var o outcome
	switch r.Mode {
	case Extended:
		vals := make([][]byte, len(r.Params))
		oids := make([]uint32, len(r.Params))
		for i, p := range r.Params {
			v, err := Substitute(p.Value, vars)
			if err != nil {
				return outcome{err: err}
			}
			vals[i], oids[i] = []byte(v), p.OID
		}
		s, err := readSet(c.ExecParams(ctx, text, vals, oids, nil, nil))
		if err != nil {
			return outcome{err: err}
		}
		o.sets = append(o.sets, s)
	default:
		mrr := c.Exec(ctx, text)
		for mrr.NextResult() {
			s, err := readSet(mrr.ResultReader())
			if err != nil {
				mrr.Close()
				return outcome{err: err}
			}
			o.sets = append(o.sets, s)
		}
		if err := mrr.Close(); err != nil {
			return outcome{err: err}
		}
	}
	if r.Capture != "" {
		f := o.first()
		if len(f.rows) == 0 || len(f.rows[0]) == 0 || f.rows[0][0] == nil {
			return outcome{err: fmt.Errorf("capture %s: the statement returned no value", r.Capture)}
		}
		vars[r.Capture] = *f.rows[0][0]
	}
	return o
}

// readSet reads one result. pgconn's ResultReader.Read keeps the columns
// only when there are rows; the shape of an empty answer matters here.
func readSet(rr *pgconn.ResultReader) (set, error) {
	var s set
	for rr.NextRow() {
		vals := rr.Values()
		cells := make([]*string, len(vals))
		for i, b := range vals {
			if b != nil {
				v := string(b)
				cells[i] = &v
			}
		}
		s.rows = append(s.rows, cells)
	}
	s.fields = append([]pgconn.FieldDescription(nil), rr.FieldDescriptions()...)
	_, err := rr.Close()
	return s, err
}

// check applies the record's expectations; it returns the mismatches.
func check(r *Record, o outcome) []string {
	s := o.first()
	cols := make([]string, len(s.fields))
	for i, f := range s.fields {
		cols[i] = f.Name
	}
	var bad []string
	for _, e := range r.Expects {
		if msg := e.Check(cols, s.rows); msg != "" {
			bad = append(bad, "expect "+e.Kind+": "+msg)
		}
	}
	return bad
}

// errText is an error on one line, the way GAPS.md and skip headers show it.
func errText(err error) string {
	var pe *pgconn.PgError
	s := err.Error()
	if errors.As(err, &pe) {
		s = pe.Code + " " + pe.Message
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// TestReplay runs every record of every tool file against Basalt, on one
// connection a tool (the order matters: tools SET things, then read them).
func TestReplay(t *testing.T) {
	update := os.Getenv("BASALT_REPLAY_UPDATE") != ""
	var gaps []gap
	for _, path := range files(t) {
		recs, err := ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tool := strings.TrimSuffix(path, ".sql")
		t.Run(tool, func(t *testing.T) {
			ctx := context.Background()
			c := connectBasalt(ctx, t, "replay-"+tool)
			vars := map[string]string{}
			fails := map[*Record]string{}
			pass, skipped := 0, 0
			for _, r := range recs {
				if r.Skip != "" && !update {
					skipped++
					continue
				}
				o := run(ctx, c, r, vars)
				var msg string
				if o.err != nil {
					msg = errText(o.err)
				} else if bad := check(r, o); len(bad) > 0 {
					msg = strings.Join(bad, "; ")
				}
				if msg == "" {
					pass++
					continue
				}
				fails[r] = msg
				gaps = append(gaps, gap{tool: tool, rec: r, msg: msg})
				if !update {
					t.Errorf("%s:%d %s: %s\n%s", r.File, r.Line, r.Name, msg, r.SQL)
				}
			}
			t.Logf("%s: %d pass, %d skipped, %d fail", tool, pass, skipped, len(fails))
			if update {
				if err := rewriteHeaders(path, recs, "skip", fails); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	if out := os.Getenv("BASALT_REPLAY_GAPS"); out != "" {
		if err := writeGaps(out, gaps); err != nil {
			t.Fatal(err)
		}
	}
}

type gap struct {
	tool string
	rec  *Record
	msg  string
}

// writeGaps writes the failures grouped by error, most statements first.
func writeGaps(path string, gaps []gap) error {
	by := map[string][]gap{}
	for _, g := range gaps {
		by[g.msg] = append(by[g.msg], g)
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(by[keys[i]]) != len(by[keys[j]]) {
			return len(by[keys[i]]) > len(by[keys[j]])
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	fmt.Fprintf(&b, "| statements | error | records |\n|---:|---|---|\n")
	for _, k := range keys {
		var names []string
		for _, g := range by[k] {
			names = append(names, fmt.Sprintf("%s:%d %s", g.rec.File, g.rec.Line, g.rec.Name))
		}
		fmt.Fprintf(&b, "| %d | %s | %s |\n", len(by[k]), strings.ReplaceAll(k, "|", `\|`), strings.Join(names, "<br>"))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// rewriteHeaders sets the "-- key:" header of each record to its message in
// msgs and removes it from records that have none; it keeps everything else
// of the file as it is.
func rewriteHeaders(path string, recs []*Record, key string, msgs map[*Record]string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	// Bottom to top, so earlier line numbers stay valid.
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		at := r.Line // index of the line after "-- name:" (Line is 1-based)
		end := at
		for end < len(lines) && isHeader(lines[end]) {
			end++
		}
		var head []string
		for _, l := range lines[at:end] {
			if _, ok := header(l, key); !ok {
				head = append(head, l)
			}
		}
		if m, ok := msgs[r]; ok {
			head = append(head, "-- "+key+": "+m)
		}
		lines = append(lines[:at], append(head, lines[end:]...)...)
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644)
}

func isHeader(l string) bool {
	for _, k := range []string{"source", "note", "skip", "shapediff", "capture", "compare", "mode", "param", "expect"} {
		if _, ok := header(l, k); ok {
			return true
		}
	}
	return false
}
