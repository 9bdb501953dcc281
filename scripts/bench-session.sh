#!/usr/bin/env bash
# One benchmark session, everything on this machine, in this order: the RocksDB ceiling, the Vert.x
# HTTP ceiling (bench against `rafty.jar bench-server`), then the cluster matrix (scripts/bench-matrix.sh)
# for each node JVM-options variant given (default: the shipped defaults). Usage:
#   scripts/bench-session.sh [seconds-per-run] ["variant opts" ...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECS=${1:-10}
shift || true
[[ $# -gt 0 ]] || set -- ""
JAR=target/rafty.jar
echo "== $(date -u '+%F %T') UTC; nproc=$(nproc); $(grep -m1 'model name' /proc/cpuinfo); load: $(cat /proc/loadavg)"
echo "== RocksDB ceiling: synced WriteBatch of N 280-byte entries, one thread"
java -jar "$JAR" bench-rocksdb --dir data/bench-rocksdb --seconds 3 --batch 1,16,64,256 | grep RESULT
echo "== Vert.x HTTP ceiling: bench-server (1 event loop), load: $(cut -d' ' -f1 /proc/loadavg)"
java -jar "$JAR" bench-server --port 3100 --instances 1 >/dev/null 2>&1 &
server=$!
sleep 2
for c in 64 256; do
    for w in put get; do
        java -jar "$JAR" bench --endpoints http://127.0.0.1:3100 --workload $w --no-preload --clients $c \
            --duration "${SECS}s" --warmup 2s | grep RESULT | sed "s/^/http-ceiling load=$(cut -d' ' -f1 /proc/loadavg) /"
    done
done
kill "$server"
wait "$server" 2>/dev/null || true
for variant in "$@"; do
    echo "== cluster, node options '${variant}'"
    ./run-cluster.sh clean >/dev/null 2>&1 || true
    RAFTY_JAVA_OPTS="$variant" ./run-cluster.sh start >/dev/null
    scripts/bench-matrix.sh "$SECS" 2 "cluster[${variant:-defaults}]"
    ./run-cluster.sh stop >/dev/null
done
echo "== end $(date -u '+%T') load: $(cat /proc/loadavg)"
