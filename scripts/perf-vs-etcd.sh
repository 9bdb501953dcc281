#!/usr/bin/env bash
# Rafty beside its two peers, in one run and with one load generator (rafty.jar bench): etcd 3.4 and
# ZooKeeper 3.8, each a local three-member cluster on loopback, each fsyncing every commit by default.
#
#   etcd       scripts/etcd-cluster.sh; through its HTTP/JSON gateway (--target etcd) and its v3 gRPC
#              API (--target etcd-grpc), client ports 2379, 22379, 32379
#   Rafty      ./run-cluster.sh; its HTTP API (--target rafty, ports 3001-3003) and its etcd v3 gRPC API
#              (--target etcd-grpc) on 2379, 22379, 32379 -- the same ports as etcd's, so the two never
#              run together: each system is started, measured and stopped before the next one starts
#   ZooKeeper  scripts/zk-cluster.sh; ZooKeeper's own client (--target zookeeper), ports 2181-2183
#
# For each system, in the order of SYSTEMS: clean (its data from an earlier run is deleted), start,
# JIT_WARMUP seconds of 64-client mixed load through the first interface (it also writes every key;
# every one of the three is a JVM or a Go runtime fresh from its start), then that interface's runs; then
# SECOND_WARMUP seconds (default: JIT_WARMUP) of the same load through the second interface and its runs,
# so each interface is measured right after its own warm-up. The runs, per interface: CLIENTS-client
# writes, CLIENTS-client linearizable reads (for ZooKeeper sync+getData, and also the plain getData, which
# is only sequentially consistent and reported apart as stale), and 1-client writes, each DURATION seconds
# measured after WARMUP seconds of the generator's warm-up; VALUE_SIZE-byte values over the same KEYS keys
# for all. Then the system is stopped. Until 2026-12-04 the second interface got a third of JIT_WARMUP,
# before the first one's runs: Rafty's etcd gRPC path, a separate body of code in the nodes, was then
# still being compiled when it was measured (its 30 s warm-up ran at ~800 mixed ops/s and its 64-client
# writes at 1 766/s; measured right after a 60 s warm-up of its own, 3 762/s; BENCHMARKS.md, issue 19).
# The generator is a fresh JVM per run, and its own JIT compiles for about its first ten seconds: with
# a 3 s warm-up it spent ~2.7 CPU seconds compiling inside a 10 s run on this 2-core machine, CPU the
# system under test lacked (Rafty's 64-client writes: 5 753-7 182/s after 3 s, 8 099-8 166/s after 12 s,
# one cluster, interleaved). Hence WARMUP's default of 12 s.
#
# Prints one table: ops/s, p50 and p99 per system, interface and workload, and the ratios Rafty/etcd
# (HTTP against etcd's gateway, gRPC against etcd's gRPC) and Rafty/ZooKeeper for writes, linearizable
# reads and the 1-client write p50. Everything it prints, and every bench run's whole output, goes to
# target/bench-logs/perf-vs-etcd-<timestamp>.txt.
#
#   scripts/perf-vs-etcd.sh                         # 30 s JIT warm-ups, 10 s runs after 12 s: ~13 minutes
#   QUICK=1 scripts/perf-vs-etcd.sh                 # everything short, about 2 minutes: a smoke test, not figures
#   SYSTEMS="rafty zookeeper" DURATION=20 scripts/perf-vs-etcd.sh
#
# Knobs (environment): DURATION, WARMUP, JIT_WARMUP, SECOND_WARMUP (seconds), CLIENTS (default 64), KEYS (default 1000),
# VALUE_SIZE (default 256), SYSTEMS (default "etcd rafty zookeeper"), QUICK=1, JAVA.
#
# It refuses to start while any of those ports is taken (a cluster someone else started is not cleaned
# away), and on exit, failed or not, it stops every cluster it started, through each one's own script,
# which signals only the processes named in its pid files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    DURATION=${DURATION:-2}
    WARMUP=${WARMUP:-1}
    JIT_WARMUP=${JIT_WARMUP:-4}
else
    DURATION=${DURATION:-10}
    WARMUP=${WARMUP:-12}
    JIT_WARMUP=${JIT_WARMUP:-30}
