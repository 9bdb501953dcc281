#!/usr/bin/env bash
# Runs a local three-member etcd 3.4 cluster on loopback, the peer reference for the benchmarks
# (BENCHMARKS.md, "etcd 3.4 reference"). Nothing is installed here: etcd comes from the Debian package
# etcd-server. The members keep etcd's defaults otherwise, so every write is fsynced as etcd does out
# of the box; clients talk to the v3 HTTP/JSON gateway, which etcd 3.4 serves on the client port.
#
#   member  client                   peer                     data             log              pid
#   etcd1   http://127.0.0.1:2379    http://127.0.0.1:2380    data/etcd/etcd1  logs/etcd1.log   data/etcd1.pid
#   etcd2   http://127.0.0.1:22379   http://127.0.0.1:22380   data/etcd/etcd2  logs/etcd2.log   data/etcd2.pid
#   etcd3   http://127.0.0.1:32379   http://127.0.0.1:32380   data/etcd/etcd3  logs/etcd3.log   data/etcd3.pid
#
# Only processes named in those pid files, and whose command line is still etcd, are ever signalled.
# Usage: scripts/etcd-cluster.sh start|stop|status|clean|endpoints
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly MEMBERS=(1 2 3)
readonly CLIENT_PORTS=(2379 22379 32379)
readonly PEER_PORTS=(2380 22380 32380)
readonly HOST=127.0.0.1
readonly DATA_DIR=data/etcd
readonly PID_DIR=data
readonly LOG_DIR=logs
readonly CLUSTER_TOKEN=rafty-bench-etcd
# Bounded waits, in seconds; override from the environment when a machine is slow.
readonly START_TIMEOUT_S=${ETCD_START_TIMEOUT_S:-30}
readonly STOP_TIMEOUT_S=${ETCD_STOP_TIMEOUT_S:-15}
readonly ETCD=${ETCD:-etcd}
# A range of the key "x" (base64 "eA=="): linearizable, so it answers only once the cluster has a leader.
readonly PROBE_BODY='{"key":"eA=="}'

die() {
    echo "etcd-cluster: $*" >&2
    exit 1
}

have() {
    command -v "$1" >/dev/null 2>&1
}

client_url() {
    echo "http://$HOST:${CLIENT_PORTS[$(($1 - 1))]}"
}

peer_url() {
    echo "http://$HOST:${PEER_PORTS[$(($1 - 1))]}"
}

pid_file() {
    echo "$PID_DIR/etcd$1.pid"
}

endpoints() {
    local n list=""
    for n in "${MEMBERS[@]}"; do
        list="${list:+$list,}$(client_url "$n")"
    done
    echo "$list"
}

initial_cluster() {
    local n list=""
    for n in "${MEMBERS[@]}"; do
        list="${list:+$list,}etcd$n=$(peer_url "$n")"
    done
    echo "$list"
}

# Succeeds when pid is a live etcd process, so a recycled pid is never signalled.
is_etcd() {
    local pid=$1 args
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    [[ $args == *etcd*--name* ]]
}

# Prints the pid of member N if its pid file names a live etcd process.
live_pid() {
    local file pid
    file=$(pid_file "$1")
    [[ -f $file ]] || return 1
    pid=$(tr -dc '0-9' <"$file")
    is_etcd "$pid" || return 1
    echo "$pid"
}

