package pgcatalog

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// Relation resolves a table reference: schema "" searches the session's
// search path.
func (v *View) Relation(schema, name string) (*storage.Table, error) {
	if schema != "" {
		if _, ok := v.c.schemaOID[schema]; !ok {
			return nil, sqlerr.New(sqlerr.UndefinedTable, "relation \"%s.%s\" does not exist", schema, name)
		}
	}
	r := v.c.lookup(v.searchPath(), schema, name)
	if r == nil {
		if schema != "" {
			return nil, sqlerr.New(sqlerr.UndefinedTable, "relation \"%s.%s\" does not exist", schema, name)
		}
		return nil, sqlerr.New(sqlerr.UndefinedTable, "relation \"%s\" does not exist", name)
	}
	return v.table(r), nil
}

// splitQualified splits a possibly qualified, possibly quoted name as
// PostgreSQL's stringToQualifiedNameList does: unquoted parts fold to
// lower case.
func splitQualified(s string) ([]string, bool) {
	var parts []string
	s = strings.TrimSpace(s)
	for {
		var part string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s); i++ {
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						b.WriteByte('"')
						i++
						continue
					}
					break
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, false
			}
			part, s = b.String(), s[i+1:]
		} else {
			end := strings.IndexByte(s, '.')
			if end < 0 {
				end = len(s)
			}
			part, s = strings.ToLower(strings.TrimSpace(s[:end])), s[end:]
			if part == "" || strings.ContainsAny(part, ` "`) {
				return nil, false
			}
		}
		parts = append(parts, part)
		s = strings.TrimSpace(s)
		if s == "" {
			return parts, true
		}
		if s[0] != '.' {
			return nil, false
		}
		s = strings.TrimSpace(s[1:])
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func invalidName(s string) error {
	return sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid name syntax: %q", s)
}

// RegIn reads the text form of reg* type t (an object's name, or an oid
// in digits) as an oid, with PostgreSQL's errors for missing objects.
func (v *View) RegIn(t types.T, text string) (int64, error) {
	s := strings.TrimSpace(text)
	if isDigits(s) {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, sqlerr.New(sqlerr.NumericValueOutOfRange, "value \"%s\" is out of range for type oid", s)
		}
		return int64(n), nil
	}
	if s == "-" && t.Variant != types.RegNamespace && t.Variant != types.RegRole {
		return 0, nil
	}
	switch t.Variant {
	case types.RegClass:
		parts, ok := splitQualified(s)
		if !ok || len(parts) > 3 {
			return 0, invalidName(s)
		}
		schema, name := "", parts[len(parts)-1]
		if len(parts) >= 2 {
			schema = parts[len(parts)-2]
			if _, ok := v.c.schemaOID[schema]; !ok {
				return 0, sqlerr.New(sqlerr.InvalidSchemaName, "schema \"%s\" does not exist", schema)
			}
		}
		if r := v.c.lookup(v.searchPath(), schema, name); r != nil {
			return r.oid, nil
		}
		return 0, sqlerr.New(sqlerr.UndefinedTable, "relation \"%s\" does not exist", s)
	case types.RegType:
		if tr := v.c.parseTypeName(s); tr != nil {
			return tr.oid, nil
		}
		return 0, sqlerr.New(sqlerr.UndefinedObject, "type \"%s\" does not exist", s)
	case types.RegProc, types.RegProcedure:
		name := s
		if i := strings.IndexByte(s, '('); i >= 0 && t.Variant == types.RegProcedure {
			name = s[:i]
		}
		parts, ok := splitQualified(name)
		if !ok || len(parts) > 2 || len(parts) == 2 && parts[0] != "pg_catalog" {
			return 0, sqlerr.New(sqlerr.UndefinedFunction, "function \"%s\" does not exist", s)
		}
		var found []*procRow
		for i := range v.c.procs {
			if v.c.procs[i].name == parts[len(parts)-1] {
				found = append(found, &v.c.procs[i])
			}
		}
		if t.Variant == types.RegProcedure {
			found = v.c.matchArgs(found, s)
		}
		switch {
		case len(found) == 0:
			return 0, sqlerr.New(sqlerr.UndefinedFunction, "function \"%s\" does not exist", s)
		case len(found) > 1:
			return 0, sqlerr.New(sqlerr.AmbiguousFunction, "more than one function named \"%s\"", s)
		}
		return found[0].oid, nil
	case types.RegNamespace:
		parts, ok := splitQualified(s)
		if !ok || len(parts) != 1 {
			return 0, invalidName(s)
		}
		if oid, ok := v.c.schemaOID[parts[0]]; ok {
			return oid, nil
		}
		return 0, sqlerr.New(sqlerr.InvalidSchemaName, "schema \"%s\" does not exist", parts[0])
	case types.RegRole:
		parts, ok := splitQualified(s)
		if !ok || len(parts) != 1 {
			return 0, invalidName(s)
		}
		switch parts[0] {
		case v.user():
			return UserOID, nil
		case "pg_database_owner":
			return DatabaseOwnerRoleOID, nil
		}
		return 0, sqlerr.New(sqlerr.UndefinedObject, "role \"%s\" does not exist", parts[0])
	}
	return 0, sqlerr.New(sqlerr.FeatureNotSupported, "input of type %s is not supported", t)
}

