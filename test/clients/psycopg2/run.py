"""psycopg2 (Debian's python3-psycopg2) against basalt serve.

Run by test/clients with /usr/bin/python3; the connection comes from the
PG* environment variables. See test/clients/harness_test.go for the protocol.
"""

import datetime
import decimal
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import psycopg2  # noqa: E402

from basaltcheck import COLUMNS_SQL, TABLES_SQL, check, require, tpch, write  # noqa: E402


def auth():
    """Logs in with PGPASSWORD over TLS (PGSSLMODE=require) with
    SCRAM-SHA-256; run by TestClientsAuth."""
    def scram_tls():
        c = psycopg2.connect("")
        with c.cursor() as cur:
            cur.execute("select current_user")
            who = cur.fetchone()[0]
        require(who == os.environ["PGUSER"], f"current_user {who}")
        require(c.info.ssl_in_use, "the connection is not TLS")
        c.close()

    def wrong_password():
        try:
            psycopg2.connect("", password="wrong")
        except psycopg2.OperationalError as e:
            require("password authentication failed" in str(e), str(e))
            return
        raise AssertionError("a wrong password logged in")

    check("scram_tls", scram_tls)
    check("wrong_password", wrong_password)


if sys.argv[1:] == ["auth"]:
    auth()
    sys.exit(0)

conn = psycopg2.connect("")
print(f"# psycopg2 {psycopg2.__version__}, server_version {conn.server_version}", flush=True)


def query(sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return [d.name for d in cur.description], cur.fetchall()


def rollback():
    conn.rollback()


def server_version():
    # Basalt presents itself as PostgreSQL 16; the harness's check-the-checks
    # run against a real PostgreSQL (BASALT_CLIENTS_TARGET=postgres) accepts
    # whatever version that is.
    if os.environ.get("BASALT_CLIENTS_TARGET") == "postgres":
        require(conn.server_version >= 100000, f"server_version {conn.server_version}")
        return
    require(160000 <= conn.server_version < 170000, f"server_version {conn.server_version}, want 16.x")


def tables():
    _, rows = query(TABLES_SQL)
    write("tables.txt", "".join(r[0] + "\n" for r in rows))


def columns():
    _, rows = query(COLUMNS_SQL)
    write("columns.txt", "".join(f"{r[0]} {r[1]}\n" for r in rows))


def description_types():
    # cursor.description comes from RowDescription: type OIDs, and
    # precision/scale decoded from the numeric type modifier.
    with conn.cursor() as cur:
        cur.execute("select l_orderkey, l_quantity, l_returnflag, l_shipdate from lineitem limit 0")
        got = [(d.name, d.type_code) for d in cur.description]
        want = [("l_orderkey", 23), ("l_quantity", 1700), ("l_returnflag", 25), ("l_shipdate", 1082)]
        require(got == want, f"description {got}, want {want}")
        q = cur.description[1]
        require((q.precision, q.scale) == (15, 2), f"l_quantity precision/scale {q.precision}/{q.scale}, want 15/2")


def params():
    # psycopg2 quotes parameters into the text on the client side.
    sql = ("select count(*), sum(l_extendedprice) from lineitem where l_shipdate <= %s "
           "and l_discount between %s and %s and l_returnflag = %s and l_quantity < %s")
    lit = ("select count(*), sum(l_extendedprice) from lineitem where l_shipdate <= date '1995-06-30' "
           "and l_discount between 0.02 and 0.05 and l_returnflag = 'R' and l_quantity < 30")
    got = query(sql, (datetime.date(1995, 6, 30), decimal.Decimal("0.02"), decimal.Decimal("0.05"), "R", 30))[1]
    want = query(lit)[1]
    require(got == want and got[0][0] > 0, f"{got}, want {want}")
    _, rows = query("select %s as a, %s as b, %s as c, %s as d", ("it's", None, 1.5, True))
    require(rows == [("it's", None, 1.5, True)], f"quoted values came back as {rows}")


def result_types():
    _, rows = query("select l_orderkey, l_quantity, l_returnflag, l_shipdate from lineitem "
                    "where l_orderkey = 1 and l_linenumber = 1")
    got = [type(v).__name__ for v in rows[0]]
    require(got == ["int", "Decimal", "str", "date"], f"Python types {got}")


def server_cursor(withhold):
    def run():
        _, want = query("select count(*), sum(l_linenumber) from lineitem")
        # A named cursor is DECLARE "c" CURSOR [WITH HOLD] FOR ...; FETCH
        # FORWARD itersize FROM "c" until it runs out; CLOSE "c".
        cur = conn.cursor(name="c_hold" if withhold else "c", withhold=withhold)
        cur.itersize = 1000
        cur.execute("select l_orderkey, l_linenumber from lineitem")
        n = s = 0
        for _, line in cur:
            n += 1
            s += line
        cur.close()
        conn.commit()
        require((n, s) == tuple(want[0]), f"read {n} rows summing to {s}, want {want[0]}")
    return run


def statement_timeout():
    # statement_timeout ends a long query with 57014 (QueryCanceled); the
    # connection stays usable after the rollback.
    with conn.cursor() as cur:
        cur.execute("set statement_timeout = 500")
        try:
            cur.execute("select count(*) from lineitem a, lineitem b where a.l_quantity + b.l_quantity > 0")
            raise AssertionError("the query was not canceled")
        except psycopg2.errors.QueryCanceled:
            pass
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("set statement_timeout = 0")
        cur.execute("select 1")
        require(cur.fetchone() == (1,), "select 1 after the timeout")
    conn.commit()


def server_cursor_scroll():
    # scrollable=True declares SCROLL; scroll() is MOVE, relative or
    # absolute, backwards too.
    cur = conn.cursor(name="c_scroll", scrollable=True)
    cur.execute("select l_orderkey, l_linenumber from lineitem order by l_orderkey, l_linenumber limit 200")
    first = cur.fetchmany(100)
    cur.scroll(-50)
    again = cur.fetchmany(10)
    require(again == first[50:60], f"after scroll(-50): {again}, want {first[50:60]}")
    cur.scroll(0, mode="absolute")
    require(cur.fetchone() == first[0], "after scroll(0, absolute)")
    cur.close()
    conn.commit()


def tpch_query(sql):
    try:
        return query(sql)
    finally:
        conn.rollback()


check("server_version", server_version)
check("tables_query", tables, rollback)
check("columns_query", columns, rollback)
check("description_types", description_types, rollback)
check("params", params, rollback)
check("result_types", result_types, rollback)
check("server_cursor", server_cursor(False), rollback)
check("server_cursor_withhold", server_cursor(True), rollback)
check("server_cursor_scroll", server_cursor_scroll, rollback)
check("statement_timeout", statement_timeout, rollback)
tpch(tpch_query)
conn.close()
