-- Grafana's PostgreSQL data source: the health check, the version probe of
-- the configuration page, the table and column lists of the query builder
-- (the browser asks the backend, which runs them through pgx), and a time
-- series panel query after macro expansion.
--
-- Sources (grafana/grafana):
--   @12f912ab8d010f4d95a4043a0efaa20fc4ca0100 public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts
--   @04282cd93150390a7d83089cc520d96546d576a8 public/app/plugins/datasource/grafana-postgresql-datasource/datasource.ts
--   @1b13755cdccfbc5420c9fcb7d6cf2dad7b2888e6 pkg/tsdb/grafana-postgresql-datasource/pgx/handler_checkhealth.go (Ping)
--   @02ab314b81e2adc656bd7d08cc0533304a0037ff pkg/tsdb/grafana-postgresql-datasource/macros.go
--   jackc/pgx v5 pgconn.PgConn.Ping sends "-- ping".

-- name: health check ping
-- source: handler_checkhealth.go CheckHealth -> pgx Ping
-- note: the whole statement is a comment: the server answers EmptyQueryResponse.
-- ping

-- name: getVersion
-- source: postgresMetaQuery.ts getVersion (config page autodetection)
-- mode: extended
-- expect: rows 1
SELECT current_setting('server_version_num')::int/100 as version

-- name: getTimescaleDBVersion
-- compare: rows
-- source: postgresMetaQuery.ts getTimescaleDBVersion
-- mode: extended
-- expect: rows 0
SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'

-- name: showSchemas
-- compare: rows
-- source: postgresMetaQuery.ts showSchemas
-- mode: extended
-- expect: cell public
SELECT schema_name AS "name"
    FROM information_schema.schemata
    WHERE schema_name NOT IN ('information_schema',
                              'pg_catalog',
                              'pg_toast',
                              '_timescaledb_cache',
                              '_timescaledb_catalog',
                              '_timescaledb_internal',
                              '_timescaledb_config',
                              'timescaledb_information',
                              'timescaledb_experimental')
    ORDER BY schema_name

-- name: showTables
-- compare: rows
-- source: postgresMetaQuery.ts showTables() (datasource.ts fetchTables)
-- mode: extended
-- expect: cell lineitem
-- expect: rows 8
SELECT
    CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          ) THEN 0 ELSE 1 END, 1

-- name: showTables public
-- compare: rows
-- source: postgresMetaQuery.ts showTables('public')
-- mode: extended
-- expect: cell lineitem
-- expect: rows 8
SELECT quote_ident(table_name) AS "table"
      FROM information_schema.tables
      WHERE quote_ident(table_schema) = 'public'
      ORDER BY 1

-- name: getSchema lineitem
-- compare: rows
-- expect: row l_orderkey | integer
-- expect: row l_quantity | numeric
-- expect: row l_shipdate | date
-- source: postgresMetaQuery.ts getSchema('lineitem') (datasource.ts fetchFields)
-- mode: extended
-- expect: rows 16
-- expect: cell l_shipdate
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('lineitem'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('lineitem'))[1]
          AND quote_ident(table_name) = (parse_ident('lineitem'))[2]
        ELSE quote_ident(table_name) = 'lineitem'
          AND 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      END

-- name: getSchema public.lineitem
-- compare: rows
-- expect: row l_quantity | numeric
-- source: postgresMetaQuery.ts getSchema('public.lineitem')
-- mode: extended
-- expect: rows 16
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('public.lineitem'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('public.lineitem'))[1]
          AND quote_ident(table_name) = (parse_ident('public.lineitem'))[2]
        ELSE quote_ident(table_name) = 'public.lineitem'
          AND 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      END

-- name: time series panel
-- source: macros.go: "SELECT $__timeGroupAlias(l_shipdate, '1d'), sum(l_extendedprice) AS revenue FROM lineitem WHERE $__timeFilter(l_shipdate) GROUP BY 1 ORDER BY 1" expanded for 1995
-- mode: extended
-- expect: minrows 1
SELECT floor(extract(epoch from l_shipdate)/86400)*86400 AS "time", sum(l_extendedprice) AS revenue FROM lineitem WHERE l_shipdate BETWEEN '1995-01-01T00:00:00Z' AND '1995-12-31T23:59:59Z' GROUP BY 1 ORDER BY 1

-- name: table panel with time column
-- source: macros.go $__time and $__timeFrom/$__timeTo expanded
-- mode: extended
-- expect: minrows 1
SELECT l_shipdate AS "time", l_returnflag, count(*) FROM lineitem WHERE l_shipdate >= '1995-01-01T00:00:00Z' AND l_shipdate <= '1995-12-31T23:59:59Z' GROUP BY 1, 2 ORDER BY 1, 2
