-- Metabase (v0.55, PostgreSQL driver over pgjdbc 42.7): connect, sync the
-- database (schemas, tables, privileges, fields, foreign keys), then the first
-- questions on a table. pgjdbc sends every statement with the extended
-- protocol. Table: public.lineitem of a TPC-H data set.
--
-- Sources:
--   metabase/metabase@008fd6675457cdd62da2265628bed3b725a607ea src/metabase/driver/postgres.clj
--   pgjdbc/pgjdbc@3a699d57d957ca0c2b86e619d001a8763a130027 pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java
--   The statements Metabase builds with HoneySQL are as Metabase v0.55.1 sent
--   them to a server, captured in datafusion-contrib/datafusion-postgres@4c18f5ad
--   datafusion-postgres/tests/metabase.rs; the others are rendered by hand from
--   the HoneySQL forms in postgres.clj (quoted identifiers, values inlined).

-- name: set extra_float_digits
-- source: captured Metabase v0.55.1 startup (pgjdbc ConnectionFactoryImpl)
SET extra_float_digits = 2

-- name: set application_name
-- source: captured Metabase v0.55.1 startup
SET application_name = 'Metabase v0.55.1 [f8f63fdf-d8f8-4573-86ea-4fe4a9548041]'

-- name: show transaction isolation level
-- source: captured Metabase v0.55.1 startup (pgjdbc getTransactionIsolation)
-- mode: extended
SHOW TRANSACTION ISOLATION LEVEL

-- name: set session isolation read uncommitted
-- source: captured Metabase v0.55.1 startup (pgjdbc setTransactionIsolation)
SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED

-- name: pgjdbc getSchemas
-- source: PgDatabaseMetaData.getSchemas(null, null)
-- mode: extended
-- expect: cell public
SELECT nspname AS "TABLE_SCHEM", current_database() AS "TABLE_CATALOG" FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))  ORDER BY "TABLE_SCHEM"

-- name: current-user-table-privileges
-- source: postgres.clj sql-jdbc.sync/current-user-table-privileges (lines joined with "\n" as Metabase does)
-- mode: extended
-- expect: row public | lineitem
with table_privileges as (
 select
   NULL as role,
   t.schemaname as schema,
   t.objectname as table,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'update') as update,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'select') as select,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'insert') as insert,
   pg_catalog.has_table_privilege(     current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'delete') as delete
 from (
   select schemaname, tablename as objectname from pg_catalog.pg_tables
   union
   select schemaname, viewname as objectname from pg_catalog.pg_views
   union
   select schemaname, matviewname as objectname from pg_catalog.pg_matviews
 ) t
 where t.schemaname !~ '^pg_'
   and t.schemaname <> 'information_schema'
   and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage')
)
select t.*
from table_privileges t

-- name: describe-database get-tables
-- source: postgres.clj get-tables-sql with schemas ["public"], as captured from Metabase v0.55.1
-- mode: extended
-- expect: columns schema | name | type | description | estimated_row_count
-- expect: row public | lineitem | TABLE
-- expect: rows 8
SELECT "n"."nspname" AS "schema", "c"."relname" AS "name", CASE "c"."relkind" WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS "type", "d"."description" AS "description", "stat"."n_live_tup" AS "estimated_row_count" FROM "pg_catalog"."pg_class" AS "c" INNER JOIN "pg_catalog"."pg_namespace" AS "n" ON "c"."relnamespace" = "n"."oid" LEFT JOIN "pg_catalog"."pg_description" AS "d" ON ("c"."oid" = "d"."objoid") AND ("d"."objsubid" = '0') AND ("d"."classoid" = 'pg_class'::regclass) LEFT JOIN "pg_stat_user_tables" AS "stat" ON ("n"."nspname" = "stat"."schemaname") AND ("c"."relname" = "stat"."relname") WHERE ("c"."relnamespace" = "n"."oid") AND ("n"."nspname" !~ '^pg_') AND ("n"."nspname" <> 'information_schema') AND c.relkind in ('r', 'p', 'v', 'f', 'm') AND ("n"."nspname" IN ('public')) ORDER BY "type" ASC, "schema" ASC, "name" ASC

-- name: enum types
-- compare: rows
-- source: postgres.clj enum-types (describe-fields-pre-process-xf)
-- mode: extended
-- expect: rows 0
SELECT nspname, typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid IN (SELECT DISTINCT enumtypid FROM pg_enum e)

