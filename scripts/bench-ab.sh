#!/usr/bin/env bash
# A/B comparison on a shared machine: for each round, and for each variant, start a clean cluster, run the
# workloads, stop it. Interleaving the variants spreads background load over both. Usage:
#   scripts/bench-ab.sh rounds seconds "variant A" "variant B" ...
# A variant is a string of JVM options for the nodes, or, with VARIANT_ENV=NAME, the value of the nodes'
# environment variable NAME (e.g. VARIANT_ENV=KVSTORE_ASYNC_STORAGE_WRITES ... true false).
# Knobs: RUNS, the workload:clients runs per variant (default "put:$CLIENTS get:$CLIENTS", CLIENTS default
# 64); JIT_WARMUP, seconds of 64-client mixed load before them on each fresh cluster (default 0: none).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=$1; SECS=$2; shift 2
CLIENTS=${CLIENTS:-64}
RUNS=${RUNS:-"put:$CLIENTS get:$CLIENTS"}
JIT_WARMUP=${JIT_WARMUP:-0}
VARIANT_ENV=${VARIANT_ENV:-}
bench() {
    ./run-cluster.sh bench --keys 2000 --warmup 2s "$@" 2>&1
}
for round in $(seq 1 "$ROUNDS"); do
    for variant in "$@"; do
        ./run-cluster.sh clean >/dev/null 2>&1 || true
        node_env=("RAFTY_JAVA_OPTS=$variant")
        [[ -z $VARIANT_ENV ]] || node_env=("$VARIANT_ENV=$variant")
        env "${node_env[@]}" ./run-cluster.sh start >/dev/null 2>&1 || { echo "start failed: $variant"; continue; }
        if (( JIT_WARMUP > 0 )); then
            bench --workload mixed --clients 64 --duration "${JIT_WARMUP}s" >/dev/null || true
        fi
        for run in $RUNS; do
            load=$(cut -d' ' -f1 /proc/loadavg)
            line=$(bench --workload "${run%%:*}" --clients "${run##*:}" --duration "${SECS}s" | grep '^RESULT' || true)
            echo "round=$round variant='$variant' load=$load $line"
        done
        ./run-cluster.sh stop >/dev/null 2>&1 || true
    done
done
