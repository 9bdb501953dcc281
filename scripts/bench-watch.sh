#!/usr/bin/env bash
# The watch fan-out check: WATCHERS (default 1 000) SSE watchers on one prefix while CLIENTS (default 64)
# clients write, on a fresh local cluster. Steps:
#   1. clean cluster; JIT_WARMUP seconds (default 60) of 64-client mixed load on 1 000 keys warm the nodes'
#      JIT, as in bench-matrix.sh;
#   2. one `bench --watchers` run: writes with no watcher, then with the watchers open (all on `bench/`,
#      round-robin over the three nodes), each phase after a WARMUP (default 5) second warm-up and for
#      SECONDS_PER_RUN seconds (default 30), 256-byte values.
# With KEPT_LEASES=M (default 0) the second phase also grants M leases of LEASE_TTL seconds (default 30)
# and keeps each alive every LEASE_TTL/3 beside the writers and watchers: issue 19's "1 000 watchers and
# 10 000 leases kept alive" run is KEPT_LEASES=10000 scripts/bench-watch.sh (the RESULT lines then end
# with leases=0 and leases=M, and a LEASES line follows: keepalives/s, their latency, failed, lost).
# WATCH_PREFIX=P (default: bench/, the prefix written) puts the watchers on another prefix: they are sent
# nothing, and the second phase measures what watchers cost to hold and match, not what delivering every
# write to each of them costs.
# Prints the two RESULT lines (watchers=0, then watchers=N: compare their ops_per_s) and the WATCH line
# (deliveries/s, write-to-watch latency p50/p99/p99.9/max from sending a PUT to a watcher receiving it,
# missed, cancelled), plus the tool's watch: detail lines; full outputs go to target/bench-logs/watch-*.txt.
# Exits with the bench's status (1 when the watchers did not all start). Usage:
#   [WATCHERS=1000] [CLIENTS=64] [SECONDS_PER_RUN=30] [KEPT_LEASES=0] scripts/bench-watch.sh
#   (then ./run-cluster.sh stop)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WATCHERS=${WATCHERS:-1000}
CLIENTS=${CLIENTS:-64}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-30}
WARMUP=${WARMUP:-5}
KEYS=${KEYS:-1000}
JIT_WARMUP=${JIT_WARMUP:-60}
KEPT_LEASES=${KEPT_LEASES:-0}
LEASE_TTL=${LEASE_TTL:-30}
WATCH_PREFIX=${WATCH_PREFIX:-bench/}
LOG_DIR=${LOG_DIR:-target/bench-logs}
mkdir -p "$LOG_DIR"
./run-cluster.sh clean >/dev/null
./run-cluster.sh >/dev/null
bench() {
    ./run-cluster.sh bench --value-size 256 --keys "$KEYS" "$@"
}
if (( JIT_WARMUP > 0 )); then
    bench --workload mixed --clients 64 --duration "${JIT_WARMUP}s" >"$LOG_DIR/watch-jit-warmup.txt" 2>&1 || true
fi
log="$LOG_DIR/watch-$WATCHERS-$CLIENTS-$KEPT_LEASES-${WATCH_PREFIX//\//_}.txt"
echo "watch fan-out: watchers=$WATCHERS on $WATCH_PREFIX kept-leases=$KEPT_LEASES clients=$CLIENTS seconds=$SECONDS_PER_RUN" \
    "load=$(cut -d' ' -f1 /proc/loadavg)"
status=0
watch_prefix=()
if (( WATCHERS > 0 )); then
    watch_prefix=(--watch-prefix "$WATCH_PREFIX")
fi
bench --workload put --clients "$CLIENTS" --duration "${SECONDS_PER_RUN}s" --warmup "${WARMUP}s" \
    --watchers "$WATCHERS" ${watch_prefix[@]+"${watch_prefix[@]}"} --kept-leases "$KEPT_LEASES" --lease-ttl "${LEASE_TTL}s" --no-preload >"$log" 2>&1 \
    || status=$?
grep -E '^(RESULT|WATCH|LEASES|watch:|leases:|bench:|rafty bench:)' "$log" || echo "no RESULT lines; see $log"
echo "load=$(cut -d' ' -f1 /proc/loadavg) (full output: $log)"
exit "$status"
