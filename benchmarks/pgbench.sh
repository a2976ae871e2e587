#!/usr/bin/env bash
# pgbench against `basalt serve` on TPC-H: a read-only script of point
# lookups and small aggregates (benchmarks/pgbench/lookup.sql), run with
# -M simple and -M extended, printing TPS and failed transactions per mode.
# It exits non-zero when a run has a failed transaction or pgbench itself
# fails, so it doubles as an acceptance check (issue 4: 32 clients, 60 s,
# zero errors).
#
#   benchmarks/pgbench.sh                 # SF1, 32 clients, 60 s per mode
#   SF=0.1 DURATION=10 benchmarks/pgbench.sh
#
# Environment:
#   SF        TPC-H scale factor (default 1)
#   DATA      data directory; generated with `basalt gen tpch` when it holds
#             no tables (default /tmp/basalt-tpch-sf$SF)
#   CLIENTS   pgbench clients (default 32)
#   THREADS   pgbench threads (default 2)
#   DURATION  seconds per mode (default 60)
#   MODES     pgbench query modes (default "simple extended")
#   PORT      port basalt serve listens on (default: a free one from 25432)
#   BASALT    a prebuilt basalt binary (default: built from this checkout)
set -euo pipefail
cd "$(dirname "$0")/.."

sf="${SF:-1}"
data="${DATA:-/tmp/basalt-tpch-sf$sf}"
clients="${CLIENTS:-32}"
threads="${THREADS:-2}"
duration="${DURATION:-60}"
modes="${MODES:-simple extended}"
script="benchmarks/pgbench/lookup.sql"

command -v pgbench >/dev/null || {
	echo "pgbench.sh: pgbench not found (apt-get install postgresql-client)" >&2
	exit 1
}

work="$(mktemp -d /tmp/basalt-pgbench.XXXXXX)"
bin="${BASALT:-}"
if [[ -z "$bin" ]]; then
	bin="$work/basalt"
	go build -o "$bin" ./cmd/basalt
fi

if [[ ! -d "$data/orders" ]]; then
	echo "pgbench.sh: generating TPC-H SF $sf in $data" >&2
	"$bin" gen tpch --sf "$sf" --out "$data" >&2
fi

port="${PORT:-25432}"
if [[ -z "${PORT:-}" ]]; then
	while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
		port=$((port + 1))
	done
fi

"$bin" serve --data "$data" --pg-addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
cleanup() {
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
	grep -q "basalt ready" "$work/serve.log" && break
	kill -0 "$server" 2>/dev/null || {
		cat "$work/serve.log" >&2
		exit 1
	}
	sleep 0.1
done

# Statements per transaction, for statements/s.
nstmt=$(grep -c '^SELECT' "$script")
status=0
results=()
for mode in $modes; do
	out="$work/pgbench-$mode.txt"
	echo "pgbench.sh: -M $mode, $clients clients, $duration s on SF $sf" >&2
	if ! pgbench -n -r -h 127.0.0.1 -p "$port" -U basalt -M "$mode" -c "$clients" -j "$threads" \
		-T "$duration" -f "$script" basalt >"$out" 2>&1; then
		status=1
	fi
	cat "$out" >&2
	tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out")
	done_tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
	# A client that aborts ends pgbench's run for that client: count those too.
	aborted=$(grep -c 'aborted in command\|client .* aborted' "$out" || true)
	if [[ -z "$tps" || "${failed:-1}" != 0 || "$aborted" != 0 ]]; then
		status=1
	fi
	results+=("$(printf '%-9s %9s %12s %10s %8s %8s' "$mode" "${tps:-?}" \
		"$(awk -v t="${tps:-0}" -v n="$nstmt" 'BEGIN { printf "%.1f", t * n }')" \
		"${done_tx:-?}" "${failed:-?}" "$aborted")")
done

echo
echo "TPC-H SF $sf, $clients clients, $threads threads, $duration s, $(nproc) cores, script $script ($nstmt statements/transaction)"
printf '%-9s %9s %12s %10s %8s %8s\n' mode tps statements/s tx failed aborted
printf '%s\n' "${results[@]}"
if ! kill -0 "$server" 2>/dev/null; then
	echo "pgbench.sh: basalt serve died" >&2
	cat "$work/serve.log" >&2
	status=1
fi
exit $status