// matchArgs keeps the functions whose argument types are the ones listed
// in sig's parentheses ("lower(text)").
func (c *Catalog) matchArgs(procs []*procRow, sig string) []*procRow {
	i, j := strings.IndexByte(sig, '('), strings.LastIndexByte(sig, ')')
	if i < 0 || j < i {
		return procs
	}
	var want []int64
	if args := strings.TrimSpace(sig[i+1 : j]); args != "" {
		for _, a := range strings.Split(args, ",") {
			t := c.parseTypeName(a)
			if t == nil {
				return nil
			}
			want = append(want, t.oid)
		}
	}
	var out []*procRow
	for _, p := range procs {
		if len(p.argtypes) != len(want) {
			continue
		}
		same := true
		for k := range want {
			same = same && p.argtypes[k] == want[k]
		}
		if same {
			out = append(out, p)
		}
	}
	return out
}

// typeAliases maps SQL spellings of built-in types to pg_type names.
var typeAliases = map[string]string{
	"integer": "int4", "int": "int4", "smallint": "int2", "bigint": "int8", "real": "float4",
	"double precision": "float8", "float": "float8", "boolean": "bool", "character varying": "varchar",
	"character": "bpchar", "char": "bpchar", "decimal": "numeric", "dec": "numeric",
	"timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
	"time without time zone": "time", "time with time zone": "timetz", `"char"`: "char",
	"bit varying": "varbit", "serial": "int4", "bigserial": "int8", "smallserial": "int2",
}

// parseTypeName finds the type a SQL type name denotes (modifiers are
// ignored, as regtype's input does).
func (c *Catalog) parseTypeName(s string) *typeRow {
	name := strings.TrimSpace(s)
	array := false
	if strings.HasSuffix(name, "[]") {
		array, name = true, strings.TrimSpace(strings.TrimSuffix(name, "[]"))
	}
	if i := strings.IndexByte(name, '('); i >= 0 {
		j := strings.LastIndexByte(name, ')')
		if j < i {
			return nil
		}
		name = strings.TrimSpace(name[:i] + name[j+1:])
	}
	if name != `"char"` {
		parts, ok := splitQualified(strings.Join(strings.Fields(name), " "))
		if !ok && !strings.Contains(name, " ") {
			return nil
		}
		if ok {
			if len(parts) == 2 && parts[0] == "pg_catalog" {
				parts = parts[1:]
			}
			if len(parts) != 1 {
				return nil
			}
			name = parts[0]
		} else {
			name = strings.ToLower(strings.Join(strings.Fields(name), " "))
		}
	}
	if a, ok := typeAliases[name]; ok {
		name = a
	}
	t := c.typeName[name]
	if t == nil {
		return nil
	}
	if array {
		return c.typeOID[t.arr]
	}
	return t
}

// RegOut is the text form of oid as reg* type t: the object's name,
// qualified when the search path would not find it, or the oid in digits
// when no object has it.
func (v *View) RegOut(t types.T, oid int64) string {
	if oid == 0 && t.Variant != types.RegNamespace && t.Variant != types.RegRole {
		return "-"
	}
	switch t.Variant {
	case types.RegClass:
		if r, ok := v.c.byOID[oid]; ok {
			if v.visible(r) {
				return QuoteIdent(r.name)
			}
			return QuoteIdent(r.schema) + "." + QuoteIdent(r.name)
		}
	case types.RegType:
		if _, ok := v.c.typeOID[oid]; ok {
			return v.c.FormatType(oid, 0, false)
		}
	case types.RegProc:
		if p, ok := v.c.procOID[oid]; ok {
			return QuoteIdent(p.name)
		}
	case types.RegProcedure:
		if p, ok := v.c.procOID[oid]; ok {
			return QuoteIdent(p.name) + "(" + v.c.argList(p) + ")"
		}
	case types.RegNamespace:
		for _, n := range v.c.namespaces {
			if n.oid == oid {
				return QuoteIdent(n.name)
			}
		}
	case types.RegRole:
		if name, ok := v.userName(oid); ok {
			return QuoteIdent(name)
		}
	}
	return strconv.FormatInt(oid, 10)
}

