package pgcatalog

import (
	"sort"
	"strconv"
	"strings"

	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

type producer struct {
	rows       func(v *View) []map[string]any
	perSession bool
}

// producers fills the relations that have rows; every other relation of
// relationSpecs exists with its columns and no rows (Basalt has no
// indexes, constraints, triggers, defaults, enums, extensions ...).
var producers = map[string]producer{
	"pg_catalog.pg_namespace":          {rows: namespaceRows},
	"pg_catalog.pg_class":              {rows: classRows},
	"pg_catalog.pg_attribute":          {rows: attributeRows},
	"pg_catalog.pg_type":               {rows: typeRows},
	"pg_catalog.pg_proc":               {rows: procRows},
	"pg_catalog.pg_range":              {rows: rangeRows},
	"pg_catalog.pg_am":                 {rows: amRows},
	"pg_catalog.pg_collation":          {rows: collationRows},
	"pg_catalog.pg_language":           {rows: languageRows},
	"pg_catalog.pg_tablespace":         {rows: tablespaceRows},
	"pg_catalog.pg_database":           {rows: databaseRows, perSession: true},
	"pg_catalog.pg_roles":              {rows: rolesRows, perSession: true},
	"pg_catalog.pg_user":               {rows: userRows, perSession: true},
	"pg_catalog.pg_settings":           {rows: settingsRows, perSession: true},
	"pg_catalog.pg_tables":             {rows: tablesRows, perSession: true},
	"pg_catalog.pg_views":              {rows: viewsRows, perSession: true},
	"pg_catalog.pg_stat_user_tables":   {rows: statTablesRows(true)},
	"pg_catalog.pg_stat_all_tables":    {rows: statTablesRows(false)},
	"pg_catalog.pg_statio_user_tables": {rows: statioTablesRows(true)},
	"pg_catalog.pg_statio_all_tables":  {rows: statioTablesRows(false)},
	"pg_catalog.pg_stat_activity":      {rows: activityRows, perSession: true},
	"pg_catalog.pg_stat_database":      {rows: statDatabaseRows, perSession: true},
	"pg_catalog.pg_cursors":            {rows: cursorsRows, perSession: true},

	"information_schema.information_schema_catalog_name": {rows: catalogNameRows, perSession: true},
	"information_schema.schemata":                        {rows: schemataRows, perSession: true},
	"information_schema.tables":                          {rows: infoTablesRows, perSession: true},
	"information_schema.columns":                         {rows: infoColumnsRows, perSession: true},
	"information_schema.views":                           {rows: infoViewsRows, perSession: true},
	"information_schema.character_sets":                  {rows: characterSetRows, perSession: true},
	"information_schema.enabled_roles":                   {rows: enabledRolesRows, perSession: true},
}

type nsp struct {
	oid   int64
	name  string
	owner int64
}

// builtinNamespaces are the schemas every catalog has; a catalog with
// system tables adds schema system.
var builtinNamespaces = []nsp{
	{NamespacePgCatalog, "pg_catalog", UserOID},
	{NamespacePgToast, "pg_toast", UserOID},
	{NamespacePublic, "public", DatabaseOwnerRoleOID},
	{NamespaceInfoSchema, "information_schema", UserOID},
}

func namespaceRows(v *View) []map[string]any {
	var out []map[string]any
	for _, n := range v.c.namespaces {
		out = append(out, map[string]any{"oid": n.oid, "nspname": n.name, "nspowner": n.owner})
	}
	return out
}

func classRows(v *View) []map[string]any {
	var out []map[string]any
	for _, r := range v.c.rels {
		m := map[string]any{
			"oid": r.oid, "relname": r.name, "relnamespace": r.nsp, "reltype": int64(0), "reloftype": int64(0),
			"relowner": int64(UserOID), "relam": int64(0), "relfilenode": int64(0), "reltablespace": int64(0),
			"relpages": int64(0), "reltuples": float64(-1), "relallvisible": int64(0), "reltoastrelid": int64(0),
			"relhasindex": false, "relisshared": false, "relpersistence": "p", "relkind": r.kind,
			"relnatts": int64(len(r.cols)), "relchecks": int64(0), "relhasrules": r.kind == "v", "relhastriggers": false,
			"relhassubclass": false, "relrowsecurity": false, "relforcerowsecurity": false, "relispopulated": true,
			"relreplident": "n", "relispartition": false, "relrewrite": int64(0), "relfrozenxid": int64(0),
			"relminmxid": int64(0),
		}
		if r.kind == "r" {
			m["relam"], m["relfilenode"], m["relreplident"] = int64(heapAM), r.oid, "d"
		}
		if r.data != nil {
			m["reltuples"] = float64(r.data.RowCount())
			m["relpages"] = (r.data.ByteSize() + 8191) / 8192
		}
		out = append(out, m)
	}
	return out
}

func attributeRows(v *View) []map[string]any {
	var out []map[string]any
	for _, r := range v.c.rels {
		for i, col := range r.cols {
			t := v.c.typeOfT(col.Type)
			m := map[string]any{
				"attrelid": r.oid, "attname": col.Name, "atttypid": int64(col.Type.OID()), "attstattarget": int64(-1),
				"attnum": int64(i + 1), "attndims": int64(0), "attcacheoff": int64(-1), "atttypmod": TypeMod(col.Type),
				"attcompression": "", "attnotnull": !col.Nullable, "atthasdef": false, "atthasmissing": false,
				"attidentity": "", "attgenerated": "", "attisdropped": false, "attislocal": true,
				"attinhcount": int64(0), "attcollation": int64(0),
			}
			if col.Type.Kind == types.Array {
				m["attndims"] = int64(1)
			}
			if t != nil {
				m["attlen"], m["attbyval"], m["attalign"], m["attstorage"] = t.len, t.byval, t.align, t.storage
				m["attcollation"] = t.collation
			}
			out = append(out, m)
		}
	}
	return out
}

func typeRows(v *View) []map[string]any {
	out := make([]map[string]any, 0, len(v.c.types))
	for _, t := range v.c.types {
		out = append(out, map[string]any{
			"oid": t.oid, "typname": t.name, "typnamespace": int64(NamespacePgCatalog), "typowner": int64(UserOID),
			"typlen": t.len, "typbyval": t.byval, "typtype": t.typtype, "typcategory": t.category,
			"typispreferred": t.preferred, "typisdefined": true, "typdelim": t.delim, "typrelid": int64(0),
			"typsubscript": t.subscript, "typelem": t.elem, "typarray": t.arr, "typinput": t.in, "typoutput": t.out,
			"typreceive": t.recv, "typsend": t.send, "typmodin": t.modin, "typmodout": t.modout,
			"typanalyze": t.analyze, "typalign": t.align, "typstorage": t.storage, "typnotnull": false,
			"typbasetype": int64(0), "typtypmod": int64(-1), "typndims": int64(0), "typcollation": t.collation,
		})
	}
	return out
}

func procRows(v *View) []map[string]any {
	out := make([]map[string]any, 0, len(v.c.procs))
	for _, p := range v.c.procs {
		rows := float64(0)
		if p.retset {
			rows = 1000
		}
		out = append(out, map[string]any{
			"oid": p.oid, "proname": p.name, "pronamespace": int64(NamespacePgCatalog), "proowner": int64(UserOID),
			"prolang": p.lang, "procost": float64(1), "prorows": rows, "provariadic": int64(0), "prosupport": int64(0),
			"prokind": p.kind, "prosecdef": false, "proleakproof": false, "proisstrict": p.strict,
			"proretset": p.retset, "provolatile": p.volatile, "proparallel": "s", "pronargs": p.nargs,
			"pronargdefaults": int64(0), "prorettype": p.rettype, "proargtypes": p.argtypes,
			"prosrc": p.name,
		})
	}
	return out
}

func rangeRows(v *View) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(builtinRanges), "\n") {
		f := strings.Split(l, "|")
		if len(f) != 7 {
			continue
		}
		out = append(out, map[string]any{"rngtypid": atoi(f[0]), "rngsubtype": atoi(f[1]), "rngmultitypid": atoi(f[2]),
			"rngcollation": atoi(f[3]), "rngsubopc": atoi(f[4]), "rngcanonical": atoi(f[5]), "rngsubdiff": atoi(f[6])})
	}
	return out
}