-- name: describe-fields
-- compare: rows
-- expect: row l_orderkey | int4 | 0 | public | lineitem
-- expect: row l_quantity | numeric | 4
-- expect: row l_shipdate | date | 10
-- source: postgres.clj sql-jdbc.sync/describe-fields-sql with schema-names ["public"], table-names ["lineitem"]
-- mode: extended
-- expect: minrows 16
-- expect: cell l_shipdate
SELECT "c"."column_name" AS "name", CASE WHEN "c"."udt_schema" IN ('public', 'pg_catalog') THEN FORMAT('%s', "c"."udt_name") ELSE FORMAT('"%s"."%s"', "c"."udt_schema", "c"."udt_name") END AS "database-type", "c"."ordinal_position" - 1 AS "database-position", "c"."table_schema" AS "table-schema", "c"."table_name" AS "table-name", "pk"."column_name" IS NOT NULL AS "pk?", COL_DESCRIPTION(CAST(CAST(FORMAT('%I.%I', CAST("c"."table_schema" AS TEXT), CAST("c"."table_name" AS TEXT)) AS REGCLASS) AS OID), "c"."ordinal_position") AS "field-comment", (("column_default" IS NULL) OR (LOWER("column_default") = 'null')) AND ("is_nullable" = 'NO') AND NOT ((("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO')) AS "database-required", (("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO') AS "database-is-auto-increment" FROM "information_schema"."columns" AS "c" LEFT JOIN (SELECT "tc"."table_schema", "tc"."table_name", "kc"."column_name" FROM "information_schema"."table_constraints" AS "tc" INNER JOIN "information_schema"."key_column_usage" AS "kc" ON ("tc"."constraint_name" = "kc"."constraint_name") AND ("tc"."table_schema" = "kc"."table_schema") AND ("tc"."table_name" = "kc"."table_name") WHERE "tc"."constraint_type" = 'PRIMARY KEY') AS "pk" ON ("c"."table_schema" = "pk"."table_schema") AND ("c"."table_name" = "pk"."table_name") AND ("c"."column_name" = "pk"."column_name") WHERE c.table_schema !~ '^information_schema|catalog_history|pg_' AND ("c"."table_schema" IN ('public')) AND ("c"."table_name" IN ('lineitem')) UNION ALL SELECT "pa"."attname" AS "name", CASE WHEN "ptn"."nspname" IN ('public', 'pg_catalog') THEN FORMAT('%s', "pt"."typname") ELSE FORMAT('"%s"."%s"', "ptn"."nspname", "pt"."typname") END AS "database-type", "pa"."attnum" - 1 AS "database-position", "pn"."nspname" AS "table-schema", "pc"."relname" AS "table-name", FALSE AS "pk?", NULL AS "field-comment", FALSE AS "database-required", FALSE AS "database-is-auto-increment" FROM "pg_catalog"."pg_class" AS "pc" INNER JOIN "pg_catalog"."pg_namespace" AS "pn" ON "pn"."oid" = "pc"."relnamespace" INNER JOIN "pg_catalog"."pg_attribute" AS "pa" ON "pa"."attrelid" = "pc"."oid" INNER JOIN "pg_catalog"."pg_type" AS "pt" ON "pt"."oid" = "pa"."atttypid" INNER JOIN "pg_catalog"."pg_namespace" AS "ptn" ON "ptn"."oid" = "pt"."typnamespace" WHERE ("pc"."relkind" = 'm') AND ("pa"."attnum" >= 1) AND ("pn"."nspname" IN ('public')) AND ("pc"."relname" IN ('lineitem')) ORDER BY "table-schema" ASC, "table-name" ASC, "database-position" ASC

-- name: describe-fks
-- compare: rows
-- source: postgres.clj sql-jdbc.sync/describe-fks-sql with schema-names ["public"], table-names ["lineitem"]
-- mode: extended
-- expect: rows 0
SELECT "fk_ns"."nspname" AS "fk-table-schema", "fk_table"."relname" AS "fk-table-name", "fk_column"."attname" AS "fk-column-name", "pk_ns"."nspname" AS "pk-table-schema", "pk_table"."relname" AS "pk-table-name", "pk_column"."attname" AS "pk-column-name" FROM "pg_constraint" AS "c" INNER JOIN "pg_class" AS "fk_table" ON "c"."conrelid" = "fk_table"."oid" INNER JOIN "pg_namespace" AS "fk_ns" ON "c"."connamespace" = "fk_ns"."oid" INNER JOIN "pg_attribute" AS "fk_column" ON "c"."conrelid" = "fk_column"."attrelid" INNER JOIN "pg_class" AS "pk_table" ON "c"."confrelid" = "pk_table"."oid" INNER JOIN "pg_namespace" AS "pk_ns" ON "pk_table"."relnamespace" = "pk_ns"."oid" INNER JOIN "pg_attribute" AS "pk_column" ON "c"."confrelid" = "pk_column"."attrelid" WHERE fk_ns.nspname !~ '^information_schema|catalog_history|pg_' AND ("c"."contype" = 'f'::char) AND ("fk_column"."attnum" = ANY(c.conkey)) AND ("pk_column"."attnum" = ANY(c.confkey)) AND ("fk_table"."relname" IN ('lineitem')) AND ("fk_ns"."nspname" IN ('public')) ORDER BY "fk-table-schema" ASC, "fk-table-name" ASC

-- name: describe-indexes
-- compare: rows
-- source: postgres.clj sql-jdbc.sync/describe-indexes-sql with schema-names ["public"], table-names ["lineitem"]
-- mode: extended
-- expect: rows 0
SELECT "tmp"."table-schema", "tmp"."table-name", TRIM(BOTH '"' FROM PG_CATALOG.PG_GET_INDEXDEF("tmp"."ci_oid", "tmp"."pos", FALSE)) AS "field-name" FROM (SELECT "n"."nspname" AS "table-schema", "ct"."relname" AS "table-name", "ci"."oid" AS "ci_oid", (INFORMATION_SCHEMA._PG_EXPANDARRAY("i"."indkey")).n AS "pos" FROM "pg_catalog"."pg_class" AS "ct" INNER JOIN "pg_catalog"."pg_namespace" AS "n" ON "ct"."relnamespace" = "n"."oid" INNER JOIN "pg_catalog"."pg_index" AS "i" ON "ct"."oid" = "i"."indrelid" INNER JOIN "pg_catalog"."pg_class" AS "ci" ON "ci"."oid" = "i"."indexrelid" WHERE (PG_CATALOG.PG_GET_EXPR("i"."indpred", "i"."indrelid") IS NULL) AND n.nspname !~ '^information_schema|catalog_history|pg_' AND ("n"."nspname" IN ('public')) AND ("ct"."relname" IN ('lineitem'))) AS "tmp" WHERE "tmp"."pos" = 1

-- name: set session isolation read committed
-- source: captured Metabase v0.55.1
SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED

-- name: db-default-timezone
-- source: postgres.clj driver/db-default-timezone (prepareStatement "show timezone;")
-- mode: extended
-- expect: rows 1
show timezone;

-- name: question count rows
-- source: the SQL Metabase's query processor writes for "Count of rows" on a table (sql.qp, quoted ANSI identifiers)
-- mode: extended
-- expect: rows 1
SELECT COUNT(*) AS "count" FROM "public"."lineitem"

-- name: question sum by month
-- source: sql.qp with postgres.clj date-trunc :month on a date column and an aggregation (breakout, order by breakout)
-- mode: extended
-- expect: minrows 1
SELECT CAST(DATE_TRUNC('month', "public"."lineitem"."l_shipdate") AS date) AS "l_shipdate", SUM("public"."lineitem"."l_extendedprice") AS "sum" FROM "public"."lineitem" GROUP BY CAST(DATE_TRUNC('month', "public"."lineitem"."l_shipdate") AS date) ORDER BY CAST(DATE_TRUNC('month', "public"."lineitem"."l_shipdate") AS date) ASC

-- name: question raw rows
-- source: sql.qp for a table's raw rows (Metabase limits to 2000 rows in the UI)
-- mode: extended
-- expect: rows 2000
SELECT "public"."lineitem"."l_orderkey" AS "l_orderkey", "public"."lineitem"."l_linenumber" AS "l_linenumber", "public"."lineitem"."l_quantity" AS "l_quantity", "public"."lineitem"."l_shipdate" AS "l_shipdate" FROM "public"."lineitem" LIMIT 2000
