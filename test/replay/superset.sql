-- Apache Superset over SQLAlchemy 1.4's PostgreSQL dialect and psycopg2:
-- connect (dialect initialize), then the inspector reflects schemas, tables
-- and the columns, keys, indexes and comments of public.lineitem, then the
-- table preview. psycopg2 interpolates parameters into the text on the
-- client, so everything arrives as a simple Query.
--
-- Sources:
--   sqlalchemy/sqlalchemy@1712b81a5b8d9d3abd5a85fbb089470f0bc38cdd (branch rel_1_4)
--     lib/sqlalchemy/dialects/postgresql/base.py, lib/sqlalchemy/engine/default.py
--   The table OID that get_table_oid returns is put into the later statements
--   as a literal, as psycopg2 does.

-- name: server version
-- source: base.py PGDialect._get_server_version_info
-- expect: rows 1
select pg_catalog.version()

-- name: default schema
-- source: base.py PGDialect._get_default_schema_name
-- expect: cell public
select current_schema()

-- name: transaction isolation
-- compare: rows
-- source: base.py PGDialect.get_isolation_level
-- expect: cell read committed
show transaction isolation level

-- name: standard_conforming_strings
-- compare: rows
-- source: base.py PGDialect.initialize
-- expect: cell on
show standard_conforming_strings

-- name: unicode returns check
-- source: default.py DefaultDialect._check_unicode_returns (SQLAlchemy 1.4 on connect)
-- expect: cell test plain returns
SELECT CAST('test plain returns' AS VARCHAR(60)) AS anon_1

-- name: unicode returns check 2
-- source: default.py DefaultDialect._check_unicode_returns
-- expect: cell test unicode returns
SELECT CAST('test unicode returns' AS VARCHAR(60)) AS anon_1

-- name: get_schema_names
-- compare: rows
-- source: base.py PGDialect.get_schema_names
-- expect: cell public
SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' ORDER BY nspname

-- name: get_table_names
-- compare: rows
-- source: base.py PGDialect.get_table_names(schema='public')
-- expect: cell lineitem
-- expect: rows 8
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind in ('r', 'p')

-- name: get_view_names
-- compare: rows
-- source: base.py PGDialect.get_view_names(schema='public')
-- expect: rows 0
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')

-- name: get_foreign_table_names
-- compare: rows
-- source: base.py PGDialect._get_foreign_table_names(schema='public')
-- expect: rows 0
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'f'

-- name: has_table
-- compare: rows
-- source: base.py PGDialect.has_table(schema='public')
-- expect: rows 1
select relname from pg_class c join pg_namespace n on n.oid=c.relnamespace where n.nspname='public' and relname='lineitem'

-- name: get_table_oid
-- source: base.py PGDialect.get_table_oid(schema='public')
-- capture: table_oid
-- expect: rows 1
SELECT c.oid
            FROM pg_catalog.pg_class c
            LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE (n.nspname = 'public')
            AND c.relname = 'lineitem' AND c.relkind in
            ('r', 'v', 'm', 'f', 'p')

-- name: get_columns
-- expect: row l_orderkey | integer
-- expect: row l_quantity | numeric(15,2)
-- expect: row l_shipdate | date
-- expect: row l_comment | text
-- source: base.py PGDialect.get_columns (server 12+: attgenerated and identity options)
-- expect: minrows 16
-- expect: cell l_shipdate
SELECT a.attname,
              pg_catalog.format_type(a.atttypid, a.atttypmod),
              (
                SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid)
                FROM pg_catalog.pg_attrdef d
                WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum
                AND a.atthasdef
              ) AS DEFAULT,
              a.attnotnull,
              a.attrelid as table_oid,
              pgd.description as comment,
              a.attgenerated as generated,
                (SELECT json_build_object(
                    'always', a.attidentity = 'a',
                    'start', s.seqstart,
                    'increment', s.seqincrement,
                    'minvalue', s.seqmin,
                    'maxvalue', s.seqmax,
                    'cache', s.seqcache,
                    'cycle', s.seqcycle)
                FROM pg_catalog.pg_sequence s
                JOIN pg_catalog.pg_class c on s.seqrelid = c."oid"
                WHERE c.relkind = 'S'
                AND a.attidentity != ''
                AND s.seqrelid = pg_catalog.pg_get_serial_sequence(
                    a.attrelid::regclass::text, a.attname
                )::regclass::oid
                ) as identity_options
            FROM pg_catalog.pg_attribute a
            LEFT JOIN pg_catalog.pg_description pgd ON (
                pgd.objoid = a.attrelid AND pgd.objsubid = a.attnum)
            WHERE a.attrelid = ${table_oid}
            AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum

-- name: load domains
-- source: base.py PGDialect._load_domains (called by get_columns)
SELECT t.typname as "name",
               pg_catalog.format_type(t.typbasetype, t.typtypmod) as "attype",
               not t.typnotnull as "nullable",
               t.typdefault as "default",
               pg_catalog.pg_type_is_visible(t.oid) as "visible",
               n.nspname as "schema"
            FROM pg_catalog.pg_type t
               LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            WHERE t.typtype = 'd'