func amRows(v *View) []map[string]any {
	ams := []struct {
		oid     int64
		name    string
		handler int64
		typ     string
	}{{2, "heap", 3, "t"}, {403, "btree", 330, "i"}, {405, "hash", 331, "i"}, {783, "gist", 332, "i"},
		{2742, "gin", 333, "i"}, {4000, "spgist", 334, "i"}, {3580, "brin", 335, "i"}}
	var out []map[string]any
	for _, a := range ams {
		out = append(out, map[string]any{"oid": a.oid, "amname": a.name, "amhandler": a.handler, "amtype": a.typ})
	}
	return out
}

func collationRows(v *View) []map[string]any {
	base := func(oid int64, name, provider string, collate any) map[string]any {
		return map[string]any{"oid": oid, "collname": name, "collnamespace": int64(NamespacePgCatalog),
			"collowner": int64(UserOID), "collprovider": provider, "collisdeterministic": true,
			"collencoding": int64(-1), "collcollate": collate, "collctype": collate}
	}
	return []map[string]any{base(100, "default", "d", nil), base(950, "C", "c", "C"), base(951, "POSIX", "c", "POSIX")}
}

func languageRows(v *View) []map[string]any {
	l := func(oid int64, name string, trusted bool, validator int64) map[string]any {
		return map[string]any{"oid": oid, "lanname": name, "lanowner": int64(UserOID), "lanispl": false,
			"lanpltrusted": trusted, "lanplcallfoid": int64(0), "laninline": int64(0), "lanvalidator": validator}
	}
	return []map[string]any{l(12, "internal", false, 2246), l(13, "c", false, 2247), l(14, "sql", true, 2248)}
}

