// Package pgcatalog is PostgreSQL's system catalog over a Basalt data
// directory: the pg_catalog and information_schema relations as in-memory
// tables (storage.NewMemTable) that the engine scans, joins and filters like
// any other, with PostgreSQL's own OIDs for built-in objects and stable ones
// for the data tables (16384 upward in name order). psql's \d, JDBC's
// DatabaseMetaData, SQLAlchemy's inspector and BI tools read these.
//
// A Catalog is built once per engine (the data directory is immutable); a
// View binds it to one session for one statement, for what depends on the
// session (pg_settings, the current user in pg_roles). The View also gives
// the binder what it needs for the reg* types and the catalog functions.
//
// It imports storage, sql/types, sql/expr, sql/session, sql/sqlerr and Arrow.
package pgcatalog

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/basaltdb/basalt/sql/session"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// Well-known OIDs.
const (
	NamespacePgCatalog   = 11
	NamespacePublic      = 2200
	NamespaceInfoSchema  = 13207 // PostgreSQL assigns it at initdb; 15's value
	NamespacePgToast     = 99
	NamespaceSystem      = 16000 // Basalt's own schema system; below FirstDataOID, unused by PostgreSQL
	FirstDataOID         = 16384 // PostgreSQL's FirstNormalObjectId
	DatabaseOID          = 5
	UserOID              = 10   // the bootstrap superuser: every session's user
	DatabaseOwnerRoleOID = 6171 // pg_database_owner, owner of public
	heapAM               = 2
	defaultCollation     = 100
)

// relation is one row of pg_class.
type relation struct {
	oid    int64
	nsp    int64
	schema string
	name   string
	kind   string // relkind: r table, v view
	cols   []storage.Column
	data   *storage.Table // a Parquet table; nil for a system relation
	// rows produces a system relation's rows by column name (nil: the
	// relation is empty); missing columns are NULL.
	rows func(v *View) []map[string]any
	// perSession marks relations whose rows depend on the session; the
	// others are computed once and shared.
	perSession bool
	// live gives a system table's rows in column order (SystemTable.Rows).
	live func() [][]any

	once   sync.Once
	cached [][]any
	err    error
	table  *storage.Table // the shared in-memory table of a static relation
}

// Catalog is the system catalog of one data directory.
type Catalog struct {
	data  *storage.Catalog
	rels  []*relation // pg_class order: by oid
	byOID map[int64]*relation
	// bySchema maps schema name -> relation name -> relation.
	bySchema map[string]map[string]*relation
	types    []typeRow
	typeOID  map[int64]*typeRow
	typeName map[string]*typeRow
	procs    []procRow
	procOID  map[int64]*procRow
	// namespaces are pg_namespace's rows; schemaOID maps their names to
	// OIDs.
	namespaces []nsp
	schemaOID  map[string]int64
}

// SystemTable is a relation of schema system that another part of the
// server provides (cluster membership's system.nodes ...): its rows are
// read afresh by every statement that scans it, since they change while
// the server runs.
type SystemTable struct {
	Name    string
	Columns []storage.Column
	// Rows returns the current rows, values in column order as the
	// catalog's own relations hold them: nil (NULL), bool, int64, float64,
	// string, and int64 microseconds since 1970 for timestamps.
	Rows func() [][]any
}

