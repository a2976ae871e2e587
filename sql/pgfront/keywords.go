package pgfront

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
)

func wordSet(words string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// pgReserved are PostgreSQL's fully reserved keywords plus the ones that may
// only be function or type names; they can never be bare column names, so
// the front treats them as keywords wherever they appear.
var pgReserved = wordSet(`all analyse analyze and any array as asc asymmetric both case cast check
collate column constraint create current_catalog current_date current_role current_time
current_timestamp current_user default deferrable desc distinct do else end except false fetch
for foreign from grant group having in initially intersect into lateral leading limit localtime
localtimestamp not null offset on only or order placing primary references returning select
session_user some symmetric system_user table then to trailing true union unique user using
variadic when where window with
authorization binary collation concurrently cross current_schema freeze full ilike inner is
isnull join left like natural notnull outer overlaps right similar tablesample verbose`)

// notCallee are words that, followed by a parenthesised group, do not form a
// function call (so "x IN (1, 2)" is not an operand for "::").
var notCallee = func() map[string]bool {
	m := wordSet(`over filter within by`) // ORDER BY (x).f: BY is never a function
	for w := range pgReserved {
		if w != "left" && w != "right" && w != "current_schema" && w != "collation" {
			m[w] = true
		}
	}
	return m
}()

// tidbReserved are the words the TiDB grammar reserves; a PostgreSQL
// identifier spelled like one must reach TiDB quoted.
var tidbReserved = func() map[string]bool {
	m := make(map[string]bool)
	for _, k := range parser.Keywords {
		if k.Reserved {
			m[strings.ToLower(k.Word)] = true
		}
	}
	return m
}()

// keepUnquoted are TiDB-reserved words that are not PostgreSQL-reserved but
// that PostgreSQL statements still use as keywords (statement verbs, data
// type names in DDL), so quoting them would break the statement. A column
// with one of these names must be written quoted by the user.
var keepUnquoted = wordSet(`set update delete insert alter drop create add cascade restrict replace
grant revoke lock unlock explain describe show use call load rename kill release optimize change
int integer bigint smallint tinyint mediumint int1 int2 int3 int4 int8 double float float4 float8
real decimal numeric char character varchar varying precision unsigned varbinary long interval
row recursive between by exists of values escape`)

// needsQuote reports whether the unquoted PostgreSQL identifier w, used as
// a name, must be quoted for TiDB to read it as one.
func needsQuote(w string) bool {
	if !tidbReserved[w] || pgReserved[w] || keepUnquoted[w] {
		return false
	}
	return true
}

// typedLiteralTypes are the type names accepted in the "type 'string'"
// constant syntax that the front rewrites into a cast.
var typedLiteralTypes = wordSet(`date time timestamp timestamptz timetz int int2 int4 int8 integer
bigint smallint numeric decimal real float float4 float8 double bool boolean text varchar char
character json jsonb uuid bytea inet name oid regclass regtype bpchar`)

// intervalUnits are the field words after an interval constant; MySQL's
// compound units are accepted for TiDB-style "INTERVAL n unit".
var intervalUnits = wordSet(`year years month months day days hour hours minute minutes second
seconds week weeks quarter microsecond microseconds millisecond milliseconds
year_month day_hour day_minute day_second hour_minute hour_second minute_second`)

// clauseStop ends the right operand of IS [NOT] DISTINCT FROM and the
// expressions of LIMIT/OFFSET.
var clauseStop = wordSet(`and or is isnull notnull then else end when from as asc desc nulls order
group having limit offset fetch for union except intersect window where on using join inner left
right full cross natural returning into with`)

// leftStop ends the left operand of IS [NOT] DISTINCT FROM.
var leftStop = wordSet(`and or not select where having on when then else case by distinct all from
as set using limit offset returning values with`)
