-- Power BI Desktop's PostgreSQL connector, which uses the Npgsql 4.0 ADO.NET
-- provider: Npgsql loads the server's types when it opens the first
-- connection (its command splits the text into three statements and sends
-- each with Parse/Bind/Execute), Power BI reads the tables and columns
-- through Npgsql's GetSchema, resets pooled connections with DISCARD ALL, and
-- folds the navigator's preview into a query with the "_" alias.
--
-- Sources:
--   npgsql/npgsql@8f47aecba33a9cbe1e100e86543eea5bb9526a41 (tag v4.0.9)
--     src/Npgsql/PostgresDatabaseInfo.cs GenerateTypesQuery(withRange, withEnum, withEnumSortOrder, loadTableComposites: false)
--     src/Npgsql/NpgsqlSchema.cs GetTables, GetColumns, GetConstraints (named :parameters become $n, sent as text)
--   datafusion-contrib/datafusion-postgres#218 (a PostgreSQL log of Power BI): DISCARD ALL between metadata reads

-- name: npgsql load types
-- source: PostgresDatabaseInfo.cs GenerateTypesQuery
-- mode: extended
/*** Load all supported types ***/
SELECT ns.nspname, a.typname, a.oid, a.typrelid, a.typbasetype,
CASE WHEN pg_proc.proname='array_recv' THEN 'a' ELSE a.typtype END AS type,
CASE
  WHEN pg_proc.proname='array_recv' THEN a.typelem
  WHEN a.typtype='r' THEN rngsubtype
  ELSE 0
END AS elemoid,
CASE
  WHEN pg_proc.proname IN ('array_recv','oidvectorrecv') THEN 3    /* Arrays last */
  WHEN a.typtype='r' THEN 2                                        /* Ranges before */
  WHEN a.typtype='d' THEN 1                                        /* Domains before */
  ELSE 0                                                           /* Base types first */
END AS ord
FROM pg_type AS a
JOIN pg_namespace AS ns ON (ns.oid = a.typnamespace)
JOIN pg_proc ON pg_proc.oid = a.typreceive
LEFT OUTER JOIN pg_class AS cls ON (cls.oid = a.typrelid)
LEFT OUTER JOIN pg_type AS b ON (b.oid = a.typelem)
LEFT OUTER JOIN pg_class AS elemcls ON (elemcls.oid = b.typrelid)
LEFT OUTER JOIN pg_range ON (pg_range.rngtypid = a.oid) 
WHERE
  a.typtype IN ('b', 'r', 'e', 'd') OR         /* Base, range, enum, domain */
  (a.typtype = 'c' AND cls.relkind='c') OR /* User-defined free-standing composites (not table composites) by default */
  (pg_proc.proname='array_recv' AND (
    b.typtype IN ('b', 'r', 'e', 'd') OR       /* Array of base, range, enum, domain */
    (b.typtype = 'p' AND b.typname IN ('record', 'void')) OR /* Arrays of special supported pseudo-types */
    (b.typtype = 'c' AND elemcls.relkind='c')  /* Array of user-defined free-standing composites (not table composites) */
  )) OR
  (a.typtype = 'p' AND a.typname IN ('record', 'void'))  /* Some special supported pseudo-types */
ORDER BY ord;

-- name: npgsql load composite fields
-- source: PostgresDatabaseInfo.cs GenerateTypesQuery
-- mode: extended
/*** Load field definitions for (free-standing) composite types ***/
SELECT typ.oid, att.attname, att.atttypid
FROM pg_type AS typ
JOIN pg_namespace AS ns ON (ns.oid = typ.typnamespace)
JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
JOIN pg_attribute AS att ON (att.attrelid = typ.typrelid)
WHERE
  (typ.typtype = 'c' AND cls.relkind='c') AND
  attnum > 0 AND     /* Don't load system attributes */
  NOT attisdropped
ORDER BY typ.oid, att.attnum;

-- name: npgsql load enum fields
-- source: PostgresDatabaseInfo.cs GenerateTypesQuery
-- mode: extended
/*** Load enum fields ***/
SELECT pg_type.oid, enumlabel
FROM pg_enum
JOIN pg_type ON pg_type.oid=enumtypid
ORDER BY oid, enumsortorder;