port_in_use() {
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# Succeeds when member N answers a linearizable range through the gateway with a response header.
answers() {
    local body
    body=$(curl -s --connect-timeout 1 --max-time 2 -X POST "$(client_url "$1")/v3/kv/range" -d "$PROBE_BODY" \
        2>/dev/null) || return 1
    [[ $body == *'"header"'* ]]
}

# Checks that etcd and curl are present and says which etcd this is; warns when it is not 3.4.
check_tools() {
    have "$ETCD" || die "$ETCD not found; install etcd 3.4 with: sudo apt-get install -y etcd-server"
    have curl || die "curl not found; it is needed to probe the members (sudo apt-get install -y curl)"
    local version
    version=$("$ETCD" --version 2>/dev/null | sed -n 's/^etcd Version: *//p')
    echo "etcd $version ($(command -v "$ETCD"))"
    if [[ $version != 3.4.* ]]; then
        echo "etcd-cluster: warning: the reference is etcd 3.4; this is '$version'" >&2
    fi
}

show_log_tails() {
    local n
    for n in "${MEMBERS[@]}"; do
        echo "--- $LOG_DIR/etcd$n.log (last 20 lines) ---" >&2
        tail -n 20 "$LOG_DIR/etcd$n.log" >&2 2>/dev/null || echo "(no log)" >&2
    done
}

start_member() {
    local n=$1 pid log
    log=$LOG_DIR/etcd$n.log
    if pid=$(live_pid "$n"); then
        echo "etcd$n: already running (pid $pid), not starting it again"
        return 0
    fi
    echo "=== $(date '+%Y-%m-%d %H:%M:%S') etcd-cluster.sh: starting etcd$n ===" >>"$log"
    # --initial-cluster-state new is ignored once the data directory exists, so a restart keeps the data.
    nohup "$ETCD" --name "etcd$n" --data-dir "$DATA_DIR/etcd$n" \
        --listen-client-urls "$(client_url "$n")" --advertise-client-urls "$(client_url "$n")" \
        --listen-peer-urls "$(peer_url "$n")" --initial-advertise-peer-urls "$(peer_url "$n")" \
        --initial-cluster "$(initial_cluster)" --initial-cluster-token "$CLUSTER_TOKEN" \
        --initial-cluster-state new --logger zap --log-outputs stderr >>"$log" 2>&1 </dev/null &
    echo "$!" >"$(pid_file "$n")"
    echo "etcd$n: started (pid $!), client $(client_url "$n"), peer $(peer_url "$n"), log $log"
}

cmd_start() {
    check_tools
    mkdir -p "$DATA_DIR" "$PID_DIR" "$LOG_DIR"
    local n port
    for n in "${MEMBERS[@]}"; do
        live_pid "$n" >/dev/null && continue
        for port in "${CLIENT_PORTS[$((n - 1))]}" "${PEER_PORTS[$((n - 1))]}"; do
            if port_in_use "$port"; then
                die "etcd$n: port $port on $HOST is in use by a process this script did not start" \
                    "(the Debian package's own etcd.service? sudo systemctl disable --now etcd)"
            fi
        done
    done
    for n in "${MEMBERS[@]}"; do
        start_member "$n"
    done
    echo "waiting up to ${START_TIMEOUT_S}s for every member to answer a linearizable range ..."
    local deadline=$((SECONDS + START_TIMEOUT_S)) ready
    while ((SECONDS < deadline)); do
        ready=1
        for n in "${MEMBERS[@]}"; do
            if ! live_pid "$n" >/dev/null; then
                echo "etcd-cluster: etcd$n exited during startup (see scripts/etcd-cluster.sh stop)" >&2
                show_log_tails
                exit 1
            fi
            answers "$n" || ready=0
        done
        if ((ready)); then
            echo "etcd cluster is up: $(endpoints)"
            echo "try:"
            echo "  java -jar target/rafty.jar bench --target etcd --endpoints $(endpoints) --workload put --clients 1 --duration 3s"
            return 0
        fi
        sleep 0.5
    done
    echo "etcd-cluster: no answer from every member after ${START_TIMEOUT_S}s (they are still running;" \
        "see scripts/etcd-cluster.sh stop)" >&2
    show_log_tails
    exit 1
}

cmd_stop() {
    local n pid pids=() names=()
    for n in "${MEMBERS[@]}"; do
        if pid=$(live_pid "$n"); then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
            names+=("etcd$n")
            echo "etcd$n: stopping (pid $pid)"
        elif [[ -f $(pid_file "$n") ]]; then
            echo "etcd$n: not running (stale pid file removed)"
            rm -f "$(pid_file "$n")"
        else
            echo "etcd$n: not running"
        fi
    done
    local deadline=$((SECONDS + STOP_TIMEOUT_S)) i alive
    while ((${#pids[@]} > 0 && SECONDS < deadline)); do
        alive=0
        for i in "${!pids[@]}"; do
            is_etcd "${pids[$i]}" && alive=1
        done
        ((alive)) || break
        sleep 0.2
    done
    for i in "${!pids[@]}"; do
        if is_etcd "${pids[$i]}"; then
            echo "${names[$i]}: still running after ${STOP_TIMEOUT_S}s, sending SIGKILL"
            kill -KILL "${pids[$i]}" 2>/dev/null || true
        fi
    done
    for n in "${MEMBERS[@]}"; do
        if [[ -f $(pid_file "$n") ]] && ! live_pid "$n" >/dev/null; then
            rm -f "$(pid_file "$n")"
        fi
    done
}

cmd_status() {
    local n pid all_up=0
    for n in "${MEMBERS[@]}"; do
        if pid=$(live_pid "$n") && answers "$n"; then
            echo "etcd$n  $(client_url "$n")  up (pid $pid)"
        elif [[ -n ${pid:-} ]]; then
            echo "etcd$n  $(client_url "$n")  running (pid $pid) but not answering"
            all_up=1
        else
            echo "etcd$n  $(client_url "$n")  down"
            all_up=1
        fi
        pid=""
    done
    return "$all_up"
}

cmd_clean() {
    cmd_stop
    local n
    rm -rf "$DATA_DIR"
    for n in "${MEMBERS[@]}"; do
        rm -f "$LOG_DIR/etcd$n.log"
    done
    echo "removed $DATA_DIR/ and $LOG_DIR/etcd{1,2,3}.log"
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    clean) cmd_clean ;;
    endpoints) endpoints ;;
    *)
        echo "usage: scripts/etcd-cluster.sh start|stop|status|clean|endpoints" >&2
        exit 2
        ;;
esac
