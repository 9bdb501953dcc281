#!/usr/bin/env bash
# Transactions against plain writes on one fresh local cluster: JIT_WARMUP seconds (default 40) of mixed
# load warm it, then ROUNDS (default 3) alternations of 64-client plain puts and 64-client 4-op
# compare-and-set transactions (bench --workload txn: compare the key's version, put it and its
# neighbour, read both back), SECONDS_PER_RUN (default 10) each after a 5 s generator warm-up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JIT_WARMUP=${JIT_WARMUP:-40}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
[[ -f target/rafty.jar ]] || ./mvnw -B -q -DskipTests package
endpoints="http://127.0.0.1:3001,http://127.0.0.1:3002,http://127.0.0.1:3003"
bench() {
    "${JAVA:-java}" -jar target/rafty.jar bench --endpoints "$endpoints" --keys 1000 --value-size 256 "$@"
}
./run-cluster.sh clean >/dev/null
./run-cluster.sh >/dev/null
bench --workload mixed --clients 64 --duration "${JIT_WARMUP}s" >/dev/null 2>&1
for ((round = 1; round <= ROUNDS; round++)); do
    for workload in put txn; do
        line=$(bench --workload "$workload" --clients 64 --duration "${SECONDS_PER_RUN}s" --warmup 5s --no-preload \
            2>&1 | grep '^RESULT' || echo "RESULT workload=$workload (no result)")
        echo "round=$round load=$(cut -d' ' -f1 /proc/loadavg) $line"
    done
done
./run-cluster.sh stop >/dev/null