-- name: GetSchema Tables
-- source: NpgsqlSchema.cs GetTables (no restrictions)
-- mode: extended
-- expect: cell lineitem
-- expect: rows 8
SELECT table_catalog, table_schema, table_name, table_type
FROM information_schema.tables
WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')

-- name: DISCARD ALL
-- source: Npgsql pooled connection reset, seen in Power BI's log (datafusion-postgres#218)
DISCARD ALL

-- name: GetSchema Columns
-- expect: row lineitem | l_quantity | 5
-- source: NpgsqlSchema.cs GetColumns(restrictions: null, "public", "lineitem")
-- param: text public
-- param: text lineitem
-- expect: rows 16
-- expect: cell l_shipdate
SELECT table_catalog, table_schema, table_name, column_name, ordinal_position, column_default, is_nullable, udt_name AS data_type, character_maximum_length, character_octet_length, numeric_precision, numeric_precision_radix, numeric_scale, datetime_precision, character_set_catalog, character_set_schema, character_set_name, collation_catalog FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2

-- name: GetSchema ForeignKeys
-- source: NpgsqlSchema.cs GetConstraints("ForeignKeys", restrictions: null, "public", "lineitem")
-- param: text public
-- param: text lineitem
-- expect: rows 0
select
  current_database() as "CONSTRAINT_CATALOG",
  pgn.nspname as "CONSTRAINT_SCHEMA",
  pgc.conname as "CONSTRAINT_NAME",
  current_database() as "TABLE_CATALOG",
  pgtn.nspname as "TABLE_SCHEMA",
  pgt.relname as "TABLE_NAME",
  "CONSTRAINT_TYPE",
  pgc.condeferrable as "IS_DEFERRABLE",
  pgc.condeferred as "INITIALLY_DEFERRED"
from pg_catalog.pg_constraint pgc
inner join pg_catalog.pg_namespace pgn on pgc.connamespace = pgn.oid
inner join pg_catalog.pg_class pgt on pgc.conrelid = pgt.oid
inner join pg_catalog.pg_namespace pgtn on pgt.relnamespace = pgtn.oid
inner join (
select 'PRIMARY KEY' as "CONSTRAINT_TYPE", 'p' as "contype" union all
select 'FOREIGN KEY' as "CONSTRAINT_TYPE", 'f' as "contype" union all
select 'UNIQUE KEY' as "CONSTRAINT_TYPE", 'u' as "contype"
) mapping_table on mapping_table.contype = pgc.contype and pgc.contype='f' AND pgtn.nspname = $1 AND pgt.relname = $2

-- name: GetSchema ConstraintColumns
-- source: NpgsqlSchema.cs GetConstraintColumns(restrictions: null, "public", "lineitem")
-- param: text public
-- param: text lineitem
-- expect: rows 0
select current_database() as constraint_catalog,
    n.nspname as constraint_schema,
    c.conname as constraint_name,
    current_database() as table_catalog,
    n.nspname as table_schema,
    t.relname as table_name,
    a.attname as column_name,
    a.attnum as ordinal_number,
    mapping_table.constraint_type
from pg_constraint c
inner join pg_namespace n on n.oid = c.connamespace
inner join pg_class t on t.oid = c.conrelid and t.relkind = 'r'
inner join pg_attribute a on t.oid = a.attrelid and a.attnum = ANY(c.conkey)
inner join (
select 'PRIMARY KEY' as constraint_type, 'p' as contype union all
select 'FOREIGN KEY' as constraint_type, 'f' as contype union all
select 'UNIQUE KEY' as constraint_type, 'u' as contype
) mapping_table on mapping_table.contype = c.contype
and n.nspname not in ('pg_catalog', 'pg_toast') AND n.nspname = $1 AND t.relname = $2

-- name: navigator preview
-- source: Power Query's folded query for a table preview (alias "_", first 1000 rows)
-- mode: extended
-- expect: rows 1000
select "_"."l_orderkey",
    "_"."l_partkey",
    "_"."l_quantity",
    "_"."l_extendedprice",
    "_"."l_shipdate",
    "_"."l_comment"
from "public"."lineitem" "_"
limit 1000
