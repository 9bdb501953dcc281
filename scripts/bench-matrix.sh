#!/usr/bin/env bash
# Runs the BENCHMARKS.md matrix against the running local cluster: writes, then linearizable reads, at
# 1, 16, 64 and 256 clients, 256-byte values. Prints each run's RESULT line prefixed with the 1-minute
# load average at its start (the machine may be shared); full outputs go to target/bench-logs/. Before the
# matrix, JIT_WARMUP seconds (default 15) of 64-client mixed load warm the nodes' JIT compilers: a node
# fresh from start runs interpreted code for its first tens of thousands of requests, and its one-client
# latency is then several times its steady-state figure. Usage:
#   scripts/bench-matrix.sh [seconds-per-run] [warmup-seconds] [label]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_PER_RUN=${1:-10}
WARMUP=${2:-3}
LABEL=${3:-run}
CLIENTS=${CLIENTS:-"1 16 64 256"}
KEYS=${KEYS:-1000}
LOG_DIR=${LOG_DIR:-target/bench-logs}
JIT_WARMUP=${JIT_WARMUP:-15}
mkdir -p "$LOG_DIR"
if (( JIT_WARMUP > 0 )); then
    ./run-cluster.sh bench --workload mixed --clients 64 --duration "${JIT_WARMUP}s" --keys "$KEYS" --value-size 256 \
        >"$LOG_DIR/${LABEL//[^A-Za-z0-9=.-]/_}-jit-warmup.txt" 2>&1 || true
fi
preloaded=""
for workload in put get; do
    for c in $CLIENTS; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        extra=()
        if [[ $workload == get ]]; then
            if [[ -n $preloaded ]]; then extra+=(--no-preload); fi
            preloaded=1
        fi
        log="$LOG_DIR/${LABEL//[^A-Za-z0-9=.-]/_}-$workload-$c.txt"
        ./run-cluster.sh bench --workload "$workload" --clients "$c" --duration "${SECONDS_PER_RUN}s" \
            --warmup "${WARMUP}s" --keys "$KEYS" --value-size 256 ${extra[@]+"${extra[@]}"} >"$log" 2>&1 || true
        line=$(grep '^RESULT' "$log" || echo "RESULT workload=$workload clients=$c (no result; see $log)")
        echo "$LABEL load=$load $line"
    done
done
