"""Shared helpers of the Python client programs (psycopg2, SQLAlchemy).

They speak the harness protocol of test/clients/harness_test.go: CHECK lines
on stdout, tables.txt, columns.txt and tpch/qNN.csv (or .err) in BASALT_OUT.
"""

import csv
import datetime
import decimal
import io
import os
import sys
import traceback

OUT = os.environ["BASALT_OUT"]
QUERIES = os.environ["BASALT_QUERIES"]


def check(name, fn, on_fail=None):
    """Runs one check and prints its CHECK line; on_fail cleans up (rollback)."""
    try:
        fn()
        print(f"CHECK {name} ok", flush=True)
    except Exception as e:  # every failure is reported, none ends the run
        msg = " ".join(f"{type(e).__name__}: {e}".split())
        print(f"CHECK {name} FAIL {msg}", flush=True)
        traceback.print_exc(file=sys.stderr)
        if on_fail is not None:
            try:
                on_fail()
            except Exception:
                traceback.print_exc(file=sys.stderr)


def require(ok, msg):
    if not ok:
        raise AssertionError(msg)


def text(v):
    """A value as PostgreSQL's text output prints it."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, datetime.date):
        return v.isoformat()
    return str(v)


def to_csv(header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([text(v) for v in r])
    return buf.getvalue()


def write(name, content):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


def tpch(run):
    """Runs the 22 queries with run(sql) -> (header, rows)."""
    for q in range(1, 23):
        name = f"q{q:02d}"
        with open(os.path.join(QUERIES, name + ".sql"), encoding="utf-8") as f:
            sql = f.read()
        try:
            header, rows = run(sql)
            write(f"tpch/{name}.csv", to_csv(header, rows))
        except Exception as e:
            write(f"tpch/{name}.err", " ".join(f"{type(e).__name__}: {e}".split()))


# The catalog query for lineitem's columns in format_type's spelling, as
# drivers without a metadata API read them.
COLUMNS_SQL = """
select a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relname = 'lineitem' and a.attnum > 0 and not a.attisdropped
order by a.attnum
"""

TABLES_SQL = """
select table_name from information_schema.tables
where table_schema = 'public' and table_type = 'BASE TABLE'
order by table_name
"""