func (c *Catalog) argList(p *procRow) string {
	names := make([]string, len(p.argtypes))
	for i, a := range p.argtypes {
		names[i] = c.FormatType(a, 0, false)
	}
	return strings.Join(names, ", ")
}

// sig is one catalog function's signature: argument types by count.
type sig struct {
	args []types.T
	ret  types.T
}

func (v *View) native(name string, strict bool, f func(args []any) (any, error)) *expr.Native {
	return &expr.Native{Name: name, Strict: strict, Fn: f}
}

func oidArg(a any) (int64, bool) {
	n, ok := a.(int64)
	return n, ok
}

var (
	textT = types.TextT
	oidT  = types.OidT
	boolT = types.BoolT
	int4T = types.Int32T
	int8T = types.Int64T
)

// Function binds a catalog function: the types the binder coerces the
// arguments to, the result type and the implementation. ok is false when
// name is not a catalog function; err reports a wrong argument count or a
// constant argument naming a missing object.
func (v *View) Function(name string, args []expr.Expr) (f *expr.Native, argTypes []types.T, ret types.T, ok bool, err error) {
	n := len(args)
	wrong := func() (*expr.Native, []types.T, types.T, bool, error) {
		ts := make([]types.T, n)
		for i, a := range args {
			ts[i] = a.Type()
		}
		return nil, nil, ret, true, undefinedFunction(name, ts)
	}
	null := func(ret types.T, ts ...types.T) (*expr.Native, []types.T, types.T, bool, error) {
		return v.native(name, false, func([]any) (any, error) { return nil, nil }), ts, ret, true, nil
	}
	c := v.c
	switch name {
	case "format_type":
		if n != 2 {
			return wrong()
		}
		return v.native(name, false, func(a []any) (any, error) {
			oid, ok := oidArg(a[0])
			if !ok {
				return nil, nil
			}
			mod, have := a[1].(int64)
			return c.FormatType(oid, mod, have), nil
		}), []types.T{oidT, int4T}, textT, true, nil
	case "pg_get_expr":
		// Basalt has no stored expressions (defaults, partition bounds,
		// index predicates): every pg_node_tree is NULL.
		switch n {
		case 2:
			return null(textT, textT, oidT)
		case 3:
			return null(textT, textT, oidT, boolT)
		}
		return wrong()
	case "pg_table_is_visible", "pg_type_is_visible", "pg_function_is_visible":
		if n != 1 {
			return wrong()
		}
		return v.native(name, true, func(a []any) (any, error) {
			oid := a[0].(int64)
			switch name {
			case "pg_table_is_visible":
				if r, ok := c.byOID[oid]; ok {
					return v.visible(r), nil
				}
			case "pg_type_is_visible":
				if _, ok := c.typeOID[oid]; ok {
					return true, nil
				}
			default:
				if _, ok := c.procOID[oid]; ok {
					return true, nil
				}
			}
			return nil, nil
		}), []types.T{oidT}, boolT, true, nil
	case "pg_operator_is_visible", "pg_opclass_is_visible", "pg_opfamily_is_visible", "pg_conversion_is_visible",
		"pg_ts_config_is_visible", "pg_ts_dict_is_visible", "pg_ts_parser_is_visible", "pg_ts_template_is_visible",
		"pg_statistics_obj_is_visible":
		// Basalt has none of these objects: no oid names one.
		if n != 1 {
			return wrong()
		}
		return null(boolT, oidT)
	case "pg_collation_is_visible":
		if n != 1 {
			return wrong()
		}
		return v.native(name, true, func(a []any) (any, error) {
			switch a[0].(int64) {
			case defaultCollation, 950, 951:
				return true, nil
			}
			return nil, nil
		}), []types.T{oidT}, boolT, true, nil
	case "pg_database_size":
		if n != 1 {
			return wrong()
		}
		at := oidT
		if args[0].Type().Kind == types.Text || args[0].Type().Kind == types.Unknown {
			at = types.NameT
		}
		return v.native(name, true, func(a []any) (any, error) {
			if s, ok := a[0].(string); ok && s != v.database() {
				return nil, sqlerr.New(sqlerr.InvalidCatalogName, "database \"%s\" does not exist", s)
			}
			if o, ok := a[0].(int64); ok && o != DatabaseOID {
				return nil, nil
			}
			var total int64
			for _, r := range c.rels {
				if r.data != nil {
					total += r.data.ByteSize()
				}
			}
			return total, nil
		}), []types.T{at}, int8T, true, nil
	case "pg_get_userbyid":
		if n != 1 {
			return wrong()
		}
		return v.native(name, true, func(a []any) (any, error) {
			oid := a[0].(int64)
			if u, ok := v.userName(oid); ok {
				return u, nil
			}
			return fmt.Sprintf("unknown (OID=%d)", oid), nil
		}), []types.T{oidT}, types.NameT, true, nil
	case "obj_description":
		switch n {
		case 1:
			return null(textT, oidT)
		case 2:
			return null(textT, oidT, types.NameT)
		}
		return wrong()
	case "col_description":
		if n != 2 {
			return wrong()
		}
		return null(textT, oidT, int4T)
	case "shobj_description":
		if n != 2 {
			return wrong()
		}
		return null(textT, oidT, types.NameT)
	case "pg_get_indexdef", "pg_get_constraintdef", "pg_get_viewdef", "pg_get_triggerdef", "pg_get_ruledef",
		"pg_get_partkeydef", "pg_get_statisticsobjdef_columns", "pg_get_function_identity_arguments_":
		// No indexes, constraints, views with stored text, triggers,
		// rules, partitioned tables or extended statistics: NULL, as
		// PostgreSQL answers for an oid without such an object.
		if n < 1 || n > 3 {
			return wrong()
		}
		ts := []types.T{oidT, int4T, boolT}[:n]
		if n == 2 {
			ts = []types.T{oidT, boolT}
		}
		if name == "pg_get_viewdef" && args[0].Type().Kind == types.Text {
			ts[0] = textT
		}
		return null(textT, ts...)
	case "pg_relation_is_publishable":
		if n != 1 {
			return wrong()
		}
		return v.native(name, true, func([]any) (any, error) { return false, nil }), []types.T{types.RegClassT}, boolT, true, nil
	case "pg_get_serial_sequence":
		if n != 2 {
			return wrong()
		}
		return null(textT, textT, textT)
	case "pg_relation_size", "pg_total_relation_size", "pg_table_size", "pg_indexes_size":
		if n < 1 || n > 2 || n == 2 && name != "pg_relation_size" {
			return wrong()
		}
		ts := []types.T{types.RegClassT, textT}[:n]
		return v.native(name, true, func(a []any) (any, error) {
			r, ok := c.byOID[a[0].(int64)]
			if !ok {
				return nil, nil
			}
			if r.data == nil || name == "pg_indexes_size" || n == 2 && a[1] != "main" {
				return int64(0), nil
			}
			return r.data.ByteSize(), nil
		}), ts, int8T, true, nil
	case "pg_size_pretty":
		if n != 1 {
			return wrong()
		}
		return v.native(name, true, func(a []any) (any, error) { return SizePretty(a[0].(int64)), nil }), []types.T{int8T}, textT, true, nil
	case "to_regclass", "to_regtype", "to_regproc", "to_regprocedure", "to_regnamespace", "to_regrole":
		if n != 1 {
			return wrong()
		}
		rt := map[string]types.T{"to_regclass": types.RegClassT, "to_regtype": types.RegTypeT, "to_regproc": types.RegProcT,
			"to_regprocedure": types.RegProcedureT, "to_regnamespace": types.RegNamespaceT, "to_regrole": types.RegRoleT}[name]
		return v.native(name, true, func(a []any) (any, error) {
			s := a[0].(string)
			if isDigits(strings.TrimSpace(s)) {
				// to_reg* read names only; digits are not an oid here.
				return nil, nil
			}
			oid, err := v.RegIn(rt, s)
			if err != nil {
				if sqlerr.Code(err) == sqlerr.InvalidTextRepresentation {
					return nil, err
				}
				return nil, nil
			}
			return oid, nil
		}), []types.T{textT}, rt, true, nil
	case "pg_get_function_result", "pg_get_function_arguments", "pg_get_function_identity_arguments":
		if n != 1 {
			return wrong()
		}
		return v.native(name, true, func(a []any) (any, error) {
			p, ok := c.procOID[a[0].(int64)]
			if !ok {
				return nil, nil
			}
			if name == "pg_get_function_result" {
				s := c.FormatType(p.rettype, 0, false)
				if p.retset {
					s = "SETOF " + s
				}
				return s, nil
			}
			return c.argList(p), nil
		}), []types.T{oidT}, textT, true, nil
	case "pg_tablespace_location":
		if n != 1 {
			return wrong()
		}
		return v.native(name, true, func([]any) (any, error) { return "", nil }), []types.T{oidT}, textT, true, nil
	}
	if strings.HasPrefix(name, "pg_stat_get_") && n == 1 && name != "pg_stat_get_activity" {
		// Per-relation statistics counters (pg_stat_get_numscans ...):
		// Basalt keeps none, so every counter reads 0, as on a fresh
		// PostgreSQL; timestamps (pg_stat_get_last_*) are NULL.
		if strings.Contains(name, "_last_") {
			return null(types.TimestampTZT, oidT)
		}
		return v.native(name, true, func([]any) (any, error) { return int64(0), nil }), []types.T{oidT}, int8T, true, nil
	}
	if strings.HasPrefix(name, "has_") && strings.HasSuffix(name, "_privilege") {
		return v.privilege(name, args)
	}
	return nil, nil, ret, false, nil
}

