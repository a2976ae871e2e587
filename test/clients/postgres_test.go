package clients

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Checking the checks: with BASALT_CLIENTS_TARGET=postgres and
// BASALT_PG_DSN set (scripts/start-postgres.sh prints one), the fixture
// loads the same TPC-H data into that PostgreSQL, in a database basalt
// with tables of the types basalt serve reports, and every client runs
// against PostgreSQL instead. A check that fails there is wrong, not
// Basalt. The expected answers still come from Basalt's CLI, so this also
// compares Basalt's TPC-H answers with PostgreSQL's (numbers by value).
//
//	export BASALT_PG_DSN=$(PGPORT=55499 scripts/start-postgres.sh)
//	BASALT_CLIENTS_TARGET=postgres go test -v -timeout 30m ./test/clients/

// tpchDDL is the generator's tables with the PostgreSQL types Basalt
// reports for its Parquet types.
var tpchDDL = map[string]string{
	"region":   "r_regionkey integer, r_name text, r_comment text",
	"nation":   "n_nationkey integer, n_name text, n_regionkey integer, n_comment text",
	"supplier": "s_suppkey integer, s_name text, s_address text, s_nationkey integer, s_phone text, s_acctbal numeric(15,2), s_comment text",
	"customer": "c_custkey integer, c_name text, c_address text, c_nationkey integer, c_phone text, c_acctbal numeric(15,2), c_mktsegment text, c_comment text",
	"part":     "p_partkey integer, p_name text, p_mfgr text, p_brand text, p_type text, p_size integer, p_container text, p_retailprice numeric(15,2), p_comment text",
	"partsupp": "ps_partkey integer, ps_suppkey integer, ps_availqty integer, ps_supplycost numeric(15,2), ps_comment text",
	"orders":   "o_orderkey integer, o_custkey integer, o_orderstatus text, o_totalprice numeric(15,2), o_orderdate date, o_orderpriority text, o_clerk text, o_shippriority integer, o_comment text",
	"lineitem": "l_orderkey integer, l_partkey integer, l_suppkey integer, l_linenumber integer, l_quantity numeric(15,2), l_extendedprice numeric(15,2), l_discount numeric(15,2), l_tax numeric(15,2), l_returnflag text, l_linestatus text, l_shipdate date, l_commitdate date, l_receiptdate date, l_shipinstruct text, l_shipmode text, l_comment text",
}

func targetPostgres() bool { return os.Getenv("BASALT_CLIENTS_TARGET") == "postgres" }

// loadPostgres fills database basalt of BASALT_PG_DSN's server with the
// fixture's data (exported with the CLI as CSV) and points f there.
func (f *fixture) loadPostgres() error {
	dsn := os.Getenv("BASALT_PG_DSN")
	if dsn == "" {
		return fmt.Errorf("BASALT_CLIENTS_TARGET=postgres needs BASALT_PG_DSN")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	// Clients log in as basalt_test, which basalt serve accepts under trust.
	for _, stmt := range []string{
		"drop database if exists basalt",
		"create database basalt",
		"do $$ begin if not exists (select from pg_roles where rolname = 'basalt_test') then create role basalt_test login superuser; end if; end $$",
	} {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return err
	}
	u.Path = "/basalt"
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, table := range expectedTables {
		if _, err := conn.Exec(ctx, fmt.Sprintf("create table %s (%s)", table, tpchDDL[table])); err != nil {
			return err
		}
		data, err := exec.Command(f.bin, "query", "--data", f.data, "--format", "csv", "select * from "+table).Output()
		if err != nil {
			return fmt.Errorf("export %s: %v", table, errText(err))
		}
		if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(string(data)), "copy "+table+" from stdin (format csv, header)"); err != nil {
			return fmt.Errorf("load %s: %w", table, err)
		}
	}
	// Without indexes PostgreSQL runs the correlated subqueries of Q2,
	// Q17, Q20 and Q21 row by row over whole tables for minutes.
	for _, stmt := range []string{
		"create index on lineitem (l_partkey)", "create index on lineitem (l_orderkey)",
		"create index on lineitem (l_suppkey, l_partkey)", "create index on partsupp (ps_partkey, ps_suppkey)",
		"create index on orders (o_custkey)", "analyze",
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	f.host, f.port, err = net.SplitHostPort(u.Host)
	return err
}
