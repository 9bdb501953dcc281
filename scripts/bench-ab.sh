#!/usr/bin/env bash
# A/B comparison on a shared machine: for each round, and for each variant (a string of JVM options for
# the nodes), start a clean cluster, run 64-client writes and linearizable reads, stop it. Interleaving
# the variants spreads background load over both. Usage:
#   scripts/bench-ab.sh rounds seconds "variant A opts" "variant B opts" ...
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=$1; SECS=$2; shift 2
CLIENTS=${CLIENTS:-64}
for round in $(seq 1 "$ROUNDS"); do
    for variant in "$@"; do
        ./run-cluster.sh clean >/dev/null 2>&1 || true
        RAFTY_JAVA_OPTS="$variant" ./run-cluster.sh start >/dev/null 2>&1 || { echo "start failed: $variant"; continue; }
        for workload in put get; do
            load=$(cut -d' ' -f1 /proc/loadavg)
            line=$(./run-cluster.sh bench --workload $workload --clients "$CLIENTS" --duration "${SECS}s" --warmup 2s \
                --keys 2000 2>&1 | grep '^RESULT' || true)
            echo "round=$round variant='$variant' load=$load $line"
        done
        ./run-cluster.sh stop >/dev/null 2>&1 || true
    done
done