// New builds the catalog of data's tables and of the system tables given
// (schema system, present only when there are some).
func New(data *storage.Catalog, system ...SystemTable) *Catalog {
	c := &Catalog{data: data, byOID: map[int64]*relation{}, bySchema: map[string]map[string]*relation{}, schemaOID: map[string]int64{}}
	c.namespaces = append(c.namespaces, builtinNamespaces...)
	if len(system) > 0 {
		c.namespaces = append(c.namespaces, nsp{NamespaceSystem, "system", UserOID})
	}
	for _, n := range c.namespaces {
		c.schemaOID[n.name] = n.oid
	}
	c.loadTypes()
	c.loadProcs()
	for _, spec := range strings.Split(strings.TrimSpace(relationSpecs), "\n") {
		parts := strings.SplitN(spec, "|", 4)
		if len(parts) != 4 {
			continue
		}
		schema, name, _ := strings.Cut(parts[0], ".")
		oid, _ := strconv.ParseInt(parts[1], 10, 64)
		spec, err := withPG16Columns(parts[0], parts[3])
		if err != nil {
			panic(err) // static data out of step with pg16.go; TestPG16Columns catches it
		}
		r := &relation{oid: oid, schema: schema, name: name, kind: parts[2], cols: parseColumns(spec)}
		r.nsp = NamespacePgCatalog
		if schema == "information_schema" {
			r.nsp = NamespaceInfoSchema
		}
		r.rows, r.perSession = producers[parts[0]].rows, producers[parts[0]].perSession
		c.add(r)
	}
	for i, st := range system {
		rows := st.Rows
		c.add(&relation{oid: NamespaceSystem + 1 + int64(i), nsp: NamespaceSystem, schema: "system", name: st.Name, kind: "r", cols: st.Columns,
			perSession: true, live: rows})
	}
	tables := data.Tables() // sorted by name
	for i, t := range tables {
		c.add(&relation{oid: FirstDataOID + int64(i), nsp: NamespacePublic, schema: storage.SchemaName, name: t.Name, kind: "r", cols: t.Columns, data: t})
	}
	sort.Slice(c.rels, func(i, j int) bool { return c.rels[i].oid < c.rels[j].oid })
	for _, r := range c.rels {
		if r.data == nil && !r.perSession {
			r.table = c.memTable(r, nil)
		}
	}
	return c
}

func (c *Catalog) add(r *relation) {
	c.rels = append(c.rels, r)
	c.byOID[r.oid] = r
	m := c.bySchema[r.schema]
	if m == nil {
		m = map[string]*relation{}
		c.bySchema[r.schema] = m
	}
	m[r.name] = r
}

// View is the catalog as one session sees it during one statement.
type View struct {
	c    *Catalog
	sess session.Info
	// tables holds the in-memory tables built for this statement, so a
	// relation named twice in a query is one table.
	mu     sync.Mutex
	tables map[*relation]*storage.Table

	pathOnce sync.Once
	path     []string
}

// View binds the catalog to a session.
func (c *Catalog) View(s session.Info) *View {
	if s == nil {
		s = session.NewEmbedded()
	}
	return &View{c: c, sess: s, tables: map[*relation]*storage.Table{}}
}

// searchPath is where unqualified names are looked up in this view: the
// session's search_path (session.SearchPath: pg_catalog first unless
// listed, "$user" and schemas that do not exist skipped), read once a
// statement.
func (v *View) searchPath() []string {
	v.pathOnce.Do(func() {
		value := `"$user", public`
		if v.sess != nil {
			if s, ok := v.sess.Setting("search_path"); ok {
				value = s
			}
		}
		v.path = session.SearchPath(value, v.user(), true, v.SchemaExists)
	})
	return v.path
}

// lookup finds a relation; schema "" searches path. Names are matched
// exactly first; data tables also case-insensitively, as storage does
// (folder names often are not lower case while unquoted SQL names are).
func (c *Catalog) lookup(path []string, schema, name string) *relation {
	if schema == "" {
		for _, s := range path {
			if r := c.lookup(nil, s, name); r != nil {
				return r
			}
		}
		return nil
	}
	if r, ok := c.bySchema[schema][name]; ok {
		return r
	}
	if r, ok := c.bySchema[schema][strings.ToLower(name)]; ok && r.data == nil {
		return r
	}
	if schema == storage.SchemaName {
		if t, ok := c.data.Table(name); ok {
			for _, r := range c.bySchema[schema] {
				if r.data == t {
					return r
				}
			}
		}
	}
	return nil
}

// SchemaExists reports whether the catalog has a schema of this name.
func (v *View) SchemaExists(name string) bool {
	_, ok := v.c.schemaOID[name]
	return ok
}

// visible reports whether an unqualified name finds r on this view's
// search path (pg_table_is_visible, regclass output).
func (v *View) visible(r *relation) bool {
	return v.c.lookup(v.searchPath(), "", r.name) == r
}

