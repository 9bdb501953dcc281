#!/usr/bin/env bash
# Where one client's write spends its time: the 1-client write latency next to the nodes' own timers.
# On a fresh local cluster: JIT_WARMUP seconds (default 60) of 64-client mixed load, then one client writes
# to the leader for SECS seconds (default 20, after a 3 s warm-up), then to a follower (the write is
# forwarded through the core, so this is what a client of a follower sees). Around each run every node's
# /metrics is read, and the script prints, per node, the means over that run of:
#   put        server time of PUT /v1/kv/ (the node's HTTP timer: request in to response written)
#   peer-post  server time of POST /raft/messages (a peer batch received: parsed, checked, handed over)
#   rtt        this node's peer batches, sent to answered (the peer's 204, not the Raft response)
#   fsync      one synced save of the log, and how many per write
#   apply      one apply batch in the state machine, and the apply worker's time per task and queue wait
#   persist    the persist worker's time per task and queue wait
#   gc         pause time over the run
# The figures are means (the tool's p50 is beside them); BENCHMARKS.md, issue 19, reads them. Usage:
#   [JIT_WARMUP=60] [SECS=20] scripts/bench-latency.sh   (then ./run-cluster.sh stop)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JIT_WARMUP=${JIT_WARMUP:-60}
SECS=${SECS:-20}
LOG_DIR=${LOG_DIR:-target/bench-logs}
PORTS=(3001 3002 3003)
mkdir -p "$LOG_DIR"
./run-cluster.sh clean >/dev/null
./run-cluster.sh >/dev/null
all="http://127.0.0.1:3001,http://127.0.0.1:3002,http://127.0.0.1:3003"
bench() {
    "${JAVA:-java}" -jar target/rafty.jar bench --keys 1000 --value-size 256 "$@"
}
if (( JIT_WARMUP > 0 )); then
    bench --endpoints "$all" --workload mixed --clients 64 --duration "${JIT_WARMUP}s" >"$LOG_DIR/latency-jit-warmup.txt" 2>&1 || true
