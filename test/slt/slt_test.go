package slt

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
	"time"
)

var (
	complete = flag.Bool("complete", false,
		"rewrite expected outputs from Basalt's actual results (authoring aid: review the diff!)")
	completeFromPG = flag.Bool("complete-from-pg", false,
		"rewrite expected outputs from PostgreSQL's results (needs BASALT_PG_DSN)")
	only = flag.String("slt", "", "run only .slt files whose name contains this")
)

// queryTimeout bounds one record so that a hung query fails its record, not
// the whole run.
const queryTimeout = 60 * time.Second

// dataDir holds the fixture Parquet files, written once per test binary.
var dataDir string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "basalt-slt-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := WriteParquet(dir, Fixtures()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	dataDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sltFiles lists the .slt files to run.
func sltFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.slt"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var out []string
	for _, f := range files {
		if *only == "" || strings.Contains(filepath.Base(f), *only) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatal("no .slt files found")
	}
	return out
}

// runner executes one record on one engine.
type runner func(ctx context.Context, r *Record) *Outcome

// runFile runs every record of f on an engine and either checks it or, when
// rewrite is set, completes the expectation from the outcome and rewrites
// the file.
func runFile(t *testing.T, f *File, engine string, run runner, rewrite bool) {
	t.Helper()
	failed := 0
	for _, r := range f.Records {
		if !r.Runs(engine) {
			continue
		}
		o := safeRun(run, r)
		if rewrite {
			r.Complete(o)
			continue
		}
		if msg := r.Check(o); msg != "" {
			failed++
			t.Errorf("%s:%d: %s\n%s\n%s", f.Path, r.Line, engine, indent(r.SQL), msg)
		}
	}
	if rewrite {
		if err := os.WriteFile(f.Path, []byte(f.Rewrite()), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s from %s", f.Path, engine)
	}
	if failed > 0 {
		t.Logf("%s: %d of %d records failed on %s", f.Path, failed, len(f.Records), engine)
	}
}

// safeRun runs one record with a timeout, turning a panic anywhere in the
// engine into a failed record so that the rest of the file still runs.
func safeRun(run runner, r *Record) (o *Outcome) {
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			o = &Outcome{Err: fmt.Errorf("panic: %v\n%s", p, debug.Stack()), ErrCode: "PANIC"}
		}
	}()
	return run(ctx, r)
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

// TestPostgres runs every file not marked "# nopg" against the PostgreSQL
// at BASALT_PG_DSN and checks that PostgreSQL agrees with the expected
// outputs: this is what keeps the expectations honest.
func TestPostgres(t *testing.T) {
	dsn := os.Getenv("BASALT_PG_DSN")
	if dsn == "" {
		if *completeFromPG {
			t.Fatal("-complete-from-pg needs BASALT_PG_DSN")
		}
		t.Skip("BASALT_PG_DSN not set: expected outputs not checked against PostgreSQL (see scripts/start-postgres.sh)")
	}
	ctx := context.Background()
	pg, err := SetupPostgres(ctx, dsn, Fixtures())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pg.Drop(context.Background()); err != nil {
			t.Errorf("drop database %s: %v", pg.Database, err)
		}
	})
	for _, path := range sltFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".slt"), func(t *testing.T) {
			f, err := ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if f.NoPG {
				t.Skip("file is marked # nopg")
			}
			s, err := pg.Session(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(ctx)
			runFile(t, f, "postgres", s.Run, *completeFromPG)
		})
	}
}

func TestParseRoundTrip(t *testing.T) {
	src := `# a comment
# nopg

statement error 42P01
SELECT * FROM nowhere

skipif postgres
query IT rowsort
SELECT 1, 'a'
UNION ALL SELECT 2, 'b'
----
1 a
2 b

query error 22012
SELECT 1/0
`
	f, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if !f.NoPG || len(f.Records) != 3 {
		t.Fatalf("nopg=%v records=%d", f.NoPG, len(f.Records))
	}
	q := f.Records[1]
	if q.Kind != Query || q.Types != "IT" || q.Sort != "rowsort" || len(q.Expected) != 2 || q.Runs("postgres") || !q.Runs("basalt") {
		t.Fatalf("bad query record %+v", q)
	}
	if got := f.Rewrite(); got != src {
		t.Fatalf("rewrite changed the file:\n%s", got)
	}
	o := &Outcome{Types: "IT", Rows: FinishRows([][]string{{"2", "b"}, {"1", "x"}}, "rowsort")}
	if msg := q.Check(o); !strings.Contains(msg, `expected "1 a"`) || !strings.Contains(msg, `"1 x"`) {
		t.Fatalf("check did not report the difference: %q", msg)
	}
	if msg := f.Records[2].Check(&Outcome{Err: fmt.Errorf("x"), ErrCode: "22003"}); msg == "" {
		t.Fatal("wrong SQLSTATE accepted")
	}
}
