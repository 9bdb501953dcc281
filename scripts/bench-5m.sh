#!/usr/bin/env bash
# Issue 6's data-growth check: the 64-client write figure on an empty store, then after every one of
# KEYS (default 5 000 000) keys exists, on a fresh local cluster. Steps:
#   1. clean cluster; JIT_WARMUP seconds (default 60) of mixed load on 1 000 keys warm the nodes;
#   2. "empty": 64-client writes over KEYS keys for RUN seconds (default 20) - nearly all inserts;
#   3. preload: every one of KEYS keys written once (the generator's get preload, 64 clients);
#   4. "full": the same 64-client writes for RUN seconds - now every write replaces a stored key.
# RESULT lines go to stdout, full outputs to target/bench-logs/5m-*.txt. Needs about 2 GB of disk per
# node for 5 M keys of 256 bytes. Usage: scripts/bench-5m.sh  (then ./run-cluster.sh stop)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KEYS=${KEYS:-5000000}
RUN=${RUN:-20}
JIT_WARMUP=${JIT_WARMUP:-60}
LOG_DIR=${LOG_DIR:-target/bench-logs}
mkdir -p "$LOG_DIR"
./run-cluster.sh clean >/dev/null
./run-cluster.sh >/dev/null
bench() {
    ./run-cluster.sh bench --value-size 256 "$@"
}
bench --workload mixed --clients 64 --duration "${JIT_WARMUP}s" --keys 1000 >"$LOG_DIR/5m-jit-warmup.txt" 2>&1
bench --workload put --clients 64 --duration "${RUN}s" --warmup 5s --keys "$KEYS" >"$LOG_DIR/5m-empty.txt" 2>&1
echo "empty load=$(cut -d' ' -f1 /proc/loadavg) $(grep '^RESULT' "$LOG_DIR/5m-empty.txt")"
start=$(date +%s)
bench --workload get --clients 64 --duration 5s --keys "$KEYS" >"$LOG_DIR/5m-preload.txt" 2>&1
echo "preload $(grep '^preload: .* keys in' "$LOG_DIR/5m-preload.txt") ($(( $(date +%s) - start )) s with the short get run)"
bench --workload put --clients 64 --duration "${RUN}s" --warmup 5s --keys "$KEYS" --no-preload \
    >"$LOG_DIR/5m-full.txt" 2>&1
echo "full load=$(cut -d' ' -f1 /proc/loadavg) $(grep '^RESULT' "$LOG_DIR/5m-full.txt")"
./run-cluster.sh status || true
du -sh data/node1 | sed 's/^/node1 data: /'
