-- Tableau Desktop's PostgreSQL connector. Since 2020 it runs on pgjdbc
-- (Tableau 2023.2 reports pgjdbc's own "An I/O error occurred while sending
-- to the backend" when a server breaks: risingwavelabs/risingwave#10459), so
-- connecting and browsing go through pgjdbc's DatabaseMetaData; older Tableau
-- versions and Tableau's "Other Databases (ODBC)" path use psqlODBC, which
-- reads the table list through a cursor. Then the queries Tableau writes: the
-- empty-result metadata probe and aggregates with its column aliases.
--
-- Sources:
--   pgjdbc/pgjdbc@3a699d57d957ca0c2b86e619d001a8763a130027 pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java
--   tableau/connector-plugin-sdk@2562f47367cd082509cedfe5223584655df52b60 samples/plugins/postgres_jdbc/manifest.xml
--     (CAP_QUERY_WHERE_FALSE_METADATA: Tableau reads a table's columns from a query that returns no rows)
--   postgresql-interfaces/psqlodbc@bc439e8fc144d8f0810d4497bbcdbf1018e6492e connection.c, info.c (PGAPI_Tables)
--   treasure-data/prestogres#29: Tableau 8.3/9.0 log, query 'show "lc_collate"'

-- name: pgjdbc set extra_float_digits
-- source: pgjdbc ConnectionFactoryImpl (startup of pgjdbc 42.x)
SET extra_float_digits = 3

-- name: pgjdbc getSchemas
-- source: PgDatabaseMetaData.getSchemas(null, null)
-- mode: extended
-- expect: cell public
SELECT nspname AS "TABLE_SCHEM", current_database() AS "TABLE_CATALOG" FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))  ORDER BY "TABLE_SCHEM"

-- name: pgjdbc getTables
-- source: PgDatabaseMetaData.getTables(null, "public", "%", {"TABLE", "VIEW"})
-- param: varchar public
-- param: varchar %
-- expect: row public | lineitem | TABLE
-- expect: rows 8
SELECT current_database() AS "TABLE_CAT", n.nspname AS "TABLE_SCHEM", c.relname AS "TABLE_NAME",  CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema'  WHEN true THEN CASE  WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TABLE'   WHEN 'v' THEN 'SYSTEM VIEW'   WHEN 'i' THEN 'SYSTEM INDEX'   ELSE NULL   END  WHEN n.nspname = 'pg_toast' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TOAST TABLE'   WHEN 'i' THEN 'SYSTEM TOAST INDEX'   ELSE NULL   END  ELSE CASE c.relkind   WHEN 'r' THEN 'TEMPORARY TABLE'   WHEN 'p' THEN 'TEMPORARY TABLE'   WHEN 'i' THEN 'TEMPORARY INDEX'   WHEN 'S' THEN 'TEMPORARY SEQUENCE'   WHEN 'v' THEN 'TEMPORARY VIEW'   ELSE NULL   END  END  WHEN false THEN CASE c.relkind  WHEN 'r' THEN 'TABLE'  WHEN 'p' THEN 'PARTITIONED TABLE'  WHEN 'i' THEN 'INDEX'  WHEN 'P' then 'PARTITIONED INDEX'  WHEN 'S' THEN 'SEQUENCE'  WHEN 'v' THEN 'VIEW'  WHEN 'c' THEN 'TYPE'  WHEN 'f' THEN 'FOREIGN TABLE'  WHEN 'm' THEN 'MATERIALIZED VIEW'  ELSE NULL  END  ELSE NULL  END  AS "TABLE_TYPE", d.description AS "REMARKS",  '' as "TYPE_CAT", '' as "TYPE_SCHEM", '' as "TYPE_NAME", '' AS "SELF_REFERENCING_COL_NAME", '' AS "REF_GENERATION"  FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c  LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0  and d.classoid = 'pg_class'::regclass)  WHERE c.relnamespace = n.oid  AND n.nspname LIKE $1 AND c.relname LIKE $2 AND (false  OR ( c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' )  OR ( c.relkind = 'v' AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema' ) )  ORDER BY "TABLE_TYPE","TABLE_SCHEM","TABLE_NAME" 

-- name: pgjdbc getColumns
-- expect: row public | lineitem | l_orderkey | 23
-- expect: row public | lineitem | l_quantity | 1700
-- expect: row public | lineitem | l_shipdate | 1082
-- source: PgDatabaseMetaData.getColumns(null, "public", "lineitem", "%") (server 12+)
-- param: varchar public
-- param: varchar lineitem
-- param: varchar %
-- expect: rows 16
-- expect: cell l_shipdate
SELECT * FROM (SELECT current_database() AS current_database, n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull  OR (t.typtype = 'd' AND t.typnotnull) AS attnotnull,a.atttypmod,a.attlen,t.typtypmod,row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum, nullif(a.attidentity, '') as attidentity,nullif(a.attgenerated, '') as attgenerated,pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS adsrc,dsc.description,t.typbasetype,t.typtype  FROM pg_catalog.pg_namespace n  JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid)  JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid)  JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid)  LEFT JOIN pg_catalog.pg_attrdef def ON (a.attrelid=def.adrelid AND a.attnum = def.adnum)  LEFT JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)  LEFT JOIN pg_catalog.pg_class dc ON (dc.oid=dsc.classoid AND dc.relname='pg_class')  LEFT JOIN pg_catalog.pg_namespace dn ON (dc.relnamespace=dn.oid AND dn.nspname='pg_catalog')  WHERE c.relkind in ('r','p','v','f','m') and a.attnum > 0 AND NOT a.attisdropped  AND n.nspname LIKE $1 AND c.relname LIKE $2) c WHERE true  AND attname LIKE $3 ORDER BY nspname,c.relname,attnum 

