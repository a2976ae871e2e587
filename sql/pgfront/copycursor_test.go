package pgfront

import (
	"errors"
	"reflect"
	"testing"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

func TestCopySyntax(t *testing.T) {
	type opt struct{ name, val string }
	cases := []struct {
		in     string
		table  []string
		cols   []string
		from   bool
		target string
		query  string // the inner statement's text
		opts   []opt
	}{
		{in: "COPY (select 1 as a) TO STDOUT", target: "stdout", query: "select 1 as a"},
		{in: "copy (select (1)) to stdout with (format csv, header, delimiter ';', null 'x', force_quote *)", target: "stdout", query: "select (1)",
			opts: []opt{{"format", "csv"}, {"header", ""}, {"delimiter", ";"}, {"null", "x"}, {"force_quote", "*"}}},
		{in: "COPY ( SELECT 1 ) TO STDOUT WITH CSV HEADER", target: "stdout", query: "SELECT 1", opts: []opt{{"format", "csv"}, {"header", "true"}}},
		{in: "copy (select 1) to stdout delimiter as '|' null as 'NUL' csv force quote a, b quote '\"' escape '\\'", target: "stdout", query: "select 1",
			opts: []opt{{"delimiter", "|"}, {"null", "NUL"}, {"format", "csv"}, {"force_quote", "[a b]"}, {"quote", `"`}, {"escape", `\`}}},
		{in: "copy t to stdout", table: []string{"t"}, target: "stdout", query: `SELECT * FROM "t"`},
		{in: `copy public."T" (a, "B") to stdout (format binary)`, table: []string{"public", "T"}, cols: []string{"a", "B"}, target: "stdout",
			query: `SELECT "a", "B" FROM "public"."T"`, opts: []opt{{"format", "binary"}}},
		{in: "copy binary t to stdout", table: []string{"t"}, target: "stdout", query: `SELECT * FROM "t"`, opts: []opt{{"format", "binary"}}},
		{in: "copy t from stdin", table: []string{"t"}, from: true, target: "stdin", query: `SELECT * FROM "t"`},
		{in: "copy t to '/tmp/x' using delimiters '|'", table: []string{"t"}, target: "file", query: `SELECT * FROM "t"`, opts: []opt{{"delimiter", "|"}}},
		{in: "copy (select 1) to program 'cat' (header false, format 'text')", target: "program", query: "select 1", opts: []opt{{"header", "false"}, {"format", "text"}}},
	}
	for _, c := range cases {
		sts, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		sp := sts[0].Special
		if sp == nil || sp.Kind != SpecialCopy || sp.Query == nil || sp.Query.AST == nil {
			t.Errorf("Parse(%q): %+v", c.in, sp)
			continue
		}
		cs := sp.Copy
		var opts []opt
		for _, o := range cs.Options {
			v := o.Value
			if o.Star {
				v = "*"
			}
			if o.IsList {
				v = "["
				for i, l := range o.List {
					if i > 0 {
						v += " "
					}
					v += l
				}
				v += "]"
			}
			opts = append(opts, opt{o.Name, v})
		}
		if !reflect.DeepEqual(cs.Table, c.table) || !reflect.DeepEqual(cs.Columns, c.cols) || cs.From != c.from ||
			cs.Target != c.target || sp.Query.Text != c.query || !reflect.DeepEqual(opts, c.opts) {
			t.Errorf("Parse(%q) = %+v query %q opts %v", c.in, cs, sp.Query.Text, opts)
		}
	}
}

func TestCursorSyntax(t *testing.T) {
	cases := []struct {
		in   string
		kind SpecialKind
		name string
		cur  *CursorSpec
		f    *FetchSpec
	}{
		{in: `DECLARE "c1" CURSOR WITHOUT HOLD FOR select 1`, kind: SpecialDeclare, name: "c1", cur: &CursorSpec{}},
		{in: `declare C binary no scroll cursor with hold for with x as (select 1) select * from x`, kind: SpecialDeclare, name: "c", cur: &CursorSpec{Binary: true, NoScroll: true, Hold: true}},
		{in: `declare c insensitive scroll cursor for select 1 union select 2`, kind: SpecialDeclare, name: "c", cur: &CursorSpec{Scroll: true}},
		{in: `FETCH FORWARD 2000 FROM "c1"`, kind: SpecialFetch, name: "c1", f: &FetchSpec{FetchForward, 2000}},
		{in: `fetch c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchForward, 1}},
		{in: `fetch in c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchForward, 1}},
		{in: `fetch next c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchForward, 1}},
		{in: `fetch all from c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchForward, FetchAll}},
		{in: `fetch forward all c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchForward, FetchAll}},
		{in: `fetch 5 c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchForward, 5}},
		{in: `fetch -5 c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchBackward, 5}},
		{in: `fetch backward -2 in c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchForward, 2}},
		{in: `fetch prior from c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchBackward, 1}},
		{in: `fetch last from c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchAbsolute, -1}},
		{in: `fetch absolute 3 from c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchAbsolute, 3}},
		{in: `fetch relative -1 from c`, kind: SpecialFetch, name: "c", f: &FetchSpec{FetchRelative, -1}},
		{in: `move forward 10 in c`, kind: SpecialMove, name: "c", f: &FetchSpec{FetchForward, 10}},
		{in: `close c`, kind: SpecialClose, name: "c"},
		{in: `CLOSE ALL`, kind: SpecialClose, name: ""},
	}
	for _, c := range cases {
		sts, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		sp := sts[0].Special
		if sp == nil || sp.Kind != c.kind || sp.Name != c.name || !reflect.DeepEqual(sp.Cursor, c.cur) || !reflect.DeepEqual(sp.Fetch, c.f) {
			t.Errorf("Parse(%q) = %+v", c.in, sp)
			continue
		}
		if c.kind == SpecialDeclare && (sp.Query == nil || sp.Query.AST == nil) {
			t.Errorf("Parse(%q): no query", c.in)
		}
	}
}