// privilege binds has_*_privilege([user,] object[, column], privilege):
// the session's role may read every object, so the answer is true for an
// object that exists; a name that does not is an error, an unknown oid
// NULL, as in PostgreSQL.
func (v *View) privilege(name string, args []expr.Expr) (*expr.Native, []types.T, types.T, bool, error) {
	object := strings.TrimSuffix(strings.TrimPrefix(name, "has_"), "_privilege")
	want := 2
	if object == "column" {
		want = 3
	}
	n := len(args)
	if n != want && n != want+1 {
		ts := make([]types.T, n)
		for i, a := range args {
			ts[i] = a.Type()
		}
		return nil, nil, types.T{}, true, undefinedFunction(name, ts)
	}
	argTypes := make([]types.T, n)
	for i, a := range args {
		if a.Type().IsInteger() || a.Type().Variant == types.Oid || a.Type().IsReg() {
			argTypes[i] = types.OidT
		} else {
			argTypes[i] = types.TextT
		}
	}
	argTypes[n-1] = types.TextT
	objIdx := n - want // the object's position
	if object == "column" && argTypes[objIdx+1].Kind != types.Text {
		argTypes[objIdx+1] = types.Int16T
	}
	c := v.c
	f := v.native(name, true, func(a []any) (any, error) {
		obj := a[objIdx]
		switch object {
		case "table", "column", "any_column", "sequence":
			if s, ok := obj.(string); ok {
				oid, err := v.RegIn(types.RegClassT, s)
				if err != nil {
					return nil, err
				}
				obj = oid
			}
			if _, ok := c.byOID[obj.(int64)]; !ok {
				return nil, nil
			}
		case "schema":
			if s, ok := obj.(string); ok {
				if _, err := v.RegIn(types.RegNamespaceT, s); err != nil {
					return nil, err
				}
			}
		case "database":
			if s, ok := obj.(string); ok && s != v.database() {
				return nil, sqlerr.New(sqlerr.InvalidCatalogName, "database \"%s\" does not exist", s)
			}
		}
		return true, nil
	})
	return f, argTypes, types.BoolT, true, nil
}

