"""SQLAlchemy 1.4 (python3-sqlalchemy) with psycopg2, and pandas.read_sql
(python3-pandas), against basalt serve.

Run by test/clients with /usr/bin/python3. Creating the engine's first
connection runs SQLAlchemy's dialect initialisation (version(),
current_schema(), SHOW transaction isolation level, the hstore type lookup
...), so that is a check of its own. See test/clients/harness_test.go for
the protocol.
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import pandas  # noqa: E402
import sqlalchemy  # noqa: E402
from sqlalchemy import inspect, text  # noqa: E402

from basaltcheck import check, require, tpch, write  # noqa: E402

warnings.simplefilter("ignore")  # pandas warns about SQLAlchemy 1.4 on some versions

url = "postgresql+psycopg2://{}@{}:{}/{}".format(
    os.environ["PGUSER"], os.environ["PGHOST"], os.environ["PGPORT"], os.environ["PGDATABASE"])
engine = sqlalchemy.create_engine(url)
print(f"# SQLAlchemy {sqlalchemy.__version__}, pandas {pandas.__version__}", flush=True)


def connect():
    with engine.connect() as c:
        require(c.execute(text("select 1")).scalar() == 1, "select 1")


def schemas():
    got = inspect(engine).get_schema_names()
    require("public" in got, f"get_schema_names() {got}")


def tables():
    got = inspect(engine).get_table_names()
    write("tables.txt", "".join(t + "\n" for t in got))


def pg_type(t):
    """SQLAlchemy's type object in format_type's spelling: INTEGER ->
    integer, NUMERIC(15, 2) -> numeric(15,2), TEXT -> text, DATE -> date."""
    return str(t).lower().replace(" ", "")


def columns():
    cols = inspect(engine).get_columns("lineitem")
    write("columns.txt", "".join(f"{c['name']} {pg_type(c['type'])}\n" for c in cols))
    kinds = {c["name"]: type(c["type"]).__name__ for c in cols}
    want = {"l_orderkey": "INTEGER", "l_quantity": "NUMERIC", "l_returnflag": "TEXT", "l_shipdate": "DATE"}
    for k, v in want.items():
        require(kinds.get(k) == v, f"{k} reflected as {kinds.get(k)}, want {v}")
    for c in cols:
        require(c["nullable"] in (True, False), f"{c['name']} nullable {c['nullable']!r}")


def read_sql():
    df = pandas.read_sql(
        "select l_returnflag, l_linestatus, count(*) as n, sum(l_quantity) as qty "
        "from lineitem group by l_returnflag, l_linestatus order by 1, 2", engine)
    require(list(df.columns) == ["l_returnflag", "l_linestatus", "n", "qty"], f"columns {list(df.columns)}")
    require([tuple(r) for r in df[["l_returnflag", "l_linestatus"]].values] ==
            [("A", "F"), ("N", "F"), ("N", "O"), ("R", "F")], f"groups {df[['l_returnflag', 'l_linestatus']].values}")
    require(str(df["n"].dtype) == "int64", f"count(*) is {df['n'].dtype}")
    with engine.connect() as c:
        total = c.execute(text("select count(*) from lineitem")).scalar()
    require(int(df["n"].sum()) == total, f"counts sum to {df['n'].sum()}, want {total}")
    # With bound parameters (SQLAlchemy's :name style; psycopg2 quotes them).
    df = pandas.read_sql(text("select l_linenumber, l_shipdate from lineitem where l_orderkey = :k order by 1"),
                         engine, params={"k": 1}, parse_dates=["l_shipdate"])
    require(len(df) > 0 and list(df["l_linenumber"]) == list(range(1, len(df) + 1)), f"order 1's lines {df}")
    require(str(df["l_shipdate"].dtype).startswith("datetime64"), f"l_shipdate is {df['l_shipdate'].dtype}")


def tpch_query(sql):
    with engine.connect() as c:
        # exec_driver_sql hands psycopg2 the text with (empty) parameters,
        # so psycopg2 reads % as a placeholder: like '%BRASS' must be %%.
        res = c.exec_driver_sql(sql.replace("%", "%%"))
        return list(res.keys()), res.fetchall()


check("connect", connect)
check("schemas", schemas)
check("inspector_tables", tables)
check("inspector_columns", columns)
check("read_sql", read_sql)
tpch(tpch_query)
