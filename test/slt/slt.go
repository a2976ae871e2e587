// Package slt is Basalt's sqllogictest suite: .slt files under testdata pin
// the engine's SQL behaviour to PostgreSQL's. The same files run against
// Basalt (always) and against a real PostgreSQL (when BASALT_PG_DSN is set),
// over fixture tables defined once in fixtures.go. Only the test files of
// this package import the engine; the file format, the fixtures and value
// formatting live here so that both halves share them.
package slt

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// Kind is the kind of a record.
type Kind int

const (
	StatementOK Kind = iota
	StatementError
	Query
	QueryError
)

// Record is one statement or query of an .slt file.
type Record struct {
	Kind Kind
	// Line is the 1-based line of the record's header (after conditions).
	Line int
	// Conditions are the skipif/onlyif lines in front of the header.
	Conditions []string
	SQL        string
	// Types holds the query's type characters (I, R, T, B), one per column.
	Types string
	// Sort is "rowsort" or "nosort" (the default, written as "").
	Sort string
	// ErrCode is the expected SQLSTATE of an error record ("" = any).
	ErrCode string
	// Expected result lines of a query.
	Expected []string

	// start and end are the record's line span [start, end) in the file,
	// conditions included, so that completion can rewrite it in place.
	start, end int
}

// File is a parsed .slt file.
type File struct {
	Path    string
	Lines   []string
	Records []*Record
	// NoPG is set by a "# nopg" line before the first record: the file
	// uses Basalt-only behaviour and does not run against PostgreSQL.
	NoPG bool
}

// ParseFile reads and parses an .slt file.
func ParseFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	return f, nil
}

// Parse parses the text of an .slt file.
func Parse(text string) (*File, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	f := &File{Lines: lines}
	i := 0
	var conds []string
	condStart := -1
	for i < len(lines) {
		line := strings.TrimSpace(lines[i])
		switch {
		case line == "":
			if len(conds) > 0 {
				return nil, fmt.Errorf("line %d: condition not followed by a record", i)
			}
			i++
			continue
		case strings.HasPrefix(line, "#"):
			if len(f.Records) == 0 && strings.TrimSpace(strings.TrimPrefix(line, "#")) == "nopg" {
				f.NoPG = true
			}
			i++
			continue
		case strings.HasPrefix(line, "skipif ") || strings.HasPrefix(line, "onlyif "):
			if condStart < 0 {
				condStart = i
			}
			conds = append(conds, line)
			i++
			continue
		}
		start := i
		if condStart >= 0 {
			start = condStart
		}
		r := &Record{Line: i + 1, Conditions: conds, start: start}
		conds, condStart = nil, -1
		fields := strings.Fields(line)
		switch {
		case fields[0] == "statement" && len(fields) == 2 && fields[1] == "ok":
			r.Kind = StatementOK
		case fields[0] == "statement" && len(fields) >= 2 && fields[1] == "error":
			r.Kind = StatementError
			if len(fields) > 2 {
				r.ErrCode = fields[2]
			}
		case fields[0] == "query" && len(fields) >= 2 && fields[1] == "error":
			r.Kind = QueryError
			if len(fields) > 2 {
				r.ErrCode = fields[2]
			}
		case fields[0] == "query" && len(fields) >= 2:
			r.Kind = Query
			r.Types = fields[1]
			for _, c := range r.Types {
				if !strings.ContainsRune("IRTB", c) {
					return nil, fmt.Errorf("line %d: bad type character %q", i+1, c)
				}
			}
			if len(fields) > 2 {
				switch fields[2] {
				case "rowsort":
					r.Sort = "rowsort"
				case "nosort":
				default:
					return nil, fmt.Errorf("line %d: unknown sort mode %q", i+1, fields[2])
				}
			}
		default:
			return nil, fmt.Errorf("line %d: unknown record %q", i+1, line)
		}
		i++
		var sql []string
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" && strings.TrimSpace(lines[i]) != "----" {
			sql = append(sql, lines[i])
			i++
		}
		if len(sql) == 0 {
			return nil, fmt.Errorf("line %d: record without SQL", r.Line)
		}
		r.SQL = strings.Join(sql, "\n")
		if i < len(lines) && strings.TrimSpace(lines[i]) == "----" {
			if r.Kind != Query {
				return nil, fmt.Errorf("line %d: ---- after a record that has no results", i+1)
			}
			i++
			for i < len(lines) && lines[i] != "" {
				r.Expected = append(r.Expected, lines[i])
				i++
			}
		}
		r.end = i
		f.Records = append(f.Records, r)
	}
	if len(conds) > 0 {
		return nil, fmt.Errorf("condition at end of file")
	}
	return f, nil
}

// Runs reports whether r runs on the engine named by engine ("basalt" or
// "postgres"), following its skipif/onlyif conditions.
func (r *Record) Runs(engine string) bool {
	for _, c := range r.Conditions {
		f := strings.Fields(c)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "skipif":
			if f[1] == engine {
				return false
			}
		case "onlyif":
			if f[1] != engine {
				return false
			}
		}
	}
	return true
}

// Outcome is what an engine produced for a record.
type Outcome struct {
	// Err is set when the statement failed; ErrCode is its SQLSTATE.
	Err     error
	ErrCode string
	// Types holds one type character per result column.
	Types string
	// Rows are the formatted result lines (sorted if the record says rowsort).
	Rows []string
}

