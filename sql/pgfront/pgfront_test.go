package pgfront

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// TestRewrite checks the AST TiDB builds from the front's output, restored
// to text, for each PostgreSQL construct the front rewrites.
func TestRewrite(t *testing.T) {
	cases := []struct{ in, want string }{
		{"select a::int, b::numeric(10,2), c::double precision, d::timestamp with time zone, e::varchar(10)[]", "SELECT __PG_CAST(`a`, 'int'),__PG_CAST(`b`, 'numeric(10,2)'),__PG_CAST(`c`, 'double precision'),__PG_CAST(`d`, 'timestamp with time zone'),__PG_CAST(`e`, 'varchar(10)[]')"},
		{"select (a+b)::text, f(x)::int, -1::int, a + b::int, x::int::text, a.b::pg_catalog.int8, x::\"char\"", "SELECT __PG_CAST((`a`+`b`), 'text'),__PG_CAST(F(`x`), 'int'),-__PG_CAST(1, 'int'),`a`+__PG_CAST(`b`, 'int'),__PG_CAST(__PG_CAST(`x`, 'int'), 'text'),__PG_CAST(`a`.`b`, 'pg_catalog.int8'),__PG_CAST(`x`, '\"char\"')"},
		{"select cast(x as character varying(10)), cast(a+b as int), CAST(y AS TIMESTAMP WITHOUT TIME ZONE)", "SELECT __PG_CAST(`x`, 'character varying(10)'),__PG_CAST(`a`+`b`, 'int'),__PG_CAST(`y`, 'timestamp without time zone')"},
		{"select E'a\\nb\\'c\\\\d\\x41\\u00e9', 'a\\b', $$x'y$$, $t$q$$t$, U&'d\\0061t\\+000061'", "SELECT 'a\nb''c\\dAé','a\\b','x''y','q$','data'"},
		{"select interval '1 month', interval '3' day, INTERVAL '1' YEAR, interval '7 days'", "SELECT __PG_INTERVAL('1 month'),__PG_INTERVAL('3 day'),__PG_INTERVAL('1 year'),__PG_INTERVAL('7 days')"},
		{"select date '1998-12-01' + interval '90' day, d - interval 3 day, d + interval (n) day", "SELECT __PG_CAST('1998-12-01', 'date')+__PG_INTERVAL('90 day'),`d`-__PG_INTERVAL('3 day'),`d`+__PG_INTERVAL((`n`), 'day')"},
		{"select timestamp '2020-01-01 10:00', timestamp with time zone '2020-01-01', time '10:00', timestamptz 'x'", "SELECT __PG_CAST('2020-01-01 10:00', 'timestamp'),__PG_CAST('2020-01-01', 'timestamp with time zone'),__PG_CAST('10:00', 'time'),__PG_CAST('x', 'timestamptz')"},
		{"select extract(dow from d), extract(epoch from t), extract('year' from d), EXTRACT(ISOYEAR FROM d + 1)", "SELECT __PG_EXTRACT('dow', `d`),__PG_EXTRACT('epoch', `t`),__PG_EXTRACT('year', `d`),__PG_EXTRACT('isoyear', `d`+1)"},
		{"select substring(x from 1 for 2), substring(x from 3), substring(x, 1, 2), substring(x for 3), substring(x for 2 from 3)", "SELECT SUBSTRING(`x`, 1, 2),SUBSTRING(`x`, 3),SUBSTRING(`x`, 1, 2),SUBSTRING(`x`, 1, 3),SUBSTRING(`x`, 3, 2)"},
		{"select position('a' in s), position(a || b in upper(s))", "SELECT __PG_POSITION('a', `s`),__PG_POSITION(CONCAT(`a`, `b`), UPPER(`s`))"},
		{"select trim(both 'x' from s), trim(leading from s), trim(s), trim(s, 'x'), trim(both from s), trim(trailing 'y' from s)", "SELECT TRIM(BOTH 'x' FROM `s`),TRIM(LEADING ' ' FROM `s`),TRIM(BOTH ' ' FROM `s`),TRIM(BOTH 'x' FROM `s`),TRIM(BOTH ' ' FROM `s`),TRIM(TRAILING 'y' FROM `s`)"},
		{"select a is distinct from b, a is not distinct from b + 1", "SELECT (NOT ((`a`)<=>(`b`))),((`a`)<=>(`b`+1))"},
		{"select * from t where x = 1 and a is not distinct from b or c", "SELECT * FROM `t` WHERE `x`=1 AND ((`a`)<=>(`b`)) OR `c`"},
		{"select * from t where not a is distinct from b", "SELECT * FROM `t` WHERE NOT (NOT ((`a`)<=>(`b`)))"},
		{"select * from (select 1, 2) as t(a, b)", "SELECT * FROM (SELECT 1,2) AS `t`"},
		{"select * from u v(c) join w as \"X\"(d) on true", "SELECT * FROM `u` AS `v` JOIN `w` AS `X` ON TRUE"},
		{"select $1, $2::int from t where x = $3", "SELECT __PG_PARAM(1),__PG_CAST(__PG_PARAM(2), 'int') FROM `t` WHERE `x`=__PG_PARAM(3)"},
		{"select a ~~ 'x%', a !~~ 'y', a ~~* 'z', a !~~* 'w', a ilike 'z', a not ilike 'q'", "SELECT `a` LIKE 'x%',`a` NOT LIKE 'y',`a` ILIKE 'z',`a` NOT ILIKE 'w',`a` ILIKE 'z',`a` NOT ILIKE 'q'"},
		{"select 2 ^ 3, -2 ^ 2, 2 ^ 3 ^ 2, 2 * 3 ^ 2, a ^ b::int", "SELECT __PG_POW(2, 3),__PG_POW(-2, 2),__PG_POW(__PG_POW(2, 3), 2),2*__PG_POW(3, 2),__PG_POW(`a`, __PG_CAST(`b`, 'int'))"},
		{"select comment, key, status, year, date, mod, div, sql, \"Key\", index from t", "SELECT `comment`,`key`,`status`,`year`,`date`,`mod`,`div`,`sql`,`Key`,`index` FROM `t`"},
		{"select a from t offset 5", "SELECT `a` FROM `t` LIMIT 5,18446744073709551615"},
		{"select a from t offset 5 limit 3", "SELECT `a` FROM `t` LIMIT 5,3"},
		{"select a from t limit all", "SELECT `a` FROM `t` LIMIT 18446744073709551615"},
		{"select a from t fetch first 3 rows only", "SELECT `a` FROM `t` LIMIT 3"},
		{"select a from t fetch first row only", "SELECT `a` FROM `t` LIMIT 1"},
		{"select a from t order by a offset 2 rows fetch next 1 row only", "SELECT `a` FROM `t` ORDER BY `a` LIMIT 2,1"},
		{"select (select a from t limit 1 offset 1)", "SELECT (SELECT `a` FROM `t` LIMIT 1,1)"},
		{"select case when a then 1 else 2 end::text, case x when 1 then 'a' end", "SELECT __PG_CAST(CASE WHEN `a` THEN 1 ELSE 2 END, 'text'),CASE `x` WHEN 1 THEN 'a' END"},
		{"select t.a::int, s.t.b from s.t", "SELECT __PG_CAST(`t`.`a`, 'int'),`s`.`t`.`b` FROM `s`.`t`"},
		{"select count(*) over (partition by a order by b rows between unbounded preceding and current row) from t", "SELECT COUNT(1) OVER (PARTITION BY `a` ORDER BY `b` ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM `t`"},
		{"select x, sum(y) from t group by x having sum(y) > 1 order by 2 desc limit 10", "SELECT `x`,SUM(`y`) FROM `t` GROUP BY `x` HAVING SUM(`y`)>1 ORDER BY 2 DESC LIMIT 10"},
		{"with t(a, b) as (select 1, 2) select a from t", "WITH `t` (`a`, `b`) AS (SELECT 1,2) SELECT `a` FROM `t`"},
		{"select a from t where b like 'x!%' escape '!'", "SELECT `a` FROM `t` WHERE `b` LIKE 'x!%' ESCAPE '!'"},
		{"select 1e10, .5, 1.5e-3, 3.", "SELECT 1e+10,0.5,1.5e-03,3"},
		{"select \"Mixed Case\", MixedCase, \"a\"\"b\" from \"T\"", "SELECT `Mixed Case`,`mixedcase`,`a\"b` FROM `T`"},
		{"select a || b, a != b, a <> b, a <= b", "SELECT CONCAT(`a`, `b`),`a`!=`b`,`a`!=`b`,`a`<=`b`"},
		{"select 'it''s', 'back\\slash'", "SELECT 'it''s','back\\slash'"},
		{"select B'101', X'1F'", "SELECT __PG_CAST('101', 'bit(3)'),__PG_CAST('x1F', 'bit(8)')"},
		{"select count(*) from t where a in (1, 2) and exists (select 1) and b between 1 and 2", "SELECT COUNT(1) FROM `t` WHERE `a` IN (1,2) AND EXISTS (SELECT 1) AND `b` BETWEEN 1 AND 2"},
		{"select -x, +x, ~x, x % 2, x / 2", "SELECT -`x`,+`x`,~`x`,`x`%2,`x`/2"},
		{"select a from t1 full join t2 on t1.id = t2.id", "SELECT `a` FROM `t1` LEFT JOIN `t2` ON __PG_FULL_JOIN() AND (`t1`.`id`=`t2`.`id`)"},
		{"select a from t1 full outer join t2 on a = b where c", "SELECT `a` FROM `t1` LEFT JOIN `t2` ON __PG_FULL_JOIN() AND (`a`=`b`) WHERE `c`"},
		{"select 'a'\n 'b'", "SELECT 'ab'"},
		{"select 1 -- comment\n + /* nested /* comment */ */ 2", "SELECT 1+2"},
		{"select " + strings.Repeat("9", 70) + ".5", "SELECT __PG_CAST('" + strings.Repeat("9", 70) + ".5', 'numeric')"},
		{"select a<-1, a=-1", "SELECT `a`<-1,`a`=-1"},
		{"select left(s, 2), right(s, 1), replace(s, 'a', 'b') from t left join u on true", "SELECT LEFT(`s`, 2),RIGHT(`s`, 1),REPLACE(`s`, 'a', 'b') FROM `t` LEFT JOIN `u` ON TRUE"},
	}
	for _, c := range cases {
		sts, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := restoreAll(t, sts); got != c.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s\n(rewritten %q)", c.in, got, c.want, sts[0].Rewritten)
		}
	}
}

