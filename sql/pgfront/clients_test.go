package pgfront

import (
	"errors"
	"testing"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// TestClientSyntax covers the constructs drivers and BI tools send in
// their catalog queries: SQL's parameterless functions, OPERATOR(...),
// COLLATE.
func TestClientSyntax(t *testing.T) {
	cases := []struct{ in, want string }{
		{"select current_user, session_user, user, current_role, current_catalog, current_schema",
			"SELECT __PG_CURRENT_USER(),__PG_SESSION_USER(),__PG_USER(),__PG_CURRENT_ROLE(),__PG_CURRENT_CATALOG(),__PG_CURRENT_SCHEMA()"},
		{"select current_schema(), x = any(current_schemas(true))",
			"SELECT CURRENT_SCHEMA(),__PG_ANY(`x`, '=', CURRENT_SCHEMAS(TRUE))"},
		{"select (current_schemas(true))[1]", "SELECT __PG_SUBSCRIPT((CURRENT_SCHEMAS(TRUE)), 1)"},
		{"select a OPERATOR(pg_catalog.~) '^x', a operator(pg_catalog.=) b, a operator(+) 1",
			"SELECT `a` REGEXP '^x',`a`=`b`,`a`+1"},
		{"select a operator(pg_catalog.!~*) 'x', a operator(pg_catalog.~~) 'y%'",
			"SELECT `a` NOT REGEXP CONCAT('(?i)', 'x'),`a` LIKE 'y%'"},
		{"select a operator(pg_catalog.=) any('{1,2}')", "SELECT __PG_ANY(`a`, '=', '{1,2}')"},
		{`select a collate "C", b COLLATE pg_catalog.default, c collate "POSIX" < d from t order by a collate "C" desc`,
			"SELECT `a`,`b`,`c`<`d` FROM `t` ORDER BY `a` DESC"},
	}
	for _, c := range cases {
		sts, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got := restoreAll(t, sts); got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.in, got, c.want)
		}
	}
}

func TestClientSyntaxErrors(t *testing.T) {
	cases := []struct {
		in   string
		code string
		msg  string
		pos  int
	}{
		{`select 'a' collate "de_DE"`, sqlerr.UndefinedObject, `collation "de_DE" for encoding "UTF8" does not exist`, 12},
		{`select 'a' collate c`, sqlerr.UndefinedObject, `collation "c" for encoding "UTF8" does not exist`, 12},
		{`select 'a' collate foo.bar`, sqlerr.InvalidSchemaName, `schema "foo" does not exist`, 12},
		{`select 'a' collate default`, sqlerr.SyntaxError, `syntax error at or near "default"`, 20},
		{`select 'a' collate`, sqlerr.SyntaxError, `syntax error at end of input`, 19},
		{`select 'a' operator(foo.=) 'b'`, sqlerr.InvalidSchemaName, `schema "foo" does not exist`, 12},
		{`select 'a' operator() 'b'`, sqlerr.SyntaxError, `syntax error at or near ")"`, 21},
		{`select 'a' operator(pg_catalog.x) 'b'`, sqlerr.SyntaxError, `syntax error at or near "x"`, 32},
		{`select 'a' operator(pg_catalog.@@@) 'b'`, sqlerr.UndefinedFunction, `operator does not exist: @@@`, 12},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		var se *sqlerr.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: got %v, want a *sqlerr.Error", c.in, err)
			continue
		}
		if se.Code != c.code || se.Message != c.msg || se.Position != c.pos {
			t.Errorf("%s: got %s %q at %d, want %s %q at %d", c.in, se.Code, se.Message, se.Position, c.code, c.msg, c.pos)
		}
	}
}