-- name: pgjdbc getPrimaryKeys
-- compare: rows
-- source: PgDatabaseMetaData.getPrimaryKeys(null, "public", "lineitem")
-- param: varchar public
-- param: varchar lineitem
-- expect: rows 0
SELECT        result.TABLE_CAT AS "TABLE_CAT",        result.TABLE_SCHEM AS "TABLE_SCHEM",        result.TABLE_NAME AS "TABLE_NAME",        result.COLUMN_NAME AS "COLUMN_NAME",        result.KEY_SEQ AS "KEY_SEQ",        result.PK_NAME AS "PK_NAME"FROM      (SELECT current_database() AS TABLE_CAT, n.nspname AS TABLE_SCHEM,   ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME,   (information_schema._pg_expandarray(con.conkey)).n AS KEY_SEQ, con.conname AS PK_NAME,   information_schema._pg_expandarray(con.conkey) AS KEYS, a.attnum AS A_ATTNUM FROM pg_catalog.pg_constraint con   JOIN pg_catalog.pg_class ct ON (con.conrelid = ct.oid)   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_attribute a ON (a.attrelid = ct.oid) WHERE con.contype = 'p'  AND n.nspname = $1 AND ct.relname = $2 ) result where  result.A_ATTNUM = (result.KEYS).x  ORDER BY result.table_name, result.pk_name, result.key_seq

-- name: metadata probe
-- source: Tableau with CAP_QUERY_WHERE_FALSE_METADATA: the columns and types of a table from a query that returns no rows
-- mode: extended
-- expect: rows 0
-- expect: columns l_orderkey | l_partkey | l_suppkey | l_linenumber | l_quantity | l_extendedprice | l_discount | l_tax | l_returnflag | l_linestatus | l_shipdate | l_commitdate | l_receiptdate | l_shipinstruct | l_shipmode | l_comment
SELECT *
FROM "public"."lineitem" "lineitem"
WHERE (1 = 0)

-- name: aggregate by dimension
-- source: Tableau's generated SQL: table alias, "agg:field:ok" column aliases, GROUP BY ordinal
-- mode: extended
-- expect: rows 3
SELECT "lineitem"."l_returnflag" AS "l_returnflag",
  SUM("lineitem"."l_quantity") AS "sum:l_quantity:ok"
FROM "public"."lineitem" "lineitem"
GROUP BY 1

-- name: aggregate by month
-- source: Tableau's generated SQL for a continuous month of a date (DATE_TRUNC of the PostgreSQL dialect)
-- mode: extended
-- expect: minrows 1
SELECT CAST(DATE_TRUNC('MONTH', CAST("lineitem"."l_shipdate" AS DATE)) AS DATE) AS "tmn:l_shipdate:ok",
  SUM("lineitem"."l_extendedprice") AS "sum:l_extendedprice:ok"
FROM "public"."lineitem" "lineitem"
GROUP BY 1

-- name: top n filter
-- source: Tableau's generated SQL for a Top-N filter (a join to a ranked subquery)
-- mode: extended
-- expect: rows 3
SELECT "lineitem"."l_shipmode" AS "l_shipmode",
  SUM("lineitem"."l_extendedprice") AS "sum:l_extendedprice:ok"
FROM "public"."lineitem" "lineitem"
  INNER JOIN (
  SELECT "lineitem"."l_shipmode" AS "l_shipmode",
    SUM("lineitem"."l_extendedprice") AS "$__alias__0"
  FROM "public"."lineitem" "lineitem"
  GROUP BY 1
  ORDER BY 2 DESC,
    1 ASC
  LIMIT 3
) "t0" ON ("lineitem"."l_shipmode" IS NOT DISTINCT FROM "t0"."l_shipmode")
GROUP BY 1

-- name: native lc_collate
-- source: prestogres#29, Tableau 8.3/9.0 log
-- expect: rows 1
show "lc_collate"

-- name: odbc datestyle
-- compare: rows
-- source: psqlodbc connection.c CC_connect
-- expect: rows 1
SHOW DateStyle;

-- name: odbc isolation
-- compare: rows
-- source: psqlodbc connection.c ISOLATION_SHOW_QUERY
-- expect: rows 1
show transaction_isolation

-- name: odbc current schema
-- source: psqlodbc connection.c
-- expect: cell public
select current_schema()

-- name: odbc SQLTables through a cursor
-- source: psqlodbc info.c PGAPI_Tables (all table types, no system tables), run with UseDeclareFetch as Tableau's ODBC data sources do
-- expect: cell lineitem
BEGIN;declare "SQL_CUR0x7f8a2c0" cursor with hold for select relname, nspname, relkind from pg_catalog.pg_class c, pg_catalog.pg_namespace n where relkind in ('r', 'v', 'm', 'f', 'p') and nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'pg_temp_1') and n.oid = relnamespace order by nspname, relname;fetch 100 in "SQL_CUR0x7f8a2c0"

-- name: odbc close cursor
-- source: psqlodbc (close of a declare/fetch cursor, then the end of the transaction it opened)
close "SQL_CUR0x7f8a2c0";COMMIT