fi
SECOND_WARMUP=${SECOND_WARMUP:-$JIT_WARMUP}
CLIENTS=${CLIENTS:-64}
KEYS=${KEYS:-1000}
VALUE_SIZE=${VALUE_SIZE:-256}
SYSTEMS=${SYSTEMS:-etcd rafty zookeeper}
JAVA=${JAVA:-java}
readonly JAR=target/rafty.jar
# conf/node{1,2,3}.json, as ./run-cluster.sh starts them (after its clean: no TLS, no auth).
readonly RAFTY_ENDPOINTS=http://127.0.0.1:3001,http://127.0.0.1:3002,http://127.0.0.1:3003
readonly ETCD_ENDPOINTS=http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379
# Every port of the three clusters: Rafty's HTTP, the etcd client ports (Rafty's etcd API too), etcd's
# peer ports, ZooKeeper's client, quorum and election ports.
readonly PORTS=(3001 3002 3003 2379 22379 32379 2380 22380 32380 2181 2182 2183 2888 2889 2890 3888 3889 3890)

die() {
    echo "perf-vs-etcd: $*" >&2
    exit 1
}

for name in DURATION WARMUP JIT_WARMUP SECOND_WARMUP CLIENTS KEYS VALUE_SIZE; do
    [[ ${!name} =~ ^[0-9]+$ ]] || die "$name must be a whole number, was '${!name}'"
done
((DURATION > 0)) || die "DURATION must be at least 1"
((CLIENTS > 0 && KEYS > 0)) || die "CLIENTS and KEYS must be at least 1"
for system in $SYSTEMS; do
    [[ $system == etcd || $system == rafty || $system == zookeeper ]] \
        || die "SYSTEMS may name etcd, rafty and zookeeper, not '$system'"
done
command -v "$JAVA" >/dev/null 2>&1 || die "$JAVA not found; install a Java 17+ runtime or set JAVA"

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

for port in "${PORTS[@]}"; do
    if port_in_use "$port"; then
        die "port $port on 127.0.0.1 is in use: a cluster is running (./run-cluster.sh status," \
            "scripts/etcd-cluster.sh status, scripts/zk-cluster.sh status); stop it first, since this script" \
            "cleans and restarts all three"
    fi
done

if [[ ! -f $JAR ]]; then
    echo "building $JAR ..."
    ./mvnw -B -q -DskipTests package
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p target/bench-logs
log=target/bench-logs/perf-vs-etcd-$stamp.txt
exec > >(tee -a "$log") 2>&1
# The screen-and-log stream, kept for the exit trap: a signal may land while a command's output is
# redirected elsewhere, and the trap runs in that command's redirections.
exec 3>&1

# The clusters this run started and has not stopped yet; the trap stops them whatever happens.
running=()

stop_system() {
    case $1 in
        etcd) scripts/etcd-cluster.sh stop ;;
        rafty) ./run-cluster.sh stop ;;
        zookeeper) scripts/zk-cluster.sh stop ;;
    esac
}

stop_running() {
    local system
    for system in ${running[@]+"${running[@]}"}; do
        stop_system "$system" || echo "perf-vs-etcd: stopping $system failed" >&2
    done
    running=()
}

on_exit() {
    local code=$?
    {
        stop_running
        echo "full log: $log"
    } >&3 2>&3
    exit "$code"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_system() {
    case $1 in
        etcd) scripts/etcd-cluster.sh clean && scripts/etcd-cluster.sh start ;;
        rafty) ./run-cluster.sh clean && ./run-cluster.sh start ;;
        zookeeper) scripts/zk-cluster.sh clean && scripts/zk-cluster.sh start ;;
    esac
}

# Results by "system/interface/workload": ops/s, p50, p99, errors.
declare -A OPS=() P50=() P99=() ERRORS=()
rows=()