func undefinedFunction(name string, args []types.T) error {
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = a.String()
	}
	return &sqlerr.Error{
		Code:    sqlerr.UndefinedFunction,
		Message: "function " + name + "(" + strings.Join(names, ", ") + ") does not exist",
		Hint:    "No function matches the given name and argument types. You might need to add explicit type casts.",
	}
}

// SizePretty is pg_size_pretty(bigint): bytes below 10 kB, then kB, MB,
// GB, TB, PB, each rounded half away from zero, switching unit once the
// value reaches 20480 (PostgreSQL 15's table of units).
func SizePretty(size int64) string {
	abs := func(x int64) int64 {
		if x < 0 {
			return -x
		}
		return x
	}
	const limit = 10 * 1024
	const limit2 = limit*2 - 1
	if abs(size) < limit {
		return fmt.Sprintf("%d bytes", size)
	}
	half := func(x int64) int64 {
		if x < 0 {
			return (x - 1) / 2
		}
		return (x + 1) / 2
	}
	// Shift to half-kilobytes, so the first rounding is exact.
	size >>= 9
	units := []string{"kB", "MB", "GB", "TB"}
	for _, u := range units {
		if abs(size) < limit2 {
			return fmt.Sprintf("%d %s", half(size), u)
		}
		size >>= 10
	}
	return fmt.Sprintf("%d PB", half(size))
}
