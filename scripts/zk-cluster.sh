#!/usr/bin/env bash
# Runs a local three-server ZooKeeper 3.8 ensemble on loopback, the second peer reference for the
# benchmarks (bench --target zookeeper; scripts/perf-vs-etcd.sh). Nothing is installed here: ZooKeeper
# comes from the Debian packages zookeeper / libzookeeper-java (/usr/share/java/zookeeper.jar, whose
# manifest names its other jars), each server `java -cp ... org.apache.zookeeper.server.quorum.QuorumPeerMain
# data/zk/zkN.cfg`. The servers keep ZooKeeper's defaults where they matter for a fair comparison: in
# particular forceSync=yes (written out in each config), so that every transaction is fsynced to the
# log before it is acknowledged, as etcd and Rafty fsync every commit. What differs from the defaults:
# loopback addresses, no admin server (its Jetty would take port 8080), no per-address connection limit
# (every bench client is a session from 127.0.0.1), and the four-letter words srvr, ruok, mntr and stat
# allowed, which this script probes with.
#
#   server  client           quorum / election   data          config           log            pid
#   zk1     127.0.0.1:2181   2888 / 3888         data/zk/zk1   data/zk/zk1.cfg  logs/zk1.log   data/zk1.pid
#   zk2     127.0.0.1:2182   2889 / 3889         data/zk/zk2   data/zk/zk2.cfg  logs/zk2.log   data/zk2.pid
#   zk3     127.0.0.1:2183   2890 / 3890         data/zk/zk3   data/zk/zk3.cfg  logs/zk3.log   data/zk3.pid
#
# Only processes named in those pid files, and whose command line is still this script's QuorumPeerMain
# with that config, are ever signalled.
# Usage: scripts/zk-cluster.sh start|stop|status|clean|endpoints
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly SERVERS=(1 2 3)
readonly CLIENT_PORTS=(2181 2182 2183)
readonly QUORUM_PORTS=(2888 2889 2890)
readonly ELECTION_PORTS=(3888 3889 3890)
readonly HOST=127.0.0.1
readonly DATA_DIR=data/zk
readonly PID_DIR=data
readonly LOG_DIR=logs
# Bounded waits, in seconds; override from the environment when a machine is slow.
readonly START_TIMEOUT_S=${ZK_START_TIMEOUT_S:-45}
readonly STOP_TIMEOUT_S=${ZK_STOP_TIMEOUT_S:-15}
readonly JAVA=${JAVA:-java}
# Extra JVM options for every server, split on spaces, e.g. ZK_JAVA_OPTS="-Xmx512m".
read -r -a JAVA_OPTS <<<"${ZK_JAVA_OPTS:-}"
readonly ZK_JAR=${ZK_JAR:-/usr/share/java/zookeeper.jar}
# slf4j-simple matches the slf4j-api 1.7 that the Debian jar's manifest names: the servers log to
# stderr, which goes to logs/zkN.log. Without a binding they would log nothing.
readonly SLF4J_BINDING=${ZK_SLF4J_BINDING:-/usr/share/java/slf4j-simple.jar}
readonly MAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain

die() {
    echo "zk-cluster: $*" >&2
    exit 1
}

have() {
    command -v "$1" >/dev/null 2>&1
}

client_port() {
    echo "${CLIENT_PORTS[$(($1 - 1))]}"
}

config_file() {
    echo "$DATA_DIR/zk$1.cfg"
}

pid_file() {
    echo "$PID_DIR/zk$1.pid"
}

endpoints() {
    local n list=""
    for n in "${SERVERS[@]}"; do
        list="${list:+$list,}$HOST:$(client_port "$n")"
    done
    echo "$list"
}

# Succeeds when pid is a live QuorumPeerMain of server N's config, so a recycled pid is never signalled.
is_zk() {
    local pid=$1 n=$2 args
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    [[ $args == *"$MAIN"*"$(config_file "$n")"* ]]
}

# Prints the pid of server N if its pid file names a live server of this script.
live_pid() {
    local file pid
    file=$(pid_file "$1")
    [[ -f $file ]] || return 1
    pid=$(tr -dc '0-9' <"$file")
    is_zk "$pid" "$1" || return 1
    echo "$pid"
}