// TestSelectBackslash pins the choice of NO_BACKSLASH_ESCAPES: a backslash
// in a standard string is an ordinary character, as in PostgreSQL.
func TestSelectBackslash(t *testing.T) {
	sts, err := Parse(`select 'a\b'`)
	if err != nil {
		t.Fatal(err)
	}
	if sts[0].Rewritten != `select 'a\b'` {
		t.Fatalf("rewritten %q", sts[0].Rewritten)
	}
	if got := restoreAll(t, sts); got != `SELECT 'a\b'` {
		t.Fatalf("restored %s", got)
	}
}

func TestColumnAliases(t *testing.T) {
	sts, err := Parse(`select * from (select 1, 2) as T(a, "B") join lateral (select 3) g(c) on true, u v(d)`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"t": {"a", "B"}, "g": {"c"}, "v": {"d"}}
	if !reflect.DeepEqual(sts[0].ColumnAliases, want) {
		t.Fatalf("aliases %v, want %v", sts[0].ColumnAliases, want)
	}
}

func TestTPCH(t *testing.T) {
	for i, q := range tpchQueries {
		sts, err := Parse(q)
		if err != nil {
			t.Errorf("Q%d: %v", i+1, err)
			continue
		}
		if len(sts) != 1 || sts[0].AST == nil {
			t.Errorf("Q%d: %d statements", i+1, len(sts))
			continue
		}
		for _, marker := range []string{"::", "interval '", " extract("} {
			if strings.Contains(sts[0].Rewritten, marker) {
				t.Errorf("Q%d: rewritten text still has %q: %s", i+1, marker, sts[0].Rewritten)
			}
		}
	}
	// Q13's derived column list reaches the binder.
	sts, err := Parse(tpchQueries[12])
	if err != nil {
		t.Fatal(err)
	}
	if got := sts[0].ColumnAliases["c_orders"]; !reflect.DeepEqual(got, []string{"c_custkey", "c_count"}) {
		t.Fatalf("Q13 aliases %v", got)
	}
}