func TestCopyCursorErrors(t *testing.T) {
	cases := []struct {
		in  string
		msg string
		pos int
	}{
		{"copy (select 1) from stdin", `syntax error at or near "from"`, 17},
		{"copy (select 1) to stdout ()", `syntax error at or near ")"`, 28},
		{"copy (select 1 +) to stdout", `syntax error at or near ")"`, 17},
		{"copy (show x) to stdout", `syntax error at or near "show"`, 7},
		{"copy () to stdout", `syntax error at or near ")"`, 7},
		{"copy (select 1 to stdout", "syntax error at end of input", 25},
		{"copy t", "syntax error at end of input", 7},
		{"copy t to", "syntax error at end of input", 10},
		{"copy (select 1) to stdout using delimiters '|'", `syntax error at or near "using"`, 27},
		{"copy t to stdout with csv force quote", "syntax error at end of input", 38},
		{"declare c for select 1", `syntax error at or near "for"`, 11},
		{"declare c cursor for", "syntax error at end of input", 21},
		{"declare c cursor for explain select 1", `syntax error at or near "explain"`, 22},
		{"fetch", "syntax error at end of input", 6},
		{"fetch next", "syntax error at end of input", 11},
		{"fetch 9999999999 from c", `syntax error at or near "9999999999"`, 7},
		{"fetch absolute from c", `syntax error at or near "from"`, 16},
		{"close", "syntax error at end of input", 6},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		var e *sqlerr.Error
		if !errors.As(err, &e) || e.Code != sqlerr.SyntaxError || e.Message != c.msg || e.Position != c.pos {
			t.Errorf("Parse(%q) = %v (at %d), want %q at %d", c.in, err, posOf(e), c.msg, c.pos)
		}
	}
}

func posOf(e *sqlerr.Error) int {
	if e == nil {
		return 0
	}
	return e.Position
}
