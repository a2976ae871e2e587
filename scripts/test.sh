#!/usr/bin/env bash
# The project's test command (README): vet, the Go tests of the main module
# (with the sqllogictest files also checked against a real PostgreSQL when
# one can be started here), and the TPC-H answers against DuckDB from the
# benchmarks module.
#
# Environment:
#   BASALT_PG_DSN    use this PostgreSQL instead of starting one
#   BASALT_TPCH_SF   TPC-H scale factor for the DuckDB comparison (default 0.1; CI uses 1)
#   BASALT_CLUSTER_SF TPC-H scale factor of the 3-process cluster tests (default 0.01; CI uses 1)
#   BASALT_TPCH_DIR  reuse these TPC-H tables in the cluster tests instead of generating them
#   BASALT_SKIP_TPCH set to 1 to skip the TPC-H comparison
#   BASALT_FUZZ_TIME how long to fuzz the dialect front (default 60s)
#   BASALT_WIRE_FUZZ_TIME how long to fuzz the wire protocol's messages (default 20s)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${BASALT_PG_DSN:-}" ]]; then
	if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
		# A free port for the throwaway cluster.
		port=5433
		while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
			port=$((port + 1))
		done
		pgdir="$(mktemp -d /tmp/basalt-pg.XXXXXX)"
		stop_pg() {
			local bin
			bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
			if [[ "$(id -u)" == 0 ]]; then
				su postgres -s /bin/bash -c "$bin/pg_ctl -D $pgdir/data -m fast stop" >/dev/null 2>&1 || true
			else
				"$bin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
			fi
			rm -rf "$pgdir"
		}
		trap stop_pg EXIT
		dsn="$(PGPORT=$port PGDATA_DIR="$pgdir" scripts/start-postgres.sh)" || {
			echo "test.sh: could not start PostgreSQL" >&2
			exit 1
		}
		export BASALT_PG_DSN="$dsn"
	elif [[ "${CI:-}" == true ]]; then
		echo "test.sh: CI needs PostgreSQL (apt-get install postgresql)" >&2
		exit 1
	else
		echo "test.sh: PostgreSQL is not installed; the .slt files run on Basalt only (apt-get install postgresql)" >&2
	fi
fi

echo "== gofmt"
unformatted="$(gofmt -l . | grep -v '/node_modules/' || true)"
if [[ -n "$unformatted" ]]; then
	echo "test.sh: not gofmt-formatted:" >&2
	echo "$unformatted" >&2
	exit 1
fi
echo "== go vet"
go vet ./...
echo "== go test (main module)"
go test -count=1 -timeout 30m ./...

echo "== fuzzing the PostgreSQL dialect front (${BASALT_FUZZ_TIME:-60s})"
go test -run '^$' -fuzz '^FuzzFront$' -fuzztime "${BASALT_FUZZ_TIME:-60s}" ./sql/pgfront
echo "== fuzzing the wire protocol's message handling (${BASALT_WIRE_FUZZ_TIME:-20s})"
go test -run '^$' -fuzz '^FuzzMessages$' -fuzztime "${BASALT_WIRE_FUZZ_TIME:-20s}" ./server/pgwire

if [[ "${BASALT_SKIP_TPCH:-0}" != 1 ]]; then
	echo "== TPC-H against DuckDB (SF ${BASALT_TPCH_SF:-0.1})"
	(cd benchmarks && go test -count=1 -timeout 60m ./...)
fi
