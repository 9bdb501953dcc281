#!/usr/bin/env bash
# Rafty's etcd v3 gRPC API against etcd 3.4 itself, in one run, with one generator speaking the same gRPC
# calls to both (bench --target etcd-grpc: KV.Put, and KV.Range of one key, linearizable).
#
# Starts its own three-member etcd (Debian's etcd-server, defaults: every commit fsynced) and its own
# three-node Rafty from target/rafty.jar, both on loopback and on ports of their own, with their data in
# one temporary directory on the same file system, so it needs neither scripts/etcd-cluster.sh,
# run-cluster.sh, data/ nor ports 2379 and 3001:
#
#   etcd   client ETCD_BASE_PORT, +2, +4   (default 4379, 4381, 4383; peers one above each)
#   Rafty  HTTP   RAFTY_BASE_PORT, +1, +2  (default 3111-3113); etcd API RAFTY_ETCD_BASE_PORT, +1, +2 (3121-3123)
#
# Both clusters stay up for the whole run. Rafty's JIT is warmed first (JIT_WARMUP seconds of mixed gRPC
# load, which also writes every key), etcd gets ETCD_WARMUP seconds of the same. Then ROUNDS rounds; each
# runs put and linearizable range, SECONDS_PER_RUN seconds after a 5 s generator warm-up, against both
# clusters, the order of the two clusters swapping every round so that a neighbour's load falls on both.
# Clients are spread over the three members of each. Prints one line per run (RESULT is the bench tool's
# own line), then per workload the mean ops/s and median p50/p99 of each and the Rafty/etcd ratios.
# With HTTP_CONTROL=1 each round also runs the same two workloads against Rafty's own HTTP API (the
# rafty target, same nodes): a control that tells the gRPC path's cost apart from the machine's state.
#
#   scripts/bench-etcd-grpc.sh                                   # 3 rounds, 60 s JIT warm-up, 10 s runs, 64 clients
#   ROUNDS=1 JIT_WARMUP=3 ETCD_WARMUP=1 SECONDS_PER_RUN=2 scripts/bench-etcd-grpc.sh   # a smoke test of the script
#
# Only the processes it started are stopped, by their pids. Full bench outputs are kept in
# target/bench-logs/etcd-grpc-*.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${ROUNDS:-3}
JIT_WARMUP=${JIT_WARMUP:-60}
ETCD_WARMUP=${ETCD_WARMUP:-10}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CLIENTS=${CLIENTS:-64}
HTTP_CONTROL=${HTTP_CONTROL:-0}
KEYS=${KEYS:-1000}
VALUE_SIZE=${VALUE_SIZE:-256}
ETCD_BASE_PORT=${ETCD_BASE_PORT:-4379}
RAFTY_BASE_PORT=${RAFTY_BASE_PORT:-3111}
RAFTY_ETCD_BASE_PORT=${RAFTY_ETCD_BASE_PORT:-3121}
START_TIMEOUT_S=${START_TIMEOUT_S:-30}
JAVA=${JAVA:-java}
ETCD=${ETCD:-etcd}

die() {
    echo "bench-etcd-grpc: $*" >&2
    exit 1
}

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive whole number, was '$ROUNDS'"
for n in JIT_WARMUP ETCD_WARMUP SECONDS_PER_RUN CLIENTS KEYS VALUE_SIZE; do
    [[ ${!n} =~ ^[0-9]+$ ]] || die "$n must be a whole number, was '${!n}'"
done
command -v "$ETCD" >/dev/null 2>&1 || die "$ETCD not found; install etcd 3.4: sudo apt-get install -y etcd-server"
command -v curl >/dev/null 2>&1 || die "curl not found (sudo apt-get install -y curl)"
[[ -f target/rafty.jar ]] || ./mvnw -B -q -DskipTests package

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

etcd_client_port() { echo $((ETCD_BASE_PORT + 2 * ($1 - 1))); }
etcd_peer_port() { echo $((ETCD_BASE_PORT + 2 * ($1 - 1) + 1)); }
rafty_port() { echo $((RAFTY_BASE_PORT + $1 - 1)); }
rafty_etcd_port() { echo $((RAFTY_ETCD_BASE_PORT + $1 - 1)); }

