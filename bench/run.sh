#!/usr/bin/env bash
# The Latch performance harness in one command (docs/PERFORMANCE.md):
#   bench/run.sh [--postgres | --no-postgres]
# Builds release binaries, seeds N=1k and N=1M on SQLite (and PostgreSQL: on by default when
# BENCH_POSTGRES_URL answers), starts `latch serve` per database, runs every workload against it
# and prints the markdown tables. Knobs: BENCH_DURATION (seconds per workload, default 8),
# BENCH_SIZES (default "1000 1000000"), BENCH_CONNECTIONS (default 16),
# BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test; tables go to dedicated
# schemas latch_bench_<N>, which seeding drops and recreates).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

duration=${BENCH_DURATION:-8}
sizes=${BENCH_SIZES:-"1000 1000000"}
# The load generator reads BENCH_CONNECTIONS itself; the open-loop run overrides it with twice as many.
export BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-16}
postgres_url=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
postgres=auto
for arg in "$@"; do
    case $arg in
        --postgres) postgres=yes ;;
        --no-postgres) postgres=no ;;
        *) echo "usage: $0 [--postgres | --no-postgres]" >&2; exit 2 ;;
    esac
done
if [ "$postgres" = auto ]; then
    if command -v pg_isready >/dev/null && pg_isready -q -d "$postgres_url"; then
        postgres=yes
    else
        echo "PostgreSQL not reachable at $postgres_url: SQLite only" >&2
        postgres=no
    fi
fi

echo "== cargo build --release" >&2
cargo build --release --locked -p latch -p latch-bench
target=${CARGO_TARGET_DIR:-$root/target}
latch=$target/release/latch
bench=$target/release/latch-bench
work=$target/bench-run
rm -rf "$work"
mkdir -p "$work"
results=$work/results.jsonl

server_pid=
server_url=
stop_server() {
    if [ -n "$server_pid" ]; then
        # SIGTERM is the graceful stop: deferred writes (cached signatures) are flushed first.
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}
trap stop_server EXIT

start_server() {
    local log=$1
    # One load generator on one address drives far more than a client would: no flood control here.
    LATCH_RATE_LIMIT_PER_API_KEY=0 LATCH_RATE_LIMIT_PER_ADDRESS=0 LATCH_RATE_LIMIT_ACTIVATIONS=0 \
        "$latch" serve --listen 127.0.0.1:0 >"$work/server.out" 2>"$log" &
    server_pid=$!
    for _ in $(seq 300); do
        server_url=$(sed -n 's/^listening on //p' "$work/server.out")
        [ -n "$server_url" ] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "latch serve did not start; see $log" >&2
    exit 1
}

load() {
    "$bench" load --url "$server_url" --fixture "$fixture" --server-pid "$server_pid" \
        --duration "$duration" --results "$results" "$@"
}

json_field() { # json_field NAME: a numeric field of the JSON object on stdin
    grep -o "\"$1\":[0-9.e+-]*" | head -1 | cut -d: -f2
}

echo "== RSA-2048 signature (in-process)" >&2
"$bench" micro --results "$results"

# suite BACKEND N: seed, measure the lookup floor, then every workload on a fresh server.
half_load_rate=
# Devices stored with their v1 signature by the seeder, and the most the cold run checks.
signed_devices=40000
suite() {
    local backend=$1 n=$2
    local dir=$work/$backend-$n
    fixture=$dir/fixture.json
    mkdir -p "$dir"
    export LATCH_DATA_DIR=$dir
    if [ "$backend" = postgres ]; then
        export LATCH_DATABASE_URL=$postgres_url LATCH_DATABASE_SCHEMA=latch_bench_$n
    else
        unset LATCH_DATABASE_URL LATCH_DATABASE_SCHEMA
    fi
    echo "== $backend N=$n: seed" >&2
    "$bench" seed --licenses "$n" --latch-bin "$latch" --fixture "$fixture" --results "$results" \
        --signed-devices "$signed_devices"
    # A signature measured next to this suite's loads: the host's speed drifts over a whole run.
    "$bench" micro --fixture "$fixture" --results "$results"

    echo "== $backend N=$n: load" >&2
    start_server "$dir/server-cold.log"
    load --workload healthz --label healthz >/dev/null
    # The first check of a device activated before: its v1 license_signature is stored (the seeder
    # signed the devices this run visits first, as activation does), its answer is signed once.
    local cold
    cold=$(load --workload check-distinct --label check-distinct-cold --max-requests "$signed_devices")
    stop_server
    # A restarted server starts with an empty cache, but the database now holds the answer
    # signatures of the devices just checked: replaying them is a check of distinct devices whose
    # answers have not changed (no RSA work), the steady state of a real deployment.
    start_server "$dir/server.log"
    load --workload check-distinct --label check-distinct-warm \
        --max-requests "$(json_field ok <<<"$cold")" >/dev/null
    local uniform
    uniform=$(load --workload check-uniform --label check-uniform --seed 2)
    load --workload check-zipf --label check-zipf --seed 3 >/dev/null
    load --workload check-repeated --label check-repeated >/dev/null
    load --workload activate --label activate --seed 4 >/dev/null
    load --workload variables --label variables --seed 5 >/dev/null
    load --workload mixed --label mixed --seed 6 >/dev/null
    # "Half of max throughput": of uniform checks at the largest N (run first), reused for smaller N
    # so every size sees the same offered load.
    if [ -z "$half_load_rate" ]; then
        half_load_rate=$(awk -v t="$(json_field throughput <<<"$uniform")" 'BEGIN { printf "%.0f", t / 2 }')
    fi
    load --workload check-uniform --label check-uniform-half-load --seed 7 \
        --rate "$half_load_rate" --connections $((BENCH_CONNECTIONS * 2)) >/dev/null
    # The same offered load on the devices of the cold run, which have checked in before.
    load --workload check-distinct --label check-warm-half-load \
        --max-requests "$(json_field ok <<<"$cold")" \
        --rate "$half_load_rate" --connections $((BENCH_CONNECTIONS * 2)) >/dev/null
    stop_server
}

backends=sqlite
[ "$postgres" = yes ] && backends="sqlite postgres"
for backend in $backends; do
    half_load_rate=
    for n in $(tr ' ' '\n' <<<"$sizes" | sort -rn); do
        suite "$backend" "$n"
    done
done

"$bench" report "$results" | tee "$work/report.md"
echo "results: $results, report: $work/report.md" >&2