func TestMultipleStatements(t *testing.T) {
	text := "BEGIN; select 1 ;; SET LOCAL x = 'y'; commit"
	sts, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if got := restoreAll(t, sts); got != "BEGIN; SELECT 1; SET LOCAL x [y]; COMMIT" {
		t.Fatalf("got %s", got)
	}
	if sts[1].Text != "select 1" || text[sts[1].Start:sts[1].Start+len(sts[1].Text)] != "select 1" {
		t.Fatalf("text %q start %d", sts[1].Text, sts[1].Start)
	}
}

func TestSpecial(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SHOW search_path", "SHOW search_path"},
		{"show ALL", "SHOW all"},
		{"SHOW TRANSACTION ISOLATION LEVEL", "SHOW transaction_isolation"},
		{"show time zone", "SHOW timezone"},
		{"SET search_path TO public, \"$user\"", "SET search_path [public|$user]"},
		{"set extra_float_digits = -3", "SET extra_float_digits [-3]"},
		{"SET SESSION statement_timeout = 0", "SET statement_timeout [0]"},
		{"SET LOCAL work_mem TO '64MB'", "SET LOCAL work_mem [64MB]"},
		{"set time zone 'UTC'", "SET timezone [UTC]"},
		{"set time zone default", "SET timezone DEFAULT"},
		{"SET application_name TO DEFAULT", "SET application_name DEFAULT"},
		{"set names 'utf8'", "SET client_encoding [utf8]"},
		{"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED", "SET SESSION CHARACTERISTICS [isolation|level|read|committed]"},
		{"SET TRANSACTION READ ONLY", "SET TRANSACTION [read|only]"},
		{"RESET ALL", "RESET all"},
		{"reset search_path", "RESET search_path"},
		{"DISCARD ALL", "DISCARD all"},
		{"discard temporary", "DISCARD temp"},
		{"BEGIN", "BEGIN"},
		{"begin transaction isolation level serializable, read only", "BEGIN [isolation|level|serializable|read|only]"},
		{"START TRANSACTION", "BEGIN start"},
		{"COMMIT WORK", "COMMIT"},
		{"END", "COMMIT"},
		{"ROLLBACK", "ROLLBACK"},
		{"abort transaction", "ROLLBACK"},
		{"commit and chain", "COMMIT AND CHAIN"},
		{"rollback and no chain", "ROLLBACK"},
		{"listen my_channel", "LISTEN my_channel"},
		{"UNLISTEN *", "UNLISTEN *"},
		{"set session authorization default", "SET session_authorization DEFAULT"},
		{"set session authorization 'bob'", "SET session_authorization [bob]"},
		{"rollback to savepoint s1", "ROLLBACK TO s1"},
		{"SAVEPOINT s1", "SAVEPOINT s1"},
		{"RELEASE SAVEPOINT s1", "RELEASE s1"},
		{"DEALLOCATE PREPARE ALL", "DEALLOCATE all"},
		{"deallocate stmt1", "DEALLOCATE stmt1"},
	}
	for _, c := range cases {
		sts, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if len(sts) != 1 || sts[0].Special == nil || sts[0].AST != nil {
			t.Errorf("Parse(%q): not a special statement", c.in)
			continue
		}
		if got := restoreAll(t, sts); got != c.want {
			t.Errorf("Parse(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestErrors checks PostgreSQL's messages, SQLSTATEs and 1-based character
// positions in the original text.
func TestErrors(t *testing.T) {
	cases := []struct {
		in   string
		code string
		msg  string
		pos  int
	}{
		{"select 1 +", sqlerr.SyntaxError, "syntax error at end of input", 11},
		{"select (1", sqlerr.SyntaxError, "syntax error at end of input", 10},
		{"select 1)", sqlerr.SyntaxError, `syntax error at or near ")"`, 9},
		{"select 'abc", sqlerr.SyntaxError, `unterminated quoted string at or near "'abc"`, 8},
		{`select "abc`, sqlerr.SyntaxError, `unterminated quoted identifier at or near ""abc"`, 8},
		{"select 1 /* x", sqlerr.SyntaxError, `unterminated /* comment at or near "/* x"`, 10},
		{"select $$abc", sqlerr.SyntaxError, `unterminated dollar-quoted string at or near "$$abc"`, 8},
		{`select ""`, sqlerr.SyntaxError, `zero-length delimited identifier at or near """"`, 8},
		{"select 'a' 'b'", sqlerr.SyntaxError, `syntax error at or near "'b'"`, 12},
		{"select 123abc", sqlerr.SyntaxError, `trailing junk after numeric literal at or near "123abc"`, 8},
		{"select a from t where x = = 1", sqlerr.SyntaxError, `syntax error at or near "="`, 27},
		{"select a from where", sqlerr.SyntaxError, `syntax error at or near "where"`, 15},
		{"selec 1", sqlerr.SyntaxError, `syntax error at or near "selec"`, 1},
		// Positions count characters, not bytes, and survive rewrites before the error.
		{"select 'é', x::int frm t", sqlerr.SyntaxError, `syntax error at or near "t"`, 24},
		{"select a::int from t order by 1 2", sqlerr.SyntaxError, `syntax error at or near "2"`, 33},
		{"select 1; select 1 +; select 2", sqlerr.SyntaxError, `syntax error at or near ";"`, 21},
		{"select x:: from t", sqlerr.SyntaxError, `syntax error at or near "from"`, 12},
		{"select cast(x as) from t", sqlerr.SyntaxError, `syntax error at or near ")"`, 17},
		{"select a from t limit 1, 2", sqlerr.SyntaxError, "LIMIT #,# syntax is not supported", 17},
		{"select __pg_cast(1, 'int')", sqlerr.UndefinedFunction, "function __pg_cast does not exist", 8},
		{`select "__PG_PARAM"(1)`, sqlerr.UndefinedFunction, "function __PG_PARAM does not exist", 8},
		{"select a @> b", sqlerr.UndefinedFunction, "operator does not exist: @>", 10},
		{"select a && b", sqlerr.UndefinedFunction, "operator does not exist: &&", 10},
		{"select ?", sqlerr.UndefinedFunction, "operator does not exist: ?", 8},
		{"SET x", sqlerr.SyntaxError, "syntax error at end of input", 6},
		{"show", sqlerr.SyntaxError, "syntax error at end of input", 5},
		{"discard everything", sqlerr.SyntaxError, `syntax error at or near "everything"`, 9},
		{"select E'\\xff'", sqlerr.SyntaxError, `invalid byte sequence for encoding "UTF8"`, 8},
		{"select a from t full join u using (x)", sqlerr.FeatureNotSupported, "FULL JOIN ... USING is not supported; use ON", 29},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		var e *sqlerr.Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want *sqlerr.Error", c.in, err)
			continue
		}
		if e.Code != c.code || e.Message != c.msg || e.Position != c.pos {
			t.Errorf("Parse(%q) = %s %q at %d, want %s %q at %d", c.in, e.Code, e.Message, e.Position, c.code, c.msg, c.pos)
		}
	}
}

func TestOffsetMap(t *testing.T) {
	text := "select  x::int, Ab from t"
	sts, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	// Copied tokens map byte for byte; the cast maps to its operand's start.
	i := strings.Index(st.Rewritten, "ab")
	if got := st.Offsets.Original(i); got != strings.Index(text, "Ab") {
		t.Fatalf("ab maps to %d", got)
	}
	if got := st.Offsets.Original(strings.Index(st.Rewritten, "__pg_cast")); text[got:got+2] != "::" {
		t.Fatalf("__pg_cast maps to %d (%q)", got, text[got:])
	}
	if got := st.Offsets.Position(text, strings.Index(st.Rewritten, "from")); got != strings.Index(text, "from")+1 {
		t.Fatalf("from position %d", got)
	}
}

// checkFrontResult is the fuzzing property: the front never panics, and it
// either produces statements TiDB parsed or a front error with a position
// inside the text.
func checkFrontResult(t *testing.T, text string) {
	sts, err := Parse(text)
	if err != nil {
		var e *sqlerr.Error
		if !errors.As(err, &e) {
			t.Fatalf("Parse(%q): error %v is not a *sqlerr.Error", text, err)
		}
		switch e.Code {
		case sqlerr.SyntaxError:
		case sqlerr.UndefinedFunction, sqlerr.FeatureNotSupported:
			// Marker calls, unknown operators and unsupported forms are
			// rejected by the front before the grammar sees them.
		default:
			t.Fatalf("Parse(%q): code %s (%v)", text, e.Code, err)
		}
		if utf8.ValidString(text) && (e.Position < 1 || e.Position > utf8.RuneCountInString(text)+1) {
			t.Fatalf("Parse(%q): position %d outside text", text, e.Position)
		}
		return
	}
	for _, st := range sts {
		if (st.AST == nil) == (st.Special == nil) {
			t.Fatalf("Parse(%q): statement with AST %v and Special %v", text, st.AST, st.Special)
		}
	}
}

func FuzzFront(f *testing.F) {
	for _, q := range tpchQueries {
		f.Add(q)
	}
	for _, q := range []string{
		"select a::numeric(10,2), E'\\n', $$x$$, $1, U&'\\0061'",
		"select a is not distinct from b, interval '1' day, extract(dow from d)",
		"select * from (select 1) as t(a) full join u on true offset 1 fetch first 2 rows only",
		"select substring(s from 1 for 2), trim(both 'x' from s), position('a' in s), 2 ^ 3",
		"SET search_path TO a, b; SHOW ALL; DISCARD ALL",
		"select case when a then b end::text, cast(x as double precision)",
		"copy (select 1) to stdout with (format csv, header, force_quote (a, b), null 'x'); copy t (a) to stdout csv force quote *",
		"declare c binary no scroll cursor with hold for select 1; fetch forward -2 from c; move absolute 3 in c; close all",
	} {
		f.Add(q)
	}
	f.Fuzz(checkFrontResult)
}