for id in 1 2 3; do
    for port in "$(etcd_client_port "$id")" "$(etcd_peer_port "$id")" "$(rafty_port "$id")" "$(rafty_etcd_port "$id")"; do
        if port_in_use "$port"; then
            die "port $port on 127.0.0.1 is in use; set ETCD_BASE_PORT / RAFTY_BASE_PORT / RAFTY_ETCD_BASE_PORT"
        fi
    done
done

work=$(mktemp -d "${TMPDIR:-/tmp}/rafty-bench-etcd-grpc.XXXXXX")
logs=target/bench-logs
mkdir -p "$logs"
pids=()

cleanup() {
    local pid
    for pid in ${pids[@]+"${pids[@]}"}; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in ${pids[@]+"${pids[@]}"}; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

etcd_endpoints="http://127.0.0.1:$(etcd_client_port 1),http://127.0.0.1:$(etcd_client_port 2),http://127.0.0.1:$(etcd_client_port 3)"
rafty_endpoints="http://127.0.0.1:$(rafty_etcd_port 1),http://127.0.0.1:$(rafty_etcd_port 2),http://127.0.0.1:$(rafty_etcd_port 3)"

echo "machine before: $(uptime)"
echo "etcd: $("$ETCD" --version 2>/dev/null | sed -n 's/^etcd Version: *//p') ($(command -v "$ETCD")); java: $("$JAVA" -version 2>&1 | head -1)"

# etcd: three members with etcd's defaults, as scripts/etcd-cluster.sh starts them.
initial=""
for id in 1 2 3; do
    initial+="${initial:+,}etcd$id=http://127.0.0.1:$(etcd_peer_port "$id")"
done
for id in 1 2 3; do
    client="http://127.0.0.1:$(etcd_client_port "$id")"
    peer="http://127.0.0.1:$(etcd_peer_port "$id")"
    "$ETCD" --name "etcd$id" --data-dir "$work/etcd$id" --listen-client-urls "$client" --advertise-client-urls "$client" \
        --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "$initial" \
        --initial-cluster-token rafty-bench-etcd-grpc --initial-cluster-state new --logger zap --log-outputs stderr \
        >"$work/etcd$id.log" 2>&1 </dev/null &
    pids+=($!)
done

# Rafty: three nodes, each with its etcd API on a port of its own.
for id in 1 2 3; do
    peers=""
    for other in 1 2 3; do
        [[ $other == "$id" ]] || peers+="${peers:+;}$other@http://127.0.0.1:$(rafty_port "$other")"
    done
    env KVSTORE_ID="$id" KVSTORE_PORT="$(rafty_port "$id")" KVSTORE_ETCD_PORT="$(rafty_etcd_port "$id")" \
        KVSTORE_STORAGE_DIR="$work/rafty$id" KVSTORE_PEERS="$peers" \
        "$JAVA" -jar target/rafty.jar >"$work/rafty$id.log" 2>&1 </dev/null &
    pids+=($!)
done

# Every etcd member answers a linearizable range (through its gateway: curl speaks no gRPC), and a Rafty node names a leader.
deadline=$((SECONDS + START_TIMEOUT_S))
while true; do
    ready=1
    for id in 1 2 3; do
        curl -s --max-time 2 -X POST "http://127.0.0.1:$(etcd_client_port "$id")/v3/kv/range" -d '{"key":"eA=="}' \
            2>/dev/null | grep -q '"header"' || ready=0
    done
    curl -fsS --max-time 2 "http://127.0.0.1:$(rafty_port 1)/v1/status" 2>/dev/null | grep -q '"leaderId":[1-9]' || ready=0
    if ((ready)); then
        break
    fi
    if ((SECONDS >= deadline)); then
        tail -n 5 "$work"/*.log >&2 || true
        die "the clusters were not both up within ${START_TIMEOUT_S}s"
    fi
    sleep 0.5
done
echo "up: etcd $etcd_endpoints; Rafty etcd API $rafty_endpoints"

rafty_http_endpoints="http://127.0.0.1:$(rafty_port 1),http://127.0.0.1:$(rafty_port 2),http://127.0.0.1:$(rafty_port 3)"

# bench NAME ARGS...: one bench run (--target etcd-grpc unless ARGS name another), its whole output kept
# in target/bench-logs/etcd-grpc-NAME.txt.
bench() {
    local name=$1 target=(--target etcd-grpc)
    shift
    [[ " $* " == *" --target "* ]] && target=()
    "$JAVA" -jar target/rafty.jar bench ${target[@]+"${target[@]}"} --keys "$KEYS" --value-size "$VALUE_SIZE" \
        --clients "$CLIENTS" "$@" >"$logs/etcd-grpc-$name.txt" 2>&1 || true
    grep '^RESULT' "$logs/etcd-grpc-$name.txt" || echo "RESULT (no result: see $logs/etcd-grpc-$name.txt)"
}

# The warm-ups write every key first (their preload), so the measured ranges all find their key.
echo "warm-up: Rafty ${JIT_WARMUP}s (JIT), etcd ${ETCD_WARMUP}s, mixed put/range at $CLIENTS clients"
bench warmup-rafty --endpoints "$rafty_endpoints" --workload mixed --duration "$((JIT_WARMUP > 0 ? JIT_WARMUP : 1))s" >/dev/null
bench warmup-etcd --endpoints "$etcd_endpoints" --workload mixed --duration "$((ETCD_WARMUP > 0 ? ETCD_WARMUP : 1))s" >/dev/null

declare -A ops=() p50=() p99=()
for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2 == 1)); then order=(etcd rafty); else order=(rafty etcd); fi
    if [[ $HTTP_CONTROL == 1 ]]; then order+=(rafty-http); fi
    for target in "${order[@]}"; do
        case $target in
            etcd) endpoints=(--endpoints "$etcd_endpoints") ;;
            rafty) endpoints=(--endpoints "$rafty_endpoints") ;;
            rafty-http) endpoints=(--endpoints "$rafty_http_endpoints" --target rafty) ;;
        esac
        for workload in put get; do
            line=$(bench "$target-$workload-$round" "${endpoints[@]}" --workload "$workload" --no-preload \
                --duration "${SECONDS_PER_RUN}s" --warmup 5s)
            echo "round=$round target=$target load=$(cut -d' ' -f1 /proc/loadavg) $line"
            ops[$target-$workload]+="$(sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p' <<<"$line") "
            p50[$target-$workload]+="$(sed -n 's/.* p50_ms=\([0-9.]*\).*/\1/p' <<<"$line") "
            p99[$target-$workload]+="$(sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' <<<"$line") "
        done
    done
done

# mean / median of the numbers in $1 (a space-separated list; empty entries are runs without a result).
mean() { tr ' ' '\n' <<<"$1" | awk 'NF { s += $1; n++ } END { if (n) printf "%.0f", s / n; else printf "-" }'; }
median() {
    tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END {
        if (!NR) { printf "-"; exit } if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }

echo
echo "machine after: $(uptime)"
for workload in put get; do
    name=$([[ $workload == put ]] && echo "put" || echo "linearizable range")
    e_ops=$(mean "${ops[etcd-$workload]}")
    r_ops=$(mean "${ops[rafty-$workload]}")
    echo "SUMMARY $name, $CLIENTS clients, $ROUNDS rounds: etcd ops/s ${ops[etcd-$workload]}(mean $e_ops, p50 $(median "${p50[etcd-$workload]}") ms, p99 $(median "${p99[etcd-$workload]}") ms); Rafty ops/s ${ops[rafty-$workload]}(mean $r_ops, p50 $(median "${p50[rafty-$workload]}") ms, p99 $(median "${p99[rafty-$workload]}") ms); Rafty/etcd throughput $(ratio "$r_ops" "$e_ops"), p99 $(ratio "$(median "${p99[rafty-$workload]}")" "$(median "${p99[etcd-$workload]}")")"
    if [[ $HTTP_CONTROL == 1 ]]; then
        h_ops=$(mean "${ops[rafty-http-$workload]}")
        echo "CONTROL $name, Rafty's HTTP API: ops/s ${ops[rafty-http-$workload]}(mean $h_ops, p50 $(median "${p50[rafty-http-$workload]}") ms, p99 $(median "${p99[rafty-http-$workload]}") ms); Rafty gRPC/HTTP throughput $(ratio "$r_ops" "$h_ops")"
    fi
done