// table returns the storage table that scans r in this view.
func (v *View) table(r *relation) *storage.Table {
	if r.data != nil {
		return r.data
	}
	if r.table != nil {
		return r.table
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if t, ok := v.tables[r]; ok {
		return t
	}
	t := v.c.memTable(r, v)
	v.tables[r] = t
	return t
}

// rowsOf returns r's rows in column order: cached for static relations.
func (v *View) rowsOf(r *relation) ([][]any, error) {
	if r.live != nil {
		rows := r.live()
		for _, row := range rows {
			if len(row) != len(r.cols) {
				return nil, sqlerr.New(sqlerr.InternalError, "system table %s: a row has %d values for %d columns", r.name, len(row), len(r.cols))
			}
		}
		return rows, nil
	}
	if r.rows == nil {
		return nil, nil
	}
	if r.perSession {
		return r.ordered(r.rows(v))
	}
	r.once.Do(func() { r.cached, r.err = r.ordered(r.rows(v)) })
	return r.cached, r.err
}

// ordered puts each row's values in column order.
func (r *relation) ordered(rows []map[string]any) ([][]any, error) {
	idx := make(map[string]int, len(r.cols))
	for i, c := range r.cols {
		idx[c.Name] = i
	}
	out := make([][]any, len(rows))
	for i, m := range rows {
		row := make([]any, len(r.cols))
		for k, val := range m {
			j, ok := idx[k]
			if !ok {
				return nil, sqlerr.New(sqlerr.InternalError, "catalog relation %s has no column %s", r.name, k)
			}
			row[j] = val
		}
		out[i] = row
	}
	return out, nil
}

// userName is the name of a role oid, as pg_get_userbyid prints it.
func (v *View) userName(oid int64) (string, bool) {
	switch oid {
	case UserOID:
		return v.user(), true
	case DatabaseOwnerRoleOID:
		return "pg_database_owner", true
	}
	return "", false
}

// user is the session's user; static relations (built once, shared) see
// the role as it is named in every session: the owner of all objects is
// the bootstrap role 10, which each session sees as itself.
func (v *View) user() string {
	if v == nil || v.sess == nil {
		return "basalt"
	}
	return v.sess.User()
}

func (v *View) database() string {
	if v == nil || v.sess == nil {
		return session.DefaultDatabase
	}
	return v.sess.Database()
}

// parseColumns reads "name type,name type!" as PostgreSQL prints types; !
// marks a NOT NULL column.
func parseColumns(spec string) []storage.Column {
	var out []storage.Column
	for _, f := range strings.Split(spec, ",") {
		name, typ, _ := strings.Cut(f, " ")
		notNull := strings.HasSuffix(typ, "!")
		typ = strings.TrimSuffix(typ, "!")
		out = append(out, storage.Column{Name: name, Type: specType(typ), Nullable: !notNull})
	}
	return out
}

// specType maps a format_type name of a catalog column to the engine's type.
func specType(s string) types.T {
	if strings.HasSuffix(s, "[]") {
		e := specType(strings.TrimSuffix(s, "[]"))
		if s == "aclitem[]" {
			return types.AclItemArrayT
		}
		return types.ArrayOf(e)
	}
	switch s {
	case "oid":
		return types.OidT
	case "name":
		return types.NameT
	case `"char"`:
		return types.CharT
	case "integer":
		return types.Int32T
	case "smallint":
		return types.Int16T
	case "bigint":
		return types.Int64T
	case "real":
		return types.Float32T
	case "double precision":
		return types.Float64T
	case "boolean":
		return types.BoolT
	case "xid":
		return types.XidT
	case "regproc":
		return types.RegProcT
	case "regtype":
		return types.RegTypeT
	case "pg_node_tree":
		return types.PgNodeTreeT
	case "int2vector":
		return types.Int2VectorT
	case "oidvector":
		return types.OidVectorT
	case "bytea":
		return types.ByteaT
	case "interval":
		return types.IntervalT
	case "timestamp with time zone", "timestamp(2) with time zone":
		return types.TimestampTZT
	case "character varying":
		return types.VarcharT
	case "character varying(3)":
		// information_schema's yes_or_no domain.
		t := types.VarcharT
		t.Precision = 3
		return t
	}
	return types.TextT
}
