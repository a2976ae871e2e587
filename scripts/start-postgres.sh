#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the sqllogictest reference runs
# (test/slt) and prints its DSN on stdout. Installs nothing: CI installs
# Debian's `postgresql` package first. The cluster lives in a temp dir and
# listens only on 127.0.0.1 (and a unix socket inside that dir).
#
#   export BASALT_PG_DSN=$(scripts/start-postgres.sh)
#   go test ./test/slt -run TestPostgres
#
# Environment: PGPORT (default 5433), PGDATA_DIR (default: a new temp dir).
# Stop it with: pg_ctl -D <dir>/data stop (the path is printed on stderr).
set -euo pipefail

port="${PGPORT:-5433}"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
	echo "start-postgres: no PostgreSQL binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
	exit 1
fi

dir="${PGDATA_DIR:-$(mktemp -d /tmp/basalt-pg.XXXXXX)}"
mkdir -p "$dir"

# initdb and postgres refuse to run as root: run them as the postgres user
# when we are root, as ourselves otherwise.
as_pg() {
	if [[ "$(id -u)" == 0 ]]; then
		chown -R postgres:postgres "$dir"
		su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
	else
		"$@"
	fi
}

if [[ ! -f "$dir/data/PG_VERSION" ]]; then
	as_pg "$bindir/initdb" -D "$dir/data" -U postgres --locale=C --encoding=UTF8 -A trust >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
fi

cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
timezone = 'UTC'
log_timezone = 'UTC'
datestyle = 'iso, mdy'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF

as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 || {
	cat "$dir/server.log" >&2
	exit 1
}

for _ in $(seq 1 60); do
	if as_pg "$bindir/pg_isready" -h 127.0.0.1 -p "$port" -q; then
		break
	fi
	sleep 1
done

if ! as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
	"SELECT 1 FROM pg_database WHERE datname = 'slt'" | grep -q 1; then
	as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres slt
fi

echo "start-postgres: cluster in $dir (stop: $bindir/pg_ctl -D $dir/data stop)" >&2
echo "postgres://postgres@127.0.0.1:$port/slt?sslmode=disable"