port_in_use() {
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# A four-letter word's answer from server N (empty when it does not answer within 2 s).
four_letter() {
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "%s" "$2" >&3 && cat <&3' "$HOST" "$(client_port "$1")" "$2" \
        2>/dev/null || true
}

# The server's role, "leader" or "follower", when it is serving; empty otherwise (a server outside a
# quorum answers srvr with "This ZooKeeper instance is not currently serving requests").
mode() {
    four_letter "$1" srvr | sed -n 's/^Mode: *//p'
}

check_tools() {
    have "$JAVA" || die "$JAVA not found; install a Java 17+ runtime or set JAVA"
    [[ -f $ZK_JAR ]] || die "$ZK_JAR not found; install ZooKeeper 3.8 with: sudo apt-get install -y zookeeper"
    [[ -f $SLF4J_BINDING ]] || die "$SLF4J_BINDING not found (sudo apt-get install -y libslf4j-java), or set ZK_SLF4J_BINDING"
    local version
    # org.apache.zookeeper.Version prints "3.8.0-<commit>, built on ..."; the binding keeps slf4j quiet.
    version=$(timeout 20 "$JAVA" -cp "$ZK_JAR:$SLF4J_BINDING" org.apache.zookeeper.Version 2>/dev/null \
        | sed -n '1s/^\([0-9][0-9.]*\).*/\1/p' || true)
    echo "zookeeper ${version:-(version unknown)} ($ZK_JAR)"
    if [[ -n $version && $version != 3.8.* ]]; then
        echo "zk-cluster: warning: the reference is ZooKeeper 3.8; this is '$version'" >&2
    fi
}

show_log_tails() {
    local n
    for n in "${SERVERS[@]}"; do
        echo "--- $LOG_DIR/zk$n.log (last 20 lines) ---" >&2
        tail -n 20 "$LOG_DIR/zk$n.log" >&2 2>/dev/null || echo "(no log)" >&2
    done
}

# Writes server N's config and myid (again on every start, so an edit here reaches old data directories).
write_config() {
    local n=$1 m dir
    dir=$DATA_DIR/zk$n
    mkdir -p "$dir"
    echo "$n" >"$dir/myid"
    {
        echo "# Written by scripts/zk-cluster.sh; rewritten on every start."
        echo "tickTime=2000"
        echo "initLimit=10"
        echo "syncLimit=5"
        echo "dataDir=$PWD/$dir"
        echo "clientPort=$(client_port "$n")"
        echo "clientPortAddress=$HOST"
        echo "# ZooKeeper's default, said aloud: every transaction is fsynced before it is acknowledged."
        echo "forceSync=yes"
        echo "maxClientCnxns=0"
        echo "admin.enableServer=false"
        echo "4lw.commands.whitelist=srvr,ruok,mntr,stat"
        echo "autopurge.snapRetainCount=3"
        echo "autopurge.purgeInterval=1"
        for m in "${SERVERS[@]}"; do
            echo "server.$m=$HOST:${QUORUM_PORTS[$((m - 1))]}:${ELECTION_PORTS[$((m - 1))]}"
        done
    } >"$(config_file "$n")"
}

start_server() {
    local n=$1 pid log
    log=$LOG_DIR/zk$n.log
    if pid=$(live_pid "$n"); then
        echo "zk$n: already running (pid $pid), not starting it again"
        return 0
    fi
    write_config "$n"
    echo "=== $(date '+%Y-%m-%d %H:%M:%S') zk-cluster.sh: starting zk$n ===" >>"$log"
    nohup "$JAVA" ${JAVA_OPTS[@]+"${JAVA_OPTS[@]}"} -cp "$ZK_JAR:$SLF4J_BINDING" "$MAIN" "$(config_file "$n")" \
        >>"$log" 2>&1 </dev/null &
    echo "$!" >"$(pid_file "$n")"
    echo "zk$n: started (pid $!), client $HOST:$(client_port "$n"), config $(config_file "$n"), log $log"
}

cmd_start() {
    check_tools
    mkdir -p "$DATA_DIR" "$PID_DIR" "$LOG_DIR"
    local n port
    for n in "${SERVERS[@]}"; do
        live_pid "$n" >/dev/null && continue
        for port in "$(client_port "$n")" "${QUORUM_PORTS[$((n - 1))]}" "${ELECTION_PORTS[$((n - 1))]}"; do
            if port_in_use "$port"; then
                die "zk$n: port $port on $HOST is in use by a process this script did not start" \
                    "(the Debian package's own zookeeper.service? sudo systemctl disable --now zookeeper)"
            fi
        done
    done
    for n in "${SERVERS[@]}"; do
        start_server "$n"
    done
    echo "waiting up to ${START_TIMEOUT_S}s for every server to serve as leader or follower ..."
    local deadline=$((SECONDS + START_TIMEOUT_S)) ready roles
    while ((SECONDS < deadline)); do
        ready=1
        roles=""
        for n in "${SERVERS[@]}"; do
            if ! live_pid "$n" >/dev/null; then
                echo "zk-cluster: zk$n exited during startup (see scripts/zk-cluster.sh stop)" >&2
                show_log_tails
                exit 1
            fi
            local role
            role=$(mode "$n")
            [[ $role == leader || $role == follower ]] || ready=0
            roles+=" zk$n=${role:-none}"
        done
        if ((ready)); then
            echo "zookeeper ensemble is up:$roles; endpoints $(endpoints)"
            echo "try:"
            echo "  java -jar target/rafty.jar bench --target zookeeper --endpoints $(endpoints) --workload put --clients 1 --duration 3s"
            return 0
        fi
        sleep 0.5
    done
    echo "zk-cluster: not every server serving after ${START_TIMEOUT_S}s:$roles (they are still running;" \
        "see scripts/zk-cluster.sh stop)" >&2
    show_log_tails
    exit 1
}

cmd_stop() {
    local n pid pids=() names=() numbers=()
    for n in "${SERVERS[@]}"; do
        if pid=$(live_pid "$n"); then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
            names+=("zk$n")
            numbers+=("$n")
            echo "zk$n: stopping (pid $pid)"
        elif [[ -f $(pid_file "$n") ]]; then
            echo "zk$n: not running (stale pid file removed)"
            rm -f "$(pid_file "$n")"
        else
            echo "zk$n: not running"
        fi
    done
    local deadline=$((SECONDS + STOP_TIMEOUT_S)) i alive
    while ((${#pids[@]} > 0 && SECONDS < deadline)); do
        alive=0
        for i in "${!pids[@]}"; do
            is_zk "${pids[$i]}" "${numbers[$i]}" && alive=1
        done
        ((alive)) || break
        sleep 0.2
    done
    for i in "${!pids[@]}"; do
        if is_zk "${pids[$i]}" "${numbers[$i]}"; then
            echo "${names[$i]}: still running after ${STOP_TIMEOUT_S}s, sending SIGKILL"
            kill -KILL "${pids[$i]}" 2>/dev/null || true
        fi
    done
    for n in "${SERVERS[@]}"; do
        if [[ -f $(pid_file "$n") ]] && ! live_pid "$n" >/dev/null; then
            rm -f "$(pid_file "$n")"
        fi
    done
}

cmd_status() {
    local n pid role all_up=0
    for n in "${SERVERS[@]}"; do
        pid=""
        if pid=$(live_pid "$n"); then
            role=$(mode "$n")
            if [[ -n $role ]]; then
                echo "zk$n  $HOST:$(client_port "$n")  up, $role (pid $pid)"
            else
                echo "zk$n  $HOST:$(client_port "$n")  running (pid $pid) but not serving"
                all_up=1
            fi
        else
            echo "zk$n  $HOST:$(client_port "$n")  down"
            all_up=1
        fi
    done
    return "$all_up"
}

cmd_clean() {
    cmd_stop
    local n
    rm -rf "$DATA_DIR"
    for n in "${SERVERS[@]}"; do
        rm -f "$LOG_DIR/zk$n.log"
    done
    echo "removed $DATA_DIR/ and $LOG_DIR/zk{1,2,3}.log"
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    clean) cmd_clean ;;
    endpoints) endpoints ;;
    *)
        echo "usage: scripts/zk-cluster.sh start|stop|status|clean|endpoints" >&2
        exit 2
        ;;
esac