func tablespaceRows(v *View) []map[string]any {
	return []map[string]any{
		{"oid": int64(1663), "spcname": "pg_default", "spcowner": int64(UserOID)},
		{"oid": int64(1664), "spcname": "pg_global", "spcowner": int64(UserOID)},
	}
}

func databaseRows(v *View) []map[string]any {
	return []map[string]any{{
		"oid": int64(DatabaseOID), "datname": v.database(), "datdba": int64(UserOID), "encoding": int64(6),
		"datlocprovider": "c", "datistemplate": false, "datallowconn": true, "datconnlimit": int64(-1),
		"datfrozenxid": int64(0), "datminmxid": int64(1), "dattablespace": int64(1663), "datcollate": "C", "datctype": "C",
	}}
}

func roleRow(oid int64, name string, login bool) map[string]any {
	return map[string]any{"rolname": name, "rolsuper": login, "rolinherit": true, "rolcreaterole": login,
		"rolcreatedb": login, "rolcanlogin": login, "rolreplication": false, "rolconnlimit": int64(-1),
		"rolpassword": "********", "rolbypassrls": login, "oid": oid}
}

func rolesRows(v *View) []map[string]any {
	return []map[string]any{roleRow(UserOID, v.user(), true), roleRow(DatabaseOwnerRoleOID, "pg_database_owner", false)}
}

func userRows(v *View) []map[string]any {
	return []map[string]any{{"usename": v.user(), "usesysid": int64(UserOID), "usecreatedb": true, "usesuper": true,
		"userepl": false, "usebypassrls": true, "passwd": "********"}}
}

// settingNames are the run-time parameters pg_settings lists when the
// session knows them (session.Info has no enumeration).
var settingNames = []string{
	"application_name", "bytea_output", "client_encoding", "client_min_messages", "datestyle",
	"default_transaction_isolation", "default_transaction_read_only", "extra_float_digits",
	"idle_in_transaction_session_timeout", "integer_datetimes", "intervalstyle", "is_superuser", "lc_collate",
	"lc_ctype", "lc_messages", "lc_monetary", "lc_numeric", "lc_time", "max_identifier_length", "search_path",
	"server_encoding", "server_version", "server_version_num", "standard_conforming_strings",
	"statement_timeout", "timezone", "transaction_isolation", "transaction_read_only", "work_mem",
}

// settingDisplay maps lower-case names to PostgreSQL's spelling.
var settingDisplay = map[string]string{"datestyle": "DateStyle", "intervalstyle": "IntervalStyle", "timezone": "TimeZone"}

// fixedSettings are read-only parameters fixed when PostgreSQL is built;
// clients read them (pgjdbc's getMaxIndexKeys reads max_index_keys) and
// the session does not keep them.
var fixedSettings = map[string]string{
	"block_size": "8192", "max_function_args": "100", "max_index_keys": "32", "segment_size": "131072",
	"wal_block_size": "8192", "data_checksums": "off", "ssl": "off", "max_connections": "100",
}

