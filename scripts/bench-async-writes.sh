#!/usr/bin/env bash
# A/B of asynchronous storage writes (KVSTORE_ASYNC_STORAGE_WRITES, BENCHMARKS.md "Issue 19"): for each of
# ROUNDS rounds (default 2), each mode on a clean local cluster, 30 s of 64-client mixed load to warm the
# JIT, then 10 s runs of put/64, get/64, mixed/64, put/1 and put/16 (2 000 keys, 256-byte values).
# Interleaving the modes spreads a shared machine's noise over both. One RESULT line per run on stdout.
# Usage: ROUNDS=3 scripts/bench-async-writes.sh   (leaves the cluster stopped)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${ROUNDS:-2}
for round in $(seq 1 "$ROUNDS"); do
    for async in true false; do
        ./run-cluster.sh clean >/dev/null 2>&1 || true
        KVSTORE_ASYNC_STORAGE_WRITES=$async ./run-cluster.sh start >/dev/null 2>&1 || { echo "start failed: async=$async"; continue; }
        ./run-cluster.sh bench --workload mixed --clients 64 --duration 30s --warmup 2s --keys 2000 >/dev/null 2>&1
        for spec in "put 64" "get 64" "mixed 64" "put 1" "put 16"; do
            read -r workload clients <<<"$spec"
            load=$(cut -d' ' -f1 /proc/loadavg)
            line=$(./run-cluster.sh bench --workload "$workload" --clients "$clients" --duration 10s --warmup 2s \
                --keys 2000 2>&1 | grep '^RESULT' || true)
            echo "round=$round async=$async load=$load $line"
        done
        ./run-cluster.sh stop >/dev/null 2>&1 || true
    done
done
