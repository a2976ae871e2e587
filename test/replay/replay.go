// Package replay replays the statements BI tools and drivers send when they
// connect to a PostgreSQL server and browse its tables (Metabase, Superset,
// Grafana, DBeaver, Tableau, Power BI through Npgsql), gathered from the
// tools' public sources. The statements live in one .sql file per tool; the
// test in this package sends them over the wire to Basalt (and, when
// BASALT_PG_DSN is set, to a real PostgreSQL holding the same tables, empty)
// and checks that they run and that their answers have PostgreSQL's shape.
//
// It imports only pgx; the test starts the engine and the wire server.
package replay

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Mode is how a record's text goes over the wire.
type Mode string

const (
	// Simple sends the text in one Query message (what psycopg2, psql and
	// Grafana's pgx-in-simple-mode do).
	Simple Mode = "simple"
	// Extended sends Parse/Bind/Describe/Execute/Sync for an unnamed
	// statement with the record's parameters (pgjdbc, Npgsql, DBeaver).
	Extended Mode = "extended"
)

// Param is one bind parameter: the type OID the driver declares in Parse
// (0 leaves it to the server) and its text value.
type Param struct {
	OID   uint32
	Value string
}

// Expect is one check of a statement's answer beyond "no error".
type Expect struct {
	Kind string   // "cell", "row", "rows", "minrows", "columns"
	Args []string // the values, as text
}

// Record is one statement a tool sends.
type Record struct {
	File    string
	Line    int // line of the "-- name:" header
	Name    string
	Source  string // tool source file and commit the text comes from
	Mode    Mode
	Params  []Param
	Expects []Expect
	// Capture names a variable set from the first cell of the first row;
	// later records use it as ${name} (the table OID a tool looked up).
	Capture string
	// Skip, when not empty, is why Basalt cannot run this record yet.
	Skip string
	// CompareRows asks the PostgreSQL comparison to compare the rows too
	// (sorted, as text), for answers that do not depend on OIDs or data.
	CompareRows bool
	// ShapeDiff, when not empty, says how the columns of Basalt's answer
	// still differ from PostgreSQL's (names or types).
	ShapeDiff string
	SQL       string
}

// typeOIDs are the parameter types the tools declare.
var typeOIDs = map[string]uint32{
	"unspecified": 0, "bool": 16, "int8": 20, "int2": 21, "int4": 23, "text": 25,
	"oid": 26, "float8": 701, "varchar": 1043,
}

// ParseFile reads a replay file. A record starts at a "-- name:" line; the
// header lines right after it ("-- source:", "-- mode:", "-- param:",
// "-- expect:", "-- capture:", "-- compare:", "-- skip:", "-- shapediff:",
// "-- note:")
// describe it; every
// other line up to the next "-- name:" is the statement text, comments
// included (tools send comments too).
func ParseFile(path string) ([]*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		recs   []*Record
		cur    *Record
		body   []string
		inHead bool
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		cur.SQL = strings.TrimSpace(strings.Join(body, "\n"))
		if cur.SQL == "" {
			return fmt.Errorf("%s:%d: record %q has no statement", path, cur.Line, cur.Name)
		}
		recs = append(recs, cur)
		return nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if v, ok := header(line, "name"); ok {
			if err := flush(); err != nil {
				return nil, err
			}
			cur = &Record{File: filepath.Base(path), Line: n, Name: v, Mode: Simple}
			body, inHead = nil, true
			continue
		}
		if cur == nil {
			continue // the file's own preamble
		}
		if inHead {
			if ok, err := cur.headerLine(line); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, n, err)
			} else if ok {
				continue
			}
			inHead = false
		}
		body = append(body, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return recs, nil
}

// header reports whether line is "-- key: value" and returns the value.
func header(line, key string) (string, bool) {
	p := "-- " + key + ":"
	if !strings.HasPrefix(line, p) {
		return "", false
	}
	return strings.TrimSpace(line[len(p):]), true
}