-- name: load enums
-- compare: rows
-- source: base.py PGDialect._load_enums(schema='*') (called by get_columns)
-- expect: rows 0
SELECT t.typname as "name",
               -- no enum defaults in 8.4 at least
               -- t.typdefault as "default",
               pg_catalog.pg_type_is_visible(t.oid) as "visible",
               n.nspname as "schema",
               e.enumlabel as "label"
            FROM pg_catalog.pg_type t
                 LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                 LEFT JOIN pg_catalog.pg_enum e ON t.oid = e.enumtypid
            WHERE t.typtype = 'e'
        ORDER BY "schema", "name", e.oid

-- name: get_pk_constraint columns
-- compare: rows
-- source: base.py PGDialect.get_pk_constraint (server 8.4+)
-- expect: rows 0
SELECT a.attname
                FROM pg_attribute a JOIN (
                    SELECT unnest(ix.indkey) attnum,
                           generate_subscripts(ix.indkey, 1) ord
                    FROM pg_index ix
                    WHERE ix.indrelid = ${table_oid} AND ix.indisprimary
                    ) k ON a.attnum=k.attnum
                WHERE a.attrelid = ${table_oid}
                ORDER BY k.ord

-- name: get_pk_constraint name
-- compare: rows
-- source: base.py PGDialect.get_pk_constraint
-- expect: rows 0
SELECT conname
           FROM  pg_catalog.pg_constraint r
           WHERE r.conrelid = ${table_oid} AND r.contype = 'p'
           ORDER BY 1

-- name: get_foreign_keys
-- compare: rows
-- source: base.py PGDialect.get_foreign_keys
-- expect: rows 0
SELECT r.conname,
                pg_catalog.pg_get_constraintdef(r.oid, true) as condef,
                n.nspname as conschema
          FROM  pg_catalog.pg_constraint r,
                pg_namespace n,
                pg_class c

          WHERE r.conrelid = ${table_oid} AND
                r.contype = 'f' AND
                c.oid = confrelid AND
                n.oid = c.relnamespace
          ORDER BY 1

-- name: get_indexes
-- compare: rows
-- source: base.py PGDialect.get_indexes (server 11+)
-- expect: rows 0
SELECT
                  i.relname as relname,
                  ix.indisunique, ix.indexprs,
                  a.attname, a.attnum, c.conrelid, ix.indkey::varchar,
                  ix.indoption::varchar, i.reloptions, am.amname,
                  pg_get_expr(ix.indpred, ix.indrelid),
                  ix.indnkeyatts as indnkeyatts
              FROM
                  pg_class t
                        join pg_index ix on t.oid = ix.indrelid
                        join pg_class i on i.oid = ix.indexrelid
                        left outer join
                            pg_attribute a
                            on t.oid = a.attrelid and a.attnum = ANY(ix.indkey)
                        left outer join
                            pg_constraint c
                            on (ix.indrelid = c.conrelid and
                                ix.indexrelid = c.conindid and
                                c.contype in ('p', 'u', 'x'))
                        left outer join
                            pg_am am
                            on i.relam = am.oid
              WHERE
                  t.relkind IN ('r', 'v', 'f', 'm', 'p')
                  and t.oid = ${table_oid}
                  and ix.indisprimary = 'f'
              ORDER BY
                  t.relname,
                  i.relname

-- name: get_unique_constraints
-- compare: rows
-- source: base.py PGDialect.get_unique_constraints
-- expect: rows 0
SELECT
                cons.conname as name,
                cons.conkey as key,
                a.attnum as col_num,
                a.attname as col_name
            FROM
                pg_catalog.pg_constraint cons
                join pg_attribute a
                  on cons.conrelid = a.attrelid AND
                    a.attnum = ANY(cons.conkey)
            WHERE
                cons.conrelid = ${table_oid} AND
                cons.contype = 'u'

-- name: get_table_comment
-- compare: rows
-- source: base.py PGDialect.get_table_comment
-- expect: rows 0
SELECT
                pgd.description as table_comment
            FROM
                pg_catalog.pg_description pgd
            WHERE
                pgd.objsubid = 0 AND
                pgd.objoid = ${table_oid}

-- name: get_check_constraints
-- compare: rows
-- source: base.py PGDialect.get_check_constraints
-- expect: rows 0
SELECT
                cons.conname as name,
                pg_get_constraintdef(cons.oid) as src
            FROM
                pg_catalog.pg_constraint cons
            WHERE
                cons.conrelid = ${table_oid} AND
                cons.contype = 'c'

-- name: table preview
-- source: Superset's select_star for the SQL Lab table preview (default row limit 100)
-- expect: rows 100
SELECT *
FROM public.lineitem
LIMIT 100