field() {
    sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

# bench KEY ARGS...: one bench run; its whole output goes to the log file only, its RESULT line (or a
# note that there was none) to the screen too, and its figures into the table under KEY.
bench() {
    local key=$1 output line
    shift
    output=$(mktemp "${TMPDIR:-/tmp}/perf-vs-etcd.XXXXXX")
    echo "--- $key: load $(cut -d' ' -f1 /proc/loadavg), bench $*" >>"$log"
    "$JAVA" -jar "$JAR" bench --keys "$KEYS" --value-size "$VALUE_SIZE" "$@" >"$output" 2>&1 || true
    cat "$output" >>"$log"
    line=$(grep '^RESULT' "$output" | tail -n 1 || true)
    rm -f "$output"
    if [[ -z $line ]]; then
        printf '%-36s no RESULT line; see %s\n' "$key" "$log"
        return 0
    fi
    printf '%-36s %s\n' "$key" "$line"
    OPS[$key]=$(field ops_per_s "$line")
    P50[$key]=$(field p50_ms "$line")
    P99[$key]=$(field p99_ms "$line")
    ERRORS[$key]=$(field errors "$line")
}

# measure SYSTEM INTERFACE ARGS...: the measured workloads of one interface (ARGS: target and endpoints).
measure() {
    local system=$1 interface=$2
    shift 2
    local run=(--duration "${DURATION}s" --warmup "${WARMUP}s" --no-preload)
    bench "$system/$interface/put-$CLIENTS" "$@" --workload put --clients "$CLIENTS" "${run[@]}"
    bench "$system/$interface/lin-get-$CLIENTS" "$@" --workload get --clients "$CLIENTS" "${run[@]}"
    rows+=("$system/$interface/put-$CLIENTS" "$system/$interface/lin-get-$CLIENTS")
    if [[ $system == zookeeper ]]; then
        bench "$system/$interface/stale-get-$CLIENTS" "$@" --workload get --stale --clients "$CLIENTS" "${run[@]}"
        rows+=("$system/$interface/stale-get-$CLIENTS")
    fi
    bench "$system/$interface/put-1" "$@" --workload put --clients 1 "${run[@]}"
    rows+=("$system/$interface/put-1")
}

# warm SYSTEM INTERFACE SECONDS ARGS...: mixed load at 64 clients, which also writes every key first.
warm() {
    local system=$1 interface=$2 seconds=$3
    shift 3
    ((seconds > 0)) || seconds=1
    echo "$system: warm-up through $interface, ${seconds}s of mixed load at 64 clients"
    bench "$system/$interface/jit-warmup" "$@" --workload mixed --clients 64 --duration "${seconds}s"
}

echo "perf-vs-etcd $stamp: systems '$SYSTEMS'; $CLIENTS clients, $KEYS keys, $VALUE_SIZE-byte values;" \
    "JIT warm-up ${JIT_WARMUP}s (second interface ${SECOND_WARMUP}s), runs ${DURATION}s after ${WARMUP}s$([[ $QUICK == 1 ]] && echo ' (QUICK: a smoke test, not figures)')"
echo "machine: $(nproc) cores, $(uptime)"
echo "java: $("$JAVA" -version 2>&1 | sed -n 1p); etcd: $(etcd --version 2>/dev/null | sed -n 's/^etcd Version: *//p');" \
    "zookeeper: $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo unknown) (Debian)"

for system in $SYSTEMS; do
    echo
    echo "=== $system: clean start ($(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1 /proc/loadavg))"
    running+=("$system")
    if ! start_system "$system"; then
        echo "perf-vs-etcd: $system did not start; its rows stay empty" >&2
        stop_running
        continue
    fi
    case $system in
        etcd)
            warm etcd http-gateway "$JIT_WARMUP" --target etcd --endpoints "$ETCD_ENDPOINTS"
            measure etcd http-gateway --target etcd --endpoints "$ETCD_ENDPOINTS"
            warm etcd grpc "$SECOND_WARMUP" --target etcd-grpc --endpoints "$ETCD_ENDPOINTS"
            measure etcd grpc --target etcd-grpc --endpoints "$ETCD_ENDPOINTS"
            ;;
        rafty)
            warm rafty http "$JIT_WARMUP" --target rafty --endpoints "$RAFTY_ENDPOINTS"
            measure rafty http --target rafty --endpoints "$RAFTY_ENDPOINTS"
            warm rafty etcd-grpc "$SECOND_WARMUP" --target etcd-grpc --endpoints "$ETCD_ENDPOINTS"
            measure rafty etcd-grpc --target etcd-grpc --endpoints "$ETCD_ENDPOINTS"
            ;;
        zookeeper)
            zk_endpoints=$(scripts/zk-cluster.sh endpoints)
            warm zookeeper client "$JIT_WARMUP" --target zookeeper --endpoints "$zk_endpoints"
            measure zookeeper client --target zookeeper --endpoints "$zk_endpoints"
            ;;
    esac
    stop_running
