// Package clients holds the real-client tests of the Postgres wire server:
// its tests build the basalt binary, serve a small TPC-H data set with
// `basalt serve`, and run psql, pgx, pgjdbc, psycopg2, SQLAlchemy (with
// pandas) and node-postgres against it. Each client lists the tables, shows
// lineitem's columns with their PostgreSQL types and runs the 22 TPC-H
// queries, whose answers must match `basalt query --format csv`.
//
// The client programs live in one folder per client (jdbc/, psycopg2/,
// sqlalchemy/, node/); psql and pgx are driven from Go. Every program
// speaks one small protocol with the harness, so failures are reported
// per check (see harness_test.go). Checks that fail for a known reason are
// listed in KNOWN_GAPS.md and skipped with that reason.
//
// With BASALT_CLIENTS_TARGET=postgres and BASALT_PG_DSN the same clients
// run against a real PostgreSQL loaded with the same data, which checks the
// checks (postgres_test.go).
//
// The package has no non-test code and imports nothing of Basalt's: it
// tests the binary from outside, as a user would.
package clients
