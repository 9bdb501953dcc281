#!/usr/bin/env bash
# What metrics cost: the same put workload against a fresh local three-node cluster with metrics on
# (the default) and with KVSTORE_METRICS_ENABLED=false, alternated ROUNDS times so that a neighbour's
# load falls on both variants. Each run: a fresh cluster, JIT_WARMUP seconds of writes to warm its JIT,
# then SECONDS_PER_RUN seconds measured after a 5 s generator warm-up. With metrics on, /metrics is
# scraped every SCRAPE_INTERVAL_S seconds during the run, as Prometheus would (0: not scraped).
#
# The cluster is this script's own (ports BASE_PORT..BASE_PORT+2, storage in a temporary directory), not
# run-cluster.sh's, so it neither needs nor touches data/ and ports 3001-3003. Only the processes it
# started are stopped, by their pids.
#
#   scripts/bench-metrics.sh                      # 3 rounds, 40 s warm-up, 10 s runs, 64 clients
#   ROUNDS=1 JIT_WARMUP=2 SECONDS_PER_RUN=2 scripts/bench-metrics.sh   # a smoke test of the script
#
# Prints one line per run (RESULT is the bench tool's own line) and a summary per variant.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JIT_WARMUP=${JIT_WARMUP:-40}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CLIENTS=${CLIENTS:-64}
BASE_PORT=${BASE_PORT:-3101}
SCRAPE_INTERVAL_S=${SCRAPE_INTERVAL_S:-5}
START_TIMEOUT_S=${START_TIMEOUT_S:-30}
JAVA=${JAVA:-java}
[[ -f target/rafty.jar ]] || ./mvnw -B -q -DskipTests package

work=$(mktemp -d "${TMPDIR:-/tmp}/rafty-bench-metrics.XXXXXX")
node_pids=()
scraper_pid=

stop_cluster() {
    if [[ -n "$scraper_pid" ]]; then
        kill "$scraper_pid" 2>/dev/null || true
        wait "$scraper_pid" 2>/dev/null || true
        scraper_pid=
    fi
    local pid
    for pid in ${node_pids[@]+"${node_pids[@]}"}; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in ${node_pids[@]+"${node_pids[@]}"}; do
        wait "$pid" 2>/dev/null || true
    done
    node_pids=()
}

cleanup() {
    stop_cluster
    rm -rf "$work"
}
trap cleanup EXIT

url() {
    echo "http://127.0.0.1:$((BASE_PORT + $1 - 1))"
}

endpoints="$(url 1),$(url 2),$(url 3)"

# start_cluster true|false: three nodes on fresh storage, back once one of them names a leader.
start_cluster() {
    local metrics=$1 id other peers
    rm -rf "$work/data"
    for id in 1 2 3; do
        peers=
        for other in 1 2 3; do
            if [[ $other != "$id" ]]; then
                peers+="${peers:+;}$other@$(url "$other")"
            fi
        done
        env KVSTORE_ID="$id" KVSTORE_PORT="$((BASE_PORT + id - 1))" KVSTORE_STORAGE_DIR="$work/data/node$id" \
            KVSTORE_PEERS="$peers" KVSTORE_METRICS_ENABLED="$metrics" \
            "$JAVA" -jar target/rafty.jar >"$work/node$id-metrics-$metrics.log" 2>&1 &
        node_pids+=($!)
    done
    local deadline=$((SECONDS + START_TIMEOUT_S))
    until curl -fsS "$(url 1)/v1/status" 2>/dev/null | grep -q '"leaderId":[0-9]'; do
        if ((SECONDS >= deadline)); then
            echo "bench-metrics: no leader within ${START_TIMEOUT_S}s; node logs in $work" >&2
            trap - EXIT
            stop_cluster
            exit 1
        fi
        sleep 0.2
    done
    # The switch took effect: 200 with metrics on, 404 metrics_disabled with them off.
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' "$(url 1)/metrics")
    if [[ $metrics == true && $code != 200 ]] || [[ $metrics == false && $code != 404 ]]; then
        echo "bench-metrics: GET /metrics answered $code with KVSTORE_METRICS_ENABLED=$metrics" >&2
        exit 1
    fi
}

# Scrapes every node's /metrics every SCRAPE_INTERVAL_S seconds until killed.
start_scraper() {
    ((SCRAPE_INTERVAL_S > 0)) || return 0
    (
        while true; do
            for id in 1 2 3; do
                curl -s -o /dev/null "$(url "$id")/metrics" || true
            done
            sleep "$SCRAPE_INTERVAL_S"
        done
    ) &
    scraper_pid=$!
}

bench() {
    "$JAVA" -jar target/rafty.jar bench --endpoints "$endpoints" --keys 1000 --value-size 256 "$@"
}

declare -A throughputs=()
for ((round = 1; round <= ROUNDS; round++)); do
    # Alternate which variant goes first, so that neither always runs on the warmer machine.
    if ((round % 2 == 1)); then order=(true false); else order=(false true); fi
    for metrics in "${order[@]}"; do
        start_cluster "$metrics"
        bench --workload put --clients "$CLIENTS" --duration "${JIT_WARMUP}s" >/dev/null 2>&1
        if [[ $metrics == true ]]; then start_scraper; fi
        line=$(bench --workload put --clients "$CLIENTS" --duration "${SECONDS_PER_RUN}s" --warmup 5s --no-preload \
            2>&1 | grep '^RESULT' || echo "RESULT (no result)")
        stop_cluster
        echo "round=$round metrics=$metrics load=$(cut -d' ' -f1 /proc/loadavg) $line"
        ops=$(sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
        throughputs[$metrics]="${throughputs[$metrics]:-}${ops:-?} "
    done
done
echo "SUMMARY metrics=true put ops/s per round: ${throughputs[true]}"
echo "SUMMARY metrics=false put ops/s per round: ${throughputs[false]}"
