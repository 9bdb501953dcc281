#!/usr/bin/env bash
# Runs the BENCHMARKS.md matrix against the running local cluster: writes, then linearizable reads, at
# 1, 16, 64 and 256 clients, 256-byte values. Prints each run's RESULT line prefixed with the 1-minute
# load average at its start (the machine may be shared); full outputs go to target/bench-logs/. Before the
# matrix, JIT_WARMUP seconds (default 60) of 64-client mixed load warm the nodes' JIT compilers: on two
# busy cores a freshly started node takes 30-45 s of load to reach its steady state (its 64-client write
# rate climbs from under 1 000/s to over 10 000/s), and its one-client latency is several times the
# steady figure until then. Each run then has its own warm-up (default 5 s) for the generator's JIT.
# Usage:
#   scripts/bench-matrix.sh [seconds-per-run] [warmup-seconds] [label]
# By default the target is the local Rafty cluster (./run-cluster.sh bench). TARGET=etcd runs the same
# matrix against etcd 3.4 through its HTTP/JSON gateway, by default the cluster of scripts/etcd-cluster.sh:
#   TARGET=etcd [ENDPOINTS=http://127.0.0.1:2379,...] scripts/bench-matrix.sh [seconds] [warmup] [label]
# ENDPOINTS with the default TARGET benches those Rafty nodes instead of the local cluster's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TARGET=${TARGET:-rafty}
SECONDS_PER_RUN=${1:-10}
WARMUP=${2:-5}
CLIENTS=${CLIENTS:-"1 16 64 256"}
KEYS=${KEYS:-1000}
LOG_DIR=${LOG_DIR:-target/bench-logs}
JIT_WARMUP=${JIT_WARMUP:-60}
case $TARGET in
    rafty)
        LABEL=${3:-run}
        if [[ -z ${ENDPOINTS:-} ]]; then
            bench=(./run-cluster.sh bench)
        else
            bench=("${JAVA:-java}" -jar target/rafty.jar bench --endpoints "$ENDPOINTS")
        fi
        ;;
    etcd)
        LABEL=${3:-etcd}
        ENDPOINTS=${ENDPOINTS:-$(scripts/etcd-cluster.sh endpoints)}
        bench=("${JAVA:-java}" -jar target/rafty.jar bench --target etcd --endpoints "$ENDPOINTS")
        ;;
    *)
        echo "bench-matrix: TARGET must be rafty or etcd, was '$TARGET'" >&2
        exit 2
        ;;
esac
if [[ ${bench[0]} != ./run-cluster.sh && ! -f target/rafty.jar ]]; then
    echo "bench-matrix: target/rafty.jar is missing; build it with ./mvnw -B -q -DskipTests package" >&2
    exit 1
fi
mkdir -p "$LOG_DIR"
if (( JIT_WARMUP > 0 )); then
    "${bench[@]}" --workload mixed --clients 64 --duration "${JIT_WARMUP}s" --keys "$KEYS" --value-size 256 \
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
        "${bench[@]}" --workload "$workload" --clients "$c" --duration "${SECONDS_PER_RUN}s" \
            --warmup "${WARMUP}s" --keys "$KEYS" --value-size 256 ${extra[@]+"${extra[@]}"} >"$log" 2>&1 || true
        line=$(grep '^RESULT' "$log" || echo "RESULT workload=$workload clients=$c (no result; see $log)")
        echo "$LABEL load=$load $line"
    done
done