done

# ratio A B: A/B with two decimals, or "-" when either is missing or zero.
ratio() {
    awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'
}

echo
echo "machine after: $(uptime)"
echo
echo "SUMMARY perf-vs-etcd $stamp: $CLIENTS clients unless the row says 1 client; ${DURATION}s runs after ${WARMUP}s;" \
    "$VALUE_SIZE-byte values, $KEYS keys$([[ $QUICK == 1 ]] && echo '; QUICK: a smoke test, not figures')"
printf '%-10s %-13s %-38s %10s %9s %9s %7s\n' system interface workload ops/s p50_ms p99_ms errors
for key in "${rows[@]}"; do
    IFS=/ read -r system interface workload <<<"$key"
    case $workload in
        put-1) what="put, 1 client" ;;
        put-*) what="put" ;;
        lin-get-*) what=$([[ $system == zookeeper ]] && echo "linearizable get (sync+getData)" || echo "linearizable get") ;;
        stale-get-*) what="STALE get (getData, seq. consistent)" ;;
    esac
    printf '%-10s %-13s %-38s %10s %9s %9s %7s\n' "$system" "$interface" "$what" "${OPS[$key]:--}" \
        "${P50[$key]:--}" "${P99[$key]:--}" "${ERRORS[$key]:--}"
done

echo
echo "RATIOS Rafty/peer (throughput: above 1 is Rafty faster; 1-client p50: below 1 is Rafty faster)"
printf '%-30s %-15s %-15s %-15s %-15s\n' "" "http/etcd-gw" "grpc/etcd-grpc" "http/zk" "grpc/zk"
w=put-$CLIENTS
r=lin-get-$CLIENTS
printf '%-30s %-15s %-15s %-15s %-15s\n' "writes ops/s, $CLIENTS clients" \
    "$(ratio "${OPS[rafty/http/$w]:-}" "${OPS[etcd/http-gateway/$w]:-}")" \
    "$(ratio "${OPS[rafty/etcd-grpc/$w]:-}" "${OPS[etcd/grpc/$w]:-}")" \
    "$(ratio "${OPS[rafty/http/$w]:-}" "${OPS[zookeeper/client/$w]:-}")" \
    "$(ratio "${OPS[rafty/etcd-grpc/$w]:-}" "${OPS[zookeeper/client/$w]:-}")"
printf '%-30s %-15s %-15s %-15s %-15s\n' "lin reads ops/s, $CLIENTS clients" \
    "$(ratio "${OPS[rafty/http/$r]:-}" "${OPS[etcd/http-gateway/$r]:-}")" \
    "$(ratio "${OPS[rafty/etcd-grpc/$r]:-}" "${OPS[etcd/grpc/$r]:-}")" \
    "$(ratio "${OPS[rafty/http/$r]:-}" "${OPS[zookeeper/client/$r]:-}")" \
    "$(ratio "${OPS[rafty/etcd-grpc/$r]:-}" "${OPS[zookeeper/client/$r]:-}")"
printf '%-30s %-15s %-15s %-15s %-15s\n' "writes p50, 1 client" \
    "$(ratio "${P50[rafty/http/put-1]:-}" "${P50[etcd/http-gateway/put-1]:-}")" \
    "$(ratio "${P50[rafty/etcd-grpc/put-1]:-}" "${P50[etcd/grpc/put-1]:-}")" \
    "$(ratio "${P50[rafty/http/put-1]:-}" "${P50[zookeeper/client/put-1]:-}")" \
    "$(ratio "${P50[rafty/etcd-grpc/put-1]:-}" "${P50[zookeeper/client/put-1]:-}")"
echo "(ZooKeeper's lin reads are sync+getData; its stale getData row is not in any ratio.)"
