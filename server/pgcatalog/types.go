package pgcatalog

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/basaltdb/basalt/sql/types"
)

// typeRow is one built-in type of pg_type.
type typeRow struct {
	oid        int64
	name       string
	len        int64
	byval      bool
	typtype    string
	category   string
	preferred  bool
	delim      string
	elem, arr  int64
	in, out    int64 // typinput, typoutput (pg_proc oids)
	recv, send int64
	modin      int64
	modout     int64
	analyze    int64
	align      string
	storage    string
	collation  int64
	subscript  int64
}

// procRow is one built-in function of pg_proc.
type procRow struct {
	oid      int64
	name     string
	kind     string
	retset   bool
	volatile string
	strict   bool
	nargs    int64
	rettype  int64
	argtypes []int64
	lang     int64
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func (c *Catalog) loadTypes() {
	c.typeOID, c.typeName = map[int64]*typeRow{}, map[string]*typeRow{}
	for _, l := range strings.Split(strings.TrimSpace(builtinTypes), "\n") {
		f := strings.Split(l, "|")
		if len(f) != 21 {
			continue
		}
		c.types = append(c.types, typeRow{
			oid: atoi(f[0]), name: f[1], len: atoi(f[2]), byval: f[3] == "t", typtype: f[4], category: f[5],
			preferred: f[6] == "t", delim: f[7], elem: atoi(f[8]), arr: atoi(f[9]),
			in: atoi(f[10]), out: atoi(f[11]), recv: atoi(f[12]), send: atoi(f[13]),
			modin: atoi(f[14]), modout: atoi(f[15]), analyze: atoi(f[16]),
			align: f[17], storage: f[18], collation: atoi(f[19]), subscript: atoi(f[20]),
		})
	}
	for i := range c.types {
		c.typeOID[c.types[i].oid] = &c.types[i]
		c.typeName[c.types[i].name] = &c.types[i]
	}
}

func (c *Catalog) loadProcs() {
	c.procOID = map[int64]*procRow{}
	for _, l := range strings.Split(strings.TrimSpace(builtinProcs), "\n") {
		f := strings.Split(l, "|")
		if len(f) != 10 {
			continue
		}
		p := procRow{oid: atoi(f[0]), name: f[1], kind: f[2], retset: f[3] == "t", volatile: f[4],
			strict: f[5] == "t", nargs: atoi(f[6]), rettype: atoi(f[7]), lang: atoi(f[9])}
		for _, a := range strings.Fields(f[8]) {
			p.argtypes = append(p.argtypes, atoi(a))
		}
		c.procs = append(c.procs, p)
	}
	for i := range c.procs {
		c.procOID[c.procs[i].oid] = &c.procs[i]
	}
}

// TypeMod is the atttypmod of t (types.T.TypeMod); Parquet strings carry
// no length, so data columns have -1 but for numeric(p,s).
func TypeMod(t types.T) int64 { return int64(t.TypeMod()) }

// FormatType is PostgreSQL's format_type(oid, typmod): the SQL name of a
// type with its modifier. known is false for an oid no type has ("???"
// in PostgreSQL's output, which the caller prints).
func (c *Catalog) FormatType(oid int64, typmod int64, haveMod bool) string {
	t, ok := c.typeOID[oid]
	if !ok {
		return "???"
	}
	const arraySubscriptHandler = 6179
	if t.elem != 0 && t.subscript == arraySubscriptHandler && t.len == -1 && t.storage != "p" {
		// A true array type: the element's name with []. (Plain-storage
		// arrays such as int2vector and oidvector keep their names.)
		return c.FormatType(t.elem, typmod, haveMod) + "[]"
	}
	if !haveMod {
		typmod = -1
	}
	name := t.name
	mod := ""
	switch t.name {
	case "bool":
		name = "boolean"
	case "int2":
		name = "smallint"
	case "int4":
		name = "integer"
	case "int8":
		name = "bigint"
	case "float4":
		name = "real"
	case "float8":
		name = "double precision"
	case "char":
		name = `"char"`
	case "bpchar":
		// An explicit typmod of -1 prints bpchar: a blank-padded string
		// of unspecified length, where "character" would mean character(1).
		name = "character"
		if haveMod && typmod < 0 {
			return "bpchar"
		}
		if typmod >= 4 {
			mod = fmt.Sprintf("(%d)", typmod-4)
		}
	case "varchar":
		name = "character varying"
		if typmod >= 4 {
			mod = fmt.Sprintf("(%d)", typmod-4)
		}
	case "numeric":
		if typmod >= 4 {
			m := typmod - 4
			mod = fmt.Sprintf("(%d,%d)", (m>>16)&0xffff, int16(m&0xffff))
		}
	case "bit", "varbit":
		if t.name == "varbit" {
			name = "bit varying"
		}
		if typmod >= 0 {
			mod = fmt.Sprintf("(%d)", typmod)
		}
	case "time", "timetz", "timestamp", "timestamptz":
		zone := " without time zone"
		if strings.HasSuffix(t.name, "tz") {
			zone = " with time zone"
		}
		name = strings.TrimSuffix(t.name, "tz")
		if typmod >= 0 {
			mod = fmt.Sprintf("(%d)", typmod)
		}
		return name + mod + zone
	case "interval":
		if typmod >= 0 {
			// Only the precision part is printed here; field
			// restrictions (YEAR TO MONTH ...) are rare in catalogs.
			if p := typmod & 0xffff; p != 0xffff {
				mod = fmt.Sprintf("(%d)", p)
			}
		}
	}
	return quoteTypeName(name) + mod
}

// quoteTypeName quotes a type name the way format_type does: only names
// that would not read back as themselves.
func quoteTypeName(s string) string {
	if s == `"char"` || strings.Contains(s, " ") {
		return s
	}
	return QuoteIdent(s)
}

// QuoteIdent quotes an identifier when PostgreSQL's quote_ident would:
// anything but lower-case letters, digits and underscores (not starting
// with a digit), and reserved keywords.
func QuoteIdent(s string) string {
	safe := s != "" && (s[0] == '_' || s[0] >= 'a' && s[0] <= 'z')
	for i := 0; i < len(s) && safe; i++ {
		ch := s[i]
		safe = ch == '_' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9'
	}
	if safe && !reservedWords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedWords are PostgreSQL's reserved key words (and the ones that
// cannot be function or type names), which quote_ident always quotes.
var reservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric authorization binary both case cast
check collate collation column concurrently constraint create cross current_catalog current_date current_role
current_schema current_time current_timestamp current_user default deferrable desc distinct do else end except
false fetch for foreign freeze from full grant group having ilike in initially inner intersect into is isnull join
lateral leading left like limit localtime localtimestamp natural not notnull null offset on only or order outer
overlaps placing primary references returning right select session_user similar some symmetric system_user table
tablesample then to trailing true union unique user using variadic verbose when where window with`) {
		m[w] = true
	}
	return m
}()

// typeOfT is the pg_type row of an engine type.
func (c *Catalog) typeOfT(t types.T) *typeRow {
	return c.typeOID[int64(t.OID())]
}