fi
leader_port() {
    local port
    for port in "${PORTS[@]}"; do
        if curl -sf "http://127.0.0.1:$port/v1/status" | grep -q '"role":"leader"'; then
            echo "$port"
            return 0
        fi
    done
    return 1
}
scrape() { # scrape TAG: every node's metrics to $LOG_DIR/latency-TAG-PORT.prom
    local port
    for port in "${PORTS[@]}"; do
        curl -sf "http://127.0.0.1:$port/metrics" >"$LOG_DIR/latency-$1-$port.prom"
    done
}
# delta BEFORE AFTER REGEX: the sum over the series matching REGEX (name and labels) of after - before.
delta() {
    awk -v re="$3" '
        FNR == 1 { file++ }
        /^#/ { next }
        { key = $1; if (key !~ re) next; value[file, key] = $2; keys[key] = 1 }
        END { total = 0; for (k in keys) total += value[2, k] - value[1, k]; printf "%.9f", total }
    ' "$1" "$2"
}
# mean SUM COUNT SCALE: SUM/COUNT*SCALE with three decimals, or - without samples.
mean() {
    awk -v s="$1" -v c="$2" -v k="$3" 'BEGIN { if (c > 0) printf "%.3f", s / c * k; else printf "-" }'
}
report() { # report BEFORE_TAG AFTER_TAG WRITES
    local tag_a=$1 tag_b=$2 writes=$3 port
    printf '  %-5s %8s %9s %8s %8s %9s %8s %14s %14s %7s\n' node put_ms peer_post rtt_ms fsync_ms fsyncs/w \
        apply_ms apply_task/wait persist_task/wait gc_ms
    for port in "${PORTS[@]}"; do
        local a="$LOG_DIR/latency-$tag_a-$port.prom" b="$LOG_DIR/latency-$tag_b-$port.prom"
        local put_s put_c post_s post_c rtt_s rtt_c fs_s fs_c ap_s ap_c apu_s apu_c apq_s apq_c peu_s peu_c peq_s peq_c gc_s
        put_s=$(delta "$a" "$b" '^vertx_http_server_response_time_seconds_sum.*method="PUT".*route="/v1/kv/"')
        put_c=$(delta "$a" "$b" '^vertx_http_server_response_time_seconds_count.*method="PUT".*route="/v1/kv/"')
        post_s=$(delta "$a" "$b" '^vertx_http_server_response_time_seconds_sum.*route="/raft/messages"')
        post_c=$(delta "$a" "$b" '^vertx_http_server_response_time_seconds_count.*route="/raft/messages"')
        rtt_s=$(delta "$a" "$b" '^rafty_peer_round_trip_time_seconds_sum')
        rtt_c=$(delta "$a" "$b" '^rafty_peer_round_trip_time_seconds_count')
        fs_s=$(delta "$a" "$b" '^rafty_wal_fsync_duration_seconds_sum')
        fs_c=$(delta "$a" "$b" '^rafty_wal_fsync_duration_seconds_count')
        ap_s=$(delta "$a" "$b" '^rafty_apply_duration_seconds_sum')
        ap_c=$(delta "$a" "$b" '^rafty_apply_duration_seconds_count')
        apu_s=$(delta "$a" "$b" '^vertx_pool_usage_seconds_sum.*pool_name="rafty-apply-')
        apu_c=$(delta "$a" "$b" '^vertx_pool_usage_seconds_count.*pool_name="rafty-apply-')
        apq_s=$(delta "$a" "$b" '^vertx_pool_queue_time_seconds_sum.*pool_name="rafty-apply-')
        apq_c=$(delta "$a" "$b" '^vertx_pool_queue_time_seconds_count.*pool_name="rafty-apply-')
        peu_s=$(delta "$a" "$b" '^vertx_pool_usage_seconds_sum.*pool_name="rafty-persist-')
        peu_c=$(delta "$a" "$b" '^vertx_pool_usage_seconds_count.*pool_name="rafty-persist-')
        peq_s=$(delta "$a" "$b" '^vertx_pool_queue_time_seconds_sum.*pool_name="rafty-persist-')
        peq_c=$(delta "$a" "$b" '^vertx_pool_queue_time_seconds_count.*pool_name="rafty-persist-')
        gc_s=$(delta "$a" "$b" '^jvm_gc_pause_seconds_sum')
        printf '  %-5s %8s %9s %8s %8s %9s %8s %14s %14s %7s\n' "$port" \
            "$(mean "$put_s" "$put_c" 1000)" "$(mean "$post_s" "$post_c" 1000)" "$(mean "$rtt_s" "$rtt_c" 1000)" \
            "$(mean "$fs_s" "$fs_c" 1000)" "$(mean "$fs_c" "$writes" 1)" "$(mean "$ap_s" "$ap_c" 1000)" \
            "$(mean "$apu_s" "$apu_c" 1000)/$(mean "$apq_s" "$apq_c" 1000)" \
            "$(mean "$peu_s" "$peu_c" 1000)/$(mean "$peq_s" "$peq_c" 1000)" \
            "$(awk -v s="$gc_s" 'BEGIN { printf "%.1f", s * 1000 }')"
    done
}
run() { # run NAME PORT
    local name=$1 port=$2 log="$LOG_DIR/latency-$1.txt" result writes
    scrape "$name-before"
    bench --endpoints "http://127.0.0.1:$port" --workload put --clients 1 --duration "${SECS}s" --warmup 3s \
        --no-preload >"$log" 2>&1 || true
    scrape "$name-after"
    result=$(grep '^RESULT' "$log" || echo "RESULT (none; see $log)")
    echo "$name (client on $port): $result"
    # Every write is one PUT on the node the client talks to; the run's writes include the generator's warm-up.
    writes=$(delta "$LOG_DIR/latency-$name-before-$port.prom" "$LOG_DIR/latency-$name-after-$port.prom" \
        '^vertx_http_server_response_time_seconds_count.*method="PUT".*route="/v1/kv/"')
    report "$name-before" "$name-after" "$writes"
}
leader=$(leader_port) || { echo "bench-latency: no leader" >&2; exit 1; }
follower=$(for port in "${PORTS[@]}"; do [[ $port == "$leader" ]] || { echo "$port"; break; }; done)
echo "one-client write latency: leader on $leader, follower $follower, ${SECS}s each, load=$(cut -d' ' -f1 /proc/loadavg)"
run leader "$leader"
run follower "$follower"