func settingsRows(v *View) []map[string]any {
	var out []map[string]any
	names := append([]string(nil), settingNames...)
	for n := range fixedSettings {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		val, ok := v.sess.Setting(n)
		if !ok {
			if val, ok = fixedSettings[n]; !ok {
				continue
			}
		}
		name := n
		if d, ok := settingDisplay[n]; ok {
			name = d
		}
		vartype, unit := "string", any(nil)
		switch n {
		case "integer_datetimes", "standard_conforming_strings", "is_superuser", "default_transaction_read_only", "transaction_read_only":
			vartype = "bool"
		case "max_identifier_length", "server_version_num", "extra_float_digits", "block_size", "max_function_args",
			"max_index_keys", "segment_size", "wal_block_size", "max_connections":
			vartype = "integer"
		case "statement_timeout", "idle_in_transaction_session_timeout":
			vartype, unit = "integer", "ms"
		}
		context := "user"
		switch n {
		case "server_version", "server_version_num", "server_encoding", "integer_datetimes", "max_identifier_length", "lc_collate",
			"lc_ctype", "block_size", "max_function_args", "max_index_keys", "segment_size", "wal_block_size", "data_checksums":
			context = "internal"
		}
		out = append(out, map[string]any{"name": name, "setting": val, "unit": unit, "category": "Client Connection Defaults",
			"short_desc": name, "context": context, "vartype": vartype, "source": "default", "boot_val": val,
			"reset_val": val, "pending_restart": false})
	}
	return out
}

func tablesRows(v *View) []map[string]any {
	var out []map[string]any
	for _, r := range v.c.rels {
		if r.kind != "r" {
			continue
		}
		out = append(out, map[string]any{"schemaname": r.schema, "tablename": r.name, "tableowner": v.user(),
			"hasindexes": false, "hasrules": false, "hastriggers": false, "rowsecurity": false})
	}
	return out
}

func viewsRows(v *View) []map[string]any {
	var out []map[string]any
	for _, r := range v.c.rels {
		if r.kind == "v" {
			out = append(out, map[string]any{"schemaname": r.schema, "viewname": r.name, "viewowner": v.user()})
		}
	}
	return out
}

func statTablesRows(userOnly bool) func(v *View) []map[string]any {
	return func(v *View) []map[string]any {
		var out []map[string]any
		for _, r := range v.c.rels {
			if r.kind != "r" || userOnly && r.data == nil {
				continue
			}
			var live int64
			if r.data != nil {
				live = r.data.RowCount()
			}
			m := map[string]any{"relid": r.oid, "schemaname": r.schema, "relname": r.name, "n_live_tup": live}
			for _, c := range []string{"seq_scan", "seq_tup_read", "n_tup_ins", "n_tup_upd", "n_tup_del", "n_tup_hot_upd", "n_tup_newpage_upd",
				"n_dead_tup", "n_mod_since_analyze", "n_ins_since_vacuum", "vacuum_count", "autovacuum_count",
				"analyze_count", "autoanalyze_count"} {
				m[c] = int64(0)
			}
			out = append(out, m)
		}
		return out
	}
}

func statioTablesRows(userOnly bool) func(v *View) []map[string]any {
	return func(v *View) []map[string]any {
		var out []map[string]any
		for _, r := range v.c.rels {
			if r.kind != "r" || userOnly && r.data == nil {
				continue
			}
			out = append(out, map[string]any{"relid": r.oid, "schemaname": r.schema, "relname": r.name,
				"heap_blks_read": int64(0), "heap_blks_hit": int64(0)})
		}
		return out
	}
}

func activityRows(v *View) []map[string]any {
	app, _ := v.sess.Setting("application_name")
	return []map[string]any{{"datid": int64(DatabaseOID), "datname": v.database(), "pid": int64(v.sess.BackendPID()),
		"usesysid": int64(UserOID), "usename": v.user(), "application_name": app, "state": "active",
		"backend_type": "client backend"}}
}

func statDatabaseRows(v *View) []map[string]any {
	return []map[string]any{{"datid": int64(DatabaseOID), "datname": v.database(), "numbackends": int64(1)}}
}

func catalogNameRows(v *View) []map[string]any {
	return []map[string]any{{"catalog_name": v.database()}}
}