// Check compares an outcome with the record's expectation and returns a
// description of every difference, or "" when they agree.
func (r *Record) Check(o *Outcome) string {
	switch r.Kind {
	case StatementOK:
		if o.Err != nil {
			return fmt.Sprintf("expected success, got error %s: %v", o.ErrCode, o.Err)
		}
	case StatementError, QueryError:
		if o.Err == nil {
			return fmt.Sprintf("expected error %s, but the statement succeeded", r.ErrCode)
		}
		if r.ErrCode != "" && r.ErrCode != o.ErrCode {
			return fmt.Sprintf("expected error %s, got error %s: %v", r.ErrCode, o.ErrCode, o.Err)
		}
	case Query:
		if o.Err != nil {
			return fmt.Sprintf("query failed with %s: %v", o.ErrCode, o.Err)
		}
		var msgs []string
		if o.Types != r.Types {
			msgs = append(msgs, fmt.Sprintf("column types: expected %s, got %s", r.Types, o.Types))
		}
		exp := r.Expected
		if r.Sort == "rowsort" {
			exp = sortedCopy(exp)
		}
		if !equalLines(exp, o.Rows) {
			msgs = append(msgs, "results differ:\n"+diffLines(exp, o.Rows))
		}
		return strings.Join(msgs, "\n")
	}
	return ""
}

// Complete rewrites r's expectation from an outcome (the -complete modes).
func (r *Record) Complete(o *Outcome) {
	switch r.Kind {
	case StatementOK, StatementError:
		if o.Err != nil {
			r.Kind, r.ErrCode = StatementError, o.ErrCode
		} else {
			r.Kind, r.ErrCode = StatementOK, ""
		}
	case Query, QueryError:
		if o.Err != nil {
			r.Kind, r.ErrCode, r.Expected = QueryError, o.ErrCode, nil
			return
		}
		r.Kind, r.ErrCode = Query, ""
		r.Types = o.Types
		r.Expected = o.Rows
	}
}

// Format renders r back into .slt text (without a trailing blank line).
func (r *Record) Format() string {
	var sb strings.Builder
	for _, c := range r.Conditions {
		sb.WriteString(c + "\n")
	}
	switch r.Kind {
	case StatementOK:
		sb.WriteString("statement ok\n")
	case StatementError:
		sb.WriteString(strings.TrimSpace("statement error "+r.ErrCode) + "\n")
	case QueryError:
		sb.WriteString(strings.TrimSpace("query error "+r.ErrCode) + "\n")
	case Query:
		types := r.Types
		if types == "" {
			types = "T"
		}
		sb.WriteString(strings.TrimSpace("query "+types+" "+r.Sort) + "\n")
	}
	sb.WriteString(r.SQL + "\n")
	if r.Kind == Query {
		sb.WriteString("----\n")
		for _, l := range r.Expected {
			sb.WriteString(l + "\n")
		}
	}
	return strings.TrimSuffix(sb.String(), "\n")
}

// Rewrite returns the file's text with every record re-rendered, keeping
// comments and blank lines between records as they were.
func (f *File) Rewrite() string {
	var sb strings.Builder
	pos := 0
	for _, r := range f.Records {
		for ; pos < r.start; pos++ {
			sb.WriteString(f.Lines[pos] + "\n")
		}
		sb.WriteString(r.Format() + "\n")
		pos = r.end
	}
	for ; pos < len(f.Lines); pos++ {
		sb.WriteString(f.Lines[pos] + "\n")
	}
	return sb.String()
}

// TypeChar classes a PostgreSQL type name into an sqllogictest type
// character: I integers, R floats and numeric, B boolean, T everything else.
func TypeChar(pgType string) byte {
	switch pgType {
	case "smallint", "integer", "bigint", "oid":
		return 'I'
	case "real", "double precision", "numeric":
		return 'R'
	case "boolean":
		return 'B'
	}
	if strings.HasPrefix(pgType, "numeric(") && !strings.HasSuffix(pgType, "[]") {
		return 'R'
	}
	return 'T'
}

// FormatValue renders one value as it appears in an expected-output line:
// PostgreSQL's text output, NULL as NULL and the empty string as (empty),
// since a blank would vanish among the space-separated values.
func FormatValue(s string, isNull bool) string {
	if isNull {
		return "NULL"
	}
	if s == "" {
		return "(empty)"
	}
	return s
}

// FinishRows joins each row's values with single spaces and sorts the rows
// for rowsort.
func FinishRows(rows [][]string, sortMode string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.TrimRight(strings.Join(r, " "), " ")
	}
	if sortMode == "rowsort" {
		sort.Strings(out)
	}
	return out
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.TrimRight(a[i], " ") != strings.TrimRight(b[i], " ") {
			return false
		}
	}
	return true
}

// diffLines shows expected and actual side by side, marking lines that
// differ, and cuts long results short.
func diffLines(exp, got []string) string {
	var sb strings.Builder
	n := max(len(exp), len(got))
	shown := 0
	for i := 0; i < n; i++ {
		var e, g string
		if i < len(exp) {
			e = exp[i]
		} else {
			e = "<missing>"
		}
		if i < len(got) {
			g = got[i]
		} else {
			g = "<missing>"
		}
		if strings.TrimRight(e, " ") == strings.TrimRight(g, " ") {
			continue
		}
		if shown == 10 {
			fmt.Fprintf(&sb, "  ... (expected %d rows, got %d)\n", len(exp), len(got))
			break
		}
		fmt.Fprintf(&sb, "  row %d: expected %q\n          got      %q\n", i+1, e, g)
		shown++
	}
	return strings.TrimSuffix(sb.String(), "\n")
}