// headerLine applies one header line to r; false means line is not a header.
func (r *Record) headerLine(line string) (bool, error) {
	if v, ok := header(line, "source"); ok {
		if r.Source != "" {
			r.Source += " "
		}
		r.Source += v
		return true, nil
	}
	if _, ok := header(line, "note"); ok {
		return true, nil
	}
	if v, ok := header(line, "skip"); ok {
		if v == "" {
			return false, fmt.Errorf("skip needs a reason")
		}
		r.Skip = v
		return true, nil
	}
	if v, ok := header(line, "compare"); ok {
		if v != "rows" {
			return false, fmt.Errorf("unknown comparison %q", v)
		}
		r.CompareRows = true
		return true, nil
	}
	if v, ok := header(line, "shapediff"); ok {
		r.ShapeDiff = v
		return true, nil
	}
	if v, ok := header(line, "capture"); ok {
		r.Capture = v
		return true, nil
	}
	if v, ok := header(line, "mode"); ok {
		switch Mode(v) {
		case Simple, Extended:
			r.Mode = Mode(v)
		default:
			return false, fmt.Errorf("unknown mode %q", v)
		}
		return true, nil
	}
	if v, ok := header(line, "param"); ok {
		// "-- param: varchar public": the type, one space, the value as is
		// (possibly empty or with spaces).
		typ, val, _ := strings.Cut(v, " ")
		oid, known := typeOIDs[typ]
		if !known {
			return false, fmt.Errorf("unknown parameter type %q", typ)
		}
		r.Params = append(r.Params, Param{OID: oid, Value: val})
		r.Mode = Extended
		return true, nil
	}
	if v, ok := header(line, "expect"); ok {
		kind, rest, _ := strings.Cut(v, " ")
		e := Expect{Kind: kind}
		switch kind {
		case "cell":
			e.Args = []string{rest}
		case "row", "columns":
			for _, a := range strings.Split(rest, "|") {
				e.Args = append(e.Args, strings.TrimSpace(a))
			}
		case "rows", "minrows":
			if _, err := strconv.Atoi(rest); err != nil {
				return false, fmt.Errorf("expect %s needs a number: %q", kind, rest)
			}
			e.Args = []string{rest}
		default:
			return false, fmt.Errorf("unknown expectation %q", kind)
		}
		r.Expects = append(r.Expects, e)
		return true, nil
	}
	return false, nil
}

// Substitute replaces ${name} in s with captured values; unknown names are
// reported so a record whose lookup failed fails clearly.
func Substitute(s string, vars map[string]string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		name := s[i+2 : i+j]
		v, ok := vars[name]
		if !ok {
			return "", fmt.Errorf("variable %s was not captured (an earlier record failed)", name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+1:]
	}
}

// Check tests one expectation against a result (column names and rows of
// text cells, nil for NULL) and returns a description of the mismatch.
func (e Expect) Check(cols []string, rows [][]*string) string {
	switch e.Kind {
	case "cell":
		for _, r := range rows {
			for _, c := range r {
				if c != nil && *c == e.Args[0] {
					return ""
				}
			}
		}
		return fmt.Sprintf("no cell equals %q", e.Args[0])
	case "row":
		for _, r := range rows {
			if containsRun(r, e.Args) {
				return ""
			}
		}
		return fmt.Sprintf("no row holds %q in consecutive cells", strings.Join(e.Args, " | "))
	case "rows", "minrows":
		n, _ := strconv.Atoi(e.Args[0])
		if e.Kind == "rows" && len(rows) != n || e.Kind == "minrows" && len(rows) < n {
			return fmt.Sprintf("%d rows, want %s %d", len(rows), map[string]string{"rows": "", "minrows": "at least"}[e.Kind], n)
		}
		return ""
	case "columns":
		if strings.Join(cols, "|") != strings.Join(e.Args, "|") {
			return fmt.Sprintf("columns %q, want %q", cols, e.Args)
		}
		return ""
	}
	return "unknown expectation " + e.Kind
}

// containsRun reports whether want appears in row as consecutive cells.
func containsRun(row []*string, want []string) bool {
	for i := 0; i+len(want) <= len(row); i++ {
		ok := true
		for j, w := range want {
			c := row[i+j]
			if c == nil && w != "NULL" || c != nil && *c != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