func schemataRows(v *View) []map[string]any {
	var out []map[string]any
	for _, n := range v.c.namespaces {
		owner, _ := v.userName(n.owner)
		out = append(out, map[string]any{"catalog_name": v.database(), "schema_name": n.name, "schema_owner": owner})
	}
	return out
}

func infoTablesRows(v *View) []map[string]any {
	var out []map[string]any
	for _, r := range v.c.rels {
		typ, ins := "BASE TABLE", "YES"
		if r.kind == "v" {
			typ, ins = "VIEW", "NO"
		}
		out = append(out, map[string]any{"table_catalog": v.database(), "table_schema": r.schema, "table_name": r.name,
			"table_type": typ, "is_insertable_into": ins, "is_typed": "NO"})
	}
	return out
}

func infoViewsRows(v *View) []map[string]any {
	var out []map[string]any
	for _, r := range v.c.rels {
		if r.kind == "v" {
			out = append(out, map[string]any{"table_catalog": v.database(), "table_schema": r.schema, "table_name": r.name,
				"check_option": "NONE", "is_updatable": "NO", "is_insertable_into": "NO", "is_trigger_updatable": "NO",
				"is_trigger_deletable": "NO", "is_trigger_insertable_into": "NO"})
		}
	}
	return out
}

func infoColumnsRows(v *View) []map[string]any {
	var out []map[string]any
	for _, r := range v.c.rels {
		for i, col := range r.cols {
			m := columnInfo(v.c, col)
			m["table_catalog"], m["table_schema"], m["table_name"] = v.database(), r.schema, r.name
			m["column_name"], m["ordinal_position"], m["dtd_identifier"] = col.Name, int64(i+1), strconv.Itoa(i+1)
			m["udt_catalog"] = v.database()
			m["is_nullable"] = "YES"
			if !col.Nullable {
				m["is_nullable"] = "NO"
			}
			m["is_updatable"] = "YES"
			if r.kind == "v" {
				m["is_updatable"] = "NO"
			}
			out = append(out, m)
		}
	}
	return out
}

// columnInfo computes information_schema.columns' type columns as
// PostgreSQL's view does (its _pg_char_max_length, _pg_numeric_precision
// ... helpers).
func columnInfo(c *Catalog, col storage.Column) map[string]any {
	oid := int64(col.Type.OID())
	mod := TypeMod(col.Type)
	t := c.typeOID[oid]
	m := map[string]any{"is_self_referencing": "NO", "is_identity": "NO", "identity_cycle": "NO", "is_generated": "NEVER",
		"udt_schema": "pg_catalog"}
	if t == nil {
		m["data_type"] = "USER-DEFINED"
		return m
	}
	m["udt_name"] = t.name
	if t.elem != 0 && t.len == -1 {
		m["data_type"] = "ARRAY"
	} else {
		m["data_type"] = c.FormatType(oid, 0, false)
	}
	switch oid {
	case 25, 1042, 1043:
		if mod < 0 {
			m["character_octet_length"] = int64(1 << 30)
		} else {
			m["character_maximum_length"] = mod - 4
			m["character_octet_length"] = (mod - 4) * 4
		}
	case 21, 23, 20:
		m["numeric_precision"] = map[int64]int64{21: 16, 23: 32, 20: 64}[oid]
		m["numeric_precision_radix"], m["numeric_scale"] = int64(2), int64(0)
	case 700, 701:
		m["numeric_precision"] = map[int64]int64{700: 24, 701: 53}[oid]
		m["numeric_precision_radix"] = int64(2)
	case 1700:
		m["numeric_precision_radix"] = int64(10)
		if mod >= 0 {
			m["numeric_precision"], m["numeric_scale"] = ((mod-4)>>16)&0xffff, (mod-4)&0xffff
		}
	case 1082:
		m["datetime_precision"] = int64(0)
	case 1083, 1266, 1114, 1184, 1186:
		m["datetime_precision"] = int64(6)
	}
	return m
}

func characterSetRows(v *View) []map[string]any {
	return []map[string]any{{"character_set_name": "UTF8", "character_repertoire": "UCS", "form_of_use": "UTF8",
		"default_collate_catalog": v.database(), "default_collate_schema": "pg_catalog", "default_collate_name": "C"}}
}

func enabledRolesRows(v *View) []map[string]any {
	return []map[string]any{{"role_name": v.user()}}
}
