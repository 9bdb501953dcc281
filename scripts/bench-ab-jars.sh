#!/usr/bin/env bash
# A/B of two builds: for each jar in turn, a clean local cluster runs on that jar, JIT_WARMUP seconds
# (default 60) of mixed load warm it, then 64-client writes and linearizable reads alternate ROUNDS
# times (default 2), SECONDS_PER_RUN (default 8) each after WARMUP seconds (default 12: the generator is
# a fresh JVM per run, and a shorter warm-up leaves its own JIT inside the measured seconds). TARGET=etcd-grpc
# runs all of it through the nodes' etcd gRPC port instead of the HTTP API. The generator is always the jar
# named first. target/rafty.jar is left as the last jar. Usage:
#   cp target/rafty.jar /tmp/new.jar; git stash; ./mvnw -B -q -DskipTests package; cp target/rafty.jar /tmp/old.jar
#   scripts/bench-ab-jars.sh /tmp/old.jar /tmp/new.jar
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
(( $# >= 2 )) || { echo "usage: scripts/bench-ab-jars.sh A.jar B.jar [more.jar ...]" >&2; exit 2; }
JIT_WARMUP=${JIT_WARMUP:-60}
ROUNDS=${ROUNDS:-2}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-8}
WARMUP=${WARMUP:-12}
TARGET=${TARGET:-rafty}
GENERATOR=$(mktemp /tmp/rafty-generator-XXXX.jar)
cp "$1" "$GENERATOR"
trap 'rm -f "$GENERATOR"' EXIT
case $TARGET in
    rafty) endpoints="http://127.0.0.1:3001,http://127.0.0.1:3002,http://127.0.0.1:3003" ;;
    etcd-grpc) endpoints="http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379" ;;
    *) echo "bench-ab-jars: TARGET is rafty or etcd-grpc, not '$TARGET'" >&2; exit 2 ;;
esac
bench() {
    "${JAVA:-java}" -jar "$GENERATOR" bench --target "$TARGET" --endpoints "$endpoints" --keys 1000 --value-size 256 "$@"
}
for jar in "$@"; do
    ./run-cluster.sh clean >/dev/null
    cp "$jar" target/rafty.jar
    touch target/rafty.jar
    ./run-cluster.sh >/dev/null
    bench --workload mixed --clients 64 --duration "${JIT_WARMUP}s" >/dev/null 2>&1
    for ((round = 1; round <= ROUNDS; round++)); do
        for workload in put get; do
            line=$(bench --workload "$workload" --clients 64 --duration "${SECONDS_PER_RUN}s" --warmup "${WARMUP}s" --no-preload \
                2>&1 | grep '^RESULT' || echo "RESULT workload=$workload (no result)")
            echo "$(basename "$jar") round=$round load=$(cut -d' ' -f1 /proc/loadavg) $line"
        done
    done
done
./run-cluster.sh stop >/dev/null
